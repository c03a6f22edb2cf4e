package main

import (
	"strings"
	"testing"
)

// TestAskSinceFarFuture checks the command line's side of a "since" date
// past 2262, the last date the search index can compare: an honest empty
// answer and exit 0, not a Go error from the index and exit 1.
func TestAskSinceFarFuture(t *testing.T) {
	code, stdout, stderr := runCLI(t, map[string]string{"DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn"}, "ask", "epic", "apple", "since", "2300")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q: want 0", code, stderr)
	}
	const want = "Nothing new in Epic Games vs Apple: Fortnite, App Store fees and anti-steering since 2300-01-01;"
	if !strings.Contains(stdout, want) {
		t.Errorf("stdout %q lacks %q", stdout, want)
	}
}
