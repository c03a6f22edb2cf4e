package feed_test

// Tests of what one guild's hostile feeds can do to the poller and the
// disk: each reproduces a way one server could starve the others' feeds
// or grow the data folder without bound.

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/feed"
	"github.com/disputebot/disputebot/internal/fetch"
	"github.com/disputebot/disputebot/internal/library"
	"github.com/disputebot/disputebot/internal/notify"
)

// hostileServer serves, under /hang/, item pages that never answer (until
// the test ends), under /dead/ pages that are gone, under /feed/<name>
// feeds whose every poll lists n items with fresh GUIDs linking to prefix,
// and under /calm a feed with one item.
type hostileServer struct {
	*httptest.Server
	polls   sync.Map // feed path -> *atomic.Int64
	release chan struct{}
	desc    string
	items   int
	prefix  string
}

func newHostileServer(t *testing.T, items int, prefix, desc string) *hostileServer {
	t.Helper()
	h := &hostileServer{release: make(chan struct{}), items: items, prefix: prefix, desc: desc}
	var round atomic.Int64
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/hang/"):
			select {
			case <-h.release:
			case <-r.Context().Done():
			}
		case strings.HasPrefix(r.URL.Path, "/dead/"):
			http.NotFound(w, r)
		case strings.HasPrefix(r.URL.Path, "/feed/"):
			n, _ := h.polls.LoadOrStore(r.URL.Path, new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
			k := round.Add(1)
			var b strings.Builder
			for i := 0; i < h.items; i++ {
				fmt.Fprintf(&b, "<item><guid>%s-%d-%d</guid><link>%s%s%d-%d</link><title>Musk and Microsoft, part %d</title><description>%s</description></item>",
					r.URL.Path, k, i, h.URL, h.prefix, k, i, i, h.desc)
			}
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Hostile</title>%s</channel></rss>`, b.String())
		case r.URL.Path == "/calm":
			n, _ := h.polls.LoadOrStore(r.URL.Path, new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Calm</title><item><guid>c1</guid><title>Calm news</title></item></channel></rss>`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(func() { close(h.release); h.Close() })
	return h
}

func (h *hostileServer) polled(path string) int64 {
	n, ok := h.polls.Load(path)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

func hostileLib(t *testing.T, dir string, timeout time.Duration, log *slog.Logger) *library.Library {
	t.Helper()
	lib, err := library.Open(context.Background(), library.Options{DataDir: dir, Log: log,
		Fetch: fetch.Options{Timeout: timeout, MaxBytes: 5 << 20, AllowPrivate: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	return lib
}

func addFeed(t *testing.T, lib *library.Library, guild, u string, every time.Duration) *domain.Source {
	t.Helper()
	src := &domain.Source{GuildID: guild, URL: u, Kind: domain.FeedSource, AddedAt: time.Now().Add(-time.Hour), Feed: &domain.Feed{Interval: every}}
	if err := lib.Store.AddSource(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	return src
}

func newPoller(lib *library.Library) *feed.Poller {
	return &feed.Poller{Store: lib.Store, Pipeline: lib.Pipeline, Fetch: lib.Pipeline.Fetch, Log: lib.Log,
		Notifier: &notify.Notifier{Store: lib.Store, Matcher: notify.NewMatcher(nil)}}
}

// TestHostileGuildCannotStarveOthers: guild A follows four feeds whose
// every item page hangs, as many as the poller runs at once; guild B's one
// feed is still polled on its schedule.
func TestHostileGuildCannotStarveOthers(t *testing.T) {
	h := newHostileServer(t, 100, "/hang/", "x")
	lib := hostileLib(t, t.TempDir(), 500*time.Millisecond, nil)
	for i := 0; i < 4; i++ {
		addFeed(t, lib, "A", fmt.Sprintf("%s/feed/%d", h.URL, i), time.Second)
	}
	addFeed(t, lib, "B", h.URL+"/calm", time.Second)
	p := newPoller(lib)
	p.Concurrency, p.Budget = 4, 2*time.Second
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(15 * time.Second)
	for h.polled("/calm") < 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := h.polled("/calm"); n < 3 {
		t.Errorf("guild B's feed was polled %d times in 15 s while guild A's feeds hung, want at least 3", n)
	}
}

// TestPollKeepsToItsBudget: a poll whose item pages hang ends within its
// budget; the items it had no time for wait for the next poll (not marked
// seen, and the next poll is not told "not modified").
func TestPollKeepsToItsBudget(t *testing.T) {
	h := newHostileServer(t, 30, "/hang/", "x")
	lib := hostileLib(t, t.TempDir(), 10*time.Second, nil)
	src := addFeed(t, lib, "A", h.URL+"/feed/one", 15*time.Minute)
	p := newPoller(lib)
	p.Budget = time.Second
	returned := make(chan struct{})
	go func() { p.Poll(context.Background(), src); close(returned) }()
	select {
	case <-returned:
	case <-time.After(20 * time.Second):
		t.Fatal("a poll of hanging item pages was still running after 20 s, with a budget of 1 s")
	}
	ctx := context.Background()
	n, err := lib.Store.CountFeedItems(ctx, src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n >= 30 {
		t.Errorf("%d of 30 items marked seen though their pages were never read", n)
	}
	after, _ := lib.Store.Source(ctx, src.ID)
	if after.Feed.ETag != "" || after.Feed.Failures != 0 {
		t.Errorf("after a cut-short poll: etag %q, failures %d", after.Feed.ETag, after.Feed.Failures)
	}
}

// TestHostileFeedDoesNotFillTheDisk: a feed whose every poll lists 100 new
// items with 45 KB descriptions and dead links. What the data folder
// grows by per poll stays small (it grew by 3.5 MiB a poll), and the feed's
// seen items are pruned.
func TestHostileFeedDoesNotFillTheDisk(t *testing.T) {
	h := newHostileServer(t, 100, "/dead/", strings.Repeat("Elon Musk sued Microsoft again. ", 1450))
	dir := t.TempDir()
	lib := hostileLib(t, dir, 5*time.Second, nil)
	src := addFeed(t, lib, "A", h.URL+"/feed/big", time.Minute)
	p := newPoller(lib)
	p.Retain = 150
	ctx := context.Background()
	poll := func() {
		s, err := lib.Store.Source(ctx, src.ID)
		if err != nil {
			t.Fatal(err)
		}
		p.Poll(ctx, s)
	}
	poll() // the first poll creates what every data folder has
	before := folderSize(t, dir)
	const polls = 8
	for i := 0; i < polls; i++ {
		poll()
	}
	grew := (folderSize(t, dir) - before) / polls
	if grew > 512<<10 {
		t.Errorf("the data folder grew by %d KiB per poll", grew>>10)
	}
	if n, _ := lib.Store.CountFeedItems(ctx, src.ID); n > 150 {
		t.Errorf("%d items remembered, retention is 150", n)
	}
	t.Logf("data folder growth: %d KiB per poll", grew>>10)
}

// TestGuildDailyCap: a guild's feeds bring at most its daily cap of
// articles; the other items wait, unmarked.
func TestGuildDailyCap(t *testing.T) {
	var calls atomic.Int64
	srv := storyFeed(t, 12, func() { calls.Add(1) })
	lib := hostileLib(t, t.TempDir(), 5*time.Second, nil)
	src := addFeed(t, lib, "A", srv.URL+"/feed", time.Minute)
	p := newPoller(lib)
	p.GuildDailyArticles = 5
	p.Poll(context.Background(), src)
	if n := calls.Load(); n != 5 {
		t.Errorf("%d item pages read, the daily cap is 5", n)
	}
	if n, _ := lib.Store.GuildArticlesSince(context.Background(), "A", time.Now().Add(-time.Hour)); n != 5 {
		t.Errorf("%d articles stored for guild A, the daily cap is 5", n)
	}
}

// TestFirstPollAnnouncesNoFutureItems: items already in a feed when it is
// added are history, whatever date they claim (a 2099 pubDate, or a day
// ahead): nothing is announced.
func TestFirstPollAnnouncesNoFutureItems(t *testing.T) {
	fs := newFeedServer(t)
	r := newRig(t, fs)
	fs.add("future", "/future", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))
	fs.add("tomorrow", "/tomorrow", r.now.Add(20*time.Hour))
	r.poll(t)
	if got := r.queued(t); got != 0 {
		t.Errorf("adding a feed announced %d notices for items it already had", got)
	}
}

// TestFeedRemovedWhilePolled: a moderator removes a feed while its poll
// reads item pages. The poll ends quietly: no error per remaining item.
func TestFeedRemovedWhilePolled(t *testing.T) {
	gate := make(chan struct{})
	var first sync.Once
	reading := make(chan struct{})
	srv := storyFeed(t, 5, func() {
		first.Do(func() { close(reading) })
		<-gate
	})
	var logs syncBuffer
	lib := hostileLib(t, t.TempDir(), 5*time.Second, slog.New(slog.NewTextHandler(&logs, nil)))
	src := addFeed(t, lib, "A", srv.URL+"/feed", time.Minute)
	p := newPoller(lib)
	done := make(chan struct{})
	go func() { p.Poll(context.Background(), src); close(done) }()
	<-reading
	if _, err := lib.Store.RemoveSource(context.Background(), "A", src.ID); err != nil {
		t.Fatal(err)
	}
	close(gate)
	<-done
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("removing a feed during its poll logged errors:\n%s", logs.String())
	}
	if n, _ := lib.Store.CountFeedItems(context.Background(), src.ID); n != 0 {
		t.Errorf("%d items of a removed feed remembered", n)
	}
}

// storyFeed serves at /feed a feed of n items, each linking to a real
// article page of its own, and calls onPage before serving each page.
func storyFeed(t *testing.T, n int, onPage func()) *httptest.Server {
	t.Helper()
	page, err := os.ReadFile("../ingest/testdata/musk-microsoft.html")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/feed" {
			var b strings.Builder
			for i := 0; i < n; i++ {
				fmt.Fprintf(&b, "<item><guid>g%d</guid><link>http://%s/story/%d</link><title>Story %d</title></item>", i, r.Host, i, i)
			}
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Busy</title>%s</channel></rss>`, b.String())
			return
		}
		onPage()
		w.Header().Set("Content-Type", "text/html")
		w.Write(bytes.Replace(page, []byte("Musk threatens Microsoft"), []byte("Musk threatens Microsoft "+r.URL.Path), -1))
	}))
	t.Cleanup(srv.Close)
	return srv
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func folderSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}

// TestPollPanicIsRecovered: a poll that panics (here, every poll: the
// poller is missing its pipeline) is logged and counted; the poller goes
// on to the next feed, and a panicking feed is tried again after its
// interval rather than at once.
func TestPollPanicIsRecovered(t *testing.T) {
	h := newHostileServer(t, 3, "/dead/", "x")
	var logs syncBuffer
	lib := hostileLib(t, t.TempDir(), 5*time.Second, slog.New(slog.NewTextHandler(&logs, nil)))
	src := addFeed(t, lib, "A", h.URL+"/feed/boom", time.Hour)
	addFeed(t, lib, "B", h.URL+"/calm", time.Hour)
	p := newPoller(lib)
	p.Pipeline = nil
	var panics atomic.Int64
	p.Panicked = func() { panics.Add(1) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for (panics.Load() == 0 || h.polled("/calm") == 0) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	cancel()
	<-done
	if panics.Load() != 2 || h.polled("/feed/boom") != 1 || h.polled("/calm") != 1 {
		t.Errorf("%d panics, %d and %d polls of the two feeds; want 2, and one poll each", panics.Load(), h.polled("/feed/boom"), h.polled("/calm"))
	}
	after, _ := lib.Store.Source(context.Background(), src.ID)
	if !after.Feed.NextPoll.After(time.Now().Add(30 * time.Minute)) {
		t.Errorf("the panicking feed is due again at %v", after.Feed.NextPoll)
	}
	if !strings.Contains(logs.String(), "panic") {
		t.Error("the panic was not logged")
	}
}

// TestPollersShareFeedsOnce: three pollers on one store, as three
// processes sharing PostgreSQL would run, poll every due feed once per
// interval between them, not once each.
func TestPollersShareFeedsOnce(t *testing.T) {
	h := newHostileServer(t, 1, "/dead/", "x")
	lib := hostileLib(t, t.TempDir(), 2*time.Second, nil)
	for i := 0; i < 12; i++ {
		addFeed(t, lib, fmt.Sprint("G", i%3), fmt.Sprintf("%s/feed/%d", h.URL, i), time.Hour)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		p := newPoller(lib)
		p.Concurrency = 4
		wg.Add(1)
		go func() { defer wg.Done(); p.Run(ctx) }()
	}
	polled := func() (n int64) {
		for i := 0; i < 12; i++ {
			n += h.polled(fmt.Sprintf("/feed/%d", i))
		}
		return n
	}
	deadline := time.Now().Add(15 * time.Second)
	for polled() < 12 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // time for a second poll, if one were coming
	cancel()
	wg.Wait()
	for i := 0; i < 12; i++ {
		if n := h.polled(fmt.Sprintf("/feed/%d", i)); n != 1 {
			t.Errorf("feed %d was polled %d times in its interval, want once", i, n)
		}
	}
}
