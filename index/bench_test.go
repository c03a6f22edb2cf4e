package index_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/disputebot/disputebot/data"
	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/gencorpus"
	"github.com/disputebot/disputebot/internal/latency"
	"github.com/disputebot/disputebot/internal/library"
)

// benchQueries are asked in turn: pairs and single parties of different
// frequency, and a free-text search.
var benchQueries = [][]string{
	{"Elon Musk", "Microsoft"}, {"Google", "US Department of Justice"}, {"Apple", "Epic Games"},
	{"Meta", "Federal Trade Commission"}, {"Apple"}, {"Nintendo", "Pocketpair"},
}

// benchDirs are the data folders the benchmarks read: $BENCH_DIR/10k,
// 100k and 1m when generated (scripts/bench.sh makes them), else one small
// folder generated here so `go test -bench` works anywhere.
func benchDirs(b *testing.B) map[string]string {
	b.Helper()
	dirs := map[string]string{}
	if root := os.Getenv("BENCH_DIR"); root != "" {
		for _, n := range []string{"10k", "100k", "1m"} {
			if _, err := os.Stat(filepath.Join(root, n, "disputebot.db")); err == nil {
				dirs[n] = filepath.Join(root, n)
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
		dirs["2k"] = dir
	}
	return dirs
}

// BenchmarkAnswer times a whole answer (resolve, search, load, fold,
// summarise) beside the bare Bleve conjunction for the same parties on the
// same index.
func BenchmarkAnswer(b *testing.B) {
	for name, dir := range benchDirs(b) {
		lib, err := library.Open(context.Background(), library.Options{DataDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		// The generated corpus ends on gencorpus's End: answers are timed
		// at that day and six months and two years after it, since the
		// date windows count back from the day a question is asked.
		end := gencorpus.DefaultEnd
		for _, clock := range []struct {
			name string
			now  time.Time
		}{{"at-end", end}, {"end+6mo", end.AddDate(0, 6, 0)}, {"end+2y", end.AddDate(2, 0, 0)}} {
			b.Run(name+"/answer/"+clock.name, func(b *testing.B) {
				var r latency.Recorder
				i := 0
				for b.Loop() {
					q := benchQueries[i%len(benchQueries)]
					i++
					r.Time(func() {
						if _, err := lib.Engine.Ask(ctx, answer.Request{Query: join(q), Now: clock.now}); err != nil {
							b.Fatal(err)
						}
					})
				}
				r.Report(b)
			})
		}
		b.Run(name+"/bare-bleve", func(b *testing.B) {
			var r latency.Recorder
			i := 0
			for b.Loop() {
				q := benchQueries[i%len(benchQueries)]
				i++
				r.Time(func() {
					if _, err := lib.Index.BareConjunction(ctx, q, 100); err != nil {
						b.Fatal(err)
					}
				})
			}
			r.Report(b)
		})
		lib.Close()
	}
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
