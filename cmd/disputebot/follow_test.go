package main

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/disputebot/disputebot/bot/discord/discordtest"
	"github.com/disputebot/disputebot/internal/store/pgtest"
)

// TestBotAnswersWhatAnotherMachineIngested: the bot runs on PostgreSQL;
// an operator on another machine (another data folder, the same
// DATABASE_URL) ingests an article. The bot's next answer has it, without
// a restart: its index follows the shared store.
func TestBotAnswersWhatAnotherMachineIngested(t *testing.T) {
	url := pgtest.URL(t)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><head><title>Zorblat sues Quuxcorp over widget patents</title></head><body>
		<p>Zorblat filed a lawsuit against Quuxcorp on Monday over four widget patents, asking a federal court for damages.</p>
		<p>Quuxcorp said the claims were baseless and that it would defend itself in court.</p></body></html>`)
	}))
	defer page.Close()
	fake := fakeDiscord(t)
	vars := serveVars(t, fake)
	vars["DATABASE_URL"] = url
	p := startBot(t, fake, vars)
	defer p.stop()

	fake.SendMessage(guildA, chanA, member, "!search zorblat widget")
	waitFor(t, fake, "the answer before", func(m discordtest.Message) bool { return strings.Contains(text(m), "Nothing I have read matches") })

	elsewhere := maps.Clone(vars)
	elsewhere["DATA_DIR"] = t.TempDir()
	if code, _, stderr := runCLI(t, elsewhere, "ingest", page.URL+"/zorblat"); code != 0 {
		t.Fatalf("ingest on the other machine: exit %d: %s", code, stderr)
	}
	// The bot takes the article when PostgreSQL tells it of the commit,
	// moments after the ingest returns: the member asks again until it
	// is there, for at most the follower's ten-second fallback and a bit.
	found := func(ms []discordtest.Message) bool {
		for _, m := range ms {
			if strings.Contains(text(m), "Zorblat sues Quuxcorp") {
				return true
			}
		}
		return false
	}
	for start := time.Now(); ; {
		fake.SendMessage(guildA, chanA, member, "!search zorblat widget")
		if _, ok := fake.WaitMessages(found, 2*time.Second); ok {
			break
		}
		if time.Since(start) > 15*time.Second {
			t.Fatal("the bot did not answer with the article another machine ingested within 15 s")
		}
	}
}
