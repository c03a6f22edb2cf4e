package library_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/ingest"
	"github.com/disputebot/disputebot/internal/library"
	"github.com/disputebot/disputebot/internal/store/pgtest"
)

// TestIndexFollowsAnotherProcess: two processes share one PostgreSQL
// store, each with its own data folder and index. An article one of them
// reads is found by the other's answers within seconds, woken by the
// store's notification (its timer is set too long to be what found it),
// and the other reports no lag once it has caught up.
func TestIndexFollowsAnotherProcess(t *testing.T) {
	ctx := context.Background()
	writer, reader := sharingProcesses(t)
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var behind atomic.Int64
	behind.Store(-1)
	done := make(chan struct{})
	go func() {
		reader.Pipeline.Follow(fctx, time.Hour, reader.Store.Changes(fctx, reader.Log), func(n int64) { behind.Store(n) })
		close(done)
	}()
	defer func() { cancel(); <-done }()
	time.Sleep(500 * time.Millisecond) // the listening connection is made

	page := `<html><head><title>Zorblat sues Quuxcorp over widget patents</title></head><body>
	<p>Zorblat filed a lawsuit against Quuxcorp on Monday over four widget patents, asking a federal court for damages.</p>
	<p>Quuxcorp said the claims were baseless and that it would defend itself in court.</p></body></html>`
	if _, err := writer.Pipeline.IngestHTML(ctx, []byte(page), "text/html", "https://news.example.com/zorblat", ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, err := reader.Engine.Ask(ctx, answer.Request{Query: "zorblat quuxcorp widget", TextOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Entries) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other process's index did not take the article within 10 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for behind.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := behind.Load(); n != 0 {
		t.Errorf("after catching up the follower reports %d changes behind", n)
	}
}

// sharingProcesses opens two data folders on one PostgreSQL store, as two
// processes on two machines would: each with its own index.
func sharingProcesses(tb testing.TB) (*library.Library, *library.Library) {
	url := pgtest.URL(tb)
	open := func() *library.Library {
		lib, err := library.Open(context.Background(), library.Options{DataDir: tb.TempDir(), DatabaseURL: url})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { lib.Close() })
		return lib
	}
	return open(), open()
}
