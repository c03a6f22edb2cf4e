// Package analyse reads an extracted article for what disputebot needs: the
// parties it is about, how much it is about a dispute, and a short
// extractive summary.
package analyse

import (
	"math"
	"strings"

	"github.com/disputebot/disputebot/internal/english"
	"github.com/disputebot/disputebot/internal/gazetteer"
	"github.com/disputebot/disputebot/internal/summarise"
)

// lexicon weighs the words that mark a dispute. Legal steps weigh more than
// words that also turn up in ordinary business news.
var lexicon = map[string]float64{
	"lawsuit": 2, "lawsuits": 2, "sue": 2, "sues": 2, "sued": 2, "suing": 2,
	"countersue": 2, "countersued": 2, "countersuit": 2, "litigation": 2,
	"antitrust": 2, "monopoly": 1.5, "monopolist": 1.5, "monopolies": 1.5,
	"anticompetitive": 1.5, "fine": 1, "fined": 2, "fines": 1, "penalty": 1.5,
	"ban": 1, "banned": 1, "bans": 1, "accuse": 1.5, "accuses": 1.5,
	"accused": 1.5, "accusing": 1.5, "accusation": 1.5, "allege": 1.5,
	"alleges": 1.5, "alleged": 1, "allegations": 1.5, "settle": 1.5,
	"settles": 1.5, "settled": 1.5, "settlement": 1.5, "court": 1.5,
	"courts": 1.5, "judge": 1.5, "ruling": 1.5, "ruled": 1.5, "complaint": 1.5,
	"injunction": 2, "appeal": 1.5, "appealed": 1.5, "appeals": 1.5,
	"regulator": 1, "regulators": 1, "probe": 1, "investigation": 1,
	"infringe": 2, "infringed": 2, "infringes": 2, "infringement": 2,
	"infringing": 2, "patent": 1, "patents": 1, "copyright": 1.5,
	"trial": 1.5, "verdict": 2, "jury": 2, "damages": 1.5, "dispute": 1.5,
	"disputes": 1, "feud": 1.5, "clash": 1, "threaten": 1, "threatens": 1,
	"threatened": 1, "subpoena": 2, "contempt": 2, "violate": 1,
	"violated": 1.5, "violation": 1.5, "violations": 1.5, "breach": 1.5,
	"plaintiff": 2, "plaintiffs": 2, "defendant": 2, "defendants": 2,
	"prosecutors": 1.5, "indicted": 2, "cease": 1, "desist": 1.5,
	"counterclaim": 2, "arbitration": 1.5, "objections": 1, "dma": 1,
	"gdpr": 1, "ftc": 1, "doj": 1,
}

// Weight is the dispute weight of a sentence: the sum of its lexicon words.
func Weight(s string) float64 {
	w := 0.0
	for word := range english.Words(s) {
		w += lexicon[word]
	}
	return w
}

// DisputeScore says, from 0 to 1, how much a piece is about a dispute: the
// weight of its dispute words, a title's counting three times, against its
// length, so a long feature mentioning one lawsuit scores low and a short
// court report scores high.
func DisputeScore(title, text string) float64 {
	n := 0
	for range english.Words(text) {
		n++
	}
	s := (3*Weight(title) + Weight(text)) / (1 + float64(n)/150)
	return math.Round((1-math.Exp(-s/3))*1000) / 1000
}

// Analysis is what the analyser found in one article.
type Analysis struct {
	Parties      []string
	DisputeScore float64
	Summary      string
}

// Analyser holds the gazetteer it reads parties with.
type Analyser struct {
	Gazetteer *gazetteer.Gazetteer
}

// Analyse reads one article. fallbackSummary (a feed's description, say)
// stands in when the text yields no sentence worth keeping.
func (a *Analyser) Analyse(title, text, fallbackSummary string) Analysis {
	ms := a.Gazetteer.Detect(title, text)
	parties := gazetteer.Salient(ms, len(strings.Fields(text)))
	weight := func(s string) float64 {
		w := 0.4 * Weight(s)
		for _, m := range a.Gazetteer.Detect("", s) {
			for _, p := range parties {
				if p == m.Party {
					w += 0.5
				}
			}
		}
		return w
	}
	summary := summarise.Summarise(text, summarise.Options{MaxSentences: 2, MaxChars: 320, Weight: weight, Title: title})
	if summary == "" {
		summary = summarise.Truncate(strings.Join(strings.Fields(fallbackSummary), " "), 320)
	}
	return Analysis{
		Parties:      parties,
		DisputeScore: DisputeScore(title, text),
		Summary:      summary,
	}
}

// PartiesIn lists every party a short text names (a headline and a
// summary), however often: in a text this short, one mention matters.
func (a *Analyser) PartiesIn(title, text string) []string {
	ms := a.Gazetteer.Detect(title, text)
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Party
	}
	return out
}
