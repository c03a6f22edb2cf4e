package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// maxInteractionBody caps what the endpoint reads of one POST. An
// interaction is a few kilobytes: a button press carries the message it is
// on, and an embed holds at most 6000 characters. Anything larger is not
// from Discord, and is refused before it costs memory or a signature check.
const maxInteractionBody = 64 << 10

// signatureWindow is how far an interaction's signed timestamp may be
// from this host's clock, either way. A replay inside the window is caught
// by the interaction ids the adapter remembers (for ten minutes, longer
// than the window); the window bounds what that memory cannot cover: a
// request captured and replayed after a restart, or to another process
// behind the same load balancer. Discord wants its answer within 3 s, so a
// genuine POST is seconds old at most, but refusing one loses a member's
// command: a minute tolerates a host clock that has drifted (a VM without
// NTP easily does), which a window of a few seconds would not.
const signatureWindow = time.Minute

// Why the endpoint refused a POST, as InteractionRefused counts it.
const (
	refusedMethod      = "method"      // not a POST
	refusedTooLarge    = "too_large"   // a body over maxInteractionBody
	refusedSignature   = "signature"   // no signature, or not the application's over this body
	refusedStale       = "stale"       // signed too long ago, or in the future
	refusedReplayed    = "replayed"    // an interaction already answered
	refusedMalformed   = "malformed"   // signed, but not an interaction
	refusedUnsupported = "unsupported" // an interaction type the bot never asks for (a modal)
)

// errNoLongerWaiting is a first response offered after the endpoint's
// request has ended: Discord stopped waiting, or the answer was sent.
var errNoLongerWaiting = errors.New("discord: the interaction's HTTP request has ended")

// endpoint answers the interactions Discord POSTs to the application's
// Interactions Endpoint URL. It keeps no state of its own beyond the
// adapter's memory of interaction ids, so any number of processes can
// answer behind a load balancer.
type endpoint struct {
	a   *Adapter
	key ed25519.PublicKey
	// wait is how long a POST waits for its first response before giving
	// up: by then Discord has stopped listening.
	wait time.Duration
}

// Interactions is the interactions endpoint, an http.Handler: it checks
// each POST's Ed25519 signature against Config.PublicKey, answers a PING
// with a PONG, and runs slash commands, button presses and autocomplete
// as the gateway's are run, answering in the HTTP response within
// Discord's 3 s (a deferral when the command is slow, completed later by
// editing the original response over REST). It needs no gateway
// connection: Open need not be called.
func (a *Adapter) Interactions() (http.Handler, error) {
	if len(a.cfg.PublicKey) != ed25519.PublicKeySize {
		return nil, errors.New("discord: the interactions endpoint needs the application's public key (DISCORD_PUBLIC_KEY)")
	}
	return &endpoint{a: a, key: a.cfg.PublicKey, wait: max(3*time.Second, a.cfg.AnswerWithin+time.Second)}, nil
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a := e.a
	// net/http would recover a panic too, but by dropping the connection
	// and writing to its own log; this logs and counts it as every other
	// goroutine root of the adapter does, and answers.
	answeredHTTP := false
	defer a.recovered("answering an interaction POST", func() {
		if !answeredHTTP {
			http.Error(w, sorry, http.StatusInternalServerError)
		}
	})
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		answeredHTTP = e.refuse(w, http.StatusMethodNotAllowed, refusedMethod, "Only POST is answered here.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInteractionBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		answeredHTTP = e.refuse(w, http.StatusRequestEntityTooLarge, refusedTooLarge, "That is too large to be an interaction.")
		return
	case err != nil:
		return // the caller went away before sending the whole body
	}
	// The signature is checked before the timestamp is believed, so a
	// forged request counts as forged however it is dated.
	timestamp := r.Header.Get("X-Signature-Timestamp")
	if !e.signed(r.Header.Get("X-Signature-Ed25519"), timestamp, body) {
		answeredHTTP = e.refuse(w, http.StatusUnauthorized, refusedSignature, "The request signature is missing or wrong.")
		return
	}
	if !fresh(timestamp, time.Now()) {
		answeredHTTP = e.refuse(w, http.StatusUnauthorized, refusedStale, "The request signature has expired.")
		return
	}
	var i discordgo.Interaction
	if err := json.Unmarshal(body, &i); err != nil || i.ID == "" {
		answeredHTTP = e.refuse(w, http.StatusBadRequest, refusedMalformed, "That is not an interaction.")
		return
	}
	switch i.Type {
	case discordgo.InteractionPing:
		// A PONG does nothing, so a replayed PING gains nothing: PINGs
		// are not remembered, and Discord's checks of the URL (a PING
		// now and then) are never refused as replays.
		answeredHTTP = true
		writeResponse(w, &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
		return
	case discordgo.InteractionApplicationCommand, discordgo.InteractionMessageComponent, discordgo.InteractionApplicationCommandAutocomplete:
	default:
		answeredHTTP = e.refuse(w, http.StatusBadRequest, refusedUnsupported, "This kind of interaction is not answered here.")
		return
	}
	// The id is part of what is signed, so a captured request replayed
	// inside the window carries the same one.
	if !a.firstTime(&i) {
		answeredHTTP = e.refuse(w, http.StatusUnauthorized, refusedReplayed, "This interaction was already answered.")
		return
	}
	if !a.track(&a.wg) {
		answeredHTTP = true
		http.Error(w, "The bot is shutting down; try again in a moment.", http.StatusServiceUnavailable)
		return
	}
	x := &exchange{offered: make(chan *discordgo.InteractionResponse), written: make(chan error, 1), over: make(chan struct{})}
	defer close(x.over)
	finished := make(chan struct{})
	// The interaction is answered on a goroutine of its own, which the
	// adapter's Close waits for: a deferred answer outlives this request,
	// whose response must end for Discord to read the deferral.
	go func() {
		defer a.wg.Done()
		defer close(finished)
		a.interact(&i, x.first) // which recovers its own panics
	}()
	timeout := time.NewTimer(e.wait)
	defer timeout.Stop()
	select {
	case resp := <-x.offered:
		answeredHTTP = true
		x.written <- writeResponse(w, resp)
	case <-finished:
		// Only an answer that panicked while apologising gets here.
		answeredHTTP = true
		http.Error(w, sorry, http.StatusInternalServerError)
	case <-r.Context().Done():
		a.cfg.Log.Warn("Discord stopped waiting before the interaction was answered", "interaction", i.ID)
	case <-timeout.C:
		answeredHTTP = true
		a.cfg.Log.Error("an interaction got no first response in time", "interaction", i.ID, "waited", e.wait)
		http.Error(w, sorry, http.StatusServiceUnavailable)
	}
}

// signed reports whether sigHex is the application's Ed25519 signature of
// timestamp followed by body, as Discord signs every POST. This is
// discordgo.VerifyInteraction without what makes it unfit here: it reads
// the body without a cap, and it says nothing of when the request was
// signed (see fresh).
func (e *endpoint) signed(sigHex, timestamp string, body []byte) bool {
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) != ed25519.SignatureSize || timestamp == "" {
		return false
	}
	msg := make([]byte, 0, len(timestamp)+len(body))
	msg = append(append(msg, timestamp...), body...)
	return ed25519.Verify(e.key, msg, sig)
}

// fresh reports whether timestamp, Unix seconds as Discord sends it, is
// within signatureWindow of now.
func fresh(timestamp string, now time.Time) bool {
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	d := now.Sub(time.Unix(secs, 0))
	return d <= signatureWindow && d >= -signatureWindow
}

// refuse answers a POST the endpoint will not run, with a sentence saying
// why, and counts it. Refusals are logged at debug level only: anyone can
// POST to a public URL, and Discord itself sends badly signed requests to
// check that they are refused.
func (e *endpoint) refuse(w http.ResponseWriter, status int, reason, sentence string) bool {
	e.a.cfg.Log.Debug("refused an interaction POST", "reason", reason, "status", status)
	if e.a.cfg.InteractionRefused != nil {
		e.a.cfg.InteractionRefused(reason)
	}
	http.Error(w, sentence, status)
	return true
}

// writeResponse writes an interaction response as the HTTP response's body.
func writeResponse(w http.ResponseWriter, r *discordgo.InteractionResponse) error {
	r = withoutFiles(r)
	body, err := json.Marshal(r)
	if err != nil {
		http.Error(w, sorry, http.StatusInternalServerError)
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(body)
	return err
}

// exchange hands an interaction's first response from the goroutine
// answering it to the HTTP handler waiting to write it.
type exchange struct {
	offered chan *discordgo.InteractionResponse // unbuffered: taken, or not at all
	written chan error                          // how writing the one taken went
	over    chan struct{}                       // closed when the handler stops waiting
}

// first is the endpoint's firstResponse: it gives r to the handler, which
// writes it as the HTTP response, or fails once the handler has stopped
// waiting (and so Discord has).
func (x *exchange) first(_ context.Context, r *discordgo.InteractionResponse) error {
	select {
	case x.offered <- r:
		return <-x.written
	case <-x.over:
		return errNoLongerWaiting
	}
}

// withoutFiles is r without the files it would upload and without the
// embed images that show them: an HTTP response to Discord's POST is JSON
// alone. The answer's text is complete without its picture.
func withoutFiles(r *discordgo.InteractionResponse) *discordgo.InteractionResponse {
	if r.Data == nil || len(r.Data.Files) == 0 {
		return r
	}
	data := *r.Data
	data.Files = nil
	data.Embeds = nil
	for _, e := range r.Data.Embeds {
		if e.Image != nil && strings.HasPrefix(e.Image.URL, "attachment://") {
			c := *e
			c.Image = nil
			e = &c
		}
		data.Embeds = append(data.Embeds, e)
	}
	return &discordgo.InteractionResponse{Type: r.Type, Data: &data}
}
