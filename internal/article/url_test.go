package article

import "testing"

func TestCanonicalURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://Example.com/News/Story/?utm_source=x&utm_medium=y#comments", "https://example.com/News/Story"},
		{"https://example.com:443/a?b=2&a=1&fbclid=zz", "https://example.com/a?a=1&b=2"},
		{"http://example.com:80/", "http://example.com"},
		{"https://example.com/a/../b/./c", "https://example.com/b/c"},
		{"https://example.com/story?id=7&src=rss", "https://example.com/story?id=7"},
	}
	for _, tt := range tests {
		got, err := CanonicalURL(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("CanonicalURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "ftp://example.com/x", "javascript:alert(1)", "https://user:pw@example.com/", "/relative/path", "data:text/html,hi"} {
		if got, err := CanonicalURL(bad); err == nil {
			t.Errorf("CanonicalURL(%q) = %q, want an error", bad, got)
		}
	}
}
