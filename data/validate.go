package data

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/gazetteer"
)

// Kinds and statuses a dispute may have.
var (
	Kinds    = []string{"lawsuit", "antitrust case", "regulatory fine", "contract dispute", "patent dispute", "copyright suit", "public feud", "government action"}
	Statuses = []string{"ongoing", "settled", "ruled", "dismissed", "appealed", "withdrawn"}
)

// Limits keep every text inside what a Discord embed can show: a headline
// must fit a field name or a title (256), a summary a field value (1024)
// with room for the date and the link.
const (
	MaxTitle      = 100
	MaxBackground = 1000
	MaxHeadline   = 200
	MaxSummary    = 400
	MinEvents     = 4
)

var idPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
var tickerPattern = regexp.MustCompile(`^[A-Z0-9.]{1,6}$`)

// Validate checks the corpus as a reviewer would: required fields, dates
// that parse and are not in the future, parties that exist, absolute https
// links, no event twice, texts within Discord's limits. It returns every
// problem, each naming the file and field.
func (c *Corpus) Validate(now time.Time) []error {
	var errs []error
	bad := func(where, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
	}
	g, err := gazetteer.New(c.Parties)
	if err != nil {
		return []error{err}
	}
	kinds := map[article.PartyKind]bool{article.Company: true, article.Person: true, article.Regulator: true, article.Court: true, article.Group: true}
	for _, p := range c.Parties {
		where := "parties.json: " + p.Name
		if !kinds[p.Kind] {
			bad(where, "kind %q is not one of company, person, regulator, court, group", p.Kind)
		}
		for _, t := range p.Tickers {
			if !tickerPattern.MatchString(t) {
				bad(where, "ticker %q is not upper-case letters and digits", t)
			}
		}
		for _, r := range p.Related {
			if _, ok := g.Party(r); !ok {
				bad(where, "related party %q is not in the gazetteer", r)
			}
		}
	}
	today := now.Format(article.DateLayout)
	urls := map[string]string{} // canonical url -> "dispute date"
	seenIDs := map[string]bool{}
	for _, d := range c.Disputes {
		where := "disputes/" + d.ID + ".json"
		if !idPattern.MatchString(d.ID) {
			bad(where, "id must be lower-case words joined by hyphens")
		}
		if seenIDs[d.ID] {
			bad(where, "id used twice")
		}
		seenIDs[d.ID] = true
		checkText(bad, where, "title", d.Title, MaxTitle)
		checkText(bad, where, "background", d.Background, MaxBackground)
		if len(d.Parties) == 0 {
			bad(where, "no parties")
		}
		seenParty := map[string]bool{}
		for _, p := range d.Parties {
			if _, ok := g.Party(p); !ok {
				bad(where, "party %q is not in the gazetteer (parties.json)", p)
			} else if canon, _ := g.Party(p); canon.Name != p {
				bad(where, "party %q must be spelt as in the gazetteer: %q", p, canon.Name)
			}
			if seenParty[p] {
				bad(where, "party %q listed twice", p)
			}
			seenParty[p] = true
		}
		if !slices.Contains(Kinds, d.Kind) {
			bad(where, "kind %q is not one of %s", d.Kind, strings.Join(Kinds, ", "))
		}
		if !slices.Contains(Statuses, d.Status) {
			bad(where, "status %q is not one of %s", d.Status, strings.Join(Statuses, ", "))
		}
		checkDate(bad, where, "status_date", d.StatusDate, today)
		if !slices.ContainsFunc(d.Events, func(e article.Event) bool { return e.Date == d.StatusDate }) {
			// Every answer shows where a dispute stands with the step that
			// set it: that step must be in the timeline.
			bad(where, "status_date %s is the date of none of its events", d.StatusDate)
		}
		if len(d.Events) < MinEvents {
			bad(where, "has %d events; at least %d are needed", len(d.Events), MinEvents)
		}
		prev := ""
		for i, e := range d.Events {
			ew := fmt.Sprintf("%s: event %d (%s)", where, i+1, e.Date)
			checkDate(bad, ew, "date", e.Date, today)
			if e.Date < prev {
				bad(ew, "events must be in date order")
			}
			prev = e.Date
			checkText(bad, ew, "headline", e.Headline, MaxHeadline)
			checkText(bad, ew, "outlet", e.Outlet, 80)
			checkText(bad, ew, "summary", e.Summary, MaxSummary)
			u, err := url.Parse(e.URL)
			if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
				bad(ew, "url %q must be an absolute https address", e.URL)
				continue
			}
			if p := trackingParam(u); p != "" {
				bad(ew, "url %q carries the tracking parameter %q: cite the article's own address", e.URL, p)
			}
			if host := strings.TrimPrefix(u.Hostname(), "www."); syndicators[registrable(host)] != "" && strings.Contains(strings.ToLower(e.Outlet), syndicators[registrable(host)]) {
				bad(ew, "outlet %q names the site that syndicated the report; name its original publisher", e.Outlet)
			}
			canon, err := article.CanonicalURL(e.URL)
			if err != nil {
				bad(ew, "url %q: %v", e.URL, err)
				continue
			}
			if other, dup := urls[canon]; dup {
				// The same report may serve two disputes, but only as the
				// same event.
				if strings.HasPrefix(other, d.ID+" ") || !strings.HasSuffix(other, " "+e.Date) {
					bad(ew, "url already used by %s", other)
				}
			}
			urls[canon] = d.ID + " " + e.Date
		}
	}
	return errs
}

// trackingParams are query parameters that say how a reader arrived,
// not which article it is.
var trackingParams = []string{"cid", "src", "ref", "rl", "feed_id", "_unique_id", "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid", "smid", "mod", "td", "edition", "taid", "rss"}

func trackingParam(u *url.URL) string {
	for k := range u.Query() {
		if strings.HasPrefix(k, "utm_") || slices.Contains(trackingParams, strings.ToLower(k)) {
			return k
		}
	}
	return ""
}

// syndicators are sites that republish other outlets' reports, each with
// the word of its own name an outlet label must not use: a report found
// there is cited under the name of the outlet that wrote it.
var syndicators = map[string]string{"yahoo.com": "yahoo", "msn.com": "msn", "aol.com": "aol", "newsbreak.com": "newsbreak",
	"flipboard.com": "flipboard", "ground.news": "ground", "inkl.com": "inkl", "techcodex.com": "techcodex"}

// registrable is a host's last two labels ("finance.yahoo.com" is
// "yahoo.com").
func registrable(host string) string {
	parts := strings.Split(host, ".")
	if len(parts) <= 2 {
		return host
	}
	return strings.Join(parts[len(parts)-2:], ".")
}

func checkText(bad func(string, string, ...any), where, field, s string, max int) {
	switch {
	case strings.TrimSpace(s) == "":
		bad(where, "%s is empty", field)
	case utf8.RuneCountInString(s) > max:
		bad(where, "%s is %d characters; the limit is %d", field, utf8.RuneCountInString(s), max)
	case strings.ContainsAny(s, "\n\r\t"):
		bad(where, "%s must be one line", field)
	}
}

func checkDate(bad func(string, string, ...any), where, field, s, today string) {
	if _, err := time.Parse(article.DateLayout, s); err != nil {
		bad(where, "%s %q is not a YYYY-MM-DD date", field, s)
		return
	}
	if s > today {
		bad(where, "%s %s is in the future", field, s)
	}
}
