package main

import (
	"os"

	"path/filepath"
	"strings"
	"testing"

	"github.com/disputebot/disputebot/bot/discord/discordtest"
)

// TestCommandLineBesideTheBot runs serve against the fake Discord and the
// command line on the same data folder: ask, disputes, ingest and
// reindex are carried out by the running bot and print what they print
// alone; the socket is its owner's only, and gone once the bot stops.
func TestCommandLineBesideTheBot(t *testing.T) {
	fake := fakeDiscord(t)
	vars := serveVars(t, fake)
	vars["LOG_LEVEL"] = "warn"
	alone := map[string]string{}
	questions := [][]string{{"ask", "musk", "microsoft"}, {"ask", "--json", "epic", "apple"}, {"disputes"}, {"ask", "nothing", "matches", "zzyzx"}}
	for _, q := range questions {
		code, stdout, stderr := runCLI(t, vars, q...)
		alone[strings.Join(q, " ")] = stdout + "|" + stderr + "|" + string(rune('0'+code))
	}
	p := startBot(t, fake, vars)
	stopped := false
	defer func() {
		if !stopped {
			p.stop()
		}
	}()
	sock := filepath.Join(vars["DATA_DIR"], socketName)
	waitUntil(t, "the command line socket", func() bool { _, err := os.Stat(sock); return err == nil })
	if st, _ := os.Stat(sock); st.Mode().Perm()&0o077 != 0 {
		t.Errorf("the socket has mode %v", st.Mode().Perm())
	}
	for _, q := range questions {
		code, stdout, stderr := runCLI(t, vars, q...)
		if got := stdout + "|" + stderr + "|" + string(rune('0'+code)); got != alone[strings.Join(q, " ")] {
			t.Errorf("%v beside the bot:\n%s\nalone:\n%s", q, got, alone[strings.Join(q, " ")])
		}
	}
	page := filepath.Join(t.TempDir(), "page.html")
	os.WriteFile(page, []byte(`<html><head><title>Musk and Microsoft clash again over data</title></head><body><p>Elon Musk accused Microsoft of misusing Twitter data in a new lawsuit filed on Monday, his lawyers said.</p></body></html>`), 0o600)
	rel, _ := filepath.Rel(mustGetwd(t), page)
	code, stdout, stderr := runCLI(t, vars, "ingest", "--url", "https://news.example.com/clash", rel)
	if code != 0 || !strings.Contains(stdout, "Musk and Microsoft clash again") {
		t.Fatalf("ingest beside the bot: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, stdout, _ := runCLI(t, vars, "ask", "musk", "microsoft"); !strings.Contains(stdout, "news.example.com/clash") {
		t.Error("the bot does not answer with the article ingested beside it")
	}
	if code, stdout, stderr := runCLI(t, vars, "reindex"); code != 0 || !strings.Contains(stdout, "index rebuilt") {
		t.Errorf("reindex beside the bot: exit %d\n%s%s", code, stdout, stderr)
	}

	// A server's source added from the command line goes through the
	// bot's own use case: the server's subscriber is told, and the
	// server's moderators see it in !sources.
	site := newFeedServer(t)
	fake.SendMessage(guildA, chanA, member, "!subscribe musk microsoft")
	waitFor(t, fake, "the subscription", func(m discordtest.Message) bool { return strings.Contains(text(m), "Subscribed (#") })
	code, stdout, stderr = runCLI(t, vars, "source", "--guild", guildA, "add", site.URL+"/from-the-cli")
	if code != 0 || !strings.Contains(stdout, "added source #") {
		t.Fatalf("source add beside the bot: exit %d\n%s%s", code, stdout, stderr)
	}
	waitFor(t, fake, "the subscriber's DM about the CLI's source", func(m discordtest.Message) bool {
		return m.DMUserID == member && strings.Contains(text(m), "/from-the-cli")
	})
	fake.SendMessage(guildA, chanA, modUser, "!sources")
	waitFor(t, fake, "the source in !sources", func(m discordtest.Message) bool {
		return m.ChannelID == chanA && strings.Contains(text(m), "/from-the-cli")
	})

	fake.SendMessage(guildA, chanA, member, "!dispute musk microsoft")
	waitFor(t, fake, "an answer after the reindex", func(m discordtest.Message) bool { return m.ChannelID == chanA && strings.Contains(text(m), "Musk") })
	p.stop()
	stopped = true
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("the socket outlived the bot: %v", err)
	}
}

func mustGetwd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}
