package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Gateway shards are shared out between the processes that share the
// store by leases: a process holds shard i of n while it renews its lease,
// and a process that dies loses its shards when the lease runs out, to
// whoever claims them next. Discord's identify limits are kept here too,
// across every process: one identify per max_concurrency bucket every five
// seconds, and no more than the day's session_start_limit.
const shardsTables = `CREATE TABLE shards (
		shard_id    INTEGER PRIMARY KEY,
		shard_count INTEGER NOT NULL,
		holder      TEXT NOT NULL,
		lease_until TEXT NOT NULL,
		-- The holder's gateway session, so that a taker can RESUME it.
		session_id  TEXT NOT NULL DEFAULT '',
		seq         BIGINT NOT NULL DEFAULT 0,
		resume_url  TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE identify_buckets (
		bucket  INTEGER PRIMARY KEY,
		next_at TEXT NOT NULL
	);
	-- One row: Discord's session_start_limit as last read, counted down
	-- by every identify any process makes.
	CREATE TABLE session_starts (
		id        INTEGER PRIMARY KEY CHECK (id = 1),
		total     INTEGER NOT NULL,
		remaining INTEGER NOT NULL,
		reset_at  TEXT NOT NULL
	);`

// IdentifySpacing is how far apart turns to identify in one
// max_concurrency bucket are given: Discord's five seconds and one more,
// because a turn is given before its identify is sent, and two sends can
// arrive closer together than their turns were given (a slow connection
// for the first). One refused identify makes discordgo retry on its own
// and be refused again: CI saw 11 from one such slip.
const IdentifySpacing = 6 * time.Second

// ShardSession is what a gateway session needs to be resumed: its id, the
// last sequence number handled, and the address Discord asked resumes to
// go to.
type ShardSession struct {
	SessionID string
	Seq       int64
	ResumeURL string
}

// ClaimShard takes shard of count for holder until the lease runs out,
// when the shard is free, its lease has run out (its holder died), or
// holder has it already. It reports whether holder has the shard, and the
// session its last holder left, when that was for the same shard count.
// One statement decides, so of any number of claimers one wins.
func (s *Store) ClaimShard(ctx context.Context, shard, count int, holder string, now, until time.Time) (bool, ShardSession, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO shards (shard_id, shard_count, holder, lease_until) VALUES (?, ?, ?, ?)
		ON CONFLICT (shard_id) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until, shard_count = excluded.shard_count,
			session_id = CASE WHEN shards.shard_count = excluded.shard_count THEN shards.session_id ELSE '' END
		WHERE shards.holder = excluded.holder OR shards.lease_until <= ?`, shard, count, holder, timeText(until), timeText(now))
	if err != nil {
		return false, ShardSession{}, fmt.Errorf("store: claim shard: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, ShardSession{}, err
	}
	var sess ShardSession
	err = s.db.QueryRowContext(ctx, "SELECT session_id, seq, resume_url FROM shards WHERE shard_id = ? AND holder = ?", shard, holder).
		Scan(&sess.SessionID, &sess.Seq, &sess.ResumeURL)
	if errors.Is(err, sql.ErrNoRows) {
		return false, ShardSession{}, nil // taken meanwhile, after a lease shorter than the query
	}
	if err != nil {
		return false, ShardSession{}, fmt.Errorf("store: claim shard: %w", err)
	}
	return true, sess, nil
}

// RenewShard extends holder's lease on shard and records its session. It
// reports false when holder no longer has the shard: its lease ran out and
// another process took it, and holder must close its connection.
func (s *Store) RenewShard(ctx context.Context, shard int, holder string, until time.Time, sess ShardSession) (bool, error) {
	res, err := s.db.ExecContext(ctx, "UPDATE shards SET lease_until = ?, session_id = ?, seq = ?, resume_url = ? WHERE shard_id = ? AND holder = ?",
		timeText(until), sess.SessionID, sess.Seq, sess.ResumeURL, shard, holder)
	if err != nil {
		return false, fmt.Errorf("store: renew shard: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseShard gives a shard up at once, as a process stopping does, so
// another takes it without waiting for the lease to run out. The session
// last recorded stays: a stopping process closes its connection leaving
// the session resumable, and the taker resumes it.
func (s *Store) ReleaseShard(ctx context.Context, shard int, holder string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, "UPDATE shards SET lease_until = ? WHERE shard_id = ? AND holder = ?", timeText(now), shard, holder)
	if err != nil {
		return fmt.Errorf("store: release shard: %w", err)
	}
	return nil
}

// ShardHolders lists who holds each shard whose lease runs past now.
func (s *Store) ShardHolders(ctx context.Context, now time.Time) (map[int]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT shard_id, holder FROM shards WHERE lease_until > ? ORDER BY shard_id", timeText(now))
	if err != nil {
		return nil, fmt.Errorf("store: shard holders: %w", err)
	}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var id int
		var h string
		if err := rows.Scan(&id, &h); err != nil {
			return nil, fmt.Errorf("store: shard holders: %w", err)
		}
		out[id] = h
	}
	return out, rows.Err()
}

// shardPeersTable lists the processes taking part in holding shards, each
// until its presence runs out, so that one holding many can give some to
// one that holds few (see ShardPeers). Same in both dialects.
const shardPeersTable = `CREATE TABLE shard_peers (
		holder     TEXT PRIMARY KEY,
		seen_until TEXT NOT NULL
	);`

// ShardPeers records that holder takes part in holding shards until
// until, and returns how many shards each process taking part holds at
// now (leases running past now), holder's own included; a process whose
// presence ran out (it died) is left out and forgotten.
func (s *Store) ShardPeers(ctx context.Context, holder string, now, until time.Time) (map[string]int, error) {
	out := map[string]int{}
	err := s.tx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO shard_peers (holder, seen_until) VALUES (?, ?)
			ON CONFLICT (holder) DO UPDATE SET seen_until = excluded.seen_until`, holder, timeText(until)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM shard_peers WHERE seen_until <= ?", timeText(now)); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT p.holder, COUNT(s.shard_id) FROM shard_peers p
			LEFT JOIN shards s ON s.holder = p.holder AND s.lease_until > ?
			GROUP BY p.holder`, timeText(now))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h string
			var n int
			if err := rows.Scan(&h, &n); err != nil {
				return err
			}
			out[h] = n
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: shard peers: %w", err)
	}
	return out, nil
}

// SessionStartLimit is Discord's session_start_limit: identifies allowed
// in all, left, and when the count starts again.
type SessionStartLimit struct {
	Total, Remaining int
	ResetAt          time.Time
}

// SetSessionStartLimit records the limit as Discord reported it (GET
// /gateway/bot), replacing the store's own count.
func (s *Store) SetSessionStartLimit(ctx context.Context, l SessionStartLimit) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO session_starts (id, total, remaining, reset_at) VALUES (1, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET total = excluded.total, remaining = excluded.remaining, reset_at = excluded.reset_at`,
		l.Total, l.Remaining, timeText(l.ResetAt))
	if err != nil {
		return fmt.Errorf("store: session start limit: %w", err)
	}
	return nil
}

// IdentifyTurn is the answer to asking to identify.
type IdentifyTurn struct {
	// OK is the turn given: identify now.
	OK bool
	// Retry is when to ask again, when not OK.
	Retry time.Time
	// Why says why not: "spacing" (another identify of the bucket came
	// less than IdentifySpacing ago) or "session_start_limit" (no more
	// than reserve identifies are left until the limit resets).
	Why string
	// Remaining is what is left of the limit after this identify, -1 when
	// the limit was never recorded.
	Remaining int
}

// ClaimIdentify asks for a turn to identify a shard of max_concurrency
// bucket: at most one identify of a bucket every IdentifySpacing, across
// every process sharing the store, and none while no more than reserve
// are left of the session start limit (Discord resets a token that
// identifies too often). A turn given is counted against the limit.
func (s *Store) ClaimIdentify(ctx context.Context, bucket int, now time.Time, reserve int) (IdentifyTurn, error) {
	turn := IdentifyTurn{Remaining: -1}
	err := s.tx(ctx, func(tx *txn) error {
		if err := tx.d.lock(ctx, tx, lockIdentify, ""); err != nil {
			return err
		}
		var l SessionStartLimit
		var reset sql.NullString
		err := tx.QueryRowContext(ctx, "SELECT total, remaining, reset_at FROM session_starts WHERE id = 1").Scan(&l.Total, &l.Remaining, &reset)
		known := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		l.ResetAt = parseTime(reset)
		if known && !now.Before(l.ResetAt) {
			// The day Discord counts over has passed: the limit is whole
			// again until it is read afresh. Its next reset is a day
			// away at most.
			l.Remaining, l.ResetAt = l.Total, now.Add(24*time.Hour)
		}
		if known && l.Remaining <= reserve {
			turn.Retry, turn.Why, turn.Remaining = l.ResetAt, "session_start_limit", l.Remaining
			return nil
		}
		var next sql.NullString
		err = tx.QueryRowContext(ctx, "SELECT next_at FROM identify_buckets WHERE bucket = ?", bucket).Scan(&next)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if at := parseTime(next); now.Before(at) {
			turn.Retry, turn.Why = at, "spacing"
			if known {
				turn.Remaining = l.Remaining
			}
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO identify_buckets (bucket, next_at) VALUES (?, ?)
			ON CONFLICT (bucket) DO UPDATE SET next_at = excluded.next_at`, bucket, timeText(now.Add(IdentifySpacing))); err != nil {
			return err
		}
		turn.OK = true
		if known {
			turn.Remaining = l.Remaining - 1
			_, err = tx.ExecContext(ctx, "UPDATE session_starts SET remaining = ?, reset_at = ? WHERE id = 1", turn.Remaining, timeText(l.ResetAt))
		}
		return err
	})
	if err != nil {
		return IdentifyTurn{}, fmt.Errorf("store: claim identify: %w", err)
	}
	return turn, nil
}
