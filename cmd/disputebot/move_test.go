package main

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disputebot/disputebot/bot/discord/discordtest"
	"github.com/disputebot/disputebot/internal/store/pgtest"
)

// TestMoveBetweenStores moves a serving bot's data folder, with a feed,
// subscriptions, an alias and notices still waiting to be sent, from
// SQLite to PostgreSQL (SQLite again when no PostgreSQL is at hand) and
// back, with export and import; every answer is the same at each step,
// and the bot started on the last store sends each waiting notice once.
func TestMoveBetweenStores(t *testing.T) {
	fake := fakeDiscord(t)
	site := newFeedServer(t)
	site.add("old-1", "/old-1", time.Now().Add(-72*time.Hour))
	sqliteVars := serveVars(t, fake)
	delete(sqliteVars, "DATABASE_URL")
	sqliteVars["NOTIFY_DIGEST_WINDOW"] = "3s" // the notices wait while the bot stops
	sqliteVars["LOG_LEVEL"] = "warn"

	p := startBot(t, fake, sqliteVars)
	fake.SendMessage(guildA, chanA, modUser, "!feed add "+site.URL+"/feed.xml <#"+newsA+">")
	waitFor(t, fake, "the feed", func(m discordtest.Message) bool { return strings.Contains(text(m), "Following feed #") })
	fake.SendMessage(guildA, chanA, member, "!subscribe musk microsoft")
	waitFor(t, fake, "the subscription", func(m discordtest.Message) bool { return strings.Contains(text(m), "Subscribed (#") })
	fake.SendMessage(guildA, chanA, modUser, "!alias add chief twit = Elon Musk")
	waitFor(t, fake, "the alias", func(m discordtest.Message) bool { return strings.Contains(text(m), "chief twit") })
	waitUntil(t, "the first poll", func() bool { return feedItems(t, sqliteVars) >= 1 })
	site.add("moved-1", "/moved-1", time.Now())
	waitUntil(t, "the new item's notices", func() bool { return queued(t, sqliteVars) >= 2 })
	p.stop()
	if n := len(dmsTo(fake, member)) + len(messagesIn(fake, newsA)); n != 0 {
		t.Fatalf("%d notices went out before the move; they should still wait", n)
	}

	questions := [][]string{
		{"ask", "--json", "--guild", guildA, "musk", "microsoft"},
		{"ask", "--json", "--guild", guildA, "chief", "twit"},
		{"ask", "--json", "epic", "apple"},
		{"disputes", "--json"},
	}
	answers := func(vars map[string]string) map[string]string {
		out := map[string]string{}
		for _, q := range questions {
			code, stdout, stderr := runCLI(t, vars, q...)
			if code != 0 {
				t.Fatalf("%v: exit %d: %s", q, code, stderr)
			}
			out[strings.Join(q, " ")] = stdout
		}
		return out
	}
	before := answers(sqliteVars)
	if !strings.Contains(before["ask --json --guild "+guildA+" musk microsoft"], "/moved-1") {
		t.Fatal("the new item is not in guild A's answer before the move")
	}

	dumps := t.TempDir()
	move := func(from, to map[string]string, file string) {
		t.Helper()
		path := filepath.Join(dumps, file)
		if code, _, stderr := runCLI(t, from, "export", path); code != 0 || !strings.Contains(stderr, "exported") {
			t.Fatalf("export: exit %d: %s", code, stderr)
		}
		code, stdout, stderr := runCLI(t, to, "import", path)
		if code != 0 || !strings.Contains(stdout, "imported") || !strings.Contains(stdout, "index built") {
			t.Fatalf("import: exit %d: %s %s", code, stdout, stderr)
		}
		if after := answers(to); !maps.Equal(after, before) {
			for q := range before {
				if after[q] != before[q] {
					t.Errorf("after moving to %s, %q answers differently:\n%s\nwas\n%s", file, q, after[q], before[q])
				}
			}
		}
	}
	middle := maps.Clone(sqliteVars)
	middle["DATA_DIR"] = t.TempDir()
	if os.Getenv(pgtest.Env) != "" {
		middle["DATABASE_URL"] = pgtest.URL(t)
	} else {
		t.Log("moving through a second SQLite store: " + pgtest.SkipMessage)
	}
	move(sqliteVars, middle, "to-middle.jsonl")
	last := maps.Clone(sqliteVars)
	last["DATA_DIR"] = t.TempDir()
	move(middle, last, "back.jsonl")

	// Importing over data is refused, and changes nothing.
	code, _, stderr := runCLI(t, last, "import", filepath.Join(dumps, "back.jsonl"))
	if code != 1 || !strings.Contains(stderr, "already holds data") || !strings.Contains(stderr, "nothing was changed") {
		t.Errorf("import over data: exit %d: %s", code, stderr)
	}

	p = startBot(t, fake, last)
	defer p.stop()
	waitFor(t, fake, "the subscriber's DM", func(m discordtest.Message) bool { return m.DMUserID == member && strings.Contains(text(m), "/moved-1") })
	waitFor(t, fake, "the feed channel's post", func(m discordtest.Message) bool { return m.ChannelID == newsA && strings.Contains(text(m), "/moved-1") })
	time.Sleep(4 * time.Second) // more polls, and the digest window, pass
	if n := len(dmsTo(fake, member)); n != 1 {
		t.Errorf("the subscriber got %d DMs, want exactly 1", n)
	}
	if n := len(messagesIn(fake, newsA)); n != 1 {
		t.Errorf("the feed channel got %d posts, want exactly 1", n)
	}
}
