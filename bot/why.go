package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/english"
	"github.com/disputebot/disputebot/internal/feed"
	"github.com/disputebot/disputebot/internal/notify"
	"github.com/disputebot/disputebot/internal/summarise"
)

// why answers a moderator's "why was this posted, or not?" from the
// guild's own records: which of its sources brought the article, what I
// read in it, and what was queued to tell whom. Another guild's records
// never show: an article only other servers read is reported as unread.
func (b *Bot) why(ctx context.Context, r Request, args Args) Reply {
	// Discord users write <url> to keep a link from unfurling.
	raw := strings.Trim(args.String("url"), "<>")
	u, err := article.CanonicalURL(raw)
	if err != nil {
		return Reply{Body: "That is not a web address I can read: it must start with http:// or https://.", Color: Warn, Ephemeral: true}
	}
	t, err := b.Store.TraceURL(ctx, r.GuildID, raw)
	if err != nil {
		return b.internalError("tracing an article", err)
	}
	if t.Article == nil {
		return b.whyUnread(ctx, r, u, t)
	}
	a, now := t.Article, b.now()
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }

	// How it came.
	if t.Global && len(t.Sources) == 0 {
		add("It is part of my built-in corpus, which every server sees; built-in articles are never announced.")
	}
	for _, c := range t.Sources {
		if c.Source.Kind == domain.FeedSource {
			add("Feed #%d (%s) carried it; I read it %s.", c.Source.ID, feedName(c.Source), ago(now, c.At))
		} else {
			add("It was added as source #%d %s.", c.Source.ID, ago(now, c.At))
		}
	}
	if !t.Global && len(t.Sources) == 0 {
		add("It reached this server through a source that has since been removed.")
	}

	// What I read in it.
	if a.Text == "" && len(t.Sources) > 0 {
		add("I could not read the page itself, so what I know of it is the feed item's title and summary.")
	}
	switch {
	case !a.Published.IsZero():
		add("Published %s (%s); first seen %s.", a.Published.Format(article.DateLayout), dateOrigin(a.DateSource), a.FirstSeen.Format(article.DateLayout))
	default:
		add("I found no publication date in it, so it is dated by when I first saw it: %s.", a.FirstSeen.Format(article.DateLayout))
	}
	if len(a.Parties) > 0 {
		add("Parties: %s.", english.JoinAnd(a.Parties))
	} else {
		add("I found no party I know in it, so subscriptions to parties cannot match it. %salias add teaches me another name for a party.", b.prefix())
	}

	// Whether it was announced at all: built-in articles and a feed's
	// items from before it was added are history, told to no one.
	announced := false
	for _, c := range t.Sources {
		if c.Source.Kind != domain.FeedSource || feed.IsNews(a.Date(), c.Source.AddedAt) {
			announced = true
			continue
		}
		add("It is dated %s, before feed #%d was added (%s), so that feed indexed it without announcing it: a new feed never replays old items.",
			a.Date().Format(article.DateLayout), c.Source.ID, c.Source.AddedAt.Format(article.DateLayout))
	}

	// Each announcing feed's channel: posted, or why not.
	for _, c := range t.Sources {
		f := c.Source.Feed
		if f == nil || f.ChannelID == "" || !feed.IsNews(a.Date(), c.Source.AddedAt) {
			continue
		}
		ch := "<#" + f.ChannelID + ">"
		switch {
		case hasDelivery(t.Notices, domain.ChannelTarget(f.ChannelID)):
			// told below, with the queue's state
		case len(a.Parties) == 0:
			add("Feed #%d posts only dispute articles in %s, and this one names no party I know.", c.Source.ID, ch)
		case !notify.IsDispute(a):
			add("Feed #%d posts only dispute articles in %s: this one scores %.2f on my dispute scale, below the %.2f needed.", c.Source.ID, ch, a.DisputeScore, notify.MinDisputeScore)
		default:
			add("It was not posted in %s: it was on feed #%d, undated, when I first read the feed, and such items count as old.", ch, c.Source.ID)
		}
	}

	lines = append(lines, b.deliveryLines(r, t.Notices, announced)...)
	return Reply{Title: summarise.Truncate(a.Title, maxTitle), URL: a.URL, Body: strings.Join(lines, "\n"), Ephemeral: true}
}

// whyUnread explains an address this server has not read.
func (b *Bot) whyUnread(ctx context.Context, r Request, u string, t *domain.Trace) Reply {
	var lines []string
	for _, c := range t.Unread {
		lines = append(lines, fmt.Sprintf("Feed #%d listed it %s, but I could not read the page and the item had no title to keep instead, so nothing was stored or posted.",
			c.Source.ID, ago(b.now(), c.At)))
	}
	if len(t.Unread) == 0 {
		lines = append(lines, "I have not read that address for this server.")
		feeds, err := b.Store.Sources(ctx, r.GuildID, domain.FeedSource)
		if err != nil {
			return b.internalError("listing feeds", err)
		}
		if len(feeds) > 0 {
			var next []string
			for _, s := range feeds {
				next = append(next, fmt.Sprintf("#%d %s", s.ID, until(b.now(), s.Feed.NextPoll)))
			}
			lines = append(lines, "If one of this server's feeds lists it, I may not have checked the feed since (next checks: "+strings.Join(next, ", ")+").")
		} else {
			lines = append(lines, "This server follows no feeds, so I read only what a moderator adds.")
		}
	}
	lines = append(lines, b.prefix()+"source add "+u+" reads it now, or tells you why it cannot.")
	return Reply{Body: strings.Join(lines, "\n"), Ephemeral: true}
}

// deliveryLines tell what was queued for the guild's channels and members:
// each channel by name, members by count (a moderator needs to know that
// it reached them, not who they are).
func (b *Bot) deliveryLines(r Request, ds []domain.Queued, announced bool) []string {
	var lines []string
	dm := map[domain.State][]domain.Queued{}
	you, matched := false, false
	for _, d := range ds {
		matched = matched || d.Reason.Kind == domain.BySubscription
		if d.Target.Channel {
			lines = append(lines, channelDelivery("<#"+d.Target.ID+">", d, b.now()))
			continue
		}
		dm[d.State] = append(dm[d.State], d)
		you = you || d.Target == domain.DMTarget(r.UserID)
	}
	members := func(n int) string {
		s := english.Plural(n, "member", "members")
		if you {
			s += " (you among them)"
		}
		return s
	}
	if n := len(dm[domain.Sent]); n > 0 {
		lines = append(lines, "Sent by DM to "+members(n)+" whose subscriptions matched it.")
	}
	if n := len(dm[domain.Pending]) + len(dm[domain.Sending]); n > 0 {
		lines = append(lines, "Waiting to go by DM to "+members(n)+" whose subscriptions matched it.")
	}
	if n := len(dm[domain.Failed]); n > 0 {
		lines = append(lines, "Could not be sent by DM to "+members(n)+": their DMs are closed to me.")
	}
	if announced && !matched {
		lines = append(lines, "No subscription in this server matched it when I read it.")
	}
	return lines
}

func channelDelivery(ch string, d domain.Queued, now time.Time) string {
	as := ""
	if d.OtherURL != "" {
		as = " (as another report of the same story: " + d.OtherURL + ")"
	}
	switch d.State {
	case domain.Sent:
		return "Posted in " + ch + " " + ago(now, d.SentAt) + as + "."
	case domain.Failed:
		return "Could not be posted in " + ch + as + ": I may lack permission to send messages or embeds there."
	default:
		return "Waiting to be posted in " + ch + as + "."
	}
}

func hasDelivery(ds []domain.Queued, target domain.Target) bool {
	for _, d := range ds {
		if d.Target == target {
			return true
		}
	}
	return false
}

func feedName(s *domain.Source) string {
	if s.Feed != nil && s.Feed.Title != "" {
		return s.Feed.Title
	}
	return s.URL
}

// dateOrigin says where a publication date came from, in words.
func dateOrigin(source string) string {
	switch source {
	case "feed":
		return "from the feed"
	case "metadata":
		return "from the page's metadata"
	case "htmldate":
		return "read from the page"
	case "corpus":
		return "from the built-in corpus"
	}
	return "source unknown"
}
