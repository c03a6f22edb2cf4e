package service

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/english"
	"github.com/disputebot/disputebot/internal/gazetteer"
)

// SubscriptionStore is what Subscriptions needs of the store.
type SubscriptionStore interface {
	Subscribe(ctx context.Context, sub *domain.Subscription) error
	Unsubscribe(ctx context.Context, guild, user, ref string) (*domain.Subscription, error)
	Subscriptions(ctx context.Context, guild, user string) ([]*domain.Subscription, error)
	Aliases(ctx context.Context, guild string) (map[string]string, error)
}

// Matcher is the in-memory index of subscriptions that new articles are
// matched against (notify.Matcher).
type Matcher interface {
	Add(s *domain.Subscription)
	Remove(id int64)
}

// Subscriptions are members' subscriptions. The store and the matcher
// change together here, and only here, so a subscription is matched from
// the moment it is confirmed and never after it is removed.
type Subscriptions struct {
	Store     SubscriptionStore
	Gazetteer *gazetteer.Gazetteer
	Matcher   Matcher // nil: nothing is matched in this process
}

// ErrNothingToFollow refuses a query that names no party and no word.
var ErrNothingToFollow = errors.New("the query names nothing to follow")

// AlreadySubscribed refuses a subscription the member has; Subscription is
// that one.
type AlreadySubscribed struct{ Subscription *domain.Subscription }

func (e *AlreadySubscribed) Error() string   { return "already subscribed" }
func (e *AlreadySubscribed) Is(t error) bool { return t == domain.ErrExists }

// Subscribe subscribes a member (to DMs, or channel when one is given)
// to what query names, read with the guild's own aliases: the parties, in
// name order, so "musk microsoft" and "MSFT vs elon" are one subscription,
// and the other words.
func (s *Subscriptions) Subscribe(ctx context.Context, guild, user, channel, query string) (*domain.Subscription, error) {
	parties, words := s.resolve(ctx, guild, query)
	if len(parties) == 0 && len(words) == 0 {
		return nil, ErrNothingToFollow
	}
	sub := &domain.Subscription{GuildID: guild, UserID: user, ChannelID: channel, Query: Describe(parties, words), Parties: parties, Words: words}
	if err := s.Store.Subscribe(ctx, sub); errors.Is(err, domain.ErrExists) {
		return nil, &AlreadySubscribed{Subscription: sub}
	} else if err != nil {
		return nil, err
	}
	if s.Matcher != nil {
		s.Matcher.Add(sub)
	}
	return sub, nil
}

// Unsubscribe removes one of a member's subscriptions in a guild, named by
// its number, its description, or words that resolve to it ("unsubscribe
// musk microsoft" finds "Elon Musk and Microsoft").
func (s *Subscriptions) Unsubscribe(ctx context.Context, guild, user, ref string) (*domain.Subscription, error) {
	ref = strings.TrimSpace(ref)
	if _, err := strconv.ParseInt(strings.TrimPrefix(ref, "#"), 10, 64); err != nil {
		if parties, words := s.resolve(ctx, guild, ref); len(parties) > 0 || len(words) > 0 {
			if sub, err := s.remove(ctx, guild, user, Describe(parties, words)); err == nil {
				return sub, nil
			}
		}
	}
	return s.remove(ctx, guild, user, ref)
}

// UnsubscribeAll removes every subscription of a member in a guild and
// says how many there were.
func (s *Subscriptions) UnsubscribeAll(ctx context.Context, guild, user string) (int, error) {
	subs, err := s.Store.Subscriptions(ctx, guild, user)
	if err != nil {
		return 0, err
	}
	for _, sub := range subs {
		if _, err := s.remove(ctx, guild, user, strconv.FormatInt(sub.ID, 10)); err != nil && !errors.Is(err, domain.ErrNotFound) {
			return 0, err
		}
	}
	return len(subs), nil
}

// List is a member's subscriptions in a guild, oldest first.
func (s *Subscriptions) List(ctx context.Context, guild, user string) ([]*domain.Subscription, error) {
	return s.Store.Subscriptions(ctx, guild, user)
}

func (s *Subscriptions) remove(ctx context.Context, guild, user, ref string) (*domain.Subscription, error) {
	sub, err := s.Store.Unsubscribe(ctx, guild, user, ref)
	if err != nil {
		return nil, err
	}
	if s.Matcher != nil {
		s.Matcher.Remove(sub.ID)
	}
	return sub, nil
}

// resolve reads a query with the guild's aliases: its parties, sorted,
// and its other words.
func (s *Subscriptions) resolve(ctx context.Context, guild, query string) (parties, words []string) {
	g := s.Gazetteer
	if al, err := s.Store.Aliases(ctx, guild); err == nil && len(al) > 0 {
		g = g.WithAliases(al)
	}
	res := g.Resolve(query)
	parties = append([]string(nil), res.Parties...)
	sort.Strings(parties)
	return parties, res.Words
}

// Describe is how a subscription reads in lists and confirmations.
func Describe(parties, words []string) string {
	var parts []string
	if len(parties) > 0 {
		parts = append(parts, english.JoinAnd(parties))
	}
	if len(words) > 0 {
		parts = append(parts, fmt.Sprintf("%q", strings.Join(words, " ")))
	}
	return strings.Join(parts, " with ")
}
