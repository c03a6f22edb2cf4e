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
	"github.com/disputebot/disputebot/internal/store"
)

// ErrEmptyQuery means the query named nothing to look for.
var ErrEmptyQuery = errors.New("answer: empty query")

// MaxEntries bounds a timeline; Total still counts the matches looked at.
const MaxEntries = 50

// Engine answers queries. It is safe for concurrent use.
type Engine struct {
	Store     *store.Store
	Index     *index.Index
	Gazetteer *gazetteer.Gazetteer
	Corpus    *data.Corpus
	// Aliases returns a guild's own aliases (alias -> canonical party);
	// nil means none.
	Aliases func(ctx context.Context, guild string) (map[string]string, error)
}

// Request is one question.
type Request struct {
	Query string    // may end "since <date>" (a year, month or day)
	Guild string    // "" asks the global scope only (the command line)
	Since time.Time // the earliest date wanted; the query's "since" sets it too
	// TextOnly searches the words as text, without reading party names
	// into them (the search command).
	TextOnly bool
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
	Disputes     []Dispute
	Summary      []Sentence
	Entries      []Entry // oldest first, numbered from 1
	Total        int     // matching articles looked at (at least those used), before folding and the cap
	Suggestions  []Suggestion
	Since        time.Time // zero: all time
}

// Dispute is a built-in dispute the answer touches.
type Dispute struct {
	ID, Title, Kind, Status, StatusDate, LastActive string
	Parties                                         []string
	Events                                          int
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
	if len(res.Parties) == 0 && len(res.Words) == 0 {
		return nil, ErrEmptyQuery
	}
	a := &Answer{Query: strings.TrimSpace(r.Query), Parties: res.Parties, Words: res.Words, Corrections: res.Corrections, Since: r.Since}
	scopes := []string{article.GlobalScope}
	if r.Guild != "" {
		scopes = append(scopes, r.Guild)
	}
	// A few more than the timeline shows, as reports of one story fold.
	q := index.Query{Parties: res.Parties, Words: res.Words, Scopes: scopes, Since: r.Since, Limit: MaxEntries + MaxEntries/4, ByDate: len(res.Words) == 0}
	// A start after tomorrow can match nothing yet, and one past 2262 is
	// beyond the dates the index can compare; either way the answer is the
	// empty one, given without a search.
	var (
		hits index.Result
		err  error
	)
	searchable := !sinceInFuture(r.Since, time.Now())
	if searchable {
		if hits, err = e.Index.Search(ctx, q); err != nil {
			return nil, err
		}
	}
	if searchable && hits.Total == 0 && len(res.Parties) > 0 && len(res.Words) > 0 {
		// "musk microsoft lawsuit time": the parties carry the question;
		// words that match nothing beside them are dropped, and the
		// answer says so.
		q.Words, q.ByDate = nil, true
		if hits, err = e.Index.Search(ctx, q); err != nil {
			return nil, err
		}
		a.WordsDropped = hits.Total > 0
	}
	a.Total = int(hits.Total)
	switch {
	case len(res.Parties) >= 2:
		a.Mode = ModeParties
	case len(res.Parties) == 1:
		a.Mode = ModeParty
	default:
		a.Mode = ModeSearch
	}
	a.Disputes = e.disputesOf(res.Parties)
	if hits.Total == 0 {
		a.Mode = ModeNone
		a.Suggestions = e.suggest(g, res)
		return a, nil
	}
	ids := make([]int64, len(hits.Hits))
	for i, h := range hits.Hits {
		ids[i] = h.ID
	}
	arts, err := e.Store.Articles(ctx, ids)
	if err != nil {
		return nil, err
	}
	a.Entries = timeline(arts, MaxEntries)
	a.Summary = summary(a.Entries, res.Parties)
	return a, nil
}

// disputesOf lists the built-in disputes naming every party, most recently
// active first.
func (e *Engine) disputesOf(parties []string) []Dispute {
	if len(parties) == 0 || e.Corpus == nil {
		return nil
	}
	var out []Dispute
	for _, d := range e.Corpus.Disputes {
		if hasAll(d.Parties, parties) {
			out = append(out, disputeInfo(d))
		}
	}
	sortDisputes(out)
	return out
}

func disputeInfo(d article.Dispute) Dispute {
	return Dispute{ID: d.ID, Title: d.Title, Kind: d.Kind, Status: d.Status, StatusDate: d.StatusDate,
		LastActive: d.LastActive(), Parties: d.Parties, Events: len(d.Events)}
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
