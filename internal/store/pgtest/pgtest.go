// Package pgtest gives each test its own PostgreSQL schema, so the store's
// tests run on PostgreSQL side by side without seeing each other's rows.
// It is imported by tests only.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// Env names the variable that points the tests at a PostgreSQL server.
const Env = "TEST_DATABASE_URL"

// SkipMessage is the one line a test skipped for want of PostgreSQL says.
const SkipMessage = "PostgreSQL half skipped: run with " + Env + "=postgres://postgres@127.0.0.1:5432/test (see README, Testing)"

// URL returns a database URL whose search_path is a new, empty schema,
// dropped when the test ends. Without TEST_DATABASE_URL the test is
// skipped; with it, a server that cannot be reached fails the test (CI
// sets it, and must not pass by skipping).
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		t.Skip(SkipMessage)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	defer db.Close()
	// A server started just before the tests may still be coming up.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for db.PingContext(ctx) != nil && ctx.Err() == nil {
		time.Sleep(200 * time.Millisecond)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("PostgreSQL at %s: %v", Env, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
