package data

import (
	"testing"
	"time"
)

// TestCorpusIsValid is the gate every contributed dispute passes.
func TestCorpusIsValid(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range c.Validate(time.Now()) {
		t.Error(err)
	}
	events := 0
	for _, d := range c.Disputes {
		events += len(d.Events)
	}
	aliases := 0
	for _, p := range c.Parties {
		aliases += len(p.Aliases) + len(p.Tickers)
	}
	t.Logf("corpus: %d disputes, %d events, %d parties, %d aliases and tickers", len(c.Disputes), events, len(c.Parties), aliases)
}
