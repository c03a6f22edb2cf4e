package answer

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/disputebot/disputebot/internal/analyse"
	"github.com/disputebot/disputebot/internal/summarise"
)

// maxTexts bounds each of texts' maps: about a kilobyte a text (after
// 1,797 different questions at 10k the two maps held 5 MB).
const maxTexts = 4096

// texts remembers what the timeline and the summary read from an
// article's title and summary, which is the same at every answer that
// shows the article: splitting and reading the words of some sixty
// titles and summaries cost an answer a quarter of its time outside the
// index. Each is worked out from the text alone and kept under the text
// itself, so it is right for whoever asks, and a guild is only ever
// given parts of the texts its own answer holds. It is safe for
// concurrent use; the zero value is ready, and a nil *texts keeps
// nothing.
type texts struct {
	mu    sync.Mutex
	words map[string][]string // titleWords of a title or summary
	sents map[string][]candidateParts
}

// candidateParts are what bestSentence reads from one of a summary's
// first sentences, whoever asked.
type candidateParts struct {
	text   string
	lower  string  // text in lower case, for mentions
	weight float64 // analyse.Weight, capped at 3
	odd    bool    // too short or too long to quote well
	leans  bool    // Leans
}

// titleWords is titleWords(s), kept.
func (t *texts) titleWords(s string) []string {
	if t == nil {
		return titleWords(s)
	}
	t.mu.Lock()
	ws, ok := t.words[s]
	t.mu.Unlock()
	if ok {
		return ws
	}
	ws = titleWords(s)
	t.mu.Lock()
	t.words = keep(t.words, s, ws)
	t.mu.Unlock()
	return ws
}

// candidates are the parts of the sentences bestSentence may choose from
// for an entry: the first three of its summary, else its title.
func (t *texts) candidates(summary, title string) []candidateParts {
	if t == nil {
		cs, _ := candidates(summary, title)
		return cs
	}
	t.mu.Lock()
	cs, ok := t.sents[summary]
	t.mu.Unlock()
	if ok {
		return cs
	}
	cs, ofTitle := candidates(summary, title)
	if ofTitle {
		// Parts of the title, not of the summary: not kept under it.
		return cs
	}
	t.mu.Lock()
	t.sents = keep(t.sents, summary, cs)
	t.mu.Unlock()
	return cs
}

// candidates works the candidates out; ofTitle says they are the
// title's, the summary having none.
func candidates(summary, title string) (cs []candidateParts, ofTitle bool) {
	sents := summarise.SplitSummary(summary)
	if len(sents) == 0 && title != "" {
		sents, ofTitle = []string{title}, true
	}
	sents = sents[:min(len(sents), 3)]
	cs = make([]candidateParts, len(sents))
	for i, s := range sents {
		// Legal weight is capped so that a sentence about the parties
		// asked for outranks a heavier one about a side plot.
		n := utf8.RuneCountInString(s)
		cs[i] = candidateParts{text: s, lower: strings.ToLower(s), weight: min(analyse.Weight(s), 3), odd: n > 350 || n < 20, leans: Leans(s)}
	}
	return cs, ofTitle
}

// keep adds k to m, first making room when m is full: any entry will do,
// as which articles are asked about again is not known here (and map
// order is random).
func keep[V any](m map[string]V, k string, v V) map[string]V {
	if m == nil {
		m = make(map[string]V)
	}
	if len(m) >= maxTexts {
		for old := range m {
			delete(m, old)
			break
		}
	}
	m[k] = v
	return m
}
