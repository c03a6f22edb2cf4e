package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/disputebot/disputebot/bot"
	"github.com/disputebot/disputebot/bot/discord"
	"github.com/disputebot/disputebot/internal/config"
	"github.com/disputebot/disputebot/internal/feed"
	"github.com/disputebot/disputebot/internal/metrics"
	"github.com/disputebot/disputebot/internal/notify"
	"github.com/disputebot/disputebot/internal/picture"
	"github.com/disputebot/disputebot/internal/weblink"
)

// pictureCacheSize is how many timeline pictures serve keeps: at 25–45 kB
// each, 256 of them (more than the built-in disputes, with room for
// "since" answers and servers' own sources) cost about 10 MB.
const pictureCacheSize = 256

// cmdServe runs the Discord bot until SIGINT or SIGTERM: the gateway
// connection, the feed poller, the notice deliverer and, with METRICS_ADDR,
// the health and metrics endpoint; with INTERACTIONS_ADDR, the endpoint
// Discord POSTs interactions to. With --interactions-only it runs that
// endpoint alone, with no gateway, poller or deliverer, so that any number
// of such processes can answer behind a load balancer.
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var interactionsOnly bool
	rest, err := flags("serve", args, func(fs *flag.FlagSet) { fs.BoolVar(&interactionsOnly, "interactions-only", false, "") })
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{msg: "serve takes no arguments besides --interactions-only; it is configured by the environment"}
	}
	// The token is checked before anything slow (the corpus, the index).
	cfg, err := config.Load(".env", getenv)
	if err != nil {
		return err
	}
	if err := cfg.RequireDiscord(); err != nil {
		return err
	}
	if interactionsOnly && cfg.InteractionsAddr == "" {
		return errors.New("serve --interactions-only needs INTERACTIONS_ADDR (the address to answer Discord's interaction POSTs on) and DISCORD_PUBLIC_KEY")
	}
	lib, err := openFolder(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer closeLib(ctx, lib)
	log := lib.Log
	discord.RouteLogs(log)
	// Every series says which machine it came from; several processes on
	// one machine are told apart by Prometheus's own instance label.
	host, _ := os.Hostname()
	m := metrics.NewFor(host)
	m.Log = log

	notifier := lib.Notifier
	b := &bot.Bot{
		Engine: lib.Engine, Gazetteer: lib.Gazetteer, Store: lib.Store, Sources: lib.Sources, Subscriptions: lib.Subscriptions,
		Metrics: m, Log: log, Prefix: cfg.CommandPrefix, Timeout: cfg.CommandTimeout, Cooldown: cfg.CommandCooldown,
		Pictures: picture.NewCache(pictureCacheSize),
	}
	if cfg.PublicURL != "" {
		// Answers link to the pages at PUBLIC_URL, served by this process
		// (WEB_ADDR) or by disputebot web beside it.
		b.Links = &weblink.Links{Base: cfg.PublicURL, Secret: cfg.WebLinkSecret, TTL: cfg.WebLinkTTL}
		if cfg.WebLinkSecret == nil {
			log.Warn("WEB_LINK_SECRET is not set: the Full timeline links show the built-in corpus and public articles, not a server's own sources")
		}
	}
	// base is every shard's adapter's settings, and the REST-only
	// adapter's, which sends notices and answers the interactions
	// endpoint whichever shards this process holds.
	base := discord.Config{
		Token: cfg.DiscordToken, AppID: cfg.DiscordAppID, GuildID: cfg.DiscordGuildID, APIURL: cfg.DiscordAPIURL,
		Prefix: cfg.CommandPrefix, ModRoleIDs: cfg.ModRoleIDs, MessageContent: cfg.DiscordMessageContent, Log: log,
		Reconnected: func() { m.Add("disputebot_gateway_reconnects_total", 1) },
		Panicked:    func() { m.Panicked("discord") },
		PublicKey:   cfg.DiscordPublicKey,
		InteractionRefused: func(reason string) {
			m.Add("disputebot_interactions_refused_total", 1, "reason", reason)
		},
		// Claimed in the store, an event runs once across processes
		// sharing it, and across a restart of this one. A command's claim
		// lasts a third of a shard's lease: a shard whose process died
		// moves two thirds to all of its lease later (it renews every
		// third), and a command that process had claimed but not answered
		// is replayed to the taker after the claim has run out.
		ClaimEvent: func(ctx context.Context, id string, lease time.Duration) (bool, error) {
			return lib.Store.ClaimEvent(ctx, id, time.Now(), lease)
		},
		EventAnswered: lib.Store.EventAnswered,
		CommandLease:  cfg.ShardLease / 3,
	}
	adapter, err := discord.New(base, b)
	if err != nil {
		return err
	}
	gws := &gateways{rest: adapter, local: cfg.DatabaseURL == "", held: map[int]*discord.Adapter{}}
	b.Directory = gws
	poller := &feed.Poller{
		Store: lib.Store, Pipeline: lib.Pipeline, Fetch: lib.Pipeline.Fetch, Notifier: notifier, Log: log,
		Concurrency: cfg.FeedConcurrency, Notice: adapter.FeedFailure,
		Budget: cfg.FeedPollBudget, ItemsPerPoll: cfg.FeedItemsPerPoll, GuildDailyArticles: cfg.GuildDailyArticles,
		Polled:   func() { m.Add("disputebot_feed_polls_total", 1, "result", "polled") },
		Failed:   func() { m.Add("disputebot_feed_polls_total", 1, "result", "failed") },
		Panicked: func() { m.Panicked("poller") },
	}
	deliverer := &notify.Deliverer{
		Store: lib.Store, Sender: adapter, Log: log, Wake: notifier.Wake(), Settle: cfg.NotifyDigestWindow, Lease: cfg.NotifyLease, PerSecond: cfg.NotifyRate,
		Sent:     func() { m.Add("disputebot_deliveries_total", 1, "result", "sent") },
		Failed:   func() { m.Add("disputebot_deliveries_total", 1, "result", "failed") },
		Panicked: func() { m.Panicked("deliverer") },
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	if cfg.MetricsAddr != "" {
		checks := []metrics.Check{
			{Name: "store", Probe: lib.Store.Ping},
			{Name: "index", Probe: func(ctx context.Context) error { return lib.Index.Ping(ctx) }},
		}
		if !interactionsOnly {
			checks = append([]metrics.Check{{Name: "gateway", Probe: gws.healthy}}, checks...)
		}
		srv, err := listenAndServe(cfg.MetricsAddr, m.Handler(checks...))
		if err != nil {
			return fmt.Errorf("METRICS_ADDR=%s: %w", cfg.MetricsAddr, err)
		}
		defer srv.Shutdown(context.Background())
		log.Info("serving /healthz and /metrics", "addr", srv.Addr)
	}
	// The endpoint listens before the gateway is opened, so a bad address
	// stops start-up before an IDENTIFY is spent (Discord allows about a
	// thousand a day). It is stopped before the adapter closes: no new
	// interaction starts while the adapter waits for those in flight.
	stopEndpoint := func() {}
	if cfg.InteractionsAddr != "" {
		h, err := adapter.Interactions()
		if err != nil {
			return err
		}
		srv, err := listenAndServe(cfg.InteractionsAddr, h)
		if err != nil {
			return fmt.Errorf("INTERACTIONS_ADDR=%s: %w", cfg.InteractionsAddr, err)
		}
		stopEndpoint = func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				log.Warn("stopping the interactions endpoint", "error", err)
			}
		}
		log.Info("answering interactions over HTTP", "addr", srv.Addr)
	}
	// The pages, like the endpoint, listen before the gateway is opened,
	// and share the bot's pictures.
	stopPages := func() {}
	if cfg.WebAddr != "" {
		stop, _, err := startPages(cfg, lib, b.Pictures, log)
		if err != nil {
			stopEndpoint()
			return err
		}
		stopPages = stop
	}
	defer func() { stopPages() }()
	var failed <-chan error
	if interactionsOnly {
		log.Info("not connecting to the gateway, polling feeds or delivering notices: --interactions-only")
	} else {
		// The index was brought up to date with the store as the folder
		// opened, so shards are taken only by a process that can answer.
		mgr, err := startShards(ctx, cfg, lib.Store, b, base, gws, m, log)
		if err != nil {
			stopPages()
			stopEndpoint()
			adapter.Close()
			return err
		}
		failed = mgr.Failed()
		wg.Add(3)
		// A panic in the manager's own loop hands every shard over (its
		// deferred stop) and supervise starts it again.
		go func() { defer wg.Done(); supervise(runCtx, log, "shards", m, mgr.Run) }()
		go func() { defer wg.Done(); supervise(runCtx, log, "poller", m, poller.Run) }()
		go func() { defer wg.Done(); supervise(runCtx, log, "deliverer", m, deliverer.Run) }()
	}
	if cfg.DatabaseURL != "" {
		// Other processes sharing the store write articles this process
		// must answer from: its index follows the store, woken by
		// PostgreSQL's notice of each commit and every ten seconds in case
		// one was missed.
		wg.Add(1)
		go func() {
			defer wg.Done()
			supervise(runCtx, log, "index follower", m, func(ctx context.Context) {
				lib.Pipeline.Follow(ctx, 10*time.Second, lib.Store.Changes(ctx, log), func(n int64) {
					m.Set("disputebot_index_lag_changes", float64(n))
				})
			})
		}()
	}
	if local, err := listenLocal(cfg, lib, getenv, log); err != nil {
		log.Warn("the command line cannot reach this bot; ask and the other commands need it stopped", "error", err)
	} else {
		wg.Add(1)
		go func() { defer wg.Done(); local.serve(runCtx) }()
		log.Info("answering the command line", "socket", local.path)
	}
	log.Info("disputebot is serving; stop it with Ctrl-C or SIGTERM")
	var refused error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case refused = <-failed:
		log.Error("shutting down: Discord refused the bot", "reason", refused.Error())
	}
	stop()
	closed := make(chan struct{})
	go func() { wg.Wait(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(15 * time.Second):
		log.Warn("feed polls still running at shutdown; they will be redone after restart")
	}
	stopPages()
	stopEndpoint()
	if err := adapter.Close(); err != nil && refused == nil {
		return err
	}
	return refused
}

// supervise runs a loop at the root of its goroutine until ctx ends. The
// loops recover the panics of each piece of work themselves; one in the
// loop's own code is logged and counted here, and the loop started again
// a second later, so the bot goes on polling and delivering.
func supervise(ctx context.Context, log *slog.Logger, name string, m *metrics.Metrics, run func(context.Context)) {
	for ctx.Err() == nil {
		func() {
			defer func() {
				if v := recover(); v != nil {
					log.Error("recovered from a panic", "where", name, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
					m.Panicked(name)
				}
			}()
			run(ctx)
		}()
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// listenAndServe listens on addr (so a bad address fails at start-up,
// naming the variable) and serves h.
func listenAndServe(addr string, h http.Handler) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	// A request's whole body must come within ReadTimeout: one dribbled
	// in byte by byte would otherwise hold a connection open for ever.
	srv := &http.Server{Addr: ln.Addr().String(), Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go srv.Serve(ln)
	return srv, nil
}
