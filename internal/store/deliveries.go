package store

import (
	"context"
	"fmt"
	"time"

	"github.com/disputebot/disputebot/internal/domain"
)

// Enqueue adds deliveries to the queue, skipping any whose target has
// already been (or is being) told of the same article or story in the
// same guild. It returns how many were new.
func (s *Store) Enqueue(ctx context.Context, ds []domain.Delivery, now time.Time) (int, error) {
	n := 0
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		n, err = tx.Enqueue(ds, now)
		return err
	})
	return n, err
}

// Enqueue is Store.Enqueue inside a unit of work.
func (t *Tx) Enqueue(ds []domain.Delivery, now time.Time) (int, error) {
	n := 0
	for _, d := range ds {
		r, err := t.tx.ExecContext(t.ctx, `INSERT INTO deliveries(guild_id, target, article_id, story, reason, next_attempt, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			d.GuildID, d.Target.String(), d.ArticleID, d.Story, d.Reason.String(), timeText(now), timeText(now))
		if err != nil {
			return n, fmt.Errorf("store: enqueue: %w", err)
		}
		k, _ := r.RowsAffected()
		n += int(k)
	}
	return n, nil
}

// ClaimBatches returns the messages due now, each to one claimer: a
// claimed message is leased to its claimer until now+lease, and comes back
// to any claimer only when the lease runs out without BatchSent, Retry or
// Failed (its claimer died). Such a message comes back unchanged, with the
// same id, so the resend carries the same nonce. Then pending deliveries
// that have settled (waited settle, so a burst gathers into one digest)
// are formed into new batches, one per target. Claimers in several
// processes queue on a lock, so no delivery joins two batches.
//
// perSecond, when not zero, is how many messages all claimers sharing the
// store may claim in one second of the clock, together: Discord allows a
// bot a number of requests a second however many processes make them,
// and senders that each kept to it alone would, together, be refused
// (and a bot refused too often is shut out for an hour).
func (s *Store) ClaimBatches(ctx context.Context, now time.Time, settle, lease time.Duration, limit, perSecond int) ([]*domain.Batch, error) {
	var ids []int64
	err := s.tx(ctx, func(tx *txn) (err error) {
		if err := tx.d.lock(ctx, tx, lockClaim, ""); err != nil {
			return err
		}
		if perSecond > 0 {
			left, err := sendBudget(ctx, tx, now, perSecond)
			if err != nil {
				return err
			}
			limit = min(limit, left)
			defer func() {
				if err == nil && len(ids) > 0 {
					_, err = tx.ExecContext(ctx, "UPDATE send_budget SET used = used + ? WHERE id = 1", len(ids))
				}
			}()
		}
		if limit <= 0 {
			return nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT batch_id FROM deliveries WHERE state = 'sending' AND next_attempt <= ? LIMIT ?`, timeText(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := leaseBatches(ctx, tx, ids, now.Add(lease)); err != nil || len(ids) >= limit {
			return err
		}
		reclaimed := len(ids)
		// Each guild's oldest perGuildLook notices: enough to fill any
		// claim, while a server with a backlog of thousands (its notices
		// held back by the send budget) does not make every claim read all
		// of them.
		rows, err = tx.QueryContext(ctx, `SELECT id, target, guild_id FROM (
				SELECT id, target, guild_id, ROW_NUMBER() OVER (PARTITION BY guild_id ORDER BY id) AS turn
				FROM deliveries WHERE state = 'pending' AND next_attempt <= ? AND created_at <= ?) AS due
			WHERE turn <= ? ORDER BY id`, timeText(now), timeText(now.Add(-settle)), perGuildLook)
		if err != nil {
			return err
		}
		byTarget := map[string][]int64{}
		byGuild := map[string][]string{} // each guild's targets, oldest notice first
		var guilds []string              // oldest notice first
		for rows.Next() {
			var id int64
			var target, guild string
			if err := rows.Scan(&id, &target, &guild); err != nil {
				rows.Close()
				return err
			}
			if _, ok := byTarget[target]; !ok {
				if _, ok := byGuild[guild]; !ok {
					guilds = append(guilds, guild)
				}
				byGuild[guild] = append(byGuild[guild], target)
			}
			byTarget[target] = append(byTarget[target], id)
		}
		rows.Close()
		order := takeTurns(guilds, byGuild)
		for _, target := range order {
			if len(ids) >= limit {
				break
			}
			group := byTarget[target]
			if len(group) > domain.MaxBatch {
				group = group[:domain.MaxBatch]
			}
			var bid int64
			if err := tx.QueryRowContext(ctx, "INSERT INTO batches(target, created_at) VALUES (?, ?) RETURNING id", target, timeText(now)).Scan(&bid); err != nil {
				return err
			}
			for _, did := range group {
				if _, err := tx.ExecContext(ctx, "UPDATE deliveries SET state = 'sending', batch_id = ? WHERE id = ? AND state = 'pending'", bid, did); err != nil {
					return err
				}
			}
			ids = append(ids, bid)
		}
		return leaseBatches(ctx, tx, ids[reclaimed:], now.Add(lease))
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim: %w", err)
	}
	out := make([]*domain.Batch, 0, len(ids))
	for _, id := range ids {
		b, err := s.batch(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// perGuildLook is how many of a guild's due notices one claim looks at.
const perGuildLook = 500

// takeTurns orders the targets guild by guild in turn, one of each
// guild's at a time: with a second's budget of messages shared by every
// server, a server with a thousand subscribers must not make the others'
// notices wait behind all of its own.
func takeTurns(guilds []string, byGuild map[string][]string) []string {
	var order []string
	for turn := 0; len(guilds) > 0; turn++ {
		left := guilds[:0]
		for _, g := range guilds {
			if turn < len(byGuild[g]) {
				order = append(order, byGuild[g][turn])
				left = append(left, g)
			}
		}
		guilds = left
	}
	return order
}

// sendBudget is how many messages may still be claimed in now's second
// of the clock, of perSecond (see ClaimBatches). The row is read and
// written under the claim lock.
func sendBudget(ctx context.Context, tx *txn, now time.Time, perSecond int) (int, error) {
	var second string
	var used int
	if err := tx.QueryRowContext(ctx, "SELECT at_second, used FROM send_budget WHERE id = 1").Scan(&second, &used); err != nil {
		return 0, err
	}
	if second != timeText(now.Truncate(time.Second)) {
		if _, err := tx.ExecContext(ctx, "UPDATE send_budget SET at_second = ?, used = 0 WHERE id = 1", timeText(now.Truncate(time.Second))); err != nil {
			return 0, err
		}
		used = 0
	}
	return perSecond - used, nil
}

// leaseBatches keeps claimed batches from other claimers until.
func leaseBatches(ctx context.Context, tx *txn, ids []int64, until time.Time) error {
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, "UPDATE deliveries SET next_attempt = ? WHERE batch_id = ? AND state = 'sending'", timeText(until), id); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) batch(ctx context.Context, id int64) (*domain.Batch, error) {
	b := &domain.Batch{ID: id}
	var target string
	if err := s.db.QueryRowContext(ctx, "SELECT target FROM batches WHERE id = ?", id).Scan(&target); err != nil {
		return nil, fmt.Errorf("store: batch %d: %w", id, err)
	}
	var err error
	if b.Target, err = domain.ParseTarget(target); err != nil {
		return nil, fmt.Errorf("store: batch %d: %w", id, err)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT article_id, attempts FROM deliveries WHERE batch_id = ? ORDER BY id", id)
	if err != nil {
		return nil, fmt.Errorf("store: batch %d: %w", id, err)
	}
	var aids []int64
	for rows.Next() {
		var aid int64
		if err := rows.Scan(&aid, &b.Attempts); err != nil {
			rows.Close()
			return nil, err
		}
		aids = append(aids, aid)
	}
	rows.Close()
	if b.Articles, err = s.Articles(ctx, aids); err != nil {
		return nil, err
	}
	return b, nil
}

// BatchSent marks a message delivered.
func (s *Store) BatchSent(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.ExecContext(ctx, "UPDATE deliveries SET state = 'sent', sent_at = ?, attempts = attempts + 1, last_error = '' WHERE batch_id = ?", timeText(at), id)
	if err != nil {
		return fmt.Errorf("store: batch sent: %w", err)
	}
	return nil
}

// BatchRetry keeps a message for another attempt at next.
func (s *Store) BatchRetry(ctx context.Context, id int64, next time.Time, reason string) error {
	_, err := s.db.ExecContext(ctx, "UPDATE deliveries SET attempts = attempts + 1, next_attempt = ?, last_error = ? WHERE batch_id = ?", timeText(next), reason, id)
	if err != nil {
		return fmt.Errorf("store: batch retry: %w", err)
	}
	return nil
}

// BatchFailed gives a message up for good, keeping why.
func (s *Store) BatchFailed(ctx context.Context, id int64, reason string) error {
	_, err := s.db.ExecContext(ctx, "UPDATE deliveries SET state = 'failed', attempts = attempts + 1, last_error = ? WHERE batch_id = ?", reason, id)
	if err != nil {
		return fmt.Errorf("store: batch failed: %w", err)
	}
	return nil
}

// DeliveryCounts counts deliveries by state, for health and tests.
func (s *Store) DeliveryCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT state, COUNT(*) FROM deliveries GROUP BY state")
	if err != nil {
		return nil, fmt.Errorf("store: delivery counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}
