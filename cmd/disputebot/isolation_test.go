package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/disputebot/disputebot/bot"
	"github.com/disputebot/disputebot/bot/discord"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/feed"
	"github.com/disputebot/disputebot/internal/fetch"
	"github.com/disputebot/disputebot/internal/library"
)

// TestHostileServerChangesNoOtherAnswer is the isolation guarantee as a
// property: a scripted hostile moderator of server A does everything a
// moderator may (feeds listing the built-in corpus's addresses and B's
// sources with made-up titles and dates, pages answering 403, dates in
// 2099, huge descriptions, aliases, subscriptions, sources), and what
// server B is told (every reply, as the bytes of the Discord embed) and
// what the command line's ask prints are byte-identical before and after,
// and after a restart.
func TestHostileServerChangesNoOtherAnswer(t *testing.T) {
	const (
		guildA, guildB = "100000000000000001", "100000000000000002"
		chanA, chanB   = "200000000000000001", "200000000000000002"
		modA, modB     = "300000000000000001", "300000000000000002"
		memberB        = "300000000000000003"
	)
	page, err := os.ReadFile("../../internal/ingest/testdata/musk-microsoft.html")
	if err != nil {
		t.Fatal(err)
	}
	web := newWeb(t)
	web.html("/b/story", string(page))
	web.html("/a/own", `<html><head><title>Microsoft confesses everything to Elon Musk</title><meta property="article:published_time" content="2026-11-30T09:00:00Z"></head><body><p>Microsoft admitted it took Twitter data, Elon Musk said, and it will pay every user a refund at evil.test.</p><p>Epic Games and Apple settled too, the same page claims.</p></body></html>`)
	web.status("/a/forbidden", http.StatusForbidden)
	seed := "https://www.benzinga.com/news/23/04/31906748/elon-musk-accuses-microsoft-of-twitter-data-mining-lawsuit-time"
	epic := "https://www.latimes.com/business/technology/story/2020-08-13/fortnite-maker-epic-sues-apple-after-app-store-ejection"
	bStory := web.url("news", "/b/story")
	huge := strings.Repeat("Microsoft admits it stole Twitter data from Elon Musk. ", 900)
	web.rss("/a/feed1", rssItem("a1", seed, "Microsoft admits it stole Twitter data; refunds at evil.test", "Claim your refund at evil.test.", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))+
		rssItem("a2", epic, "Apple wins everything, Epic Games gives up", "Epic Games and Apple: it is over, evil.test says.", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)))
	web.rss("/a/feed2", rssItem("a3", bStory, "Musk and Microsoft made it all up, evil.test says", huge, time.Date(2019, 5, 5, 0, 0, 0, 0, time.UTC))+
		rssItem("a4", web.url("news", "/a/forbidden"), "Elon Musk sues Microsoft for a trillion dollars", huge, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))+
		rssItem("a5", web.url("evil", "/a/own"), "Microsoft confesses", "", time.Time{}))

	dir := t.TempDir()
	vars := storeVars(t, map[string]string{"DATA_DIR": dir})
	clock := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	open := func() (*library.Library, *bot.Bot) {
		lib, err := library.Open(context.Background(), library.Options{DataDir: dir, DatabaseURL: vars["DATABASE_URL"], Fetch: web.fetch(), Caps: domain.Caps{Feeds: 10, Sources: 10, Aliases: 10, MemberSubscriptions: 5},
			FeedInterval: 15 * time.Minute, FeedMinInterval: 2 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		lib.Sources.Now = func() time.Time { return clock }
		b := &bot.Bot{Engine: lib.Engine, Gazetteer: lib.Gazetteer, Store: lib.Store, Sources: lib.Sources, Subscriptions: lib.Subscriptions, Log: lib.Log, Prefix: "!",
			Directory: dirOf{chanA: guildA, chanB: guildB}, Now: func() time.Time { return clock }}
		return lib, b
	}
	say := func(b *bot.Bot, guild, channel, user string, mod bool, text string) bot.Reply {
		return b.Handle(context.Background(), bot.Request{GuildID: guild, ChannelID: channel, UserID: user, IsModerator: mod, Text: text, Addressed: true})
	}

	// Server B's setup: a source of its own.
	lib, b := open()
	if r := say(b, guildB, chanB, modB, true, "source add "+bStory); r.Color != bot.Good {
		t.Fatalf("B's source add: %q", r.Body)
	}
	bQuestions := []string{"dispute musk microsoft", "dispute epic apple", "dispute microsoft", "search twitter data", "disputes",
		"sources", "why " + bStory, "why " + seed, "dispute twitter boss"}
	bPresses := []string{"pg:1:elon musk vs microsoft", "pg:2:elon musk vs microsoft"}
	bSees := func(b *bot.Bot) map[string]string {
		out := map[string]string{}
		for _, q := range bQuestions {
			out[q] = embedBytes(t, say(b, guildB, chanB, modB, true, q))
		}
		for _, id := range bPresses {
			out[id] = embedBytes(t, b.Press(context.Background(), bot.Request{GuildID: guildB, ChannelID: chanB, UserID: memberB}, id))
		}
		return out
	}
	bBefore := bSees(b)
	lib.Close()
	cliQuestions := [][]string{{"ask", "musk", "microsoft"}, {"ask", "--json", "musk", "microsoft"}, {"ask", "epic", "apple"}, {"ask", "--json", "microsoft"}, {"ask", "twitter", "data"}}
	cliSees := func() map[string]string {
		out := map[string]string{}
		for _, q := range cliQuestions {
			code, stdout, stderr := runCLI(t, vars, q...)
			if code != 0 {
				t.Fatalf("%v: exit %d: %s", q, code, stderr)
			}
			out[strings.Join(q, " ")] = stdout
		}
		return out
	}
	cliBefore := cliSees()

	// Server A's moderator does their worst.
	lib, b = open()
	for _, cmd := range []string{
		"alias add twitter boss = microsoft",
		"subscribe musk microsoft",
		"feed add " + web.url("evil", "/a/feed1") + " <#" + chanA + ">",
		"feed add " + web.url("evil", "/a/feed2") + " <#" + chanA + ">",
		"source add " + web.url("evil", "/a/own"),
		"source add " + bStory,
		"source add " + seed,
	} {
		say(b, guildA, chanA, modA, true, cmd)
	}
	poller := &feed.Poller{Store: lib.Store, Pipeline: lib.Pipeline, Fetch: lib.Pipeline.Fetch, Notifier: lib.Notifier, Log: lib.Log}
	feeds, err := lib.Store.Sources(context.Background(), guildA, domain.FeedSource)
	if err != nil || len(feeds) != 2 {
		t.Fatalf("A's feeds: %d, %v", len(feeds), err)
	}
	for round := 0; round < 2; round++ {
		for _, f := range feeds {
			src, err := lib.Store.Source(context.Background(), f.ID)
			if err != nil {
				t.Fatal(err)
			}
			poller.Poll(context.Background(), src)
		}
	}
	// A sees what its own feeds claimed: the script did reach the store.
	if r := say(b, guildA, chanA, modA, true, "dispute musk microsoft"); !strings.Contains(allTextOf(r), "confesses") {
		t.Fatalf("A's own article is not in A's answer; the hostile script did not run:\n%s", allTextOf(r))
	}
	compare(t, "server B", bBefore, bSees(b))
	lib.Close()
	compare(t, "the command line", cliBefore, cliSees())

	lib, b = open()
	compare(t, "server B after a restart", bBefore, bSees(b))
	lib.Close()
}

func compare(t *testing.T, who string, before, after map[string]string) {
	t.Helper()
	for q, want := range before {
		if got := after[q]; got != want {
			t.Errorf("%s: the answer to %q changed:\nbefore: %s\nafter:  %s", who, q, want, got)
		}
	}
}

// embedBytes is a reply as Discord receives it.
func embedBytes(t *testing.T, r bot.Reply) string {
	t.Helper()
	e, comps := discord.Embed(r)
	b, err := json.Marshal(struct {
		Embed any
		Comps any
	}{e, comps})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func allTextOf(r bot.Reply) string {
	var s strings.Builder
	s.WriteString(r.Title + "\n" + r.Body + "\n")
	for _, it := range r.Items {
		s.WriteString(it.Label + " " + it.Title + " " + it.Text + "\n")
	}
	return s.String()
}

// dirOf is a bot.Directory over a fixed map of channel to guild.
type dirOf map[string]string

func (d dirOf) ChannelInGuild(guild, channel string) bool { return d[channel] == guild }

// web is a loopback server whose pages a test sets; the fetcher reaches
// it under any name in .test, and no other name resolves, so nothing
// leaves the machine.
type web struct {
	*httptest.Server
	pages map[string]http.HandlerFunc
}

func newWeb(t *testing.T) *web {
	w := &web{pages: map[string]http.HandlerFunc{}}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if h := w.pages[r.URL.Path]; h != nil {
			h(rw, r)
			return
		}
		http.NotFound(rw, r)
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *web) url(host, path string) string {
	_, port, _ := net.SplitHostPort(w.Listener.Addr().String())
	return "http://" + host + ".test:" + port + path
}

func (w *web) html(path, body string) {
	w.pages[path] = func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(rw, body)
	}
}

func (w *web) status(path string, code int) {
	w.pages[path] = func(rw http.ResponseWriter, r *http.Request) { rw.WriteHeader(code) }
}

func (w *web) rss(path, items string) {
	w.pages[path] = func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(rw, `<?xml version="1.0"?><rss version="2.0"><channel><title>Totally real news</title>%s</channel></rss>`, items)
	}
}

func (w *web) fetch() fetch.Options {
	return fetch.Options{Timeout: 3 * time.Second, MaxBytes: 1 << 20, AllowPrivate: true,
		LookupIP: func(ctx context.Context, host string) ([]netip.Addr, error) {
			if strings.HasSuffix(host, ".test") {
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			}
			return nil, errors.New("no such host")
		}}
}

func rssItem(guid, link, title, desc string, date time.Time) string {
	d := ""
	if !date.IsZero() {
		d = "<pubDate>" + date.Format(time.RFC1123Z) + "</pubDate>"
	}
	return fmt.Sprintf("<item><guid>%s</guid><link>%s</link><title>%s</title><description>%s</description>%s</item>", guid, link, title, desc, d)
}
