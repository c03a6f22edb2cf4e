package picture_test

import (
	"context"
	"slices"
	"testing"

	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/library"
	"github.com/disputebot/disputebot/internal/picture"
)

// TestFromAnswer asks the built-in corpus about a dispute, as the bot
// does, and checks the picture's timeline holds that dispute's events and
// status, counts every source of the answer by month, and that the key
// moves when the answer gains an entry.
func TestFromAnswer(t *testing.T) {
	ctx := context.Background()
	lib, err := library.Open(ctx, library.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	a, err := lib.Engine.Ask(ctx, answer.Request{Query: "adobe figma"})
	if err != nil {
		t.Fatal(err)
	}
	d, ok := lib.Corpus.Dispute("adobe-figma")
	if !ok {
		t.Fatal("no adobe-figma in the corpus")
	}
	tl, ok := picture.FromAnswer(a, "adobe-figma")
	if !ok {
		t.Fatalf("answer to %q holds no adobe-figma (disputes %v)", a.Query, a.Disputes)
	}
	if tl.Title != d.Title || tl.Status != d.Status || tl.StatusDate.Format("2006-01-02") != d.StatusDate {
		t.Errorf("timeline %q %s %v, want %q %s %s", tl.Title, tl.Status, tl.StatusDate, d.Title, d.Status, d.StatusDate)
	}
	var want []string
	for _, e := range d.Events {
		want = append(want, e.Headline)
	}
	var got []string
	for _, e := range tl.Events {
		got = append(got, e.Label)
	}
	if !slices.Equal(got, want) {
		t.Errorf("events %q, want the dispute's %q", got, want)
	}
	counted, sources := 0, 0
	for _, m := range tl.Coverage {
		counted += m.Articles
	}
	for _, e := range a.Entries {
		sources += len(e.Sources)
	}
	if counted != sources || counted == 0 {
		t.Errorf("coverage counts %d articles, the answer has %d sources", counted, sources)
	}
	if _, ok := picture.FromAnswer(a, "ec-google"); ok {
		t.Error("FromAnswer found a dispute the answer does not hold")
	}

	k := picture.KeyFor(a, "adobe-figma")
	if k.Dispute != "adobe-figma" || k != picture.KeyFor(a, "adobe-figma") {
		t.Fatalf("key %v is not stable", k)
	}
	more := *a
	more.Entries = append(slices.Clone(a.Entries), answer.Entry{N: len(a.Entries) + 1, Date: a.Entries[len(a.Entries)-1].Date.AddDate(0, 0, 1), Sources: []answer.Source{{URL: "https://example.com/new"}}})
	if picture.KeyFor(&more, "adobe-figma") == k {
		t.Error("a new entry left the key unchanged")
	}
	// Another server's answer with as many entries and sources, one of
	// its own titles different, must not share the picture.
	other := *a
	other.Entries = slices.Clone(a.Entries)
	for i, e := range other.Entries {
		if slices.Contains(e.Disputes, "adobe-figma") {
			other.Entries[i].Title = "A moderator's own headline"
			break
		}
	}
	if picture.KeyFor(&other, "adobe-figma") == k {
		t.Error("answers drawing different pictures share a key")
	}
}
