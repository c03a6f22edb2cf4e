package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// publicIP stands for a site on the internet. No test connects to it: the
// recording dialer below sends it to a loopback test server, or nowhere.
const publicIP = "93.184.216.34"

// recordingNet resolves names from a table and records every connection
// attempt instead of making it, except to publicIP, which it routes to a
// loopback test server when one is set. No packet leaves the machine.
type recordingNet struct {
	mu       sync.Mutex
	attempts []string
	names    map[string][]netip.Addr
	public   string // loopback address standing in for publicIP:80, or ""
}

var errNotConnecting = errors.New("test dialer: not connecting")

func (n *recordingNet) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if ips, ok := n.names[host]; ok {
		return ips, nil
	}
	return nil, errors.New("no such host")
}

func (n *recordingNet) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	n.mu.Lock()
	n.attempts = append(n.attempts, addr)
	n.mu.Unlock()
	if addr == publicIP+":80" && n.public != "" {
		return (&net.Dialer{}).DialContext(ctx, network, n.public)
	}
	return nil, errNotConnecting
}

func (n *recordingNet) tried() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.attempts...)
}

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

func guardedWith(n *recordingNet) *Client {
	return New(Options{Timeout: 3 * time.Second, MaxBytes: 1 << 20, LookupIP: n.lookup, Dial: n.dial})
}

// HostileURLs is every address the fetcher must refuse without connecting.
var hostileURLs = []struct {
	url  string
	want error
}{
	// Loopback in every spelling.
	{"http://127.0.0.1/", ErrPrivateAddress},
	{"http://127.1/", ErrPrivateAddress},
	{"http://0x7f000001/", ErrPrivateAddress},
	{"http://2130706433/", ErrPrivateAddress},
	{"http://0177.0.0.1/", ErrPrivateAddress},
	{"http://[::1]/", ErrPrivateAddress},
	{"http://[::ffff:127.0.0.1]/", ErrPrivateAddress},
	{"http://[0:0:0:0:0:ffff:7f00:1]/", ErrPrivateAddress},
	{"http://localhost/", ErrPrivateAddress},
	{"http://LOCALHOST./admin", ErrPrivateAddress},
	{"http://app.localhost/", ErrPrivateAddress},
	{"http://0.0.0.0/", ErrPrivateAddress},
	{"http://0/", ErrPrivateAddress},
	// Private, carrier-grade, link-local, metadata, multicast, broadcast.
	{"http://10.0.0.1/", ErrPrivateAddress},
	{"http://172.16.5.4/", ErrPrivateAddress},
	{"http://192.168.1.1/", ErrPrivateAddress},
	{"http://100.64.0.1/", ErrPrivateAddress},
	{"http://169.254.1.1/", ErrPrivateAddress},
	{"http://169.254.169.254/latest/meta-data/", ErrPrivateAddress},
	{"http://metadata.google.internal/computeMetadata/v1/", ErrPrivateAddress},
	{"http://[fe80::1]/", ErrPrivateAddress},
	{"http://[fc00::1]/", ErrPrivateAddress},
	{"http://[fd12:3456::1]/", ErrPrivateAddress},
	{"http://224.0.0.1/", ErrPrivateAddress},
	{"http://255.255.255.255/", ErrPrivateAddress},
	{"http://intranet/", ErrPrivateAddress},
	// Names that resolve inside, including a rebinding-style mixed answer.
	{"http://evil.example/", ErrPrivateAddress},
	{"http://metadata.example/", ErrPrivateAddress},
	{"http://ula.example/", ErrPrivateAddress},
	{"http://rebind.example/", ErrPrivateAddress},
	// Schemes and credentials.
	{"file:///etc/passwd", ErrBadURL},
	{"gopher://example.com:70/_GET", ErrBadURL},
	{"ftp://example.com/file", ErrBadURL},
	{"data:text/html,<h1>hi</h1>", ErrBadURL},
	{"javascript:alert(1)", ErrBadURL},
	{"http://user:pass@public.example/", ErrCredentials},
	{"http://public.example@127.0.0.1/", ErrCredentials},
	// Odd ports.
	{"http://public.example:22/", ErrPort},
	{"http://public.example:6379/", ErrPort},
	{"https://public.example:8443/", ErrPort},
}

func hostileNet() *recordingNet {
	return &recordingNet{names: map[string][]netip.Addr{
		"evil.example":     addrs("127.0.0.1"),
		"metadata.example": addrs("169.254.169.254"),
		"ula.example":      addrs("fd00::1"),
		"rebind.example":   addrs(publicIP, "10.0.0.7"),
		"public.example":   addrs(publicIP),
	}}
}

func TestHostileURLsRefusedWithoutConnecting(t *testing.T) {
	n := hostileNet()
	c := guardedWith(n)
	for _, tt := range hostileURLs {
		_, err := c.Get(context.Background(), tt.url, Conditional{}, "")
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.url, err, tt.want)
		}
		if msg := Reason(err); !strings.HasSuffix(msg, ".") || strings.Contains(msg, "fetch:") {
			t.Errorf("%s: unclear reason %q", tt.url, msg)
		}
	}
	if got := n.tried(); len(got) != 0 {
		t.Errorf("connections were attempted: %v", got)
	}
	t.Logf("%d hostile URLs refused, no connection attempted", len(hostileURLs))
	// The control: a public name does reach the dialer, so the test above
	// could have failed.
	c.Get(context.Background(), "http://public.example/", Conditional{}, "")
	if got := n.tried(); len(got) != 1 || got[0] != publicIP+":80" {
		t.Errorf("the public control made attempts %v", got)
	}
}

// TestGuardAgreesWithTheRanges checks the non-loopback ranges against the
// guard itself, address by address, without dialling anything.
func TestGuardAgreesWithTheRanges(t *testing.T) {
	c := New(Options{})
	for _, a := range []string{"10.255.255.255", "172.31.0.1", "192.168.255.1", "100.127.255.254", "169.254.0.1", "127.255.255.254", "0.1.2.3",
		"198.18.0.1", "192.0.0.1", "fe80::abcd", "fc00::", "fdff:ffff::1", "::", "::1", "ff02::1", "64:ff9b::7f00:1"} {
		if err := c.CheckAddr(netip.MustParseAddr(a), 80); err == nil {
			t.Errorf("%s passes the guard", a)
		}
	}
	for _, a := range []string{"93.184.216.34", "8.8.8.8", "2606:4700::6810:85e5"} {
		if err := c.CheckAddr(netip.MustParseAddr(a), 443); err != nil {
			t.Errorf("public %s refused: %v", a, err)
		}
	}
}

func TestRedirectsInsideRefused(t *testing.T) {
	var hops []string
	locations := []string{
		"http://127.0.0.1/", "http://localhost:8080/", "http://169.254.169.254/latest/", "http://10.0.0.1/",
		"http://evil.example/", "file:///etc/passwd", "http://[::1]/",
	}
	for _, loc := range locations {
		redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hops = append(hops, r.URL.Path)
			if r.URL.Path == "/chain" {
				http.Redirect(w, r, "/next", http.StatusFound)
				return
			}
			http.Redirect(w, r, loc, http.StatusFound)
		}))
		n := hostileNet()
		n.public = strings.TrimPrefix(redirector.URL, "http://")
		c := guardedWith(n)
		for _, start := range []string{"http://public.example/", "http://public.example/chain"} {
			_, err := c.Get(context.Background(), start, Conditional{}, "")
			if err == nil {
				t.Errorf("%s -> %s was followed", start, loc)
			}
		}
		for _, a := range n.tried() {
			if a != publicIP+":80" {
				t.Errorf("redirect to %s made a connection to %s", loc, a)
			}
		}
		redirector.Close()
	}
	if len(hops) == 0 {
		t.Fatal("the redirector was never reached: the test proves nothing")
	}
}

func TestEndlessRedirectLoop(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
	}))
	defer srv.Close()
	_, err := open(1<<20).Get(context.Background(), srv.URL+"/", Conditional{}, "")
	if !errors.Is(err, ErrTooManyRedirects) {
		t.Errorf("err = %v, want ErrTooManyRedirects", err)
	}
}

func TestSlowServers(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	tests := map[string]http.HandlerFunc{
		"never answers": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-block:
			case <-r.Context().Done():
			}
		},
		"trickles a byte a second": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			for i := 0; i < 60; i++ {
				select {
				case <-block:
					return
				case <-r.Context().Done():
					return
				case <-time.After(time.Second):
				}
				w.Write([]byte("a"))
				w.(http.Flusher).Flush()
			}
		},
	}
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			c := New(Options{Timeout: 1500 * time.Millisecond, AllowPrivate: true})
			start := time.Now()
			_, err := c.Get(context.Background(), srv.URL, Conditional{}, "")
			if !errors.Is(err, ErrTimeout) {
				t.Errorf("err = %v, want ErrTimeout", err)
			}
			if time.Since(start) > 10*time.Second {
				t.Errorf("gave up after %s", time.Since(start))
			}
		})
	}
}
