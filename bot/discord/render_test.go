package discord

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"golang.org/x/text/unicode/norm"

	"github.com/disputebot/disputebot/bot"
	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
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
	if got := link("x", "https://example.com/a_(b)"); !strings.Contains(got, "%28b%29") {
		t.Errorf("parenthesis not encoded: %q", got)
	}
}

// TestLinkNeverShowsAnotherHost renders titles and outlets that name a
// site, disguised or not, over links to another: the text must stay
// readable but outside the masked link, which shows its own host. Names of
// the link's own site, or of a parent domain of it, stay linked.
func TestLinkNeverShowsAnotherHost(t *testing.T) {
	const evil = "https://evil.example/x"
	const reuters = "https://www.reuters.com/legal/x"
	tests := []struct {
		name, text, url string
		want            string   // the rendered markdown
		foreign         []string // what no masked link's visible text may name
	}{
		{"bare domain with a path", "paypal.com/login", evil,
			"paypal.com/login · [evil.example](" + evil + ")", []string{"paypal"}},
		{"fullwidth www", "ｗｗｗ.paypal.com", evil,
			"ｗｗｗ.paypal.com · [evil.example](" + evil + ")", []string{"paypal"}},
		{"fullwidth colon", "https：//paypal.com", evil,
			"https：//paypal.com · [evil.example](" + evil + ")", []string{"paypal"}},
		{"domain inside a sentence", "Visit paypal.com now", evil,
			"Visit paypal.com now · [evil.example](" + evil + ")", []string{"paypal"}},
		{"headline naming a company's domain", "Amazon.com sues the FTC", reuters,
			"Amazon.com sues the FTC · [www.reuters.com](" + reuters + ")", []string{"amazon"}},
		{"ideographic full stop", "paypal\u3002com", evil,
			"paypal\u3002com · [evil.example](" + evil + ")", []string{"paypal"}},
		{"fullwidth full stop", "paypal\uFF0Ecom", evil,
			"paypal\uFF0Ecom · [evil.example](" + evil + ")", []string{"paypal"}},
		{"halfwidth ideographic full stop", "paypal\uFF61com", evil,
			"paypal\uFF61com · [evil.example](" + evil + ")", []string{"paypal"}},
		{"one dot leader", "paypal\u2024com", evil,
			"paypal\u2024com · [evil.example](" + evil + ")", []string{"paypal"}},
		{"division slash and ratio colon", "https\u2236\u2215\u2215192.0.2.1\u2215login", evil,
			"https\u2236\u2215\u2215192.0.2.1\u2215login · [evil.example](" + evil + ")", []string{"192.0.2.1"}},
		{"fullwidth solidus after the domain", "paypal.com\uFF0Flogin", evil,
			"paypal.com\uFF0Flogin · [evil.example](" + evil + ")", []string{"paypal"}},
		{"zero width space inside", "paypal\u200b.com", evil,
			"paypal.com · [evil.example](" + evil + ")", []string{"paypal"}},
		{"cyrillic letter", "p\u0430ypal.com", evil,
			"p\u0430ypal.com · [evil.example](" + evil + ")", []string{"ypal"}},
		{"address with a scheme", "https://bank.example/login", evil,
			"https\\://bank.example/login · [evil.example](" + evil + ")", []string{"bank"}},
		{"IP address with a scheme", "http://192.0.2.1/login", evil,
			"http\\://192.0.2.1/login · [evil.example](" + evil + ")", []string{"192.0.2.1"}},
		{"userinfo naming a trusted site", "https://www.reuters.com@evil.example/", evil,
			"https\\://www.reuters.com@\u200bevil.example/ · [evil.example](" + evil + ")", []string{"reuters"}},
		{"trusted name as a subdomain of another", "reuters.com", "https://reuters.com.evil.example/",
			"reuters.com · [reuters.com.evil.example](https://reuters.com.evil.example/)", nil},

		{"plain headline", "Musk sues Microsoft", reuters, "[Musk sues Microsoft](" + reuters + ")", nil},
		{"abbreviations are not domains", "U.S. sues Google, Apple et al.", reuters, "[U.S. sues Google, Apple et al.](" + reuters + ")", nil},
		{"parent domain of the link's host", "reuters.com", reuters, "[reuters.com](" + reuters + ")", nil},
		{"the link's own host", "www.reuters.com", "https://reuters.com/x", "[www.reuters.com](https://reuters.com/x)", nil},
		{"own host in capitals with a trailing dot", "Reuters.COM.", reuters, "[Reuters.COM.](" + reuters + ")", nil},
		{"own address shown as its host", reuters + "?utm=1", reuters, "[www.reuters.com](" + reuters + ")", nil},
		{"fullwidth own host", "ｒｅｕｔｅｒｓ.com", reuters, "[ｒｅｕｔｅｒｓ.com](" + reuters + ")", nil},
		{"no usable address", "paypal.com", "javascript:alert(1)", "paypal.com", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := link(tt.text, tt.url)
			if got != tt.want {
				t.Errorf("link(%q, %q)\n got %q\nwant %q", tt.text, tt.url, got, tt.want)
			}
			for _, l := range maskedLinks(got) {
				if l.url != safeURL(tt.url) {
					t.Errorf("a masked link to %q, not %q", l.url, tt.url)
				}
				seen := strings.ToLower(norm.NFKC.String(l.text))
				for _, f := range tt.foreign {
					if strings.Contains(seen, f) {
						t.Errorf("the masked link to %s shows %q, naming %q", l.url, l.text, f)
					}
				}
			}
		})
	}
}

// maskedLink is a masked link found in rendered markdown.
type maskedLink struct{ text, url string }

// maskedLinks finds the masked links in markdown as Discord would: an
// unescaped "[", the text to an unescaped "]", then "(address)". The text
// is returned as displayed, escapes and zero-width spaces removed.
func maskedLinks(md string) []maskedLink {
	var out []maskedLink
	r := []rune(md)
	for i := 0; i < len(r); i++ {
		if r[i] == '\\' {
			i++
			continue
		}
		if r[i] != '[' {
			continue
		}
		var text []rune
		j := i + 1
		for ; j < len(r) && r[j] != ']'; j++ {
			if r[j] == '\\' && j+1 < len(r) {
				j++
			}
			if r[j] != '\u200b' {
				text = append(text, r[j])
			}
		}
		if j+1 >= len(r) || r[j+1] != '(' {
			continue
		}
		rest := string(r[j+2:])
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			continue
		}
		out = append(out, maskedLink{string(text), rest[:end]})
	}
	return out
}

// TestEmbedTitleNeverShowsAnotherHost: an embed's title with a URL is a
// masked link too. A title naming another site loses its URL, and the
// link opens the description under its own host's name.
func TestEmbedTitleNeverShowsAnotherHost(t *testing.T) {
	const reuters = "https://www.reuters.com/legal/x"
	tests := []struct {
		name, title, url, body string
		wantTitle, wantURL     string
		wantDescription        string
	}{
		{"title naming another site", "Amazon.com sues the FTC", reuters, "The retailer says the agency overreached.",
			"Amazon.com sues the FTC", "", "[www.reuters.com](" + reuters + ")\nThe retailer says the agency overreached."},
		{"disguised address, no body", "ｗｗｗ.paypal.com/login", "https://evil.example/", "",
			"ｗｗｗ.paypal.com/login", "", "[evil.example](https://evil.example/)"},
		{"plain title", "Musk sues Microsoft", reuters, "A summary.", "Musk sues Microsoft", reuters, "A summary."},
		{"title naming its own site", "reuters.com: Epic v. Apple", reuters, "", "reuters.com\\: Epic v. Apple", reuters, ""},
		{"no usable address", "paypal.com", "javascript:alert(1)", "", "paypal.com", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := Embed(bot.Reply{Title: tt.title, URL: tt.url, Body: tt.body})
			if e.Title != tt.wantTitle || e.URL != tt.wantURL || e.Description != tt.wantDescription {
				t.Errorf("title %q, url %q, description %q\nwant %q, %q, %q", e.Title, e.URL, e.Description, tt.wantTitle, tt.wantURL, tt.wantDescription)
			}
		})
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
	r := bot.NoticeReply(notify.Notice{Target: domain.DMTarget("1"), Articles: hostile}, "!")
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

// TestPictureAttachment: a reply's picture is shown in the embed by the
// name it is uploaded under, and uploads whole on every try; the HTTP
// answer to an interaction POST, which cannot carry files, drops both the
// file and the embed's reference to it, and keeps the rest.
func TestPictureAttachment(t *testing.T) {
	pic := bytes.Repeat([]byte("png!"), 3000)
	r := bot.Reply{Title: "A vs B", Body: "what happened", Image: pic, ImageAlt: "Timeline of A vs B."}
	e, _ := Embed(r)
	files := withImage(e, r)
	if len(files) != 1 || files[0].Name != timelineFile || e.Image == nil || e.Image.URL != "attachment://"+timelineFile {
		t.Fatalf("files %+v, embed image %+v", files, e.Image)
	}
	for try := 1; try <= 2; try++ {
		got, err := io.ReadAll(files[0].Reader)
		if err != nil || !bytes.Equal(got, pic) {
			t.Fatalf("try %d read %d bytes (%v), want the whole %d", try, len(got), err, len(pic))
		}
	}

	plain, _ := Embed(bot.Reply{Title: "A"})
	if withImage(plain, bot.Reply{Title: "A"}) != nil || plain.Image != nil {
		t.Error("a reply without a picture got one")
	}

	resp := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Embeds: []*discordgo.MessageEmbed{e}, Files: files}}
	out := withoutFiles(resp)
	if len(out.Data.Files) != 0 || out.Data.Embeds[0].Image != nil || out.Data.Embeds[0].Title != e.Title {
		t.Errorf("over HTTP: files %d, embed %+v", len(out.Data.Files), out.Data.Embeds[0])
	}
	if e.Image == nil || len(resp.Data.Files) != 1 {
		t.Error("withoutFiles changed the response it was given")
	}
}
