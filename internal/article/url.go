package article

import (
	"errors"
	"net/url"
	"path"
	"sort"
	"strings"
)

// ErrBadURL is returned for an address disputebot will not read: not
// absolute, not http(s), or carrying credentials.
var ErrBadURL = errors.New("article: not a usable http(s) address")

// trackingParams are query parameters that name the campaign that brought a
// reader, not the page: two links differing only in them are the same
// article.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "msclkid": true, "yclid": true,
	"mc_cid": true, "mc_eid": true, "igshid": true, "ref": true, "ref_src": true,
	"cmpid": true, "smid": true, "smtyp": true, "ncid": true, "ocid": true,
	"guccounter": true, "guce_referrer": true, "guce_referrer_sig": true,
	"sr_share": true, "taid": true, "mbid": true, "_ga": true, "spm": true, "src": true,
}

// CanonicalURL returns the form of raw under which an article is stored: the
// scheme and host lower-cased, default ports, fragment, tracking parameters
// (utm_*, fbclid, ...) and a trailing slash dropped, the remaining query
// parameters sorted. It refuses addresses that are not absolute http(s) or
// that carry credentials.
func CanonicalURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Hostname() == "" || u.Opaque != "" {
		return "", ErrBadURL
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", ErrBadURL
	}
	if u.User != nil {
		return "", ErrBadURL
	}
	u.Host = strings.ToLower(u.Host)
	if h, p := u.Hostname(), u.Port(); (u.Scheme == "http" && p == "80") || (u.Scheme == "https" && p == "443") {
		u.Host = h
		if strings.Contains(h, ":") {
			u.Host = "[" + h + "]"
		}
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Path != "" && u.Path != "/" {
		cleaned := path.Clean(u.Path)
		u.Path = strings.TrimSuffix(cleaned, "/")
		u.RawPath = ""
	}
	if u.Path == "/" {
		u.Path = ""
	}
	q := u.Query()
	for k := range q {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "utm_") || trackingParams[lk] {
			delete(q, k)
		}
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		vs := q[k]
		sort.Strings(vs)
		for _, v := range vs {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	u.RawQuery = b.String()
	u.ForceQuery = false
	return u.String(), nil
}
