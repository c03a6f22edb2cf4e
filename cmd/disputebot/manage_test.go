package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestCommandLineManagesAServersSources: an operator adds, lists and
// removes a server's sources and feeds with --guild; what is added is in
// that server's answers only, and gone from them once removed; mistakes
// get a sentence, and another server's numbers are not found.
func TestCommandLineManagesAServersSources(t *testing.T) {
	site := newFeedServer(t)
	site.add("item-1", "/item-1", time.Now())
	vars := storeVars(t, map[string]string{"DATA_DIR": t.TempDir(), "FETCH_ALLOW_PRIVATE": "true", "LOG_LEVEL": "warn", "FEED_MIN_INTERVAL": "1m"})
	cli := func(want int, args ...string) string {
		t.Helper()
		code, stdout, stderr := runCLI(t, vars, args...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\n%s%s", args, code, want, stdout, stderr)
		}
		return stdout + stderr
	}
	out := cli(0, "source", "--guild", guildA, "add", site.URL+"/story-a")
	if !strings.Contains(out, "added source #1 for server "+guildA) || !strings.Contains(out, "Elon Musk") {
		t.Errorf("source add: %s", out)
	}
	if !strings.Contains(cli(0, "ask", "--guild", guildA, "musk", "microsoft"), "/story-a") {
		t.Error("the source is not in the server's answers")
	}
	if strings.Contains(cli(0, "ask", "--guild", guildB, "musk", "microsoft"), "/story-a") {
		t.Error("the source is in another server's answers")
	}
	if out := cli(1, "source", "--guild", guildA, "add", site.URL+"/story-a"); !strings.Contains(out, "already has that source (#1)") {
		t.Errorf("the same source again: %s", out)
	}

	out = cli(0, "feed", "add", site.URL+"/feed.xml", "--guild", guildA, "--channel", newsA, "--every", "30m")
	if !strings.Contains(out, "following feed #2") || !strings.Contains(out, "1 item now") || !strings.Contains(out, "every 30m0s") || !strings.Contains(out, "channel "+newsA) {
		t.Errorf("feed add: %s", out)
	}
	if out := cli(1, "feed", "--guild", guildA, "add", site.URL+"/feed.xml", "--every", "10s"); !strings.Contains(out, "at most every 1m0s") {
		t.Errorf("too frequent: %s", out)
	}
	var feeds []sourceJSON
	if err := json.Unmarshal([]byte(cli(0, "feed", "--guild", guildA, "list", "--json")), &feeds); err != nil || len(feeds) != 1 || feeds[0].Channel != newsA || feeds[0].Interval != "30m0s" {
		t.Errorf("feed list --json: %+v %v", feeds, err)
	}
	if out := cli(0, "source", "--guild", guildA); !strings.Contains(out, "#1") || !strings.Contains(out, "/story-a") {
		t.Errorf("source list: %s", out)
	}

	// Another server finds none of it, by number or address.
	if out := cli(1, "source", "--guild", guildB, "remove", "1"); !strings.Contains(out, "has no source \"1\"") {
		t.Errorf("B removing A's source: %s", out)
	}
	if out := cli(1, "feed", "--guild", guildB, "remove", site.URL+"/feed.xml"); !strings.Contains(out, "has no feed") {
		t.Errorf("B removing A's feed: %s", out)
	}
	if out := cli(0, "source", "--guild", guildA, "remove", site.URL+"/story-a?utm_source=x"); !strings.Contains(out, "removed source #1") || !strings.Contains(out, "1 article it brought left") {
		t.Errorf("source remove by address: %s", out)
	}
	if strings.Contains(cli(0, "ask", "--guild", guildA, "musk", "microsoft"), "/story-a") {
		t.Error("a removed source is still in the server's answers")
	}
	if out := cli(0, "feed", "--guild", guildA, "remove", "2"); !strings.Contains(out, "removed feed #2") {
		t.Errorf("feed remove: %s", out)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"source", "add", site.URL + "/x"}, 2, "needs --guild"},
		{[]string{"source", "--guild", "abc", "list"}, 2, "needs --guild"},
		{[]string{"source", "--guild", guildA, "frobnicate"}, 2, "add URL, remove NUMBER|URL, or list"},
		{[]string{"source", "--guild", guildA, "add"}, 2, "add URL"},
		{[]string{"feed", "--guild", guildA, "list", "--every", "1h"}, 2, "go with feed add"},
		{[]string{"feed", "--guild", guildA, "add", site.URL + "/feed.xml", "--channel", "general"}, 2, "channel's id"},
		{[]string{"source", "--guild", guildA, "add", "ftp://example.com/x"}, 1, "must start with http"},
		{[]string{"source", "--guild", guildA, "add", "http://10.0.0.1/x"}, 1, "private"},
	} {
		code, stdout, stderr := runCLI(t, map[string]string{"DATA_DIR": vars["DATA_DIR"], "DATABASE_URL": vars["DATABASE_URL"], "LOG_LEVEL": "warn"}, c.args...)
		if code != c.code || !strings.Contains(stdout+stderr, c.want) || strings.Contains(stderr, "goroutine") {
			t.Errorf("%v: exit %d, %q; want %d and %q", c.args, code, stdout+stderr, c.code, c.want)
		}
	}
}
