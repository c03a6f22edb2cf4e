package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The store speaks to SQLite (embedded, the default) or PostgreSQL (which
// several processes and machines can share). Every statement is written
// once, in SQLite's form with ? placeholders, and rebound for PostgreSQL;
// the few places where the two differ (a list passed as JSON, joining the
// scopes of an article, locking) go through a dialect. So the two stores
// cannot drift apart: one code path, one conformance suite.
type dialect struct {
	name string
	// postgres rebinds ? to $1, $2…
	postgres bool
	// migrations bring a schema up to date, each once, in order.
	migrations []migration
}

var (
	sqliteDialect   = &dialect{name: "sqlite", migrations: migrations}
	postgresDialect = &dialect{name: "postgres", postgres: true, migrations: postgresMigrations}
)

// rebind turns SQLite's ? placeholders into PostgreSQL's $n. No statement
// of the store has a ? inside a string literal.
func (d *dialect) rebind(q string) string {
	if !d.postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// idsIn is a subquery of the ids in a JSON array passed as one parameter.
func (d *dialect) idsIn() string {
	if d.postgres {
		return "(SELECT value::bigint FROM json_array_elements_text(?::json))"
	}
	return "(SELECT value FROM json_each(?))"
}

// textsIn is a subquery of the strings in a JSON array passed as one
// parameter.
func (d *dialect) textsIn() string {
	if d.postgres {
		return "(SELECT value FROM json_array_elements_text(?::json))"
	}
	return "(SELECT value FROM json_each(?))"
}

// scopesOf joins an article's scopes with a unit separator.
func (d *dialect) scopesOf(article string) string {
	if d.postgres {
		return "COALESCE((SELECT string_agg(guild_id, chr(31)) FROM article_scopes s WHERE s.article_id = " + article + "), '')"
	}
	return "COALESCE((SELECT group_concat(guild_id, char(31)) FROM article_scopes s WHERE s.article_id = " + article + "), '')"
}

// Locks. SQLite runs one write transaction at a time (they begin
// immediate), so a count and the write it allows cannot interleave with
// another's. PostgreSQL runs them side by side: a transaction that counts
// before it writes (a server's caps), or that numbers articles (the index
// follows the numbers in order, so one must never commit before a lower
// one), takes a transaction-scoped advisory lock first.
const (
	lockSeq      = 1 // numbering articles
	lockGuild    = 2 // a guild's caps, with the guild's hash as the second key
	lockMigrate  = 3 // a schema migration (PostgreSQL keeps no user_version)
	lockClaim    = 4 // claiming the delivery queue's messages
	lockIdentify = 5 // a gateway identify's turn and budget
)

// lock takes an advisory lock until the transaction ends (PostgreSQL).
func (d *dialect) lock(ctx context.Context, tx *txn, kind int, key string) error {
	if !d.postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?, hashtext(?))", kind, key); err != nil {
		return fmt.Errorf("store: lock: %w", err)
	}
	return nil
}

// text makes every string argument storable as text in both engines:
// PostgreSQL refuses invalid UTF-8 and NUL characters, which SQLite keeps,
// and a page, a feed or a generator can hand over either (a byte cut
// from the middle of a character). Both stores keep the same repaired
// string, so they answer alike. The arguments are copied only when one
// needs repair.
func text(args []any) []any {
	out := args
	for i, a := range args {
		s, ok := a.(string)
		if !ok || (utf8.ValidString(s) && !strings.ContainsRune(s, 0)) {
			continue
		}
		if &out[0] == &args[0] {
			out = append([]any(nil), args...)
		}
		out[i] = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	}
	return out
}

// conn is the database in its dialect.
type conn struct {
	*sql.DB
	d *dialect
}

func (c conn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return c.DB.QueryContext(ctx, c.d.rebind(q), text(args)...)
}

func (c conn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return c.DB.QueryRowContext(ctx, c.d.rebind(q), text(args)...)
}

func (c conn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return c.DB.ExecContext(ctx, c.d.rebind(q), text(args)...)
}

func (c conn) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return c.DB.PrepareContext(ctx, c.d.rebind(q))
}

func (c conn) BeginTx(ctx context.Context, o *sql.TxOptions) (*txn, error) {
	tx, err := c.DB.BeginTx(ctx, o)
	if err != nil {
		return nil, err
	}
	return &txn{Tx: tx, d: c.d}, nil
}

// txn is a transaction in its dialect.
type txn struct {
	*sql.Tx
	d *dialect
}

func (t *txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.Tx.QueryContext(ctx, t.d.rebind(q), text(args)...)
}

func (t *txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, t.d.rebind(q), text(args)...)
}

func (t *txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, t.d.rebind(q), text(args)...)
}

// snapshot is the isolation of a read that must see one moment (an
// export): SQLite's read transaction already does.
func (d *dialect) snapshot() sql.IsolationLevel {
	if d.postgres {
		return sql.LevelRepeatableRead
	}
	return sql.LevelDefault
}

// afterImport readies a store that was given rows with their ids: the
// ids PostgreSQL hands out next must come after them (SQLite takes the
// largest id plus one by itself).
func (d *dialect) afterImport(ctx context.Context, tx *txn) error {
	if !d.postgres {
		return nil
	}
	for _, t := range serialTables {
		q := "SELECT setval(pg_get_serial_sequence('" + t + "', 'id'), COALESCE((SELECT MAX(id) FROM " + t + "), 0) + 1, false)"
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: after import: %w", err)
		}
	}
	return nil
}
