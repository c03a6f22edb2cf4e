package notify_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/disputebot/disputebot/data"
	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/gencorpus"
	"github.com/disputebot/disputebot/internal/latency"
	"github.com/disputebot/disputebot/internal/notify"
)

// BenchmarkMatch times matching one new article against 10k and 100k
// subscriptions spread over 50 guilds, their parties drawn with the same
// skew as the articles'.
func BenchmarkMatch(b *testing.B) {
	c, err := data.Load()
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{10_000, 100_000} {
		g := gencorpus.New(c, gencorpus.Options{Seed: 7})
		rng := rand.New(rand.NewPCG(7, 8))
		subs := make([]*domain.Subscription, n)
		for i := range subs {
			a := g.Next() // its parties follow the news' skew
			s := &domain.Subscription{ID: int64(i + 1), GuildID: fmt.Sprint(rng.IntN(50)), UserID: fmt.Sprint(i)}
			switch rng.IntN(10) {
			case 0:
				s.Words = []string{"patent"}
			case 1, 2, 3:
				s.Parties = a.Parties[:1]
			default:
				s.Parties = a.Parties[:min(2, len(a.Parties))]
			}
			subs[i] = s
		}
		m := notify.NewMatcher(subs)
		articles := make([]*article.Article, 200)
		for i := range articles {
			articles[i] = g.Next()
		}
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			var r latency.Recorder
			matched := 0
			i := 0
			for b.Loop() {
				a := articles[i%len(articles)]
				i++
				r.Time(func() { matched += len(m.Match(a, func(string) bool { return true })) })
			}
			r.Report(b)
			b.ReportMetric(float64(matched)/float64(b.N), "matches/article")
		})
	}
}
