package engine_test

import (
	"testing"

	"github.com/kubusdev/kubus/engine/kubustest"
)

// Every value the built-in library's contract marks as documented, written into rules as a rule
// author would and checked through the whole engine (testdata/documented).
func TestDocumentedValuesThroughRules(t *testing.T) {
	kubustest.Run(t, "testdata/documented")
}
