// Package feed reads RSS, Atom and JSON feeds: it parses bytes the
// hardened client fetched (never a URL of its own), and polls each guild's
// feeds on their own schedule, ingesting new items and announcing the ones
// that arrived after the feed was added.
package feed

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/disputebot/disputebot/internal/extract"
)

// ErrNotFeed means the body is not RSS, Atom or JSON Feed: often a web page
// (an error page, a login wall) where a feed was expected.
var ErrNotFeed = errors.New("feed: not a feed")

// maxItems bounds how many items one poll reads, newest first.
const maxItems = 100

// A feed writes what it likes into the fields the store keeps, so each is
// bounded: a 1 MB GUID must not fill the database.
const (
	maxKeyBytes  = 512   // longer keys are stored as a hash
	maxLinkBytes = 2048  // longer links are dropped
	maxFeedTitle = 200   // characters
	maxItemTitle = 300   // characters
	maxSummary   = 2_000 // characters
)

// Parsed is a feed's title and items.
type Parsed struct {
	Title string
	Items []Item
}

// Item is one entry of a feed.
type Item struct {
	Key       string // GUID, else link, else a hash of the title: what makes it "seen"
	Link      string // absolute
	Title     string
	Summary   string // plain text
	Published time.Time
	Updated   time.Time
}

// Parse reads a feed. base resolves relative item links. However many
// items the body holds, only the first maxItems reach gofeed (see cut), so
// what a parse allocates grows with those items, not with the rest.
func Parse(body []byte, base string) (*Parsed, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, ErrNotFeed
	}
	body, err := cut(body)
	if err != nil {
		return nil, ErrNotFeed
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		return nil, ErrNotFeed
	}
	// Any JSON object parses as a JSON Feed; a real one names its version
	// (an API's error object does not).
	if f.FeedType == "json" && f.FeedVersion == "" {
		return nil, ErrNotFeed
	}
	baseURL, _ := url.Parse(base)
	out := &Parsed{Title: truncate(clean(f.Title), maxFeedTitle)}
	for i, it := range f.Items {
		if i == maxItems {
			break
		}
		title, summary := clean(it.Title), extract.PlainText(firstNonEmpty(it.Description, it.Content))
		item := Item{Title: truncate(title, maxItemTitle), Summary: truncate(summary, maxSummary)}
		if it.PublishedParsed != nil {
			item.Published = it.PublishedParsed.UTC()
		}
		if it.UpdatedParsed != nil {
			item.Updated = it.UpdatedParsed.UTC()
		}
		item.Link = resolve(baseURL, strings.TrimSpace(it.Link))
		switch {
		case strings.TrimSpace(it.GUID) != "":
			item.Key = "guid:" + strings.TrimSpace(it.GUID)
		case item.Link != "":
			item.Key = "link:" + item.Link
		default:
			// The hash reads the text before it is cut, so the keys of
			// items seen before the cut existed stay the same.
			h := sha256.Sum256([]byte(title + "\x00" + summary))
			item.Key = "hash:" + hex.EncodeToString(h[:12])
		}
		if len(item.Key) > maxKeyBytes {
			h := sha256.Sum256([]byte(item.Key))
			item.Key = "hash:" + hex.EncodeToString(h[:])
		}
		// The key above still names an item by its overlong link; only the
		// link shown and stored is dropped.
		if len(item.Link) > maxLinkBytes {
			item.Link = ""
		}
		out.Items = append(out.Items, item)
	}
	return out, nil
}

// truncate cuts s to at most n characters. Bytes that are not UTF-8 become
// U+FFFD first, so the cut falls between characters and the result is
// valid text.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	chars := 0
	for i := range s {
		if chars == n {
			return s[:i]
		}
		chars++
	}
	return s
}

func resolve(base *url.URL, link string) string {
	if link == "" {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return ""
	}
	return u.String()
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if strings.TrimSpace(x) != "" {
			return x
		}
	}
	return ""
}

func clean(s string) string { return strings.Join(strings.Fields(extract.PlainText(s)), " ") }
