package shards

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/disputebot/disputebot/internal/store"
)

// fakeGateway is a connection that records when it was opened and closed.
type fakeGateway struct {
	holder string
	shard  int
	failed chan error

	mu       sync.Mutex
	sessions int // Session calls: renewals that recorded it
	closedAt time.Time
}

func (g *fakeGateway) Session() store.ShardSession {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sessions++
	return store.ShardSession{SessionID: fmt.Sprintf("%s-%d", g.holder, g.shard), Seq: int64(g.sessions)}
}

func (g *fakeGateway) Handover() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closedAt = time.Now()
	return nil
}

func (g *fakeGateway) Failed() <-chan error { return g.failed }

// dyingStore is the store as a process sees it: once dead, every call
// fails, as for a process cut off from the database (or frozen).
type dyingStore struct {
	*store.Store
	mu   sync.Mutex
	dead bool
}

var errDead = errors.New("the store cannot be reached")

func (d *dyingStore) isDead() bool { d.mu.Lock(); defer d.mu.Unlock(); return d.dead }

func (d *dyingStore) ClaimShard(ctx context.Context, shard, count int, holder string, now, until time.Time) (bool, store.ShardSession, error) {
	if d.isDead() {
		return false, store.ShardSession{}, errDead
	}
	return d.Store.ClaimShard(ctx, shard, count, holder, now, until)
}

func (d *dyingStore) RenewShard(ctx context.Context, shard int, holder string, until time.Time, sess store.ShardSession) (bool, error) {
	if d.isDead() {
		return false, errDead
	}
	return d.Store.RenewShard(ctx, shard, holder, until, sess)
}

func (d *dyingStore) ReleaseShard(ctx context.Context, shard int, holder string, now time.Time) error {
	if d.isDead() {
		return errDead
	}
	return d.Store.ReleaseShard(ctx, shard, holder, now)
}

func (d *dyingStore) ShardPeers(ctx context.Context, holder string, now, until time.Time) (map[string]int, error) {
	if d.isDead() {
		return nil, errDead
	}
	return d.Store.ShardPeers(ctx, holder, now, until)
}

// opening is one Open call a manager made.
type opening struct {
	holder string
	shard  int
	resume store.ShardSession
	at     time.Time
	gw     *fakeGateway
}

// cluster is managers sharing one SQLite store.
type cluster struct {
	t        *testing.T
	path     string
	mu       sync.Mutex
	openings []opening
	notify   chan struct{}
	unheld   map[string][]int // what each manager reported, in order
}

func (c *cluster) manager(holder string, lease time.Duration) (*Manager, *dyingStore) {
	st, err := store.Open(context.Background(), c.path)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { st.Close() })
	ds := &dyingStore{Store: st}
	m := &Manager{Store: ds, Holder: holder, Count: 4, Lease: lease, Log: slog.New(slog.DiscardHandler),
		Unheld: func(n int) {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.unheld == nil {
				c.unheld = map[string][]int{}
			}
			c.unheld[holder] = append(c.unheld[holder], n)
		},
		Open: func(ctx context.Context, shard int, resume store.ShardSession) (Gateway, error) {
			g := &fakeGateway{holder: holder, shard: shard, failed: make(chan error)}
			c.mu.Lock()
			c.openings = append(c.openings, opening{holder: holder, shard: shard, resume: resume, at: time.Now(), gw: g})
			c.mu.Unlock()
			select {
			case c.notify <- struct{}{}:
			default:
			}
			return g, nil
		}}
	return m, ds
}

// holders waits until cond holds of the shards' latest openings.
func (c *cluster) wait(what string, cond func(latest map[int]opening) bool) map[int]opening {
	c.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		c.mu.Lock()
		latest := map[int]opening{}
		for _, o := range c.openings {
			latest[o.shard] = o
		}
		c.mu.Unlock()
		if cond(latest) {
			return latest
		}
		select {
		case <-c.notify:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			c.t.Fatalf("%s: shards' latest openings %+v", what, latest)
		}
	}
}

// TestADeadProcessesShardsAreTakenOver: two processes share four shards,
// each opened once. The one holding shard 0 is cut off from the store: it
// closes its connections before its leases run out, and the other takes
// its shards over after, resuming the sessions it recorded.
func TestADeadProcessesShardsAreTakenOver(t *testing.T) {
	c := &cluster{t: t, path: filepath.Join(t.TempDir(), "db.sqlite"), notify: make(chan struct{}, 1)}
	const lease = 900 * time.Millisecond
	a, aStore := c.manager("a", lease)
	b, bStore := c.manager("b", lease)
	stores := map[string]*dyingStore{"a": aStore, "b": bStore}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, m := range []*Manager{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); m.Run(ctx) }()
	}
	defer func() { cancel(); wg.Wait() }()
	latest := c.wait("all four held", func(l map[int]opening) bool { return len(l) == 4 })
	c.mu.Lock()
	if len(c.openings) != 4 {
		t.Errorf("%d openings for four shards: a shard was opened twice", len(c.openings))
	}
	c.mu.Unlock()
	victim, survivor := latest[0].holder, "a"
	if victim == "a" {
		survivor = "b"
	}
	var aShards []int // the victim's
	for i, o := range latest {
		if o.holder == victim {
			aShards = append(aShards, i)
		}
	}
	// Each of the victim's shards has had its session recorded by a
	// renewal.
	c.wait("sessions recorded", func(l map[int]opening) bool {
		for _, i := range aShards {
			g := l[i].gw
			g.mu.Lock()
			n := g.sessions
			g.mu.Unlock()
			if n < 2 {
				return false
			}
		}
		return true
	})
	c.mu.Lock()
	before := c.unheld[survivor]
	c.unheld[survivor] = nil
	c.mu.Unlock()
	stores[victim].mu.Lock()
	stores[victim].dead = true
	stores[victim].mu.Unlock()
	latest = c.wait("shards taken over", func(l map[int]opening) bool {
		for _, i := range aShards {
			if l[i].holder != survivor {
				return false
			}
		}
		return true
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, i := range aShards {
		var old opening
		for _, o := range c.openings {
			if o.shard == i && o.holder == victim {
				old = o
			}
		}
		old.gw.mu.Lock()
		closed := old.gw.closedAt
		old.gw.mu.Unlock()
		if closed.IsZero() || !closed.Before(latest[i].at) {
			t.Errorf("shard %d: the dead process closed its connection at %v, the taker opened at %v: two connections at once", i, closed, latest[i].at)
		}
		if want := fmt.Sprintf("%s-%d", victim, i); latest[i].resume.SessionID != want {
			t.Errorf("shard %d: the taker resumed %+v, want the dead process's session %s", i, latest[i].resume, want)
		}
	}
	// The survivor counted no shard held by no one while both lived, and
	// the dead process's once their leases had run out.
	if len(before) == 0 || before[len(before)-1] != 0 {
		t.Errorf("before the death the survivor reported %v shards held by no one; want 0 last", before)
	}
	if got := c.unheld[survivor]; !slices.Contains(got, len(aShards)) {
		t.Errorf("after the death the survivor reported %v shards held by no one; want %d at some point", got, len(aShards))
	}
}

// TestSharesEvenOutWhenAProcessJoins: a process alone takes all four
// shards; a second one started later gets two of them, each handed over
// with its session (resumed, not identified anew), and then the shards
// stay where they are.
func TestSharesEvenOutWhenAProcessJoins(t *testing.T) {
	c := &cluster{t: t, path: filepath.Join(t.TempDir(), "db.sqlite"), notify: make(chan struct{}, 1)}
	const lease = 900 * time.Millisecond
	a, _ := c.manager("a", lease)
	b, _ := c.manager("b", lease)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	run := func(m *Manager) {
		wg.Add(1)
		go func() { defer wg.Done(); m.Run(ctx) }()
	}
	defer func() { cancel(); wg.Wait() }()
	run(a)
	c.wait("all four held by the first process", func(l map[int]opening) bool { return len(l) == 4 })
	run(b)
	held := func(l map[int]opening) map[string]int {
		n := map[string]int{}
		for _, o := range l {
			n[o.holder]++
		}
		return n
	}
	latest := c.wait("two each", func(l map[int]opening) bool { n := held(l); return n["a"] == 2 && n["b"] == 2 })
	time.Sleep(4 * lease) // long enough for any further moves
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.openings) != 6 {
		t.Errorf("%d openings; want 6: four by the first process, two by the second", len(c.openings))
	}
	for i, o := range latest {
		if o.holder != "b" {
			continue
		}
		if want := fmt.Sprintf("a-%d", i); o.resume.SessionID != want {
			t.Errorf("shard %d: the second process resumed %+v, want the first's session %s", i, o.resume, want)
		}
		for _, old := range c.openings {
			if old.shard == i && old.holder == "a" {
				old.gw.mu.Lock()
				closed := old.gw.closedAt
				old.gw.mu.Unlock()
				if closed.IsZero() || !closed.Before(o.at) {
					t.Errorf("shard %d: given up at %v, taken at %v: two connections at once", i, closed, o.at)
				}
			}
		}
	}
}

// TestIdentifiesWaitForTheSessionStartLimit: with no more identifies
// left than the reserve, a shard does not identify; it waits, says why,
// and gives up only when told to stop.
func TestIdentifiesWaitForTheSessionStartLimit(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SetSessionStartLimit(context.Background(), store.SessionStartLimit{Total: 1000, Remaining: 5, ResetAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	waits := make(chan string, 10)
	m := &Manager{Store: st, Holder: "a", Count: 1, Reserve: 5, Log: slog.New(slog.DiscardHandler), Waiting: func(why string) { waits <- why }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.WaitIdentify(ctx, 0) }()
	if why := <-waits; why != "session_start_limit" {
		t.Errorf("waiting because %q", why)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("WaitIdentify = %v, want it to give up only when cancelled", err)
	}
	if turn, _ := st.ClaimIdentify(context.Background(), 0, time.Now(), 4); !turn.OK || turn.Remaining != 4 {
		t.Errorf("an identify was spent while waiting: %+v", turn)
	}
}
