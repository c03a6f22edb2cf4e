package discord

import (
	"io"
	"net"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"

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
// it is the escaped text alone. A masked link shows its text and hides its
// address, so a text naming another site ("paypal.com/login" over a link
// to evil.example) would show one address and open another: such a text is
// written unlinked, followed by the link under its own host's name. A text
// that is an address of the link's own host is replaced by that host, so a
// source cannot show a path it does not link either.
func link(text, u string) string {
	su := safeURL(u)
	t := Escape(text)
	if su == "" {
		return t
	}
	host := hostOf(su)
	switch names := namedHosts(text); {
	case namesOtherHost(names, host):
		return t + " · [" + Escape(host) + "](" + su + ")"
	case names.scheme:
		t = Escape(host)
	}
	return "[" + t + "](" + su + ")"
}

// hostNames is what a text names: the hosts of the domain-like words in
// it, and whether it holds a scheme ("https://") as well.
type hostNames struct {
	hosts  []string // folded, lower case, without a leading "www."
	scheme bool
}

// confusables are characters that read as a dot, slash or colon but that
// NFKC leaves alone, or maps to something that is not one: "paypal。com"
// and "https∶∕∕paypal.com" read as addresses, so they are folded before
// looking for one. The middle dots are among them: "paypal·com" reads as
// an address too, and a title that merely joins two words with one loses
// nothing but its link text, which moves after it.
var confusables = strings.NewReplacer(
	"\u3002", ".", "\uFF0E", ".", "\uFF61", ".", "\u2024", ".", "\uFE52", ".", "\u0701", ".", "\u0702", ".",
	"\uA4F8", ".", "\uA60E", ".", "\u00B7", ".", "\u2219", ".", "\u22C5", ".", "\u30FB", ".", "\uFF65", ".",
	"\u2215", "/", "\u2044", "/", "\uFF0F", "/", "\u29F8", "/", "\u2571", "/", "\u1735", "/",
	"\uFF1A", ":", "\u2236", ":", "\u0589", ":", "\u02D0", ":", "\uA789", ":", "\u05C3", ":", "\u0703", ":", "\u0704", ":", "\u16EC", ":",
)

// domainish matches a domain-like word: labels of letters, digits and
// hyphens joined by dots, the last a TLD-like label of 2 to 24 letters.
// Letters are any script's, so "pаypal.com" with a Cyrillic "а" is found
// too. It may be preceded by a scheme.
var domainish = regexp.MustCompile(`(?:[\p{L}\p{N}](?:[\p{L}\p{N}\p{M}-]*[\p{L}\p{N}\p{M}])?\.)+[\p{L}][\p{L}\p{M}]{1,23}`)

// schemeHost matches a scheme and the authority after it, which may be an
// address no domainish word finds ("http://192.0.2.1/").
var schemeHost = regexp.MustCompile(`[a-z][a-z0-9+.-]*://([^/?#\s]*)`)

// namedHosts finds the hosts text names as a reader would see it: without
// invisible characters, NFKC-normalised (so fullwidth "ｗｗｗ" is "www"),
// with look-alike dots, slashes and colons folded.
func namedHosts(text string) hostNames {
	// No embed part or message shows more than maxEmbedDescription
	// characters of a text, and a text is shown from its start: the
	// characters after those (and a margin, for a name cut there) can name
	// nothing a reader sees. Bounding them keeps a 100 KB title cheap.
	if r := []rune(text); len(r) > maxEmbedDescription+256 {
		text = string(r[:maxEmbedDescription+256])
	}
	s := strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, text)
	s = strings.ToLower(confusables.Replace(norm.NFKC.String(s)))
	var n hostNames
	for _, m := range schemeHost.FindAllStringSubmatch(s, -1) {
		n.scheme = true
		h := m[1]
		if i := strings.LastIndexByte(h, '@'); i >= 0 {
			h = h[i+1:]
		}
		if p, err := url.Parse("//" + h); err == nil && p.Hostname() != "" {
			h = p.Hostname()
		}
		n.hosts = append(n.hosts, canonicalHost(h))
	}
	for _, d := range domainish.FindAllString(s, -1) {
		n.hosts = append(n.hosts, canonicalHost(d))
	}
	return n
}

// canonicalHost is a host as namesOtherHost compares it: lower case, in
// its ASCII (punycode) form when it has one, without a trailing dot or a
// leading "www." (which conventionally names the same site as the domain
// after it, unless that is a bare TLD).
func canonicalHost(h string) string {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if a, err := idna.Lookup.ToASCII(h); err == nil {
		h = a
	}
	if rest, ok := strings.CutPrefix(h, "www."); ok && strings.Contains(rest, ".") {
		h = rest
	}
	return h
}

// namesOtherHost reports whether names holds a host other than linkHost
// or one of its parent domains: "reuters.com" over a link to
// www.reuters.com names the link's own site; "amazon.com" does not.
func namesOtherHost(names hostNames, linkHost string) bool {
	own := linkHost
	if h, _, err := net.SplitHostPort(linkHost); err == nil {
		own = h
	}
	own = canonicalHost(norm.NFKC.String(own))
	for _, h := range names.hosts {
		if h != own && !(strings.Contains(h, ".") && strings.HasSuffix(own, "."+h)) {
			return true
		}
	}
	return false
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
	var lead string
	if r.Title != "" {
		e.Title = cut(Escape(summarise.Truncate(r.Title, maxEmbedTitle)), maxEmbedTitle)
		e.URL = safeURL(r.URL)
		// An embed's title with a URL is a masked link too, and the title
		// is the most prominent line: it must not show one site and open
		// another. A title naming another host stays as the source wrote
		// it, unlinked, and the link opens the description under its own
		// host's name, as link writes it in fields. Rewriting the title
		// instead would hide what the source called its story.
		if host := hostOf(e.URL); e.URL != "" && namesOtherHost(namedHosts(r.Title), host) {
			lead = "[" + Escape(host) + "](" + e.URL + ")"
			e.URL = ""
		}
	}
	var desc []string
	if lead != "" {
		desc = append(desc, lead)
	}
	if r.Body != "" {
		desc = append(desc, escapeKeepingChannels(r.Body))
	}
	if len(desc) > 0 {
		e.Description = cut(strings.Join(desc, "\n"), maxEmbedDescription)
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

// timelineFile is the name a reply's picture is attached under; the embed
// shows it by that name.
const timelineFile = "timeline.png"

// maxAltText is the longest description Discord keeps for an attachment.
const maxAltText = 1024

// attachment describes one uploaded file in a message body: Discord reads
// its description as the image's alt text.
type attachment struct {
	ID          int    `json:"id"`
	Filename    string `json:"filename"`
	Description string `json:"description,omitempty"`
}

// withImage shows the reply's picture in the embed, by the name of the
// file it returns to upload with the message; a reply without a picture
// gives no file and leaves the embed as it was.
func withImage(e *discordgo.MessageEmbed, r bot.Reply) []*discordgo.File {
	if len(r.Image) == 0 {
		return nil
	}
	e.Image = &discordgo.MessageEmbedImage{URL: "attachment://" + timelineFile}
	return []*discordgo.File{{Name: timelineFile, ContentType: "image/png", Reader: &rewinding{b: r.Image}}}
}

// rewinding reads b, and once it has been read to the end starts again
// from the beginning, so a request retried after a failure uploads the
// whole file again rather than an empty one.
type rewinding struct {
	b   []byte
	off int
}

func (r *rewinding) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		r.off = 0
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
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
		btn := discordgo.Button{Label: cut(b.Label, maxButtonLabel), Disabled: b.Disabled}
		if b.URL != "" {
			// A link button opens the address; Discord refuses one with
			// an id.
			btn.Style, btn.URL = discordgo.LinkButton, b.URL
		} else {
			btn.Style, btn.CustomID = discordgo.SecondaryButton, b.ID
		}
		row.Components = append(row.Components, btn)
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
		// A third of the message at most, so the timeline's links fit.
		head = append(head, escapeKeepingChannels(summarise.Truncate(r.Body, maxContent/3)))
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
