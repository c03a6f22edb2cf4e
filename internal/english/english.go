// Package english phrases counts and lists the way a person writes them,
// for every reply disputebot gives (Discord's, the terminal's), and splits
// English prose into words the one way every reader of it agrees on.
package english

import (
	"iter"
	"strconv"
	"strings"
	"unicode"
)

// JoinAnd lists items as prose: "A", "A and B", "A, B and C".
func JoinAnd(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// Plural counts: "1 entry", "3 entries".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Words yields the lower-cased words of s: runs of letters and digits.
// Every reader of prose (dispute weight, story folding, subscriptions,
// summaries) splits it the same way. It allocates at most once, to lower
// the case of the whole text, and not at all for text already lower-case.
func Words(s string) iter.Seq[string] {
	return func(yield func(string) bool) {
		s := strings.ToLower(s)
		start := -1
		for i, r := range s {
			switch {
			case isWordRune(r):
				if start < 0 {
					start = i
				}
			case start >= 0:
				if !yield(s[start:i]) {
					return
				}
				start = -1
			}
		}
		if start >= 0 {
			yield(s[start:])
		}
	}
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
