// Package gazetteer knows the parties of tech disputes and how people name
// them. It resolves what a member types ("MSFT vs elon") to canonical parties
// and finds the parties an article names. It owns the matching rules:
// aliases, tickers, word order, connectors and forgiven typos.
package gazetteer

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/disputebot/disputebot/internal/article"
)

// entry is one name under which a party can be found.
type entry struct {
	party  int  // index into Gazetteer.parties
	ticker bool // a stock ticker: matched in text only in capitals
	alias  bool // not the canonical name
}

// Gazetteer is an immutable table of parties and their names. A guild's own
// aliases are layered on top with WithAliases, which returns a new value.
type Gazetteer struct {
	parties []article.Party
	byName  map[string]int     // key of the canonical name -> party
	names   map[string][]entry // key of any name, alias or ticker -> parties
	single  map[int][]string   // one-word keys by length in runes, for typo search
	// maxWords is the most words any name has ("us district court for the
	// district of columbia" has eight): the matcher tries no longer runs.
	maxWords int
	// first maps each word that starts a name to the most words a name
	// starting with it has. Most words of a text start no name, and are
	// passed over at once.
	first map[string]int
}

// New builds a gazetteer. It refuses a table in which one name points at two
// parties, since a query could not be answered deterministically.
func New(parties []article.Party) (*Gazetteer, error) {
	g := &Gazetteer{
		parties: parties,
		byName:  make(map[string]int, len(parties)),
		names:   make(map[string][]entry, len(parties)*4),
		single:  map[int][]string{},
		first:   map[string]int{},
	}
	for i, p := range parties {
		k := Key(p.Name)
		if k == "" {
			return nil, fmt.Errorf("gazetteer: party %d has an empty name", i)
		}
		if j, dup := g.byName[k]; dup {
			return nil, fmt.Errorf("gazetteer: %q and %q have the same name", parties[j].Name, p.Name)
		}
		g.byName[k] = i
	}
	for i, p := range parties {
		g.add(Key(p.Name), entry{party: i})
		for _, a := range p.Aliases {
			if err := g.addAlias(a, i); err != nil {
				return nil, err
			}
		}
		for _, t := range p.Tickers {
			k := Key(t)
			if prev, ok := g.names[k]; ok && !prev[0].ticker && prev[0].party != i {
				// A ticker that spells another party's name ("ARM", "META")
				// belongs to the name.
				continue
			}
			g.add(k, entry{party: i, ticker: true, alias: true})
		}
	}
	return g, nil
}

func (g *Gazetteer) addAlias(alias string, party int) error {
	k := Key(alias)
	if k == "" {
		return nil
	}
	if j, ok := g.byName[k]; ok && j != party {
		return fmt.Errorf("gazetteer: alias %q of %q is the name of %q", alias, g.parties[party].Name, g.parties[j].Name)
	}
	for _, e := range g.names[k] {
		if e.party != party && !e.ticker {
			return fmt.Errorf("gazetteer: alias %q is given to both %q and %q", alias, g.parties[e.party].Name, g.parties[party].Name)
		}
	}
	g.add(k, entry{party: party, alias: true})
	return nil
}

func (g *Gazetteer) add(k string, e entry) {
	for _, old := range g.names[k] {
		if old.party == e.party {
			return
		}
	}
	words := strings.Count(k, " ") + 1
	g.maxWords = max(g.maxWords, words)
	w, _, _ := strings.Cut(k, " ")
	g.first[w] = max(g.first[w], words)
	if len(g.names[k]) == 0 && !strings.Contains(k, " ") {
		n := utf8.RuneCountInString(k)
		g.single[n] = append(g.single[n], k)
	}
	// Names come before tickers, so a name always wins the first slot.
	if !e.ticker && len(g.names[k]) > 0 {
		g.names[k] = append([]entry{e}, g.names[k]...)
		return
	}
	g.names[k] = append(g.names[k], e)
}

// WithAliases returns a copy of g in which each alias (a guild's own, from
// `alias add`) also names its party. An alias naming an unknown party, or
// already naming another party, is skipped: the built-in names win.
func (g *Gazetteer) WithAliases(aliases map[string]string) *Gazetteer {
	if len(aliases) == 0 {
		return g
	}
	c := &Gazetteer{parties: g.parties, byName: g.byName, names: make(map[string][]entry, len(g.names)+len(aliases)), single: map[int][]string{}, maxWords: g.maxWords, first: make(map[string]int, len(g.first))}
	for w, n := range g.first {
		c.first[w] = n
	}
	for k, v := range g.names {
		c.names[k] = v
	}
	for n, ks := range g.single {
		c.single[n] = ks
	}
	keys := make([]string, 0, len(aliases))
	for a := range aliases {
		keys = append(keys, a)
	}
	sort.Strings(keys)
	for _, a := range keys {
		if i, ok := g.byName[Key(aliases[a])]; ok {
			_ = c.addAlias(a, i)
		}
	}
	return c
}

// Parties returns every party, in table order.
func (g *Gazetteer) Parties() []article.Party { return g.parties }

// Party returns the party with the given canonical name (any case).
func (g *Gazetteer) Party(name string) (article.Party, bool) {
	i, ok := g.byName[Key(name)]
	if !ok {
		return article.Party{}, false
	}
	return g.parties[i], true
}

// RelatedTo lists the parties that name p among their related parties.
func (g *Gazetteer) RelatedTo(p string) []string {
	var out []string
	for _, q := range g.parties {
		if slices.Contains(q.Related, p) {
			out = append(out, q.Name)
		}
	}
	return out
}

// Lookup returns the canonical name a single name, alias or ticker stands
// for, exactly (no typo forgiven).
func (g *Gazetteer) Lookup(name string) (string, bool) {
	es, ok := g.names[Key(name)]
	if !ok {
		return "", false
	}
	return g.parties[es[0].party].Name, true
}

// isUpper reports whether s has letters and all of them are capitals.
func isUpper(s string) bool {
	seen := false
	for _, r := range s {
		if unicode.IsLetter(r) {
			if !unicode.IsUpper(r) {
				return false
			}
			seen = true
		}
	}
	return seen
}

// isCapitalised reports whether s starts with a capital or a digit.
func isCapitalised(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r) || unicode.IsDigit(r)
}
