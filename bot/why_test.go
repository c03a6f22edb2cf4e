package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disputebot/disputebot/bot"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/feed"
	"github.com/disputebot/disputebot/internal/library"
	"github.com/disputebot/disputebot/internal/notify"
)

// articlePage is a small news page: a headline, a date in its metadata and
// paragraphs enough for readability to take it for an article.
func articlePage(title string, date time.Time, paras ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<!doctype html><html><head><title>%s</title><meta property="article:published_time" content="%s"></head><body><article><h1>%s</h1>`,
		title, date.Format(time.RFC3339), title)
	for _, p := range paras {
		fmt.Fprintf(&b, "<p>%s</p>", p)
	}
	b.WriteString("</article></body></html>")
	return b.String()
}

// recorder is a notice Sender that keeps what it was given.
type recorder struct {
	mu   sync.Mutex
	sent []notify.Notice
}

func (r *recorder) Send(_ context.Context, n notify.Notice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, n)
	return nil
}

// TestWhyExplainsEachOutcome follows a feed through the real poller and
// delivery queue, then asks why of each of its items: the one posted, the
// one from before the feed was added, the one that is no dispute, the one
// whose page could not be read, and an address never seen. Another
// guild's moderator learns nothing of this guild's feed.
func TestWhyExplainsEachOutcome(t *testing.T) {
	b, lib := newBot(t)
	ctx := context.Background()
	now := time.Now().UTC()
	old := time.Date(2023, 1, 2, 10, 0, 0, 0, time.UTC)
	recent := now.Add(-time.Hour)
	pages := map[string]string{
		"/old": articlePage("Microsoft sues Elon Musk over Twitter ad data", old,
			"Microsoft filed a lawsuit against Elon Musk on Monday, accusing him of breaching a data licensing agreement with Twitter.",
			"The complaint, filed in federal court, asks for damages and an injunction. Musk called the lawsuit baseless and said he would countersue."),
		"/new": articlePage("Elon Musk threatens to sue Microsoft over Twitter data", recent,
			"Elon Musk said on Wednesday he would sue Microsoft, accusing the company of training on Twitter data illegally.",
			"Microsoft declined to comment on the threatened lawsuit. Lawyers said a suit over API terms would turn on the developer agreement."),
		"/review": articlePage("Microsoft's new Surface laptop, reviewed", recent,
			"Microsoft's new Surface laptop is thinner and lighter than last year's model, with a brighter screen and a better keyboard.",
			"Battery life reached eleven hours in our tests. The speakers are loud and clear, and the webcam is sharp in low light."),
	}
	var items []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/feed.xml" {
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Example Tech</title>%s</channel></rss>`, strings.Join(items, ""))
			return
		}
		page, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, page)
	}))
	defer srv.Close()
	item := func(path string, date time.Time) string {
		title := "Story at " + path
		if path == "/lost" {
			title = "" // nothing to fall back on when the page is gone
		}
		return fmt.Sprintf(`<item><title>%s</title><link>%s%s</link><pubDate>%s</pubDate></item>`, title, srv.URL, path, date.Format(time.RFC1123Z))
	}

	if r := ask(b, guildA, member, false, "subscribe musk microsoft"); r.Color != bot.Good {
		t.Fatalf("subscribe: %q", r.Body)
	}
	items = []string{item("/old", old)}
	lib.Sources.Now = func() time.Time { return recent.Add(-time.Hour) } // the feed is added before the new items
	if r := ask(b, guildA, modUser, true, "feed add "+srv.URL+"/feed.xml <#"+chanA+">"); r.Color != bot.Good {
		t.Fatalf("feed add: %q", r.Body)
	}
	lib.Sources.Now = nil
	items = append(items, item("/new", recent), item("/review", recent), item("/gone", recent), item("/lost", recent))
	poller := &feed.Poller{Store: lib.Store, Pipeline: lib.Pipeline, Fetch: lib.Pipeline.Fetch, Notifier: lib.Notifier, Log: lib.Log}
	poll(t, poller, lib)
	items = append(items, item("/old", old)) // listed again: still history
	poll(t, poller, lib)
	sender := &recorder{}
	d := &notify.Deliverer{Store: lib.Store, Sender: sender, Log: lib.Log}
	if err := d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(sender.sent) != 2 {
		t.Fatalf("%d notices sent, want 2 (the channel and the subscriber's DM)", len(sender.sent))
	}

	for _, tc := range []struct {
		name, guild, addr string
		want, not         []string
	}{
		{"posted and sent", guildA, srv.URL + "/new?utm_source=x",
			[]string{"Feed #1 (Example Tech) carried it", "Parties: Microsoft, Elon Musk", "Posted in <#" + chanA + ">", "Sent by DM to 1 member whose"},
			[]string{"No subscription", "before feed"}},
		{"older than the feed", guildA, srv.URL + "/old",
			[]string{"dated 2023-01-02, before feed #1 was added", "without announcing it"},
			[]string{"Posted in", "No subscription", "Sent by DM"}},
		{"no dispute", guildA, srv.URL + "/review",
			[]string{"Parties: Microsoft.", "below the 0.30 needed", "No subscription in this server matched it"},
			[]string{"Posted in"}},
		{"page not read, the feed item kept", guildA, srv.URL + "/gone",
			[]string{"Feed #1 (Example Tech) carried it", "could not read the page itself", "names no party I know"},
			[]string{"Posted in"}},
		{"page not read, nothing kept", guildA, srv.URL + "/lost",
			[]string{"Feed #1 listed it", "could not read the page", "source add " + srv.URL + "/lost"},
			nil},
		{"never seen", guildA, "https://news.example.com/unknown",
			[]string{"I have not read that address for this server", "next checks: #1"},
			nil},
		{"another guild learns nothing", guildB, srv.URL + "/new",
			[]string{"I have not read that address for this server", "follows no feeds"},
			[]string{"Feed #1", "Example Tech", "Posted", "DM"}},
		{"built-in corpus", guildA, seedLink,
			[]string{"built-in corpus", "never announced", "Parties: "},
			[]string{"No subscription"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ask(b, tc.guild, modUser, true, "why "+tc.addr)
			got := allText(r)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in:\n%s", w, got)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(got, w) {
					t.Errorf("unexpected %q in:\n%s", w, got)
				}
			}
		})
	}
	if r := ask(b, guildA, modUser, true, "why not-a-url"); r.Color != bot.Warn {
		t.Errorf("why not-a-url: %q", r.Body)
	}
}

// poll runs one poll of every feed, due or not.
func poll(t *testing.T, p *feed.Poller, lib *library.Library) {
	t.Helper()
	feeds, err := lib.Store.Sources(context.Background(), guildA, domain.FeedSource)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range feeds {
		p.Poll(context.Background(), f)
	}
}
