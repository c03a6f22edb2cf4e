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

// TestTextsKeepWhatTheTextSays: what texts keeps of an article is what
// its title and summary alone give, asked from many goroutines at once
// (run with -race), whatever else was asked before: an article whose
// text changed is read again, even when asked for in turn with its old
// text; an article with no sentence of its own is given its own title,
// not another's; and what is kept stays within textBytes.
func TestTextsKeepWhatTheTextSays(t *testing.T) {
	var tx texts
	cases := []struct {
		id             int64
		title, summary string
	}{
		{1, "Epic v Apple", "Epic sued Apple over App Store fees. The judge ruled for Apple on most counts. Then Epic appealed."},
		{2, "First article's own title, used as its sentence", "   "},
		{3, "Second article's title, which must not become the first's", "   "},
		{4, "A title alone", ""},
		{5, "Short", "Short."},
		// Article 1 again, edited: its title and then its summary.
		{1, "Epic v Apple: the appeal", "Epic sued Apple over App Store fees. The judge ruled for Apple on most counts. Then Epic appealed."},
		{1, "Epic v Apple: the appeal", "The appeals court upheld the ruling. Epic asked the Supreme Court to hear the case."},
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20000 {
				c := cases[(i+g)%len(cases)]
				if got, want := tx.candidates(c.id, c.title, c.summary), candidates(c.summary, c.title); !reflect.DeepEqual(got, want) {
					t.Errorf("candidates(%d, %q, %q) = %+v, want %+v", c.id, c.title, c.summary, got, want)
					return
				}
				if got, want := tx.titleWords(c.id, c.title, c.summary), titleWords(c.title); !reflect.DeepEqual(got, want) {
					t.Errorf("titleWords(%d, %q) = %v, want %v", c.id, c.title, got, want)
					return
				}
				if got, want := tx.summaryWords(c.id, c.title, c.summary), titleWords(c.summary); !reflect.DeepEqual(got, want) {
					t.Errorf("summaryWords(%d, %q) = %v, want %v", c.id, c.summary, got, want)
					return
				}
				long := fmt.Sprintf("title %d from goroutine %d: %s", i, g, strings.Repeat("many words long ", 10))
				tx.titleWords(int64(100+4*i+g), long, "")
			}
		}()
	}
	wg.Wait()
	if tx.of.Bytes() > textBytes {
		t.Errorf("%d bytes of texts kept, more than %d", tx.of.Bytes(), textBytes)
	}
	if tx.of.Len() < 10000 {
		t.Errorf("only %d articles' texts kept", tx.of.Len())
	}
}

// TestTextsBoundIsTheirMemory: the texts kept, full, hold about the
// memory textBytes says (textsOf.size reckons well).
func TestTextsBoundIsTheirMemory(t *testing.T) {
	var tx texts
	before := sized.HeapInUse()
	for i := range 2 * textBytes / 1500 {
		// Each article's title and summary are its own, as rows read
		// from the store are.
		title := fmt.Sprintf("Epic and Apple in court again, round %d", i)
		s := fmt.Sprintf("Epic sued Apple over App Store fees, number %d. The judge ruled for Apple on most counts in case %d. Then Epic appealed the ruling. %s", i, i, strings.Repeat("More words here. ", 5))
		id := int64(i)
		tx.candidates(id, title, s)
		tx.titleWords(id, title, s)
		tx.summaryWords(id, title, s)
	}
	grew := sized.HeapInUse() - before
	if held := tx.of.Bytes(); float64(grew) > 1.5*float64(held) {
		t.Errorf("texts reckoned at %d bytes hold %d", held, grew)
	}
	t.Logf("texts reckoned at %d bytes hold %d (%.2fx)", tx.of.Bytes(), grew, float64(grew)/float64(tx.of.Bytes()))
	runtime.KeepAlive(&tx)
}
