// Package data is disputebot's built-in corpus, compiled into the binary:
// the curated disputes (one JSON file per dispute in disputes/) and the
// gazetteer of parties (parties.json). A fresh DATA_DIR is loaded from it,
// so the bot answers out of the box with no network.
package data

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/disputebot/disputebot/internal/article"
)

//go:embed parties.json disputes/*.json
var files embed.FS

// Corpus is the built-in knowledge.
type Corpus struct {
	Parties  []article.Party
	Disputes []article.Dispute // sorted by id
	// Hash identifies this exact corpus, so a DATA_DIR loaded from an older
	// build is brought up to date.
	Hash string
}

//go:generate go run ./gen

// Load returns the built-in corpus: the embedded JSON files as
// corpus_gen.go holds them, compiled in (TestGeneratedIsCurrent keeps the
// two the same). Each call returns a copy of its own to change. It does
// not validate the corpus: Validate does, and the test suite runs it on
// every build.
func Load() (*Corpus, error) {
	c := &Corpus{Parties: slices.Clone(generated.Parties), Disputes: slices.Clone(generated.Disputes), Hash: generated.Hash}
	for i := range c.Parties {
		p := &c.Parties[i]
		p.Aliases, p.Tickers, p.Related = slices.Clone(p.Aliases), slices.Clone(p.Tickers), slices.Clone(p.Related)
	}
	for i := range c.Disputes {
		d := &c.Disputes[i]
		d.Parties, d.Events = slices.Clone(d.Parties), slices.Clone(d.Events)
	}
	return c, nil
}

// Embedded parses the embedded JSON files, as the generator does.
func Embedded() (*Corpus, error) {
	return LoadFS(files)
}

// LoadFS parses a corpus laid out like this package's folder.
func LoadFS(fsys fs.FS) (*Corpus, error) {
	h := sha256.New()
	raw, err := fs.ReadFile(fsys, "parties.json")
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	h.Write(raw)
	c := &Corpus{}
	if err := strictUnmarshal(raw, &c.Parties); err != nil {
		return nil, fmt.Errorf("data: parties.json: %w", err)
	}
	names, err := fs.Glob(fsys, "disputes/*.json")
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		h.Write([]byte(name))
		h.Write(raw)
		var d article.Dispute
		if err := strictUnmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("data: %s: %w", name, err)
		}
		if d.ID == "" {
			d.ID = strings.TrimSuffix(path.Base(name), ".json")
		}
		c.Disputes = append(c.Disputes, d)
	}
	c.Hash = hex.EncodeToString(h.Sum(nil))[:16]
	return c, nil
}

// strictUnmarshal refuses unknown fields, so a misspelt field in a
// contributed file fails the build instead of vanishing.
func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// Dispute returns the dispute with the given id. The disputes are in the
// order of their files, which is not the order of their ids
// ("ftc-amazon-prime.json" sorts before "ftc-amazon.json"), so this looks
// at each: there are dozens, not thousands.
func (c *Corpus) Dispute(id string) (article.Dispute, bool) {
	for _, d := range c.Disputes {
		if d.ID == id {
			return d, true
		}
	}
	return article.Dispute{}, false
}
