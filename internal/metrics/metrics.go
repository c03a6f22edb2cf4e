// Package metrics keeps disputebot's operational counters and serves them
// at /metrics, beside /healthz, through the Prometheus client library: with
// several processes watched by one Prometheus, operators expect the Go
// runtime's and the process's own series beside ours, and each series to
// say which process it came from.
package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// buckets are the answer-latency histogram's upper bounds, in seconds.
var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// help describes each of our series.
var help = map[string]string{
	"disputebot_commands_total":             "Commands served, by command and outcome.",
	"disputebot_command_seconds":            "Time to answer a command.",
	"disputebot_feed_polls_total":           "Feed polls, by result.",
	"disputebot_deliveries_total":           "Notice messages, by result.",
	"disputebot_gateway_reconnects_total":   "Gateway connections made after the first.",
	"disputebot_index_lag_changes":          "Article changes in the shared store this process's index has not taken yet.",
	"disputebot_interactions_refused_total": "Interaction POSTs the endpoint refused, by reason (signature, stale, replayed, ...).",
	"disputebot_panics_total":               "Panics recovered, by where they happened; the process went on.",
	"disputebot_shard_held":                 "1 for each gateway shard this process holds the lease of, 0 once it gave it up or lost it.",
	"disputebot_gateway_connected":          "1 while a held shard's gateway connection is up.",
	"disputebot_gateway_events_total":       "Gateway events received, by shard.",
	"disputebot_identify_waits_total":       "Gateway identifies held back, by reason: spacing (another of the bucket within 5 s, in any process) or session_start_limit (the day's identifies nearly spent).",
	"disputebot_session_starts_remaining":   "Discord's session_start_limit left, as last read or counted down.",
	"disputebot_shards_unheld":              "Gateway shards no live process holds, as this process last counted; above 0 for longer than SHARD_LEASE, nobody answers those shards' servers.",
}

// Metrics holds every series of one process.
type Metrics struct {
	// Log receives panics recovered in the handlers; nil logs nothing.
	Log *slog.Logger

	reg     *prometheus.Registry
	labels  prometheus.Labels // on every series of ours: the process
	seconds *prometheus.HistogramVec

	mu       sync.Mutex
	counters map[string]*prometheus.CounterVec
	gauges   map[string]*prometheus.GaugeVec
}

// New returns empty metrics whose series carry no process label, for a
// process that runs alone.
func New() *Metrics { return NewFor("") }

// NewFor returns empty metrics whose every series of ours is labelled
// process=<process> (when not empty), beside the Go runtime's and the
// process's own series.
func NewFor(process string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), counters: map[string]*prometheus.CounterVec{}, gauges: map[string]*prometheus.GaugeVec{}}
	if process != "" {
		m.labels = prometheus.Labels{"process": process}
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.seconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "disputebot_command_seconds", Help: help["disputebot_command_seconds"],
		Buckets: buckets, ConstLabels: m.labels}, []string{"command"})
	m.reg.MustRegister(m.seconds)
	return m
}

// Panicked counts a panic recovered at a goroutine root.
func (m *Metrics) Panicked(where string) { m.Add("disputebot_panics_total", 1, "where", where) }

// Add adds v to a counter series, e.g. Add("disputebot_feed_polls_total",
// 1, "result", "ok"). A series name always takes the same label names.
func (m *Metrics) Add(name string, v float64, labels ...string) {
	names, values := split(labels)
	c := registered(m, m.counters, name, func() *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help[name], ConstLabels: m.labels}, names)
	})
	c.WithLabelValues(values...).Add(v)
}

// Set sets a gauge series, e.g. Set("disputebot_index_lag_changes", 0).
func (m *Metrics) Set(name string, v float64, labels ...string) {
	names, values := split(labels)
	g := registered(m, m.gauges, name, func() *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help[name], ConstLabels: m.labels}, names)
	})
	g.WithLabelValues(values...).Set(v)
}

// registered returns the series vector called name, made and registered
// the first time it is asked for.
func registered[V prometheus.Collector](m *Metrics, vecs map[string]V, name string, build func() V) V {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := vecs[name]
	if !ok {
		v = build()
		m.reg.MustRegister(v)
		vecs[name] = v
	}
	return v
}

// Command records one command, for bot.Metrics.
func (m *Metrics) Command(name string, took time.Duration, outcome string) {
	m.Add("disputebot_commands_total", 1, "command", name, "outcome", outcome)
	m.seconds.WithLabelValues(name).Observe(took.Seconds())
}

// split turns "name", "value" pairs into label names and values.
func split(labels []string) (names, values []string) {
	for i := 0; i+1 < len(labels); i += 2 {
		names = append(names, labels[i])
		values = append(values, labels[i+1])
	}
	return names, values
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
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
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
