package library_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/disputebot/disputebot/internal/library"
)

// BenchmarkOpen: opening a generated data folder as serve does (counting
// the store's articles against the index's) and as a one-shot command
// does (trusting the index's sequence number). Needs the folders
// scripts/bench.sh generates:
//
//	BENCH_DIR=~/.cache/disputebot-bench go test -run '^$' -bench Open -benchtime 20x ./internal/library
func BenchmarkOpen(b *testing.B) {
	root := os.Getenv("BENCH_DIR")
	if root == "" {
		b.Skip("BENCH_DIR is not set: generate the data folders with scripts/bench.sh gen")
	}
	for _, size := range []string{"10k", "100k", "1m"} {
		dir := filepath.Join(root, size)
		if _, err := os.Stat(filepath.Join(dir, "gen.txt")); err != nil {
			continue
		}
		for _, mode := range []struct {
			name    string
			oneShot bool
		}{{"serve", false}, {"one-shot", true}} {
			b.Run(size+"/"+mode.name, func(b *testing.B) {
				for range b.N {
					lib, err := library.Open(context.Background(), library.Options{DataDir: dir, OneShot: mode.oneShot})
					if err != nil {
						b.Fatal(err)
					}
					lib.Close()
				}
			})
		}
	}
}
