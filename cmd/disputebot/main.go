// Command disputebot answers questions about disputes in the tech industry,
// from the command line or as a Discord bot. main only wires: it reads the
// configuration, opens the store and the index, and hands them to the
// subcommand asked for.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// usage is printed for help and for bad usage.
const usage = `disputebot answers questions about disputes in the tech industry.

Usage:
  disputebot ask [--json] [--guild ID] WORDS...   answer, e.g. "ask musk microsoft"
  disputebot ingest [--json] [--url URL] [--guild ID] URL|FILE...
                                                  read articles into the store and index
  disputebot disputes [--json]                    list the built-in disputes
  disputebot reindex                              rebuild the search index from the store
  disputebot serve                                run the Discord bot (needs DISCORD_TOKEN)
  disputebot help                                 show this text

Settings come from the environment and an optional .env file; see .env.example.
`

// exitUsage is the exit code for bad usage, as with flag's own errors.
const exitUsage = 2

// usageError is bad usage: the message goes to stderr with the usage text.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run is main without the process: tests call it with their own arguments,
// streams and environment.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer, func(string) string) error{
		"ask":      cmdAsk,
		"ingest":   cmdIngest,
		"disputes": cmdDisputes,
		"reindex":  cmdReindex,
		"serve":    cmdServe,
		// Benchmarks: not in the usage text, documented in BENCHMARKS.md.
		"gen-corpus":  cmdGenCorpus,
		"bench-serve": cmdBenchServe,
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "disputebot: unknown command %q\n\n%s", name, usage)
		return exitUsage
	}
	// While serve holds the data folder, the bot runs the command.
	if code, ok := forward(ctx, args, stdout, stderr, getenv); ok {
		return code
	}
	err := cmd(ctx, args[1:], stdout, stderr, getenv)
	var ue *usageError
	var fe *failedError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		if ue.msg != "" {
			fmt.Fprintf(stderr, "disputebot %s: %s\n\n", name, ue.msg)
		}
		fmt.Fprint(stderr, usage)
		return exitUsage
	case errors.As(err, &fe):
		return 1 // each failure was already reported
	default:
		fmt.Fprintf(stderr, "disputebot %s: %v\n", name, err)
		return 1
	}
}

// failedError means some inputs failed and were reported one by one.
type failedError struct{ n int }

func (e *failedError) Error() string { return fmt.Sprintf("%d inputs failed", e.n) }
