package weblink

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func links() *Links {
	return &Links{Base: "https://disputes.example.org", Secret: []byte(strings.Repeat("s", MinSecret)), TTL: 30 * 24 * time.Hour}
}

// query is the query string of a link made by links().
func query(t *testing.T, link string) url.Values {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func TestSignedLinkGivesItsServer(t *testing.T) {
	l := links()
	link := l.Dispute("musk-microsoft", "1234567890", now)
	if !strings.HasPrefix(link, "https://disputes.example.org/d/musk-microsoft?") {
		t.Fatalf("link %s", link)
	}
	s := l.Check(query(t, link), now.Add(29*24*time.Hour))
	if s.Guild != "1234567890" || s.Refused != "" {
		t.Fatalf("scope %+v, want the server's", s)
	}
	// The links on its page carry the same access on.
	if again := l.Check(l.Params(s), now); again.Guild != s.Guild || !again.Expires.Equal(s.Expires) {
		t.Errorf("carried on: %+v, want %+v", again, s)
	}
	search := l.Search("musk microsoft since 2023", false, "1234567890", now)
	if q := query(t, search); q.Get("q") != "musk microsoft since 2023" || l.Check(q, now).Guild != "1234567890" {
		t.Errorf("search link %s", search)
	}
}

func TestUnsignedLinks(t *testing.T) {
	l := links()
	for _, tc := range []struct{ name, link string }{
		{"no server", l.Dispute("musk-microsoft", "", now)},
		{"no secret", (&Links{Base: "https://disputes.example.org", TTL: time.Hour}).Dispute("musk-microsoft", "123", now)},
	} {
		if strings.Contains(tc.link, "?") {
			t.Errorf("%s: %s carries a query", tc.name, tc.link)
		}
		if s := l.Check(query(t, tc.link), now); s != (Scope{}) {
			t.Errorf("%s: scope %+v, want everyone's", tc.name, s)
		}
	}
}

func TestRefusedLinks(t *testing.T) {
	l := links()
	good := l.Sign("1234567890", now)
	with := func(k, v string) url.Values {
		q := url.Values{}
		for k, x := range good {
			q[k] = x
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	other := &Links{Secret: []byte(strings.Repeat("t", MinSecret)), TTL: l.TTL}
	for _, tc := range []struct {
		name string
		q    url.Values
		at   time.Time
		want string
	}{
		{"another server", with("g", "1234567891"), now, "altered"},
		{"a later expiry", with("exp", "99999999999"), now, "altered"},
		{"a flipped signature", with("sig", "A"+good.Get("sig")[1:]), now, "altered"},
		{"no signature", with("sig", ""), now, "altered"},
		{"a signature that is not base64", with("sig", "!!!"), now, "altered"},
		{"another secret", other.Sign("1234567890", now), now, "altered"},
		{"a very long server", with("g", strings.Repeat("1", 65)), now, "altered"},
		{"a very long expiry", with("exp", strings.Repeat("0", 21)), now, "altered"},
		{"the signature spelt another way", with("sig", respelt(good.Get("sig"))), now, "altered"},
		{"past its expiry", good, now.Add(l.TTL), "expired"},
		{"long past its expiry", good, now.Add(10 * l.TTL), "expired"},
	} {
		s := l.Check(tc.q, tc.at)
		if s.Guild != "" || s.Refused != tc.want {
			t.Errorf("%s: scope %+v, want refused as %q", tc.name, s, tc.want)
		}
	}
	noSecret := &Links{TTL: time.Hour}
	if s := noSecret.Check(good, now); s.Guild != "" || s.Refused != "altered" {
		t.Errorf("a process without the secret honoured a signed link: %+v", s)
	}
}

// respelt is sig with the unused low bits of its last character set: the
// same bytes to a lenient decoder, another spelling to a strict one.
func respelt(sig string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, sig[len(sig)-1])
	return sig[:len(sig)-1] + string(alphabet[i|1])
}
