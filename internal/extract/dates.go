package extract

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// findDate returns a page's original publication date, or the zero time.
// It looks where go-htmldate's fast mode looks, in the same order, and
// stops at the first plausible date:
//
//  1. the page's address (/2023/04/20/);
//  2. <meta> tags naming a publication date;
//  3. JSON-LD datePublished, then dateCreated;
//  4. <abbr class="published">;
//  5. elements whose tag and class, id or itemprop mark a date ("date",
//     "byline", "meta", "time", "publish", a <footer>, a <small>), read from
//     the start of their text;
//  6. the <title> and <h1>;
//  7. <time> elements: one marked as the publication date, else the earliest;
//  8. a "2023-04-20 09:15:00" timestamp in the page's source;
//  9. the address of the og:image;
//  10. a numeric date right after "published", "posted", "updated", "on"
//     or "date" in the page's source;
//  11. a <meta> modified date: the page was published no later.
//
// It never takes the likeliest date mentioned anywhere in the text (the
// extensive search go-htmldate can also do): a page about a 2019 ruling
// would be dated 2019, and whoever writes a page chooses what its text
// says.
//
// Where it departs from go-htmldate, on purpose: "4/20/2023" with slashes
// is month first, as American pages write it (go-htmldate reads it day
// first, and cannot read "4/29/2023" at all); values with milliseconds or
// ".net" in them are read (go-htmldate drops them); a bare pubdate
// attribute counts; and a modified date comes last, where go-htmldate
// takes it before the JSON-LD. TestFindDateAgreesWithHtmldate lists the
// real pages where this shows.
//
// It replaces go-htmldate because that library links go-dateparser, whose
// package initialisation costs every disputebot process 0.3 s of CPU and
// 95 MB of memory even when no page is read; its fast mode never called
// go-dateparser anyway. Extract still labels what it finds "htmldate":
// stored articles and the bot's explanations use that name.
func findDate(doc *html.Node, pageURL string) time.Time {
	p := scanDates(doc)
	if pageURL == "" {
		pageURL = p.canonical
	}
	steps := []func() (time.Time, bool){
		func() (time.Time, bool) { return urlDate(pageURL) },
		p.metaDate,
		p.jsonLDDate,
		p.abbrDate,
		func() (time.Time, bool) { return firstTextDate(p.marked) },
		func() (time.Time, bool) { return firstTextDate(p.headings) },
		p.timeDate,
		func() (time.Time, bool) { return timestampDate(p.source()) },
		p.imageDate,
		func() (time.Time, bool) { return labelledDate(p.source()) },
		func() (time.Time, bool) { return p.modified, !p.modified.IsZero() },
	}
	for _, step := range steps {
		if t, ok := step(); ok {
			return t.UTC()
		}
	}
	return time.Time{}
}

// maxCandidates is go-htmldate's limit: a page with this many elements of
// one kind uses them for layout, not to state a date, and they are skipped.
const maxCandidates = 1000

// datePage holds the elements of a page that may state its date,
// gathered in one walk.
type datePage struct {
	doc       *html.Node
	canonical string
	metas     []*html.Node
	scripts   []*html.Node // JSON-LD
	abbrs     []*html.Node
	marked    []*html.Node // elements whose tag and attributes mark a date
	headings  []*html.Node // <title> and <h1>
	times     []*html.Node
	modified  time.Time // a <meta> modified date, set by metaDate
	rendered  *string
}

// hiddenTags are subtrees go-htmldate drops before reading elements:
// embedded media and widgets, whose text is no statement by the page.
var hiddenTags = map[string]bool{
	"object": true, "embed": true, "applet": true, "frame": true, "frameset": true, "noframes": true,
	"iframe": true, "label": true, "map": true, "math": true, "audio": true, "canvas": true,
	"datalist": true, "picture": true, "rdf": true, "svg": true, "track": true, "video": true,
}

func scanDates(doc *html.Node) *datePage {
	p := &datePage{doc: doc}
	var walk func(n *html.Node, hidden bool)
	walk = func(n *html.Node, hidden bool) {
		if n.Type == html.ElementNode {
			hidden = hidden || hiddenTags[n.Data]
			switch n.Data {
			case "meta":
				p.metas = append(p.metas, n)
			case "link":
				if p.canonical == "" && strings.EqualFold(attr(n, "rel"), "canonical") {
					p.canonical = strings.TrimSpace(attr(n, "href"))
				}
			case "script":
				if t := attr(n, "type"); t == "application/ld+json" || t == "application/settings+json" {
					p.scripts = append(p.scripts, n)
				}
			case "abbr":
				p.abbrs = append(p.abbrs, n)
			}
			if !hidden {
				if marksDate(n) {
					p.marked = append(p.marked, n)
				}
				switch n.Data {
				case "title", "h1":
					p.headings = append(p.headings, n)
				case "time":
					p.times = append(p.times, n)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, hidden)
		}
	}
	walk(doc, false)
	return p
}

// marksDate is go-htmldate's fast date selector: every <footer> and
// <small>, and the block and inline elements whose class, id or itemprop
// names a date, a time, a byline or the page's metadata.
func marksDate(n *html.Node) bool {
	switch n.Data {
	case "footer", "small":
		return true
	case "div", "h2", "h3", "h4", "li", "p", "span", "time", "ul":
	default:
		return false
	}
	id, class, itemprop := attr(n, "id"), attr(n, "class"), attr(n, "itemprop")
	for _, v := range []string{id, class, itemprop} {
		v = strings.ReplaceAll(v, "D", "d")
		if strings.Contains(v, "date") || strings.Contains(v, "datum") {
			return true
		}
	}
	for _, v := range []string{id, class} {
		if strings.Contains(strings.ReplaceAll(v, "M", "m"), "meta") ||
			strings.Contains(v, "time") || strings.Contains(v, "publish") || strings.Contains(v, "footer") {
			return true
		}
	}
	for _, hint := range []string{"info", "post_detail", "block-content", "byline", "subline", "posted",
		"submitted", "created-post", "publication", "author", "autor", "field-content", "fa-clock-o",
		"fa-calendar", "fecha", "parution"} {
		if strings.Contains(class, hint) {
			return true
		}
	}
	return strings.Contains(id, "footer-info-lastmod")
}

// publishedMeta are the <meta> names and properties that state when a page
// was first published (go-htmldate's list).
var publishedMeta = setOf(
	"analyticsattributes.articledate", "article.created", "article_date_original", "article:post_date",
	"article.published", "article:published", "article:published_date", "article:published_time",
	"article:publicationdate", "bt:pubdate", "citation_date", "citation_publication_date",
	"content_create_date", "created", "cxenseparse:recs:publishtime", "date", "date_created",
	"date_published", "datecreated", "dateposted", "datepublished", "dc.date", "dc.created",
	"dc.date.created", "dc.date.issued", "dc.date.publication", "dcsext.articlefirstpublished",
	"dcterms.created", "dcterms.date", "dcterms.issued", "dc:created", "dc:date", "displaydate",
	"doc_date", "field-name-post-date", "gentime", "mediator_published_time", "meta",
	"og:article:published", "og:article:published_time", "og:datepublished", "og:pubdate",
	"og:publish_date", "og:published_time", "og:question:published_time", "og:regdate",
	"originalpublicationdate", "parsely-pub-date", "pdate", "ptime", "pubdate", "publishdate",
	"publish_date", "publish_time", "publish-date", "published-date", "published_date",
	"published_time", "publisheddate", "publication_date", "rbpubdate", "release_date",
	"rnews:datepublished", "sailthru.date", "shareaholic:article_published_time", "timestamp",
	"twt-published-at", "video:release_date", "vr:published_time")

// modifiedMeta are the <meta> names and properties that state when a page
// last changed: a page was published no later than that.
var modifiedMeta = setOf(
	"lastdate", "lastmod", "lastmodified", "last-modified", "modified", "utime",
	"article:modified", "article:modified_date", "article:modified_time", "article:post_modified",
	"bt:moddate", "datemodified", "dc.modified", "dcterms.modified", "modified_time",
	"modificationdate", "og:article:modified_time", "og:modified_time", "og:updated_time",
	"revision_date", "updated_time")

// metaDate reads the <meta> tags in go-htmldate's way: the first that
// names a publication date and holds one wins; failing that, a date in the
// og:url. A modified date is kept aside for when nothing else is found.
func (p *datePage) metaDate() (time.Time, bool) {
	var urlReserve time.Time
	for _, m := range p.metas {
		content := strings.TrimSpace(attr(m, "content"))
		datetime := strings.TrimSpace(attr(m, "datetime"))
		if content == "" && datetime == "" {
			continue
		}
		name := strings.ToLower(strings.TrimSpace(attr(m, "name")))
		property := strings.ToLower(strings.TrimSpace(attr(m, "property")))
		itemprop := strings.ToLower(strings.TrimSpace(attr(m, "itemprop")))
		httpEquiv := strings.ToLower(strings.TrimSpace(attr(m, "http-equiv")))
		var published, modified bool
		value := content
		switch {
		case name != "" && content != "":
			if name == "og:url" {
				if t, ok := urlDate(content); ok {
					urlReserve = t
				}
			}
			published, modified = publishedMeta[name], modifiedMeta[name]
		case property != "" && content != "":
			published, modified = publishedMeta[property], modifiedMeta[property]
		case itemprop != "":
			published = itemprop == "datepublished" || itemprop == "datecreated" || itemprop == "pubyear"
			if datetime != "" {
				value = datetime
			}
		case hasAttr(m, "pubdate"):
			published = true
		case httpEquiv != "" && content != "":
			published, modified = httpEquiv == "date", httpEquiv == "last-modified"
		}
		if !published && !modified {
			continue
		}
		t, ok := parseDate(value)
		switch {
		case !ok:
		case published:
			return t, true
		case p.modified.IsZero():
			p.modified = t
		}
	}
	return urlReserve, !urlReserve.IsZero()
}

// jsonLDKeys are read from JSON-LD in this order. The JSON is searched,
// not decoded, as go-htmldate does: pages ship JSON-LD that does not
// parse, and the first datePublished is the page's own far more often
// than not, wherever it sits in an @graph.
var jsonLDKeys = []func() *regexp.Regexp{
	lazyRegexp(`"datePublished"\s*:\s*"([^"]{6,64})"`),
	lazyRegexp(`"dateCreated"\s*:\s*"([^"]{6,64})"`),
}

func (p *datePage) jsonLDDate() (time.Time, bool) {
	for _, key := range jsonLDKeys {
		for _, s := range p.scripts {
			text := childText(s)
			if !strings.Contains(text, `"date`) {
				continue
			}
			if m := key().FindStringSubmatch(text); m != nil {
				if t, ok := parseDate(m[1]); ok {
					return t, true
				}
			}
		}
	}
	return time.Time{}, false
}

// abbrDate reads <abbr> elements: Facebook's data-utime (the earliest),
// an <abbr class="published"> (its title, else the earliest of their
// texts), then any <abbr> whose text or title is a date.
func (p *datePage) abbrDate() (time.Time, bool) {
	if len(p.abbrs) == 0 || len(p.abbrs) >= maxCandidates {
		return time.Time{}, false
	}
	var earliest time.Time
	for _, n := range p.abbrs {
		if utime := strings.TrimSpace(attr(n, "data-utime")); utime != "" {
			if secs, err := strconv.ParseInt(utime, 10, 64); err == nil && plausible(time.Unix(secs, 0)) {
				earliest = earlier(earliest, time.Unix(secs, 0))
			}
			continue
		}
		switch strings.TrimSpace(attr(n, "class")) {
		case "published", "date-published", "time-published":
		default:
			continue
		}
		if title := strings.TrimSpace(attr(n, "title")); title != "" {
			if t, ok := parseDate(title); ok {
				return t, true
			}
		} else if text := clean(childText(n)); utf8.RuneCountInString(text) > 10 {
			// German bylines say "am 20. April 2023".
			if t, ok := parseDate(strings.TrimPrefix(text, "am ")); ok {
				earliest = earlier(earliest, t)
			}
		}
	}
	if !earliest.IsZero() {
		return earliest, true
	}
	return firstTextDate(p.abbrs)
}

// firstTextDate returns the first date stated at the start of one of the
// elements' text (or of its title attribute, or for a <time> its datetime).
func firstTextDate(nodes []*html.Node) (time.Time, bool) {
	if len(nodes) >= maxCandidates {
		return time.Time{}, false
	}
	for _, n := range nodes {
		if n.Data == "time" {
			if t, ok := parseDate(attr(n, "datetime")); ok {
				return t, true
			}
		}
		for _, s := range []string{textOf(n), attr(n, "title")} {
			if t, ok := leadingDate(s); ok {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// leadingDate finds a date in the first 52 characters of an element's
// text, as go-htmldate does: an element that states a date does so first,
// while a date further in is one its text mentions. A time of day may
// follow the date past that limit.
func leadingDate(s string) (time.Time, bool) {
	s = clean(s)
	if utf8.RuneCountInString(s) <= 6 {
		return time.Time{}, false
	}
	head, runes := s, 0
	for i := range s {
		if runes == 52 {
			head = s[:i]
			break
		}
		runes++
	}
	head = strings.TrimRightFunc(head, func(r rune) bool { return r < '0' || r > '9' })
	return parseDateWithin(s, len(head))
}

// timeDate reads <time> elements: the first whose datetime is marked as
// the publication date (pubdate, itemprop="datePublished", class
// "entry-date"; go-htmldate knew pubdate only when written
// pubdate="pubdate"), else the earliest datetime, or text, among them.
func (p *datePage) timeDate() (time.Time, bool) {
	if len(p.times) >= maxCandidates {
		return time.Time{}, false
	}
	var earliest time.Time
	for _, n := range p.times {
		datetime := strings.TrimSpace(attr(n, "datetime"))
		if utf8.RuneCountInString(datetime) > 6 {
			t, ok := parseDate(datetime)
			if !ok {
				continue
			}
			class := strings.TrimSpace(attr(n, "class"))
			if hasAttr(n, "pubdate") ||
				strings.EqualFold(attr(n, "itemprop"), "datePublished") ||
				strings.HasPrefix(class, "entry-date") || strings.HasPrefix(class, "entry-time") {
				return t, true
			}
			earliest = earlier(earliest, t)
		} else if text := clean(childText(n)); utf8.RuneCountInString(text) > 6 {
			if t, ok := parseDate(text); ok {
				earliest = earlier(earliest, t)
			}
		}
	}
	return earliest, !earliest.IsZero()
}

// imageDate reads the og:image address: news sites file pictures under
// the day they ran (/2015/02/26/photo.jpg).
func (p *datePage) imageDate() (time.Time, bool) {
	for _, m := range p.metas {
		if attr(m, "property") == "og:image" {
			if t, ok := urlDate(strings.TrimSpace(attr(m, "content"))); ok {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// source is the page rendered back to HTML, scripts and attributes
// included, which the last steps search as go-htmldate does.
func (p *datePage) source() string {
	if p.rendered == nil {
		var b bytes.Buffer
		_ = html.Render(&b, p.doc)
		s := b.String()
		p.rendered = &s
	}
	return *p.rendered
}

var timestampPattern = lazyRegexp(`^(?:19|20)\d\d-[01]?\d-[0-3]?\d.\d\d:\d\d:\d\d`)

// timestampDate takes the first "2023-04-20 09:15:00" in the source, often
// a publishing system's record of the page; only the first is tried,
// since later ones more likely date comments or related pages.
func timestampDate(src string) (time.Time, bool) {
	// A regular expression run over a whole page is slow (a page can be a
	// megabyte), so it is tried only where a dash follows four digits.
	for i := 4; i < len(src); i++ {
		j := strings.IndexByte(src[i:], '-')
		if j < 0 {
			break
		}
		i += j
		start := i - 4
		if start < 0 || !isDigits(src[start:i]) {
			continue
		}
		if loc := timestampPattern().FindStringIndex(src[start:min(len(src), start+24)]); loc != nil {
			return parseDate(src[start:min(len(src), start+loc[1]+8)])
		}
	}
	return time.Time{}, false
}

var (
	labelBefore  = lazyRegexp(`(?i)(?:date[^0-9"]{0,20}|updated|last-modified|published|posted|on)[ :]*$`)
	germanBefore = lazyRegexp(`(?i)(?:datum|stand|veröffentlicht am):? ?$`)
)

// labelledDate takes the first numeric date that follows a word saying
// what it dates ("Published: 20.04.2023", "posted on 4/20/23"); only the
// first is tried, as go-htmldate does. Candidates are found by scanning
// for the dots and slashes of "20.04.2023" and "4/20/23", then the words
// before them are matched.
func labelledDate(src string) (time.Time, bool) {
	for i := 0; i < len(src); i++ {
		j := strings.IndexAny(src[i:], "./")
		if j < 0 {
			break
		}
		i += j
		start, sep2, end, ok := numericCore(src, i)
		if !ok {
			continue
		}
		before := src[max(0, start-128):start]
		german := i-start <= 2 && src[i] == '.' && src[sep2] == '.' && germanBefore().MatchString(before)
		if german || labelBefore().MatchString(before) {
			return parseDateWithin(src[start:min(len(src), end+32)], end-start)
		}
		i = end - 1
	}
	return time.Time{}, false
}

// numericCore reports whether the separator at src[sep] is the first of
// a date written in digits: 1 to 4 digits, "." or "/", 1 or 2 digits,
// "." or "/", 2 to 4 digits. It returns where that date starts, where its
// second separator is and where it ends.
func numericCore(src string, sep int) (start, sep2, end int, ok bool) {
	start = sep
	for start > 0 && sep-start < 5 && isDigit(src[start-1]) {
		start--
	}
	if n := sep - start; n < 1 || n > 4 {
		return 0, 0, 0, false
	}
	sep2 = sep + 1
	for sep2 < len(src) && sep2-sep-1 < 3 && isDigit(src[sep2]) {
		sep2++
	}
	if n := sep2 - sep - 1; n < 1 || n > 2 || sep2 >= len(src) || (src[sep2] != '.' && src[sep2] != '/') {
		return 0, 0, 0, false
	}
	end = sep2 + 1
	for end < len(src) && end-sep2-1 < 4 && isDigit(src[end]) {
		end++
	}
	if end-sep2-1 < 2 {
		return 0, 0, 0, false
	}
	return start, sep2, end, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

var urlPattern = lazyRegexp(`\D((?:19|20)\d\d)[/_-](\d{1,2})[/_-](\d{1,2})(?:\D|$)`)

// urlDate reads a date from an address such as /2023/04/20/ or
// /2023-04-20-title; a year and month alone date nothing.
func urlDate(u string) (time.Time, bool) {
	m := urlPattern().FindStringSubmatch(u)
	if m == nil {
		return time.Time{}, false
	}
	return calendarDate(atoi(m[1]), atoi(m[2]), atoi(m[3]))
}

const monthNames = `(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)`

// datePatterns are tried in order; the first that yields a plausible date
// wins. Year-first forms come before day-first and month-first ones, as in
// go-htmldate, so "2023-04-05" is never read as a day and a month.
var datePatterns = []func(s string) (y, m, d, end int, ok bool){
	datePattern(`(?:^|\D)((?:19|20)\d\d)[-/.](\d{1,2})[-/.](\d{1,2})(?:\D|$)`, func(g []string) (int, int, int) {
		return atoi(g[1]), atoi(g[2]), atoi(g[3])
	}),
	datePattern(`(?:^|[^\pL\pN_])((?:19|20)\d\d)([01]\d)([0-3]\d)(?:[^\pL\pN_]|T|$)`, func(g []string) (int, int, int) {
		return atoi(g[1]), atoi(g[2]), atoi(g[3])
	}),
	datePattern(`(?:^|\D)(\d{1,2})([-/.])(\d{1,2})[-/.](\d{4}|\d{2})(?:\D|$)`, func(g []string) (int, int, int) {
		return numericDate(g[1], g[2], g[3], g[4])
	}),
	datePattern(`(?i)\b`+monthNames+`\.?\s(\d{1,2})(?:st|nd|rd|th)?,?\s((?:19|20)\d\d)(?:\D|$)`, func(g []string) (int, int, int) {
		return atoi(g[3]), monthNumber(g[1]), atoi(g[2])
	}),
	datePattern(`(?i)(?:^|\D)(\d{1,2})(?:st|nd|rd|th|\.)?\s(?:of\s)?`+monthNames+`\.?,?\s((?:19|20)\d\d)(?:\D|$)`, func(g []string) (int, int, int) {
		return atoi(g[3]), monthNumber(g[2]), atoi(g[1])
	}),
	// RFC 822's two-digit year, only before a time of day: "3 Mar 24 10:00 GMT".
	datePattern(`(?i)(?:^|\D)(\d{1,2})\s`+monthNames+`\s(\d\d)\s\d\d:\d\d`, func(g []string) (int, int, int) {
		return twoDigitYear(atoi(g[3])), monthNumber(g[2]), atoi(g[1])
	}),
}

// datePattern makes a finder from a regular expression whose last group
// ends where a time of day may follow, and a function that reads its
// groups as year, month and day. The finder returns the first real day.
func datePattern(expr string, ymd func(g []string) (int, int, int)) func(string) (int, int, int, int, bool) {
	re := lazyRegexp(expr)
	return func(s string) (int, int, int, int, bool) {
		for _, loc := range re().FindAllStringSubmatchIndex(s, -1) {
			g := make([]string, len(loc)/2)
			for i := range g {
				if loc[2*i] >= 0 {
					g[i] = s[loc[2*i]:loc[2*i+1]]
				}
			}
			y, m, d := ymd(g)
			if _, ok := calendarDate(y, m, d); ok {
				return y, m, d, loc[len(loc)-1], true
			}
		}
		return 0, 0, 0, 0, false
	}
}

// numericDate reads a day-or-month first date. With slashes it is month
// first, the American order ("4/20/2023"); with dots or dashes, day first
// ("20.04.2023"). Either way a first number above 12 must be the day.
// go-htmldate reads slashes day first too, which dates the American pages
// in the test set months wrong (TestFindDateAgreesWithHtmldate).
func numericDate(first, sep, second, year string) (y, m, d int) {
	a, b := atoi(first), atoi(second)
	if sep == "/" {
		a, b = b, a // a is now the day
	}
	if b > 12 && a <= 12 {
		a, b = b, a
	}
	y = atoi(year)
	if len(year) == 2 {
		y = twoDigitYear(y)
	}
	return y, b, a
}

// twoDigitYear follows go-htmldate: 90 to 99 are the 1990s, the rest this
// century.
func twoDigitYear(y int) int {
	if y >= 90 {
		return 1900 + y
	}
	return 2000 + y
}

func monthNumber(name string) int {
	return strings.Index("janfebmaraprmayjunjulaugsepoctnovdec", strings.ToLower(name[:3]))/3 + 1
}

// parseDate finds the first plausible date written in s, with the time of
// day and zone that follow it when given; without a zone the time is read
// as UTC, and without a time the date is midnight UTC.
func parseDate(s string) (time.Time, bool) {
	s = clean(s)
	return parseDateWithin(s, len(s))
}

// parseDateWithin is parseDate for a date that starts and ends within
// s[:n]; the time of day may run past n.
func parseDateWithin(s string, n int) (time.Time, bool) {
	head := s[:n]
	// Every form has at least four digits; most texts tried have fewer,
	// and are rejected before any regular expression runs.
	digits := 0
	for i := 0; i < len(head) && digits < 4; i++ {
		if isDigit(head[i]) {
			digits++
		}
	}
	if digits < 4 {
		return time.Time{}, false
	}
	for _, find := range datePatterns {
		y, m, d, end, ok := find(head)
		if !ok {
			continue
		}
		t := clockAfter(y, m, d, s[end:min(len(s), end+32)])
		if plausible(t) {
			return t, true
		}
	}
	return time.Time{}, false
}

var clockPattern = lazyRegexp(`(?i)(?:^|[^\d.:])(\d{1,2})(:|\.|\s?h\s?)(\d\d)(?::(\d\d)(?:[.,]\d+)?)?(?:\s?([ap])\.?\s?m\b\.?)?(?:\s*(z\b|[+-]\d\d(?::?\d\d)?\b|(?:utc|gmt)\s?[+-]\d\d?(?::?\d\d)?\b|[a-z]{1,5}\b))?`)

// clockAfter sets the time of day and zone found in rest, the text right
// after a date, on that date.
func clockAfter(y, m, d int, rest string) time.Time {
	date := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	g := clockPattern().FindStringSubmatch(rest)
	if g == nil {
		return date
	}
	hour, minute, second := atoi(g[1]), atoi(g[3]), atoi(g[4])
	zone, zoned := zoneOffset(g[6])
	if g[2] == "." && g[5] == "" && !zoned {
		// "10.50" is a time only when a zone or am/pm says so.
		return date
	}
	switch strings.ToLower(g[5]) {
	case "p":
		if hour < 12 {
			hour += 12
		}
	case "a":
		if hour == 12 {
			hour = 0
		}
	}
	if hour > 23 || minute > 59 || second > 59 {
		return date
	}
	return time.Date(y, time.Month(m), d, hour, minute, second, 0, time.FixedZone("", zone))
}

// zones are the abbreviations news pages print after a time.
var zones = map[string]int{
	"z": 0, "ut": 0, "utc": 0, "gmt": 0, "wet": 0, "bst": 1, "cet": 1, "cest": 2, "eet": 2, "eest": 3,
	"msk": 3, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
	"akst": -9, "akdt": -8, "hst": -10, "ist": 5, "sgt": 8, "hkt": 8, "awst": 8, "jst": 9, "kst": 9,
	"aest": 10, "aedt": 11, "nzst": 12, "nzdt": 13,
}

// zoneOffset reads "Z", "+02:00", "-0700", "UTC+1" or a known abbreviation
// into seconds east of UTC.
func zoneOffset(z string) (int, bool) {
	z = strings.ToLower(strings.TrimSpace(z))
	if h, ok := zones[z]; ok {
		if z == "ist" {
			return 5*3600 + 1800, true
		}
		return h * 3600, true
	}
	z = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(z, "utc"), "gmt"))
	if z == "" || (z[0] != '+' && z[0] != '-') {
		return 0, false
	}
	digits := strings.ReplaceAll(z[1:], ":", "")
	var h, m int
	switch len(digits) {
	case 1, 2:
		h = atoi(digits)
	case 4:
		h, m = atoi(digits[:2]), atoi(digits[2:])
	default:
		return 0, false
	}
	if h > 14 || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	if z[0] == '-' {
		off = -off
	}
	return off, true
}

// calendarDate checks that y-m-d is a real day and a plausible one.
func calendarDate(y, m, d int) (time.Time, bool) {
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || t.Day() != d || !plausible(t) {
		return time.Time{}, false
	}
	return t, true
}

// lazyRegexp compiles expr on first use. Most disputebot commands read no
// page, and compiling these patterns at start-up cost every process 3 ms
// and 300 KB.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

func earlier(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func setOf(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// hasAttr reports an attribute's presence: HTML5's pubdate is a boolean
// attribute, written bare or as pubdate="pubdate".
func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// childText is the text before an element's first child element (an
// ElementTree node's .text, which go-htmldate reads in places).
func childText(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil && c.Type != html.ElementNode; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

// textOf is an element's text, without hidden subtrees, cut after 4 KB:
// only its start can state a date.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil && b.Len() < 4096; c = c.NextSibling {
			switch {
			case c.Type == html.TextNode:
				b.WriteString(c.Data)
			case c.Type == html.ElementNode && !hiddenTags[c.Data]:
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}
