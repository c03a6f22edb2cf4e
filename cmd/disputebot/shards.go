package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/disputebot/disputebot/bot"
	"github.com/disputebot/disputebot/bot/discord"
	"github.com/disputebot/disputebot/internal/config"
	"github.com/disputebot/disputebot/internal/metrics"
	"github.com/disputebot/disputebot/internal/shards"
	"github.com/disputebot/disputebot/internal/store"
)

// identifyReserve is how many of the day's session starts serve never
// spends: they are left for an operator starting the bot by hand, and a
// token that runs out of them is reset by Discord.
const identifyReserve = 10

// gateways are the shards this process holds, each a discord.Adapter of
// its own beside the REST-only one every process has (which sends
// notices and answers the interactions endpoint).
type gateways struct {
	rest  *discord.Adapter
	count int
	// local is true when no other process can hold shards (SQLite):
	// then this one must hold them all to be healthy.
	local bool

	mu   sync.Mutex
	held map[int]*discord.Adapter
}

var _ bot.Directory = (*gateways)(nil)

// ChannelInGuild asks the shard that receives the guild's events, whose
// state knows its channels, or, when this process does not hold it, the
// REST adapter.
func (g *gateways) ChannelInGuild(guild, channel string) bool {
	g.mu.Lock()
	a := g.held[discord.ShardOf(guild, g.count)]
	g.mu.Unlock()
	if a == nil {
		a = g.rest
	}
	return a.ChannelInGuild(guild, channel)
}

// healthy reports a held shard that is not connected, for /healthz; a
// process alone on its store must hold every shard.
func (g *gateways) healthy(context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.local && len(g.held) < g.count {
		return fmt.Errorf("%d of %d shards connected", len(g.held), g.count)
	}
	for i, a := range g.held {
		if !a.Connected() {
			return fmt.Errorf("shard %d disconnected", i)
		}
	}
	return nil
}

func (g *gateways) set(shard int, a *discord.Adapter) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if a == nil {
		delete(g.held, shard)
		return
	}
	g.held[shard] = a
}

// gateway is a held shard's adapter as the manager sees it.
type gateway struct {
	a    *discord.Adapter
	gone func()
}

func (g gateway) Session() store.ShardSession {
	s := g.a.Session()
	return store.ShardSession{SessionID: s.ID, Seq: s.Seq, ResumeURL: s.ResumeURL}
}

func (g gateway) Handover() error { g.gone(); return g.a.Handover() }

func (g gateway) Failed() <-chan error { return g.a.Failed() }

// holderID names this process among those sharing the store. A process
// alone on SQLite takes the name of its data folder's store, so that after
// a crash it takes its shards back at once instead of waiting out its own
// leases, and resumes their sessions.
func holderID(cfg *config.Config, st *store.Store) string {
	if cfg.DatabaseURL == "" {
		return "local:" + st.ID()
	}
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return host + ":" + strconv.Itoa(os.Getpid()) + ":" + hex.EncodeToString(b[:])
}

// startShards asks Discord how to shard (SHARD_COUNT overrides its
// recommendation) and returns the manager that takes this process's
// shards, opening an adapter per shard with the settings of base.
func startShards(ctx context.Context, cfg *config.Config, st *store.Store, b *bot.Bot, base discord.Config, g *gateways, m *metrics.Metrics, log *slog.Logger) (*shards.Manager, error) {
	gb, err := g.rest.GatewayBot(ctx)
	if err != nil {
		return nil, fmt.Errorf("asking Discord how to connect: %w", err)
	}
	count := cfg.ShardCount
	if count == 0 {
		count = max(gb.Shards, 1)
	}
	g.mu.Lock()
	g.count = count
	g.mu.Unlock()
	log.Info("gateway shards", "shards", count, "recommended", gb.Shards, "max_concurrency", gb.MaxConcurrency,
		"session_starts_remaining", gb.Remaining)
	mgr := &shards.Manager{
		Store: st, Holder: holderID(cfg, st), Count: count, MaxConcurrency: gb.MaxConcurrency, Lease: cfg.ShardLease,
		Reserve: identifyReserve, Log: log,
		// A refused token or intent stops serving, with the sentence
		// saying what to fix, rather than identify again and again.
		Fatal: func(err error) bool {
			var re *discord.RefusedError
			return errors.As(err, &re)
		},
		Limit: func(ctx context.Context) (store.SessionStartLimit, error) {
			gb, err := g.rest.GatewayBot(ctx)
			return store.SessionStartLimit{Total: gb.Total, Remaining: gb.Remaining, ResetAt: time.Now().Add(gb.ResetAfter)}, err
		},
		Held: func(shard int, held bool) {
			v := 0.0
			if held {
				v = 1
			}
			m.Set("disputebot_shard_held", v, "shard", strconv.Itoa(shard))
		},
		Waiting:   func(why string) { m.Add("disputebot_identify_waits_total", 1, "reason", why) },
		Remaining: func(n int) { m.Set("disputebot_session_starts_remaining", float64(n)) },
		Unheld:    func(n int) { m.Set("disputebot_shards_unheld", float64(n)) },
		Panicked:  func() { m.Panicked("shards") },
	}
	mgr.Open = func(ctx context.Context, shard int, resume store.ShardSession) (shards.Gateway, error) {
		label := strconv.Itoa(shard)
		c := base
		c.ShardID, c.ShardCount = shard, count
		c.Resume = discord.Session{ID: resume.SessionID, Seq: resume.Seq, ResumeURL: resume.ResumeURL}
		c.Log = log.With("shard", shard)
		c.BeforeIdentify = func(actx context.Context) error {
			actx, cancel := context.WithCancel(actx)
			defer cancel()
			defer context.AfterFunc(ctx, cancel)()
			return mgr.WaitIdentify(actx, shard)
		}
		c.Event = func() { m.Add("disputebot_gateway_events_total", 1, "shard", label) }
		c.Connection = func(up bool) {
			v := 0.0
			if up {
				v = 1
			}
			m.Set("disputebot_gateway_connected", v, "shard", label)
		}
		a, err := discord.New(c, b)
		if err != nil {
			return nil, err
		}
		if err := a.Open(); err != nil {
			a.Close()
			return nil, err
		}
		g.set(shard, a)
		return gateway{a: a, gone: func() { g.set(shard, nil) }}, nil
	}
	return mgr, nil
}
