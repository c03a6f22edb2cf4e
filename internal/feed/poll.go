package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/disputebot/disputebot/internal/fetch"
	"github.com/disputebot/disputebot/internal/ingest"
	"github.com/disputebot/disputebot/internal/notify"
	"github.com/disputebot/disputebot/internal/store"
)

// accept is what a feed fetch asks for.
const accept = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"

// FailuresBeforeNotice is how many polls in a row must fail before the
// moderators are told in the feed's channel.
const FailuresBeforeNotice = 3

// maxBackoff caps the wait after repeated failures: a dead feed is still
// tried a few times a day, never silently given up.
const maxBackoff = 6 * time.Hour

// Poller polls every guild's feeds.
type Poller struct {
	Store       *store.Store
	Pipeline    *ingest.Pipeline
	Fetch       *fetch.Client
	Notifier    *notify.Notifier
	Log         *slog.Logger
	Now         func() time.Time
	Concurrency int
	// Notice tells a feed's moderators that it keeps failing (in the
	// feed's channel); nil tells no one.
	Notice func(ctx context.Context, src *store.Source, reason string)
	// Polled and Failed count polls, for metrics; nil is fine.
	Polled, Failed func()

	inFlight sync.Map // source id -> struct{}: a feed is never polled twice at once
}

func (p *Poller) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

// Fetch reads and parses a feed once, for `feed add` to check an address
// before storing it.
func Fetch(ctx context.Context, c *fetch.Client, u string) (*Parsed, *fetch.Response, error) {
	resp, err := c.Get(ctx, u, fetch.Conditional{}, accept)
	if err != nil {
		return nil, nil, err
	}
	parsed, err := Parse(resp.Body, resp.URL)
	if err != nil {
		return nil, resp, err
	}
	return parsed, resp, nil
}

// Reason is the sentence users read for a feed failure.
func Reason(err error) string {
	if errors.Is(err, ErrNotFeed) {
		return "That address did not return an RSS, Atom or JSON feed."
	}
	return fetch.Reason(err)
}

// Run polls due feeds until ctx ends, at most Concurrency at a time.
func (p *Poller) Run(ctx context.Context) {
	conc := max(p.Concurrency, 1)
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		due, err := p.Store.DueFeeds(ctx, p.now(), conc*4)
		if err != nil && ctx.Err() == nil {
			p.Log.Error("listing due feeds", "error", err)
		}
		for _, src := range due {
			if _, busy := p.inFlight.LoadOrStore(src.ID, struct{}{}); busy {
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				p.inFlight.Delete(src.ID)
				return
			}
			wg.Add(1)
			go func(src *store.Source) {
				defer wg.Done()
				defer func() { <-sem; p.inFlight.Delete(src.ID) }()
				p.Poll(ctx, src)
			}(src)
		}
		wait := time.Second
		if len(due) == 0 {
			if next, err := p.Store.NextFeedPoll(ctx); err == nil && !next.IsZero() {
				wait = min(max(next.Sub(p.now()), 50*time.Millisecond), 30*time.Second)
			}
		} else {
			wait = 50 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// Poll reads one feed now: conditional GET, parse, ingest new items,
// announce those that arrived after the feed was added, and schedule the
// next poll (with backoff after a failure). It records the outcome in the
// store, where `feeds` shows it.
func (p *Poller) Poll(ctx context.Context, src *store.Source) {
	f := src.Feed
	now := p.now()
	resp, err := p.Fetch.Get(ctx, src.URL, fetch.Conditional{ETag: f.ETag, LastModified: f.LastModified}, accept)
	var parsed *Parsed
	if err == nil && !resp.NotModified {
		parsed, err = Parse(resp.Body, resp.URL)
	}
	if ctx.Err() != nil {
		return // shutting down: the poll is redone after restart
	}
	if p.Polled != nil {
		p.Polled()
	}
	if err != nil {
		p.failed(ctx, src, now, err)
		return
	}
	newItems := 0
	if parsed != nil {
		if parsed.Title != "" {
			f.Title = parsed.Title
		}
		newItems = p.items(ctx, src, parsed)
		f.ETag, f.LastModified = resp.ETag, resp.LastModified
	}
	f.Failures, f.FailureNoticed, f.LastOK = 0, false, now
	f.NextPoll = now.Add(jitter(f.Interval))
	if err := p.Store.FeedPolled(ctx, src.ID, f); err != nil {
		p.Log.Error("recording a feed poll", "feed", src.ID, "error", err)
	}
	_ = p.Store.SourceFetched(ctx, src.ID, now, "", newItems)
}

// items ingests the items the feed has not carried before. An item is
// marked seen only after its article and notices are stored, so a crash
// reads it again instead of losing it; the queue's unique keys keep the
// second reading from notifying twice.
func (p *Poller) items(ctx context.Context, src *store.Source, parsed *Parsed) int {
	first := src.Feed.LastOK.IsZero() && src.Items == 0
	n := 0
	for _, it := range parsed.Items {
		if ctx.Err() != nil {
			return n
		}
		seen, err := p.Store.FeedItemSeen(ctx, src.ID, it.Key)
		if err != nil || seen {
			continue
		}
		var articleID int64
		if it.Link != "" {
			res, err := p.Pipeline.IngestURL(ctx, it.Link, ingest.Options{
				Scope:    src.GuildID,
				SourceID: src.ID,
				Known:    &ingest.Known{Title: it.Title, Summary: it.Summary, Published: it.Published, Updated: it.Updated},
			})
			if err != nil {
				if ctx.Err() != nil {
					return n
				}
				p.Log.Info("feed item skipped", "feed", src.ID, "link", it.Link, "error", err)
			} else {
				articleID = res.Article.ID
				if announce(it, src, first) {
					if _, err := p.Notifier.Announce(ctx, res.Article, src.GuildID, src); err != nil {
						p.Log.Error("queuing notices", "feed", src.ID, "error", err)
						continue // not marked: retried on the next poll
					}
				}
			}
		}
		if err := p.Store.MarkFeedItem(ctx, src.ID, it.Key, articleID, p.now()); err != nil {
			p.Log.Error("marking a feed item", "feed", src.ID, "error", err)
			continue
		}
		n++
	}
	return n
}

// announce decides whether a new item is news to the guild: items dated
// before the feed was added are history (indexed, not announced), and on a
// feed's first poll an undated item is history too, so adding a feed never
// floods a channel.
func announce(it Item, src *store.Source, firstPoll bool) bool {
	date := it.Published
	if date.IsZero() {
		date = it.Updated
	}
	if date.IsZero() {
		return !firstPoll
	}
	return IsNews(date, src.AddedAt)
}

// IsNews says whether an item dated date is news to a feed added at added,
// rather than history from before it (a minute's grace for clock skew).
func IsNews(date, added time.Time) bool {
	return !date.Before(added.Add(-time.Minute))
}

func (p *Poller) failed(ctx context.Context, src *store.Source, now time.Time, err error) {
	f := src.Feed
	f.Failures++
	reason := Reason(err)
	wait := min(f.Interval<<min(f.Failures, 10), maxBackoff)
	var se *fetch.StatusError
	if errors.As(err, &se) && se.Code == 429 {
		wait = max(wait, 30*time.Minute)
	}
	f.NextPoll = now.Add(jitter(wait))
	p.Log.Info("feed poll failed", "feed", src.ID, "failures", f.Failures, "next_poll", f.NextPoll, "error", err)
	if p.Failed != nil {
		p.Failed()
	}
	if f.Failures >= FailuresBeforeNotice && !f.FailureNoticed && p.Notice != nil {
		p.Notice(ctx, src, fmt.Sprintf("%s I have failed to read it %d times in a row and will keep trying, next around %s UTC.",
			reason, f.Failures, f.NextPoll.Format("2006-01-02 15:04")))
		f.FailureNoticed = true
	}
	if err := p.Store.FeedPolled(ctx, src.ID, f); err != nil {
		p.Log.Error("recording a feed poll", "feed", src.ID, "error", err)
	}
	_ = p.Store.SourceFetched(ctx, src.ID, now, reason, 0)
}

// jitter spreads polls by up to a tenth of the interval either way, so
// feeds added together do not stay in step.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	spread := int64(d / 10)
	return d - time.Duration(spread) + time.Duration(rand.Int64N(2*spread+1))
}
