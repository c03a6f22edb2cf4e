package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Source is an address a guild's moderators asked disputebot to read: one
// article, or a feed polled for new ones.
type Source struct {
	ID          int64
	GuildID     string
	URL         string
	Kind        string // "article" or "feed"
	AddedBy     string
	AddedAt     time.Time
	LastFetched time.Time
	LastError   string
	Items       int
	Feed        *Feed // for feeds
}

// Feed is a source's polling state.
type Feed struct {
	ChannelID      string // where new dispute articles are posted; "" for none
	Interval       time.Duration
	Title          string
	ETag           string
	LastModified   string
	LastOK         time.Time
	NextPoll       time.Time
	Failures       int
	FailureNoticed bool
}

// Source kinds.
const (
	KindArticle = "article"
	KindFeed    = "feed"
)

// ErrExists is returned when a guild adds a source it already has.
var ErrExists = errors.New("store: already added")

// AddSource records a guild's new source; a feed gets polling state, first
// poll due at once.
func (s *Store) AddSource(ctx context.Context, src *Source) error {
	if src.AddedAt.IsZero() {
		src.AddedAt = time.Now().UTC()
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `INSERT INTO sources(guild_id, url, kind, added_by, added_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(guild_id, url) DO NOTHING`, src.GuildID, src.URL, src.Kind, src.AddedBy, timeText(src.AddedAt))
		if err != nil {
			return fmt.Errorf("store: add source: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrExists
		}
		src.ID, _ = r.LastInsertId()
		if src.Kind != KindFeed {
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

func scanSource(r scanner) (*Source, error) {
	var (
		src                      Source
		added, fetched           sql.NullString
		channel, title, etag, lm sql.NullString
		lastOK, next             sql.NullString
		interval, failures, note sql.NullInt64
	)
	err := r.Scan(&src.ID, &src.GuildID, &src.URL, &src.Kind, &src.AddedBy, &added, &fetched, &src.LastError, &src.Items,
		&channel, &interval, &title, &etag, &lm, &lastOK, &next, &failures, &note)
	if err != nil {
		return nil, err
	}
	src.AddedAt, src.LastFetched = parseTime(added), parseTime(fetched)
	if src.Kind == KindFeed && interval.Valid {
		src.Feed = &Feed{
			ChannelID: channel.String, Interval: time.Duration(interval.Int64) * time.Second, Title: title.String,
			ETag: etag.String, LastModified: lm.String, LastOK: parseTime(lastOK), NextPoll: parseTime(next),
			Failures: int(failures.Int64), FailureNoticed: note.Int64 != 0,
		}
	}
	return &src, nil
}

func (s *Store) querySources(ctx context.Context, where string, args ...any) ([]*Source, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+sourceColumns+" FROM sources s LEFT JOIN feeds f ON f.source_id = s.id WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: sources: %w", err)
	}
	defer rows.Close()
	var out []*Source
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
func (s *Store) Sources(ctx context.Context, guild, kind string) ([]*Source, error) {
	return s.querySources(ctx, "s.guild_id = ? AND s.kind = ? ORDER BY s.id", guild, kind)
}

// SourceByRef finds a guild's source by its number or its address. Another
// guild's source is never found, whatever its number.
func (s *Store) SourceByRef(ctx context.Context, guild, kind, ref string) (*Source, error) {
	ref = strings.TrimPrefix(strings.TrimSpace(ref), "#")
	var list []*Source
	var err error
	if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil {
		list, err = s.querySources(ctx, "s.guild_id = ? AND s.kind = ? AND s.id = ?", guild, kind, id)
	} else {
		list, err = s.querySources(ctx, "s.guild_id = ? AND s.kind = ? AND s.url = ?", guild, kind, ref)
	}
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, ErrNotFound
	}
	return list[0], nil
}

// Source returns a source by id, for the poller.
func (s *Store) Source(ctx context.Context, id int64) (*Source, error) {
	list, err := s.querySources(ctx, "s.id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, ErrNotFound
	}
	return list[0], nil
}

// RemoveSource deletes a guild's source and hides from that guild the
// articles only it brought there; the articles stay for any other guild or
// source that has them. It returns how many articles the guild lost.
func (s *Store) RemoveSource(ctx context.Context, guild string, id int64) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var owner string
		if err := tx.QueryRowContext(ctx, "SELECT guild_id FROM sources WHERE id = ?", id).Scan(&owner); err != nil || owner != guild {
			return ErrNotFound
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
	if err != nil && !errors.Is(err, ErrNotFound) {
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

// DueFeeds lists feeds whose next poll is at or before now, most overdue
// first.
func (s *Store) DueFeeds(ctx context.Context, now time.Time, limit int) ([]*Source, error) {
	return s.querySources(ctx, "s.kind = 'feed' AND f.next_poll <= ? ORDER BY f.next_poll LIMIT ?", timeText(now), limit)
}

// NextFeedPoll is the earliest next poll of any feed (zero when none).
func (s *Store) NextFeedPoll(ctx context.Context) (time.Time, error) {
	var t sql.NullString
	err := s.db.QueryRowContext(ctx, "SELECT MIN(next_poll) FROM feeds").Scan(&t)
	return parseTime(t), err
}

// FeedPolled records a poll: its validators, when to poll next, and the
// failure streak (reset by a success).
func (s *Store) FeedPolled(ctx context.Context, id int64, f *Feed) error {
	_, err := s.db.ExecContext(ctx, `UPDATE feeds SET title = ?, etag = ?, last_modified = ?, last_ok = ?, next_poll = ?, failures = ?, failure_noticed = ?
		WHERE source_id = ?`, f.Title, f.ETag, f.LastModified, timeText(f.LastOK), timeText(f.NextPoll), f.Failures, boolInt(f.FailureNoticed), id)
	if err != nil {
		return fmt.Errorf("store: feed polled: %w", err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FeedItemSeen reports whether a feed has carried an item before.
func (s *Store) FeedItemSeen(ctx context.Context, sourceID int64, key string) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, "SELECT 1 FROM feed_items WHERE source_id = ? AND key = ?", sourceID, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// MarkFeedItem records that a feed carried an item; recorded last, after
// the item's article and notices are stored, so a crash re-reads the item
// rather than losing it.
func (s *Store) MarkFeedItem(ctx context.Context, sourceID int64, key string, articleID int64, at time.Time) error {
	var aid any
	if articleID != 0 {
		aid = articleID
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO feed_items(source_id, key, article_id, seen_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(source_id, key) DO NOTHING`, sourceID, key, aid, timeText(at))
	if err != nil {
		return fmt.Errorf("store: feed item: %w", err)
	}
	return nil
}
