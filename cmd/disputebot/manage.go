package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/english"
	"github.com/disputebot/disputebot/internal/service"
)

// An operator manages a server's sources and feeds from the command line
// through the same use cases the bot's moderators call (internal/service):
// a source added here is read, kept, announced and indexed exactly as one
// added with !source add.

// discordID is a Discord snowflake: a server's or a channel's id.
var discordID = regexp.MustCompile(`^\d{15,20}$`)

func cmdSource(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	return manageSources(ctx, "source", domain.ArticleSource, args, stdout, stderr, getenv)
}

func cmdFeed(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	return manageSources(ctx, "feed", domain.FeedSource, args, stdout, stderr, getenv)
}

// manageSources runs "source" or "feed": add, remove or list.
func manageSources(ctx context.Context, name string, kind domain.SourceKind, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var guild, channel string
	var every time.Duration
	var asJSON bool
	words, err := flags(name, args, func(fs *flag.FlagSet) {
		fs.StringVar(&guild, "guild", "", "")
		fs.BoolVar(&asJSON, "json", false, "")
		if kind == domain.FeedSource {
			fs.StringVar(&channel, "channel", "", "")
			fs.DurationVar(&every, "every", 0, "")
		}
	})
	if err != nil {
		return err
	}
	if !discordID.MatchString(guild) {
		return &usageError{msg: name + " needs --guild and the Discord server's id (15 to 20 digits; in Discord, right-click the server, Copy Server ID)"}
	}
	if channel != "" && !discordID.MatchString(channel) {
		return &usageError{msg: "--channel takes a channel's id (15 to 20 digits)"}
	}
	verb, rest := "list", []string(nil)
	if len(words) > 0 {
		verb, rest = words[0], words[1:]
	}
	switch {
	case verb == "list" && len(rest) == 0:
	case (verb == "add" || verb == "remove") && len(rest) == 1:
	default:
		return &usageError{msg: fmt.Sprintf("%s takes add URL, remove NUMBER|URL, or list", name)}
	}
	if (channel != "" || every != 0) && verb != "add" {
		return &usageError{msg: "--channel and --every go with feed add"}
	}
	_, lib, err := open(ctx, stderr, getenv)
	if err != nil {
		return err
	}
	defer closeLib(ctx, lib)
	srv := lib.Sources
	switch {
	case verb == "add" && kind == domain.ArticleSource:
		added, err := srv.AddArticle(ctx, guild, "command line", rest[0])
		if err != nil {
			return refusal(err, name)
		}
		a := added.Article
		date := "no date found"
		if !a.Published.IsZero() {
			date = a.Published.Format(article.DateLayout)
		}
		parties := "no known parties"
		if len(a.Parties) > 0 {
			parties = strings.Join(a.Parties, ", ")
		}
		fmt.Fprintf(stdout, "added source #%d for server %s: %s (%s, %s); parties: %s\n", added.Source.ID, guild, a.Title, a.Site, date, parties)
	case verb == "add":
		added, err := srv.AddFeed(ctx, guild, "command line", rest[0], channel, every)
		if err != nil {
			return refusal(err, name)
		}
		f := added.Source.Feed
		where := "new articles will be indexed for the server"
		if channel != "" {
			where = "new dispute articles will be posted in channel " + channel
		}
		fmt.Fprintf(stdout, "following feed #%d for server %s: %q, %s now (indexed, not announced), checked every %s; %s\n",
			added.Source.ID, guild, f.Title, english.Plural(added.Items, "item", "items"), f.Interval, where)
	case verb == "remove":
		removed, err := srv.Remove(ctx, guild, kind, rest[0])
		if errors.Is(err, domain.ErrNotFound) {
			return fmt.Errorf("server %s has no %s %q; %s list --guild %s shows them", guild, name, rest[0], name, guild)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed %s #%d (%s); %s it brought left the server's answers\n", name, removed.Source.ID, removed.Source.URL, english.Plural(removed.Lost, "article", "articles"))
	default:
		list, err := srv.List(ctx, guild, kind)
		if err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(stdout).Encode(sourcesJSON(list))
		}
		if len(list) == 0 {
			fmt.Fprintf(stdout, "server %s has no %ss\n", guild, name)
		}
		for _, s := range list {
			fmt.Fprintln(stdout, sourceLine(s))
		}
	}
	return nil
}

// refusal says why a source or feed was not added, for an operator.
func refusal(err error, name string) error {
	var (
		unreadable *service.Unreadable
		exists     *service.Exists
		capErr     *domain.CapError
		tooOften   *service.TooFrequent
	)
	switch {
	case errors.Is(err, service.ErrNotWebAddress):
		return errors.New("that is not a web address: it must start with http:// or https://")
	case errors.As(err, &unreadable):
		return fmt.Errorf("could not add that %s: %s", name, unreadable.Reason)
	case errors.As(err, &exists) && exists.Source != nil:
		return fmt.Errorf("the server already has that %s (#%d)", name, exists.Source.ID)
	case errors.As(err, &exists):
		return fmt.Errorf("the server already has that %s", name)
	case errors.As(err, &capErr):
		return fmt.Errorf("the server is at its cap of %d %s (GUILD_MAX_%s); remove one first", capErr.Limit, capErr.What, strings.ToUpper(string(capErr.What)))
	case errors.As(err, &tooOften):
		return fmt.Errorf("feeds are checked at most every %s (FEED_MIN_INTERVAL); choose a longer --every", tooOften.Min)
	}
	return err
}

// sourceLine is one source in a list: number, address, state.
func sourceLine(s *domain.Source) string {
	parts := []string{fmt.Sprintf("#%d", s.ID), s.URL}
	if f := s.Feed; f != nil {
		if f.ChannelID != "" {
			parts = append(parts, "posts in channel "+f.ChannelID)
		}
		parts = append(parts, "every "+f.Interval.String(), english.Plural(s.Items, "item", "items"))
		switch {
		case f.Failures > 0:
			parts = append(parts, fmt.Sprintf("failing (%d in a row): %s", f.Failures, s.LastError))
		case !f.LastOK.IsZero():
			parts = append(parts, "last read "+f.LastOK.Format(time.RFC3339))
		default:
			parts = append(parts, "not read yet")
		}
		return strings.Join(parts, "  ")
	}
	if s.LastFetched.IsZero() {
		parts = append(parts, "never read")
	} else {
		parts = append(parts, "read "+s.LastFetched.Format(time.RFC3339))
	}
	if s.LastError != "" {
		parts = append(parts, "last error: "+s.LastError)
	}
	return strings.Join(parts, "  ")
}

// sourceJSON is a source as `--json` lists it.
type sourceJSON struct {
	ID        int64  `json:"id"`
	URL       string `json:"url"`
	Kind      string `json:"kind"`
	AddedBy   string `json:"added_by"`
	AddedAt   string `json:"added_at"`
	Items     int    `json:"items"`
	LastError string `json:"last_error,omitempty"`
	Channel   string `json:"channel,omitempty"`
	Interval  string `json:"interval,omitempty"`
	Title     string `json:"title,omitempty"`
	NextPoll  string `json:"next_poll,omitempty"`
	Failures  int    `json:"failures,omitempty"`
}

func sourcesJSON(list []*domain.Source) []sourceJSON {
	out := make([]sourceJSON, 0, len(list))
	for _, s := range list {
		j := sourceJSON{ID: s.ID, URL: s.URL, Kind: string(s.Kind), AddedBy: s.AddedBy, AddedAt: s.AddedAt.Format(time.RFC3339), Items: s.Items, LastError: s.LastError}
		if f := s.Feed; f != nil {
			j.Channel, j.Interval, j.Title, j.Failures = f.ChannelID, f.Interval.String(), f.Title, f.Failures
			j.NextPoll = f.NextPoll.Format(time.RFC3339)
		}
		out = append(out, j)
	}
	return out
}
