package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// guarded is a client with the guard on, as in production.
func guarded() *Client {
	return New(Options{Timeout: 5 * time.Second, MaxBytes: 1 << 20})
}

// open is a client for tests about a server, not the guard: the httptest
// server is on loopback.
func open(maxBytes int64) *Client {
	return New(Options{Timeout: 2 * time.Second, MaxBytes: maxBytes, AllowPrivate: true})
}

func TestGuardRefusesLocalAddresses(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte("<html><title>inside</title></html>"))
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
	c := guarded()
	tests := []struct {
		name string
		url  string
		want error
	}{
		{"loopback literal", srv.URL, ErrPort},
		{"loopback on port 80", "http://127.0.0.1/", ErrPrivateAddress},
		{"name resolving to loopback", "http://localhost:" + port + "/", ErrPort},
		{"localhost on 80", "http://localhost/", ErrPrivateAddress},
		{"private 10/8", "http://10.0.0.1/", ErrPrivateAddress},
		{"private 192.168/16", "http://192.168.1.1/", ErrPrivateAddress},
		{"link-local", "http://169.254.10.10/", ErrPrivateAddress},
		{"cloud metadata", "http://169.254.169.254/latest/meta-data/", ErrPrivateAddress},
		{"IPv6 loopback", "http://[::1]/", ErrPrivateAddress},
		{"short loopback", "http://127.1/", ErrPrivateAddress},
		{"credentials", "https://user:pass@example.com/", ErrCredentials},
		{"file scheme", "file:///etc/passwd", ErrBadURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Get(context.Background(), tt.url, Conditional{}, "")
			if !errors.Is(err, tt.want) {
				t.Errorf("Get(%s) = %v, want %v", tt.url, err, tt.want)
			}
			if msg := Reason(err); strings.Contains(msg, "127.") || strings.Contains(msg, "fetch:") {
				t.Errorf("Reason leaks internals: %q", msg)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server was reached %d times", n)
	}
}

// TestGuardAtDialTime proves the guard runs on the resolved address, not
// only on the URL: a public-looking name that resolves to loopback (here
// through a redirect to "localhost" with the port check lifted) is refused
// when dialled.
func TestGuardAtDialTime(t *testing.T) {
	var inside atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inside.Add(1)
	}))
	defer target.Close()
	c := guarded()
	// Bypass the URL pre-check to reach the dialer with a loopback
	// address, as a rebinding name would.
	err := c.checkAddr(strings.TrimPrefix(target.URL, "http://"))
	if !errors.Is(err, ErrPrivateAddress) && !errors.Is(err, ErrPort) {
		t.Fatalf("dial guard let %s through: %v", target.URL, err)
	}
	req, _ := http.NewRequest(http.MethodGet, target.URL, nil)
	_, err = c.http.Do(req)
	if err == nil || !(errors.Is(err, ErrPrivateAddress) || errors.Is(err, ErrPort)) {
		t.Fatalf("transport reached loopback: %v", err)
	}
	if inside.Load() != 0 {
		t.Fatal("loopback server was reached")
	}
}

func TestRedirectToPrivateRefused(t *testing.T) {
	var inside atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inside.Add(1) }))
	defer target.Close()
	for _, loc := range []string{target.URL, "http://169.254.169.254/", "http://10.1.2.3/admin", "http://localhost/"} {
		redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, loc, http.StatusFound)
		}))
		// The redirector is on loopback too; reach it through a client
		// whose dialer lets only that one address through, as if it were a
		// public site.
		c := New(Options{Timeout: 2 * time.Second, MaxBytes: 1 << 20})
		c.opts.AllowPrivate = false
		pub := strings.TrimPrefix(redirector.URL, "http://")
		c.http.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != pub {
				if err := c.checkAddr(addr); err != nil {
					return nil, err
				}
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}
		_, err := c.http.Get(redirector.URL)
		if err == nil {
			t.Errorf("redirect to %s was followed", loc)
		}
		redirector.Close()
	}
	if inside.Load() != 0 {
		t.Errorf("private target reached %d times through a redirect", inside.Load())
	}
}

func TestBodyCap(t *testing.T) {
	big := bytes.Repeat([]byte("a"), 64<<10)
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"declared length", func(w http.ResponseWriter, r *http.Request) { w.Write(big) }},
		{"chunked", func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i < 8; i++ {
				w.Write(big[:8<<10])
				w.(http.Flusher).Flush()
			}
		}},
		{"gzip bomb", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write(bytes.Repeat([]byte{0}, 10<<20))
			zw.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			_, err := open(16<<10).Get(context.Background(), srv.URL, Conditional{}, "")
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("err = %v, want ErrTooLarge", err)
			}
		})
	}
}

func TestConditionalGet(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Write([]byte("hello"))
	}))
	defer srv.Close()
	c := open(1 << 20)
	first, err := c.Get(context.Background(), srv.URL, Conditional{}, "")
	if err != nil || string(first.Body) != "hello" || first.ETag != `"v1"` {
		t.Fatalf("first = %+v, %v", first, err)
	}
	second, err := c.Get(context.Background(), srv.URL, Conditional{ETag: first.ETag}, "")
	if err != nil || !second.NotModified {
		t.Fatalf("second = %+v, %v; want NotModified", second, err)
	}
}

func TestHonestUserAgentAndTimeout(t *testing.T) {
	var ua atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua.Store(r.UserAgent())
		if r.URL.Path == "/slow" {
			time.Sleep(3 * time.Second)
		}
	}))
	defer srv.Close()
	c := New(Options{Timeout: 500 * time.Millisecond, AllowPrivate: true, UserAgent: "disputebot/test (+https://example.org)"})
	if _, err := c.Get(context.Background(), srv.URL, Conditional{}, ""); err != nil {
		t.Fatal(err)
	}
	if got := ua.Load(); got != "disputebot/test (+https://example.org)" {
		t.Errorf("User-Agent = %v", got)
	}
	_, err := c.Get(context.Background(), srv.URL+"/slow", Conditional{}, "")
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("slow server: err = %v, want ErrTimeout", err)
	}
}

func TestStatusReasons(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusForbidden)
	}))
	defer srv.Close()
	_, err := open(1<<20).Get(context.Background(), srv.URL, Conditional{}, "")
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 403 {
		t.Fatalf("err = %v, want status 403", err)
	}
	if got := Reason(err); !strings.Contains(got, "403") || !strings.HasSuffix(got, ".") {
		t.Errorf("Reason = %q", got)
	}
}
