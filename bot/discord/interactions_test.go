package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disputebot/disputebot/bot"
	"github.com/disputebot/disputebot/bot/discord/discordtest"
	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/gazetteer"
	"github.com/disputebot/disputebot/internal/store"
)

// endpointRig is an adapter serving its interactions endpoint over real
// HTTP, with no gateway, beside a fake Discord whose REST side takes the
// edits of deferred answers.
type endpointRig struct {
	fake *discordtest.Server
	url  string
	logs *lockedBuffer

	mu      sync.Mutex
	refused map[string]int // InteractionRefused's counts, by reason
	ran     map[string]int // commands the bot ran to the end, by name
}

// commandCounter is a bot.Metrics that counts the commands run.
type commandCounter func(name string)

func (c commandCounter) Command(name string, _ time.Duration, _ string) { c(name) }

// serveEndpoint starts the rig for b. answerWithin is how long a command
// may take before it is deferred.
func serveEndpoint(t *testing.T, b *bot.Bot, answerWithin time.Duration) *endpointRig {
	t.Helper()
	return serveEndpointOn(t, endpointFake(t), b, answerWithin, nil)
}

// endpointFake is a fake Discord with one guild, one channel, an owner
// and a member.
func endpointFake(t *testing.T) *discordtest.Server {
	return discordtest.New(t, discordtest.Options{AppID: testApp, Guilds: []discordtest.Guild{{
		ID: testGuild, Name: "Test Guild", OwnerID: testOwner,
		Roles:    []discordtest.Role{{ID: testGuild, Name: "@everyone", Permissions: 0x400 | 0x800 | 0x4000}},
		Channels: []discordtest.Channel{{ID: testChan, Name: "general"}},
		Members:  []discordtest.Member{{UserID: testOwner, Username: "olive"}, {UserID: testMember, Username: "pat"}},
	}}})
}

// serveEndpointOn starts an endpoint process on an existing fake Discord,
// claiming interactions with claim when it is not nil.
func serveEndpointOn(t *testing.T, fake *discordtest.Server, b *bot.Bot, answerWithin time.Duration, claim func(context.Context, string, time.Duration) (bool, error)) *endpointRig {
	t.Helper()
	rig := &endpointRig{fake: fake, logs: &lockedBuffer{}, refused: map[string]int{}, ran: map[string]int{}}
	b.Prefix = "!"
	b.Metrics = commandCounter(func(name string) { rig.mu.Lock(); rig.ran[name]++; rig.mu.Unlock() })
	key, err := hex.DecodeString(fake.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Token: "test-token", APIURL: fake.APIURL(), Prefix: "!", AnswerWithin: answerWithin, PublicKey: key,
		Log:                slog.New(slog.NewJSONHandler(rig.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		InteractionRefused: func(reason string) { rig.mu.Lock(); rig.refused[reason]++; rig.mu.Unlock() },
		ClaimEvent:         claim,
	}, b)
	if err != nil {
		t.Fatal(err)
	}
	h, err := a.Interactions()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	rig.url = srv.URL + "/interactions"
	// Cleanups run last first: the server stops taking POSTs, then the
	// adapter finishes the answers in flight, then the fake closes.
	t.Cleanup(func() {
		a.Close()
		if strings.Contains(rig.logs.String(), "itoken") {
			t.Error("an interaction token appears in the logs")
		}
	})
	t.Cleanup(srv.Close)
	return rig
}

func (r *endpointRig) counts() (refused, ran map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	refused, ran = map[string]int{}, map[string]int{}
	for k, v := range r.refused {
		refused[k] = v
	}
	for k, v := range r.ran {
		ran[k] = v
	}
	return refused, ran
}

var helpCommand = discordtest.Interaction{Type: 2, GuildID: testGuild, ChannelID: testChan, UserID: testMember, Name: "help"}

// TestEndpointChecksEveryPost sends the endpoint one POST of each kind:
// what is signed by the application, fresh and well formed is answered in
// the response body; everything else is refused, counted by reason, and
// runs nothing.
func TestEndpointChecksEveryPost(t *testing.T) {
	_, forger, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	type post func(r *endpointRig) (discordtest.EndpointAnswer, error)
	signed := func(in discordtest.Interaction, sig discordtest.Signing, change func([]byte) []byte) post {
		return func(r *endpointRig) (discordtest.EndpointAnswer, error) {
			_, body := r.fake.InteractionBody(in)
			if change != nil {
				sig.Signed = body
				body = change(body)
			}
			return r.fake.PostSigned(r.url, body, sig)
		}
	}
	tests := []struct {
		name       string
		post       post
		status     int
		refused    string // the reason counted; "" for none
		wantType   int    // the interaction response's type, for a 200
		wantText   string // what the answer's embeds show, in part
		commandRan bool
	}{
		{"a signed command is answered in the body", signed(helpCommand, discordtest.Signing{}, nil), 200, "", 4, "disputebot", true},
		{"a PING is answered with a PONG", signed(discordtest.Interaction{Type: 1}, discordtest.Signing{}, nil), 200, "", 1, "", false},
		{"a tampered body", signed(helpCommand, discordtest.Signing{}, func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"help"`), []byte(`"feed"`), 1)
		}), 401, refusedSignature, 0, "", false},
		{"a forger's signature", signed(helpCommand, discordtest.Signing{Key: forger}, nil), 401, refusedSignature, 0, "", false},
		{"no signature", signed(helpCommand, discordtest.Signing{NoSig: true}, nil), 401, refusedSignature, 0, "", false},
		{"a signature from two minutes ago", signed(helpCommand, discordtest.Signing{At: time.Now().Add(-2 * time.Minute)}, nil), 401, refusedStale, 0, "", false},
		{"a signature dated two minutes ahead", signed(helpCommand, discordtest.Signing{At: time.Now().Add(2 * time.Minute)}, nil), 401, refusedStale, 0, "", false},
		{"a signed body that is no interaction", func(r *endpointRig) (discordtest.EndpointAnswer, error) {
			return r.fake.PostSigned(r.url, []byte(`["not", "an", "interaction"]`), discordtest.Signing{})
		}, 400, refusedMalformed, 0, "", false},
		{"a body too large to be an interaction", func(r *endpointRig) (discordtest.EndpointAnswer, error) {
			return r.fake.PostSigned(r.url, bytes.Repeat([]byte(" "), maxInteractionBody+1), discordtest.Signing{})
		}, 413, refusedTooLarge, 0, "", false},
		{"a GET", func(r *endpointRig) (discordtest.EndpointAnswer, error) {
			resp, err := http.Get(r.url)
			if err != nil {
				return discordtest.EndpointAnswer{}, err
			}
			resp.Body.Close()
			return discordtest.EndpointAnswer{Status: resp.StatusCode}, nil
		}, 405, refusedMethod, 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rig := serveEndpoint(t, &bot.Bot{}, 2*time.Second)
			ans, err := tt.post(rig)
			if err != nil {
				t.Fatal(err)
			}
			if ans.Status != tt.status {
				t.Fatalf("answered %d %q; want %d", ans.Status, ans.Body, tt.status)
			}
			refused, ran := rig.counts()
			want := map[string]int{}
			if tt.refused != "" {
				want[tt.refused] = 1
			}
			if len(refused) != len(want) || refused[tt.refused] != want[tt.refused] {
				t.Errorf("refusals counted %v; want %v", refused, want)
			}
			if (len(ran) > 0) != tt.commandRan {
				t.Errorf("commands run: %v; want a command run: %v", ran, tt.commandRan)
			}
			if tt.status != 200 {
				if bytes.Contains(ans.Body, []byte("error")) || bytes.Contains(ans.Body, []byte("discord:")) {
					t.Errorf("the refusal reads %q; want a plain sentence", ans.Body)
				}
				return
			}
			if ans.Response.Type != tt.wantType || !strings.Contains(embedText(ans.Response.Embeds), tt.wantText) {
				t.Errorf("answered type %d showing %q; want type %d showing %q", ans.Response.Type, embedText(ans.Response.Embeds), tt.wantType, tt.wantText)
			}
			if tt.wantType == 1 && strings.TrimSpace(string(ans.Body)) != `{"type":1}` {
				t.Errorf("PONG body %s; want {\"type\":1}", ans.Body)
			}
			if tt.wantType == 4 && (ans.Response.AllowedMentions == nil || ans.Response.AllowedMentions.Parse == nil || len(ans.Response.AllowedMentions.Parse) != 0) {
				t.Errorf("allowed_mentions %+v; want parse: [] (no pings)", ans.Response.AllowedMentions)
			}
		})
	}
}

// TestEndpointRefusesAReplay POSTs one signed request twice, byte for byte,
// as someone who captured it might: the second is refused and the command
// runs once.
func TestEndpointRefusesAReplay(t *testing.T) {
	rig := serveEndpoint(t, &bot.Bot{}, 2*time.Second)
	_, body := rig.fake.InteractionBody(helpCommand)
	sig := discordtest.Signing{At: time.Now()}
	var statuses []int
	for range 2 {
		ans, err := rig.fake.PostSigned(rig.url, body, sig)
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, ans.Status)
	}
	refused, ran := rig.counts()
	if statuses[0] != 200 || statuses[1] != 401 || refused[refusedReplayed] != 1 || ran["help"] != 1 {
		t.Errorf("statuses %v, refusals %v, commands run %v; want 200 then 401, one replay refused, help run once", statuses, refused, ran)
	}
}

// TestReplayToAnotherProcessIsRefused: two endpoint processes behind one
// load balancer, each with its own memory, sharing a store. A signed POST
// replayed to the second is refused there, and the command runs once.
func TestReplayToAnotherProcessIsRefused(t *testing.T) {
	_, claim := sharedStore(t)
	fake := endpointFake(t)
	first := serveEndpointOn(t, fake, &bot.Bot{}, 2*time.Second, claim)
	second := serveEndpointOn(t, fake, &bot.Bot{}, 2*time.Second, claim)
	_, body := first.fake.InteractionBody(helpCommand)
	sig := discordtest.Signing{At: time.Now()}
	var statuses []int
	for _, rig := range []*endpointRig{first, second} {
		ans, err := rig.fake.PostSigned(rig.url, body, sig)
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, ans.Status)
	}
	_, ranFirst := first.counts()
	refused, ranSecond := second.counts()
	if statuses[0] != 200 || statuses[1] != 401 || refused[refusedReplayed] != 1 || ranFirst["help"]+ranSecond["help"] != 1 {
		t.Errorf("statuses %v, second refused %v, help run %d+%d times; want 200 then 401 and help run once",
			statuses, refused, ranFirst["help"], ranSecond["help"])
	}
}

// TestEndpointDefersSlowAnswers holds each command until its deferral has
// reached Discord: a command is deferred with type 5 and a page turn with
// type 6, in the response body and within Discord's 3 s, and the answer
// then edits the original response over REST.
func TestEndpointDefersSlowAnswers(t *testing.T) {
	tests := []struct {
		name     string
		in       discordtest.Interaction
		deferred int
		then     string // the Kind of what completes it
		want     string // what that shows, in part
	}{
		{"slash command", helpCommand, 5, "edit", "disputebot"},
		// The bot has no engine, so turning the page panics once let
		// go: the apology comes as a follow-up only the member sees,
		// leaving the page they pressed as it was.
		{"page turn that fails", discordtest.Interaction{Type: 3, GuildID: testGuild, ChannelID: testChan, UserID: testMember,
			CustomID: "pg:1:musk microsoft", MessageID: "700000000000000001"}, 6, "followup", sorry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gate := make(chan struct{})
			rig := serveEndpoint(t, &bot.Bot{Now: func() time.Time { <-gate; return time.Now() }}, 100*time.Millisecond)
			id, ans, err := rig.fake.PostInteraction(rig.url, tt.in)
			close(gate)
			if err != nil {
				t.Fatal(err)
			}
			if ans.Status != 200 || ans.Response.Type != tt.deferred || ans.Took > 3*time.Second {
				t.Fatalf("answered %d type %d after %s; want 200 type %d within 3 s", ans.Status, ans.Response.Type, ans.Took, tt.deferred)
			}
			rs, ok := rig.fake.WaitResponses(func(rs []discordtest.Response) bool {
				return len(rs) >= 2 && rs[len(rs)-1].Kind == tt.then
			}, 10*time.Second)
			if !ok {
				t.Fatalf("the deferred answer never came: %+v", rs)
			}
			if rs[0].Kind != "endpoint" || rs[0].InteractionID != id || len(rs) != 2 {
				t.Errorf("Discord got %+v; want the endpoint's deferral, then the %s", rs, tt.then)
			}
			if got := embedText(rs[1].Embeds); !strings.Contains(got, tt.want) {
				t.Errorf("the %s shows %q; want %q", tt.then, got, tt.want)
			}
			if am := rs[1].AllowedMentions; am == nil || am.Parse == nil || len(am.Parse) != 0 {
				t.Errorf("allowed_mentions %+v; want parse: [] (no pings)", am)
			}
		})
	}
}

// TestEndpointAutocomplete: autocomplete is answered in the body with the
// bot's choices, as over the gateway.
func TestEndpointAutocomplete(t *testing.T) {
	g, err := gazetteer.New([]article.Party{{Name: "Microsoft", Kind: article.Company}, {Name: "Elon Musk", Kind: article.Person, Aliases: []string{"musk"}}})
	if err != nil {
		t.Fatal(err)
	}
	rig := serveEndpoint(t, &bot.Bot{Gazetteer: g}, 2*time.Second)
	_, ans, err := rig.fake.PostInteraction(rig.url, discordtest.Interaction{Type: 4, GuildID: testGuild, ChannelID: testChan, UserID: testMember,
		Name: "dispute", Options: []discordtest.Option{{Name: "query", Type: 3, Value: "musk mic", Focused: true}}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range ans.Response.Choices {
		names = append(names, c.Name)
	}
	if ans.Status != 200 || ans.Response.Type != 8 || strings.Join(names, "|") != "musk Microsoft" {
		raw, _ := json.Marshal(ans.Response.Choices)
		t.Errorf("answered %d type %d with %s; want 200, type 8, the choice \"musk Microsoft\"", ans.Status, ans.Response.Type, raw)
	}
}

// sharedStore opens a store as processes share one, and the claim they
// would make in it (see Config.ClaimEvent); the store closes with the
// test.
func sharedStore(t *testing.T) (*store.Store, func(context.Context, string, time.Duration) (bool, error)) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "shared.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, func(ctx context.Context, id string, lease time.Duration) (bool, error) {
		return st.ClaimEvent(ctx, id, time.Now(), lease)
	}
}
