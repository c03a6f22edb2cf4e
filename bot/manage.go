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
	"github.com/disputebot/disputebot/internal/feed"
	"github.com/disputebot/disputebot/internal/gazetteer"
	"github.com/disputebot/disputebot/internal/ingest"
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

func (b *Bot) source(ctx context.Context, r Request, args string) Reply {
	sub, rest := splitCommand(args)
	switch sub {
	case "add":
		return b.sourceAdd(ctx, r, rest)
	case "remove", "rm", "delete":
		return b.sourceRemove(ctx, r, rest, domain.ArticleSource, "source")
	case "list", "":
		return b.sources(ctx, r, "")
	}
	return b.usage("source")
}

func (b *Bot) sourceAdd(ctx context.Context, r Request, raw string) Reply {
	if raw == "" || strings.ContainsAny(raw, " \t\n") {
		return b.usage("source")
	}
	u, err := article.CanonicalURL(strings.Trim(raw, "<>"))
	if err != nil {
		return Reply{Body: "That is not a web address I can read: it must start with http:// or https://.", Color: Warn, Ephemeral: true}
	}
	if err := b.Fetch.CheckURL(u); err != nil {
		return Reply{Body: ingest.Reason(err), Color: Warn, Ephemeral: true}
	}
	src := &domain.Source{GuildID: r.GuildID, URL: u, Kind: domain.ArticleSource, AddedBy: r.UserID, AddedAt: b.now()}
	var capErr *domain.CapError
	if err := b.Store.AddSource(ctx, src); errors.As(err, &capErr) {
		return b.atCap(capErr)
	} else if errors.Is(err, domain.ErrExists) {
		existing, _ := b.Store.SourceByRef(ctx, r.GuildID, domain.ArticleSource, u)
		n := ""
		if existing != nil {
			n = fmt.Sprintf(" (#%d)", existing.ID)
		}
		return Reply{Body: "That article is already one of this server's sources" + n + ".", Color: Neutral, Ephemeral: true}
	} else if err != nil {
		return b.internalError("adding a source", err)
	}
	res, err := b.Pipeline.IngestURL(ctx, u, ingest.Options{Scope: r.GuildID, SourceID: src.ID})
	if err != nil {
		// A source that could not be read is not kept: the moderator sees
		// why and can try again, and the list holds only working sources.
		_, _ = b.Store.RemoveSource(context.WithoutCancel(ctx), r.GuildID, src.ID)
		if ctx.Err() != nil {
			return Reply{}
		}
		return Reply{Body: "I could not add that source: " + ingest.Reason(err), Color: Warn, Ephemeral: true}
	}
	_ = b.Store.SourceFetched(ctx, src.ID, b.now(), "", 1)
	if res.NewInScope && b.Notifier != nil {
		if _, err := b.Notifier.Announce(ctx, res.Article, r.GuildID, nil); err != nil {
			b.Log.Error("queuing notices for a new source", "error", err)
		}
	}
	a := res.Article
	parties := "no known parties"
	if len(a.Parties) > 0 {
		parties = strings.Join(a.Parties, ", ")
	}
	date := "no date found"
	if !a.Published.IsZero() {
		date = a.Published.Format(article.DateLayout)
	}
	return Reply{
		Title: summarise.Truncate(a.Title, maxTitle),
		URL:   a.URL,
		Body:  fmt.Sprintf("Added as source #%d: %s, %s. Parties: %s.", src.ID, a.Site, date, parties),
		Color: Good,
	}
}

func (b *Bot) sourceRemove(ctx context.Context, r Request, ref string, kind domain.SourceKind, name string) Reply {
	if ref == "" {
		return b.usage(name)
	}
	src, err := b.Store.SourceByRef(ctx, r.GuildID, kind, strings.Trim(ref, "<>"))
	if errors.Is(err, domain.ErrNotFound) {
		if u, cerr := article.CanonicalURL(strings.Trim(ref, "<>")); cerr == nil {
			src, err = b.Store.SourceByRef(ctx, r.GuildID, kind, u)
		}
	}
	if errors.Is(err, domain.ErrNotFound) {
		return Reply{Body: fmt.Sprintf("This server has no %s %q. See %s%ss for the list.", name, ref, b.prefix(), name), Color: Warn, Ephemeral: true}
	}
	if err != nil {
		return b.internalError("finding a source", err)
	}
	n, err := b.Store.RemoveSource(ctx, r.GuildID, src.ID)
	if err != nil {
		return b.internalError("removing a source", err)
	}
	if err := b.Pipeline.Sync(ctx); err != nil {
		b.Log.Error("indexing after removing a source", "error", err)
	}
	what := "Removed source"
	if kind == domain.FeedSource {
		what = "Stopped following"
	}
	gone := "No article left this server's answers with it."
	switch {
	case n == 1:
		gone = "The article it brought no longer appears in this server's answers."
	case n > 1:
		gone = fmt.Sprintf("The %d articles it brought no longer appear in this server's answers.", n)
	}
	return Reply{Body: fmt.Sprintf("%s #%d (%s). %s", what, src.ID, src.URL, gone), Color: Good}
}

func (b *Bot) sources(ctx context.Context, r Request, args string) Reply {
	list, err := b.Store.Sources(ctx, r.GuildID, domain.ArticleSource)
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

func (b *Bot) feed(ctx context.Context, r Request, args string) Reply {
	sub, rest := splitCommand(args)
	switch sub {
	case "add":
		return b.feedAdd(ctx, r, rest)
	case "remove", "rm", "delete":
		return b.sourceRemove(ctx, r, rest, domain.FeedSource, "feed")
	case "list", "":
		return b.feeds(ctx, r, "")
	}
	return b.usage("feed")
}

func (b *Bot) feedAdd(ctx context.Context, r Request, args string) Reply {
	words := strings.Fields(args)
	if len(words) == 0 {
		return b.usage("feed")
	}
	raw := strings.Trim(words[0], "<>")
	channel := ""
	interval := b.FeedInterval
	if interval == 0 {
		interval = 15 * time.Minute
	}
	for i := 1; i < len(words); i++ {
		w := words[i]
		switch {
		case strings.EqualFold(w, "every") && i+1 < len(words):
			d, err := time.ParseDuration(words[i+1])
			if err != nil || d <= 0 {
				return Reply{Body: "I could not read that interval; write it like 30m or 2h.", Color: Warn, Ephemeral: true}
			}
			if d < b.FeedMinInterval {
				return Reply{Body: fmt.Sprintf("Feeds are checked at most every %s; please choose a longer interval.", b.FeedMinInterval), Color: Warn, Ephemeral: true}
			}
			interval = d
			i++
		case channelRef.MatchString(w):
			id, ok := b.parseChannel(r.GuildID, w)
			if !ok {
				return Reply{Body: "I can only post in a text channel of this server.", Color: Warn, Ephemeral: true}
			}
			channel = id
		default:
			return b.usage("feed")
		}
	}
	u, err := article.CanonicalURL(raw)
	if err != nil {
		return Reply{Body: "That is not a web address I can read: it must start with http:// or https://.", Color: Warn, Ephemeral: true}
	}
	parsed, _, err := feed.Fetch(ctx, b.Fetch, u)
	if err != nil {
		if ctx.Err() != nil {
			return Reply{}
		}
		return Reply{Body: "I could not add that feed: " + feed.Reason(err), Color: Warn, Ephemeral: true}
	}
	src := &domain.Source{GuildID: r.GuildID, URL: u, Kind: domain.FeedSource, AddedBy: r.UserID, AddedAt: b.now(),
		Feed: &domain.Feed{ChannelID: channel, Interval: interval, Title: parsed.Title}}
	var capErr *domain.CapError
	if err := b.Store.AddSource(ctx, src); errors.As(err, &capErr) {
		return b.atCap(capErr)
	} else if errors.Is(err, domain.ErrExists) {
		return Reply{Body: "This server already follows that feed. See " + b.prefix() + "feeds.", Ephemeral: true}
	} else if err != nil {
		return b.internalError("adding a feed", err)
	}
	name := parsed.Title
	if name == "" {
		name = u
	}
	where := "New articles will be indexed for this server."
	if channel != "" {
		where = "New dispute articles will be posted in <#" + channel + ">."
	}
	return Reply{
		Title: summarise.Truncate(name, maxTitle),
		URL:   u,
		Body: fmt.Sprintf("Following feed #%d: %s now, checked every %s. Its current items are indexed but not announced. %s",
			src.ID, english.Plural(len(parsed.Items), "item", "items"), interval, where),
		Color: Good,
	}
}

func (b *Bot) feeds(ctx context.Context, r Request, args string) Reply {
	list, err := b.Store.Sources(ctx, r.GuildID, domain.FeedSource)
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

func (b *Bot) alias(ctx context.Context, r Request, args string) Reply {
	sub, rest := splitCommand(args)
	switch sub {
	case "add":
		name, party, ok := strings.Cut(rest, "=")
		if !ok {
			// "alias add chief twit elon musk" cannot be split reliably; one
			// word and a party can.
			name, party, ok = strings.Cut(rest, " ")
		}
		name, party = strings.TrimSpace(name), strings.TrimSpace(party)
		if !ok || name == "" || party == "" {
			return b.usage("alias")
		}
		return b.aliasAdd(ctx, r, name, party)
	case "remove", "rm", "delete":
		if rest == "" {
			return b.usage("alias")
		}
		if err := b.Store.RemoveAlias(ctx, r.GuildID, gazetteer.Key(rest)); errors.Is(err, domain.ErrNotFound) {
			return Reply{Body: fmt.Sprintf("This server has no alias %q.", rest), Color: Warn, Ephemeral: true}
		} else if err != nil {
			return b.internalError("removing an alias", err)
		}
		return Reply{Body: fmt.Sprintf("Forgot the alias %q.", rest), Color: Good}
	case "list", "":
		return b.aliases(ctx, r, "")
	}
	return b.usage("alias")
}

func (b *Bot) aliasAdd(ctx context.Context, r Request, name, party string) Reply {
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

func (b *Bot) aliases(ctx context.Context, r Request, args string) Reply {
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
