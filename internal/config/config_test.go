package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	}
	for name, value := range tests {
		_, err := Load("", getenv(map[string]string{name: value}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: err = %v, want it named", name, value, err)
		}
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
