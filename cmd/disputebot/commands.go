package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/fetch"
	"github.com/disputebot/disputebot/internal/ingest"
	"github.com/disputebot/disputebot/internal/render"
)

// flags parses a subcommand's flags, turning flag errors into usage
// errors. Flags may come before or after the words.
func flags(name string, args []string, define func(*flag.FlagSet)) ([]string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if define != nil {
		define(fs)
	}
	var rest []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return nil, &helpError{command: name}
		} else if err != nil {
			return nil, &usageError{msg: err.Error()}
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func cmdAsk(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var asJSON bool
	var guild string
	words, err := flags("ask", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "")
		fs.StringVar(&guild, "guild", "", "")
	})
	if err != nil {
		return err
	}
	if strings.TrimSpace(strings.Join(words, " ")) == "" {
		return &usageError{msg: "ask needs words: the parties or the subject, e.g. ask musk microsoft"}
	}
	_, lib, err := open(ctx, stderr, getenv)
	if err != nil {
		return err
	}
	defer closeLib(ctx, lib)
	ans, err := lib.Engine.Ask(ctx, answer.Request{Query: strings.Join(words, " "), Guild: guild})
	if errors.Is(err, answer.ErrEmptyQuery) {
		return &usageError{msg: "those words name nothing to look for; try party names, e.g. ask musk microsoft"}
	}
	if err != nil {
		return err
	}
	if asJSON {
		return render.JSON(stdout, render.ToJSON(ans))
	}
	return render.Text(stdout, ans)
}

func cmdIngest(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var asJSON bool
	var pageURL, guild string
	inputs, err := flags("ingest", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "")
		fs.StringVar(&pageURL, "url", "", "")
		fs.StringVar(&guild, "guild", "", "")
	})
	if err != nil {
		return err
	}
	if len(inputs) == 0 {
		return &usageError{msg: "ingest needs at least one URL or FILE"}
	}
	if pageURL != "" && len(inputs) > 1 {
		return &usageError{msg: "--url gives the address of one file; ingest the files one at a time"}
	}
	_, lib, err := open(ctx, stderr, getenv)
	if err != nil {
		return err
	}
	defer closeLib(ctx, lib)
	scope := article.GlobalScope
	if guild != "" {
		scope = guild
	}
	ins := make([]ingest.Input, len(inputs))
	outs := make([]render.IngestResult, len(inputs))
	bad := make([]error, len(inputs))
	for i, in := range inputs {
		outs[i] = render.IngestResult{Input: in, Parties: []string{}}
		ins[i], bad[i] = input(in, pageURL)
	}
	failed := 0
	var werr error
	lib.Pipeline.IngestInputs(ctx, ins, ingest.Options{Scope: scope}, func(i int, res *ingest.Result, err error) {
		if bad[i] != nil {
			err = bad[i]
		}
		out := &outs[i]
		if err != nil {
			failed++
			out.Error = inputReason(ins[i], err)
			lib.Log.Debug("ingest failed", "input", inputs[i], "error", err)
		} else {
			art := res.Article
			out.URL, out.Title, out.Site, out.Summary, out.DisputeScore, out.New = art.URL, art.Title, art.Site, art.Summary, art.DisputeScore, res.Created
			out.Parties = append(out.Parties, art.Parties...)
			if !art.Published.IsZero() {
				out.Published = art.Published.UTC().Format("2006-01-02T15:04:05Z07:00")
			}
		}
		if asJSON {
			if err := render.JSONLine(stdout, *out); err != nil && werr == nil {
				werr = err
			}
			return
		}
		render.Ingest(stdout, *out)
	})
	if werr != nil {
		return werr
	}
	if failed > 0 {
		return &failedError{n: failed}
	}
	return nil
}

// input is what one command-line argument asks to ingest: an address, or
// a saved page and the address it came from. A missing file is reported
// as such rather than fetched.
func input(in, pageURL string) (ingest.Input, error) {
	if strings.HasPrefix(in, "http://") || strings.HasPrefix(in, "https://") {
		return ingest.Input{URL: in}, nil
	}
	if _, err := os.Stat(in); err != nil {
		return ingest.Input{InHand: true}, fmt.Errorf("%w: %s", errNoSuchInput, in)
	}
	if pageURL != "" {
		return ingest.Input{URL: pageURL, Path: in}, nil
	}
	// A saved page with no address given is stored under the address it
	// declares for itself, else a stand-in that names the file, so
	// ingesting it twice stores it once.
	return ingest.Input{URL: "https://file.invalid/" + strings.TrimLeft(filepathToSlash(in), "/"), Path: in, StandIn: true}, nil
}

var errNoSuchInput = errors.New("no such file, and not an http(s) address")

// inputReason is the sentence for an input that failed: a saved file's
// failures in the words of files ("that file", "that folder"), an
// address's in the words of the web, and a private address's with the
// setting that allows it (on the command line, the reader is the
// operator).
func inputReason(in ingest.Input, err error) string {
	var nh *ingest.NotHTMLError
	isFile := in.Path != "" || errors.Is(err, errNoSuchInput)
	switch {
	case errors.Is(err, errNoSuchInput):
		return "There is no such file, and it is not an http(s) address."
	case isFile && errors.Is(err, ingest.ErrNotAFile):
		if st, serr := os.Stat(in.Path); serr == nil && st.IsDir() {
			return "That is a folder, not a file: name the pages in it."
		}
		return "That is not a regular file (a pipe or a device, say), so I did not open it."
	case isFile && errors.As(err, &nh):
		return "That file is not a web page or plain text (it looks like " + nh.MediaType + ")."
	case isFile && errors.Is(err, ingest.ErrNoArticle):
		return "I found no article text in that file."
	case isFile && errors.Is(err, ingest.ErrFileTooBig):
		return "That file is larger than FETCH_MAX_BYTES allows."
	case errors.Is(err, fetch.ErrPrivateAddress), errors.Is(err, fetch.ErrPort):
		return ingest.Reason(err) + " Set FETCH_ALLOW_PRIVATE=true to read local and private addresses."
	}
	return ingest.Reason(err)
}

func filepathToSlash(p string) string { return strings.ReplaceAll(p, string(os.PathSeparator), "/") }

func cmdDisputes(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var asJSON bool
	rest, err := flags("disputes", args, func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "") })
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{msg: "disputes takes no words"}
	}
	_, lib, err := open(ctx, stderr, getenv)
	if err != nil {
		return err
	}
	defer closeLib(ctx, lib)
	ds := lib.Engine.Disputes()
	if asJSON {
		out := make([]render.JSONDispute, len(ds))
		for i, d := range ds {
			out[i] = render.DisputeJSON(d)
		}
		return render.JSON(stdout, out)
	}
	return render.DisputeList(stdout, ds, lib.Engine.QueryFor)
}

func cmdReindex(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 {
		return &usageError{msg: "reindex takes no arguments"}
	}
	_, lib, err := open(ctx, stderr, getenv)
	if err != nil {
		return err
	}
	defer closeLib(ctx, lib)
	// Opening may have just rebuilt a stale or corrupt index: once is enough.
	n, err := lib.Index.Count()
	if !lib.IndexRebuilt {
		n, err = lib.Reindex(ctx)
	}
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return errors.New("interrupted: the old index is kept, unchanged, and still answers")
	case errors.Is(err, syscall.ENOSPC):
		return errors.New("the disk is full: the old index is kept, unchanged, and still answers; free some space and run reindex again")
	default:
		return fmt.Errorf("the index could not be rebuilt; the old one is kept, unchanged, and still answers (%w)", err)
	}
	fmt.Fprintf(stdout, "index rebuilt from the store: %d articles\n", n)
	return nil
}
