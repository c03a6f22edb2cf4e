package feed

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// BenchmarkParseHostile parses feeds built to make a parser allocate, and a
// normal feed for comparison. Besides time it reports, per parse, the bytes
// allocated (alloc-MB/op), the most heap the parse held at once above what
// was in use before it (peak-heap-MB, sampled every millisecond) and the
// body's size (body-MB).
func BenchmarkParseHostile(b *testing.B) {
	jsonBody := jsonEmptyItems()
	cases := []struct {
		name     string
		body     []byte
		parallel int // parses run at once
	}{
		{"json-empty-items-5MiB", jsonBody, 1},
		{"atom-650k-entries", atomTinyEntries(), 1},
		{"rss-100-items-45KB-descriptions", rssDescriptions(100, 45_000), 1},
		{"rss-100-items", rssDescriptions(100, 500), 1},
		{"four-at-once-json", jsonBody, 4},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			benchmarkParse(b, c.body, c.parallel, func(body []byte) error {
				_, err := Parse(body, "https://news.example.com/feed")
				return err
			})
		})
	}
}

func benchmarkParse(b *testing.B, body []byte, parallel int, parse func([]byte) error) {
	var alloc uint64
	var peak float64
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		base := heapObjects()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		sampled := make(chan float64)
		stop := make(chan struct{})
		go sampleHeap(stop, sampled)
		b.StartTimer()

		var wg sync.WaitGroup
		for range parallel {
			wg.Go(func() {
				if err := parse(body); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()

		b.StopTimer()
		close(stop)
		peak = max(peak, <-sampled-base)
		runtime.ReadMemStats(&after)
		alloc += after.TotalAlloc - before.TotalAlloc
		b.StartTimer()
	}
	b.ReportMetric(float64(alloc)/float64(b.N)/1e6, "alloc-MB/op")
	b.ReportMetric(peak/1e6, "peak-heap-MB")
	b.ReportMetric(float64(len(body))/1e6, "body-MB")
}

// sampleHeap reads the heap's object bytes every millisecond until stop
// closes, then sends the largest reading, the last taken after the parse.
func sampleHeap(stop <-chan struct{}, peak chan<- float64) {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	most := heapObjects()
	for {
		select {
		case <-tick.C:
			most = max(most, heapObjects())
		case <-stop:
			peak <- max(most, heapObjects())
			return
		}
	}
}

// heapObjects is the memory held by heap objects, live or not yet swept.
func heapObjects() float64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return float64(s[0].Value.Uint64())
}
