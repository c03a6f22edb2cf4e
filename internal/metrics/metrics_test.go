package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMetricsAndHealth(t *testing.T) {
	m := New()
	m.Command("dispute", 7*time.Millisecond, "ok")
	m.Command("dispute", 300*time.Millisecond, "ok")
	m.Add("disputebot_feed_polls_total", 1, "result", "failed")
	healthy := true
	srv := httptest.NewServer(m.Handler(Check{Name: "gateway", Probe: func(context.Context) error {
		if !healthy {
			return errors.New("down")
		}
		return nil
	}}))
	defer srv.Close()
	body := get(t, srv.URL+"/metrics", 200)
	for _, want := range []string{
		`disputebot_commands_total{command="dispute",outcome="ok"} 2`,
		`disputebot_command_seconds_bucket{command="dispute",le="0.01"} 1`,
		`disputebot_command_seconds_bucket{command="dispute",le="+Inf"} 2`,
		`disputebot_command_seconds_count{command="dispute"} 2`,
		`disputebot_feed_polls_total{result="failed"} 1`,
		"# TYPE disputebot_command_seconds histogram",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
	if body := get(t, srv.URL+"/healthz", 200); !strings.Contains(body, "gateway: ok") {
		t.Errorf("/healthz = %q", body)
	}
	healthy = false
	if body := get(t, srv.URL+"/healthz", 503); !strings.Contains(body, "gateway: failing") {
		t.Errorf("/healthz when down = %q", body)
	}
}

func get(t *testing.T, url string, status int) string {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != status {
		t.Errorf("GET %s = %d, want %d", url, r.StatusCode, status)
	}
	return string(b)
}

// TestHandlerPanicIsAnswered: a probe that panics gets a 500 and a count,
// and the next request is served.
func TestHandlerPanicIsAnswered(t *testing.T) {
	m := New()
	h := m.Handler(Check{Name: "boom", Probe: func(context.Context) error { panic("a probe's bug") }})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `disputebot_panics_total{where="http"} 1`) {
		t.Errorf("the panic was not counted:\n%s", rec.Body.String())
	}
}

// TestGaugesGoDown: a gauge shows its latest value, typed as a gauge.
func TestGaugesGoDown(t *testing.T) {
	m := New()
	m.Set("disputebot_index_lag_changes", 12)
	m.Set("disputebot_index_lag_changes", 0)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	if body := get(t, srv.URL+"/metrics", 200); !strings.Contains(body, "# TYPE disputebot_index_lag_changes gauge\ndisputebot_index_lag_changes 0\n") {
		t.Errorf("exposition:\n%s", body)
	}
}

// TestEachSeriesSaysItsProcess: with several processes watched by one
// Prometheus, every series of ours carries the process's name, and the Go
// runtime's and the process's own series are served beside them.
func TestEachSeriesSaysItsProcess(t *testing.T) {
	m := NewFor("bot-2")
	m.Command("dispute", 7*time.Millisecond, "ok")
	m.Add("disputebot_feed_polls_total", 1, "result", "polled")
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	body := get(t, srv.URL+"/metrics", 200)
	for _, want := range []string{
		`disputebot_commands_total{command="dispute",outcome="ok",process="bot-2"} 1`,
		`disputebot_command_seconds_count{command="dispute",process="bot-2"} 1`,
		`disputebot_feed_polls_total{process="bot-2",result="polled"} 1`,
		"go_goroutines ", "process_resident_memory_bytes ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
