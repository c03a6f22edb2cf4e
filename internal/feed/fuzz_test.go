package feed

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary bytes to the feed parser: no panic, and every
// item it returns has a key and, when it has a link, an http(s) one.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>a</title><link>/x</link></item></channel></rss>`))
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><link href="javascript:alert(1)"/></entry></feed>`))
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","url":"file:///etc/passwd"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := Parse(body, "https://example.com/feed")
		if err != nil {
			return
		}
		for _, it := range p.Items {
			if it.Key == "" {
				t.Fatal("an item without a key")
			}
			if it.Link != "" && !strings.HasPrefix(it.Link, "http://") && !strings.HasPrefix(it.Link, "https://") {
				t.Fatalf("a non-web link %q", it.Link)
			}
		}
	})
}

// FuzzItemDate puts arbitrary text in an item's date: the parser must
// take it or leave it, never panic, and never invent a date from nothing.
func FuzzItemDate(f *testing.F) {
	for _, d := range []string{"Thu, 20 Apr 2023 09:15:00 +0200", "2023-04-20T09:15:00Z", "20/04/2023", "yesterday", "", "Mon, 99 Foo 2023 99:99:99 +9999", "0000-00-00"} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, date string) {
		if !utf8.ValidString(date) || strings.ContainsAny(date, "<>&") {
			return
		}
		body := `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>a</title><link>https://example.com/a</link><pubDate>` + date + `</pubDate></item></channel></rss>`
		p, err := Parse([]byte(body), "https://example.com/feed")
		if err != nil {
			return
		}
		if strings.TrimSpace(date) == "" && len(p.Items) == 1 && !p.Items[0].Published.IsZero() {
			t.Fatalf("a date invented from an empty pubDate: %v", p.Items[0].Published)
		}
	})
}
