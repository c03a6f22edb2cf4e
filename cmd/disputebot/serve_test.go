package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/disputebot/disputebot/bot/discord/discordtest"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/library"
	"github.com/disputebot/disputebot/internal/store"
	"github.com/disputebot/disputebot/internal/store/pgtest"
)

// The servers, channels and members of the end-to-end tests.
const (
	appID    = "500000000000000001"
	guildA   = "100000000000000001"
	guildB   = "100000000000000002"
	chanA    = "200000000000000001"
	newsA    = "200000000000000003"
	chanB    = "200000000000000002"
	plainA   = "200000000000000005" // the bot may post here, but not embed
	quietA   = "200000000000000006" // the bot may not post here
	modRole  = "400000000000000001"
	owner    = "300000000000000009"
	modUser  = "300000000000000001"
	member   = "300000000000000002"
	closedDM = "300000000000000003"
	modB     = "300000000000000004"
)

const seedLink = "https://www.benzinga.com/news/23/04/31906748/elon-musk-accuses-microsoft-of-twitter-data-mining-lawsuit-time"

const (
	viewAndSend  = 0x400 | 0x800 | 0x4000 | 0x10000
	manageServer = 0x20
)

func fakeDiscord(t *testing.T) *discordtest.Server {
	guild := func(id, ch, news, mod string, members ...discordtest.Member) discordtest.Guild {
		return discordtest.Guild{ID: id, Name: "guild " + id[len(id)-1:], OwnerID: owner,
			Roles:    []discordtest.Role{{ID: id, Name: "@everyone", Permissions: viewAndSend}, {ID: mod, Name: "mods", Permissions: manageServer}},
			Channels: []discordtest.Channel{{ID: ch, Name: "general"}, {ID: news, Name: "news"}},
			Members:  members}
	}
	a := guild(guildA, chanA, newsA, modRole,
		discordtest.Member{UserID: modUser, Username: "mod", Roles: []string{modRole}},
		discordtest.Member{UserID: member, Username: "member"},
		discordtest.Member{UserID: closedDM, Username: "private"})
	a.Channels = append(a.Channels, discordtest.Channel{ID: plainA, Name: "plain", BotDeny: discordtest.PermEmbedLinks},
		discordtest.Channel{ID: quietA, Name: "quiet", BotDeny: discordtest.PermSendMessages})
	return discordtest.New(t, discordtest.Options{AppID: appID, BotName: "disputebot", Guilds: []discordtest.Guild{
		a,
		guild(guildB, chanB, "200000000000000004", "400000000000000002",
			discordtest.Member{UserID: modB, Username: "modb", Roles: []string{"400000000000000002"}},
			discordtest.Member{UserID: member, Username: "member"}),
	}})
}

// bot is a running `disputebot serve`, in this process, against the fake.
type botProc struct {
	t      *testing.T
	vars   map[string]string
	cancel context.CancelFunc
	done   chan int
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func serveVars(t *testing.T, fake *discordtest.Server) map[string]string {
	return storeVars(t, map[string]string{
		"DISCORD_TOKEN": "test.bot.token-never-logged", "DISCORD_API_URL": fake.APIURL(), "DATA_DIR": t.TempDir(),
		"FETCH_ALLOW_PRIVATE": "true", "NOTIFY_DIGEST_WINDOW": "200ms", "FEED_INTERVAL": "1s", "FEED_MIN_INTERVAL": "1s",
		"COMMAND_COOLDOWN": "0s", "LOG_LEVEL": "info", "MOD_ROLE_IDS": "", "NOTIFY_LEASE": "2s",
		// A poll cut short by a kill is claimed for 1.5 budgets and 5 s.
		"FEED_POLL_BUDGET": "4s",
		// On PostgreSQL a killed process's shard is taken over after its
		// lease: the restarts of the kill tests should not wait 30 s.
		"SHARD_LEASE": "3s",
	})
}

// storeVars points vars at a PostgreSQL database of the test's own when
// DISPUTEBOT_TEST_STORE=postgres (CI runs the end-to-end tests once on
// each store), else leaves the store in the data folder.
func storeVars(t *testing.T, vars map[string]string) map[string]string {
	switch s := os.Getenv("DISPUTEBOT_TEST_STORE"); s {
	case "", "sqlite":
	case "postgres":
		vars["DATABASE_URL"] = pgtest.URL(t)
	default:
		t.Fatalf("DISPUTEBOT_TEST_STORE=%q: want sqlite or postgres", s)
	}
	return vars
}

func startBot(t *testing.T, fake *discordtest.Server, vars map[string]string) *botProc {
	t.Helper()
	// A bot stopped before must have left nothing connected: a session
	// left behind would take this one's first events (discordgo once
	// reconnected while closing).
	deadline := time.Now().Add(5 * time.Second)
	for fake.Connections() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := fake.Connections(); n > 0 {
		t.Fatalf("%d gateway connections still open from a bot that stopped", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &botProc{t: t, vars: vars, cancel: cancel, done: make(chan int, 1), logs: &syncBuffer{}}
	go func() { p.done <- run(ctx, []string{"serve"}, p.logs, p.logs, env(vars)) }()
	if err := fake.WaitReady(30 * time.Second); err != nil {
		cancel()
		t.Fatalf("the bot did not connect: %v\n%s", err, p.logs.String())
	}
	return p
}

func (p *botProc) stop() {
	p.t.Helper()
	p.cancel()
	select {
	case code := <-p.done:
		if code != 0 {
			p.t.Errorf("serve exited %d\n%s", code, p.logs.String())
		}
	case <-time.After(20 * time.Second):
		p.t.Fatal("serve did not stop after SIGTERM-like cancel")
	}
	if strings.Contains(p.logs.String(), "test.bot.token-never-logged") {
		p.t.Error("the token appears in the logs")
	}
}

// waitFor waits until a message matching ok is in channel (or a DM to a
// user) and returns all such messages.
func waitFor(t *testing.T, fake *discordtest.Server, what string, ok func(discordtest.Message) bool) []discordtest.Message {
	t.Helper()
	msgs, found := fake.WaitMessages(func(ms []discordtest.Message) bool {
		for _, m := range ms {
			if ok(m) {
				return true
			}
		}
		return false
	}, 20*time.Second)
	if !found {
		var sent []string
		for _, m := range msgs {
			sent = append(sent, text(m))
		}
		t.Fatalf("no message %s; the bot sent %d messages:\n%s", what, len(msgs), strings.Join(sent, "\n---\n"))
	}
	var out []discordtest.Message
	for _, m := range msgs {
		if ok(m) {
			out = append(out, m)
		}
	}
	return out
}

// text is a message's words as a member reads them: markdown escapes and
// the zero-width spaces that break mentions removed.
func text(m discordtest.Message) string {
	return unescape.ReplaceAllString(strings.ReplaceAll(rawText(m), "\u200b", ""), "$1")
}

var unescape = regexp.MustCompile(`\\([^A-Za-z0-9\s])`)

// rawText is a message's texts exactly as sent.
func rawText(m discordtest.Message) string {
	var b strings.Builder
	b.WriteString(m.Content)
	for _, e := range m.Embeds {
		b.WriteString("\n" + e.Title + "\n" + e.URL + "\n" + e.Description + "\n" + e.Footer)
		for _, f := range e.Fields {
			b.WriteString("\n" + f.Name + "\n" + f.Value)
		}
	}
	return b.String()
}

func noPings(t *testing.T, m discordtest.Message) {
	t.Helper()
	if m.AllowedMentions == nil || len(m.AllowedMentions.Parse) != 0 || len(m.AllowedMentions.Users) != 0 || len(m.AllowedMentions.Roles) != 0 || m.AllowedMentions.RepliedUser {
		t.Errorf("message %s may ping: allowed_mentions %+v", m.ID, m.AllowedMentions)
	}
}

func TestServeAnswersPrefixMentionAndSlash(t *testing.T) {
	fake := fakeDiscord(t)
	p := startBot(t, fake, serveVars(t, fake))
	defer p.stop()

	fake.SendMessage(guildA, chanA, member, "!dispute musk microsoft")
	got := waitFor(t, fake, "answering !dispute", func(m discordtest.Message) bool { return m.ChannelID == chanA && strings.Contains(text(m), seedLink) })
	noPings(t, got[0])
	if !strings.Contains(text(got[0]), "2023") || !strings.Contains(text(got[0]), "Benzinga") {
		t.Errorf("the answer lacks the seed's date or outlet:\n%s", text(got[0]))
	}

	fake.SendMessage(guildA, chanA, member, "<@"+appID+"> dispute elon v microsoft")
	waitFor(t, fake, "answering a mention", func(m discordtest.Message) bool {
		return m.ChannelID == chanA && strings.Contains(text(m), seedLink) && m.ID != got[0].ID
	})

	fake.Interact(discordtest.Interaction{Type: 2, GuildID: guildA, ChannelID: chanA, UserID: member, Name: "dispute",
		Options: []discordtest.Option{{Name: "query", Type: 3, Value: "MSFT vs musk"}}})
	rs, ok := fake.WaitResponses(func(rs []discordtest.Response) bool {
		for _, r := range rs {
			if strings.Contains(responseText(r), seedLink) {
				return true
			}
		}
		return false
	}, 10*time.Second)
	if !ok {
		t.Fatalf("/dispute was not answered with the seed link: %+v", rs)
	}
	if rs[0].Kind != "callback" || rs[0].Type != 4 {
		t.Errorf("/dispute answered with %s type %d, want a direct callback within 3 s", rs[0].Kind, rs[0].Type)
	}

	// Slash commands are registered, moderator ones too.
	names := map[string]bool{}
	for _, c := range fake.Commands() {
		names[c.Name] = true
	}
	for _, want := range []string{"dispute", "disputes", "search", "help", "subscribe", "source", "feed", "alias"} {
		if !names[want] {
			t.Errorf("slash command /%s not registered (have %v)", want, names)
		}
	}

	// Autocomplete offers parties.
	fake.Interact(discordtest.Interaction{Type: 4, GuildID: guildA, ChannelID: chanA, UserID: member, Name: "dispute",
		Options: []discordtest.Option{{Name: "query", Type: 3, Value: "micro", Focused: true}}})
	if _, ok := fake.WaitResponses(func(rs []discordtest.Response) bool {
		for _, r := range rs {
			for _, c := range r.Choices {
				if c.Name == "Microsoft" {
					return r.Type == 8 && len(r.Choices) <= 25
				}
			}
		}
		return false
	}, 10*time.Second); !ok {
		t.Error("autocomplete did not offer Microsoft")
	}

	// Another bot's command is ignored; an unknown one addressed to us is not.
	before := len(fake.Messages())
	fake.SendMessage(guildA, chanA, member, "!play some music")
	fake.SendMessage(guildA, chanA, member, "<@"+appID+"> frobnicate")
	msgs := waitFor(t, fake, "answering an unknown command", func(m discordtest.Message) bool { return strings.Contains(text(m), "help") })
	time.Sleep(300 * time.Millisecond)
	if n := len(fake.Messages()) - before; n != 1 {
		t.Errorf("%d replies to one foreign and one unknown command, want 1 (%v)", n, msgs)
	}
}

func responseText(r discordtest.Response) string {
	var b strings.Builder
	b.WriteString(r.Content)
	for _, e := range r.Embeds {
		b.WriteString(e.Title + e.Description + e.Footer)
		for _, f := range e.Fields {
			b.WriteString(f.Name + f.Value)
		}
	}
	return b.String()
}

// feedServer is a site with an RSS feed whose items the test controls.
type feedServer struct {
	*httptest.Server
	mu    sync.Mutex
	items []string
	page  []byte
	polls []time.Time // when the feed was read
}

func newFeedServer(t testing.TB) *feedServer {
	page, err := os.ReadFile("../../internal/ingest/testdata/musk-microsoft.html")
	if err != nil {
		t.Fatal(err)
	}
	fs := &feedServer{page: page}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		switch {
		case r.URL.Path == "/feed.xml":
			fs.polls = append(fs.polls, time.Now())
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Example Tech</title>%s</channel></rss>`, strings.Join(fs.items, ""))
		case r.URL.Path == "/hostile":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<html><head><title>@everyone **Musk** sues [Microsoft](https://evil.example/x) <@&123456789012345678></title></head>
<body><p>Elon Musk sued Microsoft again on Monday @here, in a complaint about data. [click](https://evil.example/) and **more**.</p></body></html>`)
		default:
			w.Header().Set("Content-Type", "text/html")
			w.Write(bytes.Replace(fs.page, []byte("Musk threatens Microsoft with a lawsuit over Twitter data"), []byte("Musk and Microsoft clash again "+r.URL.Path), -1))
		}
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) add(guid, path string, date time.Time) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.items = append(fs.items, fmt.Sprintf(`<item><title>Musk and Microsoft clash again %s</title><link>%s%s</link><guid>%s</guid><pubDate>%s</pubDate></item>`,
		path, fs.URL, path, guid, date.UTC().Format(time.RFC1123Z)))
}

func TestServeFeedToSubscriberOnceAcrossRestart(t *testing.T) {
	fake := fakeDiscord(t)
	site := newFeedServer(t)
	site.add("old-1", "/old-1", time.Now().Add(-72*time.Hour))
	vars := serveVars(t, fake)
	// Long enough that the restart below falls between queuing and sending.
	vars["NOTIFY_DIGEST_WINDOW"] = "2s"
	p := startBot(t, fake, vars)

	fake.SendMessage(guildA, chanA, member, "!feed add "+site.URL+"/feed.xml <#"+newsA+">")
	waitFor(t, fake, "refusing a member's feed add", func(m discordtest.Message) bool { return strings.Contains(text(m), "only moderators") })
	fake.SendMessage(guildA, chanA, modUser, "!feed add "+site.URL+"/feed.xml <#"+newsA+">")
	waitFor(t, fake, "confirming the feed", func(m discordtest.Message) bool { return strings.Contains(text(m), "Following feed #") })
	fake.SendMessage(guildA, chanA, member, "!subscribe musk microsoft")
	waitFor(t, fake, "confirming the subscription", func(m discordtest.Message) bool { return strings.Contains(text(m), "Subscribed (#") })
	// Guild B sees nothing of guild A's feed.
	fake.SendMessage(guildB, chanB, modB, "!feeds")
	waitFor(t, fake, "listing guild B's feeds", func(m discordtest.Message) bool {
		return m.ChannelID == chanB && strings.Contains(text(m), "follows no feeds")
	})

	waitUntil(t, "the first poll", func() bool { return feedItems(t, vars) >= 1 })
	time.Sleep(1500 * time.Millisecond)
	if n := queued(t, vars); n != 0 {
		t.Fatalf("the feed's old item queued %d notices: adding a feed must not flood", n)
	}

	site.add("new-1", "/new-1", time.Now())
	waitUntil(t, "the new item to be queued", func() bool { return queued(t, vars) >= 2 })
	p.stop() // before the digest window ends: the notices wait in the queue
	if sent := dmsTo(fake, member); len(sent) != 0 {
		t.Fatalf("sent before the restart: %d", len(sent))
	}
	p = startBot(t, fake, vars)
	defer p.stop()
	waitFor(t, fake, "the subscriber's DM", func(m discordtest.Message) bool { return m.DMUserID == member && strings.Contains(text(m), "/new-1") })
	posts := waitFor(t, fake, "the feed channel's post", func(m discordtest.Message) bool { return m.ChannelID == newsA && strings.Contains(text(m), "/new-1") })
	// A publisher re-issue under a new GUID, and more polls, change nothing.
	site.add("new-1-again", "/new-1", time.Now())
	time.Sleep(4 * time.Second)
	dms := dmsTo(fake, member)
	if len(dms) != 1 {
		t.Errorf("the subscriber got %d DMs about the new item, want exactly 1", len(dms))
	}
	if n := len(messagesIn(fake, newsA)); n != 1 || len(posts) != 1 {
		t.Errorf("the feed channel got %d posts, want exactly 1", n)
	}
	noPings(t, dms[0])
	if !strings.Contains(text(dms[0]), "Example") && !strings.Contains(text(dms[0]), "2026") {
		t.Logf("DM: %s", text(dms[0]))
	}
}

func TestServeHostileTitleCannotPing(t *testing.T) {
	fake := fakeDiscord(t)
	site := newFeedServer(t)
	p := startBot(t, fake, serveVars(t, fake))
	defer p.stop()
	fake.SendMessage(guildA, chanA, modUser, "!source add "+site.URL+"/hostile")
	msgs := waitFor(t, fake, "confirming the hostile source", func(m discordtest.Message) bool { return strings.Contains(text(m), "source #") })
	m := msgs[0]
	noPings(t, m)
	all := rawText(m)
	for _, bad := range []string{"@everyone", "@here", "<@&1", "](https://evil", "**Musk**"} {
		if strings.Contains(all, bad) {
			t.Errorf("the reply carries %q unescaped:\n%s", bad, all)
		}
	}
	// The page is searchable and the answer is as safe.
	fake.SendMessage(guildA, chanA, member, "!search complaint about data")
	msgs = waitFor(t, fake, "answering the search", func(m discordtest.Message) bool { return strings.Contains(text(m), "/hostile") })
	noPings(t, msgs[0])
	if strings.Contains(rawText(msgs[0]), "@everyone") || strings.Contains(rawText(msgs[0]), "](https://evil") {
		t.Errorf("the search answer carries hostile text:\n%s", rawText(msgs[0]))
	}
}

func TestServeRetriesAfterRateLimit(t *testing.T) {
	fake := fakeDiscord(t)
	p := startBot(t, fake, serveVars(t, fake))
	defer p.stop()
	h := http.Header{}
	h.Set("Retry-After", "1")
	h.Set("X-RateLimit-Limit", "5")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset-After", "0.5")
	h.Set("X-RateLimit-Bucket", "test-bucket")
	fake.FailNext("POST", "/channels/"+chanA+"/messages", 1, 429, `{"message": "You are being rate limited.", "retry_after": 0.5, "global": false}`, h)
	fake.SendMessage(guildA, chanA, member, "!dispute epic apple")
	waitFor(t, fake, "the answer after a 429", func(m discordtest.Message) bool { return m.ChannelID == chanA })
	time.Sleep(500 * time.Millisecond)
	if n := len(messagesIn(fake, chanA)); n != 1 {
		t.Errorf("%d answers after a 429, want exactly 1", n)
	}
	var limited time.Time
	for _, r := range fake.Requests() {
		if r.Method == "POST" && strings.HasPrefix(r.Path, "/channels/"+chanA+"/messages") {
			if r.Status == 429 {
				limited = r.Time
			} else if !limited.IsZero() && r.Time.Sub(limited) < 450*time.Millisecond {
				t.Errorf("retried %s after the 429, before its reset", r.Time.Sub(limited))
			}
		}
	}
	if limited.IsZero() {
		t.Error("the 429 was never served: the test proves nothing")
	}
}

// Discord fails now and then on its side. The member still gets their
// answer, once: after a 500 or 503 the answer is sent again, and when one
// was carried out but its answer lost, the resend leaves a single copy.
// Each case waits for every try it expects before counting, so a resend
// that came late cannot slip past the count.
func TestServeRepliesThroughServerErrors(t *testing.T) {
	fake := fakeDiscord(t)
	p := startBot(t, fake, serveVars(t, fake))
	defer p.stop()
	messages := "/channels/" + chanA + "/messages"
	// tries waits until n requests matching method and prefix have come
	// since from.
	tries := func(method, prefix string, from, n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := 0
			for _, r := range fake.Requests()[from:] {
				if r.Method == method && strings.HasPrefix(r.Path, prefix) {
					got++
				}
			}
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d tries of %s %s, want %d", got, method, prefix, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, c := range []struct {
		name   string
		tries  int
		inject func()
	}{
		{"a 500 then a 503", 3, func() {
			fake.FailNext("POST", messages, 1, 500, `{"message": "500: Internal Server Error", "code": 0}`, nil)
			fake.FailNext("POST", messages, 1, 503, `upstream connect error`, nil)
		}},
		{"an answer lost after the post", 2, func() { fake.LoseNextAnswer("POST", messages, 1) }},
	} {
		from := len(fake.Requests())
		c.inject()
		id := fake.SendMessage(guildA, chanA, member, "!dispute epic apple")
		tries("POST", messages, from, c.tries)
		waitFor(t, fake, "the answer after "+c.name, func(m discordtest.Message) bool { return m.ReplyTo == id })
		n := 0
		for _, m := range messagesIn(fake, chanA) {
			if m.ReplyTo == id {
				n++
			}
		}
		if n != 1 {
			t.Errorf("after %s: %d answers, want exactly 1", c.name, n)
		}
	}
	// Slash commands too: Discord takes one response per interaction, so
	// a resend after a lost answer is refused as already acknowledged,
	// which the bot must take as done rather than as a failure.
	for _, c := range []struct {
		name   string
		tries  int
		inject func()
	}{
		{"a 500", 2, func() {
			fake.FailNext("POST", "/interactions/", 1, 500, `{"message": "500: Internal Server Error", "code": 0}`, nil)
		}},
		{"an answer lost after the response", 2, func() { fake.LoseNextAnswer("POST", "/interactions/", 1) }},
	} {
		from := len(fake.Requests())
		c.inject()
		id := fake.Interact(discordtest.Interaction{Type: 2, GuildID: guildA, ChannelID: chanA, UserID: member, Name: "dispute",
			Options: []discordtest.Option{{Name: "query", Type: 3, Value: "epic apple"}}})
		tries("POST", "/interactions/"+id+"/", from, c.tries)
		rs, _ := fake.WaitResponses(func(rs []discordtest.Response) bool {
			for _, r := range rs {
				if r.InteractionID == id {
					return true
				}
			}
			return false
		}, 10*time.Second)
		n := 0
		for _, r := range rs {
			if r.InteractionID == id && strings.Contains(responseText(r), "Epic") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("/dispute after %s: %d answers, want exactly 1", c.name, n)
		}
	}
	if strings.Contains(p.logs.String(), "level=ERROR") {
		t.Errorf("an answer was logged as lost:\n%s", p.logs.String())
	}
}

func TestServeResumesAfterADroppedConnection(t *testing.T) {
	fake := fakeDiscord(t)
	p := startBot(t, fake, serveVars(t, fake))
	defer p.stop()
	fake.DropConnection()
	fake.SendMessage(guildA, chanA, member, "!dispute nintendo pocketpair")
	waitFor(t, fake, "an answer after the drop", func(m discordtest.Message) bool { return strings.Contains(text(m), "Pocketpair") })
	if fake.Resumes()+fake.Identifies() < 2 {
		t.Errorf("the bot did not reconnect (identifies %d, resumes %d)", fake.Identifies(), fake.Resumes())
	}
}

func TestServeClosedDMsAreRecordedNotRetried(t *testing.T) {
	fake := fakeDiscord(t)
	site := newFeedServer(t)
	fake.CloseDMs(closedDM)
	vars := serveVars(t, fake)
	p := startBot(t, fake, vars)
	defer p.stop()
	fake.SendMessage(guildA, chanA, closedDM, "!subscribe musk microsoft")
	waitFor(t, fake, "confirming the subscription", func(m discordtest.Message) bool { return strings.Contains(text(m), "Subscribed (#") })
	fake.SendMessage(guildA, chanA, modUser, "!source add "+site.URL+"/fresh-story")
	waitFor(t, fake, "confirming the source", func(m discordtest.Message) bool { return strings.Contains(text(m), "source #") })
	waitUntil(t, "the undeliverable notice to be recorded", func() bool { return deliveries(t, vars)["failed"] == 1 })
	time.Sleep(2 * time.Second)
	attempts := 0
	for _, r := range fake.Requests() {
		if r.Method == "POST" && r.Status == 403 {
			attempts++
		}
	}
	if attempts != 1 {
		t.Errorf("%d attempts at a closed DM, want 1", attempts)
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The store is read beside the running bot, as an operator would: SQLite
// in WAL mode lets a reader in while the bot writes, and PostgreSQL is
// made for it.
func withStore(t *testing.T, vars map[string]string, fn func(*store.Store)) {
	t.Helper()
	st, err := library.OpenStore(context.Background(), library.Options{DataDir: vars["DATA_DIR"], DatabaseURL: vars["DATABASE_URL"]})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fn(st)
}

func deliveries(t *testing.T, vars map[string]string) map[string]int {
	var out map[string]int
	withStore(t, vars, func(st *store.Store) { out, _ = st.DeliveryCounts(context.Background()) })
	return out
}

func queued(t *testing.T, vars map[string]string) int {
	c := deliveries(t, vars)
	return c["pending"] + c["sending"] + c["sent"]
}

func feedItems(t *testing.T, vars map[string]string) int {
	n := 0
	withStore(t, vars, func(st *store.Store) {
		feeds, _ := st.Sources(context.Background(), guildA, domain.FeedSource)
		for _, f := range feeds {
			n += f.Items
		}
	})
	return n
}

func dmsTo(fake *discordtest.Server, user string) []discordtest.Message {
	var out []discordtest.Message
	for _, m := range fake.Messages() {
		if m.DMUserID == user {
			out = append(out, m)
		}
	}
	return out
}

func messagesIn(fake *discordtest.Server, channel string) []discordtest.Message {
	var out []discordtest.Message
	for _, m := range fake.Messages() {
		if m.ChannelID == channel {
			out = append(out, m)
		}
	}
	return out
}

func TestServeHealthAndMetrics(t *testing.T) {
	fake := fakeDiscord(t)
	vars := serveVars(t, fake)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	vars["METRICS_ADDR"] = addr
	p := startBot(t, fake, vars)
	defer p.stop()
	fake.SendMessage(guildA, chanA, member, "!dispute musk microsoft")
	waitFor(t, fake, "the answer", func(m discordtest.Message) bool { return m.ChannelID == chanA })
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "gateway: ok") || !strings.Contains(string(body), "store: ok") || !strings.Contains(string(body), "index: ok") {
		t.Errorf("/healthz = %d %q", resp.StatusCode, body)
	}
	resp, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	host, _ := os.Hostname()
	if !strings.Contains(string(body), `disputebot_commands_total{command="dispute",outcome="ok",process="`+host+`"} 1`) ||
		!strings.Contains(string(body), "disputebot_command_seconds_bucket") || !strings.Contains(string(body), "go_goroutines") {
		t.Errorf("/metrics:\n%s", body)
	}
}

// TestServeSlowSlashCommandIsDeferred adds a source whose site takes four
// seconds: the bot answers Discord within three with a deferred response,
// then edits in the result. A timeline button then turns the page in place.
func TestServeSlowSlashCommandIsDeferred(t *testing.T) {
	fake := fakeDiscord(t)
	page, _ := os.ReadFile("../../internal/ingest/testdata/musk-microsoft.html")
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(4 * time.Second)
		w.Header().Set("Content-Type", "text/html")
		w.Write(page)
	}))
	defer slow.Close()
	p := startBot(t, fake, serveVars(t, fake))
	defer p.stop()
	start := time.Now()
	id := fake.Interact(discordtest.Interaction{Type: 2, GuildID: guildA, ChannelID: chanA, UserID: modUser, Name: "source",
		Options: []discordtest.Option{{Name: "add", Type: 1, Options: []discordtest.Option{{Name: "url", Type: 3, Value: slow.URL + "/slow-story"}}}}})
	rs, ok := fake.WaitResponses(func(rs []discordtest.Response) bool {
		for _, r := range rs {
			if r.Kind == "edit" && strings.Contains(responseText(r), "Added as source") {
				return true
			}
		}
		return false
	}, 20*time.Second)
	if !ok {
		t.Fatalf("the slow command never completed: %+v", rs)
	}
	var first discordtest.Response
	for _, r := range rs {
		if r.InteractionID == id {
			first = r
			break
		}
	}
	if first.Type != 5 {
		t.Errorf("first response type %d, want 5 (deferred)", first.Type)
	}
	var deferredAt time.Time
	for _, r := range fake.Requests() {
		if strings.HasPrefix(r.Path, "/interactions/"+id+"/") {
			deferredAt = r.Time
		}
	}
	limit := 3 * time.Second
	if raceOn {
		// The deferral is sent after AnswerWithin (2 s); the race
		// detector's slowdown can push the rest past the third second.
		limit = 6 * time.Second
	}
	if deferredAt.Sub(start) > limit {
		t.Errorf("Discord heard back after %s, over its 3 s limit", deferredAt.Sub(start))
	}

	// The answer's timeline button turns the page of the same message.
	fake.SendMessage(guildA, chanA, member, "!dispute musk microsoft")
	msgs := waitFor(t, fake, "the answer", func(m discordtest.Message) bool { return strings.Contains(text(m), "key entries") })
	timeline := timelineButton(msgs[0].Components)
	if timeline == "" {
		t.Fatalf("no timeline button: %s", msgs[0].Components)
	}
	fake.Interact(discordtest.Interaction{Type: 3, GuildID: guildA, ChannelID: chanA, UserID: member, CustomID: timeline, MessageID: msgs[0].ID})
	if _, ok := fake.WaitResponses(func(rs []discordtest.Response) bool {
		for _, r := range rs {
			if r.Type == 7 && strings.Contains(responseText(r), "timeline page 1") {
				return true
			}
		}
		return false
	}, 10*time.Second); !ok {
		t.Error("the timeline button did not update the message")
	}
}

// timelineButton is the custom id of the "Timeline ▶" button among a
// message's components, "" if it has none.
func timelineButton(components json.RawMessage) string {
	id, _ := buttonNamed(components, "Timeline")
	return id
}

// buttonNamed is the custom id and the address (a link button's) of the
// first button whose label holds label.
func buttonNamed(components json.RawMessage, label string) (id, url string) {
	var rows []struct {
		Components []struct {
			CustomID string `json:"custom_id"`
			Label    string `json:"label"`
			URL      string `json:"url"`
		} `json:"components"`
	}
	json.Unmarshal(components, &rows)
	for _, row := range rows {
		for _, b := range row.Components {
			if strings.Contains(b.Label, label) {
				return b.CustomID, b.URL
			}
		}
	}
	return "", ""
}

// TestServeStopsWhenDiscordRefuses starts the bot with a token Discord
// does not know, and with the Message Content intent the portal has not
// enabled: each time serve stops at once with a sentence naming the
// setting to fix, after one IDENTIFY, not a reconnect loop that would get
// the token reset.
func TestServeStopsWhenDiscordRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    discordtest.Options
		want string
	}{
		{"wrong token", discordtest.Options{AppID: appID, Token: "the.real.token"}, "check DISCORD_TOKEN"},
		{"intent not enabled", discordtest.Options{AppID: appID, NoMessageContent: true}, "DISCORD_MESSAGE_CONTENT=false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := discordtest.New(t, tc.o)
			vars := serveVars(t, fake)
			logs := &syncBuffer{}
			done := make(chan int, 1)
			go func() { done <- run(context.Background(), []string{"serve"}, logs, logs, env(vars)) }()
			select {
			case code := <-done:
				if code == 0 {
					t.Errorf("serve exited 0")
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("serve kept running after Discord refused it\n%s", logs.String())
			}
			if !strings.Contains(logs.String(), tc.want) {
				t.Errorf("the output does not say %q:\n%s", tc.want, logs.String())
			}
			if n := fake.Identifies(); n != 1 {
				t.Errorf("%d IDENTIFYs, want 1", n)
			}
			if strings.Contains(logs.String(), vars["DISCORD_TOKEN"]) {
				t.Error("the token appears in the output")
			}
		})
	}
	// The same settings Discord accepts serve normally.
	fake := discordtest.New(t, discordtest.Options{AppID: appID, Token: "test.bot.token-never-logged"})
	startBot(t, fake, serveVars(t, fake)).stop()
}

// TestServeStopsWhenItsTokenIsReset has Discord refuse a running bot's
// token (as after a reset in the portal) when it reconnects: serve stops,
// says to check DISCORD_TOKEN, and tries to log in once more at most
// rather than forever.
func TestServeStopsWhenItsTokenIsReset(t *testing.T) {
	fake := discordtest.New(t, discordtest.Options{AppID: appID})
	vars := serveVars(t, fake)
	p := startBot(t, fake, vars)
	before := fake.Logins()
	fake.ResetToken("a.new.token")
	fake.DropConnection()
	select {
	case code := <-p.done:
		if code == 0 {
			t.Error("serve exited 0")
		}
	case <-time.After(20 * time.Second):
		p.cancel()
		t.Fatalf("serve kept running with a refused token\n%s", p.logs.String())
	}
	if !strings.Contains(p.logs.String(), "check DISCORD_TOKEN") {
		t.Errorf("the output does not say to check DISCORD_TOKEN:\n%s", p.logs.String())
	}
	if n := fake.Logins() - before; n < 1 || n > 2 {
		t.Errorf("%d login attempts after the reset, want 1 or 2", n)
	}
	if strings.Contains(p.logs.String(), vars["DISCORD_TOKEN"]) {
		t.Error("the token appears in the output")
	}
}

// TestServeWithoutEmbedOrPostPermission asks where a channel overwrite took
// the bot's Embed Links (the answer comes as plain text, links and all,
// still unable to ping) and where it took Send Messages (the member is
// told by DM why the bot is silent).
func TestServeWithoutEmbedOrPostPermission(t *testing.T) {
	fake := fakeDiscord(t)
	p := startBot(t, fake, serveVars(t, fake))
	defer p.stop()
	fake.SendMessage(guildA, plainA, member, "!dispute musk microsoft")
	got := waitFor(t, fake, "a plain-text answer", func(m discordtest.Message) bool { return m.ChannelID == plainA })[0]
	for _, want := range []string{"Embed Links", "Elon Musk vs Microsoft", "(" + seedLink + ")"} {
		if !strings.Contains(got.Content, want) {
			t.Errorf("the plain answer lacks %q:\n%s", want, got.Content)
		}
	}
	if len(got.Embeds) != 0 || utf8.RuneCountInString(got.Content) > 2000 {
		t.Errorf("%d embeds, %d characters", len(got.Embeds), utf8.RuneCountInString(got.Content))
	}
	noPings(t, got)

	fake.SendMessage(guildA, quietA, member, "!dispute musk microsoft")
	dm := waitFor(t, fake, "a DM saying why", func(m discordtest.Message) bool { return m.DMUserID == member })[0]
	if s := text(dm); !strings.Contains(s, "<#"+quietA+">") || !strings.Contains(s, "Send Messages") {
		t.Errorf("the DM does not name the channel and the permission: %s", s)
	}
	if n := len(messagesIn(fake, quietA)); n != 0 {
		t.Errorf("%d messages in the channel the bot may not post in", n)
	}
}

// TestServeDisputeAnswerCarriesItsTimelinePicture: an answer about one
// dispute, to a prefix command and to a slash command, uploads the
// timeline picture with its description as alt text and shows it in the
// embed; turning the page keeps showing the file the message already
// carries rather than uploading a second copy.
func TestServeDisputeAnswerCarriesItsTimelinePicture(t *testing.T) {
	fake := fakeDiscord(t)
	p := startBot(t, fake, serveVars(t, fake))
	defer p.stop()

	checkPicture := func(what string, files []discordtest.File, embeds []discordtest.Embed) {
		t.Helper()
		if len(files) != 1 || files[0].Name != "timeline.png" || files[0].ContentType != "image/png" {
			t.Fatalf("%s uploaded %d files (%+v), want timeline.png", what, len(files), files)
		}
		img, err := png.Decode(bytes.NewReader(files[0].Data))
		if err != nil {
			t.Fatalf("%s: the picture is no PNG: %v", what, err)
		}
		if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 300 {
			t.Errorf("%s: picture %dx%d, want 800x300", what, b.Dx(), b.Dy())
		}
		if len(embeds) != 1 || embeds[0].Image != "attachment://timeline.png" {
			t.Errorf("%s: the embed does not show the picture: %+v", what, embeds)
		}
	}

	fake.SendMessage(guildA, chanA, member, "!dispute epic apple")
	msgs := waitFor(t, fake, "answering !dispute epic apple", func(m discordtest.Message) bool {
		return m.ChannelID == chanA && strings.Contains(text(m), "Epic Games vs Apple")
	})
	m := msgs[0]
	checkPicture("!dispute", m.Files, m.Embeds)
	if d := m.Files[0].Description; !strings.HasPrefix(d, "Timeline of Epic") {
		t.Errorf("alt text %q, want the picture's description", d)
	}
	noPings(t, m)

	fake.Interact(discordtest.Interaction{Type: 2, GuildID: guildA, ChannelID: chanA, UserID: member, Name: "dispute",
		Options: []discordtest.Option{{Name: "query", Type: 3, Value: "epic apple"}}})
	rs, ok := fake.WaitResponses(func(rs []discordtest.Response) bool {
		for _, r := range rs {
			if strings.Contains(responseText(r), "Epic Games vs Apple") {
				return true
			}
		}
		return false
	}, 10*time.Second)
	if !ok {
		t.Fatalf("/dispute epic apple was not answered: %+v", rs)
	}
	for _, r := range rs {
		if strings.Contains(responseText(r), "Epic Games vs Apple") {
			checkPicture("/dispute", r.Files, r.Embeds)
		}
	}

	// Turning the page edits the message, which keeps its picture.
	page := timelineButton(m.Components)
	if page == "" {
		t.Fatalf("no timeline button: %s", m.Components)
	}
	fake.Interact(discordtest.Interaction{Type: 3, GuildID: guildA, ChannelID: chanA, UserID: member, CustomID: page, MessageID: m.ID})
	rs, ok = fake.WaitResponses(func(rs []discordtest.Response) bool {
		for _, r := range rs {
			if r.Type == 7 && strings.Contains(responseText(r), "timeline page 1") {
				return true
			}
		}
		return false
	}, 10*time.Second)
	if !ok {
		t.Fatal("the timeline button did not update the message")
	}
	for _, r := range rs {
		if r.Type == 7 {
			if len(r.Files) != 0 || len(r.Embeds) != 1 || r.Embeds[0].Image != "attachment://timeline.png" {
				t.Errorf("page turn uploaded %d files, embed image %+v; want none, still showing timeline.png", len(r.Files), r.Embeds)
			}
		}
	}
}
