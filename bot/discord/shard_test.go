package discord

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/disputebot/disputebot/bot"
	"github.com/disputebot/disputebot/bot/discord/discordtest"
)

// TestTakeoverResumes: an adapter given another's session (as a process
// taking a dead one's shard over is, from the store) RESUMEs it at
// READY's resume_gateway_url rather than identifying: it answers the
// command sent while the shard had no connection, and the commands
// replayed to it that the first adapter had answered are not answered
// again (they are claimed, as in the store processes share).
func TestTakeoverResumes(t *testing.T) {
	guild := strconv.Itoa(1 << 22) // on shard 1 of 2
	fake := discordtest.New(t, discordtest.Options{AppID: testApp, HeartbeatInterval: 200 * time.Millisecond, Shards: 2, Guilds: []discordtest.Guild{{
		ID: guild, Name: "Shard one", OwnerID: testOwner,
		Roles:    []discordtest.Role{{ID: guild, Name: "@everyone", Permissions: 0x400 | 0x800 | 0x4000}},
		Channels: []discordtest.Channel{{ID: testChan, Name: "general"}},
		Members:  []discordtest.Member{{UserID: testMember, Username: "pat"}},
	}}})
	var mu sync.Mutex
	claimed := map[string]bool{}
	claim := func(_ context.Context, id string) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		first := !claimed[id]
		claimed[id] = true
		return first, nil
	}
	identifyTurns := 0
	cfg := Config{Token: "test-token", AppID: testApp, APIURL: fake.APIURL(), Prefix: "!", MessageContent: true, Log: slog.New(slog.DiscardHandler),
		ShardID: 1, ShardCount: 2, ClaimInteraction: claim,
		BeforeIdentify: func(context.Context) error { mu.Lock(); identifyTurns++; mu.Unlock(); return nil }}
	b := &bot.Bot{Prefix: "!"}
	first, err := New(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Open(); err != nil {
		t.Fatal(err)
	}
	before := fake.SendMessage(guild, testChan, testMember, "!help")
	replyTo(t, fake, before)
	sess := first.Session()
	if sess.ID == "" || sess.ResumeURL == "" {
		t.Fatalf("the session to hand over: %+v", sess)
	}
	if err := first.Handover(); err != nil {
		t.Fatal(err)
	}
	away := fake.SendMessage(guild, testChan, testMember, "!help")

	cfg.Resume = sess
	taker, err := New(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := taker.Open(); err != nil {
		t.Fatal(err)
	}
	defer taker.Close()
	replyTo(t, fake, away)
	after := fake.SendMessage(guild, testChan, testMember, "!help")
	replyTo(t, fake, after)
	replies := map[string]int{}
	for _, m := range fake.Messages() {
		replies[m.ReplyTo]++
	}
	if replies[before] != 1 || replies[away] != 1 || replies[after] != 1 {
		t.Errorf("replies to the command before the handover, while away and after: %d, %d, %d; want one each", replies[before], replies[away], replies[after])
	}
	if fake.Identifies() != 1 || fake.Resumes() != 1 || fake.ResumesAtResumeURL() != 1 || identifyTurns != 1 {
		t.Errorf("identifies %d (turns asked %d), resumes %d (at resume_gateway_url %d); want 1 (1), 1 (1)",
			fake.Identifies(), identifyTurns, fake.Resumes(), fake.ResumesAtResumeURL())
	}
}
