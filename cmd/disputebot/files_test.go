package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/disputebot/disputebot/internal/library"
	"github.com/disputebot/disputebot/internal/testpages"
)

// TestIngestRefusesAFIFO: opening a FIFO blocks until someone writes to
// it, and a blocked open ignores SIGTERM. ingest refuses it, and anything
// else that is not a regular file, with a sentence, at once.
func TestIngestRefusesAFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "page.html")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("cannot make a FIFO here: %v", err)
	}
	type result struct {
		code   int
		stdout string
	}
	done := make(chan result, 1)
	go func() {
		code, stdout, _ := runCLI(t, map[string]string{"DATA_DIR": filepath.Join(dir, "data")}, "ingest", fifo, dir)
		done <- result{code, stdout}
	}()
	select {
	case r := <-done:
		if r.code != 1 || !strings.Contains(r.stdout, "not a regular file") || !strings.Contains(r.stdout, "That is a folder") {
			t.Errorf("exit %d:\n%s", r.code, r.stdout)
		}
	case <-time.After(20 * time.Second):
		// Unblock the open so the test binary can end.
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		t.Fatal("ingest of a FIFO was still blocked after 20 s")
	}
}

// TestDatabaseIsPrivate: the database holds every server's sources and
// members' subscriptions; it is readable by its owner only, and an older
// one left readable by others is made so.
func TestDatabaseIsPrivate(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, map[string]string{"DATA_DIR": dir}, "disputes"); code != 0 {
		t.Fatal(stderr)
	}
	db := library.DBPath(dir)
	check := func(when string) {
		for _, f := range []string{db, db + "-wal", db + "-shm"} {
			st, err := os.Stat(f)
			if err != nil {
				continue // SQLite removes -wal and -shm at a clean close
			}
			if st.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s: %s has mode %v", when, filepath.Base(f), st.Mode().Perm())
			}
		}
	}
	check("created")
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, map[string]string{"DATA_DIR": dir}, "disputes"); code != 0 {
		t.Fatal(stderr)
	}
	check("reopened")
}

// TestIngestKeepsTheCanonicalAddress: a saved real page ingested without
// --url is stored under the address it declares for itself, not under a
// stand-in naming the file.
func TestIngestKeepsTheCanonicalAddress(t *testing.T) {
	var page []byte
	for _, p := range testpages.Load(t) {
		if p.Name == "engadget" {
			page = p.HTML
		}
	}
	if page == nil {
		t.Skip("the engadget test page is missing")
	}
	path := filepath.Join(t.TempDir(), "review.html")
	if err := os.WriteFile(path, page, 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, map[string]string{"DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn"}, "ingest", "--json", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, `"url":"https://www.engadget.com/2017/11/03/xbox-one-x-review"`) {
		t.Errorf("stored under another address:\n%s", stdout)
	}
}

// TestIngestPlainText: a saved plain-text article is read, its first line
// the title.
func TestIngestPlainText(t *testing.T) {
	path := filepath.Join(t.TempDir(), "note.txt")
	os.WriteFile(path, []byte("Musk sues Microsoft over Twitter data\n\nElon Musk sued Microsoft on Tuesday, accusing it of misusing Twitter data to train its models.\nMicrosoft said the claims had no merit and that it would fight the lawsuit.\n"), 0o600)
	code, stdout, stderr := runCLI(t, map[string]string{"DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn"}, "ingest", "--json", path)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	for _, want := range []string{`"title":"Musk sues Microsoft over Twitter data"`, `"Elon Musk"`, `"Microsoft"`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %s:\n%s", want, stdout)
		}
	}
}
