package answer_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/gazetteer"
)

// TestEveryDisputeAnswersThreePhrasings asks about every built-in dispute
// in three ways a member would (the names, the names reversed with "vs",
// and an alias or ticker in place of a name) and checks each answer
// carries the dispute's own events with their links, and a summary citing
// them.
func TestEveryDisputeAnswersThreePhrasings(t *testing.T) {
	lib := sharedLib(t)
	g := lib.Gazetteer
	for _, d := range lib.Corpus.Disputes {
		t.Run(d.ID, func(t *testing.T) {
			p1, p2 := sides(g, d)
			phrasings := []string{
				p1.Name + " " + p2.Name,
				p2.Name + " vs " + p1.Name,
				nickname(p1) + " v. " + nickname(p2),
			}
			for _, q := range phrasings {
				a, err := lib.Engine.Ask(context.Background(), answer.Request{Query: q})
				if err != nil {
					t.Fatalf("%q: %v", q, err)
				}
				if !mentionsDispute(a, d) {
					t.Errorf("%q does not answer with %s's events (parties %v, %d entries)", q, d.ID, a.Parties, len(a.Entries))
				}
				if len(a.Summary) == 0 {
					t.Errorf("%q: no summary", q)
				}
			}
		})
	}
}

// sides picks two parties to ask about: those the title names ("A vs B"),
// else the first two.
func sides(g *gazetteer.Gazetteer, d article.Dispute) (article.Party, article.Party) {
	head, _, _ := strings.Cut(d.Title, ":")
	names := d.Parties
	if r := g.Resolve(head); len(r.Parties) >= 2 && subset(r.Parties, d.Parties) {
		names = r.Parties
	}
	a, _ := g.Party(names[0])
	b, _ := g.Party(names[len(names)-1])
	if len(names) == 1 {
		b = a
	}
	return a, b
}

// nickname is what people type for a party: a ticker, else its shortest
// alias of three letters or more, else its name.
func nickname(p article.Party) string {
	if len(p.Tickers) > 0 {
		return p.Tickers[0]
	}
	best := ""
	for _, a := range p.Aliases {
		if len(a) >= 3 && (best == "" || len(a) < len(best)) {
			best = a
		}
	}
	if best != "" {
		return best
	}
	return p.Name
}

func mentionsDispute(a *answer.Answer, d article.Dispute) bool {
	urls := map[string]bool{}
	for _, e := range d.Events {
		if u, err := article.CanonicalURL(e.URL); err == nil {
			urls[u] = true
		}
	}
	for _, e := range a.Entries {
		for _, s := range e.Sources {
			if urls[s.URL] {
				return true
			}
		}
	}
	return false
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
