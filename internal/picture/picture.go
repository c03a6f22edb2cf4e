// Package picture draws a dispute's timeline as a PNG small enough for a
// Discord embed: its events as markers on their dates, shaped and coloured
// by what each was, the current status as a line at its date, and under
// them the articles read each month. It also writes the one-sentence
// description that stands in for the picture where it cannot be seen, and
// keeps rendered pictures in a cache until something new arrives.
//
// The package takes a plain Timeline, so it knows nothing of Discord; the
// adapters in adapt.go build one from the corpus or from an answer.
package picture

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/disputebot/disputebot/internal/english"
)

// Timeline is everything a picture shows.
type Timeline struct {
	Title  string
	Events []Event // any order; drawn by date
	// Status is where the dispute stands ("ongoing", "settled"), as of
	// StatusDate; an empty Status or a zero StatusDate draws no status line.
	Status     string
	StatusDate time.Time
	// Coverage is the number of articles read per month; empty draws no
	// bars.
	Coverage []Month
}

// Event is one dated step of a dispute.
type Event struct {
	Date  time.Time
	Label string // short: a headline
	Kind  Kind
}

// Month is one month's count of articles; Start is any time in the month.
type Month struct {
	Start    time.Time
	Articles int
}

// Kind is what an event was; each kind has its own marker shape and colour.
type Kind uint8

// The kinds of event, in the order the legend lists them.
const (
	Statement Kind = iota // anything else: an announcement, a reply, a deal
	Filing
	Ruling
	Fine
	Settlement
	Appeal
	numKinds
)

var kindNames = [numKinds]string{"statement", "filing", "ruling", "fine", "settlement", "appeal"}

// String names the kind as the legend shows it.
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// kindWords are the headline words that make each kind. KindOf checks the
// kinds in the order of kindOrder, so the most specific outcome wins: "EU
// fines Google after judge rules" is a fine, "Apple appeals ruling" an
// appeal, "Judge dismisses lawsuit" a ruling rather than a filing, and a
// headline with none of these words is a statement.
var kindWords = map[Kind][]string{
	Settlement: {"settle", "settles", "settled", "settling", "settlement", "settlements"},
	Fine:       {"fine", "fines", "fined", "fining"},
	Appeal:     {"appeal", "appeals", "appealed", "appealing"},
	Ruling:     {"rule", "rules", "ruled", "ruling", "rulings", "judge", "judges", "verdict", "verdicts"},
	Filing:     {"file", "files", "filed", "filing", "filings", "sue", "sues", "sued", "suing", "lawsuit", "lawsuits"},
}

var kindOrder = []Kind{Settlement, Fine, Appeal, Ruling, Filing}

// KindOf reads an event's kind from its headline's words (see kindWords).
func KindOf(headline string) Kind {
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(headline), func(r rune) bool { return !unicode.IsLetter(r) }) {
		words[w] = true
	}
	for _, k := range kindOrder {
		for _, w := range kindWords[k] {
			if words[w] {
				return k
			}
		}
	}
	return Statement
}

// Describe is the picture in one sentence, for screen readers and
// text-only channels: what it shows, how many events of each kind over
// what span, where the dispute stands, and when coverage peaked.
func Describe(t Timeline) string {
	var b strings.Builder
	b.WriteString("Timeline of ")
	b.WriteString(strings.TrimSpace(t.Title))
	evs := sortedEvents(t.Events)
	switch len(evs) {
	case 0:
		b.WriteString(" with no dated events")
	default:
		first, last := evs[0].Date, evs[len(evs)-1].Date
		fmt.Fprintf(&b, ": %s", english.Plural(len(evs), "event", "events"))
		if monthYear(first) == monthYear(last) {
			fmt.Fprintf(&b, " in %s", monthYear(first))
		} else {
			fmt.Fprintf(&b, " from %s to %s", monthYear(first), monthYear(last))
		}
		var counts [numKinds]int
		for _, e := range evs {
			counts[e.Kind%numKinds]++
		}
		var parts []string
		for _, k := range legendOrder {
			if counts[k] > 0 {
				parts = append(parts, english.Plural(counts[k], k.String(), pluralKind(k)))
			}
		}
		b.WriteString(" (" + english.JoinAnd(parts) + ")")
	}
	if t.Status != "" && !t.StatusDate.IsZero() {
		fmt.Fprintf(&b, "; status %s since %s", t.Status, dayMonthYear(t.StatusDate))
	}
	if peak, ok := peakMonth(t.Coverage); ok {
		fmt.Fprintf(&b, "; coverage peaked at %s in %s", english.Plural(peak.Articles, "article", "articles"), monthYear(peak.Start))
	}
	b.WriteString(".")
	return b.String()
}

func pluralKind(k Kind) string {
	return k.String() + "s"
}

// peakMonth is the month with the most articles, the earliest of equals.
func peakMonth(ms []Month) (Month, bool) {
	var peak Month
	for _, m := range ms {
		if m.Articles > peak.Articles || m.Articles == peak.Articles && m.Articles > 0 && m.Start.Before(peak.Start) {
			peak = m
		}
	}
	return peak, peak.Articles > 0
}

func monthYear(t time.Time) string    { return t.Format("Jan 2006") }
func dayMonthYear(t time.Time) string { return t.Format("2 Jan 2006") }
