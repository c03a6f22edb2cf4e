package library_test

import (
	"testing"

	"github.com/disputebot/disputebot/internal/testpages"
)

func loadPages(t *testing.T) []testpages.Page { return testpages.Load(t) }
