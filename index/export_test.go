package index

import (
	"context"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Bare is the naive floor the answer benchmark is measured against:
// Bleve itself, asked for the newest limit documents naming every party
// (sorted on the same date field answers sort on), or, for words, the
// limit most relevant documents holding them all, with no year windows,
// no scope filter, no store and no composing.
func (x *Index) Bare(ctx context.Context, parties, words []string, limit int) (int, error) {
	var qs []query.Query
	for _, p := range parties {
		t := bleve.NewTermQuery(p)
		t.SetField(fParties)
		qs = append(qs, t)
	}
	for _, w := range words {
		m := bleve.NewMatchQuery(w)
		m.SetField(fText)
		qs = append(qs, m)
	}
	req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(qs...), limit, 0, false)
	if len(words) == 0 {
		req.SortBy([]string{"-" + fStamp})
	}
	res, err := x.b.SearchInContext(ctx, req)
	if err != nil {
		return 0, err
	}
	return len(res.Hits), nil
}
