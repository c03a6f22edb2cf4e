package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/disputebot/disputebot/internal/config"
	"github.com/disputebot/disputebot/internal/library"
)

// newLogger is the one place logging is set up.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// open reads the configuration and opens the data folder it names. A
// command the running bot carries out for the command line (see local.go)
// gets the bot's own, open folder.
func open(ctx context.Context, stderr io.Writer, getenv func(string) string) (*config.Config, *library.Library, error) {
	if live, ok := ctx.Value(liveKey{}).(*liveFolder); ok {
		return live.cfg, live.lib, nil
	}
	cfg, err := config.Load(".env", getenv)
	if err != nil {
		return nil, nil, err
	}
	o := library.OptionsFrom(cfg, newLogger(cfg, stderr))
	o.OneShot = true
	lib, err := openWith(ctx, cfg, o)
	return cfg, lib, err
}

// openFolder opens the data folder cfg names.
func openFolder(ctx context.Context, cfg *config.Config, log *slog.Logger) (*library.Library, error) {
	return openWith(ctx, cfg, library.OptionsFrom(cfg, log))
}

// openWith opens the data folder with o, naming the folder in what fails.
func openWith(ctx context.Context, cfg *config.Config, o library.Options) (*library.Library, error) {
	lib, err := library.Open(ctx, o)
	if errors.Is(err, library.ErrInUse) {
		return nil, fmt.Errorf("the data folder DATA_DIR=%s is in use by another disputebot process that does not answer on %s; stop it or use another DATA_DIR", cfg.DataDir, socketPath(cfg.DataDir))
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", storeName(cfg), err)
	}
	return lib, nil
}

// storeName names the store and folder cfg points at, as a message says
// it: never the database URL itself, which may hold a password.
func storeName(cfg *config.Config) string {
	if cfg.DatabaseURL != "" {
		return "the PostgreSQL store at DATABASE_URL (data folder DATA_DIR=" + cfg.DataDir + ")"
	}
	return "DATA_DIR=" + cfg.DataDir
}

// closeLib closes the library, logging what failed; the running bot's own
// folder stays open.
func closeLib(ctx context.Context, lib *library.Library) {
	if _, live := ctx.Value(liveKey{}).(*liveFolder); live {
		return
	}
	if err := lib.Close(); err != nil {
		lib.Log.Error("closing the data folder", "error", err)
	}
}
