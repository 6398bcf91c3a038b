package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
)

// loadRuleset loads a ruleset folder or JSON file into eng. Library rulesets it `uses` are looked
// up as sibling folders named after them and loaded first.
func loadRuleset(eng *engine.Engine, path string) (*engine.Ruleset, error) {
	return loadWithLibraries(eng, path, map[string]bool{})
}

func loadWithLibraries(eng *engine.Engine, path string, visiting map[string]bool) (*engine.Ruleset, error) {
	lo, err := eng.LoadOptions()
	if err != nil {
		return nil, err
	}
	model, err := rulesets.Load(path, lo)
	if err != nil {
		return nil, err
	}
	if visiting[model.Name] {
		return nil, fmt.Errorf("ruleset %s: library cycle through `uses`", model.Name)
	}
	visiting[model.Name] = true
	for _, lib := range model.Uses {
		if _, err := eng.Get(lib); err == nil {
			continue
		}
		libPath := filepath.Join(filepath.Dir(filepath.Clean(path)), lib)
		if _, err := os.Stat(libPath); err != nil {
			return nil, fmt.Errorf("ruleset %s uses %s, but there is no folder %s beside it", model.Name, lib, libPath)
		}
		if _, err := loadWithLibraries(eng, libPath, visiting); err != nil {
			return nil, fmt.Errorf("loading library %s: %w", lib, err)
		}
	}
	if len(model.Uses) > 0 {
		// Load again now that the libraries are known, so that names are checked against them too.
		if lo, err = eng.LoadOptions(); err != nil {
			return nil, err
		}
		if model, err = rulesets.Load(path, lo); err != nil {
			return nil, err
		}
	}
	return eng.Add(model)
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
