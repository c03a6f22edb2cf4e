package gazetteer_test

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
)

// TestConcurrentFolding checks that one Gazetteer can be shared by many
// goroutines, as the bot shares it across Discord events and fetch workers.
// Accented words take the Unicode folding path, whose transformer keeps
// state between calls; if that state is shared, concurrent calls corrupt
// each other's output or panic with "slice bounds out of range". Run with
// -race to catch the sharing even when the corruption does not show.
func TestConcurrentFolding(t *testing.T) {
	g := corpusGazetteer(t)
	const (
		goroutines = 8
		iterations = 500
	)
	tests := []struct {
		name  string
		check func() error
	}{
		{"resolve accented query", func() error {
			const q = "Pokémon vs Nintendo"
			got := g.Resolve(q).Parties
			sortStrings(got)
			if want := []string{"Nintendo", "The Pokemon Company"}; !reflect.DeepEqual(got, want) {
				return fmt.Errorf("Resolve(%q).Parties = %v, want %v", q, got, want)
			}
			return nil
		}},
		{"detect in accented prose", func() error {
			const title, text = "Nestlé watches Pokémon feud", "Crème brûlée aside, The Pokémon Company sued Pocketpair with Nintendo."
			found := map[string]bool{}
			for _, m := range g.Detect(title, text) {
				found[m.Party] = true
			}
			for _, want := range []string{"The Pokemon Company", "Nintendo", "Pocketpair"} {
				if !found[want] {
					return fmt.Errorf("Detect(%q, %q) missed %s, found %v", title, text, want, found)
				}
			}
			return nil
		}},
	}

	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A panic in a goroutine would end the whole test binary with a
			// stack trace; recovering it turns it into a plain test failure.
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("goroutine %d panicked: %v", i, r)
				}
			}()
			for n := range iterations {
				// Each goroutine starts on a different case so that both
				// public entry points run at the same moment.
				tt := tests[(i+n)%len(tests)]
				if err := tt.check(); err != nil {
					t.Errorf("goroutine %d, iteration %d, %s: %v", i, n, tt.name, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
