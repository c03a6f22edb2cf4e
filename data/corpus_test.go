package data

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/disputebot/disputebot/internal/article"
)

// TestCorpusIsValid is the gate every contributed dispute passes.
func TestCorpusIsValid(t *testing.T) {
	c, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range c.Validate(time.Now()) {
		t.Error(err)
	}
	events := 0
	for _, d := range c.Disputes {
		events += len(d.Events)
	}
	aliases := 0
	for _, p := range c.Parties {
		aliases += len(p.Aliases) + len(p.Tickers)
	}
	t.Logf("corpus: %d disputes, %d events, %d parties, %d aliases and tickers", len(c.Disputes), events, len(c.Parties), aliases)
}

// TestValidateCatchesWhatReviewersCaught: each rule the reviewers of the
// corpus enforced by hand now fails a copy of a real dispute broken that
// way.
func TestValidateCatchesWhatReviewersCaught(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, want string
		breakIt    func(d *article.Dispute)
	}{
		{"status date of no event", "is the date of none of its events", func(d *article.Dispute) { d.StatusDate = "2001-01-01" }},
		{"tracking parameter", "tracking parameter", func(d *article.Dispute) { d.Events[0].URL += "?utm_source=rss" }},
		{"rss feed id", "tracking parameter", func(d *article.Dispute) { d.Events[0].URL += "?feed_id=12&x=1" }},
		{"syndicator named as outlet", "names the site that syndicated", func(d *article.Dispute) {
			d.Events[0].URL, d.Events[0].Outlet = "https://finance.yahoo.com/news/some-story-123.html", "Yahoo Finance"
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := c.Disputes[0]
			d.Events = append([]article.Event(nil), d.Events...)
			tt.breakIt(&d)
			broken := &Corpus{Parties: c.Parties, Disputes: []article.Dispute{d}}
			var found bool
			for _, err := range broken.Validate(time.Now()) {
				found = found || strings.Contains(err.Error(), tt.want)
			}
			if !found {
				t.Errorf("no error saying %q", tt.want)
			}
		})
	}
}

// TestEveryDisputeIsFoundByItsID: Dispute finds each dispute, whatever
// the order of the files they came from.
func TestEveryDisputeIsFoundByItsID(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range c.Disputes {
		if got, ok := c.Dispute(d.ID); !ok || got.ID != d.ID {
			t.Errorf("Dispute(%q) found %q, %v", d.ID, got.ID, ok)
		}
	}
	if _, ok := c.Dispute("no-such-dispute"); ok {
		t.Error("an unknown id was found")
	}
}

// TestGeneratedIsCurrent: the corpus compiled in is the JSON files as
// they are, so an edited dispute is answered only once it is generated.
func TestGeneratedIsCurrent(t *testing.T) {
	want, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatal("data/corpus_gen.go is not the JSON files as they are: run go generate ./data")
	}
}

// TestLoadReturnsACopy: what one caller changes, the next does not see.
func TestLoadReturnsACopy(t *testing.T) {
	a, _ := Load()
	a.Disputes[0].Events[0].Headline = "changed"
	a.Disputes[0].Parties[0] = "changed"
	a.Parties[0].Aliases = append(a.Parties[0].Aliases[:0], "changed")
	b, _ := Load()
	if b.Disputes[0].Events[0].Headline == "changed" || b.Disputes[0].Parties[0] == "changed" || slices.Contains(b.Parties[0].Aliases, "changed") {
		t.Error("a change to one loaded corpus shows in the next")
	}
}

// BenchmarkLoad: what every process pays at start for the corpus, as
// compiled in (Load) and as decoded from its JSON (Embedded, what it paid
// before corpus_gen.go):
//
//	go test -run '^$' -bench Load -benchmem ./data
func BenchmarkLoad(b *testing.B) {
	for _, bc := range []struct {
		name string
		load func() (*Corpus, error)
	}{{"compiled", Load}, {"json", Embedded}} {
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				if _, err := bc.load(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
