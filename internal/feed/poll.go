package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
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

// Defaults of the Poller's bounds.
const (
	defaultBudget       = time.Minute
	defaultItemsPerPoll = 25
	defaultRetain       = 1000
)

// Store is what the poller needs of the store. A poll's outcome (its
// articles, their notices, its items marked seen) is written in one unit
// of work, Write.
type Store interface {
	DueFeeds(ctx context.Context, now time.Time, perGuild, limit int) ([]*domain.Source, error)
	ClaimFeed(ctx context.Context, id int64, now, until time.Time) (bool, error)
	ReleaseFeed(ctx context.Context, id int64, claimedUntil, next time.Time) error
	NextFeedPoll(ctx context.Context) (time.Time, error)
	FeedPolled(ctx context.Context, id int64, f *domain.Feed) error
	SourceFetched(ctx context.Context, id int64, at time.Time, errText string, newItems int) error
	Unseen(ctx context.Context, sourceID int64, keys []string) ([]string, error)
	GuildArticlesSince(ctx context.Context, guild string, since time.Time) (int, error)
	Write(ctx context.Context, fn func(*store.Tx) error) error
}

// Poller polls every guild's feeds. Its work is bounded per poll (a time
// budget, a number of new items) and shared fairly between guilds: a
// guild holds at most a quarter of the polls running at once (one, at the
// default four), and the next poll to start is that of the guild served
// least recently. So a guild whose feeds hang can delay only itself.
type Poller struct {
	Store       Store
	Pipeline    *ingest.Pipeline
	Fetch       *fetch.Client
	Notifier    *notify.Notifier
	Log         *slog.Logger
	Now         func() time.Time
	Concurrency int
	// Budget is the longest one poll may take, the item pages it reads
	// included; items it has no time for wait for the next poll.
	Budget time.Duration
	// ItemsPerPoll caps the new items one poll reads; the rest wait.
	ItemsPerPoll int
	// GuildDailyArticles caps the articles a guild's feeds may bring in
	// 24 hours (0: no cap); items past it wait until the day has room.
	GuildDailyArticles int
	// Retain is how many of a feed's items are remembered as seen.
	Retain int
	// Notice tells a feed's moderators that it keeps failing (in the
	// feed's channel); nil tells no one.
	Notice func(ctx context.Context, src *domain.Source, reason string)
	// Polled, Failed and Panicked count polls, for metrics; nil is fine.
	Polled, Failed, Panicked func()

	inFlight sync.Map // source id -> struct{}: a feed is never polled twice at once
	mu       sync.Mutex
	guilds   map[string]*guildTurn
}

// guildTurn is how the scheduler remembers a guild: how many of its polls
// run, and when the last one started.
type guildTurn struct {
	running int
	last    time.Time
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

// Run polls due feeds until ctx ends, at most Concurrency at a time and
// fairly between guilds.
func (p *Poller) Run(ctx context.Context) {
	conc := max(p.Concurrency, 1)
	perGuild := max(1, conc/4)
	done := make(chan struct{}, conc)
	running := 0
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		launched := 0
		if running < conc {
			due, err := p.Store.DueFeeds(ctx, p.now(), perGuild+1, conc*8)
			if err != nil && ctx.Err() == nil {
				p.Log.Error("listing due feeds", "error", err)
			}
			for _, src := range p.fair(due) {
				if running == conc {
					break
				}
				if !p.take(src, perGuild) {
					continue
				}
				until, ok := p.claim(ctx, src)
				if !ok {
					p.release(src)
					continue
				}
				running++
				launched++
				wg.Add(1)
				go func(src *domain.Source) {
					defer wg.Done()
					defer func() { p.release(src); done <- struct{}{} }()
					defer p.recovered("polling a feed", src)
					p.Poll(ctx, src)
					if ctx.Err() != nil {
						// Stopping mid-poll: the next process polls it at
						// once rather than after the claim runs out.
						if err := p.Store.ReleaseFeed(context.Background(), src.ID, until, src.Feed.NextPoll); err != nil { // due as it was
							p.Log.Warn("giving back a feed's poll", "feed", src.ID, "error", err)
						}
					}
				}(src)
			}
		}
		wait := time.Second
		if launched == 0 && running < conc {
			if next, err := p.Store.NextFeedPoll(ctx); err == nil && !next.IsZero() {
				wait = min(max(next.Sub(p.now()), 50*time.Millisecond), 30*time.Second)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-done:
			running--
			// Let a burst of finishing polls land before listing again.
			for drained := false; !drained; {
				select {
				case <-done:
					running--
				default:
					drained = true
				}
			}
		case <-time.After(wait):
		}
	}
}

// fair orders due feeds so that the guild served least recently comes
// first, and within a guild the most overdue feed.
func (p *Poller) fair(due []*domain.Source) []*domain.Source {
	p.mu.Lock()
	defer p.mu.Unlock()
	last := func(g string) time.Time {
		if t := p.guilds[g]; t != nil {
			return t.last
		}
		return time.Time{}
	}
	sort.SliceStable(due, func(i, j int) bool {
		li, lj := last(due[i].GuildID), last(due[j].GuildID)
		if !li.Equal(lj) {
			return li.Before(lj)
		}
		return due[i].Feed.NextPoll.Before(due[j].Feed.NextPoll)
	})
	return due
}

// take claims a poll of src, unless it is running already or its guild
// has perGuild polls running.
func (p *Poller) take(src *domain.Source, perGuild int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.guilds == nil {
		p.guilds = map[string]*guildTurn{}
	}
	t := p.guilds[src.GuildID]
	if t == nil {
		t = &guildTurn{}
		p.guilds[src.GuildID] = t
	}
	if t.running >= perGuild {
		return false
	}
	if _, busy := p.inFlight.LoadOrStore(src.ID, struct{}{}); busy {
		return false
	}
	t.running++
	t.last = time.Now()
	return true
}

func (p *Poller) budget() time.Duration {
	if p.Budget <= 0 {
		return defaultBudget
	}
	return p.Budget
}

// claim takes src's poll from every other process sharing the store, for
// longer than a poll can last (its budget, then writing what it read): a
// process that dies mid-poll leaves the feed to another once the claim
// runs out. It returns when the claim ends.
func (p *Poller) claim(ctx context.Context, src *domain.Source) (time.Time, bool) {
	now := p.now()
	until := now.Add(p.budget() + p.budget()/2 + 5*time.Second)
	ok, err := p.Store.ClaimFeed(ctx, src.ID, now, until)
	if err != nil && ctx.Err() == nil {
		p.Log.Error("claiming a feed's poll", "feed", src.ID, "error", err)
	}
	return until, ok && err == nil
}

func (p *Poller) release(src *domain.Source) {
	p.inFlight.Delete(src.ID)
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := p.guilds[src.GuildID]; t != nil {
		t.running--
		if t.running == 0 && time.Since(t.last) > time.Hour {
			delete(p.guilds, src.GuildID) // the map forgets guilds that left
		}
	}
}

// recovered is deferred at the root of every poll: a panic in one feed's
// poll (a parser's bug, a page no one foresaw) is logged and counted, and
// the feed is tried again after its interval, instead of ending the bot.
func (p *Poller) recovered(what string, src *domain.Source) {
	v := recover()
	if v == nil {
		return
	}
	p.Log.Error("panic "+what, "feed", src.ID, "guild", src.GuildID, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if p.Panicked != nil {
		p.Panicked()
	}
	f := *src.Feed
	f.NextPoll = p.now().Add(jitter(max(f.Interval, time.Minute)))
	if err := p.Store.FeedPolled(context.Background(), src.ID, &f); err != nil {
		p.Log.Error("rescheduling a feed after a panic", "feed", src.ID, "error", err)
	}
}

// Poll reads one feed now: conditional GET, parse, read the new items'
// pages within the poll's budget, then in one unit of work store their
// articles, queue the notices of those that arrived after the feed was
// added, mark them seen and schedule the next poll (with backoff after a
// failure). A crash anywhere leaves all of it or none; the poll is redone.
func (p *Poller) Poll(ctx context.Context, src *domain.Source) {
	f := *src.Feed
	now := p.now()
	pctx, cancel := context.WithTimeout(ctx, p.budget())
	defer cancel()
	resp, err := p.Fetch.Get(pctx, src.URL, fetch.Conditional{ETag: f.ETag, LastModified: f.LastModified}, accept)
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
	var read []readItem
	complete := true
	if parsed != nil {
		if parsed.Title != "" {
			f.Title = parsed.Title
		}
		read, complete = p.readItems(ctx, pctx, src, parsed)
		if ctx.Err() != nil {
			return
		}
		if complete {
			f.ETag, f.LastModified = resp.ETag, resp.LastModified
		} else {
			// Items wait for the next poll, which must not be told "not
			// modified" and miss them.
			f.ETag, f.LastModified = "", ""
		}
	}
	f.Failures, f.FailureNoticed, f.LastOK = 0, false, now
	f.NextPoll = now.Add(jitter(f.Interval))
	if err := p.save(ctx, src, &f, read); err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			p.Log.Info("feed removed while it was polled; its items were dropped", "feed", src.ID)
			return
		}
		if ctx.Err() == nil {
			p.Log.Error("storing a feed poll", "feed", src.ID, "error", err)
		}
		return
	}
	p.Pipeline.SyncLogged(ctx)
	if p.Notifier != nil {
		p.Notifier.Signal()
	}
}

// readItem is one new item of a poll, read: its article (nil when it has
// none to store) and whether it is news to the guild.
type readItem struct {
	item     Item
	article  *article.Article
	announce bool
}

// readItems reads the pages of the feed's new items, newest first as the
// feed lists them, while the poll's budget, its item cap and the guild's
// daily cap allow; complete is false when some were left for later.
func (p *Poller) readItems(ctx, pctx context.Context, src *domain.Source, parsed *Parsed) (read []readItem, complete bool) {
	keys := make([]string, len(parsed.Items))
	byKey := make(map[string]Item, len(parsed.Items))
	for i, it := range parsed.Items {
		keys[i] = it.Key
		byKey[it.Key] = it
	}
	unseen, err := p.Store.Unseen(ctx, src.ID, keys)
	if err != nil {
		p.Log.Error("reading a feed's seen items", "feed", src.ID, "error", err)
		return nil, false
	}
	limit := p.ItemsPerPoll
	if limit <= 0 {
		limit = defaultItemsPerPoll
	}
	if p.GuildDailyArticles > 0 {
		n, err := p.Store.GuildArticlesSince(ctx, src.GuildID, p.now().Add(-24*time.Hour))
		if err != nil {
			p.Log.Error("counting a guild's articles", "guild", src.GuildID, "error", err)
			return nil, false
		}
		limit = min(limit, max(0, p.GuildDailyArticles-n))
	}
	first := src.Feed.LastOK.IsZero() && src.Items == 0
	for _, key := range unseen {
		if len(read) == limit || pctx.Err() != nil {
			return read, false
		}
		it := byKey[key]
		r := readItem{item: it}
		if it.Link != "" {
			a, err := p.Pipeline.Prepare(pctx, it.Link, ingest.Options{
				Scope:    src.GuildID,
				SourceID: src.ID,
				Claim:    &ingest.Claim{Title: it.Title, Summary: it.Summary, Published: it.Published, Updated: it.Updated},
			})
			switch {
			case ctx.Err() != nil:
				return read, false
			case pctx.Err() != nil:
				// Out of time: this item waits for the next poll.
				return read, false
			case err != nil:
				p.Log.Info("feed item skipped", "feed", src.ID, "link", it.Link, "error", err)
			default:
				r.article = a
				r.announce = p.isNews(it, src, first)
			}
		}
		read = append(read, r)
	}
	return read, true
}

// save stores a poll's outcome in one unit of work: the items' articles,
// their notices, the items marked seen (the oldest forgotten), and the
// feed's new state. It returns domain.ErrNotFound when the feed was
// removed meanwhile.
func (p *Poller) save(ctx context.Context, src *domain.Source, f *domain.Feed, read []readItem) error {
	now := p.now()
	retain := p.Retain
	if retain <= 0 {
		retain = defaultRetain
	}
	if p.Notifier != nil {
		// Subscriptions made through other processes count too.
		if err := p.Notifier.Refresh(ctx); err != nil {
			return err
		}
	}
	return p.Store.Write(ctx, func(tx *store.Tx) error {
		if ok, err := tx.SourceExists(src.ID); err != nil {
			return err
		} else if !ok {
			return domain.ErrNotFound
		}
		for _, r := range read {
			var id int64
			if r.article != nil {
				res, err := ingest.SaveIn(tx, []ingest.Item{{Article: r.article, Scope: src.GuildID, SourceID: src.ID}})
				if err != nil {
					return err
				}
				id = res[0].Article.ID
				if r.announce && p.Notifier != nil {
					if _, err := tx.Enqueue(p.Notifier.Deliveries(res[0].Article, src.GuildID, src), now); err != nil {
						return err
					}
				}
			}
			if err := tx.MarkFeedItem(src.ID, r.item.Key, id, now); err != nil {
				return err
			}
		}
		if err := tx.PruneFeedItems(src.ID, retain); err != nil {
			return err
		}
		if err := tx.FeedPolled(src.ID, f); err != nil {
			return err
		}
		return tx.SourceFetched(src.ID, now, "", len(read))
	})
}

// isNews decides whether a new item is news to the guild. An item dated
// before the feed was added is history: indexed, not announced. A date
// that is no plausible publication date (a 2099 pubDate) counts as none.
// On a feed's first poll every item was in the feed when it was added,
// so only one dated between the adding and now is news: an undated one,
// or one dated ahead of the clock, is history too, and adding a feed
// never floods a channel. On later polls an undated item arrived since
// the last one, and is news.
func (p *Poller) isNews(it Item, src *domain.Source, firstPoll bool) bool {
	now := p.now()
	date := it.Published
	if !article.PlausibleDate(date, now) {
		date = it.Updated
	}
	if !article.PlausibleDate(date, now) {
		return !firstPoll
	}
	if firstPoll && date.After(now.Add(time.Minute)) {
		return false
	}
	return IsNews(date, src.AddedAt)
}

// IsNews says whether an item dated date is news to a feed added at added,
// rather than history from before it (a minute's grace for clock skew).
func IsNews(date, added time.Time) bool {
	return !date.Before(added.Add(-time.Minute))
}

func (p *Poller) failed(ctx context.Context, src *domain.Source, now time.Time, err error) {
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
