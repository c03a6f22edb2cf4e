package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/joho/godotenv"
)

func getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load("", getenv(map[string]string{"HOME": "/home/u"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/home/u/.local/share/disputebot" || c.CommandPrefix != "!" || c.FetchTimeout != 20*time.Second || c.FetchAllowPrivate {
		t.Errorf("defaults = %+v", c)
	}
	if c, _ := Load("", getenv(nil)); c.DataDir != "var" {
		t.Errorf("no HOME: DataDir = %q, want var", c.DataDir)
	}
}

func TestEnvironmentWinsOverDotEnv(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, ".env")
	os.WriteFile(file, []byte("COMMAND_PREFIX=?\nDATA_DIR=/from/file\nDISCORD_TOKEN=file-token\n"), 0o600)
	c, err := Load(file, getenv(map[string]string{"DATA_DIR": "/from/env"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/from/env" || c.CommandPrefix != "?" || c.DiscordToken != "file-token" {
		t.Errorf("got DataDir %q prefix %q token %q", c.DataDir, c.CommandPrefix, c.DiscordToken)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	tests := map[string]string{
		"FETCH_TIMEOUT":       "soon",
		"FETCH_MAX_BYTES":     "lots",
		"FETCH_ALLOW_PRIVATE": "maybe",
		"LOG_FORMAT":          "xml",
		"COMMAND_PREFIX":      "way too long",
		"MOD_ROLE_IDS":        "123,abc",
		"DISCORD_API_URL":     "discord.com",
		"FEED_CONCURRENCY":    "0",
		"DATABASE_URL":        "mysql://root@localhost/db",
		"NOTIFY_LEASE":        "0s",
		"NOTIFY_RATE":         "-1",
		"INTERACTIONS_ADDR":   "localhost",
		"DISCORD_PUBLIC_KEY":  "not-hex",
		"SHARD_COUNT":         "0",
		"SHARD_LEASE":         "1s",
	}
	for name, value := range tests {
		_, err := Load("", getenv(map[string]string{name: value}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: err = %v, want it named", name, value, err)
		}
	}
}

// TestInteractionsEndpointSettings: the endpoint is off by default, and
// once INTERACTIONS_ADDR is set it needs a well-formed public key; every
// refusal names the variable to fix.
func TestInteractionsEndpointSettings(t *testing.T) {
	const key = "d2f1a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70"
	tests := []struct {
		name    string
		vars    map[string]string
		addr    string
		keyLen  int
		wantErr string // a variable the error must name; "" for none
	}{
		{"off by default", nil, "", 0, ""},
		{"address and key", map[string]string{"INTERACTIONS_ADDR": "127.0.0.1:8080", "DISCORD_PUBLIC_KEY": key}, "127.0.0.1:8080", 32, ""},
		{"any interface", map[string]string{"INTERACTIONS_ADDR": ":8080", "DISCORD_PUBLIC_KEY": key}, ":8080", 32, ""},
		{"a key alone is kept for later", map[string]string{"DISCORD_PUBLIC_KEY": key}, "", 32, ""},
		{"address without a key", map[string]string{"INTERACTIONS_ADDR": "127.0.0.1:8080"}, "", 0, "DISCORD_PUBLIC_KEY"},
		{"address without a port", map[string]string{"INTERACTIONS_ADDR": "127.0.0.1", "DISCORD_PUBLIC_KEY": key}, "", 0, "INTERACTIONS_ADDR"},
		{"a URL, not an address", map[string]string{"INTERACTIONS_ADDR": "https://bot.example.org/interactions", "DISCORD_PUBLIC_KEY": key}, "", 0, "INTERACTIONS_ADDR"},
		{"port out of range", map[string]string{"INTERACTIONS_ADDR": "127.0.0.1:99999", "DISCORD_PUBLIC_KEY": key}, "", 0, "INTERACTIONS_ADDR"},
		{"key too short", map[string]string{"INTERACTIONS_ADDR": ":8080", "DISCORD_PUBLIC_KEY": key[:62]}, "", 0, "DISCORD_PUBLIC_KEY"},
		{"key not hex", map[string]string{"INTERACTIONS_ADDR": ":8080", "DISCORD_PUBLIC_KEY": strings.Repeat("zz", 32)}, "", 0, "DISCORD_PUBLIC_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load("", getenv(tt.vars))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.InteractionsAddr != tt.addr || len(c.DiscordPublicKey) != tt.keyLen {
				t.Errorf("InteractionsAddr %q, key of %d bytes; want %q and %d", c.InteractionsAddr, len(c.DiscordPublicKey), tt.addr, tt.keyLen)
			}
		})
	}
}

// TestWebSettings: the pages are off by default; WEB_ADDR needs PUBLIC_URL,
// an absolute http(s) address kept without its trailing slash; every
// refusal names the variable to fix.
func TestWebSettings(t *testing.T) {
	tests := []struct {
		name      string
		vars      map[string]string
		addr, url string
		wantErr   string // a variable the error must name; "" for none
	}{
		{"off by default", nil, "", "", ""},
		{"address and URL", map[string]string{"WEB_ADDR": "127.0.0.1:8081", "PUBLIC_URL": "https://disputes.example.org"}, "127.0.0.1:8081", "https://disputes.example.org", ""},
		{"trailing slash dropped", map[string]string{"WEB_ADDR": ":8081", "PUBLIC_URL": "http://example.org/disputes/"}, ":8081", "http://example.org/disputes", ""},
		{"a URL alone is kept", map[string]string{"PUBLIC_URL": "https://disputes.example.org"}, "", "https://disputes.example.org", ""},
		{"address without a URL", map[string]string{"WEB_ADDR": "127.0.0.1:8081"}, "", "", "PUBLIC_URL"},
		{"address without a port", map[string]string{"WEB_ADDR": "127.0.0.1", "PUBLIC_URL": "https://disputes.example.org"}, "", "", "WEB_ADDR"},
		{"port out of range", map[string]string{"WEB_ADDR": ":70000", "PUBLIC_URL": "https://disputes.example.org"}, "", "", "WEB_ADDR"},
		{"a relative URL", map[string]string{"WEB_ADDR": ":8081", "PUBLIC_URL": "disputes.example.org"}, "", "", "PUBLIC_URL"},
		{"not http", map[string]string{"WEB_ADDR": ":8081", "PUBLIC_URL": "ftp://disputes.example.org"}, "", "", "PUBLIC_URL"},
		{"javascript", map[string]string{"WEB_ADDR": ":8081", "PUBLIC_URL": "javascript:alert(1)"}, "", "", "PUBLIC_URL"},
		{"with a query", map[string]string{"WEB_ADDR": ":8081", "PUBLIC_URL": "https://disputes.example.org/?a=1"}, "", "", "PUBLIC_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load("", getenv(tt.vars))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.WebAddr != tt.addr || c.PublicURL != tt.url {
				t.Errorf("WebAddr %q, PublicURL %q; want %q and %q", c.WebAddr, c.PublicURL, tt.addr, tt.url)
			}
		})
	}
}

// TestWebLinkSecret: the secret is off by default, refused when short
// enough to guess, and never printed back; the links last 7 days unless
// WEB_LINK_TTL says otherwise.
func TestWebLinkSecret(t *testing.T) {
	c, err := Load("", getenv(nil))
	if err != nil || c.WebLinkSecret != nil || c.WebLinkTTL != 7*24*time.Hour {
		t.Fatalf("defaults: secret %q, TTL %s, %v", c.WebLinkSecret, c.WebLinkTTL, err)
	}
	_, err = Load("", getenv(map[string]string{"WEB_LINK_SECRET": "hunter2-is-short"}))
	if err == nil || !strings.Contains(err.Error(), "WEB_LINK_SECRET") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("a short secret: err = %v, want WEB_LINK_SECRET named and the secret not shown", err)
	}
	secret := strings.Repeat("0123456789abcdef", 4)
	c, err = Load("", getenv(map[string]string{"WEB_LINK_SECRET": secret, "WEB_LINK_TTL": "24h"}))
	if err != nil || string(c.WebLinkSecret) != secret || c.WebLinkTTL != 24*time.Hour {
		t.Errorf("a good secret: %q, TTL %s, %v", c.WebLinkSecret, c.WebLinkTTL, err)
	}
	if _, err := Load("", getenv(map[string]string{"WEB_LINK_TTL": "10s"})); err == nil || !strings.Contains(err.Error(), "WEB_LINK_TTL") {
		t.Errorf("a 10 s TTL: err = %v, want WEB_LINK_TTL named", err)
	}
	c, err = Load("", getenv(map[string]string{"WEB_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,::1"}))
	if err != nil || fmt.Sprint(c.WebTrustedProxies) != "[127.0.0.1/32 10.0.0.0/8 ::1/128]" {
		t.Errorf("proxies: %v, %v", c.WebTrustedProxies, err)
	}
	if _, err := Load("", getenv(map[string]string{"WEB_TRUSTED_PROXIES": "127.0.0.1, proxy.local"})); err == nil || !strings.Contains(err.Error(), "WEB_TRUSTED_PROXIES") {
		t.Errorf("a host name among the proxies: err = %v, want WEB_TRUSTED_PROXIES named", err)
	}
}

// TestDatabasePasswordNeverEchoed: a refused database URL is named, and
// what it carried (a password, perhaps) is not printed back.
func TestDatabasePasswordNeverEchoed(t *testing.T) {
	_, err := Load("", getenv(map[string]string{"DATABASE_URL": "postgres//bot:hunter2@db/disputebot"}))
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v, want DATABASE_URL named and the password not shown", err)
	}
	c, err := Load("", getenv(map[string]string{"DATABASE_URL": "postgres://bot@127.0.0.1:5432/disputebot"}))
	if err != nil || c.DatabaseURL != "postgres://bot@127.0.0.1:5432/disputebot" {
		t.Errorf("a good URL: %+v, %v", c, err)
	}
}

func TestTokenNeverEchoed(t *testing.T) {
	// A token can only be refused by serve's check, but no error may print
	// one back.
	c, err := Load("", getenv(map[string]string{"DISCORD_TOKEN": "Bot secret.token.value"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DiscordToken != "secret.token.value" {
		t.Errorf("token = %q, want the Bot prefix dropped", c.DiscordToken)
	}
	if err := (&Config{}).RequireDiscord(); err == nil || !strings.Contains(err.Error(), "DISCORD_TOKEN") {
		t.Errorf("RequireDiscord = %v", err)
	}
}

// TestEnvExampleListsEveryOption keeps .env.example, the documentation of
// every setting, in step with the option table.
func TestEnvExampleListsEveryOption(t *testing.T) {
	raw, err := os.ReadFile("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range Options() {
		if !strings.Contains(string(raw), o[0]+"=") {
			t.Errorf(".env.example does not list %s", o[0])
		}
	}
}

// TestMalformedDotEnvHidesItsText checks that a broken .env is reported by
// file and line only. godotenv quotes the offending text, and the rest of
// the file after it, which would print the token to the terminal and logs.
func TestMalformedDotEnvHidesItsText(t *testing.T) {
	const token, secret = "abc.def", "secret-xyz"
	tests := []struct {
		name     string
		contents string
		line     string
		hidden   []string
	}{
		{"bad line after the token", "DISCORD_TOKEN=abc.def\nthis is not valid secret-xyz\n", "line 2", []string{"this is not valid"}},
		{"token without an equals sign", "COMMAND_PREFIX=?\nDISCORD_TOKEN abc.def\nDATA_DIR=/x\n", "line 2", nil},
		{"unterminated quote", "DISCORD_TOKEN=\"abc.def\nLOG_LEVEL=info\n", "line 1", nil},
		{"after comments and a multi-line value", "# settings\nFETCH_USER_AGENT=\"one\ntwo\"\n\nDISCORD_TOKEN=abc.def\nbad secret-xyz\n", "line 6", []string{"one", "two"}},
		{"export and CRLF line ends", "export DISCORD_TOKEN=abc.def\r\nbroken secret-xyz\r\n", "line 2", []string{"broken"}},
		{"text after a closing quote", "DISCORD_TOKEN=\"abc.def\" secret-xyz\n", "line 1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), ".env")
			if err := os.WriteFile(file, []byte(tt.contents), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(file, getenv(nil))
			if err == nil {
				t.Fatal("Load accepted a malformed .env")
			}
			msg := err.Error()
			for _, s := range append([]string{token, secret}, tt.hidden...) {
				if strings.Contains(msg, s) {
					t.Errorf("error shows %q from the file: %s", s, msg)
				}
			}
			if !strings.Contains(msg, ".env") || !strings.Contains(msg, tt.line) {
				t.Errorf("error = %q, want it to name .env and %s", msg, tt.line)
			}
		})
	}
}

// FuzzBadLineAgreesWithGodotenv keeps badLine's copy of godotenv's grammar
// in step with godotenv: whenever godotenv refuses a file, badLine must
// find a line in it, and it must never blame a file godotenv accepts.
func FuzzBadLineAgreesWithGodotenv(f *testing.F) {
	for _, s := range []string{
		"DISCORD_TOKEN=abc.def\nthis is not valid secret-xyz\n",
		"DISCORD_TOKEN abc.def\n",
		"DISCORD_TOKEN abc.def",
		"A=\"one\ntwo\"\n# c\nexport B='x' C=y\r\n",
		"A=\"x\\\"\n",
		"export\tA: b # c\n",
		"\u00a0A=b\n",
		"export ",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		_, err := godotenv.UnmarshalBytes(src)
		line, _ := badLine(src)
		if (err != nil) != (line != 0) {
			t.Fatalf("godotenv error %v, but badLine found line %d in %q", err, line, src)
		}
		if n := bytes.Count(src, []byte("\n")) + 1; line > n {
			t.Fatalf("badLine = %d, past the file's %d lines in %q", line, n, src)
		}
	})
}
