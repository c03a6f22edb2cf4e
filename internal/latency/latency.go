// Package latency records how long each operation of a benchmark took, so
// benchmarks can report the median and the 99th percentile rather than
// only the mean that `go test -bench` prints.
package latency

import (
	"sort"
	"testing"
	"time"
)

// Recorder collects durations.
type Recorder struct{ samples []time.Duration }

// Time runs fn and records how long it took.
func (r *Recorder) Time(fn func()) {
	start := time.Now()
	fn()
	r.samples = append(r.samples, time.Since(start))
}

// Add records one duration.
func (r *Recorder) Add(d time.Duration) { r.samples = append(r.samples, d) }

// Quantile returns the q-quantile (0.5 for the median).
func (r *Recorder) Quantile(q float64) time.Duration {
	if len(r.samples) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), r.samples...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(q * float64(len(s)-1))
	return s[i]
}

// Report adds median and p99, in milliseconds, to a benchmark's output.
func (r *Recorder) Report(b *testing.B) {
	b.ReportMetric(float64(r.Quantile(0.5).Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(r.Quantile(0.99).Microseconds())/1000, "p99-ms")
}
