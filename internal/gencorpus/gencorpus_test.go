package gencorpus

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/disputebot/disputebot/data"
)

func TestSameSeedSameArticles(t *testing.T) {
	c, err := data.Load()
	if err != nil {
		t.Fatal(err)
	}
	a, b := New(c, Options{Seed: 42}), New(c, Options{Seed: 42})
	other := New(c, Options{Seed: 43})
	differs := false
	for i := 0; i < 50; i++ {
		x, y, z := a.Next(), b.Next(), other.Next()
		if !reflect.DeepEqual(x, y) {
			t.Fatalf("article %d differs between two runs of seed 42", i)
		}
		differs = differs || x.Title != z.Title
		words := len(strings.Fields(x.Text))
		if words < 300 || words > 1600 || len(x.Parties) == 0 || x.Published.IsZero() {
			t.Errorf("article %d: %d words, parties %v, date %v", i, words, x.Parties, x.Published)
		}
	}
	if !differs {
		t.Error("seed 43 gives the same articles as seed 42")
	}
}

func TestPartiesAreSkewed(t *testing.T) {
	c, _ := data.Load()
	g := New(c, Options{Seed: 1})
	counts := map[string]int{}
	for i := 0; i < 5000; i++ {
		for _, p := range g.Next().Parties {
			counts[p]++
		}
	}
	most := 0
	for _, n := range counts {
		most = max(most, n)
	}
	// A few parties are in many stories, most in few: the top party is
	// far above the mean.
	mean := 0
	for _, n := range counts {
		mean += n
	}
	mean /= len(counts)
	if most < 10*mean {
		t.Errorf("the most frequent party appears %d times, the mean %d: no skew", most, mean)
	}
}

// TestRealisticText: the articles' vocabulary is large and skewed (real
// text's, or one of its shape), and a pair's stories come in flare-ups with
// quiet months between.
func TestRealisticText(t *testing.T) {
	c, _ := data.Load()
	g := New(c, Options{Seed: 1})
	words := map[string]int{}
	months := map[string]map[string]bool{} // pair -> months with a story
	for i := 0; i < 3000; i++ {
		a := g.Next()
		for _, w := range strings.Fields(strings.ToLower(a.Text)) {
			words[strings.Trim(w, ".,:$")]++
		}
		pair := a.Parties[0] + "|" + a.Parties[len(a.Parties)-1]
		if months[pair] == nil {
			months[pair] = map[string]bool{}
		}
		months[pair][a.Published.Format("2006-01")] = true
	}
	if len(words) < 20000 {
		t.Errorf("%d distinct words in 3,000 articles; real text has tens of thousands", len(words))
	}
	busiest, most := "", 0
	for p, ms := range months {
		if len(ms) > most {
			busiest, most = p, len(ms)
		}
	}
	// Ten years are 120 months; flare-ups leave most of them quiet even
	// for the busiest pair.
	if most > 80 {
		t.Errorf("the busiest pair (%s) has stories in %d of 120 months: no quiet between flare-ups", busiest, most)
	}
}

func TestVocabularyIsMostFrequentFirst(t *testing.T) {
	v := Vocabulary([]string{"the court ruled", "the court", "the judge"})
	if strings.Join(v, " ") != "the court judge ruled" {
		t.Errorf("vocabulary %v", v)
	}
}

// TestTextIsValidUTF8: capitalising a sentence's first word keeps a
// character whole when it is not ASCII ("écran" becomes "Écran"), so every
// article is text PostgreSQL accepts.
func TestTextIsValidUTF8(t *testing.T) {
	c, _ := data.Load()
	g := New(c, Options{Seed: 1, Vocabulary: []string{"écran", "über", "·", "naïve", "plain"}})
	for i := 0; i < 500; i++ {
		a := g.Next()
		if !utf8.ValidString(a.Text) || !utf8.ValidString(a.Title) || !utf8.ValidString(a.Summary) {
			t.Fatalf("article %d is not valid UTF-8: %q", i, a.Text[:min(len(a.Text), 200)])
		}
	}
}
