package bot_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/disputebot/disputebot/bot"
	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/fetch"
	"github.com/disputebot/disputebot/internal/library"
	"github.com/disputebot/disputebot/internal/picture"
	"github.com/disputebot/disputebot/internal/weblink"
)

const (
	guildA   = "100000000000000001"
	guildB   = "100000000000000002"
	chanA    = "200000000000000001"
	chanB    = "200000000000000002"
	modUser  = "300000000000000001"
	member   = "300000000000000002"
	seedLink = "https://www.benzinga.com/news/23/04/31906748/elon-musk-accuses-microsoft-of-twitter-data-mining-lawsuit-time"
)

// channels is a Directory over a fixed map.
type channels map[string]string // channel -> guild

func (c channels) ChannelInGuild(guild, channel string) bool { return c[channel] == guild }

func newBot(t testing.TB) (*bot.Bot, *library.Library) {
	return newBotWith(t, fetch.Options{Timeout: 5 * time.Second, MaxBytes: 1 << 20, AllowPrivate: true})
}

func newBotWith(t testing.TB, fo fetch.Options) (*bot.Bot, *library.Library) {
	t.Helper()
	lib, err := library.Open(context.Background(), library.Options{DataDir: t.TempDir(), Fetch: fo, FeedInterval: 15 * time.Minute, FeedMinInterval: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	b := &bot.Bot{
		Engine: lib.Engine, Gazetteer: lib.Gazetteer, Store: lib.Store, Sources: lib.Sources, Subscriptions: lib.Subscriptions,
		Directory: channels{chanA: guildA, chanB: guildB}, Log: lib.Log, Prefix: "!",
	}
	return b, lib
}

func ask(b *bot.Bot, guild, user string, mod bool, text string) bot.Reply {
	return b.Handle(context.Background(), bot.Request{GuildID: guild, ChannelID: chanA, UserID: user, IsModerator: mod, Text: text})
}

func allText(r bot.Reply) string {
	var s strings.Builder
	s.WriteString(r.Title + "\n" + r.Body + "\n" + r.Footer + "\n")
	for _, it := range r.Items {
		s.WriteString(it.Label + " " + it.Title + " " + it.URL + " " + it.Text + "\n")
		for _, x := range it.Extras {
			s.WriteString(x.URL + "\n")
		}
	}
	return s.String()
}

func TestDisputeAnswerShowsEveryCitedEntry(t *testing.T) {
	b, _ := newBot(t)
	r := ask(b, guildA, member, false, "dispute musk microsoft")
	if r.Title != "Elon Musk vs Microsoft" || len(r.Items) == 0 || len(r.Items) > bot.PageSize {
		t.Fatalf("reply = %+v", r)
	}
	// Every [n] the summary cites is an entry of the first page.
	for _, m := range citeRE.FindAllStringSubmatch(r.Body, -1) {
		found := false
		for _, it := range r.Items {
			found = found || strings.HasPrefix(it.Label, "["+m[1]+"] ")
		}
		if !found {
			t.Errorf("the summary cites [%s], which the first page does not show", m[1])
		}
	}
	if !strings.Contains(allText(r), seedLink) || !strings.Contains(allText(r), "2023-04-19") {
		t.Error("the seed story (2023-04-19, Benzinga) is not among the key entries")
	}
}

var citeRE = regexp.MustCompile(`\[(\d+)\]`)

func TestTimelineButtonsWalkEveryEntry(t *testing.T) {
	b, lib := newBot(t)
	want, _ := lib.Engine.Ask(context.Background(), answer.Request{Query: "musk microsoft", Guild: guildA})
	r := ask(b, guildA, member, false, "dispute musk microsoft")
	seen := map[string]bool{}
	next := buttonLabelled(r, "Timeline")
	for pages := 0; next != ""; pages++ {
		if pages > 20 {
			t.Fatal("the timeline never ends")
		}
		r = b.Press(context.Background(), bot.Request{GuildID: guildA, UserID: member}, next)
		for _, it := range r.Items {
			seen[it.Label] = true
		}
		next = buttonLabelled(r, "Older")
	}
	if len(seen) != len(want.Entries) {
		t.Errorf("the timeline pages show %d entries, the answer has %d", len(seen), len(want.Entries))
	}
}

func buttonLabelled(r bot.Reply, label string) string {
	for _, b := range r.Buttons {
		if strings.Contains(b.Label, label) && !b.Disabled {
			return b.ID
		}
	}
	return ""
}

func TestUnknownCommands(t *testing.T) {
	b, _ := newBot(t)
	if r := ask(b, guildA, member, false, "play despacito"); !r.Silent {
		t.Errorf("another bot's command was answered: %+v", r)
	}
	r := b.Handle(context.Background(), bot.Request{GuildID: guildA, UserID: member, Text: "frobnicate", Addressed: true})
	if r.Silent || !strings.Contains(r.Body, "help") {
		t.Errorf("an unknown command addressed to the bot got %+v", r)
	}
}

func TestBadUsageShowsUsage(t *testing.T) {
	b, _ := newBot(t)
	for _, text := range []string{"dispute", "search", "source add", "source frob", "feed add", "alias add onlyoneword", "subscribe", "unsubscribe", "why", "why two words"} {
		r := ask(b, guildA, modUser, true, text)
		if !strings.HasPrefix(r.Body, "Usage: !") {
			t.Errorf("%q: %q", text, r.Body)
		}
	}
	if r := ask(b, guildA, member, false, "dispute "+strings.Repeat("musk ", 100)); !strings.Contains(r.Body, "too long") {
		t.Errorf("over-long input: %q", r.Body)
	}
}

func TestModeratorCommandsRefusedAndNothingChanges(t *testing.T) {
	b, lib := newBot(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	for _, text := range []string{"source add " + srv.URL + "/a", "source remove 1", "sources", "feed add " + srv.URL + "/feed", "feed remove 1", "feeds", "alias add chief = elon musk", "aliases",
		"subscribe musk in <#" + chanA + ">", "why " + seedLink} {
		for _, where := range []string{guildA, ""} {
			r := ask(b, where, member, false, text)
			if r.Color != bot.Warn || !(strings.Contains(r.Body, "only moderators") || strings.Contains(r.Body, "Only moderators") || strings.Contains(r.Body, "not in DMs") || strings.Contains(r.Body, "belong to a server")) {
				t.Errorf("%q in %q by a member: %q", text, where, r.Body)
			}
		}
	}
	ctx := context.Background()
	if s, _ := lib.Store.Sources(ctx, guildA, domain.ArticleSource); len(s) != 0 {
		t.Errorf("sources changed: %d", len(s))
	}
	if s, _ := lib.Store.Sources(ctx, guildA, domain.FeedSource); len(s) != 0 {
		t.Errorf("feeds changed: %d", len(s))
	}
	if al, _ := lib.Store.Aliases(ctx, guildA); len(al) != 0 {
		t.Errorf("aliases changed: %v", al)
	}
	if subs, _ := lib.Store.Subscriptions(ctx, guildA, member); len(subs) != 0 {
		t.Errorf("a channel subscription was made by a member")
	}
}

func articleServer(t *testing.T) *httptest.Server {
	page, err := os.ReadFile("../internal/ingest/testdata/musk-microsoft.html")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Example Tech</title>
<item><title>Old story</title><link>%s/old</link><guid>old-1</guid><pubDate>Mon, 02 Jan 2023 10:00:00 GMT</pubDate></item>
</channel></rss>`, "http://"+r.Host)
		case "/notfeed":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><body><h1>Oops, an error page</h1></body></html>"))
		default:
			w.Header().Set("Content-Type", "text/html")
			w.Write(page)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSourcesBelongToTheirGuild(t *testing.T) {
	b, _ := newBot(t)
	srv := articleServer(t)
	r := ask(b, guildA, modUser, true, "source add "+srv.URL+"/story")
	if r.Color != bot.Good || !strings.Contains(r.Body, "Elon Musk") {
		t.Fatalf("source add: %+v", r)
	}
	if !strings.Contains(allText(ask(b, guildA, member, false, "search smart campaigns")), srv.URL+"/story") {
		t.Error("guild A cannot find its own source")
	}
	if got := allText(ask(b, guildB, member, false, "search smart campaigns")); strings.Contains(got, srv.URL) {
		t.Error("guild B sees guild A's source")
	}
	if r := ask(b, guildB, modUser, true, "source remove 1"); r.Color != bot.Warn {
		t.Errorf("guild B removed guild A's source: %q", r.Body)
	}
	if r := ask(b, guildA, modUser, true, "sources"); !strings.Contains(allText(r), srv.URL) {
		t.Errorf("sources list: %+v", r)
	}
	if r := ask(b, guildA, modUser, true, "source remove 1"); r.Color != bot.Good {
		t.Errorf("source remove: %q", r.Body)
	}
	if strings.Contains(allText(ask(b, guildA, member, false, "search smart campaigns")), srv.URL) {
		t.Error("a removed source still answers")
	}
}

func TestSourceAddRefusesWithReasons(t *testing.T) {
	b, lib := newBot(t)
	r := ask(b, guildA, modUser, true, "source add ftp://example.com/x")
	if r.Color != bot.Warn || !strings.Contains(r.Body, "http") {
		t.Errorf("ftp: %q", r.Body)
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	defer dead.Close()
	r = ask(b, guildA, modUser, true, "source add "+dead.URL+"/gone")
	if r.Color != bot.Warn || !strings.Contains(r.Body, "404") {
		t.Errorf("404: %q", r.Body)
	}
	if s, _ := lib.Store.Sources(context.Background(), guildA, domain.ArticleSource); len(s) != 0 {
		t.Errorf("a failed source was kept: %d", len(s))
	}
}

func TestFeedAddChecksTheFeed(t *testing.T) {
	b, lib := newBot(t)
	srv := articleServer(t)
	if r := ask(b, guildA, modUser, true, "feed add "+srv.URL+"/notfeed"); r.Color != bot.Warn || !strings.Contains(r.Body, "feed") {
		t.Errorf("HTML page as feed: %q", r.Body)
	}
	if r := ask(b, guildA, modUser, true, "feed add "+srv.URL+"/feed.xml <#"+chanB+">"); r.Color != bot.Warn {
		t.Errorf("another guild's channel accepted: %q", r.Body)
	}
	if r := ask(b, guildA, modUser, true, "feed add "+srv.URL+"/feed.xml every 10s"); r.Color != bot.Warn {
		t.Errorf("an interval under the minimum accepted: %q", r.Body)
	}
	r := ask(b, guildA, modUser, true, "feed add "+srv.URL+"/feed.xml <#"+chanA+"> every 30m")
	if r.Color != bot.Good || r.Title != "Example Tech" || !strings.Contains(r.Body, "1 item") {
		t.Fatalf("feed add: %+v", r)
	}
	feeds, _ := lib.Store.Sources(context.Background(), guildA, domain.FeedSource)
	if len(feeds) != 1 || feeds[0].Feed.ChannelID != chanA || feeds[0].Feed.Interval != 30*time.Minute {
		t.Fatalf("stored feeds: %+v", feeds)
	}
	if r := ask(b, guildA, modUser, true, "feeds"); !strings.Contains(allText(r), "every 30m0s") {
		t.Errorf("feeds: %s", allText(r))
	}
	if r := ask(b, guildB, modUser, true, "feeds"); strings.Contains(allText(r), srv.URL) {
		t.Error("guild B sees guild A's feed")
	}
}

func TestAliasesArePerGuild(t *testing.T) {
	b, _ := newBot(t)
	if r := ask(b, guildA, modUser, true, "alias add chief twit = elon musk"); r.Color != bot.Good {
		t.Fatalf("alias add: %q", r.Body)
	}
	if r := ask(b, guildA, member, false, "dispute chief twit microsoft"); r.Title != "Elon Musk vs Microsoft" {
		t.Errorf("guild A alias not used: %q", r.Title)
	}
	if r := ask(b, guildB, member, false, "dispute chief twit microsoft"); r.Title == "Elon Musk vs Microsoft" {
		t.Error("guild A's alias works in guild B")
	}
	if r := ask(b, guildA, modUser, true, "alias add msft = apple"); r.Color != bot.Warn {
		t.Errorf("an alias shadowing a ticker was accepted: %q", r.Body)
	}
}

func TestSubscriptions(t *testing.T) {
	b, _ := newBot(t)
	r := ask(b, guildA, member, false, "subscribe MSFT vs elon")
	if r.Color != bot.Good || !strings.Contains(r.Body, "Elon Musk and Microsoft") {
		t.Fatalf("subscribe: %q", r.Body)
	}
	if r := ask(b, guildA, member, false, "subscribe musk microsoft"); !strings.Contains(r.Body, "already") {
		t.Errorf("a duplicate subscription: %q", r.Body)
	}
	if r := ask(b, guildA, member, false, "subscriptions"); len(r.Items) != 1 || !strings.Contains(r.Items[0].Text, "DM") {
		t.Errorf("subscriptions: %+v", r)
	}
	if r := ask(b, guildB, member, false, "subscriptions"); len(r.Items) != 0 {
		t.Error("guild B lists guild A's subscription")
	}
	if r := ask(b, guildA, member, false, "unsubscribe musk microsoft"); r.Color != bot.Good {
		t.Errorf("unsubscribe: %q", r.Body)
	}
	if r := ask(b, guildA, member, false, "subscriptions"); len(r.Items) != 0 {
		t.Error("unsubscribe left the subscription")
	}
	if r := ask(b, "", member, false, "subscribe musk"); r.Color != bot.Warn {
		t.Errorf("a DM subscription: %q", r.Body)
	}
}

func TestCooldown(t *testing.T) {
	b, _ := newBot(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.Now = func() time.Time { return now }
	b.Cooldown = 3 * time.Second
	if r := ask(b, guildA, member, false, "dispute musk"); r.Color == bot.Warn {
		t.Fatalf("first ask refused: %q", r.Body)
	}
	if r := ask(b, guildA, member, false, "dispute musk"); !strings.Contains(r.Body, "wait") {
		t.Errorf("second ask at once: %q", r.Body)
	}
	if r := ask(b, guildA, modUser, true, "dispute musk"); strings.Contains(r.Body, "wait") {
		t.Error("one member's cooldown held another back")
	}
	now = now.Add(4 * time.Second)
	if r := ask(b, guildA, member, false, "dispute musk"); strings.Contains(r.Body, "wait") {
		t.Error("cooldown did not expire")
	}
}

// TestTypedAndSlashAgree: a command typed after the prefix and the same
// command chosen as a slash command, its values in their own options, get
// the same answer, refusals included. Commands that change something run
// in two servers, so both start from the same state.
func TestTypedAndSlashAgree(t *testing.T) {
	b, _ := newBot(t)
	tests := []struct {
		typed         string
		name, sub     string
		options       map[string]string
		mod, inServer bool
		want          string // in the typed reply
	}{
		{typed: "dispute musk microsoft since 2023-05", name: "dispute", options: map[string]string{"query": "musk microsoft", "since": "2023-05"}, want: "since 2023-05-01"},
		{typed: "dispute epic apple since march 2024", name: "dispute", options: map[string]string{"query": "epic apple", "since": "march 2024"}, want: "since 2024-03-01"},
		{typed: "search blood oxygen", name: "search", options: map[string]string{"words": "blood oxygen"}, want: "Masimo"},
		{typed: "alias add chief twit = Elon Musk", name: "alias", sub: "add", options: map[string]string{"alias": "chief twit", "party": "Elon Musk"}, mod: true, inServer: true, want: `"chief twit" now means Elon Musk`},
		{typed: "alias add teslaco=Tesla", name: "alias", sub: "add", options: map[string]string{"alias": "teslaco", "party": "Tesla"}, mod: true, inServer: true, want: `"teslaco" now means Tesla`},
		{typed: "alias add bigg Alphabet", name: "alias", sub: "add", options: map[string]string{"alias": "bigg", "party": "Alphabet"}, mod: true, inServer: true, want: "now means"},
		{typed: "alias list", name: "alias", sub: "list", mod: true, inServer: true, want: "chief twit → Elon Musk"},
		{typed: "feed add https://x.example/feed every soon", name: "feed", sub: "add", options: map[string]string{"url": "https://x.example/feed", "interval": "soon"}, mod: true, want: "could not read that interval"},
		{typed: "feed add https://x.example/feed <#" + chanB + ">", name: "feed", sub: "add", options: map[string]string{"url": "https://x.example/feed", "channel": chanB}, mod: true, want: "text channel of this server"},
		{typed: "feed remove 99", name: "feed", sub: "remove", options: map[string]string{"which": "99"}, mod: true, want: `no feed "99"`},
		{typed: "subscribe epic apple in <#" + chanA + ">", name: "subscribe", options: map[string]string{"query": "epic apple", "channel": chanA}, want: "Only moderators can subscribe a channel"},
		{typed: "source add two words", name: "source", sub: "add", options: map[string]string{"url": "two words"}, mod: true, want: "Usage: !source add <url>"},
		{typed: "why https://nothing.example/a", name: "why", options: map[string]string{"url": "https://nothing.example/a"}, mod: true, want: "https://nothing.example/a"},
		{typed: "dispute since 2024", name: "dispute", options: map[string]string{"since": "2024"}, want: "Usage: !dispute <parties or words> [since <date>]"},
	}
	for _, tt := range tests {
		t.Run(tt.typed, func(t *testing.T) {
			typed := b.Handle(context.Background(), bot.Request{GuildID: guildA, ChannelID: chanA, UserID: modUser, IsModerator: tt.mod, Text: tt.typed})
			guild := guildA
			if tt.inServer {
				guild = guildB
			}
			slash := b.Handle(context.Background(), bot.Request{GuildID: guild, ChannelID: chanA, UserID: modUser, IsModerator: tt.mod,
				Slash: &bot.Slash{Name: tt.name, Sub: tt.sub, Options: tt.options}})
			if !strings.Contains(allText(typed), tt.want) {
				t.Errorf("typed %q answered %q, want %q in it", tt.typed, allText(typed), tt.want)
			}
			if allText(typed) != allText(slash) || typed.Color != slash.Color {
				t.Errorf("typed and slash differ:\n typed %q\n slash %q", allText(typed), allText(slash))
			}
		})
	}
}

// TestTypedValuesInAnyOrder: keyword values and channel mentions stand
// after the positional ones in any order; "since" that is not followed by
// a date stays part of the question.
func TestTypedValuesInAnyOrder(t *testing.T) {
	b, _ := newBot(t)
	for _, text := range []string{"feed add https://x.example/feed every soon <#" + chanA + ">", "feed add https://x.example/feed <#" + chanA + "> every soon"} {
		if r := ask(b, guildA, modUser, true, text); !strings.Contains(r.Body, "could not read that interval") {
			t.Errorf("%q: %q", text, r.Body)
		}
	}
	// Without "in", a mention is part of what a member follows, by DM.
	if r := ask(b, guildA, member, false, "subscribe epic apple <#"+chanA+">"); !strings.Contains(r.Body, "I will send you a DM") {
		t.Errorf("a mention without \"in\": %q", r.Body)
	}
	r := ask(b, guildA, member, false, "search lawsuit since the merger")
	if strings.Contains(r.Body, "Usage") || r.Color == bot.Bad || !strings.Contains(allText(r), "since merger") {
		t.Errorf("a since without a date was not searched as words: %q", allText(r))
	}
}

// TestEveryCommandIsDeclaredOnce: help lists every command with its usage,
// each slash option can be registered (Discord wants required options
// first, names of 1-32 lower-case characters, descriptions of 1-100), and
// each subcommand has a handler.
func TestEveryCommandIsDeclaredOnce(t *testing.T) {
	b, _ := newBot(t)
	help := allText(ask(b, guildA, member, false, "help"))
	name := regexp.MustCompile(`^[a-z]{1,32}$`)
	for _, c := range bot.Commands() {
		if !strings.Contains(help, "!"+c.Usage()+" — "+c.Help) {
			t.Errorf("help lacks %q", c.Usage())
		}
		if !bot.IsCommand(c.Name) {
			t.Errorf("%s is not a command", c.Name)
		}
		check := func(c *bot.Command) {
			if !name.MatchString(c.Name) || c.Description == "" || len(c.Description) > 100 {
				t.Errorf("command %q cannot be registered", c.Name)
			}
			optional := false
			for _, p := range c.Params {
				if !name.MatchString(p.Name) || p.Description == "" || len(p.Description) > 100 || p.Hint == "" {
					t.Errorf("%s: option %q cannot be registered", c.Name, p.Name)
				}
				if p.Required && optional {
					t.Errorf("%s: required option %q after an optional one", c.Name, p.Name)
				}
				optional = optional || !p.Required
			}
		}
		check(c)
		for _, s := range c.Subcommands {
			check(s)
		}
	}
}

func TestAutocomplete(t *testing.T) {
	b, _ := newBot(t)
	got := b.Autocomplete("musk micro")
	found := false
	for _, c := range got {
		found = found || c.Value == "musk Microsoft"
	}
	if !found || len(got) > 25 {
		t.Errorf("Autocomplete = %v", got)
	}
	if n := len(b.Autocomplete("")); n != 25 {
		t.Errorf("empty autocomplete gives %d choices, want 25", n)
	}
}

// TestCrossGuildIdsRefused has a moderator of guild A act on guild B's
// feed, source, alias and subscription by their numbers and addresses:
// every attempt is refused and B keeps everything.
func TestCrossGuildIdsRefused(t *testing.T) {
	b, lib := newBot(t)
	srv := articleServer(t)
	ctx := context.Background()
	if r := ask(b, guildB, modUser, true, "feed add "+srv.URL+"/feed.xml"); r.Color != bot.Good {
		t.Fatalf("B's feed: %q", r.Body)
	}
	if r := ask(b, guildB, modUser, true, "source add "+srv.URL+"/b-story"); r.Color != bot.Good {
		t.Fatalf("B's source: %q", r.Body)
	}
	ask(b, guildB, modUser, true, "alias add bigsoft = microsoft")
	ask(b, guildB, member, false, "subscribe epic apple")
	feeds, _ := lib.Store.Sources(ctx, guildB, domain.FeedSource)
	sources, _ := lib.Store.Sources(ctx, guildB, domain.ArticleSource)
	subs, _ := lib.Store.Subscriptions(ctx, guildB, member)
	if len(feeds) != 1 || len(sources) != 1 || len(subs) != 1 {
		t.Fatalf("setup: %d feeds, %d sources, %d subscriptions", len(feeds), len(sources), len(subs))
	}
	for _, text := range []string{
		fmt.Sprintf("feed remove %d", feeds[0].ID), "feed remove " + feeds[0].URL,
		fmt.Sprintf("source remove %d", sources[0].ID), "source remove " + sources[0].URL,
		"alias remove bigsoft",
		fmt.Sprintf("unsubscribe %d", subs[0].ID),
	} {
		r := ask(b, guildA, member, true, text)
		if r.Color == bot.Good {
			t.Errorf("%q from guild A succeeded: %q", text, r.Body)
		}
	}
	feeds, _ = lib.Store.Sources(ctx, guildB, domain.FeedSource)
	sources, _ = lib.Store.Sources(ctx, guildB, domain.ArticleSource)
	subs, _ = lib.Store.Subscriptions(ctx, guildB, member)
	al, _ := lib.Store.Aliases(ctx, guildB)
	if len(feeds) != 1 || len(sources) != 1 || len(subs) != 1 || al["bigsoft"] != "Microsoft" {
		t.Errorf("guild B lost something: %d feeds, %d sources, %d subscriptions, aliases %v", len(feeds), len(sources), len(subs), al)
	}
}

func TestSlowCommandTimesOutPolitely(t *testing.T) {
	b, lib := newBot(t)
	b.Timeout = 300 * time.Millisecond
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(block)
	r := ask(b, guildA, modUser, true, "source add "+slow.URL+"/never")
	if !strings.Contains(r.Body, "took too long") || r.Color != bot.Bad {
		t.Errorf("reply = %q", r.Body)
	}
	if s, _ := lib.Store.Sources(context.Background(), guildA, domain.ArticleSource); len(s) != 0 {
		t.Errorf("a timed-out source was kept")
	}
}

// TestDisputeSinceKeepsItsDateAcrossPages asks for a dispute from a date on
// and walks the whole timeline by its buttons: every page keeps the date,
// and the subscribe button takes none (a subscription is to what comes).
func TestDisputeSinceKeepsItsDateAcrossPages(t *testing.T) {
	b, _ := newBot(t)
	r := ask(b, guildA, member, false, "dispute epic games apple since 2021")
	if !strings.HasSuffix(r.Title, " since 2021-01-01") {
		t.Fatalf("title %q", r.Title)
	}
	if sub := buttonLabelled(r, "Subscribe"); strings.Contains(sub, "since") || sub == "" {
		t.Errorf("subscribe button %q", sub)
	}
	dated := regexp.MustCompile(`\b(\d{4}-\d{2}-\d{2})\b`)
	pages := 0
	for next := buttonLabelled(r, "Timeline"); next != ""; next = buttonLabelled(r, "Older") {
		if pages++; pages > 20 {
			t.Fatal("the timeline never ends")
		}
		r = b.Press(context.Background(), bot.Request{GuildID: guildA, UserID: member}, next)
		if !strings.HasSuffix(r.Title, " since 2021-01-01") {
			t.Errorf("page %d lost the date: %q", pages, r.Title)
		}
		for _, it := range r.Items {
			if m := dated.FindString(it.Label); m < "2021-01-01" {
				t.Errorf("page %d shows %q, dated before 2021", pages, it.Label)
			}
		}
	}
	if pages == 0 {
		t.Error("no timeline pages to walk")
	}
	if r := ask(b, guildA, member, false, "dispute epic games apple since 2099"); !strings.Contains(r.Body, "since 2099-01-01") {
		t.Errorf("nothing since 2099: %q", r.Body)
	}
}

// TestDisputeAnswerCarriesItsPicture: an answer about one dispute carries
// its timeline picture and the picture's description, drawn once and then
// served from the cache for the next page; an answer about several
// disputes, and a bot without a cache, carry none.
func TestDisputeAnswerCarriesItsPicture(t *testing.T) {
	b, _ := newBot(t)
	b.Pictures = picture.NewCache(8)
	for _, tc := range []struct {
		name, text string
		picture    bool
	}{
		{"one dispute", "dispute adobe figma", true},
		{"several disputes", "dispute google", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ask(b, guildA, member, false, tc.text)
			if r.Title == "" {
				t.Fatalf("no answer: %+v", r)
			}
			if got := len(r.Image) > 0; got != tc.picture {
				t.Fatalf("picture %v, want %v (%s)", got, tc.picture, r.Title)
			}
			if !tc.picture {
				return
			}
			img, err := png.Decode(bytes.NewReader(r.Image))
			if err != nil {
				t.Fatal(err)
			}
			if img.Bounds().Dx() != picture.Width {
				t.Errorf("picture %d wide, want %d", img.Bounds().Dx(), picture.Width)
			}
			if !strings.HasPrefix(r.ImageAlt, "Timeline of Adobe") || !strings.HasSuffix(r.ImageAlt, ".") {
				t.Errorf("description %q", r.ImageAlt)
			}
		})
	}
	renders := b.Pictures.Renders()
	if again := ask(b, guildA, member, false, "dispute adobe figma"); len(again.Image) == 0 || b.Pictures.Renders() != renders {
		t.Errorf("asking again drew the picture again (%d renders, was %d)", b.Pictures.Renders(), renders)
	}
	b.Pictures = nil
	if r := ask(b, guildA, member, false, "dispute adobe figma"); len(r.Image) != 0 || r.ImageAlt != "" {
		t.Error("a bot without a picture cache attached a picture")
	}
}

// TestFullTimelineButton: with web pages, an answer about one dispute
// links to the dispute's page, any other answer to the page answering the
// same question; in a server the link is signed for it, in a DM it is not;
// without pages, or for an answer with nothing in it, there is no link.
func TestFullTimelineButton(t *testing.T) {
	b, _ := newBot(t)
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	b.Now = func() time.Time { return now }
	links := &weblink.Links{Base: "https://disputes.example.org", Secret: []byte(strings.Repeat("k", weblink.MinSecret)), TTL: time.Hour}
	full := func(r bot.Reply) string {
		for _, x := range r.Buttons {
			if x.Label == "Full timeline" {
				if x.ID != "" {
					t.Errorf("the link button has an id %q", x.ID)
				}
				return x.URL
			}
		}
		return ""
	}
	if u := full(ask(b, guildA, member, false, "dispute epic apple")); u != "" {
		t.Errorf("a bot without web pages links to %s", u)
	}
	b.Links = links
	tests := []struct {
		name, guild, text string
		path              string // the page, before its query
		query             map[string]string
	}{
		{"one dispute in a server", guildA, "dispute epic apple", "/d/epic-apple", map[string]string{"g": guildA}},
		{"one dispute in a DM", "", "dispute epic apple", "/d/epic-apple", nil},
		{"a party's disputes", guildA, "dispute apple", "/search", map[string]string{"g": guildA, "q": "apple"}},
		{"a text search since a date", guildA, "search antitrust since 2024", "/search", map[string]string{"q": "antitrust since 2024-01-01", "text": "1"}},
		{"nothing found", guildA, "dispute nintendo apple", "", nil},
	}
	for _, tt := range tests {
		u := full(ask(b, tt.guild, member, false, tt.text))
		if tt.path == "" {
			if u != "" {
				t.Errorf("%s: links to %s", tt.name, u)
			}
			continue
		}
		p, err := url.Parse(u)
		if err != nil || p.Host != "disputes.example.org" || p.Path != tt.path {
			t.Errorf("%s: links to %q, want %s", tt.name, u, tt.path)
			continue
		}
		for k, v := range tt.query {
			if p.Query().Get(k) != v {
				t.Errorf("%s: %s=%q in %s, want %q", tt.name, k, p.Query().Get(k), u, v)
			}
		}
		if signed := links.Check(p.Query(), now).Guild; signed != tt.guild {
			t.Errorf("%s: the link is signed for %q, want %q", tt.name, signed, tt.guild)
		}
	}
}
