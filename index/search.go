package index

import (
	"context"
	"fmt"
	"sort"
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
	// Facet asks how often each party appears among all matches.
	Facet int
}

// Hit is one matching article.
type Hit struct {
	ID    int64
	Score float64
}

// Result is a page of hits with the total number of matches.
type Result struct {
	Hits    []Hit
	Total   uint64
	Parties []PartyCount // with Query.Facet, most frequent first
}

// PartyCount is how many matches name a party.
type PartyCount struct {
	Party string
	Count int
}

// Search runs q.
func (x *Index) Search(ctx context.Context, q Query) (Result, error) {
	bq := buildQuery(q)
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	req := bleve.NewSearchRequestOptions(bq, limit, 0, false)
	if q.ByDate {
		req.SortBy([]string{"-" + fDate, "_id"})
	} else {
		req.SortBy([]string{"-_score", "-" + fDate, "_id"})
	}
	if q.Facet > 0 {
		req.AddFacet(fParties, bleve.NewFacetRequest(fParties, q.Facet))
	}
	res, err := x.b.SearchInContext(ctx, req)
	if err != nil {
		return Result{}, fmt.Errorf("index: search: %w", err)
	}
	out := Result{Total: res.Total, Hits: make([]Hit, 0, len(res.Hits))}
	for _, h := range res.Hits {
		id, err := strconv.ParseInt(h.ID, 10, 64)
		if err != nil {
			continue
		}
		out.Hits = append(out.Hits, Hit{ID: id, Score: h.Score})
	}
	if f, ok := res.Facets[fParties]; ok && f.Terms != nil {
		for _, t := range f.Terms.Terms() {
			out.Parties = append(out.Parties, PartyCount{Party: t.Term, Count: t.Count})
		}
		sort.SliceStable(out.Parties, func(i, j int) bool { return out.Parties[i].Count > out.Parties[j].Count })
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
