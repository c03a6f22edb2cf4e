package english

import (
	"slices"
	"strings"
	"testing"
)

func TestPhrasing(t *testing.T) {
	for in, want := range map[string]string{
		JoinAnd(nil):                     "",
		JoinAnd([]string{"A"}):           "A",
		JoinAnd([]string{"A", "B"}):      "A and B",
		JoinAnd([]string{"A", "B", "C"}): "A, B and C",
		Plural(1, "entry", "entries"):    "1 entry",
		Plural(0, "entry", "entries"):    "0 entries",
		Plural(12, "source", "sources"):  "12 sources",
	} {
		if in != want {
			t.Errorf("got %q, want %q", in, want)
		}
	}
}

func TestWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  ...  ", nil},
		{"Musk sues Microsoft", []string{"musk", "sues", "microsoft"}},
		{"FTC v. Meta: $5bn fine (2019)", []string{"ftc", "v", "meta", "5bn", "fine", "2019"}},
		{"Épic's São Paulo ruling", []string{"épic", "s", "são", "paulo", "ruling"}},
		{"end-of-text", []string{"end", "of", "text"}},
		{"ZÜRICH\u200bcourt", []string{"zürich", "court"}},
		{"invalid \xff byte", []string{"invalid", "byte"}},
	} {
		got := slices.Collect(Words(tc.in))
		if !slices.Equal(got, tc.want) {
			t.Errorf("Words(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzWords holds Words to the plain definition it replaces.
func FuzzWords(f *testing.F) {
	f.Add("Elon Musk v. Microsoft, 2023")
	f.Add("Ünïcödé ΣΊΣΥΦΟΣ straße")
	f.Fuzz(func(t *testing.T, s string) {
		want := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !isWordRune(r) })
		if got := slices.Collect(Words(s)); !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Errorf("Words(%q) = %q, want %q", s, got, want)
		}
	})
}
