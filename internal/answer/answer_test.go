package answer_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/library"
	"github.com/disputebot/disputebot/internal/library/librarytest"
	"github.com/disputebot/disputebot/internal/render"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// shared is one data folder for the whole package: the answers are
// read-only, and loading the corpus once keeps the tests quick.
var shared librarytest.Shared

func sharedLib(t *testing.T) *library.Library { return shared.Get(t) }

func TestMain(m *testing.M) { shared.Main(m) }

func ask(t *testing.T, q string) *answer.Answer {
	t.Helper()
	a, err := sharedLib(t).Engine.Ask(context.Background(), answer.Request{Query: q})
	if err != nil {
		t.Fatalf("Ask(%q): %v", q, err)
	}
	return a
}

const seedURL = "https://www.benzinga.com/news/23/04/31906748/elon-musk-accuses-microsoft-of-twitter-data-mining-lawsuit-time"

func TestEveryPhrasingFindsTheSeedStory(t *testing.T) {
	for _, q := range []string{"musk microsoft", "Microsoft vs. Elon Musk", "MSFT musk", "elon v microsoft", "musk and microsoft", "microsfot musk", "Musk versus Microsoft"} {
		t.Run(q, func(t *testing.T) {
			a := ask(t, q)
			if a.Mode != answer.ModeParties || len(a.Parties) != 2 {
				t.Fatalf("mode %s, parties %v", a.Mode, a.Parties)
			}
			e := findSource(a, seedURL)
			if e == nil {
				t.Fatal("seed story missing")
			}
			if e.Date.Format("2006-01-02") != "2023-04-19" || !strings.Contains(strings.ToLower(e.Title+e.Summary), "lawsuit") {
				t.Errorf("seed entry: %s %q", e.Date.Format("2006-01-02"), e.Title)
			}
		})
	}
}

func findSource(a *answer.Answer, url string) *answer.Entry {
	for i := range a.Entries {
		for _, s := range a.Entries[i].Sources {
			if s.URL == url {
				return &a.Entries[i]
			}
		}
	}
	return nil
}

func TestTimelineIsDatedAndSummaryCites(t *testing.T) {
	a := ask(t, "epic games apple")
	if len(a.Entries) < 4 {
		t.Fatalf("only %d entries", len(a.Entries))
	}
	for i, e := range a.Entries {
		if e.N != i+1 {
			t.Errorf("entry %d numbered %d", i+1, e.N)
		}
		if i > 0 && e.Date.Before(a.Entries[i-1].Date) {
			t.Errorf("entry %d (%s) is older than entry %d", e.N, e.Date, e.N-1)
		}
		if !strings.HasPrefix(e.URL, "https://") || e.Outlet == "" || e.Title == "" {
			t.Errorf("entry %d lacks a link, outlet or headline: %+v", e.N, e)
		}
	}
	if n := len(a.Summary); n < 2 || n > 4 {
		t.Errorf("%d summary sentences", n)
	}
	for _, s := range a.Summary {
		cited := a.Entries[s.Cites[0]-1]
		if !strings.Contains(cited.Summary, s.Text) && cited.Title != s.Text {
			t.Errorf("sentence %q is not from the entry it cites (%d)", s.Text, s.Cites[0])
		}
	}
}

func TestOnePartyListsItsDisputes(t *testing.T) {
	a := ask(t, "musk")
	if a.Mode != answer.ModeParty {
		t.Fatalf("mode %s", a.Mode)
	}
	ids := map[string]bool{}
	for _, d := range a.Disputes {
		ids[d.ID] = true
	}
	for _, want := range []string{"musk-microsoft", "musk-openai", "sec-musk"} {
		if !ids[want] {
			t.Errorf("musk's disputes lack %s: %v", want, ids)
		}
	}
	for i := 1; i < len(a.Disputes); i++ {
		if a.Disputes[i].LastActive > a.Disputes[i-1].LastActive {
			t.Errorf("disputes not most recent first: %s after %s", a.Disputes[i].LastActive, a.Disputes[i-1].LastActive)
		}
	}
}

func TestNothingMatchedSuggests(t *testing.T) {
	a := ask(t, "nintendo vs yelp")
	if a.Mode != answer.ModeNone || len(a.Entries) != 0 {
		t.Fatalf("mode %s with %d entries", a.Mode, len(a.Entries))
	}
	if len(a.Suggestions) == 0 {
		t.Fatal("no suggestions")
	}
	joined := ""
	for _, s := range a.Suggestions {
		joined += s.Label + "|"
	}
	if !strings.Contains(joined, "Pocketpair") || !strings.Contains(joined, "Yelp") {
		t.Errorf("suggestions should offer each party's own dispute: %s", joined)
	}
}

func TestUnknownWordsFallBackToFullText(t *testing.T) {
	a := ask(t, "blood oxygen")
	if a.Mode != answer.ModeSearch || len(a.Entries) == 0 {
		t.Fatalf("mode %s, %d entries", a.Mode, len(a.Entries))
	}
	if !strings.Contains(strings.ToLower(a.Entries[0].Title+a.Entries[0].Summary), "oxygen") {
		t.Errorf("first entry does not mention blood oxygen: %q", a.Entries[0].Title)
	}
}

func TestEmptyQuery(t *testing.T) {
	_, err := sharedLib(t).Engine.Ask(context.Background(), answer.Request{Query: " vs and "})
	if err != answer.ErrEmptyQuery {
		t.Errorf("err = %v, want ErrEmptyQuery", err)
	}
}

// TestGolden pins the whole text and JSON answers of a few queries. Run
// with -update after a deliberate change to the corpus or the output.
func TestGolden(t *testing.T) {
	for _, tc := range []struct{ name, query string }{
		{"musk-microsoft", "musk microsoft"},
		{"palworld-typo", "nintedno pocketpair"},
		{"nothing", "nintendo vs yelp"},
		{"musk-microsoft-since", "Musk Microsoft since May 2024"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := ask(t, tc.query)
			var text, js strings.Builder
			if err := render.Text(&text, a); err != nil {
				t.Fatal(err)
			}
			if err := render.JSON(&js, render.ToJSON(a)); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".txt", text.String())
			golden(t, tc.name+".json", js.String())
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file; run go test ./internal/answer -update and review the diff\n--- got ---\n%s", name, got)
	}
}

// TestSince narrows an answer to events from a date on: a year, a month or
// a day, written at the end of the question. A "since" that names no date
// is searched as words.
func TestSince(t *testing.T) {
	all := ask(t, "musk microsoft")
	for _, tc := range []struct {
		query, want string // want: the start date, "" for none
	}{
		{"musk microsoft since 2024", "2024-01-01"},
		{"musk microsoft SINCE 2024-03", "2024-03-01"},
		{"musk microsoft since 2024-02-29", "2024-02-29"},
		{"musk microsoft since March 2024", "2024-03-01"},
		{"musk microsoft since mar 2024", "2024-03-01"},
		{"musk microsoft since 29 February 2024", "2024-02-29"},
		{"musk microsoft since yesterday", ""},
		{"musk microsoft since 2024-13", ""},
		{"musk microsoft since", ""},
	} {
		t.Run(tc.query, func(t *testing.T) {
			a := ask(t, tc.query)
			if got := a.SinceText(); got != map[bool]string{true: "", false: " since " + tc.want}[tc.want == ""] {
				t.Fatalf("SinceText = %q, want the date %q", got, tc.want)
			}
			if tc.want == "" {
				return
			}
			if strings.Join(a.Parties, ",") != strings.Join(all.Parties, ",") {
				t.Errorf("parties %v, want %v", a.Parties, all.Parties)
			}
			if len(a.Entries) == 0 || len(a.Entries) >= len(all.Entries) {
				t.Errorf("%d entries since %s, %d in all", len(a.Entries), tc.want, len(all.Entries))
			}
			for _, e := range a.Entries {
				if e.Date.Format("2006-01-02") < tc.want {
					t.Errorf("entry %s dated %s, before %s", e.Title, e.Date.Format("2006-01-02"), tc.want)
				}
			}
		})
	}
	if a := ask(t, "musk microsoft since 2099"); a.Mode != answer.ModeNone || !strings.Contains(a.Nothing(), "since 2099-01-01") {
		t.Errorf("since 2099: mode %s, %q", a.Mode, a.Nothing())
	}
}
