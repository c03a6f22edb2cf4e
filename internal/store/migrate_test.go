package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/disputebot/disputebot/internal/domain"
)

// TestMigrationFromVersion2 opens a database left by the schema before
// pages were kept apart from claims, with what the old code let a guild
// write (a 2099 date over a page), and checks what migration 3 makes of
// it: everything kept and still linked, the corpus marked curated and due
// to be written again, the impossible date forgotten and the row due to
// be indexed again, deliveries kept.
func TestMigrationFromVersion2(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range migrations[:2] {
		if _, err := db.Exec(m.sql); err != nil {
			t.Fatalf("migration %d: %v", i+1, err)
		}
	}
	for _, q := range []string{
		"PRAGMA user_version = 2",
		"INSERT INTO meta(key, value) VALUES ('corpus_hash', 'old')",
		`INSERT INTO articles(id, url, title, published, first_seen, date_source, seq) VALUES
			(1, 'https://corpus.example/seed', 'Curated headline', '2023-04-20T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z', 'corpus', 1),
			(2, 'https://news.example/page', 'A page a feed redated', '2099-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z', 'feed', 2),
			(3, 'https://news.example/fine', 'A page', '2025-05-05T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z', 'metadata', 3)`,
		`INSERT INTO article_scopes(article_id, guild_id, added_at) VALUES (1, 'global', 'x'), (2, 'A', 'x'), (3, 'B', 'x')`,
		`INSERT INTO deliveries(guild_id, target, article_id, story, reason, next_attempt, created_at) VALUES
			('A', 'dm:1', 2, 's1', 'subscription:1', 'x', 'x'), ('B', 'dm:1', 3, 's2', 'subscription:2', 'x', 'x')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if res, err := s.IntegrityCheck(ctx); err != nil || res != "ok" {
		t.Fatalf("integrity: %q %v", res, err)
	}
	var fkErrors int
	s.db.QueryRow("SELECT COUNT(*) FROM pragma_foreign_key_check").Scan(&fkErrors)
	if fkErrors != 0 {
		t.Errorf("%d broken references", fkErrors)
	}
	seed, err := s.ArticleByURL(ctx, "https://corpus.example/seed")
	if err != nil || !seed.Curated || seed.Title != "Curated headline" || len(seed.Scopes) != 1 {
		t.Errorf("the corpus row: %+v %v", seed, err)
	}
	redated, err := s.ArticleByURL(ctx, "https://news.example/page")
	if err != nil || !redated.Published.IsZero() || redated.Curated {
		t.Errorf("the redated page: %+v %v", redated, err)
	}
	var seq2, seq3 int64
	s.db.QueryRow("SELECT seq FROM articles WHERE id = 2").Scan(&seq2)
	s.db.QueryRow("SELECT seq FROM articles WHERE id = 3").Scan(&seq3)
	if seq2 <= 3 || seq3 != 3 {
		t.Errorf("seqs %d and %d: the changed row must be indexed again, the other not", seq2, seq3)
	}
	if h, _ := s.Meta(ctx, "corpus_hash"); h != "" {
		t.Errorf("corpus hash %q kept: the corpus would not be written again", h)
	}
	counts, _ := s.DeliveryCounts(ctx)
	if fmt.Sprint(counts) != "map[pending:2]" {
		t.Errorf("deliveries after the migration: %v", counts)
	}
	// A member told in one server can now be told in another.
	if n, err := s.Enqueue(ctx, []domain.Delivery{{GuildID: "C", Target: domain.DMTarget("1"), ArticleID: 3, Story: "s2", Reason: domain.Reason{Kind: domain.BySubscription, ID: 3}}}, seed.FirstSeen); err != nil || n != 1 {
		t.Errorf("a notice in another guild: %d, %v", n, err)
	}
}
