// Package library opens a data folder as one working whole: the built-in
// corpus and its gazetteer, the store, the index (rebuilt when missing or
// broken), the ingest pipeline and the answer engine. The command line, the
// Discord bot and the tests all start from it, so they run the same start-up.
package library

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/disputebot/disputebot/data"
	"github.com/disputebot/disputebot/index"
	"github.com/disputebot/disputebot/internal/analyse"
	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/config"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/fetch"
	"github.com/disputebot/disputebot/internal/gazetteer"
	"github.com/disputebot/disputebot/internal/ingest"
	"github.com/disputebot/disputebot/internal/notify"
	"github.com/disputebot/disputebot/internal/service"
	"github.com/disputebot/disputebot/internal/store"
)

// ErrInUse means another process holds the data folder's index.
var ErrInUse = errors.New("library: the data folder is in use by another disputebot process")

// Options says which folder to open and how to fetch.
type Options struct {
	DataDir string
	// DatabaseURL, when set, is the PostgreSQL database holding the store;
	// otherwise the store is a SQLite file in DataDir.
	DatabaseURL string
	Fetch       fetch.Options
	Log         *slog.Logger
	// Corpus replaces the built-in corpus (tests of corpus loading).
	Corpus *data.Corpus
	// StorePragmas are extra SQLite pragmas (tests limit the size with
	// max_page_count to play a full disk).
	StorePragmas []string
	// Caps bound what one guild may keep (see domain.Caps).
	Caps domain.Caps
	// FeedInterval is a new feed's poll interval when none is asked for;
	// FeedMinInterval the shortest a moderator may ask for.
	FeedInterval, FeedMinInterval time.Duration
	// OneShot opens the folder for one command and its answer: the index
	// is trusted once its sequence number matches the store's, without
	// also counting the store's articles, a scan that grows with them and
	// that serve, which runs for long, makes at every start.
	OneShot bool
}

// Library is an open data folder.
type Library struct {
	DataDir   string
	Corpus    *data.Corpus
	Gazetteer *gazetteer.Gazetteer
	Store     *store.Store
	Index     *index.Index
	Pipeline  *ingest.Pipeline
	Engine    *answer.Engine
	Log       *slog.Logger
	// Matcher holds every subscription, for matching new articles;
	// Notifier queues their notices.
	Matcher  *notify.Matcher
	Notifier *notify.Notifier
	// The use cases the bot and the command line share.
	Sources       *service.Sources
	Subscriptions *service.Subscriptions
	// IndexRebuilt says Open found the index missing its mapping, corrupt
	// or out of step and rebuilt it from the store.
	IndexRebuilt bool
}

// OptionsFrom are the options the settings ask for: the data folder, the
// fetcher's limits and every server's caps.
func OptionsFrom(cfg *config.Config, log *slog.Logger) Options {
	return Options{
		DataDir:     cfg.DataDir,
		DatabaseURL: cfg.DatabaseURL,
		Log:         log,
		Fetch: fetch.Options{
			Timeout:      cfg.FetchTimeout,
			MaxBytes:     cfg.FetchMaxBytes,
			UserAgent:    cfg.FetchUserAgent,
			AllowPrivate: cfg.FetchAllowPrivate,
		},
		FeedInterval:    cfg.FeedInterval,
		FeedMinInterval: cfg.FeedMinInterval,
		Caps: domain.Caps{
			Feeds:               cfg.GuildMaxFeeds,
			Sources:             cfg.GuildMaxSources,
			Aliases:             cfg.GuildMaxAliases,
			GuildSubscriptions:  cfg.GuildMaxSubscriptions,
			MemberSubscriptions: cfg.MemberMaxSubscriptions,
		},
	}
}

// DBPath is where the database lives in a data folder.
func DBPath(dataDir string) string { return filepath.Join(dataDir, "disputebot.db") }

// OpenStore opens the store the options name: PostgreSQL at DatabaseURL,
// else the SQLite file in the data folder.
func OpenStore(ctx context.Context, o Options) (*store.Store, error) {
	if o.DatabaseURL != "" {
		return store.OpenPostgres(ctx, o.DatabaseURL)
	}
	return store.Open(ctx, DBPath(o.DataDir), o.StorePragmas...)
}

// Open opens (creating when needed) the data folder.
func Open(ctx context.Context, o Options) (*Library, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	corpus := o.Corpus
	if corpus == nil {
		var err error
		if corpus, err = data.Load(); err != nil {
			return nil, err
		}
	}
	gaz, err := gazetteer.New(corpus.Parties)
	if err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, o)
	if err != nil {
		return nil, err
	}
	st.SetCaps(o.Caps)
	idx, rebuilt, err := ingest.OpenIndex(ctx, o.DataDir, st, log, !o.OneShot)
	if err != nil {
		st.Close()
		if errors.Is(err, index.ErrLocked) {
			return nil, ErrInUse
		}
		return nil, err
	}
	l := &Library{DataDir: o.DataDir, Corpus: corpus, Gazetteer: gaz, Store: st, Index: idx, Log: log, IndexRebuilt: rebuilt}
	l.Pipeline = &ingest.Pipeline{
		Store:    st,
		Index:    idx,
		Fetch:    fetch.New(o.Fetch),
		Analyser: &analyse.Analyser{Gazetteer: gaz},
		Log:      log,
		MaxBytes: o.Fetch.MaxBytes,
	}
	if _, err := l.Pipeline.LoadCorpus(ctx, corpus); err != nil {
		l.Close()
		return nil, err
	}
	l.Engine = &answer.Engine{Store: st, Index: idx, Gazetteer: gaz, Corpus: corpus, Aliases: st.Aliases}
	subs, err := st.AllSubscriptions(ctx)
	if err != nil {
		l.Close()
		return nil, err
	}
	l.Matcher = notify.NewMatcher(subs)
	l.Notifier = &notify.Notifier{Store: st, Matcher: l.Matcher}
	if st.Backend() == "postgres" {
		// Other processes may share the store, and take subscriptions.
		l.Notifier.Shared = st
	}
	l.Sources = &service.Sources{Store: st, Reader: l.Pipeline, Fetch: l.Pipeline.Fetch, Announcer: l.Notifier, Log: log,
		FeedInterval: o.FeedInterval, FeedMinInterval: o.FeedMinInterval}
	l.Subscriptions = &service.Subscriptions{Store: st, Gazetteer: gaz, Matcher: l.Matcher}
	return l, nil
}

// Reindex rebuilds the index from the store. The new index is built
// beside the old one, which keeps answering; only a complete rebuild
// replaces it, so a failure (a full disk, an interrupt) changes nothing.
func (l *Library) Reindex(ctx context.Context) (uint64, error) {
	l.Pipeline.Lock()
	defer l.Pipeline.Unlock()
	built, err := ingest.Build(ctx, l.DataDir, l.Store)
	if err != nil {
		return 0, err
	}
	n, _ := built.Count()
	// The engine and the pipeline hold l.Index: it takes the new index in
	// place, so a running bot answers on, from the old index until the
	// new one is in.
	if err := l.Index.Swap(l.DataDir, built); err != nil {
		return 0, err
	}
	l.Log.Info("search index rebuilt", "articles", n)
	return n, nil
}

// Close closes the index and the store.
func (l *Library) Close() error {
	if l.Pipeline != nil && l.Pipeline.Fetch != nil {
		l.Pipeline.Fetch.Close()
	}
	var errs []error
	if l.Index != nil {
		errs = append(errs, l.Index.Close())
	}
	if l.Store != nil {
		errs = append(errs, l.Store.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("library: closing: %w", err)
	}
	return nil
}
