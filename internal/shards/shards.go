// Package shards shares a bot's gateway shards out between the processes
// that share its store. Each process runs a Manager: it claims free shards
// (one a round, so that processes starting together spread them), holds
// each by renewing a lease in the store, opens a gateway connection for
// it, and closes the connection when the lease is lost. A process that
// dies stops renewing; once its leases run out the others take its shards
// over, resuming the sessions it recorded. Identifies, which Discord
// limits, wait for a turn the store hands out across every process.
package shards

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/disputebot/disputebot/internal/store"
)

// Store is where leases and identify turns are kept.
type Store interface {
	ClaimShard(ctx context.Context, shard, count int, holder string, now, until time.Time) (bool, store.ShardSession, error)
	RenewShard(ctx context.Context, shard int, holder string, until time.Time, sess store.ShardSession) (bool, error)
	ReleaseShard(ctx context.Context, shard int, holder string, now time.Time) error
	ClaimIdentify(ctx context.Context, bucket int, now time.Time, reserve int) (store.IdentifyTurn, error)
	SetSessionStartLimit(ctx context.Context, l store.SessionStartLimit) error
	ShardPeers(ctx context.Context, holder string, now, until time.Time) (map[string]int, error)
}

var _ Store = (*store.Store)(nil)

// Gateway is one shard's open connection.
type Gateway interface {
	// Session is what a taker needs to resume the connection's session;
	// it is asked once a renewal.
	Session() store.ShardSession
	// Handover closes the connection leaving its session resumable.
	Handover() error
	// Failed reports Discord refusing the bot (a reset token): serving
	// must stop.
	Failed() <-chan error
}

// Manager holds a process's shards. Set the fields, then Run.
type Manager struct {
	Store  Store
	Holder string // this process, unique among those sharing the store
	Count  int    // shards in all
	// MaxConcurrency is Discord's: shards identify in buckets of
	// shard % MaxConcurrency.
	MaxConcurrency int
	// Lease is how long a shard stays held without renewal; it is renewed
	// every third of it. Default 30 s.
	Lease time.Duration
	// Reserve is how many of the day's session starts are never spent:
	// below it, identifies wait for the limit to reset.
	Reserve int
	// Open connects shard, resuming resume when its ID is set. It returns
	// once the connection is ready, or fails. ctx ends when the shard is
	// lost or the manager stops.
	Open func(ctx context.Context, shard int, resume store.ShardSession) (Gateway, error)
	// Fatal says whether an error of Open means Discord refuses the bot
	// (a wrong token), which no other shard or retry can mend: it is
	// reported on Failed. Nil: none is.
	Fatal func(error) bool
	// Limit reads Discord's session start limit afresh; nil keeps the
	// store's count.
	Limit func(ctx context.Context) (store.SessionStartLimit, error)
	Log   *slog.Logger
	// Held tells a shard taken (true) or given up; Waiting counts an
	// identify held back, by why ("spacing", "session_start_limit");
	// Remaining tells what is left of the day's session starts;
	// Panicked counts a panic recovered. Nil is fine.
	Held      func(shard int, held bool)
	Waiting   func(why string)
	Remaining func(n int)
	Panicked  func()
	// Unheld tells, every round, how many shards no live process holds:
	// for a moment after a process dies, or while a shard cannot connect;
	// longer than a lease, nobody answers its servers. Nil is fine.
	Unheld func(n int)

	failed chan error
	once   sync.Once
	// claimAfter is when the manager claims shards again after giving one
	// back to even the processes' shares out.
	claimAfter time.Time
}

// held is one shard the manager holds.
type held struct {
	shard   int
	gw      Gateway // nil while opening
	sess    store.ShardSession
	renewed time.Time
	ctx     context.Context // ends when the shard is dropped
	cancel  context.CancelFunc
	done    chan struct{} // closed once the opening goroutine is over
}

type opened struct {
	shard int
	gw    Gateway
	err   error
}

func (m *Manager) init() {
	m.once.Do(func() {
		m.failed = make(chan error, 1)
		if m.Lease == 0 {
			m.Lease = 30 * time.Second
		}
		m.MaxConcurrency = max(m.MaxConcurrency, 1)
	})
}

// Failed reports Discord refusing the bot on any shard.
func (m *Manager) Failed() <-chan error { m.init(); return m.failed }

// Run holds shards until ctx ends, then hands each over (its session left
// resumable, its lease given back) and returns.
func (m *Manager) Run(ctx context.Context) {
	m.init()
	if m.Limit != nil {
		m.refreshLimit(ctx)
	}
	step := m.Lease / 10
	t := time.NewTimer(0)
	defer t.Stop()
	holding := map[int]*held{}
	results := make(chan opened)
	defer m.stopAll(holding, results)
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-results:
			m.opened(holding, r)
		case <-t.C:
			m.round(ctx, holding, results)
			// A little jitter, so processes started together take turns.
			t.Reset(step + rand.N(step/2+1))
		}
	}
}

// round renews what is due and claims at most one free shard.
func (m *Manager) round(ctx context.Context, holding map[int]*held, results chan opened) {
	defer m.recovered("a round of shard leases")
	now := time.Now()
	for _, h := range holding {
		if now.Sub(h.renewed) >= m.Lease/3 {
			m.renew(ctx, holding, h, now)
		}
	}
	if m.rebalance(ctx, holding, now) || now.Before(m.claimAfter) {
		return
	}
	for _, i := range rand.Perm(m.Count) {
		if holding[i] != nil {
			continue
		}
		ok, sess, err := m.Store.ClaimShard(ctx, i, m.Count, m.Holder, now, now.Add(m.Lease))
		if err != nil {
			m.Log.Warn("claiming a shard", "shard", i, "error", err)
			return
		}
		if !ok {
			continue
		}
		hctx, cancel := context.WithCancel(ctx)
		h := &held{shard: i, sess: sess, renewed: now, ctx: hctx, cancel: cancel, done: make(chan struct{})}
		holding[i] = h
		if m.Held != nil {
			m.Held(i, true)
		}
		m.Log.Info("took a shard", "shard", i, "of", m.Count, "resuming", sess.SessionID != "")
		go func() {
			defer close(h.done)
			var r opened
			func() {
				defer func() {
					if v := recover(); v != nil {
						m.Log.Error("recovered from a panic", "where", "opening a shard", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
						if m.Panicked != nil {
							m.Panicked()
						}
						r.err = errors.New("panicked")
					}
				}()
				r.gw, r.err = m.Open(hctx, i, sess)
			}()
			r.shard = i
			select {
			case results <- r:
			case <-hctx.Done():
				if r.gw != nil {
					r.gw.Handover()
				}
			}
		}()
		return // one a round
	}
}

// renew extends the lease on a held shard and records its connection's
// session; it reports whether the store took it. A shard another process
// has taken is dropped, and so is one whose lease the store has not
// extended for two thirds of it.
func (m *Manager) renew(ctx context.Context, holding map[int]*held, h *held, now time.Time) bool {
	first := false
	if h.gw != nil {
		sess := h.gw.Session()
		first = h.sess.SessionID != sess.SessionID
		h.sess = sess
	}
	ok, err := m.Store.RenewShard(ctx, h.shard, m.Holder, now.Add(m.Lease), h.sess)
	switch {
	case ok:
		h.renewed = now
		if first {
			m.Log.Info("recorded the shard's session, for a process taking it over to resume", "shard", h.shard)
		}
	case err == nil:
		m.Log.Warn("another process took this shard over; closing its connection", "shard", h.shard)
		m.drop(holding, h, false)
	case now.Sub(h.renewed) > 2*m.Lease/3:
		// The store cannot be reached, and the lease will run out
		// before the next renewal: another process may then take
		// the shard, and two connections must not hold it at once.
		m.Log.Warn("cannot renew the shard's lease; closing its connection before another process takes it", "shard", h.shard, "error", err)
		m.drop(holding, h, false)
	default:
		m.Log.Warn("renewing a shard's lease", "shard", h.shard, "error", err)
	}
	return ok
}

// rebalance records that this process takes part in holding shards, and
// gives one back when it holds at least two more than the process holding
// fewest (one started after the others had taken every shard), no shard
// is free, and of the processes holding most it is the last by name, so
// that one gives at a time. The shard is handed over with its session,
// and the process short of shards takes it at its next round and resumes
// it; the giver claims nothing for half a lease, so that it does not take
// the shard back. It reports whether it gave one.
//
// The presence lasts a third of a lease: a process that dies is forgotten
// before its shards' leases run out, so no one gives a shard to it.
func (m *Manager) rebalance(ctx context.Context, holding map[int]*held, now time.Time) bool {
	peers, err := m.Store.ShardPeers(ctx, m.Holder, now, now.Add(m.Lease/3))
	if err != nil {
		m.Log.Warn("counting the shards other processes hold", "error", err)
		return false
	}
	most, fewest, total, giver := 0, m.Count, 0, ""
	for h, n := range peers {
		total += n
		fewest = min(fewest, n)
		if n > most || n == most && h > giver {
			most, giver = n, h
		}
	}
	if m.Unheld != nil {
		m.Unheld(max(m.Count-total, 0))
	}
	if giver != m.Holder || total < m.Count || most-fewest < 2 || len(holding) != most {
		return false
	}
	for _, h := range holding {
		if h.gw == nil {
			continue // still opening
		}
		m.Log.Info("giving a shard to a process that holds fewer", "shard", h.shard, "held", most, "fewest", fewest, "processes", len(peers))
		m.drop(holding, h, true)
		m.claimAfter = now.Add(m.Lease / 2)
		return true
	}
	return false
}

// opened files a shard's connection, or gives the shard back when it
// could not be opened.
func (m *Manager) opened(holding map[int]*held, r opened) {
	h := holding[r.shard]
	if h == nil {
		if r.gw != nil {
			r.gw.Handover()
		}
		return
	}
	if r.err != nil {
		m.Log.Warn("connecting a shard failed; giving it back", "shard", r.shard, "error", r.err)
		m.drop(holding, h, true)
		if m.Fatal != nil && m.Fatal(r.err) {
			m.fail(r.err)
		}
		return
	}
	h.gw = r.gw
	m.Log.Info("shard connected", "shard", r.shard)
	// The new session is recorded now rather than a third of a lease
	// later: a process dying in between would leave its taker nothing to
	// resume, and the events of the shard's gap lost. Failing, it is
	// recorded at the next round.
	if !m.renew(context.Background(), holding, h, time.Now()) {
		h.renewed = time.Time{}
	}
	go func() {
		select {
		case err := <-r.gw.Failed():
			m.fail(err)
		case <-h.ctx.Done():
		}
	}()
}

// fail reports Discord refusing the bot, once.
func (m *Manager) fail(err error) {
	select {
	case m.failed <- err:
	default:
	}
}

// drop closes a shard's connection and forgets it; release gives the
// lease back too (the shard is still this process's to give). The
// connection is closed leaving its session resumable, whoever resumes it
// next: a session ended at Discord would cost its next holder an identify.
func (m *Manager) drop(holding map[int]*held, h *held, release bool) {
	delete(holding, h.shard)
	h.cancel()
	if h.gw != nil {
		if err := h.gw.Handover(); err != nil {
			m.Log.Warn("closing a shard's connection", "shard", h.shard, "error", err)
		}
	}
	if release {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := m.Store.ReleaseShard(ctx, h.shard, m.Holder, time.Now()); err != nil {
			m.Log.Warn("giving a shard back", "shard", h.shard, "error", err)
		}
	}
	if m.Held != nil {
		m.Held(h.shard, false)
	}
}

// stopAll hands every shard over as the manager stops.
func (m *Manager) stopAll(holding map[int]*held, results chan opened) {
	for _, h := range holding {
		h.cancel()
	}
	for _, h := range holding {
		for waiting := true; waiting; {
			select {
			case r := <-results: // an opening that finished as it was cancelled
				if hr := holding[r.shard]; hr != nil {
					hr.gw = r.gw
				} else if r.gw != nil {
					r.gw.Handover()
				}
			case <-h.done:
				waiting = false
			}
		}
	}
	for _, h := range holding {
		m.drop(holding, h, true)
	}
	// No longer taking part: no one gives this process a shard.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := time.Now()
	if _, err := m.Store.ShardPeers(ctx, m.Holder, now, now); err != nil {
		m.Log.Warn("leaving the processes that hold shards", "error", err)
	}
}

// WaitIdentify returns once shard may identify: its bucket's turn has
// come and the day's session starts are not down to the reserve. While it
// waits it says why in the log and in Waiting; it never lets an identify
// go without the store's turn.
func (m *Manager) WaitIdentify(ctx context.Context, shard int) error {
	m.init()
	for {
		turn, err := m.Store.ClaimIdentify(ctx, shard%m.MaxConcurrency, time.Now(), m.Reserve)
		retry := time.Now().Add(time.Second)
		switch {
		case err != nil:
			m.Log.Warn("asking the store for a turn to identify; asking again", "shard", shard, "error", err)
		case turn.OK:
			if m.Remaining != nil && turn.Remaining >= 0 {
				m.Remaining(turn.Remaining)
			}
			return nil
		case turn.Why == "session_start_limit":
			m.Log.Warn("not identifying: Discord's session start limit is nearly spent, and spending it would get the token reset; waiting for it to reset",
				"shard", shard, "remaining", turn.Remaining, "until", turn.Retry)
			if m.Remaining != nil {
				m.Remaining(turn.Remaining)
			}
			if m.Limit != nil {
				m.refreshLimit(ctx)
			}
			// Asked again every minute: Discord's own count may have
			// reset before the store's.
			if retry = time.Now().Add(time.Minute); turn.Retry.Before(retry) {
				retry = turn.Retry
			}
		default:
			m.Log.Info("waiting for the identify spacing Discord asks", "shard", shard, "until", turn.Retry)
			retry = turn.Retry
		}
		if err == nil && m.Waiting != nil {
			m.Waiting(turn.Why)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(retry) + rand.N(100*time.Millisecond)):
		}
	}
}

// refreshLimit records Discord's session start limit as it reports it.
func (m *Manager) refreshLimit(ctx context.Context) {
	l, err := m.Limit(ctx)
	if err != nil {
		m.Log.Warn("reading Discord's session start limit", "error", err)
		return
	}
	if err := m.Store.SetSessionStartLimit(ctx, l); err != nil {
		m.Log.Warn("recording Discord's session start limit", "error", err)
		return
	}
	if m.Remaining != nil {
		m.Remaining(l.Remaining)
	}
}

// recovered logs and counts a panic of the manager's own loop, which goes
// on with its next round.
func (m *Manager) recovered(where string) {
	if v := recover(); v != nil {
		m.Log.Error("recovered from a panic", "where", where, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		if m.Panicked != nil {
			m.Panicked()
		}
	}
}
