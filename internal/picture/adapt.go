package picture

import (
	"fmt"
	"slices"
	"time"

	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/article"
)

// FromDispute is the picture of a built-in dispute: its curated events,
// its status, and the coverage given (nil: none; the corpus holds no
// counts of its own).
func FromDispute(d article.Dispute, coverage []Month) Timeline {
	t := Timeline{Title: d.Title, Status: d.Status, Coverage: coverage}
	t.StatusDate, _ = time.Parse(article.DateLayout, d.StatusDate)
	for _, e := range d.Events {
		day, err := time.Parse(article.DateLayout, e.Date)
		if err != nil {
			continue // go test ./data refuses these
		}
		t.Events = append(t.Events, Event{Date: day, Label: e.Headline, Kind: KindOf(e.Headline)})
	}
	return t
}

// FromAnswer is the picture of one of an answer's disputes: the timeline
// entries that belong to it are its events, and every source of every
// entry of the answer (the dispute's events and the parties' other
// reports of a dispute) counts toward its month's coverage. The counts are
// those of the answer, so they stop at the answer's cap of entries rather
// than counting the whole index. ok is false when the answer does not hold
// the dispute.
func FromAnswer(a *answer.Answer, disputeID string) (t Timeline, ok bool) {
	i := slices.IndexFunc(a.Disputes, func(d answer.Dispute) bool { return d.ID == disputeID })
	if i < 0 {
		return Timeline{}, false
	}
	d := a.Disputes[i]
	t = Timeline{Title: d.Title, Status: d.Status}
	t.StatusDate, _ = time.Parse(article.DateLayout, d.StatusDate)
	perMonth := map[time.Time]int{}
	for _, e := range a.Entries {
		if slices.Contains(e.Disputes, disputeID) {
			t.Events = append(t.Events, Event{Date: e.Date, Label: e.Title, Kind: KindOf(e.Title)})
		}
		perMonth[monthStart(e.Date)] += len(e.Sources)
	}
	for m, n := range perMonth {
		t.Coverage = append(t.Coverage, Month{Start: m, Articles: n})
	}
	slices.SortFunc(t.Coverage, func(x, y Month) int { return x.Start.Compare(y.Start) })
	return t, true
}

// KeyFor is the cache key of an answer's picture of a dispute. Its
// version moves whenever something new reaches the answer: a later
// entry, another entry or source, a different status, or a different
// "since".
func KeyFor(a *answer.Answer, disputeID string) Key {
	var latest time.Time
	sources := 0
	for _, e := range a.Entries {
		if e.Date.After(latest) {
			latest = e.Date
		}
		sources += len(e.Sources)
	}
	status := ""
	for _, d := range a.Disputes {
		if d.ID == disputeID {
			status = d.Status + "@" + d.StatusDate
		}
	}
	since := ""
	if !a.Since.IsZero() {
		since = a.Since.Format(article.DateLayout)
	}
	return Key{Dispute: disputeID, Version: fmt.Sprintf("%s/%d/%d/%s/%s", latest.Format(article.DateLayout), len(a.Entries), sources, status, since)}
}
