package answer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/disputebot/disputebot/internal/answer"
)

// TestSinceInTheFuture checks that a "since" date nothing can be dated
// from yet gets the honest empty answer. Bleve keeps dates as nanoseconds
// since 1970, which end in 2262, so a later date used to reach the index
// and fail there, and the member was told something went wrong.
func TestSinceInTheFuture(t *testing.T) {
	lib := sharedLib(t)
	tests := []struct {
		name, query string
		since       string // the start date the answer reports, "" for none
		nothing     bool   // the answer is the empty one, found without searching
	}{
		{"year past 2262", "epic apple since 2300", "2300-01-01", true},
		{"last four-digit year", "epic apple since 9999", "9999-01-01", true},
		{"month past 2262", "epic apple since 2300-06", "2300-06-01", true},
		{"month name past 2262", "epic apple since march 2300", "2300-03-01", true},
		{"a past year still answers", "epic apple since 2024", "2024-01-01", false},
		{"before 1970 is not a date", "epic apple since 1969", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := lib.Engine.Ask(context.Background(), answer.Request{Query: tt.query})
			if err != nil {
				t.Fatalf("Ask(%q): %v", tt.query, err)
			}
			if got := a.Since; tt.since == "" && !got.IsZero() || tt.since != "" && got.Format("2006-01-02") != tt.since {
				t.Errorf("Since = %v, want %q", got, tt.since)
			}
			if !tt.nothing {
				if a.Mode == answer.ModeNone || len(a.Entries) == 0 {
					t.Errorf("Ask(%q): mode %s with %d entries, want entries", tt.query, a.Mode, len(a.Entries))
				}
				return
			}
			want := "Nothing new in Epic Games vs Apple: Fortnite, App Store fees and anti-steering since " + tt.since + "; it was "
			if a.Mode != answer.ModeNone || len(a.Entries) != 0 || !strings.HasPrefix(a.Nothing(), want) || len(a.Suggestions) != 0 {
				t.Errorf("Ask(%q): mode %s, %d entries, %q; want mode none and %q", tt.query, a.Mode, len(a.Entries), a.Nothing(), want)
			}
			// An engine without an index shows that the answer was found
			// without a search: any search would dereference the nil index.
			e := lib.Engine
			noIndex := &answer.Engine{Store: e.Store, Gazetteer: e.Gazetteer, Corpus: e.Corpus, Aliases: e.Aliases}
			if err := askRecovering(noIndex, tt.query); err != nil {
				t.Errorf("Ask(%q) searched the index: %v", tt.query, err)
			}
		})
	}
}

// askRecovering asks e, turning a panic into an error.
func askRecovering(e *answer.Engine, q string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	_, err = e.Ask(context.Background(), answer.Request{Query: q})
	return err
}
