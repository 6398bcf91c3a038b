package engine

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/kubusdev/kubus/rulesets"
)

// LoadWithLibraries loads a ruleset folder or JSON file as Load does, first loading the library
// rulesets it `uses` that the engine does not have yet from sibling folders named after them.
func (e *Engine) LoadWithLibraries(path string) (*Ruleset, error) {
	return e.loadWithLibraries(path, map[string]bool{})
}

func (e *Engine) loadWithLibraries(path string, visiting map[string]bool) (*Ruleset, error) {
	lo, err := e.LoadOptions()
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
		if _, err := e.Get(lib); err == nil {
			continue
		}
		libPath := filepath.Join(filepath.Dir(filepath.Clean(path)), lib)
		if _, err := os.Stat(libPath); err != nil {
			return nil, fmt.Errorf("ruleset %s uses %s, but there is no folder %s beside it", model.Name, lib, libPath)
		}
		if _, err := e.loadWithLibraries(libPath, visiting); err != nil {
			return nil, fmt.Errorf("loading library %s: %w", lib, err)
		}
	}
	if len(model.Uses) > 0 {
		// Load again now that the libraries are known, so that names are checked against them too.
		if lo, err = e.LoadOptions(); err != nil {
			return nil, err
		}
		if model, err = rulesets.Load(path, lo); err != nil {
			return nil, err
		}
	}
	return e.Add(model)
}

// StoredRulesets is where stored ruleset versions come from (store.Bolt): the JSON form of a
// version, or of the highest one when version is "", and the version it is.
type StoredRulesets interface {
	GetRuleset(name, version string) ([]byte, string, error)
}

// LoadStored loads a stored version of a ruleset (the highest when version is ""). Libraries it
// `uses` that the engine does not have yet come from the same store, at their highest version.
func (e *Engine) LoadStored(s StoredRulesets, name, version string) (*Ruleset, error) {
	return e.loadStored(s, name, version, map[string]bool{})
}

func (e *Engine) loadStored(s StoredRulesets, name, version string, visiting map[string]bool) (*Ruleset, error) {
	doc, version, err := s.GetRuleset(name, version)
	if err != nil {
		return nil, err
	}
	source := name + "@" + version + " (store)"
	lo, err := e.LoadOptions()
	if err != nil {
		return nil, err
	}
	model, err := rulesets.LoadJSON(doc, source, lo)
	if err != nil {
		return nil, err
	}
	if visiting[model.Name] {
		return nil, fmt.Errorf("ruleset %s: library cycle through `uses`", model.Name)
	}
	visiting[model.Name] = true
	if len(model.Uses) == 0 {
		return e.Add(model)
	}
	for _, lib := range model.Uses {
		if _, err := e.Get(lib); err == nil {
			continue
		}
		if _, err := e.loadStored(s, lib, "", visiting); err != nil {
			return nil, fmt.Errorf("loading library %s of %s: %w", lib, source, err)
		}
	}
	// Load again now that the libraries are known, so that names are checked against them too.
	if lo, err = e.LoadOptions(); err != nil {
		return nil, err
	}
	if model, err = rulesets.LoadJSON(doc, source, lo); err != nil {
		return nil, err
	}
	return e.Add(model)
}
