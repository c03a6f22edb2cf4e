// Package metrics keeps disputebot's operational counters and serves them in
// the Prometheus text format at /metrics, beside /healthz. It is a few
// dozen lines rather than a client library because disputebot needs only
// counters and one histogram.
package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"
)

// buckets are the answer-latency histogram's upper bounds, in seconds.
var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Metrics holds every counter.
type Metrics struct {
	// Log receives panics recovered in the handlers; nil logs nothing.
	Log *slog.Logger

	mu       sync.Mutex
	counters map[string]float64 // full series name with labels -> value
	gauges   map[string]float64 // likewise, for values that go down too
	help     map[string]string  // metric name -> help
	hist     map[string]*histogram
}

type histogram struct {
	counts []uint64
	sum    float64
	n      uint64
}

// New returns empty metrics with their help texts.
func New() *Metrics {
	return &Metrics{
		counters: map[string]float64{},
		gauges:   map[string]float64{},
		hist:     map[string]*histogram{},
		help: map[string]string{
			"disputebot_commands_total":             "Commands served, by command and outcome.",
			"disputebot_command_seconds":            "Time to answer a command.",
			"disputebot_feed_polls_total":           "Feed polls, by result.",
			"disputebot_deliveries_total":           "Notice messages, by result.",
			"disputebot_gateway_reconnects_total":   "Gateway connections made after the first.",
			"disputebot_index_lag_changes":          "Article changes in the shared store this process's index has not taken yet.",
			"disputebot_interactions_refused_total": "Interaction POSTs the endpoint refused, by reason (signature, stale, replayed, ...).",
			"disputebot_panics_total":               "Panics recovered, by where they happened; the process went on.",
		},
	}
}

// Panicked counts a panic recovered at a goroutine root.
func (m *Metrics) Panicked(where string) { m.Add("disputebot_panics_total", 1, "where", where) }

// Add adds v to a counter series, e.g. Add("disputebot_feed_polls_total", 1, "result", "ok").
func (m *Metrics) Add(name string, v float64, labels ...string) {
	key := series(name, labels)
	m.mu.Lock()
	m.counters[key] += v
	m.mu.Unlock()
}

// Set sets a gauge series, e.g. Set("disputebot_index_lag_changes", 0).
func (m *Metrics) Set(name string, v float64, labels ...string) {
	key := series(name, labels)
	m.mu.Lock()
	m.gauges[key] = v
	m.mu.Unlock()
}

// Command records one command, for bot.Metrics.
func (m *Metrics) Command(name string, took time.Duration, outcome string) {
	m.Add("disputebot_commands_total", 1, "command", name, "outcome", outcome)
	key := series("disputebot_command_seconds", []string{"command", name})
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.hist[key]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(buckets))}
		m.hist[key] = h
	}
	s := took.Seconds()
	for i, b := range buckets {
		if s <= b {
			h.counts[i]++
		}
	}
	h.sum += s
	h.n++
}

func series(name string, labels []string) string {
	if len(labels) == 0 {
		return name
	}
	var b strings.Builder
	b.WriteString(name + "{")
	for i := 0; i+1 < len(labels); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", labels[i], labels[i+1])
	}
	b.WriteString("}")
	return b.String()
}

// WriteTo writes every series in the Prometheus text format.
func (m *Metrics) write(w *strings.Builder) {
	m.mu.Lock()
	defer m.mu.Unlock()
	writeSeries(w, m.counters, "counter", m.help)
	writeSeries(w, m.gauges, "gauge", m.help)
	if len(m.hist) > 0 {
		n := "disputebot_command_seconds"
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", n, m.help[n], n)
		keys := make([]string, 0, len(m.hist))
		for k := range m.hist {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			h := m.hist[k]
			labels := strings.TrimSuffix(strings.TrimPrefix(k, n+"{"), "}")
			for i, b := range buckets {
				fmt.Fprintf(w, "%s_bucket{%s,le=\"%g\"} %d\n", n, labels, b, h.counts[i])
			}
			fmt.Fprintf(w, "%s_bucket{%s,le=\"+Inf\"} %d\n", n, labels, h.n)
			fmt.Fprintf(w, "%s_sum{%s} %g\n%s_count{%s} %d\n", n, labels, h.sum, n, labels, h.n)
		}
	}
}

// writeSeries writes one kind of series, grouped by metric name.
func writeSeries(w *strings.Builder, values map[string]float64, kind string, help map[string]string) {
	byName := map[string][]string{}
	for key := range values {
		name, _, _ := strings.Cut(key, "{")
		byName[name] = append(byName[name], key)
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", n, help[n], n, kind)
		keys := byName[n]
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "%s %g\n", k, values[k])
		}
	}
}

// Check is one part of /healthz: a name and a probe.
type Check struct {
	Name  string
	Probe func(ctx context.Context) error
}

// Handler serves /metrics and /healthz. /healthz answers 200 when every
// check passes and 503 naming the failing ones otherwise.
func (m *Metrics) Handler(checks ...Check) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		m.write(&b)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Write([]byte(b.String()))
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		var failing []string
		var b strings.Builder
		for _, c := range checks {
			if err := c.Probe(ctx); err != nil {
				failing = append(failing, c.Name)
				fmt.Fprintf(&b, "%s: failing\n", c.Name)
			} else {
				fmt.Fprintf(&b, "%s: ok\n", c.Name)
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if len(failing) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		w.Write([]byte(b.String()))
	})
	return m.recovering(mux)
}

// recovering answers 500 to a request whose handler panicked, and counts
// it, rather than leave net/http to drop the connection with a log line
// of its own.
func (m *Metrics) recovering(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				m.Panicked("http")
				if m.Log != nil {
					m.Log.Error("recovered from a panic", "where", "http", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				}
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		h.ServeHTTP(w, r)
	})
}
