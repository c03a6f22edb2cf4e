package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/disputebot/disputebot/bot/discord/discordtest"
)

// TestWebServesPages runs disputebot web on a free port, with no Discord
// token, fetches a dispute page and its picture, and stops it as SIGINT
// would.
func TestWebServesPages(t *testing.T) {
	vars := map[string]string{"DATA_DIR": t.TempDir(), "WEB_ADDR": "127.0.0.1:0", "PUBLIC_URL": "https://disputes.example.org"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"web"}, outW, &stderr, env(vars))
		outW.Close()
		done <- code
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			if m := regexp.MustCompile(`serving the pages on (http://\S+)/ `).FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		close(addr)
	}()
	var base string
	select {
	case base = <-addr:
	case code := <-done:
		t.Fatalf("web exited %d before serving:\n%s", code, stderr.String())
	case <-time.After(2 * time.Minute):
		t.Fatal("web did not start")
	}
	if base == "" {
		t.Fatalf("web printed no address:\n%s", stderr.String())
	}
	client := &http.Client{Timeout: 30 * time.Second}
	fetch := func(path string) (*http.Response, string) {
		t.Helper()
		res, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, string(body)
	}
	res, body := fetch("/d/musk-microsoft")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{"Elon Musk vs Microsoft", "Where it stands:", `<img src="/d/musk-microsoft.png" alt="`,
		`<meta property="og:image" content="https://disputes.example.org/d/musk-microsoft.png">`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if res, _ := fetch("/d/musk-microsoft.png"); res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" {
		t.Errorf("picture: status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("web exited %d on interrupt:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("web did not stop")
	}
	if _, err := client.Get(base + "/"); err == nil {
		t.Error("the pages are still served after the interrupt")
	}
}

// TestWebNeedsItsSettings: web refuses to start without an address or a
// public URL, naming the variable, and takes no words.
func TestWebNeedsItsSettings(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		args []string
		code int
		want string
	}{
		{"no address", map[string]string{}, nil, 1, "WEB_ADDR"},
		{"no public URL", map[string]string{"WEB_ADDR": "127.0.0.1:0"}, nil, 1, "PUBLIC_URL"},
		{"a bad public URL", map[string]string{"WEB_ADDR": "127.0.0.1:0", "PUBLIC_URL": "javascript:alert(1)"}, nil, 1, "PUBLIC_URL"},
		{"words", map[string]string{"WEB_ADDR": "127.0.0.1:0", "PUBLIC_URL": "https://x.example"}, []string{"extra"}, 2, "web takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.vars["DATA_DIR"] = t.TempDir()
			code, _, stderr := runCLI(t, tt.vars, append([]string{"web"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %s", code, stderr, tt.code, tt.want)
			}
		})
	}
	code, stdout, _ := runCLI(t, map[string]string{}, "web", "--help")
	if code != 0 || !strings.Contains(stdout, "WEB_ADDR") {
		t.Errorf("web --help: exit %d, %q", code, stdout)
	}
}

// TestServeAlsoServesPages: with WEB_ADDR set, serve answers Discord and
// serves the pages beside it, each answer links to its page with a link
// signed for the server, and the pages stop when serve stops.
func TestServeAlsoServesPages(t *testing.T) {
	fake := fakeDiscord(t)
	vars := serveVars(t, fake)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	vars["WEB_ADDR"] = addr
	vars["PUBLIC_URL"] = "https://disputes.example.org"
	vars["WEB_LINK_SECRET"] = strings.Repeat("0123456789abcdef", 4)
	p := startBot(t, fake, vars)
	stopped := false
	defer func() {
		if !stopped {
			p.stop()
		}
	}()
	// The server's moderator adds a source of its own; the answer in the
	// server shows it, and so does the page its Full timeline button
	// opens, and no other link.
	site := newFeedServer(t)
	fake.SendMessage(guildA, chanA, modUser, "!source add "+site.URL+"/fresh-story")
	waitFor(t, fake, "confirming the source", func(m discordtest.Message) bool { return strings.Contains(text(m), "source #") })
	const own = "Musk and Microsoft clash again /fresh-story"
	fake.SendMessage(guildA, chanA, member, "!dispute musk microsoft")
	answer := waitFor(t, fake, "the answer", func(m discordtest.Message) bool {
		return m.ChannelID == chanA && strings.Contains(text(m), "Elon Musk vs Microsoft")
	})[0]
	_, full := buttonNamed(answer.Components, "Full timeline")
	if !strings.HasPrefix(full, "https://disputes.example.org/d/musk-microsoft?") || !strings.Contains(full, "g="+guildA) {
		t.Fatalf("Full timeline button %q, want the dispute's page signed for the server (components %s)", full, answer.Components)
	}
	page := func(link string) string {
		t.Helper()
		res, err := http.Get("http://" + addr + strings.TrimPrefix(link, "https://disputes.example.org"))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return string(body)
	}
	if body := page(full); !strings.Contains(body, own) {
		t.Errorf("the page the button opens lacks the server's own source %q", own)
	}
	if body := page("/d/musk-microsoft"); strings.Contains(body, own) {
		t.Error("the unsigned page shows the server's own source")
	}
	if body := page(strings.Replace(full, "g="+guildA, "g="+guildB, 1)); strings.Contains(body, own) || !strings.Contains(body, "not one the bot made") {
		t.Error("a link altered to name another server shows the source, or does not say it was altered")
	}
	for _, path := range []string{"/", "/d/musk-microsoft", "/d/musk-microsoft.png"} {
		res, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: status %d, X-Frame-Options %q", path, res.StatusCode, res.Header.Get("X-Frame-Options"))
		}
	}
	p.stop()
	stopped = true
	if _, err := http.Get("http://" + addr + "/"); err == nil {
		t.Error("the pages are still served after serve stopped")
	}
}
