package index

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
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
	ByDate  bool // newest first; else by relevance, then newest first
}

// Hit is one matching article.
type Hit struct {
	ID    int64
	Score float64
}

// Result is a page of hits. Total counts the matches the search looked
// at: all of them for a relevance search, those of the last year window
// for a newest-first one (so at least the number of hits, and a lower
// bound of all matches: counting them all would cost as much again).
type Result struct {
	Hits  []Hit
	Total uint64
}

// Search runs q. A newest-first search looks at this year's matches, then
// the last two, five and ten years', and only then at all: as soon as a
// window holds limit matches, its newest are the newest of all, and the
// date sort has read the doc values of that window's matches only. Total
// is what the last window held.
func (x *Index) Search(ctx context.Context, q Query) (Result, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	base := buildQuery(q)
	var res *bleve.SearchResult
	var err error
	if q.ByDate {
		// Next year is in every window: a date a little ahead (a time
		// zone's slip) is still the newest.
		next := time.Now().UTC().Year() + 1
		for _, span := range []int{2, 3, 6, 11, 0} {
			qq := base
			if span > 0 {
				years := make([]query.Query, span)
				for i := range years {
					years[i] = term(fYear, strconv.Itoa(next-i))
				}
				qq = bleve.NewConjunctionQuery(base, bleve.NewDisjunctionQuery(years...))
			}
			req := bleve.NewSearchRequestOptions(qq, limit, 0, false)
			req.SortBy([]string{"-" + fStamp, "_id"})
			if res, err = x.b.SearchInContext(ctx, req); err != nil {
				return Result{}, fmt.Errorf("index: search: %w", err)
			}
			if len(res.Hits) >= limit || span == 0 {
				break
			}
		}
	} else {
		// By relevance alone: a date tie-break would read every match's
		// doc values; the timeline is put in date order afterwards.
		req := bleve.NewSearchRequestOptions(base, limit, 0, false)
		if res, err = x.b.SearchInContext(ctx, req); err != nil {
			return Result{}, fmt.Errorf("index: search: %w", err)
		}
	}
	out := Result{Total: res.Total, Hits: make([]Hit, 0, len(res.Hits))}
	for _, h := range res.Hits {
		id, err := strconv.ParseInt(h.ID, 10, 64)
		if err != nil {
			continue
		}
		out.Hits = append(out.Hits, Hit{ID: id, Score: h.Score})
	}
	return out, nil
}

// buildQuery turns q into Bleve's terms: keyword terms for parties, the
// dispute and scopes, and an English match of each word over the prose
// fields (a word may match in any of them, every word must match).
func buildQuery(q Query) query.Query {
	var must []query.Query
	for _, p := range q.Parties {
		must = append(must, term(fParties, p))
	}
	if q.Dispute != "" {
		must = append(must, term(fDisputes, q.Dispute))
	}
	for _, w := range q.Words {
		var any []query.Query
		for _, f := range []string{fTitle, fSummary, fText} {
			m := bleve.NewMatchQuery(w)
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
	scopes := make([]query.Query, 0, len(q.Scopes))
	for _, s := range q.Scopes {
		scopes = append(scopes, term(fScopes, s))
	}
	if len(scopes) == 0 {
		return bleve.NewMatchNoneQuery()
	}
	must = append(must, bleve.NewDisjunctionQuery(scopes...))
	if len(must) == 1 {
		// Scopes alone: every visible article.
		return bleve.NewConjunctionQuery(bleve.NewMatchAllQuery(), must[0])
	}
	return bleve.NewConjunctionQuery(must...)
}

func term(field, value string) query.Query {
	t := bleve.NewTermQuery(value)
	t.SetField(field)
	return t
}
