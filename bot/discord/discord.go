// Package discord is the only package that speaks Discord: it turns
// gateway events (messages, slash commands, button presses, autocomplete)
// into bot.Requests, renders bot.Replies as embeds with mentions disabled,
// registers the slash commands, and delivers notices. Everything it sends
// goes through discordgo, pointed at DISCORD_API_URL when that is set.
package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/disputebot/disputebot/bot"
	"github.com/disputebot/disputebot/internal/store"
)

// Config is what the adapter needs to connect.
type Config struct {
	Token          string
	AppID          string // read from READY when empty
	GuildID        string // register commands to this guild only (development)
	APIURL         string // Discord-compatible REST base; "" is Discord's own
	Prefix         string
	ModRoleIDs     []string
	MessageContent bool // request the privileged Message Content intent for prefix commands
	// AnswerWithin is how long a slash command may take before it is
	// deferred; Discord allows 3 s for the first response.
	AnswerWithin time.Duration
	Log          *slog.Logger
	// Reconnected counts gateway connections after the first; nil is fine.
	Reconnected func()
}

// Adapter connects a bot.Bot to Discord.
type Adapter struct {
	cfg       Config
	bot       *bot.Bot
	s         *discordgo.Session
	connected atomic.Bool
	connects  atomic.Int64
	appID     atomic.Value // string
	register  sync.Once
	wg        sync.WaitGroup // handlers in flight, awaited on Close
	closing   atomic.Bool

	// A connection is readied by READY or RESUMED; one that closes before
	// that, with a refusing close code, fails the adapter (see refusal.go).
	readied     atomic.Bool
	connectedAt atomic.Int64 // unix nanoseconds of the last gateway dial
	refused     atomic.Bool
	failed      chan error
}

// New builds an adapter; Open connects it.
func New(cfg Config, b *bot.Bot) (*Adapter, error) {
	if cfg.Token == "" {
		return nil, errors.New("discord: DISCORD_TOKEN is required")
	}
	if cfg.AnswerWithin == 0 {
		cfg.AnswerWithin = 2 * time.Second
	}
	s, err := discordgo.New("Bot " + cfg.Token)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	s.Client = &http.Client{Timeout: 30 * time.Second}
	if cfg.APIURL != "" {
		s.Client.Transport = Rewrite(cfg.APIURL, http.DefaultTransport)
	}
	s.UserAgent = "DiscordBot (https://github.com/disputebot/disputebot, 1.0)"
	s.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages
	if cfg.MessageContent {
		s.Identify.Intents |= discordgo.IntentMessageContent
	}
	s.ShouldReconnectOnError = true
	s.StateEnabled = true
	a := &Adapter{cfg: cfg, bot: b, s: s, failed: make(chan error, 1)}
	a.connectedAt.Store(time.Now().UnixNano()) // refusals before this were another adapter's
	hookLogs()
	s.Dialer = a.dialer()
	a.appID.Store(cfg.AppID)
	s.AddHandler(a.onReady)
	s.AddHandler(a.onConnect)
	s.AddHandler(a.onDisconnect)
	s.AddHandler(a.onResumed)
	s.AddHandler(a.onMessage)
	s.AddHandler(a.onInteraction)
	return a, nil
}

// apiPrefix matches the REST base discordgo has compiled in.
var apiPrefix = regexp.MustCompile(`^https://discord\.com/api/v\d+/`)

// Rewrite returns a transport sending discordgo's REST calls, addressed to
// discord.com, to apiURL instead: a self-hosted Discord-compatible server,
// or the fake gateway in tests. The gateway's websocket address comes from
// that server's own GET /gateway answer.
func Rewrite(apiURL string, base http.RoundTripper) http.RoundTripper {
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		u := r.URL.String()
		if loc := apiPrefix.FindStringIndex(u); loc != nil {
			nu, err := r.URL.Parse(apiURL + u[loc[1]:])
			if err != nil {
				if r.Body != nil {
					r.Body.Close()
				}
				return nil, err
			}
			r = r.Clone(r.Context())
			r.URL = nu
			r.Host = nu.Host
		}
		return base.RoundTrip(r)
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Open connects to the gateway; discordgo returns once READY has come. A
// refused token or intent fails here with a sentence saying what to fix.
func (a *Adapter) Open() error {
	if err := a.s.Open(); err != nil {
		var ce *websocket.CloseError
		if errors.As(err, &ce) && refusals[ce.Code] != "" {
			a.refused.Store(true)
			return &RefusedError{Code: ce.Code}
		}
		return fmt.Errorf("discord: connecting to the gateway: %w", err)
	}
	return nil
}

// Close disconnects, after the commands in flight have answered.
func (a *Adapter) Close() error {
	a.closing.Store(true)
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		a.cfg.Log.Warn("closing with commands still running")
	}
	// discordgo's heartbeat, caught between beats while the session
	// closes, finds its connection gone and reconnects: a session nobody
	// closes. Writing this before Close takes the session's lock orders it
	// before that read; the dialer refuses too, should any path get past.
	a.s.ShouldReconnectOnError = false
	err := a.s.Close()
	a.s.Client.CloseIdleConnections()
	return err
}

// Connected reports whether the gateway connection is up, for /healthz.
func (a *Adapter) Connected() bool { return a.connected.Load() }

func (a *Adapter) onConnect(s *discordgo.Session, _ *discordgo.Connect) {
	a.connected.Store(true)
	if a.connects.Add(1) > 1 && a.cfg.Reconnected != nil {
		a.cfg.Reconnected()
	}
}

func (a *Adapter) onResumed(s *discordgo.Session, _ *discordgo.Resumed) { a.readied.Store(true) }

func (a *Adapter) onDisconnect(s *discordgo.Session, _ *discordgo.Disconnect) {
	a.connected.Store(false)
	a.checkRefused()
	if !a.closing.Load() {
		a.cfg.Log.Warn("gateway connection lost; reconnecting")
	}
}

func (a *Adapter) onReady(s *discordgo.Session, r *discordgo.Ready) {
	a.readied.Store(true)
	if a.appID.Load().(string) == "" && r.Application != nil {
		a.appID.Store(r.Application.ID)
	}
	a.cfg.Log.Info("connected to Discord", "guilds", len(r.Guilds), "user", r.User.Username)
	a.register.Do(func() {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			if err := a.registerCommands(); err != nil {
				a.cfg.Log.Error("registering slash commands", "error", err)
			}
		}()
	})
}

// ChannelInGuild reports whether channel is a text channel of guild, from
// the gateway's state.
func (a *Adapter) ChannelInGuild(guild, channel string) bool {
	c, err := a.s.State.Channel(channel)
	if err != nil {
		return false
	}
	return c.GuildID == guild && (c.Type == discordgo.ChannelTypeGuildText || c.Type == discordgo.ChannelTypeGuildNews)
}

// isModerator says whether a member may manage the bot in a guild: Manage
// Server or Administrator in the permissions Discord computed, or one of
// the configured moderator roles.
func (a *Adapter) isModerator(perms int64, roles []string) bool {
	if perms&(discordgo.PermissionManageGuild|discordgo.PermissionAdministrator) != 0 {
		return true
	}
	for _, r := range roles {
		for _, m := range a.cfg.ModRoleIDs {
			if r == m {
				return true
			}
		}
	}
	return false
}

// mentionPrefix matches a leading mention of a user: "<@123>" or "<@!123>".
var mentionPrefix = regexp.MustCompile(`^<@!?(\d+)>\s*`)

func (a *Adapter) onMessage(s *discordgo.Session, m *discordgo.MessageCreate) {
	if m.Author == nil || m.Author.Bot || a.closing.Load() {
		return
	}
	text, addressed := "", false
	content := strings.TrimSpace(m.Content)
	switch {
	case strings.HasPrefix(content, a.cfg.Prefix):
		text = strings.TrimPrefix(content, a.cfg.Prefix)
		addressed = m.GuildID == ""
	case mentionPrefix.MatchString(content) && s.State.User != nil && mentionPrefix.FindStringSubmatch(content)[1] == s.State.User.ID:
		text = mentionPrefix.ReplaceAllString(content, "")
		addressed = true
	case m.GuildID == "":
		text, addressed = content, true
	default:
		return
	}
	if !addressed && !bot.IsCommand(text) {
		return // another bot's command
	}
	req := bot.Request{GuildID: m.GuildID, ChannelID: m.ChannelID, UserID: m.Author.ID, Text: text, Addressed: addressed}
	if m.GuildID != "" {
		perms, err := s.State.MessagePermissions(m.Message)
		var roles []string
		if m.Member != nil {
			roles = m.Member.Roles
		}
		req.IsModerator = err == nil && a.isModerator(perms, roles) || err != nil && a.isModerator(0, roles)
	}
	a.wg.Add(1)
	defer a.wg.Done()
	reply := a.bot.Handle(context.Background(), req)
	if reply.Silent {
		return
	}
	ctx := context.Background()
	err := a.replyTo(ctx, m.Message, reply)
	if hasCode(err, discordgo.ErrCodeMissingPermissions, discordgo.ErrCodeMissingAccess) && m.GuildID != "" {
		// The bot may not post here at all: tell the member why it is
		// silent, privately, rather than leave them waiting.
		err = a.post(ctx, store.DMTarget(m.Author.ID), "", cannotPostHere(m.ChannelID, a.cfg.Prefix))
	}
	if err != nil {
		a.cfg.Log.Error("replying to a message", "channel", m.ChannelID, "error", err)
	}
}

// cannotPostHere is the DM a member gets when the bot may not answer in
// the channel they asked in.
func cannotPostHere(channel, prefix string) bot.Reply {
	return bot.Reply{Body: "I could not answer you in <#" + channel + ">: I may not post there. A moderator can give me the Send Messages and Embed Links permissions in that channel. Meanwhile the slash commands (/dispute) answer anywhere, and " + prefix + "dispute works here in DMs.",
		Color: bot.Warn}
}

func (a *Adapter) onInteraction(s *discordgo.Session, i *discordgo.InteractionCreate) {
	if a.closing.Load() {
		return
	}
	a.wg.Add(1)
	defer a.wg.Done()
	req := bot.Request{GuildID: i.GuildID, ChannelID: i.ChannelID, Addressed: true}
	if i.Member != nil && i.Member.User != nil {
		req.UserID = i.Member.User.ID
		req.IsModerator = a.isModerator(i.Member.Permissions, i.Member.Roles)
	} else if i.User != nil {
		req.UserID = i.User.ID
	}
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		data := i.ApplicationCommandData()
		name, sub, values := flatten(data)
		req.Text = bot.SlashText(name, sub, values)
		a.answerInteraction(i, func() bot.Reply { return a.bot.Handle(context.Background(), req) }, discordgo.InteractionResponseChannelMessageWithSource)
	case discordgo.InteractionMessageComponent:
		id := i.MessageComponentData().CustomID
		kind := discordgo.InteractionResponseUpdateMessage
		if !strings.HasPrefix(id, "pg:") {
			kind = discordgo.InteractionResponseChannelMessageWithSource
		}
		a.answerInteraction(i, func() bot.Reply { return a.bot.Press(context.Background(), req, id) }, kind)
	case discordgo.InteractionApplicationCommandAutocomplete:
		_, _, values := flatten(i.ApplicationCommandData())
		typed := ""
		for _, o := range allOptions(i.ApplicationCommandData().Options) {
			if o.Focused {
				typed = fmt.Sprint(o.Value)
			}
		}
		_ = values
		var choices []*discordgo.ApplicationCommandOptionChoice
		for _, c := range a.bot.Autocomplete(typed) {
			choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: c.Name, Value: c.Value})
		}
		err := s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: choices},
		})
		if err != nil {
			a.cfg.Log.Warn("answering autocomplete", "error", err)
		}
	}
}

// answerInteraction runs a handler and answers within Discord's three
// seconds: directly when the handler is quick, otherwise with a deferred
// response that is edited once the answer is ready.
func (a *Adapter) answerInteraction(i *discordgo.InteractionCreate, run func() bot.Reply, kind discordgo.InteractionResponseType) {
	ctx := context.Background()
	done := make(chan bot.Reply, 1)
	go func() { done <- run() }()
	var reply bot.Reply
	select {
	case reply = <-done:
		if reply.Silent {
			return
		}
		embed, comps := Embed(reply)
		data := &discordgo.InteractionResponseData{Embeds: []*discordgo.MessageEmbed{embed}, Components: comps, AllowedMentions: noMentions()}
		if reply.Ephemeral && kind != discordgo.InteractionResponseUpdateMessage {
			data.Flags = discordgo.MessageFlagsEphemeral
		}
		if err := a.respond(ctx, i.Interaction, &discordgo.InteractionResponse{Type: kind, Data: data}); err != nil {
			a.cfg.Log.Error("answering an interaction", "error", err)
		}
		return
	case <-time.After(a.cfg.AnswerWithin):
	}
	deferKind := discordgo.InteractionResponseDeferredChannelMessageWithSource
	if kind == discordgo.InteractionResponseUpdateMessage {
		deferKind = discordgo.InteractionResponseDeferredMessageUpdate
	}
	if err := a.respond(ctx, i.Interaction, &discordgo.InteractionResponse{Type: deferKind}); err != nil {
		a.cfg.Log.Error("deferring an interaction", "error", err)
		return
	}
	reply = <-done
	if reply.Silent {
		reply = bot.Reply{Body: "Done."}
	}
	embed, comps := Embed(reply)
	embeds := []*discordgo.MessageEmbed{embed}
	edit := &discordgo.WebhookEdit{Embeds: &embeds, Components: &comps, AllowedMentions: noMentions()}
	if err := a.retrying(ctx, "completing a deferred interaction", func() error {
		_, err := a.s.InteractionResponseEdit(i.Interaction, edit, discordgo.WithContext(ctx))
		return err
	}); err != nil {
		a.cfg.Log.Error("completing a deferred interaction", "error", err)
	}
}

// flatten reads a slash command's name, subcommand and option values.
func flatten(d discordgo.ApplicationCommandInteractionData) (name, sub string, values map[string]string) {
	values = map[string]string{}
	opts := d.Options
	if len(opts) == 1 && opts[0].Type == discordgo.ApplicationCommandOptionSubCommand {
		sub = opts[0].Name
		opts = opts[0].Options
	}
	for _, o := range opts {
		values[o.Name] = fmt.Sprint(o.Value)
	}
	return d.Name, sub, values
}

func allOptions(opts []*discordgo.ApplicationCommandInteractionDataOption) []*discordgo.ApplicationCommandInteractionDataOption {
	var out []*discordgo.ApplicationCommandInteractionDataOption
	for _, o := range opts {
		out = append(out, o)
		out = append(out, allOptions(o.Options)...)
	}
	return out
}
