package discord

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/disputebot/disputebot/bot"
	"github.com/disputebot/disputebot/internal/notify"
	"github.com/disputebot/disputebot/internal/store"
)

// messageWithNonce is a message create body with the nonce discordgo's
// MessageSend lacks: with enforce_nonce, Discord returns the earlier
// message instead of posting a second one when a notice is resent after a
// crash.
type messageWithNonce struct {
	Content         string                            `json:"content,omitempty"`
	Embeds          []*discordgo.MessageEmbed         `json:"embeds,omitempty"`
	Components      []discordgo.MessageComponent      `json:"components"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Nonce           string                            `json:"nonce,omitempty"`
	EnforceNonce    bool                              `json:"enforce_nonce,omitempty"`
	Reference       *discordgo.MessageReference       `json:"message_reference,omitempty"`
}

// sendReply posts reply in channel as an embed; where the channel refuses
// embeds (403 50013: the bot lacks Embed Links there) it posts it again as
// plain text, so the answer still arrives.
func (a *Adapter) sendReply(ctx context.Context, channel, nonce string, reply bot.Reply, ref *discordgo.MessageReference) error {
	embed, comps := Embed(reply)
	body := messageWithNonce{Embeds: []*discordgo.MessageEmbed{embed}, Components: comps, AllowedMentions: noMentions(),
		Nonce: nonce, EnforceNonce: nonce != "", Reference: ref}
	endpoint := discordgo.EndpointChannelMessages(channel)
	_, err := a.s.RequestWithBucketID("POST", endpoint, body, endpoint, discordgo.WithContext(ctx))
	if !hasCode(err, discordgo.ErrCodeMissingPermissions) {
		return err
	}
	body.Embeds, body.Content = nil, PlainText(reply)
	_, err = a.s.RequestWithBucketID("POST", endpoint, body, endpoint, discordgo.WithContext(ctx))
	return err
}

// hasCode reports whether err is a Discord error with one of codes.
func hasCode(err error, codes ...int) bool {
	var re *discordgo.RESTError
	return errors.As(err, &re) && re.Message != nil && slices.Contains(codes, re.Message.Code)
}

// Send delivers a notice: a DM or a channel post, with a nonce. It sorts
// failures for the deliverer: undeliverable (closed DMs, a channel gone or
// forbidden) is given up, anything else is retried.
func (a *Adapter) Send(ctx context.Context, n notify.Notice) error {
	return a.post(ctx, n.Target, n.Nonce, bot.NoticeReply(n, a.cfg.Prefix))
}

func (a *Adapter) post(ctx context.Context, target, nonce string, reply bot.Reply) error {
	channel := ""
	switch {
	case strings.HasPrefix(target, "dm:"):
		c, err := a.s.UserChannelCreate(strings.TrimPrefix(target, "dm:"), discordgo.WithContext(ctx))
		if err != nil {
			return classify(err)
		}
		channel = c.ID
	case strings.HasPrefix(target, "ch:"):
		channel = strings.TrimPrefix(target, "ch:")
	default:
		return fmt.Errorf("%w: unknown target %q", notify.ErrUndeliverable, target)
	}
	return classify(a.sendReply(ctx, channel, nonce, reply, nil))
}

// classify sorts a Discord error: codes that retrying cannot mend become
// notify.ErrUndeliverable; a rate limit carries its wait.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		switch re.Message.Code {
		case discordgo.ErrCodeCannotSendMessagesToThisUser:
			return fmt.Errorf("%w: the member does not accept DMs from the bot", notify.ErrUndeliverable)
		case discordgo.ErrCodeUnknownChannel, discordgo.ErrCodeUnknownUser:
			return fmt.Errorf("%w: the channel or member no longer exists", notify.ErrUndeliverable)
		case discordgo.ErrCodeMissingAccess, discordgo.ErrCodeMissingPermissions:
			return fmt.Errorf("%w: the bot may not post there", notify.ErrUndeliverable)
		}
	}
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) {
		return &notify.RetryAfter{After: rl.RetryAfter, Err: err}
	}
	return err
}

// FeedFailure tells a feed's moderators, in the feed's channel, that it
// keeps failing. A feed without a channel shows the failure in `feeds`.
func (a *Adapter) FeedFailure(ctx context.Context, src *store.Source, reason string) {
	if src.Feed == nil || src.Feed.ChannelID == "" {
		return
	}
	if err := a.post(ctx, store.ChannelTarget(src.Feed.ChannelID), "", bot.FeedFailureReply(src, reason, a.cfg.Prefix)); err != nil {
		a.cfg.Log.Warn("posting a feed failure notice", "feed", src.ID, "error", err)
	}
}
