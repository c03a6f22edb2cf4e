package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disputebot/disputebot/internal/render"
)

// TestMain lets the test binary stand in for the disputebot binary: with
// DISPUTEBOT_AS_MAIN set it runs the command line and exits, so tests can
// start it as a real process and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("DISPUTEBOT_AS_MAIN") == "1" {
		args := strings.Split(os.Getenv("DISPUTEBOT_ARGS"), "\x1f")
		os.Exit(run(context.Background(), args, os.Stdout, os.Stderr, os.Getenv))
	}
	os.Exit(m.Run())
}

// env is a getenv over a map, so tests never read the machine's settings.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func runCLI(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb, env(vars))
	return code, out.String(), errb.String()
}

func TestBadUsageExitsTwo(t *testing.T) {
	vars := map[string]string{"DATA_DIR": t.TempDir()}
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"ask"},
		{"ask", "--bogus", "musk"},
		{"ingest"},
		{"disputes", "extra"},
		{"export", "one", "two"},
		{"import"},
	} {
		code, _, stderr := runCLI(t, vars, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if !strings.Contains(stderr, "Usage:") {
			t.Errorf("%v: stderr lacks the usage text: %q", args, stderr)
		}
	}
}

func TestConfigErrorNamesTheVariable(t *testing.T) {
	code, _, stderr := runCLI(t, map[string]string{"DATA_DIR": t.TempDir(), "FETCH_TIMEOUT": "soon"}, "ask", "musk")
	if code != 1 || !strings.Contains(stderr, "FETCH_TIMEOUT") {
		t.Errorf("exit %d, stderr %q: want 1 and the variable named", code, stderr)
	}
}

func TestAskJSON(t *testing.T) {
	code, stdout, stderr := runCLI(t, map[string]string{"DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn"}, "ask", "--json", "musk", "microsoft")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		Query       string   `json:"query"`
		Parties     []string `json:"parties"`
		Summary     string   `json:"summary"`
		Suggestions []any    `json:"suggestions"`
		Events      []struct {
			Date, Title, URL, Source, Summary string
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if got.Query != "musk microsoft" || len(got.Parties) != 2 || got.Summary == "" || got.Suggestions == nil {
		t.Errorf("answer = %+v", got)
	}
	found := false
	for _, e := range got.Events {
		if e.Date == "2023-04-19" && strings.Contains(e.URL, "benzinga.com") {
			found = true
		}
	}
	if !found {
		t.Error("the 2023-04-19 Benzinga event is missing")
	}
}

func TestAskTextIsReadable(t *testing.T) {
	code, stdout, _ := runCLI(t, map[string]string{"DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn"}, "ask", "musk", "microsoft")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"Elon Musk vs Microsoft", "Summary", "Timeline", "2023-04-19", "benzinga.com"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("text answer lacks %q", want)
		}
	}
}

func TestIngestReportsEachInput(t *testing.T) {
	page, err := os.ReadFile("../../internal/ingest/testdata/musk-microsoft.html")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/article":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(page)
		case "/image":
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte("\x89PNG"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	vars := map[string]string{"DATA_DIR": t.TempDir(), "FETCH_ALLOW_PRIVATE": "true", "LOG_LEVEL": "warn"}
	code, stdout, _ := runCLI(t, vars, "ingest", "--json", srv.URL+"/article", srv.URL+"/missing", srv.URL+"/image", "no-such-file.html")
	if code != 1 {
		t.Errorf("exit %d, want 1 when some inputs failed", code)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	var results []render.IngestResult
	for dec.More() {
		var r render.IngestResult
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		results = append(results, r)
	}
	if len(results) != 4 {
		t.Fatalf("%d results, want 4: %s", len(results), stdout)
	}
	if r := results[0]; r.Error != "" || r.Title == "" || !strings.HasPrefix(r.Published, "2023-04-20") || len(r.Parties) < 2 {
		t.Errorf("article result = %+v", r)
	}
	for _, r := range results[1:] {
		if r.Error == "" {
			t.Errorf("%s: no error", r.Input)
		}
		if strings.Contains(r.Error, "fetch:") || strings.Contains(r.Error, "ingest:") || strings.Contains(r.Error, "127.0.0.1") {
			t.Errorf("%s: error leaks internals: %q", r.Input, r.Error)
		}
	}
	// Guarded by default: the same loopback server is refused.
	vars["FETCH_ALLOW_PRIVATE"] = ""
	code, stdout, _ = runCLI(t, vars, "ingest", "--json", srv.URL+"/article")
	if code != 1 || !strings.Contains(stdout, "standard ports") && !strings.Contains(stdout, "private or local") {
		t.Errorf("loopback fetch not refused: exit %d, %s", code, stdout)
	}
}

func TestDisputesList(t *testing.T) {
	code, stdout, _ := runCLI(t, map[string]string{"DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn"}, "disputes", "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var ds []struct{ ID, LastActive string }
	if err := json.Unmarshal([]byte(stdout), &ds); err != nil {
		t.Fatal(err)
	}
	if len(ds) < 4 {
		t.Fatalf("%d disputes", len(ds))
	}
	for i := 1; i < len(ds); i++ {
		if ds[i].LastActive > ds[i-1].LastActive {
			t.Errorf("%s listed after an older dispute", ds[i].ID)
		}
	}
}

// TestReindex rebuilds the index from the store, and after the index is
// damaged rebuilds it once, not a second time straight after opening.
func TestReindex(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"DATA_DIR": dir}
	code, stdout, stderr := runCLI(t, vars, "reindex")
	if code != 0 || !strings.HasPrefix(stdout, "index rebuilt from the store: ") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	want := stdout
	if err := os.WriteFile(filepath.Join(dir, "index.bleve", "index_meta.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCLI(t, vars, "reindex")
	if code != 0 || stdout != want {
		t.Fatalf("after damage: exit %d, stdout %q, want %q", code, stdout, want)
	}
	if n := strings.Count(stderr, "search index rebuilt"); n != 1 {
		t.Errorf("the damaged index was rebuilt %d times, want once:\n%s", n, stderr)
	}
	code, stdout, _ = runCLI(t, vars, "ask", "--json", "musk", "microsoft")
	if code != 0 || !strings.Contains(stdout, "benzinga.com") {
		t.Errorf("after reindex, ask: exit %d, %s", code, stdout)
	}
}

// TestCommandHelp: every command's --help is its own text, on stdout,
// with exit code 0; ask's shows the forms of "since".
func TestCommandHelp(t *testing.T) {
	vars := map[string]string{"DATA_DIR": t.TempDir()}
	for _, cmd := range []string{"ask", "ingest", "disputes", "reindex", "export", "import", "serve"} {
		code, stdout, stderr := runCLI(t, vars, cmd, "--help")
		if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "disputebot "+cmd) {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q", cmd, code, stdout, stderr)
		}
	}
	if _, stdout, _ := runCLI(t, vars, "ask", "musk", "-h"); !strings.Contains(stdout, "since 2024-06") {
		t.Errorf("ask's help lacks the forms of since:\n%s", stdout)
	}
}

// TestExportImportSayWhatWentWrong: an export never overwrites a file,
// and an import of a missing or broken file says which and changes
// nothing.
func TestExportImportSayWhatWentWrong(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "backup.jsonl")
	os.WriteFile(existing, []byte("the last good export\n"), 0o600)
	broken := filepath.Join(dir, "broken.jsonl")
	os.WriteFile(broken, []byte(`{"format":"disputebot-store","version":1}`+"\n"+`{"table":"articles","row":{"id":"x"}}`+"\n"), 0o600)
	vars := map[string]string{"DATA_DIR": filepath.Join(dir, "data"), "LOG_LEVEL": "warn"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export", existing}, "already exists"},
		{[]string{"import", filepath.Join(dir, "none.jsonl")}, "no such file"},
		{[]string{"import", broken}, "line 2"},
	} {
		code, _, stderr := runCLI(t, vars, c.args...)
		if code != 1 || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "goroutine") {
			t.Errorf("%v: exit %d, %q; want %q", c.args, code, stderr, c.want)
		}
	}
	if b, _ := os.ReadFile(existing); string(b) != "the last good export\n" {
		t.Error("export overwrote an existing file")
	}
	// The broken import left the new store empty: a good one goes in.
	code, _, stderr := runCLI(t, map[string]string{"DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn"}, "export", filepath.Join(dir, "good.jsonl"))
	if code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	if code, stdout, stderr := runCLI(t, vars, "import", filepath.Join(dir, "good.jsonl")); code != 0 || !strings.Contains(stdout, "imported") {
		t.Errorf("import after a refused one: exit %d %s %s", code, stdout, stderr)
	}
}

// TestIngestFileErrorsNameTheirCause: a missing file, a folder, a file of
// another kind and a private address each get the sentence that fits.
func TestIngestFileErrorsNameTheirCause(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "image.png")
	os.WriteFile(bin, []byte("\x89PNG\r\n\x1a\n\x00\x00"), 0o600)
	vars := map[string]string{"DATA_DIR": filepath.Join(dir, "data"), "LOG_LEVEL": "warn"}
	code, stdout, _ := runCLI(t, vars, "ingest", filepath.Join(dir, "missing.html"), dir, bin, "http://127.0.0.1/x")
	if code != 1 {
		t.Errorf("exit %d", code)
	}
	for _, want := range []string{"There is no such file", "That is a folder, not a file", "That file is not a web page", "FETCH_ALLOW_PRIVATE=true"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "That address") && strings.Contains(stdout, "sent") {
		t.Errorf("a file's error speaks of an address:\n%s", stdout)
	}
}

// TestServeWithoutTokenSaysSoFirst: serve without DISCORD_TOKEN names the
// variable before doing anything slow: no corpus loaded, no data folder
// made.
func TestServeWithoutTokenSaysSoFirst(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	code, _, stderr := runCLI(t, map[string]string{"DATA_DIR": dir}, "serve")
	if code != 1 || !strings.Contains(stderr, "DISCORD_TOKEN") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the data folder was made before the token was checked: %v", err)
	}
}

// TestProductHoldsNoTestOrBenchmarkCode: the disputebot binary links no
// test helper, benchmark or generator package (they live in
// cmd/disputebench and in tests).
func TestProductHoldsNoTestOrBenchmarkCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list is not at hand: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case dep == "testing", strings.HasSuffix(dep, "/internal/latency"), strings.HasSuffix(dep, "/internal/gencorpus"),
			strings.HasSuffix(dep, "/discordtest"), strings.HasSuffix(dep, "/pgtest"), strings.HasSuffix(dep, "/librarytest"), strings.HasSuffix(dep, "/internal/testpages"),
			strings.Contains(dep, "go-htmldate"):
			t.Errorf("disputebot links %s", dep)
		}
	}
}
