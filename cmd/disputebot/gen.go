package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/disputebot/disputebot/internal/gencorpus"
)

// cmdGenCorpus fills DATA_DIR with synthetic articles for benchmarks.
func cmdGenCorpus(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var n int
	var seed uint64
	rest, err := flags("gen-corpus", args, func(fs *flag.FlagSet) {
		fs.IntVar(&n, "n", 10000, "")
		fs.Uint64Var(&seed, "seed", 1, "")
	})
	if err != nil {
		return err
	}
	if len(rest) > 0 || n <= 0 {
		return &usageError{msg: "gen-corpus takes --n (a positive count) and --seed"}
	}
	_, lib, err := open(ctx, stderr, getenv)
	if err != nil {
		return err
	}
	defer closeLib(ctx, lib)
	have, err := lib.Store.CountArticles(ctx)
	if err != nil {
		return err
	}
	if have > len(lib.Corpus.Disputes)*20 {
		return fmt.Errorf("DATA_DIR=%s already holds %d articles; generate into an empty folder", lib.DataDir, have)
	}
	g := gencorpus.New(lib.Corpus, gencorpus.Options{N: n, Seed: seed})
	start := time.Now()
	last := start
	err = gencorpus.Fill(ctx, g, lib.Store, n, 2000, lib.Pipeline.Sync, func(done int) {
		if time.Since(last) > 10*time.Second || done == n {
			last = time.Now()
			fmt.Fprintf(stderr, "gen-corpus: %d/%d articles (%.0f/s)\n", done, n, float64(done)/time.Since(start).Seconds())
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "generated %d articles into %s in %s\n", n, lib.DataDir, time.Since(start).Round(time.Second))
	return nil
}
