package extract

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// TestParseDate covers the ways pages write a date, carried in a <meta>
// value or an element's text. Each wanted instant is in UTC; "" means no
// date.
func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"ISO date", "2024-03-03", "2024-03-03T00:00:00Z"},
		{"ISO with zone", "2015-03-10T08:05:41-07:00", "2015-03-10T15:05:41Z"},
		{"ISO with milliseconds", "2019-10-18T17:23:34.816Z", "2019-10-18T17:23:34Z"},
		{"ISO without zone is UTC", "2015-04-28T11:54:11", "2015-04-28T11:54:11Z"},
		{"ISO with a space and a numeric zone", "2015-07-10 09:53:00 -0400", "2015-07-10T13:53:00Z"},
		{"compact", "20170113", "2017-01-13T00:00:00Z"},
		{"year first with slashes", "2024/03/03 10:28", "2024-03-03T10:28:00Z"},
		{"year first with dots", "2024.03.05", "2024-03-05T00:00:00Z"},
		{"RFC 1123", "Mon, 04 Mar 2024 10:00:00 GMT", "2024-03-04T10:00:00Z"},
		{"RFC 1123 numeric zone", "Thu, 20 Apr 2023 09:15:00 -0400", "2023-04-20T13:15:00Z"},
		{"RFC 822 two-digit year", "Sun, 03 Mar 24 10:00 GMT", "2024-03-03T10:00:00Z"},
		{"month day year", "March 3, 2024", "2024-03-03T00:00:00Z"},
		{"abbreviated month with a dot", "Mar. 3, 2024", "2024-03-03T00:00:00Z"},
		{"Sept. and an ordinal", "Sept. 21st, 2023", "2023-09-21T00:00:00Z"},
		{"day month year", "3 March 2024", "2024-03-03T00:00:00Z"},
		{"day of month year", "3rd of March 2024", "2024-03-03T00:00:00Z"},
		{"slashes are month first", "03/04/2024", "2024-03-04T00:00:00Z"},
		{"slashes with a day above 12", "13/04/2024", "2024-04-13T00:00:00Z"},
		{"slashes with a two-digit year and am", "3/09/15 8:00am", "2015-03-09T08:00:00Z"},
		{"dots are day first", "04.05.2015 à 13h36", "2015-05-04T13:36:00Z"},
		{"pm and a zone name", "January 18, 2017 11:00 PM PST", "2017-01-19T07:00:00Z"},
		{"a.m. after at", "April 21, 2015, at 11:29 a.m.", "2015-04-21T11:29:00Z"},
		{"12 pm is noon", "May 1, 2020 12:30 pm UTC", "2020-05-01T12:30:00Z"},
		{"dotted time with a zone", "Thu 3 Jan 2019 02.00 EST", "2019-01-03T07:00:00Z"},
		{"dotted number without a zone is no time", "3 Jan 2019 10.50", "2019-01-03T00:00:00Z"},
		{"UTC offset", "2020-12-18 09:00 UTC+1", "2020-12-18T08:00:00Z"},
		{"no such day", "2023-02-30", ""},
		{"no such month", "2023-13-01", ""},
		{"1970 is implausible", "1970-01-01T00:00:00Z", ""},
		{"2099 is implausible", "2099-01-01", ""},
		{"a year alone", "2019", ""},
		{"a unix timestamp", "1681982100", ""},
		{"a version number", "version 1.2.3", ""},
		{"a month and year", "March 2024", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseDate(tc.in)
			if s := format(got, ok); s != tc.want {
				t.Errorf("parseDate(%q) = %s, want %s", tc.in, s, tc.want)
			}
		})
	}
}

// TestFindDate covers each place a page states its publication date, the
// order they are tried in, and what is no publication date.
func TestFindDate(t *testing.T) {
	const noURL = "https://news.example.org/story"
	for _, tc := range []struct {
		name, url, head, body, want string
	}{
		{name: "address with slashes", url: "https://news.example.org/2023/04/20/story",
			want: "2023-04-20T00:00:00Z"},
		{name: "address with dashes", url: "https://news.example.org/news/2023-04-20-story",
			want: "2023-04-20T00:00:00Z"},
		{name: "address with a year and month dates nothing", url: "https://news.example.org/2023/04/story"},
		{name: "address without separators dates nothing", url: "https://news.example.org/20230420/story"},
		{name: "address comes before metadata", url: "https://news.example.org/2023/04/20/story",
			head: `<meta property="article:published_time" content="2023-04-21T09:00:00Z">`,
			want: "2023-04-20T00:00:00Z"},
		{name: "meta property", head: `<meta property="article:published_time" content="2023-04-20T09:15:00+02:00">`,
			want: "2023-04-20T07:15:00Z"},
		{name: "meta name, compact", head: `<meta name="pdate" content="20170113">`,
			want: "2017-01-13T00:00:00Z"},
		{name: "meta name, Dublin Core in capitals", head: `<meta name="DC.date.issued" content="2023-04-20">`,
			want: "2023-04-20T00:00:00Z"},
		{name: "meta name, RFC 1123", head: `<meta name="sailthru.date" content="Thu, 20 Apr 2023 09:15:00 -0400">`,
			want: "2023-04-20T13:15:00Z"},
		{name: "meta name, American order", head: `<meta name="publish_date" content="05/08/2014 07:01:00">`,
			want: "2014-05-08T07:01:00Z"},
		{name: "meta itemprop", body: `<meta itemprop="datePublished" content="2023-04-20">`,
			want: "2023-04-20T00:00:00Z"},
		{name: "meta http-equiv", head: `<meta http-equiv="date" content="2023-04-20">`,
			want: "2023-04-20T00:00:00Z"},
		{name: "unknown meta names date nothing", head: `<meta name="build" content="2023-04-20">`},
		{name: "first meta wins", head: `<meta name="date" content="2023-04-20"><meta name="pubdate" content="2023-04-22">`,
			want: "2023-04-20T00:00:00Z"},
		{name: "implausible meta is skipped", head: `<meta name="date" content="2099-01-01"><meta name="pubdate" content="2023-04-22">`,
			want: "2023-04-22T00:00:00Z"},
		{name: "modified meta only", head: `<meta property="article:modified_time" content="May 1, 2023">`,
			want: "2023-05-01T00:00:00Z"},
		{name: "JSON-LD comes before a modified meta",
			head: `<meta property="article:modified_time" content="2025-01-07T09:08:22Z"><script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2020-07-10T14:15:42+00:00"}</script>`,
			want: "2020-07-10T14:15:42Z"},
		{name: "JSON-LD in an @graph",
			head: `<script type="application/ld+json">{"@graph":[{"@type":"WebPage"},{"@type":"Article","datePublished": "2023-04-20T09:15:00Z"}]}</script>`,
			want: "2023-04-20T09:15:00Z"},
		{name: "JSON-LD dateCreated",
			head: `<script type="application/ld+json">{"@type":"Article","dateCreated":"2023-04-20"}</script>`,
			want: "2023-04-20T00:00:00Z"},
		{name: "JSON-LD datePublished before dateCreated",
			head: `<script type="application/ld+json">{"dateCreated":"2023-04-19","datePublished":"2023-04-20"}</script>`,
			want: "2023-04-20T00:00:00Z"},
		{name: "meta before JSON-LD",
			head: `<meta name="date" content="2023-04-18"><script type="application/ld+json">{"datePublished":"2023-04-20"}</script>`,
			want: "2023-04-18T00:00:00Z"},
		{name: "abbr published title", body: `<abbr class="published" title="2023-04-20T09:15:00Z">April 20</abbr>`,
			want: "2023-04-20T09:15:00Z"},
		{name: "abbr data-utime", body: `<abbr data-utime="1681982100">Thursday</abbr>`,
			want: "2023-04-20T09:15:00Z"},
		{name: "byline with time and zone", body: `<div class="byline">By Jane Doe March 3, 2024 at 10:15 a.m. EST</div>`,
			want: "2024-03-03T15:15:00Z"},
		{name: "post-date", body: `<div class="post-date">3 March 2024</div>`,
			want: "2024-03-03T00:00:00Z"},
		{name: "entry-date span", body: `<span class="entry-date">Mar. 3, 2024</span>`,
			want: "2024-03-03T00:00:00Z"},
		{name: "timestamp id", body: `<p id="timestamp">2024/03/03 10:28</p>`,
			want: "2024-03-03T10:28:00Z"},
		{name: "published class, day first with dots", body: `<span class="published">20.04.2023 à 13h36</span>`,
			want: "2023-04-20T13:36:00Z"},
		{name: "itemprop on a span", body: `<span itemprop="datePublished">April 20, 2023</span>`,
			want: "2023-04-20T00:00:00Z"},
		{name: "footer", body: `<p>Text.</p><footer>Posted 2023-04-20 by the desk</footer>`,
			want: "2023-04-20T00:00:00Z"},
		{name: "date past an element's first 52 characters is a mention",
			body: `<div class="article-info">Elon Musk and Microsoft argued again about data and money on 3 March 2024</div>`},
		{name: "hidden media inside a marked element", body: `<span class="date"><video>March 3, 2024</video></span>`},
		{name: "title", head: `<title>LWN.net Weekly Edition for March 26, 2015</title>`,
			want: "2015-03-26T00:00:00Z"},
		{name: "marked element before title", head: `<title>Edition of March 26, 2015</title>`,
			body: `<span class="date">March 27, 2015</span>`, want: "2015-03-27T00:00:00Z"},
		{name: "time pubdate wins over an earlier time", body: `<time datetime="2023-04-18T00:00:00Z">x</time><time pubdate datetime="2023-04-20T09:15:00Z">x</time>`,
			want: "2023-04-20T09:15:00Z"},
		{name: "time itemprop wins", body: `<time datetime="2023-04-18T00:00:00Z">x</time><time itemprop="datePublished" datetime="2023-04-20T09:15:00Z">x</time>`,
			want: "2023-04-20T09:15:00Z"},
		{name: "else the earliest time", body: `<time datetime="2023-04-21T10:00:00Z">x</time><time datetime="2023-04-20T09:15:00Z">x</time>`,
			want: "2023-04-20T09:15:00Z"},
		{name: "time text", body: `<time>April 20, 2023</time>`,
			want: "2023-04-20T00:00:00Z"},
		{name: "implausible time only", body: `<time datetime="2099-01-01T00:00:00Z">x</time>`},
		{name: "timestamp in a script", body: `<script>var page = {"pub": "2023-04-20 09:15:00"};</script>`,
			want: "2023-04-20T09:15:00Z"},
		{name: "og:image address", head: `<meta property="og:image" content="https://img.example.org/2015/02/26/photo.jpg">`,
			want: "2015-02-26T00:00:00Z"},
		{name: "labelled numeric date in the text", body: `<p>Posted on 20.04.2023 by the desk</p>`,
			want: "2023-04-20T00:00:00Z"},
		{name: "German label in the text", body: `<p>Stand: 20.04.2023</p>`,
			want: "2023-04-20T00:00:00Z"},
		{name: "labelled American order in the text", body: `<p>It was posted on 4/20/23 by the desk.</p>`,
			want: "2023-04-20T00:00:00Z"},
		{name: "unlabelled numeric date in the text is none", body: `<p>The index stood at 20.04.2023 points, a record.</p>`},
		{name: "date only in the body text is none",
			body: `<p>The long quarrel between Elon Musk and Microsoft took another turn this week.</p><p>Microsoft admitted on 3 March 2019 that it took Twitter data, Musk said.</p><h2>What next</h2><p>The hearing is set for April 20, 2023.</p>`},
		{name: "1970 in metadata is none", head: `<meta property="article:published_time" content="1970-01-01T00:00:00Z">`},
		{name: "2099 in metadata is none", head: `<meta property="article:published_time" content="2099-01-01T00:00:00Z">`},
		{name: "1970 in the address is none", url: "https://news.example.org/1970/01/01/story"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := tc.url
			if url == "" {
				url = noURL
			}
			page := "<html><head>" + tc.head + "</head><body><p>Musk and Microsoft argued.</p>" + tc.body + "</body></html>"
			doc, err := html.Parse(strings.NewReader(page))
			if err != nil {
				t.Fatal(err)
			}
			got := findDate(doc, url)
			if s := format(got, !got.IsZero()); s != tc.want {
				t.Errorf("findDate = %s, want %s", s, tc.want)
			}
		})
	}
}

// TestFindDateUsesCanonicalAddress: a page ingested without its address
// is dated from the address it declares, as go-htmldate does.
func TestFindDateUsesCanonicalAddress(t *testing.T) {
	doc, err := html.Parse(strings.NewReader(`<html><head><link rel="canonical" href="https://news.example.org/2023/04/20/story"></head><body><p>Text.</p></body></html>`))
	if err != nil {
		t.Fatal(err)
	}
	if got := findDate(doc, ""); !got.Equal(time.Date(2023, 4, 20, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("findDate = %v, want 2023-04-20", got)
	}
}

func format(t time.Time, ok bool) string {
	if !ok {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// FuzzParseDate: whatever the text, parseDate must not panic, and a date
// it returns must be plausible.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"Thu 3 Jan 2019 02.00 EST", "3/09/15 8:00am", "2015-03-10T08:05:41-07:00", "ſept 3, 2024", "12:99 pm UTC+99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, ok := parseDate(s); ok && !plausible(got) {
			t.Fatalf("parseDate(%q) = %v, implausible", s, got)
		}
		if got, ok := leadingDate(s); ok && !plausible(got) {
			t.Fatalf("leadingDate(%q) = %v, implausible", s, got)
		}
	})
}
