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
  disputebot ask [--json] [--guild ID] WORDS... [since DATE]
                                                  answer, e.g. "ask musk microsoft"
  disputebot ingest [--json] [--url URL] [--guild ID] URL|FILE...
                                                  read articles into the store and index
  disputebot disputes [--json]                    list the built-in disputes
  disputebot reindex                              rebuild the search index from the store
  disputebot source --guild ID [add URL | remove NUMBER|URL | list]
                                                  a Discord server's article sources
  disputebot feed --guild ID [add URL [--channel ID] [--every 30m] | remove NUMBER|URL | list]
                                                  a Discord server's feeds
  disputebot export [FILE]                        write the store as JSON Lines (to move it)
  disputebot import FILE                          read an export into a new, empty store
  disputebot serve [--interactions-only]          run the Discord bot (needs DISCORD_TOKEN)
  disputebot web                                  serve the read-only web pages (needs WEB_ADDR, PUBLIC_URL)
  disputebot help                                 show this text
  disputebot COMMAND --help                       a command's own help, with examples

While serve runs, ask, ingest, disputes, reindex, source and feed are
carried out by the running bot. Settings come from the environment and an
optional .env file; see .env.example.
`

// commandHelp is each command's --help.
var commandHelp = map[string]string{
	"ask": `disputebot ask [--json] [--guild ID] WORDS... [since DATE]

Answers a question about a dispute: a summary, where it stands, and a dated
timeline with every source. Name the parties in any order and spelling
(names, aliases, tickers, one typo a word); other words rank the answer.

  disputebot ask musk microsoft
  disputebot ask what is going on between elon musk and openai
  disputebot ask MSFT vs elon
  disputebot ask authors anthropic settlement
  disputebot ask epic apple since 2024        (also since 2024-06, since march 2024, since 2024-06-15)
  disputebot ask --json openai                (the JSON shape is in the README)

  --json       print the answer as JSON
  --guild ID   include that Discord server's own sources and aliases
`,
	"ingest": `disputebot ingest [--json] [--url URL] [--guild ID] URL|FILE...

Reads articles (web addresses, or saved HTML or plain-text files) into the
store and the index: title, outlet, date, parties and a summary. A failed
input is reported and does not stop the others; the exit code is 1 when any
failed.

  disputebot ingest https://www.example.com/2024/05/01/story
  disputebot ingest saved-page.html           (stored under the address the page declares)
  disputebot ingest --url https://www.example.com/story saved-page.html
  disputebot ingest --json *.html             (one JSON object per line)

  --json       one JSON object per input, one per line (JSON Lines)
  --url URL    the address a single saved file came from
  --guild ID   add the articles to that Discord server's sources only
`,
	"disputes": `disputebot disputes [--json]

Lists the built-in disputes, most recently active first, each with where it
stands and what to ask about it.
`,
	"reindex": `disputebot reindex

Rebuilds the search index from the store, beside the old index, which keeps
answering until the new one is complete.
`,
	"source": `disputebot source --guild ID [add URL | remove NUMBER|URL | list] [--json]

Manages a Discord server's article sources, as its moderators do with
!source: add reads the article into that server's answers (and tells its
subscribers), remove takes it out again, list shows them.

  disputebot source --guild 123456789012345678 add https://www.example.com/2024/05/01/story
  disputebot source --guild 123456789012345678 remove 4
  disputebot source --guild 123456789012345678 list --json

  --guild ID   the server's id (in Discord: right-click the server, Copy Server ID)
  --json       list as JSON
`,
	"feed": `disputebot feed --guild ID [add URL [--channel ID] [--every 30m] | remove NUMBER|URL | list] [--json]

Manages a Discord server's RSS, Atom and JSON feeds, as its moderators do
with !feed: add follows a feed (its current items are indexed, not
announced), remove stops, list shows each feed's state.

  disputebot feed --guild 123456789012345678 add https://www.example.com/feed.xml
  disputebot feed --guild 123456789012345678 add https://www.example.com/feed.xml --channel 223456789012345678 --every 30m
  disputebot feed --guild 123456789012345678 remove 2

  --guild ID     the server's id
  --channel ID   post new dispute articles in this channel of the server
  --every D      how often to check (default FEED_INTERVAL; at least FEED_MIN_INTERVAL)
  --json         list as JSON
`,
	"export": `disputebot export [FILE]

Writes the whole store (articles, sources and feeds, subscriptions, aliases,
notices sent and waiting) as JSON Lines to FILE, or to standard output, from
one consistent moment; a running bot goes on meanwhile. FILE must not exist.
With import, it moves a bot between SQLite and PostgreSQL:

  disputebot export backup.jsonl
  DATA_DIR=/srv/new DATABASE_URL=postgres://disputebot@db/disputebot disputebot import backup.jsonl
`,
	"import": `disputebot import FILE

Reads an export (FILE, or - for standard input) into the store the settings
name (DATABASE_URL, else DATA_DIR's SQLite file), which must be new and
empty, then builds the index. All or nothing: a bad line stops it with the
line named, and nothing is imported. Notices waiting to be sent are sent by
the next serve, once.

  DATA_DIR=/srv/new disputebot import backup.jsonl
`,
	"serve": `disputebot serve [--interactions-only]

Runs the Discord bot. It needs DISCORD_TOKEN (in the environment or .env);
see the README for creating the Discord application.

With INTERACTIONS_ADDR and DISCORD_PUBLIC_KEY set, it also answers the slash
commands, buttons and autocomplete Discord POSTs to the application's
Interactions Endpoint URL, which should lead to that address.

  INTERACTIONS_ADDR=127.0.0.1:8080 DISCORD_PUBLIC_KEY=<64 hex digits> disputebot serve
  INTERACTIONS_ADDR=:8080 DISCORD_PUBLIC_KEY=<64 hex digits> disputebot serve --interactions-only

  --interactions-only   answer interaction POSTs only: no gateway connection,
                        no feed polls, no notices; it still needs DISCORD_TOKEN
                        (to finish slow answers) and its data folder

With WEB_ADDR and PUBLIC_URL set, it also serves the read-only web pages
(see disputebot web --help).
`,
	"web": `disputebot web

Serves read-only web pages on WEB_ADDR, from the data folder ask reads and
with no Discord token: the built-in disputes, a page per dispute with its
background, where it stands, its timeline picture and every entry with its
source, and the answer to a question (/search?q=). PUBLIC_URL is the
address people reach the pages at, which link previews are built from.
Only the built-in corpus and articles read for everyone are shown, never a
Discord server's own sources.

  WEB_ADDR=127.0.0.1:8081 PUBLIC_URL=https://disputes.example.org disputebot web
`,
}

// helpError asks for a command's help: printed to stdout, exit code 0.
type helpError struct{ command string }

func (e *helpError) Error() string { return "help requested" }

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
		"source":   cmdSource,
		"feed":     cmdFeed,
		"export":   cmdExport,
		"import":   cmdImport,
		"serve":    cmdServe,
		"web":      cmdWeb,
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
	if len(args) == 2 && (args[1] == "-h" || args[1] == "--help" || args[1] == "-help") && commandHelp[name] != "" {
		fmt.Fprint(stdout, commandHelp[name])
		return 0
	}
	// While serve holds the data folder, the bot runs the command.
	if code, ok := forward(ctx, args, stdout, stderr, getenv); ok {
		return code
	}
	err := cmd(ctx, args[1:], stdout, stderr, getenv)
	var ue *usageError
	var fe *failedError
	var he *helpError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &he):
		fmt.Fprint(stdout, commandHelp[he.command])
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
