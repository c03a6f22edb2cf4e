package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Session is a gateway session as a process that takes a shard over needs
// it to RESUME: Discord replays what the shard missed since Seq, and a
// resume costs none of the day's identifies.
type Session struct {
	ID        string
	Seq       int64
	ResumeURL string
}

// GatewayBot is Discord's advice for connecting: how many shards, and
// the session start limit.
type GatewayBot struct {
	Shards         int
	Total          int
	Remaining      int
	ResetAfter     time.Duration
	MaxConcurrency int
}

// GatewayBot asks Discord (GET /gateway/bot) how many shards it
// recommends and how many identifies are left today.
func (a *Adapter) GatewayBot(ctx context.Context) (GatewayBot, error) {
	r, err := a.s.GatewayBot(discordgo.WithContext(ctx))
	if err != nil {
		return GatewayBot{}, fmt.Errorf("discord: GET /gateway/bot: %w", err)
	}
	l := r.SessionStartLimit
	return GatewayBot{Shards: r.Shards, Total: l.Total, Remaining: l.Remaining, ResetAfter: time.Duration(l.ResetAfter) * time.Millisecond,
		MaxConcurrency: max(l.MaxConcurrency, 1)}, nil
}

// Session is the adapter's gateway session as it stood at the last call
// of Session: the sequence reported is the one seen by the call before,
// so that every event up to it has long been handed to its handler
// (discordgo runs each handler in a goroutine of its own, after it has
// counted the event). A taker resuming from there is replayed the last
// few events again; the commands among them are claimed in the store
// (ClaimEvent), so none runs twice.
func (a *Adapter) Session() Session {
	seen := a.seq.Load()
	safe := a.safeSeq.Swap(seen)
	id, _ := a.sessionID.Load().(string)
	url, _ := a.resumeURL.Load().(string)
	return Session{ID: id, Seq: safe, ResumeURL: url}
}

// onEvent notes the session id and resume address of READY, and the
// sequence number of every event.
func (a *Adapter) onEvent(_ *discordgo.Session, e *discordgo.Event) {
	defer a.recovered("noting a gateway event", nil)
	for {
		old := a.seq.Load()
		if e.Sequence <= old || a.seq.CompareAndSwap(old, e.Sequence) {
			break
		}
	}
	if e.Type != "READY" {
		if e.Operation == 0 && a.cfg.Event != nil {
			a.cfg.Event()
		}
		return
	}
	var r struct {
		SessionID string `json:"session_id"`
		ResumeURL string `json:"resume_gateway_url"`
	}
	if json.Unmarshal(e.RawData, &r) == nil {
		a.sessionID.Store(r.SessionID)
		a.resumeURL.Store(r.ResumeURL)
	}
}

// presetResume makes the next Open RESUME sess instead of identifying.
//
// discordgo v0.29 keeps a session's id, sequence and gateway address in
// unexported fields and offers no way to set them, so a process taking a
// shard over from a dead one could only IDENTIFY: a session start spent,
// and every event the shard missed meanwhile (the commands members sent
// it) lost. They are set here through reflection. If a later discordgo
// renames them, presetResume reports false and the shard identifies, as
// discordgo alone would: the test TestTakeoverResumes fails first.
func presetResume(s *discordgo.Session, sess Session) bool {
	v := reflect.ValueOf(s).Elem()
	id, seq, gw := v.FieldByName("sessionID"), v.FieldByName("sequence"), v.FieldByName("gateway")
	if !id.IsValid() || id.Kind() != reflect.String || !gw.IsValid() || gw.Kind() != reflect.String ||
		!seq.IsValid() || seq.Type() != reflect.TypeOf((*int64)(nil)) {
		return false
	}
	settable := func(f reflect.Value) reflect.Value {
		return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
	}
	p := settable(seq).Interface().(*int64)
	if p == nil {
		return false
	}
	settable(id).SetString(sess.ID)
	atomic.StoreInt64(p, sess.Seq)
	if sess.ResumeURL != "" {
		// READY's resume_gateway_url, which discordgo ignores: Discord
		// asks that resumes go there.
		settable(gw).SetString(sess.ResumeURL + "?v=" + discordgo.APIVersion + "&encoding=json")
	}
	return true
}

// openGateway opens the gateway: a RESUME when the adapter has a session
// (its own, or one it was given to take over), otherwise an IDENTIFY once
// BeforeIdentify grants the turn.
func (a *Adapter) openGateway() error {
	if id, _ := a.sessionID.Load().(string); id == "" && a.cfg.BeforeIdentify != nil {
		ctx, cancel := a.untilClosed()
		defer cancel()
		if err := a.cfg.BeforeIdentify(ctx); err != nil {
			return fmt.Errorf("discord: waiting for a turn to identify: %w", err)
		}
	}
	return a.s.Open()
}

// Handover closes the gateway connection so that another process can
// resume its session: with a close code other than 1000 or 1001, which
// would end the session at Discord, before the commands in flight have
// answered.
func (a *Adapter) Handover() error {
	a.closing.Store(true)
	err := a.s.CloseWithCode(websocket.CloseServiceRestart)
	if cerr := a.Close(); err == nil {
		err = cerr
	}
	return err
}

// ShardOf is the shard Discord sends a guild's events to:
// (guild_id >> 22) % count. DMs (guild "") go to shard 0.
func ShardOf(guildID string, count int) int {
	id, err := strconv.ParseUint(guildID, 10, 64)
	if err != nil || count <= 1 {
		return 0
	}
	return int((id >> 22) % uint64(count))
}
