package discord

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disputebot/disputebot/bot"
	"github.com/disputebot/disputebot/bot/discord/discordtest"
)

// TestTakeoverResumes: an adapter given another's session (as a process
// taking a dead one's shard over is, from the store) RESUMEs it at
// READY's resume_gateway_url rather than identifying. Of the commands
// replayed to it, those the first adapter answered are not run again,
// the one it had claimed but not answered when it went (a process killed
// mid-command) is answered once its claim has run out, and the one sent
// while the shard had no connection is answered too. Claims are made in
// a real store, as processes sharing one make them.
func TestTakeoverResumes(t *testing.T) {
	guild := strconv.Itoa(1 << 22) // on shard 1 of 2
	fake := discordtest.New(t, discordtest.Options{AppID: testApp, HeartbeatInterval: 200 * time.Millisecond, Shards: 2, Guilds: []discordtest.Guild{{
		ID: guild, Name: "Shard one", OwnerID: testOwner,
		Roles:    []discordtest.Role{{ID: guild, Name: "@everyone", Permissions: 0x400 | 0x800 | 0x4000}},
		Channels: []discordtest.Channel{{ID: testChan, Name: "general"}},
		Members:  []discordtest.Member{{UserID: testMember, Username: "pat"}},
	}}})
	st, claim := sharedStore(t)
	// The first adapter, once doomed, claims the next command and then
	// stops, as a process killed between claiming and answering does.
	var doomed atomic.Bool
	claimedDoomed, dead := make(chan string, 1), make(chan struct{})
	firstClaim := func(ctx context.Context, id string, lease time.Duration) (bool, error) {
		ok, err := claim(ctx, id, lease)
		if ok && doomed.CompareAndSwap(true, false) {
			claimedDoomed <- id
			<-dead
			return false, nil
		}
		return ok, err
	}
	var mu sync.Mutex
	ran, identifyTurns := 0, 0
	const lease = 300 * time.Millisecond
	cfg := Config{Token: "test-token", AppID: testApp, APIURL: fake.APIURL(), Prefix: "!", MessageContent: true, Log: slog.New(slog.DiscardHandler),
		ShardID: 1, ShardCount: 2, ClaimEvent: firstClaim, EventAnswered: st.EventAnswered, CommandLease: lease,
		BeforeIdentify: func(context.Context) error { mu.Lock(); identifyTurns++; mu.Unlock(); return nil }}
	b := &bot.Bot{Prefix: "!", Metrics: commandCounter(func(string) { mu.Lock(); ran++; mu.Unlock() })}
	first, err := New(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Open(); err != nil {
		t.Fatal(err)
	}
	before := fake.SendMessage(guild, testChan, testMember, "!help")
	replyTo(t, fake, before)
	doomed.Store(true)
	inFlight := fake.SendMessage(guild, testChan, testMember, "!help")
	if id := <-claimedDoomed; id != inFlight {
		t.Fatalf("the first adapter claimed %s, want the command in flight %s", id, inFlight)
	}
	sess := first.Session()
	if sess.ID == "" || sess.ResumeURL == "" {
		t.Fatalf("the session to hand over: %+v", sess)
	}
	close(dead)
	if err := first.Handover(); err != nil {
		t.Fatal(err)
	}
	away := fake.SendMessage(guild, testChan, testMember, "!help")
	time.Sleep(lease) // a dead process's shard moves later than its commands' claims run out

	cfg.Resume, cfg.ClaimEvent = sess, claim
	taker, err := New(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := taker.Open(); err != nil {
		t.Fatal(err)
	}
	defer taker.Close()
	replyTo(t, fake, inFlight)
	replyTo(t, fake, away)
	after := fake.SendMessage(guild, testChan, testMember, "!help")
	replyTo(t, fake, after)
	replies := map[string]int{}
	for _, m := range fake.Messages() {
		replies[m.ReplyTo]++
	}
	if replies[before] != 1 || replies[inFlight] != 1 || replies[away] != 1 || replies[after] != 1 {
		t.Errorf("replies to the command before the handover, in flight, while away and after: %d, %d, %d, %d; want one each",
			replies[before], replies[inFlight], replies[away], replies[after])
	}
	// Discord's nonce would hide a second reply: count the commands run.
	mu.Lock()
	defer mu.Unlock()
	if ran != 4 {
		t.Errorf("%d commands run, want 4: an answered command replayed to the taker was run again", ran)
	}
	if fake.Identifies() != 1 || fake.Resumes() != 1 || fake.ResumesAtResumeURL() != 1 || identifyTurns != 1 {
		t.Errorf("identifies %d (turns asked %d), resumes %d (at resume_gateway_url %d); want 1 (1), 1 (1)",
			fake.Identifies(), identifyTurns, fake.Resumes(), fake.ResumesAtResumeURL())
	}
}

// TestInvalidSessionWaitsForATurn: Discord refuses a shard's IDENTIFY
// with INVALID SESSION (here, because another shard of its
// max_concurrency bucket identified under a second before). discordgo
// identifies again at once; the adapter holds that back until the store
// gives a turn, so Discord refuses it once, not again and again.
func TestInvalidSessionWaitsForATurn(t *testing.T) {
	const spacing = time.Second
	fake := discordtest.New(t, discordtest.Options{AppID: testApp, HeartbeatInterval: 5 * time.Second, Shards: 2, MaxConcurrency: 1, IdentifySpacing: spacing})
	var mu sync.Mutex
	var firstIdentified time.Time
	turns := 0
	open := func(shard int, beforeIdentify func(context.Context) error) *Adapter {
		a, err := New(Config{Token: "test-token", AppID: testApp, APIURL: fake.APIURL(), Prefix: "!", Log: slog.New(slog.DiscardHandler),
			ShardID: shard, ShardCount: 2, BeforeIdentify: beforeIdentify}, &bot.Bot{Prefix: "!"})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Open(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		return a
	}
	open(0, func(context.Context) error { mu.Lock(); firstIdentified = time.Now(); mu.Unlock(); return nil })
	// Shard 1's first turn comes too early, as a turn given before its
	// identify was sent, and overtaken, may; its later turns keep the
	// spacing, as the store's do.
	open(1, func(ctx context.Context) error {
		mu.Lock()
		turns++
		wait := time.Until(firstIdentified.Add(spacing + 200*time.Millisecond))
		early := turns == 1
		mu.Unlock()
		if !early {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	if err := fake.WaitShards(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if fake.RefusedIdentifies() != 1 || turns != 2 {
		t.Errorf("%d identifies refused, %d turns asked for; want 1 refused, and a turn asked for the identify after it", fake.RefusedIdentifies(), turns)
	}
}
