package discord

import (
	"context"
	"log/slog"
	"regexp"

	"github.com/bwmarrin/discordgo"
)

// secretPath matches the parts of Discord URLs that are credentials: an
// interaction's token and a webhook's token.
var secretPath = regexp.MustCompile(`(interactions|webhooks)/(\d+)/[A-Za-z0-9_.\-]+`)

// RouteLogs sends discordgo's own logging into log, at matching levels,
// with interaction and webhook tokens removed from any URL it mentions.
// discordgo's logger is a package variable, so this is set once, by main.
func RouteLogs(log *slog.Logger) {
	logTo.Store(log)
	hookLogs()
}

func writeLog(log *slog.Logger, msgL int, msg string) {
	msg = secretPath.ReplaceAllString(msg, "$1/$2/[redacted]")
	level := slog.LevelDebug
	switch msgL {
	case discordgo.LogError:
		level = slog.LevelError
	case discordgo.LogWarning:
		level = slog.LevelWarn
	case discordgo.LogInformational:
		level = slog.LevelInfo
	}
	log.Log(context.Background(), level, msg, "component", "discordgo")
}
