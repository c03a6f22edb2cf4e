package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/service"
)

// inChannel matches a trailing "in #channel" (as Discord sends it, "in
// <#123>"). A regexp, not lower-casing, finds it: lower-casing can change
// the text's length and misplace the cut.
var inChannel = regexp.MustCompile(`(?i)(?:^|\s)in\s+(<#[^>]*>?)\s*$`)

// plainChannel matches a trailing "in #name" that Discord did not turn
// into a channel mention: a channel that does not exist, or was typed
// where mentions are not resolved.
var plainChannel = regexp.MustCompile(`(?i)(?:^|\s)in\s+#\S*\s*$`)

func (b *Bot) subscribe(ctx context.Context, r Request, args string) Reply {
	if r.GuildID == "" {
		return Reply{Body: "Subscriptions belong to a server: subscribe from a channel of the server whose sources you want to follow.", Color: Warn, Ephemeral: true}
	}
	query, channel := args, ""
	if m := inChannel.FindStringSubmatchIndex(args); m != nil {
		query = strings.TrimSpace(args[:m[0]])
		id, ok := b.parseChannel(r.GuildID, args[m[2]:m[3]])
		if !ok {
			return Reply{Body: "I can only post in a text channel of this server.", Color: Warn, Ephemeral: true}
		}
		if !r.IsModerator {
			return Reply{Body: "Only moderators can subscribe a channel; without \"in #channel\" I will send you a DM instead. Nothing was changed.", Color: Warn, Ephemeral: true}
		}
		channel = id
	}
	if query == "" || plainChannel.MatchString(args) {
		// "in #nosuch" is no channel (Discord leaves a name it does not
		// know as text): a subscription to its words would never match.
		return b.usage("subscribe")
	}
	sub, err := b.Subscriptions.Subscribe(ctx, r.GuildID, r.UserID, channel, query)
	var capErr *domain.CapError
	var already *service.AlreadySubscribed
	switch {
	case errors.Is(err, service.ErrNothingToFollow):
		return b.usage("subscribe")
	case errors.As(err, &capErr):
		return b.atCap(capErr)
	case errors.As(err, &already):
		return Reply{Body: fmt.Sprintf("You are already subscribed to %s (#%d).", already.Subscription.Query, already.Subscription.ID), Ephemeral: true}
	case err != nil:
		return b.internalError("subscribing", err)
	}
	where := "I will send you a DM"
	if channel != "" {
		where = "I will post in <#" + channel + ">"
	}
	return Reply{Body: fmt.Sprintf("Subscribed (#%d): %s when something new about %s arrives in this server. Stop with %sunsubscribe %d.",
		sub.ID, where, sub.Query, b.prefix(), sub.ID), Color: Good, Ephemeral: true}
}

func (b *Bot) unsubscribe(ctx context.Context, r Request, args string) Reply {
	if r.GuildID == "" {
		return Reply{Body: "Subscriptions belong to a server: unsubscribe from a channel of that server.", Color: Warn, Ephemeral: true}
	}
	if args == "" {
		return b.usage("unsubscribe")
	}
	if strings.EqualFold(args, "all") {
		n, err := b.Subscriptions.UnsubscribeAll(ctx, r.GuildID, r.UserID)
		if err != nil {
			return b.internalError("unsubscribing", err)
		}
		return Reply{Body: fmt.Sprintf("Removed all your subscriptions here (%d).", n), Color: Good, Ephemeral: true}
	}
	sub, err := b.Subscriptions.Unsubscribe(ctx, r.GuildID, r.UserID, args)
	if errors.Is(err, domain.ErrNotFound) {
		return Reply{Body: fmt.Sprintf("You have no subscription %q here. See %ssubscriptions.", args, b.prefix()), Color: Warn, Ephemeral: true}
	}
	if err != nil {
		return b.internalError("unsubscribing", err)
	}
	return Reply{Body: fmt.Sprintf("Unsubscribed from %s (#%d).", sub.Query, sub.ID), Color: Good, Ephemeral: true}
}

func (b *Bot) subscriptions(ctx context.Context, r Request, args string) Reply {
	if r.GuildID == "" {
		return Reply{Body: "Subscriptions belong to a server: ask in a channel of that server.", Color: Warn, Ephemeral: true}
	}
	subs, err := b.Subscriptions.List(ctx, r.GuildID, r.UserID)
	if err != nil {
		return b.internalError("listing subscriptions", err)
	}
	if len(subs) == 0 {
		return Reply{Body: "You have no subscriptions here. Try " + b.prefix() + "subscribe musk microsoft.", Ephemeral: true}
	}
	rep := Reply{Title: "Your subscriptions here", Ephemeral: true}
	for _, s := range subs {
		where := "by DM"
		if s.ChannelID != "" {
			where = "in <#" + s.ChannelID + ">"
		}
		rep.Items = append(rep.Items, Item{Label: fmt.Sprintf("#%d", s.ID), Title: s.Query, Text: where + " · since " + s.CreatedAt.Format("2006-01-02")})
	}
	return rep
}
