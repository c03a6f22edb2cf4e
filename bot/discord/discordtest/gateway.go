package discordtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// upgrader accepts the gateway websocket from any origin.
var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// payload is a gateway frame: op, d, and for dispatches (op 0) s and t.
type payload struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s,omitempty"`
	T  string          `json:"t,omitempty"`
}

// session is one gateway websocket connection.
type session struct {
	conn       *websocket.Conn
	wmu        sync.Mutex // serialises writes to conn
	identified bool       // guarded by Server.mu: it receives dispatches
	shard      int        // guarded by Server.mu: the shard it identified or resumed as
}

// shardState is a shard's gateway session as Discord keeps it: its id and
// the events dispatched to it, which a RESUME with that id replays
// whichever connection (or process) sends it. A new IDENTIFY of the shard
// starts a new session, and the old one can no longer be resumed.
type shardState struct {
	sessionID string
	events    []payload
}

// ShardOf is the shard a guild's events go to, as Discord routes them:
// (guild_id >> 22) % shards. DMs (guild "") go to shard 0.
func ShardOf(guildID string, shards int) int {
	id, err := strconv.ParseUint(guildID, 10, 64)
	if err != nil || shards <= 1 {
		return 0
	}
	return int((id >> 22) % uint64(shards))
}

// wsURL is the gateway's address as GET /gateway reports it.
func (s *Server) wsURL() string { return "ws" + strings.TrimPrefix(s.http.URL, "http") + "/gateway" }

// resumeURL is READY's resume_gateway_url: the same gateway under another
// path, so a test can tell a RESUME that followed it.
func (s *Server) resumeURL() string { return s.wsURL() + "/resume" }

// serveGateway runs one gateway connection: HELLO, then IDENTIFY or
// RESUME, heartbeats, until the client or the fake closes it.
func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	sess := &session{conn: conn}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		conn.Close()
		return
	}
	s.gateways.Add(1)
	s.sessions[sess] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.sessions, sess)
		// With no session left the bot is offline: WaitReady waits for
		// the next one.
		s.ready = false
		for other := range s.sessions {
			s.ready = s.ready || other.identified
		}
		s.broadcast()
		s.mu.Unlock()
		conn.Close()
		s.gateways.Done()
	}()
	hello, _ := json.Marshal(map[string]any{"heartbeat_interval": s.o.HeartbeatInterval.Milliseconds()})
	if sess.write(payload{Op: 10, D: hello}) != nil {
		return
	}
	for {
		_, raw, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var p payload
		if json.Unmarshal(raw, &p) != nil {
			continue
		}
		switch p.Op {
		case 1: // heartbeat
			if sess.write(payload{Op: 11, D: json.RawMessage("null")}) != nil {
				return
			}
		case 2: // identify
			s.mu.Lock()
			s.identifies++
			s.mu.Unlock()
			if sess.refused(s.refuse(p.D)) {
				return
			}
			shard, code, text := s.shardOf(p.D)
			if sess.refused(code, text) {
				return
			}
			if !s.identifyAllowed(shard) {
				// Too soon after another identify of the bucket, or none
				// left of the day's session starts: Discord answers
				// INVALID SESSION, not resumable.
				if sess.write(payload{Op: 9, D: json.RawMessage("false")}) != nil {
					return
				}
				continue
			}
			s.sendReady(sess, shard)
		case 6: // resume
			s.mu.Lock()
			s.resumeTries++
			if r.URL.Path == "/gateway/resume" {
				s.resumesAtURL++
			}
			s.mu.Unlock()
			if sess.refused(s.refuse(p.D)) {
				return
			}
			var res struct {
				SessionID string `json:"session_id"`
				Seq       int64  `json:"seq"`
			}
			json.Unmarshal(p.D, &res)
			s.resume(sess, res.SessionID, res.Seq)
		default:
			// Presence updates (3), voice (4), member requests (8)...
			// are accepted and ignored.
		}
	}
}

// messageContent is the privileged Message Content intent's bit.
const messageContent = 1 << 15

// refuse says how Discord would close the gateway on this IDENTIFY (or
// RESUME), if it would: a wrong token (4004) or a privileged intent the
// portal has not enabled (4014).
func (s *Server) refuse(identify json.RawMessage) (int, string) {
	var id struct {
		Token   string `json:"token"`
		Intents int64  `json:"intents"`
	}
	json.Unmarshal(identify, &id)
	s.mu.Lock()
	token := s.o.Token
	s.mu.Unlock()
	if token != "" && strings.TrimPrefix(id.Token, "Bot ") != token {
		return 4004, "Authentication failed."
	}
	if s.o.NoMessageContent && id.Intents&messageContent != 0 {
		return 4014, "Disallowed intent(s)."
	}
	return 0, ""
}

// shardOf reads the shard an IDENTIFY asks for and checks it as Discord
// does: a bot with more than one shard must identify with one (4011), and
// with the shard count the fake has, for a shard below it (4010).
func (s *Server) shardOf(identify json.RawMessage) (shard, code int, text string) {
	var id struct {
		Shard *[2]int `json:"shard"`
	}
	json.Unmarshal(identify, &id)
	n := s.o.Shards
	switch {
	case id.Shard == nil && n > 1:
		return 0, 4011, "Sharding required."
	case id.Shard == nil:
		return 0, 0, ""
	case id.Shard[1] != n || id.Shard[0] < 0 || id.Shard[0] >= n:
		return 0, 4010, "Invalid shard."
	}
	return id.Shard[0], 0, ""
}

// identifyAllowed counts an IDENTIFY of shard against the fake's limits,
// when it keeps them: one per max_concurrency bucket every
// IdentifySpacing, and SessionStartLimit in all. A refused one is counted
// in RefusedIdentifies and spends nothing.
func (s *Server) identifyAllowed(shard int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	bucket, now := shard%s.o.MaxConcurrency, time.Now()
	last, ok := s.lastIdentify[bucket]
	if (s.o.IdentifySpacing > 0 && ok && now.Sub(last) < s.o.IdentifySpacing) || s.remaining <= 0 {
		s.refusedIdentifies++
		s.broadcast()
		return false
	}
	s.lastIdentify[bucket] = now
	s.remaining--
	return true
}

// refused closes the connection with code, when it is not 0, and says so.
func (sess *session) refused(code int, text string) bool {
	if code == 0 {
		return false
	}
	sess.wmu.Lock()
	defer sess.wmu.Unlock()
	sess.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	return true
}

// ResetToken makes token the only one the gateway accepts from now on, as
// resetting it in the Developer Portal does; with DropConnection, the
// running bot's next IDENTIFY or RESUME is refused with 4004.
func (s *Server) ResetToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.o.Token = token
}

// write sends one frame; a stalled client fails it after five seconds.
func (sess *session) write(p payload) error {
	if p.D == nil {
		p.D = json.RawMessage("null")
	}
	sess.wmu.Lock()
	defer sess.wmu.Unlock()
	sess.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return sess.conn.WriteJSON(p)
}

// nextSeq is called with s.mu held. Sequence numbers are the fake's, not a
// session's: one numbering across every connection, from 1.
func (s *Server) nextSeq() int64 {
	s.seq++
	return s.seq
}

// sendReady answers IDENTIFY with a new session of shard: READY, then a
// GUILD_CREATE per guild of the shard.
func (s *Server) sendReady(sess *session, shard int) {
	var mine []Guild
	for _, g := range s.o.Guilds {
		if ShardOf(g.ID, s.o.Shards) == shard {
			mine = append(mine, g)
		}
	}
	guilds := []any{}
	for _, g := range mine {
		guilds = append(guilds, map[string]any{"id": g.ID, "unavailable": true})
	}
	// sendMu keeps frames on the wire in sequence order, so the client's
	// last seen sequence is the highest it has.
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	s.mu.Lock()
	s.sessionN++
	st := &shardState{sessionID: fmt.Sprintf("fake-session-%d-%d", shard, s.sessionN)}
	s.shards[shard] = st
	sess.shard = shard
	s.mu.Unlock()
	ready, _ := json.Marshal(map[string]any{"v": 9, "user": s.botUser(), "session_id": st.sessionID, "resume_gateway_url": s.resumeURL(),
		"shard": []int{shard, max(s.o.Shards, 1)}, "guilds": guilds, "private_channels": []any{}, "application": map[string]any{"id": s.o.AppID, "flags": 0}})
	frames := []payload{{Op: 0, T: "READY", D: ready}}
	for _, g := range mine {
		d, _ := json.Marshal(guildJSON(g))
		frames = append(frames, payload{Op: 0, T: "GUILD_CREATE", D: d})
	}
	s.mu.Lock()
	for i := range frames {
		seq := s.nextSeq()
		frames[i].S = &seq
	}
	s.mu.Unlock()
	for _, f := range frames {
		if sess.write(f) != nil {
			return
		}
	}
	s.mu.Lock()
	sess.identified = true
	s.ready = true
	s.broadcast()
	s.mu.Unlock()
}

// resume answers RESUME as Discord does: the dispatches the session missed
// (those after seq), then RESUMED. An unknown session id gets INVALID
// SESSION (op 9, not resumable), and the client identifies afresh.
func (s *Server) resume(sess *session, sessionID string, seq int64) {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	s.mu.Lock()
	shard := -1
	for i, st := range s.shards {
		if st.sessionID == sessionID && sessionID != "" {
			shard = i
		}
	}
	if shard < 0 {
		s.mu.Unlock()
		sess.write(payload{Op: 9, D: json.RawMessage("false")})
		return
	}
	s.resumes++
	sess.shard = shard
	var missed []payload
	for _, e := range s.shards[shard].events {
		if *e.S > seq {
			missed = append(missed, e)
		}
	}
	rs := s.nextSeq()
	s.mu.Unlock()
	for _, e := range missed {
		if sess.write(e) != nil {
			return
		}
	}
	if sess.write(payload{Op: 0, T: "RESUMED", S: &rs, D: json.RawMessage(`{}`)}) != nil {
		return
	}
	s.mu.Lock()
	sess.identified = true
	s.ready = true
	s.broadcast()
	s.mu.Unlock()
}

// dispatch sends an event of guild ("" for a DM) to every identified
// session of the guild's shard, and keeps it in the shard's session so
// that a RESUME of it gets what it missed, from whichever connection.
func (s *Server) dispatch(t, guild string, d any) {
	raw, _ := json.Marshal(d)
	shard := ShardOf(guild, s.o.Shards)
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	s.mu.Lock()
	seq := s.nextSeq()
	p := payload{Op: 0, T: t, S: &seq, D: raw}
	st := s.shards[shard]
	if st == nil {
		// No session of the shard has begun: Discord holds nothing for
		// it, and the event is lost, as it would be.
		st = &shardState{}
		s.shards[shard] = st
	}
	st.events = append(st.events, p)
	s.dispatched[shard]++
	var targets []*session
	for sess := range s.sessions {
		if sess.identified && sess.shard == shard {
			targets = append(targets, sess)
		}
	}
	s.mu.Unlock()
	for _, sess := range targets {
		sess.write(p)
	}
}

// username is a user's configured name (from any guild), or a made-up one.
func (s *Server) username(user string) string {
	for _, g := range s.o.Guilds {
		for _, m := range g.Members {
			if m.UserID == user && m.Username != "" {
				return m.Username
			}
		}
	}
	if len(user) > 4 {
		return "user" + user[len(user)-4:]
	}
	return "user" + user
}

// SendMessage dispatches MESSAGE_CREATE: content from userID, a member of
// guildID, in channelID. With guildID "" it is a DM from any userID to the
// bot, in that user's DM channel (the one POST users/@me/channels returns
// for them; channelID is then ignored). A mention of the bot (<@ID> or
// <@!ID>) fills "mentions". It returns the message's id.
func (s *Server) SendMessage(guildID, channelID, userID, content string) string {
	id := s.newID()
	author := map[string]any{"id": userID, "username": s.username(userID), "discriminator": "0"}
	msg := map[string]any{"id": id, "channel_id": channelID, "author": author, "content": content,
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "type": 0, "mentions": []any{}, "mention_roles": []any{},
		"embeds": []any{}, "attachments": []any{}, "tts": false, "mention_everyone": false, "pinned": false}
	if guildID != "" {
		msg["guild_id"] = guildID
		if m, _, ok := s.member(guildID, userID); ok {
			msg["member"] = map[string]any{"roles": nonNil(m.Roles), "joined_at": time.Unix(0, 0).UTC().Format(time.RFC3339), "deaf": false, "mute": false}
		}
	} else {
		msg["channel_id"] = s.dm(userID)
	}
	if strings.Contains(content, "<@"+s.o.BotUserID+">") || strings.Contains(content, "<@!"+s.o.BotUserID+">") {
		msg["mentions"] = []any{s.botUser()}
	}
	s.dispatch("MESSAGE_CREATE", guildID, msg)
	return id
}

// Interact dispatches INTERACTION_CREATE and returns the interaction's id:
// in.ID, or a new one when that is empty. In a guild the member's
// permissions are computed from @everyone and their roles (Administrator
// or ownership grants all).
func (s *Server) Interact(in Interaction) string {
	id, d := s.interaction(in)
	s.dispatch("INTERACTION_CREATE", in.GuildID, d)
	return id
}

// interaction is in as Discord sends it, over the gateway or to an
// interactions endpoint, and its id. A PING (type 1) has no user or data.
func (s *Server) interaction(in Interaction) (string, map[string]any) {
	id := in.ID
	if id == "" {
		id = s.newID()
	}
	if in.Type == 1 {
		return id, map[string]any{"id": id, "application_id": s.o.AppID, "type": 1, "token": "itoken" + id, "version": 1}
	}
	d := map[string]any{"id": id, "application_id": s.o.AppID, "type": in.Type, "token": "itoken" + id, "version": 1,
		"channel_id": in.ChannelID, "locale": "en-US"}
	user := map[string]any{"id": in.UserID, "username": s.username(in.UserID), "discriminator": "0"}
	if in.GuildID != "" {
		d["guild_id"] = in.GuildID
		d["guild_locale"] = "en-US"
		m, g, _ := s.member(in.GuildID, in.UserID)
		m.UserID = in.UserID
		d["member"] = map[string]any{"user": user, "roles": nonNil(m.Roles), "permissions": strconv.FormatInt(permissions(g, m), 10),
			"joined_at": time.Unix(0, 0).UTC().Format(time.RFC3339), "deaf": false, "mute": false}
	} else {
		d["user"] = user
	}
	switch in.Type {
	case 2, 4:
		data := map[string]any{"id": s.newID(), "name": in.Name, "type": 1, "options": optionsJSON(in.Options)}
		if in.GuildID != "" {
			data["guild_id"] = in.GuildID
		}
		d["data"] = data
	case 3:
		d["data"] = map[string]any{"custom_id": in.CustomID, "component_type": 2}
		d["message"] = s.componentMessage(in)
	}
	return id, d
}

// componentMessage is the message a component interaction is on: the bot's
// recorded message with that id if there is one.
func (s *Server) componentMessage(in Interaction) map[string]any {
	msg := map[string]any{"id": in.MessageID, "channel_id": in.ChannelID, "content": "", "author": s.botUser(),
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "embeds": []any{}, "components": []any{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.messages {
		if m.ID == in.MessageID {
			msg["content"] = m.Content
			if len(m.Components) > 0 && string(m.Components) != "null" {
				msg["components"] = m.Components
			}
			if b := embedsRaw(m.Raw); b != nil {
				msg["embeds"] = b
			}
			msg["attachments"] = attachmentsJSON(m.ID, m.Files)
		}
	}
	return msg
}

// optionsJSON renders options; types 1 and 2 (subcommand, group) nest.
func optionsJSON(opts []Option) []any {
	out := []any{}
	for _, o := range opts {
		m := map[string]any{"name": o.Name, "type": o.Type}
		if o.Type == 1 || o.Type == 2 {
			m["options"] = optionsJSON(o.Options)
		} else {
			m["value"] = o.Value
		}
		if o.Focused {
			m["focused"] = true
		}
		out = append(out, m)
	}
	return out
}

// DropConnection cuts every gateway connection without a close frame, as a
// network failure would; discordgo reconnects and resumes.
func (s *Server) DropConnection() {
	s.mu.Lock()
	var conns []*session
	for sess := range s.sessions {
		sess.identified = false
		conns = append(conns, sess)
	}
	s.ready = false
	s.mu.Unlock()
	for _, sess := range conns {
		sess.conn.UnderlyingConn().Close()
	}
}
