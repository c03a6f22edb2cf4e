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

	"github.com/disputebot/disputebot/internal/domain"
)

// SetCaps sets the caps AddSource, AddAlias and Subscribe enforce.
func (s *Store) SetCaps(c domain.Caps) { s.caps = c }

// atCap reports whether the count query finds limit rows or more.
func atCap(ctx context.Context, tx *txn, limit int, count string, args ...any) (bool, error) {
	if limit <= 0 {
		return false, nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, count, args...).Scan(&n); err != nil {
		return false, err
	}
	return n >= limit, nil
}

// AddSource records a guild's new source; a feed gets polling state, first
// poll due at once.
func (s *Store) AddSource(ctx context.Context, src *domain.Source) error {
	if src.AddedAt.IsZero() {
		src.AddedAt = time.Now().UTC()
	}
	return s.tx(ctx, func(tx *txn) error {
		if err := tx.d.lock(ctx, tx, lockGuild, src.GuildID); err != nil {
			return err
		}
		var one int
		switch err := tx.QueryRowContext(ctx, "SELECT 1 FROM sources WHERE guild_id = ? AND url = ?", src.GuildID, src.URL).Scan(&one); {
		case err == nil:
			return domain.ErrExists
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("store: add source: %w", err)
		}
		limit, what := s.caps.Sources, domain.CapSources
		if src.Kind == domain.FeedSource {
			limit, what = s.caps.Feeds, domain.CapFeeds
		}
		if full, err := atCap(ctx, tx, limit, "SELECT COUNT(*) FROM sources WHERE guild_id = ? AND kind = ?", src.GuildID, string(src.Kind)); err != nil {
			return fmt.Errorf("store: add source: %w", err)
		} else if full {
			return &domain.CapError{What: what, Limit: limit}
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO sources(guild_id, url, kind, added_by, added_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(guild_id, url) DO NOTHING RETURNING id`, src.GuildID, src.URL, string(src.Kind), src.AddedBy, timeText(src.AddedAt)).Scan(&src.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.ErrExists
		}
		if err != nil {
			return fmt.Errorf("store: add source: %w", err)
		}
		if src.Kind != domain.FeedSource {
			return nil
		}
		f := src.Feed
		if f == nil {
			return errors.New("store: a feed source needs its feed settings")
		}
		if f.NextPoll.IsZero() {
			f.NextPoll = src.AddedAt
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO feeds(source_id, channel_id, interval_s, title, next_poll) VALUES (?, ?, ?, ?, ?)`,
			src.ID, f.ChannelID, int64(f.Interval/time.Second), f.Title, timeText(f.NextPoll))
		if err != nil {
			return fmt.Errorf("store: add feed: %w", err)
		}
		return nil
	})
}

const sourceColumns = `s.id, s.guild_id, s.url, s.kind, s.added_by, s.added_at, s.last_fetched, s.last_error, s.items,
	f.channel_id, f.interval_s, f.title, f.etag, f.last_modified, f.last_ok, f.next_poll, f.failures, f.failure_noticed`

func scanSource(r scanner) (*domain.Source, error) {
	var (
		src                      domain.Source
		added, fetched           sql.NullString
		channel, title, etag, lm sql.NullString
		lastOK, next             sql.NullString
		interval, failures, note sql.NullInt64
		kind                     string
	)
	err := r.Scan(&src.ID, &src.GuildID, &src.URL, &kind, &src.AddedBy, &added, &fetched, &src.LastError, &src.Items,
		&channel, &interval, &title, &etag, &lm, &lastOK, &next, &failures, &note)
	if err != nil {
		return nil, err
	}
	src.Kind = domain.SourceKind(kind)
	src.AddedAt, src.LastFetched = parseTime(added), parseTime(fetched)
	if src.Kind == domain.FeedSource && interval.Valid {
		src.Feed = &domain.Feed{
			ChannelID: channel.String, Interval: time.Duration(interval.Int64) * time.Second, Title: title.String,
			ETag: etag.String, LastModified: lm.String, LastOK: parseTime(lastOK), NextPoll: parseTime(next),
			Failures: int(failures.Int64), FailureNoticed: note.Int64 != 0,
		}
	}
	return &src, nil
}

func (s *Store) querySources(ctx context.Context, where string, args ...any) ([]*domain.Source, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+sourceColumns+" FROM sources s LEFT JOIN feeds f ON f.source_id = s.id WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: sources: %w", err)
	}
	defer rows.Close()
	var out []*domain.Source
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, fmt.Errorf("store: sources: %w", err)
		}
		out = append(out, src)
	}
	return out, rows.Err()
}

// Sources lists a guild's sources of one kind, oldest first.
func (s *Store) Sources(ctx context.Context, guild string, kind domain.SourceKind) ([]*domain.Source, error) {
	return s.querySources(ctx, "s.guild_id = ? AND s.kind = ? ORDER BY s.id", guild, string(kind))
}

// SourceByRef finds a guild's source by its number or its address. Another
// guild's source is never found, whatever its number.
func (s *Store) SourceByRef(ctx context.Context, guild string, kind domain.SourceKind, ref string) (*domain.Source, error) {
	ref = strings.TrimPrefix(strings.TrimSpace(ref), "#")
	var list []*domain.Source
	var err error
	if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil {
		list, err = s.querySources(ctx, "s.guild_id = ? AND s.kind = ? AND s.id = ?", guild, string(kind), id)
	} else {
		list, err = s.querySources(ctx, "s.guild_id = ? AND s.kind = ? AND s.url = ?", guild, string(kind), ref)
	}
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, domain.ErrNotFound
	}
	return list[0], nil
}

// Source returns a source by id, for the poller.
func (s *Store) Source(ctx context.Context, id int64) (*domain.Source, error) {
	list, err := s.querySources(ctx, "s.id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, domain.ErrNotFound
	}
	return list[0], nil
}

// RemoveSource deletes a guild's source and hides from that guild the
// articles only it brought there; the articles stay for any other guild or
// source that has them. It returns how many articles the guild lost.
func (s *Store) RemoveSource(ctx context.Context, guild string, id int64) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *txn) error {
		var owner string
		if err := tx.QueryRowContext(ctx, "SELECT guild_id FROM sources WHERE id = ?", id).Scan(&owner); err != nil || owner != guild {
			return domain.ErrNotFound
		}
		rows, err := tx.QueryContext(ctx, "SELECT article_id FROM article_scopes WHERE source_id = ? AND guild_id = ?", id, guild)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var aid int64
			if err := rows.Scan(&aid); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, aid)
		}
		rows.Close()
		for _, aid := range ids {
			if _, err := tx.ExecContext(ctx, "DELETE FROM article_scopes WHERE article_id = ? AND guild_id = ?", aid, guild); err != nil {
				return err
			}
			seq, err := nextSeq(ctx, tx)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE articles SET seq = ? WHERE id = ?", seq, aid); err != nil {
				return err
			}
		}
		n = len(ids)
		_, err = tx.ExecContext(ctx, "DELETE FROM sources WHERE id = ?", id)
		return err
	})
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		err = fmt.Errorf("store: remove source: %w", err)
	}
	return n, err
}

// SourceFetched records the outcome of reading a source.
func (s *Store) SourceFetched(ctx context.Context, id int64, at time.Time, errText string, newItems int) error {
	_, err := s.db.ExecContext(ctx, "UPDATE sources SET last_fetched = ?, last_error = ?, items = items + ? WHERE id = ?", timeText(at), errText, newItems, id)
	if err != nil {
		return fmt.Errorf("store: source fetched: %w", err)
	}
	return nil
}

// DueFeeds lists feeds whose next poll is at or before now: at most
// perGuild of each guild's, most overdue first, taken in turns across
// guilds (every guild's most overdue, then every guild's second), so a
// guild with a thousand overdue feeds fills no more of the list than one
// with a single feed.
func (s *Store) DueFeeds(ctx context.Context, now time.Time, perGuild, limit int) ([]*domain.Source, error) {
	return s.querySources(ctx, `s.id IN (SELECT id FROM (
			SELECT s2.id, ROW_NUMBER() OVER (PARTITION BY s2.guild_id ORDER BY f2.next_poll, s2.id) AS turn, f2.next_poll AS due
			FROM sources s2 JOIN feeds f2 ON f2.source_id = s2.id
			WHERE s2.kind = 'feed' AND f2.next_poll <= ?) AS turns
		WHERE turn <= ? ORDER BY turn, due LIMIT ?)
		ORDER BY f.next_poll, s.id`, timeText(now), perGuild, limit)
}

// ClaimFeed takes a due feed's poll for the caller: the feed's next poll
// moves to until, so every other process sharing the store passes it by,
// and it falls due again by itself if the caller dies before recording the
// poll (FeedPolled sets the real next poll). It reports false when the
// feed was no longer due at now: another process took it first. One
// UPDATE decides, so of any number of claimers exactly one wins.
func (s *Store) ClaimFeed(ctx context.Context, id int64, now, until time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, "UPDATE feeds SET next_poll = ? WHERE source_id = ? AND next_poll <= ?", timeText(until), id, timeText(now))
	if err != nil {
		return false, fmt.Errorf("store: claim feed: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseFeed gives a claimed poll back when it was not carried out (the
// process is stopping): the feed is due again at next, unless the poll was
// recorded meanwhile.
func (s *Store) ReleaseFeed(ctx context.Context, id int64, claimedUntil, next time.Time) error {
	_, err := s.db.ExecContext(ctx, "UPDATE feeds SET next_poll = ? WHERE source_id = ? AND next_poll = ?", timeText(next), id, timeText(claimedUntil))
	if err != nil {
		return fmt.Errorf("store: release feed: %w", err)
	}
	return nil
}

// NextFeedPoll is the earliest next poll of any feed (zero when none).
func (s *Store) NextFeedPoll(ctx context.Context) (time.Time, error) {
	var t sql.NullString
	err := s.db.QueryRowContext(ctx, "SELECT MIN(next_poll) FROM feeds").Scan(&t)
	return parseTime(t), err
}

// FeedPolled records a poll: its validators, when to poll next, and the
// failure streak (reset by a success).
func (s *Store) FeedPolled(ctx context.Context, id int64, f *domain.Feed) error {
	return s.Write(ctx, func(tx *Tx) error { return tx.FeedPolled(id, f) })
}

// FeedPolled is Store.FeedPolled inside a unit of work.
func (t *Tx) FeedPolled(id int64, f *domain.Feed) error {
	_, err := t.tx.ExecContext(t.ctx, `UPDATE feeds SET title = ?, etag = ?, last_modified = ?, last_ok = ?, next_poll = ?, failures = ?, failure_noticed = ?
		WHERE source_id = ?`, f.Title, f.ETag, f.LastModified, timeText(f.LastOK), timeText(f.NextPoll), f.Failures, boolInt(f.FailureNoticed), id)
	if err != nil {
		return fmt.Errorf("store: feed polled: %w", err)
	}
	return nil
}

// SourceFetched is Store.SourceFetched inside a unit of work.
func (t *Tx) SourceFetched(id int64, at time.Time, errText string, newItems int) error {
	_, err := t.tx.ExecContext(t.ctx, "UPDATE sources SET last_fetched = ?, last_error = ?, items = items + ? WHERE id = ?", timeText(at), errText, newItems, id)
	if err != nil {
		return fmt.Errorf("store: source fetched: %w", err)
	}
	return nil
}

// SourceExists reports whether a source is still there: a moderator may
// remove a feed while it is being polled.
func (t *Tx) SourceExists(id int64) (bool, error) {
	var one int
	err := t.tx.QueryRowContext(t.ctx, "SELECT 1 FROM sources WHERE id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Unseen returns the keys among keys that the feed has not carried
// before, in the order given.
func (s *Store) Unseen(ctx context.Context, sourceID int64, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	list, _ := json.Marshal(keys)
	rows, err := s.db.QueryContext(ctx, "SELECT key FROM feed_items WHERE source_id = ? AND key IN "+s.db.d.textsIn(), sourceID, string(list))
	if err != nil {
		return nil, fmt.Errorf("store: feed items: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("store: feed items: %w", err)
		}
		seen[k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: feed items: %w", err)
	}
	var out []string
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true // a feed listing an item twice reads it once
			out = append(out, k)
		}
	}
	return out, nil
}

// FeedItemSeen reports whether a feed has carried an item before.
func (s *Store) FeedItemSeen(ctx context.Context, sourceID int64, key string) (bool, error) {
	unseen, err := s.Unseen(ctx, sourceID, []string{key})
	return err == nil && len(unseen) == 0, err
}

// MarkFeedItem records that a feed carried an item; recorded after the
// item's article and notices are stored, in the same unit of work.
func (t *Tx) MarkFeedItem(sourceID int64, key string, articleID int64, at time.Time) error {
	var aid any
	if articleID != 0 {
		aid = articleID
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO feed_items(source_id, key, article_id, seen_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(source_id, key) DO NOTHING`, sourceID, key, aid, timeText(at))
	if err != nil {
		return fmt.Errorf("store: feed item: %w", err)
	}
	return nil
}

// MarkFeedItem records that a feed carried an item.
func (s *Store) MarkFeedItem(ctx context.Context, sourceID int64, key string, articleID int64, at time.Time) error {
	return s.Write(ctx, func(tx *Tx) error { return tx.MarkFeedItem(sourceID, key, articleID, at) })
}

// PruneFeedItems forgets all but the keep most recently seen items of a
// feed. A feed lists its latest items only (the poller reads at most a
// hundred), so an item older than many of them is gone from it; were it
// to come back, its notices would still not repeat (the queue's keys).
func (t *Tx) PruneFeedItems(sourceID int64, keep int) error {
	_, err := t.tx.ExecContext(t.ctx, `DELETE FROM feed_items WHERE source_id = ? AND key NOT IN
		(SELECT key FROM feed_items WHERE source_id = ? ORDER BY seen_at DESC, key DESC LIMIT ?)`, sourceID, sourceID, keep)
	if err != nil {
		return fmt.Errorf("store: prune feed items: %w", err)
	}
	return nil
}

// GuildArticlesSince counts the articles that reached a guild through its
// own sources since a time: what its daily cap counts.
func (s *Store) GuildArticlesSince(ctx context.Context, guild string, since time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM article_scopes WHERE guild_id = ? AND added_at >= ?", guild, timeText(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: guild articles: %w", err)
	}
	return n, nil
}

// CountFeedItems is how many of a feed's items are remembered as seen.
func (s *Store) CountFeedItems(ctx context.Context, sourceID int64) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM feed_items WHERE source_id = ?", sourceID).Scan(&n)
	return n, err
}
