package server

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/kubusdev/kubus/store"
)

// catalog knows where each served ruleset came from: a folder (reloadable) or the store.
type catalog struct {
	mu       sync.RWMutex
	folders  map[string]string   // ruleset name → folder, for rulesets served from folders
	problems map[string][]string // ruleset name → why its folder no longer loads (it serves the last good version)
}

func (c *catalog) folder(name string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.folders[name]
}

func (c *catalog) problemsOf(name string) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.problems[name]
}

// failing lists the rulesets whose folder does not load, with why.
func (c *catalog) failing() []map[string]any {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []map[string]any
	for name, p := range c.problems {
		out = append(out, map[string]any{"ruleset": name, "folder": c.folders[name], "problems": p})
	}
	return out
}

// ExpandRulesetDirs turns each path into ruleset folders: a folder with a ruleset.yaml (or a JSON
// file) is one, a folder of such folders (examples) gives each.
func ExpandRulesetDirs(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() || exists(filepath.Join(p, "ruleset.yaml")) {
			out = append(out, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		found := false
		for _, e := range entries {
			if e.IsDir() && exists(filepath.Join(p, e.Name(), "ruleset.yaml")) {
				out = append(out, filepath.Join(p, e.Name()))
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("%s has no ruleset.yaml and no folder with one", p)
		}
	}
	return out, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// loadCatalog loads the folders' rulesets, then every stored version. A stored version with the
// name and version of a folder's must be the same ruleset.
func loadCatalog(eng *engine.Engine, st *store.Bolt, dirs []string) (*catalog, error) {
	c := &catalog{folders: map[string]string{}, problems: map[string][]string{}}
	paths, err := ExpandRulesetDirs(dirs)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	for _, p := range paths {
		rs, err := eng.LoadWithLibraries(p)
		if err != nil {
			return nil, &LoadFailure{Path: p, Err: err}
		}
		c.folders[rs.Name()] = p
	}
	names, err := st.RulesetNames()
	if err != nil {
		return nil, fmt.Errorf("server: listing stored rulesets: %w", err)
	}
	for _, name := range names {
		versions, err := st.Versions(name)
		if err != nil {
			return nil, fmt.Errorf("server: stored ruleset %s: %w", name, err)
		}
		for _, v := range versions {
			if folder, err := eng.Get(name + "@" + v.Version); err == nil {
				if err := sameAsStored(st, folder, c.folders[name]); err != nil {
					return nil, err
				}
				continue
			}
			if _, err := eng.LoadStored(st, name, v.Version); err != nil {
				return nil, fmt.Errorf("server: stored ruleset %s@%s does not load: %w", name, v.Version, err)
			}
		}
	}
	return c, nil
}

// sameAsStored refuses a folder ruleset whose name and version are stored with other content.
func sameAsStored(st *store.Bolt, rs *engine.Ruleset, dir string) error {
	doc, err := rulesets.ExportJSON(rs.Model())
	if err != nil {
		return err
	}
	stored, _, err := st.GetRuleset(rs.Name(), rs.Version())
	if err != nil {
		return err
	}
	if !bytes.Equal(bytes.TrimSpace(doc), bytes.TrimSpace(stored)) {
		return fmt.Errorf("server: the folder %s and the store %s both have %s %s, with different content: a version never changes, so give the folder's a new version", dir, st.Path(), rs.Name(), rs.Version())
	}
	return nil
}

// LoadFailure is a ruleset folder that does not load at startup.
type LoadFailure struct {
	Path string
	Err  error
}

func (e *LoadFailure) Error() string {
	return fmt.Sprintf("server: ruleset %s does not load: %v", e.Path, e.Err)
}
func (e *LoadFailure) Unwrap() error { return e.Err }

// errNoRuleset is a ruleset name or version that is not served.
var errNoRuleset = errors.New("no such ruleset")
