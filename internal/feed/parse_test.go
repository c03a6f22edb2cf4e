package feed

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	tests := []struct {
		file      string
		title     string
		items     int
		firstKey  string
		firstLink string
		firstDate time.Time
	}{
		{"rss.xml", "Example & Tech", 2, "guid:item-1", "https://news.example.com/2023/04/20/musk-microsoft", time.Date(2023, 4, 20, 7, 15, 0, 0, time.UTC)},
		{"atom.xml", "Atom Example", 1, "guid:tag:example.com,2023:epic", "https://news.example.com/epic", time.Date(2023, 12, 11, 22, 0, 0, 0, time.UTC)},
		{"feed.json", "JSON Example", 1, "guid:j1", "https://news.example.com/j1", time.Date(2023, 9, 26, 14, 0, 0, 0, time.UTC)},
		{"cp1252.xml", "Café News", 1, "guid:c1", "https://news.example.com/creme", time.Time{}},
		{"rdf.xml", "RDF Example", 1, "link:https://news.example.com/r1", "https://news.example.com/r1", time.Date(2020, 10, 7, 15, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			p, err := Parse(body, "https://news.example.com/feed")
			if err != nil {
				t.Fatal(err)
			}
			if p.Title != tt.title || len(p.Items) != tt.items {
				t.Fatalf("title %q with %d items", p.Title, len(p.Items))
			}
			it := p.Items[0]
			if it.Key != tt.firstKey || it.Link != tt.firstLink {
				t.Errorf("first item key %q link %q", it.Key, it.Link)
			}
			date := it.Published
			if date.IsZero() {
				date = it.Updated
			}
			if !date.Equal(tt.firstDate) {
				t.Errorf("first item dated %v, want %v", date, tt.firstDate)
			}
		})
	}
}

func TestParseRSSDetails(t *testing.T) {
	body, _ := os.ReadFile("testdata/rss.xml")
	p, _ := Parse(body, "https://news.example.com/feed")
	if p.Items[0].Summary != "Elon Musk said lawsuit time." {
		t.Errorf("summary = %q, want the HTML stripped", p.Items[0].Summary)
	}
	if p.Items[1].Key != "link:https://news.example.com/no-guid" {
		t.Errorf("an item without a GUID is keyed %q", p.Items[1].Key)
	}
}

func TestParseRefusesWhatIsNotAFeed(t *testing.T) {
	page, _ := os.ReadFile("testdata/error-page.html")
	for name, body := range map[string][]byte{"html error page": page, "empty": nil, "json object": []byte(`{"error": "nope"}`), "binary": {0x89, 'P', 'N', 'G', 0, 1, 2}} {
		if _, err := Parse(body, "https://x.example/"); !errors.Is(err, ErrNotFeed) {
			t.Errorf("%s: err = %v, want ErrNotFeed", name, err)
		}
	}
}

// TestParseCapsItems checks that a feed gives its first maxItems items, in
// every format, at the cap and past it.
func TestParseCapsItems(t *testing.T) {
	tests := []struct {
		name      string
		body      []byte
		title     string
		items     int
		lastTitle string
	}{
		{"rss at the cap", rssFeed(100, ""), "Numbered", 100, "Item 100"},
		{"rss one past the cap", rssFeed(101, ""), "Numbered", 100, "Item 100"},
		{"rss of 150", rssFeed(150, ""), "Numbered", 100, "Item 100"},
		{"rdf of 150", rdfFeed(150), "Numbered", 100, "Item 100"},
		{"atom of 101", atomFeed(101), "Numbered", 100, "Item 100"},
		{"windows-1252 of 150", cp1252Feed(150), "Café News", 100, "Crème 100"},
		{"json of 101", jsonFeed(101, "items", `,"title":"Numbered"`), "Numbered", 100, "Item 100"},
		{"json with its title after 150 items", jsonFeed(150, "items", `,"title":"Numbered","home_page_url":"https://news.example.com/"`), "Numbered", 100, "Item 100"},
		// encoding/json, under gofeed, reads "Items" as items too.
		{"json items under another case", jsonFeed(150, "Items", `,"title":"Numbered"`), "Numbered", 100, "Item 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.body, "https://news.example.com/feed")
			if err != nil {
				t.Fatal(err)
			}
			if p.Title != tt.title || len(p.Items) != tt.items {
				t.Fatalf("title %q with %d items, want %q with %d", p.Title, len(p.Items), tt.title, tt.items)
			}
			for i, it := range p.Items {
				n := i + 1
				if !strings.HasSuffix(it.Title, fmt.Sprint(" ", n)) || it.Link != fmt.Sprint("https://news.example.com/", n) {
					t.Fatalf("item %d is %q at %q", n, it.Title, it.Link)
				}
			}
			if last := p.Items[len(p.Items)-1]; last.Title != tt.lastTitle {
				t.Errorf("last item %q, want %q", last.Title, tt.lastTitle)
			}
		})
	}
}

// TestParseHostile parses 5 MiB feeds built to make a parser allocate: it
// must keep its first items and allocate at most 8 times the body in all.
// TotalAlloc counts every byte allocated, freed or not, so it bounds the
// peak heap and does not depend on when the collector runs. The bound is
// generous for the floods of items, which allocate 0.2 MB once cut, and
// leaves some room for the floods of header elements, which maxElements
// holds to about 25 MB; gofeed given any of these whole allocates 120 to
// 260 times the body.
func TestParseHostile(t *testing.T) {
	tests := []struct {
		name  string
		body  []byte
		items int
	}{
		{"json of empty items", jsonEmptyItems(), 100},
		{"atom of 650k empty entries", atomTinyEntries(), 100},
		{"atom header of 750k links", fill(`<feed xmlns="http://www.w3.org/2005/Atom"><title>Hostile</title>`, `<link/>`, `<entry/></feed>`, 5<<20), 0},
		{"rss header of 800k extension elements", fill(`<rss version="2.0" xmlns:x="urn:x"><channel><title>Hostile</title>`, `<x:y/>`, `<item/></channel></rss>`, 5<<20), 0},
		{"rss nested 1.7M deep", fill(`<rss version="2.0"><channel><title>Hostile</title>`, `<a>`, ``, 5<<20), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			p, err := Parse(tt.body, "https://news.example.com/feed")
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			if p.Title != "Hostile" || len(p.Items) != tt.items {
				t.Errorf("title %q with %d items, want %d", p.Title, len(p.Items), tt.items)
			}
			if alloc, limit := after.TotalAlloc-before.TotalAlloc, 8*uint64(len(tt.body)); alloc > limit {
				t.Errorf("allocated %.1f MB parsing %.1f MB, want at most %.1f MB", float64(alloc)/1e6, float64(len(tt.body))/1e6, float64(limit)/1e6)
			}
		})
	}
}

// TestParseBoundsFields checks the length of every field a feed writes
// into the store, either side of each bound.
func TestParseBoundsFields(t *testing.T) {
	hash := func(key string) string {
		h := sha256.Sum256([]byte(key))
		return "hash:" + hex.EncodeToString(h[:])
	}
	long := func(n int) string { return strings.Repeat("é", n) } // two bytes a character
	link := func(n int) string {
		return "https://news.example.com/" + strings.Repeat("a", n-len("https://news.example.com/"))
	}
	guid := strings.Repeat("g", 1<<20)
	tests := []struct {
		name string
		item string // inside <item>
		want Item
	}{
		{"a 1 MB GUID", "<guid>" + guid + "</guid>", Item{Key: hash("guid:" + guid)}},
		{"a key of 512 bytes", "<guid>" + strings.Repeat("g", 507) + "</guid>", Item{Key: "guid:" + strings.Repeat("g", 507)}},
		{"a key of 513 bytes", "<guid>" + strings.Repeat("g", 508) + "</guid>", Item{Key: hash("guid:" + strings.Repeat("g", 508))}},
		{"a long title", "<guid>1</guid><title>" + long(100_000) + "</title>", Item{Key: "guid:1", Title: long(300)}},
		{"a title at the bound", "<guid>1</guid><title>" + long(300) + "</title>", Item{Key: "guid:1", Title: long(300)}},
		{"a long description", "<guid>1</guid><description>&lt;p&gt;" + long(100_000) + "&lt;/p&gt;</description>", Item{Key: "guid:1", Summary: long(2000)}},
		{"a link of 2,048 bytes", "<link>" + link(2048) + "</link>", Item{Key: hash("link:" + link(2048)), Link: link(2048)}},
		{"a link of 2,049 bytes, still the key", "<link>" + link(2049) + "</link>", Item{Key: hash("link:" + link(2049))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `<rss version="2.0"><channel><title>` + long(1000) + `</title><item>` + tt.item + `</item></channel></rss>`
			p, err := Parse([]byte(body), "https://news.example.com/feed")
			if err != nil {
				t.Fatal(err)
			}
			if p.Title != long(200) {
				t.Errorf("feed title of %d characters, want 200", utf8.RuneCountInString(p.Title))
			}
			got := p.Items[0]
			got.Published, got.Updated = time.Time{}, time.Time{}
			if got != tt.want {
				t.Errorf("item has key %.80q (%d bytes), link of %d bytes, title of %d characters, summary of %d characters;\nwant key %.80q, link of %d bytes, title of %d, summary of %d",
					got.Key, len(got.Key), len(got.Link), utf8.RuneCountInString(got.Title), utf8.RuneCountInString(got.Summary),
					tt.want.Key, len(tt.want.Link), utf8.RuneCountInString(tt.want.Title), utf8.RuneCountInString(tt.want.Summary))
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "abc"},
		{"ééé", 2, "éé"},
		{"a\xffb", 2, "a\uFFFD"},
		{"", 3, ""},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
