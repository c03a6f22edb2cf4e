// Package librarytest opens one data folder with the built-in corpus for
// a whole test binary, for packages whose tests only read from it. It is
// imported by tests only.
package librarytest

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/disputebot/disputebot/internal/library"
)

// Shared is a data folder opened on first use. Setup, when set, runs once
// after the folder is opened (to ingest a page every test reads).
type Shared struct {
	Setup func(*library.Library) error

	once sync.Once
	lib  *library.Library
	err  error
}

// Get opens the folder the first time and returns it; a test fails if it
// could not be opened.
func (s *Shared) Get(t testing.TB) *library.Library {
	t.Helper()
	s.once.Do(func() {
		dir, err := os.MkdirTemp("", "disputebot-test-")
		if err != nil {
			s.err = err
			return
		}
		if s.lib, s.err = library.Open(context.Background(), library.Options{DataDir: dir}); s.err != nil {
			return
		}
		if s.Setup != nil {
			s.err = s.Setup(s.lib)
		}
	})
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.lib
}

// Main runs the tests and then closes and removes the folder: call it
// from TestMain.
func (s *Shared) Main(m *testing.M) {
	code := m.Run()
	if s.lib != nil {
		s.lib.Close()
		os.RemoveAll(s.lib.DataDir)
	}
	os.Exit(code)
}
