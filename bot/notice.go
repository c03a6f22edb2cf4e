package bot

import (
	"fmt"
	"strings"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
	"github.com/disputebot/disputebot/internal/notify"
	"github.com/disputebot/disputebot/internal/summarise"
)

// NoticeReply renders a notice: one article as itself, several as a digest.
func NoticeReply(n notify.Notice, prefix string) Reply {
	footer := "You subscribed to this; " + prefix + "subscriptions lists yours, " + prefix + "unsubscribe stops one."
	if n.Target.Channel {
		footer = "Posted for this channel's feed or subscription; moderators manage them with " + prefix + "feeds and " + prefix + "subscriptions."
	}
	if len(n.Articles) == 1 {
		a := n.Articles[0]
		return Reply{
			Title:  summarise.Truncate(a.Title, maxTitle),
			URL:    a.URL,
			Body:   summarise.Truncate(a.Summary, 1000),
			Items:  []Item{{Title: meta(a)}},
			Footer: footer,
			Color:  Good,
		}
	}
	rep := Reply{Title: fmt.Sprintf("%d new articles", len(n.Articles)), Footer: footer, Color: Good}
	for _, a := range n.Articles {
		rep.Items = append(rep.Items, Item{Title: summarise.Truncate(a.Title, maxTitle), URL: a.URL, Label: meta(a), Text: summarise.Truncate(a.Summary, maxEntrySummary)})
	}
	return rep
}

func meta(a *article.Article) string {
	parts := []string{}
	if a.Site != "" {
		parts = append(parts, summarise.Truncate(a.Site, 60))
	}
	if d := a.Date(); !d.IsZero() {
		parts = append(parts, d.UTC().Format(article.DateLayout))
	}
	if len(a.Parties) > 0 {
		parts = append(parts, strings.Join(a.Parties, ", "))
	}
	return strings.Join(parts, " · ")
}

// FeedFailureReply is the notice moderators get when a feed keeps failing.
func FeedFailureReply(src *domain.Source, reason, prefix string) Reply {
	return Reply{
		Title:  "A feed keeps failing",
		URL:    src.URL,
		Body:   fmt.Sprintf("Feed #%d (%s): %s", src.ID, src.URL, reason),
		Footer: "Moderators: " + prefix + "feeds shows its status; " + prefix + "feed remove " + fmt.Sprint(src.ID) + " stops it.",
		Color:  Bad,
	}
}
