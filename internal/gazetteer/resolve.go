package gazetteer

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// connectors join the parties of a query and carry no meaning of their own:
// "musk vs microsoft", "elon v. microsoft", "musk and microsoft".
var connectors = set("vs", "v", "versus", "and", "against", "with", "between",
	"the", "of", "over", "on", "about", "in", "a", "an", "to", "for", "or",
	"dispute", "disputes", "feud", "fight", "beef", "what", "whats", "is",
	"happening", "news", "latest", "update", "updates", "tell", "me", "show")

// noTypo are common words that must never be "corrected" into a party:
// "data" is not a typo of "meta", nor "suit" of "sui".
var noTypo = set("data", "case", "suit", "sued", "sues", "fine", "fined",
	"fines", "deal", "deals", "court", "judge", "trial", "rule", "ruled",
	"ruling", "ban", "banned", "app", "apps", "store", "stores", "phone",
	"search", "patent", "patents", "music", "games", "game", "chips", "chip",
	"cloud", "model", "models", "train", "trained", "training", "news", "media",
	"times", "post", "posts", "pay", "package", "tax", "taxes", "fees", "fee",
	"ads", "adtech", "market", "markets", "share", "shares", "stock", "stocks",
	"union", "open", "source", "apple", "meta", "books", "book", "authors",
	"author", "writer", "writers", "price", "prices", "pricing", "crawl",
	"crawler", "crawlers", "crawling", "watch", "watches", "speaker", "speakers",
	"outage", "update", "plugin", "copyright", "antitrust", "lawsuit", "lawsuits",
	"probe", "merger", "takeover", "acquisition", "monopoly", "settle",
	"settled", "settlement", "appeal", "appeals", "verdict", "jury", "damages",
	"claim", "claims", "policy", "privacy", "license", "licence", "licensing",
	"royalty", "royalties", "engine", "runtime", "drivers", "driver", "driving",
	"self", "robot", "robots", "bots", "bot", "emails", "email", "chat", "video",
	"videos", "stream", "streaming", "sale", "sales", "ban", "block", "blocked")

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// Resolution is what a query means: the parties it names, in the order
// typed, and the words that named no party.
type Resolution struct {
	Parties []string // canonical names, without repeats
	Words   []string // folded words that matched no party (connectors dropped)
	// Corrections maps a mistyped word to the name it was read as, so the
	// answer can say "showing results for Microsoft".
	Corrections map[string]string
}

// Resolve reads a query. Order, case, punctuation, connectors ("vs", "v.",
// "versus", "and"), aliases and tickers do not matter; one typo per word of
// five letters or more (or two swapped letters in a four-letter word) is
// forgiven.
func (g *Gazetteer) Resolve(query string) Resolution {
	toks := tokenize(query)
	var r Resolution
	seen := map[int]bool{}
	addParty := func(p int) {
		if !seen[p] {
			seen[p] = true
			r.Parties = append(r.Parties, g.parties[p].Name)
		}
	}
	for i := 0; i < len(toks); {
		// A connector is a connector even where a one-word name spells it
		// ("v" is Visa's ticker), but a longer name may contain one
		// ("procter and gamble").
		if p, n := g.exact(toks[i:]); n > 1 || n == 1 && !connectors[toks[i].fold] {
			addParty(p)
			i += n
			continue
		}
		w := toks[i].fold
		if connectors[w] {
			i++
			continue
		}
		if p, n := g.typo(toks[i:]); n > 0 {
			addParty(p)
			if r.Corrections == nil {
				r.Corrections = map[string]string{}
			}
			typed := make([]string, n)
			for j := range typed {
				typed[j] = toks[i+j].orig
			}
			r.Corrections[strings.Join(typed, " ")] = g.parties[p].Name
			i += n
			continue
		}
		r.Words = append(r.Words, w)
		i++
	}
	return r
}

// exact finds the longest name starting at toks[0]. A ticker of one or
// two letters ("V", "U") counts only when typed in capitals: in lower case
// it is more likely a stray letter than a stock.
func (g *Gazetteer) exact(toks []token) (party, n int) {
	for l := min(g.first[toks[0].fold], len(toks)); l >= 1; l-- {
		es, ok := g.names[joinFold(toks[:l])]
		if !ok {
			continue
		}
		for _, e := range es {
			if e.ticker && l == 1 && len(toks[0].fold) <= 2 && !isUpper(toks[0].orig) {
				continue
			}
			return e.party, l
		}
	}
	return -1, 0
}

func joinFold(toks []token) string {
	if len(toks) == 1 {
		return toks[0].fold
	}
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = t.fold
	}
	return strings.Join(parts, " ")
}

// typo finds a name that toks[0] (or toks[0:2]) spells with one mistake per
// word. Ties go to the alphabetically first name, so the answer is stable.
func (g *Gazetteer) typo(toks []token) (party, n int) {
	// Two-word names first, so "satya nadela" finds Satya Nadella.
	if len(toks) >= 2 && (typoable(toks[0].fold) != 0 || typoable(toks[1].fold) != 0) {
		if p, ok := g.typoKey(toks[0].fold+" "+toks[1].fold, 2); ok {
			return p, 2
		}
	}
	if typoable(toks[0].fold) == 0 {
		return -1, 0
	}
	if p, ok := g.typoKey(toks[0].fold, 1); ok {
		return p, 1
	}
	return -1, 0
}

// typoable says how a word may be corrected: 0 not at all, 1 only by
// swapping two neighbouring letters, 2 by any single edit.
func typoable(w string) int {
	if noTypo[w] || connectors[w] {
		return 0
	}
	switch n := utf8.RuneCountInString(w); {
	case n >= 5:
		return 2
	case n == 4:
		return 1
	}
	return 0
}

func (g *Gazetteer) typoKey(typed string, words int) (int, bool) {
	typedWords := strings.Split(typed, " ")
	var best []string
	if words == 1 {
		n := utf8.RuneCountInString(typed)
		for _, l := range []int{n - 1, n, n + 1} {
			for _, k := range g.single[l] {
				if closeEnough(typed, k) {
					best = append(best, k)
				}
			}
		}
	} else {
		for k := range g.names {
			kw := strings.Split(k, " ")
			if len(kw) != words {
				continue
			}
			ok, edited := true, false
			for i := range kw {
				if kw[i] == typedWords[i] {
					continue
				}
				if !closeEnough(typedWords[i], kw[i]) {
					ok = false
					break
				}
				edited = true
			}
			if ok && edited {
				best = append(best, k)
			}
		}
	}
	if len(best) == 0 {
		return -1, false
	}
	sort.Strings(best)
	return g.names[best[0]][0].party, true
}

// closeEnough reports whether typed is one allowed mistake away from name.
func closeEnough(typed, name string) bool {
	switch typoable(typed) {
	case 2:
		return editDistance(typed, name, 1) <= 1
	case 1:
		return isSwap(typed, name)
	}
	return false
}

// isSwap reports whether a and b differ only by two neighbouring letters
// swapped ("msuk" and "musk").
func isSwap(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	if len(ra) != len(rb) {
		return false
	}
	for i := 0; i < len(ra)-1; i++ {
		if ra[i] != rb[i] {
			return ra[i] == rb[i+1] && ra[i+1] == rb[i] && string(ra[i+2:]) == string(rb[i+2:])
		}
	}
	return false
}

// editDistance is the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and swaps of neighbours), giving up
// early once it exceeds limit.
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// Suggest returns up to n canonical names closest to the words typed, for
// "did you mean" when nothing matched: names sharing a word prefix first,
// then names within two edits.
func (g *Gazetteer) Suggest(words []string, n int) []string {
	type cand struct {
		name  string
		score int
	}
	best := map[int]int{}
	for _, w := range words {
		if len(w) < 3 || connectors[w] {
			continue
		}
		limit := 1
		if utf8.RuneCountInString(w) > 5 {
			limit = 2
		}
		for k, es := range g.names {
			score := 0
			switch {
			case len(w) >= 4 && (strings.HasPrefix(k, w) || strings.Contains(" "+k, " "+w)):
				score = 3
			case editDistance(w, k, limit) <= limit:
				score = 2
			default:
				continue
			}
			p := es[0].party
			if score > best[p] {
				best[p] = score
			}
		}
	}
	cands := make([]cand, 0, len(best))
	for p, s := range best {
		cands = append(cands, cand{g.parties[p].Name, s})
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].score != cands[j].score {
			return cands[i].score > cands[j].score
		}
		return cands[i].name < cands[j].name
	})
	out := []string{}
	for i := 0; i < len(cands) && i < n; i++ {
		out = append(out, cands[i].name)
	}
	return out
}
