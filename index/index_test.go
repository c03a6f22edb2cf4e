package index

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// searchCase and the documents come from testdata/searches.json, so the
// search behaviour is stated as data.
type searchCase struct {
	Name  string `json:"name"`
	Query struct {
		Parties []string `json:"parties"`
		Words   []string `json:"words"`
		Scopes  []string `json:"scopes"`
		ByDate  bool     `json:"by_date"`
		Limit   int      `json:"limit"`
	} `json:"query"`
	Want    []int64 `json:"want"`
	WantSet []int64 `json:"want_set"`
}

type fixture struct {
	Docs []struct {
		ID      int64    `json:"id"`
		Title   string   `json:"title"`
		Summary string   `json:"summary"`
		Parties []string `json:"parties"`
		Scopes  []string `json:"scopes"`
		Site    string   `json:"site"`
		Date    string   `json:"date"`
	} `json:"docs"`
	Searches []searchCase `json:"searches"`
}

func TestSearches(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "searches.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	x, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var docs []Doc
	for _, d := range f.Docs {
		date, _ := time.Parse("2006-01-02", d.Date)
		if d.Date == "NOW" {
			// A document of the current year, whatever year the test runs.
			date = time.Now().UTC().Add(-time.Hour)
		}
		docs = append(docs, Doc{ID: d.ID, Title: d.Title, Summary: d.Summary, Parties: d.Parties, Scopes: d.Scopes, Site: d.Site, Date: date})
	}
	if err := x.Put(docs, 42); err != nil {
		t.Fatal(err)
	}
	if seq, _ := x.Seq(); seq != 42 {
		t.Errorf("Seq = %d, want 42", seq)
	}
	for _, sc := range f.Searches {
		t.Run(sc.Name, func(t *testing.T) {
			// Each newest-first search both ways: straight over all time,
			// as a small index does, and through the recent windows first,
			// as a large one does.
			// And at three clocks: now, and six months and two years on,
			// when every window is empty of what the test put in: the
			// answer must not depend on the day it is asked.
			// Words, both ways too: every word scored, as in a small
			// index, and all but the rarest only filtering, as the
			// commonest words of a large one do.
			for _, from := range []uint64{windowsFrom, 0} {
				x.windowsFrom, x.commonFrom = from, from
				for _, later := range []time.Duration{0, 183 * 24 * time.Hour, 730 * 24 * time.Hour} {
					checkSearch(t, x, sc, time.Now().Add(later))
				}
			}
		})
	}
}

func checkSearch(t *testing.T, x *Index, sc searchCase, now time.Time) {
	t.Helper()
	res, err := x.Search(context.Background(), Query{Parties: sc.Query.Parties, Words: sc.Query.Words, Scopes: sc.Query.Scopes, ByDate: sc.Query.ByDate, Limit: sc.Query.Limit, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	got := []int64{}
	for _, h := range res.Hits {
		got = append(got, h.ID)
	}
	want := sc.Want
	if sc.WantSet != nil {
		sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
		want = sc.WantSet
	}
	if want == nil {
		want = []int64{}
	}
	if !equal(got, want) {
		t.Errorf("windows from %d articles: got %v, want %v", x.windowsFrom, got, want)
	}
}

func TestReopenKeepsDocsAndStaleMappingIsRefused(t *testing.T) {
	dir := t.TempDir()
	x, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	x.Put([]Doc{{ID: 1, Title: "one", Scopes: []string{"global"}}}, 1)
	x.b.SetInternal(keyMapping, []byte("0"))
	x.Close()
	if _, err := Open(dir); err != ErrStale {
		t.Fatalf("Open of an old mapping = %v, want ErrStale", err)
	}
	built, err := Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := Install(dir, built); err != nil {
		t.Fatal(err)
	}
	x, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if n, _ := x.Count(); n != 0 {
		t.Errorf("rebuilt index holds %d docs", n)
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// An article whose date changes is one document still: the newest-first
// search finds it once, at its new date, and the count does not grow.
func TestNewDateReplacesTheDocument(t *testing.T) {
	x, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	doc := func(id int64, date string) Doc {
		d := Doc{ID: id, Title: "t", Parties: []string{"Apple"}, Scopes: []string{"global"}}
		if date != "" {
			d.Date = day(date)
		}
		return d
	}
	steps := []struct {
		put  []Doc
		want []int64
	}{
		{[]Doc{doc(1, "2024-01-01"), doc(2, "2024-02-01"), doc(3, "2024-03-01")}, []int64{3, 2, 1}},
		{[]Doc{doc(1, "2024-04-01")}, []int64{1, 3, 2}},
		// Undated comes last; two versions in one batch: the last holds.
		{[]Doc{doc(3, ""), doc(2, "2023-01-01"), doc(2, "2024-05-01")}, []int64{2, 1, 3}},
		// The same date: the lower id first.
		{[]Doc{doc(10, "2024-05-01"), doc(9, "2024-05-01")}, []int64{2, 9, 10, 1, 3}},
	}
	for i, s := range steps {
		if err := x.Put(s.put, int64(i+1)); err != nil {
			t.Fatal(err)
		}
		res, err := x.Search(context.Background(), Query{Parties: []string{"Apple"}, Scopes: []string{"global"}, ByDate: true, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, h := range res.Hits {
			got = append(got, h.ID)
		}
		if !equal(got, s.want) {
			t.Errorf("step %d: newest first %v, want %v", i, got, s.want)
		}
		if n, _ := x.Count(); n != uint64(len(s.want)) {
			t.Errorf("step %d: %d documents, want %d", i, n, len(s.want))
		}
	}
}

func TestDocIDsCarryTheArticle(t *testing.T) {
	for _, id := range []int64{1, 9, 10, 123456789, math.MaxInt64 - 1} {
		for _, date := range []time.Time{{}, time.Date(2026, 11, 1, 9, 15, 0, 0, time.UTC)} {
			if got, ok := articleOf(docID(id, date)); !ok || got != id {
				t.Errorf("articleOf(docID(%d, %v)) = %d, %v", id, date, got, ok)
			}
		}
	}
	for _, bad := range []string{"", "12", "2026110109150x9223372036854775806", "20261101091500922337203685477580x"} {
		if _, ok := articleOf(bad); ok {
			t.Errorf("articleOf(%q) accepted", bad)
		}
	}
}
