package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
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
	// notices counts the times the store's watch told of writes, and
	// looked the notices that a completed look for changes had followed:
	// when they are equal and no write was told of since, nothing can
	// have changed, and no statement is run.
	notices, looked uint64
	// looks counts the statements run to look for changes.
	looks int
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
	if s.watch.written() {
		c.notices++
	}
	if c.ready && c.looked == c.notices {
		// Nothing written since a look that began after the last
		// notice: that look saw every change committed until now. The
		// statement cost an answer a tenth of its time.
		gen := c.gen
		c.mu.Unlock()
		return gen, nil
	}
	ready, upTo, covers := c.ready, c.upTo, c.notices
	c.looks++
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
		c.looked = max(c.looked, covers)
		c.gen++
		return c.gen, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.looked = max(c.looked, covers)
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

// get puts into out[i] a copy of the kept article ids[i], and returns
// the positions of the ids not kept. Copies, as callers may change the
// fields of what Articles returns (answers mark mentions); made in one
// allocation, as some sixty separate ones cost an answer more than
// finding the rows.
func (c *articleCache) get(v view, ids []int64, out []*article.Article) (missing []int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var copies []article.Article
	for i, id := range ids {
		a, ok := c.byID[v].Get(id)
		if !ok {
			missing = append(missing, i)
			continue
		}
		if copies == nil {
			copies = make([]article.Article, 0, len(ids)-i)
		}
		copies = append(copies, *a)
		out[i] = &copies[len(copies)-1]
	}
	return missing
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
	gen, err := s.checked(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: articles: %w", err)
	}
	out := make([]*article.Article, len(ids))
	if missing := s.cache.get(v, ids, out); len(missing) > 0 {
		want := make([]int64, len(missing))
		for k, i := range missing {
			want[k] = ids[i]
		}
		read, err := readArticles(ctx, stmt, want)
		if err != nil {
			return nil, err
		}
		s.cache.put(v, gen, read)
		byID := make(map[int64]*article.Article, len(read))
		for _, a := range read {
			byID[a.ID] = a
		}
		for _, i := range missing {
			out[i] = byID[ids[i]]
		}
	}
	// Ids with no row are skipped.
	return slices.DeleteFunc(out, func(a *article.Article) bool { return a == nil }), nil
}

// Reading returns a context for several reads that make one answer: the
// first looks for rows changed since the cache last did, the others use
// what it found, so the answer reads every change committed before it
// began (as each read alone does), and one statement instead of one per
// read: that statement cost an answer about a tenth of its time.
func (s *Store) Reading(ctx context.Context) context.Context {
	return context.WithValue(ctx, readingKey{}, &reading{s: s})
}

type readingKey struct{}

// reading is what the first read under a Reading context found.
type reading struct {
	s    *Store
	mu   sync.Mutex
	done bool
	gen  uint64
}

// checked is the cache's check, once per Reading context.
func (s *Store) checked(ctx context.Context) (uint64, error) {
	r, ok := ctx.Value(readingKey{}).(*reading)
	if !ok || r.s != s {
		return s.cache.check(ctx, s)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.done {
		gen, err := s.cache.check(ctx, s)
		if err != nil {
			return 0, err
		}
		r.gen, r.done = gen, true
	}
	return r.gen, nil
}
