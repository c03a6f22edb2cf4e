package gazetteer_test

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzResolve checks, for any query, that resolution never panics, names
// only canonical parties, and is stable: asking again by the names it
// found gives the same parties.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"musk microsoft", "Microsoft vs. Elon Musk", "MSFT musk", "elon v microsoft", "microsfot", "AT&T", "x.com", "Pokémon", "", " vs  and ", "\u202e\u200b@everyone"} {
		f.Add(s)
	}
	g := corpusGazetteer(f)
	f.Fuzz(func(t *testing.T, q string) {
		if !utf8.ValidString(q) {
			return
		}
		r := g.Resolve(q)
		for _, p := range r.Parties {
			if _, ok := g.Party(p); !ok {
				t.Fatalf("Resolve(%q) named %q, not a party", q, p)
			}
		}
		if len(r.Parties) == 0 {
			return
		}
		again := g.Resolve(strings.Join(r.Parties, " vs "))
		if strings.Join(again.Parties, "|") != strings.Join(r.Parties, "|") {
			t.Fatalf("Resolve(%q) = %v, but asking by those names gives %v", q, r.Parties, again.Parties)
		}
	})
}

// FuzzDetect checks that detection never panics and never names a party
// absent from the text's own words.
func FuzzDetect(f *testing.F) {
	f.Add("Elon Musk accuses Microsoft", "Musk said MSFT trained on Twitter data.")
	f.Add("", "apple x EU sec")
	g := corpusGazetteer(f)
	f.Fuzz(func(t *testing.T, title, text string) {
		for _, m := range g.Detect(title, text) {
			if m.Count < 1 {
				t.Fatalf("%s counted %d times", m.Party, m.Count)
			}
		}
	})
}
