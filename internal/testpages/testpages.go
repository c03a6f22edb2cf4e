// Package testpages gives tests and benchmarks the real article pages in
// ../shared/testdata/readability-pages (130 pages saved from news sites,
// each with the metadata a careful reader extracts). The pages are not part
// of the repository: a test that needs them is skipped with a clear message
// when they are absent.
package testpages

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// Page is one saved page and what it should yield.
type Page struct {
	Name     string
	HTML     []byte
	Expected Expected
}

// Expected is the page's expected-metadata.json.
type Expected struct {
	Title         string  `json:"title"`
	Byline        string  `json:"byline"`
	Excerpt       string  `json:"excerpt"`
	SiteName      string  `json:"siteName"`
	Lang          string  `json:"lang"`
	PublishedTime *string `json:"publishedTime"`
	Readerable    bool    `json:"readerable"`
}

// Published parses the stated date, if any.
func (e Expected) Published() (time.Time, bool) {
	if e.PublishedTime == nil || *e.PublishedTime == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, *e.PublishedTime); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Dir finds the pages folder: $DISPUTEBOT_TESTPAGES, else ../shared beside
// the repository root.
func Dir() (string, bool) {
	if d := os.Getenv("DISPUTEBOT_TESTPAGES"); d != "" {
		return d, true
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			cand := filepath.Join(filepath.Dir(d), "shared", "testdata", "readability-pages")
			if st, err := os.Stat(cand); err == nil && st.IsDir() {
				return cand, true
			}
			return "", false
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// Load reads every page, or skips tb when the folder is absent.
func Load(tb testing.TB) []Page {
	tb.Helper()
	dir, ok := Dir()
	if !ok {
		tb.Skip("real article pages not found: put them at ../shared/testdata/readability-pages or set DISPUTEBOT_TESTPAGES")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatalf("reading %s: %v", dir, err)
	}
	var pages []Page
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		body, err := os.ReadFile(filepath.Join(dir, e.Name(), "source.html"))
		if err != nil {
			continue
		}
		p := Page{Name: e.Name(), HTML: body}
		if meta, err := os.ReadFile(filepath.Join(dir, e.Name(), "expected-metadata.json")); err == nil {
			if err := json.Unmarshal(meta, &p.Expected); err != nil {
				tb.Fatalf("%s: expected-metadata.json: %v", e.Name(), err)
			}
		}
		pages = append(pages, p)
	}
	sort.Slice(pages, func(i, j int) bool { return pages[i].Name < pages[j].Name })
	if len(pages) == 0 {
		tb.Skip("no pages in " + dir)
	}
	return pages
}
