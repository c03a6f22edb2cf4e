// Package article holds disputebot's domain types: the articles it has read,
// the parties they name and the curated disputes of the built-in corpus. It
// imports nothing from the rest of the project, so every other package can
// depend on it.
package article

import (
	"strings"
	"time"
)

// GlobalScope is the scope of articles every guild sees: the built-in corpus
// and anything the operator ingests from the command line.
const GlobalScope = "global"

// Article is one piece of reporting disputebot has read. The store holds it;
// the index is derived from it.
type Article struct {
	ID  int64
	URL string // canonical: tracking parameters and fragment removed

	// Owner is "" for what a page itself says, which every scope reading
	// its address shares. A guild id marks that guild's own version of the
	// page: what one of its feeds claimed about it (a title, a summary, a
	// date) where the page says otherwise or could not be read. Claims are
	// untrusted and stay with the guild that follows the feed.
	Owner string
	// Curated marks a built-in corpus event: its headline, date and
	// summary were written for the timeline, and only a corpus load
	// changes them.
	Curated bool

	Title  string
	Site   string // outlet, e.g. "Reuters"
	Byline string

	// Published is when the outlet says it published the piece; zero when
	// no date could be found. Updated is the outlet's last-modified time.
	// FirstSeen is when disputebot first read it. They are kept apart
	// because feeds and pages often disagree, and a user asking "when did
	// this happen" wants the first.
	Published  time.Time
	Updated    time.Time
	FirstSeen  time.Time
	DateSource string // where Published came from: "feed", "metadata", "htmldate", "corpus"

	Text         string
	Summary      string
	Parties      []string // canonical party names
	DisputeScore float64  // 0..1: how much the piece is about a dispute
	Disputes     []string // ids of built-in disputes the piece belongs to

	// Scopes lists the guilds that may see the article, or GlobalScope.
	Scopes []string

	// Mention is set by an answer on an article that only names its
	// parties in passing; it is not stored.
	Mention bool
}

// Publication dates outside [EarliestDate, now+FutureSlack] are not
// publication dates: a feed's 2099 or a page's 1970 is a mistake or a
// lie, and either would put the article at an end of every timeline.
var EarliestDate = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)

// FutureSlack forgives a date a little ahead of the clock: time zones,
// and an outlet's clock.
const FutureSlack = 24 * time.Hour

// PlausibleDate reports whether t can be when a piece was published,
// given the time now.
func PlausibleDate(t, now time.Time) bool {
	return !t.IsZero() && !t.Before(EarliestDate) && !t.After(now.Add(FutureSlack))
}

// Date is the date the timeline shows: the published date when known,
// otherwise the date disputebot first saw the piece.
func (a *Article) Date() time.Time {
	if !a.Published.IsZero() {
		return a.Published
	}
	return a.FirstSeen
}

// PartyKind says what sort of party a gazetteer entry is.
type PartyKind string

// The party kinds of the gazetteer.
const (
	Company   PartyKind = "company"
	Person    PartyKind = "person"
	Regulator PartyKind = "regulator"
	Court     PartyKind = "court"
	Group     PartyKind = "group"
)

// Party is one entry of the gazetteer: a company, person, regulator, court
// or group, with the names people type for it.
type Party struct {
	Name    string    `json:"name"`
	Kind    PartyKind `json:"kind"`
	Aliases []string  `json:"aliases"`
	Tickers []string  `json:"tickers"`
	Related []string  `json:"related"`
}

// Dispute is one curated dispute of the built-in corpus.
type Dispute struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Parties    []string `json:"parties"`
	Kind       string   `json:"kind"`
	Status     string   `json:"status"`
	StatusDate string   `json:"status_date"`
	Background string   `json:"background"`
	Events     []Event  `json:"events"`
}

// Event is one dated, sourced step of a curated dispute.
type Event struct {
	Date     string `json:"date"` // YYYY-MM-DD
	Headline string `json:"headline"`
	Outlet   string `json:"outlet"`
	URL      string `json:"url"`
	Summary  string `json:"summary"`
}

// LastActive is the date of the dispute's latest event or status change,
// whichever is later, as YYYY-MM-DD (which sorts as a date).
func (d *Dispute) LastActive() string {
	last := d.StatusDate
	for _, e := range d.Events {
		if e.Date > last {
			last = e.Date
		}
	}
	return last
}

// DateLayout is the layout of every calendar date in the corpus and in
// disputebot's output.
const DateLayout = "2006-01-02"

// Fingerprint identifies a story across addresses: its title's words,
// lower-cased, with its publication day. The same story carried by two
// feeds, or re-issued under a new GUID, has the same fingerprint.
func Fingerprint(a *Article) string {
	words := strings.FieldsFunc(strings.ToLower(a.Title), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r > 127)
	})
	day := ""
	if !a.Published.IsZero() {
		day = a.Published.UTC().Format(DateLayout)
	}
	return day + "|" + strings.Join(words, " ")
}
