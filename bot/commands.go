package bot

import (
	"context"
	"strings"
	"time"

	"github.com/disputebot/disputebot/internal/answer"
)

// Kind is what a parameter's value is. A kind is read and checked the same
// way whether its value was typed after the prefix or chosen in a slash
// command's option, so the two can never disagree.
type Kind int

// Parameter kinds.
const (
	// Words is free text; typed, the last positional Words takes the rest
	// of the line.
	Words Kind = iota
	// Word is one word: an address, a number.
	Word
	// Channel is a text channel of this server: typed as a channel
	// mention after the positional values, after its keyword when it has
	// one; a channel picker as a slash option.
	Channel
	// Interval is how often, like 30m or 2h.
	Interval
	// Date is a year, a month or a day: 2024, 2024-06, 2024-06-15.
	Date
)

// Param is one value a command takes.
type Param struct {
	Name         string // the slash option's name and the key handlers read
	Hint         string // how usage shows it: "<url>", "#channel", "30m"
	Description  string // the slash option's description
	Kind         Kind
	Required     bool
	Autocomplete bool // offers party names
	// Keyword comes before the value when typed: "in", "every", "since",
	// "=". A keyword value stands after the positional ones, in any order.
	// Typed, a Date is taken only when the words after "since" read as a
	// date ("since the merger" stays part of the question); an Interval
	// that does not read is refused.
	Keyword string
}

// Command is one command, declared once: the typed parser, the usage and
// help lines and the slash command registered with Discord all come from
// it.
type Command struct {
	Name        string
	Description string // the slash command's, short
	Help        string // the help line's, with an example
	Moderator   bool   // hidden from members without Manage Server, and checked
	Params      []Param
	Subcommands []*Command
	// Aliases are other typed names of a subcommand ("rm" for "remove").
	Aliases []string
	// Default is the subcommand run when none is typed.
	Default string

	// inServer, when set, is the answer to the command used in a DM: it
	// acts on one server's records.
	inServer  string
	expensive bool // subject to the cooldown
	turn      bool // a button's page turn: a cooldown of its own, a third as long
	run       handler
}

// handler is one command's code: typed values in, a reply out.
type handler func(b *Bot, ctx context.Context, r Request, a Args) Reply

// Args are a command's values, read and checked.
type Args struct {
	text map[string]string
	dur  map[string]time.Duration
	date map[string]time.Time
}

// String is a Words, Word or Channel value (a channel's id), or "".
func (a Args) String(name string) string { return a.text[name] }

// Interval is an Interval value, or zero.
func (a Args) Interval(name string) time.Duration { return a.dur[name] }

// Date is a Date value, or the zero time.
func (a Args) Date(name string) time.Time { return a.date[name] }

// commands is the table every entry point shares: prefix commands,
// mentions, slash commands and buttons all run the same handlers.
var commands []*Command

func init() {
	query := func(example string) Param {
		return Param{Name: "query", Hint: "<parties or words>", Description: "parties or words, e.g. " + example, Kind: Words, Required: true, Autocomplete: true}
	}
	since := Param{Name: "since", Hint: "<date>", Description: "only events from this date on: 2024, 2024-06 or 2024-06-15", Kind: Date, Keyword: "since"}
	url := Param{Name: "url", Hint: "<url>", Description: "the address", Kind: Word, Required: true}
	ref := Param{Name: "which", Hint: "<url|number>", Description: "its number or address", Kind: Words, Required: true}
	commands = []*Command{
		{Name: "dispute", Description: "Summary and dated timeline of a tech dispute",
			Help:   "the summary and dated timeline of a dispute, e.g. dispute musk microsoft, or dispute epic apple since 2024",
			Params: []Param{query("musk microsoft"), since}, expensive: true, run: (*Bot).dispute},
		{Name: "disputes", Description: "The disputes I know, most recently active first",
			Help: "the disputes I know, most recently active first", run: (*Bot).disputes},
		{Name: "search", Description: "Search everything I have read",
			Help:   "search everything I have read, e.g. search blood oxygen",
			Params: []Param{{Name: "words", Hint: "<words>", Description: "what to look for", Kind: Words, Required: true}, since}, expensive: true, run: (*Bot).search},
		{Name: "help", Description: "What I can do", Help: "this list", run: (*Bot).help},
		{Name: "subscribe", Description: "Be told when something new arrives",
			Help: "be told (by DM, or in a channel for moderators) when something new arrives",
			Params: []Param{query("epic apple"),
				{Name: "channel", Hint: "#channel", Description: "post in this channel instead of a DM (moderators)", Kind: Channel, Keyword: "in"}},
			inServer: "Subscriptions belong to a server: subscribe from a channel of the server whose sources you want to follow.", run: (*Bot).subscribe},
		{Name: "unsubscribe", Description: "Stop a subscription", Help: "stop a subscription",
			Params:   []Param{{Name: "which", Hint: "<number|words|all>", Description: "its number, its words, or all", Kind: Words, Required: true}},
			inServer: "Subscriptions belong to a server: unsubscribe from a channel of that server.", run: (*Bot).unsubscribe},
		{Name: "subscriptions", Description: "Your subscriptions in this server", Help: "your subscriptions in this server",
			inServer: "Subscriptions belong to a server: ask in a channel of that server.", run: (*Bot).subscriptions},
		{Name: "source", Description: "Manage this server's article sources", Help: "read one article into this server's sources", Moderator: true, Default: "list",
			Subcommands: []*Command{
				{Name: "add", Description: "Read an article into this server's sources", Params: []Param{url}, expensive: true, run: (*Bot).sourceAdd},
				{Name: "remove", Aliases: []string{"rm", "delete"}, Description: "Remove a source", Params: []Param{ref}, run: (*Bot).sourceRemove},
				{Name: "list", Description: "This server's sources and their status", run: (*Bot).sources}}},
		{Name: "sources", Description: "This server's sources and their status", Help: "this server's sources and their status", Moderator: true, run: (*Bot).sources},
		{Name: "feed", Description: "Manage this server's feeds", Help: "follow an RSS/Atom/JSON feed, optionally posting new dispute articles to a channel", Moderator: true, Default: "list",
			Subcommands: []*Command{
				{Name: "add", Description: "Follow an RSS, Atom or JSON feed", expensive: true, run: (*Bot).feedAdd, Params: []Param{url,
					{Name: "channel", Hint: "#channel", Description: "post new dispute articles here", Kind: Channel},
					{Name: "interval", Hint: "30m", Description: "how often to check, e.g. 30m (default 15m)", Kind: Interval, Keyword: "every"}}},
				{Name: "remove", Aliases: []string{"rm", "delete"}, Description: "Stop following a feed", Params: []Param{ref}, run: (*Bot).feedRemove},
				{Name: "list", Description: "This server's feeds: status, next check, last error", run: (*Bot).feeds}}},
		{Name: "feeds", Description: "This server's feeds: status, next check, last error", Help: "this server's feeds: status, next check, last error", Moderator: true, run: (*Bot).feeds},
		{Name: "alias", Description: "Manage this server's names for parties", Help: "teach me another name for a party, in this server", Moderator: true, Default: "list",
			Subcommands: []*Command{
				{Name: "add", Description: "Teach me another name for a party", run: (*Bot).aliasAdd, Params: []Param{
					{Name: "alias", Hint: "<alias>", Description: "the new name", Kind: Words, Required: true},
					// Without "=", the first word is the alias: "alias add
					// chief twit elon musk" cannot be split reliably.
					{Name: "party", Hint: "<party>", Description: "the party it means", Kind: Words, Required: true, Autocomplete: true, Keyword: "="}}},
				{Name: "remove", Aliases: []string{"rm", "delete"}, Description: "Forget a name", run: (*Bot).aliasRemove,
					Params: []Param{{Name: "alias", Hint: "<alias>", Description: "the name", Kind: Words, Required: true}}},
				{Name: "list", Description: "This server's own aliases", run: (*Bot).aliases}}},
		{Name: "aliases", Description: "This server's own aliases", Help: "this server's own aliases", Moderator: true, run: (*Bot).aliases},
		{Name: "why", Description: "Why an article was posted or not", Help: "which source brought an article, and why it was posted or not", Moderator: true,
			Params: []Param{{Name: "url", Hint: "<url>", Description: "the article's address", Kind: Word, Required: true}}, run: (*Bot).why},
	}
}

// Commands is the command table, for the transport to register slash
// commands from. It must not be changed.
func Commands() []*Command { return commands }

func lookup(name string) (*Command, bool) {
	for _, c := range commands {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}

// subcommand finds a subcommand by its name or one of its aliases.
func (c *Command) subcommand(name string) (*Command, bool) {
	if name == "" {
		name = c.Default
	}
	for _, s := range c.Subcommands {
		if s.Name == name {
			return s, true
		}
		for _, a := range s.Aliases {
			if a == name {
				return s, true
			}
		}
	}
	return nil, false
}

// Usage is how the command is typed, after the prefix: "dispute <parties
// or words> [since <date>]", or each subcommand's, joined by " | ".
func (c *Command) Usage() string {
	if len(c.Subcommands) > 0 {
		var subs []string
		for _, s := range c.Subcommands {
			subs = append(subs, c.Name+" "+s.Usage())
		}
		return strings.Join(subs, " | ")
	}
	parts := []string{c.Name}
	for _, p := range c.Params {
		v := p.Hint
		if p.Keyword != "" {
			v = p.Keyword + " " + v
		}
		if !p.Required {
			v = "[" + v + "]"
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, " ")
}

// usage is the reply to a command used wrongly.
func (b *Bot) usage(name string) Reply {
	c, _ := lookup(name)
	return Reply{Body: "Usage: " + b.prefix() + c.Usage(), Color: Warn, Ephemeral: true}
}

// IsCommand reports whether the first word of text is one of the bot's
// commands, so the transport can ignore "!play" meant for another bot.
func IsCommand(text string) bool {
	name, _ := splitCommand(text)
	_, ok := lookup(name)
	return ok
}

// refusal is a reply that ends a command before it runs: a usage line, or
// a value that does not read.
type refusal struct{ reply Reply }

// typed reads a typed command's values: keyword values and channel
// mentions are taken off the end, in any order, then the positional
// values from the start.
func (b *Bot) typed(r Request, c *Command, text string) (Args, *refusal) {
	a := Args{text: map[string]string{}, dur: map[string]time.Duration{}, date: map[string]time.Time{}}
	bad := &refusal{b.usageOf(c)}
	for _, p := range c.Params {
		if p.Keyword == "=" {
			text = strings.ReplaceAll(text, "=", " = ")
		}
	}
	words := strings.Fields(text)
	taken := map[string]bool{}
	for peeled := true; peeled && len(words) > 0; {
		peeled = false
		for _, p := range c.Params {
			if taken[p.Name] {
				continue
			}
			n := len(words)
			last := words[n-1]
			switch {
			case p.Kind == Channel && strings.HasPrefix(last, "<#") && (p.Keyword == "" || n >= 2 && strings.EqualFold(words[n-2], p.Keyword)):
				// With a keyword, only "in <#id>" names the channel: a
				// mention among the words ("subscribe epic apple <#id>")
				// stays words, as it always did.
				id, ok := b.parseChannel(r.GuildID, last)
				if !ok {
					return a, &refusal{notAChannel}
				}
				a.text[p.Name], words = id, words[:n-1]
				if p.Keyword != "" {
					words = words[:len(words)-1]
				}
			case p.Kind == Channel && p.Keyword != "" && n >= 2 && strings.EqualFold(words[n-2], p.Keyword) && strings.HasPrefix(last, "#"):
				// "in #name" that Discord did not turn into a mention names
				// no channel of this server: a subscription to its words
				// would never match.
				return a, bad
			case p.Kind == Interval && n >= 2 && strings.EqualFold(words[n-2], p.Keyword):
				d, err := time.ParseDuration(last)
				if err != nil || d <= 0 {
					return a, &refusal{badInterval}
				}
				a.dur[p.Name], words = d, words[:n-2]
			case p.Kind == Date:
				i := lastFold(words, p.Keyword)
				if i < 0 {
					continue
				}
				t, ok := answer.ParseSince(strings.Join(words[i+1:], " "))
				if !ok {
					continue
				}
				a.date[p.Name], words = t, words[:i]
			case p.Kind == Words && p.Keyword != "":
				i := firstFold(words, p.Keyword)
				if i < 0 {
					continue
				}
				a.text[p.Name], words = strings.Join(words[i+1:], " "), words[:i]
			default:
				continue
			}
			if len(words) == n {
				continue
			}
			taken[p.Name], peeled = true, true
			if len(words) == 0 {
				break
			}
		}
	}
	var positional []Param
	for _, p := range c.Params {
		if !taken[p.Name] && (p.Kind == Words || p.Kind == Word) {
			positional = append(positional, p)
		}
	}
	for i, p := range positional {
		if len(words) == 0 {
			break
		}
		if p.Kind == Words && i == len(positional)-1 {
			a.text[p.Name], words = strings.Join(words, " "), nil
			break
		}
		a.text[p.Name], words = words[0], words[1:]
	}
	if len(words) > 0 && len(c.Params) > 0 {
		return a, bad
	}
	return a, b.required(c, a)
}

// slash reads a slash command's options: each is already its own value,
// so only its kind is checked.
func (b *Bot) slash(r Request, c *Command, values map[string]string) (Args, *refusal) {
	a := Args{text: map[string]string{}, dur: map[string]time.Duration{}, date: map[string]time.Time{}}
	for _, p := range c.Params {
		v := strings.TrimSpace(values[p.Name])
		if v == "" {
			continue
		}
		switch p.Kind {
		case Channel:
			id, ok := b.parseChannel(r.GuildID, v)
			if !ok {
				return a, &refusal{notAChannel}
			}
			a.text[p.Name] = id
		case Interval:
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return a, &refusal{badInterval}
			}
			a.dur[p.Name] = d
		case Date:
			t, ok := answer.ParseSince(v)
			if !ok {
				return a, &refusal{Reply{Body: "I could not read that date; write it like 2024, 2024-06 or 2024-06-15.", Color: Warn, Ephemeral: true}}
			}
			a.date[p.Name] = t
		case Word:
			if strings.ContainsAny(v, " \t\n") {
				return a, &refusal{b.usageOf(c)}
			}
			a.text[p.Name] = v
		default:
			a.text[p.Name] = v
		}
	}
	return a, b.required(c, a)
}

// required refuses a command missing one of its required values.
func (b *Bot) required(c *Command, a Args) *refusal {
	for _, p := range c.Params {
		if p.Required && a.text[p.Name] == "" {
			return &refusal{b.usageOf(c)}
		}
	}
	return nil
}

// usageOf is the usage reply for a command or a subcommand: the whole
// command's usage, every subcommand included.
func (b *Bot) usageOf(c *Command) Reply {
	for _, top := range commands {
		if top == c {
			return b.usage(c.Name)
		}
		for _, s := range top.Subcommands {
			if s == c {
				return b.usage(top.Name)
			}
		}
	}
	return Reply{Body: "Usage: " + b.prefix() + c.Usage(), Color: Warn, Ephemeral: true}
}

var (
	notAChannel = Reply{Body: "I can only post in a text channel of this server.", Color: Warn, Ephemeral: true}
	badInterval = Reply{Body: "I could not read that interval; write it like 30m or 2h.", Color: Warn, Ephemeral: true}
)

func lastFold(words []string, w string) int {
	for i := len(words) - 1; i >= 0; i-- {
		if strings.EqualFold(words[i], w) {
			return i
		}
	}
	return -1
}

func firstFold(words []string, w string) int {
	for i, x := range words {
		if strings.EqualFold(x, w) {
			return i
		}
	}
	return -1
}
