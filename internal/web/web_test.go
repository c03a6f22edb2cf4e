package web

import (
	"context"
	"fmt"
	"html"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/ingest"
	"github.com/disputebot/disputebot/internal/library"
	"github.com/disputebot/disputebot/internal/library/librarytest"
	"github.com/disputebot/disputebot/internal/weblink"
)

// hostile is a page in the global scope whose title is markup.
const hostile = `<html><head><title>&lt;script&gt;alert(1)&lt;/script&gt; Dell sues HP over laptop patents</title></head><body>
<p>Dell filed a lawsuit against HP Inc on Monday, accusing its rival of infringing four patents on laptop cooling designs.</p>
<p>HP said it would fight the suit in federal court and called the claims baseless. The complaint asks for damages and an injunction.</p></body></html>`

// memo is an article one server added as its own source: its pages show
// it only through a link signed for that server.
const memo = `<html><head><title>Microsoft answers Musk over Twitter data in a memo to staff</title></head><body>
<p>Microsoft told staff in a memo on Thursday that it had followed Twitter's terms when it used the platform's data, answering Elon Musk's threat to sue.</p>
<p>Musk had accused Microsoft of training on Twitter data illegally. The memo says the company stopped using the data feed after Twitter raised its prices.</p></body></html>`

const (
	memoURL   = "https://server-only.example.com/microsoft-memo"
	memoGuild = "424242424242"
)

// shared is one data folder with the built-in corpus, the hostile page
// and one server's memo, opened once for the package's tests.
var shared = librarytest.Shared{Setup: func(lib *library.Library) error {
	ctx := context.Background()
	if _, err := lib.Pipeline.IngestHTML(ctx, []byte(hostile), "text/html", "https://news.example.com/dell-hp", ingest.Options{Scope: article.GlobalScope}); err != nil {
		return err
	}
	_, err := lib.Pipeline.IngestHTML(ctx, []byte(memo), "text/html", memoURL, ingest.Options{Scope: memoGuild})
	return err
}}

func sharedLib(t *testing.T) *library.Library { return shared.Get(t) }

func TestMain(m *testing.M) { shared.Main(m) }

const publicURL = "https://disputes.example.org"

func newHandler(t *testing.T) *Handler {
	return New(Options{Engine: sharedLib(t).Engine, PublicURL: publicURL + "/", Limit: Limit{Rate: 1000, Burst: 1000}})
}

// get serves one request and returns the response and its body.
func get(t *testing.T, h http.Handler, method, target string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

var hrefs = regexp.MustCompile(`href="([^"]*)"`)

// links are the unescaped targets of a page's links.
func links(body string) map[string]bool {
	out := map[string]bool{}
	for _, m := range hrefs.FindAllStringSubmatch(body, -1) {
		out[html.UnescapeString(m[1])] = true
	}
	return out
}

func TestIndexListsEveryDispute(t *testing.T) {
	lib := sharedLib(t)
	res, body := get(t, newHandler(t), http.MethodGet, "/")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	ls := links(body)
	for _, d := range lib.Corpus.Disputes {
		if !ls["/d/"+d.ID] {
			t.Errorf("no link to %s", d.ID)
		}
		if !strings.Contains(body, html.EscapeString(d.Title)) {
			t.Errorf("no title %q", d.Title)
		}
	}
	// Most recently active first, as the engine lists them.
	ds := lib.Engine.Disputes()
	first, last := strings.Index(body, `href="/d/`+ds[0].ID+`"`), strings.Index(body, `href="/d/`+ds[len(ds)-1].ID+`"`)
	if first < 0 || last < first {
		t.Errorf("%s is not listed before %s", ds[0].ID, ds[len(ds)-1].ID)
	}
	for _, want := range []string{`<form action="/search" method="get"`, `name="q"`, `<meta name="viewport"`, `href="/style.css"`} {
		if !strings.Contains(body, want) {
			t.Errorf("no %s", want)
		}
	}
}

// TestDisputePages opens every built-in dispute's page: its background,
// where it stands, its picture with a description, every event's source
// linked, and the tags that make the link unfurl.
func TestDisputePages(t *testing.T) {
	lib := sharedLib(t)
	h := newHandler(t)
	standing := map[string]string{}
	for _, d := range lib.Engine.Disputes() {
		standing[d.ID] = d.Standing()
	}
	for _, d := range lib.Corpus.Disputes {
		t.Run(d.ID, func(t *testing.T) {
			res, body := get(t, h, http.MethodGet, "/d/"+d.ID)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			ls := links(body)
			for _, ev := range d.Events {
				u, err := article.CanonicalURL(ev.URL)
				if err != nil {
					t.Fatal(err)
				}
				if !ls[u] {
					t.Errorf("no link to %s (%s)", u, ev.Date)
				}
				if !strings.Contains(body, ev.Date) {
					t.Errorf("no date %s", ev.Date)
				}
			}
			wants := []string{
				html.EscapeString(d.Background),
				"<strong>Where it stands:</strong> " + html.EscapeString(standing[d.ID]),
				`<img src="/d/` + d.ID + `.png" alt="`,
				`<meta property="og:title" content="` + html.EscapeString(d.Title) + `">`,
				`<meta property="og:image" content="` + publicURL + `/d/` + d.ID + `.png">`,
				`<meta property="og:description" content="` + html.EscapeString(firstSentence(d.Background)) + `">`,
				`<meta name="twitter:card" content="summary_large_image">`,
				`rel="noopener noreferrer nofollow"`,
			}
			for _, want := range wants {
				if !strings.Contains(body, want) {
					t.Errorf("no %s", want)
				}
			}
			if regexp.MustCompile(`alt=""`).MatchString(body) {
				t.Error("the picture has no description")
			}
			if strings.Contains(body, "<script") {
				t.Error("a page holds a script")
			}
		})
	}
}

func TestPicture(t *testing.T) {
	h := newHandler(t)
	for _, id := range []string{"musk-microsoft", "ec-google"} {
		res, body := get(t, h, http.MethodGet, "/d/"+id+".png")
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("%s: status %d, type %q", id, res.StatusCode, res.Header.Get("Content-Type"))
		}
		img, err := png.Decode(strings.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 100 {
			t.Errorf("%s: %v", id, b)
		}
	}
}

func TestSearch(t *testing.T) {
	h := newHandler(t)
	cases := []struct {
		name, q string
		want    []string
	}{
		{"parties", "musk microsoft", []string{"Where it stands:", `href="/d/musk-microsoft"`, "Timeline, oldest first"}},
		{"empty", "", []string{"Type the parties or the subject"}},
		{"blank", "   ", []string{"Type the parties or the subject"}},
		{"too long", strings.Repeat("musk ", 100), []string{"too long"}},
		{"filler only", "what is the", []string{"name nothing to look for"}},
		{"nothing", "zorblatt quux", []string{"<h1>Nothing found</h1>"}},
		// A page whose title is markup is shown as text.
		{"markup in a title", "dell hp", []string{"&lt;script&gt;alert(1)&lt;/script&gt; Dell sues HP", `href="https://news.example.com/dell-hp"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, body := get(t, h, http.MethodGet, "/search?q="+url.QueryEscape(c.q))
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("no %s in\n%s", w, body)
				}
			}
			if strings.Contains(body, "<script") {
				t.Error("the page holds a script")
			}
		})
	}
}

// TestOnlyWebAddressesAreLinks renders a timeline whose sources are not
// all web addresses, and whose text is markup.
func TestOnlyWebAddressesAreLinks(t *testing.T) {
	h := newHandler(t)
	rec := httptest.NewRecorder()
	day := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
	h.render(rec, http.StatusOK, page{Kind: "search", Title: "t", Answer: &answer.Answer{Mode: answer.ModeParties}, Entries: []answer.Entry{
		{N: 1, Date: day, Title: `<img src=x onerror=alert(1)>`, URL: "javascript:alert(1)", Outlet: `"><b>`, Summary: "</p><script>alert(2)</script>",
			Sources: []answer.Source{{URL: "javascript:alert(1)"}, {Outlet: "data", URL: "data:text/html,<script>alert(3)</script>"}, {Outlet: "ok", URL: "https://example.com/a?b=1&c=2"}}},
	}})
	body := rec.Body.String()
	for _, bad := range []string{"javascript:", "data:text", "<script", "<img src=x", "<b>", "ZgotmplZ"} {
		if strings.Contains(body, bad) {
			t.Errorf("%s in\n%s", bad, body)
		}
	}
	for _, want := range []string{"&lt;img src=x onerror=alert(1)&gt;", `href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer nofollow"`} {
		if !strings.Contains(body, want) {
			t.Errorf("no %s in\n%s", want, body)
		}
	}
}

func TestStatusAndHeaders(t *testing.T) {
	h := newHandler(t)
	cases := []struct {
		method, target string
		status         int
		want           string
	}{
		{"GET", "/", 200, "disputes, most recently active first"},
		{"HEAD", "/", 200, ""},
		{"GET", "/style.css", 200, "font:"},
		{"GET", "/favicon.svg", 200, "<svg"},
		{"GET", "/favicon.ico", 200, "<svg"},
		{"GET", "/d/musk-microsoft", 200, "Where it stands"},
		{"GET", "/nope", 404, "There is no page here."},
		{"GET", "/d/", 404, "There is no page here."},
		{"GET", "/d/no-such-dispute", 404, "There is no page here."},
		{"GET", "/d/no-such-dispute.png", 404, "There is no page here."},
		{"GET", "/d/musk-microsoft/extra", 404, "There is no page here."},
		{"GET", "/d/%3Cscript%3E", 404, "There is no page here."},
		{"POST", "/", 405, "These pages can only be read."},
		{"POST", "/search?q=musk", 405, "These pages can only be read."},
		{"PUT", "/d/musk-microsoft", 405, "These pages can only be read."},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.target, func(t *testing.T) {
			res, body := get(t, h, c.method, c.target)
			if res.StatusCode != c.status {
				t.Errorf("status %d, want %d", res.StatusCode, c.status)
			}
			if !strings.Contains(body, c.want) {
				t.Errorf("no %q in\n%s", c.want, body)
			}
			checkHeaders(t, res.Header)
			if c.status == 405 && res.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow %q", res.Header.Get("Allow"))
			}
		})
	}
}

func checkHeaders(t *testing.T, hd http.Header) {
	t.Helper()
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"X-Frame-Options":        "DENY",
	}
	for k, v := range want {
		if hd.Get(k) != v {
			t.Errorf("%s: %q, want %q", k, hd.Get(k), v)
		}
	}
	csp := hd.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "img-src 'self'", "style-src 'self'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("Content-Security-Policy %q lacks %s", csp, d)
		}
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy %q is not strict", csp)
	}
}

// TestRateLimit: a client past its burst is refused with a sentence until
// its bucket fills again; another client is not affected.
func TestRateLimit(t *testing.T) {
	h := New(Options{Engine: sharedLib(t).Engine, Limit: Limit{Rate: 2, Burst: 5}})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h.now = func() time.Time { return now }
	from := func(addr string) int {
		req := httptest.NewRequest(http.MethodGet, "/style.css", nil)
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusTooManyRequests {
			if !strings.Contains(rec.Body.String(), "You are asking too quickly.") {
				t.Errorf("429 without the sentence:\n%s", rec.Body)
			}
			checkHeaders(t, rec.Result().Header)
		}
		return rec.Code
	}
	for i := range 5 {
		if code := from("192.0.2.1:1000"); code != 200 {
			t.Fatalf("request %d within the burst: %d", i+1, code)
		}
	}
	if code := from("192.0.2.1:1001"); code != http.StatusTooManyRequests {
		t.Fatalf("past the burst, from another port: %d", code)
	}
	if code := from("[2001:db8::1]:1000"); code != 200 {
		t.Fatalf("another client: %d", code)
	}
	now = now.Add(500 * time.Millisecond) // one token back
	if code := from("192.0.2.1:1000"); code != 200 {
		t.Fatalf("after half a second: %d", code)
	}
	if code := from("192.0.2.1:1000"); code != http.StatusTooManyRequests {
		t.Fatalf("the token came back twice: %d", code)
	}
	now = now.Add(time.Minute)
	for i := range 5 {
		if code := from("192.0.2.1:1000"); code != 200 {
			t.Fatalf("request %d after a minute: %d", i+1, code)
		}
	}
}

func TestLimiterIsBounded(t *testing.T) {
	l := newLimiter(Limit{Rate: 1, Burst: 2, Clients: 10})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	allowed := 0
	for i := range 100 {
		addr := fmt.Sprintf("192.0.2.%d", i)
		for range 2 { // empties the bucket: no quiet client to drop
			if l.allow(addr, now) {
				allowed++
			}
		}
		if len(l.buckets) > 11 {
			t.Fatalf("%d clients remembered", len(l.buckets))
		}
	}
	// Ten clients got their two; the ninety that found the map full of
	// clients still limited shared one bucket of two.
	if allowed != 10*2+2 {
		t.Errorf("%d requests allowed from a flood of 100 addresses, want 22", allowed)
	}
	// A client still in the map keeps its empty bucket.
	if l.allow("192.0.2.9", now) {
		t.Error("a remembered client's bucket was refilled")
	}
	// Once the first clients go quiet, a new client gets a bucket of its own.
	if !l.allow("198.51.100.1", now.Add(time.Minute)) {
		t.Error("a new client after the flood was refused")
	}
}

// TestClientKey: behind a trusted proxy the client is the right-most
// address the proxies did not add; anyone else's X-Forwarded-For is
// ignored; an IPv6 client counts by its /64.
func TestClientKey(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		name, remote, xff, want string
	}{
		{"direct", "192.0.2.1:4000", "", "192.0.2.1"},
		{"a client's own header is ignored", "192.0.2.1:4000", "203.0.113.9", "192.0.2.1"},
		{"behind the proxy", "127.0.0.1:4000", "203.0.113.9", "203.0.113.9"},
		{"a forged hop before the proxy's", "127.0.0.1:4000", "198.51.100.7, 203.0.113.9", "203.0.113.9"},
		{"two proxies", "127.0.0.1:4000", "203.0.113.9, 10.1.2.3", "203.0.113.9"},
		{"the proxy without the header", "127.0.0.1:4000", "", "127.0.0.1"},
		{"a header that is no address", "127.0.0.1:4000", "nonsense", "127.0.0.1"},
		{"IPv6 by its /64", "[2001:db8:1:2::beef]:4000", "", "2001:db8:1:2::/64"},
		{"another address of the same /64", "[2001:db8:1:2:ffff::1]:4000", "", "2001:db8:1:2::/64"},
		{"IPv6 behind the proxy", "127.0.0.1:4000", "2001:db8:9::1", "2001:db8:9::/64"},
		{"IPv4 mapped into IPv6", "[::ffff:192.0.2.1]:4000", "", "192.0.2.1"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := clientKey(r, trusted); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestHTTPSPagesAskForHTTPS: pages reached over https tell the browser
// to keep to it, since a signed link's query carries a server's access.
func TestHTTPSPagesAskForHTTPS(t *testing.T) {
	res, _ := get(t, newHandler(t), http.MethodGet, "/")
	if hsts := res.Header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=") {
		t.Errorf("Strict-Transport-Security %q on pages at %s", hsts, publicURL)
	}
	plain := New(Options{Engine: sharedLib(t).Engine, PublicURL: "http://127.0.0.1:8081"})
	if res, _ := get(t, plain, http.MethodGet, "/"); res.Header.Get("Strict-Transport-Security") != "" {
		t.Error("pages at an http address ask for https")
	}
}

func TestFirstSentence(t *testing.T) {
	cases := map[string]string{
		"One. Two.":                    "One.",
		"The U.S. sued Google. Later.": "The U.S. sued Google.",
		"No stop":                      "No stop",
		"":                             "",
	}
	for in, want := range cases {
		if got := firstSentence(in); got != want {
			t.Errorf("firstSentence(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDisputePageFallsBackToTheCorpus: when no answer holds every event of
// a dispute (here, one the store has never read), the page shows the
// dispute's own events, all of them, and its picture still renders.
func TestDisputePageFallsBackToTheCorpus(t *testing.T) {
	lib := sharedLib(t)
	corpus := *lib.Corpus
	corpus.Disputes = slices.Clone(corpus.Disputes)
	i := slices.IndexFunc(corpus.Disputes, func(d article.Dispute) bool { return d.ID == "musk-microsoft" })
	d := &corpus.Disputes[i]
	unread := article.Event{Date: "2024-01-02", Headline: "A step no page was read for", Outlet: "Example News", URL: "https://news.example.com/unread-step", Summary: "Nothing read."}
	d.Events = append(slices.Clone(d.Events), unread)
	e := &answer.Engine{Store: lib.Store, Index: lib.Index, Gazetteer: lib.Gazetteer, Corpus: &corpus}
	h := New(Options{Engine: e, PublicURL: publicURL})
	res, body := get(t, h, http.MethodGet, "/d/musk-microsoft")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	ls := links(body)
	for _, ev := range d.Events {
		u, _ := article.CanonicalURL(ev.URL)
		if !ls[u] {
			t.Errorf("no link to %s", u)
		}
	}
	if res, body := get(t, h, http.MethodGet, "/d/musk-microsoft.png"); res.StatusCode != http.StatusOK {
		t.Errorf("picture: status %d\n%s", res.StatusCode, body)
	}
}

var linkSecret = []byte(strings.Repeat("k", weblink.MinSecret))

// TestSignedLinksShowTheServersArticles: a link the bot signed for a
// server shows that server's own source on the dispute page, its search
// and its picture, and every link on the page carries the signature on;
// the same page unsigned, with the server or expiry changed, or after the
// expiry shows only what everyone sees, and says why.
func TestSignedLinksShowTheServersArticles(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	h := New(Options{Engine: sharedLib(t).Engine, PublicURL: publicURL, LinkSecret: linkSecret, Limit: Limit{Rate: 1000, Burst: 1000}})
	h.now = func() time.Time { return now }
	bot := &weblink.Links{Base: publicURL, Secret: linkSecret, TTL: 24 * time.Hour}
	path := func(link string) string { return strings.TrimPrefix(link, publicURL) }

	signed := path(bot.Dispute("musk-microsoft", memoGuild, now))
	res, body := get(t, h, http.MethodGet, signed)
	if res.StatusCode != http.StatusOK || !links(body)[memoURL] {
		t.Fatalf("the signed page (status %d) lacks the server's memo", res.StatusCode)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "private, no-store" {
		t.Errorf("the server's page may be cached: Cache-Control %q", cc)
	}
	for _, want := range []string{`<meta name="robots" content="noindex, nofollow">`, "Includes your server's own sources", "until 2026-12-03"} {
		if !strings.Contains(body, want) {
			t.Errorf("the signed page lacks %s", want)
		}
	}
	// Every link back into the site keeps the server's access: the front
	// page, the picture, the search form and the preview.
	q := url.Values{}
	for k, v := range bot.Sign(memoGuild, now) {
		q[k] = v
	}
	carried := "?" + q.Encode()
	for _, want := range []string{`href="/` + html.EscapeString(carried) + `"`, `src="/d/musk-microsoft.png` + html.EscapeString(carried) + `"`,
		`<input type="hidden" name="sig" value="` + q.Get("sig") + `">`, `content="` + publicURL + `/d/musk-microsoft.png` + html.EscapeString(carried) + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the signed page does not carry its access on: no %s", want)
		}
	}
	if _, img := get(t, h, http.MethodGet, "/d/musk-microsoft.png"+carried); img == "" {
		t.Error("the signed picture is empty")
	}
	if _, plainImg := get(t, h, http.MethodGet, "/d/musk-microsoft.png"); plainImg == "" {
		t.Error("the picture is empty")
	}

	_, found := get(t, h, http.MethodGet, path(bot.Search("microsoft memo twitter data", false, memoGuild, now)))
	if !links(found)[memoURL] {
		t.Error("a signed search does not find the server's memo")
	}

	tampered := strings.Replace(signed, "g="+memoGuild, "g=424242424243", 1)
	longer := regexp.MustCompile(`exp=\d+`).ReplaceAllString(signed, "exp=99999999999")
	for _, tc := range []struct {
		name, target, notice string
		at                   time.Time
	}{
		{"unsigned", "/d/musk-microsoft", "", now},
		{"another server", tampered, "This link is not one the bot made", now},
		{"a later expiry", longer, "This link is not one the bot made", now},
		{"expired", signed, "This link has expired", now.Add(25 * time.Hour)},
		{"unsigned search", "/search?q=" + url.QueryEscape("microsoft memo twitter data"), "", now},
	} {
		now = tc.at
		res, body := get(t, h, http.MethodGet, tc.target)
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", tc.name, res.StatusCode)
		}
		if links(body)[memoURL] || strings.Contains(body, "server-only.example.com") {
			t.Errorf("%s: the page shows the server's memo", tc.name)
		}
		if tc.notice != "" && !strings.Contains(body, tc.notice) {
			t.Errorf("%s: the page does not say %q", tc.name, tc.notice)
		}
		if strings.Contains(body, "Includes your server") || strings.Contains(body, `name="sig"`) {
			t.Errorf("%s: the page claims or carries the server's access", tc.name)
		}
	}
	now = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

	// A process without the secret honours no signed link.
	open := New(Options{Engine: sharedLib(t).Engine, PublicURL: publicURL, Limit: Limit{Rate: 1000, Burst: 1000}})
	if _, body := get(t, open, http.MethodGet, signed); links(body)[memoURL] {
		t.Error("a process without WEB_LINK_SECRET showed the server's memo")
	}
}

// TestTextSearchLink: the link a text search's answer carries asks the
// page for a text search, which reads no party names into the words, as
// the bot's search command did; without it the same words name a dispute.
func TestTextSearchLink(t *testing.T) {
	h := newHandler(t)
	_, parties := get(t, h, http.MethodGet, "/search?q=musk+microsoft")
	_, text := get(t, h, http.MethodGet, "/search?q=musk+microsoft&text=1")
	if !strings.Contains(parties, `<section class="dispute">`) {
		t.Error("the words do not name their dispute on a plain search")
	}
	if strings.Contains(text, `<section class="dispute">`) || !strings.Contains(text, "Timeline, oldest first") {
		t.Error("a text search read the words as parties, or found nothing")
	}
}
