package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/service"
)

func (b *Bot) subscribe(ctx context.Context, r Request, a Args) Reply {
	query, channel := a.String("query"), a.String("channel")
	if channel != "" && !r.IsModerator {
		return Reply{Body: "Only moderators can subscribe a channel; without \"in #channel\" I will send you a DM instead. Nothing was changed.", Color: Warn, Ephemeral: true}
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

func (b *Bot) unsubscribe(ctx context.Context, r Request, a Args) Reply {
	args := a.String("which")
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

func (b *Bot) subscriptions(ctx context.Context, r Request, _ Args) Reply {
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
