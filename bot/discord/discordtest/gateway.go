package discordtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// payload is a gateway frame.
type payload struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d,omitempty"`
	S  *int64          `json:"s,omitempty"`
	T  string          `json:"t,omitempty"`
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	sess := &session{conn: conn}
	s.mu.Lock()
	s.sessions[sess] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.sessions, sess)
		// With no session left, the bot is offline: WaitReady waits for
		// the next one.
		s.ready = false
		for other := range s.sessions {
			s.ready = s.ready || other.identified
		}
		s.mu.Unlock()
		conn.Close()
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
			sess.write(payload{Op: 11})
		case 2: // identify
			s.mu.Lock()
			s.identifies++
			s.mu.Unlock()
			s.sendReady(sess)
		case 6: // resume: replay what the session missed, then RESUMED
			var r struct {
				Seq int64 `json:"seq"`
			}
			json.Unmarshal(p.D, &r)
			s.mu.Lock()
			s.resumes++
			var missed []payload
			for _, e := range s.events {
				if *e.S > r.Seq {
					missed = append(missed, e)
				}
			}
			seq := s.nextSeq()
			s.mu.Unlock()
			for _, e := range missed {
				sess.write(e)
			}
			sess.write(payload{Op: 0, T: "RESUMED", S: &seq, D: json.RawMessage(`{}`)})
			s.mu.Lock()
			sess.identified = true
			s.ready = true
			s.changed.Broadcast()
			s.mu.Unlock()
		}
	}
}

// nextSeq is called with s.mu held.
func (s *Server) nextSeq() int64 {
	s.seq++
	return s.seq
}

func (sess *session) write(p payload) error {
	sess.wmu.Lock()
	defer sess.wmu.Unlock()
	sess.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return sess.conn.WriteJSON(p)
}

func (s *Server) sendReady(sess *session) {
	var guilds []any
	for _, g := range s.o.Guilds {
		guilds = append(guilds, map[string]any{"id": g.ID, "unavailable": true})
	}
	wsURL := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/gateway"
	ready, _ := json.Marshal(map[string]any{"v": 9, "user": s.botUser(), "session_id": s.sessionID, "resume_gateway_url": wsURL,
		"guilds": guilds, "application": map[string]any{"id": s.o.AppID, "flags": 0}})
	s.mu.Lock()
	seq := s.nextSeq()
	s.mu.Unlock()
	sess.write(payload{Op: 0, T: "READY", S: &seq, D: ready})
	for _, g := range s.o.Guilds {
		d, _ := json.Marshal(guildJSON(g))
		s.mu.Lock()
		seq := s.nextSeq()
		s.mu.Unlock()
		sess.write(payload{Op: 0, T: "GUILD_CREATE", S: &seq, D: d})
	}
	s.mu.Lock()
	sess.identified = true
	s.ready = true
	s.changed.Broadcast()
	s.mu.Unlock()
}

// dispatch sends an event to every identified session, and keeps it so a
// session that resumes after a dropped connection gets what it missed.
func (s *Server) dispatch(t string, d any) {
	raw, _ := json.Marshal(d)
	s.mu.Lock()
	seq := s.nextSeq()
	s.events = append(s.events, payload{Op: 0, T: t, S: &seq, D: raw})
	var targets []*session
	for sess := range s.sessions {
		if sess.identified {
			targets = append(targets, sess)
		}
	}
	s.mu.Unlock()
	for _, sess := range targets {
		sess.write(payload{Op: 0, T: t, S: &seq, D: raw})
	}
}

// SendMessage posts a message as a member (MESSAGE_CREATE) and returns its
// id. With guildID "" it is a DM from userID to the bot.
func (s *Server) SendMessage(guildID, channelID, userID, content string) string {
	id := s.newID()
	author := map[string]any{"id": userID, "username": "user" + userID[len(userID)-2:], "discriminator": "0"}
	msg := map[string]any{"id": id, "channel_id": channelID, "author": author, "content": content,
		"timestamp": time.Now().UTC().Format(time.RFC3339), "type": 0, "mentions": []any{}}
	if guildID != "" {
		msg["guild_id"] = guildID
		if m, _, ok := s.member(guildID, userID); ok {
			author["username"] = m.Username
			msg["member"] = map[string]any{"roles": nonNil(m.Roles)}
		}
	} else {
		msg["channel_id"] = s.dm(userID)
	}
	if strings.Contains(content, "<@"+s.o.BotUserID+">") || strings.Contains(content, "<@!"+s.o.BotUserID+">") {
		msg["mentions"] = []any{s.botUser()}
	}
	s.dispatch("MESSAGE_CREATE", msg)
	return id
}

// Interact sends an interaction (INTERACTION_CREATE) and returns its id.
func (s *Server) Interact(in Interaction) string {
	id := s.newID()
	d := map[string]any{"id": id, "application_id": s.o.AppID, "type": in.Type, "token": "itoken" + id, "version": 1, "channel_id": in.ChannelID}
	user := map[string]any{"id": in.UserID, "username": "user" + in.UserID[len(in.UserID)-2:], "discriminator": "0"}
	if in.GuildID != "" {
		d["guild_id"] = in.GuildID
		m, g, _ := s.member(in.GuildID, in.UserID)
		d["member"] = map[string]any{"user": user, "roles": nonNil(m.Roles), "permissions": strconv.FormatInt(permissions(g, m), 10)}
	} else {
		d["user"] = user
	}
	switch in.Type {
	case 2, 4:
		d["data"] = map[string]any{"id": s.newID(), "name": in.Name, "type": 1, "options": optionsJSON(in.Options)}
	case 3:
		d["data"] = map[string]any{"custom_id": in.CustomID, "component_type": 2}
		d["message"] = map[string]any{"id": in.MessageID, "channel_id": in.ChannelID, "content": "", "timestamp": time.Now().UTC().Format(time.RFC3339)}
	}
	s.dispatch("INTERACTION_CREATE", d)
	return id
}

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
// network failure would; the client reconnects and resumes.
func (s *Server) DropConnection() {
	s.mu.Lock()
	var conns []*session
	for sess := range s.sessions {
		conns = append(conns, sess)
	}
	s.ready = false
	s.mu.Unlock()
	for _, sess := range conns {
		sess.conn.UnderlyingConn().Close()
	}
}
