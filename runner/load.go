package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
)

// loadRuleset loads a ruleset folder or JSON file into eng. Library rulesets it `uses` are looked
// up as sibling folders named after them and loaded first.
func loadRuleset(eng *engine.Engine, path string) (*engine.Ruleset, error) {
	return eng.LoadWithLibraries(path)
}

// printLoadError writes a load error, one problem per line.
func printLoadError(w io.Writer, path string, err error) {
	var le *rulesets.LoadError
	if errors.As(err, &le) {
		fmt.Fprintf(w, "%s: %d problem(s):\n", path, len(le.Problems))
		for _, p := range le.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
		return
	}
	fmt.Fprintf(w, "%s: %v\n", path, err)
}
