package index

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// Query is what an answer asks the index: articles naming every one of
// Parties, matching every one of Words, and visible in one of Scopes.
type Query struct {
	Parties []string
	Words   []string
	Scopes  []string // required: an empty list matches nothing
	Dispute string   // only articles of this built-in dispute
	Since   time.Time
	Limit   int
	// ByDate sorts newest first (a query with parties and no words);
	// otherwise hits come by relevance.
	ByDate bool
	// Now is the moment the date windows of a newest-first search count
	// back from; zero is the clock's. Benchmarks set it, so a corpus ending
	// on a given day is measured the same on any day.
	Now time.Time
}

// Hit is one matching article.
type Hit struct {
	ID    int64
	Score float64
}

// Result is a page of hits. Total counts the matches the search looked
// at: all of them for a relevance search; for a newest-first one, those of
// the last window it needed (at least the number of hits, and a lower
// bound of all matches: counting them all would cost as much again).
type Result struct {
	Hits  []Hit
	Total uint64
}

// window is a span of recent time a newest-first search looks at before
// widening: a number of months, or of years, back from next month (next,
// so a date a little ahead, a time zone's slip, still counts as newest).
type window struct{ months, years int }

// windows widen until one holds enough matches; the last looks at all.
// windowsFrom: below this many articles for the rarest party, one search
// over all time (which reads every match's date) is cheaper than windows
// that may each fail to fill the page. Measured on the generated corpora:
// at 10k articles it took the answer from 2.5 to 1.1 ms; at 100k and 1M,
// where common parties have far more, it changes nothing.
const windowsFrom = 2000

var windows = []window{{months: 2}, {months: 6}, {years: 2}, {years: 5}, {years: 11}, {}}

// Search runs q. A newest-first search for parties looks at the last two
// months' matches, then six months', then two, five and eleven years', and
// only then at all: as soon as a window holds limit matches its newest are
// the newest of all, and the date sort has read the doc values of that
// window's matches only. Each party's clause is a handful of precomputed
// scope-period-party terms (see scopedTerms), so the conjunction walks
// short postings lists rather than the whole scope.
func (x *Index) Search(ctx context.Context, q Query) (Result, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	if len(q.Scopes) == 0 {
		return Result{}, nil
	}
	if !q.ByDate || len(q.Parties) == 0 {
		// By relevance alone: a date tie-break would read every match's
		// doc values; the timeline is put in date order afterwards.
		req := bleve.NewSearchRequestOptions(buildQuery(q, window{}, time.Time{}), limit, 0, false)
		res, err := x.b.SearchInContext(ctx, req)
		if err != nil {
			return Result{}, fmt.Errorf("index: search: %w", err)
		}
		return result(res), nil
	}
	now := q.Now.UTC()
	if q.Now.IsZero() {
		now = time.Now().UTC()
	}
	counts, err := x.termCounts(ctx)
	if err != nil {
		return Result{}, err
	}
	defer counts.close()
	few := counts.bound(q, window{}, now) < x.windowsFrom
	var res *bleve.SearchResult
	for i, w := range windows {
		last := i == len(windows)-1
		if !last && few {
			continue
		}
		// A window whose terms hold fewer than limit documents for some
		// party cannot fill the page: skip it without searching. The
		// counts come from the term dictionary and cost next to nothing.
		if !last && counts.bound(q, w, now) < uint64(limit) {
			continue
		}
		req := bleve.NewSearchRequestOptions(buildQuery(q, w, now), limit, 0, false)
		req.SortBy([]string{"-" + fStamp, "_id"})
		var err error
		if res, err = x.b.SearchInContext(ctx, req); err != nil {
			return Result{}, fmt.Errorf("index: search: %w", err)
		}
		if len(res.Hits) >= limit {
			break
		}
	}
	return result(res), nil
}

// counter reads how many documents a term has, from one snapshot of the
// index.
type counter struct {
	ctx context.Context
	r   index.IndexReader
}

func (x *Index) termCounts(ctx context.Context) (*counter, error) {
	adv, err := x.b.Advanced()
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	return &counter{ctx: ctx, r: r}, nil
}

func (c *counter) close() { c.r.Close() }

func (c *counter) count(field, term string) uint64 {
	tfr, err := c.r.TermFieldReader(c.ctx, []byte(term), field, false, false, false)
	if err != nil {
		return 0
	}
	defer tfr.Close()
	return tfr.Count()
}

// bound is the most documents a window can match: for each party, how many
// documents its terms in the window hold; the fewest of those.
func (c *counter) bound(q Query, w window, now time.Time) uint64 {
	least := uint64(1<<63 - 1)
	for _, p := range q.Parties {
		var n uint64
		for _, s := range q.Scopes {
			for _, k := range partyKeys(s, p, w, now) {
				n += c.count(fScoped, k)
			}
		}
		least = min(least, n)
	}
	return least
}

func result(res *bleve.SearchResult) Result {
	out := Result{Total: res.Total, Hits: make([]Hit, 0, len(res.Hits))}
	for _, h := range res.Hits {
		id, err := strconv.ParseInt(h.ID, 10, 64)
		if err != nil {
			continue
		}
		out.Hits = append(out.Hits, Hit{ID: id, Score: h.Score})
	}
	return out
}

// buildQuery turns q into Bleve's terms. With parties, each party is one
// clause: any of its scoped terms for the asked scopes (and the window's
// periods). Without, the scopes are a clause of their own. Each word is an
// English match over the prose fields (in any of them; every word must
// match).
func buildQuery(q Query, w window, now time.Time) query.Query {
	var must []query.Query
	for _, p := range q.Parties {
		var any []query.Query
		for _, s := range q.Scopes {
			for _, k := range partyKeys(s, p, w, now) {
				any = append(any, term(fScoped, k))
			}
		}
		must = append(must, disjunction(any))
	}
	if len(q.Parties) == 0 {
		var scopes []query.Query
		for _, s := range q.Scopes {
			scopes = append(scopes, term(fScopes, s))
		}
		must = append(must, disjunction(scopes))
	}
	if q.Dispute != "" {
		must = append(must, term(fDisputes, q.Dispute))
	}
	for _, word := range q.Words {
		var any []query.Query
		for _, f := range []string{fTitle, fSummary, fText} {
			m := bleve.NewMatchQuery(word)
			m.SetField(f)
			if f == fTitle {
				m.SetBoost(2)
			}
			any = append(any, m)
		}
		must = append(must, bleve.NewDisjunctionQuery(any...))
	}
	if !q.Since.IsZero() {
		inclusive := true
		dr := bleve.NewDateRangeInclusiveQuery(q.Since, time.Time{}, &inclusive, nil)
		dr.SetField(fDate)
		must = append(must, dr)
	}
	if len(must) == 1 {
		return must[0]
	}
	return bleve.NewConjunctionQuery(must...)
}

func disjunction(qs []query.Query) query.Query {
	if len(qs) == 1 {
		return qs[0]
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// partyKeys are the scoped terms that find a party's articles in a scope
// within a window.
func partyKeys(scope, party string, w window, now time.Time) []string {
	next := now.AddDate(0, 1, 0)
	var keys []string
	switch {
	case w.months > 0:
		for i := 0; i < w.months+1; i++ {
			keys = append(keys, monthKey(scope, next.AddDate(0, -i, 0), party))
		}
	case w.years > 0:
		for i := 0; i < w.years+1; i++ {
			keys = append(keys, yearKey(scope, next.Year()-i, party))
		}
	default:
		keys = append(keys, allKey(scope, party))
	}
	return keys
}

func allKey(scope, party string) string { return "a|" + scope + "|" + party }

func yearKey(scope string, year int, party string) string {
	return "y|" + scope + "|" + strconv.Itoa(year) + "|" + party
}

func monthKey(scope string, t time.Time, party string) string {
	return "m|" + scope + "|" + t.Format("2006-01") + "|" + party
}

// scopedTerms are the precomputed terms of a document: for every scope it
// is visible in and every party it names, one term for all time, one for
// its year and one for its month. They move the work of scope filtering
// and date windows from query time to indexing time.
func scopedTerms(d Doc) []string {
	var out []string
	for _, s := range d.Scopes {
		for _, p := range d.Parties {
			out = append(out, allKey(s, p))
			if !d.Date.IsZero() {
				t := d.Date.UTC()
				out = append(out, yearKey(s, t.Year(), p), monthKey(s, t, p))
			}
		}
	}
	return out
}

func term(field, value string) query.Query {
	t := bleve.NewTermQuery(value)
	t.SetField(field)
	return t
}
