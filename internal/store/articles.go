package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
)

// Saved tells what SaveArticle did.
type Saved struct {
	ID         int64
	Created    bool // the address was new to the store (for this owner)
	NewInScope bool // the article was new to the scope it was saved for
}

// SaveArticle stores a and makes it visible to scope (a guild id or
// article.GlobalScope); sourceID, when not zero, records which source
// brought it there. What is stored depends on a.Owner:
//
//   - "" (the page itself): stored once under its address. If the address
//     is stored already, nothing of it changes, not even by a better read,
//     and a curated corpus event least of all: the scope is attached, and
//     a is replaced by what is stored, so the caller announces and reports
//     what every reader sees. Only SaveCorpus writes curated articles.
//   - a guild id (that guild's own version, with its feed's claims):
//     stored or rewritten, and only ever visible to that guild.
//
// The first-seen time of a stored article never changes.
func (s *Store) SaveArticle(ctx context.Context, a *article.Article, scope string, sourceID int64) (Saved, error) {
	var res Saved
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		res, err = tx.SaveArticle(a, scope, sourceID)
		return err
	})
	return res, err
}

// SaveArticles stores many articles for one scope in one transaction.
func (s *Store) SaveArticles(ctx context.Context, as []*article.Article, scope string) ([]Saved, error) {
	out := make([]Saved, len(as))
	err := s.Write(ctx, func(tx *Tx) error {
		for i, a := range as {
			r, err := tx.SaveArticle(a, scope, 0)
			if err != nil {
				return err
			}
			out[i] = r
		}
		return nil
	})
	return out, err
}

// SaveArticle is Store.SaveArticle inside a unit of work.
func (t *Tx) SaveArticle(a *article.Article, scope string, sourceID int64) (Saved, error) {
	return saveArticle(t.ctx, t.tx, a, scope, sourceID)
}

// SaveCorpus writes the built-in corpus's events: curated, global, and
// rewritten from the corpus itself whatever was stored under their
// addresses before.
func (s *Store) SaveCorpus(ctx context.Context, as []*article.Article) error {
	return s.tx(ctx, func(tx *txn) error {
		for _, a := range as {
			if err := saveCurated(ctx, tx, a); err != nil {
				return err
			}
		}
		return nil
	})
}

func nextSeq(ctx context.Context, tx *txn) (int64, error) {
	if err := tx.d.lock(ctx, tx, lockSeq, ""); err != nil {
		return 0, err
	}
	var seq int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM articles").Scan(&seq); err != nil {
		return 0, err
	}
	if tx.d.postgres {
		// Every process following the store wakes when this commits
		// (PostgreSQL delivers a notification at commit, once per
		// transaction however many articles it numbers).
		if _, err := tx.ExecContext(ctx, "SELECT pg_notify('"+changesChannel+"', '')"); err != nil {
			return 0, err
		}
	}
	return seq, nil
}

func saveArticle(ctx context.Context, tx *txn, a *article.Article, scope string, sourceID int64) (Saved, error) {
	switch {
	case a.URL == "" || a.Title == "":
		return Saved{}, errors.New("store: an article needs a URL and a title")
	case a.Owner != "" && a.Owner != scope:
		return Saved{}, errors.New("store: a guild's own version of a page is for that guild only")
	}
	if a.FirstSeen.IsZero() {
		a.FirstSeen = time.Now().UTC()
	}
	var res Saved
	err := tx.QueryRowContext(ctx, "SELECT id FROM articles WHERE url = ? AND owner = ?", a.URL, a.Owner).Scan(&res.ID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if res.ID, err = insertArticle(ctx, tx, a, false); err != nil {
			return Saved{}, err
		}
		res.Created = true
	case err != nil:
		return Saved{}, fmt.Errorf("store: %w", err)
	case a.Owner != "":
		// A guild's own version follows its feed's latest claims; the
		// first-seen time and any dispute links are kept.
		if err := updateArticle(ctx, tx, res.ID, a, false); err != nil {
			return Saved{}, err
		}
	}
	if res.NewInScope, err = addScope(ctx, tx, res.ID, scope, sourceID); err != nil {
		return Saved{}, err
	}
	if !res.Created && a.Owner == "" {
		// The page was read before: what it said then stands.
		if res.NewInScope {
			if err := bump(ctx, tx, res.ID); err != nil {
				return Saved{}, err
			}
		}
		stored, err := scanArticle(tx.QueryRowContext(ctx, "SELECT "+tx.d.articleColumns()+" FROM articles a WHERE a.id = ?", res.ID), true)
		if err != nil {
			return Saved{}, fmt.Errorf("store: %w", err)
		}
		*a = *stored
	}
	a.ID = res.ID
	return res, nil
}

func saveCurated(ctx context.Context, tx *txn, a *article.Article) error {
	if a.URL == "" || a.Title == "" {
		return errors.New("store: an article needs a URL and a title")
	}
	a.Owner, a.Curated = "", true
	if a.FirstSeen.IsZero() {
		a.FirstSeen = time.Now().UTC()
	}
	var id int64
	err := tx.QueryRowContext(ctx, "SELECT id FROM articles WHERE url = ? AND owner = ''", a.URL).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if id, err = insertArticle(ctx, tx, a, true); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("store: %w", err)
	default:
		if err := updateArticle(ctx, tx, id, a, true); err != nil {
			return err
		}
	}
	a.ID = id
	_, err = addScope(ctx, tx, id, article.GlobalScope, 0)
	return err
}

func insertArticle(ctx context.Context, tx *txn, a *article.Article, curated bool) (int64, error) {
	parties, _ := json.Marshal(nonNil(a.Parties))
	disputes, _ := json.Marshal(nonNil(a.Disputes))
	seq, err := nextSeq(ctx, tx)
	if err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO articles
		(url, owner, curated, title, site, byline, published, updated, first_seen, date_source, text, summary, parties, disputes, dispute_score, fingerprint, seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.URL, a.Owner, boolInt(curated), a.Title, a.Site, a.Byline, timeText(a.Published), timeText(a.Updated), timeText(a.FirstSeen),
		a.DateSource, a.Text, a.Summary, string(parties), string(disputes), a.DisputeScore, article.Fingerprint(a), seq).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: insert article: %w", err)
	}
	return id, nil
}

// updateArticle rewrites an article's content. Its dispute links are kept
// unless a names some, and only curated writes set them.
func updateArticle(ctx context.Context, tx *txn, id int64, a *article.Article, curated bool) error {
	parties, _ := json.Marshal(nonNil(a.Parties))
	disputes, _ := json.Marshal(nonNil(a.Disputes))
	seq, err := nextSeq(ctx, tx)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE articles SET
		curated = ?, title = ?, site = ?, byline = ?, published = ?, updated = ?, date_source = ?,
		text = ?, summary = ?, parties = ?,
		disputes = CASE WHEN ? = '[]' THEN disputes ELSE ? END,
		dispute_score = ?, fingerprint = ?, seq = ?
		WHERE id = ?`,
		boolInt(curated), a.Title, a.Site, a.Byline, timeText(a.Published), timeText(a.Updated), a.DateSource,
		a.Text, a.Summary, string(parties), string(disputes), string(disputes),
		a.DisputeScore, article.Fingerprint(a), seq, id)
	if err != nil {
		return fmt.Errorf("store: update article: %w", err)
	}
	return nil
}

// addScope makes an article visible to scope; it reports whether it was
// new there.
func addScope(ctx context.Context, tx *txn, id int64, scope string, sourceID int64) (bool, error) {
	var src any
	if sourceID != 0 {
		src = sourceID
	}
	r, err := tx.ExecContext(ctx, `INSERT INTO article_scopes(article_id, guild_id, source_id, added_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(article_id, guild_id) DO NOTHING`, id, scope, src, timeText(time.Now()))
	if err != nil {
		return false, fmt.Errorf("store: scope: %w", err)
	}
	n, _ := r.RowsAffected()
	return n == 1, nil
}

// bump gives an article a new seq, so the index takes it again (its
// scopes changed).
func bump(ctx context.Context, tx *txn, id int64) error {
	seq, err := nextSeq(ctx, tx)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE articles SET seq = ? WHERE id = ?", seq, id); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// articleColumns are an article's columns, its text and scopes included.
func (d *dialect) articleColumns() string {
	return `a.id, a.url, a.owner, a.curated, a.title, a.site, a.byline, a.published, a.updated, a.first_seen, a.date_source,
	a.text, a.summary, a.parties, a.disputes, a.dispute_score, ` + d.scopesOf("a.id")
}

// briefColumnsScoped are articleColumns without the text.
func (d *dialect) briefColumnsScoped() string {
	return `a.id, a.url, a.owner, a.curated, a.title, a.site, a.byline, a.published, a.updated, a.first_seen, a.date_source,
	'', a.summary, a.parties, a.disputes, a.dispute_score, ` + d.scopesOf("a.id")
}

// briefColumns are articleColumns without the text and the scopes.
const briefColumns = `a.id, a.url, a.owner, a.curated, a.title, a.site, a.byline, a.published, a.updated, a.first_seen, a.date_source,
	'', a.summary, a.parties, a.disputes, a.dispute_score, ''`

// articlesByID reads briefColumns for a JSON array of ids: one statement,
// prepared once, however many ids an answer asks for.
func (d *dialect) articlesByID() string {
	return "SELECT " + briefColumns + " FROM articles a WHERE a.id IN " + d.idsIn()
}

// pageIDs lists the ids and addresses of the pages at the canonical URLs
// in a JSON array.
func (d *dialect) pageIDs() string {
	return "SELECT a.id, a.url FROM articles a WHERE a.owner = '' AND a.url IN " + d.textsIn()
}

// pagesByID reads briefColumnsScoped for a JSON array of ids.
func (d *dialect) pagesByID() string {
	return "SELECT " + d.briefColumnsScoped() + " FROM articles a WHERE a.id IN " + d.idsIn()
}

type scanner interface{ Scan(...any) error }

func scanArticle(r scanner, withText bool) (*article.Article, error) {
	var (
		a                          article.Article
		published, updated, first  sql.NullString
		text, parties, disp, scope string
	)
	err := r.Scan(&a.ID, &a.URL, &a.Owner, &a.Curated, &a.Title, &a.Site, &a.Byline, &published, &updated, &first, &a.DateSource,
		&text, &a.Summary, &parties, &disp, &a.DisputeScore, &scope)
	if err != nil {
		return nil, err
	}
	a.Published, a.Updated, a.FirstSeen = parseTime(published), parseTime(updated), parseTime(first)
	if withText {
		a.Text = text
	}
	a.Parties, a.Disputes = stringList(parties), stringList(disp)
	if scope != "" {
		a.Scopes = strings.Split(scope, "\x1f")
	}
	return &a, nil
}

// stringList decodes a JSON array of strings, as the store writes an
// article's parties and disputes. The plain case, no escapes, is read
// directly: encoding/json was a sixth of reading an answer's rows. Any
// other goes to encoding/json, errors ignored as they always were.
func stringList(s string) []string {
	if out, ok := plainStrings(s); ok {
		return out
	}
	var out []string
	_ = json.Unmarshal([]byte(s), &out)
	return out
}

// plainStrings reads ["a","b"] with no space, escape, control character
// or invalid UTF-8, which encoding/json would read as they are; ok is
// false for anything else.
func plainStrings(s string) (out []string, ok bool) {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	out = []string{}
	for body != "" {
		if body[0] != '"' {
			return nil, false
		}
		end := strings.IndexByte(body[1:], '"')
		if end < 0 {
			return nil, false
		}
		str := body[1 : 1+end]
		for i := 0; i < len(str); i++ {
			if str[i] < 0x20 || str[i] == '\\' {
				return nil, false
			}
		}
		if !utf8.ValidString(str) {
			return nil, false
		}
		out = append(out, str)
		body = body[end+2:]
		if body != "" {
			if body[0] != ',' || len(body) == 1 {
				return nil, false
			}
			body = body[1:]
		}
	}
	return out, true
}

// Articles returns the articles with the given ids, in the order asked,
// without their full text and scopes (which answers and notices never
// need, and which would cost more to read than the rest). Missing ids are
// skipped. Rows read recently come from memory (see articleCache).
func (s *Store) Articles(ctx context.Context, ids []int64) ([]*article.Article, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return s.cachedArticles(ctx, brief, s.articlesByID, ids)
}

// readArticles reads the articles with the given ids with stmt, which
// takes them as a JSON array, in no particular order.
func readArticles(ctx context.Context, stmt *sql.Stmt, ids []int64) ([]*article.Article, error) {
	list := make([]byte, 0, 8*len(ids))
	for i, id := range ids {
		if i > 0 {
			list = append(list, ',')
		}
		list = strconv.AppendInt(list, id, 10)
	}
	rows, err := stmt.QueryContext(ctx, "["+string(list)+"]")
	if err != nil {
		return nil, fmt.Errorf("store: articles: %w", err)
	}
	defer rows.Close()
	out := make([]*article.Article, 0, len(ids))
	for rows.Next() {
		a, err := scanArticle(rows, false)
		if err != nil {
			return nil, fmt.Errorf("store: articles: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: articles: %w", err)
	}
	return out, nil
}

// ArticleByURL returns the page stored under a canonical URL, as every
// scope reading it shares it.
func (s *Store) ArticleByURL(ctx context.Context, u string) (*article.Article, error) {
	return s.articleWhere(ctx, "a.url = ? AND a.owner = ''", u)
}

// PagesAt returns the pages stored at the given addresses (canonical or
// not; owner ”), without their full text, with their scopes; addresses
// not stored are skipped. Answers read a dispute's status and latest
// events through it.
func (s *Store) PagesAt(ctx context.Context, urls []string) ([]*article.Article, error) {
	// The addresses' ids first: those read before are kept (a page's id
	// at an address never changes once stored: rows are never deleted,
	// nor their address changed), the others read from the index on
	// addresses alone. Then the rows, most often kept from an earlier
	// answer.
	ids, unknown := s.cache.pageIDs(urls)
	canon := make(map[string][]string, len(unknown))
	for _, u := range unknown {
		if c, err := article.CanonicalURL(u); err == nil {
			canon[c] = append(canon[c], u)
		}
	}
	if len(canon) > 0 {
		list, _ := json.Marshal(slices.Collect(maps.Keys(canon)))
		rows, err := s.pageIDs.QueryContext(ctx, string(list))
		if err != nil {
			return nil, fmt.Errorf("store: pages: %w", err)
		}
		defer rows.Close()
		found := map[string]int64{}
		for rows.Next() {
			var id int64
			var u string
			if err := rows.Scan(&id, &u); err != nil {
				return nil, fmt.Errorf("store: pages: %w", err)
			}
			ids = append(ids, id)
			for _, raw := range canon[u] {
				found[raw] = id
			}
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: pages: %w", err)
		}
		rows.Close()
		s.cache.keepPageIDs(found)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	slices.Sort(ids)
	return s.cachedArticles(ctx, withScopes, s.pagesByID, slices.Compact(ids))
}

// ArticleFor returns the article at a canonical URL as guild sees it: its
// own version when its feeds made one, else the page.
func (s *Store) ArticleFor(ctx context.Context, guild, u string) (*article.Article, error) {
	return s.articleWhere(ctx, "a.url = ? AND a.owner IN ('', ?) ORDER BY a.owner DESC LIMIT 1", u, guild)
}

func (s *Store) articleWhere(ctx context.Context, where string, args ...any) (*article.Article, error) {
	a, err := scanArticle(s.db.QueryRowContext(ctx, "SELECT "+s.db.d.articleColumns()+" FROM articles a WHERE "+where, args...), true)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: article: %w", err)
	}
	return a, nil
}

// Changed calls fn with every article changed after seq, in seq order, full
// text included, in pages of batch, with the highest seq of the page; it
// returns the highest seq seen. The index uses it to catch up after a
// crash and to rebuild.
func (s *Store) Changed(ctx context.Context, after int64, batch int, fn func(page []*article.Article, seq int64) error) (int64, error) {
	last := after
	for {
		rows, err := s.db.QueryContext(ctx, "SELECT "+s.db.d.articleColumns()+", a.seq FROM articles a WHERE a.seq > ? ORDER BY a.seq LIMIT ?", last, batch)
		if err != nil {
			return last, fmt.Errorf("store: changed: %w", err)
		}
		var page []*article.Article
		for rows.Next() {
			var seq int64
			a, err := scanArticle(scanFunc(func(dest ...any) error { return rows.Scan(append(dest, &seq)...) }), true)
			if err != nil {
				rows.Close()
				return last, fmt.Errorf("store: changed: %w", err)
			}
			page = append(page, a)
			last = seq
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return last, fmt.Errorf("store: changed: %w", err)
		}
		if len(page) == 0 {
			return last, nil
		}
		if err := fn(page, last); err != nil {
			return last, err
		}
		if len(page) < batch {
			return last, nil
		}
	}
}

type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// MaxSeq is the seq of the latest change.
func (s *Store) MaxSeq(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM articles").Scan(&n)
	return n, err
}

// CountArticles counts stored articles.
func (s *Store) CountArticles(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM articles").Scan(&n)
	return n, err
}

// RetireCorpus hides the built-in articles whose URL is not in keep: a
// corrected link in a newer corpus must not leave the old one visible.
func (s *Store) RetireCorpus(ctx context.Context, keep map[string]bool) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *txn) error {
		rows, err := tx.QueryContext(ctx, `SELECT a.id, a.url FROM articles a JOIN article_scopes sc ON sc.article_id = a.id
			WHERE a.curated = 1 AND sc.guild_id = ?`, article.GlobalScope)
		if err != nil {
			return err
		}
		var drop []int64
		for rows.Next() {
			var id int64
			var u string
			if err := rows.Scan(&id, &u); err != nil {
				rows.Close()
				return err
			}
			if !keep[u] {
				drop = append(drop, id)
			}
		}
		rows.Close()
		for _, id := range drop {
			seq, err := nextSeq(ctx, tx)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM article_scopes WHERE article_id = ? AND guild_id = ?", id, article.GlobalScope); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE articles SET seq = ? WHERE id = ?", seq, id); err != nil {
				return err
			}
		}
		n = len(drop)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: retire corpus: %w", err)
	}
	return n, nil
}
