// Package discord is the only package that speaks Discord: it turns
// gateway events (messages, slash commands, button presses, autocomplete)
// into bot.Requests, renders bot.Replies as embeds with mentions disabled,
// registers the slash commands, and delivers notices. Everything it sends
// goes through discordgo, pointed at DISCORD_API_URL when that is set.
package discord

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/disputebot/disputebot/bot"
	"github.com/disputebot/disputebot/internal/domain"
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
	// Panicked counts panics recovered in the adapter's goroutines (each
	// is logged with its stack, and the member answered); nil is fine.
	Panicked func()
	// PublicKey is the application's Ed25519 public key, which signs the
	// interactions Discord POSTs to the endpoint (see Interactions).
	PublicKey ed25519.PublicKey
	// InteractionRefused counts interaction POSTs the endpoint refused,
	// by reason (see the refused* constants); nil is fine.
	InteractionRefused func(reason string)
	// ClaimEvent, when set, claims an event's id (an interaction's, or a
	// command message's) in the store that processes share, and reports
	// whether this process should answer it: a shard resumed in another
	// process, or a replayed POST to another endpoint behind the same
	// load balancer, then runs nowhere twice. An interaction is claimed
	// for good (lease zero); a command message for CommandLease, and
	// EventAnswered follows its answer, so that a command whose process
	// died between the two is answered by the process that resumes the
	// shard. Nil keeps the memory of this process alone.
	ClaimEvent func(ctx context.Context, id string, lease time.Duration) (bool, error)
	// EventAnswered makes a command message's claim final; nil is fine.
	EventAnswered func(ctx context.Context, id string) error
	// CommandLease is how long a command message's claim holds before
	// another process may answer it; it must be shorter than the time a
	// dead process's shard takes to move (its lease), or the replay
	// reaches the taker while the claim still holds. Zero: 10 seconds.
	CommandLease time.Duration

	// ShardID and ShardCount are the gateway shard this adapter connects
	// as; a ShardCount below 2 is the single, unsharded connection. Only
	// shard 0 registers the slash commands.
	ShardID, ShardCount int
	// BeforeIdentify, when set, is called before each IDENTIFY (never
	// before a RESUME) and returns once the identify may go: processes
	// sharing a token must space their identifies and count them (see
	// Session). It returns an error when ctx ends first.
	BeforeIdentify func(ctx context.Context) error
	// Resume is a session to take over: Open RESUMEs it, as the process
	// that held the shard before would have, instead of identifying.
	Resume Session
	// Event counts the gateway's dispatches; Connection tells the
	// connection going up or down. Nil is fine.
	Event      func()
	Connection func(up bool)
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

	// mu orders every wg.Add and bg.Add before Close's Waits: a WaitGroup
	// may not gain work while it is being waited on.
	mu     sync.Mutex
	closed bool
	// bg is the reconnect loop, stopped by stop and awaited on Close.
	bg           sync.WaitGroup
	stop         chan struct{}
	reconnecting atomic.Bool

	// A connection is readied by READY or RESUMED; one that closes before
	// that, with a refusing close code, fails the adapter (see refusal.go).
	readied     atomic.Bool
	connectedAt atomic.Int64 // unix nanoseconds of the last gateway dial
	refused     atomic.Bool
	failed      chan error

	// interactions are the ids of the interactions handled lately: a
	// gateway replaying events may deliver one twice.
	interactions *seenIDs
	// channels are those read over REST (see restChannel).
	channelsMu sync.Mutex
	channels   map[string]*discordgo.Channel

	// The gateway session, for a process taking the shard over (see
	// Session): sessionID and resumeURL are strings.
	sessionID, resumeURL atomic.Value
	seq, safeSeq         atomic.Int64
}

// Interactions are remembered for ten minutes, at most 10,000 of them:
// Discord replays what a resumed session missed within seconds or
// minutes, and an interaction's token is good for fifteen.
const (
	interactionMemory = 10 * time.Minute
	maxInteractions   = 10_000
)

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
	// The adapter reconnects by itself (see reconnect): discordgo's own
	// loop reads this flag unsynchronised, so it could not be switched
	// off at Close without a data race, and it outlived a closed session.
	s.ShouldReconnectOnError = false
	s.StateEnabled = true
	if cfg.ShardCount > 1 {
		s.ShardID, s.ShardCount = cfg.ShardID, cfg.ShardCount
	}
	a := &Adapter{cfg: cfg, bot: b, s: s, failed: make(chan error, 1), stop: make(chan struct{}),
		interactions: newSeenIDs(interactionMemory, maxInteractions)}
	a.connectedAt.Store(time.Now().UnixNano()) // refusals before this were another adapter's
	hookLogs()
	s.Dialer = a.dialer()
	a.appID.Store(cfg.AppID)
	a.sessionID.Store("")
	a.resumeURL.Store("")
	if cfg.Resume.ID != "" && presetResume(s, cfg.Resume) {
		a.sessionID.Store(cfg.Resume.ID)
		a.resumeURL.Store(cfg.Resume.ResumeURL)
		a.seq.Store(cfg.Resume.Seq)
		a.safeSeq.Store(cfg.Resume.Seq)
	}
	s.AddHandler(a.onEvent)
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
	if err := a.openGateway(); err != nil {
		var ce *websocket.CloseError
		if errors.As(err, &ce) && refusals[ce.Code] != "" {
			a.refused.Store(true)
			return &RefusedError{Code: ce.Code}
		}
		return fmt.Errorf("discord: connecting to the gateway: %w", err)
	}
	// READY's session id is noted by a handler discordgo runs in a
	// goroutine of its own: wait for it, so that Session has it at once
	// for a process that may take this shard over.
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if id, _ := a.sessionID.Load().(string); id != "" {
			break
		}
	}
	return nil
}

// Close disconnects, after the commands in flight have answered, and
// returns once no goroutine of the adapter is left.
func (a *Adapter) Close() error {
	a.closing.Store(true)
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		a.cfg.Log.Warn("closing with commands still running")
	}
	close(a.stop)
	err := a.s.Close()
	a.bg.Wait()
	a.s.Client.CloseIdleConnections()
	return err
}

// track counts a goroutine of work that Close must wait for; it reports
// false, and counts nothing, once Close has begun.
func (a *Adapter) track(wg *sync.WaitGroup) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	wg.Add(1)
	return true
}

// reconnect opens the gateway again after a lost connection: at once,
// then after 1 s, 2 s, 4 s and so on up to ten minutes between attempts.
// discordgo's Open resumes the session it has, so events missed meanwhile
// are replayed. It stops when the bot closes or Discord refuses it; a
// refusal is never retried, since identifying again and again gets a
// bot's token reset.
func (a *Adapter) reconnect() {
	defer a.bg.Done()
	defer a.reconnecting.Store(false)
	defer a.recovered("reconnecting to the gateway", nil)
	wait := time.Second
	for {
		if a.closing.Load() || a.checkRefused() {
			return
		}
		err := a.openGateway()
		if err == nil || errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			return
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) && refusals[ce.Code] != "" {
			lastRefusal.Store(&refusal{code: ce.Code, at: time.Now()})
			continue // checkRefused tells Failed and stops
		}
		if !a.closing.Load() {
			a.cfg.Log.Warn("reconnecting to the gateway failed; trying again", "in", wait, "error", err)
		}
		select {
		case <-a.stop:
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, 10*time.Minute)
	}
}

// Connected reports whether the gateway connection is up, for /healthz.
func (a *Adapter) Connected() bool { return a.connected.Load() }

func (a *Adapter) onConnect(s *discordgo.Session, _ *discordgo.Connect) {
	defer a.recovered("handling a gateway connection", nil)
	a.connected.Store(true)
	if a.cfg.Connection != nil {
		a.cfg.Connection(true)
	}
	if a.connects.Add(1) > 1 && a.cfg.Reconnected != nil {
		a.cfg.Reconnected()
	}
}

func (a *Adapter) onResumed(s *discordgo.Session, _ *discordgo.Resumed) {
	defer a.recovered("handling RESUMED", nil)
	a.readied.Store(true)
}

func (a *Adapter) onDisconnect(s *discordgo.Session, _ *discordgo.Disconnect) {
	defer a.recovered("handling a gateway disconnection", nil)
	a.connected.Store(false)
	if a.cfg.Connection != nil {
		a.cfg.Connection(false)
	}
	if a.checkRefused() || a.closing.Load() {
		return
	}
	a.cfg.Log.Warn("gateway connection lost; reconnecting")
	if a.reconnecting.CompareAndSwap(false, true) {
		if !a.track(&a.bg) {
			a.reconnecting.Store(false)
			return
		}
		go a.reconnect()
	}
}

func (a *Adapter) onReady(s *discordgo.Session, r *discordgo.Ready) {
	defer a.recovered("handling READY", nil)
	a.readied.Store(true)
	if a.appID.Load().(string) == "" && r.Application != nil {
		a.appID.Store(r.Application.ID)
	}
	a.cfg.Log.Info("connected to Discord", "guilds", len(r.Guilds), "user", r.User.Username)
	if a.cfg.ShardID != 0 {
		return // shard 0 registers the commands for all
	}
	a.register.Do(func() {
		if !a.track(&a.wg) {
			return
		}
		go func() {
			defer a.wg.Done()
			defer a.recovered("registering slash commands", nil)
			if err := a.registerCommands(); err != nil {
				a.cfg.Log.Error("registering slash commands", "error", err)
			}
		}()
	})
}

// ChannelInGuild reports whether channel is a text channel of guild, from
// the gateway's state, or from Discord's REST API when the state does not
// know the guild: a process answering interactions only has no gateway,
// and so no state.
func (a *Adapter) ChannelInGuild(guild, channel string) bool {
	c, err := a.s.State.Channel(channel)
	if _, gerr := a.s.State.Guild(guild); err != nil && gerr != nil {
		c, err = a.restChannel(channel)
	}
	if err != nil {
		return false
	}
	return c.GuildID == guild && (c.Type == discordgo.ChannelTypeGuildText || c.Type == discordgo.ChannelTypeGuildNews)
}

// restChannel reads a channel over REST once and remembers it: a
// channel's server and type do not change, and without the memory every
// command naming a channel would spend a request of the bot's shared
// rate limit, which members could do as often as they liked. The memory
// is bounded; when full it starts again.
func (a *Adapter) restChannel(id string) (*discordgo.Channel, error) {
	a.channelsMu.Lock()
	c, ok := a.channels[id]
	a.channelsMu.Unlock()
	if ok {
		return c, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := a.s.Channel(id, discordgo.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	a.channelsMu.Lock()
	if a.channels == nil || len(a.channels) >= 10000 {
		a.channels = map[string]*discordgo.Channel{}
	}
	a.channels[id] = c
	a.channelsMu.Unlock()
	return c, nil
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
	if !a.track(&a.wg) {
		return
	}
	defer a.wg.Done()
	ctx := context.Background()
	// asked is set once the message is a command for the bot, answered
	// once its answer has gone: a panic between the two owes the member
	// an apology, a panic outside them does not.
	var asked, answered bool
	defer a.recovered("handling a message", func() {
		if asked && !answered {
			if err := a.replyTo(ctx, m.Message, bot.Reply{Body: sorry, Color: bot.Bad}); err != nil {
				a.cfg.Log.Error("apologising for a message", "channel", m.ChannelID, "error", err)
			}
		}
	})
	if m.Author == nil || m.Author.Bot {
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
	asked = true
	if !a.claimed(m.ID, "message", a.commandLease(), 10*time.Second) {
		answered = true
		a.cfg.Log.Debug("ignoring a message delivered again", "message", m.ID)
		return
	}
	// Deferred, it also runs when the command panics (answered by the
	// apology), but not when the process dies before answering: then the
	// claim runs out and the shard's next holder answers the replay.
	defer a.eventAnswered(m.ID)
	req := bot.Request{GuildID: m.GuildID, ChannelID: m.ChannelID, UserID: m.Author.ID, Text: text, Addressed: addressed}
	if m.GuildID != "" {
		perms, err := s.State.MessagePermissions(m.Message)
		var roles []string
		if m.Member != nil {
			roles = m.Member.Roles
		}
		req.IsModerator = err == nil && a.isModerator(perms, roles) || err != nil && a.isModerator(0, roles)
	}
	reply := a.bot.Handle(ctx, req)
	if reply.Silent {
		return
	}
	err := a.replyTo(ctx, m.Message, reply)
	answered = true
	if hasCode(err, discordgo.ErrCodeMissingPermissions, discordgo.ErrCodeMissingAccess) && m.GuildID != "" {
		// The bot may not post here at all: tell the member why it is
		// silent, privately, rather than leave them waiting.
		err = a.post(ctx, domain.DMTarget(m.Author.ID), "", cannotPostHere(m.ChannelID, a.cfg.Prefix))
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
	if !a.track(&a.wg) {
		return
	}
	defer a.wg.Done()
	defer a.recovered("handling an interaction", nil)
	// A gateway replaying events after a resume may deliver an
	// interaction twice. Discord takes one response, but a second run
	// would repeat the command's effects (a subscription, a feed added)
	// and, once deferred, edit or follow up the first answer.
	if !a.firstTime(i.Interaction) {
		a.cfg.Log.Debug("ignoring an interaction delivered again", "interaction", i.ID)
		return
	}
	a.interact(i.Interaction, a.callback(i.Interaction))
}

// firstTime reports whether the interaction id is new: to this process's
// memory, then to the store processes share. A store that cannot be
// reached is logged and the interaction answered: a member's command is
// not dropped for it, and the signature's time window still bounds a
// replay.
//
// Autocomplete is not claimed in the store: it changes nothing, and a
// member typing would otherwise write a row per keystroke.
func (a *Adapter) firstTime(i *discordgo.Interaction) bool {
	id := i.ID
	if !a.interactions.first(id, time.Now()) {
		return false
	}
	if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
		return true
	}
	// An interaction's claim must leave time to answer within Discord's
	// three seconds.
	return a.claimed(id, "interaction", 0, time.Second)
}

// claimed reports whether an event's id (an interaction's, or a command
// message's) is this process's to answer, asking the store processes
// share when there is one (see ClaimEvent). A shard resumed by another
// process is replayed the events of its last seconds (see Session), and a
// command among them may have been answered already. Messages share the
// interactions' claims: ids are snowflakes, unique across both. A store
// that cannot be reached within the given time is logged and the command
// answered.
func (a *Adapter) claimed(id, kind string, lease, within time.Duration) bool {
	if a.cfg.ClaimEvent == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	ok, err := a.cfg.ClaimEvent(ctx, id, lease)
	if err != nil {
		a.cfg.Log.Warn("claiming an event in the shared store; answering it here", kind, id, "error", err)
		return true
	}
	return ok
}

// eventAnswered makes a command message's claim final (see ClaimEvent).
// Failing, it is logged: the claim runs out and a replay of the command
// to another process (only after a takeover) is answered again, which
// Discord's enforced nonce turns into the same one reply.
func (a *Adapter) eventAnswered(id string) {
	if a.cfg.EventAnswered == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.cfg.EventAnswered(ctx, id); err != nil {
		a.cfg.Log.Warn("marking a command answered in the shared store", "message", id, "error", err)
	}
}

// commandLease is Config.CommandLease or its default.
func (a *Adapter) commandLease() time.Duration {
	if a.cfg.CommandLease > 0 {
		return a.cfg.CommandLease
	}
	return 10 * time.Second
}

// callback is the first response to an interaction from the gateway: a
// REST callback.
func (a *Adapter) callback(i *discordgo.Interaction) firstResponse {
	return func(ctx context.Context, r *discordgo.InteractionResponse) error { return a.respond(ctx, i, r) }
}

// firstResponse sends an interaction's one initial response: a REST
// callback for an interaction from the gateway, the HTTP response for one
// POSTed to the endpoint. What may follow it (the edit of a deferred
// answer, a follow-up) goes over REST either way.
type firstResponse func(ctx context.Context, r *discordgo.InteractionResponse) error

// interact answers an interaction, however it came: a slash command and a
// button press are run by the bot and rendered as every reply is, an
// autocomplete is answered with the bot's choices. A panic is logged and
// apologised for as far as the answer had got.
func (a *Adapter) interact(i *discordgo.Interaction, first firstResponse) {
	var progress answerProgress
	defer a.recovered("handling an interaction", func() { a.apologiseInteraction(i, first, &progress) })
	req := a.interactionRequest(i)
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		name, sub, values := flatten(i.ApplicationCommandData())
		req.Slash = &bot.Slash{Name: name, Sub: sub, Options: values}
		a.answerInteraction(i, first, func() bot.Reply { return a.bot.Handle(context.Background(), req) }, discordgo.InteractionResponseChannelMessageWithSource, &progress)
	case discordgo.InteractionMessageComponent:
		id := i.MessageComponentData().CustomID
		kind := discordgo.InteractionResponseUpdateMessage
		if !strings.HasPrefix(id, "pg:") {
			kind = discordgo.InteractionResponseChannelMessageWithSource
		}
		a.answerInteraction(i, first, func() bot.Reply { return a.bot.Press(context.Background(), req, id) }, kind, &progress)
	case discordgo.InteractionApplicationCommandAutocomplete:
		typed := ""
		for _, o := range allOptions(i.ApplicationCommandData().Options) {
			if o.Focused {
				typed = fmt.Sprint(o.Value)
			}
		}
		var choices []*discordgo.ApplicationCommandOptionChoice
		for _, c := range a.bot.Autocomplete(typed) {
			choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: c.Name, Value: c.Value})
		}
		err := first(context.Background(), &discordgo.InteractionResponse{
			Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: choices},
		})
		progress = answered
		if err != nil {
			a.cfg.Log.Warn("answering autocomplete", "error", err)
		}
	}
}

// interactionRequest is who asked, and where: the member and whether
// they moderate, from the permissions Discord computed for them.
func (a *Adapter) interactionRequest(i *discordgo.Interaction) bot.Request {
	req := bot.Request{GuildID: i.GuildID, ChannelID: i.ChannelID, Addressed: true}
	if i.Member != nil && i.Member.User != nil {
		req.UserID = i.Member.User.ID
		req.IsModerator = a.isModerator(i.Member.Permissions, i.Member.Roles)
	} else if i.User != nil {
		req.UserID = i.User.ID
	}
	return req
}

// answerProgress is how far an interaction's answer has got, which says
// how to apologise after a panic.
type answerProgress int

const (
	unanswered     answerProgress = iota
	deferredReply                 // a deferred message, to be edited
	deferredUpdate                // a deferred update of the message pressed
	answered
)

// answerInteraction runs a handler and answers within Discord's three
// seconds: directly when the handler is quick, otherwise with a deferred
// response that is edited once the answer is ready. It notes in progress
// how far the answer got.
func (a *Adapter) answerInteraction(i *discordgo.Interaction, first firstResponse, run func() bot.Reply, kind discordgo.InteractionResponseType, progress *answerProgress) {
	ctx := context.Background()
	type result struct {
		reply    bot.Reply
		panicked bool
	}
	done := make(chan result, 1)
	go func() {
		// The handler runs in a goroutine of its own, so that a slow
		// one can be deferred; its panic is logged here and answered
		// below, like a reply.
		defer a.recovered("running a command", func() { done <- result{panicked: true} })
		done <- result{reply: run()}
	}()
	var res result
	select {
	case res = <-done:
		if res.panicked {
			a.apologiseInteraction(i, first, progress)
			return
		}
		embed, comps := Embed(shown(res.reply))
		data := &discordgo.InteractionResponseData{Embeds: []*discordgo.MessageEmbed{embed}, Components: comps, AllowedMentions: noMentions(),
			Files: imageFor(i, kind, embed, res.reply)}
		if res.reply.Ephemeral && kind != discordgo.InteractionResponseUpdateMessage {
			data.Flags = discordgo.MessageFlagsEphemeral
		}
		err := first(ctx, &discordgo.InteractionResponse{Type: kind, Data: data})
		*progress = answered
		if err != nil {
			a.cfg.Log.Error("answering an interaction", "error", err)
		}
		return
	case <-time.After(a.cfg.AnswerWithin):
	}
	deferKind, deferred := discordgo.InteractionResponseDeferredChannelMessageWithSource, deferredReply
	if kind == discordgo.InteractionResponseUpdateMessage {
		deferKind, deferred = discordgo.InteractionResponseDeferredMessageUpdate, deferredUpdate
	}
	if err := first(ctx, &discordgo.InteractionResponse{Type: deferKind}); err != nil {
		a.cfg.Log.Error("deferring an interaction", "error", err)
		*progress = answered // nothing more can be sent
		return
	}
	*progress = deferred
	res = <-done
	if res.panicked {
		a.apologiseInteraction(i, first, progress)
		return
	}
	embed, comps := Embed(shown(res.reply))
	embeds := []*discordgo.MessageEmbed{embed}
	edit := &discordgo.WebhookEdit{Embeds: &embeds, Components: &comps, AllowedMentions: noMentions(), Files: imageFor(i, kind, embed, res.reply)}
	err := a.retrying(ctx, "completing a deferred interaction", func() error {
		_, err := a.s.InteractionResponseEdit(i, edit, discordgo.WithContext(ctx))
		return err
	})
	*progress = answered
	if err != nil {
		a.cfg.Log.Error("completing a deferred interaction", "error", err)
	}
}

// imageFor shows the reply's picture in an interaction's answer and
// returns the files to send with it. A page turn edits a message that
// already carries the picture: the embed keeps showing that file rather
// than attaching a second copy beside it.
func imageFor(i *discordgo.Interaction, kind discordgo.InteractionResponseType, e *discordgo.MessageEmbed, r bot.Reply) []*discordgo.File {
	files := withImage(e, r)
	if kind == discordgo.InteractionResponseUpdateMessage && i.Message != nil && slices.ContainsFunc(i.Message.Attachments, func(at *discordgo.MessageAttachment) bool {
		return at != nil && at.Filename == timelineFile
	}) {
		return nil
	}
	return files
}

// shown is the reply an interaction gets. Discord counts an interaction
// left without an answer as failed, and tells the member so, so a reply
// with nothing to say (which an interaction, always addressed to the bot,
// should never get) is shown as done rather than left unsent.
func shown(r bot.Reply) bot.Reply {
	if r.Silent {
		return bot.Reply{Body: "Done."}
	}
	return r
}

// apologiseInteraction answers an interaction whose handling panicked, as
// far as it had not been answered: an autocomplete with no choices (it
// cannot show a sentence), a deferred reply by editing it, a deferred page
// turn with a follow-up only the member sees (an edit would wipe the page
// they pressed), anything else with an ephemeral reply. A page turn
// answered at once becomes such a reply too, for the same reason.
func (a *Adapter) apologiseInteraction(i *discordgo.Interaction, first firstResponse, progress *answerProgress) {
	if *progress == answered {
		return
	}
	ctx := context.Background()
	embed, _ := Embed(bot.Reply{Body: sorry, Color: bot.Bad})
	embeds := []*discordgo.MessageEmbed{embed}
	var err error
	switch {
	case i.Type == discordgo.InteractionApplicationCommandAutocomplete:
		err = first(ctx, &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{}})
	case *progress == deferredReply:
		comps := []discordgo.MessageComponent{}
		edit := &discordgo.WebhookEdit{Embeds: &embeds, Components: &comps, AllowedMentions: noMentions()}
		err = a.retrying(ctx, "apologising for an interaction", func() error {
			_, err := a.s.InteractionResponseEdit(i, edit, discordgo.WithContext(ctx))
			return err
		})
	case *progress == deferredUpdate:
		_, err = a.s.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Embeds: embeds, Flags: discordgo.MessageFlagsEphemeral,
			AllowedMentions: noMentions()}, discordgo.WithContext(ctx))
	default:
		err = first(ctx, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Embeds: embeds, Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()}})
	}
	*progress = answered
	if err != nil {
		a.cfg.Log.Error("apologising for an interaction", "error", err)
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
