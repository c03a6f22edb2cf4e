// Command disputebench generates benchmark corpora and measures a whole
// serving process; scripts/bench.sh runs it. It is a command of its own so
// that the generator and the measuring code, and the testing package they
// use, stay out of the disputebot binary. main only wires.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/disputebot/disputebot/internal/config"
	"github.com/disputebot/disputebot/internal/library"
)

const usage = `disputebench makes and measures benchmark data folders (see BENCHMARKS.md).

Usage:
  disputebench gen-corpus [--n N] [--seed S] [--words DIR]   fill DATA_DIR with N generated articles
  disputebench bench-serve [--queries N]                     time a process answering N questions
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"gen-corpus":  cmdGenCorpus,
		"bench-serve": cmdBenchServe,
	}
	if len(args) == 0 || cmds[args[0]] == nil {
		fmt.Fprint(stderr, usage)
		return 2
	}
	if err := cmds[args[0]](ctx, args[1:], stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "disputebench %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// flags parses a subcommand's flags.
func flags(name string, args []string, define func(*flag.FlagSet)) ([]string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	define(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return fs.Args(), nil
}

// open opens the data folder the settings name.
func open(ctx context.Context, stderr io.Writer) (*library.Library, error) {
	cfg, err := config.Load(".env", os.Getenv)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	lib, err := library.Open(ctx, library.OptionsFrom(cfg, log))
	if errors.Is(err, library.ErrInUse) {
		return nil, fmt.Errorf("DATA_DIR=%s is in use by another process", cfg.DataDir)
	}
	return lib, err
}
