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
	for _, s := range bot.Specs() {
		c := &discordgo.ApplicationCommand{Name: s.Name, Description: s.Description, Options: options(s.Options), Contexts: &anywhere}
		if s.Moderator {
			// Moderator commands manage a server: offered in servers only.
			c.DefaultMemberPermissions = &manage
			c.Contexts = &inServers
		}
		for _, sub := range s.Subcommands {
			c.Options = append(c.Options, &discordgo.ApplicationCommandOption{
				Type: discordgo.ApplicationCommandOptionSubCommand, Name: sub.Name, Description: sub.Description, Options: options(sub.Options),
			})
		}
		cmds = append(cmds, c)
	}
	_, err := a.s.ApplicationCommandBulkOverwrite(a.appID.Load().(string), a.cfg.GuildID, cmds)
	return err
}

func options(opts []bot.Option) []*discordgo.ApplicationCommandOption {
	var out []*discordgo.ApplicationCommandOption
	for _, o := range opts {
		opt := &discordgo.ApplicationCommandOption{Name: o.Name, Description: o.Description, Required: o.Required, Autocomplete: o.Autocomplete,
			Type: discordgo.ApplicationCommandOptionString}
		if o.Type == bot.OptChannel {
			opt.Type = discordgo.ApplicationCommandOptionChannel
			opt.ChannelTypes = []discordgo.ChannelType{discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews}
		}
		if o.Type == bot.OptString {
			opt.MaxLength = bot.MaxInput
		}
		out = append(out, opt)
	}
	return out
}
