package feed_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/feed"
	"github.com/disputebot/disputebot/internal/fetch"
	"github.com/disputebot/disputebot/internal/library"
	"github.com/disputebot/disputebot/internal/notify"
)

// feedServer serves an RSS feed whose items a test changes, and article
// pages for them.
type feedServer struct {
	*httptest.Server
	mu          sync.Mutex
	items       []string // <item> XML
	status      int      // 0: serve the feed
	notModified int      // 304s served
}

func newFeedServer(t *testing.T) *feedServer {
	page, err := os.ReadFile("../ingest/testdata/musk-microsoft.html")
	if err != nil {
		t.Fatal(err)
	}
	fs := &feedServer{}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		if r.URL.Path != "/feed" {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(strings.Replace(string(page), "Musk threatens Microsoft", "Musk threatens Microsoft "+r.URL.Path, -1)))
			return
		}
		if fs.status != 0 {
			w.WriteHeader(fs.status)
			return
		}
		etag := fmt.Sprintf(`"%d"`, len(strings.Join(fs.items, "")))
		if r.Header.Get("If-None-Match") == etag {
			fs.notModified++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Test feed</title>%s</channel></rss>`, strings.Join(fs.items, ""))
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) add(guid, path string, date time.Time) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.items = append([]string{fmt.Sprintf(`<item><title>Musk and Microsoft %s</title><link>%s%s</link><guid>%s</guid><pubDate>%s</pubDate></item>`,
		path, fs.URL, path, guid, date.Format(time.RFC1123Z))}, fs.items...)
}

type rig struct {
	lib    *library.Library
	poller *feed.Poller
	now    time.Time
	src    *domain.Source
	notes  []string
}

func newRig(t *testing.T, fs *feedServer) *rig {
	t.Helper()
	ctx := context.Background()
	lib, err := library.Open(ctx, library.Options{DataDir: t.TempDir(), Fetch: fetch.Options{Timeout: 5 * time.Second, MaxBytes: 1 << 20, AllowPrivate: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	r := &rig{lib: lib, now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return r.now }
	sub := &domain.Subscription{GuildID: "A", UserID: "u1", Query: "Elon Musk and Microsoft", Parties: []string{"Elon Musk", "Microsoft"}}
	if err := lib.Store.Subscribe(ctx, sub); err != nil {
		t.Fatal(err)
	}
	notifier := &notify.Notifier{Store: lib.Store, Matcher: notify.NewMatcher([]*domain.Subscription{sub}), Now: clock}
	r.poller = &feed.Poller{Store: lib.Store, Pipeline: lib.Pipeline, Fetch: lib.Pipeline.Fetch, Notifier: notifier, Log: lib.Log, Now: clock,
		Notice: func(ctx context.Context, src *domain.Source, reason string) { r.notes = append(r.notes, reason) }}
	r.src = &domain.Source{GuildID: "A", URL: fs.URL + "/feed", Kind: domain.FeedSource, AddedAt: r.now, Feed: &domain.Feed{ChannelID: "C1", Interval: 15 * time.Minute}}
	if err := lib.Store.AddSource(ctx, r.src); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) poll(t *testing.T) *domain.Source {
	t.Helper()
	src, err := r.lib.Store.Source(context.Background(), r.src.ID)
	if err != nil {
		t.Fatal(err)
	}
	r.poller.Poll(context.Background(), src)
	src, _ = r.lib.Store.Source(context.Background(), r.src.ID)
	return src
}

func (r *rig) queued(t *testing.T) int {
	counts, err := r.lib.Store.DeliveryCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return counts["pending"] + counts["sending"] + counts["sent"]
}

func TestFeedNeverFloodsAndAnnouncesOnce(t *testing.T) {
	fs := newFeedServer(t)
	r := newRig(t, fs)
	fs.add("old-1", "/old-1", r.now.Add(-24*time.Hour))
	fs.add("old-2", "/old-2", r.now.Add(-48*time.Hour))

	src := r.poll(t)
	if src.Items != 2 || r.queued(t) != 0 {
		t.Fatalf("first poll: %d items indexed, %d notices queued; want 2 and none (history is not news)", src.Items, r.queued(t))
	}
	if src.Feed.ETag == "" || !src.Feed.NextPoll.After(r.now.Add(13*time.Minute)) {
		t.Errorf("after a poll: etag %q, next poll %v", src.Feed.ETag, src.Feed.NextPoll)
	}

	r.now = r.now.Add(20 * time.Minute)
	r.poll(t)
	if fs.notModified != 1 {
		t.Errorf("unchanged feed: %d conditional 304s, want 1", fs.notModified)
	}

	fs.add("new-1", "/new-1", r.now)
	r.now = r.now.Add(20 * time.Minute)
	r.poll(t)
	if got := r.queued(t); got != 2 {
		t.Fatalf("a new item queued %d notices, want 2 (the subscriber's DM and the feed's channel)", got)
	}

	// The publisher re-issues the same story under a new GUID.
	fs.add("new-1-reissued", "/new-1", r.now)
	r.now = r.now.Add(20 * time.Minute)
	r.poll(t)
	if got := r.queued(t); got != 2 {
		t.Errorf("a changed GUID queued notices again: %d", got)
	}
}

func TestFailingFeedBacksOffAndTellsModeratorsOnce(t *testing.T) {
	fs := newFeedServer(t)
	r := newRig(t, fs)
	fs.status = http.StatusServiceUnavailable
	var waits []time.Duration
	for i := 0; i < 5; i++ {
		src := r.poll(t)
		waits = append(waits, src.Feed.NextPoll.Sub(r.now))
		if src.Feed.Failures != i+1 || !strings.Contains(src.LastError, "503") {
			t.Fatalf("poll %d: failures %d, last error %q", i+1, src.Feed.Failures, src.LastError)
		}
		r.now = src.Feed.NextPoll
	}
	for i := 1; i < len(waits); i++ {
		if waits[i] <= waits[i-1] {
			t.Errorf("backoff did not grow: %v", waits)
		}
	}
	if len(r.notes) != 1 || !strings.Contains(r.notes[0], "3 times") {
		t.Errorf("moderator notices: %q, want one after the third failure", r.notes)
	}
	fs.status = 0
	src := r.poll(t)
	if src.Feed.Failures != 0 || src.LastError != "" {
		t.Errorf("a success did not reset the failures: %d, %q", src.Feed.Failures, src.LastError)
	}
}
