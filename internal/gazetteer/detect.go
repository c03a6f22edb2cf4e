package gazetteer

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Mention is a party found in an article, with how often and where.
type Mention struct {
	Party   string
	Count   int
	InTitle bool
	First   int // index of the first word that named it, in title+text order
}

// Detect finds the parties an article names. Text is stricter than a query:
// no typo is forgiven; a one-word name must be capitalised ("Apple", not
// "apple"); names of three letters or fewer and tickers must be in capitals
// ("EU", "MSFT"); a single-letter alias ("x") never counts on its own,
// because prose is full of them.
func (g *Gazetteer) Detect(title, text string) []Mention {
	found := map[int]*Mention{}
	named := map[int]bool{} // parties named by something other than a plain word
	pos := 0
	scan := func(s string, inTitle bool) {
		toks := tokenize(s)
		for i := 0; i < len(toks); {
			p, n := g.detectAt(toks[i:])
			if n == 0 {
				i++
				continue
			}
			if n > 1 || !plainWords[toks[i].fold] {
				named[p] = true
			}
			m := found[p]
			if m == nil {
				m = &Mention{Party: g.parties[p].Name, First: pos + i}
				found[p] = m
			}
			m.Count++
			m.InTitle = m.InTitle || inTitle
			i += n
		}
		pos += len(toks)
	}
	scan(title, true)
	scan(text, false)
	out := make([]Mention, 0, len(found))
	for p, m := range found {
		if named[p] {
			out = append(out, *m)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].First < out[j].First
	})
	return out
}

// plainWords are aliases that are also ordinary words: "Steam" names
// Valve's store, and a game "released on Steam" is not about Valve. In
// prose such an alias counts only beside another of the party's names.
var plainWords = set("steam", "apollo", "juniper", "delta", "authors", "writers", "artists",
	"illustrators", "inflection", "kent", "treasury", "congress", "senate", "pentagon")

// detectAt finds the longest name at toks[0] that prose may use.
func (g *Gazetteer) detectAt(toks []token) (party, n int) {
	longest, ok := g.first[toks[0].fold]
	if !ok {
		return -1, 0
	}
	for l := min(longest, len(toks)); l >= 1; l-- {
		k := joinFold(toks[:l])
		es, ok := g.names[k]
		if !ok {
			continue
		}
		for _, e := range es {
			if g.proseMatch(k, e, toks[:l]) {
				return e.party, l
			}
		}
	}
	return -1, 0
}

func (g *Gazetteer) proseMatch(k string, e entry, toks []token) bool {
	orig := toks[0].orig
	if len(toks) > 1 {
		parts := make([]string, len(toks))
		for i, t := range toks {
			parts[i] = t.orig
		}
		orig = strings.Join(parts, " ")
	}
	letters := utf8.RuneCountInString(strings.ReplaceAll(k, " ", ""))
	switch {
	case letters <= 1:
		return false
	case e.ticker || letters <= 3:
		return isUpper(orig)
	case len(toks) == 1:
		return isCapitalised(orig)
	default:
		// A multi-word name: its first word capitalised is enough ("Epic
		// Games", "European Commission"; not "epic games night").
		return isCapitalised(toks[0].orig)
	}
}

// Salient keeps the mentions an article is about rather than one it passes
// by: named in the title, or named at least twice, or named once in a short
// text. The result is in order of prominence.
func Salient(ms []Mention, textWords int) []string {
	var out []string
	for _, m := range ms {
		if m.InTitle || m.Count >= 2 || textWords < 120 {
			out = append(out, m.Party)
		}
	}
	return out
}
