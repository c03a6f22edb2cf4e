package answer

import (
	"strings"
	"time"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/english"
)

// sinceLayouts are the dates "since" understands: a year, a month, a day.
var sinceLayouts = []string{"2006", "2006-01", "2006-01-02", "January 2006", "Jan 2006", "2 January 2006", "January 2, 2006"}

// splitSince takes a closing "since <date>" off a query ("musk microsoft
// since 2024", "... since march 2024"): the rest, and the start of that
// date. A query without one, or with a date it cannot read, is returned
// whole, and its words are searched as they are.
func splitSince(q string) (string, time.Time) {
	lower := strings.ToLower(q)
	i := strings.LastIndex(lower, " since ")
	if i < 0 {
		return q, time.Time{}
	}
	if t, ok := ParseSince(q[i+len(" since "):]); ok {
		return strings.TrimSpace(q[:i]), t
	}
	return q, time.Time{}
}

// ParseSince reads the date of a "since": a year, a month or a day, as
// people write them ("2024", "2024-06", "march 2024"), and its start.
func ParseSince(date string) (time.Time, bool) {
	date = strings.TrimSpace(date)
	for _, layout := range sinceLayouts {
		if t, err := time.Parse(layout, date); err == nil && t.Year() >= 1970 {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// sinceInFuture reports whether since is later than tomorrow: no article
// can be dated from it yet. Tomorrow, not today, so that a date a time
// zone ahead of the server still counts as today.
func sinceInFuture(since, now time.Time) bool {
	return since.After(now.AddDate(0, 0, 1))
}

// SinceText is " since 2024-01-01", or "" when the answer covers all time.
func (a *Answer) SinceText() string {
	if a.Since.IsZero() {
		return ""
	}
	return " since " + a.Since.Format(article.DateLayout)
}

// Heading names what the answer is about: the parties, or the searched
// words; and the date it starts from. The words of a question about
// parties are not echoed: they ranked the answer, they did not name it.
// Parties that are only in the news together are not called a dispute.
func (a *Answer) Heading() string {
	sides := a.Sides
	if len(sides) == 0 {
		sides = a.Parties
	}
	title := strings.Join(sides, " vs ")
	switch {
	case title == "":
		title = "Search: " + strings.Join(a.Words, " ")
	case a.NotADispute:
		title = english.JoinAnd(sides) + " in the news"
	}
	return title + a.SinceText()
}

// Standing says where a dispute stands, worded so its date cannot be read
// as when it began: "ruled on 2026-05-18", "ongoing as of 2025-12-11".
func (d Dispute) Standing() string {
	if d.Status == "ongoing" {
		return "ongoing as of " + d.StatusDate
	}
	return d.Status + " on " + d.StatusDate
}

// Nothing is the sentence for an answer that found nothing.
func (a *Answer) Nothing() string {
	since := a.SinceText()
	switch {
	case len(a.Parties) >= 2 && since != "" && len(a.Disputes) > 0:
		return "Nothing new in " + a.Disputes[0].Title + since + "; it was " + a.Disputes[0].Standing() + "."
	case len(a.Parties) >= 2 && len(a.Words) > 0 && len(a.Suggestions) > 0:
		return "Nothing in the disputes between " + english.JoinAnd(a.Parties) + " matches \"" + strings.Join(a.Words, " ") + "\"" + since + "."
	case len(a.Parties) >= 2:
		return "I know of no dispute between " + english.JoinAnd(a.Parties) + since + "."
	case len(a.Parties) == 1 && len(a.Words) > 0:
		return "Nothing about " + a.Parties[0] + " matches \"" + strings.Join(a.Words, " ") + "\"" + since + "."
	case len(a.Parties) == 1 && since != "":
		return "I have nothing about " + a.Parties[0] + since + "."
	case len(a.Parties) == 1:
		return "I have nothing about " + a.Parties[0] + " yet."
	}
	return "Nothing I have read matches \"" + strings.Join(a.Words, " ") + "\"" + since + "."
}

// Key is the answer's question in a canonical form, for a button to ask
// it again: the parties in order and the words that mattered (the date is
// SinceText's).
func (a *Answer) Key() string {
	q := strings.ToLower(strings.Join(a.Parties, " vs "))
	if len(a.Words) > 0 && !a.WordsDropped {
		q = strings.TrimSpace(q + " " + strings.Join(a.Words, " "))
	}
	return q
}
