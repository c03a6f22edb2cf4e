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
// index. It is kept by article, with the title and summary it was read
// from: an article whose title or summary changed since is read again,
// so what is kept is what the text alone gives, right for whoever asks,
// and a guild is only ever given parts of the texts its own answer
// holds. By article, not by text: looking up sixty texts by their bytes
// (a summary is a kilobyte) cost more than reading what was kept, and
// comparing a text with the one kept is free when both are the row the
// store keeps in memory. It is safe for concurrent use; the zero value
// is ready, and a nil *texts keeps nothing.
type texts struct {
	mu sync.Mutex
	of sized.Map[int64, textsOf]
}

// textsOf is what was read of one article's title and summary; each part
// is read when first needed (most reports are never compared by summary).
type textsOf struct {
	title, summary string
	titleWords     []string         // titleWords(title)
	summaryWords   []string         // titleWords(summary), when read
	cands          []candidateParts // candidates(summary, title), when read
	read           parts            // which are read
}

// parts are the parts of a textsOf.
type parts uint8

const (
	ofTitle parts = 1 << iota
	ofSummary
	ofSentences
)

// candidateParts are what bestSentence reads from one of a summary's
// first sentences, whoever asked.
type candidateParts struct {
	text   string
	lower  string   // text in lower case, for mentions
	words  []string // rankable(text), for rankHits
	weight float64  // analyse.Weight, capped at 3
	odd    bool     // too short or too long to quote well
	leans  bool     // Leans
}

// get returns part p of what article id's title and summary say, reading
// it when it is not kept.
func (t *texts) get(id int64, title, summary string, p parts) textsOf {
	if t == nil {
		return readParts(textsOf{title: title, summary: summary}, p)
	}
	t.mu.Lock()
	r, ok := t.of.Get(id)
	t.mu.Unlock()
	if !ok || r.title != title || r.summary != summary {
		// Not kept, or kept of an earlier title or summary.
		r = textsOf{title: title, summary: summary}
	} else if r.read&p == p {
		return r
	}
	r = readParts(r, p)
	t.mu.Lock()
	t.of.Put(id, r, r.size(), textBytes)
	t.mu.Unlock()
	return r
}

// readParts reads the parts p of r not read yet.
func readParts(r textsOf, p parts) textsOf {
	if p&ofTitle != 0 && r.read&ofTitle == 0 {
		r.titleWords = titleWords(r.title)
	}
	if p&ofSummary != 0 && r.read&ofSummary == 0 {
		r.summaryWords = titleWords(r.summary)
	}
	if p&ofSentences != 0 && r.read&ofSentences == 0 {
		r.cands = candidates(r.summary, r.title)
	}
	r.read |= p
	return r
}

// titleWords is titleWords(title) of article id.
func (t *texts) titleWords(id int64, title, summary string) []string {
	return t.get(id, title, summary, ofTitle).titleWords
}

// summaryWords is titleWords(summary) of article id.
func (t *texts) summaryWords(id int64, title, summary string) []string {
	return t.get(id, title, summary, ofSummary).summaryWords
}

// candidates are the parts of the sentences bestSentence may choose from
// for article id: the first three of its summary, else its title.
func (t *texts) candidates(id int64, title, summary string) []candidateParts {
	return t.get(id, title, summary, ofSentences).cands
}

// candidates works the candidates out: the first three sentences of the
// summary, else the title.
func candidates(summary, title string) []candidateParts {
	sents := summarise.SplitSummary(summary)
	if len(sents) == 0 && title != "" {
		sents = []string{title}
	}
	sents = sents[:min(len(sents), 3)]
	cs := make([]candidateParts, len(sents))
	for i, s := range sents {
		// Legal weight is capped so that a sentence about the parties
		// asked for outranks a heavier one about a side plot.
		n := utf8.RuneCountInString(s)
		lower := strings.ToLower(s)
		cs[i] = candidateParts{text: s, lower: lower, words: rankable(lower), weight: min(analyse.Weight(s), 3), odd: n > 350 || n < 20, leans: Leans(s)}
	}
	return cs
}

// size reckons the memory r holds when kept: its title and summary (the
// store's rows may be forgotten first), the words and sentences read,
// their headers, and the map's entry.
func (r textsOf) size() int {
	n := 160 + len(r.title) + len(r.summary) + 80*cap(r.cands)
	for _, ws := range [][]string{r.titleWords, r.summaryWords} {
		n += 16 * cap(ws)
		for _, w := range ws {
			n += len(w)
		}
	}
	for _, c := range r.cands {
		// Its words are parts of lower.
		n += len(c.text) + len(c.lower) + 16*cap(c.words)
	}
	return n
}
