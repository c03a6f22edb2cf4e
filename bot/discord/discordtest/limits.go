package discordtest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Discord's limits on a message, from its documentation ("Embed Limits",
// "Message Components"). The fake refuses a message that breaks one, as
// Discord does, and fails the test at Close: a bot that breaks them loses
// the answer in production however the test reads it.
const (
	maxContent          = 2000
	maxEmbeds           = 10
	maxEmbedTitle       = 256
	maxEmbedDescription = 4096
	maxEmbedFields      = 25
	maxFieldName        = 256
	maxFieldValue       = 1024
	maxFooter           = 2048
	maxEmbedTotal       = 6000
	maxActionRows       = 5
	maxButtonsPerRow    = 5
	maxButtonLabel      = 80
	maxCustomID         = 100
	maxButtonURL        = 512
)

// Button styles and component types.
const (
	componentActionRow = 1
	componentButton    = 2
	styleLink          = 5
)

type componentJSON struct {
	Type       int             `json:"type"`
	Style      int             `json:"style"`
	Label      string          `json:"label"`
	CustomID   string          `json:"custom_id"`
	URL        string          `json:"url"`
	Components []componentJSON `json:"components"`
}

// violations lists what in b Discord would refuse; files are the uploads
// beside it, which an embed's attachment:// image must name (checked
// when the message is created, as an edit keeps the earlier uploads).
func (b messageBody) violations(files []File, created bool) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	length := utf8.RuneCountInString
	if n := length(b.Content); n > maxContent {
		bad("content of %d characters (at most %d)", n, maxContent)
	}
	if len(b.Embeds) > maxEmbeds {
		bad("%d embeds (at most %d)", len(b.Embeds), maxEmbeds)
	}
	total := 0
	for i, e := range b.Embeds {
		check := func(what, s string, most int) {
			total += length(s)
			if n := length(s); n > most {
				bad("embed %d: %s of %d characters (at most %d)", i, what, n, most)
			}
		}
		check("title", e.Title, maxEmbedTitle)
		check("description", e.Description, maxEmbedDescription)
		if len(e.Fields) > maxEmbedFields {
			bad("embed %d: %d fields (at most %d)", i, len(e.Fields), maxEmbedFields)
		}
		for _, f := range e.Fields {
			check("field name", f.Name, maxFieldName)
			check("field value", f.Value, maxFieldValue)
		}
		if e.Footer != nil {
			check("footer", e.Footer.Text, maxFooter)
		}
		if e.Image != nil && created {
			if name, ok := strings.CutPrefix(e.Image.URL, "attachment://"); ok && !uploaded(files, name) {
				bad("embed %d shows attachment://%s, which was not uploaded", i, name)
			}
		}
	}
	if total > maxEmbedTotal {
		bad("embeds of %d characters in all (at most %d)", total, maxEmbedTotal)
	}
	return append(out, componentViolations(b.Components)...)
}

func uploaded(files []File, name string) bool {
	for _, f := range files {
		if f.Name == name {
			return true
		}
	}
	return false
}

// componentViolations checks a message's buttons: rows of one to five,
// ids on the buttons that send them, and an http(s) address (and no id)
// on a link button.
func componentViolations(raw json.RawMessage) []string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var rows []componentJSON
	if err := json.Unmarshal(raw, &rows); err != nil {
		return []string{"components that are not a list of action rows"}
	}
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if len(rows) > maxActionRows {
		bad("%d action rows (at most %d)", len(rows), maxActionRows)
	}
	ids := map[string]bool{}
	for i, row := range rows {
		if row.Type != componentActionRow {
			bad("component %d is of type %d, not an action row", i, row.Type)
			continue
		}
		if n := len(row.Components); n == 0 || n > maxButtonsPerRow {
			bad("action row %d holds %d buttons (one to %d)", i, n, maxButtonsPerRow)
		}
		for _, c := range row.Components {
			if c.Type != componentButton {
				continue
			}
			if n := utf8.RuneCountInString(c.Label); n > maxButtonLabel {
				bad("button label of %d characters (at most %d)", n, maxButtonLabel)
			}
			if c.Style == styleLink {
				u, err := url.Parse(c.URL)
				switch {
				case c.CustomID != "":
					bad("link button %q has a custom_id", c.Label)
				case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
					bad("link button %q has no http(s) url (%q)", c.Label, c.URL)
				case len(c.URL) > maxButtonURL:
					bad("link button %q has a url of %d characters (at most %d)", c.Label, len(c.URL), maxButtonURL)
				}
				continue
			}
			switch {
			case c.URL != "":
				bad("button %q of style %d has a url", c.Label, c.Style)
			case c.CustomID == "" || len(c.CustomID) > maxCustomID:
				bad("button %q has a custom_id of %d characters (one to %d)", c.Label, len(c.CustomID), maxCustomID)
			case ids[c.CustomID]:
				bad("two buttons share the custom_id %q", c.CustomID)
			}
			ids[c.CustomID] = true
		}
	}
	return out
}

// outOfLimits records what a message broke and reports whether it broke
// anything; the caller answers 400 as Discord would.
func (s *Server) outOfLimits(where string, problems []string) bool {
	if len(problems) == 0 {
		return false
	}
	s.mu.Lock()
	for _, p := range problems {
		s.violations = append(s.violations, where+": "+p)
	}
	s.mu.Unlock()
	return true
}

// Violations is every break of Discord's limits the fake saw, each once.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// bodyViolations checks a message body sent on its own (an edit or a
// follow-up).
func bodyViolations(raw json.RawMessage, files []File, created bool) []string {
	var b messageBody
	if err := json.Unmarshal(raw, &b); err != nil {
		return []string{"a body that is not JSON"}
	}
	return b.violations(files, created)
}

// callbackViolations checks an interaction response: a new message
// (type 4) must name its uploads; an update (type 7) keeps the message's.
func callbackViolations(raw json.RawMessage, files []File) []string {
	var env struct {
		Type int             `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return []string{"a response that is not JSON"}
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return nil
	}
	return bodyViolations(env.Data, files, env.Type == 4 && files != nil)
}
