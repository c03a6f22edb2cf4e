package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/disputebot/disputebot/internal/extract"
	"github.com/disputebot/disputebot/internal/gencorpus"
	"github.com/disputebot/disputebot/internal/testpages"
)

// vocabulary reads the words of the real article pages in dir (by
// default the readability pages beside the project, when present), for
// the generator to draw real words with their real frequencies. Without
// pages it returns nil, and the generator makes up a vocabulary of the
// same shape.
func vocabulary(dir string) ([]string, string) {
	if dir == "" {
		d, ok := testpages.Dir()
		if !ok {
			return nil, "made up: no real pages found"
		}
		dir = d
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "source.html"))
	var texts []string
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if p, err := extract.Extract(body, "text/html", "https://example.org/"); err == nil {
			texts = append(texts, p.Title, p.Text)
		}
	}
	if len(texts) == 0 {
		return nil, "made up: no pages in " + dir
	}
	return gencorpus.Vocabulary(texts), fmt.Sprintf("from %d pages in %s", len(files), dir)
}

// cmdGenCorpus fills DATA_DIR with synthetic articles for benchmarks.
func cmdGenCorpus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var n int
	var seed uint64
	var wordsFrom string
	rest, err := flags("gen-corpus", args, func(fs *flag.FlagSet) {
		fs.IntVar(&n, "n", 10000, "")
		fs.Uint64Var(&seed, "seed", 1, "")
		fs.StringVar(&wordsFrom, "words", "", "")
	})
	if err != nil {
		return err
	}
	if len(rest) > 0 || n <= 0 {
		return errors.New("gen-corpus takes --n (a positive count), --seed and --words")
	}
	lib, err := open(ctx, stderr)
	if err != nil {
		return err
	}
	defer lib.Close()
	have, err := lib.Store.CountArticles(ctx)
	if err != nil {
		return err
	}
	if have > len(lib.Corpus.Disputes)*20 {
		return fmt.Errorf("DATA_DIR=%s already holds %d articles; generate into an empty folder", lib.DataDir, have)
	}
	vocab, from := vocabulary(wordsFrom)
	fmt.Fprintf(stderr, "gen-corpus: a vocabulary of %d words (%s)\n", len(vocab), from)
	g := gencorpus.New(lib.Corpus, gencorpus.Options{N: n, Seed: seed, Vocabulary: vocab})
	start := time.Now()
	last := start
	// The last tenth is timed apart: it is the ingest rate of a store that
	// already holds nine tenths of the corpus, which is what a long-lived
	// deployment sees.
	tenthAt, tenthFrom := start, 0
	err = gencorpus.Fill(ctx, g, lib.Store, n, 2000, lib.Pipeline.Sync, func(done int) {
		if done <= n-n/10 {
			tenthAt, tenthFrom = time.Now(), done
		}
		if time.Since(last) > 10*time.Second || done == n {
			last = time.Now()
			fmt.Fprintf(stderr, "gen-corpus: %d/%d articles (%.0f/s)\n", done, n, float64(done)/time.Since(start).Seconds())
		}
	})
	if err != nil {
		return err
	}
	took := time.Since(start)
	lastTenth := 0.0
	if d := time.Since(tenthAt).Seconds(); d > 0 && n > tenthFrom {
		lastTenth = float64(n-tenthFrom) / d
	}
	fmt.Fprintf(stdout, "generated %d articles into %s (%s store) in %s: %.0f articles/s overall, %.0f articles/s over the last tenth\n",
		n, lib.DataDir, lib.Store.Backend(), took.Round(time.Second), float64(n)/took.Seconds(), lastTenth)
	return nil
}
