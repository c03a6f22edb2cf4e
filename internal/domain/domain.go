// Package domain holds what disputebot keeps besides articles: a guild's
// sources and feeds, members' subscriptions, and the notices queued for
// them, with their kinds and states as types rather than strings. Stores
// persist these; services (internal/service) work with them; the bot, the
// command line and the poller all speak them. It depends on nothing but
// the article type.
package domain

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/disputebot/disputebot/internal/article"
)

// ErrNotFound is returned when a record asked for does not exist, or
// belongs to another guild: the two are never told apart.
var ErrNotFound = errors.New("not found")

// ErrExists is returned when a guild adds a source or subscription it
// already has.
var ErrExists = errors.New("already added")

// SourceKind says what a source is.
type SourceKind string

// Source kinds, as stored.
const (
	ArticleSource SourceKind = "article" // one page, read once
	FeedSource    SourceKind = "feed"    // polled for new items
)

// Source is an address a guild's moderators asked disputebot to read.
type Source struct {
	ID          int64
	GuildID     string
	URL         string
	Kind        SourceKind
	AddedBy     string
	AddedAt     time.Time
	LastFetched time.Time
	LastError   string
	Items       int
	Feed        *Feed // for feeds
}

// Feed is a feed source's polling state.
type Feed struct {
	ChannelID      string // where new dispute articles are posted; "" for none
	Interval       time.Duration
	Title          string
	ETag           string
	LastModified   string
	LastOK         time.Time
	NextPoll       time.Time
	Failures       int
	FailureNoticed bool
}

// Caps bound what one guild, or one member in a guild, may keep, so that
// no server can fill the disk or the poller's time; zero means no cap.
type Caps struct {
	Feeds               int // feeds per guild
	Sources             int // article sources per guild
	Aliases             int // aliases per guild
	GuildSubscriptions  int // subscriptions per guild, all members together
	MemberSubscriptions int // subscriptions per member per guild
}

// CapKind names a cap.
type CapKind string

// The caps.
const (
	CapFeeds         CapKind = "feeds"
	CapSources       CapKind = "sources"
	CapAliases       CapKind = "aliases"
	CapSubscriptions CapKind = "subscriptions"
)

// CapError refuses a write that would take a guild or a member past a cap.
// The count and the write are one transaction, so concurrent commands
// cannot slip past it together.
type CapError struct {
	What   CapKind
	Limit  int
	Member bool // the member's own cap rather than the guild's
}

func (e *CapError) Error() string { return fmt.Sprintf("at the cap of %d %s", e.Limit, e.What) }

// Subscription asks to be told of new articles matching Parties (all of
// them) and Words (all of them).
type Subscription struct {
	ID        int64
	GuildID   string
	UserID    string
	ChannelID string // "" for the member's DMs
	Query     string // as typed, for listing
	Parties   []string
	Words     []string
	CreatedAt time.Time
}

// Target is where a subscription's notices go.
func (s *Subscription) Target() Target {
	if s.ChannelID != "" {
		return ChannelTarget(s.ChannelID)
	}
	return DMTarget(s.UserID)
}

// Target is where a notice goes: a member's DMs or a channel.
type Target struct {
	Channel bool   // a channel rather than a member's DMs
	ID      string // the channel's or the member's id
}

// DMTarget is a member's DMs.
func DMTarget(user string) Target { return Target{ID: user} }

// ChannelTarget is a channel.
func ChannelTarget(channel string) Target { return Target{Channel: true, ID: channel} }

// String is the target's stored form: "dm:<id>" or "ch:<id>".
func (t Target) String() string {
	if t.Channel {
		return "ch:" + t.ID
	}
	return "dm:" + t.ID
}

// ParseTarget reads a target's stored form.
func ParseTarget(s string) (Target, error) {
	if id, ok := strings.CutPrefix(s, "ch:"); ok && id != "" {
		return ChannelTarget(id), nil
	}
	if id, ok := strings.CutPrefix(s, "dm:"); ok && id != "" {
		return DMTarget(id), nil
	}
	return Target{}, fmt.Errorf("not a notice target: %q", s)
}

// ReasonKind says why a notice was queued.
type ReasonKind string

// Reasons.
const (
	BySubscription ReasonKind = "subscription" // a member's subscription matched
	ByFeed         ReasonKind = "feed"         // a feed posts its dispute articles in a channel
)

// Reason is why a notice was queued: which subscription or feed.
type Reason struct {
	Kind ReasonKind
	ID   int64
}

// String is the reason's stored form: "subscription:<id>" or "feed:<id>".
func (r Reason) String() string { return string(r.Kind) + ":" + strconv.FormatInt(r.ID, 10) }

// ParseReason reads a reason's stored form.
func ParseReason(s string) (Reason, error) {
	kind, id, _ := strings.Cut(s, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || (ReasonKind(kind) != BySubscription && ReasonKind(kind) != ByFeed) {
		return Reason{}, fmt.Errorf("not a notice reason: %q", s)
	}
	return Reason{Kind: ReasonKind(kind), ID: n}, nil
}

// State is where a queued notice stands.
type State string

// States, as stored.
const (
	Pending State = "pending" // waiting for its digest window
	Sending State = "sending" // in a message being sent (leased to a sender)
	Sent    State = "sent"
	Failed  State = "failed" // given up: the target cannot be reached
)

// Delivery is one notice to queue: an article for a target.
type Delivery struct {
	GuildID   string
	Target    Target
	ArticleID int64
	Story     string // StoryKey: one story, one notice per target
	Reason    Reason
}

// StoryKey is the story a notice is deduplicated on: the article's title
// and date, so a syndicated copy is not announced twice; its address when
// it has no title.
func StoryKey(a *article.Article) string {
	if fp := article.Fingerprint(a); !strings.HasSuffix(fp, "|") {
		return fp
	}
	return a.URL
}

// Batch is one message to send: every article it tells of, for one target.
type Batch struct {
	ID       int64
	Target   Target
	Articles []*article.Article
	Attempts int
}

// MaxBatch is the most articles one message carries; more wait for the
// next message.
const MaxBatch = 10

// Trace is what one guild's records say about one address: whether the
// guild can see the article, which of its sources brought it, and what
// was queued to tell the guild's members and channels about it. It answers
// the moderator's "why was this (not) posted?".
type Trace struct {
	Article *article.Article // nil when the guild cannot see it
	// Global is true when every guild sees the article (the built-in
	// corpus); Sources then may still list the guild's own.
	Global bool
	// Sources are the guild's sources that brought it: the article source
	// or the feeds that carried it, each with when it did.
	Sources []Carried
	// Unread are the guild's feeds that listed the address but whose page
	// could not be read (so nothing was stored from them).
	Unread []Carried
	// Notices are the guild's notices of the article's story: for this
	// article, or for another report of the same story already told.
	Notices []Queued
}

// Carried is one of a guild's sources that brought an article, and when.
type Carried struct {
	Source *Source
	At     time.Time
}

// Queued is a queued notice as it stands.
type Queued struct {
	Target    Target
	Reason    Reason
	State     State
	Attempts  int
	CreatedAt time.Time
	SentAt    time.Time
	OtherURL  string // set when the notice told of another report of the story
}
