package answer

import (
	"strings"
	"sync"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/gazetteer"
)

// builtIns remembers what answers work out from the built-in corpus and
// gazetteer, which is the same at every question: reading dispute titles
// (forgiving typos word by word), a party's ties and events' addresses
// was about a tenth of answering at 10k once the rows were kept. The corpus
// and the gazetteer bound what is kept. A guild's own aliases may read a
// name otherwise, so what depends on the gazetteer is kept only for
// questions asked without them.
type builtIns struct {
	mu        sync.Mutex
	titles    map[string][]string        // a title's head -> the parties it names
	ties      map[string]map[string]bool // a party -> related
	eventURLs map[string]canonical       // an event's address -> its canonical form
}

// canonical is an address in canonical form, if it has one.
type canonical struct {
	url string
	ok  bool
}

// titleParties are the parties a dispute's title names before its colon
// ("Elon Musk vs OpenAI: ...").
func (e *Engine) titleParties(g *gazetteer.Gazetteer, title string) []string {
	head, _, _ := strings.Cut(title, ":")
	if g != e.Gazetteer {
		return g.Resolve(head).Parties
	}
	b := &e.builtIn
	b.mu.Lock()
	defer b.mu.Unlock()
	ps, ok := b.titles[head]
	if !ok {
		ps = g.Resolve(head).Parties
		if b.titles == nil {
			b.titles = map[string][]string{}
		}
		b.titles[head] = ps
	}
	return ps
}

// partyTies are related(g, p); callers only read them.
func (e *Engine) partyTies(g *gazetteer.Gazetteer, p string) map[string]bool {
	if g != e.Gazetteer {
		return related(g, p)
	}
	b := &e.builtIn
	b.mu.Lock()
	defer b.mu.Unlock()
	ts, ok := b.ties[p]
	if !ok {
		ts = related(g, p)
		if b.ties == nil {
			b.ties = map[string]map[string]bool{}
		}
		b.ties[p] = ts
	}
	return ts
}

// eventURL is a built-in event's address in canonical form, as the
// store keeps it; ok is false for one that has none.
func (e *Engine) eventURL(raw string) (string, bool) {
	b := &e.builtIn
	b.mu.Lock()
	defer b.mu.Unlock()
	c, seen := b.eventURLs[raw]
	if !seen {
		u, err := article.CanonicalURL(raw)
		c = canonical{u, err == nil}
		if b.eventURLs == nil {
			b.eventURLs = map[string]canonical{}
		}
		b.eventURLs[raw] = c
	}
	return c.url, c.ok
}
