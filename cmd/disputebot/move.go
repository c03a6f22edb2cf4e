package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/disputebot/disputebot/internal/config"
	"github.com/disputebot/disputebot/internal/library"
	"github.com/disputebot/disputebot/internal/store"
)

// Moving house: export writes the store as JSON Lines, import reads such a
// file into an empty store (SQLite or PostgreSQL, whichever the settings
// name), so an operator can move from one to the other and back.

func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	rest, err := flags("export", args, nil)
	if err != nil {
		return err
	}
	if len(rest) > 1 {
		return &usageError{msg: "export takes one file name at most (none, or -, writes to standard output)"}
	}
	cfg, err := config.Load(".env", getenv)
	if err != nil {
		return err
	}
	st, err := library.OpenStore(ctx, library.OptionsFrom(cfg, nil))
	if err != nil {
		return fmt.Errorf("opening %s: %w", storeName(cfg), err)
	}
	defer st.Close()
	out, name := stdout, "standard output"
	if len(rest) == 1 && rest[0] != "-" {
		name = rest[0]
		// Never over an existing file: it may be the last good export.
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists: choose another name, or remove it first", name)
		}
		if err != nil {
			return fmt.Errorf("cannot create %s: %w", name, errors.Unwrap(err))
		}
		defer f.Close()
		out = f
	}
	counts, err := st.Export(ctx, out)
	if err != nil {
		if name != "standard output" {
			os.Remove(name) // a half-written export is no export
		}
		return err
	}
	if f, ok := out.(*os.File); ok && out != stdout {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	fmt.Fprintf(stderr, "exported %s to %s\n", rowCounts(counts), name)
	return nil
}

func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	rest, err := flags("import", args, nil)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return &usageError{msg: "import needs the export to read: a file name, or - for standard input"}
	}
	cfg, err := config.Load(".env", getenv)
	if err != nil {
		return err
	}
	var in io.Reader = os.Stdin
	if rest[0] != "-" {
		f, err := os.Open(rest[0])
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", rest[0], errors.Unwrap(err))
		}
		defer f.Close()
		in = f
	}
	st, err := library.OpenStore(ctx, library.OptionsFrom(cfg, nil))
	if err != nil {
		return fmt.Errorf("opening %s: %w", storeName(cfg), err)
	}
	counts, err := st.Import(ctx, in)
	st.Close()
	var ie *store.ImportError
	switch {
	case errors.Is(err, store.ErrNotEmpty):
		return fmt.Errorf("%s already holds data: import only into a new, empty store (another DATA_DIR, or an empty PostgreSQL database); nothing was changed", storeName(cfg))
	case errors.As(err, &ie):
		return fmt.Errorf("%s, %s; nothing was imported", rest[0], ie)
	case err != nil:
		return fmt.Errorf("nothing was imported: %w", err)
	}
	fmt.Fprintf(stdout, "imported %s into %s\n", rowCounts(counts), storeName(cfg))
	// The index is the store's: build it now, so the first question after
	// the move does not wait for it.
	lib, err := openFolder(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer lib.Close()
	n, _ := lib.Index.Count()
	fmt.Fprintf(stdout, "index built from the store: %d articles\n", n)
	return nil
}

// rowCounts says what moved.
func rowCounts(counts map[string]int) string {
	var parts []string
	for _, t := range [][2]string{{"articles", "articles"}, {"sources", "sources and feeds"}, {"feed_items", "feed items seen"},
		{"subscriptions", "subscriptions"}, {"aliases", "aliases"}, {"deliveries", "notices"}} {
		parts = append(parts, fmt.Sprintf("%d %s", counts[t[0]], t[1]))
	}
	return strings.Join(parts, ", ")
}
