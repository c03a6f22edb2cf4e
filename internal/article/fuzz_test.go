package article

import (
	"strings"
	"testing"
)

// FuzzCanonicalURL checks canonical forms are http(s), idempotent and free
// of credentials and fragments.
func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{"https://Example.com/a/?utm_source=x#f", "http://user@h/", "HTTPS://x.y:443", "https://[::1]:443/", "http://a/%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := CanonicalURL(raw)
		if err != nil {
			return
		}
		if !strings.HasPrefix(c, "http://") && !strings.HasPrefix(c, "https://") || strings.Contains(c, "#") {
			t.Fatalf("CanonicalURL(%q) = %q", raw, c)
		}
		again, err := CanonicalURL(c)
		if err != nil || again != c {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", raw, c, again, err)
		}
	})
}
