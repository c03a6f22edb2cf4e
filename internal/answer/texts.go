package answer

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/disputebot/disputebot/internal/analyse"
	"github.com/disputebot/disputebot/internal/sized"
	"github.com/disputebot/disputebot/internal/summarise"
)

// textBytes bounds each of texts' maps, as wordsSize and partsSize
// reckon them: a title's words take a few hundred bytes, a summary's
// sentences a kilobyte or two, so some ten thousand summaries, every one
// a 10k corpus's answers read, or those of a few hundred questions.
const textBytes = 16 << 20

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
	words sized.Map[string, []string] // titleWords of a title or summary
	sents sized.Map[string, []candidateParts]
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
	ws, ok := t.words.Get(s)
	t.mu.Unlock()
	if ok {
		return ws
	}
	ws = titleWords(s)
	t.mu.Lock()
	t.words.Put(s, ws, wordsSize(s, ws), textBytes)
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
	cs, ok := t.sents.Get(summary)
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
	t.sents.Put(summary, cs, partsSize(summary, cs), textBytes)
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

// wordsSize reckons the memory the words of text s hold when kept: the
// text (its key), the words and their headers, and the map's entry.
func wordsSize(s string, ws []string) int {
	n := 64 + len(s)
	for _, w := range ws {
		n += 16 + len(w)
	}
	return n
}

// partsSize reckons the same of a summary's candidate sentences, each
// kept as written and in lower case.
func partsSize(summary string, cs []candidateParts) int {
	n := 64 + len(summary)
	for _, c := range cs {
		n += 64 + len(c.text) + len(c.lower)
	}
	return n
}
