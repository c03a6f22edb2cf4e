package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/latency"
)

// sinceStart is how long ago the kernel started this process, read from
// /proc (to the hundredth of a second): start-up figures count from then,
// so the runtime's start and every package's initialisation are in them
// (a package variable set to time.Now() is set after most of those ran).
func sinceStart() time.Duration {
	stat, err1 := os.ReadFile("/proc/self/stat")
	up, err2 := os.ReadFile("/proc/uptime")
	if err1 != nil || err2 != nil {
		return 0
	}
	// The 22nd field, after the command in parentheses, is the start in
	// clock ticks since boot (100 a second on Linux); uptime is seconds.
	rest := string(stat)[strings.LastIndexByte(string(stat), ')')+2:]
	f := strings.Fields(rest)
	u := strings.Fields(string(up))
	if len(f) < 20 || len(u) == 0 {
		return 0
	}
	ticks, _ := strconv.ParseFloat(f[19], 64)
	uptime, _ := strconv.ParseFloat(u[0], 64)
	return time.Duration((uptime - ticks/100) * float64(time.Second))
}

// cmdBenchServe measures a whole process: opening DATA_DIR, the first
// answer, then a run of answers as a serving bot gives them, and the peak
// memory (RSS) it took. It prints one JSON object.
func cmdBenchServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var n int
	if _, err := flags("bench-serve", args, func(fs *flag.FlagSet) { fs.IntVar(&n, "queries", 500, "") }); err != nil {
		return err
	}
	lib, err := open(ctx, stderr)
	if err != nil {
		return err
	}
	defer lib.Close()
	opened := sinceStart()
	if _, err := lib.Engine.Ask(ctx, answer.Request{Query: "musk microsoft"}); err != nil {
		return err
	}
	first := sinceStart()
	queries := []string{"musk microsoft", "google vs doj", "apple epic", "meta ftc", "apple", "nintendo pocketpair", "antitrust fine"}
	var r latency.Recorder
	for i := 0; i < n; i++ {
		q := queries[i%len(queries)]
		var err error
		r.Time(func() { _, err = lib.Engine.Ask(ctx, answer.Request{Query: q, Guild: "900000000000000001"}) })
		if err != nil {
			return err
		}
	}
	articles, _ := lib.Store.CountArticles(ctx)
	return json.NewEncoder(stdout).Encode(map[string]any{
		"articles":         articles,
		"open_ms":          opened.Milliseconds(),
		"first_answer_ms":  first.Milliseconds(),
		"answers":          n,
		"answer_median_ms": float64(r.Quantile(0.5).Microseconds()) / 1000,
		"answer_p99_ms":    float64(r.Quantile(0.99).Microseconds()) / 1000,
		"peak_rss_mb":      procStatusMB("VmHWM"),
		"rss_after_mb":     procStatusMB("VmRSS"),
	})
}

// procStatusMB reads a memory figure of this process from /proc, in MB.
func procStatusMB(key string) float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, key+":") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return 0
}
