package extract

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/disputebot/disputebot/internal/article"
)

// FuzzExtract feeds arbitrary bytes to extraction: it must not panic, and
// whatever it returns must be valid UTF-8 with a plausible date or none.
func FuzzExtract(f *testing.F) {
	f.Add([]byte(`<html><head><title>T</title><meta property="article:published_time" content="2023-04-20T09:15:00Z"></head><body><p>Musk sued.</p></body></html>`), "text/html")
	f.Add([]byte(`<time datetime="99999-99-99">x</time><p>text</p>`), "")
	f.Add([]byte("\xff\xfe<\x00h\x00"), "text/html; charset=utf-16")
	f.Add([]byte(`<meta charset="shift_jis"><title>`+"\x83e\x83X\x83g"+`</title><p>本文</p>`), "text/html")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		p, err := Extract(body, contentType, "https://example.com/2023/04/20/story")
		if err != nil {
			return
		}
		if !utf8.ValidString(p.Title) || !utf8.ValidString(p.Text) || !utf8.ValidString(p.Site) {
			t.Fatalf("invalid UTF-8 in %+v", p)
		}
		if !p.Published.IsZero() && !article.PlausibleDate(p.Published, time.Now()) {
			t.Fatalf("implausible date %v", p.Published)
		}
	})
}

// FuzzPlainText checks feed descriptions become text without panicking.
func FuzzPlainText(f *testing.F) {
	f.Add(`<p>Elon Musk said <b>lawsuit time</b>.</p>`)
	f.Add(`<script>alert(1)</script>&amp;&#x27;`)
	f.Fuzz(func(t *testing.T, s string) {
		out := PlainText(s)
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("PlainText(%q) = %q is not UTF-8", s, out)
		}
	})
}
