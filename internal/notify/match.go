// Package notify tells members and channels about new articles: it matches
// an article against the subscriptions, queues one notice per target in the
// store (so nothing is lost across a restart and nothing is sent twice),
// and delivers the queue in digests through a Sender, retrying what fails
// for a while and recording what cannot be delivered.
package notify

import (
	"slices"
	"strings"
	"sync"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/english"
)

// Matcher holds every subscription, indexed so that an article is checked
// only against the subscriptions that could match it: those keyed by one of
// its parties, or by one of its words.
type Matcher struct {
	mu      sync.RWMutex
	byParty map[string][]*domain.Subscription
	byWord  map[string][]*domain.Subscription
	byID    map[int64]*domain.Subscription
}

// NewMatcher indexes subs.
func NewMatcher(subs []*domain.Subscription) *Matcher {
	m := &Matcher{byParty: map[string][]*domain.Subscription{}, byWord: map[string][]*domain.Subscription{}, byID: map[int64]*domain.Subscription{}}
	for _, s := range subs {
		m.add(s)
	}
	return m
}

// Replace indexes subs instead of what the matcher held.
func (m *Matcher) Replace(subs []*domain.Subscription) {
	fresh := NewMatcher(subs)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byParty, m.byWord, m.byID = fresh.byParty, fresh.byWord, fresh.byID
}

// Add indexes a new subscription.
func (m *Matcher) Add(s *domain.Subscription) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.add(s)
}

func (m *Matcher) add(s *domain.Subscription) {
	if _, dup := m.byID[s.ID]; dup {
		return
	}
	c := *s
	c.Words = Stems(strings.Join(s.Words, " "))
	m.byID[s.ID] = &c
	// One key is enough: a subscription matches only when all its parties
	// and words are in the article, so any one of them finds it.
	if len(c.Parties) > 0 {
		m.byParty[c.Parties[0]] = append(m.byParty[c.Parties[0]], &c)
	} else if len(c.Words) > 0 {
		m.byWord[c.Words[0]] = append(m.byWord[c.Words[0]], &c)
	}
}

// Remove drops a subscription.
func (m *Matcher) Remove(id int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.byID[id]
	if !ok {
		return
	}
	delete(m.byID, id)
	drop := func(list []*domain.Subscription) []*domain.Subscription {
		return slices.DeleteFunc(list, func(x *domain.Subscription) bool { return x.ID == id })
	}
	if len(s.Parties) > 0 {
		m.byParty[s.Parties[0]] = drop(m.byParty[s.Parties[0]])
	} else if len(s.Words) > 0 {
		m.byWord[s.Words[0]] = drop(m.byWord[s.Words[0]])
	}
}

// Len is how many subscriptions are indexed.
func (m *Matcher) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.byID)
}

// Match returns the subscriptions an article satisfies, among those for
// which inGuild is true.
func (m *Matcher) Match(a *article.Article, inGuild func(guild string) bool) []*domain.Subscription {
	words := map[string]bool{}
	for _, w := range Stems(a.Title + " " + a.Summary + " " + a.Text) {
		words[w] = true
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []*domain.Subscription
	check := func(list []*domain.Subscription) {
		for _, s := range list {
			if !inGuild(s.GuildID) {
				continue
			}
			ok := true
			for _, p := range s.Parties {
				if !slices.Contains(a.Parties, p) {
					ok = false
					break
				}
			}
			for _, w := range s.Words {
				if ok && !words[w] {
					ok = false
				}
			}
			if ok {
				out = append(out, s)
			}
		}
	}
	for _, p := range a.Parties {
		check(m.byParty[p])
	}
	for w := range words {
		if list := m.byWord[w]; len(list) > 0 {
			check(list)
		}
	}
	return out
}

// Stems returns the words of s lower-cased, with a plural "s" dropped, so
// a subscription to "lawsuit" hears of "lawsuits".
func Stems(s string) []string {
	var out []string
	for w := range english.Words(s) {
		if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
			w = w[:len(w)-1]
		}
		out = append(out, w)
	}
	return out
}
