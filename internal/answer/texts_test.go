package answer

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/disputebot/disputebot/internal/sized"
)

// TestTextsKeepWhatTheTextSays: what texts keeps is what the text alone
// gives, asked from many goroutines at once (run with -race), whatever
// else was asked before; a summary with no sentence of its own does not
// lend one article's title to another; and what is kept stays within
// textBytes.
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
			for i := range 20000 {
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
				tx.titleWords(fmt.Sprintf("title %d from goroutine %d: %s", i, g, strings.Repeat("many words long ", 40)))
			}
		}()
	}
	wg.Wait()
	if tx.words.Bytes() > textBytes || tx.sents.Bytes() > textBytes {
		t.Errorf("%d bytes of titles and %d of summaries kept, more than %d", tx.words.Bytes(), tx.sents.Bytes(), textBytes)
	}
	if tx.words.Len() < 10000 {
		t.Errorf("only %d titles kept", tx.words.Len())
	}
}

// TestTextsBoundIsTheirMemory: the texts kept, full, hold about the
// memory textBytes says (wordsSize and partsSize reckon well).
func TestTextsBoundIsTheirMemory(t *testing.T) {
	var tx texts
	before := sized.HeapInUse()
	for i := range 2 * textBytes / 1000 {
		s := fmt.Sprintf("Epic sued Apple over App Store fees, number %d. The judge ruled for Apple on most counts in case %d. Then Epic appealed the ruling. %s", i, i, strings.Repeat("More words here. ", 5))
		tx.candidates(s, "")
		tx.titleWords(s)
	}
	grew := sized.HeapInUse() - before
	if held := tx.words.Bytes() + tx.sents.Bytes(); float64(grew) > 1.5*float64(held) {
		t.Errorf("texts reckoned at %d bytes hold %d", held, grew)
	}
	runtime.KeepAlive(&tx)
}
