package answer

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
)

// TestTextsKeepWhatTheTextSays: what texts keeps is what the text alone
// gives, asked from many goroutines at once (run with -race), whatever
// else was asked before; a summary with no sentence of its own does not
// lend one article's title to another; and no more than maxTexts texts
// are kept.
func TestTextsKeepWhatTheTextSays(t *testing.T) {
	var tx texts
	cases := []struct{ summary, title string }{
		{"Epic sued Apple over App Store fees. The judge ruled for Apple on most counts. Then Epic appealed.", "Epic v Apple"},
		{"   ", "First article's own title, used as its sentence"},
		{"   ", "Second article's title, which must not become the first's"},
		{"", "A title alone"},
		{"Short.", "Short"},
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2 * maxTexts {
				c := cases[(i+g)%len(cases)]
				want, _ := candidates(c.summary, c.title)
				if got := tx.candidates(c.summary, c.title); !reflect.DeepEqual(got, want) {
					t.Errorf("candidates(%q, %q) = %+v, want %+v", c.summary, c.title, got, want)
					return
				}
				if got, want := tx.titleWords(c.title), titleWords(c.title); !reflect.DeepEqual(got, want) {
					t.Errorf("titleWords(%q) = %v, want %v", c.title, got, want)
					return
				}
				tx.titleWords(fmt.Sprintf("title %d from goroutine %d", i, g))
			}
		}()
	}
	wg.Wait()
	if len(tx.words) > maxTexts || len(tx.sents) > maxTexts {
		t.Errorf("%d titles and %d summaries kept, more than %d", len(tx.words), len(tx.sents), maxTexts)
	}
}
