package library_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/disputebot/disputebot/index"
	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/fetch"
	"github.com/disputebot/disputebot/internal/ingest"
	"github.com/disputebot/disputebot/internal/library"
	"github.com/disputebot/disputebot/internal/render"
	"github.com/disputebot/disputebot/internal/store"
)

func openLib(t *testing.T, dir string) *library.Library {
	t.Helper()
	lib, err := library.Open(context.Background(), library.Options{
		DataDir: dir,
		Fetch:   fetch.Options{Timeout: 5 * time.Second, MaxBytes: 1 << 20, AllowPrivate: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

const seedURL = "https://www.benzinga.com/news/23/04/31906748/elon-musk-accuses-microsoft-of-twitter-data-mining-lawsuit-time"

// answerJSON asks and renders the answer as JSON text, which is what a
// script compares.
func answerJSON(t *testing.T, lib *library.Library, q string) string {
	t.Helper()
	a, err := lib.Engine.Ask(context.Background(), answer.Request{Query: q})
	if err != nil {
		t.Fatalf("Ask(%q): %v", q, err)
	}
	var b strings.Builder
	if err := render.JSON(&b, render.ToJSON(a)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestFreshFolderAnswersTheSeedQuestion(t *testing.T) {
	lib := openLib(t, t.TempDir())
	defer lib.Close()
	a, err := lib.Engine.Ask(context.Background(), answer.Request{Query: "musk microsoft"})
	if err != nil {
		t.Fatal(err)
	}
	var seed *answer.Entry
	for i := range a.Entries {
		for _, s := range a.Entries[i].Sources {
			if s.URL == seedURL {
				seed = &a.Entries[i]
			}
		}
	}
	if seed == nil {
		t.Fatalf("the Benzinga seed article is not in the timeline: %+v", a.Entries)
	}
	if got := seed.Date.Format(article.DateLayout); got != "2023-04-19" {
		t.Errorf("seed dated %s, want 2023-04-19 (the day Musk posted)", got)
	}
	if n := len(a.Summary); n < 2 || n > 4 {
		t.Errorf("summary has %d sentences, want 2 to 4", n)
	}
	for _, s := range a.Summary {
		if len(s.Cites) == 0 || s.Cites[0] < 1 || s.Cites[0] > len(a.Entries) {
			t.Errorf("summary sentence %q cites %v, outside the timeline", s.Text, s.Cites)
		}
	}
}

func TestReindexGivesTheSameAnswers(t *testing.T) {
	dir := t.TempDir()
	lib := openLib(t, dir)
	defer lib.Close()
	queries := []string{"musk microsoft", "epic apple", "palworld", "doj google", "antitrust fine"}
	before := map[string]string{}
	for _, q := range queries {
		before[q] = answerJSON(t, lib, q)
	}
	if _, err := lib.Reindex(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		if got := answerJSON(t, lib, q); got != before[q] {
			t.Errorf("answer to %q changed after reindex", q)
		}
	}
}

// TestCrashBetweenStoreAndIndex stores an article without indexing it, as a
// process killed between the two writes would leave it, and checks that
// the next start-up indexes it.
func TestCrashBetweenStoreAndIndex(t *testing.T) {
	dir := t.TempDir()
	lib := openLib(t, dir)
	a := &article.Article{URL: "https://news.example.com/crash", Title: "Musk and Microsoft settle their Twitter data quarrel", Site: "Example",
		Published: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), Text: "Elon Musk and Microsoft settled.", Summary: "Elon Musk and Microsoft settled.",
		Parties: []string{"Elon Musk", "Microsoft"}, DisputeScore: 0.9}
	if _, err := lib.Store.SaveArticle(context.Background(), a, article.GlobalScope, 0); err != nil {
		t.Fatal(err)
	}
	lib.Close()

	lib = openLib(t, dir)
	defer lib.Close()
	assertConsistent(t, lib)
	if !containsURL(answerJSON(t, lib, "musk microsoft"), a.URL) {
		t.Error("the article stored before the crash is not answered after restart")
	}
}

func TestCorruptOrMissingIndexIsRebuilt(t *testing.T) {
	for _, damage := range []string{"corrupt", "missing"} {
		t.Run(damage, func(t *testing.T) {
			dir := t.TempDir()
			lib := openLib(t, dir)
			want := answerJSON(t, lib, "musk microsoft")
			lib.Close()
			path := filepath.Join(dir, "index.bleve")
			if damage == "missing" {
				os.RemoveAll(path)
			} else {
				os.RemoveAll(path)
				os.MkdirAll(path, 0o755)
				os.WriteFile(filepath.Join(path, "index_meta.json"), []byte("{not json"), 0o644)
			}
			lib = openLib(t, dir)
			defer lib.Close()
			assertConsistent(t, lib)
			if got := answerJSON(t, lib, "musk microsoft"); got != want {
				t.Error("answer differs after the index was rebuilt")
			}
		})
	}
}

func TestIngestOverHTTPStoresOnce(t *testing.T) {
	page, err := os.ReadFile("../ingest/testdata/musk-microsoft.html")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	defer srv.Close()
	lib := openLib(t, t.TempDir())
	defer lib.Close()
	ctx := context.Background()
	res, err := lib.Pipeline.IngestURL(ctx, srv.URL+"/2023/04/20/musk?utm_source=feed#top", ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	art := res.Article
	if art.Title != "Musk threatens Microsoft with a lawsuit over Twitter data" {
		t.Errorf("title = %q", art.Title)
	}
	if got := art.Published.Format(article.DateLayout); got != "2023-04-20" {
		t.Errorf("published = %s", got)
	}
	if !hasAll(art.Parties, "Elon Musk", "Microsoft") {
		t.Errorf("parties = %v", art.Parties)
	}
	if art.DisputeScore < 0.5 {
		t.Errorf("dispute score %.2f for a lawsuit threat", art.DisputeScore)
	}
	if art.Summary == "" || len(art.Summary) > 320 {
		t.Errorf("summary = %q", art.Summary)
	}
	again, err := lib.Pipeline.IngestURL(ctx, srv.URL+"/2023/04/20/musk?utm_medium=email", ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Created || again.Article.ID != art.ID {
		t.Errorf("the same article with other tracking parameters was stored twice (ids %d, %d)", art.ID, again.Article.ID)
	}
	assertConsistent(t, lib)
}

func TestIngestRealPages(t *testing.T) {
	pages := loadPages(t)
	lib := openLib(t, t.TempDir())
	defer lib.Close()
	ctx := context.Background()
	for _, p := range pages {
		_, err := lib.Pipeline.IngestHTML(ctx, p.HTML, "text/html", "https://pages.example.org/"+p.Name, ingest.Options{})
		if err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
	assertConsistent(t, lib)
}

func assertConsistent(t *testing.T, lib *library.Library) {
	t.Helper()
	ctx := context.Background()
	if res, err := lib.Store.IntegrityCheck(ctx); err != nil || res != "ok" {
		t.Errorf("integrity check: %q, %v", res, err)
	}
	docs, _ := lib.Index.Count()
	rows, _ := lib.Store.CountArticles(ctx)
	if docs != uint64(rows) {
		t.Errorf("index holds %d documents, store %d articles", docs, rows)
	}
	seq, _ := lib.Index.Seq()
	max, _ := lib.Store.MaxSeq(ctx)
	if seq != max {
		t.Errorf("index is at change %d, store at %d", seq, max)
	}
}

func hasAll(have []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func containsURL(s, u string) bool {
	return strings.Contains(s, `"`+u+`"`)
}

// TestDiskFullLosesNothing fills the "disk" (SQLite's page limit) and
// ingests: the error is a clear sentence, nothing is half-written, and the
// store and index still agree.
func TestDiskFullLosesNothing(t *testing.T) {
	dir := t.TempDir()
	lib := openLib(t, dir)
	ctx := context.Background()
	before, _ := lib.Store.CountArticles(ctx)
	lib.Close()
	// A database this size has no room for a 300 KB article.
	info, err := os.Stat(library.DBPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	pages := int(info.Size()/4096) + 8
	lib, err = library.Open(ctx, library.Options{DataDir: dir, StorePragmas: []string{fmt.Sprintf("max_page_count(%d)", pages)},
		Fetch: fetch.Options{AllowPrivate: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	big := "<html><head><title>Musk sues Microsoft again</title></head><body>" + strings.Repeat("<p>Elon Musk sued Microsoft over data in a long filing with many words. "+strings.Repeat("x", 200)+"</p>", 1500) + "</body></html>"
	_, err = lib.Pipeline.IngestHTML(ctx, []byte(big), "text/html", "https://news.example.com/huge", ingest.Options{})
	if !errors.Is(err, store.ErrFull) {
		t.Fatalf("err = %v, want store.ErrFull", err)
	}
	if msg := ingest.Reason(err); !strings.Contains(msg, "disk is full") || strings.Contains(msg, "store:") {
		t.Errorf("reason = %q", msg)
	}
	after, _ := lib.Store.CountArticles(ctx)
	if after != before {
		t.Errorf("articles %d -> %d: a failed write left something behind", before, after)
	}
	if _, err := lib.Store.ArticleByURL(ctx, "https://news.example.com/huge"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("the half-written article is there: %v", err)
	}
	assertConsistent(t, lib)
}

// TestHostilePages serves pages in odd encodings and of the wrong kind:
// each is read correctly or refused with a clear sentence.
func TestHostilePages(t *testing.T) {
	cp1252 := "<html><head><title>Caf\xe9 owner sues \x93Big Tech\x94</title></head><body><p>The caf\xe9 owner filed suit against Apple on Monday, accusing it of unfair fees.</p></body></html>"
	sjis := "<html><head><meta charset=\"shift_jis\"><title>\x94C\x93V\x93\xb0\x82\xc6\x83|\x83P\x83b\x83g\x83y\x83A</title></head><body><p>Nintendo sued Pocketpair in Tokyo over patents, the company said on Thursday.</p></body></html>"
	invalid := "<html><head><title>Broken \xff\xfe bytes</title></head><body><p>Musk and Microsoft argued again in court on Tuesday afternoon.</p></body></html>"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cp1252":
			w.Header().Set("Content-Type", "text/html; charset=windows-1252")
			w.Write([]byte(cp1252))
		case "/sjis":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(sjis))
		case "/invalid":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(invalid))
		case "/image":
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte("\x89PNG\r\n\x1a\n"))
		case "/empty":
			w.Header().Set("Content-Type", "text/html")
		}
	}))
	defer srv.Close()
	lib := openLib(t, t.TempDir())
	defer lib.Close()
	ctx := context.Background()
	for path, want := range map[string]string{"/cp1252": "Café owner sues “Big Tech”", "/sjis": "任天堂とポケットペア", "/invalid": "Broken \uFFFD bytes"} {
		res, err := lib.Pipeline.IngestURL(ctx, srv.URL+path, ingest.Options{})
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if res.Article.Title != want {
			t.Errorf("%s: title %q, want %q", path, res.Article.Title, want)
		}
	}
	for path, want := range map[string]string{"/image": "image/png", "/empty": "no article"} {
		_, err := lib.Pipeline.IngestURL(ctx, srv.URL+path, ingest.Options{})
		if msg := ingest.Reason(err); err == nil || !strings.Contains(msg, want) {
			t.Errorf("%s: err %v, reason %q", path, err, msg)
		}
	}
	assertConsistent(t, lib)
}

// TestFailedReindexKeepsTheOldIndex interrupts a rebuild (as SIGINT or a
// full disk would): the old index keeps answering, closing does not panic,
// and the next open finds nothing half-written.
func TestFailedReindexKeepsTheOldIndex(t *testing.T) {
	dir := t.TempDir()
	lib := openLib(t, dir)
	want := answerJSON(t, lib, "musk microsoft")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := lib.Reindex(ctx); err == nil {
		t.Fatal("an interrupted rebuild reported success")
	}
	if got := answerJSON(t, lib, "musk microsoft"); got != want {
		t.Error("the answer changed after a failed rebuild")
	}
	if err := lib.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.bleve.new")); !os.IsNotExist(err) {
		t.Errorf("the unfinished rebuild was left behind: %v", err)
	}
	lib = openLib(t, dir)
	defer lib.Close()
	if lib.IndexRebuilt {
		t.Error("the next open had to rebuild the index")
	}
	if got := answerJSON(t, lib, "musk microsoft"); got != want {
		t.Error("the answer changed after reopening")
	}
	assertConsistent(t, lib)
}

// TestIndexFollowsOneStore: a data folder whose store is replaced by
// another with as many articles (pointed at PostgreSQL, or an imported
// store put in place) rebuilds its index rather than answer from the
// other store's articles.
func TestIndexFollowsOneStore(t *testing.T) {
	ctx := context.Background()
	save := func(dir, animal string) string {
		lib := openLib(t, dir)
		defer lib.Close()
		a := &article.Article{URL: "https://news.example.com/" + animal, Title: "Musk and Microsoft quarrel over a " + animal, Site: "Example",
			Published: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), Text: "Elon Musk and Microsoft argued about a " + animal + ".",
			Summary: "Elon Musk and Microsoft argued about a " + animal + ".", Parties: []string{"Elon Musk", "Microsoft"}, DisputeScore: 0.9}
		if _, err := lib.Store.SaveArticle(ctx, a, article.GlobalScope, 0); err != nil {
			t.Fatal(err)
		}
		if err := lib.Pipeline.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		return a.URL
	}
	dirA, dirB := t.TempDir(), t.TempDir()
	zebra := save(dirA, "zebra")
	giraffe := save(dirB, "giraffe")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(library.DBPath(dirA) + suffix)
		if b, err := os.ReadFile(library.DBPath(dirB) + suffix); err == nil {
			os.WriteFile(library.DBPath(dirA)+suffix, b, 0o600)
		}
	}
	lib := openLib(t, dirA)
	defer lib.Close()
	if !lib.IndexRebuilt {
		t.Error("the index built from another store was kept")
	}
	assertConsistent(t, lib)
	if got := answerJSON(t, lib, "giraffe"); !containsURL(got, giraffe) {
		t.Error("the store's own article is not found")
	}
	if got := answerJSON(t, lib, "zebra"); containsURL(got, zebra) {
		t.Error("an article of the other store is still answered")
	}
}

// TestIndexHoldingOtherArticlesIsRebuilt: an index at the store's
// sequence number that holds an article the store does not is rebuilt by
// a full open (serve's), which counts both; a one-shot command's open
// trusts the sequence number and leaves it for serve.
func TestIndexHoldingOtherArticlesIsRebuilt(t *testing.T) {
	dir := t.TempDir()
	lib := openLib(t, dir)
	stored, err := lib.Store.CountArticles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lib.Close()
	x, err := index.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	seq, _ := x.Seq()
	if err := x.Put([]index.Doc{{ID: 987654321, Title: "A phantom article"}}, seq); err != nil {
		t.Fatal(err)
	}
	x.Close()

	count := func(o library.Options) uint64 {
		t.Helper()
		o.DataDir = dir
		lib, err := library.Open(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		defer lib.Close()
		n, err := lib.Index.Count()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(library.Options{OneShot: true}); n != uint64(stored)+1 {
		t.Errorf("a one-shot open: the index holds %d articles, want the %d it had", n, stored+1)
	}
	if n := count(library.Options{}); n != uint64(stored) {
		t.Errorf("a full open: the index holds %d articles, want the store's %d", n, stored)
	}
}
