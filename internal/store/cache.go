package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/sized"
)

// cachedBytes bounds the rows kept in memory, for each view, as
// articleSize reckons them: a row without its text is about a kilobyte,
// so some sixteen thousand of them, every row a 10k corpus's answers
// read, or the rows of a few hundred different questions.
const cachedBytes = 16 << 20

// changesPerCheck is how many changed articles one check reads; when
// more changed, the cache is emptied, which is cheaper than reading them
// all.
const changesPerCheck = 256

// articleCache keeps the rows Articles and PagesAt read (without their
// text), so that answers asking for the same rows again (the newest
// stories of a popular dispute) read only which rows changed since, not
// the rows: decoding some sixty rows of a dozen columns each cost more
// than the rest of an answer outside the index.
//
// An entry is what the store holds under that id, whoever asks, as the
// database would give it: which ids a guild's answer reads is decided
// before (by the index's scopes, or by the pages' addresses), so the
// cache cannot show one guild another's articles.
//
// It stays true because every change to an article's row gives it a new,
// higher seq (articles are never deleted), and seqs are handed out one
// transaction at a time, so a change committed later never has a lower
// seq. Before each use the cache reads the ids whose seq is above upTo,
// the highest it has accounted for, and forgets them. Other processes
// sharing the store (PostgreSQL, or a CLI ingest beside serve) are seen
// the same way.
type articleCache struct {
	mu    sync.Mutex
	ready bool  // upTo has been read
	upTo  int64 // every change up to this seq has been accounted for
	// gen changes whenever entries are forgotten: a row read by a caller
	// that checked before then may be older than what was forgotten, and
	// is not kept.
	gen uint64
	// byID holds each view of the rows read, by id.
	byID [views]sized.Map[int64, *article.Article]
	// pageAt is the id of the page at each address PagesAt was given,
	// as given: it never changes once the page is stored, so no change
	// forgets it. Addresses with no page yet are not kept.
	pageAt sized.Map[string, int64]
}

// view is which columns a kept row holds.
type view int

const (
	brief      view = iota // briefColumns: what Articles returns
	withScopes             // briefColumnsScoped: what PagesAt returns
	views
)

// check forgets the articles changed since the last check and returns
// the generation that rows read from now on may be kept under.
func (c *articleCache) check(ctx context.Context, s *Store) (uint64, error) {
	c.mu.Lock()
	ready, upTo := c.ready, c.upTo
	c.mu.Unlock()
	var changed []int64
	last := upTo
	if ready {
		rows, err := s.changedSince.QueryContext(ctx, upTo, changesPerCheck)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id, &last); err != nil {
				return 0, err
			}
			changed = append(changed, id)
		}
		if err := rows.Err(); err != nil {
			return 0, err
		}
	}
	if !ready || len(changed) == changesPerCheck {
		// Nothing kept yet, or too much changed (an import, a feed's
		// backlog) to forget row by row: everything is forgotten, and
		// changes are looked for from the latest one, committed before
		// MaxSeq read it, so none kept after this can predate it.
		n, err := s.MaxSeq(ctx)
		if err != nil {
			return 0, err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		for v := range c.byID {
			c.byID[v].Clear()
		}
		c.ready, c.upTo = true, max(c.upTo, n)
		c.gen++
		return c.gen, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(changed) > 0 {
		for v := range c.byID {
			for _, id := range changed {
				c.byID[v].Delete(id)
			}
		}
		c.upTo = max(c.upTo, last)
		c.gen++
	}
	return c.gen, nil
}

// get returns copies of the kept articles among ids, by id, and the ids
// not kept. Copies, as callers may change the fields of what Articles
// returns (answers mark mentions).
func (c *articleCache) get(v view, ids []int64) (map[int64]*article.Article, []int64) {
	found := make(map[int64]*article.Article, len(ids))
	var missing []int64
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if a, ok := c.byID[v].Get(id); ok {
			cp := *a
			found[id] = &cp
		} else {
			missing = append(missing, id)
		}
	}
	return found, missing
}

// put keeps copies of arts, read after the check that returned gen,
// unless articles were forgotten since.
func (c *articleCache) put(v view, gen uint64, arts []*article.Article) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	for _, a := range arts {
		cp := *a
		c.byID[v].Put(a.ID, &cp, articleSize(a), cachedBytes)
	}
}

// articleSize reckons the memory a kept row holds: its strings, and
// about as much again as its struct and the map's entry.
func articleSize(a *article.Article) int {
	n := 320 + len(a.URL) + len(a.Owner) + len(a.Title) + len(a.Site) + len(a.Byline) + len(a.DateSource) + len(a.Text) + len(a.Summary)
	for _, l := range [][]string{a.Parties, a.Disputes, a.Scopes} {
		for _, s := range l {
			n += 16 + len(s)
		}
	}
	return n
}

// pageIDBytes bounds the addresses kept: some ten thousand.
const pageIDBytes = 1 << 20

// pageIDs returns the ids kept for the addresses, and the addresses with
// none kept.
func (c *articleCache) pageIDs(urls []string) (ids []int64, unknown []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, u := range urls {
		if id, ok := c.pageAt.Get(u); ok {
			ids = append(ids, id)
		} else {
			unknown = append(unknown, u)
		}
	}
	return ids, unknown
}

// keepPageIDs keeps the ids of the pages at the addresses.
func (c *articleCache) keepPageIDs(ids map[string]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for u, id := range ids {
		c.pageAt.Put(u, id, 64+len(u), pageIDBytes)
	}
}

// changedSinceQuery lists the articles changed after a seq, oldest change
// first; the seq index answers it without reading the rows.
const changedSinceQuery = "SELECT id, seq FROM articles WHERE seq > ? ORDER BY seq LIMIT ?"

// cachedArticles reads one view of the articles with the given ids, in
// the order asked, through the cache: rows kept are copied, the others
// read by the statement given (which takes a JSON array of ids) and kept.
func (s *Store) cachedArticles(ctx context.Context, v view, stmt *sql.Stmt, ids []int64) ([]*article.Article, error) {
	gen, err := s.cache.check(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("store: articles: %w", err)
	}
	byID, missing := s.cache.get(v, ids)
	if len(missing) > 0 {
		read, err := readArticles(ctx, stmt, missing)
		if err != nil {
			return nil, err
		}
		s.cache.put(v, gen, read)
		for _, a := range read {
			byID[a.ID] = a
		}
	}
	out := make([]*article.Article, 0, len(ids))
	for _, id := range ids {
		if a, ok := byID[id]; ok {
			out = append(out, a)
		}
	}
	return out, nil
}
