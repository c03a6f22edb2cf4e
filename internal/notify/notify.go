package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/disputebot/disputebot/internal/article"
	"github.com/disputebot/disputebot/internal/domain"
)

// MinDisputeScore is the dispute score an article needs to be posted in a
// feed's channel: a court report scores well above it, a product review
// that mentions a lawsuit below.
const MinDisputeScore = 0.3

// IsDispute says whether an article is worth posting to a feed's channel:
// it names a party and reads as a dispute.
func IsDispute(a *article.Article) bool {
	return len(a.Parties) > 0 && a.DisputeScore >= MinDisputeScore
}

// Notifier queues notices for new articles.
type Notifier struct {
	Store   Enqueuer
	Matcher *Matcher
	// Shared, when set, is the store other processes add subscriptions
	// to: the matcher reads them again when they changed (see Refresh).
	Shared  SubscriptionSource
	version string
	Now     func() time.Time
	wake    chan struct{}
	once    sync.Once
	mu      sync.Mutex // one Refresh at a time
}

func (n *Notifier) now() time.Time {
	if n.Now != nil {
		return n.Now().UTC()
	}
	return time.Now().UTC()
}

// SubscriptionSource is where every process's subscriptions are.
type SubscriptionSource interface {
	SubscriptionsVersion(ctx context.Context) (string, error)
	AllSubscriptions(ctx context.Context) ([]*domain.Subscription, error)
}

// Refresh brings the matcher up to date with the subscriptions other
// processes sharing the store added or removed (a member subscribes
// through whichever process holds their server's shard; the article may
// be read by any other). It costs one small query when nothing changed.
// Without Shared it does nothing.
func (n *Notifier) Refresh(ctx context.Context) error {
	if n.Shared == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	v, err := n.Shared.SubscriptionsVersion(ctx)
	if err != nil || v == n.version {
		return err
	}
	subs, err := n.Shared.AllSubscriptions(ctx)
	if err != nil {
		return err
	}
	n.Matcher.Replace(subs)
	n.version = v
	return nil
}

// Wake is signalled when notices are queued.
func (n *Notifier) Wake() <-chan struct{} {
	n.once.Do(func() { n.wake = make(chan struct{}, 1) })
	return n.wake
}

// Announce queues notices for an article that has just reached scope (a
// guild, or the global scope, which every guild sees): see Deliveries.
// Queuing the same article or story for a target twice does nothing, so
// Announce may be repeated after a crash.
func (n *Notifier) Announce(ctx context.Context, a *article.Article, scope string, feed *domain.Source) (int, error) {
	if err := n.Refresh(ctx); err != nil {
		return 0, err
	}
	ds := n.Deliveries(a, scope, feed)
	if len(ds) == 0 {
		return 0, nil
	}
	k, err := n.Store.Enqueue(ctx, ds, n.now())
	if err != nil {
		return 0, err
	}
	if k > 0 {
		n.Signal()
	}
	return k, nil
}

// Deliveries are the notices an article that has just reached scope
// calls for: one per matching subscription's target in that scope and,
// when feed has a channel and the article is a dispute, one for that
// channel. A guild's article (its own version of a page, or a page its
// source brought) only ever notifies that guild.
func (n *Notifier) Deliveries(a *article.Article, scope string, feed *domain.Source) []domain.Delivery {
	inGuild := func(g string) bool { return scope == article.GlobalScope || g == scope }
	story := domain.StoryKey(a)
	var ds []domain.Delivery
	for _, s := range n.Matcher.Match(a, inGuild) {
		ds = append(ds, domain.Delivery{GuildID: s.GuildID, Target: s.Target(), ArticleID: a.ID, Story: story, Reason: domain.Reason{Kind: domain.BySubscription, ID: s.ID}})
	}
	if feed != nil && feed.Feed != nil && feed.Feed.ChannelID != "" && IsDispute(a) {
		ds = append(ds, domain.Delivery{GuildID: feed.GuildID, Target: domain.ChannelTarget(feed.Feed.ChannelID), ArticleID: a.ID, Story: story, Reason: domain.Reason{Kind: domain.ByFeed, ID: feed.ID}})
	}
	return ds
}

// Signal wakes the deliverer: notices were queued (by Announce, or by a
// caller's own unit of work).
func (n *Notifier) Signal() {
	n.Wake()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Notice is one message to send.
type Notice struct {
	Target   domain.Target
	Nonce    string // the same for every attempt at this message
	Articles []*article.Article
}

// ErrUndeliverable marks a failure retrying cannot mend: the member closed
// their DMs, the channel is gone, the bot may not post there.
var ErrUndeliverable = errors.New("notify: undeliverable")

// RetryAfter is a failure to retry no sooner than After (a rate limit).
type RetryAfter struct {
	After time.Duration
	Err   error
}

func (e *RetryAfter) Error() string { return fmt.Sprintf("retry after %s: %v", e.After, e.Err) }
func (e *RetryAfter) Unwrap() error { return e.Err }

// Sender sends notices; the Discord adapter implements it.
type Sender interface {
	Send(ctx context.Context, n Notice) error
}

// Queue is the delivery queue in the store: messages claimed under a
// lease, each then sent, retried or given up.
type Queue interface {
	ClaimBatches(ctx context.Context, now time.Time, settle, lease time.Duration, limit, perSecond int) ([]*domain.Batch, error)
	BatchSent(ctx context.Context, id int64, at time.Time) error
	BatchRetry(ctx context.Context, id int64, next time.Time, reason string) error
	BatchFailed(ctx context.Context, id int64, reason string) error
}

// Enqueuer adds notices to the queue.
type Enqueuer interface {
	Enqueue(ctx context.Context, ds []domain.Delivery, now time.Time) (int, error)
}

// Deliverer drains the queue.
type Deliverer struct {
	Store  Queue
	Sender Sender
	Log    *slog.Logger
	Now    func() time.Time
	Wake   <-chan struct{}
	// Settle is how long a new notice waits for others to the same target,
	// so that a burst goes out as one digest.
	Settle time.Duration
	Poll   time.Duration // how often to look at the queue when not woken
	// Lease is how long a message being sent is kept from other senders
	// (DefaultLease when zero): one whose sender dies mid-send goes out
	// again, with the same nonce, once its lease runs out.
	Lease       time.Duration
	MaxAttempts int
	// PerSecond is how many messages every sender sharing the store may
	// send in a second, together; zero is no limit. What is left over
	// waits for the next poll.
	PerSecond int
	// Sent and Failed count messages, for metrics; nil is fine.
	Sent, Failed func()
	// Panicked counts panics recovered while delivering; nil is fine.
	Panicked func()
}

// DefaultLease is a Deliverer's Lease when none is set: longer than a
// send with its retries takes.
const DefaultLease = time.Minute

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now().UTC()
	}
	return time.Now().UTC()
}

// Run delivers until ctx ends.
func (d *Deliverer) Run(ctx context.Context) {
	poll := d.Poll
	if poll == 0 {
		poll = time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if err := d.Flush(ctx); err != nil && ctx.Err() == nil {
			d.Log.Error("delivering notices", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.Wake:
			// Let the burst settle before looking.
			select {
			case <-ctx.Done():
				return
			case <-time.After(d.Settle):
			}
		}
	}
}

// claimLimit is how many messages a sender claims at a time: few enough
// that other processes share a burst, and that a sender's death delays
// few messages by a lease.
const claimLimit = 50

// Flush sends every message due now, claiming them claimLimit at a time
// until the queue holds no more (a burst of notices must not wait a poll
// for each fifty), or until the senders' budget for the second is spent.
func (d *Deliverer) Flush(ctx context.Context) error {
	lease := d.Lease
	if lease == 0 {
		lease = DefaultLease
	}
	for {
		batches, err := d.Store.ClaimBatches(ctx, d.now(), d.Settle, lease, claimLimit, d.PerSecond)
		if err != nil {
			return err
		}
		for _, b := range batches {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			d.deliverSafely(ctx, b)
		}
		if len(batches) < claimLimit {
			return nil
		}
	}
}

// deliverSafely is deliver under a recover: a panic while sending one
// message (a sender's bug, an article no one foresaw) is logged and
// counted, and that message is tried again later like any failure, up to
// its attempts, rather than ending the process or being resent at once.
func (d *Deliverer) deliverSafely(ctx context.Context, b *domain.Batch) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		d.Log.Error("recovered from a panic", "where", "deliverer", "batch", b.ID, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		if d.Panicked != nil {
			d.Panicked()
		}
		if b.Attempts+1 >= d.maxAttempts() {
			_ = d.Store.BatchFailed(ctx, b.ID, "sending it failed on our side")
			return
		}
		_ = d.Store.BatchRetry(ctx, b.ID, d.now().Add(backoff(b.Attempts)), "sending it failed on our side")
	}()
	d.deliver(ctx, b)
}

func (d *Deliverer) maxAttempts() int {
	if d.MaxAttempts == 0 {
		return 8
	}
	return d.MaxAttempts
}

func (d *Deliverer) deliver(ctx context.Context, b *domain.Batch) {
	if len(b.Articles) == 0 {
		_ = d.Store.BatchFailed(ctx, b.ID, "its articles are gone")
		return
	}
	err := d.Sender.Send(ctx, Notice{Target: b.Target, Nonce: "dbn" + strconv.FormatInt(b.ID, 10), Articles: b.Articles})
	var ra *RetryAfter
	max := d.maxAttempts()
	switch {
	case err == nil:
		if err := d.Store.BatchSent(ctx, b.ID, d.now()); err != nil {
			d.Log.Error("recording a sent notice", "batch", b.ID, "error", err)
		}
		if d.Sent != nil {
			d.Sent()
		}
	case errors.Is(err, ErrUndeliverable):
		d.Log.Info("notice undeliverable", "batch", b.ID, "target", b.Target, "error", err)
		_ = d.Store.BatchFailed(ctx, b.ID, err.Error())
		if d.Failed != nil {
			d.Failed()
		}
	case b.Attempts+1 >= max:
		d.Log.Warn("notice given up", "batch", b.ID, "target", b.Target, "attempts", b.Attempts+1, "error", err)
		_ = d.Store.BatchFailed(ctx, b.ID, err.Error())
		if d.Failed != nil {
			d.Failed()
		}
	default:
		wait := backoff(b.Attempts)
		if errors.As(err, &ra) && ra.After > wait {
			wait = ra.After
		}
		d.Log.Info("notice will be retried", "batch", b.ID, "in", wait, "error", err)
		_ = d.Store.BatchRetry(ctx, b.ID, d.now().Add(wait), err.Error())
	}
}

// backoff doubles from 5 s up to 30 min, with a little jitter so that many
// failed notices do not retry in step.
func backoff(attempts int) time.Duration {
	d := 5 * time.Second << min(attempts, 9)
	if d > 30*time.Minute {
		d = 30 * time.Minute
	}
	return d + time.Duration(rand.Int64N(int64(d/10)+1))
}
