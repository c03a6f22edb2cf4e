// Package web serves disputebot's read-only pages: the list of built-in
// disputes, one page per dispute with its whole timeline and its picture,
// and the answer to a free question. Pages are rendered on the server with
// html/template, carry no JavaScript and are sent under a strict
// Content-Security-Policy.
//
// A page reads the built-in corpus and public articles. A server's own
// sources and feeds are that server's: a page shows them only when its
// address carries a link the bot signed for the server (internal/weblink),
// and then every link on the page carries that signature on, so a member
// who follows the "Full timeline" button can read on and search within
// the server's articles until the link expires. An unsigned, altered or
// expired link shows what everyone sees, and says so.
package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/picture"
	"github.com/disputebot/disputebot/internal/summarise"
	"github.com/disputebot/disputebot/internal/weblink"
)

// MaxQuery is the longest question /search takes, in bytes.
const MaxQuery = 300

// askTimeout bounds the answer to one page.
const askTimeout = 10 * time.Second

//go:embed page.html style.css favicon.svg
var files embed.FS

var (
	pages = template.Must(template.New("page.html").Funcs(template.FuncMap{"link": link, "date": date}).ParseFS(files, "page.html"))
	css   = mustRead("style.css")
	icon  = mustRead("favicon.svg")
)

func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

// Options are what the pages are built from.
type Options struct {
	Engine *answer.Engine
	// Pictures keeps rendered timelines; nil gives the pages a cache of
	// their own.
	Pictures *picture.Cache
	// PublicURL is the address the pages are reached at, without a
	// trailing slash, for the Open Graph tags that make a link unfurl.
	PublicURL string
	// LinkSecret checks the links the bot signed for a server; without it
	// every page shows the built-in corpus and public articles only.
	LinkSecret []byte
	Log        *slog.Logger
	// Limit is each client address's rate; the zero value is 5 requests
	// a second with bursts of 20, for at most 10,000 addresses.
	Limit Limit
	// TrustedProxies are the addresses of the proxies in front of the
	// pages (a TLS terminator): from them, the client is read from
	// X-Forwarded-For. From anyone else the header is ignored.
	TrustedProxies []netip.Prefix
}

// Handler serves the pages. It is safe for concurrent use.
type Handler struct {
	engine    *answer.Engine
	pictures  *picture.Cache
	publicURL string
	links     *weblink.Links
	log       *slog.Logger
	limiter   *limiter
	proxies   []netip.Prefix
	https     bool             // PublicURL is https: browsers are told to keep to it
	now       func() time.Time // the clock the rate limit reads; tests set it
}

var _ http.Handler = (*Handler)(nil)

// New builds the pages' handler.
func New(o Options) *Handler {
	base := strings.TrimRight(o.PublicURL, "/")
	h := &Handler{engine: o.Engine, pictures: o.Pictures, publicURL: base, links: &weblink.Links{Base: base, Secret: o.LinkSecret},
		log: o.Log, limiter: newLimiter(o.Limit), proxies: o.TrustedProxies, https: strings.HasPrefix(base, "https://"), now: time.Now}
	if h.pictures == nil {
		h.pictures = picture.NewCache(128)
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h
}

// ServeHTTP routes a request. Every response, errors included, carries
// the security headers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	if h.https {
		// A signed link carries a server's access in its query: it must
		// not cross the network in the clear.
		hd.Set("Strict-Transport-Security", "max-age=31536000")
	}
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("recovered from a panic", "where", "web", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			h.plain(w, http.StatusInternalServerError, "Something went wrong", "Something went wrong on our side. Please try again later.")
		}
	}()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		h.plain(w, http.StatusMethodNotAllowed, "Not allowed", "These pages can only be read.")
		return
	}
	if !h.limiter.allow(clientKey(r, h.proxies), h.now()) {
		hd.Set("Retry-After", "1")
		h.plain(w, http.StatusTooManyRequests, "Too many requests", "You are asking too quickly. Please wait a moment and try again.")
		return
	}
	sc := h.links.Check(r.URL.Query(), h.now())
	if sc.Guild != "" {
		// A server's page is for that server's members: no shared cache
		// may keep it or hand it to someone else.
		hd.Set("Cache-Control", "private, no-store")
		hd.Set("X-Robots-Tag", "noindex, nofollow")
	}
	p := r.URL.Path
	switch {
	case p == "/":
		h.index(w, sc)
	case p == "/style.css":
		hd.Set("Content-Type", "text/css; charset=utf-8")
		hd.Set("Cache-Control", "public, max-age=3600")
		w.Write(css)
	case p == "/favicon.svg" || p == "/favicon.ico":
		// The pages name the SVG; a browser that guesses /favicon.ico
		// gets it too rather than a 404 in its console.
		hd.Set("Content-Type", "image/svg+xml")
		hd.Set("Cache-Control", "public, max-age=86400")
		w.Write(icon)
	case p == "/search":
		h.search(w, r, sc)
	case strings.HasPrefix(p, "/d/") && strings.HasSuffix(p, ".png"):
		h.png(w, r, sc, strings.TrimSuffix(strings.TrimPrefix(p, "/d/"), ".png"))
	case strings.HasPrefix(p, "/d/"):
		h.dispute(w, r, sc, strings.TrimPrefix(p, "/d/"))
	default:
		h.notFound(w)
	}
}

// clientKey names the client a request's rate is counted against: the
// address the connection came from, or, when that is a trusted proxy, the
// right-most address in X-Forwarded-For that is not one (any client can
// write the header, so only what the proxies appended is believed). An
// IPv6 client counts by its /64, which one host is usually given whole:
// one address each would let it take a fresh bucket per request.
func clientKey(r *http.Request, trusted []netip.Prefix) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	addr := ap.Addr().Unmap()
	if isTrusted(addr, trusted) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			addr = hop.Unmap()
			if !isTrusted(addr, trusted) {
				break
			}
		}
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// page is what the template shows; the fields in use depend on Kind.
type page struct {
	Kind     string // "index", "dispute", "search", "plain"
	Title    string
	Message  string
	Query    string
	Disputes []answer.Dispute
	Dispute  answer.Dispute
	Answer   *answer.Answer
	Entries  []answer.Entry
	// The picture of a dispute page.
	Image, ImageAlt string
	// Open Graph, on dispute pages.
	OG *openGraph
	// Scope is the signed query that keeps a server's links its own on
	// every link of the page; nil for everyone's pages.
	Scope url.Values
	// Guild and Until say whose sources the page includes, and until
	// when; Notice says why a link naming a server was not honoured.
	Guild, Until, Notice string
}

// Href is path with the page's scope carried on, for the template's links.
func (p page) Href(path string) string {
	if len(p.Scope) == 0 {
		return path
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + p.Scope.Encode()
}

// Search is the address of the page answering q, in the page's scope.
func (p page) Search(q string) string { return p.Href("/search?q=" + url.QueryEscape(q)) }

// scoped fills in the fields that carry sc on to the page's links.
func (h *Handler) scoped(p page, sc weblink.Scope) page {
	p.Scope = h.links.Params(sc)
	if sc.Guild != "" {
		p.Guild, p.Until = sc.Guild, date(sc.Expires)
	}
	switch sc.Refused {
	case "expired":
		p.Notice = "This link has expired, so this page shows the built-in corpus and public articles only. Ask the bot again for a fresh link."
	case "altered":
		p.Notice = "This link is not one the bot made, so this page shows the built-in corpus and public articles only."
	}
	return p
}

type openGraph struct {
	Title, Description, URL, Image string
}

func (h *Handler) render(w http.ResponseWriter, status int, p page) {
	var b strings.Builder
	if err := pages.Execute(&b, p); err != nil {
		h.log.Error("rendering a page", "kind", p.Kind, "error", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("Something went wrong on our side. Please try again later.\n"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(b.String()))
}

// plain is a page holding one sentence.
func (h *Handler) plain(w http.ResponseWriter, status int, title, msg string) {
	h.render(w, status, page{Kind: "plain", Title: title, Message: msg})
}

func (h *Handler) notFound(w http.ResponseWriter) {
	h.plain(w, http.StatusNotFound, "Not found", "There is no page here. The list of disputes is on the front page.")
}

func (h *Handler) failed(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("answering a page", "path", r.URL.Path, "error", err)
	h.plain(w, http.StatusInternalServerError, "Something went wrong", "Something went wrong on our side. Please try again later.")
}

func (h *Handler) index(w http.ResponseWriter, sc weblink.Scope) {
	h.render(w, http.StatusOK, h.scoped(page{Kind: "index", Title: "Disputes in the tech industry", Disputes: h.engine.Disputes()}, sc))
}

func (h *Handler) search(w http.ResponseWriter, r *http.Request, sc weblink.Scope) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	switch {
	case q == "":
		h.render(w, http.StatusOK, h.scoped(page{Kind: "plain", Title: "Search", Message: "Type the parties or the subject to look for, for example musk microsoft."}, sc))
		return
	case len(q) > MaxQuery:
		h.render(w, http.StatusOK, h.scoped(page{Kind: "plain", Title: "Search", Message: "That question is too long; ask in fewer words."}, sc))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), askTimeout)
	defer cancel()
	// A text search (the bot's search command's link) keeps its words as
	// words, so the page answers as the bot did.
	a, err := h.engine.Ask(ctx, answer.Request{Query: q, Guild: sc.Guild, TextOnly: r.URL.Query().Get(weblink.TextParam) == "1"})
	if errors.Is(err, answer.ErrEmptyQuery) {
		h.render(w, http.StatusOK, h.scoped(page{Kind: "plain", Title: "Search", Query: q, Message: "Those words name nothing to look for; try the parties' names, for example musk microsoft."}, sc))
		return
	}
	if err != nil {
		h.failed(w, r, err)
		return
	}
	title := a.Heading()
	if a.Mode == answer.ModeNone {
		title = "Nothing found"
	}
	h.render(w, http.StatusOK, h.scoped(page{Kind: "search", Title: title, Query: q, Answer: a, Entries: a.Entries}, sc))
}

// disputeView is what a dispute's page and picture show.
type disputeView struct {
	dispute answer.Dispute
	entries []answer.Entry
	picture picture.Timeline
	key     picture.Key // names the picture in the cache
}

// disputeAnswer is a built-in dispute's page content: the answer to what
// a member would ask about it, which holds every one of its events and the
// parties' other reports of it. When the parties have several disputes,
// that answer covers them all, so the dispute's title is asked instead,
// whose words pick the one; should neither hold every event, the
// dispute's own events stand, so the page always shows its whole curated
// timeline. A server's page also holds the server's own articles about
// the dispute. It is nil for an unknown id.
func (h *Handler) disputeAnswer(ctx context.Context, id, guild string) (*disputeView, error) {
	cd, ok := h.engine.Corpus.Dispute(id)
	if !ok {
		return nil, nil
	}
	ds := h.engine.Disputes()
	d := ds[slices.IndexFunc(ds, func(x answer.Dispute) bool { return x.ID == id })]
	for _, q := range []string{h.engine.QueryFor(d), d.Title} {
		a, err := h.engine.Ask(ctx, answer.Request{Query: q, Guild: guild})
		if err != nil && !errors.Is(err, answer.ErrEmptyQuery) {
			return nil, err
		}
		if err == nil && len(a.Disputes) == 1 && a.Disputes[0].ID == id && holdsEvents(a, &cd) {
			tl, _ := picture.FromAnswer(a, id)
			return &disputeView{dispute: a.Disputes[0], entries: a.Entries, picture: tl, key: picture.KeyFor(a, id)}, nil
		}
	}
	v := &disputeView{dispute: d, picture: picture.FromDispute(cd, nil), key: picture.Key{Dispute: id, Version: "corpus/" + h.engine.Corpus.Hash}}
	for i, ev := range cd.Events {
		day, _ := time.Parse(article.DateLayout, ev.Date)
		u, err := article.CanonicalURL(ev.URL)
		if err != nil {
			u = ev.URL
		}
		v.entries = append(v.entries, answer.Entry{N: i + 1, Date: day, Title: ev.Headline, URL: u, Outlet: ev.Outlet, Summary: ev.Summary,
			Sources: []answer.Source{{Outlet: ev.Outlet, URL: u, Title: ev.Headline}}, Disputes: []string{id}})
	}
	return v, nil
}

// lookup finds a dispute for a page, answering the request itself (404,
// 500) when it cannot.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request, sc weblink.Scope, id string) (*disputeView, bool) {
	ctx, cancel := context.WithTimeout(r.Context(), askTimeout)
	defer cancel()
	v, err := h.disputeAnswer(ctx, id, sc.Guild)
	switch {
	case err != nil:
		h.failed(w, r, err)
	case v == nil:
		h.notFound(w)
	}
	return v, err == nil && v != nil
}

// holdsEvents reports whether every event of d is a source of a's timeline.
func holdsEvents(a *answer.Answer, d *article.Dispute) bool {
	have := map[string]bool{}
	for _, e := range a.Entries {
		for _, s := range e.Sources {
			have[s.URL] = true
		}
	}
	for _, ev := range d.Events {
		u, err := article.CanonicalURL(ev.URL)
		if err != nil || !have[u] {
			return false
		}
	}
	return true
}

func (h *Handler) dispute(w http.ResponseWriter, r *http.Request, sc weblink.Scope, id string) {
	v, ok := h.lookup(w, r, sc, id)
	if !ok {
		return
	}
	d := v.dispute
	desc := firstSentence(d.Background)
	if desc == "" {
		desc = d.Title + ": " + d.Standing() + "."
	}
	p := h.scoped(page{Kind: "dispute", Title: d.Title, Dispute: d, Entries: v.entries, ImageAlt: picture.Describe(v.picture)}, sc)
	// The preview of a server's link shows the server's picture, as the
	// page does: the unfurl is seen where the link was posted.
	p.Image = p.Href("/d/" + url.PathEscape(id) + ".png")
	p.OG = &openGraph{Title: d.Title, Description: desc, URL: h.publicURL + p.Href("/d/"+url.PathEscape(id)), Image: h.publicURL + p.Image}
	h.render(w, http.StatusOK, p)
}

func (h *Handler) png(w http.ResponseWriter, r *http.Request, sc weblink.Scope, id string) {
	v, ok := h.lookup(w, r, sc, id)
	if !ok {
		return
	}
	img, err := h.pictures.Get(v.key, func() picture.Timeline { return v.picture })
	if err != nil {
		h.failed(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	if sc.Guild == "" {
		w.Header().Set("Cache-Control", "public, max-age=600")
	}
	w.Write(img)
}

// firstSentence is the first sentence of s, as the summariser splits
// sentences (it knows "U.S.", "v." and "Mr." end no sentence).
func firstSentence(s string) string {
	if parts := summarise.SplitSummary(s); len(parts) > 0 {
		return parts[0]
	}
	return ""
}

// link is href's value when u is an http(s) address, else "": only those
// become links.
func link(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return p.String()
}

func date(t time.Time) string { return t.UTC().Format(article.DateLayout) }
