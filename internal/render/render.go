// Package render writes answers and ingest results for a terminal: plain
// text a person reads, or JSON for scripts. (Discord rendering lives in
// bot/discord.)
package render

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/english"
)

// textWidth is where every line wraps: a terminal's 100 columns.
const textWidth = 100

// Text writes an answer for a person at a terminal.
func Text(w io.Writer, a *answer.Answer) error {
	var b strings.Builder
	if a.Mode == answer.ModeNone {
		writeNothing(&b, a)
	} else {
		writeHeading(&b, a)
		writeDisputes(&b, a.Disputes)
		writeSummaryAndTimeline(&b, a)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeHeading(b *strings.Builder, a *answer.Answer) {
	title := a.Heading()
	wrap(b, title, "")
	b.WriteString(strings.Repeat("=", min(utf8.RuneCountInString(title), textWidth)) + "\n")
	writeNotes(b, a)
}

func writeNotes(b *strings.Builder, a *answer.Answer) {
	if len(a.Corrections) > 0 {
		typed := make([]string, 0, len(a.Corrections))
		for k := range a.Corrections {
			typed = append(typed, k)
		}
		sort.Strings(typed)
		for _, k := range typed {
			wrap(b, fmt.Sprintf("(read %q as %s)", k, a.Corrections[k]), "")
		}
	}
	if a.WordsDropped {
		wrap(b, fmt.Sprintf("(nothing matched %q, so this covers the parties' dispute as a whole)", strings.Join(a.Words, " ")), "")
	}
	if a.OnlyMentions {
		wrap(b, "(I know of no dispute between them; these reports of other disputes mention them)", "")
	}
}

// writeDisputes opens an answer about one built-in dispute with its
// background and where it stands; several are listed, each with where it
// stands.
func writeDisputes(b *strings.Builder, ds []answer.Dispute) {
	switch {
	case len(ds) == 0:
		return
	case len(ds) == 1:
		d := ds[0]
		b.WriteString("\n")
		wrap(b, d.Title, "")
		wrap(b, d.Background, "  ")
		b.WriteString("\n")
		wrap(b, "Where it stands: "+standing(d), "  ")
		return
	}
	b.WriteString("\nDisputes, most recently active first\n")
	for _, d := range ds {
		wrapHanging(b, "  • "+d.Title+" — "+d.Standing(), "    ")
	}
}

// standing is where a dispute stands with the step that set it, and the
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

func writeSummaryAndTimeline(b *strings.Builder, a *answer.Answer) {
	if len(a.Summary) > 0 {
		b.WriteString("\nSummary\n")
		wrap(b, a.SummaryText(), "  ")
	}
	articles := 0
	for _, e := range a.Entries {
		articles += len(e.Sources)
	}
	fmt.Fprintf(b, "\nTimeline, oldest first (%s, %s", english.Plural(len(a.Entries), "entry", "entries"), english.Plural(articles, "source", "sources"))
	if a.Total > articles {
		fmt.Fprintf(b, "; at least %d articles matched, the newest shown", a.Total)
	}
	b.WriteString(")\n")
	for _, e := range a.Entries {
		b.WriteString("\n")
		wrapHanging(b, fmt.Sprintf("%3d. %s  %s", e.N, e.Date.UTC().Format(article.DateLayout), e.Title), "                 ")
		fmt.Fprintf(b, "     %s · %s\n", e.Outlet, e.URL)
		if e.Summary != "" {
			wrap(b, e.Summary, "     ")
		}
		for _, s := range e.Sources[1:] {
			fmt.Fprintf(b, "     also: %s · %s\n", s.Outlet, s.URL)
		}
	}
}

func writeNothing(b *strings.Builder, a *answer.Answer) {
	wrap(b, a.Nothing(), "")
	writeNotes(b, a)
	if len(a.Suggestions) > 0 {
		b.WriteString("\nTry:\n")
		for _, s := range a.Suggestions {
			// The label as a comment line, the command on a line of its
			// own: either pastes into a shell.
			wrapHanging(b, "  # "+s.Label, "  # ")
			b.WriteString("  " + Command(s.Query) + "\n")
		}
	}
}

// Command is what to type at a shell to ask query: quoted where a shell
// would read its characters otherwise.
func Command(query string) string {
	if strings.ContainsAny(query, "()&|;<>$`\\\"'*?[]#~!{}") {
		return "disputebot ask '" + strings.ReplaceAll(query, "'", `'\''`) + "'"
	}
	return "disputebot ask " + query
}

// wrap writes s as a paragraph indented by indent and wrapped at
// textWidth.
func wrap(b *strings.Builder, s, indent string) {
	wrapHanging(b, indent+s, indent)
}

// wrapHanging writes s wrapped at textWidth, its later lines indented by
// indent (its first line as it comes).
func wrapHanging(b *strings.Builder, s, indent string) {
	lead := len(s) - len(strings.TrimLeft(s, " "))
	line := s[:lead]
	for _, w := range strings.Fields(s) {
		if utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > textWidth && strings.TrimSpace(line) != "" {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = indent
		}
		if strings.TrimSpace(line) != "" {
			line += " "
		}
		line += w
	}
	if strings.TrimSpace(line) != "" {
		b.WriteString(line + "\n")
	}
}

// JSONAnswer is the stable shape of `ask --json`.
type JSONAnswer struct {
	Query            string            `json:"query"`
	Mode             string            `json:"mode"`
	Heading          string            `json:"heading"`
	Message          string            `json:"message,omitempty"` // what to say when nothing matched
	Parties          []string          `json:"parties"`
	Words            []string          `json:"words"`
	Corrections      map[string]string `json:"corrections,omitempty"`
	WordsDropped     bool              `json:"words_dropped,omitempty"`
	OnlyMentions     bool              `json:"only_mentions,omitempty"`
	Since            string            `json:"since,omitempty"` // YYYY-MM-DD: events from this day on
	Summary          string            `json:"summary"`
	SummarySentences []JSONSentence    `json:"summary_sentences"`
	Disputes         []JSONDispute     `json:"disputes"`
	Events           []JSONEvent       `json:"events"`
	Total            int               `json:"total"`
	Suggestions      []JSONSuggestion  `json:"suggestions"`
}

// JSONSentence is one summary sentence and the events it cites.
type JSONSentence struct {
	Text  string `json:"text"`
	Cites []int  `json:"cites"`
}

// JSONDispute is a built-in dispute in an answer.
type JSONDispute struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Kind       string   `json:"kind"`
	Status     string   `json:"status"`
	StatusDate string   `json:"status_date"`
	Standing   string   `json:"standing"`
	LastActive string   `json:"last_active"`
	Background string   `json:"background"`
	Parties    []string `json:"parties"`
	EventCount int      `json:"event_count"`
	// StatusEvent and LatestEvent are the n of the events (in "events")
	// that set the status and that came last; 0 when the answer's events
	// do not hold them.
	StatusEvent int `json:"status_event"`
	LatestEvent int `json:"latest_event"`
}

// JSONEvent is one timeline entry.
type JSONEvent struct {
	N       int          `json:"n"`
	Date    string       `json:"date"`
	Title   string       `json:"title"`
	URL     string       `json:"url"`
	Source  string       `json:"source"`
	Summary string       `json:"summary"`
	Sources []JSONSource `json:"sources"`
}

// JSONSource is one report of an event.
type JSONSource struct {
	Source string `json:"source"`
	URL    string `json:"url"`
	Title  string `json:"title"`
}

// JSONSuggestion is something to ask instead.
type JSONSuggestion struct {
	Label string `json:"label"`
	Query string `json:"query"`
}

// ToJSON converts an answer to its JSON shape.
func ToJSON(a *answer.Answer) JSONAnswer {
	j := JSONAnswer{
		Query: a.Query, Mode: string(a.Mode), Heading: a.Heading(), Parties: nonNil(a.Parties), Words: nonNil(a.Words),
		Corrections: a.Corrections, WordsDropped: a.WordsDropped, Summary: a.SummaryText(), Total: a.Total,
		SummarySentences: []JSONSentence{}, Disputes: []JSONDispute{}, Events: []JSONEvent{}, Suggestions: []JSONSuggestion{},
	}
	if !a.Since.IsZero() {
		j.Since = a.Since.Format(article.DateLayout)
	}
	if a.Mode == answer.ModeNone {
		j.Message = a.Nothing()
	}
	j.OnlyMentions = a.OnlyMentions
	for _, s := range a.Summary {
		j.SummarySentences = append(j.SummarySentences, JSONSentence{Text: s.Text, Cites: s.Cites})
	}
	for _, d := range a.Disputes {
		j.Disputes = append(j.Disputes, DisputeJSON(d))
	}
	for _, e := range a.Entries {
		je := JSONEvent{N: e.N, Date: e.Date.UTC().Format(article.DateLayout), Title: e.Title, URL: e.URL, Source: e.Outlet, Summary: e.Summary}
		for _, s := range e.Sources {
			je.Sources = append(je.Sources, JSONSource{Source: s.Outlet, URL: s.URL, Title: s.Title})
		}
		j.Events = append(j.Events, je)
	}
	for _, s := range a.Suggestions {
		j.Suggestions = append(j.Suggestions, JSONSuggestion{Label: s.Label, Query: s.Query})
	}
	return j
}

// DisputeJSON converts one dispute.
func DisputeJSON(d answer.Dispute) JSONDispute {
	return JSONDispute{ID: d.ID, Title: d.Title, Kind: d.Kind, Status: d.Status, StatusDate: d.StatusDate, Standing: d.Standing(),
		LastActive: d.LastActive, Background: d.Background, Parties: d.Parties, EventCount: d.Events,
		StatusEvent: d.StatusEntry, LatestEvent: d.LatestEntry}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// JSON writes v indented, as scripts and golden files want it.
func JSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// JSONLine writes v as one line of JSON: `ingest --json` writes one such
// line per input (JSON Lines), which a script reads line by line.
func JSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// DisputeList writes the known disputes, most recently active first.
func DisputeList(w io.Writer, ds []answer.Dispute, queryFor func(answer.Dispute) string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d known disputes, most recently active first\n\n", len(ds))
	for _, d := range ds {
		wrapHanging(&b, fmt.Sprintf("  %s  %s", d.LastActive, d.Title), "              ")
		wrapHanging(&b, fmt.Sprintf("              %s, %s · %s", d.Kind, d.Standing(), strings.Join(d.Parties, ", ")), "              ")
		wrapHanging(&b, "              ask: "+queryFor(d), "              ")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// IngestResult is one input of `ingest`: what was stored, or why not. It
// is also the shape of `ingest --json`, one object per input.
type IngestResult struct {
	Input        string   `json:"input"`
	URL          string   `json:"url"`
	Title        string   `json:"title"`
	Site         string   `json:"site"`
	Published    string   `json:"published"`
	Parties      []string `json:"parties"`
	Summary      string   `json:"summary"`
	DisputeScore float64  `json:"dispute_score"`
	New          bool     `json:"new"`
	Error        string   `json:"error"`
}

// Ingest writes one ingest result for a person at a terminal.
func Ingest(w io.Writer, r IngestResult) {
	if r.Error != "" {
		fmt.Fprintf(w, "✗ %s\n  %s\n", r.Input, r.Error)
		return
	}
	state := "stored"
	if !r.New {
		state = "already stored"
	}
	date := r.Published
	if date == "" {
		date = "no date found"
	} else {
		date = date[:10]
	}
	fmt.Fprintf(w, "✓ %s (%s)\n  %s · %s · %s\n", r.Title, state, r.Site, date, r.URL)
	if len(r.Parties) > 0 {
		fmt.Fprintf(w, "  parties: %s\n", strings.Join(r.Parties, ", "))
	}
	fmt.Fprintf(w, "  dispute score: %.2f\n", r.DisputeScore)
	if r.Summary != "" {
		fmt.Fprintf(w, "  %s\n", r.Summary)
	}
}
