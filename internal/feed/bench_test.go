package feed_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/feed"
	"github.com/disputebot/disputebot/internal/fetch"
	"github.com/disputebot/disputebot/internal/library"
	"github.com/disputebot/disputebot/internal/notify"
)

// BenchmarkPoll1000Feeds has the scheduler poll 1,000 feeds on a local
// server once: half answer 304 to the conditional GET, half send their
// (already seen) items again. It reports feeds per second and the CPU
// seconds the whole poll took.
func BenchmarkPoll1000Feeds(b *testing.B) {
	const feeds = 1000
	var served atomic.Int64
	const items = `<item><title>Musk and Microsoft</title><link>https://news.example.com/a</link><guid>g1</guid></item>` +
		`<item><title>Epic and Apple</title><link>https://news.example.com/b</link><guid>g2</guid></item>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		var n int
		fmt.Sscanf(r.URL.Path, "/feed/%d", &n)
		if n%2 == 0 && r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Feed %d</title>%s</channel></rss>`, n, items)
	}))
	defer srv.Close()
	ctx := context.Background()
	lib, err := library.Open(ctx, library.Options{DataDir: b.TempDir(), Fetch: fetch.Options{Timeout: 10 * time.Second, MaxBytes: 1 << 20, AllowPrivate: true}})
	if err != nil {
		b.Fatal(err)
	}
	defer lib.Close()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < feeds; i++ {
		src := &domain.Source{GuildID: fmt.Sprint(i % 50), URL: fmt.Sprintf("%s/feed/%d", srv.URL, i), Kind: domain.FeedSource, AddedAt: start,
			Feed: &domain.Feed{Interval: 15 * time.Minute, ETag: `"v1"`}}
		if err := lib.Store.AddSource(ctx, src); err != nil {
			b.Fatal(err)
		}
		for _, k := range []string{"guid:g1", "guid:g2"} {
			lib.Store.MarkFeedItem(ctx, src.ID, k, 0, start)
		}
	}
	now := start
	p := &feed.Poller{Store: lib.Store, Pipeline: lib.Pipeline, Fetch: lib.Pipeline.Fetch, Log: lib.Log, Concurrency: 16,
		Notifier: &notify.Notifier{Store: lib.Store, Matcher: notify.NewMatcher(nil)}, Now: func() time.Time { return now }}
	for b.Loop() {
		// Every feed falls due; the scheduler polls them all once.
		now = now.Add(24 * time.Hour)
		want := served.Load() + feeds
		cpu0 := cpuSeconds()
		t0 := time.Now()
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { p.Run(runCtx); close(done) }()
		for served.Load() < want {
			time.Sleep(5 * time.Millisecond)
		}
		for {
			due, _ := lib.Store.DueFeeds(ctx, now, 1, 1)
			if len(due) == 0 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		<-done
		b.ReportMetric(float64(feeds)/time.Since(t0).Seconds(), "feeds/s")
		b.ReportMetric(cpuSeconds()-cpu0, "cpu-s")
	}
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
