// Package fetch is the one HTTP client disputebot reads the web with. It
// has a connect and a total timeout, a cap on the body (after
// decompression), an honest User-Agent, few redirects, conditional GET, and
// it refuses private, loopback and link-local addresses at dial time, after
// DNS, so that neither a redirect nor a rebinding name can reach inside.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"code.dny.dev/ssrf"
)

// Errors callers branch on. Reason turns any of them into a sentence for
// users.
var (
	ErrBadURL           = errors.New("fetch: not an http(s) address")
	ErrCredentials      = errors.New("fetch: address carries credentials")
	ErrPrivateAddress   = errors.New("fetch: private or local address refused")
	ErrPort             = errors.New("fetch: port refused")
	ErrTooLarge         = errors.New("fetch: body over the size cap")
	ErrTooManyRedirects = errors.New("fetch: too many redirects")
	ErrTimeout          = errors.New("fetch: timed out")
	ErrStatus           = errors.New("fetch: unexpected HTTP status")
	ErrUnreachable      = errors.New("fetch: site unreachable")
)

// StatusError carries the HTTP status of a failed fetch.
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return fmt.Sprintf("fetch: HTTP status %d", e.Code) }

// Unwrap lets errors.Is(err, ErrStatus) match.
func (e *StatusError) Unwrap() error { return ErrStatus }

// Options configures a Client.
type Options struct {
	Timeout      time.Duration // whole request, body included
	MaxBytes     int64
	UserAgent    string
	AllowPrivate bool // lift the address and port guard (tests, intranets)
	MaxRedirects int  // default 5
	// LookupIP replaces DNS; Dial replaces the connect that follows the
	// guard. Tests use them to resolve names to any address and to record
	// attempts without sending a packet.
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
	Dial     func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Client fetches pages and feeds. It is safe for concurrent use.
type Client struct {
	http  *http.Client
	opts  Options
	guard *ssrf.Guardian
}

// New returns a hardened client.
func New(o Options) *Client {
	if o.Timeout == 0 {
		o.Timeout = 20 * time.Second
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = 5 << 20
	}
	if o.MaxRedirects == 0 {
		o.MaxRedirects = 5
	}
	if o.UserAgent == "" {
		o.UserAgent = "disputebot/1.0"
	}
	c := &Client{opts: o, guard: ssrf.New()}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !o.AllowPrivate {
		// The second belt: even an address that slipped past the check
		// below is refused by the socket layer before it connects.
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			return c.checkAddr(address)
		}
	}
	connect := dialer.DialContext
	if o.Dial != nil {
		connect = o.Dial
	}
	lookup := o.LookupIP
	if lookup == nil {
		lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	// dial resolves the name itself and checks every address it resolves
	// to before connecting to one, so a name that points inside (or a
	// rebinding name that answers differently the second time) is refused
	// on the very addresses the connection would use.
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, ErrBadURL
		}
		var ips []netip.Addr
		if ip, err := netip.ParseAddr(host); err == nil {
			ips = []netip.Addr{ip}
		} else if ips, err = lookup(ctx, host); err != nil {
			return nil, fmt.Errorf("%w: resolving %s: %v", ErrUnreachable, host, err)
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("%w: %s has no address", ErrUnreachable, host)
		}
		if !o.AllowPrivate {
			for _, ip := range ips {
				if err := c.checkAddr(net.JoinHostPort(ip.Unmap().String(), port)); err != nil {
					return nil, err
				}
			}
		}
		var last error
		for _, ip := range ips {
			conn, err := connect(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
			if err == nil {
				return conn, nil
			}
			last = err
		}
		return nil, last
	}
	transport := &http.Transport{
		Proxy:                  nil, // a proxy would dial for us, past the guard
		DialContext:            dial,
		TLSHandshakeTimeout:    5 * time.Second,
		ResponseHeaderTimeout:  10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        60 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	c.http = &http.Client{
		Transport: transport,
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > o.MaxRedirects {
				return ErrTooManyRedirects
			}
			return c.checkURL(req.URL)
		},
	}
	return c
}

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// checkAddr is the dial-time guard: the resolved IP and port.
func (c *Client) checkAddr(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, address)
	}
	if err := c.guard.SafeAddrPort(ap); err != nil {
		if errors.Is(err, ssrf.ErrProhibitedPort) {
			return ErrPort
		}
		return ErrPrivateAddress
	}
	return nil
}

// CheckAddr tells whether the guard lets a resolved address through, without
// dialling: tests check non-loopback ranges with it, so that no packet
// leaves the machine.
func (c *Client) CheckAddr(ip netip.Addr, port uint16) error {
	if c.opts.AllowPrivate {
		return nil
	}
	return c.checkAddr(netip.AddrPortFrom(ip, port).String())
}

// CheckURL refuses, before any connection, an address disputebot will not
// read: not http(s), with credentials, a literal private IP, a local name,
// a numeric host in an unusual spelling, or a port other than 80 and 443.
func (c *Client) CheckURL(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return ErrBadURL
	}
	return c.checkURL(u)
}

func (c *Client) checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" || u.Opaque != "" {
		return ErrBadURL
	}
	if u.User != nil {
		return ErrCredentials
	}
	if c.opts.AllowPrivate {
		return nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	port := 80
	if u.Scheme == "https" {
		port = 443
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return ErrBadURL
		}
		port = n
	}
	if port != 80 && port != 443 {
		return ErrPort
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return c.checkAddr(netip.AddrPortFrom(ip.Unmap(), uint16(port)).String())
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".local") ||
		strings.HasSuffix(host, ".internal") || strings.HasSuffix(host, ".home.arpa") || !strings.Contains(host, ".") {
		return ErrPrivateAddress
	}
	if numericHost(host) {
		// 127.1, 0x7f000001, 2130706433, 0177.0.0.1: spellings some
		// resolvers read as IPs. No real site is named like that.
		return ErrPrivateAddress
	}
	return nil
}

// numericHost reports whether every label of host is a number in decimal,
// octal or hex.
func numericHost(host string) bool {
	for _, label := range strings.Split(host, ".") {
		l := strings.TrimPrefix(strings.TrimPrefix(label, "0x"), "0X")
		if l == "" {
			return false
		}
		for _, r := range l {
			if !strings.ContainsRune("0123456789abcdef", r) {
				return false
			}
		}
		if l == label && strings.ContainsAny(l, "abcdef") {
			return false // a plain word such as "cafe"
		}
	}
	return true
}

// Conditional carries the validators of an earlier response.
type Conditional struct {
	ETag         string
	LastModified string
}

// Response is a fetched body with what the caller needs to know about it.
type Response struct {
	URL          string // after redirects
	Status       int
	ContentType  string
	Body         []byte // at most MaxBytes, decompressed
	ETag         string
	LastModified string
	NotModified  bool // 304: Body is empty, keep what you had
}

// Get fetches raw. A non-2xx status other than 304 is an error carrying a
// *StatusError.
func (c *Client) Get(ctx context.Context, raw string, cond Conditional, accept string) (*Response, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, ErrBadURL
	}
	if err := c.checkURL(u); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, ErrBadURL
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if cond.ETag != "" {
		req.Header.Set("If-None-Match", cond.ETag)
	}
	if cond.LastModified != "" {
		req.Header.Set("If-Modified-Since", cond.LastModified)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, classify(err)
	}
	defer resp.Body.Close()
	out := &Response{
		URL:          resp.Request.URL.String(),
		Status:       resp.StatusCode,
		ContentType:  resp.Header.Get("Content-Type"),
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
	}
	if resp.StatusCode == http.StatusNotModified {
		out.NotModified = true
		return out, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return out, &StatusError{Code: resp.StatusCode}
	}
	if resp.ContentLength > c.opts.MaxBytes {
		return out, ErrTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBytes+1))
	if err != nil {
		return out, classify(err)
	}
	if int64(len(body)) > c.opts.MaxBytes {
		return out, ErrTooLarge
	}
	out.Body = body
	return out, nil
}

// classify maps transport errors onto the package's sentinels, keeping the
// original for the log.
func classify(err error) error {
	for _, s := range []error{ErrPrivateAddress, ErrPort, ErrTooManyRedirects, ErrBadURL, ErrCredentials, ErrTooLarge} {
		if errors.Is(err, s) {
			return fmt.Errorf("%w (%v)", s, err)
		}
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w (%v)", ErrTimeout, err)
	}
	return fmt.Errorf("%w (%v)", ErrUnreachable, err)
}

// Reason is the sentence a user reads for a fetch error: never a Go error
// string, an address inside the network or a path.
func Reason(err error) string {
	var se *StatusError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrBadURL):
		return "That is not a web address I can read: it must start with http:// or https://."
	case errors.Is(err, ErrCredentials):
		return "That address carries a user name or password; I don't send credentials."
	case errors.Is(err, ErrPrivateAddress):
		return "That address points to a private or local network, which I never connect to."
	case errors.Is(err, ErrPort):
		return "I only connect to web sites on the standard ports (80 and 443)."
	case errors.Is(err, ErrTooLarge):
		return "The page is too large for me to read."
	case errors.Is(err, ErrTooManyRedirects):
		return "The site redirected too many times."
	case errors.Is(err, ErrTimeout):
		return "The site took too long to answer."
	case errors.As(err, &se):
		switch {
		case se.Code == 404 || se.Code == 410:
			return fmt.Sprintf("The site says there is no such page (HTTP %d).", se.Code)
		case se.Code == 401 || se.Code == 403:
			return fmt.Sprintf("The site refused to let me read it (HTTP %d).", se.Code)
		case se.Code == 429:
			return "The site asked me to slow down (HTTP 429); I'll try again later."
		case se.Code >= 500:
			return fmt.Sprintf("The site had an error of its own (HTTP %d).", se.Code)
		default:
			return fmt.Sprintf("The site answered with HTTP %d.", se.Code)
		}
	case errors.Is(err, ErrUnreachable):
		return "I could not reach that site."
	}
	return "I could not read that address."
}
