package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/store/pgtest"
)

// backend is one fresh, empty database of a kind, which a test may open
// more than once (to check what a restart finds).
type backend struct {
	name string
	url  string // PostgreSQL's database, with its own search_path
	open func() (*Store, error)
}

// mustOpen opens the backend's database, closed when the test ends.
func (b backend) mustOpen(t *testing.T) *Store {
	t.Helper()
	s, err := b.open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// eachStore runs a behaviour's test on SQLite and on PostgreSQL, each with
// a database of its own: the conformance suite. PostgreSQL's half runs
// when TEST_DATABASE_URL is set (CI sets it) and is skipped with one line
// saying so when it is not.
func eachStore(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "db.sqlite")
		fn(t, backend{name: "sqlite", open: func() (*Store, error) { return Open(context.Background(), path) }})
	})
	t.Run("postgres", func(t *testing.T) {
		u := pgtest.URL(t)
		fn(t, backend{name: "postgres", url: u, open: func() (*Store, error) { return OpenPostgres(context.Background(), u) }})
	})
}

// eachOpenStore is eachStore for tests that open the database once.
func eachOpenStore(t *testing.T, fn func(t *testing.T, s *Store)) {
	eachStore(t, func(t *testing.T, b backend) { fn(t, b.mustOpen(t)) })
}

// TestAPageIsWrittenOnce: a second read of an address, for the same scope
// or another, attaches the scope and changes nothing of what the page
// said; a guild's own version of the page follows its feed's claims and is
// that guild's alone.
func TestAPageIsWrittenOnce(t *testing.T) { eachOpenStore(t, testAPageIsWrittenOnce) }

func testAPageIsWrittenOnce(t *testing.T, s *Store) {
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
	if b.Title != "First title" {
		t.Errorf("the caller was not given what is stored: %q", b.Title)
	}
	c := &article.Article{URL: "https://example.com/a", Title: "Another title"}
	r3, err := s.SaveArticle(ctx, c, "222", 0)
	if err != nil || r3.Created || !r3.NewInScope {
		t.Fatalf("other scope: %+v %v", r3, err)
	}
	got, err := s.ArticleByURL(ctx, "https://example.com/a")
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "First title" || !got.FirstSeen.Equal(first) || strings.Join(got.Scopes, ",") != "111,222" {
		t.Errorf("stored = title %q first seen %v scopes %v", got.Title, got.FirstSeen, got.Scopes)
	}

	own := &article.Article{URL: "https://example.com/a", Owner: "222", Title: "What 222's feed says"}
	if r, err := s.SaveArticle(ctx, own, "222", 0); err != nil || !r.Created || r.ID == r1.ID {
		t.Fatalf("a guild's own version: %+v %v", r, err)
	}
	own2 := &article.Article{URL: "https://example.com/a", Owner: "222", Title: "What 222's feed says now"}
	if r, err := s.SaveArticle(ctx, own2, "222", 0); err != nil || r.Created {
		t.Fatalf("the version again: %+v %v", r, err)
	}
	if v, err := s.ArticleFor(ctx, "222", "https://example.com/a"); err != nil || v.Title != "What 222's feed says now" || strings.Join(v.Scopes, ",") != "222" {
		t.Errorf("222 reads %+v, %v", v, err)
	}
	if v, err := s.ArticleFor(ctx, "111", "https://example.com/a"); err != nil || v.Title != "First title" {
		t.Errorf("111 reads %+v, %v", v, err)
	}
	if _, err := s.SaveArticle(ctx, &article.Article{URL: "https://example.com/a", Owner: "222", Title: "x"}, "111", 0); err == nil {
		t.Error("a guild's version was made visible to another guild")
	}
}

// TestCorpusIsWrittenByTheCorpusOnly: a curated event is rewritten by a
// corpus load, and by nothing else.
func TestCorpusIsWrittenByTheCorpusOnly(t *testing.T) {
	eachOpenStore(t, testCorpusIsWrittenByTheCorpusOnly)
}

func testCorpusIsWrittenByTheCorpusOnly(t *testing.T, s *Store) {
	ctx := context.Background()
	u := "https://example.com/event"
	if _, err := s.SaveArticle(ctx, &article.Article{URL: u, Title: "Read before the corpus had it"}, "111", 0); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCorpus(ctx, []*article.Article{{URL: u, Title: "Curated headline", Disputes: []string{"d"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveArticle(ctx, &article.Article{URL: u, Title: "A guild's page", Curated: true}, "222", 0); err != nil {
		t.Fatal(err)
	}
	got, err := s.ArticleByURL(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Sort(got.Scopes); got.Title != "Curated headline" || !got.Curated || strings.Join(got.Scopes, ",") != "111,222,global" {
		t.Errorf("stored = %q curated %t scopes %v", got.Title, got.Curated, got.Scopes)
	}
}

func TestChangedWalksInOrder(t *testing.T) { eachOpenStore(t, testChangedWalksInOrder) }

func testChangedWalksInOrder(t *testing.T, s *Store) {
	ctx := context.Background()
	for _, u := range []string{"a", "b", "c"} {
		s.SaveArticle(ctx, &article.Article{URL: "https://example.com/" + u, Title: u}, article.GlobalScope, 0)
	}
	s.SaveArticle(ctx, &article.Article{URL: "https://example.com/a", Title: "a again"}, "111", 0)
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
	// Reaching another scope changes the article's scopes, so it is
	// indexed again: after the others, and as it was first read.
	if strings.Join(titles, ",") != "b,c,a" || last != 4 {
		t.Errorf("changed = %v up to %d", titles, last)
	}
}

// TestNewerSchemaRefused: a build meeting a database migrated by a newer
// build stops with a sentence saying so, rather than writing into a schema
// it does not know.
func TestNewerSchemaRefused(t *testing.T) {
	eachStore(t, func(t *testing.T, b backend) {
		s := b.mustOpen(t)
		bump := "PRAGMA user_version = 999"
		if s.db.d.postgres {
			bump = "UPDATE schema_version SET version = 999"
		}
		if _, err := s.db.Exec(bump); err != nil {
			t.Fatal(err)
		}
		if _, err := b.open(); err == nil || !strings.Contains(err.Error(), "newer") {
			t.Errorf("Open = %v, want a refusal naming the newer schema", err)
		}
	})
}

// TestCapsPerGuild: each cap refuses the write that would pass it, with a
// *CapError naming it, and counts one guild only.
func TestCapsPerGuild(t *testing.T) { eachOpenStore(t, testCapsPerGuild) }

func testCapsPerGuild(t *testing.T, s *Store) {
	s.SetCaps(domain.Caps{Feeds: 2, Sources: 1, GuildSubscriptions: 3, MemberSubscriptions: 2})
	ctx := context.Background()
	feed := func(guild, u string) error {
		return s.AddSource(ctx, &domain.Source{GuildID: guild, URL: u, Kind: domain.FeedSource, Feed: &domain.Feed{Interval: time.Hour}})
	}
	article := func(guild, u string) error {
		return s.AddSource(ctx, &domain.Source{GuildID: guild, URL: u, Kind: domain.ArticleSource})
	}
	sub := func(guild, user, q string) error {
		return s.Subscribe(ctx, &domain.Subscription{GuildID: guild, UserID: user, Query: q})
	}
	capped := func(err error, what string, member bool) bool {
		var ce *domain.CapError
		return errors.As(err, &ce) && string(ce.What) == what && ce.Member == member
	}
	for _, c := range []struct {
		name   string
		err    error
		what   string
		member bool
	}{
		{"first feed", feed("A", "https://a.example/1"), "", false},
		{"second feed", feed("A", "https://a.example/2"), "", false},
		{"third feed", feed("A", "https://a.example/3"), "feeds", false},
		{"another guild's feed", feed("B", "https://a.example/3"), "", false},
		{"first source", article("A", "https://a.example/s1"), "", false},
		{"second source", article("A", "https://a.example/s2"), "sources", false},
		{"a feed again", feed("A", "https://a.example/1"), "exists", false},
		{"u1's first", sub("A", "u1", "one"), "", false},
		{"u1's second", sub("A", "u1", "two"), "", false},
		{"u1's third", sub("A", "u1", "three"), "subscriptions", true},
		{"u2's first", sub("A", "u2", "one"), "", false},
		{"u2's second, past the guild's", sub("A", "u2", "two"), "subscriptions", false},
		{"u1's first again", sub("A", "u1", "one"), "exists", false},
	} {
		switch {
		case c.what == "" && c.err != nil:
			t.Errorf("%s: %v", c.name, c.err)
		case c.what == "exists" && !errors.Is(c.err, domain.ErrExists):
			t.Errorf("%s: %v, want ErrExists", c.name, c.err)
		case c.what != "" && c.what != "exists" && !capped(c.err, c.what, c.member):
			t.Errorf("%s: %v, want the %s cap", c.name, c.err, c.what)
		}
	}
}

// TestPathWithURICharacters: a data folder whose name holds "#", "?" or
// "%" keeps its database inside it, not at a path cut short where a URI
// would end.
func TestPathWithURICharacters(t *testing.T) {
	for _, name := range []string{"news#2", "what?", "100%", "a b"} {
		dir := filepath.Join(t.TempDir(), name)
		s, err := Open(context.Background(), filepath.Join(dir, "disputebot.db"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s.Close()
		// Open makes the file (owner-only) before SQLite does: only a file
		// SQLite wrote to holds the schema.
		if fi, err := os.Stat(filepath.Join(dir, "disputebot.db")); err != nil || fi.Size() == 0 {
			t.Errorf("%s: the database is not in its folder (%v)", name, err)
		}
	}
}
