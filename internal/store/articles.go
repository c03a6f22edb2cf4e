package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/disputebot/disputebot/internal/article"
)

// Saved tells what SaveArticle did.
type Saved struct {
	ID         int64
	Created    bool // the URL was new to the store
	NewInScope bool // the article was new to the scope it was saved for
}

// SaveArticle stores a under its canonical URL, or refreshes the article
// already stored there, and makes it visible to scope (a guild id or
// article.GlobalScope). sourceID, when not zero, records which source
// brought it to that scope. The first-seen time of a stored article never
// changes.
func (s *Store) SaveArticle(ctx context.Context, a *article.Article, scope string, sourceID int64) (Saved, error) {
	var res Saved
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = saveArticle(ctx, tx, a, scope, sourceID)
		return err
	})
	return res, err
}

// SaveArticles stores many articles in one transaction, for the corpus
// load and batch ingest.
func (s *Store) SaveArticles(ctx context.Context, as []*article.Article, scope string) ([]Saved, error) {
	out := make([]Saved, len(as))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for i, a := range as {
			r, err := saveArticle(ctx, tx, a, scope, 0)
			if err != nil {
				return err
			}
			out[i] = r
		}
		return nil
	})
	return out, err
}

func nextSeq(ctx context.Context, tx *sql.Tx) (int64, error) {
	var seq int64
	err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM articles").Scan(&seq)
	return seq, err
}

func saveArticle(ctx context.Context, tx *sql.Tx, a *article.Article, scope string, sourceID int64) (Saved, error) {
	if a.URL == "" || a.Title == "" {
		return Saved{}, errors.New("store: an article needs a URL and a title")
	}
	if a.FirstSeen.IsZero() {
		a.FirstSeen = time.Now().UTC()
	}
	parties, _ := json.Marshal(nonNil(a.Parties))
	disputes, _ := json.Marshal(nonNil(a.Disputes))
	seq, err := nextSeq(ctx, tx)
	if err != nil {
		return Saved{}, fmt.Errorf("store: %w", err)
	}
	var res Saved
	err = tx.QueryRowContext(ctx, "SELECT id FROM articles WHERE url = ?", a.URL).Scan(&res.ID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		r, err := tx.ExecContext(ctx, `INSERT INTO articles
			(url, title, site, byline, published, updated, first_seen, date_source, text, summary, parties, disputes, dispute_score, fingerprint, seq)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.URL, a.Title, a.Site, a.Byline, timeText(a.Published), timeText(a.Updated), timeText(a.FirstSeen),
			a.DateSource, a.Text, a.Summary, string(parties), string(disputes), a.DisputeScore, fingerprint(a), seq)
		if err != nil {
			return Saved{}, fmt.Errorf("store: insert article: %w", err)
		}
		res.ID, _ = r.LastInsertId()
		res.Created = true
	case err != nil:
		return Saved{}, fmt.Errorf("store: %w", err)
	default:
		// A second read of the same address refreshes what was read; the
		// first-seen time and any dispute links are kept.
		_, err := tx.ExecContext(ctx, `UPDATE articles SET
			title = ?, site = ?, byline = ?, published = COALESCE(?, published), updated = COALESCE(?, updated),
			date_source = CASE WHEN ? IS NULL THEN date_source ELSE ? END,
			text = ?, summary = ?, parties = ?,
			disputes = CASE WHEN ? = '[]' THEN disputes ELSE ? END,
			dispute_score = ?, fingerprint = ?, seq = ?
			WHERE id = ?`,
			a.Title, a.Site, a.Byline, timeText(a.Published), timeText(a.Updated),
			timeText(a.Published), a.DateSource,
			a.Text, a.Summary, string(parties), string(disputes), string(disputes),
			a.DisputeScore, fingerprint(a), seq, res.ID)
		if err != nil {
			return Saved{}, fmt.Errorf("store: update article: %w", err)
		}
	}
	var src any
	if sourceID != 0 {
		src = sourceID
	}
	r, err := tx.ExecContext(ctx, `INSERT INTO article_scopes(article_id, guild_id, source_id, added_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(article_id, guild_id) DO NOTHING`, res.ID, scope, src, timeText(time.Now()))
	if err != nil {
		return Saved{}, fmt.Errorf("store: scope: %w", err)
	}
	n, _ := r.RowsAffected()
	res.NewInScope = n == 1
	a.ID = res.ID
	return res, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// fingerprint identifies a story across addresses: its title's words,
// lower-cased, with its publication day. The same story carried by two
// feeds, or re-issued under a new GUID, has the same fingerprint.
func fingerprint(a *article.Article) string {
	words := strings.FieldsFunc(strings.ToLower(a.Title), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r > 127)
	})
	day := ""
	if !a.Published.IsZero() {
		day = a.Published.UTC().Format(article.DateLayout)
	}
	return day + "|" + strings.Join(words, " ")
}

const articleColumns = `a.id, a.url, a.title, a.site, a.byline, a.published, a.updated, a.first_seen, a.date_source,
	a.text, a.summary, a.parties, a.disputes, a.dispute_score,
	COALESCE((SELECT group_concat(guild_id, char(31)) FROM article_scopes s WHERE s.article_id = a.id), '')`

// articlesByID reads briefColumns for a JSON array of ids: one statement,
// prepared once, however many ids an answer asks for.
const articlesByID = "SELECT " + briefColumns + " FROM articles a WHERE a.id IN (SELECT value FROM json_each(?))"

// briefColumns are articleColumns without the text and the scopes.
const briefColumns = `a.id, a.url, a.title, a.site, a.byline, a.published, a.updated, a.first_seen, a.date_source,
	'', a.summary, a.parties, a.disputes, a.dispute_score, ''`

type scanner interface{ Scan(...any) error }

func scanArticle(r scanner, withText bool) (*article.Article, error) {
	var (
		a                          article.Article
		published, updated, first  sql.NullString
		text, parties, disp, scope string
	)
	err := r.Scan(&a.ID, &a.URL, &a.Title, &a.Site, &a.Byline, &published, &updated, &first, &a.DateSource,
		&text, &a.Summary, &parties, &disp, &a.DisputeScore, &scope)
	if err != nil {
		return nil, err
	}
	a.Published, a.Updated, a.FirstSeen = parseTime(published), parseTime(updated), parseTime(first)
	if withText {
		a.Text = text
	}
	_ = json.Unmarshal([]byte(parties), &a.Parties)
	_ = json.Unmarshal([]byte(disp), &a.Disputes)
	if scope != "" {
		a.Scopes = strings.Split(scope, "\x1f")
	}
	return &a, nil
}

// Articles returns the articles with the given ids, in the order asked,
// without their full text and scopes (which answers and notices never
// need, and which would cost more to read than the rest). Missing ids are
// skipped.
func (s *Store) Articles(ctx context.Context, ids []int64) ([]*article.Article, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list := make([]byte, 0, 8*len(ids))
	for i, id := range ids {
		if i > 0 {
			list = append(list, ',')
		}
		list = strconv.AppendInt(list, id, 10)
	}
	rows, err := s.articlesByID.QueryContext(ctx, "["+string(list)+"]")
	if err != nil {
		return nil, fmt.Errorf("store: articles: %w", err)
	}
	defer rows.Close()
	byID := make(map[int64]*article.Article, len(ids))
	for rows.Next() {
		a, err := scanArticle(rows, false)
		if err != nil {
			return nil, fmt.Errorf("store: articles: %w", err)
		}
		byID[a.ID] = a
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: articles: %w", err)
	}
	out := make([]*article.Article, 0, len(ids))
	for _, id := range ids {
		if a, ok := byID[id]; ok {
			out = append(out, a)
		}
	}
	return out, nil
}

// ArticleByURL returns the article stored under a canonical URL.
func (s *Store) ArticleByURL(ctx context.Context, u string) (*article.Article, error) {
	a, err := scanArticle(s.db.QueryRowContext(ctx, "SELECT "+articleColumns+" FROM articles a WHERE a.url = ?", u), true)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
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
		rows, err := s.db.QueryContext(ctx, "SELECT "+articleColumns+", a.seq FROM articles a WHERE a.seq > ? ORDER BY a.seq LIMIT ?", last, batch)
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

// SameStory returns the id of another article telling the same story
// (same fingerprint) visible to scope, or 0.
func (s *Store) SameStory(ctx context.Context, a *article.Article, scope string) (int64, error) {
	fp := fingerprint(a)
	if strings.HasSuffix(fp, "|") {
		return 0, nil
	}
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT a.id FROM articles a JOIN article_scopes s ON s.article_id = a.id
		WHERE a.fingerprint = ? AND a.url <> ? AND s.guild_id IN (?, ?) LIMIT 1`, fp, a.URL, scope, article.GlobalScope).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// RetireCorpus hides the built-in articles whose URL is not in keep: a
// corrected link in a newer corpus must not leave the old one visible.
func (s *Store) RetireCorpus(ctx context.Context, keep map[string]bool) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT a.id, a.url FROM articles a JOIN article_scopes sc ON sc.article_id = a.id
			WHERE a.date_source = 'corpus' AND sc.guild_id = ?`, article.GlobalScope)
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
