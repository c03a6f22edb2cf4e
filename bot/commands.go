package bot

import (
	"strings"
)

// OptionType is the kind of value a slash command option takes.
type OptionType int

// Option types.
const (
	OptString OptionType = iota
	OptChannel
)

// Option is one option of a slash command, in the order its value is
// appended to the command text.
type Option struct {
	Name         string
	Description  string
	Type         OptionType
	Required     bool
	Autocomplete bool   // parties, for the dispute query
	Prefix       string // written before the value in the command text ("in", "every")
}

// Spec describes a slash command (or a subcommand) so the transport can
// register it and turn its options back into command text.
type Spec struct {
	Name        string
	Description string
	Moderator   bool // hidden from members without Manage Server
	Options     []Option
	Subcommands []Spec
}

// commands is the table every entry point shares: prefix commands,
// mentions and slash commands all run the same handler.
var commands []*command

func init() {
	commands = []*command{
		{name: "dispute", usage: "dispute <parties or words> [since <date>]", help: "the summary and dated timeline of a dispute, e.g. dispute musk microsoft, or dispute epic apple since 2024", expensive: true, run: (*Bot).dispute},
		{name: "disputes", usage: "disputes", help: "the disputes I know, most recently active first", run: (*Bot).disputes},
		{name: "search", usage: "search <words> [since <date>]", help: "search everything I have read, e.g. search blood oxygen", expensive: true, run: (*Bot).search},
		{name: "help", usage: "help", help: "this list", run: (*Bot).help},
		{name: "subscribe", usage: "subscribe <parties or words> [in #channel]", help: "be told (by DM, or in a channel for moderators) when something new arrives", run: (*Bot).subscribe},
		{name: "unsubscribe", usage: "unsubscribe <number|words|all>", help: "stop a subscription", run: (*Bot).unsubscribe},
		{name: "subscriptions", usage: "subscriptions", help: "your subscriptions in this server", run: (*Bot).subscriptions},
		{name: "source", usage: "source add <url> | source remove <url|number> | source list", help: "read one article into this server's sources", moderator: true, expensive: true, run: (*Bot).source},
		{name: "sources", usage: "sources", help: "this server's sources and their status", moderator: true, run: (*Bot).sources},
		{name: "feed", usage: "feed add <url> [#channel] [every 30m] | feed remove <url|number> | feed list", help: "follow an RSS/Atom/JSON feed, optionally posting new dispute articles to a channel", moderator: true, expensive: true, run: (*Bot).feed},
		{name: "feeds", usage: "feeds", help: "this server's feeds: status, next check, last error", moderator: true, run: (*Bot).feeds},
		{name: "alias", usage: "alias add <alias> = <party> | alias remove <alias> | alias list", help: "teach me another name for a party, in this server", moderator: true, run: (*Bot).alias},
		{name: "aliases", usage: "aliases", help: "this server's own aliases", moderator: true, run: (*Bot).aliases},
		{name: "why", usage: "why <url>", help: "which source brought an article, and why it was posted or not", moderator: true, run: (*Bot).why},
	}
}

func lookup(name string) (*command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return nil, false
}

// usage is the reply to a command used wrongly.
func (b *Bot) usage(name string) Reply {
	c, _ := lookup(name)
	return Reply{Body: "Usage: " + b.prefix() + c.usage, Color: Warn, Ephemeral: true}
}

// IsCommand reports whether the first word of text is one of the bot's
// commands, so the transport can ignore "!play" meant for another bot.
func IsCommand(text string) bool {
	name, _ := splitCommand(text)
	_, ok := lookup(name)
	return ok
}

// Specs are the slash commands to register.
func Specs() []Spec {
	url := Option{Name: "url", Description: "the address", Type: OptString, Required: true}
	since := Option{Name: "since", Description: "only events from this date on: 2024, 2024-06 or 2024-06-15", Type: OptString, Prefix: "since"}
	ref := Option{Name: "which", Description: "its number or address", Type: OptString, Required: true}
	return []Spec{
		{Name: "dispute", Description: "Summary and dated timeline of a tech dispute", Options: []Option{
			{Name: "query", Description: "parties or words, e.g. musk microsoft", Type: OptString, Required: true, Autocomplete: true}, since}},
		{Name: "disputes", Description: "The disputes I know, most recently active first"},
		{Name: "search", Description: "Search everything I have read", Options: []Option{
			{Name: "words", Description: "what to look for", Type: OptString, Required: true}, since}},
		{Name: "help", Description: "What I can do"},
		{Name: "subscribe", Description: "Be told when something new arrives", Options: []Option{
			{Name: "query", Description: "parties or words, e.g. epic apple", Type: OptString, Required: true, Autocomplete: true},
			{Name: "channel", Description: "post in this channel instead of a DM (moderators)", Type: OptChannel, Prefix: "in"}}},
		{Name: "unsubscribe", Description: "Stop a subscription", Options: []Option{
			{Name: "which", Description: "its number, its words, or all", Type: OptString, Required: true}}},
		{Name: "subscriptions", Description: "Your subscriptions in this server"},
		{Name: "source", Description: "Manage this server's article sources", Moderator: true, Subcommands: []Spec{
			{Name: "add", Description: "Read an article into this server's sources", Options: []Option{url}},
			{Name: "remove", Description: "Remove a source", Options: []Option{ref}},
			{Name: "list", Description: "This server's sources and their status"}}},
		{Name: "feed", Description: "Manage this server's feeds", Moderator: true, Subcommands: []Spec{
			{Name: "add", Description: "Follow an RSS, Atom or JSON feed", Options: []Option{url,
				{Name: "channel", Description: "post new dispute articles here", Type: OptChannel},
				{Name: "interval", Description: "how often to check, e.g. 30m (default 15m)", Type: OptString, Prefix: "every"}}},
			{Name: "remove", Description: "Stop following a feed", Options: []Option{ref}},
			{Name: "list", Description: "This server's feeds: status, next check, last error"}}},
		{Name: "alias", Description: "Manage this server's names for parties", Moderator: true, Subcommands: []Spec{
			{Name: "add", Description: "Teach me another name for a party", Options: []Option{
				{Name: "alias", Description: "the new name", Type: OptString, Required: true},
				{Name: "party", Description: "the party it means", Type: OptString, Required: true, Autocomplete: true, Prefix: "="}}},
			{Name: "remove", Description: "Forget a name", Options: []Option{{Name: "alias", Description: "the name", Type: OptString, Required: true}}},
			{Name: "list", Description: "This server's own aliases"}}},
		{Name: "why", Description: "Why an article was posted or not", Moderator: true, Options: []Option{
			{Name: "url", Description: "the article's address", Type: OptString, Required: true}}},
	}
}

// SlashText turns a slash command back into command text: the command,
// the subcommand, then each option's value in the spec's order, with its
// prefix. Channel options come as ids and are written as mentions.
func SlashText(name, sub string, values map[string]string) string {
	parts := []string{name}
	var opts []Option
	for _, s := range Specs() {
		if s.Name != name {
			continue
		}
		opts = s.Options
		if sub != "" {
			parts = append(parts, sub)
			for _, ss := range s.Subcommands {
				if ss.Name == sub {
					opts = ss.Options
				}
			}
		}
	}
	for _, o := range opts {
		v := strings.TrimSpace(values[o.Name])
		if v == "" {
			continue
		}
		if o.Type == OptChannel {
			v = "<#" + v + ">"
		}
		if o.Prefix != "" {
			parts = append(parts, o.Prefix)
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, " ")
}
