package library_test

// The tests in this file each reproduce one way a guild's moderator could
// rewrite what other guilds, or the command line, are told. A moderator is
// untrusted input: what a page says is shared, what a source claims about
// it is that source's guild's alone, and the built-in corpus is curated.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/feed"
	"github.com/disputebot/disputebot/internal/fetch"
	"github.com/disputebot/disputebot/internal/ingest"
	"github.com/disputebot/disputebot/internal/library"
	"github.com/disputebot/disputebot/internal/notify"
	"github.com/disputebot/disputebot/internal/render"
)

// hostileWeb is a loopback web server whose pages and feeds a test sets
// path by path, and a library whose fetcher reaches it under any name in
// .test; every other name fails to resolve, as the real web does here.
type hostileWeb struct {
	*httptest.Server
	mu    sync.Mutex
	pages map[string]func(w http.ResponseWriter, r *http.Request)
	hits  map[string]int
}

func newHostileWeb(t *testing.T) *hostileWeb {
	t.Helper()
	h := &hostileWeb{pages: map[string]func(http.ResponseWriter, *http.Request){}, hits: map[string]int{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		fn := h.pages[r.URL.Path]
		h.hits[r.URL.Path]++
		h.mu.Unlock()
		if fn == nil {
			http.NotFound(w, r)
			return
		}
		fn(w, r)
	}))
	t.Cleanup(h.Close)
	return h
}

// url is the address of path under the name host.test.
func (h *hostileWeb) url(host, path string) string {
	_, port, _ := net.SplitHostPort(h.Listener.Addr().String())
	return "http://" + host + ".test:" + port + path
}

func (h *hostileWeb) set(path string, fn func(w http.ResponseWriter, r *http.Request)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pages[path] = fn
}

func (h *hostileWeb) html(path, body string) {
	h.set(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	})
}

func (h *hostileWeb) status(path string, code int) {
	h.set(path, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) })
}

func (h *hostileWeb) rss(path, items string) {
	h.set(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>A's feed</title>%s</channel></rss>`, items)
	})
}

func openWebLib(t *testing.T, dir string) *library.Library {
	t.Helper()
	lib, err := library.Open(context.Background(), library.Options{
		DataDir: dir,
		Fetch: fetch.Options{Timeout: 3 * time.Second, MaxBytes: 1 << 20, AllowPrivate: true,
			LookupIP: func(ctx context.Context, host string) ([]netip.Addr, error) {
				if strings.HasSuffix(host, ".test") {
					return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
				}
				return nil, errors.New("no such host")
			}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

// item is one RSS item.
func item(guid, link, title, desc string, date time.Time) string {
	d := ""
	if !date.IsZero() {
		d = "<pubDate>" + date.Format(time.RFC1123Z) + "</pubDate>"
	}
	return fmt.Sprintf("<item><guid>%s</guid><link>%s</link><title>%s</title><description>%s</description>%s</item>", guid, link, title, desc, d)
}

// pollAs adds a feed for guild and polls it once, as the poller would.
func pollAs(t *testing.T, lib *library.Library, guild, feedURL string) {
	t.Helper()
	ctx := context.Background()
	src := &domain.Source{GuildID: guild, URL: feedURL, Kind: domain.FeedSource, AddedAt: time.Now().Add(-time.Hour),
		Feed: &domain.Feed{Interval: 15 * time.Minute}}
	if err := lib.Store.AddSource(ctx, src); err != nil && !errors.Is(err, domain.ErrExists) {
		t.Fatal(err)
	}
	src, err := lib.Store.SourceByRef(ctx, guild, domain.FeedSource, feedURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &feed.Poller{Store: lib.Store, Pipeline: lib.Pipeline, Fetch: lib.Pipeline.Fetch, Log: lib.Log,
		Notifier: &notify.Notifier{Store: lib.Store, Matcher: notify.NewMatcher(nil)}}
	p.Poll(ctx, src)
}

// ask is an answer as a guild (or, with guild "", the command line)
// reads it: the rendered JSON, which is what a script compares.
func ask(t *testing.T, lib *library.Library, guild, q string) string {
	t.Helper()
	a, err := lib.Engine.Ask(context.Background(), answer.Request{Query: q, Guild: guild})
	if err != nil {
		t.Fatalf("Ask(%q): %v", q, err)
	}
	return jsonText(t, a)
}

const evilTitle = "Microsoft admits it stole Twitter data; claim your refund at evil.test"

// TestFeedCannotRewriteTheCorpus: guild A's feed lists the built-in seed
// article with a made-up title, description and a 2099 date, and the page
// cannot be reached. No one else's answer changes, nor does the curated
// event, in A's answers either.
func TestFeedCannotRewriteTheCorpus(t *testing.T) {
	web := newHostileWeb(t)
	dir := t.TempDir()
	lib := openWebLib(t, dir)
	cliBefore, bBefore, aBefore := ask(t, lib, "", "musk microsoft"), ask(t, lib, "B", "musk microsoft"), ask(t, lib, "A", "musk microsoft")
	web.rss("/feed", item("g1", seedURL, evilTitle, "Claim your refund at evil.test now.", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)))
	pollAs(t, lib, "A", web.url("evil", "/feed"))
	for _, c := range []struct{ who, before, after string }{
		{"the command line", cliBefore, ask(t, lib, "", "musk microsoft")},
		{"guild B", bBefore, ask(t, lib, "B", "musk microsoft")},
		{"guild A", aBefore, ask(t, lib, "A", "musk microsoft")},
	} {
		if c.after != c.before {
			t.Errorf("%s's answer changed after A's feed listed the seed article", c.who)
		}
		if strings.Contains(c.after, "2099") || strings.Contains(c.after, "refund") {
			t.Errorf("%s is told A's claim", c.who)
		}
	}
	lib.Close()
	lib = openWebLib(t, dir)
	defer lib.Close()
	if got := ask(t, lib, "", "musk microsoft"); got != cliBefore {
		t.Error("the command line's answer changed after a restart")
	}
}

// TestUnreadablePageKeepsTheClaimToItsGuild: a page answering 403 leaves
// the feed item's title, description and date with the guild whose feed
// listed it. When another guild later reads the page itself, it is told
// what the page says and nothing A claimed, its date included.
func TestUnreadablePageKeepsTheClaimToItsGuild(t *testing.T) {
	web := newHostileWeb(t)
	lib := openWebLib(t, t.TempDir())
	defer lib.Close()
	ctx := context.Background()
	page := web.url("news", "/story")
	web.status("/story", http.StatusForbidden)
	web.rss("/feed", item("g1", page, "Musk sues Microsoft over stolen data, evil.test says", "A made-up description about Elon Musk and Microsoft.", time.Date(2021, 3, 4, 0, 0, 0, 0, time.UTC)))
	pollAs(t, lib, "A", web.url("evil", "/feed"))
	if a := ask(t, lib, "A", "musk microsoft"); !strings.Contains(a, "evil.test says") {
		t.Error("guild A does not see its own feed's item")
	}
	// The page, now readable, states no date of its own.
	web.html("/story", `<html><head><title>Musk and Microsoft trade words over data</title></head><body><p>Elon Musk said Microsoft used Twitter data without paying for it, and lawyers for both sides met.</p><p>Neither company would comment further on the dispute.</p></body></html>`)
	res, err := lib.Pipeline.IngestURL(ctx, page, ingest.Options{Scope: "B"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Article.Title != "Musk and Microsoft trade words over data" {
		t.Errorf("B reads the title %q, want the page's own", res.Article.Title)
	}
	if y := res.Article.Date().Year(); y == 2021 {
		t.Errorf("B's article is dated %s, A's feed's claim", res.Article.Date().Format(article.DateLayout))
	}
	b := ask(t, lib, "B", "musk microsoft")
	if strings.Contains(b, "evil.test says") || strings.Contains(b, "made-up") || strings.Contains(b, "2021-03-04") {
		t.Error("guild B is told what A's feed claimed")
	}
}

// TestFeedCannotRedateAnotherGuildsSource: guild B added an article as a
// source; guild A's feed lists it with another date and title, once while
// the page reads and once while it answers 403. B's article keeps its
// date, title and summary.
func TestFeedCannotRedateAnotherGuildsSource(t *testing.T) {
	web := newHostileWeb(t)
	lib := openWebLib(t, t.TempDir())
	defer lib.Close()
	ctx := context.Background()
	page, err := os.ReadFile("../ingest/testdata/musk-microsoft.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, readable := range []bool{true, false} {
		path := fmt.Sprintf("/b-source-%t", readable)
		web.html(path, string(page))
		u := web.url("news", path)
		if _, err := lib.Pipeline.IngestURL(ctx, u, ingest.Options{Scope: "B"}); err != nil {
			t.Fatal(err)
		}
		before := ask(t, lib, "B", "musk microsoft")
		if !readable {
			web.status(path, http.StatusForbidden)
		}
		feedPath := fmt.Sprintf("/feed-%t", readable)
		web.rss(feedPath, item("g-"+path, u, evilTitle, "Claim your refund at evil.test now.", time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)))
		pollAs(t, lib, "A", web.url("evil", feedPath))
		if after := ask(t, lib, "B", "musk microsoft"); after != before {
			t.Errorf("page readable %t: B's answer changed after A's feed listed B's source", readable)
		}
	}
}

// TestIngestCannotRewriteACuratedEvent: the command line's ingest of a
// saved page under a built-in event's address, for one guild, leaves the
// curated headline, date and summary as they were, for every guild.
func TestIngestCannotRewriteACuratedEvent(t *testing.T) {
	lib := openLib(t, t.TempDir())
	defer lib.Close()
	ctx := context.Background()
	cli, b := ask(t, lib, "", "musk microsoft"), ask(t, lib, "B", "musk microsoft")
	path := filepath.Join(t.TempDir(), "page.html")
	os.WriteFile(path, []byte(`<html><head><title>`+evilTitle+`</title></head><body><p>Microsoft admitted on 3 March 2019 that it took Twitter data, Elon Musk said in a long statement.</p><p>Claim your refund at evil.test before the deadline passes.</p></body></html>`), 0o600)
	if _, err := lib.Pipeline.IngestFile(ctx, path, seedURL, ingest.Options{Scope: "424242"}); err != nil {
		t.Fatal(err)
	}
	if got := ask(t, lib, "", "musk microsoft"); got != cli {
		t.Error("the command line's answer changed")
	}
	if got := ask(t, lib, "B", "musk microsoft"); got != b {
		t.Error("guild B's answer changed")
	}
	a, err := lib.Store.ArticleByURL(ctx, seedURL)
	if err != nil {
		t.Fatal(err)
	}
	if a.Title == evilTitle || a.Published.Format(article.DateLayout) != "2023-04-19" {
		t.Errorf("the curated event now reads %q, dated %s", a.Title, a.Published.Format(article.DateLayout))
	}
}

func jsonText(t *testing.T, a *answer.Answer) string {
	t.Helper()
	var b strings.Builder
	if err := render.JSON(&b, render.ToJSON(a)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
