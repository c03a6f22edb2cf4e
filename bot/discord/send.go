package discord

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/disputebot/disputebot/bot"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/notify"
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
	Attachments     []attachment                      `json:"attachments,omitempty"`
}

// sendReply posts reply in channel as an embed; where the channel refuses
// embeds (403 50013: the bot lacks Embed Links there) it posts it again as
// plain text, so the answer still arrives.
func (a *Adapter) sendReply(ctx context.Context, channel, nonce string, reply bot.Reply, ref *discordgo.MessageReference) error {
	embed, comps := Embed(reply)
	body := messageWithNonce{Embeds: []*discordgo.MessageEmbed{embed}, Components: comps, AllowedMentions: noMentions(),
		Nonce: nonce, EnforceNonce: nonce != "", Reference: ref}
	endpoint := discordgo.EndpointChannelMessages(channel)
	var err error
	if files := withImage(embed, reply); len(files) > 0 {
		// The picture travels in the same request as the embed that
		// shows it, with its description as alt text.
		body.Attachments = []attachment{{ID: 0, Filename: timelineFile, Description: cut(reply.ImageAlt, maxAltText)}}
		var contentType string
		var raw []byte
		contentType, raw, err = discordgo.MultipartBodyWithJSON(body, files)
		if err != nil {
			return fmt.Errorf("discord: %w", err)
		}
		_, err = a.s.RequestRaw("POST", endpoint, contentType, raw, endpoint, 0, discordgo.WithContext(ctx))
	} else {
		_, err = a.s.RequestWithBucketID("POST", endpoint, body, endpoint, discordgo.WithContext(ctx))
	}
	if !hasCode(err, discordgo.ErrCodeMissingPermissions) {
		return err
	}
	// Without Embed Links (or Attach Files), the answer goes as text,
	// which is complete without the picture.
	body.Embeds, body.Content, body.Attachments = nil, PlainText(reply), nil
	_, err = a.s.RequestWithBucketID("POST", endpoint, body, endpoint, discordgo.WithContext(ctx))
	return err
}

// retryBackoff is how long an answer waits before each new try after a
// failure on Discord's side; one still failing after them is logged.
var retryBackoff = []time.Duration{500 * time.Millisecond, 2 * time.Second}

// retrying sends an answer a member is waiting for, trying again after a
// network failure or a server error on Discord's side: one lost request
// should not cost them their answer. send must be safe to repeat (a nonce,
// an edit, an interaction Discord acknowledges once).
func (a *Adapter) retrying(ctx context.Context, what string, send func() error) error {
	for try := 0; ; try++ {
		err := send()
		if err == nil || !transient(err) || try == len(retryBackoff) {
			return err
		}
		a.cfg.Log.Warn(what+" failed; trying again", "error", err)
		select {
		case <-time.After(retryBackoff[try]):
		case <-ctx.Done():
			return err
		}
	}
}

// replyTo answers a member's message. The nonce, from their message's id
// and enforced, makes Discord keep one copy when a try that seemed to fail
// had in fact arrived (and when a replayed event asks twice).
func (a *Adapter) replyTo(ctx context.Context, m *discordgo.Message, reply bot.Reply) error {
	ref := &discordgo.MessageReference{MessageID: m.ID, ChannelID: m.ChannelID, GuildID: m.GuildID}
	return a.retrying(ctx, "replying to a message", func() error {
		return a.sendReply(ctx, m.ChannelID, replyNonce(m.ID), reply, ref)
	})
}

// respond answers an interaction. Discord takes one response per
// interaction: "already acknowledged" on a second try means the first had
// arrived.
func (a *Adapter) respond(ctx context.Context, i *discordgo.Interaction, r *discordgo.InteractionResponse) error {
	return a.retrying(ctx, "answering an interaction", func() error {
		err := a.s.InteractionRespond(i, r, discordgo.WithContext(ctx))
		if hasCode(err, discordgo.ErrCodeInteractionHasAlreadyBeenAcknowledged) {
			return nil
		}
		return err
	})
}

// replyNonce is a reply's nonce: Discord takes at most 25 characters, and
// a message id (a snowflake) has at most 20 digits.
func replyNonce(messageID string) string { return "r" + messageID }

// transient reports whether a failed request may succeed if sent again: a
// network failure or a 5xx, not a refusal or a cancelled context.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) {
		return re.Response != nil && re.Response.StatusCode >= 500
	}
	var rl *discordgo.RateLimitError
	return !errors.As(err, &rl)
}

// hasCode reports whether err is a Discord error with one of codes.
func hasCode(err error, codes ...int) bool {
	var re *discordgo.RESTError
	return errors.As(err, &re) && re.Message != nil && slices.Contains(codes, re.Message.Code)
}

// errPanicked is a send that panicked; the log has the panic and its stack.
var errPanicked = errors.New("discord: sending panicked")

// Send delivers a notice: a DM or a channel post, with a nonce. It sorts
// failures for the deliverer: undeliverable (closed DMs, a channel gone or
// forbidden) is given up, anything else is retried.
func (a *Adapter) Send(ctx context.Context, n notify.Notice) (err error) {
	// The deliverer calls this from its own goroutine, which a panic
	// rendering one notice would end, and the process with it. The
	// panic fails this try like any error: the deliverer retries a few
	// times, then gives the notice up.
	defer a.recovered("sending a notice", func() { err = errPanicked })
	return a.post(ctx, n.Target, n.Nonce, bot.NoticeReply(n, a.cfg.Prefix))
}

func (a *Adapter) post(ctx context.Context, target domain.Target, nonce string, reply bot.Reply) error {
	channel := target.ID
	if channel == "" {
		return fmt.Errorf("%w: no target", notify.ErrUndeliverable)
	}
	if !target.Channel {
		c, err := a.s.UserChannelCreate(target.ID, discordgo.WithContext(ctx))
		if err != nil {
			return classify(err)
		}
		channel = c.ID
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
func (a *Adapter) FeedFailure(ctx context.Context, src *domain.Source, reason string) {
	defer a.recovered("posting a feed failure notice", nil)
	if src.Feed == nil || src.Feed.ChannelID == "" {
		return
	}
	if err := a.post(ctx, domain.ChannelTarget(src.Feed.ChannelID), "", bot.FeedFailureReply(src, reason, a.cfg.Prefix)); err != nil {
		a.cfg.Log.Warn("posting a feed failure notice", "feed", src.ID, "error", err)
	}
}
