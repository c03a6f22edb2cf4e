package discord

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// refusals are the gateway close codes after which reconnecting cannot
// help, each with what the operator should do. discordgo reconnects after
// any close, at once, so without this a refused bot would identify again
// and again until Discord reset its token.
var refusals = map[int]string{
	4004: "Discord refused the bot token (gateway close 4004, authentication failed): check DISCORD_TOKEN; a token stops working when it is reset in the Developer Portal",
	4010: "Discord refused the shard settings (gateway close 4010): every process must have the same SHARD_COUNT",
	4011: "Discord requires more shards for a bot in this many servers (gateway close 4011): raise SHARD_COUNT, or unset it to take Discord's recommendation",
	4012: "Discord refused the gateway API version (gateway close 4012): upgrade disputebot",
	4013: "Discord refused the gateway intents as invalid (gateway close 4013): upgrade disputebot",
	4014: "Discord refused the Message Content intent (gateway close 4014): enable it in the Developer Portal under Bot, Privileged Gateway Intents, or set DISCORD_MESSAGE_CONTENT=false to serve slash commands and @mentions only",
}

// RefusedError is Discord closing the gateway in a way reconnecting cannot
// mend; its message says what the operator should change.
type RefusedError struct{ Code int }

func (e *RefusedError) Error() string { return refusals[e.Code] }

// errNotDialing is what the dialer answers once Discord has refused.
var errNotDialing = errors.New("discord: not reconnecting, Discord refused this bot")

// errClosing is what the dialer answers once the bot is shutting down.
var errClosing = errors.New("discord: not reconnecting, the bot is shutting down")

// refusal is a refusing close seen at a moment.
type refusal struct {
	code int
	at   time.Time
}

func (r *refusal) err() error { return &RefusedError{Code: r.code} }

// lastRefusal is the most recent refusing close discordgo reported while
// reconnecting. Its reconnect loop returns the close to no one but its own
// log line (as a *websocket.CloseError argument), so the log hook keeps it
// here, and the adapter's dialer reads it before dialing again.
var lastRefusal atomic.Pointer[refusal]

// logTo is where discordgo's log lines go; nil is slog's default.
var logTo atomic.Pointer[slog.Logger]

var hookOnce sync.Once

// hookLogs installs, once per process, the discordgo logger that notes
// refusals and routes lines to logTo.
func hookLogs() {
	hookOnce.Do(func() {
		discordgo.Logger = func(msgL, caller int, format string, a ...interface{}) {
			for _, arg := range a {
				var ce *websocket.CloseError
				if err, ok := arg.(error); ok && errors.As(err, &ce) && refusals[ce.Code] != "" {
					lastRefusal.Store(&refusal{code: ce.Code, at: time.Now()})
				}
			}
			log := logTo.Load()
			if log == nil {
				log = slog.Default()
			}
			writeLog(log, msgL, fmt.Sprintf(format, a...))
		}
	})
}

// dialer is discordgo's websocket dialer, except that once Discord has
// refused the bot it dials nothing: discordgo's reconnect loop then only
// waits, and no further IDENTIFY reaches Discord. Every gateway connection
// starts here, which makes it the place to note when one began, and to
// hold back the INVALID SESSIONs it reads until identifying again is the
// shard's turn (see gatedConn). For wss it makes the TLS connection too,
// so that what it holds back is read in the clear.
func (a *Adapter) dialer() *websocket.Dialer {
	d := *websocket.DefaultDialer
	var nd net.Dialer
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if a.checkRefused() {
			return nil, errNotDialing
		}
		if a.closing.Load() {
			return nil, errClosing
		}
		a.readied.Store(false)
		a.connectedAt.Store(time.Now().UnixNano())
		return nd.DialContext(ctx, network, addr)
	}
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &gatedConn{Conn: c, gate: a.identifyAgain}, nil
	}
	d.NetDialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			c.Close()
			return nil, err
		}
		conf := &tls.Config{MinVersion: tls.VersionTLS12}
		if d.TLSClientConfig != nil { // tests trust their own server
			conf = d.TLSClientConfig.Clone()
		}
		conf.ServerName = host
		tc := tls.Client(c, conf)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		return &gatedConn{Conn: tc, gate: a.identifyAgain}, nil
	}
	return &d
}

// checkRefused reports whether Discord has refused the adapter: the last
// connection closed before READY (or RESUMED) with a refusing code. The
// first time, it tells Failed. discordgo logs the failed attempt before it
// tries again, so the next dial always sees it.
func (a *Adapter) checkRefused() bool {
	if a.refused.Load() {
		return true
	}
	r := lastRefusal.Load()
	if a.readied.Load() || r == nil || r.at.Before(time.Unix(0, a.connectedAt.Load())) {
		return false
	}
	if a.refused.CompareAndSwap(false, true) {
		a.cfg.Log.Error("Discord refused the connection; not reconnecting", "close_code", r.code)
		a.failed <- r.err()
	}
	return true
}

// Failed reports a refusal: Discord closed the gateway in a way
// reconnecting cannot mend (a bad token, an intent not enabled). Serving
// should stop and tell the operator.
func (a *Adapter) Failed() <-chan error { return a.failed }
