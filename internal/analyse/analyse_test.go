package analyse

import (
	"strings"
	"testing"
)

func TestDisputeScoreOrdersPieces(t *testing.T) {
	court := DisputeScore("Epic sues Apple over App Store fees", "Epic Games filed a lawsuit against Apple in federal court on Thursday, accusing it of antitrust violations. A judge will hear the injunction request next week.")
	feature := DisputeScore("Apple unveils a new iPhone", strings.Repeat("The phone has a brighter screen and a faster chip. ", 40)+"Apple has faced a lawsuit before.")
	none := DisputeScore("A recipe for bread", "Mix flour, water and salt, then bake.")
	if !(court > 0.6 && feature < 0.3 && none == 0) {
		t.Errorf("scores: court report %.2f, product feature %.2f, recipe %.2f", court, feature, none)
	}
}
