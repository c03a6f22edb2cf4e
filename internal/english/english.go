// Package english phrases counts and lists the way a person writes them,
// for every reply disputebot gives: Discord's, the terminal's.
package english

import (
	"strconv"
	"strings"
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
