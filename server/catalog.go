package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/kubusdev/kubus/store"
	"go.yaml.in/yaml/v3"
)

// catalog knows where each served ruleset came from: a folder (reloadable) or the store.
type catalog struct {
	mu      sync.RWMutex
	folders map[string]string // ruleset name → folder, for rulesets served from folders
	// problems: ruleset name → why its folder does not load (it serves the last good version, or
	// nothing when it never loaded: Config.KeepFailing).
	problems map[string][]rulesets.Problem
	// versions: ruleset name → the version its folder last loaded ("" when it never did).
	versions map[string]string

	// watching is set by Watch: folders are reloaded when they change, so the studio may edit them.
	watching atomic.Bool
	// reloadMu makes reloads one at a time, so that a load of older files never lands after a load
	// of newer ones.
	reloadMu sync.Mutex
	// editMu makes the studio's edits (write a file, reload) one at a time.
	editMu sync.Mutex
	// runs bounds the studio's testcase runs in progress at once.
	runs chan struct{}
}

func newCatalog() *catalog {
	return &catalog{folders: map[string]string{}, problems: map[string][]rulesets.Problem{}, versions: map[string]string{},
		runs: make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))}
}

func (c *catalog) folder(name string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.folders[name]
}

// problemsOf is why the ruleset's folder does not load, one line per problem ("file:line:col:
// field: message (hint)"); nil when it loads.
func (c *catalog) problemsOf(name string) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return problemLines(c.problems[name])
}

// folderState is what the catalog knows of a ruleset name: its folder ("" for a stored ruleset),
// the version the folder last loaded ("" when it never did) and its problems.
func (c *catalog) folderState(name string) (folder, version string, probs []rulesets.Problem) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.folders[name], c.versions[name], c.problems[name]
}

// nameOf is the ruleset name a folder is recorded under ("" for none). Call with mu held.
func (c *catalog) nameOf(root string) string {
	for n, dir := range c.folders {
		if dir == root {
			return n
		}
	}
	return ""
}

// failing lists the rulesets whose folder does not load, with why.
func (c *catalog) failing() []map[string]any {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []map[string]any
	for name, p := range c.problems {
		out = append(out, map[string]any{"ruleset": name, "folder": c.folders[name], "problems": problemLines(p)})
	}
	return out
}

// neverLoaded lists the names of folders that have not loaded once (Config.KeepFailing), sorted.
func (c *catalog) neverLoaded() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []string
	for name := range c.folders {
		if c.versions[name] == "" {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func problemLines(ps []rulesets.Problem) []string {
	if len(ps) == 0 {
		return nil
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// loadProblemsOf is a load error as problems: the loader's own, each at its place in the folder's
// files, or the error as one problem without a place (a library that does not load, a compile
// error).
func loadProblemsOf(err error) []rulesets.Problem {
	if le, ok := err.(*rulesets.LoadError); ok && len(le.Problems) > 0 {
		return slices.Clone(le.Problems)
	}
	return []rulesets.Problem{{Message: err.Error()}}
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
// name and version of a folder's must be the same ruleset. A folder that does not load stops the
// server (a LoadFailure), unless keepFailing: then it is recorded with its problems.
func loadCatalog(eng *engine.Engine, st *store.Bolt, dirs []string, keepFailing bool, log *slog.Logger) (*catalog, error) {
	c := newCatalog()
	paths, err := ExpandRulesetDirs(dirs)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	type failure struct {
		path  string
		probs []rulesets.Problem
	}
	var failed []failure
	for _, p := range paths {
		rs, err := eng.LoadWithLibraries(p)
		if err != nil {
			if !keepFailing {
				return nil, &LoadFailure{Path: p, Err: err}
			}
			failed = append(failed, failure{p, loadProblemsOf(err)})
			continue
		}
		c.folders[rs.Name()] = p
		c.versions[rs.Name()] = rs.Version()
	}
	for _, f := range failed {
		p, probs := f.path, f.probs
		name := folderRulesetName(p)
		if _, taken := c.folders[name]; taken {
			log.Warn("a ruleset folder does not load, and its name is served from another folder: it is left out", "folder", p, "ruleset", name, "problems", problemLines(probs))
			continue
		}
		c.folders[name] = p
		c.problems[name] = probs
		log.Warn("a ruleset folder does not load: serving without it until it is fixed", "folder", p, "ruleset", name, "problems", problemLines(probs))
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

// folderRulesetName is the name a ruleset folder declares in its ruleset.yaml, when that much of it
// reads, else the folder's base name.
func folderRulesetName(dir string) string {
	name, _ := declaredNameVersion(dir)
	if name == "" {
		return filepath.Base(dir)
	}
	return name
}

// declaredNameVersion reads `name` and `version` from a folder's ruleset.yaml without loading it
// ("" for what does not read: a missing file, bad YAML, a name that is not a ruleset name).
func declaredNameVersion(dir string) (name, version string) {
	f, err := os.Open(filepath.Join(dir, rulesets.RulesetFile))
	if err != nil {
		return "", ""
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return "", ""
	}
	var head struct {
		Name    any `yaml:"name"`
		Version any `yaml:"version"`
	}
	if yaml.Unmarshal(data, &head) != nil {
		return "", ""
	}
	if n, ok := head.Name.(string); ok && len(n) <= 100 && rulesetNameRE.MatchString(n) {
		name = n
	}
	if v, ok := head.Version.(string); ok && len(v) < 100 {
		version = v
	}
	return name, version
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
