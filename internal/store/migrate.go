package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// migrations are applied in order, each once, in its own transaction; the
// database's user_version records how many have run. Never edit one that
// has shipped: add another.
var migrations = []migration{
	// 1: articles, the guilds that may see them, sources.
	{sql: `CREATE TABLE meta (
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
	CREATE INDEX article_scopes_source ON article_scopes(source_id);`},

	// 2: feeds, guild aliases, subscriptions and the delivery queue.
	{sql: `CREATE TABLE feeds (
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
	CREATE INDEX deliveries_batch ON deliveries(batch_id);`},

	// 3: what a page says apart from what a source claims about it, and
	// every guild's notices its own.
	//
	// A guild's moderator is untrusted. One articles row per address,
	// rewritten by whoever read it last, let a feed of guild A retitle,
	// redate and resummarise what guild B and the command line were told.
	// Now:
	//   - owner '' is the page itself, shared by every scope that reads its
	//     address, and written once: a later read (by anyone) attaches the
	//     reader's scope and changes nothing, so no guild can make the page
	//     say something else to another.
	//   - owner <guild id> is that guild's own version of a page: its page
	//     text with what its feed claimed (a date; a title and summary when
	//     the page could not be read). Only that guild's scope ever points
	//     at it; the guild's own feeds may rewrite it.
	//   - curated rows are the built-in corpus's events: only a corpus load
	//     writes them, and ingesting their address anywhere only attaches.
	// Deliveries were unique per target (a member's DMs) across guilds, so
	// a notice queued in guild A could stop guild B's: now per guild.
	{foreignKeysOff: true, sql: `CREATE TABLE articles_v3 (
		id            INTEGER PRIMARY KEY,
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
		dispute_score REAL NOT NULL DEFAULT 0,
		fingerprint   TEXT NOT NULL DEFAULT '',
		seq           INTEGER NOT NULL,
		-- The full text last: SQLite reads a row's columns in order, and a
		-- text of several kilobytes spills onto overflow pages that an
		-- answer, which reads the summary and parties only, would walk.
		text          TEXT NOT NULL DEFAULT '',
		UNIQUE (url, owner)
	);
	INSERT INTO articles_v3 (id, url, owner, curated, title, site, byline, published, updated, first_seen, date_source,
		text, summary, parties, disputes, dispute_score, fingerprint, seq)
		SELECT id, url, '', date_source = 'corpus', title, site, byline, published, updated, first_seen, date_source,
		text, summary, parties, disputes, dispute_score, fingerprint, seq FROM articles;
	DROP TABLE articles;
	ALTER TABLE articles_v3 RENAME TO articles;
	CREATE INDEX articles_seq ON articles(seq);
	CREATE INDEX articles_fingerprint ON articles(fingerprint);
	-- Dates no publication has, read from feeds and page text before they
	-- were checked, are forgotten; the rows get new seqs, so the index
	-- takes them again.
	UPDATE articles SET published = NULL, date_source = '', seq = seq + (SELECT MAX(seq) FROM articles)
		WHERE curated = 0 AND (published > strftime('%Y-%m-%dT%H:%M:%S', 'now', '+1 day') OR published < '1990');
	-- The corpus is written again from the binary at the next open: a
	-- guild's re-read may have changed its events.
	DELETE FROM meta WHERE key = 'corpus_hash';
	CREATE INDEX article_scopes_guild ON article_scopes(guild_id, added_at);
	CREATE TABLE deliveries_v3 (
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
		UNIQUE (guild_id, target, story),
		UNIQUE (guild_id, target, article_id)
	);
	INSERT INTO deliveries_v3 SELECT * FROM deliveries;
	DROP TABLE deliveries;
	ALTER TABLE deliveries_v3 RENAME TO deliveries;
	CREATE INDEX deliveries_due ON deliveries(state, next_attempt);
	CREATE INDEX deliveries_batch ON deliveries(batch_id);
	CREATE INDEX feed_items_seen ON feed_items(source_id, seen_at);`},
	// 4: interactions claimed, so that processes sharing the store run
	// each of Discord's interactions once (see ClaimEvent).
	{sql: interactionsTable},
	// 5: gateway shards leased to processes, and identifies spaced and
	// counted (see shards.go).
	{sql: shardsTables},
	// 6: the interactions' claims become every event's, with a lease for
	// a command claimed by a process that dies before answering it (see
	// ClaimEvent).
	{sql: claimsTable},
	// 7: the messages all senders may claim in a second, together (see
	// ClaimBatches).
	{sql: sendBudgetTable},
	// 8: the processes holding shards, to share them out evenly (see
	// ShardPeers).
	{sql: shardPeersTable},
}

// interactionsTable is the same in both dialects.
const interactionsTable = `CREATE TABLE interactions (
		id      TEXT PRIMARY KEY,
		seen_at TEXT NOT NULL
	);
	CREATE INDEX interactions_seen ON interactions(seen_at);`

// sendBudgetTable is the same in both dialects: one row, the second of
// the clock it counts and the messages claimed in it.
const sendBudgetTable = `CREATE TABLE send_budget (
		id        INTEGER PRIMARY KEY CHECK (id = 1),
		at_second TEXT NOT NULL,
		used      INTEGER NOT NULL
	);
	INSERT INTO send_budget (id, at_second, used) VALUES (1, '', 0);`

// claimsTable renames interactionsTable's table for what it holds, in both
// dialects. Claims made before it are final (answered 1).
const claimsTable = `ALTER TABLE interactions RENAME TO claims;
	ALTER TABLE claims ADD COLUMN lease_until TEXT NOT NULL DEFAULT '';
	ALTER TABLE claims ADD COLUMN answered INTEGER NOT NULL DEFAULT 1;
	DROP INDEX interactions_seen;
	CREATE INDEX claims_seen ON claims(seen_at);`

// migration is one step of the schema. foreignKeysOff runs it with
// foreign keys off, as SQLite requires for rebuilding a table others
// refer to (dropping the old one would otherwise cascade); the keys are
// checked before it commits.
type migration struct {
	sql            string
	foreignKeysOff bool
}

func (s *Store) migrate(ctx context.Context) error {
	if s.db.d.postgres {
		return s.migratePostgres(ctx)
	}
	var version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("store: reading schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("store: the database has schema version %d, newer than this build knows (%d): upgrade disputebot", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		if err := s.runMigration(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) runMigration(ctx context.Context, i int) error {
	m := migrations[i]
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migration %d: %w", i+1, err)
	}
	defer conn.Close()
	if m.foreignKeysOff {
		// A pragma that cannot change inside a transaction: set on the
		// connection, and set back whatever happens.
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
			return fmt.Errorf("store: migration %d: %w", i+1, err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON")
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migration %d: %w", i+1, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("store: migration %d: %w", i+1, err)
	}
	if m.foreignKeysOff {
		var table string
		err := tx.QueryRowContext(ctx, "PRAGMA foreign_key_check").Scan(&table)
		if err == nil {
			return fmt.Errorf("store: migration %d: a reference into %s is broken", i+1, table)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: migration %d: %w", i+1, err)
		}
	}
	// PRAGMA takes no bound parameters.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
		return fmt.Errorf("store: migration %d: %w", i+1, err)
	}
	if err := tx.Commit(); err != nil {
		return full(fmt.Errorf("store: migration %d: %w", i+1, err))
	}
	return nil
}
