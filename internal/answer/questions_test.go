package answer_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/disputebot/disputebot/internal/answer"
	"github.com/disputebot/disputebot/internal/article"
)

// questions are plain questions a newcomer asks, with the built-in
// dispute each must be answered with (first), or none where the corpus
// has nothing. They mix question words and filler, three names,
// products for their companies, "since", single parties, and the ways
// people name the newer disputes.
var questions = []struct {
	q       string
	want    []string // the disputes the answer must lead with; nil: honest nothing
	anyOf   bool     // want lists disputes of which the answer must hold all, in any order
	nothing bool
}{
	{q: "what is going on between elon musk and openai", want: []string{"musk-openai"}},
	{q: "authors anthropic settlement", want: []string{"authors-anthropic"}},
	{q: "doj apple monopoly", want: []string{"doj-apple"}},
	{q: "google ad tech trial", want: []string{"doj-google-adtech"}},
	{q: "waymo uber trade secrets", want: []string{"waymo-uber"}},
	{q: "FTC vs Meta instagram whatsapp", want: []string{"ftc-meta"}},
	{q: "google epic supreme court", want: []string{"epic-google"}},
	{q: "musk sec twitter disclosure", want: []string{"sec-musk"}},
	{q: "google search antitrust remedies", want: []string{"doj-google-search"}},
	{q: "valve steam antitrust", want: []string{"wolfire-valve"}},
	{q: "perplexity news corp", want: []string{"newscorp-perplexity"}},
	{q: "character.ai lawsuit", want: []string{"garcia-character-ai"}},
	{q: "scarlett johansson openai voice", want: []string{"johansson-openai"}},
	{q: "ftc amazon prime cancellation", want: []string{"ftc-amazon-prime"}},
	{q: "apple app store class action tribunal", want: []string{"kent-apple"}},
	{q: "udio lawsuit record labels", want: []string{"labels-udio"}},
	{q: "reddit perplexity scraping", want: []string{"reddit-perplexity"}},
	{q: "did musk sue meta over threads", want: []string{"x-meta-threads"}},
	{q: "whats the latest on epic vs apple", want: []string{"epic-apple"}},
	{q: "tell me about the nyt openai case", want: []string{"nyt-openai"}},
	{q: "is there a lawsuit between getty and stability ai", want: []string{"getty-stability"}},
	{q: "masimo apple watch import ban", want: []string{"masimo-apple"}},
	{q: "nintendo palworld patents", want: []string{"nintendo-pocketpair"}},
	{q: "arm qualcomm appeal", want: []string{"arm-qualcomm"}},
	{q: "microsoft activision merger", want: []string{"ftc-microsoft-activision"}},
	{q: "adobe figma", want: []string{"adobe-figma"}},
	{q: "crowdstrike delta outage", want: []string{"crowdstrike-delta"}},
	{q: "wp engine vs automattic", want: []string{"wpengine-automattic"}},
	{q: "x media matters", want: []string{"x-media-matters"}},
	{q: "tornetta musk pay package", want: []string{"tornetta-musk"}},
	{q: "reddit anthropic scraping", want: []string{"reddit-anthropic"}},
	{q: "amazon perplexity comet", want: []string{"amazon-perplexity"}},
	{q: "eu x dsa fine", want: []string{"ec-x-dsa"}},
	{q: "apple uk encryption", want: []string{"apple-uk-home-office"}},
	{q: "tesla autopilot verdict", want: []string{"benavides-tesla"}},
	{q: "hpe juniper doj", want: []string{"doj-hpe-juniper"}},
	{q: "at&t broadcom vmware", want: []string{"att-broadcom-vmware"}},
	{q: "texas google privacy settlement", want: []string{"texas-google-privacy"}},
	{q: "labels vs suno", want: []string{"labels-suno"}},
	{q: "x advertisers boycott", want: []string{"x-advertisers-boycott"}},
	{q: "cloudflare perplexity crawling", want: []string{"cloudflare-perplexity"}},
	{q: "spotify apple app store fees", want: []string{"spotify-apple"}},
	{q: "sonos google patents", want: []string{"sonos-google"}},
	{q: "disney midjourney", want: []string{"disney-midjourney"}},
	{q: "musk openai trade secrets", want: []string{"xai-openai-trade-secrets"}},
	{q: "epic apple since 2025", want: []string{"epic-apple"}},
	{q: "who is suing openai", want: []string{"musk-openai", "nyt-openai", "xai-openai-trade-secrets"}, anyOf: true},
	{q: "openai", want: []string{"musk-openai", "johansson-openai"}, anyOf: true},
	{q: "nintendo apple", nothing: true},
	{q: "google pizza delivery", nothing: true},
	{q: "epic apple since 2099", nothing: true},
	{q: "musk microsoft since 2030", nothing: true},
}

// TestPlainQuestions asks every question as the command line does and
// checks what a newcomer would: the right dispute, where it stands (the
// event that set its status) and its latest event among the entries, no
// entry from a dispute the question is not about, and an honest nothing
// where the corpus has nothing.
func TestPlainQuestions(t *testing.T) {
	lib := sharedLib(t)
	byID := map[string]article.Dispute{}
	for _, d := range lib.Corpus.Disputes {
		byID[d.ID] = d
	}
	for _, tt := range questions {
		t.Run(tt.q, func(t *testing.T) {
			a, err := lib.Engine.Ask(context.Background(), answer.Request{Query: tt.q})
			if err != nil {
				t.Fatal(err)
			}
			if tt.nothing {
				if a.Mode != answer.ModeNone || len(a.Entries) != 0 {
					t.Errorf("mode %s with %d entries, want an honest nothing", a.Mode, len(a.Entries))
				}
				if a.Nothing() == "" {
					t.Error("no sentence for the empty answer")
				}
				return
			}
			var got []string
			for _, d := range a.Disputes {
				got = append(got, d.ID)
			}
			switch {
			case tt.anyOf:
				for _, w := range tt.want {
					if !slices.Contains(got, w) {
						t.Errorf("disputes %v lack %s", got, w)
					}
				}
			case len(got) == 0 || got[0] != tt.want[0]:
				t.Fatalf("disputes %v, want %s first (mode %s, parties %v, words %v)", got, tt.want[0], a.Mode, a.Parties, a.Words)
			}
			if len(a.Summary) == 0 {
				t.Error("no summary")
			}
			answered := map[string]bool{}
			for _, d := range a.Disputes {
				answered[d.ID] = true
			}
			for _, e := range a.Entries {
				if len(e.Disputes) > 0 && !slices.ContainsFunc(e.Disputes, func(id string) bool { return answered[id] }) {
					t.Errorf("entry %d %q belongs to %v, which the answer is not about", e.N, e.Title, e.Disputes)
				}
			}
			since := strings.Contains(tt.q, " since ")
			for _, d := range a.Disputes[:min(len(a.Disputes), 4)] {
				cur := byID[d.ID]
				if !since || cur.StatusDate >= a.Since.Format(article.DateLayout) {
					if d.StatusEntry == 0 {
						t.Errorf("%s: the event that set its status (%s %s) is not among the entries", d.ID, cur.Status, cur.StatusDate)
					} else if got := a.Entries[d.StatusEntry-1].Date.Format(article.DateLayout); got != cur.StatusDate {
						t.Errorf("%s: status entry dated %s, want %s", d.ID, got, cur.StatusDate)
					}
				}
				if d.LatestEntry == 0 {
					t.Errorf("%s: its latest event is not among the entries", d.ID)
				}
			}
			if since {
				for _, e := range a.Entries {
					if e.Date.Before(a.Since) {
						t.Errorf("entry %d dated %s, before %s", e.N, e.Date.Format(article.DateLayout), a.Since.Format(article.DateLayout))
					}
				}
			}
		})
	}
}
