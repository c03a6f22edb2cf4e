package feed

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// The feeds below are built in code: a hostile feed is 5 MiB of repetition
// that says more as a generator than as a file in testdata.

// fill repeats unit between prefix and suffix until the whole is size bytes.
func fill(prefix, unit, suffix string, size int) []byte {
	n := (size - len(prefix) - len(suffix)) / len(unit)
	return []byte(prefix + strings.Repeat(unit, n) + suffix)
}

// jsonEmptyItems is a 5 MiB JSON Feed whose items are all {}.
func jsonEmptyItems() []byte {
	return fill(`{"version":"https://jsonfeed.org/version/1.1","title":"Hostile","items":[{}`, `,{}`, `]}`, 5<<20)
}

// atomTinyEntries is a 5 MiB Atom feed of about 650,000 empty entries.
func atomTinyEntries() []byte {
	return fill(`<feed xmlns="http://www.w3.org/2005/Atom"><title>Hostile</title>`, `<entry/>`, `</feed>`, 5<<20)
}

// rssFeed is an RSS 2.0 feed of n items titled "Item 1" to "Item n", each
// with extra written inside it.
func rssFeed(n int, extra string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Numbered</title>`)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "<item><title>Item %d</title><link>https://news.example.com/%d</link><guid>g%d</guid>%s</item>\n", i, i, i, extra)
	}
	b.WriteString(`</channel></rss>`)
	return b.Bytes()
}

// rssDescriptions is an RSS 2.0 feed of n items, each with a description
// of about size bytes of HTML.
func rssDescriptions(n, size int) []byte {
	html := strings.Repeat("<p>Epic Games argued that the <b>App Store</b> rules broke the law. </p>", size/72)
	return rssFeed(n, "<description><![CDATA["+html+"]]></description>")
}

func rdfFeed(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://news.example.com/"><title>Numbered</title></channel>`)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "<item rdf:about=\"https://news.example.com/%d\"><title>Item %d</title><link>https://news.example.com/%d</link></item>\n", i, i, i)
	}
	b.WriteString(`</rdf:RDF>`)
	return b.Bytes()
}

func atomFeed(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"><title>Numbered</title>`)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "<entry><id>g%d</id><title>Item %d</title><link href=\"https://news.example.com/%d\"/><media:thumbnail url=\"https://news.example.com/%d.jpg\"/></entry>\n", i, i, i, i)
	}
	b.WriteString(`</feed>`)
	return b.Bytes()
}

// cp1252Feed is an RSS feed in Windows-1252 whose item titles are
// "Crème n": the è is the single byte 0xE8.
func cp1252Feed(n int) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n<rss version=\"2.0\"><channel><title>Caf\xe9 News</title>")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "<item><title>Cr\xe8me %d</title><link>https://news.example.com/%d</link><guid>g%d</guid></item>\n", i, i, i)
	}
	b.WriteString(`</channel></rss>`)
	return b.Bytes()
}

// jsonFeed is a JSON Feed of n items; after is written after the items
// member, before the closing brace.
func jsonFeed(n int, itemsKey, after string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"version":"https://jsonfeed.org/version/1.1",%q:[`, itemsKey)
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"g%d","url":"https://news.example.com/%d","title":"Item %d","tags":["a","b"]}`, i, i, i)
	}
	b.WriteString("]" + after + "}")
	return b.Bytes()
}

func TestCutXML(t *testing.T) {
	// Item 50's title holds a byte that is not UTF-8, where the decoder
	// gives up and the byte scan takes over.
	broken := bytes.Replace(rssFeed(150, ""), []byte("Item 50<"), []byte("Item \xff<"), 1)
	tests := []struct {
		name   string
		body   []byte
		items  int    // <item or <entry start tags kept
		suffix string // how the cut document ends
		whole  bool   // the body comes back untouched
	}{
		{"rss under the cap", rssFeed(99, ""), 99, "</channel></rss>", true},
		{"rss at the cap", rssFeed(100, ""), 100, "</channel></rss>", true},
		{"rss over the cap", rssFeed(101, ""), 100, "</item></channel></rss>", false},
		{"rdf closed with its prefix", rdfFeed(150), 100, "</item></rdf:RDF>", false},
		{"atom", atomFeed(150), 100, "</entry></feed>", false},
		{"atom of empty entries", atomTinyEntries(), 100, "<entry/></feed>", false},
		{"undecodable, cut by bytes", broken, 100, "</guid></item>\n</rss>", false},
		{"undecodable, under the cap", bytes.Replace(rssFeed(100, ""), []byte("Item 50<"), []byte("Item \xff<"), 1), 100, "</channel></rss>", true},
		{"items in a CDATA description do not count", rssFeed(99, "<description><![CDATA[<item>a</item>]]></description>"), 198, "</channel></rss>", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cut(tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if n := bytes.Count(got, []byte("<item>")) + bytes.Count(got, []byte("<item ")) + bytes.Count(got, []byte("<entry")); n != tt.items {
				t.Errorf("%d items kept, want %d", n, tt.items)
			}
			if !bytes.HasSuffix(got, []byte(tt.suffix)) {
				t.Errorf("ends with %q, want %q", got[max(0, len(got)-40):], tt.suffix)
			}
			if whole := bytes.Equal(got, tt.body); whole != tt.whole {
				t.Errorf("body returned whole: %v, want %v", whole, tt.whole)
			}
		})
	}
}

func TestCountTags(t *testing.T) {
	tests := []struct {
		body            string
		elements, items int
	}{
		{`<rss><channel><item>a</item><item/></channel></rss>`, 4, 2},
		{`<feed><atom:entry xml:lang="en"></atom:entry><Entry/><ENTRY/></feed>`, 4, 3},
		{`<rdf:RDF><items><rdf:Seq/></items><itemize/><item	a="1"></item></rdf:RDF>`, 5, 1},
		{`<?xml version="1.0"?><!-- <item> --><![CDATA[<entry>]]></x>`, 2, 2},
		{`<<<item`, 3, 1},
		{`text <`, 0, 0},
	}
	for _, tt := range tests {
		if elements, items := countTags([]byte(tt.body)); elements != tt.elements || items != tt.items {
			t.Errorf("countTags(%q) = %d elements, %d items; want %d, %d", tt.body, elements, items, tt.elements, tt.items)
		}
	}
}

// TestCutXMLRedeclaresItsEncoding checks the cut of a Windows-1252 feed,
// which the decoder read through a converter: the cut is UTF-8 and says so.
func TestCutXMLRedeclaresItsEncoding(t *testing.T) {
	got, err := cut(cp1252Feed(150))
	if err != nil {
		t.Fatal(err)
	}
	const decl = `<?xml version="1.0" encoding="UTF-8"?>`
	if !bytes.HasPrefix(got, []byte(decl)) || !utf8.Valid(got) {
		t.Fatalf("the cut starts %q (valid UTF-8: %v), want %q", got[:50], utf8.Valid(got), decl)
	}
	if !bytes.Contains(got, []byte("<title>Café News</title>")) || !bytes.HasSuffix(got, []byte("<title>Crème 100</title><link>https://news.example.com/100</link><guid>g100</guid></item></channel></rss>")) {
		t.Errorf("the cut is not the converted first 100 items: ends %q", got[len(got)-120:])
	}
}

// TestCutXMLBudget checks the cuts made for documents that spend their
// element or depth budget, before or inside their items.
func TestCutXMLBudget(t *testing.T) {
	const perItem = 300 // elements in each item of the second case
	tests := []struct {
		name  string
		body  []byte
		items int
	}{
		// Every <link/> in the header costs gofeed a Link.
		{"atom header of links", fill(`<feed xmlns="http://www.w3.org/2005/Atom"><title>Hostile</title>`, `<link/>`, `<entry/></feed>`, 5<<20), 0},
		// rss, channel and title come first; an item is perItem elements
		// (item, title, link, guid and categories), and the one that would
		// pass the budget is left out whole.
		{"items of many categories", rssFeed(100, strings.Repeat("<category/>", perItem-4)), (maxElements - 3) / perItem},
		{"deep nesting", fill(`<rss version="2.0"><channel><title>Hostile</title>`, `<a>`, ``, 1<<20), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cut(tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if n := bytes.Count(got, []byte("<item>")) + bytes.Count(got, []byte("<entry")); n != tt.items {
				t.Errorf("%d items kept, want %d", n, tt.items)
			}
			if n := bytes.Count(got, []byte("<")) - bytes.Count(got, []byte("</")); n > maxElements {
				t.Errorf("%d elements kept, want at most %d", n, maxElements)
			}
			if len(got) >= len(tt.body) {
				t.Errorf("kept %d of %d bytes", len(got), len(tt.body))
			}
		})
	}
}

func TestCutJSON(t *testing.T) {
	items := func(n int) string { return strings.Repeat(`{"id":1},`, n-1) + `{"id":1}` }
	tests := []struct {
		name string
		body string
		want string // "" when the body is refused
	}{
		{"members around the items kept as written", `{"version":"v", "items":[` + items(101) + `], "title":"T\u00e9 <b>", "x":{"y":[1.50]}}`,
			`{"version":"v","items":[` + items(100) + `],"title":"T\u00e9 <b>","x":{"y":[1.50]}}`},
		{"every items member cut", `{"items":[` + items(101) + `],"ITEMS":[` + items(150) + `]}`, `{"items":[` + items(100) + `],"ITEMS":[` + items(100) + `]}`},
		{"at the cap, whole", `{"items": [` + items(100) + `] }`, `{"items": [` + items(100) + `] }`},
		{"null items", `{"items":null}`, `{"items":null}`},
		{"items that are not an array", `{"items":{"id":"1"}}`, ""},
		{"data after the object", `{"items":[]} {}`, ""},
		{"a syntax error among the dropped items", `{"items":[` + strings.Repeat(`{},`, 150) + `{]}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cut([]byte(tt.body))
			if tt.want == "" {
				if err == nil {
					t.Fatalf("cut %s, want an error", got)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("cut = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}
