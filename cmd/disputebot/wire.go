package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/disputebot/disputebot/data"
	"github.com/disputebot/disputebot/index"
	"github.com/disputebot/disputebot/internal/analyse"
	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/config"
	"github.com/disputebot/disputebot/internal/fetch"
	"github.com/disputebot/disputebot/internal/gazetteer"
	"github.com/disputebot/disputebot/internal/ingest"
	"github.com/disputebot/disputebot/internal/store"
)

// app is everything a subcommand may need, built once.
type app struct {
	cfg      *config.Config
	log      *slog.Logger
	corpus   *data.Corpus
	gaz      *gazetteer.Gazetteer
	store    *store.Store
	index    *index.Index
	pipeline *ingest.Pipeline
	engine   *answer.Engine
}

// newLogger is the one place logging is set up.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// open reads the configuration and opens the data folder: the store, the
// index (rebuilt when missing or broken) and the built-in corpus (loaded
// when the folder does not hold this build's corpus yet).
func open(ctx context.Context, stderr io.Writer, getenv func(string) string) (*app, error) {
	cfg, err := config.Load(".env", getenv)
	if err != nil {
		return nil, err
	}
	log := newLogger(cfg, stderr)
	corpus, err := data.Load()
	if err != nil {
		return nil, err
	}
	gaz, err := gazetteer.New(corpus.Parties)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, filepath.Join(cfg.DataDir, "disputebot.db"))
	if err != nil {
		return nil, fmt.Errorf("opening the store in DATA_DIR (%s): %w", cfg.DataDir, err)
	}
	idx, err := ingest.OpenIndex(ctx, cfg.DataDir, st, log)
	if err != nil {
		st.Close()
		if errors.Is(err, index.ErrLocked) {
			return nil, fmt.Errorf("the search index in DATA_DIR (%s) is in use by another disputebot process (is serve running?); stop it or use another DATA_DIR", cfg.DataDir)
		}
		return nil, err
	}
	a := &app{cfg: cfg, log: log, corpus: corpus, gaz: gaz, store: st, index: idx}
	a.pipeline = &ingest.Pipeline{
		Store: st,
		Index: idx,
		Fetch: fetch.New(fetch.Options{
			Timeout:      cfg.FetchTimeout,
			MaxBytes:     cfg.FetchMaxBytes,
			UserAgent:    cfg.FetchUserAgent,
			AllowPrivate: cfg.FetchAllowPrivate,
		}),
		Analyser: &analyse.Analyser{Gazetteer: gaz},
		Log:      log,
		MaxBytes: cfg.FetchMaxBytes,
	}
	if _, err := a.pipeline.LoadCorpus(ctx, corpus); err != nil {
		a.close()
		return nil, err
	}
	a.engine = &answer.Engine{Store: st, Index: idx, Gazetteer: gaz, Corpus: corpus}
	return a, nil
}

func (a *app) close() {
	if a.index != nil {
		if err := a.index.Close(); err != nil {
			a.log.Error("closing the index", "error", err)
		}
	}
	if a.store != nil {
		if err := a.store.Close(); err != nil {
			a.log.Error("closing the store", "error", err)
		}
	}
}
