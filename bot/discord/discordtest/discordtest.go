// Package discordtest is a fake Discord for end-to-end tests: an httptest
// server speaking the real protocol, the REST API under /api/v9/ and
// /api/v10/ and the gateway websocket (HELLO, IDENTIFY, READY,
// GUILD_CREATE, heartbeats, RESUME), so the real discordgo client, and the
// real `serve` wiring, run against it unchanged. It shards as Discord
// does (events routed by guild id, DMs to shard 0, each shard's session
// resumable from any connection) and can keep Discord's identify limits. Tests drive it with
// messages and interactions (over the gateway, or POSTed to an
// interactions endpoint, signed with the fake application's own Ed25519
// key), inject faults (rate limits, closed DMs,
// dropped connections) and assert on everything the bot sent.
package discordtest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Options describe the fake's application, bot user and guilds.
type Options struct {
	AppID             string        // the application id; also the bot's user id unless BotUserID is set
	BotUserID         string        // the bot's user id; default AppID
	BotName           string        // the bot's username; default "bot"
	Guilds            []Guild       // the guilds the bot is in, sent as GUILD_CREATE after READY
	HeartbeatInterval time.Duration // HELLO's heartbeat_interval; default 1s, at least 10ms
	// Token, when set, is the only bot token IDENTIFY may carry; any other
	// is refused as Discord does, closing the gateway with 4004.
	Token string
	// NoMessageContent is a portal with the Message Content intent turned
	// off: IDENTIFY asking for it is refused, closing with 4014.
	NoMessageContent bool
	// Shards is the bot's shard count, reported by GET /gateway/bot as
	// the recommendation; with more than one, IDENTIFY must name a shard
	// of that many (4011, 4010 otherwise), and a guild's events go to
	// shard (guild_id >> 22) % Shards, DMs to shard 0. Default 1.
	Shards int
	// MaxConcurrency is session_start_limit.max_concurrency: shards
	// identify in buckets shard % MaxConcurrency. Default 1.
	MaxConcurrency int
	// IdentifySpacing, when set, is kept as Discord keeps five seconds:
	// an IDENTIFY sooner than that after another of its bucket gets
	// INVALID SESSION. Zero keeps no spacing (most tests restart the bot
	// faster than Discord would allow).
	IdentifySpacing time.Duration
	// SessionStartLimit is session_start_limit.total, and remaining at
	// the start: an IDENTIFY once none remain gets INVALID SESSION.
	// Default 1000.
	SessionStartLimit int
}

// Guild is a guild (server) the bot is in.
type Guild struct {
	ID, Name, OwnerID string    // the owner has every permission
	Roles             []Role    // the @everyone role has the guild's id
	Channels          []Channel // text channels
	Members           []Member
}

// Role is a guild role and its permission bits.
type Role struct {
	ID, Name    string
	Permissions int64 // sent as a decimal string, as Discord does
}

// Channel is a guild text channel (type 0). BotDeny are permission bits a
// channel overwrite takes from the bot: without Send Messages (0x800) it
// may not post there, without Embed Links (0x4000) not post embeds; Discord
// answers both with 403 {"code": 50013}.
type Channel struct {
	ID, Name string
	BotDeny  int64
}

// Permission bits the fake enforces.
const (
	PermSendMessages = 0x800
	PermEmbedLinks   = 0x4000
)

// Member is a member of a guild: a user and the ids of their roles.
type Member struct {
	UserID, Username string
	Roles            []string
}

// Interaction is an interaction a test sends with Interact, or POSTs to an
// interactions endpoint with PostInteraction.
type Interaction struct {
	Type                       int      // 1 PING (PostInteraction only), 2 application command, 3 message component, 4 autocomplete
	GuildID, ChannelID, UserID string   // in a guild, UserID should be a configured member of GuildID
	Name                       string   // the command's name (types 2 and 4)
	Options                    []Option // the command's options (types 2 and 4)
	CustomID                   string   // the component's custom_id (type 3)
	MessageID                  string   // the message the component is on (type 3)
	// ID, when set, is the interaction's id (and so its token) instead of
	// a new one: sending an Interaction again with the id Interact
	// returned delivers it twice, as a gateway replaying events may.
	ID string
}

// Option is an application command option. Type 1 (subcommand) and 2
// (subcommand group) hold Options; the others hold Value.
type Option struct {
	Name    string
	Type    int
	Value   any
	Focused bool // the option being autocompleted (type 4 interactions)
	Options []Option
}

// Message is a message the bot created with POST channels/{id}/messages.
type Message struct {
	ID, ChannelID, GuildID string // GuildID is "" in a DM
	DMUserID               string // the recipient when ChannelID is a DM channel
	Content                string
	Embeds                 []Embed
	Components             json.RawMessage  // the request's "components", as sent
	AllowedMentions        *AllowedMentions // nil when the request had no allowed_mentions
	Nonce                  string
	Flags                  int
	ReplyTo                string          // the message it replies to (message_reference), if any
	Time                   time.Time       // when the fake received it
	Raw                    json.RawMessage // the request body (a multipart request's payload_json)
	Files                  []File          // uploaded with a multipart request
}

// File is a file uploaded with a message or an interaction answer.
type File struct {
	Name, ContentType string
	Description       string // its alt text, from the body's "attachments"
	Data              []byte
}

// Embed is the part of a sent embed tests look at.
type Embed struct {
	Title, Description, URL string
	Color                   int
	Fields                  []EmbedField
	Footer                  string // the footer's text
	Image                   string // the image's URL ("attachment://name" shows an uploaded file)
}

// EmbedField is one field of an embed.
type EmbedField struct {
	Name, Value string
	Inline      bool
}

// AllowedMentions is a message's allowed_mentions: what it may ping.
type AllowedMentions struct {
	Parse       []string // nil when the key was absent or null
	Users       []string
	Roles       []string
	RepliedUser bool
}

// Response is an interaction callback (POST interactions/{id}/{token}/callback),
// an interactions endpoint's answer to a POST (see PostInteraction), or a
// later edit of the original response (PATCH
// webhooks/{app}/{token}/messages/@original) or follow-up (POST
// webhooks/{app}/{token}).
type Response struct {
	Kind            string // "callback", "endpoint", "edit" or "followup"
	InteractionID   string // the interaction's id, for callbacks and endpoint answers
	Type            int    // callback type: 4 message, 5 deferred, 6 deferred update, 7 update, 8 autocomplete result; 0 otherwise
	Content         string
	Embeds          []Embed
	Components      json.RawMessage
	Choices         []Choice // autocomplete results (type 8)
	Flags           int
	AllowedMentions *AllowedMentions // nil when absent
	Raw             json.RawMessage  // the request body (a multipart request's payload_json)
	Files           []File           // uploaded with a multipart request
}

// Choice is an autocomplete choice.
type Choice struct {
	Name  string
	Value any
}

// Command is an application command registered with PUT
// applications/{app}/commands (GuildID "") or
// applications/{app}/guilds/{guild}/commands.
type Command struct {
	GuildID string
	Name    string
	Raw     json.RawMessage // the command as registered, with the id the fake gave it
}

// Request is one REST request the bot made.
type Request struct {
	Time         time.Time // when it arrived
	Method, Path string    // Path is after /api/vN, with its leading slash: "/channels/1/messages"
	Status       int       // the status the fake answered
}

// failRule is a FailNext injection.
type failRule struct {
	method, prefix string
	n, status      int
	body           string
	header         http.Header
}

// Server is the fake Discord. Every method is safe for concurrent use.
type Server struct {
	o    Options
	tb   testing.TB
	http *httptest.Server
	ids  atomic.Int64
	key  ed25519.PrivateKey // the application's, signing what PostInteraction sends

	sendMu   sync.Mutex     // orders sequenced gateway frames
	gateways sync.WaitGroup // running gateway connections

	mu                sync.Mutex
	notify            chan struct{} // closed and replaced on every change a Wait* may wait for
	closed            bool
	sessions          map[*session]bool
	seq               int64
	shards            map[int]*shardState // each shard's resumable session
	sessionN          int                 // sessions begun, to name them
	dispatched        map[int]int         // events dispatched, by shard
	lastIdentify      map[int]time.Time   // by max_concurrency bucket
	remaining         int                 // session starts left
	identifies        int
	refusedIdentifies int
	resumesAtURL      int // RESUMEs that came to READY's resume_gateway_url
	resumes           int
	resumeTries       int // RESUMEs received, refused or not
	ready             bool
	messages          []Message
	responses         []Response
	commands          []Command
	requests          []Request
	fails             []*failRule
	losses            []*failRule     // LoseNextAnswer's
	acknowledged      map[string]bool // interactions given their one response
	closedDMs         map[string]bool
	dmChannel         map[string]string // user -> DM channel
	dmUser            map[string]string // DM channel -> user
	nonces            map[string]Message
	originals         map[string]string // interaction token -> @original message id
	violations        []string          // breaks of Discord's limits (limits.go)
	reported          bool              // Close has failed the test for them
}

// New starts a fake Discord on 127.0.0.1; tb.Cleanup closes it.
func New(tb testing.TB, o Options) *Server {
	tb.Helper()
	if o.BotUserID == "" {
		o.BotUserID = o.AppID
	}
	if o.BotName == "" {
		o.BotName = "bot"
	}
	o.Shards, o.MaxConcurrency = max(o.Shards, 1), max(o.MaxConcurrency, 1)
	if o.SessionStartLimit == 0 {
		o.SessionStartLimit = 1000
	}
	if o.HeartbeatInterval == 0 {
		o.HeartbeatInterval = time.Second
	}
	if o.HeartbeatInterval < 10*time.Millisecond {
		o.HeartbeatInterval = 10 * time.Millisecond // HELLO carries whole milliseconds
	}
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{o: o, tb: tb, key: key, sessions: map[*session]bool{}, closedDMs: map[string]bool{}, dmChannel: map[string]string{}, dmUser: map[string]string{},
		nonces: map[string]Message{}, acknowledged: map[string]bool{}, originals: map[string]string{},
		shards: map[int]*shardState{}, dispatched: map[int]int{}, lastIdentify: map[int]time.Time{}, remaining: o.SessionStartLimit}
	s.notify = make(chan struct{})
	s.ids.Store(800000000000000000)
	s.http = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

// Close drops every gateway connection, stops the server and waits for its
// goroutines. New registers it with tb.Cleanup; calling it twice is fine.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for sess := range s.sessions {
		sess.conn.Close()
	}
	s.ready = false
	s.broadcast()
	s.mu.Unlock()
	s.gateways.Wait()
	s.http.CloseClientConnections()
	s.http.Close()
	s.mu.Lock()
	v, report := s.violations, !s.reported
	s.reported = true
	s.mu.Unlock()
	if report && len(v) > 0 {
		s.tb.Errorf("the bot sent what Discord refuses:\n%s", strings.Join(v, "\n"))
	}
}

// URL is the server's base address, http://127.0.0.1:port.
func (s *Server) URL() string { return s.http.URL }

// APIURL is the REST base to give the bot: URL()+"/api/v10/". The fake
// serves the same API under any /api/vN/.
func (s *Server) APIURL() string { return s.http.URL + "/api/v10/" }

// newID makes a snowflake: a numeric string, unique within the fake.
func (s *Server) newID() string { return strconv.FormatInt(s.ids.Add(1), 10) }

// apiPath matches the versioned REST prefix.
var apiPath = regexp.MustCompile(`^/api/v\d+(/.*)$`)

// serve routes the gateway websocket and the REST API, recording every
// REST request.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/gateway" || strings.HasPrefix(r.URL.Path, "/gateway/") {
		s.serveGateway(w, r)
		return
	}
	start := time.Now()
	path := r.URL.Path
	var status int
	if m := apiPath.FindStringSubmatch(path); m == nil {
		status = errorJSON(w, 404, 0, "404: Not Found")
	} else {
		path = m[1]
		body, _ := io.ReadAll(r.Body)
		var files []File
		var err error
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			body, files, err = readMultipart(r.Header.Get("Content-Type"), body)
		}
		if err != nil {
			status = errorJSON(w, 400, 50035, "Invalid Form Body")
		} else {
			status = s.route(w, r.Method, path, body, files)
		}
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Time: start, Method: r.Method, Path: path, Status: status})
	s.broadcast()
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

func (s *Server) route(w http.ResponseWriter, method, path string, body json.RawMessage, files []File) int {
	if rule := s.take(&s.fails, method, path); rule != nil {
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
	if s.take(&s.losses, method, path) != nil {
		// Carried out, but the answer is lost on the way back.
		s.handle(httptest.NewRecorder(), method, path, body, files)
		return errorJSON(w, 500, 0, "500: Internal Server Error")
	}
	return s.handle(w, method, path, body, files)
}

func (s *Server) handle(w http.ResponseWriter, method, path string, body json.RawMessage, files []File) int {
	switch {
	case method == "GET" && (path == "/gateway" || path == "/gateway/bot"):
		s.mu.Lock()
		remaining := s.remaining
		s.mu.Unlock()
		return writeJSON(w, 200, map[string]any{"url": s.wsURL(), "shards": s.o.Shards,
			"session_start_limit": map[string]int{"total": s.o.SessionStartLimit, "remaining": remaining, "reset_after": 86_400_000, "max_concurrency": s.o.MaxConcurrency}})
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
		return s.createMessage(w, reChannelMessages.FindStringSubmatch(path)[1], body, files)
	case method == "POST" && reInteraction.MatchString(path):
		id := reInteraction.FindStringSubmatch(path)[1]
		if s.outOfLimits("interaction callback", callbackViolations(body, files)) {
			return errorJSON(w, 400, 50035, "Invalid Form Body")
		}
		s.mu.Lock()
		again := s.acknowledged[id]
		s.acknowledged[id] = true
		s.mu.Unlock()
		if again {
			return errorJSON(w, 400, 40060, "Interaction has already been acknowledged.")
		}
		s.record(Response{Kind: "callback", InteractionID: id, Files: files}, body)
		w.WriteHeader(204)
		return 204
	case method == "PATCH" && reWebhookEdit.MatchString(path):
		token := reWebhookEdit.FindStringSubmatch(path)[2]
		if s.outOfLimits("edit", bodyViolations(body, files, false)) {
			return errorJSON(w, 400, 50035, "Invalid Form Body")
		}
		r := s.record(Response{Kind: "edit", Files: files}, body)
		s.mu.Lock()
		id, ok := s.originals[token]
		if !ok {
			id = s.newID()
			s.originals[token] = id
		}
		s.mu.Unlock()
		return writeJSON(w, 200, s.responseMessageJSON(id, r))
	case method == "POST" && reWebhook.MatchString(path):
		if s.outOfLimits("follow-up", bodyViolations(body, files, true)) {
			return errorJSON(w, 400, 50035, "Invalid Form Body")
		}
		r := s.record(Response{Kind: "followup", Files: files}, body)
		return writeJSON(w, 200, s.responseMessageJSON(s.newID(), r))
	case method == "PUT" && reCommands.MatchString(path):
		m := reCommands.FindStringSubmatch(path)
		cmds := []map[string]any{}
		if err := json.Unmarshal(body, &cmds); err != nil {
			return errorJSON(w, 400, 50035, "Invalid Form Body")
		}
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

// take uses up one of the first of the rules matching the request and
// returns it, or nil when none matches. The rules are read under the lock,
// as FailNext and LoseNextAnswer append to them.
func (s *Server) take(rules *[]*failRule, method, path string) *failRule {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range *rules {
		if f.n > 0 && strings.EqualFold(f.method, method) && strings.HasPrefix(path, f.prefix) {
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
	Image *struct {
		URL string `json:"url"`
	} `json:"image"`
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
		if e.Image != nil {
			em.Image = e.Image.URL
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

func (s *Server) createMessage(w http.ResponseWriter, channel string, raw json.RawMessage, files []File) int {
	var b messageBody
	if err := json.Unmarshal(raw, &b); err != nil || s.outOfLimits("message", b.violations(files, true)) {
		return errorJSON(w, 400, 50035, "Invalid Form Body")
	}
	s.mu.Lock()
	user, isDM := s.dmUser[channel]
	guildID := ""
	if !isDM {
		g, c, ok := s.channel(channel)
		if !ok {
			s.mu.Unlock()
			return errorJSON(w, 404, 10003, "Unknown Channel")
		}
		if c.BotDeny&PermSendMessages != 0 || c.BotDeny&PermEmbedLinks != 0 && len(b.Embeds) > 0 {
			s.mu.Unlock()
			return errorJSON(w, 403, 50013, "Missing Permissions")
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
		AllowedMentions: b.allowed(), Nonce: nonce, Flags: b.Flags, Raw: raw, Files: files, Time: time.Now()}
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
	s.broadcast()
	s.mu.Unlock()
	return writeJSON(w, 200, s.messageJSON(m))
}

// messageJSON is a created message as Discord returns it.
func (s *Server) messageJSON(m Message) map[string]any {
	out := map[string]any{"id": m.ID, "channel_id": m.ChannelID, "content": m.Content, "author": s.botUser(),
		"timestamp": m.Time.UTC().Format(time.RFC3339Nano), "embeds": []any{}, "components": []any{}, "mentions": []any{},
		"attachments": []any{}, "type": 0, "flags": m.Flags, "tts": false, "pinned": false, "mention_everyone": false}
	if m.GuildID != "" {
		out["guild_id"] = m.GuildID
	}
	if m.Nonce != "" {
		out["nonce"] = m.Nonce
	}
	if e := embedsRaw(m.Raw); e != nil {
		out["embeds"] = e
	}
	if len(m.Components) > 0 && string(m.Components) != "null" {
		out["components"] = m.Components
	}
	out["attachments"] = attachmentsJSON(m.ID, m.Files)
	return out
}

// attachmentsJSON lists a message's uploaded files as Discord returns them.
func attachmentsJSON(messageID string, files []File) []any {
	out := []any{}
	for i, f := range files {
		a := map[string]any{"id": messageID + strconv.Itoa(i), "filename": f.Name, "size": len(f.Data), "content_type": f.ContentType,
			"url": "https://cdn.discordapp.invalid/attachments/" + messageID + "/" + f.Name}
		if f.Description != "" {
			a["description"] = f.Description
		}
		out = append(out, a)
	}
	return out
}

// readMultipart reads a multipart message body as Discord takes one: the
// JSON in the part named payload_json, and a file in each part named
// files[n], whose description is that of the attachment with id n.
func readMultipart(contentType string, raw []byte) (json.RawMessage, []File, error) {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, nil, err
	}
	mr := multipart.NewReader(bytes.NewReader(raw), params["boundary"])
	var payload json.RawMessage
	var files []File
	ids := map[string]int{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, nil, err
		}
		switch name := part.FormName(); {
		case name == "payload_json":
			payload = data
		case strings.HasPrefix(name, "files["):
			ids[strings.TrimSuffix(strings.TrimPrefix(name, "files["), "]")] = len(files)
			files = append(files, File{Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Data: data})
		}
	}
	if payload == nil {
		return nil, nil, fmt.Errorf("no payload_json")
	}
	// A message body lists its attachments at the top; an interaction
	// callback inside its data.
	var described struct {
		Attachments []attachmentJSON `json:"attachments"`
		Data        struct {
			Attachments []attachmentJSON `json:"attachments"`
		} `json:"data"`
	}
	json.Unmarshal(payload, &described)
	for _, a := range append(described.Attachments, described.Data.Attachments...) {
		if i, ok := ids[string(bytes.Trim(a.ID, `"`))]; ok {
			files[i].Description = a.Description
		}
	}
	return payload, files, nil
}

type attachmentJSON struct {
	ID          json.RawMessage `json:"id"` // a number or a string
	Description string          `json:"description"`
}

// responseMessageJSON is the message an interaction edit or follow-up made.
func (s *Server) responseMessageJSON(id string, r Response) map[string]any {
	return s.messageJSON(Message{ID: id, Content: r.Content, Flags: r.Flags, Components: r.Components, Raw: r.Raw, Files: r.Files, Time: time.Now()})
}

// embedsRaw is the "embeds" array of a message body, or nil.
func embedsRaw(body json.RawMessage) json.RawMessage {
	var b struct {
		Embeds json.RawMessage `json:"embeds"`
	}
	if json.Unmarshal(body, &b) != nil || len(b.Embeds) == 0 || string(b.Embeds) == "null" {
		return nil
	}
	return b.Embeds
}

// record keeps an interaction callback, edit or follow-up.
func (s *Server) record(r Response, raw json.RawMessage) Response {
	var env struct {
		Type int         `json:"type"`
		Data messageBody `json:"data"`
	}
	var data messageBody
	if r.Kind == "callback" || r.Kind == "endpoint" {
		json.Unmarshal(raw, &env)
		r.Type, data = env.Type, env.Data
	} else {
		json.Unmarshal(raw, &data)
	}
	r.Content, r.Embeds, r.Components, r.Choices, r.Flags, r.AllowedMentions, r.Raw = data.Content, data.embeds(), data.Components, data.Choices, data.Flags, data.allowed(), raw
	s.mu.Lock()
	s.responses = append(s.responses, r)
	s.broadcast()
	s.mu.Unlock()
	return r
}

// channel finds a guild channel and its guild.
func (s *Server) channel(id string) (string, Channel, bool) {
	for _, g := range s.o.Guilds {
		for _, c := range g.Channels {
			if c.ID == id {
				return g.ID, c, true
			}
		}
	}
	return "", Channel{}, false
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

// FailNext makes the next n REST requests whose method matches and whose
// path after /api/vN starts with pathPrefix ("/channels/" or "channels/")
// answer with status, body and header instead of being handled. They are
// recorded in Requests like any other.
func (s *Server) FailNext(method, pathPrefix string, n, status int, body string, header http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !strings.HasPrefix(pathPrefix, "/") {
		pathPrefix = "/" + pathPrefix
	}
	s.fails = append(s.fails, &failRule{method: method, prefix: pathPrefix, n: n, status: status, body: body, header: header})
}

// LoseNextAnswer makes the next n REST requests whose method and path
// match be carried out but answered 500, as when Discord did the work and
// the answer was lost on the way: a client that tries again must not
// create a second message.
func (s *Server) LoseNextAnswer(method, pathPrefix string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !strings.HasPrefix(pathPrefix, "/") {
		pathPrefix = "/" + pathPrefix
	}
	s.losses = append(s.losses, &failRule{method: method, prefix: pathPrefix, n: n})
}

// CloseDMs makes messages to userID's DM channel fail as Discord does when
// a member does not accept DMs: 403 {"code":50007}. Opening the DM channel
// (POST users/@me/channels) still works.
func (s *Server) CloseDMs(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closedDMs[user] = true
}

// Messages returns every message the bot created with POST
// channels/{id}/messages, in order. A request deduplicated by its nonce
// adds none.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Responses returns every interaction callback, edit of an original
// response and follow-up, in order.
func (s *Server) Responses() []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Response(nil), s.responses...)
}

// Commands returns the application commands registered by bulk overwrite
// (PUT), in order; a later PUT adds to the list rather than replacing.
func (s *Server) Commands() []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Command(nil), s.commands...)
}

// Requests returns every REST request the fake received, in order of
// completion.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Identifies counts the IDENTIFY (op 2) packets the fake has received.
func (s *Server) Identifies() int { s.mu.Lock(); defer s.mu.Unlock(); return s.identifies }

// Resumes counts the RESUME (op 6) packets the fake accepted (answered
// with RESUMED).
func (s *Server) Resumes() int { s.mu.Lock(); defer s.mu.Unlock(); return s.resumes }

// RefusedIdentifies counts the IDENTIFYs answered with INVALID SESSION
// because they came too soon after another of their bucket, or with no
// session starts left.
func (s *Server) RefusedIdentifies() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refusedIdentifies
}

// ResumesAtResumeURL counts the RESUMEs sent to READY's
// resume_gateway_url rather than to the gateway's own address.
func (s *Server) ResumesAtResumeURL() int { s.mu.Lock(); defer s.mu.Unlock(); return s.resumesAtURL }

// Dispatched counts the events dispatched to each shard.
func (s *Server) Dispatched() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.dispatched)
}

// ShardsReady returns, for each shard, how many connections are
// identified (or resumed) as it now.
func (s *Server) ShardsReady() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shardsReady()
}

func (s *Server) shardsReady() map[int]int {
	out := map[int]int{}
	for sess := range s.sessions {
		if sess.identified {
			out[sess.shard]++
		}
	}
	return out
}

// WaitShards waits until every shard has exactly one connection
// identified or resumed as it, or timeout passes.
func (s *Server) WaitShards(timeout time.Duration) error {
	_, ok := wait(s, s.shardsReady, func(got map[int]int) bool {
		for i := 0; i < s.o.Shards; i++ {
			if got[i] != 1 {
				return false
			}
		}
		return true
	}, timeout)
	if !ok {
		return fmt.Errorf("discordtest: the %d shards were not all connected once in %s: %v", s.o.Shards, timeout, s.ShardsReady())
	}
	return nil
}

// Connections is how many gateway connections are open now.
func (s *Server) Connections() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.sessions) }

// Logins counts the IDENTIFY and RESUME packets the fake has received,
// accepted or refused: how often the bot tried to log in.
func (s *Server) Logins() int { s.mu.Lock(); defer s.mu.Unlock(); return s.identifies + s.resumeTries }

// broadcast wakes the Wait* calls; it is called with s.mu held.
func (s *Server) broadcast() {
	close(s.notify)
	s.notify = make(chan struct{})
}

// wait blocks until cond holds for what snapshot returns, or timeout
// passes. snapshot runs with s.mu held and must only copy; cond runs
// unlocked, so it may call the Server.
func wait[T any](s *Server, snapshot func() T, cond func(T) bool, timeout time.Duration) (T, bool) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		got, changed := snapshot(), s.notify
		s.mu.Unlock()
		if cond(got) {
			return got, true
		}
		select {
		case <-changed:
		case <-timer.C:
			s.mu.Lock()
			got = snapshot()
			s.mu.Unlock()
			return got, cond(got)
		}
	}
}

// WaitMessages waits until cond holds for the messages the bot has created
// so far (as Messages returns them), or timeout passes. It returns the
// last messages cond saw and whether it held.
func (s *Server) WaitMessages(cond func([]Message) bool, timeout time.Duration) ([]Message, bool) {
	return wait(s, func() []Message { return append([]Message(nil), s.messages...) }, cond, timeout)
}

// WaitResponses waits until cond holds for the interaction responses so far
// (as Responses returns them), or timeout passes. It returns the last
// responses cond saw and whether it held.
func (s *Server) WaitResponses(cond func([]Response) bool, timeout time.Duration) ([]Response, bool) {
	return wait(s, func() []Response { return append([]Response(nil), s.responses...) }, cond, timeout)
}

// WaitReady waits until a gateway session has identified and received
// READY and its GUILD_CREATEs, or has resumed and received RESUMED. A
// dropped connection makes the fake not ready until the next one.
func (s *Server) WaitReady(timeout time.Duration) error {
	if _, ok := wait(s, func() bool { return s.ready }, func(r bool) bool { return r }, timeout); !ok {
		return fmt.Errorf("discordtest: no session became ready in %s", timeout)
	}
	return nil
}
