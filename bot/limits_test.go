package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disputebot/disputebot/bot"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/fetch"
	"github.com/disputebot/disputebot/internal/ingest"
	"github.com/disputebot/disputebot/internal/library"
)

// newCappedBot is newBot with a server's caps set.
func newCappedBot(t *testing.T, caps domain.Caps) *bot.Bot {
	t.Helper()
	lib, err := library.Open(context.Background(), library.Options{DataDir: t.TempDir(), Caps: caps, FeedInterval: 15 * time.Minute, FeedMinInterval: 2 * time.Minute,
		Fetch: fetch.Options{Timeout: 5 * time.Second, MaxBytes: 1 << 20, AllowPrivate: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	return &bot.Bot{
		Engine: lib.Engine, Gazetteer: lib.Gazetteer, Store: lib.Store, Sources: lib.Sources, Subscriptions: lib.Subscriptions,
		Directory: channels{chanA: guildA, chanB: guildB}, Log: lib.Log, Prefix: "!",
	}
}

// TestConcurrentSubscribesKeepTheCap: 500 subscriptions asked for at once
// by one member store exactly the member's cap, and the others are told
// why, naming it.
func TestConcurrentSubscribesKeepTheCap(t *testing.T) {
	b := newCappedBot(t, domain.Caps{MemberSubscriptions: 25})
	var wg sync.WaitGroup
	replies := make([]bot.Reply, 500)
	for i := range replies {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			replies[i] = ask(b, guildA, member, false, fmt.Sprintf("subscribe word%d", i))
		}(i)
	}
	wg.Wait()
	subs, err := b.Subscriptions.List(context.Background(), guildA, member)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 25 {
		t.Errorf("%d subscriptions stored, the cap is 25", len(subs))
	}
	refused := 0
	for _, r := range replies {
		if r.Color == bot.Warn {
			refused++
			if !strings.Contains(r.Body, "25 subscriptions") {
				t.Errorf("refusal %q does not name the cap", r.Body)
			}
		}
	}
	if refused != 475 {
		t.Errorf("%d refused, want 475", refused)
	}
}

// TestServerCapsAreRefusedClearly: a server at its cap of aliases is told
// so, with the number, and nothing changes; renaming an alias it has is
// not a new one.
func TestServerCapsAreRefusedClearly(t *testing.T) {
	b := newCappedBot(t, domain.Caps{Aliases: 2})
	for _, cmd := range []string{"alias add big boss = elon musk", "alias add softy = microsoft", "alias add softy = apple"} {
		if r := ask(b, guildA, modUser, true, cmd); r.Color != bot.Good {
			t.Fatalf("%s: %q", cmd, r.Body)
		}
	}
	r := ask(b, guildA, modUser, true, "alias add fruit = apple")
	if r.Color != bot.Warn || !strings.Contains(r.Body, "2 aliases") {
		t.Errorf("past the cap: %q", r.Body)
	}
	if al, _ := b.Store.Aliases(context.Background(), guildA); len(al) != 2 {
		t.Errorf("%d aliases stored, the cap is 2", len(al))
	}
	// Another server has caps of its own.
	if r := ask(b, guildB, modUser, true, "alias add fruit = apple"); r.Color != bot.Good {
		t.Errorf("server B was refused for A's aliases: %q", r.Body)
	}
}

// countingMetrics records the commands served.
type countingMetrics struct {
	mu    sync.Mutex
	names []string
}

func (m *countingMetrics) Command(name string, took time.Duration, outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.names = append(m.names, name+":"+outcome)
}

// TestButtonPressesAreGuardedLikeCommands: a press goes through the
// cooldown, the input cap and the metrics of the command it stands for;
// a made-up id can do no more than typing that command.
func TestButtonPressesAreGuardedLikeCommands(t *testing.T) {
	b, _ := newBot(t)
	m := &countingMetrics{}
	b.Metrics, b.Cooldown = m, 3*time.Second
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	b.Now = func() time.Time { return now }
	press := func(id string) bot.Reply {
		return b.Press(context.Background(), bot.Request{GuildID: guildA, UserID: member}, id)
	}
	if r := press("pg:1:elon musk vs microsoft"); r.Color == bot.Warn {
		t.Fatalf("first page turn: %q", r.Body)
	}
	if r := press("pg:2:elon musk vs microsoft"); !strings.Contains(r.Body, "Please wait") {
		t.Errorf("a page turn straight after another was not cooled down: %q", r.Title+r.Body)
	}
	now = now.Add(time.Second)
	if r := press("pg:2:elon musk vs microsoft"); r.Color == bot.Warn {
		t.Errorf("a page turn a second later: %q", r.Body)
	}
	now = now.Add(time.Minute)
	if r := press("pg:0:?" + strings.Repeat("word ", 200)); !strings.Contains(r.Body, "too long") {
		t.Errorf("a made-up id of 1000 characters: %q", r.Body)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.names) != 4 || m.names[0] != "dispute:ok" || m.names[1] != "dispute:cooldown" || m.names[3] != "search:refused" {
		t.Errorf("metrics recorded %v", m.names)
	}
}

// TestSubscribeToAChannelThatIsNot: "in #nosuch", which Discord leaves as
// text when no channel has that name, gets the usage line, not a
// subscription to the word "nosuch".
func TestSubscribeToAChannelThatIsNot(t *testing.T) {
	b, _ := newBot(t)
	r := ask(b, guildA, modUser, true, "subscribe google in #nosuch")
	if !strings.Contains(r.Body, "Usage:") {
		t.Errorf("reply %q", r.Body)
	}
	if subs, _ := b.Subscriptions.List(context.Background(), guildA, modUser); len(subs) != 0 {
		t.Errorf("%d subscriptions stored", len(subs))
	}
}

// TestPartiesLeadMentionsFollow: right after a moderator adds an article
// about Dell suing HP, "!dispute dell hp" is about that article; the EU's
// Intel case, which names Dell and HP in passing, is in the timeline but
// not in the summary.
func TestPartiesLeadMentionsFollow(t *testing.T) {
	b, lib := newBot(t)
	page := `<html><head><title>Dell sues HP over laptop patents</title></head><body>
	<p>Dell filed a lawsuit against HP Inc on Monday, accusing its rival of infringing four patents on laptop cooling designs.</p>
	<p>HP said it would fight the suit in federal court and called the claims baseless. The complaint asks for damages and an injunction.</p></body></html>`
	if _, err := lib.Pipeline.IngestHTML(context.Background(), []byte(page), "text/html", "https://news.example.com/dell-hp", ingest.Options{Scope: guildA}); err != nil {
		t.Fatal(err)
	}
	r := ask(b, guildA, member, false, "dispute dell hp")
	if r.Title != "Dell vs HP Inc" {
		t.Errorf("title %q", r.Title)
	}
	if !strings.Contains(r.Body, "Dell filed a lawsuit against HP Inc") || strings.Contains(r.Body, "Commission found Intel") {
		t.Errorf("the summary is not about the dispute asked:\n%s", r.Body)
	}
}
