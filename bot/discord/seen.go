package discord

import (
	"sync"
	"time"
)

// seenIDs is a bounded set of recently seen ids, safe for concurrent use.
// An id is forgotten after ttl, or sooner when more than max newer ones
// have come, so a busy bot's memory stays bounded.
type seenIDs struct {
	ttl time.Duration
	max int

	mu    sync.Mutex
	at    map[string]time.Time
	order []string // ids in the order they came, oldest first
}

func newSeenIDs(ttl time.Duration, max int) *seenIDs {
	return &seenIDs{ttl: ttl, max: max, at: map[string]time.Time{}}
}

// first records id and reports whether it is new: false for an id seen
// within ttl and among the last max.
func (s *seenIDs) first(id string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.order) > 0 && now.Sub(s.at[s.order[0]]) > s.ttl {
		s.forgetOldest()
	}
	if _, ok := s.at[id]; ok {
		return false
	}
	if len(s.order) >= s.max {
		s.forgetOldest()
	}
	s.at[id] = now
	s.order = append(s.order, id)
	return true
}

// forgetOldest is called with s.mu held. Re-slicing leaves the forgotten
// ids behind in the array until append next copies it, which bounds them
// to as many as are kept.
func (s *seenIDs) forgetOldest() {
	delete(s.at, s.order[0])
	s.order[0] = ""
	s.order = s.order[1:]
}
