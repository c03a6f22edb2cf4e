// Package service holds disputebot's use cases: adding, listing and
// removing a guild's sources and feeds, subscribing and unsubscribing. The
// Discord bot and the command line both call them, so a source added from
// either is read, kept, announced and indexed the same way; each caller
// only parses its input and words the outcome. Services work with the
// domain types through the interfaces they declare here, which the store
// (SQLite or PostgreSQL) satisfies.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/feed"
	"github.com/disputebot/disputebot/internal/fetch"
	"github.com/disputebot/disputebot/internal/ingest"
)

// SourceStore is what Sources needs of the store.
type SourceStore interface {
	AddSource(ctx context.Context, src *domain.Source) error
	SourceByRef(ctx context.Context, guild string, kind domain.SourceKind, ref string) (*domain.Source, error)
	RemoveSource(ctx context.Context, guild string, id int64) (int, error)
	SourceFetched(ctx context.Context, id int64, at time.Time, errText string, newItems int) error
	Sources(ctx context.Context, guild string, kind domain.SourceKind) ([]*domain.Source, error)
}

// Reader reads an address into the store and keeps the index in step
// (the ingest pipeline).
type Reader interface {
	IngestURL(ctx context.Context, u string, o ingest.Options) (*ingest.Result, error)
	Sync(ctx context.Context) error
}

// Announcer queues the notices a newly read article calls for.
type Announcer interface {
	Announce(ctx context.Context, a *article.Article, scope string, feed *domain.Source) (int, error)
}

// Sources are a guild's article sources and feeds.
type Sources struct {
	Store  SourceStore
	Reader Reader
	Fetch  *fetch.Client
	// Announcer, when set, queues notices for a source's new article.
	Announcer Announcer
	Log       *slog.Logger
	Now       func() time.Time
	// FeedInterval is a new feed's poll interval when none is asked for;
	// FeedMinInterval the shortest a moderator may ask for.
	FeedInterval, FeedMinInterval time.Duration
}

// ErrNotWebAddress refuses an address that is not http(s).
var ErrNotWebAddress = errors.New("not an http or https address")

// Unreadable refuses an address that cannot be added: private, dead,
// not an article, not a feed. Reason is a sentence for the moderator.
type Unreadable struct{ Reason string }

func (e *Unreadable) Error() string { return e.Reason }

// TooFrequent refuses a poll interval under the minimum.
type TooFrequent struct{ Min time.Duration }

func (e *TooFrequent) Error() string { return fmt.Sprintf("feeds are polled at most every %s", e.Min) }

// Exists refuses a source the guild already has; Source is that one.
type Exists struct{ Source *domain.Source }

func (e *Exists) Error() string        { return "already a source" }
func (e *Exists) Is(target error) bool { return target == domain.ErrExists }

// AddedArticle is a source added and its article read.
type AddedArticle struct {
	Source  *domain.Source
	Article *article.Article
}

// AddedFeed is a feed followed: its items now are indexed, not announced.
type AddedFeed struct {
	Source *domain.Source
	Items  int
}

// Removed is a source removed, with how many articles the guild lost.
type Removed struct {
	Source *domain.Source
	Lost   int
}

func (s *Sources) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Sources) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// AddArticle reads one article into a guild's sources. The source is kept
// only if its page could be read: a moderator sees why not and can try
// again, and the list holds only working sources. Its article, new to the
// guild, is announced to the guild's subscribers.
func (s *Sources) AddArticle(ctx context.Context, guild, by, raw string) (*AddedArticle, error) {
	u, err := article.CanonicalURL(strings.Trim(strings.TrimSpace(raw), "<>"))
	if err != nil {
		return nil, ErrNotWebAddress
	}
	if err := s.Fetch.CheckURL(u); err != nil {
		return nil, &Unreadable{Reason: ingest.Reason(err)}
	}
	src := &domain.Source{GuildID: guild, URL: u, Kind: domain.ArticleSource, AddedBy: by, AddedAt: s.now()}
	if err := s.Store.AddSource(ctx, src); errors.Is(err, domain.ErrExists) {
		existing, _ := s.Store.SourceByRef(ctx, guild, domain.ArticleSource, u)
		return nil, &Exists{Source: existing}
	} else if err != nil {
		return nil, err
	}
	res, err := s.Reader.IngestURL(ctx, u, ingest.Options{Scope: guild, SourceID: src.ID})
	if err != nil {
		_, _ = s.Store.RemoveSource(context.WithoutCancel(ctx), guild, src.ID)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Unreadable{Reason: ingest.Reason(err)}
	}
	if err := s.Store.SourceFetched(ctx, src.ID, s.now(), "", 1); err != nil {
		s.log().Error("recording a source's read", "error", err)
	}
	if res.NewInScope && s.Announcer != nil {
		if _, err := s.Announcer.Announce(ctx, res.Article, guild, nil); err != nil {
			s.log().Error("queuing notices for a new source", "error", err)
		}
	}
	return &AddedArticle{Source: src, Article: res.Article}, nil
}

// AddFeed follows a feed for a guild, posting its new dispute articles in
// channel when one is given (the caller has checked it is the guild's).
// The feed is read once now, so a dead or unparsable address is refused
// at once; its current items are indexed by the poller, not announced.
func (s *Sources) AddFeed(ctx context.Context, guild, by, raw, channel string, interval time.Duration) (*AddedFeed, error) {
	if interval == 0 {
		interval = s.FeedInterval
	}
	if interval == 0 {
		interval = 15 * time.Minute
	}
	if interval < s.FeedMinInterval {
		return nil, &TooFrequent{Min: s.FeedMinInterval}
	}
	u, err := article.CanonicalURL(strings.Trim(strings.TrimSpace(raw), "<>"))
	if err != nil {
		return nil, ErrNotWebAddress
	}
	parsed, _, err := feed.Fetch(ctx, s.Fetch, u)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Unreadable{Reason: feed.Reason(err)}
	}
	src := &domain.Source{GuildID: guild, URL: u, Kind: domain.FeedSource, AddedBy: by, AddedAt: s.now(),
		Feed: &domain.Feed{ChannelID: channel, Interval: interval, Title: parsed.Title}}
	if err := s.Store.AddSource(ctx, src); errors.Is(err, domain.ErrExists) {
		existing, _ := s.Store.SourceByRef(ctx, guild, domain.FeedSource, u)
		return nil, &Exists{Source: existing}
	} else if err != nil {
		return nil, err
	}
	return &AddedFeed{Source: src, Items: len(parsed.Items)}, nil
}

// Remove removes a guild's source or feed, named by its number or its
// address (as typed or canonical), and takes from the guild's answers the
// articles only it brought. Another guild's source is never found.
func (s *Sources) Remove(ctx context.Context, guild string, kind domain.SourceKind, ref string) (*Removed, error) {
	ref = strings.Trim(strings.TrimSpace(ref), "<>")
	src, err := s.Store.SourceByRef(ctx, guild, kind, ref)
	if errors.Is(err, domain.ErrNotFound) {
		if u, cerr := article.CanonicalURL(ref); cerr == nil {
			src, err = s.Store.SourceByRef(ctx, guild, kind, u)
		}
	}
	if err != nil {
		return nil, err
	}
	n, err := s.Store.RemoveSource(ctx, guild, src.ID)
	if err != nil {
		return nil, err
	}
	if err := s.Reader.Sync(ctx); err != nil {
		// The store is right; the index catches up at the next sync.
		s.log().Error("indexing after removing a source", "error", err)
	}
	return &Removed{Source: src, Lost: n}, nil
}

// List is a guild's sources of one kind, oldest first.
func (s *Sources) List(ctx context.Context, guild string, kind domain.SourceKind) ([]*domain.Source, error) {
	return s.Store.Sources(ctx, guild, kind)
}
