package index_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disputebot/disputebot/data"
	"github.com/disputebot/disputebot/index"
	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/gencorpus"
	"github.com/disputebot/disputebot/internal/latency"
	"github.com/disputebot/disputebot/internal/library"
)

// benchClasses are the kinds of question the answer benchmark times,
// each asked in turn through a few questions of its kind: pairs that are
// in many stories together, pairs rare together though each party is
// common, one party alone, and free text (with and without a party).
var benchClasses = []benchClass{
	{"common-pair", []benchQuery{{parties: []string{"Google", "US Department of Justice"}}, {parties: []string{"Apple", "Epic Games"}}, {parties: []string{"Meta", "Federal Trade Commission"}}}},
	{"rare-pair", []benchQuery{{parties: []string{"Nintendo", "Pocketpair"}}, {parties: []string{"Elon Musk", "Microsoft"}}, {parties: []string{"Masimo", "Apple"}}}},
	{"single-party", []benchQuery{{parties: []string{"Apple"}}, {parties: []string{"OpenAI"}}, {parties: []string{"Amazon"}}}},
	{"free-text", []benchQuery{{words: "training data licensing", text: true}, {words: "antitrust appeal ruling", text: true}, {parties: []string{"Google"}, words: "appeal"}}},
}

// benchClass is a kind of question and the questions asked of it.
type benchClass struct {
	name    string
	queries []benchQuery
}

// variedClass is every built-in dispute's parties, together and each
// alone, asked once each in turn: 199 questions, whose
// rows and texts outgrow what the answer's caches keep, where the other
// classes' three questions keep them warm. It shows what an answer costs
// when it is not the last few asked.
func variedClass() benchClass {
	c, _ := data.Load()
	seen := map[string]bool{}
	var qs []benchQuery
	add := func(q benchQuery) {
		if k := q.String(); !seen[k] {
			seen[k] = true
			qs = append(qs, q)
		}
	}
	for _, d := range c.Disputes {
		if len(d.Parties) >= 2 {
			add(benchQuery{parties: d.Parties[:2]})
		}
	}
	for _, d := range c.Disputes {
		for _, p := range d.Parties {
			add(benchQuery{parties: []string{p}})
		}
	}
	return benchClass{"varied", qs}
}

// benchQuery is one question: parties, and words.
type benchQuery struct {
	parties []string
	words   string
	text    bool // a full-text search (the search command), not a dispute question
}

func (q benchQuery) String() string {
	s := join(q.parties)
	if q.words != "" {
		s = strings.TrimSpace(s + " " + q.words)
	}
	return s
}

// benchDirs are the data folders the benchmarks read: $BENCH_DIR/10k,
// 100k and 1m when generated (scripts/bench.sh makes them), and
// $BENCH_DIR/100k-pg, the same 100k articles in PostgreSQL at
// $BENCH_DATABASE_URL; else one small folder generated here so `go test
// -bench` works anywhere.
func benchDirs(b *testing.B) map[string]library.Options {
	b.Helper()
	dirs := map[string]library.Options{}
	if root := os.Getenv("BENCH_DIR"); root != "" {
		for _, n := range []string{"10k", "100k", "1m"} {
			if _, err := os.Stat(filepath.Join(root, n, "disputebot.db")); err == nil {
				dirs[n] = library.Options{DataDir: filepath.Join(root, n)}
			}
		}
		if url := os.Getenv("BENCH_DATABASE_URL"); url != "" {
			if _, err := os.Stat(filepath.Join(root, "100k-pg", "index.bleve")); err == nil {
				dirs["100k-pg"] = library.Options{DataDir: filepath.Join(root, "100k-pg"), DatabaseURL: url}
			}
		}
	}
	if len(dirs) == 0 {
		dir := b.TempDir()
		lib, err := library.Open(context.Background(), library.Options{DataDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		c, _ := data.Load()
		g := gencorpus.New(c, gencorpus.Options{Seed: 1})
		if err := gencorpus.Fill(context.Background(), g, lib.Store, 2000, 1000, lib.Pipeline.Sync, nil); err != nil {
			b.Fatal(err)
		}
		lib.Close()
		dirs["2k"] = library.Options{DataDir: dir}
	}
	return dirs
}

// BenchmarkAnswer times a whole answer (resolve, search, load, fold,
// summarise) for each class of question, at three clocks, beside two
// floors on the same index: the product's own index.Search for the same
// question (what the answer adds is outside the index), and the naive
// floor, Bleve alone (see export_test.go).
func BenchmarkAnswer(b *testing.B) {
	for name, opts := range benchDirs(b) {
		lib, err := library.Open(context.Background(), opts)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		// The generated corpus ends on gencorpus's End: answers are timed
		// at that day and six months and two years after it, since what
		// counts as recent depends on the day a question is asked.
		end := gencorpus.DefaultEnd
		clocks := []struct {
			name string
			now  time.Time
		}{{"at-end", end}, {"end+6mo", end.AddDate(0, 6, 0)}, {"end+2y", end.AddDate(2, 0, 0)}}
		for _, class := range append(benchClasses, variedClass()) {
			// Each question is answered once first, untimed by the clocks
			// below, recording the searches it makes (the floor below is
			// every search the answer makes: a question about a built-in
			// dispute makes two, its events and then the parties' newest
			// articles). The clocks then compare answers on the same
			// footing, caches holding what their questions read; what a
			// first ask costs is reported apart.
			searches, first := searchesOf(b, lib, class.queries, end)
			b.Run(name+"/first-ask/"+class.name, func(b *testing.B) {
				for b.Loop() {
					// A question is asked for the first time only once.
				}
				first.Report(b)
			})
			for _, clock := range clocks {
				b.Run(name+"/answer/"+class.name+"/"+clock.name, func(b *testing.B) {
					timeEach(b, class.queries, func(q benchQuery) error {
						_, err := lib.Engine.Ask(ctx, answer.Request{Query: q.String(), TextOnly: q.text, Now: clock.now})
						return err
					})
				})
			}
			// Paired: each question answered and its searches replayed
			// one after the other, in turn first, so that the ratio of
			// the two is measured under the same conditions (the
			// separate clocks above drift apart between sub-benchmarks
			// by more than the difference being measured).
			b.Run(name+"/paired/"+class.name, func(b *testing.B) {
				var ans, idx latency.Recorder
				i := 0
				for b.Loop() {
					k := i % len(class.queries)
					q := class.queries[k]
					i++
					askIt := func() {
						ans.Time(func() {
							if _, err := lib.Engine.Ask(ctx, answer.Request{Query: q.String(), TextOnly: q.text, Now: end}); err != nil {
								b.Fatal(err)
							}
						})
					}
					search := func() {
						idx.Time(func() {
							for _, s := range searches[k] {
								if _, err := lib.Index.Search(ctx, s); err != nil {
									b.Fatal(err)
								}
							}
						})
					}
					if i%2 == 0 {
						askIt()
						search()
					} else {
						search()
						askIt()
					}
				}
				a, x := ans.Quantile(0.5), idx.Quantile(0.5)
				b.ReportMetric(float64(a.Microseconds())/1000, "answer-median-ms")
				b.ReportMetric(float64(x.Microseconds())/1000, "index-median-ms")
				if x > 0 {
					b.ReportMetric(float64(a)/float64(x), "answer/index")
				}
			})
			b.Run(name+"/index/"+class.name, func(b *testing.B) {
				timeEach(b, searches, func(qs []index.Query) error {
					for _, q := range qs {
						if _, err := lib.Index.Search(ctx, q); err != nil {
							return err
						}
					}
					return nil
				})
			})
			b.Run(name+"/bare-bleve/"+class.name, func(b *testing.B) {
				timeEach(b, class.queries, func(q benchQuery) error {
					_, err := lib.Index.Bare(ctx, q.parties, strings.Fields(q.words), 100)
					return err
				})
			})
		}
		lib.Close()
	}
}

// searchesOf answers each question once at now, timing each answer, and
// returns the index searches each made.
func searchesOf(b *testing.B, lib *library.Library, qs []benchQuery, now time.Time) ([][]index.Query, *latency.Recorder) {
	b.Helper()
	engine := lib.Engine.Index
	defer func() { lib.Engine.Index = engine }()
	out := make([][]index.Query, len(qs))
	var took latency.Recorder
	for i, q := range qs {
		r := &recorder{Index: engine}
		lib.Engine.Index = r
		var err error
		took.Time(func() {
			_, err = lib.Engine.Ask(context.Background(), answer.Request{Query: q.String(), TextOnly: q.text, Now: now})
		})
		if err != nil {
			b.Fatal(err)
		}
		out[i] = r.asked
	}
	return out, &took
}

// recorder is the index as an answer sees it, keeping what it is asked.
type recorder struct {
	answer.Index
	asked []index.Query
}

func (r *recorder) Search(ctx context.Context, q index.Query) (index.Result, error) {
	r.asked = append(r.asked, q)
	return r.Index.Search(ctx, q)
}

// timeEach asks the questions in turn, recording each one's time.
func timeEach[Q any](b *testing.B, qs []Q, ask func(Q) error) {
	var r latency.Recorder
	i := 0
	for b.Loop() {
		q := qs[i%len(qs)]
		i++
		r.Time(func() {
			if err := ask(q); err != nil {
				b.Fatal(err)
			}
		})
	}
	r.Report(b)
}

func join(ps []string) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += " vs "
		}
		s += p
	}
	return s
}
