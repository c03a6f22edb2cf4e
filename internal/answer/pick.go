package answer

import (
	"slices"
	"sort"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/gazetteer"
)

// maxDisputes is how many built-in disputes one answer covers.
const maxDisputes = 4

// choice is what the parties and words of a question point at among the
// built-in disputes.
type choice struct {
	disputes []article.Dispute // best first
	// wordless is set when words were asked and none of the parties'
	// disputes has any of them.
	wordless bool
	// others are the asked parties no chosen dispute names: they become
	// words that rank entries ("google epic supreme court").
	others []string
}

// candidate is one dispute and how well it answers.
type candidate struct {
	d      article.Dispute
	exact  int // asked parties the dispute names
	near   int // asked parties it names only through a related party (Instagram for Meta)
	lead   int // of the first two parties asked, how many it names
	titled int // asked parties its title's "A vs B" names
	words  int // asked words its texts hold, those in its title twice
}

// pick chooses the built-in disputes a question is about. A dispute
// qualifies by its parties: for one party asked, any dispute naming it;
// for several, the disputes naming the most of them, at least two, a
// product or subsidiary counting for its parent ("FTC vs Meta instagram
// whatsapp"). Among those, words pick: the disputes holding the most of
// them come first, and when words were asked and no qualifying dispute
// holds any, wordless says so. Ties go to the most recently active.
func (e *Engine) pick(g *gazetteer.Gazetteer, parties, words []string) choice {
	if len(parties) == 0 || e.Corpus == nil {
		return choice{}
	}
	// Each asked party's ties (its parent, its products), read from the
	// gazetteer once, not once per dispute.
	ties := make([]map[string]bool, len(parties))
	for i, p := range parties {
		ties[i] = e.partyTies(g, p)
	}
	var cands []candidate
	for _, d := range e.Corpus.Disputes {
		c := candidate{d: d}
		for i, p := range parties {
			switch {
			case slices.Contains(d.Parties, p):
				c.exact++
				if i < 2 {
					c.lead++
				}
			case tiedTo(ties[i], d.Parties):
				c.near++
			}
		}
		need := 2
		if len(parties) == 1 {
			need = 1
		}
		if c.exact == 0 || c.exact+c.near < need {
			continue
		}
		for _, p := range e.titleParties(g, d.Title) {
			if slices.Contains(parties, p) {
				c.titled++
			}
		}
		if len(words) > 0 {
			c.words = wordHits(words, e.stems.get(&d)) + wordHits(words, stems(d.Title, nil))
		}
		cands = append(cands, c)
	}
	if len(cands) == 0 {
		return choice{}
	}
	// Parties first (how many the dispute names, then how many exactly),
	// then the words asked, then how plainly the dispute is theirs (its
	// title names them: "musk openai" is Elon Musk vs OpenAI, not one of
	// the disputes naming OpenAI among others), then the most recent.
	key := func(c candidate) [5]int {
		return [5]int{c.exact + c.near, c.exact, c.words, c.titled, c.lead}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		ki, kj := key(cands[i]), key(cands[j])
		if ki != kj {
			for n := range ki {
				if ki[n] != kj[n] {
					return ki[n] > kj[n]
				}
			}
		}
		if a, b := cands[i].d.LastActive(), cands[j].d.LastActive(); a != b {
			return a > b
		}
		return cands[i].d.ID < cands[j].d.ID
	})
	// Every dispute kept answers as well as the best, recency aside: one
	// party's disputes all do, two parties' usually one.
	best := cands[0]
	var out choice
	for _, c := range cands {
		if key(c) != key(best) {
			break
		}
		out.disputes = append(out.disputes, c.d)
		if len(out.disputes) == maxDisputes {
			break
		}
	}
	out.wordless = len(words) > 0 && best.words == 0
	for i, p := range parties {
		named := false
		for _, d := range out.disputes {
			if slices.Contains(d.Parties, p) || tiedTo(ties[i], d.Parties) {
				named = true
				break
			}
		}
		if !named {
			out.others = append(out.others, p)
		}
	}
	return out
}

// related are the parties p is tied to in the gazetteer, either way
// round, a product or subsidiary and its parent: companies and the like,
// not people.
func related(g *gazetteer.Gazetteer, p string) map[string]bool {
	out := map[string]bool{}
	pp, ok := g.Party(p)
	if !ok || pp.Kind == article.Person {
		return out
	}
	for _, r := range pp.Related {
		if rp, ok := g.Party(r); ok && rp.Kind != article.Person {
			out[r] = true
		}
	}
	for _, q := range g.RelatedTo(p) {
		if qp, ok := g.Party(q); ok && qp.Kind != article.Person {
			out[q] = true
		}
	}
	return out
}

// tiedTo reports whether any of parties is in ties.
func tiedTo(ties map[string]bool, parties []string) bool {
	for _, p := range parties {
		if ties[p] {
			return true
		}
	}
	return false
}
