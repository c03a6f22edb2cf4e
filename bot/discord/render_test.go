package discord

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/disputebot/disputebot/bot"
	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/notify"
)

func TestEscapeNeutralisesHostileText(t *testing.T) {
	tests := []struct {
		name, in string
		never    []string // substrings that must not survive
	}{
		{"everyone", "Breaking @everyone look", []string{"@everyone"}},
		{"here", "@here now", []string{"@here"}},
		{"user mention", "hi <@123456789012345678>", []string{"<@1"}},
		{"role mention", "<@&123456789012345678> ping", []string{"<@&"}},
		{"masked link", "[click me](https://evil.example/)", []string{"[click me](", "](https"}},
		{"bold", "**loud**", []string{"**loud**"}},
		{"code", "`rm -rf`", nil},
		{"bidi override", "abc\u202Egnp.exe", []string{"\u202E"}},
		{"zero width hides a ping", "@\u200beveryone", []string{"\u200b\u200b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Escape(tt.in)
			// Every markdown character must be escaped.
			prev := rune(0)
			for _, r := range got {
				if strings.ContainsRune("*_~`|[]", r) && prev != '\\' {
					t.Errorf("Escape(%q) = %q leaves %q unescaped", tt.in, got, r)
				}
				prev = r
			}
			for _, n := range tt.never {
				if strings.Contains(got, n) {
					t.Errorf("Escape(%q) = %q still holds %q", tt.in, got, n)
				}
			}
		})
	}
}

func TestLinkShowsOnlyWhatTheSourceGave(t *testing.T) {
	if got := link("Read this", "javascript:alert(1)"); strings.Contains(got, "](") {
		t.Errorf("non-http link rendered: %q", got)
	}
	if got := link("https://bank.example/login", "https://evil.example/"); strings.Contains(got, "bank.example") {
		t.Errorf("a link text showing another address: %q", got)
	}
	if got := link("x", "https://example.com/a_(b)"); !strings.Contains(got, "%28b%29") {
		t.Errorf("parenthesis not encoded: %q", got)
	}
}

func TestEmbedStaysWithinLimits(t *testing.T) {
	huge := strings.Repeat("Musk sues Microsoft @everyone **again** ", 3000) // ~120 KB
	r := bot.Reply{Title: huge, URL: "https://example.com/", Body: huge, Footer: huge}
	for i := 0; i < 30; i++ {
		r.Items = append(r.Items, bot.Item{Title: huge, URL: "https://example.com/x", Label: huge, Text: huge, Extras: []bot.Link{{Label: huge, URL: "https://example.com/y"}}})
	}
	e, _ := Embed(r)
	if n := utf8.RuneCountInString(e.Title); n > maxEmbedTitle {
		t.Errorf("title %d", n)
	}
	if n := utf8.RuneCountInString(e.Description); n > maxEmbedDescription {
		t.Errorf("description %d", n)
	}
	if len(e.Fields) > maxFields {
		t.Errorf("%d fields", len(e.Fields))
	}
	for _, f := range e.Fields {
		if utf8.RuneCountInString(f.Name) > maxFieldName || utf8.RuneCountInString(f.Value) > maxFieldValue {
			t.Errorf("field over its limits: %d/%d", utf8.RuneCountInString(f.Name), utf8.RuneCountInString(f.Value))
		}
	}
	if n := embedSize(e); n > maxEmbedTotal {
		t.Errorf("embed totals %d characters", n)
	}
	if strings.Contains(e.Description, "@everyone") || strings.Contains(e.Title, "**again**") {
		t.Error("hostile text survived in the embed")
	}
	// The same reply as plain text, for a channel without Embed Links.
	p := PlainText(r)
	if n := utf8.RuneCountInString(p); n > maxContent {
		t.Errorf("plain text of %d characters", n)
	}
	if strings.Contains(p, "@everyone") || strings.Contains(p, "**again**") {
		t.Error("hostile text survived in the plain text")
	}
}

// TestPlainTextKeepsEveryEntryLink: when a timeline page is too long for a
// message, the entries lose their summaries, not their links.
func TestPlainTextKeepsEveryEntryLink(t *testing.T) {
	r := bot.Reply{Title: "Epic Games vs Apple", Body: strings.Repeat("A summary sentence. ", 40)}
	for i := 1; i <= 5; i++ {
		u := fmt.Sprintf("https://news.example.com/%d", i)
		r.Items = append(r.Items, bot.Item{Title: fmt.Sprintf("Entry %d", i), URL: u, Label: fmt.Sprintf("[%d] 2024-0%d-01 · Outlet", i, i), Text: strings.Repeat("Detail. ", 50)})
	}
	p := PlainText(r)
	if n := utf8.RuneCountInString(p); n > maxContent {
		t.Fatalf("%d characters", n)
	}
	for i := 1; i <= 5; i++ {
		if !strings.Contains(p, fmt.Sprintf("(https://news.example.com/%d)", i)) {
			t.Errorf("entry %d's link is missing:\n%s", i, p)
		}
	}
	if !strings.HasPrefix(p, noEmbedLinks) {
		t.Error("the plain text does not say why it is plain")
	}
}

func TestRewriteTransportTargetsTheConfiguredAPI(t *testing.T) {
	var got string
	stop := errors.New("stop")
	rt := Rewrite("http://127.0.0.1:9/api/v10", roundTripper(func(r *http.Request) (*http.Response, error) {
		got = r.URL.String()
		return nil, stop
	}))
	req, _ := http.NewRequest("POST", "https://discord.com/api/v9/channels/1/messages", nil)
	rt.RoundTrip(req)
	if got != "http://127.0.0.1:9/api/v10/channels/1/messages" {
		t.Errorf("rewritten to %q", got)
	}
	req, _ = http.NewRequest("GET", "https://cdn.discordapp.com/x.png", nil)
	rt.RoundTrip(req)
	if got != "https://cdn.discordapp.com/x.png" {
		t.Errorf("a non-API address was rewritten to %q", got)
	}
}

// TestHostileFeedItemNotice renders a digest of feed items whose titles
// and summaries carry mentions, masked links, markup, invisible characters,
// HTML and 100 KB of text: nothing pings, the only links are the items'
// own addresses, and the embed fits Discord's limits.
func TestHostileFeedItemNotice(t *testing.T) {
	hostile := []*article.Article{
		{Title: "@everyone Breaking: [free nitro](https://evil.example/steal) <@&1234567890>", URL: "https://news.example.com/a", Site: "Example @here",
			Summary: "<script>alert(1)</script> **bold** `code` \u202egnp.exe @everyone", Parties: []string{"Elon Musk"}},
		{Title: strings.Repeat("Musk sues Microsoft ", 5000), URL: "https://news.example.com/b", Summary: strings.Repeat("x", 100_000)},
		{Title: "javascript link", URL: "javascript:alert(1)", Summary: "no link here"},
	}
	r := bot.NoticeReply(notify.Notice{Target: "dm:1", Articles: hostile}, "!")
	e, _ := Embed(r)
	all := e.Title + e.Description
	for _, f := range e.Fields {
		all += f.Name + f.Value
	}
	for _, bad := range []string{"@everyone", "@here", "<@&", "](https://evil", "**bold**", "\u202e", "javascript:"} {
		if strings.Contains(all, bad) {
			t.Errorf("the notice carries %q", bad)
		}
	}
	for _, m := range regexp.MustCompile(`\]\((https?://[^)]*)\)`).FindAllStringSubmatch(all, -1) {
		if m[1] != "https://news.example.com/a" && m[1] != "https://news.example.com/b" {
			t.Errorf("a link the source did not give: %s", m[1])
		}
	}
	if n := embedSize(e); n > maxEmbedTotal {
		t.Errorf("the notice is %d characters", n)
	}
}
