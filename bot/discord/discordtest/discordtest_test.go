package discordtest

import (
	"encoding/json"
	"errors"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/disputebot/disputebot/bot/discord"
)

const (
	appID   = "100000000000000001"
	guildID = "200000000000000001"
	chanID  = "300000000000000001"
	owner   = "400000000000000001"
	modID   = "400000000000000002"
	plainID = "400000000000000003"
	modRole = "500000000000000001"
	// outsider is a user in no guild, who writes to the bot in DMs.
	outsider = "400000000000000009"

	viewAndSend  = 0x400 | 0x800
	manageServer = 0x20
)

func options() Options {
	return Options{AppID: appID, BotName: "testbot", HeartbeatInterval: 200 * time.Millisecond, Guilds: []Guild{{
		ID: guildID, Name: "Test Guild", OwnerID: owner,
		Roles: []Role{
			{ID: guildID, Name: "@everyone", Permissions: viewAndSend},
			{ID: modRole, Name: "mods", Permissions: manageServer},
		},
		Channels: []Channel{{ID: chanID, Name: "general"}},
		Members: []Member{
			{UserID: owner, Username: "olive"},
			{UserID: modID, Username: "mona", Roles: []string{modRole}},
			{UserID: plainID, Username: "pat"},
		},
	}}}
}

// open connects a real discordgo session to the fake; handlers are added
// before Open so that none of the first events is missed. The session is
// closed when the test ends, before the fake (cleanups run last-first).
func open(t *testing.T, fake *Server, handlers ...any) *discordgo.Session {
	t.Helper()
	dg, err := discordgo.New("Bot test-token")
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	dg.Client = &http.Client{Transport: discord.Rewrite(fake.APIURL(), tr), Timeout: 10 * time.Second}
	for _, h := range handlers {
		dg.AddHandler(h)
	}
	if err := dg.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		dg.Close()
		tr.CloseIdleConnections()
	})
	if err := fake.WaitReady(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	return dg
}

func TestTransportRewritesDiscordAPI(t *testing.T) {
	var got []string
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, r.URL.String()+" host="+r.Host)
		return &http.Response{StatusCode: 204, Body: http.NoBody, Request: r}, nil
	})
	c := &http.Client{Transport: discord.Rewrite("http://127.0.0.1:9/api/v10", base)}
	for _, u := range []string{
		discordgo.EndpointChannelMessages("1") + "?x=1",
		"https://discord.com/api/v10/gateway",
		"https://example.com/api/v9/users/@me",
	} {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	want := []string{
		"http://127.0.0.1:9/api/v10/channels/1/messages?x=1 host=127.0.0.1:9",
		"http://127.0.0.1:9/api/v10/gateway host=127.0.0.1:9",
		"https://example.com/api/v9/users/@me host=example.com",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rewritten:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestOpenReceivesReadyAndGuildCreate(t *testing.T) {
	fake := New(t, options())
	created := make(chan *discordgo.GuildCreate, 1)
	readied := make(chan *discordgo.Ready, 1)
	dg := open(t, fake,
		func(_ *discordgo.Session, r *discordgo.Ready) { readied <- r },
		func(_ *discordgo.Session, g *discordgo.GuildCreate) { created <- g })
	select {
	case g := <-created:
		if g.ID != guildID || g.Name != "Test Guild" || g.OwnerID != owner || len(g.Channels) != 1 || len(g.Members) != 3 {
			t.Errorf("GUILD_CREATE: %+v", g.Guild)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no GUILD_CREATE")
	}
	// discordgo runs each handler in a goroutine of its own, so READY's
	// may finish after GUILD_CREATE's.
	var ready *discordgo.Ready
	select {
	case ready = <-readied:
	case <-time.After(5 * time.Second):
		t.Fatal("no READY")
	}
	if ready.User.ID != appID || !ready.User.Bot || ready.SessionID == "" || ready.Version != 9 || len(ready.Guilds) != 1 {
		t.Errorf("READY: %+v", ready)
	}
	g, err := dg.State.Guild(guildID)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Roles) != 2 {
		t.Fatalf("state roles: %+v", g.Roles)
	}
	everyone, err := dg.State.Role(guildID, guildID)
	if err != nil || everyone.Permissions != viewAndSend {
		t.Errorf("@everyone in state: %+v, %v", everyone, err)
	}
	if c, err := dg.State.Channel(chanID); err != nil || c.GuildID != guildID || c.Type != discordgo.ChannelTypeGuildText {
		t.Errorf("channel in state: %+v, %v", c, err)
	}
	if m, err := dg.State.Member(guildID, modID); err != nil || len(m.Roles) != 1 || m.User.Username != "mona" {
		t.Errorf("member in state: %+v, %v", m, err)
	}
	if fake.Identifies() != 1 || fake.Resumes() != 0 {
		t.Errorf("identifies %d, resumes %d", fake.Identifies(), fake.Resumes())
	}
	// REST reads work too, and unknown routes are recorded 404s.
	if u, err := dg.User("@me"); err != nil || u.ID != appID || u.Username != "testbot" {
		t.Errorf("users/@me: %+v, %v", u, err)
	}
	if c, err := dg.Channel(chanID); err != nil || c.Name != "general" {
		t.Errorf("GET channel: %+v, %v", c, err)
	}
	if gg, err := dg.Guild(guildID); err != nil || len(gg.Roles) != 2 {
		t.Errorf("GET guild: %+v, %v", gg, err)
	}
	_, err = dg.GuildEmojis(guildID)
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Response.StatusCode != 404 {
		t.Errorf("unknown route: %v", err)
	}
	paths := map[string]int{}
	for _, r := range fake.Requests() {
		paths[r.Method+" "+r.Path] = r.Status
	}
	if paths["GET /gateway"] != 200 || paths["GET /guilds/"+guildID+"/emojis"] != 404 {
		t.Errorf("requests: %v", paths)
	}
}

func TestReplyWithoutMentionsIsRecorded(t *testing.T) {
	fake := New(t, options())
	seen := make(chan *discordgo.MessageCreate, 4)
	open(t, fake, func(s *discordgo.Session, m *discordgo.MessageCreate) {
		seen <- m
		if strings.HasSuffix(m.Content, "ping") {
			_, err := s.ChannelMessageSendComplex(m.ChannelID, &discordgo.MessageSend{Content: "pong",
				AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}})
			if err != nil {
				t.Error(err)
			}
		}
	})
	id := fake.SendMessage(guildID, chanID, modID, "<@"+appID+"> ping")
	var m *discordgo.MessageCreate
	select {
	case m = <-seen:
	case <-time.After(5 * time.Second):
		t.Fatal("no MESSAGE_CREATE")
	}
	if m.ID != id || m.GuildID != guildID || m.ChannelID != chanID || m.Author.ID != modID || m.Author.Username != "mona" ||
		m.Member == nil || len(m.Member.Roles) != 1 || m.Member.Roles[0] != modRole || len(m.Mentions) != 1 || m.Mentions[0].ID != appID {
		t.Errorf("MESSAGE_CREATE: %+v (member %+v)", m.Message, m.Member)
	}
	msgs, ok := fake.WaitMessages(func(ms []Message) bool { return len(ms) == 1 }, 5*time.Second)
	if !ok {
		t.Fatalf("messages: %+v", msgs)
	}
	got := msgs[0]
	if got.Content != "pong" || got.ChannelID != chanID || got.GuildID != guildID || got.DMUserID != "" || got.ID == "" {
		t.Errorf("message: %+v", got)
	}
	if got.AllowedMentions == nil || got.AllowedMentions.Parse == nil || len(got.AllowedMentions.Parse) != 0 {
		t.Errorf("allowed mentions: %+v", got.AllowedMentions)
	}
	// A message without allowed_mentions records nil.
	fake.SendMessage(guildID, chanID, plainID, "hello")
	<-seen
	dgMsgs := fake.Messages()
	if len(dgMsgs) != 1 {
		t.Errorf("an unanswered message made a reply: %+v", dgMsgs)
	}
}

func TestDMs(t *testing.T) {
	fake := New(t, options())
	seen := make(chan *discordgo.MessageCreate, 1)
	dg := open(t, fake, func(_ *discordgo.Session, m *discordgo.MessageCreate) { seen <- m })

	fake.SendMessage("", "", outsider, "hi bot")
	var m *discordgo.MessageCreate
	select {
	case m = <-seen:
	case <-time.After(5 * time.Second):
		t.Fatal("no DM")
	}
	ch, err := dg.UserChannelCreate(outsider)
	if err != nil {
		t.Fatal(err)
	}
	if m.GuildID != "" || m.ChannelID != ch.ID || ch.Type != discordgo.ChannelTypeDM || len(ch.Recipients) != 1 || ch.Recipients[0].ID != outsider {
		t.Errorf("DM channel %q, message channel %q, guild %q, channel %+v", ch.ID, m.ChannelID, m.GuildID, ch)
	}
	if c, err := dg.Channel(ch.ID); err != nil || c.Type != discordgo.ChannelTypeDM {
		t.Errorf("GET DM channel: %+v, %v", c, err)
	}
	if _, err := dg.ChannelMessageSend(ch.ID, "hello back"); err != nil {
		t.Fatal(err)
	}

	fake.CloseDMs(plainID)
	closed, err := dg.UserChannelCreate(plainID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = dg.ChannelMessageSend(closed.ID, "you won't see this")
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Message == nil || re.Message.Code != discordgo.ErrCodeCannotSendMessagesToThisUser || re.Response.StatusCode != 403 {
		t.Fatalf("send to closed DMs: %v", err)
	}
	msgs := fake.Messages()
	if len(msgs) != 1 || msgs[0].DMUserID != outsider || msgs[0].ChannelID != ch.ID || msgs[0].GuildID != "" {
		t.Errorf("messages: %+v", msgs)
	}
}

func TestRateLimitIsRetriedOnce(t *testing.T) {
	fake := New(t, options())
	dg := open(t, fake)
	h := http.Header{}
	h.Set("Retry-After", "1")
	h.Set("X-RateLimit-Limit", "5")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset-After", "0.2")
	h.Set("X-RateLimit-Bucket", "abcd")
	fake.FailNext("POST", "channels/", 1, 429, `{"message":"You are being rate limited.","retry_after":0.2,"global":false}`, h)
	if _, err := dg.ChannelMessageSend(chanID, "after the limit"); err != nil {
		t.Fatal(err)
	}
	if msgs := fake.Messages(); len(msgs) != 1 || msgs[0].Content != "after the limit" {
		t.Errorf("messages: %+v", msgs)
	}
	var posts []Request
	for _, r := range fake.Requests() {
		if r.Method == "POST" && r.Path == "/channels/"+chanID+"/messages" {
			posts = append(posts, r)
		}
	}
	if len(posts) != 2 || posts[0].Status != 429 || posts[1].Status != 200 {
		t.Fatalf("posts: %+v", posts)
	}
	if d := posts[1].Time.Sub(posts[0].Time); d < 200*time.Millisecond {
		t.Errorf("retried %s after the 429, before retry_after", d)
	}
}

func TestNonceDeduplicates(t *testing.T) {
	fake := New(t, options())
	dg := open(t, fake)
	endpoint := discordgo.EndpointChannelMessages(chanID)
	send := func(content, nonce string, enforce bool) string {
		body := map[string]any{"content": content, "nonce": nonce, "enforce_nonce": enforce}
		raw, err := dg.RequestWithBucketID("POST", endpoint, body, endpoint)
		if err != nil {
			t.Fatal(err)
		}
		var m discordgo.Message
		if err := discordgo.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	first := send("once", "n-1", true)
	again := send("once", "n-1", true)
	other := send("twice", "n-2", true)
	loose := send("twice", "n-2", false) // without enforce_nonce Discord creates another
	if first != again || first == other || other == loose {
		t.Errorf("ids: %s %s %s %s", first, again, other, loose)
	}
	msgs := fake.Messages()
	if len(msgs) != 3 || msgs[0].Nonce != "n-1" || msgs[1].Content != "twice" {
		t.Errorf("messages: %+v", msgs)
	}
}

func TestInteractions(t *testing.T) {
	fake := New(t, options())
	type seen struct {
		perms int64
		data  discordgo.ApplicationCommandInteractionData
	}
	got := make(chan seen, 4)
	dg := open(t, fake, func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		switch i.Type {
		case discordgo.InteractionApplicationCommand:
			got <- seen{i.Member.Permissions, i.ApplicationCommandData()}
			if err := s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}}); err != nil {
				t.Error(err)
			}
			content := "done"
			if _, err := s.InteractionResponseEdit(i.Interaction, &discordgo.WebhookEdit{Content: &content}); err != nil {
				t.Error(err)
			}
			if _, err := s.FollowupMessageCreate(i.Interaction, true, &discordgo.WebhookParams{Content: "more",
				AllowedMentions: &discordgo.MessageAllowedMentions{}}); err != nil {
				t.Error(err)
			}
		case discordgo.InteractionApplicationCommandAutocomplete:
			got <- seen{i.Member.Permissions, i.ApplicationCommandData()}
			s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
				Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "Apple", Value: "apple"}}}})
		case discordgo.InteractionMessageComponent:
			s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage,
				Data: &discordgo.InteractionResponseData{Content: "clicked " + i.MessageComponentData().CustomID + " on " + i.Message.ID}})
		}
	})
	cmds, err := dg.ApplicationCommandBulkOverwrite(appID, guildID, []*discordgo.ApplicationCommand{{Name: "feed", Description: "feeds"}})
	if err != nil || len(cmds) != 1 || cmds[0].ID == "" {
		t.Fatalf("commands: %+v, %v", cmds, err)
	}
	if c := fake.Commands(); len(c) != 1 || c[0].Name != "feed" || c[0].GuildID != guildID {
		t.Errorf("recorded commands: %+v", c)
	}

	id := fake.Interact(Interaction{Type: 2, GuildID: guildID, ChannelID: chanID, UserID: modID, Name: "feed",
		Options: []Option{{Name: "add", Type: 1, Options: []Option{{Name: "url", Type: 3, Value: "https://example.com/feed"}}}}})
	s := <-got
	if s.perms != viewAndSend|manageServer || s.data.Name != "feed" || len(s.data.Options) != 1 || s.data.Options[0].Name != "add" ||
		s.data.Options[0].Options[0].StringValue() != "https://example.com/feed" {
		t.Errorf("command as discordgo saw it: %+v", s)
	}
	rs, ok := fake.WaitResponses(func(rs []Response) bool { return len(rs) == 3 }, 5*time.Second)
	if !ok {
		t.Fatalf("responses: %+v", rs)
	}
	if rs[0].Kind != "callback" || rs[0].InteractionID != id || rs[0].Type != 5 || rs[0].Flags != 64 ||
		rs[1].Kind != "edit" || rs[1].Content != "done" || rs[2].Kind != "followup" || rs[2].Content != "more" ||
		rs[2].AllowedMentions == nil || rs[1].AllowedMentions != nil {
		t.Errorf("responses: %+v", rs)
	}

	// The owner has every permission; autocomplete carries the focus.
	fake.Interact(Interaction{Type: 4, GuildID: guildID, ChannelID: chanID, UserID: owner, Name: "feed",
		Options: []Option{{Name: "url", Type: 3, Value: "app", Focused: true}}})
	s = <-got
	if s.perms&discordgo.PermissionAdministrator == 0 || !s.data.Options[0].Focused {
		t.Errorf("autocomplete as discordgo saw it: %+v", s)
	}
	// discordgo handles each event in a goroutine of its own: wait for one
	// answer before sending the next, so they are recorded in order.
	if _, ok := fake.WaitResponses(func(rs []Response) bool { return len(rs) == 4 }, 5*time.Second); !ok {
		t.Fatal("no autocomplete result")
	}
	fake.Interact(Interaction{Type: 3, GuildID: guildID, ChannelID: chanID, UserID: plainID, CustomID: "more:1", MessageID: "123"})
	rs, ok = fake.WaitResponses(func(rs []Response) bool { return len(rs) == 5 }, 5*time.Second)
	if !ok {
		t.Fatalf("responses: %+v", rs)
	}
	if rs[3].Type != 8 || len(rs[3].Choices) != 1 || rs[3].Choices[0].Name != "Apple" || rs[3].Choices[0].Value != "apple" {
		t.Errorf("autocomplete result: %+v", rs[3])
	}
	if rs[4].Type != 7 || rs[4].Content != "clicked more:1 on 123" {
		t.Errorf("component update: %+v", rs[4])
	}
}

func TestDroppedConnectionResumes(t *testing.T) {
	fake := New(t, options())
	seen := make(chan string, 8)
	resumed := make(chan struct{}, 1)
	open(t, fake,
		func(_ *discordgo.Session, m *discordgo.MessageCreate) { seen <- m.Content },
		func(_ *discordgo.Session, _ *discordgo.Resumed) {
			select {
			case resumed <- struct{}{}:
			default:
			}
		})
	fake.SendMessage(guildID, chanID, plainID, "before")
	if c := <-seen; c != "before" {
		t.Fatal(c)
	}
	fake.DropConnection()
	// Sent while the bot is away: replayed on resume.
	fake.SendMessage(guildID, chanID, plainID, "while away")
	select {
	case <-resumed:
	case <-time.After(10 * time.Second):
		t.Fatal("no RESUMED")
	}
	if err := fake.WaitReady(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	fake.SendMessage(guildID, chanID, plainID, "after")
	var got []string
	for len(got) < 2 {
		select {
		case c := <-seen:
			got = append(got, c)
		case <-time.After(5 * time.Second):
			t.Fatalf("after the resume got %q", got)
		}
	}
	// discordgo runs each event's handlers in a goroutine of its own, so
	// the two may be seen in either order: what matters is that each came.
	slices.Sort(got)
	if !slices.Equal(got, []string{"after", "while away"}) {
		t.Errorf("after the resume got %q", got)
	}
	select {
	case c := <-seen:
		t.Errorf("a message came twice: %q", c)
	case <-time.After(300 * time.Millisecond):
	}
	// On a loaded machine a late heartbeat ACK can make discordgo resume
	// once more; what must never happen is a second IDENTIFY, which costs
	// the token a session start.
	if fake.Resumes() < 1 || fake.Identifies() != 1 {
		t.Errorf("resumes %d, identifies %d", fake.Resumes(), fake.Identifies())
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	fake := New(t, options())
	dg, err := discordgo.New("Bot test-token")
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	dg.Client = &http.Client{Transport: discord.Rewrite(fake.APIURL(), tr)}
	dg.ShouldReconnectOnError = false
	if err := dg.Open(); err != nil {
		t.Fatal(err)
	}
	if err := fake.WaitReady(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := dg.ChannelMessageSend(chanID, "hi"); err != nil {
		t.Fatal(err)
	}
	// The fake closes first here, under a live client: its side must
	// still wind down. The client is closed after, as a bot would be.
	fake.Close()
	dg.Close()
	tr.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		ours := strings.Contains(stacks, "discordtest.(*Server)") || strings.Contains(stacks, "discordtest.(*session)")
		n := runtime.NumGoroutine()
		if !ours && n <= before+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d before, %d after; fake's left: %v\n%s", before, n, ours, stacks)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDiscordsLimitsAreEnforced: what Discord would refuse, the fake
// refuses with its 400, and keeps to fail the test at Close; what it takes,
// it takes.
func TestDiscordsLimitsAreEnforced(t *testing.T) {
	fake := New(t, options())
	s, err := discordgo.New("Bot token")
	if err != nil {
		t.Fatal(err)
	}
	s.Client.Transport = discord.Rewrite(fake.APIURL(), http.DefaultTransport)
	link := discordgo.Button{Label: "Full timeline", Style: discordgo.LinkButton, URL: "https://disputes.example.org/d/musk-microsoft"}
	page := discordgo.Button{Label: "Timeline ▶", Style: discordgo.SecondaryButton, CustomID: "pg:1:musk microsoft"}
	row := func(bs ...discordgo.MessageComponent) []discordgo.MessageComponent {
		return []discordgo.MessageComponent{discordgo.ActionsRow{Components: bs}}
	}
	ok := &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Title: "Elon Musk vs Microsoft", Image: &discordgo.MessageEmbedImage{URL: "attachment://timeline.png"}}},
		Files: []*discordgo.File{{Name: "timeline.png", ContentType: "image/png", Reader: strings.NewReader("png")}}, Components: row(page, link)}
	if _, err := s.ChannelMessageSendComplex(chanID, ok); err != nil {
		t.Fatalf("a message within the limits was refused: %v", err)
	}
	for _, tc := range []struct {
		name string
		m    *discordgo.MessageSend
		want string
	}{
		{"a long description", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Description: strings.Repeat("é", 4097)}}}, "description of 4097"},
		{"embeds over 6000 in all", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Description: strings.Repeat("a", 4000)}, {Description: strings.Repeat("b", 2001)}}}, "6001 characters in all"},
		{"an image not uploaded", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Title: "x", Image: &discordgo.MessageEmbedImage{URL: "attachment://timeline.png"}}}}, "was not uploaded"},
		{"a link button with an id", &discordgo.MessageSend{Content: "x", Components: row(discordgo.Button{Label: "Full timeline", Style: discordgo.LinkButton, URL: link.URL, CustomID: "web"})}, "has a custom_id"},
		{"a link button to javascript", &discordgo.MessageSend{Content: "x", Components: row(discordgo.Button{Label: "Full timeline", Style: discordgo.LinkButton, URL: "javascript:alert(1)"})}, "no http(s) url"},
		{"a button without an id", &discordgo.MessageSend{Content: "x", Components: row(discordgo.Button{Label: "Older", Style: discordgo.SecondaryButton})}, "custom_id of 0"},
		{"six buttons in a row", &discordgo.MessageSend{Content: "x", Components: row(link, link, link, link, link, link)}, "holds 6 buttons"},
	} {
		_, err := s.ChannelMessageSendComplex(chanID, tc.m)
		var rest *discordgo.RESTError
		if !errors.As(err, &rest) || rest.Response.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: err = %v, want Discord's 400", tc.name, err)
		}
		if v := fake.Violations(); len(v) == 0 || !strings.Contains(v[len(v)-1], tc.want) {
			t.Errorf("%s: violations %q, want one saying %q", tc.name, v, tc.want)
		}
	}
	if n := len(fake.Messages()); n != 1 {
		t.Errorf("%d messages kept, want only the one within the limits", n)
	}
	// They were meant; Close must not fail this test for them.
	fake.mu.Lock()
	fake.violations = nil
	fake.mu.Unlock()
}

// rawGateway is a gateway client written by hand, frame by frame, to see
// what the fake answers where discordgo would hide it.
type rawGateway struct {
	t    *testing.T
	conn *websocket.Conn
}

func dialGateway(t *testing.T, fake *Server, path string) *rawGateway {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(fake.URL(), "http")+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	g := &rawGateway{t: t, conn: conn}
	if p := g.read(); p.Op != 10 {
		t.Fatalf("first frame op %d, want HELLO", p.Op)
	}
	return g
}

func (g *rawGateway) send(op int, d any) {
	g.t.Helper()
	if err := g.conn.WriteJSON(map[string]any{"op": op, "d": d}); err != nil {
		g.t.Fatal(err)
	}
}

// read returns the next frame; a close is returned as op -code.
func (g *rawGateway) read() payload {
	g.t.Helper()
	g.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var p payload
	if err := g.conn.ReadJSON(&p); err != nil {
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return payload{Op: -ce.Code}
		}
		g.t.Fatalf("reading the gateway: %v", err)
	}
	return p
}

// identify sends IDENTIFY for shard (nil: none named) and returns the
// answer: READY's data, or the op of whatever else came.
func (g *rawGateway) identify(shard []int) (ready map[string]any, op int) {
	g.t.Helper()
	d := map[string]any{"token": "Bot t", "intents": 513}
	if shard != nil {
		d["shard"] = shard
	}
	g.send(2, d)
	p := g.read()
	if p.T != "READY" {
		return nil, p.Op
	}
	json.Unmarshal(p.D, &ready)
	return ready, 0
}

// until reads frames until one of type t, and returns its data.
func (g *rawGateway) until(t string) payload {
	g.t.Helper()
	for {
		if p := g.read(); p.T == t || p.Op < 0 {
			return p
		}
	}
}

// TestShardsRoutingAndIdentifyLimits: the fake gateway shards as Discord
// does. /gateway/bot recommends its shard count and reports the session
// start limit; an IDENTIFY naming no shard, or a wrong count, is closed
// with 4011 or 4010; one too soon after another of its bucket, or with no
// session starts left, gets INVALID SESSION and spends nothing; a guild's
// events reach its shard's connection only, DMs shard 0's; a session
// resumed from another connection, at resume_gateway_url, gets the events
// it missed.
func TestShardsRoutingAndIdentifyLimits(t *testing.T) {
	o := options()
	// Guild ids by shard of 2: (id >> 22) % 2.
	onShard1, onShard0 := strconv.Itoa(1<<22), strconv.Itoa(2<<22)
	o.Guilds = []Guild{{ID: onShard1, Name: "one", Channels: []Channel{{ID: "31"}}}, {ID: onShard0, Name: "zero", Channels: []Channel{{ID: "30"}}}}
	o.Shards, o.MaxConcurrency, o.IdentifySpacing, o.SessionStartLimit = 2, 1, time.Second, 2
	o.HeartbeatInterval = time.Minute
	fake := New(t, o)

	resp, err := http.Get(fake.APIURL() + "gateway/bot")
	if err != nil {
		t.Fatal(err)
	}
	var gb discordgo.GatewayBotResponse
	json.NewDecoder(resp.Body).Decode(&gb)
	resp.Body.Close()
	if gb.Shards != 2 || gb.SessionStartLimit.MaxConcurrency != 1 || gb.SessionStartLimit.Remaining != 2 || gb.SessionStartLimit.Total != 2 {
		t.Errorf("/gateway/bot = %+v", gb)
	}

	for _, c := range []struct {
		shard []int
		code  int
	}{{nil, 4011}, {[]int{0, 3}, 4010}, {[]int{2, 2}, 4010}} {
		if _, op := dialGateway(t, fake, "/gateway").identify(c.shard); op != -c.code {
			t.Errorf("IDENTIFY with shard %v: op %d, want close %d", c.shard, op, c.code)
		}
	}
	zero := dialGateway(t, fake, "/gateway")
	ready, op := zero.identify([]int{0, 2})
	if op != 0 {
		t.Fatalf("shard 0's IDENTIFY: op %d", op)
	}
	if gs, _ := ready["guilds"].([]any); len(gs) != 1 || gs[0].(map[string]any)["id"] != onShard0 {
		t.Errorf("shard 0's READY lists guilds %v", ready["guilds"])
	}
	one := dialGateway(t, fake, "/gateway")
	if _, op := one.identify([]int{1, 2}); op != 9 {
		t.Errorf("an IDENTIFY of the same bucket at once: op %d, want 9 (INVALID SESSION)", op)
	}
	if fake.RefusedIdentifies() != 1 {
		t.Errorf("RefusedIdentifies = %d", fake.RefusedIdentifies())
	}
	time.Sleep(time.Second) // the spacing the fake keeps, as Discord keeps five
	ready, op = one.identify([]int{1, 2})
	if op != 0 {
		t.Fatalf("shard 1's IDENTIFY after the spacing: op %d", op)
	}
	if err := fake.WaitShards(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	// The two session starts are spent.
	time.Sleep(time.Second)
	if _, op := dialGateway(t, fake, "/gateway").identify([]int{0, 2}); op != 9 || fake.RefusedIdentifies() != 2 {
		t.Errorf("an IDENTIFY with no session start left: op %d, refused %d", op, fake.RefusedIdentifies())
	}

	fake.SendMessage(onShard1, "31", plainID, "to one")
	fake.SendMessage("", "", plainID, "a DM")
	zero.until("GUILD_CREATE")
	if p := zero.until("MESSAGE_CREATE"); !strings.Contains(string(p.D), "a DM") {
		t.Errorf("shard 0 got %s, want the DM", p.D)
	}
	one.until("GUILD_CREATE")
	p := one.until("MESSAGE_CREATE")
	if !strings.Contains(string(p.D), "to one") {
		t.Errorf("shard 1 got %s, want its guild's message", p.D)
	}
	if d := fake.Dispatched(); d[0] != 1 || d[1] != 1 {
		t.Errorf("dispatched by shard: %v", d)
	}

	// Shard 1's connection dies; a message comes meanwhile; another
	// connection resumes the session at resume_gateway_url and gets it.
	one.conn.Close()
	fake.SendMessage(onShard1, "31", plainID, "while away")
	if ready["resume_gateway_url"] != strings.Replace(fake.URL(), "http", "ws", 1)+"/gateway/resume" {
		t.Errorf("resume_gateway_url %v", ready["resume_gateway_url"])
	}
	taker := dialGateway(t, fake, "/gateway/resume")
	taker.send(6, map[string]any{"token": "Bot t", "session_id": ready["session_id"], "seq": *p.S})
	if p := taker.read(); p.T != "MESSAGE_CREATE" || !strings.Contains(string(p.D), "while away") {
		t.Errorf("the resumed session's first frame: %s %s", p.T, p.D)
	}
	if p := taker.read(); p.T != "RESUMED" {
		t.Errorf("then %q, want RESUMED", p.T)
	}
	if fake.Resumes() != 1 || fake.ResumesAtResumeURL() != 1 {
		t.Errorf("resumes %d, at the resume URL %d", fake.Resumes(), fake.ResumesAtResumeURL())
	}
}
