package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
)

// The conformance suite: each store behaviour the rest of disputebot
// relies on, run on SQLite and on PostgreSQL alike (see eachStore).

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// TestNumbersNeverCommitOutOfOrder: writers numbering articles side by
// side never let a reader who follows the numbers (the index) step past
// one that is not yet committed: a reader walking Changed while eight
// writers save sees every article, each once.
func TestNumbersNeverCommitOutOfOrder(t *testing.T) {
	eachOpenStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const writers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					a := &article.Article{URL: fmt.Sprintf("https://w%d.example/%d", w, i), Title: "t", FirstSeen: t0}
					if _, err := s.SaveArticle(ctx, a, article.GlobalScope, 0); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		seen := map[string]int{}
		var last int64
		follow := func() {
			var err error
			last, err = s.Changed(ctx, last, 7, func(page []*article.Article, _ int64) error {
				for _, a := range page {
					seen[a.URL]++
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		for running := true; running; {
			select {
			case <-done:
				running = false
			default:
			}
			follow()
		}
		follow()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(seen) != writers*each {
			t.Errorf("the reader saw %d articles of %d: it stepped past numbers committed late", len(seen), writers*each)
		}
		for u, n := range seen {
			if n != 1 {
				t.Errorf("%s seen %d times", u, n)
			}
		}
		if max, _ := s.MaxSeq(ctx); max != last {
			t.Errorf("MaxSeq %d, the reader ended at %d", max, last)
		}
		if n, _ := s.CountArticles(ctx); n != writers*each {
			t.Errorf("CountArticles = %d", n)
		}
	})
}

// TestArticlesReadBack: what is saved reads back the same by id, by
// address, by address for one guild, and in PagesAt; the corpus retires
// what it no longer lists.
func TestArticlesReadBack(t *testing.T) {
	eachOpenStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		pub := time.Date(2023, 4, 20, 9, 30, 0, 0, time.UTC)
		a := &article.Article{URL: "https://news.example/musk", Title: "Musk and Microsoft", Site: "News", Byline: "A. Writer",
			Published: pub, FirstSeen: t0, DateSource: "metadata", Summary: "A summary.", Text: "Body text.",
			Parties: []string{"Elon Musk", "Microsoft"}, Disputes: []string{"musk-microsoft"}, DisputeScore: 0.75}
		r, err := s.SaveArticle(ctx, a, "G1", 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Articles(ctx, []int64{r.ID})
		if err != nil || len(got) != 1 {
			t.Fatalf("Articles: %v %v", got, err)
		}
		g := got[0]
		if g.Title != a.Title || g.Site != "News" || g.Byline != "A. Writer" || !g.Published.Equal(pub) || !g.FirstSeen.Equal(t0) ||
			g.Summary != "A summary." || strings.Join(g.Parties, ",") != "Elon Musk,Microsoft" || strings.Join(g.Disputes, ",") != "musk-microsoft" ||
			g.DisputeScore != 0.75 || g.DateSource != "metadata" {
			t.Errorf("read back %+v", g)
		}
		if g, err := s.ArticleFor(ctx, "G2", a.URL); err != nil || g.Text != "Body text." || strings.Join(g.Scopes, ",") != "G1" {
			t.Errorf("the page with its text and scopes: %+v %v", g, err)
		}
		pages, err := s.PagesAt(ctx, []string{a.URL, "https://news.example/none"})
		if err != nil || len(pages) != 1 || pages[0].URL != a.URL {
			t.Errorf("PagesAt = %v, %v", pages, err)
		}

		if err := s.SaveCorpus(ctx, []*article.Article{
			{URL: "https://corpus.example/1", Title: "one", Disputes: []string{"d"}, FirstSeen: t0},
			{URL: "https://corpus.example/2", Title: "two", Disputes: []string{"d"}, FirstSeen: t0},
		}); err != nil {
			t.Fatal(err)
		}
		n, err := s.RetireCorpus(ctx, map[string]bool{"https://corpus.example/1": true})
		if err != nil || n != 1 {
			t.Fatalf("RetireCorpus = %d, %v", n, err)
		}
		gone, _ := s.ArticleByURL(ctx, "https://corpus.example/2")
		if gone == nil || slices.Contains(gone.Scopes, article.GlobalScope) {
			t.Errorf("a retired corpus article is still global: %+v", gone)
		}

		if err := s.SetMeta(ctx, "k", "v1"); err != nil {
			t.Fatal(err)
		}
		s.SetMeta(ctx, "k", "v2")
		if v, _ := s.Meta(ctx, "k"); v != "v2" {
			t.Errorf("meta = %q", v)
		}
		if v, _ := s.Meta(ctx, "unset"); v != "" {
			t.Errorf("unset meta = %q", v)
		}
		if res, err := s.IntegrityCheck(ctx); err != nil || res != "ok" {
			t.Errorf("integrity: %q %v", res, err)
		}
	})
}

// TestSourcesAndFeeds: a guild's sources are its own to list, find and
// remove; due feeds come in turns across guilds; a poll's outcome is kept.
func TestSourcesAndFeeds(t *testing.T) {
	eachOpenStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		feed := func(guild, u string, next time.Time) *domain.Source {
			src := &domain.Source{GuildID: guild, URL: u, Kind: domain.FeedSource, AddedBy: "mod", AddedAt: t0, Feed: &domain.Feed{Interval: time.Hour, ChannelID: "c1", NextPoll: next}}
			if err := s.AddSource(ctx, src); err != nil {
				t.Fatal(err)
			}
			return src
		}
		var busy []*domain.Source
		for i := 0; i < 5; i++ {
			busy = append(busy, feed("BUSY", fmt.Sprintf("https://busy.example/%d.xml", i), t0.Add(time.Duration(i)*time.Minute)))
		}
		quiet := feed("QUIET", "https://quiet.example/feed.xml", t0.Add(10*time.Minute))
		feed("LATER", "https://later.example/feed.xml", t0.Add(48*time.Hour))
		art := &domain.Source{GuildID: "QUIET", URL: "https://quiet.example/story", Kind: domain.ArticleSource, AddedAt: t0}
		if err := s.AddSource(ctx, art); err != nil {
			t.Fatal(err)
		}

		due, err := s.DueFeeds(ctx, t0.Add(time.Hour), 2, 3)
		if err != nil {
			t.Fatal(err)
		}
		var guilds []string
		for _, d := range due {
			guilds = append(guilds, d.GuildID)
		}
		if slices.Sort(guilds); strings.Join(guilds, ",") != "BUSY,BUSY,QUIET" {
			t.Errorf("due = %v, want two of BUSY's and QUIET's one", guilds)
		}
		if next, _ := s.NextFeedPoll(ctx); !next.Equal(t0) {
			t.Errorf("next poll %v", next)
		}

		if list, _ := s.Sources(ctx, "QUIET", domain.FeedSource); len(list) != 1 || list[0].Feed == nil || list[0].Feed.ChannelID != "c1" || list[0].Feed.Interval != time.Hour {
			t.Errorf("QUIET's feeds: %+v", list)
		}
		if got, err := s.SourceByRef(ctx, "QUIET", domain.ArticleSource, art.URL); err != nil || got.ID != art.ID {
			t.Errorf("by address: %+v %v", got, err)
		}
		if _, err := s.SourceByRef(ctx, "BUSY", domain.FeedSource, fmt.Sprint(quiet.ID)); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("BUSY found QUIET's feed by its number: %v", err)
		}

		polled := *quiet.Feed
		polled.ETag, polled.LastOK, polled.NextPoll, polled.Failures = `"v2"`, t0.Add(time.Hour), t0.Add(2*time.Hour), 0
		if err := s.FeedPolled(ctx, quiet.ID, &polled); err != nil {
			t.Fatal(err)
		}
		if err := s.SourceFetched(ctx, quiet.ID, t0.Add(time.Hour), "", 3); err != nil {
			t.Fatal(err)
		}
		got, err := s.Source(ctx, quiet.ID)
		if err != nil || got.Feed.ETag != `"v2"` || !got.Feed.NextPoll.Equal(t0.Add(2*time.Hour)) || got.Items != 3 || !got.LastFetched.Equal(t0.Add(time.Hour)) {
			t.Errorf("after a poll: %+v %+v %v", got, got.Feed, err)
		}

		// Removing a source hides from its guild what only it brought.
		r, err := s.SaveArticle(ctx, &article.Article{URL: art.URL, Title: "story", FirstSeen: t0}, "QUIET", art.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RemoveSource(ctx, "BUSY", art.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("BUSY removed QUIET's source: %v", err)
		}
		if n, err := s.RemoveSource(ctx, "QUIET", art.ID); err != nil || n != 1 {
			t.Errorf("RemoveSource = %d, %v", n, err)
		}
		if page, err := s.ArticleByURL(ctx, art.URL); err != nil || page.ID != r.ID || slices.Contains(page.Scopes, "QUIET") {
			t.Errorf("after removing its source, the page (kept) is still QUIET's: %+v %v", page, err)
		}
		if n, _ := s.RemoveSource(ctx, "BUSY", busy[0].ID); n != 0 {
			t.Errorf("removing a feed that brought nothing lost %d", n)
		}
		if list, _ := s.Sources(ctx, "BUSY", domain.FeedSource); len(list) != 4 {
			t.Errorf("BUSY has %d feeds after removing one of 5", len(list))
		}
	})
}

// TestFeedItemsAndRetention: a feed's items are seen once; pruning keeps
// the most recent; a guild's daily count counts its own arrivals.
func TestFeedItemsAndRetention(t *testing.T) {
	eachOpenStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		src := &domain.Source{GuildID: "G", URL: "https://g.example/feed.xml", Kind: domain.FeedSource, AddedAt: t0, Feed: &domain.Feed{Interval: time.Hour}}
		if err := s.AddSource(ctx, src); err != nil {
			t.Fatal(err)
		}
		err := s.Write(ctx, func(tx *Tx) error {
			for i := 0; i < 10; i++ {
				a := &article.Article{URL: fmt.Sprintf("https://g.example/%d", i), Title: "t", FirstSeen: t0}
				r, err := tx.SaveArticle(a, "G", src.ID)
				if err != nil {
					return err
				}
				if err := tx.MarkFeedItem(src.ID, fmt.Sprint(i), r.ID, t0.Add(time.Duration(i)*time.Minute)); err != nil {
					return err
				}
			}
			return tx.PruneFeedItems(src.ID, 4)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := s.CountFeedItems(ctx, src.ID); n != 4 {
			t.Errorf("kept %d items, want the latest 4", n)
		}
		unseen, err := s.Unseen(ctx, src.ID, []string{"9", "8", "new", "new", "2"})
		if err != nil || strings.Join(unseen, ",") != "new,2" {
			t.Errorf("unseen = %v, %v", unseen, err)
		}
		if seen, _ := s.FeedItemSeen(ctx, src.ID, "9"); !seen {
			t.Error("the latest item was forgotten")
		}
		if n, _ := s.GuildArticlesSince(ctx, "G", time.Now().Add(-time.Hour)); n != 10 {
			t.Errorf("G's arrivals in the last hour: %d", n)
		}
		if n, _ := s.GuildArticlesSince(ctx, "H", time.Time{}); n != 0 {
			t.Errorf("H's arrivals: %d", n)
		}
	})
}

// TestSubscriptionsAndAliases: a member's subscriptions are theirs to
// list and remove, by number or query; aliases are per guild.
func TestSubscriptionsAndAliases(t *testing.T) {
	eachOpenStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		sub := &domain.Subscription{GuildID: "G", UserID: "u1", Query: "musk microsoft", Parties: []string{"Elon Musk", "Microsoft"}, Words: []string{"lawsuit"}, CreatedAt: t0}
		if err := s.Subscribe(ctx, sub); err != nil {
			t.Fatal(err)
		}
		again := &domain.Subscription{GuildID: "G", UserID: "u1", Query: "musk microsoft"}
		if err := s.Subscribe(ctx, again); !errors.Is(err, domain.ErrExists) || again.ID != sub.ID {
			t.Errorf("the same subscription again: %v, id %d", err, again.ID)
		}
		s.Subscribe(ctx, &domain.Subscription{GuildID: "G", UserID: "u2", ChannelID: "c9", Query: "epic"})
		list, err := s.Subscriptions(ctx, "G", "u1")
		if err != nil || len(list) != 1 || strings.Join(list[0].Parties, ",") != "Elon Musk,Microsoft" || strings.Join(list[0].Words, ",") != "lawsuit" || !list[0].CreatedAt.Equal(t0) {
			t.Errorf("u1's subscriptions: %+v %v", list, err)
		}
		if all, _ := s.AllSubscriptions(ctx); len(all) != 2 || all[1].Target() != domain.ChannelTarget("c9") || all[0].Target() != domain.DMTarget("u1") {
			t.Errorf("all: %+v", all)
		}
		if _, err := s.Unsubscribe(ctx, "G", "u2", fmt.Sprint(sub.ID)); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("u2 removed u1's subscription: %v", err)
		}
		if got, err := s.Unsubscribe(ctx, "G", "u1", "MUSK MICROSOFT"); err != nil || got.ID != sub.ID {
			t.Errorf("unsubscribe by query: %+v %v", got, err)
		}

		if err := s.AddAlias(ctx, "G", "twitter boss", "Twitter boss", "Elon Musk", "mod"); err != nil {
			t.Fatal(err)
		}
		if m, _ := s.Aliases(ctx, "G"); m["Twitter boss"] != "Elon Musk" {
			t.Errorf("G's aliases: %v", m)
		}
		if m, _ := s.Aliases(ctx, "H"); len(m) != 0 {
			t.Errorf("H sees G's aliases: %v", m)
		}
		if err := s.RemoveAlias(ctx, "G", "twitter boss"); err != nil {
			t.Error(err)
		}
	})
}

// TestSendBudgetIsShared: with 60 messages due and 20 a second allowed,
// eight claimers in two processes claim 20 in all within one second, 20
// more in the next, and a claimer without a limit the rest.
func TestSendBudgetIsShared(t *testing.T) {
	eachStore(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		stores := []*Store{b.mustOpen(t), b.mustOpen(t)}
		var ds []domain.Delivery
		for i := 0; i < 60; i++ {
			r, err := stores[0].SaveArticle(ctx, &article.Article{URL: fmt.Sprintf("https://q.example/%d", i), Title: "t", FirstSeen: t0}, "G", 0)
			if err != nil {
				t.Fatal(err)
			}
			ds = append(ds, domain.Delivery{GuildID: "G", Target: domain.DMTarget(fmt.Sprint("u", i)), ArticleID: r.ID, Story: fmt.Sprint("story", i), Reason: domain.Reason{Kind: domain.BySubscription, ID: 1}})
		}
		if n, err := stores[0].Enqueue(ctx, ds, t0); err != nil || n != 60 {
			t.Fatalf("enqueued %d, %v", n, err)
		}
		claimIn := func(at time.Time, perSecond int) int {
			return eightClaimers(stores, func(s *Store, c int) int {
				bs, err := s.ClaimBatches(ctx, at.Add(time.Duration(c)*time.Millisecond), time.Second, time.Hour, 50, perSecond)
				if err != nil {
					t.Error(err)
				}
				return len(bs)
			})
		}
		second := t0.Add(time.Minute).Truncate(time.Second)
		if n := claimIn(second, 20); n != 20 {
			t.Errorf("%d messages claimed in a second allowing 20", n)
		}
		if n := claimIn(second.Add(500*time.Millisecond), 20); n != 0 {
			t.Errorf("%d more messages claimed later in the same second", n)
		}
		if n := claimIn(second.Add(time.Second), 20); n != 20 {
			t.Errorf("%d messages claimed in the next second, want 20", n)
		}
		if n := claimIn(second.Add(time.Second), 0); n != 20 {
			t.Errorf("%d messages claimed with no limit, want the last 20", n)
		}
	})
}

// TestBusyServerDoesNotHoldOthersNotices: server A has notices queued for
// 60 members, server B for 2, queued after A's; within a second's budget
// of 20 messages, B's two go out, rather than waiting for A's 60.
func TestBusyServerDoesNotHoldOthersNotices(t *testing.T) {
	eachOpenStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var ds []domain.Delivery
		add := func(guild, user string, i int) {
			r, err := s.SaveArticle(ctx, &article.Article{URL: fmt.Sprintf("https://q.example/%s/%d", guild, i), Title: "t", FirstSeen: t0}, guild, 0)
			if err != nil {
				t.Fatal(err)
			}
			ds = append(ds, domain.Delivery{GuildID: guild, Target: domain.DMTarget(user), ArticleID: r.ID, Story: fmt.Sprint(guild, i), Reason: domain.Reason{Kind: domain.BySubscription, ID: 1}})
		}
		for i := 0; i < 60; i++ {
			add("A", fmt.Sprint("a", i), i)
		}
		add("B", "b0", 0)
		add("B", "b1", 1)
		if n, err := s.Enqueue(ctx, ds, t0); err != nil || n != 62 {
			t.Fatalf("enqueued %d, %v", n, err)
		}
		bs, err := s.ClaimBatches(ctx, t0.Add(time.Minute), time.Second, time.Minute, 50, 20)
		if err != nil {
			t.Fatal(err)
		}
		toB := 0
		for _, b := range bs {
			if b.Target == domain.DMTarget("b0") || b.Target == domain.DMTarget("b1") {
				toB++
			}
		}
		if len(bs) != 20 || toB != 2 {
			t.Errorf("claimed %d messages, %d of them server B's; want 20 with both of B's", len(bs), toB)
		}
	})
}

// TestDeliveriesAreClaimedOnce: a story is queued once per target; eight
// claimers side by side each get different messages, every notice is in
// exactly one; a claimed message is nobody else's until its lease ends,
// then comes back with the same id.
func TestDeliveriesAreClaimedOnce(t *testing.T) {
	eachOpenStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var ds []domain.Delivery
		for i := 0; i < 40; i++ {
			r, err := s.SaveArticle(ctx, &article.Article{URL: fmt.Sprintf("https://q.example/%d", i), Title: "t", FirstSeen: t0}, "G", 0)
			if err != nil {
				t.Fatal(err)
			}
			ds = append(ds, domain.Delivery{GuildID: "G", Target: domain.DMTarget(fmt.Sprint("u", i%20)), ArticleID: r.ID, Story: fmt.Sprint("story", i), Reason: domain.Reason{Kind: domain.BySubscription, ID: 1}})
		}
		if n, err := s.Enqueue(ctx, append(ds, ds[:5]...), t0); err != nil || n != 40 {
			t.Fatalf("enqueued %d, %v", n, err)
		}
		now := t0.Add(time.Minute)
		var mu sync.Mutex
		claimedBy := map[int64]int{}
		articles := map[int64]int{}
		var wg sync.WaitGroup
		for c := 0; c < 8; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				bs, err := s.ClaimBatches(ctx, now, time.Second, time.Minute, 50, 0)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				for _, b := range bs {
					claimedBy[b.ID]++
					for _, a := range b.Articles {
						articles[a.ID]++
					}
				}
			}()
		}
		wg.Wait()
		if len(claimedBy) != 20 {
			t.Errorf("%d messages claimed, want one per target (20)", len(claimedBy))
		}
		for id, n := range claimedBy {
			if n != 1 {
				t.Errorf("message %d went to %d claimers", id, n)
			}
		}
		if len(articles) != 40 {
			t.Errorf("%d notices claimed of 40", len(articles))
		}
		for id, n := range articles {
			if n != 1 {
				t.Errorf("article %d is in %d messages", id, n)
			}
		}
		if bs, _ := s.ClaimBatches(ctx, now.Add(59*time.Second), time.Second, time.Minute, 50, 0); len(bs) != 0 {
			t.Errorf("%d messages claimed again while their leases held", len(bs))
		}
		var first int64
		for id := range claimedBy {
			if first == 0 || id < first {
				first = id
			}
		}
		if err := s.BatchSent(ctx, first, now); err != nil {
			t.Fatal(err)
		}
		back, err := s.ClaimBatches(ctx, now.Add(time.Minute), time.Second, time.Minute, 50, 0)
		if err != nil || len(back) != 19 {
			t.Fatalf("after the leases: %d back, %v", len(back), err)
		}
		for _, b := range back {
			if claimedBy[b.ID] != 1 || b.ID == first {
				t.Errorf("message %d came back changed (or sent)", b.ID)
			}
		}
		s.BatchRetry(ctx, back[0].ID, now.Add(time.Hour), "429")
		s.BatchFailed(ctx, back[1].ID, "closed DMs")
		counts, err := s.DeliveryCounts(ctx)
		if err != nil || counts["sent"] != 2 || counts["failed"] != 2 || counts["sending"] != 36 {
			t.Errorf("counts %v %v", counts, err)
		}
	})
}

// TestTraceIsOneGuildsOwn: a moderator's "why" sees the guild's own
// sources and notices only.
func TestTraceIsOneGuildsOwn(t *testing.T) {
	eachOpenStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		src := &domain.Source{GuildID: "G", URL: "https://g.example/feed.xml", Kind: domain.FeedSource, AddedAt: t0, Feed: &domain.Feed{Interval: time.Hour}}
		if err := s.AddSource(ctx, src); err != nil {
			t.Fatal(err)
		}
		u := "https://g.example/story"
		err := s.Write(ctx, func(tx *Tx) error {
			r, err := tx.SaveArticle(&article.Article{URL: u, Title: "t", FirstSeen: t0}, "G", src.ID)
			if err != nil {
				return err
			}
			if _, err := tx.Enqueue([]domain.Delivery{{GuildID: "G", Target: domain.DMTarget("u1"), ArticleID: r.ID, Story: "s", Reason: domain.Reason{Kind: domain.BySubscription, ID: 1}}}, t0); err != nil {
				return err
			}
			return tx.MarkFeedItem(src.ID, "k", r.ID, t0)
		})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := s.TraceURL(ctx, "G", u)
		if err != nil || tr.Article == nil || len(tr.Sources) != 1 || tr.Sources[0].Source.ID != src.ID || len(tr.Notices) != 1 || tr.Notices[0].State != domain.Pending {
			t.Errorf("G's trace: %+v %v", tr, err)
		}
		other, err := s.TraceURL(ctx, "H", u)
		if err != nil || other.Article != nil || len(other.Sources) != 0 || len(other.Notices) != 0 {
			t.Errorf("H's trace shows G's records: %+v %v", other, err)
		}
	})
}

// TestFeedPollsAreClaimedOnce: processes sharing a store (two handles
// here, eight claimers) each list the due feeds and claim them; every feed
// is claimed exactly once. A claim whose holder died runs out and the feed
// is claimed again; a claim given back is due again at once.
func TestFeedPollsAreClaimedOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		stores := []*Store{b.mustOpen(t), b.mustOpen(t)}
		var feeds []*domain.Source
		for i := 0; i < 20; i++ {
			src := &domain.Source{GuildID: fmt.Sprint("G", i%4), URL: fmt.Sprintf("https://f.example/%d.xml", i), Kind: domain.FeedSource, AddedAt: t0,
				Feed: &domain.Feed{Interval: time.Hour, NextPoll: t0}}
			if err := stores[0].AddSource(ctx, src); err != nil {
				t.Fatal(err)
			}
			feeds = append(feeds, src)
		}
		now, until := t0.Add(time.Minute), t0.Add(3*time.Minute)
		var mu sync.Mutex
		won := map[int64]int{}
		var wg sync.WaitGroup
		for c := 0; c < 8; c++ {
			wg.Add(1)
			go func(s *Store) {
				defer wg.Done()
				due, err := s.DueFeeds(ctx, now, 20, 100)
				if err != nil {
					t.Error(err)
					return
				}
				for _, src := range due {
					ok, err := s.ClaimFeed(ctx, src.ID, now, until)
					if err != nil {
						t.Error(err)
					}
					if ok {
						mu.Lock()
						won[src.ID]++
						mu.Unlock()
					}
				}
			}(stores[c%2])
		}
		wg.Wait()
		for _, f := range feeds {
			if won[f.ID] != 1 {
				t.Errorf("feed %d claimed %d times, want once", f.ID, won[f.ID])
			}
		}
		if due, _ := stores[1].DueFeeds(ctx, now, 20, 100); len(due) != 0 {
			t.Errorf("%d feeds still due while claimed", len(due))
		}
		// The holder of feeds[0] died: after its claim runs out, another
		// process takes it.
		if ok, _ := stores[1].ClaimFeed(ctx, feeds[0].ID, until.Add(-time.Second), until.Add(time.Hour)); ok {
			t.Error("a claim was taken before it ran out")
		}
		if ok, err := stores[1].ClaimFeed(ctx, feeds[0].ID, until, until.Add(time.Hour)); !ok || err != nil {
			t.Errorf("a claim that ran out was not taken over: %v", err)
		}
		// feeds[1]'s holder stopped without polling: it gives the poll back.
		if err := stores[0].ReleaseFeed(ctx, feeds[1].ID, until, t0); err != nil {
			t.Fatal(err)
		}
		if due, _ := stores[1].DueFeeds(ctx, now, 20, 100); len(due) != 1 || due[0].ID != feeds[1].ID {
			t.Errorf("after giving back, due = %d feeds, want feed %d", len(due), feeds[1].ID)
		}
	})
}

// TestBrokenTextIsStoredAlike: a title and a text holding invalid UTF-8
// (a character cut in two) and a NUL, which PostgreSQL refuses and SQLite
// keeps, are stored by both, repaired the same way.
func TestBrokenTextIsStoredAlike(t *testing.T) {
	eachOpenStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := &article.Article{URL: "https://news.example/broken", Title: "Caf\xc3 news\x00", Text: "A \xb7 body.", Summary: "ok", FirstSeen: t0}
		r, err := s.SaveArticle(ctx, a, "G1", 0)
		if err != nil {
			t.Fatalf("saving broken text: %v", err)
		}
		got, err := s.Articles(ctx, []int64{r.ID})
		if err != nil || len(got) != 1 {
			t.Fatalf("Articles: %v %v", got, err)
		}
		full, err := s.ArticleByURL(ctx, a.URL)
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Title != "Caf\uFFFD news" || full.Text != "A \uFFFD body." {
			t.Errorf("read back %q and %q", got[0].Title, full.Text)
		}
	})
}

// TestEventsAreClaimedOnce: eight processes (two handles, eight
// claimers) handed the same forty interactions run each once; claims
// older than twenty minutes are forgotten.
func TestEventsAreClaimedOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		stores := []*Store{b.mustOpen(t), b.mustOpen(t)}
		var mu sync.Mutex
		won := map[string]int{}
		var wg sync.WaitGroup
		for c := 0; c < 8; c++ {
			wg.Add(1)
			go func(s *Store) {
				defer wg.Done()
				for i := 0; i < 40; i++ {
					id := fmt.Sprint("1000000000000", i)
					ok, err := s.ClaimEvent(ctx, id, t0, 0)
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						mu.Lock()
						won[id]++
						mu.Unlock()
					}
				}
			}(stores[c%2])
		}
		wg.Wait()
		for i := 0; i < 40; i++ {
			if n := won[fmt.Sprint("1000000000000", i)]; n != 1 {
				t.Errorf("interaction %d run %d times, want once", i, n)
			}
		}
		// A hundred later claims forget the old ones.
		later := t0.Add(time.Hour)
		for i := 0; i < 100; i++ {
			if _, err := stores[0].ClaimEvent(ctx, fmt.Sprint("2000000000000", i), later, 0); err != nil {
				t.Fatal(err)
			}
		}
		var kept int
		if err := stores[0].db.QueryRowContext(ctx, "SELECT COUNT(*) FROM claims WHERE seen_at < ?", timeText(later)).Scan(&kept); err != nil {
			t.Fatal(err)
		}
		if kept != 0 {
			t.Errorf("%d claims older than twenty minutes were kept", kept)
		}
	})
}

// TestCommandClaimsRunOut: a command claimed with a lease is taken by no
// one else while the lease holds, by exactly one of eight claimers once
// it has run out with no answer (its process died), and by no one once
// answered; an interaction's claim (no lease) is never taken again.
func TestCommandClaimsRunOut(t *testing.T) {
	eachStore(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		stores := []*Store{b.mustOpen(t), b.mustOpen(t)}
		const lease = 10 * time.Second
		claim := func(s *Store, id string, at time.Time, lease time.Duration) bool {
			t.Helper()
			ok, err := s.ClaimEvent(ctx, id, at, lease)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !claim(stores[0], "3000000000001", t0, lease) {
			t.Fatal("a new command was not claimed")
		}
		if claim(stores[1], "3000000000001", t0.Add(lease-time.Second), lease) {
			t.Error("a command was claimed again while its lease held")
		}
		// Its claimer died: after the lease, one of eight takers answers it.
		won := eightClaimers(stores, func(s *Store, _ int) int {
			ok, err := s.ClaimEvent(ctx, "3000000000001", t0.Add(lease+time.Second), lease)
			if err != nil {
				t.Error(err)
			}
			if ok {
				return 1
			}
			return 0
		})
		if won != 1 {
			t.Errorf("a command whose claim ran out was taken by %d claimers, want 1", won)
		}
		if err := stores[1].EventAnswered(ctx, "3000000000001"); err != nil {
			t.Fatal(err)
		}
		if claim(stores[0], "3000000000001", t0.Add(time.Hour), lease) {
			t.Error("an answered command was claimed again")
		}
		if !claim(stores[0], "3000000000002", t0, 0) || claim(stores[1], "3000000000002", t0.Add(time.Hour), lease) {
			t.Error("an interaction's claim, made for good, was taken again")
		}
	})
}

// TestShardPeersCountWhatEachHolds: two processes taking part, one
// holding three shards (one of them past its lease), are counted with
// what they hold; one whose presence ran out is forgotten, and so is one
// that left.
func TestShardPeersCountWhatEachHolds(t *testing.T) {
	eachOpenStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for i, until := range []time.Time{t0.Add(time.Minute), t0.Add(time.Minute), t0.Add(-time.Second)} {
			if ok, _, err := s.ClaimShard(ctx, i, 4, "a", t0.Add(-time.Minute), until); err != nil || !ok {
				t.Fatalf("claim %d: %v %v", i, ok, err)
			}
		}
		if _, err := s.ShardPeers(ctx, "b", t0, t0.Add(10*time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ShardPeers(ctx, "gone", t0.Add(-time.Minute), t0.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		peers, err := s.ShardPeers(ctx, "a", t0, t0.Add(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if len(peers) != 2 || peers["a"] != 2 || peers["b"] != 0 {
			t.Errorf("peers %v, want a holding 2 (one lease ran out) and b none; gone forgotten", peers)
		}
		if _, err := s.ShardPeers(ctx, "b", t0, t0); err != nil {
			t.Fatal(err)
		}
		if peers, _ := s.ShardPeers(ctx, "a", t0, t0.Add(10*time.Second)); len(peers) != 1 {
			t.Errorf("peers %v after b left, want a alone", peers)
		}
	})
}

// TestShardsAreLeasedOnce: eight claimers (two processes' handles) asking
// for four shards get each once; the holder renews, records its session
// and keeps the shard; after its lease runs out another process takes it,
// with the session to resume, and the old holder can no longer renew; a
// shard given back is taken at once, its session with it.
func TestShardsAreLeasedOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		stores := []*Store{b.mustOpen(t), b.mustOpen(t)}
		until := t0.Add(30 * time.Second)
		var mu sync.Mutex
		held := map[int][]string{}
		var wg sync.WaitGroup
		for c := 0; c < 8; c++ {
			wg.Add(1)
			go func(s *Store, holder string) {
				defer wg.Done()
				for shard := 0; shard < 4; shard++ {
					ok, _, err := s.ClaimShard(ctx, shard, 4, holder, t0, until)
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						mu.Lock()
						held[shard] = append(held[shard], holder)
						mu.Unlock()
					}
				}
			}(stores[c%2], fmt.Sprint("p", c))
		}
		wg.Wait()
		for shard := 0; shard < 4; shard++ {
			if len(held[shard]) != 1 {
				t.Fatalf("shard %d held by %v, want one holder", shard, held[shard])
			}
		}
		owner := held[0][0]
		sess := ShardSession{SessionID: "abc", Seq: 42, ResumeURL: "wss://resume.example"}
		if ok, err := stores[0].RenewShard(ctx, 0, owner, t0.Add(time.Minute), sess); !ok || err != nil {
			t.Fatalf("the holder could not renew: %v", err)
		}
		if ok, _, _ := stores[1].ClaimShard(ctx, 0, 4, "taker", until, until.Add(30*time.Second)); ok {
			t.Error("a renewed lease was taken before it ran out")
		}
		if ok, _, err := stores[0].ClaimShard(ctx, 0, 4, owner, t0.Add(time.Second), t0.Add(time.Minute)); !ok || err != nil {
			t.Errorf("the holder could not claim its own shard again: %v", err)
		}
		if hs, err := stores[1].ShardHolders(ctx, t0); err != nil || len(hs) != 4 || hs[0] != owner {
			t.Errorf("ShardHolders = %v, %v", hs, err)
		}
		// The holder died: after its lease, another process takes the
		// shard with its session, and the old holder has lost it.
		ok, got, err := stores[1].ClaimShard(ctx, 0, 4, "taker", t0.Add(time.Minute), t0.Add(90*time.Second))
		if !ok || err != nil || got != sess {
			t.Fatalf("taking over a dead holder's shard: %v %+v %v", ok, got, err)
		}
		if ok, err := stores[0].RenewShard(ctx, 0, owner, t0.Add(2*time.Minute), ShardSession{}); ok || err != nil {
			t.Errorf("the old holder renewed a shard taken over: %v %v", ok, err)
		}
		// A shard given back is free at once, with its session; one
		// given back by a process that does not hold it stays held.
		if err := stores[0].ReleaseShard(ctx, 0, owner, t0.Add(61*time.Second)); err != nil {
			t.Fatal(err)
		}
		if ok, _, _ := stores[0].ClaimShard(ctx, 0, 4, "third", t0.Add(61*time.Second), t0.Add(91*time.Second)); ok {
			t.Error("a shard was given back by a process that did not hold it")
		}
		if err := stores[1].ReleaseShard(ctx, 0, "taker", t0.Add(61*time.Second)); err != nil {
			t.Fatal(err)
		}
		ok, got, err = stores[0].ClaimShard(ctx, 0, 4, "third", t0.Add(61*time.Second), t0.Add(91*time.Second))
		if !ok || err != nil || got != sess {
			t.Errorf("after release: %v %+v %v", ok, got, err)
		}
		// A session of another shard count is not resumed.
		if _, err := stores[0].RenewShard(ctx, 0, "third", t0.Add(91*time.Second), sess); err != nil {
			t.Fatal(err)
		}
		ok, got, err = stores[1].ClaimShard(ctx, 0, 8, "fourth", t0.Add(2*time.Minute), t0.Add(3*time.Minute))
		if !ok || err != nil || got.SessionID != "" {
			t.Errorf("a session of 4 shards offered to a process of 8: %v %+v %v", ok, got, err)
		}
	})
}

// TestIdentifiesAreSpacedAndCounted: of eight processes asking to
// identify shards of one bucket at once, one is given the turn and the
// rest told when to ask again; another bucket is not held up; five
// seconds later the bucket is free again; each identify is counted
// against the session start limit, and once no more than the reserve is
// left no one identifies until it resets.
func TestIdentifiesAreSpacedAndCounted(t *testing.T) {
	eachStore(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		stores := []*Store{b.mustOpen(t), b.mustOpen(t)}
		reset := t0.Add(time.Hour)
		if err := stores[0].SetSessionStartLimit(ctx, SessionStartLimit{Total: 1000, Remaining: 4, ResetAt: reset}); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var turns []IdentifyTurn
		var wg sync.WaitGroup
		for c := 0; c < 8; c++ {
			wg.Add(1)
			go func(s *Store) {
				defer wg.Done()
				turn, err := s.ClaimIdentify(ctx, 0, t0, 1)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				turns = append(turns, turn)
				mu.Unlock()
			}(stores[c%2])
		}
		wg.Wait()
		given := 0
		for _, turn := range turns {
			switch {
			case turn.OK:
				given++
				if turn.Remaining != 3 {
					t.Errorf("remaining after the first identify: %d, want 3", turn.Remaining)
				}
			case turn.Why != "spacing" || !turn.Retry.Equal(t0.Add(IdentifySpacing)):
				t.Errorf("a refused turn: %+v, want spacing until %v", turn, t0.Add(IdentifySpacing))
			}
		}
		if given != 1 {
			t.Fatalf("%d identifies of one bucket given at once, want 1", given)
		}
		if turn, err := stores[1].ClaimIdentify(ctx, 1, t0, 1); !turn.OK || err != nil || turn.Remaining != 2 {
			t.Errorf("another bucket was held up: %+v %v", turn, err)
		}
		if turn, _ := stores[1].ClaimIdentify(ctx, 0, t0.Add(IdentifySpacing-time.Millisecond), 1); turn.OK {
			t.Error("an identify given before the spacing had passed")
		}
		if turn, err := stores[1].ClaimIdentify(ctx, 0, t0.Add(IdentifySpacing), 1); !turn.OK || err != nil || turn.Remaining != 1 {
			t.Errorf("after the spacing: %+v %v", turn, err)
		}
		// One left, the reserve: no identify until the reset.
		later := t0.Add(time.Minute)
		turn, err := stores[0].ClaimIdentify(ctx, 0, later, 1)
		if turn.OK || err != nil || turn.Why != "session_start_limit" || !turn.Retry.Equal(reset) || turn.Remaining != 1 {
			t.Errorf("at the reserve: %+v %v", turn, err)
		}
		if turn, err := stores[0].ClaimIdentify(ctx, 0, reset, 1); !turn.OK || err != nil || turn.Remaining != 999 {
			t.Errorf("after the reset: %+v %v", turn, err)
		}
	})
}

// eightClaimers runs claim in eight goroutines at once, taking turns
// between the stores (processes), and adds up what they claimed.
func eightClaimers(stores []*Store, claim func(s *Store, c int) int) int {
	var total atomic.Int32
	var wg sync.WaitGroup
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			total.Add(int32(claim(stores[c%len(stores)], c)))
		}()
	}
	wg.Wait()
	return int(total.Load())
}
