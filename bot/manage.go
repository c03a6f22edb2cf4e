package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/english"
	"github.com/disputebot/disputebot/internal/gazetteer"
	"github.com/disputebot/disputebot/internal/service"
	"github.com/disputebot/disputebot/internal/summarise"
)

// channelRef matches a channel mention "<#123>" or a bare id.
var channelRef = regexp.MustCompile(`^<#(\d{1,20})>$|^(\d{15,20})$`)

// parseChannel reads a channel reference and checks it is in the guild.
func (b *Bot) parseChannel(guild, s string) (string, bool) {
	m := channelRef.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", false
	}
	id := m[1] + m[2]
	if b.Directory != nil && !b.Directory.ChannelInGuild(guild, id) {
		return "", false
	}
	return id, true
}

func (b *Bot) sourceAdd(ctx context.Context, r Request, a Args) Reply {
	added, err := b.Sources.AddArticle(ctx, r.GuildID, r.UserID, a.String("url"))
	if err != nil {
		return b.sourceRefusal(ctx, err, "source", "adding a source")
	}
	art := added.Article
	parties := "no known parties"
	if len(art.Parties) > 0 {
		parties = strings.Join(art.Parties, ", ")
	}
	date := "no date found"
	if !art.Published.IsZero() {
		date = art.Published.Format(article.DateLayout)
	}
	return Reply{
		Title: summarise.Truncate(art.Title, maxTitle),
		URL:   art.URL,
		Body:  fmt.Sprintf("Added as source #%d: %s, %s. Parties: %s.", added.Source.ID, art.Site, date, parties),
		Color: Good,
	}
}

// sourceRefusal words why a source or feed was not added; nothing was
// kept.
func (b *Bot) sourceRefusal(ctx context.Context, err error, name, doing string) Reply {
	var (
		unreadable *service.Unreadable
		exists     *service.Exists
		capErr     *domain.CapError
		tooOften   *service.TooFrequent
	)
	switch {
	case errors.Is(err, service.ErrNotWebAddress):
		return Reply{Body: "That is not a web address I can read: it must start with http:// or https://.", Color: Warn, Ephemeral: true}
	case errors.As(err, &unreadable):
		return Reply{Body: "I could not add that " + name + ": " + unreadable.Reason, Color: Warn, Ephemeral: true}
	case errors.As(err, &exists) && name == "feed":
		return Reply{Body: "This server already follows that feed. See " + b.prefix() + "feeds.", Ephemeral: true}
	case errors.As(err, &exists):
		n := ""
		if exists.Source != nil {
			n = fmt.Sprintf(" (#%d)", exists.Source.ID)
		}
		return Reply{Body: "That article is already one of this server's sources" + n + ".", Color: Neutral, Ephemeral: true}
	case errors.As(err, &capErr):
		return b.atCap(capErr)
	case errors.As(err, &tooOften):
		return Reply{Body: fmt.Sprintf("Feeds are checked at most every %s; please choose a longer interval.", tooOften.Min), Color: Warn, Ephemeral: true}
	case ctx.Err() != nil:
		return Reply{} // the command's time ran out: run says so
	}
	return b.internalError(doing, err)
}

func (b *Bot) sourceRemove(ctx context.Context, r Request, a Args) Reply {
	return b.removeSource(ctx, r, a.String("which"), domain.ArticleSource, "source")
}

func (b *Bot) feedRemove(ctx context.Context, r Request, a Args) Reply {
	return b.removeSource(ctx, r, a.String("which"), domain.FeedSource, "feed")
}

// removeSource removes a source or a feed of the guild, by its number or
// its address.
func (b *Bot) removeSource(ctx context.Context, r Request, ref string, kind domain.SourceKind, name string) Reply {
	removed, err := b.Sources.Remove(ctx, r.GuildID, kind, ref)
	if errors.Is(err, domain.ErrNotFound) {
		return Reply{Body: fmt.Sprintf("This server has no %s %q. See %s%ss for the list.", name, ref, b.prefix(), name), Color: Warn, Ephemeral: true}
	}
	if err != nil {
		return b.internalError("removing a source", err)
	}
	what := "Removed source"
	if kind == domain.FeedSource {
		what = "Stopped following"
	}
	gone := "No article left this server's answers with it."
	switch n := removed.Lost; {
	case n == 1:
		gone = "The article it brought no longer appears in this server's answers."
	case n > 1:
		gone = fmt.Sprintf("The %d articles it brought no longer appear in this server's answers.", n)
	}
	return Reply{Body: fmt.Sprintf("%s #%d (%s). %s", what, removed.Source.ID, removed.Source.URL, gone), Color: Good}
}

func (b *Bot) sources(ctx context.Context, r Request, _ Args) Reply {
	list, err := b.Sources.List(ctx, r.GuildID, domain.ArticleSource)
	if err != nil {
		return b.internalError("listing sources", err)
	}
	if len(list) == 0 {
		return Reply{Body: "This server has no sources of its own yet; answers come from the built-in corpus. Add one with " + b.prefix() + "source add <url>.", Ephemeral: true}
	}
	rep := Reply{Title: "This server's sources", Ephemeral: true}
	for _, s := range list {
		status := "read " + ago(b.now(), s.LastFetched)
		if s.LastError != "" {
			status += " · last error: " + s.LastError
		}
		rep.Items = append(rep.Items, Item{Title: s.URL, URL: s.URL, Label: fmt.Sprintf("#%d", s.ID), Text: status})
		if len(rep.Items) == 20 {
			rep.Footer = fmt.Sprintf("showing 20 of %d", len(list))
			break
		}
	}
	return rep
}

func (b *Bot) feedAdd(ctx context.Context, r Request, a Args) Reply {
	channel := a.String("channel")
	added, err := b.Sources.AddFeed(ctx, r.GuildID, r.UserID, a.String("url"), channel, a.Interval("interval"))
	if err != nil {
		return b.sourceRefusal(ctx, err, "feed", "adding a feed")
	}
	src := added.Source
	name := src.Feed.Title
	if name == "" {
		name = src.URL
	}
	where := "New articles will be indexed for this server."
	if channel != "" {
		where = "New dispute articles will be posted in <#" + channel + ">."
	}
	return Reply{
		Title: summarise.Truncate(name, maxTitle),
		URL:   src.URL,
		Body: fmt.Sprintf("Following feed #%d: %s now, checked every %s. Its current items are indexed but not announced. %s",
			src.ID, english.Plural(added.Items, "item", "items"), src.Feed.Interval, where),
		Color: Good,
	}
}

func (b *Bot) feeds(ctx context.Context, r Request, _ Args) Reply {
	list, err := b.Sources.List(ctx, r.GuildID, domain.FeedSource)
	if err != nil {
		return b.internalError("listing feeds", err)
	}
	if len(list) == 0 {
		return Reply{Body: "This server follows no feeds yet. Add one with " + b.prefix() + "feed add <url> [#channel].", Ephemeral: true}
	}
	rep := Reply{Title: "This server's feeds", Ephemeral: true}
	now := b.now()
	for _, s := range list {
		f := s.Feed
		var parts []string
		if f.ChannelID != "" {
			parts = append(parts, "posts in <#"+f.ChannelID+">")
		}
		parts = append(parts, "every "+f.Interval.String(), english.Plural(s.Items, "item", "items"))
		if f.Failures > 0 {
			parts = append(parts, fmt.Sprintf("failing (%d in a row): %s", f.Failures, s.LastError))
		} else if !f.LastOK.IsZero() {
			parts = append(parts, "last read "+ago(now, f.LastOK))
		} else {
			parts = append(parts, "not read yet")
		}
		parts = append(parts, "next check "+until(now, f.NextPoll))
		title := f.Title
		if title == "" {
			title = s.URL
		}
		rep.Items = append(rep.Items, Item{Title: summarise.Truncate(title, maxTitle), URL: s.URL, Label: fmt.Sprintf("#%d", s.ID), Text: strings.Join(parts, " · ")})
		if len(rep.Items) == 20 {
			rep.Footer = fmt.Sprintf("showing 20 of %d", len(list))
			break
		}
	}
	return rep
}

func (b *Bot) aliasRemove(ctx context.Context, r Request, a Args) Reply {
	name := a.String("alias")
	if err := b.Store.RemoveAlias(ctx, r.GuildID, gazetteer.Key(name)); errors.Is(err, domain.ErrNotFound) {
		return Reply{Body: fmt.Sprintf("This server has no alias %q.", name), Color: Warn, Ephemeral: true}
	} else if err != nil {
		return b.internalError("removing an alias", err)
	}
	return Reply{Body: fmt.Sprintf("Forgot the alias %q.", name), Color: Good}
}

func (b *Bot) aliasAdd(ctx context.Context, r Request, a Args) Reply {
	name, party := a.String("alias"), a.String("party")
	if len(name) > 60 {
		return Reply{Body: "Aliases are at most 60 characters.", Color: Warn, Ephemeral: true}
	}
	key := gazetteer.Key(name)
	if key == "" {
		return Reply{Body: "An alias needs letters or digits.", Color: Warn, Ephemeral: true}
	}
	if existing, ok := b.Gazetteer.Lookup(name); ok {
		return Reply{Body: fmt.Sprintf("%q already means %s everywhere; choose another alias.", name, existing), Color: Warn, Ephemeral: true}
	}
	res := b.Gazetteer.Resolve(party)
	if len(res.Parties) != 1 || len(res.Words) > 0 {
		return Reply{Body: fmt.Sprintf("I don't know one party called %q. Use a name I know, e.g. Elon Musk or Microsoft.", party), Color: Warn, Ephemeral: true}
	}
	var capErr *domain.CapError
	if err := b.Store.AddAlias(ctx, r.GuildID, key, name, res.Parties[0], r.UserID); errors.As(err, &capErr) {
		return b.atCap(capErr)
	} else if err != nil {
		return b.internalError("adding an alias", err)
	}
	return Reply{Body: fmt.Sprintf("In this server, %q now means %s.", name, res.Parties[0]), Color: Good}
}

func (b *Bot) aliases(ctx context.Context, r Request, _ Args) Reply {
	al, err := b.Store.Aliases(ctx, r.GuildID)
	if err != nil {
		return b.internalError("listing aliases", err)
	}
	if len(al) == 0 {
		return Reply{Body: "This server has no aliases of its own. Add one with " + b.prefix() + "alias add <alias> = <party>.", Ephemeral: true}
	}
	keys := make([]string, 0, len(al))
	for k := range al {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var lines []string
	for _, k := range keys {
		lines = append(lines, fmt.Sprintf("%s → %s", k, al[k]))
	}
	return Reply{Title: "This server's aliases", Body: strings.Join(lines, "\n"), Ephemeral: true}
}

// atCap is the refusal of a command that would take the server, or the
// member, past one of its caps: the cap's number, and what to do instead.
// Nothing was changed.
func (b *Bot) atCap(e *domain.CapError) Reply {
	var body string
	switch e.What {
	case domain.CapFeeds:
		body = fmt.Sprintf("This server follows %d feeds, the most I allow a server. Stop following one with %sfeed remove first.", e.Limit, b.prefix())
	case domain.CapSources:
		body = fmt.Sprintf("This server has %d sources, the most I allow a server. Remove one with %ssource remove first.", e.Limit, b.prefix())
	case domain.CapAliases:
		body = fmt.Sprintf("This server has %d aliases, the most I allow a server. Remove one with %salias remove first.", e.Limit, b.prefix())
	case domain.CapSubscriptions:
		if e.Member {
			body = fmt.Sprintf("You have %d subscriptions here, the most I keep for one member. Remove one with %sunsubscribe first.", e.Limit, b.prefix())
		} else {
			body = fmt.Sprintf("This server's members have %d subscriptions, the most I keep for a server. Nothing was added.", e.Limit)
		}
	default:
		body = fmt.Sprintf("That would go past this server's limit of %d %s.", e.Limit, e.What)
	}
	return Reply{Body: body, Color: Warn, Ephemeral: true}
}

// ago says how long ago t was, coarsely, as people say it.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return coarse(now.Sub(t)) + " ago"
}

func until(now, t time.Time) string {
	if t.IsZero() || !t.After(now) {
		return "now"
	}
	return "in " + coarse(t.Sub(now))
}

func coarse(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return english.Plural(int(d/time.Minute), "minute", "minutes")
	case d < 48*time.Hour:
		return english.Plural(int(d/time.Hour), "hour", "hours")
	}
	return english.Plural(int(d/(24*time.Hour)), "day", "days")
}
