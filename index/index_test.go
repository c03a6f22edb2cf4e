package index

import (
	"context"
	"encoding/json"
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
			for _, from := range []uint64{windowsFrom, 0} {
				x.windowsFrom = from
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
