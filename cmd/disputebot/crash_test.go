package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/disputebot/disputebot/bot/discord/discordtest"
	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/library"
)

// child starts this test binary as the disputebot command (see TestMain),
// returns once a line of its output contains ready, and leaves it running.
func child(t *testing.T, vars map[string]string, ready string, args ...string) *exec.Cmd {
	t.Helper()
	return startProc(t, vars, ready, args...).cmd
}

// proc is this test binary running as the disputebot command.
type proc struct {
	cmd  *exec.Cmd
	logs *syncBuffer // its output
	done chan struct{}
}

// startProc starts this test binary as the disputebot command with args
// and vars, keeping its output, and returns once a line of it contains
// ready. The process is killed, if still running, when the test ends.
func startProc(t testing.TB, vars map[string]string, ready string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "DISPUTEBOT_AS_MAIN=1", "DISPUTEBOT_ARGS="+strings.Join(args, "\x1f"))
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, logs: &syncBuffer{}, done: make(chan struct{})}
	seen := make(chan struct{})
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		once := false
		for sc.Scan() {
			p.logs.Write([]byte(sc.Text() + "\n"))
			if !once && strings.Contains(sc.Text(), ready) {
				once = true
				close(seen)
			}
		}
		if !once {
			close(seen)
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		<-p.done
	})
	select {
	case <-seen:
	case <-time.After(60 * time.Second):
		t.Fatalf("%v never printed %q:\n%s", args, ready, p.logs.String())
	}
	return p
}

// TestKillRestartLosesNothing kills disputebot with SIGKILL at random
// moments while it ingests, polls feeds and delivers notices, restarting it
// each time, then lets it finish. Afterwards the store passes SQLite's
// integrity check, the index agrees with the store, every article is
// findable, and every feed item reached the subscriber exactly once.
func TestKillRestartLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills real processes")
	}
	cycles := 50
	if n, err := strconv.Atoi(os.Getenv("DISPUTEBOT_KILL_CYCLES")); err == nil {
		cycles = n
	}
	fake := fakeDiscord(t)
	site := newFeedServer(t)
	vars := serveVars(t, fake)
	vars["NOTIFY_DIGEST_WINDOW"] = "100ms"
	vars["LOG_LEVEL"] = "info"
	dir := vars["DATA_DIR"]

	p := startBot(t, fake, vars)
	fake.SendMessage(guildA, chanA, modUser, "!feed add "+site.URL+"/feed.xml <#"+newsA+">")
	fake.SendMessage(guildA, chanA, member, "!subscribe musk microsoft")
	waitFor(t, fake, "the subscription", func(m discordtest.Message) bool { return strings.Contains(text(m), "Subscribed (#") })
	waitFor(t, fake, "the feed", func(m discordtest.Message) bool { return strings.Contains(text(m), "Following feed") })
	p.stop()

	rng := rand.New(rand.NewPCG(5, 6))
	var items, ingested []string
	kills := map[string]int{}
	for i := 0; i < cycles; i++ {
		path := fmt.Sprintf("/item-%d", i)
		site.add(fmt.Sprintf("guid-%d", i), path, time.Now())
		items = append(items, path)
		var cmd *exec.Cmd
		if i%2 == 0 {
			var urls []string
			for j := 0; j < 30; j++ {
				u := fmt.Sprintf("%s/cli-%d-%d", site.URL, i, j)
				urls = append(urls, u)
				ingested = append(ingested, u)
			}
			cmd = child(t, vars, "✓", append([]string{"ingest"}, urls...)...)
			kills["ingest"]++
		} else {
			cmd = child(t, vars, "disputebot is serving", "serve")
			kills["serve"]++
		}
		time.Sleep(time.Duration(rng.IntN(900)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}

	// Let it finish: every feed item reaches the subscriber, once.
	p = startBot(t, fake, vars)
	for _, path := range items {
		waitFor(t, fake, "the DM about "+path, func(m discordtest.Message) bool { return m.DMUserID == member && links(m)[site.URL+path] })
	}
	time.Sleep(2 * time.Second)
	p.stop()
	counts := map[string]int{}
	for _, m := range dmsTo(fake, member) {
		for u := range links(m) {
			counts[u]++
		}
	}
	for _, path := range items {
		if n := counts[site.URL+path]; n != 1 {
			t.Errorf("%s reached the subscriber %d times, want exactly once", path, n)
		}
	}

	lib, err := library.Open(context.Background(), library.Options{DataDir: dir, DatabaseURL: vars["DATABASE_URL"]})
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	ctx := context.Background()
	if res, err := lib.Store.IntegrityCheck(ctx); err != nil || res != "ok" {
		t.Errorf("integrity check: %q %v", res, err)
	}
	docs, _ := lib.Index.Count()
	rows, _ := lib.Store.CountArticles(ctx)
	if docs != uint64(rows) {
		t.Errorf("index %d documents, store %d articles", docs, rows)
	}
	stored := 0
	for _, u := range ingested {
		if _, err := lib.Store.ArticleByURL(ctx, u); err == nil {
			stored++
			word := strings.TrimPrefix(u, site.URL+"/")
			a, err := lib.Engine.Ask(ctx, answer.Request{Query: "clash " + word, TextOnly: true})
			if err != nil || len(a.Entries) == 0 {
				t.Errorf("%s is stored but not findable", u)
			}
		}
	}
	if stored == 0 {
		t.Error("no article was ingested between kills: the kills proved nothing")
	}
	t.Logf("%d kills (%d during ingest, %d while serving: polling and delivering); %d of %d command-line articles stored; %d feed items each delivered once",
		cycles, kills["ingest"], kills["serve"], stored, len(ingested), len(items))
}

// linkTarget matches the address of a markdown link, or an embed's own.
var linkTarget = regexp.MustCompile(`\]\((https?://[^)\s]+)\)|^(https?://\S+)$`)

// links are the addresses a message links to.
func links(m discordtest.Message) map[string]bool {
	out := map[string]bool{}
	for _, e := range m.Embeds {
		if e.URL != "" {
			out[e.URL] = true
		}
		for _, f := range e.Fields {
			for _, l := range linkTarget.FindAllStringSubmatch(f.Value, -1) {
				out[l[1]+l[2]] = true
			}
		}
	}
	return out
}
