package discord

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/disputebot/disputebot/bot"
	"github.com/disputebot/disputebot/bot/discord/discordtest"
)

const (
	testApp    = "100000000000000001"
	testGuild  = "200000000000000001"
	testChan   = "300000000000000001"
	testOwner  = "400000000000000001"
	testMember = "400000000000000003"
)

// connect starts a fake Discord and an adapter for b connected to it,
// configured by cfg where it sets something; before, when not nil, adjusts
// the adapter before it connects. The adapter is closed when the test
// ends, before the fake.
func connect(t *testing.T, b *bot.Bot, cfg Config, before func(*Adapter)) (*Adapter, *discordtest.Server) {
	t.Helper()
	fake := discordtest.New(t, discordtest.Options{AppID: testApp, HeartbeatInterval: 200 * time.Millisecond, Guilds: []discordtest.Guild{{
		ID: testGuild, Name: "Test Guild", OwnerID: testOwner,
		Roles:    []discordtest.Role{{ID: testGuild, Name: "@everyone", Permissions: 0x400 | 0x800 | 0x4000}},
		Channels: []discordtest.Channel{{ID: testChan, Name: "general"}},
		Members:  []discordtest.Member{{UserID: testOwner, Username: "olive"}, {UserID: testMember, Username: "pat"}},
	}}})
	cfg.Token, cfg.AppID, cfg.APIURL, cfg.Prefix, cfg.MessageContent = "test-token", testApp, fake.APIURL(), "!", true
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	a, err := New(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	if before != nil {
		before(a)
	}
	if err := a.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if err := fake.WaitReady(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	return a, fake
}

// replyTo waits for the bot's reply to message id.
func replyTo(t *testing.T, fake *discordtest.Server, id string) discordtest.Message {
	t.Helper()
	msgs, ok := fake.WaitMessages(func(ms []discordtest.Message) bool {
		for _, m := range ms {
			if m.ReplyTo == id {
				return true
			}
		}
		return false
	}, 10*time.Second)
	if !ok {
		t.Fatalf("no reply to message %s; messages: %+v", id, msgs)
	}
	for _, m := range msgs {
		if m.ReplyTo == id {
			return m
		}
	}
	panic("unreachable")
}

// responseTo waits for the callback answering interaction id.
func responseTo(t *testing.T, fake *discordtest.Server, id string) discordtest.Response {
	t.Helper()
	rs, ok := fake.WaitResponses(func(rs []discordtest.Response) bool {
		for _, r := range rs {
			if r.InteractionID == id {
				return true
			}
		}
		return false
	}, 10*time.Second)
	if !ok {
		t.Fatalf("no answer to interaction %s; responses: %+v", id, rs)
	}
	for _, r := range rs {
		if r.InteractionID == id {
			return r
		}
	}
	panic("unreachable")
}

// embedText is what the embeds show, title and description.
func embedText(es []discordtest.Embed) string {
	var parts []string
	for _, e := range es {
		parts = append(parts, e.Title, e.Description)
	}
	return strings.TrimSpace(strings.Join(parts, "\n"))
}

// TestInteractionDeliveredTwiceIsAnsweredOnce delivers one interaction
// twice, as a gateway replaying events may: the bot answers it once, and
// does not even try a second time.
func TestInteractionDeliveredTwiceIsAnsweredOnce(t *testing.T) {
	// With SyncEvents discordgo handles the events one after another, in
	// the order they came, so once the message sent last is answered both
	// deliveries have been dealt with, and nothing is left to wait for.
	_, fake := connect(t, &bot.Bot{Prefix: "!"}, Config{}, func(a *Adapter) { a.s.SyncEvents = true })
	in := discordtest.Interaction{Type: 2, GuildID: testGuild, ChannelID: testChan, UserID: testMember, Name: "help"}
	in.ID = fake.Interact(in)
	fake.Interact(in)
	replyTo(t, fake, fake.SendMessage(testGuild, testChan, testMember, "!help"))

	var answers int
	for _, r := range fake.Responses() {
		if r.InteractionID == in.ID {
			answers++
		}
	}
	var tries int
	for _, r := range fake.Requests() {
		if strings.HasPrefix(r.Path, "/interactions/"+in.ID+"/") {
			tries++
		}
	}
	if answers != 1 || tries != 1 {
		t.Errorf("interaction %s delivered twice: %d answers recorded, %d tries to answer; want 1 and 1", in.ID, answers, tries)
	}
}

// lockedBuffer is a log destination the adapter's goroutines may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPanicIsAnsweredAndTheBotGoesOn: a handler that panics, whatever
// way it was asked, gets the member a polite answer, is counted and
// logged with its stack, and the bot answers the next command.
func TestPanicIsAnsweredAndTheBotGoesOn(t *testing.T) {
	// A bot with no engine and no gazetteer dereferences nil on dispute,
	// on a page turn and on autocomplete: a stand-in for any handler bug.
	logs := &lockedBuffer{}
	var panics atomic.Int32
	_, fake := connect(t, &bot.Bot{Prefix: "!"}, Config{Log: slog.New(slog.NewJSONHandler(logs, nil)), Panicked: func() { panics.Add(1) }}, nil)

	slash := func(in discordtest.Interaction, wantType int) func(t *testing.T) string {
		return func(t *testing.T) string {
			r := responseTo(t, fake, fake.Interact(in))
			if r.Type != wantType || wantType == 4 && r.Flags&int(discordgo.MessageFlagsEphemeral) == 0 {
				t.Errorf("answered with type %d, flags %d; want type %d, ephemeral", r.Type, r.Flags, wantType)
			}
			if len(r.Choices) != 0 {
				t.Errorf("choices after a panic: %+v", r.Choices)
			}
			return embedText(r.Embeds)
		}
	}
	tests := []struct {
		name string
		ask  func(t *testing.T) string // sends the command and returns what the member read
		want string
	}{
		{"prefix command", func(t *testing.T) string {
			m := replyTo(t, fake, fake.SendMessage(testGuild, testChan, testMember, "!dispute musk microsoft"))
			if m.Flags != 0 || m.ChannelID != testChan {
				t.Errorf("the apology went to %s with flags %d; want a normal reply in %s", m.ChannelID, m.Flags, testChan)
			}
			return embedText(m.Embeds)
		}, sorry},
		{"slash command", slash(discordtest.Interaction{Type: 2, GuildID: testGuild, ChannelID: testChan, UserID: testMember, Name: "dispute",
			Options: []discordtest.Option{{Name: "query", Type: 3, Value: "musk microsoft"}}}, 4), sorry},
		// A page turn would update the message pressed; the apology comes
		// as a message of its own instead, and the page stays.
		{"page button", slash(discordtest.Interaction{Type: 3, GuildID: testGuild, ChannelID: testChan, UserID: testMember,
			CustomID: "pg:1:musk microsoft", MessageID: "700000000000000001"}, 4), sorry},
		{"autocomplete", slash(discordtest.Interaction{Type: 4, GuildID: testGuild, ChannelID: testChan, UserID: testMember, Name: "dispute",
			Options: []discordtest.Option{{Name: "query", Type: 3, Value: "mu", Focused: true}}}, 8), ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ask(t); got != tt.want {
				t.Errorf("the member read %q; want %q", got, tt.want)
			}
			if n := panics.Load(); n != int32(i+1) {
				t.Errorf("Panicked called %d times after %d panics", n, i+1)
			}
			next := replyTo(t, fake, fake.SendMessage(testGuild, testChan, testMember, "!help"))
			if len(next.Embeds) == 0 || next.Embeds[0].Title != "disputebot" {
				t.Errorf("the next command was answered with %+v; want the help", next.Embeds)
			}
		})
	}

	var logged int
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l struct{ Level, Msg, Where, Panic, Stack string }
		if err := json.Unmarshal([]byte(line), &l); err != nil || l.Msg != "recovered from a panic" {
			continue
		}
		logged++
		if l.Level != "ERROR" || l.Where == "" || !strings.Contains(l.Panic, "nil pointer") || !strings.Contains(l.Stack, "bot.(*Bot)") {
			t.Errorf("panic logged as %+v", l)
		}
	}
	if logged != len(tests) {
		t.Errorf("%d panics logged; want %d:\n%s", logged, len(tests), logs)
	}
}

// TestApologyFollowsHowFarTheAnswerGot calls the apology directly in each
// state an interaction's answer can be in when its handler panics, which a
// live handler cannot be made to reach on demand.
func TestApologyFollowsHowFarTheAnswerGot(t *testing.T) {
	fake := discordtest.New(t, discordtest.Options{AppID: testApp})
	a, err := New(Config{Token: "test-token", APIURL: fake.APIURL(), Log: slog.New(slog.DiscardHandler)}, &bot.Bot{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.s.Client.CloseIdleConnections)
	tests := []struct {
		name     string
		kind     discordgo.InteractionType
		progress answerProgress
		want     []discordtest.Response // Kind, Type and Flags compared
		wantText string                 // what each shows
	}{
		{"command not yet answered", discordgo.InteractionApplicationCommand, unanswered,
			[]discordtest.Response{{Kind: "callback", Type: 4, Flags: 64}}, sorry},
		{"autocomplete not yet answered", discordgo.InteractionApplicationCommandAutocomplete, unanswered,
			[]discordtest.Response{{Kind: "callback", Type: 8}}, ""},
		{"deferred reply", discordgo.InteractionApplicationCommand, deferredReply,
			[]discordtest.Response{{Kind: "edit"}}, sorry},
		{"deferred page turn", discordgo.InteractionMessageComponent, deferredUpdate,
			[]discordtest.Response{{Kind: "followup", Flags: 64}}, sorry},
		{"already answered", discordgo.InteractionApplicationCommand, answered, nil, ""},
	}
	for n, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(fake.Responses())
			id := fmt.Sprintf("9000000000000000%02d", n)
			i := &discordgo.Interaction{ID: id, AppID: testApp, Type: tt.kind, Token: "itoken" + id}
			progress := tt.progress
			a.apologiseInteraction(i, a.callback(i), &progress)
			got := fake.Responses()[before:]
			if len(got) != len(tt.want) {
				t.Fatalf("sent %+v; want %+v", got, tt.want)
			}
			for j, w := range tt.want {
				g := got[j]
				if g.Kind != w.Kind || g.Type != w.Type || g.Flags != w.Flags {
					t.Errorf("sent %s type %d flags %d; want %s type %d flags %d", g.Kind, g.Type, g.Flags, w.Kind, w.Type, w.Flags)
				}
				if embedText(g.Embeds) != tt.wantText {
					t.Errorf("the member read %q; want %q", embedText(g.Embeds), tt.wantText)
				}
			}
			if progress != answered {
				t.Errorf("progress %d after the apology; want answered", progress)
			}
		})
	}
}

func TestSeenIDs(t *testing.T) {
	type step struct {
		id    string
		after time.Duration // since the first step
		want  bool          // whether first reports it new
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"distinct ids", []step{{"a", 0, true}, {"b", 0, true}}},
		{"repeat within the time", []step{{"a", 0, true}, {"a", 9 * time.Minute, false}}},
		{"repeat after the time", []step{{"a", 0, true}, {"a", 11 * time.Minute, true}}},
		{"repeat among the last three", []step{{"a", 0, true}, {"b", 0, true}, {"c", 0, true}, {"a", 0, false}}},
		{"forgotten after three newer", []step{{"a", 0, true}, {"b", 0, true}, {"c", 0, true}, {"d", 0, true}, {"a", 0, true}, {"d", 0, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeenIDs(10*time.Minute, 3)
			start := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
			for i, st := range tt.steps {
				if got := s.first(st.id, start.Add(st.after)); got != st.want {
					t.Errorf("step %d: first(%q) = %v; want %v", i, st.id, got, st.want)
				}
			}
			if len(s.at) > 3 || len(s.order) > 3 {
				t.Errorf("%d ids kept, %d in order; at most 3", len(s.at), len(s.order))
			}
		})
	}

	// The same id arriving at once on many goroutines is new to one.
	s := newSeenIDs(time.Minute, 10)
	var news atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if s.first("x", time.Now()) {
				news.Add(1)
			}
		})
	}
	wg.Wait()
	if news.Load() != 1 {
		t.Errorf("%d goroutines found the same id new", news.Load())
	}
}
