package index

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// Query is what an answer asks the index: articles naming every one of
// Parties, matching every one of Words, and visible in one of Scopes.
type Query struct {
	Parties  []string
	Words    []string
	Scopes   []string // required: an empty list matches nothing
	Disputes []string // only articles of one of these built-in disputes
	Since    time.Time
	Limit    int
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
// scope-party-period terms (see scopedTerms), so the conjunction walks
// short postings lists rather than the whole scope.
//
// The windows count back from the newest month in which every asked
// party has an article (read from the term dictionary), not from the
// clock: a dispute that went quiet a year ago is searched as fast as one
// in the news today, and the same index answers the same way on any day.
// A pair that is rare together, though each party is common, is counted
// first; when the pair is small, one search over all time is cheaper than
// windows that each come back short.
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
		var common map[string]bool
		if len(q.Words) > 1 {
			counts, err := x.termCounts(ctx)
			if err != nil {
				return Result{}, err
			}
			common = x.commonWords(counts, q.Words)
			counts.close()
		}
		req := bleve.NewSearchRequestOptions(buildQuery(q, window{}, time.Time{}, common), limit, 0, false)
		res, err := x.b.SearchInContext(ctx, req)
		if err != nil {
			return Result{}, fmt.Errorf("index: search: %w", err)
		}
		return result(res), nil
	}
	counts, err := x.termCounts(ctx)
	if err != nil {
		return Result{}, err
	}
	defer counts.close()
	anchor := x.newest(counts, q)
	if anchor.IsZero() {
		anchor = q.Now.UTC()
		if q.Now.IsZero() {
			anchor = time.Now().UTC()
		}
	}
	few := counts.bound(q, window{}, anchor) < x.windowsFrom
	if !few && len(q.Parties) >= 2 && counts.bound(q, window{}, anchor) < pairCountFrom {
		n, err := x.count(ctx, buildQuery(q, window{}, anchor, nil))
		if err != nil {
			return Result{}, err
		}
		few = n < x.windowsFrom
	}
	var res *bleve.SearchResult
	for i, w := range windows {
		last := i == len(windows)-1
		if !last && few {
			continue
		}
		// A window whose terms hold fewer than limit documents for some
		// party cannot fill the page: skip it without searching. The
		// counts come from the term dictionary and cost next to nothing.
		if !last && counts.bound(q, w, anchor) < uint64(limit) {
			continue
		}
		req := bleve.NewSearchRequestOptions(buildQuery(q, w, anchor, nil), limit, 0, false)
		req.SortBy([]string{"-_id"}) // newest first: see docID
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

// pairCountFrom bounds the pairs Search counts before choosing windows:
// counting walks every document the rarer party's terms hold, cheap below
// this many, and above it windows pay anyway.
const pairCountFrom = 20000

// count is how many documents match qq, without reading any of them.
func (x *Index) count(ctx context.Context, qq query.Query) (uint64, error) {
	res, err := x.b.SearchInContext(ctx, bleve.NewSearchRequestOptions(qq, 0, 0, false))
	if err != nil {
		return 0, fmt.Errorf("index: count: %w", err)
	}
	return res.Total, nil
}

// counter reads terms (how many documents have one, which documents) from
// one snapshot of the index.
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

// newest is the newest month in which every party of q has a document in
// one of q's scopes: the earliest of the parties' newest months. Zero when
// a party has none (no dated documents). Each party's newest month in a
// scope is read from the term dictionary once, and remembered until the
// index changes.
func (x *Index) newest(c *counter, q Query) time.Time {
	var anchor time.Time
	for _, p := range q.Parties {
		var latest time.Time
		for _, s := range q.Scopes {
			if t := x.newestMonth(c, s, p); t.After(latest) {
				latest = t
			}
		}
		if latest.IsZero() {
			return time.Time{}
		}
		if anchor.IsZero() || latest.Before(anchor) {
			anchor = latest
		}
	}
	// The month's last moment: the windows count back from the month after.
	return anchor.AddDate(0, 1, 0).Add(-time.Second)
}

func (x *Index) newestMonth(c *counter, scope, party string) time.Time {
	key := scope + "|" + party
	x.newestMu.Lock()
	t, ok := x.newestOf[key]
	x.newestMu.Unlock()
	if ok {
		return t
	}
	prefix := "m|" + key + "|"
	dict, err := c.r.FieldDictPrefix(fScoped, []byte(prefix))
	if err != nil {
		return time.Time{}
	}
	defer dict.Close()
	for {
		e, err := dict.Next()
		if err != nil || e == nil {
			break
		}
		if m, err := time.Parse("2006-01", strings.TrimPrefix(e.Term, prefix)); err == nil && m.After(t) {
			t = m
		}
	}
	x.newestMu.Lock()
	if x.newestOf == nil {
		x.newestOf = map[string]time.Time{}
	}
	x.newestOf[key] = t
	x.newestMu.Unlock()
	return t
}

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
		id, ok := articleOf(h.ID)
		if !ok {
			continue
		}
		out.Hits = append(out.Hits, Hit{ID: id, Score: h.Score})
	}
	return out
}

// A word asked that is in more than 1/commonShare of the documents, and
// in more than commonFrom, is matched but not scored: it says little
// about which document is the best match, and scoring a word walks its
// postings one document at a time (zapx reads a scored term's
// frequencies, which it cannot skip), which made the commonest words of
// a free-text question most of its time at 1M. Unscored, it is skipped
// through by its bitmap. Below commonFrom the walk is cheap, and a small
// index ranks as before.
const (
	commonShare = 20
	commonFrom  = 20000
)

// commonWords are the words of ws common enough not to be scored, as the
// text field's analyser reads them; never all of them, the rarest
// staying scored (a search needs something to rank by).
func (x *Index) commonWords(c *counter, ws []string) map[string]bool {
	total, err := c.r.DocCount()
	if err != nil || total == 0 {
		return nil
	}
	an := x.b.Mapping().AnalyzerNamed(en.AnalyzerName)
	if an == nil {
		return nil
	}
	common := map[string]bool{}
	rarest, least := "", uint64(1<<63-1)
	for _, w := range ws {
		var n uint64
		for _, tok := range an.Analyze([]byte(w)) {
			n = max(n, c.count(fText, string(tok.Term)))
		}
		if n > max(total/commonShare, x.commonFrom) {
			common[w] = true
		}
		if n < least {
			rarest, least = w, n
		}
	}
	delete(common, rarest)
	return common
}

// buildQuery turns q into Bleve's terms. With parties, each party is one
// clause: any of its scoped terms for the asked scopes (and the window's
// periods). Without, the scopes filter what the other clauses match,
// unscored. Each word is an English match over the prose fields (in any
// of them; every word must match); the words in common only filter too.
func buildQuery(q Query, w window, now time.Time, common map[string]bool) query.Query {
	var must, filter []query.Query
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
		var any []query.Query
		for _, s := range q.Scopes {
			any = append(any, term(fScopes, s))
		}
		filter = append(filter, disjunction(any))
	}
	if len(q.Disputes) > 0 {
		var any []query.Query
		for _, d := range q.Disputes {
			any = append(any, term(fDisputes, d))
		}
		must = append(must, disjunction(any))
	}
	var headline []query.Query
	for _, word := range q.Words {
		if common[word] {
			filter = append(filter, wordQuery(fText, word, 1))
			continue
		}
		must = append(must, wordQuery(fText, word, 1))
		headline = append(headline, wordQuery(fTitle, word, 2))
	}
	if !q.Since.IsZero() {
		inclusive := true
		dr := bleve.NewDateRangeInclusiveQuery(q.Since, time.Time{}, &inclusive, nil)
		dr.SetField(fDate)
		must = append(must, dr)
	}
	if len(must) == 0 {
		// Only filters: nothing to rank by, so they match as clauses.
		must, filter = filter, nil
	}
	if len(headline) > 0 || len(filter) > 0 {
		// The words in the headline rank first; they match nothing alone.
		// The filters are not scored: as a scored clause the global
		// scope, which nearly every document has, was walked one
		// document at a time from each match to the next (a scored term
		// is read with its frequencies, which zapx cannot skip), most of
		// a free-text search's time at 1M.
		b := bleve.NewBooleanQuery()
		b.AddMust(must...)
		if len(headline) > 0 {
			b.AddShould(headline...)
		}
		if len(filter) > 0 {
			b.AddFilter(conjunction(filter))
		}
		return b
	}
	return conjunction(must)
}

// conjunction matches every one of qs.
func conjunction(qs []query.Query) query.Query {
	if len(qs) == 1 {
		return qs[0]
	}
	return bleve.NewConjunctionQuery(qs...)
}

// wordQuery matches a word, as the field's analyser reads it.
func wordQuery(field, word string, boost float64) query.Query {
	m := bleve.NewMatchQuery(word)
	m.SetField(field)
	m.SetBoost(boost)
	return m
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

// The period comes last in a key, so that one party's months in one
// scope are neighbours in the term dictionary, and the newest is found by
// a prefix scan.
func yearKey(scope string, year int, party string) string {
	return "y|" + scope + "|" + party + "|" + strconv.Itoa(year)
}

func monthKey(scope string, t time.Time, party string) string {
	return "m|" + scope + "|" + party + "|" + t.Format("2006-01")
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
