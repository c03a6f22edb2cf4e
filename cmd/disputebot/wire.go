package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/disputebot/disputebot/internal/config"
	"github.com/disputebot/disputebot/internal/fetch"
	"github.com/disputebot/disputebot/internal/library"
	"github.com/disputebot/disputebot/internal/store"
)

// newLogger is the one place logging is set up.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// open reads the configuration and opens the data folder it names.
func open(ctx context.Context, stderr io.Writer, getenv func(string) string) (*config.Config, *library.Library, error) {
	cfg, err := config.Load(".env", getenv)
	if err != nil {
		return nil, nil, err
	}
	log := newLogger(cfg, stderr)
	lib, err := library.Open(ctx, library.Options{
		DataDir: cfg.DataDir,
		Log:     log,
		Fetch: fetch.Options{
			Timeout:      cfg.FetchTimeout,
			MaxBytes:     cfg.FetchMaxBytes,
			UserAgent:    cfg.FetchUserAgent,
			AllowPrivate: cfg.FetchAllowPrivate,
		},
		Caps: store.Caps{
			Feeds:               cfg.GuildMaxFeeds,
			Sources:             cfg.GuildMaxSources,
			Aliases:             cfg.GuildMaxAliases,
			GuildSubscriptions:  cfg.GuildMaxSubscriptions,
			MemberSubscriptions: cfg.MemberMaxSubscriptions,
		},
	})
	if errors.Is(err, library.ErrInUse) {
		return nil, nil, fmt.Errorf("the data folder DATA_DIR=%s is in use by another disputebot process (is serve running?); stop it or use another DATA_DIR", cfg.DataDir)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("opening DATA_DIR=%s: %w", cfg.DataDir, err)
	}
	return cfg, lib, nil
}

// closeLib closes the library, logging what failed.
func closeLib(lib *library.Library) {
	if err := lib.Close(); err != nil {
		lib.Log.Error("closing the data folder", "error", err)
	}
}
