package answer

import (
	"strings"
	"sync"

	snowball "github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/english"

	"github.com/disputebot/disputebot/internal/article"
	prose "github.com/disputebot/disputebot/internal/english"
)

// filler are the words of a question that say it is a question, or that
// any dispute would match: "what is going on between elon musk and
// openai", "who is suing openai", "latest news on the epic apple case".
// They are dropped before the words that remain rank entries and pick
// among disputes: kept, "going" became a search word that emptied a
// timeline. Words naming a step of a case (trial, ruling, settlement,
// appeal, fine) are not filler: they pick the entries a member wants.
var filler = wordSet(
	// question and connecting words
	"what", "whats", "who", "whom", "whose", "which", "why", "how", "when", "where",
	"is", "are", "was", "were", "be", "been", "being", "am",
	"do", "does", "did", "done", "doing", "has", "have", "had", "having",
	"can", "could", "would", "should", "will", "shall", "may", "might", "must",
	"the", "a", "an", "of", "to", "in", "on", "at", "by", "for", "from", "into", "onto",
	"with", "about", "between", "among", "against", "over", "under", "and", "or", "nor",
	"vs", "v", "versus", "than", "then", "so", "as", "if", "but",
	"i", "me", "my", "we", "us", "our", "you", "your", "he", "she", "it", "its",
	"they", "them", "their", "this", "that", "these", "those", "there", "here",
	"any", "anything", "all", "everything", "something", "some",
	"going", "go", "goes", "gone", "happening", "happened", "happen", "happens",
	"tell", "show", "give", "explain", "know", "please", "thanks", "hi", "hey",
	"now", "still", "yet", "today", "currently", "recently", "ever", "far", "up", "out",
	// any dispute is one of these
	"news", "latest", "update", "updates", "status", "story", "stories", "info", "information",
	"summary", "timeline", "history", "background", "overview", "thing", "things", "whole",
	"dispute", "disputes", "disputing", "feud", "feuding", "fight", "fighting", "beef", "battle",
	"battles", "clash", "row", "spat", "conflict", "drama", "saga", "legal", "law",
	"case", "cases", "lawsuit", "lawsuits", "suit", "suits", "sue", "sues", "sued", "suing",
	"litigation", "court", "courts", "vs.", "new", "recent", "current", "ongoing",
)

func wordSet(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// meaningful drops filler from the words a query left after its parties.
func meaningful(words []string) []string {
	var out []string
	for _, w := range words {
		if !filler[w] && len(w) > 1 {
			out = append(out, w)
		}
	}
	return out
}

// stem is a word's English stem, so "settle", "settled" and "settlement"
// meet, as do "licence", "licensing" and "licensed" (British spellings
// are folded first).
func stem(w string) string {
	w = strings.ToLower(w)
	if r, ok := british[w]; ok {
		w = r
	}
	env := snowball.NewEnv(w)
	english.Stem(env)
	s := env.Current()
	// Snowball keeps "settl" and "settlement" apart, and "licens" from
	// "licenc"; a few endings more bring word families together.
	for _, suffix := range []string{"ement", "ment"} {
		if strings.HasSuffix(s, suffix) && len(s)-len(suffix) >= 4 {
			s = strings.TrimSuffix(s, suffix)
			break
		}
	}
	return s
}

// british maps British spellings to the American ones the stemmer knows.
var british = map[string]string{"licence": "license", "licences": "licenses", "defence": "defense", "offence": "offense", "judgement": "judgment", "judgements": "judgments", "organisation": "organization", "monopolise": "monopolize", "monopolised": "monopolized", "favour": "favor", "labour": "labor"}

// stems is the set of stems of every word of s.
func stems(s string, into map[string]bool) map[string]bool {
	if into == nil {
		into = map[string]bool{}
	}
	for w := range prose.Words(s) {
		into[stem(w)] = true
	}
	return into
}

// disputeStems are the stems of each built-in dispute's words (title,
// background, headlines, summaries, outlets), each computed the first time
// a question with words needs them: stemming the whole corpus up front
// cost a fresh `ask` a fifth of its CPU, for disputes it never looked at.
type disputeStems struct {
	mu sync.Mutex
	of map[string]map[string]bool // dispute id -> stems
}

func (d *disputeStems) get(x *article.Dispute) map[string]bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if m, ok := d.of[x.ID]; ok {
		return m
	}
	m := stems(x.Title+" "+x.Background+" "+x.Kind, nil)
	for _, e := range x.Events {
		stems(e.Headline+" "+e.Summary, m)
	}
	if d.of == nil {
		d.of = map[string]map[string]bool{}
	}
	d.of[x.ID] = m
	return m
}

// wordHits counts how many of words (by stem) the stems hold.
func wordHits(words []string, have map[string]bool) int {
	n := 0
	for _, w := range words {
		if have[stem(w)] {
			n++
		}
	}
	return n
}
