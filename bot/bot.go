// Package bot is disputebot's command layer: a plain Request in (who asked,
// where, with what words), a plain Reply out (text, items, buttons). It
// knows nothing of Discord's wire types, so every command is tested like an
// http.Handler; bot/discord turns gateway events into Requests and Replies
// into messages.
package bot

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/gazetteer"
	"github.com/disputebot/disputebot/internal/picture"
	"github.com/disputebot/disputebot/internal/service"
	"github.com/disputebot/disputebot/internal/weblink"
)

// MaxInput is the longest command text accepted: enough for any question,
// too short to be an attack surface.
const MaxInput = 400

// Request is one command.
type Request struct {
	GuildID     string // "" in a DM
	ChannelID   string
	UserID      string
	IsModerator bool   // Manage Server, Administrator, or a role in MOD_ROLE_IDS
	Text        string // "dispute musk microsoft": the command and its words, without prefix or mention
	// Slash is a slash command's name, subcommand and options (a
	// channel's by its id); Text is then unused.
	Slash *Slash
	// Addressed is true when the member spoke to the bot directly (a
	// mention, a slash command, a DM): an unknown command then gets an
	// answer rather than silence.
	Addressed bool
}

// Slash is a slash command as chosen: each option is its own value.
type Slash struct {
	Name, Sub string
	Options   map[string]string
}

// Color hints at a reply's tone.
type Color int

// Reply tones.
const (
	Neutral Color = iota
	Good
	Warn
	Bad
)

// Reply is what the bot answers. Every string is plain text: the transport
// escapes it and adds its own formatting, so nothing a source wrote can
// become markup, a link or a mention.
type Reply struct {
	Title     string
	URL       string // the title's link, http(s) only
	Body      string
	Items     []Item
	Footer    string
	Buttons   []Button
	Color     Color
	Ephemeral bool // only the asker sees it (slash commands)
	Silent    bool // nothing to send: not a command for this bot
	// Image is a PNG shown in the reply (a dispute's timeline picture),
	// nil for none; ImageAlt says in one sentence what it shows, for
	// those who cannot see it. The text says everything without it.
	Image    []byte
	ImageAlt string
}

// Item is one entry of a list: a timeline entry, a source, a dispute.
type Item struct {
	Title  string
	URL    string
	Label  string // shown before the title: "[3] 2023-04-20 · Benzinga"
	Text   string
	Extras []Link // further sources of the same story
}

// Link is a labelled address.
type Link struct{ Label, URL string }

// Button is a component the member can press; ID comes back in Press.
// A button with a URL opens that address instead and has no ID.
type Button struct {
	Label    string
	ID       string
	URL      string
	Disabled bool
}

// Directory answers what the transport knows about a guild.
type Directory interface {
	// ChannelInGuild reports whether channel is a text channel of guild.
	ChannelInGuild(guild, channel string) bool
}

// Metrics records commands served; nil records nothing.
type Metrics interface {
	Command(name string, took time.Duration, outcome string)
}

// Store is what the handlers read and write directly: a guild's aliases
// and the records "why" explains. Sources and subscriptions go through
// their services.
type Store interface {
	AddAlias(ctx context.Context, guild, key, alias, party, by string) error
	RemoveAlias(ctx context.Context, guild, key string) error
	Aliases(ctx context.Context, guild string) (map[string]string, error)
	TraceURL(ctx context.Context, guild, addr string) (*domain.Trace, error)
	Sources(ctx context.Context, guild string, kind domain.SourceKind) ([]*domain.Source, error)
}

// Bot handles commands.
type Bot struct {
	Engine        *answer.Engine
	Gazetteer     *gazetteer.Gazetteer
	Store         Store
	Sources       *service.Sources
	Subscriptions *service.Subscriptions
	Directory     Directory
	Metrics       Metrics
	Log           *slog.Logger
	// Pictures draws and keeps the timeline pictures of dispute answers;
	// nil answers without pictures.
	Pictures *picture.Cache
	// Links makes the addresses of the web pages for the "Full timeline"
	// button; nil answers without it.
	Links *weblink.Links
	Now   func() time.Time

	Prefix   string
	Timeout  time.Duration // per command
	Cooldown time.Duration // per member, on expensive commands

	mu       sync.Mutex
	lastUsed map[string]time.Time // guild/user -> last expensive command
}

func (b *Bot) now() time.Time {
	if b.Now != nil {
		return b.Now().UTC()
	}
	return time.Now().UTC()
}

// Handle runs one command and returns what to answer. It never returns a
// Go error string: failures become plain sentences, and internal errors are
// logged and answered with an apology.
func (b *Bot) Handle(ctx context.Context, r Request) Reply {
	in := input{text: r.Text}
	name := ""
	if r.Slash != nil {
		name, in = strings.ToLower(r.Slash.Name), input{sub: r.Slash.Sub, options: r.Slash.Options, slash: true}
	} else {
		name, in.text = splitCommand(r.Text)
	}
	cmd, ok := lookup(name)
	if !ok {
		if r.Addressed {
			return Reply{Body: "I don't know that command. Try " + b.prefix() + "help for the list.", Color: Warn, Ephemeral: true}
		}
		return Reply{Silent: true}
	}
	return b.serve(ctx, cmd, r, in)
}

// input is a command's values as they came: typed text, or a slash
// command's subcommand and options.
type input struct {
	slash   bool
	text    string
	sub     string
	options map[string]string
}

// size is how many characters the input holds, for the input cap.
func (in input) size() int {
	n := utf8.RuneCountInString(in.text)
	for _, v := range in.options {
		n += utf8.RuneCountInString(v)
	}
	return n
}

// serve runs a command, typed, chosen or pressed, under the same guards:
// the input cap, the moderator check, the cooldown, the time limit, and
// the metrics.
func (b *Bot) serve(ctx context.Context, cmd *Command, r Request, in input) Reply {
	start := b.now()
	reply, outcome := b.run(ctx, cmd, r, in)
	if b.Metrics != nil {
		b.Metrics.Command(cmd.Name, time.Since(start), outcome)
	}
	return reply
}

func (b *Bot) run(ctx context.Context, cmd *Command, r Request, in input) (Reply, string) {
	if in.size() > MaxInput {
		return Reply{Body: "That is too long for me: please keep it under " + strconv.Itoa(MaxInput) + " characters.", Color: Warn, Ephemeral: true}, "refused"
	}
	if cmd.Moderator {
		if r.GuildID == "" {
			return Reply{Body: "That command manages a server, so it works in a server channel, not in DMs.", Color: Warn, Ephemeral: true}, "refused"
		}
		if !r.IsModerator {
			return Reply{Body: "Sorry, only moderators (members with Manage Server) can use " + b.prefix() + cmd.Name + ". Nothing was changed.", Color: Warn, Ephemeral: true}, "refused"
		}
	}
	if cmd.inServer != "" && r.GuildID == "" {
		return Reply{Body: cmd.inServer, Color: Warn, Ephemeral: true}, "refused"
	}
	// A command used wrongly is answered before its cooldown starts: a
	// typo costs no wait.
	leaf, args, refused := b.parse(r, cmd, in)
	if refused != nil {
		return refused.reply, "refused"
	}
	if leaf.expensive {
		if wait := b.cooldown(r, leaf.turn); wait > 0 {
			return Reply{Body: "Please wait " + seconds(wait) + " before asking again.", Color: Warn, Ephemeral: true}, "cooldown"
		}
	}
	timeout := b.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	reply := leaf.run(b, ctx, r, args)
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return Reply{Body: "That took too long, so I stopped. Please try again in a moment.", Color: Bad, Ephemeral: true}, "timeout"
	}
	outcome := "ok"
	if reply.Color == Bad || reply.Color == Warn {
		outcome = "refused"
	}
	return reply, outcome
}

// parse finds the subcommand, if the command has them, and reads its
// values.
func (b *Bot) parse(r Request, cmd *Command, in input) (*Command, Args, *refusal) {
	leaf := cmd
	if len(cmd.Subcommands) > 0 {
		sub := in.sub
		if !in.slash {
			sub, in.text = splitCommand(in.text)
		}
		s, ok := cmd.subcommand(sub)
		if !ok {
			return nil, Args{}, &refusal{b.usage(cmd.Name)}
		}
		leaf = s
	}
	if in.slash {
		a, bad := b.slash(r, leaf, in.options)
		return leaf, a, bad
	}
	a, bad := b.typed(r, leaf, in.text)
	return leaf, a, bad
}

// cooldown returns how long the member must still wait, and otherwise
// starts their next cooldown. Turning a timeline's pages has a cooldown of
// its own, a third as long: a member reading through a timeline presses
// quickly, yet each turn asks the index again.
func (b *Bot) cooldown(r Request, turn bool) time.Duration {
	cool := b.Cooldown
	key := r.GuildID + "/" + r.UserID
	if turn {
		cool /= 3
		key += "/turn"
	}
	if cool <= 0 {
		return 0
	}
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lastUsed == nil {
		b.lastUsed = map[string]time.Time{}
	}
	if last, ok := b.lastUsed[key]; ok && now.Sub(last) < cool {
		return cool - now.Sub(last)
	}
	b.lastUsed[key] = now
	if len(b.lastUsed) > 10000 {
		// Forget old entries so the map cannot grow without bound.
		for k, t := range b.lastUsed {
			if now.Sub(t) > b.Cooldown {
				delete(b.lastUsed, k)
			}
		}
	}
	return 0
}

// internalError logs err and answers with an apology that gives nothing
// away.
func (b *Bot) internalError(what string, err error) Reply {
	b.Log.Error(what, "error", err)
	return Reply{Body: "Something went wrong on my side; please try again later.", Color: Bad, Ephemeral: true}
}

func (b *Bot) prefix() string {
	if b.Prefix == "" {
		return "!"
	}
	return b.Prefix
}

// splitCommand separates the command word from its arguments.
func splitCommand(text string) (name, args string) {
	text = strings.TrimSpace(text)
	name, args, _ = strings.Cut(text, " ")
	if i := strings.IndexAny(name, "\n\t"); i >= 0 {
		name, args = name[:i], name[i+1:]+" "+args
	}
	return strings.ToLower(name), strings.TrimSpace(args)
}

func seconds(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	if s == 1 {
		return "1 second"
	}
	return strconv.Itoa(s) + " seconds"
}
