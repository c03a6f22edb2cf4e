package discordtest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"
)

// PublicKey is the hex of the fake application's Ed25519 public key, the
// one that verifies what PostInteraction sends: the bot's
// DISCORD_PUBLIC_KEY. Each fake makes a key pair of its own.
func (s *Server) PublicKey() string {
	return hex.EncodeToString(s.key.Public().(ed25519.PublicKey))
}

// Signing says how PostSigned signs a body. The zero value signs as
// Discord does: now, over the body sent, with the application's key.
type Signing struct {
	At     time.Time          // the X-Signature-Timestamp; zero is now
	Signed []byte             // what the signature covers; nil is the body sent, anything else makes the body sent a tampered one
	Key    ed25519.PrivateKey // who signs; nil is the application, another key a forger
	NoSig  bool               // send no signature headers at all
}

// EndpointAnswer is what an interactions endpoint answered one POST.
type EndpointAnswer struct {
	Status   int
	Body     []byte
	Took     time.Duration // from sending the request to reading the whole answer; Discord waits 3 s
	Response Response      // Body read as an interaction response, when Status is 2xx
}

// InteractionBody is in as Discord POSTs it to an interactions endpoint,
// and its id: the same JSON Interact dispatches over the gateway.
func (s *Server) InteractionBody(in Interaction) (string, []byte) {
	id, d := s.interaction(in)
	body, _ := json.Marshal(d)
	return id, body
}

// PostInteraction POSTs in to endpoint, an interactions endpoint's URL,
// signed as Discord signs it, and returns its id and the answer. In.ID set
// to an id sent before POSTs the same interaction again, as a replay would.
func (s *Server) PostInteraction(endpoint string, in Interaction) (string, EndpointAnswer, error) {
	id, body := s.InteractionBody(in)
	ans, err := s.PostSigned(endpoint, body, Signing{})
	return id, ans, err
}

// PostSigned POSTs body to endpoint signed as sig says. A 2xx answer is
// kept in Responses too, as Kind "endpoint" with the interaction's id from
// body, so a test sees it in order with the edits and follow-ups after it;
// and, as at Discord, the interaction then counts as acknowledged, so a
// callback for it too would be refused.
func (s *Server) PostSigned(endpoint string, body []byte, sig Signing) (EndpointAnswer, error) {
	req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return EndpointAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Discord-Interactions/1.0 (+https://discord.com)")
	if !sig.NoSig {
		at, signed, key := sig.At, sig.Signed, sig.Key
		if at.IsZero() {
			at = time.Now()
		}
		if signed == nil {
			signed = body
		}
		if key == nil {
			key = s.key
		}
		ts := strconv.FormatInt(at.Unix(), 10)
		req.Header.Set("X-Signature-Timestamp", ts)
		req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(key, append([]byte(ts), signed...))))
	}
	client := &http.Client{Timeout: 30 * time.Second}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return EndpointAnswer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	ans := EndpointAnswer{Status: resp.StatusCode, Body: raw, Took: time.Since(start)}
	if err != nil || resp.StatusCode/100 != 2 {
		return ans, err
	}
	var b struct {
		ID string `json:"id"`
	}
	json.Unmarshal(body, &b)
	s.mu.Lock()
	s.acknowledged[b.ID] = true
	s.mu.Unlock()
	// An answer over HTTP carries no uploads, so its images are not
	// checked against them.
	s.outOfLimits("endpoint answer", callbackViolations(raw, nil))
	ans.Response = s.record(Response{Kind: "endpoint", InteractionID: b.ID}, raw)
	return ans, nil
}
