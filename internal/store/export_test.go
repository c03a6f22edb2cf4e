package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
)

// fill gives a store a row in every table: the corpus, a guild's own
// version of a page, an article source and a feed with seen items,
// aliases, subscriptions, a message claimed mid-send and a notice waiting.
func fill(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.SaveCorpus(ctx, []*article.Article{{URL: "https://corpus.example/1", Title: "Curated", Disputes: []string{"d"}, Published: t0.AddDate(-1, 0, 0), FirstSeen: t0, DateSource: "corpus", DisputeScore: 1}}))
	must(s.SetMeta(ctx, "corpus_hash", "abc"))
	feed := &domain.Source{GuildID: "G", URL: "https://g.example/feed.xml", Kind: domain.FeedSource, AddedBy: "mod", AddedAt: t0, Feed: &domain.Feed{Interval: time.Hour, ChannelID: "c1", Title: "G's feed"}}
	must(s.AddSource(ctx, feed))
	src := &domain.Source{GuildID: "G", URL: "https://g.example/story", Kind: domain.ArticleSource, AddedAt: t0}
	must(s.AddSource(ctx, src))
	sub := &domain.Subscription{GuildID: "G", UserID: "u1", Query: "musk microsoft", Parties: []string{"Elon Musk", "Microsoft"}, CreatedAt: t0}
	must(s.Subscribe(ctx, sub))
	must(s.Subscribe(ctx, &domain.Subscription{GuildID: "G", UserID: "u2", ChannelID: "c2", Query: "epic", Words: []string{"epic"}, CreatedAt: t0}))
	must(s.AddAlias(ctx, "G", "twitter boss", "Twitter boss", "Elon Musk", "mod"))
	must(s.Write(ctx, func(tx *Tx) error {
		for i := 0; i < 3; i++ {
			r, err := tx.SaveArticle(&article.Article{URL: fmt.Sprintf("https://g.example/%d", i), Title: fmt.Sprintf("Story %d \"quoted\" é", i),
				Text: "Line one.\nLine two, with <html> & \u2028.", Parties: []string{"Elon Musk"}, DisputeScore: 0.5 + float64(i)/10,
				Published: t0.Add(-time.Duration(i) * time.Hour), FirstSeen: t0}, "G", feed.ID)
			if err != nil {
				return err
			}
			if _, err := tx.Enqueue([]domain.Delivery{{GuildID: "G", Target: sub.Target(), ArticleID: r.ID, Story: fmt.Sprint("s", i), Reason: domain.Reason{Kind: domain.BySubscription, ID: sub.ID}}}, t0); err != nil {
				return err
			}
			if err := tx.MarkFeedItem(feed.ID, fmt.Sprint("guid-", i), r.ID, t0); err != nil {
				return err
			}
		}
		_, err := tx.SaveArticle(&article.Article{URL: "https://g.example/0", Owner: "G", Title: "G's own version", FirstSeen: t0}, "G", feed.ID)
		return err
	}))
	if _, err := s.SaveArticle(ctx, &article.Article{URL: src.URL, Title: "From a source", FirstSeen: t0}, "G", src.ID); err != nil {
		t.Fatal(err)
	}
	// One message claimed and mid-send (as a process killed while sending
	// leaves it), the rest pending.
	if _, err := s.ClaimBatches(ctx, t0.Add(time.Minute), 0, time.Minute, 1, 0); err != nil {
		t.Fatal(err)
	}
	s.Enqueue(ctx, []domain.Delivery{{GuildID: "G", Target: domain.DMTarget("u9"), ArticleID: 1, Story: "late", Reason: domain.Reason{Kind: domain.BySubscription, ID: 9}}}, t0.Add(2*time.Minute))
}

// rowsOf is an export without its header line (which says when and from
// where).
func rowsOf(t *testing.T, s *Store) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := s.Export(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	_, rows, _ := strings.Cut(b.String(), "\n")
	return rows
}

// TestExportImportRoundTrip: a store exported and imported into either
// store, then exported again, gives back the same rows, ids included; the
// store imported into hands out ids after those it was given, keeps its
// own identity, and claims the message that was mid-send with its id.
func TestExportImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	src, err := Open(ctx, filepath.Join(t.TempDir(), "src.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fill(t, src)
	want := rowsOf(t, src)
	if n := strings.Count(want, "\n"); n < 20 {
		t.Fatalf("the export holds %d rows", n)
	}
	var dump bytes.Buffer
	counts, err := src.Export(ctx, &dump)
	if err != nil || counts["deliveries"] != 4 || counts["batches"] != 1 || counts["feeds"] != 1 {
		t.Fatalf("export counts %v, %v", counts, err)
	}
	eachOpenStore(t, func(t *testing.T, s *Store) {
		got, err := s.Import(ctx, bytes.NewReader(dump.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		for table, n := range counts {
			if got[table] != n {
				t.Errorf("%s: imported %d rows of %d", table, got[table], n)
			}
		}
		if rows := rowsOf(t, s); rows != want {
			t.Errorf("exported again, the rows differ:\n%s\nwant\n%s", rows, want)
		}
		if s.ID() == src.ID() {
			t.Error("the imported store took the other's identity")
		}
		batches, err := s.ClaimBatches(ctx, t0.Add(time.Hour), 0, time.Minute, 10, 0)
		if err != nil || len(batches) != 2 || batches[0].ID != 1 || len(batches[0].Articles) != 3 {
			t.Errorf("after the move, claimed %+v, %v: want the message mid-send (id 1) back and one new", batches, err)
		}
		sub := &domain.Subscription{GuildID: "G", UserID: "u3", Query: "new"}
		if err := s.Subscribe(ctx, sub); err != nil || sub.ID != 3 {
			t.Errorf("a new subscription got id %d, %v: want 3, after the imported ones", sub.ID, err)
		}
		r, err := s.SaveArticle(ctx, &article.Article{URL: "https://g.example/new", Title: "new", FirstSeen: t0}, "G", 0)
		if max, _ := s.MaxSeq(ctx); err != nil || !r.Created || r.ID != 7 {
			t.Errorf("a new article: %+v %v (max seq %d)", r, err, max)
		}
		if _, err := s.Import(ctx, bytes.NewReader(dump.Bytes())); !errors.Is(err, ErrNotEmpty) {
			t.Errorf("importing into a store with data: %v", err)
		}
	})
}

// TestImportRefusesABadExport: a file that is not an export, or breaks
// off with a bad line, is refused with the line named, and leaves the
// store empty.
func TestImportRefusesABadExport(t *testing.T) {
	ctx := context.Background()
	src, err := Open(ctx, filepath.Join(t.TempDir(), "src.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fill(t, src)
	var dump bytes.Buffer
	src.Export(ctx, &dump)
	lines := strings.SplitAfter(dump.String(), "\n")
	first := func(table string) string {
		for _, l := range lines {
			if strings.Contains(l, `"table":"`+table+`"`) {
				return l
			}
		}
		t.Fatalf("no %s row", table)
		return ""
	}
	for _, c := range []struct {
		name, text string
		line       int
	}{
		{"empty", "", 1},
		{"not an export", "hello\n", 1},
		{"a newer format", `{"format":"disputebot-store","version":9}` + "\n", 1},
		{"a line that is not JSON", strings.Join(lines[:5], "") + "oops\n", 6},
		{"an unknown table", lines[0] + `{"table":"users","row":{"id":1}}` + "\n", 2},
		{"a column that is not a name", lines[0] + `{"table":"meta","row":{"key; DROP TABLE meta":"x"}}` + "\n", 2},
		{"out of order", lines[0] + first("sources") + first("meta"), 3},
		{"a row before what it refers to", lines[0] + first("deliveries"), 2},
	} {
		eachOpenStore(t, func(t *testing.T, s *Store) {
			_, err := s.Import(ctx, strings.NewReader(c.text))
			var ie *ImportError
			if !errors.As(err, &ie) || ie.Line != c.line {
				t.Errorf("%s: %v, want an ImportError at line %d", c.name, err, c.line)
			}
			if n, _ := s.CountArticles(ctx); n != 0 {
				t.Errorf("%s: %d articles left behind", c.name, n)
			}
		})
	}
}
