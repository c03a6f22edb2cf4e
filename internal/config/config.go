// Package config owns disputebot's settings: one table of options, each with
// its default, its parser and its check, read once at start-up from the
// environment and an optional .env file. Real environment variables win over
// the file, and every error names the variable at fault.
package config

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/joho/godotenv"

	"github.com/disputebot/disputebot/internal/weblink"
)

// Config is every setting disputebot reads, typed.
type Config struct {
	DataDir string
	// DatabaseURL, when set, puts the store in PostgreSQL instead of the
	// data folder's SQLite file (the index stays in the data folder).
	DatabaseURL string
	LogLevel    slog.Level
	LogFormat   string // "text" or "json"

	FetchAllowPrivate bool
	FetchTimeout      time.Duration
	FetchMaxBytes     int64
	FetchUserAgent    string

	DiscordToken          string
	DiscordAppID          string
	DiscordGuildID        string
	DiscordAPIURL         string
	CommandPrefix         string
	DiscordMessageContent bool
	ModRoleIDs            []string
	MetricsAddr           string
	// InteractionsAddr, when set, is where Discord's signed interaction
	// POSTs are answered; DiscordPublicKey verifies their signatures.
	InteractionsAddr string
	DiscordPublicKey ed25519.PublicKey
	// WebAddr, when set, is where the read-only web pages are served;
	// PublicURL is the address people reach them at (no trailing slash),
	// which links and link previews are built from.
	WebAddr   string
	PublicURL string
	// WebLinkSecret signs the links that show a server its own articles
	// on the web pages (HMAC-SHA256); empty makes unsigned links only,
	// which show the built-in corpus and public articles. Every process
	// of one bot needs the same secret.
	WebLinkSecret []byte
	// WebLinkTTL is how long a signed link shows the server's articles.
	WebLinkTTL time.Duration
	// WebTrustedProxies are the proxies in front of the web pages, whose
	// X-Forwarded-For names the client the rate limit counts.
	WebTrustedProxies []netip.Prefix

	FeedInterval       time.Duration
	FeedMinInterval    time.Duration
	FeedConcurrency    int
	NotifyDigestWindow time.Duration
	NotifyLease        time.Duration
	// NotifyRate is how many notices all processes sharing the store send
	// in a second, together; 0 is no limit.
	NotifyRate      int
	CommandTimeout  time.Duration
	CommandCooldown time.Duration

	// ShardCount is the gateway's shard count, 0 for Discord's
	// recommendation; ShardLease how long a process holds a shard
	// without renewing it (processes sharing a PostgreSQL store share
	// the shards out).
	ShardCount int
	ShardLease time.Duration

	// What one server may use: a public bot is only as safe as its least
	// trusted server.
	FeedPollBudget         time.Duration
	FeedItemsPerPoll       int
	GuildDailyArticles     int
	GuildMaxFeeds          int
	GuildMaxSources        int
	GuildMaxAliases        int
	GuildMaxSubscriptions  int
	MemberMaxSubscriptions int
}

// option is one row of the table: a variable, its default and how to store
// its value in a Config.
type option struct {
	name  string
	def   string
	help  string
	parse func(c *Config, v string) error
}

// options is the table of every variable disputebot reads. .env.example and
// the README are written from it; TestEnvExampleListsEveryOption keeps them
// in step.
var options = []option{
	{"DATA_DIR", "", "folder for the SQLite database and the Bleve index (default: $XDG_DATA_HOME/disputebot, ~/.local/share/disputebot, else ./var)", func(c *Config, v string) error {
		c.DataDir = v
		return nil
	}},
	{"DATABASE_URL", "", "postgres://user@host:5432/db puts the store in PostgreSQL, which several processes can share; empty keeps it in the data folder's SQLite file", func(c *Config, v string) error {
		if v == "" {
			c.DatabaseURL = ""
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			return errors.New("must be a postgres:// URL with a host, like postgres://disputebot@127.0.0.1:5432/disputebot")
		}
		c.DatabaseURL = v
		return nil
	}},
	{"LOG_LEVEL", "info", "debug, info, warn or error", func(c *Config, v string) error {
		return c.LogLevel.UnmarshalText([]byte(v))
	}},
	{"LOG_FORMAT", "text", "text or json", func(c *Config, v string) error {
		if v != "text" && v != "json" {
			return errors.New("must be text or json")
		}
		c.LogFormat = v
		return nil
	}},
	{"FETCH_ALLOW_PRIVATE", "false", "true lets the fetcher reach loopback and private addresses (tests, intranets)", func(c *Config, v string) (err error) {
		c.FetchAllowPrivate, err = parseBool(v)
		return err
	}},
	{"FETCH_TIMEOUT", "20s", "total time allowed for one fetch", func(c *Config, v string) (err error) {
		c.FetchTimeout, err = parseDuration(v, time.Second, 5*time.Minute)
		return err
	}},
	{"FETCH_MAX_BYTES", "5242880", "largest body read from one response, in bytes, after decompression", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1024 || n > 1<<30 {
			return errors.New("must be a whole number of bytes between 1024 and 1073741824")
		}
		c.FetchMaxBytes = n
		return nil
	}},
	{"FETCH_USER_AGENT", "disputebot/1.0 (+https://github.com/disputebot/disputebot)", "User-Agent sent with every fetch", func(c *Config, v string) error {
		if strings.TrimSpace(v) == "" {
			return errors.New("must not be empty")
		}
		c.FetchUserAgent = v
		return nil
	}},
	{"DISCORD_TOKEN", "", "bot token; required for serve", func(c *Config, v string) error {
		c.DiscordToken = strings.TrimPrefix(strings.TrimSpace(v), "Bot ")
		return nil
	}},
	{"DISCORD_APP_ID", "", "application id; read from the gateway's READY when empty", func(c *Config, v string) error {
		return setSnowflake(&c.DiscordAppID, v)
	}},
	{"DISCORD_GUILD_ID", "", "register slash commands to this guild only (instant, for development) instead of globally", func(c *Config, v string) error {
		return setSnowflake(&c.DiscordGuildID, v)
	}},
	{"DISCORD_API_URL", "", "base of a Discord-compatible REST API, e.g. https://chat.example.org/api/v10/; empty is Discord's own", func(c *Config, v string) error {
		if v == "" {
			c.DiscordAPIURL = ""
			return nil
		}
		if !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
			return errors.New("must be an http(s) URL")
		}
		if !strings.HasSuffix(v, "/") {
			v += "/"
		}
		c.DiscordAPIURL = v
		return nil
	}},
	{"DISCORD_MESSAGE_CONTENT", "true", "request the privileged Message Content intent, which prefix commands (!dispute) need; false leaves slash commands and @mentions", func(c *Config, v string) (err error) {
		c.DiscordMessageContent, err = parseBool(v)
		return err
	}},
	{"COMMAND_PREFIX", "!", "prefix of text commands", func(c *Config, v string) error {
		if v == "" || len(v) > 5 || strings.ContainsAny(v, " \t\n") {
			return errors.New("must be 1 to 5 characters without spaces")
		}
		c.CommandPrefix = v
		return nil
	}},
	{"MOD_ROLE_IDS", "", "comma-separated role ids whose members are moderators, besides Manage Server", func(c *Config, v string) error {
		c.ModRoleIDs = nil
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id == "" {
				continue
			}
			var s string
			if err := setSnowflake(&s, id); err != nil {
				return err
			}
			c.ModRoleIDs = append(c.ModRoleIDs, s)
		}
		return nil
	}},
	{"METRICS_ADDR", "", "address for /healthz and /metrics, e.g. 127.0.0.1:9090; off when empty", func(c *Config, v string) error {
		c.MetricsAddr = v
		return nil
	}},
	{"INTERACTIONS_ADDR", "", "address to answer Discord's interaction POSTs on (the application's Interactions Endpoint URL leads here), e.g. 127.0.0.1:8080; off when empty; needs DISCORD_PUBLIC_KEY", func(c *Config, v string) (err error) {
		c.InteractionsAddr, err = parseAddr(v, "8080")
		return err
	}},
	{"DISCORD_PUBLIC_KEY", "", "the application's public key (General Information in the developer portal), 64 hex digits; verifies interaction POSTs", func(c *Config, v string) error {
		c.DiscordPublicKey = nil
		if v = strings.TrimSpace(v); v == "" {
			return nil
		}
		key, err := hex.DecodeString(v)
		if err != nil || len(key) != ed25519.PublicKeySize {
			return errors.New("must be the 64 hex digits of the application's public key, from General Information in the developer portal")
		}
		c.DiscordPublicKey = key
		return nil
	}},
	{"WEB_ADDR", "", "address to serve the read-only web pages on (disputebot web, and serve when set), e.g. 127.0.0.1:8081; off when empty; needs PUBLIC_URL", func(c *Config, v string) (err error) {
		c.WebAddr, err = parseAddr(v, "8081")
		return err
	}},
	{"PUBLIC_URL", "", "the http(s) address people reach the web pages at, e.g. https://disputes.example.org; link previews are built from it", func(c *Config, v string) error {
		c.PublicURL = ""
		if v = strings.TrimSpace(v); v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return errors.New("must be an absolute http(s) URL with no query, like https://disputes.example.org")
		}
		c.PublicURL = strings.TrimRight(v, "/")
		return nil
	}},
	{"WEB_LINK_SECRET", "", "a random secret of at least 32 characters (e.g. openssl rand -hex 32) that signs the web links showing a server its own sources; the same in every process; without it links show the built-in corpus only", func(c *Config, v string) error {
		c.WebLinkSecret = nil
		if v = strings.TrimSpace(v); v == "" {
			return nil
		}
		if len(v) < weblink.MinSecret {
			return fmt.Errorf("must be at least %d characters; make one with openssl rand -hex 32", weblink.MinSecret)
		}
		c.WebLinkSecret = []byte(v)
		return nil
	}},
	{"WEB_LINK_TTL", "168h", "how long a signed web link shows the server's own sources (the link then shows the built-in corpus)", func(c *Config, v string) (err error) {
		c.WebLinkTTL, err = parseDuration(v, time.Minute, 366*24*time.Hour)
		return err
	}},
	{"WEB_TRUSTED_PROXIES", "", "comma-separated addresses or CIDR ranges of the proxies in front of the web pages (e.g. 127.0.0.1); the rate limit then counts the client X-Forwarded-For names", func(c *Config, v string) error {
		c.WebTrustedProxies = nil
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f == "" {
				continue
			}
			p, err := netip.ParsePrefix(f)
			if err != nil {
				a, err2 := netip.ParseAddr(f)
				if err2 != nil {
					return fmt.Errorf("%q is neither an address nor a CIDR range like 10.0.0.0/8", f)
				}
				p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
			}
			c.WebTrustedProxies = append(c.WebTrustedProxies, p.Masked())
		}
		return nil
	}},
	{"FEED_INTERVAL", "15m", "default time between two polls of a feed", func(c *Config, v string) (err error) {
		c.FeedInterval, err = parseDuration(v, time.Second, 24*time.Hour)
		return err
	}},
	{"FEED_MIN_INTERVAL", "2m", "shortest poll interval a moderator may set", func(c *Config, v string) (err error) {
		c.FeedMinInterval, err = parseDuration(v, 100*time.Millisecond, 24*time.Hour)
		return err
	}},
	{"FEED_CONCURRENCY", "4", "feeds polled at once", func(c *Config, v string) (err error) {
		c.FeedConcurrency, err = parseCount(v, 1, 64)
		return err
	}},
	{"NOTIFY_DIGEST_WINDOW", "5s", "how long a notice waits for others to the same member or channel, so a burst becomes one digest", func(c *Config, v string) (err error) {
		c.NotifyDigestWindow, err = parseDuration(v, 0, time.Hour)
		return err
	}},
	{"NOTIFY_RATE", "20", "notice messages sent per second by every process sharing the store, together, or 0 for no limit: Discord allows a bot 50 requests a second in all (more when it grants a larger limit), and a DM to a member the bot has not written to before costs two", func(c *Config, v string) (err error) {
		c.NotifyRate, err = parseCount(v, 0, 100000)
		return err
	}},
	{"NOTIFY_LEASE", "1m", "how long a message being sent is kept from other senders; a process that dies mid-send has it resent, with the same nonce, after this", func(c *Config, v string) (err error) {
		c.NotifyLease, err = parseDuration(v, time.Second, time.Hour)
		return err
	}},
	{"SHARD_COUNT", "", "gateway shards in all, shared out between the serve processes on one DATABASE_URL; empty takes Discord's recommendation (GET /gateway/bot)", func(c *Config, v string) (err error) {
		c.ShardCount = 0
		if strings.TrimSpace(v) != "" {
			c.ShardCount, err = parseCount(v, 1, 65_536)
		}
		return err
	}},
	{"SHARD_LEASE", "30s", "how long a shard stays with a process that stops renewing it (a process renews every third of it); after that another process takes the shard over", func(c *Config, v string) (err error) {
		c.ShardLease, err = parseDuration(v, 3*time.Second, 10*time.Minute)
		return err
	}},
	{"COMMAND_TIMEOUT", "10s", "longest a command may run before the user is told it timed out", func(c *Config, v string) (err error) {
		c.CommandTimeout, err = parseDuration(v, 100*time.Millisecond, time.Minute)
		return err
	}},
	{"COMMAND_COOLDOWN", "3s", "per-member pause between two expensive commands (0 turns it off)", func(c *Config, v string) (err error) {
		c.CommandCooldown, err = parseDuration(v, 0, time.Hour)
		return err
	}},
	{"FEED_POLL_BUDGET", "60s", "longest one poll of a feed may take, its item pages included; items it has no time for wait for the next poll", func(c *Config, v string) (err error) {
		c.FeedPollBudget, err = parseDuration(v, time.Second, time.Hour)
		return err
	}},
	{"FEED_ITEMS_PER_POLL", "25", "most new items one poll of a feed reads; the rest wait for the next", func(c *Config, v string) (err error) {
		c.FeedItemsPerPoll, err = parseCount(v, 1, 100)
		return err
	}},
	{"GUILD_DAILY_ARTICLES", "1000", "most articles one server's feeds may bring in 24 hours (0: no cap)", func(c *Config, v string) (err error) {
		c.GuildDailyArticles, err = parseCount(v, 0, 1_000_000)
		return err
	}},
	{"GUILD_MAX_FEEDS", "50", "most feeds one server may follow (0: no cap)", func(c *Config, v string) (err error) {
		c.GuildMaxFeeds, err = parseCount(v, 0, 1_000_000)
		return err
	}},
	{"GUILD_MAX_SOURCES", "500", "most article sources one server may add (0: no cap)", func(c *Config, v string) (err error) {
		c.GuildMaxSources, err = parseCount(v, 0, 1_000_000)
		return err
	}},
	{"GUILD_MAX_ALIASES", "100", "most aliases one server may define (0: no cap)", func(c *Config, v string) (err error) {
		c.GuildMaxAliases, err = parseCount(v, 0, 1_000_000)
		return err
	}},
	{"GUILD_MAX_SUBSCRIPTIONS", "2000", "most subscriptions one server's members may hold together (0: no cap)", func(c *Config, v string) (err error) {
		c.GuildMaxSubscriptions, err = parseCount(v, 0, 1_000_000)
		return err
	}},
	{"MEMBER_MAX_SUBSCRIPTIONS", "25", "most subscriptions one member may hold in one server (0: no cap)", func(c *Config, v string) (err error) {
		c.MemberMaxSubscriptions, err = parseCount(v, 0, 1_000_000)
		return err
	}},
}

// Options lists the variables, their defaults and help, in table order.
func Options() [][3]string {
	out := make([][3]string, len(options))
	for i, o := range options {
		out[i] = [3]string{o.name, o.def, o.help}
	}
	return out
}

// Load reads the optional .env file at envFile (skipped when it does not
// exist) under the real environment, then parses every option. getenv is
// os.Getenv in production and a map in tests.
func Load(envFile string, getenv func(string) string) (*Config, error) {
	file := map[string]string{}
	if envFile != "" {
		raw, err := os.ReadFile(envFile)
		switch {
		case err == nil:
			m, err := godotenv.UnmarshalBytes(raw)
			if err != nil {
				return nil, dotEnvError(filepath.Base(envFile), raw)
			}
			file = m
		case errors.Is(err, os.ErrNotExist):
		default:
			return nil, fmt.Errorf("config: reading %s: %w", filepath.Base(envFile), err)
		}
	}
	c := &Config{}
	var errs []error
	for _, o := range options {
		// An empty variable counts as unset, so that "FOO=" in a shell
		// does not hide the file's value or the default.
		v := getenv(o.name)
		if v == "" {
			v = file[o.name]
		}
		if v == "" {
			v = o.def
		}
		if err := o.parse(c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", o.name, redact(o.name, v), err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if c.DataDir == "" {
		c.DataDir = defaultDataDir(getenv)
	}
	if c.InteractionsAddr != "" && c.DiscordPublicKey == nil {
		return nil, errors.New("config: DISCORD_PUBLIC_KEY is required when INTERACTIONS_ADDR is set: without it no interaction's signature can be checked (copy it from General Information in the developer portal)")
	}
	if c.WebAddr != "" && c.PublicURL == "" {
		return nil, errors.New("config: PUBLIC_URL is required when WEB_ADDR is set: link previews of the pages need the address people reach them at (like https://disputes.example.org)")
	}
	if c.FeedInterval < c.FeedMinInterval {
		return nil, fmt.Errorf("config: FEED_INTERVAL (%s) must not be shorter than FEED_MIN_INTERVAL (%s)", c.FeedInterval, c.FeedMinInterval)
	}
	return c, nil
}

// dotEnvError reports a .env file that godotenv refused. godotenv's own
// error quotes the offending text and everything after it, which may be the
// token, so it is dropped: the error names the file and, when badLine finds
// it, the line, but never any of the file's content.
func dotEnvError(name string, raw []byte) error {
	const hidden = "(its text is not shown: it may hold the token)"
	line, why := badLine(raw)
	if line == 0 {
		return fmt.Errorf("config: %s is not a list of NAME=value lines %s", name, hidden)
	}
	return fmt.Errorf("config: %s line %d %s %s", name, line, why, hidden)
}

// badLine returns the 1-based line of the first statement that godotenv
// (v1.5) refuses in src, and what is wrong with it, or 0 when it finds
// none. It follows godotenv's grammar rather than asking godotenv, whose
// errors carry no position: blank space and # comments are skipped, a
// statement is an optional "export", a name of letters, digits, _ and . and
// then = or :, and a value that is either the rest of the line or quoted,
// possibly over several lines. Anything after a closing quote starts a new
// statement, as it does in godotenv.
func badLine(src []byte) (line int, why string) {
	src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	notSpace := func(r rune) bool { return !unicode.IsSpace(r) }
	pos := 0
	for {
		for {
			i := bytes.IndexFunc(src[pos:], notSpace)
			if i < 0 {
				return 0, ""
			}
			pos += i
			if src[pos] != '#' {
				break
			}
			i = bytes.IndexByte(src[pos:], '\n')
			if i < 0 {
				return 0, ""
			}
			pos += i
		}
		line = 1 + bytes.Count(src[:pos], []byte("\n"))
		rest := src[pos:]
		if after, ok := bytes.CutPrefix(rest, []byte("export")); ok && bytes.IndexFunc(after, isBlank) == 0 {
			rest = bytes.TrimLeftFunc(after, isBlank)
			if len(rest) == 0 {
				return line, "is not NAME=value"
			}
		}
		eq := -1
	name:
		for i, c := range rest {
			r := rune(c) // godotenv reads names byte by byte
			switch {
			case c == '=' || c == ':':
				eq = i
				break name
			case isBlank(r) || c == '_' || c == '.' || unicode.IsLetter(r) || unicode.IsNumber(r):
			default:
				return line, "is not NAME=value"
			}
		}
		if eq < 0 {
			// godotenv accepts a last line without = and ignores it.
			return 0, ""
		}
		rest = bytes.TrimLeftFunc(rest[eq+1:], isBlank)
		if len(rest) > 0 && (rest[0] == '"' || rest[0] == '\'') {
			end := -1
			for i := 1; i < len(rest); i++ {
				if rest[i] == rest[0] && rest[i-1] != '\\' {
					end = i
					break
				}
			}
			if end < 0 {
				return line, "opens a quoted value that is never closed"
			}
			rest = rest[end+1:]
		} else if i := bytes.IndexAny(rest, "\n\r"); i >= 0 {
			rest = rest[i:]
		} else {
			return 0, ""
		}
		pos = len(src) - len(rest)
	}
}

// isBlank is godotenv's test for space within a line: unlike
// unicode.IsSpace it does not count a line break.
func isBlank(r rune) bool {
	switch r {
	case '\t', '\v', '\f', '\r', ' ', 0x85, 0xA0:
		return true
	}
	return false
}

// RequireDiscord checks what serve needs beyond the rest.
func (c *Config) RequireDiscord() error {
	if c.DiscordToken == "" {
		return errors.New("config: DISCORD_TOKEN is required for serve (set it in the environment or in .env)")
	}
	return nil
}

func redact(name, v string) string {
	if strings.Contains(name, "TOKEN") || strings.Contains(name, "DATABASE_URL") || strings.Contains(name, "SECRET") {
		// A database URL may carry a password.
		return "…"
	}
	return v
}

func defaultDataDir(getenv func(string) string) string {
	if x := getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "disputebot")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "disputebot")
	}
	return "var"
}

// parseAddr checks a host:port to listen on, so a typo stops start-up
// naming the variable; whether the address can be listened on is for the
// listener to find out. An empty value is "off".
func parseAddr(v, examplePort string) (string, error) {
	if v = strings.TrimSpace(v); v == "" {
		return "", nil
	}
	host, port, err := net.SplitHostPort(v)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 || strings.ContainsAny(host, "/ ") {
		return "", fmt.Errorf("must be host:port, like 127.0.0.1:%s or :%s", examplePort, examplePort)
	}
	return v, nil
}

func parseBool(v string) (bool, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, errors.New("must be true or false")
	}
	return b, nil
}

func parseDuration(v string, min, max time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		return 0, errors.New("must be a duration such as 30s or 15m")
	}
	if d < min || d > max {
		return 0, fmt.Errorf("must be between %s and %s", min, max)
	}
	return d, nil
}

func parseCount(v string, min, max int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < min || n > max {
		return 0, fmt.Errorf("must be a whole number from %d to %d", min, max)
	}
	return n, nil
}

func setSnowflake(dst *string, v string) error {
	v = strings.TrimSpace(v)
	if v == "" {
		*dst = ""
		return nil
	}
	if _, err := strconv.ParseUint(v, 10, 64); err != nil {
		return errors.New("must be a Discord id (digits only)")
	}
	*dst = v
	return nil
}
