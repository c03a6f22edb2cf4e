package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disputebot/disputebot/internal/article"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSaveArticleTwiceKeepsFirstSeenAndAddsScopes(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	first := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	a := &article.Article{URL: "https://example.com/a", Title: "First title", FirstSeen: first, Parties: []string{"Apple"}}
	r1, err := s.SaveArticle(ctx, a, "111", 0)
	if err != nil || !r1.Created || !r1.NewInScope {
		t.Fatalf("first save: %+v %v", r1, err)
	}
	b := &article.Article{URL: "https://example.com/a", Title: "Updated title", FirstSeen: first.Add(time.Hour)}
	r2, err := s.SaveArticle(ctx, b, "111", 0)
	if err != nil || r2.Created || r2.NewInScope || r2.ID != r1.ID {
		t.Fatalf("same scope again: %+v %v", r2, err)
	}
	r3, err := s.SaveArticle(ctx, b, "222", 0)
	if err != nil || r3.Created || !r3.NewInScope {
		t.Fatalf("other scope: %+v %v", r3, err)
	}
	got, err := s.ArticleByURL(ctx, "https://example.com/a")
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Updated title" || !got.FirstSeen.Equal(first) || strings.Join(got.Scopes, ",") != "111,222" {
		t.Errorf("stored = title %q first seen %v scopes %v", got.Title, got.FirstSeen, got.Scopes)
	}
}

func TestChangedWalksInOrder(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	for _, u := range []string{"a", "b", "c"} {
		s.SaveArticle(ctx, &article.Article{URL: "https://example.com/" + u, Title: u}, article.GlobalScope, 0)
	}
	s.SaveArticle(ctx, &article.Article{URL: "https://example.com/a", Title: "a again"}, article.GlobalScope, 0)
	var titles []string
	last, err := s.Changed(ctx, 0, 2, func(page []*article.Article, seq int64) error {
		for _, a := range page {
			titles = append(titles, a.Title)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(titles, ",") != "b,c,a again" || last != 4 {
		t.Errorf("changed = %v up to %d", titles, last)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.sqlite")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.db.Exec("PRAGMA user_version = 999")
	s.Close()
	if _, err := Open(context.Background(), path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open = %v, want a refusal naming the newer schema", err)
	}
}
