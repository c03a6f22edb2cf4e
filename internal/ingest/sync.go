package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/disputebot/disputebot/index"
	"github.com/disputebot/disputebot/internal/article"
)

// syncBatch is how many articles go to the index in one batch: large
// enough that Bleve's per-batch cost is spread thin, small enough that a
// batch's memory stays modest.
const syncBatch = 500

// Doc is the index's view of an article.
func Doc(a *article.Article) index.Doc {
	return index.Doc{
		ID:           a.ID,
		Title:        a.Title,
		Summary:      a.Summary,
		Text:         a.Text,
		Parties:      a.Parties,
		Disputes:     a.Disputes,
		Scopes:       a.Scopes,
		Site:         a.Site,
		Date:         a.Date(),
		DisputeScore: a.DisputeScore,
	}
}

// Lock stops index writes (a rebuild swaps the index under it).
func (p *Pipeline) Lock() { p.syncMu.Lock() }

// Unlock lets index writes resume.
func (p *Pipeline) Unlock() { p.syncMu.Unlock() }

// Sync brings the index up to date with the store: every article changed
// after the last change the index holds is indexed again, in store order,
// the index's own watermark moving with each batch. It is what makes a
// crash between "stored" and "indexed" harmless.
func (p *Pipeline) Sync(ctx context.Context) error {
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	return syncIndex(ctx, p.Store, p.Index)
}

// Follow keeps the index following the store while ctx lasts, for a
// process that shares its store with others (each keeps its own index):
// it catches up when changes fires (another process committed articles)
// and every interval, in case a notification was missed. behind, when not
// nil, is told after each catch-up how many changes the index still lacks.
func (p *Pipeline) Follow(ctx context.Context, every time.Duration, changes <-chan struct{}, behind func(n int64)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-changes:
		}
		p.catchUp(ctx, behind)
	}
}

// catchUp is one round of Follow; a panic in it is logged and the next
// round tries again.
func (p *Pipeline) catchUp(ctx context.Context, behind func(n int64)) {
	defer func() {
		if v := recover(); v != nil {
			p.Log.Error("panic following the store", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	if err := p.Sync(ctx); err != nil && ctx.Err() == nil {
		p.Log.Warn("following the store", "error", err)
	}
	if behind == nil {
		return
	}
	latest, err := p.Store.MaxSeq(ctx)
	if err != nil {
		return
	}
	if have, err := p.Index.Seq(); err == nil {
		behind(max(0, latest-have))
	}
}

func syncIndex(ctx context.Context, st Store, x *index.Index) error {
	origin, err := x.Origin()
	if err != nil {
		return fmt.Errorf("ingest: reading the index's origin: %w", err)
	}
	// An index follows one store's numbering: one built from another store
	// (the data folder pointed at PostgreSQL, or a store imported afresh)
	// may hold as many articles up to the same number, and be all wrong.
	switch origin {
	case st.ID():
	case "":
		// A new index, or one from before indexes said: it was built here.
		if err := x.SetOrigin(st.ID()); err != nil {
			return fmt.Errorf("ingest: recording the index's origin: %w", err)
		}
	default:
		return errOtherStore
	}
	from, err := x.Seq()
	if err != nil {
		return fmt.Errorf("ingest: reading the index watermark: %w", err)
	}
	_, err = st.Changed(ctx, from, syncBatch, func(page []*article.Article, seq int64) error {
		docs := make([]index.Doc, len(page))
		for i, a := range page {
			docs[i] = Doc(a)
		}
		return x.Put(docs, seq)
	})
	return err
}

// errOtherStore is why an index built from another store is rebuilt.
var errOtherStore = errors.New("the index was built from another store")

// OpenIndex opens the index in dataDir and makes it agree with the store.
// An index that is missing, corrupt, of an older mapping or out of step
// with the store (behind its sequence number, or, when count is set,
// holding another number of articles) is rebuilt from the store, with a
// log line, not a crash; rebuilt says so. Counting the store's articles
// reads a whole index of it (15 ms at 100k articles, growing with them),
// so one-shot commands leave it to serve, which checks at every start.
func OpenIndex(ctx context.Context, dataDir string, st Store, log *slog.Logger, count bool) (x *index.Index, rebuilt bool, err error) {
	rebuild := func(reason string, attrs ...any) (*index.Index, bool, error) {
		log.Warn("rebuilding the search index from the store", append([]any{"reason", reason}, attrs...)...)
		x, err := Rebuild(ctx, dataDir, st, log)
		return x, err == nil, err
	}
	x, err = index.Open(dataDir)
	switch {
	case errors.Is(err, index.ErrLocked):
		return nil, false, err
	case errors.Is(err, index.ErrCorrupt), errors.Is(err, index.ErrStale):
		return rebuild(err.Error())
	case err != nil:
		return nil, false, err
	}
	if err := syncIndex(ctx, st, x); err != nil {
		x.Close()
		return rebuild(err.Error())
	}
	if !count {
		return x, false, nil
	}
	docs, err1 := x.Count()
	rows, err2 := st.CountArticles(ctx)
	if err1 != nil || err2 != nil || docs != uint64(rows) {
		x.Close()
		return rebuild("index and store disagree", "index_docs", docs, "store_articles", rows)
	}
	return x, false, nil
}

// Rebuild builds a new index from the store beside the one in dataDir
// and, once it is complete, puts it in that one's place. The caller has
// closed the old index (or found it broken). A rebuild that fails (a full
// disk, an interrupt) leaves the old index folder as it was.
func Rebuild(ctx context.Context, dataDir string, st Store, log *slog.Logger) (*index.Index, error) {
	built, err := Build(ctx, dataDir, st)
	if err != nil {
		return nil, err
	}
	n, _ := built.Count()
	if err := index.Install(dataDir, built); err != nil {
		return nil, err
	}
	x, err := index.Open(dataDir)
	if err != nil {
		return nil, err
	}
	log.Info("search index rebuilt", "articles", n)
	return x, nil
}

// Build makes a complete index from the store beside the live one (see
// index.Build), removing it again if it fails.
func Build(ctx context.Context, dataDir string, st Store) (*index.Index, error) {
	x, err := index.Build(dataDir)
	if err != nil {
		return nil, err
	}
	if err := syncIndex(ctx, st, x); err != nil {
		x.Discard()
		return nil, fmt.Errorf("ingest: rebuilding the index: %w", err)
	}
	return x, nil
}
