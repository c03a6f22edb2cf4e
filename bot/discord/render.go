package discord

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/disputebot/disputebot/bot"
	"github.com/disputebot/disputebot/internal/summarise"
)

// Discord's message limits.
const (
	maxEmbedTitle       = 256
	maxEmbedDescription = 4096
	maxFieldName        = 256
	maxFieldValue       = 1024
	maxFields           = 25
	maxFooter           = 2048
	maxEmbedTotal       = 6000
	maxButtonLabel      = 80
	maxContent          = 2000
)

var colors = map[bot.Color]int{bot.Neutral: 0x5865F2, bot.Good: 0x57F287, bot.Warn: 0xFEE75C, bot.Bad: 0xED4245}

// noMentions is sent with every message: nothing the bot relays can ping
// anyone, not even the member it replies to.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// invisible are characters that change how text displays without being
// seen: bidirectional overrides (which can make a link text read backwards)
// and zero-width joiners and spaces (which can hide words).
func invisible(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
		return true
	case r >= 0x200B && r <= 0x200D, r == 0x2060, r == 0xFEFF, r == 0x00AD:
		return true
	}
	return unicode.Is(unicode.Cc, r) && r != '\n'
}

// mentionish matches what Discord would read as a mention or a broadcast.
var mentionish = regexp.MustCompile(`@(everyone|here)|<@[!&]?\d+>|<@`)

// markdownChars are the characters Discord markdown gives meaning to.
var markdownChars = "\\*_~`|>#-[]()<:"

// Escape makes text display literally: invisible characters removed,
// markdown characters escaped, mentions broken with a zero-width space so
// they neither ping nor render. It is applied to every string of a Reply.
func Escape(s string) string {
	s = strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, s)
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(markdownChars, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	out := b.String()
	// After escaping, "@everyone" still reads as a broadcast and "<@123>"
	// as "\<@123\>"; a zero-width space after the @ makes both inert.
	out = strings.ReplaceAll(out, "@", "@\u200b")
	return out
}

// channelMention matches the channel mentions the bot itself writes in
// replies ("<#123>"); they link a channel and never ping.
var channelMention = regexp.MustCompile(`<#(\d{1,20})>`)

// escapeKeepingChannels escapes s but keeps "<#id>" channel links.
func escapeKeepingChannels(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range channelMention.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(Escape(s[last:m[0]]))
		b.WriteString("<#" + s[m[2]:m[3]] + ">")
		last = m[1]
	}
	b.WriteString(Escape(s[last:]))
	return b.String()
}

// safeURL returns u if it is an absolute http(s) address, encoded so that
// it cannot close a markdown link early; otherwise "".
func safeURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.User != nil {
		return ""
	}
	s := p.String()
	s = strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E", "\"", "%22", "`", "%60").Replace(s)
	if len(s) > 512 {
		return ""
	}
	return s
}

// link writes a masked link whose text is escaped; with no usable address
// it is the escaped text alone. A link text that is itself an address is
// replaced, so a source cannot show one address and link another.
func link(text, u string) string {
	su := safeURL(u)
	t := Escape(text)
	if su == "" {
		return t
	}
	if looksLikeURL(text) {
		t = Escape(hostOf(su))
	}
	return "[" + t + "](" + su + ")"
}

func looksLikeURL(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Contains(s, "://") || strings.HasPrefix(s, "www.")
}

func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Host
}

// cut shortens escaped text to n characters without leaving a dangling
// escape or splitting a character.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	for len(r) > 0 && r[len(r)-1] == '\\' {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// Embed renders a Reply as an embed and its buttons, within every Discord
// limit: each text escaped, each field cut, fields dropped from the end
// until the whole fits in 6000 characters.
func Embed(r bot.Reply) (*discordgo.MessageEmbed, []discordgo.MessageComponent) {
	e := &discordgo.MessageEmbed{Color: colors[r.Color]}
	if r.Title != "" {
		e.Title = cut(Escape(summarise.Truncate(r.Title, maxEmbedTitle)), maxEmbedTitle)
		e.URL = safeURL(r.URL)
	}
	if r.Body != "" {
		e.Description = cut(escapeKeepingChannels(r.Body), maxEmbedDescription)
	}
	for i, it := range r.Items {
		if i == maxFields {
			break
		}
		e.Fields = append(e.Fields, field(it))
	}
	if r.Footer != "" {
		e.Footer = &discordgo.MessageEmbedFooter{Text: cut(strings.Map(func(r rune) rune {
			if invisible(r) {
				return -1
			}
			return r
		}, r.Footer), maxFooter)}
	}
	for embedSize(e) > maxEmbedTotal && len(e.Fields) > 0 {
		e.Fields = e.Fields[:len(e.Fields)-1]
	}
	if embedSize(e) > maxEmbedTotal {
		e.Description = cut(e.Description, max(0, maxEmbedDescription-(embedSize(e)-maxEmbedTotal)))
	}
	return e, buttons(r.Buttons)
}

// field renders one item: the label (or title) as the name; the linked
// title, the text and the other sources as the value.
func field(it bot.Item) *discordgo.MessageEmbedField {
	name := it.Label
	var value []string
	if name == "" {
		name = it.Title
		if it.URL != "" {
			value = append(value, link(it.Title, it.URL))
		}
	} else if it.Title != "" {
		value = append(value, "**"+link(it.Title, it.URL)+"**")
	}
	if it.Text != "" {
		value = append(value, escapeKeepingChannels(it.Text))
	}
	if len(it.Extras) > 0 {
		var ls []string
		for _, x := range it.Extras {
			ls = append(ls, link(x.Label, x.URL))
		}
		value = append(value, "also: "+strings.Join(ls, " · "))
	}
	v := strings.Join(value, "\n")
	if v == "" {
		v = "\u200b" // a field needs a value
	}
	return &discordgo.MessageEmbedField{Name: cut(Escape(name), maxFieldName), Value: cutValue(v, maxFieldValue)}
}

// cutValue shortens a field value; a value cut inside a link would show
// raw markdown, so it is cut before the last line that does not fit.
func cutValue(v string, n int) string {
	if utf8.RuneCountInString(v) <= n {
		return v
	}
	lines := strings.Split(v, "\n")
	for len(lines) > 1 && utf8.RuneCountInString(strings.Join(lines, "\n")) > n {
		lines = lines[:len(lines)-1]
	}
	return cut(strings.Join(lines, "\n"), n)
}

func embedSize(e *discordgo.MessageEmbed) int {
	n := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
	for _, f := range e.Fields {
		n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
	}
	if e.Footer != nil {
		n += utf8.RuneCountInString(e.Footer.Text)
	}
	return n
}

func buttons(bs []bot.Button) []discordgo.MessageComponent {
	if len(bs) == 0 {
		return nil
	}
	var row discordgo.ActionsRow
	for i, b := range bs {
		if i == 5 {
			break
		}
		row.Components = append(row.Components, discordgo.Button{
			Label:    cut(b.Label, maxButtonLabel),
			CustomID: b.ID,
			Disabled: b.Disabled,
			Style:    discordgo.SecondaryButton,
		})
	}
	return []discordgo.MessageComponent{row}
}

// noEmbedLinks opens a reply posted as plain text: the channel took the
// bot's Embed Links permission, and the moderators should know why the
// answer looks bare.
const noEmbedLinks = "(I need the Embed Links permission in this channel to show this properly.)"

// PlainText renders a Reply as message content, for a channel where the bot
// may post but not embed: the same escaping and links as Embed, within
// 2000 characters. Items lose their text before any item is dropped, so a
// timeline keeps every entry's date, outlet and link.
func PlainText(r bot.Reply) string {
	var head []string
	head = append(head, noEmbedLinks)
	if r.Title != "" {
		head = append(head, "**"+link(summarise.Truncate(r.Title, maxEmbedTitle), r.URL)+"**")
	}
	if r.Body != "" {
		head = append(head, escapeKeepingChannels(r.Body))
	}
	footer := ""
	if r.Footer != "" {
		footer = "\n-# " + Escape(r.Footer)
	}
	render := func(items []bot.Item, sep string) string {
		parts := append([]string(nil), head...)
		for _, it := range items {
			f := field(it)
			parts = append(parts, "**"+f.Name+"**"+sep+f.Value)
		}
		return strings.Join(parts, "\n\n") + footer
	}
	if s := render(r.Items, "\n"); utf8.RuneCountInString(s) <= maxContent {
		return s
	}
	brief := make([]bot.Item, len(r.Items))
	for i, it := range r.Items {
		brief[i] = bot.Item{Title: it.Title, URL: it.URL, Label: it.Label}
	}
	for ; len(brief) > 0; brief = brief[:len(brief)-1] {
		if s := render(brief, " "); utf8.RuneCountInString(s) <= maxContent {
			return s
		}
	}
	return cut(render(nil, ""), maxContent)
}
