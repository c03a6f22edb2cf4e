package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"sort"
	"syscall"
	"testing"
	"time"

	readability "codeberg.org/readeck/go-readability/v2"

	"github.com/disputebot/disputebot/internal/ingest"
	"github.com/disputebot/disputebot/internal/library"
	"github.com/disputebot/disputebot/internal/testpages"
)

// BenchmarkIngest reads the 130 real pages end to end (extract, analyse,
// store, index, in one batch) beside bare readability extraction of the
// same pages. Both report pages per second.
func BenchmarkIngest(b *testing.B) {
	pages := testpages.Load(b)
	b.Run("pipeline", func(b *testing.B) {
		lib, err := library.Open(context.Background(), library.Options{DataDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		defer lib.Close()
		round := 0
		for b.Loop() {
			round++
			batch := make([]ingest.Input, len(pages))
			for i, p := range pages {
				batch[i] = ingest.Input{Body: p.HTML, ContentType: "text/html", InHand: true, URL: fmt.Sprintf("https://pages.example.org/%d/%s", round, p.Name)}
			}
			lib.Pipeline.IngestInputs(context.Background(), batch, ingest.Options{}, func(i int, _ *ingest.Result, err error) {
				if err != nil {
					b.Fatalf("%s: %v", pages[i].Name, err)
				}
			})
		}
		b.ReportMetric(float64(b.N*len(pages))/b.Elapsed().Seconds(), "pages/s")
	})
	b.Run("bare-readability", func(b *testing.B) {
		base, _ := url.Parse("https://pages.example.org/")
		for b.Loop() {
			for _, p := range pages {
				if _, err := readability.FromReader(bytes.NewReader(p.HTML), base); err != nil {
					_ = err // some test pages are not articles; the time is what counts
				}
			}
		}
		b.ReportMetric(float64(b.N*len(pages))/b.Elapsed().Seconds(), "pages/s")
	})
}

// BenchmarkIngestCPU measures the ingest paths users run against bare
// readability in CPU time (user and system, every goroutine, Bleve's
// background merging included), paired: each round reads the 130 pages
// through the pipeline into a fresh data folder, closes it (so the index
// has written everything), then reads them with bare readability, and
// the ratio of the two CPU times is taken in that round. It reports the
// median ratio over the rounds (higher is better; 1 would be as fast as
// bare readability):
//
//   - batched: IngestInputs, as `disputebot ingest FILE...` and a feed
//     poll store: one transaction and one index batch per hundred pages.
//   - one-by-one: IngestHTML per page, one transaction and one index batch
//     each, as the CLI, `!source add` and the poller did before.
//
// Run: go test ./internal/ingest -run '^$' -bench IngestCPU -benchtime 5x
func BenchmarkIngestCPU(b *testing.B) {
	pages := testpages.Load(b)
	base, _ := url.Parse("https://pages.example.org/")
	paths := map[string]func(lib *library.Library, round int){
		"batched": func(lib *library.Library, round int) {
			ins := make([]ingest.Input, len(pages))
			for i, p := range pages {
				ins[i] = ingest.Input{URL: fmt.Sprintf("https://pages.example.org/%d/%s", round, p.Name), Body: p.HTML, ContentType: "text/html", InHand: true}
			}
			lib.Pipeline.IngestInputs(context.Background(), ins, ingest.Options{}, func(int, *ingest.Result, error) {})
		},
		"one-by-one": func(lib *library.Library, round int) {
			for _, p := range pages {
				lib.Pipeline.IngestHTML(context.Background(), p.HTML, "text/html", fmt.Sprintf("https://pages.example.org/%d/%s", round, p.Name), ingest.Options{})
			}
		},
	}
	for _, name := range []string{"batched", "one-by-one"} {
		b.Run(name, func(b *testing.B) {
			var ratios []float64
			round := 0
			for b.Loop() {
				round++
				lib, err := library.Open(context.Background(), library.Options{DataDir: b.TempDir()})
				if err != nil {
					b.Fatal(err)
				}
				t0 := cpuTime()
				paths[name](lib, round)
				lib.Close()
				t1 := cpuTime()
				for _, p := range pages {
					readability.FromReader(bytes.NewReader(p.HTML), base)
				}
				t2 := cpuTime()
				ratios = append(ratios, float64(t2-t1)/float64(t1-t0))
			}
			sort.Float64s(ratios)
			b.ReportMetric(ratios[len(ratios)/2], "x-bare-cpu")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
