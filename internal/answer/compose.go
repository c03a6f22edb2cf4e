package answer

import (
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/disputebot/disputebot/internal/analyse"
	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/english"
	"github.com/disputebot/disputebot/internal/summarise"
)

// foldWindow is how far apart two reports of one story may be dated: a
// wire story runs over a day or two.
const foldWindow = 3 * 24 * time.Hour

// timeline turns matching articles into entries, oldest first, folding
// reports of the same story (dated within a few days, titles sharing most
// of their words) into one entry with several sources. When there are more
// than max entries the newest max are kept.
func timeline(arts []*article.Article, max int) []Entry {
	arts = onePerAddress(arts)
	sort.SliceStable(arts, func(i, j int) bool {
		di, dj := arts[i].Date(), arts[j].Date()
		if !di.Equal(dj) {
			return di.Before(dj)
		}
		return arts[i].ID < arts[j].ID
	})
	type group struct {
		rep     *article.Article
		all     []*article.Article
		words   map[string]bool // of the first report's title
		summary string          // the first report's
		detail  map[string]bool // its words, read when first compared
	}
	details := func(g *group) map[string]bool {
		if g.detail == nil {
			g.detail = titleWords(g.summary)
		}
		return g.detail
	}
	var groups []*group
	for _, a := range arts {
		// A lone report (most are) never needs its summary's words.
		ng := &group{rep: a, all: []*article.Article{a}, words: titleWords(a.Title), summary: a.Summary}
		var into *group
		for i := len(groups) - 1; i >= 0; i-- {
			g := groups[i]
			if a.Date().Sub(g.rep.Date()) > foldWindow {
				break
			}
			sameDay := a.Date().Truncate(24 * time.Hour).Equal(g.rep.Date().Truncate(24 * time.Hour))
			if sameStory(g.words, ng.words, 3, 0.6) || sameStory(details(g), details(ng), 8, 0.4) || sameDay && sameStory(details(g), details(ng), 6, 0.3) {
				into = g
				break
			}
		}
		if into == nil {
			groups = append(groups, ng)
			continue
		}
		into.all = append(into.all, a)
		// A curated corpus entry speaks for the story: its headline and
		// summary were written for the timeline.
		if a.Curated && !into.rep.Curated {
			into.rep = a
		}
	}
	if len(groups) > max {
		groups = groups[len(groups)-max:]
	}
	entries := make([]Entry, len(groups))
	for i, g := range groups {
		e := Entry{N: i + 1, Date: g.rep.Date(), Title: g.rep.Title, URL: g.rep.URL, Outlet: outlet(g.rep), Summary: g.rep.Summary}
		e.Sources = append(e.Sources, Source{Outlet: e.Outlet, URL: e.URL, Title: e.Title})
		for _, a := range g.all {
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

func titleWords(s string) map[string]bool {
	m := map[string]bool{}
	for w := range english.Words(s) {
		w = strings.TrimSuffix(w, "s")
		if len(w) > 1 && !titleStop[w] {
			m[w] = true
		}
	}
	return m
}

// sameStory compares two titles (or summaries) by the share of the shorter
// one's words the longer one also has, needing at least minShared: reports
// of one story reword it but keep its nouns and figures.
func sameStory(a, b map[string]bool, minShared int, share float64) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	shared := 0
	for w := range a {
		if b[w] {
			shared++
		}
	}
	small := min(len(a), len(b))
	return shared >= minShared && float64(shared)/float64(small) >= share
}

// summaryChars bounds the summary so it sits above the timeline in one
// embed description with room to spare.
const summaryChars = 1000

// summary picks two to four sentences from the entries' summaries: how
// it began (the first entry), how it stands (the last), and the weightiest
// steps between (rulings, fines, verdicts), each citing its entry.
func summary(entries []Entry, parties []string) []Sentence {
	if len(entries) == 0 {
		return nil
	}
	type cand struct {
		entry int
		text  string
		score float64
	}
	best := make([]cand, len(entries)) // each entry's best sentence
	for i, e := range entries {
		sents := summarise.SplitSummary(e.Summary)
		if len(sents) == 0 && e.Title != "" {
			sents = []string{e.Title}
		}
		best[i] = cand{entry: i, score: -1}
		for j, s := range sents {
			if j >= 3 {
				break
			}
			// Legal weight is capped so that a sentence about the parties
			// asked for outranks a heavier one about a side plot.
			sc := min(analyse.Weight(s), 3) + 1.0/float64(1+j) + mentions(s, parties)
			if n := utf8.RuneCountInString(s); n > 350 || n < 20 {
				sc -= 2
			}
			if summarise.Dangling(s) {
				sc -= 1.5
			}
			if sc > best[i].score {
				best[i] = cand{entry: i, text: s, score: sc}
			}
		}
	}
	picked := map[int]bool{0: true, len(entries) - 1: true}
	want := 4
	if len(entries) == 1 {
		want = 1
	}
	middle := make([]cand, 0, len(entries))
	for i := 1; i < len(entries)-1; i++ {
		middle = append(middle, best[i])
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
		if c.text == "" || seen[c.text] {
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
	if len(entries) == 1 && len(out) == 1 {
		for _, s := range summarise.SplitSummary(entries[0].Summary) {
			if s != out[0].Text && utf8.RuneCountInString(s) >= 20 {
				out = append(out, Sentence{Text: s, Cites: []int{entries[0].N}})
				break
			}
		}
	}
	return out
}

// mentions scores a sentence for naming the parties asked about, by the
// last word of each name ("Musk", "Microsoft"): up to 2 for the share named,
// and 1 more for naming them all.
func mentions(s string, parties []string) float64 {
	if len(parties) == 0 {
		return 0
	}
	ls := strings.ToLower(s)
	named := 0
	for _, p := range parties {
		f := strings.Fields(strings.ToLower(p))
		if len(f) > 0 && strings.Contains(ls, f[len(f)-1]) {
			named++
		}
	}
	score := 2 * float64(named) / float64(len(parties))
	if named == len(parties) {
		score++
	}
	return score
}
