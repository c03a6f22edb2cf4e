package store

import (
	"context"
	"fmt"
	"time"
)

// interactionMemory is how long a claimed interaction id is kept: longer
// than Discord's 15-minute interaction token, after which nothing can be
// done with a replayed interaction anyway.
const interactionMemory = 20 * time.Minute

// ClaimInteraction records that an interaction is being answered and
// reports whether this call was the first to claim it. Several processes
// sharing the store (gateway shards moving between them after a resume,
// interaction endpoints behind one load balancer) may each be handed the
// same interaction; only the first claimer runs it. Claims older than
// interactionMemory are forgotten now and then, by whoever claims.
func (s *Store) ClaimInteraction(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, "INSERT INTO interactions (id, seen_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING", id, timeText(now))
	if err != nil {
		return false, fmt.Errorf("store: claim interaction: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: claim interaction: %w", err)
	}
	// Every hundredth claim of this process forgets the old ones: the
	// table stays about twenty minutes' worth of interactions whatever
	// the traffic.
	if n == 1 && s.claims.Add(1)%100 == 0 {
		if _, err := s.db.ExecContext(ctx, "DELETE FROM interactions WHERE seen_at < ?", timeText(now.Add(-interactionMemory))); err != nil {
			return true, fmt.Errorf("store: forget old interactions: %w", err)
		}
	}
	return n == 1, nil
}
