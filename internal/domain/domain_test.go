package domain

import (
	"testing"
	"time"

	"github.com/disputebot/disputebot/internal/article"
)

// TestStoredFormsRoundTrip: targets and reasons read back what was
// written, and anything else is refused rather than guessed at.
func TestStoredFormsRoundTrip(t *testing.T) {
	for _, tg := range []Target{DMTarget("300000000000000001"), ChannelTarget("200000000000000001")} {
		if got, err := ParseTarget(tg.String()); err != nil || got != tg {
			t.Errorf("%v: read back %v, %v", tg, got, err)
		}
	}
	for _, r := range []Reason{{BySubscription, 7}, {ByFeed, 12}} {
		if got, err := ParseReason(r.String()); err != nil || got != r {
			t.Errorf("%v: read back %v, %v", r, got, err)
		}
	}
	for _, bad := range []string{"", "dm:", "ch:", "user:1", "1"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"", "subscription:", "feed:x", "alias:1", "subscription"} {
		if _, err := ParseReason(bad); err == nil {
			t.Errorf("ParseReason(%q) accepted", bad)
		}
	}
}

// TestStoryKey: two reports with the same headline and day are one story;
// an article without a headline is its own.
func TestStoryKey(t *testing.T) {
	day := time.Date(2023, 4, 20, 15, 0, 0, 0, time.UTC)
	a := &article.Article{URL: "https://a.example/1", Title: "Musk threatens to sue Microsoft!", Published: day}
	b := &article.Article{URL: "https://b.example/2", Title: "Musk threatens to SUE Microsoft", Published: day.Add(2 * time.Hour)}
	if StoryKey(a) != StoryKey(b) {
		t.Errorf("%q and %q are one story", StoryKey(a), StoryKey(b))
	}
	c := &article.Article{URL: "https://c.example/3", Published: day}
	if StoryKey(c) != c.URL {
		t.Errorf("no headline: %q", StoryKey(c))
	}
}
