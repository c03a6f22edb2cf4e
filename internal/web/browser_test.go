package web

// The pages as a reader sees them: each test here serves the handler on an
// httptest server and opens it in a real headless Chromium, driven over
// the DevTools protocol by chromedp. Without Chromium the tests skip with
// one line saying how to install it.
//
// A new browser test is a few lines:
//
//	tb := startBrowser(t).desktop(t) // or .phone(t); skips without Chromium
//	srv := httptest.NewServer(h)
//	defer srv.Close()
//	p := tb.open(t, srv.URL+"/d/musk-microsoft")
//	p.mustBeClean(t)                  // status 200, a clean console, the picture loaded and fitting
//	_, ok := p.link(u)                // a link to u that a reader can see
//	strings.Contains(p.Text, "...")   // what a reader can read
//
// The screenshots in testdata/screenshots are written by
//
//	go test ./internal/web -run TestBrowserDisputePage -update

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/picture"
	"github.com/disputebot/disputebot/internal/weblink"
)

var update = flag.Bool("update", false, "write the browser tests' screenshots in testdata/screenshots")

// The two screens the pages are checked on: a laptop's, and a phone's (an
// iPhone 14's 390×844 CSS pixels).
const (
	desktopWidth, desktopHeight = 1280, 800
	phoneWidth, phoneHeight     = 390, 844
)

// chromiumPath is the Chromium the tests drive, "" when there is none.
func chromiumPath() string {
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return ""
}

// browser is a headless Chromium started for one test and stopped when
// the test ends.
type browser struct {
	ctx context.Context // the browser's; each tab's context is a child
}

// startBrowser starts Chromium, or skips the test when there is none or
// with -short. Starting it takes a second or two, so a test opens all its
// pages in one browser's tabs.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	if testing.Short() {
		t.Skip("a browser test, which takes seconds: not with -short")
	}
	path := chromiumPath()
	if path == "" {
		t.Skip("no chromium on PATH: install it (Debian: apt-get install chromium) to run the browser tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(desktopWidth, desktopHeight))
	if os.Geteuid() == 0 {
		// Chromium refuses to start as root inside its sandbox (CI runs as
		// root); the only pages it opens here are the test's own.
		opts = append(opts, chromedp.NoSandbox)
	}
	// The deadline bounds the whole browser: a test never waits on a
	// stuck Chromium for longer.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		bcancel()
		acancel()
		cancel()
	})
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return &browser{ctx: bctx}
}

// tab is one browser tab. It records what the page writes to the
// console and what the browser logs about it (failed loads, Content
// Security Policy violations), as a reader's developer tools would show.
type tab struct {
	ctx   context.Context
	width float64 // of the screen, in CSS pixels
	mu    sync.Mutex
	log   []string
}

// desktop opens a tab with a laptop's screen.
func (b *browser) desktop(t *testing.T) *tab {
	return b.tab(t, desktopWidth, chromedp.EmulateViewport(desktopWidth, desktopHeight))
}

// phone opens a tab that is a phone: its width, its pixel density, a
// touch screen and a mobile browser's layout (the viewport meta tag is
// obeyed).
func (b *browser) phone(t *testing.T) *tab {
	return b.tab(t, phoneWidth, chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
}

func (b *browser) tab(t *testing.T, width float64, screen chromedp.Action[chromedp.Void]) *tab {
	t.Helper()
	tb := &tab{width: width}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(tb.record))
	t.Cleanup(cancel)
	tb.ctx = ctx
	if err := chromedp.Do(ctx, screen); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return tb
}

// record keeps what a reader would see as a problem in the console:
// console.error, .warn and .assert calls, uncaught exceptions, and the
// browser's own warnings and errors (a failed load, a CSP violation). It
// runs in the tab's event loop, so it only appends.
func (tb *tab) record(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		switch ev.Type {
		case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeWarning, runtime.ConsoleAPICalledTypeAssert:
			var args []string
			for _, a := range ev.Args {
				var v any
				switch {
				case a.Description != "":
					args = append(args, a.Description)
				case json.Unmarshal(a.Value, &v) == nil:
					args = append(args, fmt.Sprint(v))
				default:
					args = append(args, string(a.Value))
				}
			}
			msg = fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "uncaught exception: " + d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		if e.Level == cdplog.EntryLevelWarning || e.Level == cdplog.EntryLevelError || e.Source == cdplog.EntrySourceSecurity {
			msg = fmt.Sprintf("%s %s: %s", e.Source, e.Level, e.Text)
			if e.URL != "" {
				msg += " (" + e.URL + ")"
			}
		}
	}
	if msg != "" {
		tb.mu.Lock()
		tb.log = append(tb.log, msg)
		tb.mu.Unlock()
	}
}

// takeLog returns the problems recorded since the last call.
func (tb *tab) takeLog() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	l := tb.log
	tb.log = nil
	return l
}

// seenPage is a page as loaded in a tab: what a reader sees of it, and
// what the console showed while it loaded.
type seenPage struct {
	Status int `json:"-"` // the HTTP status of the document
	// Screen is the width of the tab's screen in CSS pixels.
	Screen float64 `json:"-"`
	// Console holds the problems the console showed while the page
	// loaded.
	Console []string `json:"-"`

	URL         string            `json:"url"`
	Title       string            `json:"title"`
	H1          string            `json:"h1"`
	Text        string            `json:"text"` // the body's visible text
	Links       []seenLink        `json:"links"`
	Images      []seenImage       `json:"images"`
	Entries     []seenEntry       `json:"entries"`
	Meta        map[string]string `json:"meta"`        // by property or name
	InnerWidth  float64           `json:"innerWidth"`  // the window's: a phone widens it to fit what does not fit the screen
	ScrollWidth float64           `json:"scrollWidth"` // of the document: wider than the window means a sideways scroll
}

type seenLink struct {
	Href    string `json:"href"` // as written in the page, unescaped
	Text    string `json:"text"`
	Visible bool   `json:"visible"`
}

type seenImage struct {
	Src           string  `json:"src"`
	Alt           string  `json:"alt"`
	Complete      bool    `json:"complete"`
	NaturalWidth  float64 `json:"naturalWidth"`
	NaturalHeight float64 `json:"naturalHeight"`
	Width         float64 `json:"width"` // as laid out, in CSS pixels
	Height        float64 `json:"height"`
	Left          float64 `json:"left"`
	Right         float64 `json:"right"`
	// OnTop is whether, scrolled into view, the picture is what a reader
	// sees at its centre (not hidden, covered or off the page).
	OnTop bool `json:"onTop"`
}

// seenEntry is one item of a page's timeline.
type seenEntry struct {
	ID      string `json:"id"`
	Text    string `json:"text"`
	Visible bool   `json:"visible"`
}

// readPage is the script that reads a loaded page. It runs through the
// DevTools protocol, which the page's CSP does not govern; the page
// itself runs no script.
const readPage = `(() => {
  const visible = el => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden";
  };
  const images = [...document.images].map(img => {
    img.scrollIntoView({block: "center", inline: "center"});
    const r = img.getBoundingClientRect();
    const onTop = r.width > 0 && document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === img;
    return {src: img.getAttribute("src"), alt: img.alt, complete: img.complete,
      naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,
      width: r.width, height: r.height, left: r.left + scrollX, right: r.right + scrollX, onTop};
  });
  scrollTo(0, 0);
  return {
    url: location.href, title: document.title,
    h1: document.querySelector("h1")?.innerText ?? "",
    text: document.body.innerText,
    links: [...document.querySelectorAll("a[href]")].map(a => ({href: a.getAttribute("href"), text: a.innerText, visible: visible(a)})),
    images,
    entries: [...document.querySelectorAll("ol.timeline > li")].map(li => ({id: li.id, text: li.innerText, visible: visible(li)})),
    meta: Object.fromEntries([...document.querySelectorAll("meta[property], meta[name]")].map(m => [m.getAttribute("property") ?? m.getAttribute("name"), m.content])),
    innerWidth, scrollWidth: document.documentElement.scrollWidth,
  };
})()`

// open loads u in the tab, as a reader typing it would, and reads the
// page once it has loaded (its picture included).
func (tb *tab) open(t *testing.T, u string) *seenPage {
	t.Helper()
	tb.takeLog()
	res, err := chromedp.Run(tb.ctx, chromedp.NavigateResponse(u))
	if err != nil {
		t.Fatalf("opening %s: %v", u, err)
	}
	return tb.read(t, res.Status)
}

// follow runs steps that make the tab go to another page (a click, a
// form sent) and reads the page it arrives at.
func (tb *tab) follow(t *testing.T, steps ...chromedp.Action[chromedp.Void]) *seenPage {
	t.Helper()
	tb.takeLog()
	res, err := chromedp.RunResponse(tb.ctx, steps...)
	if err != nil {
		t.Fatalf("following a link or a form: %v", err)
	}
	return tb.read(t, res.Status)
}

func (tb *tab) read(t *testing.T, status int64) *seenPage {
	t.Helper()
	p, err := chromedp.Run(tb.ctx, chromedp.Evaluate[*seenPage](readPage))
	if err != nil {
		t.Fatalf("reading the page: %v", err)
	}
	p.Status = int(status)
	p.Screen = tb.width
	// The reply to the script came after every event the page caused
	// while loading, and the listener runs in order, so the log is whole.
	p.Console = tb.takeLog()
	return p
}

// screenshot is the whole page as a PNG, at the tab's pixel density.
func (tb *tab) screenshot(t *testing.T) []byte {
	t.Helper()
	b, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("taking a screenshot: %v", err)
	}
	return b
}

// problems lists what a reader would find wrong with any page: messages
// in the console, a picture that did not load, is hidden or does not fit
// the window, and a page wider than the screen (which a phone shows
// zoomed out, and a laptop with a sideways scroll).
func (p *seenPage) problems() []string {
	out := slices.Clone(p.Console)
	if p.InnerWidth != p.Screen {
		out = append(out, fmt.Sprintf("the page is laid out %.0f px wide on a %.0f px screen: it is shown zoomed out", p.InnerWidth, p.Screen))
	}
	if p.ScrollWidth > p.InnerWidth {
		out = append(out, fmt.Sprintf("the page is %.0f px wide in a %.0f px window: it scrolls sideways", p.ScrollWidth, p.InnerWidth))
	}
	for _, img := range p.Images {
		switch {
		case !img.Complete || img.NaturalWidth == 0:
			out = append(out, fmt.Sprintf("picture %s did not load", img.Src))
		case img.Width == 0 || !img.OnTop:
			out = append(out, fmt.Sprintf("picture %s is not visible", img.Src))
		case img.Left < 0 || img.Right > p.InnerWidth:
			out = append(out, fmt.Sprintf("picture %s spans %.0f to %.0f px in a %.0f px window", img.Src, img.Left, img.Right, p.InnerWidth))
		case math.Abs(img.Height/img.Width-img.NaturalHeight/img.NaturalWidth) > 0.02*img.NaturalHeight/img.NaturalWidth:
			out = append(out, fmt.Sprintf("picture %s is distorted: %.0f×%.0f shown, %.0f×%.0f drawn", img.Src, img.Width, img.Height, img.NaturalWidth, img.NaturalHeight))
		}
	}
	return out
}

// mustBeClean fails the test for each of the page's problems, and when
// its status is not 200.
func (p *seenPage) mustBeClean(t *testing.T) {
	t.Helper()
	if p.Status != http.StatusOK {
		t.Errorf("%s: status %d", p.URL, p.Status)
	}
	for _, pr := range p.problems() {
		t.Errorf("%s: %s", p.URL, pr)
	}
}

// link is the page's first link to href (as written in the page), and
// whether it has one a reader can see.
func (p *seenPage) link(href string) (seenLink, bool) {
	for _, l := range p.Links {
		if l.Href == href && l.Visible {
			return l, true
		}
	}
	return seenLink{}, false
}

// words is s with its runs of white space made single spaces, as a
// reader reads it.
func words(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestBrowserDisputePage opens dispute pages at a laptop's and a phone's
// width, and checks what a reader would: the console is clean, every
// entry of the timeline is there with its date, outlet and title, every
// source is a link, the picture loaded and fits, nothing scrolls
// sideways. With -update it writes the screenshots the README shows.
func TestBrowserDisputePage(t *testing.T) {
	b := startBrowser(t)
	h := newHandler(t)
	srv := httptest.NewServer(h)
	defer srv.Close()
	lib := sharedLib(t)
	screens := []struct {
		name string
		tab  *tab
	}{{"desktop", b.desktop(t)}, {"phone", b.phone(t)}}
	// The quick start's dispute, the corpus's longest and one of its
	// shortest.
	for _, id := range []string{"musk-microsoft", "us-tiktok", "ftc-amazon"} {
		v, err := h.disputeAnswer(context.Background(), id, "")
		if err != nil || v == nil {
			t.Fatalf("%s: %v, %v", id, v, err)
		}
		cd, _ := lib.Corpus.Dispute(id)
		for _, s := range screens {
			t.Run(id+"/"+s.name, func(t *testing.T) {
				p := s.tab.open(t, srv.URL+"/d/"+id)
				p.mustBeClean(t)
				checkDisputePage(t, p, v, cd)
				if s.name == "phone" {
					checkPhone(t, p)
				}
				if id == "musk-microsoft" {
					shot(t, s.tab, s.name, p)
				}
			})
		}
	}
}

// checkDisputePage compares what a reader sees with the view the page was
// made from, and with the corpus's own events.
func checkDisputePage(t *testing.T, p *seenPage, v *disputeView, cd article.Dispute) {
	t.Helper()
	if p.H1 != v.dispute.Title || !strings.HasPrefix(p.Title, v.dispute.Title) {
		t.Errorf("heading %q, title %q; want %q", p.H1, p.Title, v.dispute.Title)
	}
	for _, want := range []string{words(v.dispute.Background), "Where it stands: " + words(v.dispute.Standing())} {
		if !strings.Contains(words(p.Text), want) {
			t.Errorf("the page does not read %q", want)
		}
	}
	if len(p.Entries) != len(v.entries) {
		t.Errorf("%d entries shown, the answer has %d", len(p.Entries), len(v.entries))
	}
	shown := map[string]seenEntry{}
	for _, e := range p.Entries {
		shown[e.ID] = e
	}
	for _, e := range v.entries {
		se, ok := shown[fmt.Sprintf("e%d", e.N)]
		switch {
		case !ok:
			t.Errorf("entry %d (%s) is not shown", e.N, e.Title)
			continue
		case !se.Visible:
			t.Errorf("entry %d (%s) is hidden", e.N, e.Title)
		}
		for _, want := range []string{date(e.Date) + " · " + e.Outlet, e.Title} {
			if !strings.Contains(words(se.Text), words(want)) {
				t.Errorf("entry %d does not read %q:\n%s", e.N, want, se.Text)
			}
		}
		for _, s := range e.Sources {
			if u := link(s.URL); u != "" {
				if _, ok := p.link(u); !ok {
					t.Errorf("entry %d: no visible link to its source %s", e.N, u)
				}
			}
		}
	}
	for _, ev := range cd.Events {
		u, _ := article.CanonicalURL(ev.URL)
		if _, ok := p.link(u); !ok {
			t.Errorf("no visible link to the event of %s, %s", ev.Date, u)
		}
	}
	if len(p.Images) != 1 {
		t.Fatalf("%d pictures, want the timeline's", len(p.Images))
	}
	img := p.Images[0]
	if want := "/d/" + v.dispute.ID + ".png"; img.Src != want || img.Alt != picture.Describe(v.picture) || img.Alt == "" {
		t.Errorf("picture %s described %q; want %s described %q", img.Src, img.Alt, want, picture.Describe(v.picture))
	}
	if got, want := p.Meta["og:image"], publicURL+"/d/"+v.dispute.ID+".png"; got != want {
		t.Errorf("og:image %q, want %q", got, want)
	}
}

// checkPhone: on a phone the picture is shrunk to the window (problems
// checks it keeps its shape and the page fits the screen).
func checkPhone(t *testing.T, p *seenPage) {
	t.Helper()
	for _, img := range p.Images {
		if img.Width >= img.NaturalWidth || img.Width > p.InnerWidth {
			t.Errorf("picture %s is %.0f px wide (drawn %.0f) in a %.0f px window", img.Src, img.Width, img.NaturalWidth, p.InnerWidth)
		}
	}
}

// shot takes the page's screenshot, checks it is as wide as the screen
// and at least as tall, and with -update writes it to
// testdata/screenshots/<name>.png.
func shot(t *testing.T, tb *tab, name string, p *seenPage) {
	t.Helper()
	b := tb.screenshot(t)
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	scale := 1
	if name == "phone" {
		scale = 2
	}
	if cfg.Width != int(p.InnerWidth)*scale || cfg.Height < cfg.Width/2 {
		t.Errorf("screenshot %d×%d, want %.0f wide", cfg.Width, cfg.Height, p.InnerWidth*float64(scale))
	}
	if !*update {
		return
	}
	path := filepath.Join("testdata", "screenshots", name+".png")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d×%d)", path, cfg.Width, cfg.Height)
}

// TestBrowserFrontPageAndSearch: the front page lists every dispute as a
// link; asking through its form leads to the answer's page, whose
// timeline is the engine's answer, and from there to the dispute's page;
// all with a clean console, on a laptop and on a phone.
func TestBrowserFrontPageAndSearch(t *testing.T) {
	b := startBrowser(t)
	lib := sharedLib(t)
	srv := httptest.NewServer(newHandler(t))
	defer srv.Close()
	const q = "musk microsoft"
	a, err := lib.Engine.Ask(context.Background(), answer.Request{Query: q})
	if err != nil || len(a.Entries) == 0 {
		t.Fatalf("the engine's answer to %q: %v, %v", q, a, err)
	}
	for name, tb := range map[string]*tab{"desktop": b.desktop(t), "phone": b.phone(t)} {
		t.Run(name, func(t *testing.T) {
			p := tb.open(t, srv.URL+"/")
			p.mustBeClean(t)
			ds := lib.Engine.Disputes()
			for _, d := range ds {
				if l, ok := p.link("/d/" + d.ID); !ok || words(l.Text) != words(d.Title) {
					t.Errorf("no visible link to %s named %q (%q)", d.ID, d.Title, l.Text)
				}
			}
			if !strings.Contains(p.Text, fmt.Sprintf("%d disputes", len(ds))) {
				t.Errorf("the page does not say it lists %d disputes", len(ds))
			}

			p = tb.follow(t, chromedp.SendKeys(chromedp.ID("q"), q), chromedp.Click(chromedp.CSS(`header form button[type="submit"]`)))
			p.mustBeClean(t)
			if u, err := url.Parse(p.URL); err != nil || u.Path != "/search" || u.Query().Get("q") != q {
				t.Errorf("the form led to %s, want /search?q=%s", p.URL, q)
			}
			if p.H1 != a.Heading() {
				t.Errorf("heading %q, want %q", p.H1, a.Heading())
			}
			if len(p.Entries) != len(a.Entries) {
				t.Errorf("%d entries shown, the engine's answer has %d", len(p.Entries), len(a.Entries))
			}
			for i, e := range a.Entries {
				if i < len(p.Entries) && !strings.Contains(words(p.Entries[i].Text), words(e.Title)) {
					t.Errorf("entry %d reads %q, want %q", i+1, p.Entries[i].Text, e.Title)
				}
				if _, ok := p.link(e.URL); !ok {
					t.Errorf("no visible link to %s", e.URL)
				}
			}

			if len(a.Disputes) != 1 {
				t.Fatalf("the answer is about %d disputes, want one", len(a.Disputes))
			}
			d := a.Disputes[0]
			p = tb.follow(t, chromedp.Click(chromedp.CSS(`section.dispute a[href="/d/`+d.ID+`"]`)))
			p.mustBeClean(t)
			if p.H1 != d.Title || len(p.Images) != 1 {
				t.Errorf("the answer's dispute link led to %q (%s), with %d pictures; want %q", p.H1, p.URL, len(p.Images), d.Title)
			}
		})
	}
}

// TestBrowserSeesWhatIsWrong breaks the pages on purpose, so the checks
// above are known to fail when a reader would see something wrong: the
// picture's address answering 404, an inline script and style the CSP
// refuses, a page wider than a phone, a script error.
func TestBrowserSeesWhatIsWrong(t *testing.T) {
	b := startBrowser(t)
	h := newHandler(t)
	csp, _ := get(t, h, http.MethodGet, "/")
	policy := csp.Header.Get("Content-Security-Policy")
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("/d/musk-microsoft.png", http.NotFound)
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		// The page's own policy, so the same violations are refused.
		w.Header().Set("Content-Security-Policy", policy)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"><title>broken</title>
<style>body { color: red; }</style></head><body><script>console.log("ran")</script>
<p style="color: blue">`+strings.Repeat("wider", 100)+`</p></body></html>`)
	})
	mux.HandleFunc("/throws", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>throws</title><script>console.error("oops"); null.x</script><p>text</p>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tb := b.phone(t)

	cases := []struct {
		name, path string
		want       []string // each must be in one of the problems
	}{
		{"a missing picture", "/d/musk-microsoft", []string{"status of 404", "picture /d/musk-microsoft.png did not load"}},
		{"what the CSP refuses", "/broken", []string{"Executing inline script violates", "Applying inline style violates", "scrolls sideways"}},
		{"a script's errors", "/throws", []string{"console.error: oops", "uncaught exception"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := tb.open(t, srv.URL+c.path).problems()
			for _, w := range c.want {
				if !slices.ContainsFunc(ps, func(p string) bool { return strings.Contains(p, w) }) {
					t.Errorf("no problem reads %q; the problems:\n%s", w, strings.Join(ps, "\n"))
				}
			}
		})
	}
}

// TestBrowserSignedLink: a link the bot signed for a server shows a
// reader the server's own source and says so, and the page's links and
// search form keep it (the front page, then a search sent from its form);
// the same link altered, expired or unsigned shows everyone's page, with
// no trace of the server's source, and says why.
func TestBrowserSignedLink(t *testing.T) {
	tb := startBrowser(t).desktop(t)
	h := New(Options{Engine: sharedLib(t).Engine, PublicURL: publicURL, LinkSecret: linkSecret, Limit: Limit{Rate: 1000, Burst: 1000}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	bot := &weblink.Links{Base: srv.URL, Secret: linkSecret, TTL: time.Hour}
	now := time.Now()
	const includes = "Includes your server's own sources"
	signed := bot.Dispute("musk-microsoft", memoGuild, now)

	p := tb.open(t, signed)
	p.mustBeClean(t)
	if _, ok := p.link(memoURL); !ok || !strings.Contains(p.Text, includes) {
		t.Errorf("the signed page shows no link to the server's memo, or does not say it includes the server's sources:\n%s", p.Text)
	}
	p = tb.follow(t, chromedp.Click(chromedp.CSS("header a.home")))
	p.mustBeClean(t)
	if !strings.Contains(p.Text, includes) {
		t.Errorf("the front page reached from the signed page lost the server's access (%s)", p.URL)
	}
	p = tb.follow(t, chromedp.SendKeys(chromedp.ID("q"), "microsoft memo twitter data"), chromedp.Click(chromedp.CSS(`header form button[type="submit"]`)))
	p.mustBeClean(t)
	if _, ok := p.link(memoURL); !ok {
		t.Errorf("a search from the signed front page does not find the server's memo (%s)", p.URL)
	}

	for _, c := range []struct{ name, url, says string }{
		{"unsigned", srv.URL + "/d/musk-microsoft", ""},
		{"for another server", strings.Replace(signed, "g="+memoGuild, "g=424242424243", 1), "This link is not one the bot made"},
		{"expired", bot.Dispute("musk-microsoft", memoGuild, now.Add(-2*time.Hour)), "This link has expired"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := tb.open(t, c.url)
			p.mustBeClean(t)
			if _, ok := p.link(memoURL); ok || strings.Contains(p.Text, "memo to staff") || strings.Contains(p.Text, includes) {
				t.Errorf("the page shows the server's memo or claims its access:\n%s", p.Text)
			}
			if !strings.Contains(p.Text, c.says) {
				t.Errorf("the page does not say %q", c.says)
			}
		})
	}
}
