package store

import (
	"context"
	"fmt"
	"time"
)

// claimMemory is how long a claimed event id is kept: longer than
// Discord's 15-minute interaction token, after which nothing can be done
// with a replayed interaction anyway, and than the few minutes in which
// Discord keeps a message's nonce.
const claimMemory = 20 * time.Minute

// ClaimEvent records that a gateway event (an interaction, or a message
// holding a command) is being answered and reports whether this caller
// should answer it. Several processes sharing the store (gateway shards
// moving between them after a resume, interaction endpoints behind one
// load balancer) may each be handed the same event; only one runs it.
//
// With lease zero the claim is final: the event is never run again (an
// interaction must be answered within three seconds, so a replay after a
// takeover is too late for anyone). With a lease, the claimer must call
// EventAnswered once the answer has gone; until then a claim older than
// its lease may be taken again, so that a command whose process was killed
// between claiming and answering is answered by the process that resumes
// its shard. Answering twice is safe there: replies carry the command's
// message id as an enforced nonce, and Discord keeps one.
//
// Claims older than claimMemory are forgotten now and then, by whoever
// claims.
func (s *Store) ClaimEvent(ctx context.Context, id string, now time.Time, lease time.Duration) (bool, error) {
	answered := 1
	if lease > 0 {
		answered = 0
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO claims (id, seen_at, lease_until, answered) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at, lease_until = excluded.lease_until
		WHERE claims.answered = 0 AND claims.lease_until < excluded.seen_at`,
		id, timeText(now), timeText(now.Add(lease)), answered)
	if err != nil {
		return false, fmt.Errorf("store: claim event: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: claim event: %w", err)
	}
	// Every hundredth claim of this process forgets the old ones: the
	// table stays about twenty minutes' worth of events whatever the
	// traffic.
	if n == 1 && s.claims.Add(1)%100 == 0 {
		if _, err := s.db.ExecContext(ctx, "DELETE FROM claims WHERE seen_at < ?", timeText(now.Add(-claimMemory))); err != nil {
			return true, fmt.Errorf("store: forget old claims: %w", err)
		}
	}
	return n == 1, nil
}

// EventAnswered makes a leased claim final: the event has been answered
// and no one takes it again.
func (s *Store) EventAnswered(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, "UPDATE claims SET answered = 1 WHERE id = ?", id); err != nil {
		return fmt.Errorf("store: event answered: %w", err)
	}
	return nil
}
