package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"testing"

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
			batch := make([]ingest.Page, len(pages))
			for i, p := range pages {
				batch[i] = ingest.Page{Body: p.HTML, ContentType: "text/html", URL: fmt.Sprintf("https://pages.example.org/%d/%s", round, p.Name)}
			}
			_, errs := lib.Pipeline.IngestBatch(context.Background(), batch, ingest.Options{})
			for i, err := range errs {
				if err != nil {
					b.Fatalf("%s: %v", pages[i].Name, err)
				}
			}
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
