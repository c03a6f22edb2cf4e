// Package weblink makes and checks the addresses of the web pages that a
// Discord answer links to. A server's own sources and feeds are that
// server's, so a page shows them only through a link the bot signed for
// the server: the link carries the server's id, an expiry and an HMAC of
// both under a secret only the bot's processes know. Anyone can make an
// unsigned link, which shows the built-in corpus and public articles.
package weblink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"time"
)

// MinSecret is the shortest secret accepted, in bytes: an HMAC key
// shorter than its hash's output is easier to guess than the tag.
const MinSecret = 32

// The query parameters of a signed link.
const (
	paramGuild   = "g"
	paramExpires = "exp"
	paramSig     = "sig"
)

// Links builds page addresses under a public URL, signing them for a
// server when it has a secret. The zero Secret makes unsigned links only.
type Links struct {
	Base   string // the pages' public URL, without a trailing slash
	Secret []byte
	TTL    time.Duration // how long a signed link shows the server's articles
}

// Scope is who a page is for: a server whose link was signed and has not
// expired, or everyone.
type Scope struct {
	Guild   string    // "" for the built-in corpus and public articles
	Expires time.Time // when Guild's access ends
	// Refused is why a link naming a server was not honoured ("expired",
	// "altered"), "" when it named none or was honoured.
	Refused string
}

// Dispute is the address of a built-in dispute's page, signed for guild
// when guild is not "" and the links have a secret.
func (l *Links) Dispute(id, guild string, now time.Time) string {
	return l.Base + "/d/" + url.PathEscape(id) + l.query(nil, guild, now)
}

// Search is the address of the page answering q; textOnly searches its
// words as text, as the bot's search command does, rather than reading
// party names into them.
func (l *Links) Search(q string, textOnly bool, guild string, now time.Time) string {
	v := url.Values{"q": {q}}
	if textOnly {
		v.Set(TextParam, "1")
	}
	return l.Base + "/search" + l.query(v, guild, now)
}

// TextParam, set to 1, asks the search page for a text search.
const TextParam = "text"

func (l *Links) query(v url.Values, guild string, now time.Time) string {
	if guild != "" && len(l.Secret) > 0 {
		if v == nil {
			v = url.Values{}
		}
		for k, x := range l.Sign(guild, now) {
			v[k] = x
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// Sign is the query parameters that give guild's articles until now+TTL.
func (l *Links) Sign(guild string, now time.Time) url.Values {
	exp := strconv.FormatInt(now.Add(l.TTL).Unix(), 10)
	return url.Values{paramGuild: {guild}, paramExpires: {exp}, paramSig: {l.sig(guild, exp)}}
}

// sig is the tag of a server and expiry. The fields are joined with a
// byte neither can hold, so no two pairs sign the same message.
func (l *Links) sig(guild, exp string) string {
	m := hmac.New(sha256.New, l.Secret)
	m.Write([]byte("disputebot web link v1\x00" + guild + "\x00" + exp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Check reads the scope a request's query gives. A link that names no
// server is for everyone; one whose signature is wrong, whose expiry has
// passed, or that reaches a process without a secret is for everyone
// too, with Refused saying why.
func (l *Links) Check(q url.Values, now time.Time) Scope {
	guild, exp, sig := q.Get(paramGuild), q.Get(paramExpires), q.Get(paramSig)
	if guild == "" && exp == "" && sig == "" {
		return Scope{}
	}
	// A server id is a snowflake; the bound keeps a forged one from
	// costing more than a short hash.
	if len(l.Secret) == 0 || guild == "" || len(guild) > 64 || len(exp) > 20 {
		return Scope{Refused: "altered"}
	}
	// Strict: one signature has one spelling, so one grant is one link.
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	want, _ := base64.RawURLEncoding.DecodeString(l.sig(guild, exp))
	if err != nil || !hmac.Equal(got, want) {
		return Scope{Refused: "altered"}
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return Scope{Refused: "altered"}
	}
	expires := time.Unix(unix, 0).UTC()
	if !now.Before(expires) {
		return Scope{Refused: "expired"}
	}
	return Scope{Guild: guild, Expires: expires}
}

// Params is the query that carries s on to another page: the links on a
// server's page stay the server's. It is nil for everyone's scope.
func (l *Links) Params(s Scope) url.Values {
	if s.Guild == "" {
		return nil
	}
	exp := strconv.FormatInt(s.Expires.Unix(), 10)
	return url.Values{paramGuild: {s.Guild}, paramExpires: {exp}, paramSig: {l.sig(s.Guild, exp)}}
}
