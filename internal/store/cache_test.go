package store

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/sized"
)

// TestArticlesNeverReadStale: Articles keeps rows in memory, yet every
// change is seen at the next call, whether this store made it or another
// process sharing the database did, and whatever a caller does to what
// it was given.
func TestArticlesNeverReadStale(t *testing.T) {
	eachStore(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, other := b.mustOpen(t), b.mustOpen(t)
		own := &article.Article{URL: "https://example.com/a", Owner: "G1", Title: "Claimed first", Summary: "One.", FirstSeen: t0}
		r, page := ownAndPage(t, s, own)
		ids := []int64{r.ID, page.ID}
		title := func(want string) {
			t.Helper()
			got, err := s.Articles(ctx, ids)
			if err != nil || len(got) != 2 {
				t.Fatalf("Articles: %v %v", got, err)
			}
			if got[0].Title != want {
				t.Errorf("title %q, want %q", got[0].Title, want)
			}
			// What a caller does to its copy stays its own.
			got[0].Title, got[0].Mention = "changed by a caller", true
		}
		title("Claimed first")
		title("Claimed first")

		own.Title = "Claimed again"
		if _, err := s.SaveArticle(ctx, own, "G1", 0); err != nil {
			t.Fatal(err)
		}
		title("Claimed again")

		again := &article.Article{URL: own.URL, Owner: "G1", Title: "Claimed by another process", FirstSeen: t0}
		if _, err := other.SaveArticle(ctx, again, "G1", 0); err != nil {
			t.Fatal(err)
		}
		title("Claimed by another process")
		if got, _ := s.Articles(ctx, ids); got[0].Mention {
			t.Error("a caller's change to its copy reached the next caller")
		}

		// A page's scopes, which PagesAt gives, change when another
		// scope reads it.
		scopes := func(want string) {
			t.Helper()
			pageScopes(t, ctx, s, page.URL, want)
		}
		scopes(article.GlobalScope)
		scopes(article.GlobalScope)
		if _, err := other.SaveArticle(ctx, &article.Article{URL: page.URL, Title: "The page again", FirstSeen: t0}, "G2", 0); err != nil {
			t.Fatal(err)
		}
		scopes("G2," + article.GlobalScope)
	})
}

// ownAndPage stores own as G1's own version of its page, and a page of
// the global scope.
func ownAndPage(t *testing.T, s *Store, own *article.Article) (Saved, *article.Article) {
	t.Helper()
	ctx := context.Background()
	r, err := s.SaveArticle(ctx, own, "G1", 0)
	if err != nil {
		t.Fatal(err)
	}
	page := &article.Article{URL: "https://example.com/page", Title: "The page", FirstSeen: t0}
	if _, err := s.SaveArticle(ctx, page, article.GlobalScope, 0); err != nil {
		t.Fatal(err)
	}
	return r, page
}

// pageScopes checks the scopes PagesAt gives the page at u, sorted and
// joined by commas.
func pageScopes(t *testing.T, ctx context.Context, s *Store, u, want string) {
	t.Helper()
	got, err := s.PagesAt(ctx, []string{u})
	if err != nil || len(got) != 1 {
		t.Fatalf("PagesAt: %v %v", got, err)
	}
	have := slices.Clone(got[0].Scopes)
	slices.Sort(have)
	if strings.Join(have, ",") != want {
		t.Errorf("scopes %v, want %s", have, want)
	}
}

// TestReadingSeesWhatCameBefore: the reads of one answer (a Reading
// context) look for others' changes once, at the first read, and see
// every change committed before it; a later answer sees later changes,
// whichever process made them.
func TestReadingSeesWhatCameBefore(t *testing.T) {
	eachStore(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, other := b.mustOpen(t), b.mustOpen(t)
		own := &article.Article{URL: "https://example.com/a", Owner: "G1", Title: "v0", FirstSeen: t0}
		r, page := ownAndPage(t, s, own)
		answer := func(wantTitle, wantScopes string) {
			t.Helper()
			rctx := s.Reading(ctx)
			got, err := s.Articles(rctx, []int64{r.ID})
			if err != nil || len(got) != 1 || got[0].Title != wantTitle {
				t.Fatalf("Articles: %v %v, want title %q", got, err, wantTitle)
			}
			pageScopes(t, rctx, s, page.URL, wantScopes)
		}
		answer("v0", article.GlobalScope)
		answer("v0", article.GlobalScope)
		if _, err := other.SaveArticle(ctx, &article.Article{URL: own.URL, Owner: "G1", Title: "v1", FirstSeen: t0}, "G1", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := other.SaveArticle(ctx, &article.Article{URL: page.URL, Title: "The page", FirstSeen: t0}, "G2", 0); err != nil {
			t.Fatal(err)
		}
		answer("v1", "G2,"+article.GlobalScope)
	})
}

// TestLooksForChangesOnlyAfterWrites: reading an SQLite store in whose
// folder nothing was written since the last look runs no statement to
// look for changes, and a title another process changes is still read
// at once.
func TestLooksForChangesOnlyAfterWrites(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the folder watch is Linux's (inotify); elsewhere every read looks for changes")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "disputebot.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.watch == nil {
		t.Skip("the kernel gave no inotify instance (fs.inotify.max_user_instances): every read looks for changes")
	}
	a := &article.Article{URL: "https://example.com/a", Owner: "G1", Title: "v0", FirstSeen: t0}
	r, err := s.SaveArticle(ctx, a, "G1", 0)
	if err != nil {
		t.Fatal(err)
	}
	read := func(want string) int {
		t.Helper()
		got, err := s.Articles(ctx, []int64{r.ID})
		if err != nil || len(got) != 1 || got[0].Title != want {
			t.Fatalf("Articles: %v %v, want title %q", got, err, want)
		}
		s.cache.mu.Lock()
		defer s.cache.mu.Unlock()
		return s.cache.looks
	}
	read("v0")
	looks := read("v0")
	for range 5 {
		if n := read("v0"); n != looks {
			t.Fatalf("%d statements looked for changes while nothing was written", n-looks)
		}
	}
	for i, title := range []string{"v1 from another process", "v2 from another process"} {
		cmd := exec.Command(os.Args[0], "-test.run", "^$")
		cmd.Env = append(os.Environ(), "STORE_RETITLE="+path, "STORE_RETITLE_URL="+a.URL, "STORE_RETITLE_TITLE="+title)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("the other process: %v: %s", err, out)
		}
		if n := read(title); n != looks+i+1 {
			t.Errorf("%d looks for one write", n-looks-i)
		}
		read(title)
	}
}

// retitle is the other process of TestLooksForChangesOnlyAfterWrites:
// it gives G1's article at url a new title.
func retitle(path, url, title string) {
	s, err := Open(context.Background(), path)
	if err == nil {
		_, err = s.SaveArticle(context.Background(), &article.Article{URL: url, Owner: "G1", Title: title, FirstSeen: t0}, "G1", 0)
		s.Close()
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
}

// TestArticlesCacheUnderLoad: readers asking for articles while writers
// rewrite them never see a title older than one already committed before
// they asked, and the cache stays within its bound. Run with -race.
func TestArticlesCacheUnderLoad(t *testing.T) {
	eachOpenStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const n = 20
		ids := make([]int64, n)
		for i := range ids {
			a := &article.Article{URL: fmt.Sprintf("https://example.com/%d", i), Owner: "G1", Title: "v0", FirstSeen: t0}
			r, err := s.SaveArticle(ctx, a, "G1", 0)
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = r.ID
		}
		var (
			mu        sync.Mutex
			committed = map[int64]int{} // id -> newest version committed
		)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := 1; v <= 15; v++ {
				for i, id := range ids {
					if i%3 != v%3 {
						continue
					}
					a := &article.Article{URL: fmt.Sprintf("https://example.com/%d", i), Owner: "G1", Title: fmt.Sprintf("v%d", v), FirstSeen: t0}
					if _, err := s.SaveArticle(ctx, a, "G1", 0); err != nil {
						errs <- err
						return
					}
					mu.Lock()
					committed[id] = v
					mu.Unlock()
				}
			}
		}()
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 40 {
					mu.Lock()
					before := make(map[int64]int, len(committed))
					for id, v := range committed {
						before[id] = v
					}
					mu.Unlock()
					got, err := s.Articles(ctx, ids)
					if err != nil {
						errs <- err
						return
					}
					for _, a := range got {
						var v int
						fmt.Sscanf(a.Title, "v%d", &v)
						if v < before[a.ID] {
							errs <- fmt.Errorf("article %d read as %s after v%d was committed", a.ID, a.Title, before[a.ID])
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		s.cache.mu.Lock()
		kept := max(s.cache.byID[brief].Bytes(), s.cache.byID[withScopes].Bytes())
		s.cache.mu.Unlock()
		if kept > cachedBytes {
			t.Errorf("%d bytes of rows kept, more than %d", kept, cachedBytes)
		}
	})
}

// TestArticlesCacheIsBounded: however many articles are read, the rows
// kept hold no more than cachedBytes, and that is thousands of rows.
func TestArticlesCacheIsBounded(t *testing.T) {
	var c articleCache
	summary := strings.Repeat("A summary of the kind a page gives. ", 12)
	arts := make([]*article.Article, 3*cachedBytes/articleSize(&article.Article{Summary: summary}))
	for i := range arts {
		arts[i] = &article.Article{ID: int64(i + 1), Summary: summary}
	}
	c.put(brief, c.gen, arts)
	if got := c.byID[brief].Bytes(); got > cachedBytes || got < cachedBytes*9/10 {
		t.Errorf("%d bytes of rows kept, want just under %d", got, cachedBytes)
	}
	if n := c.byID[brief].Len(); n < 10000 {
		t.Errorf("only %d rows of about 750 bytes kept", n)
	}
	// Rows read before articles were forgotten are not kept.
	c.gen++
	c.put(brief, c.gen-1, []*article.Article{{ID: 1 << 40}})
	if _, ok := c.byID[brief].Get(1 << 40); ok {
		t.Error("a row read before a change was forgotten was kept")
	}
}

// TestArticlesAfterManyChanges: when more articles changed than one
// check reads (an import, a feed's backlog), everything kept is
// forgotten and the next check starts from the latest change, rather
// than walking the backlog a page per answer.
func TestArticlesAfterManyChanges(t *testing.T) {
	eachOpenStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		own := &article.Article{URL: "https://example.com/own", Owner: "G1", Title: "Before", FirstSeen: t0}
		r, err := s.SaveArticle(ctx, own, "G1", 0)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.Articles(ctx, []int64{r.ID}); err != nil || got[0].Title != "Before" {
			t.Fatalf("Articles: %v %v", got, err)
		}
		many := make([]*article.Article, changesPerCheck+50)
		for i := range many {
			many[i] = &article.Article{URL: fmt.Sprintf("https://example.com/many/%d", i), Title: "t", FirstSeen: t0}
		}
		if _, err := s.SaveArticles(ctx, many, article.GlobalScope); err != nil {
			t.Fatal(err)
		}
		own.Title = "After"
		if _, err := s.SaveArticle(ctx, own, "G1", 0); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Articles(ctx, []int64{r.ID}); err != nil || got[0].Title != "After" {
			t.Fatalf("Articles after many changes: %v %v", got, err)
		}
		latest, err := s.MaxSeq(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s.cache.mu.Lock()
		upTo := s.cache.upTo
		s.cache.mu.Unlock()
		if upTo != latest {
			t.Errorf("the cache looks for changes after seq %d, the latest is %d", upTo, latest)
		}
	})
}

// TestPagesAtKeepsAddressesNotAbsences: PagesAt keeps the id of the page
// at each address it was given, but not that an address had no page: a
// page stored after one answer asked for it is there at the next.
func TestPagesAtKeepsAddressesNotAbsences(t *testing.T) {
	eachOpenStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		first := &article.Article{URL: "https://example.com/first", Title: "First", FirstSeen: t0}
		if _, err := s.SaveArticle(ctx, first, article.GlobalScope, 0); err != nil {
			t.Fatal(err)
		}
		// The same page under two spellings of its address, and one not
		// stored yet.
		asked := []string{"https://example.com/first", "https://EXAMPLE.com/first#top", "https://example.com/later"}
		titles := func(want ...string) {
			t.Helper()
			got, err := s.PagesAt(ctx, asked)
			if err != nil {
				t.Fatal(err)
			}
			var have []string
			for _, a := range got {
				have = append(have, a.Title)
			}
			slices.Sort(have)
			if !slices.Equal(have, want) {
				t.Errorf("pages %q, want %q", have, want)
			}
		}
		titles("First")
		titles("First")
		if _, err := s.SaveArticle(ctx, &article.Article{URL: "https://example.com/later", Title: "Later", FirstSeen: t0}, article.GlobalScope, 0); err != nil {
			t.Fatal(err)
		}
		titles("First", "Later")
	})
}

// TestRowCacheBoundIsItsMemory: the rows kept, full, hold about the
// memory cachedBytes says (articleSize reckons well), not a multiple.
func TestRowCacheBoundIsItsMemory(t *testing.T) {
	var c articleCache
	before := sized.HeapInUse()
	arts := make([]*article.Article, 2*cachedBytes/1000)
	for i := range arts {
		arts[i] = &article.Article{ID: int64(i + 1),
			URL:   fmt.Sprintf("https://www.example-news.com/2026/11/01/a-story-about-a-dispute-%d", i),
			Title: "Judge rules on the app store fees in the long dispute", Site: "Example News", Byline: "A Reporter", DateSource: "htmldate",
			Summary: strings.Repeat("A sentence of a summary, of about the usual length. ", 8), Parties: []string{"Apple", "Epic Games"}, Disputes: []string{"epic-apple"}}
	}
	c.put(brief, c.gen, arts)
	arts = nil
	grew := sized.HeapInUse() - before
	if held := c.byID[brief].Bytes(); float64(grew) > 1.5*float64(held) {
		t.Errorf("rows reckoned at %d bytes hold %d", held, grew)
	}
	runtime.KeepAlive(&c)
}

// BenchmarkKeptRows reads sixty kept rows, as an answer does, with the
// folder watched and nothing written (no statement), and with every read
// looking for changes by statement (as on PostgreSQL, or with no watch).
func BenchmarkKeptRows(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "disputebot.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var ids []int64
	for i := range 60 {
		a := &article.Article{URL: fmt.Sprintf("https://example.com/%d", i), Title: "A report", Summary: strings.Repeat("A sentence of a summary. ", 20), FirstSeen: t0}
		r, err := s.SaveArticle(ctx, a, article.GlobalScope, 0)
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	watch := s.watch
	for _, c := range []struct {
		name  string
		watch *folderWatch
	}{{"watched", watch}, {"statement", nil}} {
		b.Run(c.name, func(b *testing.B) {
			if c.name == "watched" && watch == nil {
				b.Skip("no folder watch here (Linux's inotify)")
			}
			s.watch = c.watch
			if _, err := s.Articles(ctx, ids); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := s.Articles(ctx, ids); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	s.watch = watch
}
