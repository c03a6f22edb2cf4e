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

// AddAlias gives a party another name in one guild. key is the alias's
// matching form (gazetteer.Key), so "Chief Twit" and "chief  twit" are one;
// adding a key the guild has already renames what it means, and does not
// count against the cap.
func (s *Store) AddAlias(ctx context.Context, guild, key, alias, party, by string) error {
	return s.tx(ctx, func(tx *txn) error {
		if err := tx.d.lock(ctx, tx, lockGuild, guild); err != nil {
			return err
		}
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM aliases WHERE guild_id = ? AND alias_key = ?", guild, key).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			if full, err := atCap(ctx, tx, s.caps.Aliases, "SELECT COUNT(*) FROM aliases WHERE guild_id = ?", guild); err != nil {
				return fmt.Errorf("store: add alias: %w", err)
			} else if full {
				return &domain.CapError{What: domain.CapAliases, Limit: s.caps.Aliases}
			}
		} else if err != nil {
			return fmt.Errorf("store: add alias: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO aliases(guild_id, alias_key, alias, party, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT(guild_id, alias_key) DO UPDATE SET alias = excluded.alias, party = excluded.party, added_by = excluded.added_by`,
			guild, key, alias, party, by, timeText(time.Now()))
		if err != nil {
			return fmt.Errorf("store: add alias: %w", err)
		}
		return nil
	})
}

// RemoveAlias removes a guild's alias.
func (s *Store) RemoveAlias(ctx context.Context, guild, key string) error {
	r, err := s.db.ExecContext(ctx, "DELETE FROM aliases WHERE guild_id = ? AND alias_key = ?", guild, key)
	if err != nil {
		return fmt.Errorf("store: remove alias: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// Aliases returns a guild's aliases: alias -> canonical party.
func (s *Store) Aliases(ctx context.Context, guild string) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT alias, party FROM aliases WHERE guild_id = ?", guild)
	if err != nil {
		return nil, fmt.Errorf("store: aliases: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var a, p string
		if err := rows.Scan(&a, &p); err != nil {
			return nil, fmt.Errorf("store: aliases: %w", err)
		}
		out[a] = p
	}
	return out, rows.Err()
}

// Subscribe records a subscription; an identical one is not added twice
// (ErrExists, with sub.ID set to the existing one), and one past the
// member's or the guild's cap is refused (a *CapError).
func (s *Store) Subscribe(ctx context.Context, sub *domain.Subscription) error {
	if sub.CreatedAt.IsZero() {
		sub.CreatedAt = time.Now().UTC()
	}
	parties, _ := json.Marshal(nonNil(sub.Parties))
	words, _ := json.Marshal(nonNil(sub.Words))
	return s.tx(ctx, func(tx *txn) error {
		if err := tx.d.lock(ctx, tx, lockGuild, sub.GuildID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, "SELECT id FROM subscriptions WHERE guild_id = ? AND user_id = ? AND channel_id = ? AND query = ?",
			sub.GuildID, sub.UserID, sub.ChannelID, sub.Query).Scan(&sub.ID)
		switch {
		case err == nil:
			return domain.ErrExists
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("store: subscribe: %w", err)
		}
		if full, err := atCap(ctx, tx, s.caps.MemberSubscriptions, "SELECT COUNT(*) FROM subscriptions WHERE guild_id = ? AND user_id = ?", sub.GuildID, sub.UserID); err != nil {
			return fmt.Errorf("store: subscribe: %w", err)
		} else if full {
			return &domain.CapError{What: domain.CapSubscriptions, Limit: s.caps.MemberSubscriptions, Member: true}
		}
		if full, err := atCap(ctx, tx, s.caps.GuildSubscriptions, "SELECT COUNT(*) FROM subscriptions WHERE guild_id = ?", sub.GuildID); err != nil {
			return fmt.Errorf("store: subscribe: %w", err)
		} else if full {
			return &domain.CapError{What: domain.CapSubscriptions, Limit: s.caps.GuildSubscriptions}
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO subscriptions(guild_id, user_id, channel_id, query, parties, words, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			sub.GuildID, sub.UserID, sub.ChannelID, sub.Query, string(parties), string(words), timeText(sub.CreatedAt)).Scan(&sub.ID)
		if err != nil {
			return fmt.Errorf("store: subscribe: %w", err)
		}
		return nil
	})
}

// Unsubscribe removes a member's subscription by its number or its query,
// in one guild. It never touches another member's or another guild's.
func (s *Store) Unsubscribe(ctx context.Context, guild, user, ref string) (*domain.Subscription, error) {
	subs, err := s.Subscriptions(ctx, guild, user)
	if err != nil {
		return nil, err
	}
	ref = strings.TrimPrefix(strings.TrimSpace(ref), "#")
	id, _ := strconv.ParseInt(ref, 10, 64)
	for _, sub := range subs {
		if sub.ID == id || strings.EqualFold(sub.Query, ref) {
			if _, err := s.db.ExecContext(ctx, "DELETE FROM subscriptions WHERE id = ? AND guild_id = ? AND user_id = ?", sub.ID, guild, user); err != nil {
				return nil, fmt.Errorf("store: unsubscribe: %w", err)
			}
			return sub, nil
		}
	}
	return nil, domain.ErrNotFound
}

const subColumns = "id, guild_id, user_id, channel_id, query, parties, words, created_at"

func scanSub(r scanner) (*domain.Subscription, error) {
	var sub domain.Subscription
	var parties, words string
	var created sql.NullString
	if err := r.Scan(&sub.ID, &sub.GuildID, &sub.UserID, &sub.ChannelID, &sub.Query, &parties, &words, &created); err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(parties), &sub.Parties)
	_ = json.Unmarshal([]byte(words), &sub.Words)
	sub.CreatedAt = parseTime(created)
	return &sub, nil
}

func (s *Store) querySubs(ctx context.Context, where string, args ...any) ([]*domain.Subscription, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+subColumns+" FROM subscriptions WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: subscriptions: %w", err)
	}
	defer rows.Close()
	var out []*domain.Subscription
	for rows.Next() {
		sub, err := scanSub(rows)
		if err != nil {
			return nil, fmt.Errorf("store: subscriptions: %w", err)
		}
		out = append(out, sub)
	}
	return out, rows.Err()
}

// Subscriptions lists a member's subscriptions in one guild.
func (s *Store) Subscriptions(ctx context.Context, guild, user string) ([]*domain.Subscription, error) {
	return s.querySubs(ctx, "guild_id = ? AND user_id = ? ORDER BY id", guild, user)
}

// AllSubscriptions lists every subscription, for the matcher.
func (s *Store) AllSubscriptions(ctx context.Context) ([]*domain.Subscription, error) {
	return s.querySubs(ctx, "1 = 1 ORDER BY id")
}

// SubscriptionsVersion changes whenever a subscription is added or
// removed, by any process: their count and the highest id (ids are never
// given out twice). A process's matcher reads every subscription again
// when it has changed.
func (s *Store) SubscriptionsVersion(ctx context.Context) (string, error) {
	var n, top int64
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM subscriptions").Scan(&n, &top); err != nil {
		return "", fmt.Errorf("store: subscriptions version: %w", err)
	}
	return fmt.Sprint(n, ":", top), nil
}
