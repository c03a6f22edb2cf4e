package english

import "testing"

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
