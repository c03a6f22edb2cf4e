package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
)

// TestMain lets this test binary be the writer TestKilledWriter kills.
func TestMain(m *testing.M) {
	if target := os.Getenv("STORE_CRASH_WRITER"); target != "" {
		crashWriter(target)
		return
	}
	if path := os.Getenv("STORE_RETITLE"); path != "" {
		retitle(path, os.Getenv("STORE_RETITLE_URL"), os.Getenv("STORE_RETITLE_TITLE"))
		return
	}
	os.Exit(m.Run())
}

// crashWriter writes what a feed poll writes (an article, its notice, the
// item seen) in one unit of work after another, as fast as it can, until
// it is killed.
func crashWriter(target string) {
	ctx := context.Background()
	var s *Store
	var err error
	if strings.HasPrefix(target, "postgres") {
		s, err = OpenPostgres(ctx, target)
	} else {
		s, err = Open(ctx, target)
	}
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	srcs, err := s.Sources(ctx, "G", domain.FeedSource)
	if err != nil || len(srcs) != 1 {
		fmt.Println("no feed:", err)
		os.Exit(1)
	}
	feed := srcs[0].ID
	fmt.Println("writing")
	for i := 0; ; i++ {
		key := fmt.Sprintf("%d-%d", os.Getpid(), i)
		err := s.Write(ctx, func(tx *Tx) error {
			r, err := tx.SaveArticle(&article.Article{URL: "https://crash.example/" + key, Title: key, FirstSeen: time.Now()}, "G", feed)
			if err != nil {
				return err
			}
			if _, err := tx.Enqueue([]domain.Delivery{{GuildID: "G", Target: domain.DMTarget("u"), ArticleID: r.ID, Story: key, Reason: domain.Reason{Kind: domain.ByFeed, ID: 1}}}, time.Now()); err != nil {
				return err
			}
			if err := tx.MarkFeedItem(feed, key, r.ID, time.Now()); err != nil {
				return err
			}
			return tx.PruneFeedItems(feed, 50)
		})
		if err != nil {
			fmt.Println("write:", err)
			os.Exit(1)
		}
	}
}

// TestKilledWriterLeavesAConsistentStore kills a writer with SIGKILL in
// the middle of its units of work, again and again, and checks the store
// after: it passes its integrity check, every article came with its
// notice (all of a unit or none), and the numbers are whole.
func TestKilledWriterLeavesAConsistentStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	eachStore(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.mustOpen(t)
		if err := s.AddSource(ctx, &domain.Source{GuildID: "G", URL: "https://crash.example/feed.xml", Kind: domain.FeedSource, Feed: &domain.Feed{Interval: time.Hour}}); err != nil {
			t.Fatal(err)
		}
		target := s.Path()
		if b.name == "postgres" {
			target = b.url
		}
		rng := rand.New(rand.NewPCG(7, 8))
		for kill := 0; kill < 6; kill++ {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "STORE_CRASH_WRITER="+target)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, _ := bufio.NewReader(out).ReadString('\n')
			if line != "writing\n" {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("the writer said %q", line)
			}
			time.Sleep(time.Duration(50+rng.IntN(250)) * time.Millisecond)
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
		}

		s2 := b.mustOpen(t)
		if res, err := s2.IntegrityCheck(ctx); err != nil || res != "ok" {
			t.Errorf("integrity check: %q %v", res, err)
		}
		var articles, notices, distinct, items, orphans int
		q := func(dest *int, sql string) {
			if err := s2.db.QueryRowContext(ctx, sql).Scan(dest); err != nil {
				t.Fatal(err)
			}
		}
		q(&articles, "SELECT COUNT(*) FROM articles WHERE url LIKE 'https://crash.example/%'")
		q(&notices, "SELECT COUNT(*) FROM deliveries")
		q(&distinct, "SELECT COUNT(DISTINCT seq) FROM articles")
		q(&items, "SELECT COUNT(*) FROM feed_items")
		q(&orphans, "SELECT COUNT(*) FROM feed_items i LEFT JOIN deliveries d ON d.article_id = i.article_id WHERE d.id IS NULL")
		if articles < 10 {
			t.Fatalf("only %d units of work were written: the writer hardly ran", articles)
		}
		if notices != articles {
			t.Errorf("%d articles but %d notices: a unit of work was half kept", articles, notices)
		}
		if distinct != articles {
			t.Errorf("%d articles share %d numbers", articles, distinct)
		}
		if items > 50 || orphans != 0 {
			t.Errorf("%d items remembered (pruned to 50 per unit), %d without their notice", items, orphans)
		}
		t.Logf("%d units of work survived 6 kills", articles)
	})
}
