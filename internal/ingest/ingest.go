// Package ingest runs the reading pipeline: fetch -> extract -> analyse ->
// store -> index. It also keeps the index in step with the store (catching
// up after a crash, rebuilding when the index is lost) and loads the
// built-in corpus into a fresh data folder.
package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/disputebot/disputebot/index"
	"github.com/disputebot/disputebot/internal/analyse"
	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/extract"
	"github.com/disputebot/disputebot/internal/fetch"
	"github.com/disputebot/disputebot/internal/store"
)

// Errors a caller branches on; Reason turns them into sentences.
var (
	ErrNotHTML    = errors.New("ingest: not a web page")
	ErrNoArticle  = errors.New("ingest: no article on the page")
	ErrFileTooBig = errors.New("ingest: file over the size cap")
)

// maxTitle and maxText bound what one article may put in the store: a
// hostile page cannot fill the disk through one row.
const (
	maxTitle = 500
	maxText  = 200_000
)

// NotHTMLError says what an address sent instead of a web page.
type NotHTMLError struct{ MediaType string }

func (e *NotHTMLError) Error() string { return "ingest: not a web page: " + e.MediaType }

// Unwrap lets errors.Is(err, ErrNotHTML) match.
func (e *NotHTMLError) Unwrap() error { return ErrNotHTML }

// ErrNotAFile refuses an input that is not a regular file (a FIFO, a
// device, a folder): opening one could block for ever.
var ErrNotAFile = errors.New("ingest: not a regular file")

// maxClaim bounds what a feed item's description may put in the store.
const maxClaim = 2000

// Store is what reading needs of the store: pages written in units of
// work, the built-in corpus kept in step, and, for the index, every change
// in order (Changed) from a store that knows its own identity.
type Store interface {
	Write(ctx context.Context, fn func(*store.Tx) error) error
	ArticleByURL(ctx context.Context, u string) (*article.Article, error)
	SaveCorpus(ctx context.Context, as []*article.Article) error
	RetireCorpus(ctx context.Context, keep map[string]bool) (int, error)
	Meta(ctx context.Context, key string) (string, error)
	SetMeta(ctx context.Context, key, value string) error
	Changed(ctx context.Context, after int64, batch int, fn func(page []*article.Article, seq int64) error) (int64, error)
	CountArticles(ctx context.Context) (int, error)
	MaxSeq(ctx context.Context) (int64, error)
	ID() string
}

// Pipeline reads articles into the store and the index.
type Pipeline struct {
	Store    Store
	Index    *index.Index
	Fetch    *fetch.Client
	Analyser *analyse.Analyser
	Log      *slog.Logger
	Now      func() time.Time
	MaxBytes int64 // cap on a local file, as on a fetched body

	syncMu sync.Mutex // one index writer at a time, in seq order
}

// Options says where an ingested article goes and what a source claimed
// about it.
type Options struct {
	Scope    string // guild id or article.GlobalScope
	SourceID int64
	// Claim is what a feed item said about the page it links to. It is
	// that feed's guild's alone: it never changes the page other scopes
	// read (see article.Article.Owner).
	Claim *Claim
}

// Claim is what a feed item said about the article it links to.
type Claim struct {
	Title     string
	Summary   string
	Published time.Time
	Updated   time.Time
}

// Result is one ingested article.
type Result struct {
	Article    *article.Article
	Created    bool // new to the store
	NewInScope bool // new to the scope it was ingested for
}

// Item is one article read and analysed, ready to store for a scope.
type Item struct {
	Article  *article.Article
	Scope    string
	SourceID int64
}

func (p *Pipeline) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

// IngestURL reads and stores the article at rawURL.
func (p *Pipeline) IngestURL(ctx context.Context, rawURL string, o Options) (*Result, error) {
	a, err := p.Prepare(ctx, rawURL, o)
	if err != nil {
		return nil, err
	}
	return p.saveOne(ctx, a, o)
}

// IngestHTML reads an HTML page already in hand (a local file, a fetched
// body) as if it had been fetched from pageURL, and stores it.
func (p *Pipeline) IngestHTML(ctx context.Context, body []byte, contentType, pageURL string, o Options) (*Result, error) {
	a, err := p.PrepareHTML(ctx, body, contentType, pageURL, o)
	if err != nil {
		return nil, err
	}
	return p.saveOne(ctx, a, o)
}

// IngestFile reads a saved HTML page and stores it; pageURL is its
// original address.
func (p *Pipeline) IngestFile(ctx context.Context, path, pageURL string, o Options) (*Result, error) {
	body, err := p.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return p.IngestHTML(ctx, body, "", pageURL, o)
}

// ReadFile reads a saved page, refusing what is not a regular file (a
// FIFO would block the open for ever) and what is over the size cap.
func (p *Pipeline) ReadFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, ErrNotAFile
	}
	if p.MaxBytes > 0 && st.Size() > p.MaxBytes {
		return nil, ErrFileTooBig
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	defer f.Close()
	limit := p.MaxBytes
	if limit <= 0 {
		limit = st.Size()
	}
	// Read up to the cap whatever the file has grown to since Stat.
	body, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	if p.MaxBytes > 0 && int64(len(body)) > p.MaxBytes {
		return nil, ErrFileTooBig
	}
	return body, nil
}

func (p *Pipeline) saveOne(ctx context.Context, a *article.Article, o Options) (*Result, error) {
	res, err := p.Save(ctx, []Item{{Article: a, Scope: o.Scope, SourceID: o.SourceID}})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// Save stores items in one transaction and brings the index up to date
// in one batch, which costs far less than one of each per article.
func (p *Pipeline) Save(ctx context.Context, items []Item) ([]*Result, error) {
	var out []*Result
	err := p.Store.Write(ctx, func(tx *store.Tx) error {
		var err error
		out, err = SaveIn(tx, items)
		return err
	})
	if err != nil {
		return nil, err
	}
	p.SyncLogged(ctx)
	return out, nil
}

// SaveIn stores items inside a caller's unit of work; the caller syncs
// the index after it commits.
func SaveIn(tx *store.Tx, items []Item) ([]*Result, error) {
	out := make([]*Result, len(items))
	for i, it := range items {
		saved, err := tx.SaveArticle(it.Article, scopeOf(it.Scope), it.SourceID)
		if err != nil {
			return nil, err
		}
		out[i] = &Result{Article: it.Article, Created: saved.Created, NewInScope: saved.NewInScope}
	}
	return out, nil
}

// SyncLogged brings the index up to date, logging a failure: the articles
// are safe in the store, and the next start-up indexes them.
func (p *Pipeline) SyncLogged(ctx context.Context) {
	if err := p.Sync(ctx); err != nil {
		p.Log.Error("indexing after ingest", "error", err)
	}
}

// Prepare reads the article at rawURL and returns what to store for
// o.Scope, without storing it. A page read before is not fetched again:
// what it said then is what every scope reads (see store.SaveArticle).
// With a feed's claim, the result may be the guild's own version of the
// page (see view).
func (p *Pipeline) Prepare(ctx context.Context, rawURL string, o Options) (*article.Article, error) {
	canon, err := article.CanonicalURL(rawURL)
	if err != nil {
		return nil, fetch.ErrBadURL
	}
	// An address the fetcher would refuse is refused even when its page
	// is stored already: the answer must not depend on who read it first.
	if err := p.Fetch.CheckURL(canon); err != nil {
		return nil, err
	}
	page, err := p.stored(ctx, canon)
	if page == nil && err == nil {
		page, err = p.fetchPage(ctx, canon)
	}
	if err != nil && ctx.Err() != nil {
		return nil, err
	}
	return p.view(canon, page, err, o)
}

// PrepareHTML is Prepare for a page in hand.
func (p *Pipeline) PrepareHTML(ctx context.Context, body []byte, contentType, pageURL string, o Options) (*article.Article, error) {
	canon, err := article.CanonicalURL(pageURL)
	if err != nil {
		return nil, fetch.ErrBadURL
	}
	page, err := p.stored(ctx, canon)
	if page == nil && err == nil {
		page, err = p.readPage(body, contentType, canon)
	}
	return p.view(canon, page, err, o)
}

// stored returns the page already stored at canon, or nil.
func (p *Pipeline) stored(ctx context.Context, canon string) (*article.Article, error) {
	a, err := p.Store.ArticleByURL(ctx, canon)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	return a, err
}

func (p *Pipeline) fetchPage(ctx context.Context, canon string) (*article.Article, error) {
	resp, err := p.Fetch.Get(ctx, canon, fetch.Conditional{}, "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
	if err != nil {
		return nil, err
	}
	// A redirect may end on the article's real address; store it there so
	// the same story reached through two links is one article.
	final := canon
	if c, err := article.CanonicalURL(resp.URL); err == nil && c != canon {
		final = c
		if a, err := p.stored(ctx, final); a != nil || err != nil {
			return a, err
		}
	}
	return p.readPage(resp.Body, resp.ContentType, final)
}

// readPage extracts and analyses a page: what it says itself, with its
// own dates only.
func (p *Pipeline) readPage(body []byte, contentType, canon string) (*article.Article, error) {
	page, err := extract.Extract(body, contentType, canon)
	switch {
	case errors.Is(err, extract.ErrNotHTML):
		return nil, &NotHTMLError{MediaType: mediaType(contentType)}
	case errors.Is(err, extract.ErrNoArticle):
		return nil, ErrNoArticle
	case err != nil:
		return nil, err
	}
	a := &article.Article{
		URL:        canon,
		Title:      clip(page.Title, maxTitle),
		Site:       clip(page.Site, 100),
		Byline:     clip(page.Byline, 200),
		Published:  page.Published,
		Updated:    page.Updated,
		DateSource: page.DateSource,
		Text:       clip(page.Text, maxText),
		FirstSeen:  p.now(),
	}
	if strings.TrimSpace(a.Title) == "" {
		return nil, ErrNoArticle
	}
	an := p.Analyser.Analyse(a.Title, a.Text, page.Excerpt)
	a.Parties, a.DisputeScore, a.Summary = an.Parties, an.DisputeScore, an.Summary
	return a, nil
}

// view decides what o.Scope is told about the article at canon, given the
// page (nil when it could not be read, pageErr saying why) and what a
// source claimed. Without a claim, or for a curated corpus event, or when
// the claim says nothing the page does not, it is the page itself, shared.
// Otherwise it is the guild's own version: the page with the feed's date,
// or, when the page could not be read, the feed item itself, so a
// paywalled page still reaches the guild that follows the feed.
func (p *Pipeline) view(canon string, page *article.Article, pageErr error, o Options) (*article.Article, error) {
	c := o.Claim
	guild := scopeOf(o.Scope)
	if c == nil || guild == article.GlobalScope || page != nil && page.Curated {
		return page, pageErr
	}
	now := p.now()
	date := c.Published
	if !article.PlausibleDate(date, now) {
		date = time.Time{}
	}
	if page != nil && (date.IsZero() || sameDay(date, page.Published)) {
		return page, nil
	}
	if page == nil && (strings.TrimSpace(c.Title) == "" || errors.Is(pageErr, fetch.ErrPrivateAddress)) {
		return nil, pageErr
	}
	v := &article.Article{URL: canon, Owner: guild, FirstSeen: now}
	if page != nil {
		v.Title, v.Site, v.Byline, v.Text, v.Summary = page.Title, page.Site, page.Byline, page.Text, page.Summary
		v.Parties, v.DisputeScore = page.Parties, page.DisputeScore
		v.Published, v.Updated, v.DateSource = page.Published, page.Updated, page.DateSource
	} else {
		if pageErr != nil {
			p.Log.Info("page unreadable; keeping the feed item for its guild", "url", canon, "guild", guild, "error", pageErr)
		}
		v.Title, v.Text = clip(c.Title, maxTitle), clip(c.Summary, maxClaim)
		if u, err := url.Parse(canon); err == nil {
			v.Site = strings.TrimPrefix(u.Hostname(), "www.")
		}
		if article.PlausibleDate(c.Updated, now) {
			v.Updated = c.Updated.UTC()
		}
		an := p.Analyser.Analyse(v.Title, v.Text, v.Text)
		v.Parties, v.DisputeScore, v.Summary = an.Parties, an.DisputeScore, an.Summary
	}
	if !date.IsZero() {
		v.Published, v.DateSource = date.UTC(), "feed"
	}
	return v, nil
}

func sameDay(a, b time.Time) bool {
	return !b.IsZero() && a.UTC().Format(article.DateLayout) == b.UTC().Format(article.DateLayout)
}

func scopeOf(scope string) string {
	if scope == "" {
		return article.GlobalScope
	}
	return scope
}

// Input is one thing to ingest: an address to fetch, a saved page (Path)
// read as if fetched from URL, or a page in hand (Body, when InHand).
type Input struct {
	URL         string
	Path        string
	Body        []byte
	ContentType string
	InHand      bool
	// StandIn marks URL as a stand-in for a saved page whose address was
	// not given: the address the page declares for itself replaces it.
	StandIn bool
}

// batchSize is how many inputs IngestInputs stores in one transaction and
// one index batch: enough to spread the index's per-batch cost (a Bleve
// segment per article was most of the cost of one at a time), few enough
// that a batch's pages sit in memory comfortably.
const batchSize = 100

// IngestInputs reads and stores inputs in batches, calling each with every
// input's outcome, in order, once its batch is stored. A failed input
// does not stop the others.
func (p *Pipeline) IngestInputs(ctx context.Context, ins []Input, o Options, each func(i int, r *Result, err error)) {
	for start := 0; start < len(ins); start += batchSize {
		end := min(start+batchSize, len(ins))
		errs := make([]error, end-start)
		var items []Item
		var at []int
		for i := start; i < end; i++ {
			a, err := p.prepareInput(ctx, ins[i], o)
			if err != nil {
				errs[i-start] = err
				continue
			}
			items = append(items, Item{Article: a, Scope: o.Scope, SourceID: o.SourceID})
			at = append(at, i)
		}
		saved, err := p.Save(ctx, items)
		results := make([]*Result, end-start)
		for k, i := range at {
			if err != nil {
				errs[i-start] = err
				continue
			}
			results[i-start] = saved[k]
		}
		for i := start; i < end; i++ {
			each(i, results[i-start], errs[i-start])
		}
	}
}

func (p *Pipeline) prepareInput(ctx context.Context, in Input, o Options) (*article.Article, error) {
	switch {
	case in.InHand:
		return p.PrepareHTML(ctx, in.Body, in.ContentType, in.URL, o)
	case in.Path != "":
		body, err := p.ReadFile(in.Path)
		if err != nil {
			return nil, err
		}
		u := in.URL
		if in.StandIn {
			if c := extract.Canonical(body); c != "" {
				u = c
			}
		}
		if !extract.IsHTML("", body) && isText(body) {
			return p.prepareText(ctx, body, u, o)
		}
		return p.PrepareHTML(ctx, body, "", u, o)
	}
	return p.Prepare(ctx, in.URL, o)
}

// isText reports whether a file holds text: valid UTF-8 with no NUL and
// few control characters, as a saved plain-text article does.
func isText(b []byte) bool {
	if len(b) == 0 || !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	control := 0
	for _, c := range b[:min(len(b), 4096)] {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			control++
		}
	}
	return control == 0
}

// prepareText reads a saved plain-text article: its first line is the
// title, the rest its text, one paragraph per line or blank-line block.
func (p *Pipeline) prepareText(ctx context.Context, body []byte, pageURL string, o Options) (*article.Article, error) {
	canon, err := article.CanonicalURL(pageURL)
	if err != nil {
		return nil, fetch.ErrBadURL
	}
	if page, err := p.stored(ctx, canon); page != nil || err != nil {
		return p.view(canon, page, err, o)
	}
	var title string
	var paras []string
	for _, line := range strings.Split(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n") {
		line = strings.Join(strings.Fields(line), " ")
		switch {
		case line == "":
		case title == "":
			title = line
		default:
			paras = append(paras, line)
		}
	}
	if title == "" || len(paras) == 0 {
		return nil, ErrNoArticle
	}
	a := &article.Article{URL: canon, Title: clip(title, maxTitle), Text: clip(strings.Join(paras, "\n"), maxText), FirstSeen: p.now()}
	if u, err := url.Parse(canon); err == nil && u.Hostname() != "file.invalid" {
		a.Site = strings.TrimPrefix(u.Hostname(), "www.")
	}
	an := p.Analyser.Analyse(a.Title, a.Text, "")
	a.Parties, a.DisputeScore, a.Summary = an.Parties, an.DisputeScore, an.Summary
	return p.view(canon, a, nil, o)
}

func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	// The type comes from the server: keep only what a media type may
	// hold, so it cannot carry markdown or a mention into a reply.
	ct = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("/+.-", r) {
			return r
		}
		return -1
	}, strings.ToLower(ct))
	if ct == "" {
		return "an unknown type"
	}
	return clip(ct, 60)
}

// clip cuts s to at most n characters, on a character boundary.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// Reason is the sentence a user reads when ingesting failed.
func Reason(err error) string {
	var nh *NotHTMLError
	switch {
	case errors.As(err, &nh):
		return "That address is not a web page I can read (it sent " + nh.MediaType + ")."
	case errors.Is(err, ErrNoArticle):
		return "I found no article text on that page."
	case errors.Is(err, ErrFileTooBig):
		return "That file is too large for me to read."
	case errors.Is(err, ErrNotAFile):
		return "That is not a regular file, so I did not open it."
	case errors.Is(err, store.ErrFull):
		return "I could not store that: my disk is full. Nothing was changed; please tell the bot's operator."
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "Reading that page took too long, so I stopped."
	}
	return fetch.Reason(err)
}
