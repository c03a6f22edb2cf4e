// Package summarise writes extractive summaries: it splits text into
// sentences and picks the few that carry the story, in their original order.
// It is deterministic and needs no network and no model, so the same article
// always gets the same summary.
package summarise

import (
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/neurosnap/sentences"
	"github.com/neurosnap/sentences/english"

	prose "github.com/disputebot/disputebot/internal/english"
)

var (
	tokOnce sync.Once
	tok     *sentences.DefaultSentenceTokenizer
	tokMu   sync.Mutex // the tokenizer keeps state while it runs
)

// Split breaks text into sentences. Paragraph breaks always end a sentence,
// since headings and captions carry no full stop.
func Split(text string) []string {
	tokOnce.Do(func() {
		t, err := english.NewSentenceTokenizer(nil)
		if err != nil {
			// The training data is embedded in the library; failing to load
			// it is a build defect, not a runtime condition.
			panic("summarise: loading the English sentence model: " + err.Error())
		}
		tok = t
	})
	var out []string
	for _, para := range strings.Split(text, "\n") {
		para = strings.Join(strings.Fields(para), " ")
		if para == "" {
			continue
		}
		tokMu.Lock()
		ss := tok.Tokenize(para)
		tokMu.Unlock()
		var sents []string
		for _, s := range ss {
			for _, t := range resplit(strings.TrimSpace(s.Text)) {
				if t != "" {
					sents = append(sents, t)
				}
			}
		}
		out = append(out, joinQuotes(sents)...)
	}
	return out
}

// joinQuotes rejoins sentences split inside a quotation: a quote of two
// sentences ("“We had no choice. We will appeal,” he said.") is one
// sentence of the text, and lifted out half of it ends on an open quote.
// A quote still open after three sentences is left as split: it is more
// likely a stray mark than a long quotation.
func joinQuotes(ss []string) []string {
	var out []string
	for i := 0; i < len(ss); i++ {
		s := ss[i]
		for j := 0; openQuote(s) && j < 3 && i+1 < len(ss); j++ {
			i++
			s += " " + ss[i]
		}
		out = append(out, s)
	}
	return out
}

// openQuote reports whether s opens a quotation it does not close.
func openQuote(s string) bool {
	return strings.Count(s, "“") > strings.Count(s, "”") || strings.Count(s, "\"")%2 == 1
}

// SplitSummary splits a summary this package wrote (whole sentences joined
// by spaces) without the sentence model: at a full stop, question or
// exclamation mark followed by a space and a capital, unless the word
// before is an abbreviation or initials. It is what answers use at query
// time, where the model would cost more than the rest of the answer.
func SplitSummary(s string) []string {
	var out []string
	for _, part := range resplit(strings.TrimSpace(s)) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// abbreviations end with a full stop that does not end a sentence.
var abbreviations = map[string]bool{"mr": true, "mrs": true, "ms": true, "dr": true, "st": true, "inc": true, "corp": true, "ltd": true, "co": true, "jr": true, "sr": true, "no": true, "vs": true, "v": true, "gov": true, "sen": true, "rep": true, "gen": true, "prof": true, "jan": true, "feb": true, "mar": true, "apr": true, "aug": true, "sept": true, "sep": true, "oct": true, "nov": true, "dec": true, "etc": true, "approx": true, "est": true}

// resplit splits where the sentence model missed a boundary after a figure
// ("$25.1bn. A lawyer said"): a full stop after a word that is not an
// abbreviation, followed by a space and a capital.
func resplit(s string) []string {
	var out []string
	start := 0
	for i := 0; i+2 < len(s); i++ {
		if s[i] != '.' && s[i] != '?' && s[i] != '!' || s[i+1] != ' ' || !('A' <= s[i+2] && s[i+2] <= 'Z' || s[i+2] == '"' || s[i+2] == '(') {
			continue
		}
		j := strings.LastIndexByte(s[:i], ' ') + 1
		word := s[j:i]
		if len(word) < 2 || strings.ContainsRune(word, '.') && !strings.ContainsAny(word, "0123456789") || abbreviations[strings.ToLower(strings.Trim(word, "\"'(“‘"))] {
			continue
		}
		last := word[len(word)-1]
		if 'A' <= last && last <= 'Z' {
			continue // initials and acronyms: "J. K. Rowling", "the U.S."
		}
		out = append(out, s[start:i+1])
		start = i + 2
	}
	return append(out, s[start:])
}

// boilerplate are phrases of sentences that belong to the page, not the
// story. Plain substrings of the lower-cased sentence: a regular expression
// of the same alternatives cost a sixth of all ingest time.
var boilerplate = []string{"subscribe", "sign up", "newsletter", "click here", "read more", "read next", "see also", "follow us",
	"all rights reserved", "cookie", "advertisement", "share this", "related:", "comments", "loading...", "log in", "terms of use",
	"terms of service", "privacy policy", "this article was", "this article has been", "photo:", "image:", "credit:", "getty images via",
	"©", "copyright 20"}

func isBoilerplate(s string) bool {
	l := strings.ToLower(s)
	for _, b := range boilerplate {
		if strings.Contains(l, b) {
			return true
		}
	}
	return false
}

// Options tunes a summary.
type Options struct {
	MaxSentences int // at most this many (default 2)
	MaxChars     int // and at most this many characters (default 320)
	// Weight adds to a sentence's score, e.g. for naming a party or a legal
	// step. Nil adds nothing.
	Weight func(sentence string) float64
	Title  string // sentences sharing words with the title score higher
}

// Scored is a sentence with the score Pick gave it.
type Scored struct {
	Index int
	Text  string
	Score float64
}

// Rank scores every sentence; boilerplate and fragments get no score.
func Rank(sents []string, o Options) []Scored {
	titleWords := contentWords(o.Title)
	out := make([]Scored, 0, len(sents))
	for i, s := range sents {
		sc := Scored{Index: i, Text: s}
		n := len(strings.Fields(s))
		if n >= 6 && n <= 70 && !isBoilerplate(s) && endsLikeSentence(s) {
			// News puts the story first: a lead bias that fades.
			sc.Score = 1.5 / (1 + float64(i)*0.35)
			if len(titleWords) > 0 {
				hit := 0
				for w := range contentWords(s) {
					if titleWords[w] {
						hit++
					}
				}
				sc.Score += 1.5 * float64(hit) / float64(len(titleWords))
			}
			if o.Weight != nil {
				sc.Score += o.Weight(s)
			}
			if n > 45 {
				sc.Score *= 0.7
			}
			if Dangling(s) && i > 0 {
				sc.Score *= 0.6
			}
			if openQuote(s) {
				// A quotation longer than joinQuotes rejoins: lifted out,
				// the sentence would end inside it.
				sc.Score = 0
			}
		}
		out = append(out, sc)
	}
	return out
}

// Pick chooses the best sentences within the limits and returns them in
// text order. It never cuts a sentence: one that does not fit is skipped.
func Pick(sents []string, o Options) []Scored {
	if o.MaxSentences == 0 {
		o.MaxSentences = 2
	}
	if o.MaxChars == 0 {
		o.MaxChars = 320
	}
	ranked := Rank(sents, o)
	sort.SliceStable(ranked, func(i, j int) bool { return ranked[i].Score > ranked[j].Score })
	var chosen []Scored
	used := 0
	for _, s := range ranked {
		if s.Score <= 0 || len(chosen) == o.MaxSentences {
			break
		}
		n := utf8.RuneCountInString(s.Text)
		if used > 0 {
			n++ // the space between sentences
		}
		if used+n > o.MaxChars {
			continue
		}
		chosen = append(chosen, s)
		used += n
	}
	sort.Slice(chosen, func(i, j int) bool { return chosen[i].Index < chosen[j].Index })
	return chosen
}

// Summarise returns a short summary of text: its best sentences joined, or
// "" when no sentence qualifies.
func Summarise(text string, o Options) string {
	chosen := Pick(Split(text), o)
	parts := make([]string, len(chosen))
	for i, s := range chosen {
		parts[i] = s.Text
	}
	return strings.Join(parts, " ")
}

// dangling are first words that lean on the sentence before: lifted out
// alone, "She threw out the claim" leaves the reader asking who.
var dangling = map[string]bool{"he": true, "she": true, "it": true, "they": true, "this": true, "that": true, "these": true, "those": true, "his": true, "her": true, "their": true, "its": true, "but": true, "however,": true, "also,": true}

// Dangling reports whether s opens with a word that needs the sentence
// before it.
func Dangling(s string) bool {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		s = s[:i]
	}
	return s != "" && dangling[strings.ToLower(s)]
}

func endsLikeSentence(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(strings.TrimRight(s, `"'”’)]`))
	return r == '.' || r == '!' || r == '?' || r == '…'
}

// stop are words too common to tie a sentence to a title.
var stop = map[string]bool{"the": true, "a": true, "an": true, "and": true, "or": true, "of": true, "to": true, "in": true, "on": true, "for": true, "with": true, "at": true, "by": true, "from": true, "is": true, "are": true, "was": true, "were": true, "be": true, "it": true, "its": true, "as": true, "that": true, "this": true, "has": true, "have": true, "had": true, "after": true, "over": true, "says": true, "said": true, "new": true}

func contentWords(s string) map[string]bool {
	m := map[string]bool{}
	for w := range prose.Words(s) {
		if len(w) > 2 && !stop[w] {
			m[w] = true
		}
	}
	return m
}

// Truncate cuts s to at most max characters at a sentence boundary when one
// falls in the second half, else at a word boundary, and marks the cut with
// an ellipsis. Text within the limit is returned as is.
func Truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	if max < 2 {
		return "…"
	}
	r := []rune(s)[:max-1]
	cut := string(r)
	if i := lastSentenceEnd(cut); i >= len(cut)/2 {
		return cut[:i]
	}
	if i := strings.LastIndexFunc(cut, unicode.IsSpace); i >= len(cut)/2 {
		cut = strings.TrimRightFunc(cut[:i], func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) })
	}
	return cut + "…"
}

func lastSentenceEnd(s string) int {
	best := -1
	for i, r := range s {
		if r == '.' || r == '!' || r == '?' {
			next := i + 1
			if next == len(s) || s[next] == ' ' || s[next] == '\n' {
				best = next
			}
		}
	}
	return best
}
