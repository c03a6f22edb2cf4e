// Package gencorpus writes synthetic but realistic articles for benchmarks.
// What makes an index fast or slow is modelled on real news rather than
// its prose:
//
//   - vocabulary: tens of thousands of words, drawn with a Zipf skew (a
//     few words in every article, most in few), taken from real article
//     text when some is given (Options.Vocabulary), else made up with the
//     same shape; no sentence of any source is reproduced;
//   - parties: from the gazetteer, with a Zipf skew, so some pairs are
//     in thousands of stories and most in a handful;
//   - dates: in bursts, as disputes flare around a filing or a ruling and
//     go quiet for months; a tenth spread evenly over ten years;
//   - dozens of outlets, 300 to 1,500 words each.
//
// The same seed and vocabulary always give the same articles.
package gencorpus

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/disputebot/disputebot/data"
	"github.com/disputebot/disputebot/internal/analyse"
	"github.com/disputebot/disputebot/internal/article"
	prose "github.com/disputebot/disputebot/internal/english"
	"github.com/disputebot/disputebot/internal/store"
)

// Options sets what to generate.
type Options struct {
	N        int
	Seed     uint64
	End      time.Time // the newest article's date; ten years before it is the oldest
	MinWords int       // default 300
	MaxWords int       // default 1500
	Guilds   int       // articles not global are spread over this many guilds (default 50)
	// Vocabulary is real words, most frequent first (see Vocabulary);
	// empty, a made-up vocabulary of the same shape is used.
	Vocabulary []string
}

// DefaultEnd is the newest article's date unless Options say otherwise:
// fixed, so benchmarks measure the same corpus at clocks they choose.
var DefaultEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Generator makes articles one at a time.
type Generator struct {
	o       Options
	rng     *rand.Rand
	parties []string // most frequent first
	zipf    *rand.Zipf
	words   []string
	wzipf   *rand.Zipf
	bursts  map[string][]time.Time // a pair's flare-ups
	n       int
}

// syntheticWords is the size of the made-up vocabulary.
const syntheticWords = 40000

// New prepares a generator drawing parties from the corpus: the parties of
// built-in disputes are the most frequent, the rest of the gazetteer follows.
func New(c *data.Corpus, o Options) *Generator {
	if o.MinWords == 0 {
		o.MinWords = 300
	}
	if o.MaxWords == 0 {
		o.MaxWords = 1500
	}
	if o.Guilds == 0 {
		o.Guilds = 50
	}
	if o.End.IsZero() {
		o.End = DefaultEnd
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	freq := map[string]int{}
	for _, d := range c.Disputes {
		for _, p := range d.Parties {
			freq[p] += len(d.Events)
		}
	}
	var parties []string
	for _, p := range c.Parties {
		parties = append(parties, p.Name)
	}
	sort.SliceStable(parties, func(i, j int) bool { return freq[parties[i]] > freq[parties[j]] })
	words := o.Vocabulary
	if len(words) < 1000 {
		words = madeUpWords(rand.New(rand.NewPCG(o.Seed+1, 7)), syntheticWords)
	}
	return &Generator{o: o, rng: rng, parties: parties, zipf: rand.NewZipf(rng, 1.15, 2, uint64(len(parties)-1)),
		words: words, wzipf: rand.NewZipf(rng, 1.07, 1, uint64(len(words)-1)), bursts: map[string][]time.Time{}}
}

// madeUpWords is a vocabulary of n pronounceable made-up words, standing
// in for real text's when none is given: its index has as many terms.
func madeUpWords(r *rand.Rand, n int) []string {
	onsets := []string{"b", "br", "c", "ch", "d", "f", "g", "gr", "h", "j", "k", "l", "m", "n", "p", "pl", "r", "s", "st", "t", "tr", "v", "w", "z"}
	vowels := []string{"a", "e", "i", "o", "u", "ai", "ea", "ou"}
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		var b strings.Builder
		for range 1 + r.IntN(3) {
			b.WriteString(onsets[r.IntN(len(onsets))])
			b.WriteString(vowels[r.IntN(len(vowels))])
		}
		if r.IntN(2) == 0 {
			b.WriteString(onsets[r.IntN(len(onsets))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// Vocabulary counts the words of texts and returns them most frequent
// first (ties alphabetical), for Options.Vocabulary: the generator then
// draws real words with real frequencies, never their sentences.
func Vocabulary(texts []string) []string {
	count := map[string]int{}
	for _, t := range texts {
		for w := range prose.Words(t) {
			if len(w) > 1 && len(w) < 20 {
				count[w]++
			}
		}
	}
	words := make([]string, 0, len(count))
	for w := range count {
		words = append(words, w)
	}
	sort.Slice(words, func(i, j int) bool {
		if count[words[i]] != count[words[j]] {
			return count[words[i]] > count[words[j]]
		}
		return words[i] < words[j]
	})
	return words
}

// date draws an article's date: mostly in one of its pair's flare-ups,
// which are few and a few weeks long, so a pair is quiet for months
// between them; a tenth of articles spread evenly over the ten years.
func (g *Generator) date(r *rand.Rand, pair string) time.Time {
	const days10 = 3652
	if r.IntN(10) == 0 {
		return g.o.End.AddDate(0, 0, -r.IntN(days10)).Add(time.Duration(r.IntN(86400)) * time.Second)
	}
	bs, ok := g.bursts[pair]
	if !ok {
		for range 2 + r.IntN(6) {
			bs = append(bs, g.o.End.AddDate(0, 0, -r.IntN(days10)))
		}
		g.bursts[pair] = bs
	}
	center := bs[r.IntN(len(bs))]
	d := center.Add(time.Duration(r.ExpFloat64()*10*24) * time.Hour).Add(time.Duration(r.IntN(86400)) * time.Second)
	if d.After(g.o.End) {
		d = g.o.End.Add(-time.Duration(r.IntN(86400*30)) * time.Second)
	}
	return d
}

// prose draws n words of the vocabulary.
func (g *Generator) prose(r *rand.Rand, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = g.words[g.wzipf.Uint64()]
	}
	return strings.Join(parts, " ")
}

var outlets = []string{"Reuters", "Associated Press", "Bloomberg", "The Verge", "Ars Technica", "TechCrunch", "CNBC", "BBC News", "The Guardian",
	"Financial Times", "The Wall Street Journal", "The New York Times", "Axios", "Politico", "Engadget", "Wired", "The Information", "Protocol",
	"ZDNet", "CNET", "Business Insider", "Fortune", "Forbes", "Los Angeles Times", "The Washington Post", "Euronews", "Le Monde", "Nikkei Asia",
	"South China Morning Post", "The Register", "Computerworld", "VentureBeat", "9to5Mac", "Android Police", "MacRumors", "GeekWire", "Semafor",
	"Law360", "Courthouse News", "Bloomberg Law"}

var topics = []string{"app store fees", "search deals", "advertising technology", "patent royalties", "training data", "user privacy",
	"a merger", "cloud licensing", "chip exports", "content moderation", "payment rules", "default settings", "game distribution",
	"smartphone sensors", "news licensing", "data transfers", "API pricing", "self-driving technology", "music streaming", "worker pay"}

var courts = []string{"a federal court in San Francisco", "the Delaware Court of Chancery", "the High Court in London", "the General Court in Luxembourg",
	"a federal judge in Washington", "the Ninth Circuit", "a Tokyo district court", "a jury in Texas", "the Federal Circuit", "a court in Munich"}

var wrongs = []string{"abusing its dominance", "copying its technology", "breaking a contract", "misleading investors", "scraping its data",
	"stifling competition", "infringing its patents", "violating privacy law", "ignoring a court order", "overcharging developers"}

var days = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}

// Next makes the next article.
func (g *Generator) Next() *article.Article {
	g.n++
	r := g.rng
	np := 1 + r.IntN(3)
	if r.IntN(10) == 0 {
		np++
	}
	seen := map[string]bool{}
	var ps []string
	for len(ps) < np {
		p := g.parties[g.zipf.Uint64()]
		if !seen[p] {
			seen[p] = true
			ps = append(ps, p)
		}
	}
	a, b := ps[0], ps[len(ps)-1]
	if len(ps) == 1 {
		b = "regulators"
	}
	topic := pick(r, topics)
	titles := []string{
		"%s sues %s over %s", "%s and %s settle their fight over %s", "%s accuses %s of unfair %s practices",
		"Judge sides with %s against %s in %s case", "%s appeals ruling won by %s over %s", "%s faces %s probe over %s",
		"%s wins delay in %s dispute over %s", "%s fined after %s complaint about %s",
	}
	title := fmt.Sprintf(pick(r, titles), a, b, topic) + ": " + g.prose(r, 3)
	words := g.o.MinWords + r.IntN(g.o.MaxWords-g.o.MinWords+1)
	text := g.text(r, a, b, ps, topic, words)
	pair := a + "|" + b
	if b < a {
		pair = b + "|" + a
	}
	published := g.date(r, pair)
	outlet := outlets[int(math.Min(float64(len(outlets)-1), r.ExpFloat64()*8))]
	scope := article.GlobalScope
	if r.IntN(10) == 0 {
		scope = fmt.Sprintf("9%017d", r.IntN(g.o.Guilds))
	}
	first2 := strings.SplitN(text, ". ", 3)
	summary := text
	if len(first2) >= 2 {
		summary = first2[0] + ". " + first2[1] + "."
	}
	return &article.Article{
		URL:          fmt.Sprintf("https://%s.example/%s/%s-%d", slug(outlet), published.Format("2006/01/02"), slug(title), g.n),
		Title:        title,
		Site:         outlet,
		Published:    published,
		FirstSeen:    published.Add(time.Hour),
		DateSource:   "metadata",
		Text:         text,
		Summary:      summary,
		Parties:      ps,
		DisputeScore: analyse.DisputeScore(title, text[:min(len(text), 2000)]),
		Scopes:       []string{scope},
	}
}

func (g *Generator) text(r *rand.Rand, a, b string, ps []string, topic string, words int) string {
	sentences := []func() string{
		func() string {
			return fmt.Sprintf("%s filed a complaint against %s in %s on %s, saying the dispute over %s had cost it millions.", a, b, pick(r, courts), pick(r, days), topic)
		},
		func() string {
			return fmt.Sprintf("%s denied wrongdoing and said it would fight the claims, which accuse it of %s.", b, pick(r, wrongs))
		},
		func() string {
			return fmt.Sprintf("Lawyers for %s told the judge that the case was about %s and nothing else.", a, topic)
		},
		func() string {
			return fmt.Sprintf("The ruling could cost %s as much as $%d million if it stands on appeal.", b, 10+r.IntN(9000))
		},
		func() string {
			return fmt.Sprintf("Analysts said the fight between %s and %s would shape how companies handle %s for years.", a, b, topic)
		},
		func() string { return fmt.Sprintf("%s declined to comment beyond its earlier statement.", pick(r, ps)) },
		func() string {
			return fmt.Sprintf("Regulators in Brussels and Washington have opened their own inquiries into %s.", topic)
		},
		func() string {
			return fmt.Sprintf("A trial is scheduled for %d, although a settlement before then remains possible.", 2017+r.IntN(10))
		},
		func() string {
			return fmt.Sprintf("Shares of %s moved little on the news, while critics said the penalty was too small to matter.", pick(r, ps))
		},
		func() string {
			return fmt.Sprintf("People familiar with the talks said %s had offered to change its rules on %s in exchange for dropping the case.", b, topic)
		},
	}
	// A sentence of the dispute's skeleton, then one of vocabulary words:
	// the index sees the word frequencies of real text.
	var sb strings.Builder
	n := 0
	for n < words {
		for i := 0; i < 3+r.IntN(3) && n < words; i++ {
			s := sentences[r.IntN(len(sentences))]()
			if n == 0 {
				s = sentences[0]()
			}
			filler := g.prose(r, 8+r.IntN(14))
			s += " " + capitalise(filler) + "."
			sb.WriteString(s)
			sb.WriteByte(' ')
			n += strings.Count(s, " ") + 1
		}
		sb.WriteString("\n")
	}
	return strings.TrimSpace(sb.String())
}

func pick(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// Fill writes n generated articles into the store, batch articles per
// transaction, calling indexed after each batch so the caller can bring the
// index up to date, and progress with the running count.
func Fill(ctx context.Context, g *Generator, st *store.Store, n, batch int, indexed func(context.Context) error, progress func(int)) error {
	for done := 0; done < n; {
		k := min(batch, n-done)
		arts := make([]*article.Article, k)
		scopes := map[string][]*article.Article{}
		for i := range arts {
			arts[i] = g.Next()
			scopes[arts[i].Scopes[0]] = append(scopes[arts[i].Scopes[0]], arts[i])
		}
		keys := make([]string, 0, len(scopes))
		for s := range scopes {
			keys = append(keys, s)
		}
		sort.Strings(keys)
		for _, s := range keys {
			if _, err := st.SaveArticles(ctx, scopes[s], s); err != nil {
				return err
			}
		}
		if err := indexed(ctx); err != nil {
			return err
		}
		done += k
		if progress != nil {
			progress(done)
		}
	}
	return nil
}

// capitalise upper-cases the first letter of s: a whole character, not its
// first byte, which would leave invalid UTF-8 behind a word like "écran".
func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
