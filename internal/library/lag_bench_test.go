package library_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/disputebot/disputebot/internal/ingest"
	"github.com/disputebot/disputebot/internal/latency"
)

// BenchmarkReplicaLag: one process reads articles into a shared
// PostgreSQL store, one every 20 ms as a busy set of feeds would, while
// another follows the store as serve does (woken by the store's
// notification, its timer the 10 s serve uses). Each article's lag is the
// time from its commit to the follower's index holding it; the median and
// p99 are reported. Run with TEST_DATABASE_URL set:
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test go test -run '^$' -bench ReplicaLag -benchtime 300x ./internal/library
func BenchmarkReplicaLag(b *testing.B) {
	ctx := context.Background()
	writer, follower := sharingProcesses(b)
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		follower.Pipeline.Follow(fctx, 10*time.Second, follower.Store.Changes(fctx, follower.Log), nil)
		close(done)
	}()
	defer func() { cancel(); <-done }()
	time.Sleep(500 * time.Millisecond) // the listening connection is made

	var lag latency.Recorder
	b.ResetTimer()
	for i := range b.N {
		page := fmt.Sprintf(`<html><head><title>Zorblat%d sues Quuxcorp over widget patents</title></head><body>
<p>Zorblat%d filed a lawsuit against Quuxcorp on Monday over four widget patents, asking a federal court for damages.</p>
<p>Quuxcorp said the claims were baseless and that it would defend itself in court.</p></body></html>`, i, i)
		if _, err := writer.Pipeline.IngestHTML(ctx, []byte(page), "text/html", fmt.Sprintf("https://news.example.com/zorblat/%d", i), ingest.Options{}); err != nil {
			b.Fatal(err)
		}
		committed := time.Now()
		seq, err := writer.Store.MaxSeq(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if have, _ := follower.Pipeline.Index.Seq(); have >= seq {
				break
			}
			if time.Since(committed) > 30*time.Second {
				b.Fatalf("the follower did not take article %d within 30 s", i)
			}
			time.Sleep(200 * time.Microsecond)
		}
		lag.Add(time.Since(committed))
		time.Sleep(20 * time.Millisecond)
	}
	b.StopTimer()
	lag.Report(b)
}
