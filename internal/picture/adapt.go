package picture

import (
	"crypto/sha256"
	"encoding/hex"
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

// KeyFor is the cache key of an answer's picture of a dispute: a digest
// of everything the picture is drawn from (title, status, every event's
// date, label and kind, every month's count). Two answers share a picture
// only when they would draw the same one, so a server whose own sources
// changed its answer never hands its picture, or its articles' titles, to
// another server whose answer happens to have as many entries.
func KeyFor(a *answer.Answer, disputeID string) Key {
	t, _ := FromAnswer(a, disputeID)
	h := sha256.New()
	fmt.Fprintf(h, "%q %q %s\n", t.Title, t.Status, t.StatusDate.Format(article.DateLayout))
	for _, e := range t.Events {
		fmt.Fprintf(h, "e %s %d %q\n", e.Date.Format(article.DateLayout), e.Kind, e.Label)
	}
	for _, m := range t.Coverage {
		fmt.Fprintf(h, "m %s %d\n", m.Start.Format(article.DateLayout), m.Articles)
	}
	return Key{Dispute: disputeID, Version: hex.EncodeToString(h.Sum(nil)[:16])}
}
