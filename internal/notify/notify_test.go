package notify_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/notify"
	"github.com/disputebot/disputebot/internal/store"
)

func TestMatcher(t *testing.T) {
	subs := []*domain.Subscription{
		{ID: 1, GuildID: "A", UserID: "u1", Parties: []string{"Elon Musk", "Microsoft"}},
		{ID: 2, GuildID: "A", UserID: "u2", Parties: []string{"Apple"}},
		{ID: 3, GuildID: "B", UserID: "u3", Parties: []string{"Elon Musk"}},
		{ID: 4, GuildID: "A", UserID: "u4", Words: []string{"lawsuits"}},
		{ID: 5, GuildID: "A", UserID: "u5", Parties: []string{"Elon Musk"}, Words: []string{"pay"}},
	}
	m := notify.NewMatcher(subs)
	a := &article.Article{Title: "Musk files a lawsuit against Microsoft", Parties: []string{"Elon Musk", "Microsoft"}}
	ids := func(got []*domain.Subscription) map[int64]bool {
		out := map[int64]bool{}
		for _, s := range got {
			out[s.ID] = true
		}
		return out
	}
	got := ids(m.Match(a, func(g string) bool { return g == "A" }))
	if !got[1] || !got[4] || got[2] || got[3] || got[5] || len(got) != 2 {
		t.Errorf("guild A matches %v, want {1, 4}", got)
	}
	got = ids(m.Match(a, func(string) bool { return true }))
	if !got[3] {
		t.Errorf("a global article does not reach guild B: %v", got)
	}
	m.Remove(1)
	if ids(m.Match(a, func(g string) bool { return g == "A" }))[1] {
		t.Error("a removed subscription still matches")
	}
}

// recorder is a Sender that records notices and fails as told.
type recorder struct {
	mu    sync.Mutex
	sent  []notify.Notice
	fails []error // returned in order, then nil
}

func (r *recorder) Send(ctx context.Context, n notify.Notice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.fails) > 0 {
		err := r.fails[0]
		r.fails = r.fails[1:]
		return err
	}
	r.sent = append(r.sent, n)
	return nil
}

type env struct {
	st    *store.Store
	now   time.Time
	rec   *recorder
	deliv *notify.Deliverer
	not   *notify.Notifier
}

func newEnv(t *testing.T, subs ...*domain.Subscription) *env {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{st: st, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), rec: &recorder{}}
	clock := func() time.Time { return e.now }
	for _, s := range subs {
		if err := st.Subscribe(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	e.not = &notify.Notifier{Store: st, Matcher: notify.NewMatcher(subs), Now: clock}
	e.deliv = &notify.Deliverer{Store: st, Sender: e.rec, Log: slog.New(slog.DiscardHandler), Now: clock, Settle: 2 * time.Second, MaxAttempts: 3}
	return e
}

func (e *env) article(t *testing.T, url, title string, parties ...string) *article.Article {
	a := &article.Article{URL: url, Title: title, Parties: parties, Published: e.now, Summary: title}
	if _, err := e.st.SaveArticle(context.Background(), a, "A", 0); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestBurstBecomesOneDigestAndRepeatsAreIgnored(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, &domain.Subscription{GuildID: "A", UserID: "u1", Query: "musk", Parties: []string{"Elon Musk"}})
	for i, title := range []string{"Musk one", "Musk two", "Musk three"} {
		a := e.article(t, "https://example.com/"+string(rune('a'+i)), title, "Elon Musk")
		if _, err := e.not.Announce(ctx, a, "A", nil); err != nil {
			t.Fatal(err)
		}
		if n, _ := e.not.Announce(ctx, a, "A", nil); n != 0 {
			t.Errorf("announcing twice queued %d more", n)
		}
	}
	e.deliv.Flush(ctx)
	if len(e.rec.sent) != 0 {
		t.Fatal("sent before the burst settled")
	}
	e.now = e.now.Add(3 * time.Second)
	e.deliv.Flush(ctx)
	if len(e.rec.sent) != 1 || len(e.rec.sent[0].Articles) != 3 || e.rec.sent[0].Target != domain.DMTarget("u1") {
		t.Fatalf("sent = %+v, want one digest of 3 to dm:u1", e.rec.sent)
	}
	e.now = e.now.Add(time.Hour)
	e.deliv.Flush(ctx)
	if len(e.rec.sent) != 1 {
		t.Error("a delivered notice was sent again")
	}
}

// TestFlushSendsAWholeBurst: one article for 120 subscribers is 120
// messages, more than a sender claims at once; one Flush sends them all,
// rather than fifty a poll. So it does for 700, more than one claim looks
// at of a server's queue.
func TestFlushSendsAWholeBurst(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{120, 700} {
		var subs []*domain.Subscription
		for i := range n {
			subs = append(subs, &domain.Subscription{GuildID: "A", UserID: fmt.Sprint("u", i), Query: "musk", Parties: []string{"Elon Musk"}})
		}
		e := newEnv(t, subs...)
		a := e.article(t, "https://example.com/burst", "Musk again", "Elon Musk")
		if q, err := e.not.Announce(ctx, a, "A", nil); err != nil || q != n {
			t.Fatalf("queued %d, %v; want %d", q, err, n)
		}
		e.now = e.now.Add(3 * time.Second)
		if err := e.deliv.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if len(e.rec.sent) != n {
			t.Errorf("one flush sent %d of %d messages", len(e.rec.sent), n)
		}
	}
}

func TestRetryKeepsTheNonceAndGivesUpOnUndeliverable(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t,
		&domain.Subscription{GuildID: "A", UserID: "u1", Query: "musk", Parties: []string{"Elon Musk"}},
		&domain.Subscription{GuildID: "A", UserID: "closed", Query: "musk", Parties: []string{"Elon Musk"}})
	a := e.article(t, "https://example.com/x", "Musk news", "Elon Musk")
	e.not.Announce(ctx, a, "A", nil)
	var attempts []notify.Notice
	e.deliv.Sender = senderFunc(func(ctx context.Context, n notify.Notice) error {
		attempts = append(attempts, n)
		switch {
		case n.Target == domain.DMTarget("closed"):
			return notify.ErrUndeliverable
		case len(attempts) <= 2:
			return errors.New("connection reset")
		}
		return nil
	})
	e.now = e.now.Add(3 * time.Second)
	e.deliv.Flush(ctx)
	e.now = e.now.Add(time.Minute)
	e.deliv.Flush(ctx)
	var u1 []string
	for _, n := range attempts {
		if n.Target == domain.DMTarget("u1") {
			u1 = append(u1, n.Nonce)
		}
	}
	if len(u1) != 2 || u1[0] != u1[1] {
		t.Errorf("attempts at dm:u1 used nonces %v, want the same one twice", u1)
	}
	counts, _ := e.st.DeliveryCounts(ctx)
	if counts["sent"] != 1 || counts["failed"] != 1 {
		t.Errorf("delivery states %v, want 1 sent and 1 failed", counts)
	}
	before := len(attempts)
	e.now = e.now.Add(24 * time.Hour)
	e.deliv.Flush(ctx)
	if len(attempts) != before {
		t.Error("an undeliverable notice was retried or a sent one resent")
	}
}

type senderFunc func(context.Context, notify.Notice) error

func (f senderFunc) Send(ctx context.Context, n notify.Notice) error { return f(ctx, n) }

// TestCrashBetweenSendAndRecordResendsTheSameMessage claims a batch (as a
// process does before sending), drops it (as a crash would), and checks
// no deliverer sends it while its claim's lease holds, and the next one
// after sends the same batch with the same nonce.
func TestCrashBetweenSendAndRecordResendsTheSameMessage(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, &domain.Subscription{GuildID: "A", UserID: "u1", Query: "musk", Parties: []string{"Elon Musk"}})
	a := e.article(t, "https://example.com/x", "Musk news", "Elon Musk")
	e.not.Announce(ctx, a, "A", nil)
	e.now = e.now.Add(3 * time.Second)
	claimed, err := e.st.ClaimBatches(ctx, e.now, 2*time.Second, notify.DefaultLease, 10, 0)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claimed %v, %v", claimed, err)
	}
	e.now = e.now.Add(notify.DefaultLease - time.Second)
	e.deliv.Flush(ctx)
	if len(e.rec.sent) != 0 {
		t.Fatalf("sent %+v while another sender's lease held it", e.rec.sent)
	}
	e.now = e.now.Add(time.Second)
	e.deliv.Flush(ctx)
	if len(e.rec.sent) != 1 || e.rec.sent[0].Nonce != "dbn"+itoa(claimed[0].ID) {
		t.Fatalf("sent %+v, want the claimed batch %d again", e.rec.sent, claimed[0].ID)
	}
}

func itoa(n int64) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// panicky is a Sender with a bug.
type panicky struct{}

func (panicky) Send(context.Context, notify.Notice) error { panic("a sender's bug") }

// TestDelivererSurvivesAPanic: a sender that panics neither ends the
// deliverer nor makes it resend at once: the message waits like any
// failure, and the panic is counted.
func TestDelivererSurvivesAPanic(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, &domain.Subscription{GuildID: "A", UserID: "u1", Query: "musk", Parties: []string{"Elon Musk"}})
	a := e.article(t, "https://example.com/p", "Musk again", "Elon Musk")
	if _, err := e.not.Announce(ctx, a, "A", nil); err != nil {
		t.Fatal(err)
	}
	panics := 0
	e.deliv.Sender, e.deliv.Panicked = panicky{}, func() { panics++ }
	e.now = e.now.Add(time.Minute)
	if err := e.deliv.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if panics != 1 {
		t.Fatalf("%d panics counted, want 1", panics)
	}
	if err := e.deliv.Flush(ctx); err != nil || panics != 1 {
		t.Errorf("the message was resent at once: %d panics, %v", panics, err)
	}
	e.deliv.Sender = e.rec
	e.now = e.now.Add(time.Hour)
	if err := e.deliv.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(e.rec.sent) != 1 {
		t.Errorf("%d messages sent after the panic, want 1", len(e.rec.sent))
	}
}

// TestSubscriptionsOfOtherProcessesMatch: a member subscribes through one
// process (the one holding their server's shard) and the article is read
// by another, sharing the store: that one's notifier, refreshed, matches
// the new subscription, and stops matching it once it is removed; with
// nothing changed a refresh reads no subscription again.
func TestSubscriptionsOfOtherProcessesMatch(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	var stores [2]*store.Store
	for i := range stores {
		st, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		stores[i] = st
	}
	counted := &countingSource{Store: stores[1]}
	other := &notify.Notifier{Store: stores[1], Matcher: notify.NewMatcher(nil), Shared: counted}
	a := &article.Article{ID: 1, Title: "Musk files a lawsuit against Microsoft", Parties: []string{"Elon Musk", "Microsoft"}}
	if err := other.Refresh(ctx); err != nil || len(other.Deliveries(a, "A", nil)) != 0 {
		t.Fatalf("no subscription yet: %v", err)
	}
	sub := &domain.Subscription{GuildID: "A", UserID: "u1", Query: "musk microsoft", Parties: []string{"Elon Musk", "Microsoft"}, CreatedAt: time.Now()}
	if err := stores[0].Subscribe(ctx, sub); err != nil {
		t.Fatal(err)
	}
	if err := other.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if ds := other.Deliveries(a, "A", nil); len(ds) != 1 || ds[0].Target != domain.DMTarget("u1") {
		t.Errorf("after another process's subscription: %+v", ds)
	}
	reads := counted.reads
	if err := other.Refresh(ctx); err != nil || counted.reads != reads {
		t.Errorf("a refresh with nothing changed read the subscriptions again (%d reads, was %d): %v", counted.reads, reads, err)
	}
	if _, err := stores[0].Unsubscribe(ctx, "A", "u1", "musk microsoft"); err != nil {
		t.Fatal(err)
	}
	if err := other.Refresh(ctx); err != nil || len(other.Deliveries(a, "A", nil)) != 0 {
		t.Errorf("a removed subscription still matches: %v", err)
	}
}

// countingSource counts the reads of every subscription.
type countingSource struct {
	*store.Store
	reads int
}

func (c *countingSource) AllSubscriptions(ctx context.Context) ([]*domain.Subscription, error) {
	c.reads++
	return c.Store.AllSubscriptions(ctx)
}
