package web

import (
	"sync"
	"time"
)

// Limit is a token bucket per client address: Rate requests a second on
// average, Burst at once, for at most Clients addresses remembered.
type Limit struct {
	Rate    float64
	Burst   int
	Clients int
}

// limiter holds one bucket per client (see clientKey). The map is
// bounded: when it is full, the buckets that have filled up again
// (clients gone quiet) are dropped, and if none has, every client new to
// it shares one overflow bucket, so a flood of addresses costs memory only
// up to the bound and gets one client's rate, not one each.
type limiter struct {
	Limit
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(l Limit) *limiter {
	if l.Rate <= 0 {
		l.Rate = 5
	}
	if l.Burst <= 0 {
		l.Burst = 20
	}
	if l.Clients <= 0 {
		l.Clients = 10_000
	}
	return &limiter{Limit: l, buckets: map[string]*bucket{}}
}

// allow takes a token from addr's bucket at now, reporting whether there
// was one.
func (l *limiter) allow(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[addr]
	if !ok {
		if len(l.buckets) >= l.Clients {
			l.evict(now)
		}
		if len(l.buckets) >= l.Clients {
			addr = overflow
			if b, ok = l.buckets[addr]; !ok {
				// The overflow bucket may take the place of one more.
				b = &bucket{tokens: float64(l.Burst), at: now}
				l.buckets[addr] = b
			}
		} else {
			b = &bucket{tokens: float64(l.Burst), at: now}
			l.buckets[addr] = b
		}
	}
	b.refill(l.Limit, now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (b *bucket) refill(l Limit, now time.Time) {
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = min(float64(l.Burst), b.tokens+el*l.Rate)
		b.at = now
	}
}

// overflow is the key of the bucket every new client shares while the map
// is full of clients still being limited.
const overflow = "overflow"

// evict drops the buckets of clients gone quiet (full again): they would
// start full anyway.
func (l *limiter) evict(now time.Time) {
	for addr, b := range l.buckets {
		b.refill(l.Limit, now)
		if b.tokens >= float64(l.Burst) {
			delete(l.buckets, addr)
		}
	}
}
