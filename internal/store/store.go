// Package store is disputebot's source of truth: a SQLite database (WAL,
// versioned migrations, every write in a transaction) holding the articles
// read, the sources and feeds they came from, subscriptions and the
// delivery queue. The search index is derived from it and can be rebuilt
// from it at any time.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/disputebot/disputebot/internal/domain"
	"modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrFull is returned when the disk (or the database's size limit) is full.
// The write's transaction is rolled back: nothing is half-written.
var ErrFull = errors.New("store: the disk is full")

// sqliteFull is SQLite's SQLITE_FULL result code.
const sqliteFull = 13

// full marks err as ErrFull when SQLite reported a full disk.
func full(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqliteFull {
		return fmt.Errorf("%w (%v)", ErrFull, err)
	}
	return err
}

// Store is an open database.
type Store struct {
	db           conn
	path         string
	articlesByID *sql.Stmt
	changedSince *sql.Stmt
	pageIDs      *sql.Stmt
	pagesByID    *sql.Stmt
	cache        articleCache
	// watch tells the cache when nothing was written in an SQLite
	// database's folder; nil on PostgreSQL, whose other processes write
	// elsewhere.
	watch *folderWatch
	caps  domain.Caps
	id    string
	// listenURL is PostgreSQL's URL, password and all, for the connection
	// that listens for other processes' changes; never printed.
	listenURL string
	// claims counts ClaimEvent's successes, to forget old claims
	// now and then.
	claims atomic.Int64
}

// Open opens (creating if needed) the database at path and brings its
// schema up to date. Extra pragmas (tests use max_page_count to fill the
// "disk") apply to every connection.
func Open(ctx context.Context, path string, pragmas ...string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := private(path); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	q := url.Values{}
	for _, p := range append([]string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"}, pragmas...) {
		q.Add("_pragma", p)
	}
	// Write transactions take the lock when they begin, so two writers
	// queue on busy_timeout instead of failing on upgrade.
	q.Set("_txlock", "immediate")
	// The path is escaped: SQLite reads "file:" names as URIs, where "#"
	// and "?" would end the path (a test's "sqlite#05" folder, a data
	// folder named "news#2", opened a database elsewhere).
	dsn := (&url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	// Watched before anything is read, so that no write goes unnoticed.
	watch := watchFolder(path)
	s, err := open(ctx, conn{DB: db, d: sqliteDialect}, path)
	if err != nil {
		watch.close()
		return nil, err
	}
	s.watch = watch
	return s, nil
}

// open finishes opening a database of either dialect: its schema brought
// up to date, its statements prepared.
func open(ctx context.Context, db conn, path string) (*Store, error) {
	s := &Store{db: db, path: path}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.identify(ctx); err != nil {
		db.Close()
		return nil, err
	}
	// Statements every answer runs, prepared once: parsing them cost
	// more than running them. Closing the database frees them.
	for _, st := range []struct {
		stmt  **sql.Stmt
		query string
	}{{&s.articlesByID, db.d.articlesByID()}, {&s.changedSince, changedSinceQuery},
		{&s.pageIDs, db.d.pageIDs()}, {&s.pagesByID, db.d.pagesByID()}} {
		var err error
		if *st.stmt, err = db.PrepareContext(ctx, st.query); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	return s, nil
}

// identify reads the store's identity, made once when it is created.
func (s *Store) identify(ctx context.Context) error {
	var b [12]byte
	rand.Read(b[:])
	if _, err := s.db.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES ('store_id', ?) ON CONFLICT(key) DO NOTHING", hex.EncodeToString(b[:])); err != nil {
		return fmt.Errorf("store: identity: %w", err)
	}
	id, err := s.Meta(ctx, "store_id")
	if err != nil || id == "" {
		return fmt.Errorf("store: identity: %v", err)
	}
	s.id = id
	return nil
}

// ID is the store's identity: random, made when the store was created, so
// an index can tell the store it was built from.
func (s *Store) ID() string { return s.id }

// private creates the database file readable by its owner only, or makes
// an existing one so: it holds every guild's sources, members'
// subscriptions and who was told what. SQLite gives the -wal and -shm
// files it creates the database file's mode.
func private(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return f.Chmod(st.Mode().Perm() &^ 0o077)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.articlesByID.Close()
	s.changedSince.Close()
	s.pageIDs.Close()
	s.pagesByID.Close()
	s.watch.close()
	return s.db.Close()
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Backend names the engine behind the store: "sqlite" or "postgres".
func (s *Store) Backend() string { return s.db.d.name }

// Ping checks the database answers, for /healthz.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// IntegrityCheck runs the database's own check and returns its verdict
// ("ok"). PostgreSQL checks its pages as it reads them and has no such
// statement: there, every table is read through, and "ok" means it could be.
func (s *Store) IntegrityCheck(ctx context.Context) (string, error) {
	var res string
	if s.db.d.postgres {
		for _, t := range []string{"articles", "article_scopes", "sources", "feeds", "feed_items", "aliases", "subscriptions", "batches", "deliveries"} {
			var n int
			if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t).Scan(&n); err != nil {
				return "", err
			}
		}
		return "ok", nil
	}
	err := s.db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res)
	return res, err
}

// tx runs fn in a write transaction, committed when fn returns nil.
func (s *Store) tx(ctx context.Context, fn func(*txn) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return full(err)
	}
	if err := tx.Commit(); err != nil {
		return full(fmt.Errorf("store: commit: %w", err))
	}
	return nil
}

// Tx is one unit of work: what is written through it is committed
// together or not at all. A feed poll stores its articles, queues their
// notices and marks its items seen in one Tx, so a crash at any moment
// leaves either all of it or none, and the poll is simply redone.
type Tx struct {
	ctx context.Context
	tx  *txn
}

// Write runs fn in one write transaction, committed when fn returns nil.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	return s.tx(ctx, func(tx *txn) error { return fn(&Tx{ctx: ctx, tx: tx}) })
}

// Meta reads a value of the key-value table ("" when unset).
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: meta %s: %w", key, err)
	}
	return v, nil
}

// SetMeta writes a value of the key-value table.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value)
	if err != nil {
		return fmt.Errorf("store: set meta %s: %w", key, err)
	}
	return nil
}

// timeLayout is RFC 3339 with a fixed nine-digit fraction: in UTC it sorts
// as text, which the queue's "due before" queries rely on (RFC3339Nano
// drops trailing zeros, and "05.5Z" would sort before "05Z").
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// timeText stores a time as sortable UTC text; the zero time is NULL.
func timeText(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

func parseTime(s sql.NullString) time.Time {
	if !s.Valid {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s.String)
	if err != nil {
		return time.Time{}
	}
	return t
}
