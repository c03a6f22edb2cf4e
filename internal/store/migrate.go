package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are applied in order, each once, in its own transaction; the
// database's user_version records how many have run. Never edit one that
// has shipped: add another.
var migrations = []string{
	// 1: articles, the guilds that may see them, sources.
	`CREATE TABLE meta (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);
	CREATE TABLE articles (
		id            INTEGER PRIMARY KEY,
		url           TEXT NOT NULL UNIQUE,
		title         TEXT NOT NULL,
		site          TEXT NOT NULL DEFAULT '',
		byline        TEXT NOT NULL DEFAULT '',
		published     TEXT,
		updated       TEXT,
		first_seen    TEXT NOT NULL,
		date_source   TEXT NOT NULL DEFAULT '',
		text          TEXT NOT NULL DEFAULT '',
		summary       TEXT NOT NULL DEFAULT '',
		parties       TEXT NOT NULL DEFAULT '[]',
		disputes      TEXT NOT NULL DEFAULT '[]',
		dispute_score REAL NOT NULL DEFAULT 0,
		fingerprint   TEXT NOT NULL DEFAULT '',
		-- seq grows with every change; the index remembers the last seq it
		-- holds, so after a crash it catches up with what it missed.
		seq           INTEGER NOT NULL
	);
	CREATE INDEX articles_seq ON articles(seq);
	CREATE INDEX articles_fingerprint ON articles(fingerprint);
	CREATE TABLE sources (
		id           INTEGER PRIMARY KEY,
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
		article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
		guild_id   TEXT NOT NULL,
		source_id  INTEGER REFERENCES sources(id) ON DELETE SET NULL,
		added_at   TEXT NOT NULL,
		PRIMARY KEY (article_id, guild_id)
	);
	CREATE INDEX article_scopes_source ON article_scopes(source_id);`,

	// 2: feeds, guild aliases, subscriptions and the delivery queue.
	`CREATE TABLE feeds (
		source_id       INTEGER PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
		channel_id      TEXT NOT NULL DEFAULT '',
		interval_s      INTEGER NOT NULL,
		title           TEXT NOT NULL DEFAULT '',
		etag            TEXT NOT NULL DEFAULT '',
		last_modified   TEXT NOT NULL DEFAULT '',
		last_ok         TEXT,
		next_poll       TEXT NOT NULL,
		failures        INTEGER NOT NULL DEFAULT 0,
		failure_noticed INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX feeds_next_poll ON feeds(next_poll);
	-- One row per item a feed has carried, under its GUID (or link): an
	-- item seen once is never ingested or announced again from that feed.
	CREATE TABLE feed_items (
		source_id  INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
		key        TEXT NOT NULL,
		article_id INTEGER REFERENCES articles(id) ON DELETE SET NULL,
		seen_at    TEXT NOT NULL,
		PRIMARY KEY (source_id, key)
	);
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
		id         INTEGER PRIMARY KEY,
		guild_id   TEXT NOT NULL,
		user_id    TEXT NOT NULL,
		channel_id TEXT NOT NULL DEFAULT '', -- '' sends a DM
		query      TEXT NOT NULL,
		parties    TEXT NOT NULL DEFAULT '[]',
		words      TEXT NOT NULL DEFAULT '[]',
		created_at TEXT NOT NULL,
		UNIQUE (guild_id, user_id, channel_id, query)
	);
	-- The delivery queue. A target (a member's DMs or a channel) hears of a
	-- story once: the unique keys hold however many subscriptions, feeds or
	-- retries lead to it. A batch is one message; its id is the message's
	-- nonce, so a resend after a crash is recognised by Discord.
	CREATE TABLE batches (
		id         INTEGER PRIMARY KEY,
		target     TEXT NOT NULL,
		created_at TEXT NOT NULL
	);
	CREATE TABLE deliveries (
		id           INTEGER PRIMARY KEY,
		guild_id     TEXT NOT NULL,
		target       TEXT NOT NULL,
		article_id   INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
		story        TEXT NOT NULL,
		reason       TEXT NOT NULL,
		state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
		batch_id     INTEGER REFERENCES batches(id),
		attempts     INTEGER NOT NULL DEFAULT 0,
		next_attempt TEXT NOT NULL,
		last_error   TEXT NOT NULL DEFAULT '',
		created_at   TEXT NOT NULL,
		sent_at      TEXT,
		UNIQUE (target, story),
		UNIQUE (target, article_id)
	);
	CREATE INDEX deliveries_due ON deliveries(state, next_attempt);
	CREATE INDEX deliveries_batch ON deliveries(batch_id);`,
}

func (s *Store) migrate(ctx context.Context) error {
	var version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("store: reading schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("store: the database has schema version %d, newer than this build knows (%d): upgrade disputebot", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
				return fmt.Errorf("store: migration %d: %w", i+1, err)
			}
			// PRAGMA takes no bound parameters.
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
