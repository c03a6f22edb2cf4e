package gazetteer_test

import (
	"reflect"
	"testing"

	"github.com/disputebot/disputebot/data"
	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/gazetteer"
)

func corpusGazetteer(t testing.TB) *gazetteer.Gazetteer {
	t.Helper()
	c, err := data.Load()
	if err != nil {
		t.Fatal(err)
	}
	g, err := gazetteer.New(c.Parties)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestResolvePhrasings(t *testing.T) {
	g := corpusGazetteer(t)
	muskMicrosoft := []string{"Elon Musk", "Microsoft"}
	tests := []struct {
		name  string
		query string
		want  []string // sorted canonical names
		words []string
	}{
		{"plain", "musk microsoft", muskMicrosoft, nil},
		{"reversed with vs.", "Microsoft vs. Elon Musk", muskMicrosoft, nil},
		{"ticker", "MSFT musk", muskMicrosoft, nil},
		{"first name and v", "elon v microsoft", muskMicrosoft, nil},
		{"and", "musk and microsoft", muskMicrosoft, nil},
		{"versus and punctuation", "Musk, versus: MICROSOFT!", muskMicrosoft, nil},
		{"possessive", "Musk's feud with Microsoft", muskMicrosoft, nil},
		{"typo swapped letters", "microsfot musk", muskMicrosoft, nil},
		{"typo missing letter", "microsft elon", muskMicrosoft, nil},
		{"typo in a four-letter name", "msuk microsoft", muskMicrosoft, nil},
		{"alias ms", "ms vs musk", muskMicrosoft, nil},
		{"single party", "musk", []string{"Elon Musk"}, nil},
		{"alias for X", "twitter vs musk", []string{"Elon Musk", "X Corp"}, nil},
		{"letter x", "musk x", []string{"Elon Musk", "X Corp"}, nil},
		{"regulator alias", "EU apple", []string{"Apple", "European Commission"}, nil},
		{"agency acronym", "doj google", []string{"Google", "US Department of Justice"}, nil},
		{"multi-word name", "new york times vs openai", []string{"OpenAI", "The New York Times"}, nil},
		{"words kept", "musk lawsuit time", []string{"Elon Musk"}, []string{"lawsuit", "time"}},
		{"common word not corrected", "meta data", []string{"Meta"}, []string{"data"}},
		{"unknown words", "quantum teleportation", nil, []string{"quantum", "teleportation"}},
		{"lower-case v is not Visa", "apple v epic", []string{"Apple", "Epic Games"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := g.Resolve(tt.query)
			got := append([]string{}, r.Parties...)
			sortStrings(got)
			if !reflect.DeepEqual(got, nonNilSlice(tt.want)) {
				t.Errorf("Resolve(%q).Parties = %v, want %v", tt.query, got, tt.want)
			}
			if !reflect.DeepEqual(nonNilSlice(r.Words), nonNilSlice(tt.words)) {
				t.Errorf("Resolve(%q).Words = %v, want %v", tt.query, r.Words, tt.words)
			}
		})
	}
}

func TestResolveReportsCorrections(t *testing.T) {
	g := corpusGazetteer(t)
	r := g.Resolve("microsfot musk")
	if r.Corrections["microsfot"] != "Microsoft" {
		t.Errorf("Corrections = %v, want microsfot -> Microsoft", r.Corrections)
	}
}

func TestDetectInProse(t *testing.T) {
	g := corpusGazetteer(t)
	tests := []struct {
		name, title, text string
		want              []string
		not               []string
	}{
		{"names and surnames", "Elon Musk accuses Microsoft", "Musk said Microsoft trained on Twitter data.", []string{"Elon Musk", "Microsoft", "X Corp"}, nil},
		{"fruit is not a company", "", "She ate an apple and went for a walk in the sun every day of the week.", nil, []string{"Apple"}},
		{"acronyms need capitals", "", "The EU fined the firm. It was the sec time.", []string{"European Commission"}, []string{"Securities and Exchange Commission"}},
		{"ticker in capitals", "", "Shares of MSFT fell.", []string{"Microsoft"}, nil},
		{"single letter never", "", "Plot x against y in the chart, then take the x axis.", nil, []string{"X Corp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]bool{}
			for _, m := range g.Detect(tt.title, tt.text) {
				got[m.Party] = true
			}
			for _, w := range tt.want {
				if !got[w] {
					t.Errorf("Detect missed %s in %q", w, tt.title+" "+tt.text)
				}
			}
			for _, n := range tt.not {
				if got[n] {
					t.Errorf("Detect found %s in %q", n, tt.title+" "+tt.text)
				}
			}
		})
	}
}

func TestNewRefusesAmbiguousAliases(t *testing.T) {
	_, err := gazetteer.New([]article.Party{
		{Name: "Alpha", Kind: article.Company, Aliases: []string{"same"}},
		{Name: "Beta", Kind: article.Company, Aliases: []string{"Same"}},
	})
	if err == nil {
		t.Fatal("New accepted one alias for two parties")
	}
}

func TestWithAliasesIsPerCopy(t *testing.T) {
	g := corpusGazetteer(t)
	guild := g.WithAliases(map[string]string{"chief twit": "Elon Musk"})
	if got := guild.Resolve("chief twit microsoft").Parties; len(got) != 2 {
		t.Errorf("guild alias not used: %v", got)
	}
	if got := g.Resolve("chief twit").Parties; len(got) != 0 {
		t.Errorf("guild alias leaked into the shared gazetteer: %v", got)
	}
}

func TestSuggest(t *testing.T) {
	g := corpusGazetteer(t)
	got := g.Suggest([]string{"nintedno"}, 3)
	if len(got) == 0 || got[0] != "Nintendo" {
		t.Errorf("Suggest(nintedno) = %v, want Nintendo first", got)
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func nonNilSlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
