package gencorpus

import (
	"reflect"
	"strings"
	"testing"

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
