package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/disputebot/disputebot/bot/discord/discordtest"
)

// TestLoad has 50 guilds of 20 members send commands through the fake
// gateway while feeds are polled and articles ingested, with rate limits
// injected now and then. Every command is answered exactly once, no request
// follows a 429 before its reset, and after the bot stops no goroutine is
// left behind. CI runs it for 10 seconds; DISPUTEBOT_LOAD_DURATION=2m runs
// the long version (scripts/load.sh).
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	duration := 10 * time.Second
	if d, err := time.ParseDuration(os.Getenv("DISPUTEBOT_LOAD_DURATION")); err == nil {
		duration = d
	}
	const guilds, members = 50, 20
	var gs []discordtest.Guild
	for g := 0; g < guilds; g++ {
		gid := fmt.Sprintf("11%016d", g)
		guild := discordtest.Guild{ID: gid, Name: "g", OwnerID: owner,
			Roles:    []discordtest.Role{{ID: gid, Name: "@everyone", Permissions: viewAndSend}, {ID: fmt.Sprintf("44%016d", g), Name: "mods", Permissions: manageServer}},
			Channels: []discordtest.Channel{{ID: fmt.Sprintf("22%016d", g), Name: "general"}}}
		for m := 0; m < members; m++ {
			mem := discordtest.Member{UserID: fmt.Sprintf("33%08d%08d", g, m), Username: "m"}
			if m == 0 {
				mem.Roles = []string{fmt.Sprintf("44%016d", g)}
			}
			guild.Members = append(guild.Members, mem)
		}
		gs = append(gs, guild)
	}
	fake := discordtest.New(t, discordtest.Options{AppID: appID, BotName: "disputebot", Guilds: gs})
	site := newFeedServer(t)
	vars := serveVars(t, fake)
	vars["LOG_LEVEL"] = "warn"
	vars["COMMAND_COOLDOWN"] = "3s"
	// A first start and stop warms what lives for the process (Bleve's
	// analysis workers), so the count below is the bot's own.
	startBot(t, fake, vars).stop()
	before := runtime.NumGoroutine()
	p := startBot(t, fake, vars)

	// Five guilds follow the feed; new items arrive during the run.
	for g := 0; g < 5; g++ {
		fake.SendMessage(gs[g].ID, gs[g].Channels[0].ID, gs[g].Members[0].UserID, "!feed add "+site.URL+"/feed.xml")
	}
	queries := []string{"dispute musk microsoft", "dispute epic apple", "dispute MSFT vs elon", "search blood oxygen", "disputes", "dispute ftc meta", "dispute nintendo", "help", "subscribe google"}
	type sent struct {
		at    time.Time
		query string
		from  string
	}
	var mu sync.Mutex
	commands := map[string]sent{}
	rng := rand.New(rand.NewPCG(9, 9))
	end := time.Now().Add(duration)
	rate := time.Second / 40
	next := 0
	for i := 0; time.Now().Before(end); i++ {
		// Round-robin over the thousand members: each speaks every 25 s,
		// well outside the cooldown.
		g := gs[next%guilds]
		m := g.Members[(next/guilds)%members]
		next++
		q := queries[rng.IntN(len(queries))]
		if i%50 == 0 {
			site.add(fmt.Sprintf("load-%d", i), fmt.Sprintf("/load-%d", i), time.Now())
		}
		if i%97 == 0 {
			h := http.Header{}
			h.Set("X-RateLimit-Remaining", "0")
			h.Set("X-RateLimit-Reset-After", "0.3")
			fake.FailNext("POST", "/channels/"+g.Channels[0].ID+"/messages", 1, 429, `{"message":"You are being rate limited.","retry_after":0.3,"global":false}`, h)
		}
		at := time.Now()
		id := fake.SendMessage(g.ID, g.Channels[0].ID, m.UserID, "!"+q)
		mu.Lock()
		commands[id] = sent{at: at, query: q, from: g.ID + "/" + m.UserID}
		mu.Unlock()
		time.Sleep(rate)
	}
	// Every command answered, exactly once.
	replies := map[string]int{}
	msgs, _ := fake.WaitMessages(func(ms []discordtest.Message) bool {
		answered := map[string]bool{}
		for _, m := range ms {
			if m.ReplyTo != "" {
				answered[m.ReplyTo] = true
			}
		}
		for id := range commands {
			if !answered[id] {
				return false
			}
		}
		return true
	}, 60*time.Second)
	var lat []time.Duration
	for _, m := range msgs {
		if c, ok := commands[m.ReplyTo]; ok {
			replies[m.ReplyTo]++
			if replies[m.ReplyTo] == 1 {
				lat = append(lat, m.Time.Sub(c.at))
			}
		}
	}
	lost, twice := 0, 0
	for id := range commands {
		switch replies[id] {
		case 0:
			lost++
		case 1:
		default:
			twice++
		}
	}
	if lost > 0 || twice > 0 {
		t.Errorf("%d commands: %d unanswered, %d answered more than once", len(commands), lost, twice)
		for id, c := range commands {
			if replies[id] != 1 {
				t.Logf("command %s %q from %s sent at %s: %d replies", id, c.query, c.from, c.at.Format("15:04:05.000"), replies[id])
			}
		}
		for _, m := range msgs {
			if _, ok := commands[m.ReplyTo]; !ok {
				t.Logf("%s not a reply to a command: channel %s dm %s reply-to %s: %.120q", m.Time.Format("15:04:05.000"), m.ChannelID, m.DMUserID, m.ReplyTo, text(m))
			}
		}
		for _, r := range fake.Requests() {
			if r.Status >= 400 {
				t.Logf("%s %s %s answered %d", r.Time.Format("15:04:05.000"), r.Method, r.Path, r.Status)
			}
		}
		t.Logf("bot's log:\n%s", p.logs.String())
		buf := make([]byte, 1<<20)
		t.Logf("goroutines:\n%s", buf[:runtime.Stack(buf, true)])
	}
	// No request to a route came before the reset of a 429 on it.
	last429 := map[string]time.Time{}
	limited := 0
	for _, r := range fake.Requests() {
		if r.Status == 429 {
			last429[r.Path] = r.Time
			limited++
		} else if t429, ok := last429[r.Path]; ok && r.Time.Sub(t429) < 280*time.Millisecond {
			t.Errorf("%s %s %s after its 429, before the reset", r.Method, r.Path, r.Time.Sub(t429))
		}
	}
	p.stop()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p50, p95, p99 := lat[len(lat)/2], lat[len(lat)*95/100], lat[len(lat)*99/100]
	// Goroutines wind down once the bot has stopped.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+10 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+10 {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after the bot stopped:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
	t.Logf("load: %d guilds × %d members, %s, %d commands, %d 429s injected; answered once each; latency median %s, p95 %s, p99 %s (the 429s' waits included)",
		guilds, members, duration, len(commands), limited, p50.Round(time.Millisecond), p95.Round(time.Millisecond), p99.Round(time.Millisecond))
}
