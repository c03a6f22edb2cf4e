// Package answer is the question side of disputebot: it reads a query
// ("musk microsoft", "MSFT vs elon", "palworld patents"), finds the
// matching articles in the index, and composes the answer: a dated timeline
// with near-duplicate stories folded into one entry, and a short extractive
// summary whose every sentence cites the entry it came from.
package answer

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/disputebot/disputebot/data"
	"github.com/disputebot/disputebot/index"
	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/gazetteer"
)

// ErrEmptyQuery means the query named nothing to look for.
var ErrEmptyQuery = errors.New("answer: empty query")

// MaxEntries bounds a timeline; Total still counts the matches looked at.
const MaxEntries = 50

// Store is what answers read from the store: articles by id (the index
// gives ids), and the pages a dispute's events cite, all as they stood
// when the context Reading gave was first read under.
type Store interface {
	Reading(ctx context.Context) context.Context
	Articles(ctx context.Context, ids []int64) ([]*article.Article, error)
	PagesAt(ctx context.Context, urls []string) ([]*article.Article, error)
}

// Index is what answers ask of the index (an *index.Index; the answer
// benchmark wraps it to time the searches an answer makes).
type Index interface {
	Search(ctx context.Context, q index.Query) (index.Result, error)
}

// Engine answers queries. It is safe for concurrent use.
type Engine struct {
	Store     Store
	Index     Index
	Gazetteer *gazetteer.Gazetteer
	Corpus    *data.Corpus
	// Aliases returns a guild's own aliases (alias -> canonical party);
	// nil means none.
	Aliases func(ctx context.Context, guild string) (map[string]string, error)

	stems   disputeStems
	texts   texts
	builtIn builtIns
}

// Request is one question.
type Request struct {
	Query string    // may end "since <date>" (a year, month or day)
	Guild string    // "" asks the global scope only (the command line)
	Since time.Time // the earliest date wanted; the query's "since" sets it too
	// TextOnly searches the words as text, without reading party names
	// into them (the search command).
	TextOnly bool
	// Now is when the question is asked; zero is the clock's. What counts
	// as recent, and as the future, is measured from it.
	Now time.Time
}

// Mode says what kind of answer was given.
type Mode string

// The answer modes.
const (
	ModeParties Mode = "parties" // two or more parties: their dispute
	ModeParty   Mode = "party"   // one party: its disputes and latest news
	ModeSearch  Mode = "search"  // no party: a full-text search
	ModeNone    Mode = "none"    // nothing matched
)

// Answer is everything a renderer needs.
type Answer struct {
	Query       string
	Mode        Mode
	Parties     []string
	Words       []string
	Corrections map[string]string
	// WordsDropped is set when the words matched nothing together with the
	// parties, so the answer covers the parties alone.
	WordsDropped bool
	// Sides are the parties the answer is about, for its heading: those
	// the chosen disputes name, without the products and subsidiaries
	// that led to them; else the parties asked.
	Sides []string
	// OnlyMentions is set when the parties appear only in passing, in
	// reports of other disputes: the answer shows them, without a summary.
	OnlyMentions bool
	// NotADispute is set when no built-in dispute answers and none of the
	// articles found reads as a dispute: the parties are only in the news
	// together.
	NotADispute bool
	Disputes    []Dispute
	Summary     []Sentence
	Entries     []Entry // oldest first, numbered from 1
	Total       int     // matching articles looked at (at least those used), before folding and the cap
	Suggestions []Suggestion
	Since       time.Time // zero: all time
}

// Dispute is a built-in dispute the answer touches.
type Dispute struct {
	ID, Title, Kind, Status, StatusDate, LastActive string
	Background                                      string
	Parties                                         []string
	Events                                          int
	// StatusHeadline is the headline of the event that set the status;
	// StatusEntry and LatestEntry number the timeline entries of that
	// event and of the latest (0 when the timeline does not hold them:
	// a "since" left them out).
	StatusHeadline           string
	StatusEntry, LatestEntry int
}

// Entry is one step of the timeline: a story, with every source that told
// it.
type Entry struct {
	N       int
	Date    time.Time
	Title   string
	URL     string
	Outlet  string
	Summary string
	Sources []Source // the first is the entry's own
	// Disputes are the built-in disputes the entry's reports belong to.
	Disputes []string
	// aboutDispute is false for an entry none of whose reports reads as
	// a dispute: it is never quoted in a summary.
	aboutDispute bool
	// id is the article its title and summary are from.
	id int64
}

// Source is one report of a story.
type Source struct {
	Outlet, URL, Title string
}

// Sentence is one sentence of the summary and the entries it came from.
type Sentence struct {
	Text  string
	Cites []int
}

// SummaryText is the summary as one paragraph with its citations.
func (a *Answer) SummaryText() string {
	parts := make([]string, len(a.Summary))
	for i, s := range a.Summary {
		parts[i] = s.Text + cite(s.Cites)
	}
	return strings.Join(parts, " ")
}

func cite(ns []int) string {
	var b strings.Builder
	for _, n := range ns {
		b.WriteString(" [")
		b.WriteString(strconv.Itoa(n))
		b.WriteString("]")
	}
	return b.String()
}

// Suggestion is something to try instead.
type Suggestion struct {
	Label string // what to show
	Query string // what to type
}

// Ask answers one query.
//
// A question is read like a person would read it: its parties, and the
// words left once question and filler words are dropped. When the parties
// point at built-in disputes, the answer is those disputes, whatever the
// words: their every event (so where each stands, and its latest step,
// are always there), and the parties' other articles about a dispute.
// Words then rank: they pick among the parties' disputes and the
// sentences of the summary; they never empty a known dispute's timeline.
// When words were asked and none of the parties' disputes holds any, the
// answer says so honestly and offers those disputes instead (a single
// dispute between two parties is still shown, with a note). Without a
// built-in dispute, the index is searched: parties and words together,
// then the parties alone.
func (e *Engine) Ask(ctx context.Context, r Request) (*Answer, error) {
	g := e.Gazetteer
	if e.Aliases != nil && r.Guild != "" {
		al, err := e.Aliases(ctx, r.Guild)
		if err != nil {
			return nil, err
		}
		g = g.WithAliases(al)
	}
	query, since := splitSince(r.Query)
	if r.Since.IsZero() {
		r.Since = since
	}
	res := g.Resolve(query)
	if r.TextOnly {
		res = gazetteer.Resolution{Words: gazetteer.ContentWords(query)}
	}
	words := meaningful(res.Words)
	if len(res.Parties) == 0 && len(words) == 0 {
		return nil, ErrEmptyQuery
	}
	a := &Answer{Query: strings.TrimSpace(r.Query), Parties: res.Parties, Words: words, Corrections: res.Corrections, Since: r.Since}
	switch {
	case len(res.Parties) >= 2:
		a.Mode = ModeParties
	case len(res.Parties) == 1:
		a.Mode = ModeParty
	default:
		a.Mode = ModeSearch
	}
	scopes := []string{article.GlobalScope}
	if r.Guild != "" {
		scopes = append(scopes, r.Guild)
	}
	var ch choice
	switch {
	case r.TextOnly:
	case len(res.Parties) == 1 && len(words) == 0:
		// One party, nothing more: every one of its disputes.
		ch.disputes = e.disputesNaming(res.Parties)
	default:
		ch = e.pick(g, res.Parties, words)
	}
	a.Sides = res.Parties
	for _, d := range ch.disputes {
		a.Disputes = append(a.Disputes, disputeInfo(d))
	}
	if len(ch.disputes) > 0 {
		var sides []string
		for _, p := range res.Parties {
			for _, d := range ch.disputes {
				if slices.Contains(d.Parties, p) {
					sides = append(sides, p)
					break
				}
			}
		}
		a.Sides = sides
	}
	// A start after tomorrow can match nothing yet, and one past 2262 is
	// beyond the dates the index can compare; either way the answer is the
	// empty one, given without a search.
	if r.Now.IsZero() {
		r.Now = time.Now()
	}
	if sinceInFuture(r.Since, r.Now) {
		a.Mode = ModeNone
		return a, nil
	}
	if ch.wordless && (len(ch.disputes) > 1 || a.Mode == ModeParty) {
		// "google search antitrust remedies" where nothing says remedies:
		// the disputes are suggestions, not the answer.
		a.Mode = ModeNone
		a.Suggestions = e.suggestDisputes(a.Disputes)
		a.Disputes = nil
		return a, nil
	}
	var arts []*article.Article
	var err error
	ctx = e.Store.Reading(ctx)
	if len(ch.disputes) > 0 {
		a.WordsDropped = ch.wordless
		arts, a.Total, err = e.disputeArticles(ctx, ch, res.Parties, scopes, r.Since, r.Now)
	} else {
		arts, a.Total, a.WordsDropped, err = e.searchArticles(ctx, res.Parties, words, scopes, r.Since, r.Now)
	}
	if err != nil {
		return nil, err
	}
	if len(arts) == 0 {
		a.Mode = ModeNone
		if len(ch.disputes) == 0 {
			a.Suggestions = e.suggest(g, gazetteer.Resolution{Parties: res.Parties, Words: words})
		}
		return a, nil
	}
	if len(ch.disputes) == 0 {
		// Parties, not mentions: a built-in event of another dispute that
		// names them in passing (the EU's Intel case names Dell and HP)
		// is shown, but it does not make them a dispute, nor speak in the
		// summary.
		var named []*article.Article
		for _, art := range arts {
			if !art.Curated || slices.ContainsFunc(art.Disputes, func(id string) bool {
				return hasAll(e.disputeParties(id), res.Parties)
			}) {
				named = append(named, art)
			}
		}
		a.OnlyMentions = len(named) == 0 && len(res.Parties) > 0
		a.NotADispute = !anyDispute(named)
		for _, art := range arts {
			art.Mention = !slices.Contains(named, art)
		}
	}
	a.Entries = timeline(&e.texts, arts, MaxEntries)
	e.markSteps(a, ch.disputes)
	rank := append(append([]string(nil), words...), othersAsWords(ch.others)...)
	if a.Mode == ModeParty && len(words) == 0 && len(a.Disputes) > 1 || len(ch.disputes) > 1 {
		a.Summary = perDispute(&e.texts, a, rank)
	} else {
		a.Summary = summary(&e.texts, a.Entries, res.Parties, rank)
	}
	return a, nil
}

// disputeArticles are the events of the chosen disputes and the parties'
// other articles about a dispute: for each, the parties it names.
func (e *Engine) disputeArticles(ctx context.Context, ch choice, parties, scopes []string, since, now time.Time) ([]*article.Article, int, error) {
	chosen := map[string]bool{}
	var ids []int64
	seen := map[int64]bool{}
	add := func(hits index.Result) {
		for _, h := range hits.Hits {
			if !seen[h.ID] {
				seen[h.ID] = true
				ids = append(ids, h.ID)
			}
		}
	}
	named := map[string]bool{}
	var disputeIDs []string
	for _, d := range ch.disputes {
		chosen[d.ID] = true
		disputeIDs = append(disputeIDs, d.ID)
		for _, p := range parties {
			if slices.Contains(d.Parties, p) {
				named[p] = true
			}
		}
	}
	var steps []string
	if len(ch.disputes) == 1 {
		// One dispute: every one of its events, in one search.
		hits, err := e.Index.Search(ctx, index.Query{Disputes: disputeIDs, Scopes: scopes, Since: since, Limit: 4 * MaxEntries})
		if err != nil {
			return nil, 0, err
		}
		add(hits)
	} else {
		// Several (one party's): the parties' newest articles, and each
		// dispute's status and latest events, which are read by address
		// rather than by reading every event of every dispute.
		for _, d := range ch.disputes {
			for _, ev := range d.Events {
				if ev.Date == d.StatusDate && (since.IsZero() || ev.Date >= since.Format(article.DateLayout)) {
					steps = append(steps, ev.URL)
				}
			}
			if last := d.Events[len(d.Events)-1]; since.IsZero() || last.Date >= since.Format(article.DateLayout) {
				steps = append(steps, last.URL)
			}
		}
	}
	var search []string
	for _, p := range parties {
		if named[p] {
			search = append(search, p)
		}
	}
	total := len(ids)
	if len(search) > 0 {
		hits, err := e.Index.Search(ctx, index.Query{Parties: search, Scopes: scopes, Since: since, Limit: MaxEntries + MaxEntries/4, ByDate: true, Now: now})
		if err != nil {
			return nil, 0, err
		}
		add(hits)
		total = max(total, int(hits.Total))
	}
	arts, err := e.Store.Articles(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	if len(steps) > 0 {
		more, err := e.Store.PagesAt(ctx, steps)
		if err != nil {
			return nil, 0, err
		}
		for _, m := range more {
			if !seen[m.ID] && slices.Contains(m.Scopes, article.GlobalScope) {
				seen[m.ID] = true
				arts = append(arts, m)
			}
		}
	}
	// Other built-in disputes' events that merely name the parties, and
	// articles that are not about a dispute, stay out.
	kept := arts[:0]
	for _, art := range arts {
		if art.Curated && !anyChosen(art.Disputes, chosen) {
			continue
		}
		if !art.Curated && !isDispute(art) {
			continue
		}
		kept = append(kept, art)
	}
	return kept, max(total, len(kept)), nil
}

// searchArticles answers a question no built-in dispute answers: the
// articles naming every party and holding every word, or, when the words
// match nothing beside the parties, the parties alone (dropped says so).
func (e *Engine) searchArticles(ctx context.Context, parties, words, scopes []string, since, now time.Time) (arts []*article.Article, total int, dropped bool, err error) {
	// A few more than the timeline shows, as reports of one story fold.
	q := index.Query{Parties: parties, Words: words, Scopes: scopes, Since: since, Limit: MaxEntries + MaxEntries/4, ByDate: len(words) == 0, Now: now}
	hits, err := e.Index.Search(ctx, q)
	if err != nil {
		return nil, 0, false, err
	}
	if hits.Total == 0 && len(parties) > 0 && len(words) > 0 {
		q.Words, q.ByDate = nil, true
		if hits, err = e.Index.Search(ctx, q); err != nil {
			return nil, 0, false, err
		}
		dropped = hits.Total > 0
	}
	ids := make([]int64, len(hits.Hits))
	for i, h := range hits.Hits {
		ids[i] = h.ID
	}
	arts, err = e.Store.Articles(ctx, ids)
	return arts, int(hits.Total), dropped, err
}

// minDisputeScore is the dispute score below which an article that is no
// built-in event is not about a dispute (a product review naming two
// companies): it stays out of dispute answers and summaries.
const minDisputeScore = 0.3

func isDispute(a *article.Article) bool { return a.Curated || a.DisputeScore >= minDisputeScore }

func anyDispute(arts []*article.Article) bool {
	return slices.ContainsFunc(arts, isDispute)
}

func anyChosen(ids []string, chosen map[string]bool) bool {
	for _, id := range ids {
		if chosen[id] {
			return true
		}
	}
	return false
}

// othersAsWords turns parties no chosen dispute names into words that
// rank: "supreme court" in "google epic supreme court".
func othersAsWords(parties []string) []string {
	var out []string
	for _, p := range parties {
		out = append(out, meaningful(gazetteer.Words(p))...)
	}
	return out
}

// markSteps finds, for each dispute of the answer, the entries of the
// event that set its status and of its latest event. Only those events'
// addresses are looked for among the sources, one by one: a map of every
// source's address cost more than the rest of the timeline's making.
func (e *Engine) markSteps(a *Answer, ds []article.Dispute) {
	for i := range a.Disputes {
		var d *article.Dispute
		for j := range ds {
			if ds[j].ID == a.Disputes[i].ID {
				d = &ds[j]
			}
		}
		if d == nil {
			continue
		}
		status, latest := "", ""
		for _, ev := range d.Events {
			if ev.Date != d.StatusDate {
				continue
			}
			if u, ok := e.eventURL(ev.URL); ok {
				status = u
				a.Disputes[i].StatusHeadline = ev.Headline
			}
		}
		for j := len(d.Events) - 1; j >= 0 && latest == ""; j-- {
			if u, ok := e.eventURL(d.Events[j].URL); ok {
				latest = u
			}
		}
		a.Disputes[i].StatusEntry = entryAt(a.Entries, status)
		a.Disputes[i].LatestEntry = entryAt(a.Entries, latest)
	}
}

// entryAt numbers the entry with a source at address u, 0 for none.
func entryAt(entries []Entry, u string) int {
	if u == "" {
		return 0
	}
	for _, e := range entries {
		for _, s := range e.Sources {
			if s.URL == u {
				return e.N
			}
		}
	}
	return 0
}

// suggestDisputes offers disputes as questions to ask instead.
func (e *Engine) suggestDisputes(ds []Dispute) []Suggestion {
	var out []Suggestion
	for _, d := range ds {
		if len(out) == 6 {
			break
		}
		out = append(out, Suggestion{Label: d.Title, Query: e.QueryFor(d)})
	}
	return out
}

// disputeParties are the parties of a built-in dispute.
func (e *Engine) disputeParties(id string) []string {
	if e.Corpus == nil {
		return nil
	}
	for _, d := range e.Corpus.Disputes {
		if d.ID == id {
			return d.Parties
		}
	}
	return nil
}

// disputesNaming lists the built-in disputes naming every party, most
// recently active first.
func (e *Engine) disputesNaming(parties []string) []article.Dispute {
	if len(parties) == 0 || e.Corpus == nil {
		return nil
	}
	var out []article.Dispute
	for _, d := range e.Corpus.Disputes {
		if hasAll(d.Parties, parties) {
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := out[i].LastActive(), out[j].LastActive(); a != b {
			return a > b
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func disputeInfo(d article.Dispute) Dispute {
	out := Dispute{ID: d.ID, Title: d.Title, Kind: d.Kind, Status: d.Status, StatusDate: d.StatusDate,
		LastActive: d.LastActive(), Background: d.Background, Parties: d.Parties, Events: len(d.Events)}
	for _, ev := range d.Events {
		if ev.Date == d.StatusDate {
			out.StatusHeadline = ev.Headline
		}
	}
	return out
}

func sortDisputes(ds []Dispute) {
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].LastActive != ds[j].LastActive {
			return ds[i].LastActive > ds[j].LastActive
		}
		return ds[i].ID < ds[j].ID
	})
}

// Disputes lists every built-in dispute, most recently active first.
func (e *Engine) Disputes() []Dispute {
	out := make([]Dispute, 0, len(e.Corpus.Disputes))
	for _, d := range e.Corpus.Disputes {
		out = append(out, disputeInfo(d))
	}
	sortDisputes(out)
	return out
}

func hasAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// suggest offers, when nothing matched, the disputes of the parties that
// were recognised and the parties closest to the words that were not.
func (e *Engine) suggest(g *gazetteer.Gazetteer, res gazetteer.Resolution) []Suggestion {
	var out []Suggestion
	seen := map[string]bool{}
	add := func(s Suggestion) {
		if !seen[s.Query] && len(out) < 6 {
			seen[s.Query] = true
			out = append(out, s)
		}
	}
	if e.Corpus != nil {
		var ds []Dispute
		for _, d := range e.Corpus.Disputes {
			for _, p := range res.Parties {
				if slices.Contains(d.Parties, p) {
					ds = append(ds, disputeInfo(d))
					break
				}
			}
		}
		sortDisputes(ds)
		for _, d := range ds {
			add(Suggestion{Label: d.Title, Query: e.QueryFor(d)})
		}
	}
	for _, name := range g.Suggest(res.Words, 4) {
		add(Suggestion{Label: name, Query: strings.ToLower(name)})
	}
	return out
}

// QueryFor is what a member would type to ask about a dispute: its
// title's "A vs B" part when that names its parties, else its first two
// parties.
func (e *Engine) QueryFor(d Dispute) string {
	return QueryFor(e.Gazetteer, d.Title, d.Parties)
}

// QueryFor is what to type to ask about a dispute with this title and
// these parties. Titles read "A vs B: what about", and A and B are the two
// sides, while the party list does not say who is on which side.
func QueryFor(g *gazetteer.Gazetteer, title string, parties []string) string {
	head, _, _ := strings.Cut(title, ":")
	r := g.Resolve(head)
	if len(r.Parties) >= 2 && hasAll(parties, r.Parties) {
		return strings.ToLower(strings.Join(strings.Fields(strings.NewReplacer(" v. ", " vs ").Replace(head)), " "))
	}
	n := min(len(parties), 2)
	return strings.ToLower(strings.Join(parties[:n], " vs "))
}
