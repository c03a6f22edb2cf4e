package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/english"
	"github.com/disputebot/disputebot/internal/picture"
	"github.com/disputebot/disputebot/internal/summarise"
)

// PageSize is how many timeline entries one message shows: five entries
// with their summaries stay well inside an embed's 6000 characters.
const PageSize = 5

// Limits of what one entry may take in a message; Discord allows 1024 per
// field value and 256 per field name.
const (
	maxEntrySummary = 300
	maxTitle        = 200
	maxBody         = 3000
)

// Button ids carry what the press needs: "pg:<page>:<query>" turns the
// timeline page, "sub:<query>" subscribes the presser. Discord caps ids at
// 100 characters.
const (
	pagePrefix = "pg:"
	subPrefix  = "sub:"
	maxID      = 100
)

func (b *Bot) dispute(ctx context.Context, r Request, a Args) Reply {
	return b.answerPage(ctx, r, answer.Request{Query: a.String("query"), Since: a.Date("since")}, 0)
}

func (b *Bot) search(ctx context.Context, r Request, a Args) Reply {
	return b.answerPage(ctx, r, answer.Request{Query: a.String("words"), Since: a.Date("since"), TextOnly: true}, 0)
}

// answerPage asks the engine and renders one page of the timeline, newest
// page first (page 0).
func (b *Bot) answerPage(ctx context.Context, r Request, q answer.Request, page int) Reply {
	q.Guild = r.GuildID
	a, err := b.Engine.Ask(ctx, q)
	if errors.Is(err, answer.ErrEmptyQuery) {
		return Reply{Body: "Those words name nothing to look for. Try party names, e.g. " + b.prefix() + "dispute musk microsoft.", Color: Warn, Ephemeral: true}
	}
	if err != nil {
		if ctx.Err() != nil {
			return Reply{}
		}
		return b.internalError("answering", err)
	}
	if a.Mode == answer.ModeNone {
		return b.nothingFound(a)
	}
	rep := b.renderAnswer(a, page, q.TextOnly)
	if u := b.fullTimeline(a, r.GuildID, q.TextOnly); u != "" {
		rep.Buttons = append(rep.Buttons, Button{Label: "Full timeline", URL: u})
	}
	return rep
}

// maxURL is the longest address Discord takes in a link button.
const maxURL = 512

// fullTimeline is the web page with the whole of an answer: the dispute's
// own page when it is about one, else the page answering the same
// question. In a server the link is signed for it, so the page shows the
// server's own sources as the answer did. It is "" without web pages, or
// when the address would be too long for a button (the answer is whole
// without it).
func (b *Bot) fullTimeline(a *answer.Answer, guild string, textOnly bool) string {
	if b.Links == nil {
		return ""
	}
	var u string
	switch {
	case len(a.Disputes) == 1 && !textOnly:
		u = b.Links.Dispute(a.Disputes[0].ID, guild, b.now())
	case textOnly:
		u = b.Links.Search(strings.Join(a.Words, " ")+a.SinceText(), true, guild, b.now())
	default:
		u = b.Links.Search(a.Key()+a.SinceText(), false, guild, b.now())
	}
	if len(u) > maxURL {
		return ""
	}
	return u
}

func (b *Bot) nothingFound(a *answer.Answer) Reply {
	body := a.Nothing()
	var items []Item
	for _, s := range a.Suggestions {
		items = append(items, Item{Title: s.Label, Text: "Try: " + b.prefix() + "dispute " + s.Query})
	}
	if len(items) > 0 {
		body += " Perhaps one of these:"
	}
	return Reply{Body: body, Items: items, Color: Warn}
}

func (b *Bot) renderAnswer(a *answer.Answer, page int, textOnly bool) Reply {
	var rep Reply
	rep.Title = summarise.Truncate(a.Heading(), maxTitle)
	var body []string
	for typed, name := range a.Corrections {
		body = append(body, fmt.Sprintf("(read %q as %s)", typed, name))
	}
	sort.Strings(body)
	if a.WordsDropped {
		body = append(body, fmt.Sprintf("(nothing matched %q, so this covers the parties' dispute as a whole)", strings.Join(a.Words, " ")))
	}
	if a.OnlyMentions {
		body = append(body, "(I know of no dispute between them; these reports of other disputes mention them)")
	}
	switch {
	case len(a.Disputes) == 1:
		// One dispute: what it is about and where it stands, before the
		// summary of how it unfolded.
		d := a.Disputes[0]
		body = append(body, d.Title+"\n"+d.Background, "Where it stands: "+standing(d))
	case len(a.Disputes) > 1:
		var ds []string
		for i, d := range a.Disputes {
			if i == 4 {
				ds = append(ds, fmt.Sprintf("…and %d more (%sdispute %s)", len(a.Disputes)-4, b.prefix(), strings.ToLower(strings.Join(a.Parties, " "))))
				break
			}
			ds = append(ds, fmt.Sprintf("• %s — %s", d.Title, d.Standing()))
		}
		body = append(body, strings.Join(ds, "\n"))
	}
	if s := a.SummaryText(); s != "" {
		body = append(body, s)
	}
	rep.Body = summarise.Truncate(strings.Join(body, "\n\n"), maxBody)

	// Page 0 shows the key entries: those the summary cites (so every [n]
	// in it can be read and followed), topped up with the newest. Pages 1
	// and on walk the whole timeline, newest first. Entries keep their
	// numbers, oldest first, as the summary cites them.
	pages := (len(a.Entries) + PageSize - 1) / PageSize
	page = max(0, min(page, pages))
	var shown []answer.Entry
	if page == 0 {
		shown = keyEntries(a)
	} else {
		end := len(a.Entries) - (page-1)*PageSize
		for i := end - 1; i >= max(0, end-PageSize); i-- {
			shown = append(shown, a.Entries[i])
		}
	}
	for _, e := range shown {
		rep.Items = append(rep.Items, entryItem(e))
	}
	sources := 0
	for _, e := range a.Entries {
		sources += len(e.Sources)
	}
	if page == 0 {
		rep.Footer = fmt.Sprintf("key entries of %s from %s", english.Plural(len(a.Entries), "entry", "entries"), english.Plural(sources, "source", "sources"))
		if len(shown) < len(a.Entries) {
			rep.Footer += " · the timeline button shows them all"
		}
	} else {
		rep.Footer = fmt.Sprintf("timeline page %d of %d, newest first · %s from %s", page, pages, english.Plural(len(a.Entries), "entry", "entries"), english.Plural(sources, "source", "sources"))
	}
	if a.Total > sources {
		rep.Footer += fmt.Sprintf(" · at least %d articles matched, the newest %d used", a.Total, sources)
	}
	key := canonicalQuery(a, textOnly) + a.SinceText()
	switch {
	case page == 0 && len(shown) < len(a.Entries):
		rep.Buttons = append(rep.Buttons, Button{Label: "Timeline ▶", ID: buttonID(pagePrefix+"1:", key)})
	case page > 0:
		back := "◀ Newer"
		if page == 1 {
			back = "◀ Key entries"
		}
		rep.Buttons = append(rep.Buttons,
			Button{Label: back, ID: buttonID(pagePrefix+strconv.Itoa(page-1)+":", key)},
			Button{Label: "Older ▶", ID: buttonID(pagePrefix+strconv.Itoa(page+1)+":", key), Disabled: page >= pages})
	}
	if !textOnly {
		// A subscription is to what comes next, so it takes no date.
		rep.Buttons = append(rep.Buttons, Button{Label: "🔔 Subscribe", ID: buttonID(subPrefix, canonicalQuery(a, false))})
	}
	rep.Image, rep.ImageAlt = b.picture(a)
	return rep
}

// picture is the timeline picture of an answer about one dispute, and its
// description, drawn once per version of the answer (the cache keeps it).
// An answer about several disputes has none: one picture per dispute
// would crowd the message. A failed drawing is logged and the answer goes
// out without it, complete in its text.
func (b *Bot) picture(a *answer.Answer) ([]byte, string) {
	if b.Pictures == nil || len(a.Disputes) != 1 {
		return nil, ""
	}
	id := a.Disputes[0].ID
	tl, ok := picture.FromAnswer(a, id)
	if !ok {
		return nil, ""
	}
	png, err := b.Pictures.Get(picture.KeyFor(a, id), func() picture.Timeline { return tl })
	if err != nil {
		if b.Log != nil {
			b.Log.Error("drawing a timeline picture", "dispute", id, "error", err)
		}
		return nil, ""
	}
	return png, picture.Describe(tl)
}

// standing is where a dispute stands and the step that set it, with the
// entry to read about it.
func standing(d answer.Dispute) string {
	s := d.Standing()
	if d.StatusHeadline != "" {
		s += ": " + d.StatusHeadline
		if d.StatusEntry > 0 {
			s += " [" + strconv.Itoa(d.StatusEntry) + "]"
		}
	}
	return s
}

// keyEntries are the entries the summary cites, topped up with the newest
// to a page, newest first.
func keyEntries(a *answer.Answer) []answer.Entry {
	want := map[int]bool{}
	for _, d := range a.Disputes {
		// Where each dispute stands, and its latest step, are always shown.
		for _, n := range []int{d.StatusEntry, d.LatestEntry} {
			if n > 0 && len(want) < PageSize {
				want[n] = true
			}
		}
	}
	for _, s := range a.Summary {
		for _, n := range s.Cites {
			want[n] = true
		}
	}
	for i := len(a.Entries) - 1; i >= 0 && len(want) < PageSize; i-- {
		want[a.Entries[i].N] = true
	}
	var out []answer.Entry
	for i := len(a.Entries) - 1; i >= 0; i-- {
		if want[a.Entries[i].N] && len(out) < PageSize {
			out = append(out, a.Entries[i])
		}
	}
	return out
}

// canonicalQuery is the short form of a question kept in button ids: the
// parties' names and the remaining words, which resolve to the same answer.
func canonicalQuery(a *answer.Answer, textOnly bool) string {
	if textOnly {
		return "?" + strings.Join(a.Words, " ")
	}
	return a.Key()
}

// buttonID joins a prefix and a query within Discord's 100 characters; a
// query too long for it loses its last words, which only narrows a page
// turn, never widens it to someone else's data.
func buttonID(prefix, query string) string {
	id := prefix + query
	if len(id) <= maxID {
		return id
	}
	// A closing "since <date>" is kept whole: losing it would widen.
	since := ""
	if i := strings.LastIndex(query, " since "); i >= 0 && len(query)-i < maxID/2 {
		query, since = query[:i], query[i:]
	}
	id = (prefix + query)[:maxID-len(since)]
	if i := strings.LastIndexByte(id, ' '); i > len(prefix) {
		id = id[:i]
	}
	return strings.ToValidUTF8(id, "") + since
}

func entryItem(e answer.Entry) Item {
	it := Item{
		Title: summarise.Truncate(e.Title, maxTitle),
		URL:   e.URL,
		Label: fmt.Sprintf("[%d] %s · %s", e.N, e.Date.UTC().Format(article.DateLayout), summarise.Truncate(e.Outlet, 60)),
		Text:  summarise.Truncate(e.Summary, maxEntrySummary),
	}
	for i, s := range e.Sources[1:] {
		if i == 4 {
			break
		}
		it.Extras = append(it.Extras, Link{Label: summarise.Truncate(s.Outlet, 40), URL: s.URL})
	}
	return it
}

// Press handles a button. The query comes from the button's id, so a page
// turn shows the same answer to whoever presses it, scoped to the guild the
// press happens in. A press runs under the same guards as the command it
// stands for (its cooldown, time limit and input cap), so a made-up id can
// do no more than typing that command could.
func (b *Bot) Press(ctx context.Context, r Request, id string) Reply {
	switch {
	case strings.HasPrefix(id, pagePrefix):
		n, query, ok := strings.Cut(strings.TrimPrefix(id, pagePrefix), ":")
		page, err := strconv.Atoi(n)
		if !ok || err != nil || page < 0 || page > 1000 || strings.TrimPrefix(query, "?") == "" {
			break
		}
		textOnly := strings.HasPrefix(query, "?")
		name := "dispute"
		if textOnly {
			name = "search"
		}
		// The key holds the query as typed, "since" and all: the engine
		// reads it as it reads the command line's questions.
		turn := &Command{Name: name, expensive: true, turn: true, Params: []Param{{Name: "query", Kind: Words}},
			run: func(b *Bot, ctx context.Context, r Request, a Args) Reply {
				return b.answerPage(ctx, r, answer.Request{Query: a.String("query"), TextOnly: textOnly}, page)
			}}
		return b.serve(ctx, turn, r, input{text: strings.TrimPrefix(query, "?")})
	case strings.HasPrefix(id, subPrefix):
		cmd, _ := lookup("subscribe")
		return b.serve(ctx, cmd, r, input{text: strings.TrimPrefix(id, subPrefix)})
	}
	return Reply{Body: "That button is out of date; ask again.", Color: Warn, Ephemeral: true}
}

// Choice is one autocomplete suggestion.
type Choice struct{ Name, Value string }

// Autocomplete suggests parties whose names start with (or contain) what
// has been typed of the last word, at most 25, Discord's limit.
func (b *Bot) Autocomplete(typed string) []Choice {
	typed = strings.TrimSpace(typed)
	head, last := "", typed
	if i := strings.LastIndexByte(typed, ' '); i >= 0 {
		head, last = typed[:i+1], typed[i+1:]
	}
	last = strings.ToLower(last)
	var starts, contains []Choice
	for _, p := range b.Gazetteer.Parties() {
		name := strings.ToLower(p.Name)
		c := Choice{Name: summarise.Truncate(head+p.Name, 100), Value: summarise.Truncate(head+p.Name, 100)}
		switch {
		case last == "" || strings.HasPrefix(name, last):
			starts = append(starts, c)
		case strings.Contains(name, last) || aliasHas(p.Aliases, last):
			contains = append(contains, c)
		}
	}
	out := append(starts, contains...)
	if len(out) > 25 {
		out = out[:25]
	}
	return out
}

func aliasHas(aliases []string, prefix string) bool {
	for _, a := range aliases {
		if strings.HasPrefix(strings.ToLower(a), prefix) {
			return true
		}
	}
	return false
}

func (b *Bot) disputes(ctx context.Context, r Request, _ Args) Reply {
	ds := b.Engine.Disputes()
	rep := Reply{Title: "Disputes I know", Body: fmt.Sprintf("%d disputes, most recently active first. Ask about one with %sdispute <parties>.", len(ds), b.prefix())}
	for i, d := range ds {
		if i == 15 {
			rep.Footer = fmt.Sprintf("showing 15 of %d; the command line's disputebot disputes lists them all", len(ds))
			break
		}
		rep.Items = append(rep.Items, Item{
			Title: d.Title,
			Label: fmt.Sprintf("%s · %s", d.LastActive, d.Status),
			Text:  fmt.Sprintf("%s · ask: %sdispute %s", d.Kind, b.prefix(), b.Engine.QueryFor(d)),
		})
	}
	return rep
}

func (b *Bot) help(ctx context.Context, r Request, _ Args) Reply {
	rep := Reply{Title: "disputebot", Body: "I answer questions about disputes in the tech industry with a summary, a dated timeline and a link to every source. Use these with " + b.prefix() + ", as slash commands, or by mentioning me."}
	var member, mod []string
	for _, c := range commands {
		line := b.prefix() + c.Usage() + " — " + c.Help
		if c.Moderator {
			mod = append(mod, line)
		} else {
			member = append(member, line)
		}
	}
	rep.Items = []Item{{Title: "Everyone", Text: strings.Join(member, "\n")}, {Title: "Moderators (Manage Server)", Text: strings.Join(mod, "\n")}}
	rep.Ephemeral = true
	return rep
}
