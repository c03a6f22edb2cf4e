// Package extract turns a fetched HTML page into an article: title, text,
// outlet, byline and dates. Readability finds the text and the page's own
// metadata; findDate looks further (meta tags, JSON-LD, <time>, the URL)
// when the metadata states no date.
package extract

import (
	"bytes"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"

	"github.com/disputebot/disputebot/internal/article"
)

// ErrNoArticle means the page holds no readable text.
var ErrNoArticle = errors.New("extract: no readable article on the page")

// ErrNotHTML means the body is not a web page at all.
var ErrNotHTML = errors.New("extract: not an HTML page")

// Page is what extraction found.
type Page struct {
	Title      string
	Text       string // paragraphs separated by a blank line
	Site       string
	Byline     string
	Excerpt    string
	Lang       string
	Published  time.Time
	Updated    time.Time
	DateSource string // "metadata", "htmldate" (found by findDate) or ""
}

// IsHTML reports whether a response looks like a web page, from its
// Content-Type or, when that is missing or generic, its first bytes.
func IsHTML(contentType string, body []byte) bool {
	ct := strings.ToLower(contentType)
	switch {
	case strings.Contains(ct, "html"):
		return true
	case ct == "" || strings.HasPrefix(ct, "text/plain") || strings.HasPrefix(ct, "application/octet-stream"):
		head := strings.ToLower(string(body[:min(len(body), 512)]))
		return strings.Contains(head, "<html") || strings.Contains(head, "<!doctype html") || strings.Contains(head, "<head") || strings.Contains(head, "<body") || strings.Contains(head, "<p")
	}
	return false
}

// metaCharset finds a declared charset in the first bytes of a page; the
// HTML standard's prescan stops at 1024 bytes, which real pages overrun.
var metaCharset = regexp.MustCompile(`(?i)<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_:.-]+)`)

// Decode converts a body to UTF-8. The charset comes from, in order: the
// Content-Type or a byte-order mark; UTF-8 when the bytes are valid UTF-8
// (a page in a legacy charset almost never is, while pages re-saved as
// UTF-8 often keep a stale <meta charset>); a <meta> in the first 8 KB;
// else Windows-1252.
func Decode(body []byte, contentType string) []byte {
	enc, name, certain := charset.DetermineEncoding(body, contentType)
	declared := certain && strings.Contains(strings.ToLower(contentType), "charset") || hasBOM(body)
	if !declared {
		if utf8.Valid(body) {
			return body
		}
		if m := metaCharset.FindSubmatch(body[:min(len(body), 8192)]); m != nil {
			if e, n := charset.Lookup(string(m[1])); e != nil {
				enc, name = e, n
			}
		}
	}
	if name == "utf-8" {
		return bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	return bytes.ToValidUTF8(out, []byte("\uFFFD"))
}

func hasBOM(b []byte) bool {
	return bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}) || bytes.HasPrefix(b, []byte{0xFE, 0xFF}) || bytes.HasPrefix(b, []byte{0xFF, 0xFE})
}

// Extract reads an HTML page fetched from pageURL.
func Extract(body []byte, contentType, pageURL string) (*Page, error) {
	if !IsHTML(contentType, body) {
		return nil, ErrNotHTML
	}
	utf := Decode(body, contentType)
	base, _ := url.Parse(pageURL)
	doc, err := html.Parse(bytes.NewReader(utf))
	if err != nil {
		return nil, ErrNotHTML
	}
	// Readability rewrites the document as it reads it, so when its
	// metadata states no date the page is parsed again for findDate.
	art, rerr := readability.FromDocument(doc, base)
	p := &Page{}
	if rerr == nil {
		p.Title = clean(art.Title())
		p.Byline = clean(art.Byline())
		p.Site = clean(art.SiteName())
		p.Excerpt = clean(art.Excerpt())
		p.Lang = art.Language()
		if art.Node != nil {
			p.Text = Text(art.Node)
		}
		if t, err := art.PublishedTime(); err == nil && plausible(t) {
			p.Published, p.DateSource = t.UTC(), "metadata"
		}
		if t, err := art.ModifiedTime(); err == nil && plausible(t) {
			p.Updated = t.UTC()
		}
	}
	if p.Published.IsZero() {
		fresh, err := html.Parse(bytes.NewReader(utf))
		if err == nil {
			if t := findDate(fresh, pageURL); !t.IsZero() {
				p.Published, p.DateSource = t, "htmldate"
			}
		}
	}
	if p.Title == "" {
		p.Title = titleTag(utf)
	}
	if strings.TrimSpace(p.Text) == "" {
		if p.Title == "" {
			return nil, ErrNoArticle
		}
		p.Text = p.Excerpt
	}
	if p.Title == "" {
		// A page without a title still has a first line worth naming it by.
		first, _, _ := strings.Cut(p.Text, "\n")
		p.Title = shorten(first, 100)
	}
	if p.Site == "" && base != nil {
		p.Site = strings.TrimPrefix(base.Hostname(), "www.")
	}
	p.Title = trimTitle(p.Title, p.Site, p.Byline)
	return p, nil
}

// titleSeparators join a headline to the site's or the author's name in a
// page's <title>: "How to Build a Terrarium | eHow", "… | Eleanor Ainge
// Roy", "Samantha and The Great Big Lie - John C. Welch - Medium".
var titleSeparators = []string{" | ", " - ", " – ", " — ", " :: ", " · "}

// trimTitle drops, from the end of a title, segments that only name the
// site or the author, keeping at least the first segment.
func trimTitle(title, site, byline string) string {
	names := []string{strings.ToLower(site), strings.ToLower(byline)}
	for range 2 {
		cut := -1
		var sep string
		for _, s := range titleSeparators {
			if i := strings.LastIndex(title, s); i > cut {
				cut, sep = i, s
			}
		}
		if cut <= 0 {
			return title
		}
		tail := strings.ToLower(strings.TrimSpace(title[cut+len(sep):]))
		known := false
		for _, n := range names {
			if n != "" && tail != "" && (strings.Contains(n, tail) || strings.Contains(tail, n)) {
				known = true
			}
		}
		if !known {
			return title
		}
		title = strings.TrimSpace(title[:cut])
	}
	return title
}

// plausible rejects dates no news article has (article.PlausibleDate).
func plausible(t time.Time) bool { return article.PlausibleDate(t, time.Now()) }

// shorten cuts s at a word boundary to at most n characters.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := string([]rune(s)[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

func clean(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Canonical returns the address a saved page declares for itself (its
// <link rel="canonical">, else its og:url), when that is an absolute
// http(s) address; else "". A page saved to disk and ingested without its
// address is then stored, and shared, under its real one.
func Canonical(body []byte) string {
	z := html.NewTokenizer(bytes.NewReader(body))
	ogURL := ""
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return absoluteWeb(ogURL)
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "body":
				return absoluteWeb(ogURL)
			case "link", "meta":
				attrs := map[string]string{}
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					attrs[string(k)] = string(v)
				}
				if string(name) == "link" && strings.EqualFold(attrs["rel"], "canonical") {
					if u := absoluteWeb(attrs["href"]); u != "" {
						return u
					}
				}
				if string(name) == "meta" && attrs["property"] == "og:url" && ogURL == "" {
					ogURL = attrs["content"]
				}
			}
		}
	}
}

func absoluteWeb(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// titleTag is the fallback title: the document's <title>.
func titleTag(body []byte) string {
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken:
			if name, _ := z.TagName(); string(name) == "title" {
				if z.Next() == html.TextToken {
					return clean(string(z.Text()))
				}
				return ""
			}
		}
	}
}

// blocks are the elements that start a new paragraph of text.
var blocks = map[string]bool{"p": true, "div": true, "li": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "blockquote": true, "pre": true, "tr": true, "section": true, "article": true, "figcaption": true, "br": true, "dd": true, "dt": true, "table": true, "ul": true, "ol": true}

// Text renders a node's text with one paragraph per line, so that sentence
// splitting never joins a heading to the paragraph after it. Only block
// elements (and <br>) break lines: a line break in the page's source,
// inside a paragraph, is a space like any other, or a sentence would be
// cut in two wherever the page's author wrapped their HTML ("…the Arab
// Spring. forces raided…", "The Xbox" then "One X is…"). Inside <pre>
// the source's line breaks are kept.
func Text(n *html.Node) string {
	var b strings.Builder
	pre := 0
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			if pre > 0 {
				b.WriteString(n.Data)
			} else {
				b.WriteString(strings.Map(func(r rune) rune {
					if r == '\n' || r == '\r' {
						return ' '
					}
					return r
				}, n.Data))
			}
			return
		case html.ElementNode:
			switch n.Data {
			case "script", "style", "noscript", "template", "svg", "iframe", "button", "form":
				return
			case "pre":
				pre++
				defer func() { pre-- }()
			}
		}
		isBlock := n.Type == html.ElementNode && blocks[n.Data]
		if isBlock {
			b.WriteByte('\n')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if isBlock {
			b.WriteByte('\n')
		}
	}
	walk(n)
	var out []string
	for _, line := range strings.Split(b.String(), "\n") {
		line = strings.Join(strings.FieldsFunc(line, unicode.IsSpace), " ")
		if line != "" && utf8.ValidString(line) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// PlainText turns a fragment of HTML (a feed item's description) into
// plain text: tags dropped, entities decoded, block elements made into line
// breaks. Plain text passes through unchanged.
func PlainText(fragment string) string {
	if !strings.ContainsAny(fragment, "<&") {
		return strings.TrimSpace(fragment)
	}
	nodes, err := html.ParseFragment(strings.NewReader(fragment), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return strings.TrimSpace(fragment)
	}
	root := &html.Node{Type: html.ElementNode, Data: "div"}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	return Text(root)
}
