package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/disputebot/disputebot/bot/discord/discordtest"
)

// freeAddr is a loopback address nothing listens on, for now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeInteractionsOnly runs `serve --interactions-only` as an
// operator would behind a load balancer, with the fake Discord's REST
// API and none of its gateway: the endpoint answers Discord's PING, a
// quick slash command in the response body, a slow one with a deferral
// that an edit of the original response completes, and refuses and
// counts a tampered POST.
func TestServeInteractionsOnly(t *testing.T) {
	fake := fakeDiscord(t)
	page, err := os.ReadFile("../../internal/ingest/testdata/musk-microsoft.html")
	if err != nil {
		t.Fatal(err)
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(3 * time.Second) // past the 2 s the bot answers within
		w.Header().Set("Content-Type", "text/html")
		w.Write(page)
	}))
	defer slow.Close()

	vars := serveVars(t, fake)
	endpoint, metricsAddr := freeAddr(t), freeAddr(t)
	vars["INTERACTIONS_ADDR"], vars["DISCORD_PUBLIC_KEY"], vars["METRICS_ADDR"] = endpoint, fake.PublicKey(), metricsAddr
	url := "http://" + endpoint + "/interactions"
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--interactions-only"}, logs, logs, env(vars)) }()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d\n%s", code, logs.String())
			}
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop")
		}
		if strings.Contains(logs.String(), "test.bot.token-never-logged") || strings.Contains(logs.String(), "itoken") {
			t.Error("a token appears in the logs")
		}
	}()

	// Discord's PING is how the developer portal checks the URL, and so
	// how this test knows the endpoint is up.
	var pong discordtest.EndpointAnswer
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, pong, err = fake.PostInteraction(url, discordtest.Interaction{Type: 1}); err == nil {
			break
		}
	}
	if err != nil || pong.Status != 200 || strings.TrimSpace(string(pong.Body)) != `{"type":1}` {
		t.Fatalf("PING answered %d %q (%v); want a PONG\n%s", pong.Status, pong.Body, err, logs.String())
	}

	tests := []struct {
		name     string
		in       discordtest.Interaction
		status   int
		answer   int    // the response body's type: 4 the answer itself, 5 a deferral
		edited   string // what the edit of a deferred answer shows, in part
		inBody   string // what an answer in the body shows, in part
		tampered bool
	}{
		{name: "quick command answered in the body", status: 200, answer: 4, inBody: "key entries",
			in: discordtest.Interaction{Type: 2, GuildID: guildA, ChannelID: chanA, UserID: member, Name: "dispute",
				Options: []discordtest.Option{{Name: "query", Type: 3, Value: "musk microsoft"}}}},
		{name: "slow command deferred, then edited", status: 200, answer: 5, edited: "Added as source",
			in: discordtest.Interaction{Type: 2, GuildID: guildA, ChannelID: chanA, UserID: modUser, Name: "source",
				Options: []discordtest.Option{{Name: "add", Type: 1, Options: []discordtest.Option{{Name: "url", Type: 3, Value: slow.URL + "/slow-story"}}}}}},
		{name: "tampered command refused", status: 401, tampered: true,
			in: discordtest.Interaction{Type: 2, GuildID: guildA, ChannelID: chanA, UserID: member, Name: "help"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ans discordtest.EndpointAnswer
			if tt.tampered {
				_, body := fake.InteractionBody(tt.in)
				ans, err = fake.PostSigned(url, bytes.Replace(body, []byte(`"help"`), []byte(`"feed"`), 1), discordtest.Signing{Signed: body})
			} else {
				_, ans, err = fake.PostInteraction(url, tt.in)
			}
			if err != nil {
				t.Fatal(err)
			}
			limit := 3 * time.Second
			if raceOn {
				limit = 6 * time.Second // the race detector slows the command before its deferral
			}
			if ans.Status != tt.status || ans.Response.Type != tt.answer || ans.Took > limit {
				t.Fatalf("answered %d type %d after %s; want %d type %d within %s\n%s", ans.Status, ans.Response.Type, ans.Took, tt.status, tt.answer, limit, ans.Body)
			}
			if tt.inBody != "" && !strings.Contains(responseText(ans.Response), tt.inBody) {
				t.Errorf("the answer shows %q; want %q", responseText(ans.Response), tt.inBody)
			}
			if tt.edited == "" {
				return
			}
			rs, ok := fake.WaitResponses(func(rs []discordtest.Response) bool {
				for _, r := range rs {
					if r.Kind == "edit" && strings.Contains(responseText(r), tt.edited) {
						return true
					}
				}
				return false
			}, 20*time.Second)
			if !ok {
				t.Fatalf("the deferred answer was never completed: %+v\n%s", rs, logs.String())
			}
		})
	}

	// No gateway was touched, and the refusal was counted.
	if fake.Identifies() != 0 || fake.Connections() != 0 {
		t.Errorf("%d IDENTIFYs, %d gateway connections; want none with --interactions-only", fake.Identifies(), fake.Connections())
	}
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	host, _ := os.Hostname()
	if !strings.Contains(string(body), `disputebot_interactions_refused_total{process="`+host+`",reason="signature"} 1`) {
		t.Errorf("/metrics does not count the tampered POST:\n%s", body)
	}
	resp, err = http.Get("http://" + metricsAddr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Contains(string(body), "gateway") {
		t.Errorf("/healthz = %d %q; want healthy, with no gateway to check", resp.StatusCode, body)
	}
}

// TestServeAnswersInteractionsBesideTheGateway: plain `serve` with
// INTERACTIONS_ADDR set connects to the gateway and answers interaction
// POSTs too.
func TestServeAnswersInteractionsBesideTheGateway(t *testing.T) {
	fake := fakeDiscord(t)
	vars := serveVars(t, fake)
	endpoint := freeAddr(t)
	vars["INTERACTIONS_ADDR"], vars["DISCORD_PUBLIC_KEY"] = endpoint, fake.PublicKey()
	p := startBot(t, fake, vars)
	defer p.stop()
	_, ans, err := fake.PostInteraction("http://"+endpoint+"/", discordtest.Interaction{Type: 2, GuildID: guildA, ChannelID: chanA, UserID: member, Name: "help"})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Status != 200 || ans.Response.Type != 4 || !strings.Contains(responseText(ans.Response), "disputebot") || fake.Identifies() != 1 {
		t.Errorf("answered %d type %d showing %q, after %d IDENTIFYs; want the help in the body, beside one gateway session",
			ans.Status, ans.Response.Type, responseText(ans.Response), fake.Identifies())
	}
}

// TestServeInteractionsOnlyUsage: the flag needs the endpoint's settings,
// and serve takes no other arguments; each refusal says what to set.
func TestServeInteractionsOnlyUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		vars map[string]string
		code int
		want string // in stderr
	}{
		{"flag without an address", []string{"serve", "--interactions-only"}, map[string]string{"DISCORD_TOKEN": "t"}, 1, "INTERACTIONS_ADDR"},
		{"address without a key", []string{"serve", "--interactions-only"}, map[string]string{"DISCORD_TOKEN": "t", "INTERACTIONS_ADDR": "127.0.0.1:0"}, 1, "DISCORD_PUBLIC_KEY is required"},
		{"an unknown flag", []string{"serve", "--gateway-only"}, map[string]string{"DISCORD_TOKEN": "t"}, 2, "Usage:"},
		{"a word", []string{"serve", "now"}, map[string]string{"DISCORD_TOKEN": "t"}, 2, "--interactions-only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.vars["DATA_DIR"] = t.TempDir()
			code, _, stderr := runCLI(t, tt.vars, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}
