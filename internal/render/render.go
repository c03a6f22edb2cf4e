// Package render writes answers and ingest results for a terminal: plain
// text a person reads, or JSON for scripts. (Discord rendering lives in
// bot/discord.)
package render

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/english"
)

// textWidth is where paragraphs wrap.
const textWidth = 78

// Text writes an answer for a person at a terminal.
func Text(w io.Writer, a *answer.Answer) error {
	var b strings.Builder
	switch a.Mode {
	case answer.ModeNone:
		writeNothing(&b, a)
	case answer.ModeParty:
		writeHeading(&b, a)
		writeDisputes(&b, a.Disputes, "Disputes")
		writeSummaryAndTimeline(&b, a, "Latest")
	default:
		writeHeading(&b, a)
		writeDisputes(&b, a.Disputes, "Known disputes")
		writeSummaryAndTimeline(&b, a, "Timeline")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeHeading(b *strings.Builder, a *answer.Answer) {
	title := a.Heading()
	b.WriteString(title + "\n")
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
			fmt.Fprintf(b, "(read %q as %s)\n", k, a.Corrections[k])
		}
	}
	if a.WordsDropped {
		fmt.Fprintf(b, "(nothing matched %q beside these parties, so this covers them alone)\n", strings.Join(a.Words, " "))
	}
}

func writeDisputes(b *strings.Builder, ds []answer.Dispute, heading string) {
	if len(ds) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s\n", heading)
	for _, d := range ds {
		fmt.Fprintf(b, "  • %s — %s, %s since %s (%d events)\n", d.Title, d.Kind, d.Status, d.StatusDate, d.Events)
	}
}

func writeSummaryAndTimeline(b *strings.Builder, a *answer.Answer, heading string) {
	if len(a.Summary) > 0 {
		b.WriteString("\nSummary\n")
		wrap(b, a.SummaryText(), "  ")
	}
	articles := 0
	for _, e := range a.Entries {
		articles += len(e.Sources)
	}
	fmt.Fprintf(b, "\n%s (%s, %s", heading, english.Plural(len(a.Entries), "entry", "entries"), english.Plural(articles, "source", "sources"))
	if a.Total > articles {
		fmt.Fprintf(b, "; at least %d articles matched, the newest shown", a.Total)
	}
	b.WriteString(")\n")
	for _, e := range a.Entries {
		fmt.Fprintf(b, "\n%3d. %s  %s\n", e.N, e.Date.UTC().Format(article.DateLayout), e.Title)
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
	b.WriteString(a.Nothing() + "\n")
	writeNotes(b, a)
	if len(a.Suggestions) > 0 {
		b.WriteString("\nTry:\n")
		for _, s := range a.Suggestions {
			fmt.Fprintf(b, "  disputebot ask %s    (%s)\n", s.Query, s.Label)
		}
	}
}

// wrap writes s as a paragraph indented by indent and wrapped at
// textWidth.
func wrap(b *strings.Builder, s, indent string) {
	line := indent
	for _, w := range strings.Fields(s) {
		if utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > textWidth && strings.TrimSpace(line) != "" {
			b.WriteString(line + "\n")
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
	Parties          []string          `json:"parties"`
	Words            []string          `json:"words"`
	Corrections      map[string]string `json:"corrections,omitempty"`
	WordsDropped     bool              `json:"words_dropped,omitempty"`
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
	LastActive string   `json:"last_active"`
	Parties    []string `json:"parties"`
	Events     int      `json:"events"`
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
		Query: a.Query, Mode: string(a.Mode), Parties: nonNil(a.Parties), Words: nonNil(a.Words),
		Corrections: a.Corrections, WordsDropped: a.WordsDropped, Summary: a.SummaryText(), Total: a.Total,
		SummarySentences: []JSONSentence{}, Disputes: []JSONDispute{}, Events: []JSONEvent{}, Suggestions: []JSONSuggestion{},
	}
	if !a.Since.IsZero() {
		j.Since = a.Since.Format(article.DateLayout)
	}
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
	return JSONDispute{ID: d.ID, Title: d.Title, Kind: d.Kind, Status: d.Status, StatusDate: d.StatusDate, LastActive: d.LastActive, Parties: d.Parties, Events: d.Events}
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

// DisputeList writes the known disputes, most recently active first.
func DisputeList(w io.Writer, ds []answer.Dispute, queryFor func(answer.Dispute) string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d known disputes, most recently active first\n\n", len(ds))
	for _, d := range ds {
		fmt.Fprintf(&b, "  %s  %-9s %s\n", d.LastActive, d.Status, d.Title)
		fmt.Fprintf(&b, "  %s  %s · %s · ask: %s\n", strings.Repeat(" ", 10), d.Kind, strings.Join(d.Parties, ", "), queryFor(d))
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
