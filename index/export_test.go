package index

import (
	"context"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// BareConjunction is the floor the answer benchmark is measured against:
// Bleve itself, asked for the newest limit documents naming every party
// (sorted on the same date field answers sort on), with no year windows,
// no scope filter, no store and no composing.
func (x *Index) BareConjunction(ctx context.Context, parties []string, limit int) (int, error) {
	var qs []query.Query
	for _, p := range parties {
		t := bleve.NewTermQuery(p)
		t.SetField(fParties)
		qs = append(qs, t)
	}
	req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(qs...), limit, 0, false)
	req.SortBy([]string{"-" + fStamp})
	res, err := x.b.SearchInContext(ctx, req)
	if err != nil {
		return 0, err
	}
	return len(res.Hits), nil
}
