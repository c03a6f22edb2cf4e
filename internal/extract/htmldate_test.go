package extract

import (
	"bytes"
	"testing"
	"time"

	htmldate "github.com/markusmobius/go-htmldate"
	"golang.org/x/net/html"

	"github.com/disputebot/disputebot/internal/testpages"
)

// htmldateFastMode is how Extract called go-htmldate before findDate
// replaced it. go-htmldate is imported only here, so it links into this
// test binary and not into disputebot.
func htmldateFastMode(doc *html.Node, pageURL string) time.Time {
	opts := htmldate.Options{UseOriginalDate: true, URL: pageURL, SkipExtensiveSearch: true, ExtractTime: true}
	res, err := htmldate.FromDocument(doc, opts)
	if err != nil || res.IsZero() || !plausible(res.DateTime) {
		return time.Time{}
	}
	return res.DateTime.UTC()
}

// htmldateWrong are the real pages where findDate departs from go-htmldate
// on purpose, with the day findDate must find and the page's own evidence
// for it. Each is one of go-htmldate's fast-mode quirks: it reads
// "05/08/2014" day first, cannot read "05/29/2007" at all, drops any value
// with milliseconds or ".net" in it, and returns a <meta> modified date
// before JSON-LD's datePublished.
var htmldateWrong = map[string]struct{ day, why string }{
	"ehow-1": {"2007-05-29", `<meta name="publishdate" content="05/29/2007 09:49:00">; go-htmldate cannot read it ` +
		`and takes the first timestamp in the source, a 2015 "cme_last_updated"`},
	"ehow-2": {"2014-05-08", `<meta name="publish_date" content="05/08/2014 07:01:00">, American order: ` +
		`the page's script says "2014-05-08T16:40:56"; go-htmldate reads 5 August`},
	"lifehacker-post-comment-load": {"2015-03-09", `"3/09/15 8:00am" in the byline, American order: ` +
		`data-publishtime="1425913200851" is 9 March 2015; go-htmldate reads 3 September`},
	"lifehacker-working": {"2015-03-09", `the same byline as lifehacker-post-comment-load`},
	"lwn-1": {"2015-03-26", `<title>LWN.net Weekly Edition for March 26, 2015</title>; ` +
		`go-htmldate drops the title for ".net" and finds nothing`},
	"medium-3": {"2015-12-11", `article:published_time "2015-12-11T14:28:34.438Z", dropped by go-htmldate ` +
		`for its milliseconds; it takes the JSON-LD 2015-10-15, which readability reads first in Extract anyway`},
	"msn": {"2016-11-15", `<time datetime="2016-11-15T07:00:00.000Z"> beside the author's name, dropped by ` +
		`go-htmldate for its milliseconds; it takes a server timestamp 2016-11-09 from <head data-info>`},
	"spiceworks": {"2020-07-10", `JSON-LD datePublished 2020-07-10, the date the page states; ` +
		`go-htmldate returns article:modified_time 2025-01-07 first`},
}

// TestFindDateAgreesWithHtmldate runs go-htmldate's fast mode and findDate
// on every real page. Where go-htmldate finds a date, findDate must find
// one within a day of it; where it finds none, findDate must find none;
// the pages in htmldateWrong must instead get the day listed there.
func TestFindDateAgreesWithHtmldate(t *testing.T) {
	pages := testpages.Load(t)
	var theirs, ours, agree, bothNone, departures int
	var missed, extra []string
	for _, p := range pages {
		utf := Decode(p.HTML, "text/html")
		pageURL := "https://example.org/" + p.Name + "/"
		d1, err1 := html.Parse(bytes.NewReader(utf))
		d2, err2 := html.Parse(bytes.NewReader(utf))
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", p.Name, err1, err2)
		}
		want, got := htmldateFastMode(d1, pageURL), findDate(d2, pageURL)
		if !want.IsZero() {
			theirs++
		}
		if !got.IsZero() {
			ours++
		}
		if w, ok := htmldateWrong[p.Name]; ok {
			departures++
			if day := got.Format(time.DateOnly); day != w.day {
				t.Errorf("%s: findDate %v, want %s: %s", p.Name, got, w.day, w.why)
			}
			t.Logf("%s: findDate %v, go-htmldate %v: %s", p.Name, got, want, w.why)
			continue
		}
		switch {
		case want.IsZero() && got.IsZero():
			bothNone++
		case !want.IsZero() && !got.IsZero() && within(got, want, 24*time.Hour):
			agree++
		case want.IsZero():
			extra = append(extra, p.Name)
			t.Errorf("%s: findDate %v where go-htmldate finds none", p.Name, got)
		default:
			missed = append(missed, p.Name)
			t.Errorf("%s: findDate %v, go-htmldate %v", p.Name, got, want)
		}
	}
	t.Logf("pages %d: go-htmldate dates %d, findDate dates %d; agree within a day %d, both none %d, "+
		"listed departures %d, other disagreements %d %v, other dates go-htmldate lacks %d %v",
		len(pages), theirs, ours, agree, bothNone, departures, len(missed), missed, len(extra), extra)
	if departures != len(htmldateWrong) {
		t.Errorf("%d pages of htmldateWrong were not among the test pages", len(htmldateWrong)-departures)
	}
}

func within(a, b time.Time, d time.Duration) bool {
	diff := a.Sub(b)
	return diff <= d && diff >= -d
}
