package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
)

// TraceURL gathers guild's records of the article at addr. An article only
// other guilds can see is reported as unseen, so the answer never reveals
// another guild's sources.
func (s *Store) TraceURL(ctx context.Context, guild, addr string) (*domain.Trace, error) {
	u, err := article.CanonicalURL(addr)
	if err != nil {
		return nil, err
	}
	t := &domain.Trace{}
	srcs, err := s.querySources(ctx, "s.guild_id = ? ORDER BY s.id", guild)
	if err != nil {
		return nil, err
	}
	// A feed item is remembered by its GUID (often its address) or its
	// link, as the feed wrote it.
	unread, err := s.feedsCarrying(ctx, guild, "i.article_id IS NULL AND i.key IN (?, ?, ?, ?)",
		"guid:"+addr, "link:"+addr, "guid:"+u, "link:"+u)
	if err != nil {
		return nil, err
	}
	t.Unread = carried(srcs, unread)
	a, err := s.ArticleFor(ctx, guild, u)
	if errors.Is(err, domain.ErrNotFound) {
		return t, nil
	}
	if err != nil {
		return nil, err
	}
	scopes, err := s.db.QueryContext(ctx, `SELECT guild_id, source_id, added_at FROM article_scopes
		WHERE article_id = ? AND guild_id IN (?, ?)`, a.ID, guild, article.GlobalScope)
	if err != nil {
		return nil, fmt.Errorf("store: trace: %w", err)
	}
	carriedBy := map[int64]time.Time{}
	visible := false
	for scopes.Next() {
		var g string
		var src sql.NullInt64
		var at sql.NullString
		if err := scopes.Scan(&g, &src, &at); err != nil {
			scopes.Close()
			return nil, fmt.Errorf("store: trace: %w", err)
		}
		visible = true
		t.Global = t.Global || g == article.GlobalScope
		if g == guild && src.Valid {
			carriedBy[src.Int64] = parseTime(at)
		}
	}
	scopes.Close()
	if err := scopes.Err(); err != nil {
		return nil, fmt.Errorf("store: trace: %w", err)
	}
	if !visible {
		return t, nil
	}
	t.Article = a
	// Every feed of the guild that carried it, not only the first: the
	// article's scope row remembers one source, feed_items all of them.
	feeds, err := s.feedsCarrying(ctx, guild, "i.article_id = ?", a.ID)
	if err != nil {
		return nil, err
	}
	for id, at := range feeds {
		if _, ok := carriedBy[id]; !ok {
			carriedBy[id] = at
		}
	}
	t.Sources = carried(srcs, carriedBy)
	t.Notices, err = s.deliveriesOf(ctx, guild, a)
	return t, err
}

// feedsCarrying maps the guild's feeds whose items match where to when
// they first listed one.
func (s *Store) feedsCarrying(ctx context.Context, guild, where string, args ...any) (map[int64]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT i.source_id, MIN(i.seen_at) FROM feed_items i JOIN sources s ON s.id = i.source_id
		WHERE s.guild_id = ? AND `+where+` GROUP BY i.source_id`, append([]any{guild}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("store: trace: %w", err)
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var id int64
		var at sql.NullString
		if err := rows.Scan(&id, &at); err != nil {
			return nil, fmt.Errorf("store: trace: %w", err)
		}
		out[id] = parseTime(at)
	}
	return out, rows.Err()
}

// carried lists the sources in by, in the order of srcs.
func carried(srcs []*domain.Source, by map[int64]time.Time) []domain.Carried {
	var out []domain.Carried
	for _, src := range srcs {
		if at, ok := by[src.ID]; ok {
			out = append(out, domain.Carried{Source: src, At: at})
		}
	}
	return out
}

func (s *Store) deliveriesOf(ctx context.Context, guild string, a *article.Article) ([]domain.Queued, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT d.target, d.reason, d.state, d.attempts, d.created_at, d.sent_at, CASE WHEN d.article_id = ? THEN '' ELSE a.url END
		FROM deliveries d JOIN articles a ON a.id = d.article_id
		WHERE d.guild_id = ? AND (d.article_id = ? OR d.story = ?) ORDER BY d.id`, a.ID, guild, a.ID, domain.StoryKey(a))
	if err != nil {
		return nil, fmt.Errorf("store: trace: %w", err)
	}
	defer rows.Close()
	var out []domain.Queued
	for rows.Next() {
		var d domain.Queued
		var target, reason, state string
		var created, sent sql.NullString
		if err := rows.Scan(&target, &reason, &state, &d.Attempts, &created, &sent, &d.OtherURL); err != nil {
			return nil, fmt.Errorf("store: trace: %w", err)
		}
		// A row this build cannot read is shown as it can be, not dropped.
		d.Target, _ = domain.ParseTarget(target)
		d.Reason, _ = domain.ParseReason(reason)
		d.State = domain.State(state)
		d.CreatedAt, d.SentAt = parseTime(created), parseTime(sent)
		out = append(out, d)
	}
	return out, rows.Err()
}
