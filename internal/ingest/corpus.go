package ingest

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/disputebot/disputebot/data"
	"github.com/disputebot/disputebot/internal/article"
)

const metaCorpusHash = "corpus_hash"

// LoadCorpus puts the built-in disputes' events into the store as global
// articles, when the store does not hold this exact corpus yet: on the
// first open of a data folder, and after an upgrade that changed the
// corpus. Articles are matched by URL, so nothing is duplicated.
func (p *Pipeline) LoadCorpus(ctx context.Context, c *data.Corpus) (loaded bool, err error) {
	have, err := p.Store.Meta(ctx, metaCorpusHash)
	if err != nil {
		return false, err
	}
	if have == c.Hash {
		return false, nil
	}
	arts := CorpusArticles(c, p.Analyser, p.now())
	keep := make(map[string]bool, len(arts))
	for _, a := range arts {
		keep[a.URL] = true
	}
	if err := p.Store.SaveCorpus(ctx, arts); err != nil {
		return false, fmt.Errorf("ingest: loading the corpus: %w", err)
	}
	if _, err := p.Store.RetireCorpus(ctx, keep); err != nil {
		return false, err
	}
	if err := p.Sync(ctx); err != nil {
		return false, err
	}
	// Recorded last: a crash before this line loads the corpus again, which
	// is harmless because articles are matched by URL.
	if err := p.Store.SetMeta(ctx, metaCorpusHash, c.Hash); err != nil {
		return false, err
	}
	p.Log.Info("built-in corpus loaded", "disputes", len(c.Disputes), "articles", len(arts))
	return true, nil
}

// CorpusArticles turns every event of the corpus into an article. An event
// names its dispute's parties and any other party its own words name; a
// report that serves two disputes is one article linked to both.
func CorpusArticles(c *data.Corpus, an interface {
	PartiesIn(title, text string) []string
}, now time.Time) []*article.Article {
	byURL := map[string]*article.Article{}
	var out []*article.Article
	for _, d := range c.Disputes {
		for _, e := range d.Events {
			u, err := article.CanonicalURL(e.URL)
			if err != nil {
				continue // the corpus test refuses these
			}
			if a, ok := byURL[u]; ok {
				a.Disputes = appendNew(a.Disputes, d.ID)
				a.Parties = appendNew(a.Parties, d.Parties...)
				continue
			}
			day, _ := time.Parse(article.DateLayout, e.Date)
			a := &article.Article{
				URL:          u,
				Title:        e.Headline,
				Site:         e.Outlet,
				Published:    day,
				FirstSeen:    now,
				DateSource:   "corpus",
				Curated:      true,
				Text:         e.Summary,
				Summary:      e.Summary,
				Parties:      appendNew(append([]string(nil), d.Parties...), an.PartiesIn(e.Headline, e.Summary)...),
				Disputes:     []string{d.ID},
				DisputeScore: 1,
			}
			byURL[u] = a
			out = append(out, a)
		}
	}
	return out
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}
