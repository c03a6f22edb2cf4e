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

// sameTitle compares a title extracted with the expected one, which a
// careful reader took from the page's <title>: the extraction may have
// dropped a trailing segment naming the site or the author ("| eHow").
func sameTitle(got, want string) bool {
	norm := func(s string) string {
		return strings.ToLower(strings.Join(strings.Fields(s), " "))
	}
	g, w := norm(got), norm(want)
	if g == w {
		return true
	}
	for _, sep := range titleSeparators {
		if strings.HasPrefix(w, g+sep) {
			return true
		}
	}
	return false
}

// TestTitlesLoseTheSiteAndAuthor: a title's trailing segments that only
// name the site or the author are dropped; a segment that is part of the
// headline stays.
func TestTitlesLoseTheSiteAndAuthor(t *testing.T) {
	pages := map[string]string{}
	for _, p := range testpages.Load(t) {
		pages[p.Name] = string(p.HTML)
	}
	for name, want := range map[string]string{
		"guardian-1":        "'What is the sea telling us?': Māori tribes fearful over whale strandings",
		"medium-3":          "Samantha and The Great Big Lie",
		"ehow-1":            "How to Build a Terrarium",
		"keep-tabular-data": "Friday Facts #282 - 0.17 in sight",
		"dropbox-blog":      "How we designed Dropbox’s ATF - an async task framework",
	} {
		html, ok := pages[name]
		if !ok {
			t.Errorf("%s: no such test page", name)
			continue
		}
		p, err := Extract([]byte(html), "text/html", "https://example.org/"+name+"/")
		if err != nil {
			t.Fatal(err)
		}
		if p.Title != want {
			t.Errorf("%s: title %q, want %q", name, p.Title, want)
		}
	}
}

// TestDateOnlyInBodyTextIsNoDate: a page whose only date is one its text
// mentions ("the court ruled on 3 March 2019") states no publication date;
// taking that one would let whoever writes a page date it at will.
func TestDateOnlyInBodyTextIsNoDate(t *testing.T) {
	body := `<html><head><title>Microsoft and Musk argue again</title></head><body>
	<p>The long quarrel between Elon Musk and Microsoft took another turn this week, lawyers said.</p>
	<p>Microsoft admitted on 3 March 2019 that it took Twitter data, Musk said in a long statement to reporters.</p>
	<p>Neither side would say more about what happens next in the case.</p></body></html>`
	p, err := Extract([]byte(body), "text/html", "https://news.example.org/story")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Published.IsZero() {
		t.Errorf("dated %v (%s) from a date in the text", p.Published, p.DateSource)
	}
}

func TestImplausibleMetadataDates(t *testing.T) {
	for _, date := range []string{"2099-01-01T00:00:00Z", "1985-06-01T00:00:00Z", "1970-01-01T00:00:00Z"} {
		body := `<html><head><title>Musk and Microsoft argue</title><meta property="article:published_time" content="` + date + `"></head><body><p>Elon Musk and Microsoft argued about data again, both sides said on Monday.</p></body></html>`
		p, err := Extract([]byte(body), "text/html", "https://news.example.org/story")
		if err != nil {
			t.Fatal(err)
		}
		if !p.Published.IsZero() {
			t.Errorf("%s: dated %v", date, p.Published)
		}
	}
}
