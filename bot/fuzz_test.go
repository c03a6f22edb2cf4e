package bot_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/disputebot/disputebot/bot"
	"github.com/disputebot/disputebot/internal/fetch"
)

// FuzzHandle runs arbitrary command text, as a member and as a moderator,
// through the whole router: no panic, and no reply that leaks an internal
// error, a file path or an over-long text. Names never resolve and nothing
// is dialled, so no fuzz input reaches the network.
func FuzzHandle(f *testing.F) {
	for _, s := range []string{"dispute musk microsoft", "dispute", "search blood oxygen", "source add https://example.com/a", "feed add http://127.0.0.1/ <#200000000000000001> every 1s",
		"alias add x = elon musk", "subscribe epic apple in <#1>", "unsubscribe all", "help", "disputes", "feeds", "sources", "dispute \u202e@everyone **x**", "source remove 99999999999999999999"} {
		f.Add(s, true)
	}
	b, _ := newBotWith(f, fetch.Options{Timeout: time.Second, MaxBytes: 1 << 16,
		LookupIP: func(context.Context, string) ([]netip.Addr, error) { return nil, errors.New("no DNS in fuzzing") },
		Dial: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("no network in fuzzing")
		}})
	f.Fuzz(func(t *testing.T, text string, mod bool) {
		r := b.Handle(context.Background(), bot.Request{GuildID: guildA, ChannelID: chanA, UserID: member, IsModerator: mod, Text: text, Addressed: true})
		all := allText(r)
		for _, leak := range []string{"store:", "index:", "fetch:", "ingest:", "sqlite", "bleve", "goroutine", "/tmp/", ".go:"} {
			if strings.Contains(all, leak) {
				t.Fatalf("reply to %q leaks %q: %s", text, leak, all)
			}
		}
		if utf8.RuneCountInString(r.Body) > 4096 || utf8.RuneCountInString(r.Title) > 256 {
			t.Fatalf("reply to %q is over Discord's limits", text)
		}
	})
}
