package picture

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingCache is a cache whose renderer records what it drew.
func countingCache(n int) (*Cache, *atomic.Int32) {
	c := NewCache(n)
	var calls atomic.Int32
	c.render = func(t Timeline) ([]byte, error) {
		calls.Add(1)
		return []byte(t.Title), nil
	}
	return c, &calls
}

func TestCacheServesASecondRenderFromMemory(t *testing.T) {
	c := NewCache(4) // the real renderer
	tl := twoEvents()
	k := Key{Dispute: "acme-globex", Version: "2024-05-20/2/2"}
	first, err := c.Get(k, func() Timeline { return tl })
	if err != nil {
		t.Fatal(err)
	}
	built := false
	second, err := c.Get(k, func() Timeline { built = true; return tl })
	if err != nil {
		t.Fatal(err)
	}
	if built || c.Renders() != 1 {
		t.Errorf("second get built the timeline (%v) or rendered again (%d renders)", built, c.Renders())
	}
	if !bytes.Equal(first, second) {
		t.Error("second get returned other bytes")
	}

	// Something new arrived: a new version renders afresh.
	tl.Events = append(tl.Events, Event{Date: day("2024-06-01"), Label: "Globex appeals", Kind: Appeal})
	k.Version = "2024-06-01/3/3"
	third, err := c.Get(k, func() Timeline { return tl })
	if err != nil {
		t.Fatal(err)
	}
	if c.Renders() != 2 {
		t.Errorf("a changed version made %d renders in all, want 2", c.Renders())
	}
	if bytes.Equal(first, third) {
		t.Error("the new version's picture is the old one")
	}
}

func TestCacheKeys(t *testing.T) {
	for _, tc := range []struct {
		name    string
		keys    []Key
		renders int32
		held    int
	}{
		{"same key twice", []Key{{"a", "1"}, {"a", "1"}}, 1, 1},
		{"new version", []Key{{"a", "1"}, {"a", "2"}}, 2, 2},
		{"other dispute, same version", []Key{{"a", "1"}, {"b", "1"}}, 2, 2},
		// Bounded at 2: c pushes out a, the least recently used, so a
		// renders again; b was used after a and stays.
		{"evicts least recently used", []Key{{"a", "1"}, {"b", "1"}, {"c", "1"}, {"b", "1"}, {"a", "1"}}, 4, 2},
		{"use keeps a key", []Key{{"a", "1"}, {"b", "1"}, {"a", "1"}, {"c", "1"}, {"a", "1"}}, 3, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, calls := countingCache(2)
			for _, k := range tc.keys {
				got, err := c.Get(k, func() Timeline { return Timeline{Title: k.Dispute + k.Version} })
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != k.Dispute+k.Version {
					t.Fatalf("get %v = %q", k, got)
				}
			}
			if calls.Load() != tc.renders || c.Len() != tc.held {
				t.Errorf("%d renders holding %d, want %d holding %d", calls.Load(), c.Len(), tc.renders, tc.held)
			}
		})
	}
}

// TestCacheConcurrent: many callers asking at once for one picture wait
// for a single rendering (run with -race).
func TestCacheConcurrent(t *testing.T) {
	c, calls := countingCache(8)
	release := make(chan struct{})
	inner := c.render
	c.render = func(t Timeline) ([]byte, error) {
		<-release
		return inner(t)
	}
	var wg, started sync.WaitGroup
	for range 16 {
		started.Add(1)
		wg.Go(func() {
			started.Done()
			if got, err := c.Get(Key{"a", "1"}, func() Timeline { return Timeline{Title: "A"} }); err != nil || string(got) != "A" {
				t.Errorf("get = %q, %v", got, err)
			}
		})
	}
	// Every caller is running and, moments later, waiting in Get while
	// the first one's rendering is held: only then is it let go, so the
	// callers truly ask at once rather than find the picture made.
	started.Wait()
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Errorf("%d renders for one key asked for at once, want 1", calls.Load())
	}
}

// TestCacheForgetsFailures: a rendering that fails, or panics, is
// reported and tried again next time, not kept.
func TestCacheForgetsFailures(t *testing.T) {
	c := NewCache(4)
	fail := errors.New("boom")
	n := 0
	c.render = func(Timeline) ([]byte, error) {
		n++
		switch n {
		case 1:
			return nil, fail
		case 2:
			panic("bad glyph")
		}
		return []byte("ok"), nil
	}
	k := Key{"a", "1"}
	if _, err := c.Get(k, func() Timeline { return Timeline{} }); !errors.Is(err, fail) {
		t.Fatalf("first get: %v, want %v", err, fail)
	}
	if _, err := c.Get(k, func() Timeline { return Timeline{} }); err == nil {
		t.Fatal("a panicking render gave no error")
	}
	if got, err := c.Get(k, func() Timeline { return Timeline{} }); err != nil || string(got) != "ok" {
		t.Fatalf("third get = %q, %v", got, err)
	}
	if c.Len() != 1 {
		t.Errorf("cache holds %d, want the one good picture", c.Len())
	}
}
