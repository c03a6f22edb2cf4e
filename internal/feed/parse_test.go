package feed

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
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
