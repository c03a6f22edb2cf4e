package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// OpenPostgres opens the PostgreSQL database at a postgres:// URL and
// brings its schema up to date. The schema is SQLite's, with PostgreSQL's
// types: times are sortable text as there, so every query is the same.
func OpenPostgres(ctx context.Context, databaseURL string) (*Store, error) {
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, errors.New("store: the database URL must be postgres://…")
	}
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connecting to PostgreSQL: %w", err)
	}
	if u.User != nil {
		u.User = url.User(u.User.Username()) // never the password, in logs or messages
	}
	s, err := open(ctx, conn{DB: db, d: postgresDialect}, u.String())
	if err != nil {
		return nil, err
	}
	s.listenURL = databaseURL
	return s, nil
}

// changesChannel is the notification channel article changes are
// announced on.
const changesChannel = "disputebot_articles"

// Changes returns a channel that receives a value soon after another
// process (or this one) commits an article change, for an index that
// follows the store. SQLite has no other writers (the running bot carries
// out the command line's work), so it returns nil, a channel that never
// fires. Notifications can be missed (the listening connection drops and
// is made again), so a follower catches up on a timer too; after a new
// connection, the channel fires once for what may have been missed.
func (s *Store) Changes(ctx context.Context, log *slog.Logger) <-chan struct{} {
	if s.listenURL == "" {
		return nil
	}
	out := make(chan struct{}, 1)
	wake := func() {
		select {
		case out <- struct{}{}:
		default: // one wake-up pending is enough: the follower reads all changes
		}
	}
	go func() {
		defer func() {
			if v := recover(); v != nil {
				log.Error("panic listening for changes; the index follows on its timer alone", "panic", fmt.Sprint(v))
			}
		}()
		for wait := time.Second; ctx.Err() == nil; wait = min(2*wait, time.Minute) {
			if err := s.listen(ctx, wake); err != nil && ctx.Err() == nil {
				log.Warn("listening for other processes' changes", "error", err, "retry_in", wait)
			}
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
	}()
	return out
}

// listen holds one connection listening on changesChannel until it fails
// or ctx ends.
func (s *Store) listen(ctx context.Context, wake func()) error {
	c, err := pgx.Connect(ctx, s.listenURL)
	if err != nil {
		return errors.New("connecting to PostgreSQL failed") // pgx's error may quote the URL
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		return fmt.Errorf("LISTEN: %w", err)
	}
	wake() // what was committed while no one listened
	for {
		if _, err := c.WaitForNotification(ctx); err != nil {
			return err
		}
		wake()
	}
}

// migratePostgres brings a PostgreSQL schema up to date. Its version is
// kept in a table (PostgreSQL has no user_version); processes starting
// together take an advisory lock, so one migrates and the others wait.
func (s *Store) migratePostgres(ctx context.Context) error {
	return s.tx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?, 0)", lockMigrate); err != nil {
			return fmt.Errorf("store: migration lock: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"); err != nil {
			return fmt.Errorf("store: schema version: %w", err)
		}
		var version int
		err := tx.QueryRowContext(ctx, "SELECT version FROM schema_version").Scan(&version)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, "INSERT INTO schema_version(version) VALUES (0)"); err != nil {
				return fmt.Errorf("store: schema version: %w", err)
			}
		case err != nil:
			return fmt.Errorf("store: schema version: %w", err)
		}
		if version > len(postgresMigrations) {
			return fmt.Errorf("store: the database has schema version %d, newer than this build knows (%d): upgrade disputebot", version, len(postgresMigrations))
		}
		for i := version; i < len(postgresMigrations); i++ {
			if _, err := tx.ExecContext(ctx, postgresMigrations[i].sql); err != nil {
				return fmt.Errorf("store: migration %d: %w", i+1, err)
			}
		}
		_, err = tx.ExecContext(ctx, "UPDATE schema_version SET version = ?", len(postgresMigrations))
		return err
	})
}

// postgresMigrations are PostgreSQL's schema, from the start at the
// state of SQLite's migration 3 (see migrate.go for why it is so).
var postgresMigrations = []migration{
	{sql: `CREATE TABLE meta (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);
	CREATE TABLE articles (
		id            BIGSERIAL PRIMARY KEY,
		url           TEXT NOT NULL,
		owner         TEXT NOT NULL DEFAULT '',
		curated       INTEGER NOT NULL DEFAULT 0,
		title         TEXT NOT NULL,
		site          TEXT NOT NULL DEFAULT '',
		byline        TEXT NOT NULL DEFAULT '',
		published     TEXT,
		updated       TEXT,
		first_seen    TEXT NOT NULL,
		date_source   TEXT NOT NULL DEFAULT '',
		summary       TEXT NOT NULL DEFAULT '',
		parties       TEXT NOT NULL DEFAULT '[]',
		disputes      TEXT NOT NULL DEFAULT '[]',
		dispute_score DOUBLE PRECISION NOT NULL DEFAULT 0,
		fingerprint   TEXT NOT NULL DEFAULT '',
		seq           BIGINT NOT NULL,
		text          TEXT NOT NULL DEFAULT '',
		UNIQUE (url, owner)
	);
	CREATE INDEX articles_seq ON articles(seq);
	CREATE INDEX articles_fingerprint ON articles(fingerprint);
	CREATE TABLE sources (
		id           BIGSERIAL PRIMARY KEY,
		guild_id     TEXT NOT NULL,
		url          TEXT NOT NULL,
		kind         TEXT NOT NULL CHECK (kind IN ('article', 'feed')),
		added_by     TEXT NOT NULL DEFAULT '',
		added_at     TEXT NOT NULL,
		last_fetched TEXT,
		last_error   TEXT NOT NULL DEFAULT '',
		items        INTEGER NOT NULL DEFAULT 0,
		UNIQUE (guild_id, url)
	);
	CREATE TABLE article_scopes (
		article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
		guild_id   TEXT NOT NULL,
		source_id  BIGINT REFERENCES sources(id) ON DELETE SET NULL,
		added_at   TEXT NOT NULL,
		PRIMARY KEY (article_id, guild_id)
	);
	CREATE INDEX article_scopes_source ON article_scopes(source_id);
	CREATE INDEX article_scopes_guild ON article_scopes(guild_id, added_at);
	CREATE TABLE feeds (
		source_id       BIGINT PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
		channel_id      TEXT NOT NULL DEFAULT '',
		interval_s      BIGINT NOT NULL,
		title           TEXT NOT NULL DEFAULT '',
		etag            TEXT NOT NULL DEFAULT '',
		last_modified   TEXT NOT NULL DEFAULT '',
		last_ok         TEXT,
		next_poll       TEXT NOT NULL,
		failures        INTEGER NOT NULL DEFAULT 0,
		failure_noticed INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX feeds_next_poll ON feeds(next_poll);
	CREATE TABLE feed_items (
		source_id  BIGINT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
		key        TEXT NOT NULL,
		article_id BIGINT REFERENCES articles(id) ON DELETE SET NULL,
		seen_at    TEXT NOT NULL,
		PRIMARY KEY (source_id, key)
	);
	CREATE INDEX feed_items_seen ON feed_items(source_id, seen_at);
	CREATE TABLE aliases (
		guild_id  TEXT NOT NULL,
		alias_key TEXT NOT NULL,
		alias     TEXT NOT NULL,
		party     TEXT NOT NULL,
		added_by  TEXT NOT NULL DEFAULT '',
		added_at  TEXT NOT NULL,
		PRIMARY KEY (guild_id, alias_key)
	);
	CREATE TABLE subscriptions (
		id         BIGSERIAL PRIMARY KEY,
		guild_id   TEXT NOT NULL,
		user_id    TEXT NOT NULL,
		channel_id TEXT NOT NULL DEFAULT '',
		query      TEXT NOT NULL,
		parties    TEXT NOT NULL DEFAULT '[]',
		words      TEXT NOT NULL DEFAULT '[]',
		created_at TEXT NOT NULL,
		UNIQUE (guild_id, user_id, channel_id, query)
	);
	CREATE TABLE batches (
		id         BIGSERIAL PRIMARY KEY,
		target     TEXT NOT NULL,
		created_at TEXT NOT NULL
	);
	CREATE TABLE deliveries (
		id           BIGSERIAL PRIMARY KEY,
		guild_id     TEXT NOT NULL,
		target       TEXT NOT NULL,
		article_id   BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
		story        TEXT NOT NULL,
		reason       TEXT NOT NULL,
		state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
		batch_id     BIGINT REFERENCES batches(id),
		attempts     INTEGER NOT NULL DEFAULT 0,
		next_attempt TEXT NOT NULL,
		last_error   TEXT NOT NULL DEFAULT '',
		created_at   TEXT NOT NULL,
		sent_at      TEXT,
		UNIQUE (guild_id, target, story),
		UNIQUE (guild_id, target, article_id)
	);
	CREATE INDEX deliveries_due ON deliveries(state, next_attempt);
	CREATE INDEX deliveries_batch ON deliveries(batch_id);`},
	// 2: as SQLite's 4.
	{sql: interactionsTable},
	// 3: as SQLite's 5.
	{sql: shardsTables},
	// 4: as SQLite's 6.
	{sql: claimsTable},
	// 5: as SQLite's 7.
	{sql: sendBudgetTable},
	// 6: as SQLite's 8.
	{sql: shardPeersTable},
}
