package extract

import (
	"math"
	"strings"
	"testing"

	"github.com/disputebot/disputebot/internal/testpages"
)

// TestRealPages extracts every saved real page and scores the title and
// the published date against what a careful reader extracted.
func TestRealPages(t *testing.T) {
	pages := testpages.Load(t)
	var titles, titleHits, dated, dateHits int
	for _, p := range pages {
		got, err := Extract(p.HTML, "text/html", "https://example.org/"+p.Name+"/")
		if err != nil {
			t.Errorf("%s: %v", p.Name, err)
			continue
		}
		if p.Expected.Title != "" {
			titles++
			if sameTitle(got.Title, p.Expected.Title) {
				titleHits++
			} else {
				t.Logf("%s: title %q, want %q", p.Name, got.Title, p.Expected.Title)
			}
		}
		if want, ok := p.Expected.Published(); ok {
			dated++
			if !got.Published.IsZero() && math.Abs(got.Published.Sub(want).Hours()) <= 24 {
				dateHits++
			} else {
				t.Logf("%s: date %v, want %v", p.Name, got.Published, want)
			}
		}
	}
	titleRate := float64(titleHits) / float64(titles)
	dateRate := float64(dateHits) / float64(dated)
	t.Logf("pages %d; titles %d/%d (%.1f%%); stated dates within a day %d/%d (%.1f%%)", len(pages), titleHits, titles, 100*titleRate, dateHits, dated, 100*dateRate)
	if titleRate < 0.9 {
		t.Errorf("title match rate %.1f%% is below 90%%", 100*titleRate)
	}
	if dateRate < 0.9 {
		t.Errorf("date match rate %.1f%% is below 90%%", 100*dateRate)
	}
}

func sameTitle(a, b string) bool {
	norm := func(s string) string {
		return strings.ToLower(strings.Join(strings.Fields(s), " "))
	}
	return norm(a) == norm(b)
}
