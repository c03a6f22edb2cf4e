// Package ingest runs the reading pipeline: fetch -> extract -> analyse ->
// store -> index. It also keeps the index in step with the store (catching
// up after a crash, rebuilding when the index is lost) and loads the
// built-in corpus into a fresh data folder.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/disputebot/disputebot/index"
	"github.com/disputebot/disputebot/internal/analyse"
	"github.com/disputebot/disputebot/internal/article"
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

// Pipeline reads articles into the store and the index.
type Pipeline struct {
	Store    *store.Store
	Index    *index.Index
	Fetch    *fetch.Client
	Analyser *analyse.Analyser
	Log      *slog.Logger
	Now      func() time.Time
	MaxBytes int64 // cap on a local file, as on a fetched body

	syncMu sync.Mutex // one index writer at a time, in seq order
}

// Options says where an ingested article goes and what is known of it
// beforehand (from a feed item, say).
type Options struct {
	Scope    string // guild id or article.GlobalScope
	SourceID int64
	// Known comes from a feed item: its date outranks the page's, and its
	// title and summary stand in when the page cannot be read.
	Known *Known
}

// Known is what a feed item said about the article it links to.
type Known struct {
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

func (p *Pipeline) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

// IngestURL fetches, reads and stores the article at rawURL. When a feed
// item is Known and the page cannot be fetched or read, the item itself is
// stored, so a paywalled or broken page still reaches subscribers.
func (p *Pipeline) IngestURL(ctx context.Context, rawURL string, o Options) (*Result, error) {
	canon, err := article.CanonicalURL(rawURL)
	if err != nil {
		return nil, fetch.ErrBadURL
	}
	resp, err := p.Fetch.Get(ctx, canon, fetch.Conditional{}, "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
	if err != nil {
		if o.Known != nil && o.Known.Title != "" && !errors.Is(err, fetch.ErrPrivateAddress) {
			p.Log.Info("page unreadable; storing the feed item", "url", canon, "error", err)
			return p.store(ctx, canon, &extract.Page{}, o)
		}
		return nil, err
	}
	// A redirect may end on the article's real address; store it there so
	// the same story reached through two links is one article.
	final := canon
	if c, err := article.CanonicalURL(resp.URL); err == nil {
		final = c
	}
	return p.IngestHTML(ctx, resp.Body, resp.ContentType, final, o)
}

// IngestHTML reads an HTML page already in hand (a local file, a fetched
// body) as if it had been fetched from pageURL.
func (p *Pipeline) IngestHTML(ctx context.Context, body []byte, contentType, pageURL string, o Options) (*Result, error) {
	canon, err := article.CanonicalURL(pageURL)
	if err != nil {
		return nil, fetch.ErrBadURL
	}
	page, err := extract.Extract(body, contentType, canon)
	switch {
	case errors.Is(err, extract.ErrNotHTML):
		if o.Known != nil && o.Known.Title != "" {
			return p.store(ctx, canon, &extract.Page{}, o)
		}
		return nil, &NotHTMLError{MediaType: mediaType(contentType)}
	case errors.Is(err, extract.ErrNoArticle):
		if o.Known != nil && o.Known.Title != "" {
			return p.store(ctx, canon, &extract.Page{}, o)
		}
		return nil, ErrNoArticle
	case err != nil:
		return nil, err
	}
	return p.store(ctx, canon, page, o)
}

// IngestFile reads a saved HTML page; pageURL is its original address, or
// a file: address stands in.
func (p *Pipeline) IngestFile(ctx context.Context, path, pageURL string, o Options) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	if p.MaxBytes > 0 && st.Size() > p.MaxBytes {
		return nil, ErrFileTooBig
	}
	body := make([]byte, st.Size())
	if _, err := f.ReadAt(body, 0); err != nil && st.Size() > 0 {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	return p.IngestHTML(ctx, body, "", pageURL, o)
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

// store analyses an extracted page and saves it, then brings the index up
// to date.
func (p *Pipeline) store(ctx context.Context, url string, page *extract.Page, o Options) (*Result, error) {
	a, err := p.prepare(url, page, o)
	if err != nil {
		return nil, err
	}
	saved, err := p.Store.SaveArticle(ctx, a, scopeOf(o), o.SourceID)
	if err != nil {
		return nil, err
	}
	if err := p.Sync(ctx); err != nil {
		// The article is safe in the store; the next start-up indexes it.
		p.Log.Error("indexing after ingest", "url", url, "error", err)
	}
	return &Result{Article: a, Created: saved.Created, NewInScope: saved.NewInScope}, nil
}

func scopeOf(o Options) string {
	if o.Scope == "" {
		return article.GlobalScope
	}
	return o.Scope
}

// prepare turns an extracted page into an article: limits applied, feed
// knowledge merged, parties, dispute score and summary found.
func (p *Pipeline) prepare(url string, page *extract.Page, o Options) (*article.Article, error) {
	a := &article.Article{
		URL:        url,
		Title:      clip(page.Title, maxTitle),
		Site:       clip(page.Site, 100),
		Byline:     clip(page.Byline, 200),
		Published:  page.Published,
		Updated:    page.Updated,
		DateSource: page.DateSource,
		Text:       clip(page.Text, maxText),
		FirstSeen:  p.now(),
	}
	if k := o.Known; k != nil {
		// A feed states its items' dates on purpose; pages often carry
		// several, so the feed's wins.
		if !k.Published.IsZero() {
			a.Published, a.DateSource = k.Published.UTC(), "feed"
		}
		if !k.Updated.IsZero() && a.Updated.IsZero() {
			a.Updated = k.Updated.UTC()
		}
		if a.Title == "" {
			a.Title = clip(k.Title, maxTitle)
		}
		if a.Text == "" {
			a.Text = clip(k.Summary, maxText)
		}
	}
	if strings.TrimSpace(a.Title) == "" {
		return nil, ErrNoArticle
	}
	fallback := ""
	if o.Known != nil {
		fallback = o.Known.Summary
	}
	if fallback == "" {
		fallback = page.Excerpt
	}
	an := p.Analyser.Analyse(a.Title, a.Text, fallback)
	a.Parties, a.DisputeScore, a.Summary = an.Parties, an.DisputeScore, an.Summary
	return a, nil
}

// Page is a page in hand, for batch ingest.
type Page struct {
	Body        []byte
	ContentType string
	URL         string
}

// IngestBatch reads many pages already in hand and stores them in one
// transaction and one index batch, which is several times faster than one
// at a time. A page that cannot be read has its error in the result and
// does not stop the others.
func (p *Pipeline) IngestBatch(ctx context.Context, pages []Page, o Options) ([]*Result, []error) {
	results := make([]*Result, len(pages))
	errs := make([]error, len(pages))
	var arts []*article.Article
	var at []int
	for i, pg := range pages {
		canon, err := article.CanonicalURL(pg.URL)
		if err != nil {
			errs[i] = fetch.ErrBadURL
			continue
		}
		page, err := extract.Extract(pg.Body, pg.ContentType, canon)
		if err != nil {
			errs[i] = ErrNoArticle
			if errors.Is(err, extract.ErrNotHTML) {
				errs[i] = &NotHTMLError{MediaType: mediaType(pg.ContentType)}
			}
			continue
		}
		a, err := p.prepare(canon, page, o)
		if err != nil {
			errs[i] = err
			continue
		}
		arts = append(arts, a)
		at = append(at, i)
	}
	saved, err := p.Store.SaveArticles(ctx, arts, scopeOf(o))
	if err != nil {
		for _, i := range at {
			errs[i] = err
		}
		return results, errs
	}
	for k, i := range at {
		results[i] = &Result{Article: arts[k], Created: saved[k].Created, NewInScope: saved[k].NewInScope}
	}
	if err := p.Sync(ctx); err != nil {
		p.Log.Error("indexing after a batch ingest", "error", err)
	}
	return results, errs
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
	case errors.Is(err, store.ErrFull):
		return "I could not store that: my disk is full. Nothing was changed; please tell the bot's operator."
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "Reading that page took too long, so I stopped."
	}
	return fetch.Reason(err)
}
