// Package index is disputebot's full-text search: a Bleve index on disk,
// derived from the store and rebuilt from it whenever it is missing,
// corrupt or of an older mapping. No Bleve type leaves this package: callers
// pass a Doc in and get Hits out.
package index

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Errors Open returns; ErrCorrupt and ErrStale mean "rebuild from the store".
var (
	ErrCorrupt = errors.New("index: cannot be opened")
	ErrStale   = errors.New("index: built with an older mapping")
	ErrLocked  = errors.New("index: in use by another disputebot process")
)

// mappingVersion changes whenever the mapping does, so that an index built
// by an older binary is rebuilt rather than half-understood.
const mappingVersion = "9"

var (
	keySeq     = []byte("seq")
	keyMapping = []byte("mapping_version")
	keyOrigin  = []byte("store_id")
)

// Field names of the index.
const (
	fTitle    = "title"
	fText     = "text"
	fParties  = "parties"
	fDisputes = "disputes"
	fScopes   = "scopes"
	fSite     = "site"
	fDate     = "date"
	fStamp    = "stamp"
	fScoped   = "scoped"
	fScore    = "score"
	fArticle  = "article"
)

// Doc is one article as the index sees it.
type Doc struct {
	ID           int64
	Title        string
	Summary      string
	Text         string
	Parties      []string
	Disputes     []string
	Scopes       []string
	Site         string
	Date         time.Time
	DisputeScore float64
}

// Index is an open Bleve index. Swap replaces the Bleve index under it
// while others hold the *Index: every use takes mu for reading, Swap for
// writing.
type Index struct {
	mu   sync.RWMutex
	b    bleve.Index
	path string
	// windowsFrom is how many articles the rarest party of a newest-first
	// search must have before searching recent windows first pays.
	windowsFrom uint64
	// commonFrom is how many documents a word asked must be in, at the
	// least, before it filters rather than scores (see commonShare).
	commonFrom uint64

	// newestOf remembers each scope and party's newest month (see
	// newest); every write forgets it.
	newestMu sync.Mutex
	newestOf map[string]time.Time
}

// Path is where an index lives inside a data folder.
func Path(dataDir string) string { return filepath.Join(dataDir, "index.bleve") }

// newMapping is the explicit mapping: English analysis with stemming for
// the prose fields, exact keywords for parties, disputes, scopes and site,
// a datetime for the date the timeline sorts on. Nothing is stored (the
// store holds the articles) and no term vectors are kept (nothing is
// highlighted), which keeps the index small.
func newMapping() mapping.IndexMapping {
	prose := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = en.AnalyzerName
		f.Store = false
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = false // nothing sorts on prose
		return f
	}
	kw := func() *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = false
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	// The date is indexed twice. As a datetime, for range queries; Bleve
	// writes a datetime as a dozen prefix-coded terms, which makes its doc
	// values too heavy to sort on. As a stamp ("20230420091500"), one short
	// keyword that sorts as the date does: the only field with doc values.
	// Answers do not sort on it (a document's id carries its date, see
	// docID); the benchmarks' naive floor does, as plain Bleve would.
	date := bleve.NewDateTimeFieldMapping()
	date.Store = false
	date.IncludeInAll = false
	date.DocValues = false
	stamp := kw()
	stamp.DocValues = true
	score := bleve.NewNumericFieldMapping()
	score.Store = false
	score.IncludeInAll = false
	score.DocValues = false

	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(fTitle, prose())
	doc.AddFieldMappingsAt(fText, prose())
	doc.AddFieldMappingsAt(fParties, kw())
	doc.AddFieldMappingsAt(fDisputes, kw())
	doc.AddFieldMappingsAt(fScopes, kw())
	doc.AddFieldMappingsAt(fSite, kw())
	doc.AddFieldMappingsAt(fDate, date)
	doc.AddFieldMappingsAt(fStamp, stamp)
	doc.AddFieldMappingsAt(fScoped, kw())
	doc.AddFieldMappingsAt(fScore, score)
	doc.AddFieldMappingsAt(fArticle, kw())

	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = en.AnalyzerName
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m
}

// Open opens the index in dataDir, creating it when there is none. It
// returns ErrCorrupt or ErrStale when the caller should rebuild it, and
// ErrLocked when another process holds it.
func Open(dataDir string) (*Index, error) {
	path := Path(dataDir)
	b, err := bleve.OpenUsing(path, map[string]any{"bolt_timeout": "3s"})
	switch {
	case errors.Is(err, bleve.ErrorIndexPathDoesNotExist):
		return create(path)
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, ErrLocked
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	x := &Index{b: b, path: path, windowsFrom: windowsFrom, commonFrom: commonFrom}
	v, err := b.GetInternal(keyMapping)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if string(v) != mappingVersion {
		b.Close()
		return nil, ErrStale
	}
	return x, nil
}

// Build creates an empty index beside the live one in dataDir, for a
// rebuild that leaves the live index answering until it is done (and for
// good, should it fail). Install puts it in place.
func Build(dataDir string) (*Index, error) {
	path := Path(dataDir) + ".new"
	if err := os.RemoveAll(path); err != nil {
		return nil, fmt.Errorf("index: removing an unfinished rebuild: %w", err)
	}
	return create(path)
}

// Discard closes an index made by Build and removes it: its rebuild
// failed, and the live index stays as it was.
func (x *Index) Discard() {
	x.b.Close()
	os.RemoveAll(x.path)
}

// Swap puts an index made by Build in place of x, which stays the same
// *Index to those holding it: searches in flight finish first, later ones
// use the new index. A failure leaves x answering from the old one.
func (x *Index) Swap(dataDir string, built *Index) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.b.Close(); err != nil {
		built.Discard()
		return fmt.Errorf("index: closing the old index: %w", err)
	}
	installErr := Install(dataDir, built)
	if installErr != nil {
		built.Discard()
	}
	// The new index when it is in place, else the old one again.
	fresh, err := Open(dataDir)
	if err != nil {
		return errors.Join(installErr, err)
	}
	x.b, x.path = fresh.b, fresh.path
	x.newestMu.Lock()
	x.newestOf = nil
	x.newestMu.Unlock()
	return installErr
}

// Install closes an index made by Build and puts it in the live index's
// place in dataDir; the live index must be closed already. Open then
// opens it. A failure leaves the live index where it was.
func Install(dataDir string, built *Index) error {
	if err := built.b.Close(); err != nil {
		return fmt.Errorf("index: closing the rebuilt index: %w", err)
	}
	live, old := Path(dataDir), Path(dataDir)+".old"
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	if err := os.Rename(live, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("index: %w", err)
	}
	if err := os.Rename(built.path, live); err != nil {
		os.Rename(old, live)
		return fmt.Errorf("index: %w", err)
	}
	os.RemoveAll(old)
	return nil
}

func create(path string) (*Index, error) {
	b, err := bleve.New(path, newMapping())
	if err != nil {
		return nil, fmt.Errorf("index: creating: %w", err)
	}
	if err := b.SetInternal(keyMapping, []byte(mappingVersion)); err != nil {
		b.Close()
		return nil, fmt.Errorf("index: creating: %w", err)
	}
	return &Index{b: b, path: path, windowsFrom: windowsFrom, commonFrom: commonFrom}, nil
}

// Close closes the index.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.b.Close()
}

// Seq is the store seq of the latest change the index holds.
func (x *Index) Seq() (int64, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	v, err := x.b.GetInternal(keySeq)
	if err != nil || len(v) != 8 {
		return 0, err
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// Origin is the identity of the store the index was built from ("" for
// an index that has not said).
func (x *Index) Origin() (string, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	v, err := x.b.GetInternal(keyOrigin)
	return string(v), err
}

// SetOrigin records the identity of the store the index follows.
func (x *Index) SetOrigin(id string) error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.b.SetInternal(keyOrigin, []byte(id))
}

// Count is the number of documents.
func (x *Index) Count() (uint64, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.b.DocCount()
}

// Put indexes docs (replacing any with the same id) and records seq, in
// one batch, so the index never claims a change it does not hold.
func (x *Index) Put(docs []Doc, seq int64) error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	batch := x.b.NewBatch()
	// The last of a batch's versions of an article is the one it holds.
	last := make(map[int64]int, len(docs))
	for i, d := range docs {
		last[d.ID] = i
	}
	old, err := x.indexedAs(last)
	if err != nil {
		return err
	}
	for i, d := range docs {
		if last[d.ID] != i {
			continue
		}
		id := docID(d.ID, d.Date)
		// A new date is a new document id: the old one goes.
		for _, was := range old[d.ID] {
			if was != id {
				batch.Delete(was)
			}
		}
		if err := batch.Index(id, fields(d)); err != nil {
			return fmt.Errorf("index: %w", err)
		}
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(seq))
	batch.SetInternal(keySeq, v[:])
	err = x.b.Batch(batch)
	x.newestMu.Lock()
	x.newestOf = nil
	x.newestMu.Unlock()
	if err != nil {
		return fmt.Errorf("index: batch: %w", err)
	}
	return nil
}

// indexedAs is the document ids the index holds for each of the articles,
// found through their article term.
func (x *Index) indexedAs(articles map[int64]int) (map[int64][]string, error) {
	c, err := x.termCounts(context.Background())
	if err != nil {
		return nil, err
	}
	defer c.close()
	r := c.r
	out := map[int64][]string{}
	for a := range articles {
		tfr, err := r.TermFieldReader(context.Background(), []byte(strconv.FormatInt(a, 10)), fArticle, false, false, false)
		if err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
		for {
			m, err := tfr.Next(nil)
			if err != nil || m == nil {
				tfr.Close()
				if err != nil {
					return nil, fmt.Errorf("index: %w", err)
				}
				break
			}
			id, err := r.ExternalID(m.ID)
			if err != nil {
				tfr.Close()
				return nil, fmt.Errorf("index: %w", err)
			}
			out[a] = append(out[a], id)
		}
	}
	return out, nil
}

// docID is an article's document id in Bleve: its date as a stamp, then
// its article id counted down from the largest, so that document ids in
// descending order are newest first and, on the same date, the lower
// article id first. The newest-first search sorts on this id alone:
// Bleve reads a match's id from the document's own few bytes, where a
// field's doc values come in compressed blocks of 1,024 documents, one
// to decompress for almost every match of a common pair in a large
// index. An undated article's stamp is zeros, so it comes last.
func docID(article int64, date time.Time) string {
	stamp := "00000000000000"
	if !date.IsZero() {
		stamp = date.UTC().Format(stampLayout)
	}
	return fmt.Sprintf("%s%019d", stamp, math.MaxInt64-article)
}

// articleOf is the article id a document id carries.
func articleOf(docID string) (int64, bool) {
	if len(docID) != len(stampLayout)+19 {
		return 0, false
	}
	for _, c := range docID[:len(stampLayout)] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(docID[len(stampLayout):], 10, 64)
	if err != nil {
		return 0, false
	}
	return math.MaxInt64 - n, true
}

const stampLayout = "20060102150405"

// wordsOf is what a search for words looks in: the title, the summary and
// the text as one field, so that each word is one postings list to walk
// rather than three to merge (at 1M, a three-word search over the fields
// apart took four times the naive search over the text alone). The title
// is indexed on its own as well, to rank articles with the words in
// their headline first.
func wordsOf(d Doc) string {
	var parts []string
	for _, p := range []string{d.Title, d.Summary, d.Text} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "\n")
}

func fields(d Doc) map[string]any {
	m := map[string]any{
		fTitle:    d.Title,
		fText:     wordsOf(d),
		fParties:  d.Parties,
		fDisputes: d.Disputes,
		fScopes:   d.Scopes,
		fSite:     d.Site,
		fScore:    d.DisputeScore,
		fScoped:   scopedTerms(d),
		fArticle:  strconv.FormatInt(d.ID, 10),
	}
	if !d.Date.IsZero() {
		m[fDate] = d.Date.UTC()
		m[fStamp] = d.Date.UTC().Format(stampLayout)
	}
	return m
}

// Ping tells whether the index answers, for /healthz.
func (x *Index) Ping(ctx context.Context) error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	_, err := x.b.DocCount()
	return err
}
