// Package discordtest is a fake Discord for end-to-end tests: an httptest
// server speaking the real protocol, the REST API under /api/v9/ and
// /api/v10/ and the gateway websocket (HELLO, IDENTIFY, READY,
// GUILD_CREATE, heartbeats, RESUME), so the real discordgo client, and the
// real `serve` wiring, run against it unchanged. Tests drive it with
// messages and interactions, inject faults (rate limits, closed DMs,
// dropped connections) and assert on everything the bot sent.
package discordtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Options describe the fake's application and guilds.
type Options struct {
	AppID             string // the application id, also the bot's user id unless BotUserID is set
	BotUserID         string
	BotName           string
	Guilds            []Guild
	HeartbeatInterval time.Duration // default 1s
}

// Guild is a server the bot is in.
type Guild struct {
	ID, Name, OwnerID string
	Roles             []Role // the @everyone role has the guild's id
	Channels          []Channel
	Members           []Member
}

// Role is a guild role and its permissions.
type Role struct {
	ID, Name    string
	Permissions int64
}

// Channel is a text channel.
type Channel struct{ ID, Name string }

// Member is a member of a guild.
type Member struct {
	UserID, Username string
	Roles            []string
}

// Interaction is an interaction a test sends.
type Interaction struct {
	Type                       int // 2 command, 3 component, 4 autocomplete
	GuildID, ChannelID, UserID string
	Name                       string
	Options                    []Option
	CustomID                   string
	MessageID                  string
}

// Option is a slash command option; Type 1 is a subcommand holding Options.
type Option struct {
	Name    string
	Type    int
	Value   any
	Focused bool
	Options []Option
}

// Message is a message the bot created.
type Message struct {
	ID, ChannelID, GuildID string
	DMUserID               string // the recipient when ChannelID is a DM channel
	Content                string
	Embeds                 []Embed
	Components             json.RawMessage
	AllowedMentions        *AllowedMentions
	Nonce                  string
	Flags                  int
	ReplyTo                string    // the message it replies to (message_reference), if any
	Time                   time.Time // when the fake received it
	Raw                    json.RawMessage
}

// Embed is a sent embed.
type Embed struct {
	Title, Description, URL string
	Color                   int
	Fields                  []EmbedField
	Footer                  string
}

// EmbedField is one field of an embed.
type EmbedField struct {
	Name, Value string
	Inline      bool
}

// AllowedMentions is what a message allows to ping.
type AllowedMentions struct {
	Parse       []string
	Users       []string
	Roles       []string
	RepliedUser bool
}

// Response is an interaction callback, or a later edit or follow-up.
type Response struct {
	Kind            string // "callback", "edit", "followup"
	InteractionID   string
	Type            int
	Content         string
	Embeds          []Embed
	Components      json.RawMessage
	Choices         []Choice
	Flags           int
	AllowedMentions *AllowedMentions
	Raw             json.RawMessage
}

// Choice is an autocomplete choice.
type Choice struct {
	Name  string
	Value any
}

// Command is a registered application command.
type Command struct {
	GuildID string
	Name    string
	Raw     json.RawMessage
}

// Request is one REST request the bot made.
type Request struct {
	Time         time.Time
	Method, Path string
	Status       int
}

type failRule struct {
	method, prefix string
	n, status      int
	body           string
	header         http.Header
}

// Server is the fake.
type Server struct {
	o    Options
	http *httptest.Server
	ids  atomic.Int64

	mu         sync.Mutex
	changed    *sync.Cond
	sessions   map[*session]bool
	seq        int64
	sessionID  string
	identifies int
	resumes    int
	ready      bool
	messages   []Message
	responses  []Response
	commands   []Command
	requests   []Request
	fails      []*failRule
	closedDMs  map[string]bool
	dmChannel  map[string]string // user -> DM channel
	dmUser     map[string]string // DM channel -> user
	nonces     map[string]Message
	events     []payload // dispatched events, replayed on RESUME
}

type session struct {
	conn       *websocket.Conn
	wmu        sync.Mutex
	identified bool
}

// New starts a fake Discord; it stops when the test ends.
func New(tb testing.TB, o Options) *Server {
	tb.Helper()
	if o.BotUserID == "" {
		o.BotUserID = o.AppID
	}
	if o.BotName == "" {
		o.BotName = "bot"
	}
	if o.HeartbeatInterval == 0 {
		o.HeartbeatInterval = time.Second
	}
	s := &Server{o: o, sessions: map[*session]bool{}, closedDMs: map[string]bool{}, dmChannel: map[string]string{}, dmUser: map[string]string{},
		nonces: map[string]Message{}, sessionID: "fake-session"}
	s.changed = sync.NewCond(&s.mu)
	s.ids.Store(800000000000000000)
	s.http = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

// Close drops every connection and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	for sess := range s.sessions {
		sess.conn.Close()
	}
	s.mu.Unlock()
	s.http.CloseClientConnections()
	s.http.Close()
}

// URL is the server's base address.
func (s *Server) URL() string { return s.http.URL }

// APIURL is the REST base to give the bot (DISCORD_API_URL).
func (s *Server) APIURL() string { return s.http.URL + "/api/v10/" }

func (s *Server) newID() string { return strconv.FormatInt(s.ids.Add(1), 10) }

// apiPath matches the versioned REST prefix.
var apiPath = regexp.MustCompile(`^/api/v\d+(/.*)$`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/gateway") {
		s.serveGateway(w, r)
		return
	}
	m := apiPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		http.NotFound(w, r)
		return
	}
	path := m[1]
	var body json.RawMessage
	if r.Body != nil {
		dec := json.NewDecoder(r.Body)
		_ = dec.Decode(&body)
	}
	status := s.route(w, r.Method, path, body, r.Header.Get("Content-Type"))
	s.mu.Lock()
	s.requests = append(s.requests, Request{Time: time.Now(), Method: r.Method, Path: path, Status: status})
	s.changed.Broadcast()
	s.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, status int, v any) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		json.NewEncoder(w).Encode(v)
	}
	return status
}

func errorJSON(w http.ResponseWriter, status, code int, msg string) int {
	return writeJSON(w, status, map[string]any{"message": msg, "code": code})
}

var (
	reChannelMessages = regexp.MustCompile(`^/channels/(\d+)/messages$`)
	reInteraction     = regexp.MustCompile(`^/interactions/(\d+)/([^/]+)/callback$`)
	reWebhookEdit     = regexp.MustCompile(`^/webhooks/(\d+)/([^/]+)/messages/@original$`)
	reWebhook         = regexp.MustCompile(`^/webhooks/(\d+)/([^/]+)$`)
	reCommands        = regexp.MustCompile(`^/applications/(\d+)(?:/guilds/(\d+))?/commands$`)
	reGuild           = regexp.MustCompile(`^/guilds/(\d+)$`)
	reChannel         = regexp.MustCompile(`^/channels/(\d+)$`)
)

func (s *Server) route(w http.ResponseWriter, method, path string, body json.RawMessage, contentType string) int {
	if rule := s.takeFailure(method, path); rule != nil {
		for k, vs := range rule.header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rule.status)
		w.Write([]byte(rule.body))
		return rule.status
	}
	switch {
	case method == "GET" && (path == "/gateway" || path == "/gateway/bot"):
		return writeJSON(w, 200, map[string]any{"url": "ws" + strings.TrimPrefix(s.http.URL, "http") + "/gateway", "shards": 1,
			"session_start_limit": map[string]int{"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}})
	case method == "GET" && path == "/users/@me":
		return writeJSON(w, 200, s.botUser())
	case method == "POST" && path == "/users/@me/channels":
		var req struct {
			RecipientID string `json:"recipient_id"`
		}
		json.Unmarshal(body, &req)
		if req.RecipientID == "" {
			return errorJSON(w, 400, 50035, "Invalid Form Body")
		}
		return writeJSON(w, 200, map[string]any{"id": s.dm(req.RecipientID), "type": 1, "recipients": []any{map[string]string{"id": req.RecipientID}}})
	case method == "POST" && reChannelMessages.MatchString(path):
		if strings.HasPrefix(contentType, "multipart/") {
			return errorJSON(w, 400, 0, "the fake accepts JSON bodies only")
		}
		return s.createMessage(w, reChannelMessages.FindStringSubmatch(path)[1], body)
	case method == "POST" && reInteraction.MatchString(path):
		s.record(Response{Kind: "callback", InteractionID: reInteraction.FindStringSubmatch(path)[1]}, body)
		w.WriteHeader(204)
		return 204
	case method == "PATCH" && reWebhookEdit.MatchString(path):
		s.record(Response{Kind: "edit"}, body)
		return writeJSON(w, 200, map[string]any{"id": s.newID(), "content": ""})
	case method == "POST" && reWebhook.MatchString(path):
		s.record(Response{Kind: "followup"}, body)
		return writeJSON(w, 200, map[string]any{"id": s.newID(), "content": ""})
	case method == "PUT" && reCommands.MatchString(path):
		m := reCommands.FindStringSubmatch(path)
		var cmds []map[string]any
		json.Unmarshal(body, &cmds)
		s.mu.Lock()
		for i, c := range cmds {
			c["id"] = s.newID()
			c["application_id"] = m[1]
			raw, _ := json.Marshal(c)
			name, _ := c["name"].(string)
			s.commands = append(s.commands, Command{GuildID: m[2], Name: name, Raw: raw})
			cmds[i] = c
		}
		s.mu.Unlock()
		return writeJSON(w, 200, cmds)
	case method == "GET" && reGuild.MatchString(path):
		if g, ok := s.guild(reGuild.FindStringSubmatch(path)[1]); ok {
			return writeJSON(w, 200, guildJSON(g))
		}
		return errorJSON(w, 404, 10004, "Unknown Guild")
	case method == "GET" && reChannel.MatchString(path):
		id := reChannel.FindStringSubmatch(path)[1]
		for _, g := range s.o.Guilds {
			for _, c := range g.Channels {
				if c.ID == id {
					return writeJSON(w, 200, channelJSON(g.ID, c))
				}
			}
		}
		s.mu.Lock()
		user, ok := s.dmUser[id]
		s.mu.Unlock()
		if ok {
			return writeJSON(w, 200, map[string]any{"id": id, "type": 1, "recipients": []any{map[string]string{"id": user}}})
		}
		return errorJSON(w, 404, 10003, "Unknown Channel")
	}
	return errorJSON(w, 404, 0, "404: Not Found")
}

func (s *Server) takeFailure(method, path string) *failRule {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.fails {
		if f.n > 0 && f.method == method && strings.HasPrefix(path, f.prefix) {
			f.n--
			return f
		}
	}
	return nil
}

func (s *Server) dm(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.dmChannel[user]; ok {
		return id
	}
	id := s.newID()
	s.dmChannel[user], s.dmUser[id] = id, user
	return id
}

// messageBody is what the bot sends to create a message.
type messageBody struct {
	Content         string           `json:"content"`
	Embeds          []embedJSON      `json:"embeds"`
	Components      json.RawMessage  `json:"components"`
	AllowedMentions *allowedMentions `json:"allowed_mentions"`
	Nonce           json.RawMessage  `json:"nonce"`
	EnforceNonce    bool             `json:"enforce_nonce"`
	Reference       *struct {
		MessageID string `json:"message_id"`
	} `json:"message_reference"`
	Flags   int      `json:"flags"`
	Choices []Choice `json:"choices"`
}

type embedJSON struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url"`
	Color       int    `json:"color"`
	Fields      []struct {
		Name   string `json:"name"`
		Value  string `json:"value"`
		Inline bool   `json:"inline"`
	} `json:"fields"`
	Footer *struct {
		Text string `json:"text"`
	} `json:"footer"`
}

type allowedMentions struct {
	Parse       []string `json:"parse"`
	Users       []string `json:"users"`
	Roles       []string `json:"roles"`
	RepliedUser bool     `json:"replied_user"`
}

func (b messageBody) embeds() []Embed {
	var out []Embed
	for _, e := range b.Embeds {
		em := Embed{Title: e.Title, Description: e.Description, URL: e.URL, Color: e.Color}
		for _, f := range e.Fields {
			em.Fields = append(em.Fields, EmbedField{Name: f.Name, Value: f.Value, Inline: f.Inline})
		}
		if e.Footer != nil {
			em.Footer = e.Footer.Text
		}
		out = append(out, em)
	}
	return out
}

func (b messageBody) allowed() *AllowedMentions {
	if b.AllowedMentions == nil {
		return nil
	}
	a := b.AllowedMentions
	return &AllowedMentions{Parse: a.Parse, Users: a.Users, Roles: a.Roles, RepliedUser: a.RepliedUser}
}

func nonceString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.Trim(string(raw), `"`)
}

func (s *Server) createMessage(w http.ResponseWriter, channel string, raw json.RawMessage) int {
	var b messageBody
	if err := json.Unmarshal(raw, &b); err != nil {
		return errorJSON(w, 400, 50035, "Invalid Form Body")
	}
	s.mu.Lock()
	user, isDM := s.dmUser[channel]
	guildID := ""
	if !isDM {
		g, ok := s.channelGuild(channel)
		if !ok {
			s.mu.Unlock()
			return errorJSON(w, 404, 10003, "Unknown Channel")
		}
		guildID = g
	}
	if isDM && s.closedDMs[user] {
		s.mu.Unlock()
		return errorJSON(w, 403, 50007, "Cannot send messages to this user")
	}
	nonce := nonceString(b.Nonce)
	if nonce != "" && b.EnforceNonce {
		if prev, ok := s.nonces[channel+"/"+nonce]; ok {
			s.mu.Unlock()
			return writeJSON(w, 200, s.messageJSON(prev))
		}
	}
	m := Message{ID: s.newID(), ChannelID: channel, GuildID: guildID, Content: b.Content, Embeds: b.embeds(), Components: b.Components,
		AllowedMentions: b.allowed(), Nonce: nonce, Flags: b.Flags, Raw: raw, Time: time.Now()}
	if b.Reference != nil {
		m.ReplyTo = b.Reference.MessageID
	}
	if isDM {
		m.DMUserID = user
	}
	if nonce != "" {
		s.nonces[channel+"/"+nonce] = m
	}
	s.messages = append(s.messages, m)
	s.changed.Broadcast()
	s.mu.Unlock()
	return writeJSON(w, 200, s.messageJSON(m))
}

func (s *Server) messageJSON(m Message) map[string]any {
	return map[string]any{"id": m.ID, "channel_id": m.ChannelID, "content": m.Content, "author": s.botUser(),
		"timestamp": time.Now().UTC().Format(time.RFC3339), "embeds": []any{}, "nonce": m.Nonce}
}

func (s *Server) record(r Response, raw json.RawMessage) {
	var env struct {
		Type int         `json:"type"`
		Data messageBody `json:"data"`
	}
	var data messageBody
	if r.Kind == "callback" {
		json.Unmarshal(raw, &env)
		r.Type, data = env.Type, env.Data
	} else {
		json.Unmarshal(raw, &data)
	}
	r.Content, r.Embeds, r.Components, r.Choices, r.Flags, r.AllowedMentions, r.Raw = data.Content, data.embeds(), data.Components, data.Choices, data.Flags, data.allowed(), raw
	s.mu.Lock()
	s.responses = append(s.responses, r)
	s.changed.Broadcast()
	s.mu.Unlock()
}

// channelGuild is called with s.mu held.
func (s *Server) channelGuild(channel string) (string, bool) {
	for _, g := range s.o.Guilds {
		for _, c := range g.Channels {
			if c.ID == channel {
				return g.ID, true
			}
		}
	}
	return "", false
}

func (s *Server) guild(id string) (Guild, bool) {
	for _, g := range s.o.Guilds {
		if g.ID == id {
			return g, true
		}
	}
	return Guild{}, false
}

func (s *Server) botUser() map[string]any {
	return map[string]any{"id": s.o.BotUserID, "username": s.o.BotName, "discriminator": "0", "bot": true}
}

func channelJSON(guild string, c Channel) map[string]any {
	return map[string]any{"id": c.ID, "name": c.Name, "type": 0, "guild_id": guild, "permission_overwrites": []any{}}
}

func guildJSON(g Guild) map[string]any {
	var roles, channels, members []any
	for _, r := range g.Roles {
		roles = append(roles, map[string]any{"id": r.ID, "name": r.Name, "permissions": strconv.FormatInt(r.Permissions, 10)})
	}
	for _, c := range g.Channels {
		channels = append(channels, channelJSON(g.ID, c))
	}
	for _, m := range g.Members {
		members = append(members, map[string]any{"user": map[string]any{"id": m.UserID, "username": m.Username}, "roles": nonNil(m.Roles)})
	}
	return map[string]any{"id": g.ID, "name": g.Name, "owner_id": g.OwnerID, "roles": roles, "channels": channels, "members": members,
		"member_count": len(g.Members), "unavailable": false}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// member finds a guild member.
func (s *Server) member(guild, user string) (Member, Guild, bool) {
	g, ok := s.guild(guild)
	if !ok {
		return Member{}, g, false
	}
	for _, m := range g.Members {
		if m.UserID == user {
			return m, g, true
		}
	}
	return Member{}, g, false
}

// permissions computes a member's guild permissions as Discord does:
// @everyone's and their roles' together; the owner and administrators have
// all.
func permissions(g Guild, m Member) int64 {
	const all = int64(1<<53 - 1)
	if g.OwnerID == m.UserID {
		return all
	}
	var p int64
	for _, r := range g.Roles {
		if r.ID == g.ID {
			p |= r.Permissions
		}
		for _, mr := range m.Roles {
			if r.ID == mr {
				p |= r.Permissions
			}
		}
	}
	if p&0x8 != 0 {
		return all
	}
	return p
}

// FailNext makes the next n requests matching method and path prefix
// (after /api/vN) answer with status, body and header instead.
func (s *Server) FailNext(method, pathPrefix string, n, status int, body string, header http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = append(s.fails, &failRule{method: method, prefix: pathPrefix, n: n, status: status, body: body, header: header})
}

// CloseDMs makes messages to user's DM channel fail as Discord does when a
// member does not accept DMs (403, code 50007).
func (s *Server) CloseDMs(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closedDMs[user] = true
}

// Messages returns every message the bot created, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Responses returns every interaction response, edit and follow-up.
func (s *Server) Responses() []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Response(nil), s.responses...)
}

// Commands returns the registered application commands.
func (s *Server) Commands() []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Command(nil), s.commands...)
}

// Requests returns every REST request the bot made.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Identifies counts IDENTIFY packets; Resumes counts RESUME packets.
func (s *Server) Identifies() int { s.mu.Lock(); defer s.mu.Unlock(); return s.identifies }

// Resumes counts RESUME packets.
func (s *Server) Resumes() int { s.mu.Lock(); defer s.mu.Unlock(); return s.resumes }

// wait blocks until cond holds or timeout passes.
func (s *Server) wait(cond func() bool, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	timer := time.AfterFunc(timeout, func() { s.mu.Lock(); s.changed.Broadcast(); s.mu.Unlock() })
	defer timer.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		s.changed.Wait()
	}
	return true
}

// WaitMessages waits until cond holds for the messages sent so far.
func (s *Server) WaitMessages(cond func([]Message) bool, timeout time.Duration) ([]Message, bool) {
	var got []Message
	ok := s.wait(func() bool { got = append([]Message(nil), s.messages...); return cond(got) }, timeout)
	return got, ok
}

// WaitResponses waits until cond holds for the interaction responses.
func (s *Server) WaitResponses(cond func([]Response) bool, timeout time.Duration) ([]Response, bool) {
	var got []Response
	ok := s.wait(func() bool { got = append([]Response(nil), s.responses...); return cond(got) }, timeout)
	return got, ok
}

// WaitReady waits until a session has identified (or resumed) and received
// READY and its guilds.
func (s *Server) WaitReady(timeout time.Duration) error {
	if !s.wait(func() bool { return s.ready }, timeout) {
		return fmt.Errorf("discordtest: no session became ready in %s", timeout)
	}
	return nil
}
