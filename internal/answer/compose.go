package answer

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/disputebot/disputebot/internal/article"
	prose "github.com/disputebot/disputebot/internal/english"
	"github.com/disputebot/disputebot/internal/summarise"
)

// foldWindow is how far apart two reports of one story may be dated: a
// wire story runs over a day or two.
const foldWindow = 3 * 24 * time.Hour

// timeline turns matching articles into entries, oldest first, folding
// reports of the same story (dated within a few days, titles sharing most
// of their words) into one entry with several sources. When there are more
// than max entries the newest max are kept.
func timeline(t *texts, arts []*article.Article, max int) []Entry {
	arts = onePerAddress(arts)
	slices.SortFunc(arts, func(a, b *article.Article) int {
		if c := a.Date().Compare(b.Date()); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	// A group is one story: its reports, first to last, and the words
	// of its first report, read when first compared (a report alone on
	// its days is never compared).
	type group struct {
		rep, first          *article.Article // rep speaks for the story
		more                []*article.Article
		words, detail       []string // of the first's title and summary
		readWords, readDetl bool
	}
	words := func(g *group) []string {
		if !g.readWords {
			g.words, g.readWords = t.titleWords(g.first.ID, g.first.Title, g.first.Summary), true
		}
		return g.words
	}
	details := func(g *group) []string {
		if !g.readDetl {
			g.detail, g.readDetl = t.summaryWords(g.first.ID, g.first.Title, g.first.Summary), true
		}
		return g.detail
	}
	groups := make([]group, 0, len(arts))
	for _, a := range arts {
		ng := group{rep: a, first: a}
		into := -1
		for i := len(groups) - 1; i >= 0; i-- {
			g := &groups[i]
			if a.Date().Sub(g.rep.Date()) > foldWindow {
				break
			}
			sameDay := a.Date().Truncate(24 * time.Hour).Equal(g.rep.Date().Truncate(24 * time.Hour))
			if sameStory(words(g), words(&ng), 3, 0.6) || sameStory(details(g), details(&ng), 8, 0.4) || sameDay && sameStory(details(g), details(&ng), 6, 0.3) {
				into = i
				break
			}
		}
		if into < 0 {
			groups = append(groups, ng)
			continue
		}
		g := &groups[into]
		g.more = append(g.more, a)
		// A curated corpus entry speaks for the story: its headline and
		// summary were written for the timeline.
		if a.Curated && !g.rep.Curated {
			g.rep = a
		}
	}
	if len(groups) > max {
		groups = groups[len(groups)-max:]
	}
	entries := make([]Entry, len(groups))
	for i := range groups {
		g := &groups[i]
		e := Entry{N: i + 1, Date: g.rep.Date(), Title: g.rep.Title, URL: g.rep.URL, Outlet: outlet(g.rep), Summary: g.rep.Summary, id: g.rep.ID}
		e.Sources = make([]Source, 1, 1+len(g.more))
		e.Sources[0] = Source{Outlet: e.Outlet, URL: e.URL, Title: e.Title}
		for k := -1; k < len(g.more); k++ {
			a := g.first
			if k >= 0 {
				a = g.more[k]
			}
			e.Disputes = appendNew(e.Disputes, a.Disputes...)
			e.aboutDispute = e.aboutDispute || isDispute(a) && !a.Mention
			if a != g.rep {
				e.Sources = append(e.Sources, Source{Outlet: outlet(a), URL: a.URL, Title: a.Title})
			}
		}
		entries[i] = e
	}
	return entries
}

// onePerAddress keeps one article per address: a guild that both added a
// page as a source and follows a feed claiming another date for it sees
// the page and its own version of it. The page wins, as what the outlet
// itself says.
func onePerAddress(arts []*article.Article) []*article.Article {
	// Pages alone (no guild's own version) have one address each: the
	// store keeps one page per address.
	if !slices.ContainsFunc(arts, func(a *article.Article) bool { return a.Owner != "" }) {
		return slices.Clone(arts)
	}
	at := make(map[string]int, len(arts))
	out := arts[:0:0]
	for _, a := range arts {
		i, dup := at[a.URL]
		switch {
		case !dup:
			at[a.URL] = len(out)
			out = append(out, a)
		case out[i].Owner != "" && a.Owner == "":
			out[i] = a
		}
	}
	return out
}

func outlet(a *article.Article) string {
	if a.Site != "" {
		return a.Site
	}
	return "unknown outlet"
}

// titleStop are words that say nothing about which story a title tells.
var titleStop = map[string]bool{"the": true, "a": true, "an": true, "and": true, "or": true, "of": true, "to": true, "in": true, "on": true, "for": true, "with": true, "at": true, "by": true, "from": true, "is": true, "are": true, "was": true, "its": true, "as": true, "over": true, "after": true, "says": true, "said": true, "new": true, "it": true, "be": true, "that": true, "this": true, "his": true, "her": true, "their": true, "will": true, "has": true, "have": true, "vs": true,
	"he": true, "she": true, "they": true, "had": true, "than": true, "more": true, "into": true, "not": true,
	"such": true, "also": true, "who": true, "which": true, "would": true, "could": true, "been": true,
	"but": true, "them": true, "we": true, "our": true, "were": true, "about": true, "up": true}

// titleWords are the distinct words of s that tell stories apart, sorted
// so that two sets compare in one pass: a timeline compares each report
// with the stories of the days before it, and sets built as maps cost
// more than the comparing.
func titleWords(s string) []string {
	var ws []string
	for w := range prose.Words(s) {
		w = strings.TrimSuffix(w, "s")
		if len(w) > 1 && !titleStop[w] {
			ws = append(ws, w)
		}
	}
	slices.Sort(ws)
	return slices.Compact(ws)
}

// sameStory compares two titles (or summaries) by the share of the shorter
// one's words the longer one also has, needing at least minShared: reports
// of one story reword it but keep its nouns and figures.
func sameStory(a, b []string, minShared int, share float64) bool {
	if min(len(a), len(b)) < max(minShared, 1) {
		return false
	}
	shared := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch c := strings.Compare(a[i], b[j]); {
		case c < 0:
			i++
		case c > 0:
			j++
		default:
			shared++
			i++
			j++
		}
	}
	small := min(len(a), len(b))
	return shared >= minShared && float64(shared)/float64(small) >= share
}

// summaryChars bounds the summary so it sits above the timeline in one
// embed description with room to spare.
const summaryChars = 1000

// candidate sentences of an entry, with their scores.
type sentence struct {
	entry int
	text  string
	score float64
	leans bool
}

// bestSentence is an entry's best sentence for a summary: weighty, about
// the parties asked, holding the words asked, and one that stands alone:
// a sentence that leans on the one before it ("Then…", "The court…", a
// surname never introduced) comes only when nothing else does. names
// are the parties' lastWords.
func bestSentence(t *texts, i int, e Entry, names []string, rank map[string]bool) sentence {
	best := sentence{entry: i, score: -100}
	for j, c := range t.candidates(e.id, e.Title, e.Summary) {
		sc := c.weight + 1.0/float64(1+j) + mentions(c.lower, names)
		if c.odd {
			sc -= 2
		}
		if c.leans {
			sc -= 3
		}
		sc += 1.5 * float64(rankHits(c.words, rank))
		if sc > best.score {
			best = sentence{entry: i, text: c.text, score: sc, leans: c.leans}
		}
	}
	return best
}

// rankHits counts the words whose stems are in rank. Only a word that
// begins like one of the stems is stemmed: stemming every word of every
// candidate sentence cost more than the rest of the summary.
func rankHits(words []string, rank map[string]bool) int {
	if len(rank) == 0 {
		return 0
	}
	n := 0
	for _, w := range words {
		for st := range rank {
			if strings.HasPrefix(w, st[:min(len(st), 3)]) {
				if rank[stem(w)] {
					n++
				}
				break
			}
		}
	}
	return n
}

// rankable are the words of s rankHits reads: those of three letters or
// more, in lower case.
func rankable(s string) []string {
	var ws []string
	for w := range prose.Words(s) {
		if len(w) >= 3 {
			ws = append(ws, w)
		}
	}
	return ws
}

// summary picks two to four sentences from the entries' summaries: how
// it began (the first entry), how it stands (the last), and the weightiest
// steps between (rulings, fines, verdicts), each citing its entry. Words
// asked rank the steps between. Entries that are not about a dispute (a
// review that names both companies) are never quoted, and the summary
// never opens with a sentence that leans on an earlier one.
func summary(t *texts, entries []Entry, parties, words []string) []Sentence {
	var usable []int
	for i, e := range entries {
		if e.aboutDispute {
			usable = append(usable, i)
		}
	}
	if len(usable) == 0 {
		return nil
	}
	rank := stems(strings.Join(words, " "), nil)
	names := lastWords(parties)
	best := make([]sentence, len(entries))
	for _, i := range usable {
		best[i] = bestSentence(t, i, entries[i], names, rank)
	}
	first, last := usable[0], usable[len(usable)-1]
	// The opening must stand alone: the first entry whose sentence does.
	for _, i := range usable {
		if !best[i].leans && best[i].text != "" {
			first = i
			break
		}
	}
	picked := map[int]bool{first: true, last: true}
	want := 4
	if len(usable) == 1 {
		want = 1
	}
	middle := make([]sentence, 0, len(usable))
	for _, i := range usable {
		if i != first && i != last {
			middle = append(middle, best[i])
		}
	}
	sort.SliceStable(middle, func(i, j int) bool { return middle[i].score > middle[j].score })
	for _, c := range middle {
		if len(picked) >= want {
			break
		}
		picked[c.entry] = true
	}
	order := make([]int, 0, len(picked))
	for i := range picked {
		order = append(order, i)
	}
	sort.Ints(order)
	var out []Sentence
	used := 0
	seen := map[string]bool{}
	for _, i := range order {
		c := best[i]
		if c.text == "" || seen[c.text] || len(out) == 0 && c.leans && i != order[len(order)-1] {
			continue
		}
		n := utf8.RuneCountInString(c.text) + 5
		if used+n > summaryChars && len(out) >= 2 {
			continue
		}
		seen[c.text] = true
		used += n
		out = append(out, Sentence{Text: c.text, Cites: []int{entries[i].N}})
	}
	// A single story's summary may hold a second sentence of its own.
	if len(usable) == 1 && len(out) == 1 {
		for _, s := range summarise.SplitSummary(entries[usable[0]].Summary) {
			if s != out[0].Text && utf8.RuneCountInString(s) >= 20 {
				out = append(out, Sentence{Text: s, Cites: []int{entries[usable[0]].N}})
				break
			}
		}
	}
	return out
}

// perDispute is the summary of an answer covering several disputes (one
// party's, or several of two parties'): one sentence for each, from its
// latest entry, so no dispute is left out and none told twice.
func perDispute(t *texts, a *Answer, words []string) []Sentence {
	rank := stems(strings.Join(words, " "), nil)
	var out []Sentence
	used := 0
	told := map[int]bool{} // entries quoted already: a report may serve two disputes
	for _, d := range a.Disputes {
		if len(out) == maxDisputes {
			break
		}
		var pick sentence
		found := false
		names := lastWords(d.Parties)
		for i := len(a.Entries) - 1; i >= 0; i-- {
			e := a.Entries[i]
			if !slices.Contains(e.Disputes, d.ID) || told[i] {
				continue
			}
			s := bestSentence(t, i, e, names, rank)
			if !found || pick.leans && !s.leans {
				pick, found = s, true
			}
			if !pick.leans {
				break
			}
		}
		if !found || pick.text == "" {
			continue
		}
		n := utf8.RuneCountInString(pick.text) + 5
		if used+n > summaryChars && len(out) >= 2 {
			break
		}
		used += n
		told[pick.entry] = true
		out = append(out, Sentence{Text: pick.text, Cites: []int{a.Entries[pick.entry].N}})
	}
	return out
}

// leaning are first words, and first pairs of words, that need the
// sentence before them: lifted out alone, "Then Epic sued" and "The court
// agreed" leave the reader asking after what, and which court.
var leaning = wordSet("then", "instead", "meanwhile", "later", "still", "also", "however", "but",
	"and", "so", "thus", "hence", "there", "both", "neither", "such", "he", "she", "it", "they",
	"this", "that", "these", "those", "his", "her", "their", "its", "afterwards", "subsequently",
	"nonetheless", "nevertheless", "yet", "further", "furthermore", "moreover", "again")

var leaningPairs = wordSet("the court", "the judge", "the jury", "the company", "the ruling", "the suit",
	"the case", "the deal", "the agency", "the regulator", "the commission", "the decision",
	"the lawsuit", "the settlement", "the appeal", "the firm", "the startup", "the move", "the two",
	"the companies", "the parties", "the plaintiffs", "the defendants", "the verdict", "the order",
	"the complaint", "the filing", "the panel", "the board", "that same", "a day", "days later",
	"weeks later", "months later", "a week", "a month", "in response", "in turn")

// Leans reports whether a sentence leans on the one before it: it opens
// with a word or pair that refers back, or its subject is followed by
// "then" ("Epic then sued").
func Leans(s string) bool {
	var ws []string
	for w := range prose.Words(s) {
		ws = append(ws, w)
		if len(ws) == 3 {
			break
		}
	}
	switch {
	case len(ws) == 0:
		return false
	case leaning[ws[0]]:
		return true
	case len(ws) >= 2 && (leaningPairs[ws[0]+" "+ws[1]] || ws[1] == "then" || ws[1] == "instead"):
		return true
	case len(ws) >= 3 && ws[2] == "then":
		return true
	}
	return false
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}

// lastWords are what mentions looks for of each party: the last word of
// its name in lower case ("musk", "microsoft"), "" for a name of none.
// Worked out once per summary, not once per sentence weighed.
func lastWords(parties []string) []string {
	out := make([]string, len(parties))
	for i, p := range parties {
		if f := strings.Fields(strings.ToLower(p)); len(f) > 0 {
			out[i] = f[len(f)-1]
		}
	}
	return out
}

// mentions scores a sentence, given in lower case, for naming the
// parties asked about, by the last word of each name (see lastWords):
// up to 2 for the share named, and 1 more for naming them all.
func mentions(ls string, names []string) float64 {
	if len(names) == 0 {
		return 0
	}
	named := 0
	for _, n := range names {
		if n != "" && strings.Contains(ls, n) {
			named++
		}
	}
	score := 2 * float64(named) / float64(len(names))
	if named == len(names) {
		score++
	}
	return score
}
