package discord

import (
	"github.com/bwmarrin/discordgo"

	"github.com/disputebot/disputebot/bot"
)

// registerCommands installs the slash commands: to one guild when
// DISCORD_GUILD_ID is set (instant, for development), else globally.
// Moderator commands are hidden from members without Manage Server; the
// bot checks again when they run.
func (a *Adapter) registerCommands() error {
	var cmds []*discordgo.ApplicationCommand
	manage := int64(discordgo.PermissionManageGuild)
	anywhere := []discordgo.InteractionContextType{discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM}
	inServers := []discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	for _, s := range bot.Commands() {
		c := &discordgo.ApplicationCommand{Name: s.Name, Description: s.Description, Options: options(s.Params), Contexts: &anywhere}
		if s.Moderator {
			// Moderator commands manage a server: offered in servers only.
			c.DefaultMemberPermissions = &manage
			c.Contexts = &inServers
		}
		for _, sub := range s.Subcommands {
			c.Options = append(c.Options, &discordgo.ApplicationCommandOption{
				Type: discordgo.ApplicationCommandOptionSubCommand, Name: sub.Name, Description: sub.Description, Options: options(sub.Params),
			})
		}
		cmds = append(cmds, c)
	}
	_, err := a.s.ApplicationCommandBulkOverwrite(a.appID.Load().(string), a.cfg.GuildID, cmds)
	return err
}

// options are a command's parameters as slash options: a channel picker
// for a channel, text for the rest. Discord lists required options first.
func options(params []bot.Param) []*discordgo.ApplicationCommandOption {
	var out []*discordgo.ApplicationCommandOption
	for _, p := range params {
		opt := &discordgo.ApplicationCommandOption{Name: p.Name, Description: p.Description, Required: p.Required, Autocomplete: p.Autocomplete,
			Type: discordgo.ApplicationCommandOptionString, MaxLength: bot.MaxInput}
		if p.Kind == bot.Channel {
			opt = &discordgo.ApplicationCommandOption{Name: p.Name, Description: p.Description, Required: p.Required,
				Type: discordgo.ApplicationCommandOptionChannel, ChannelTypes: []discordgo.ChannelType{discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews}}
		}
		out = append(out, opt)
	}
	return out
}
