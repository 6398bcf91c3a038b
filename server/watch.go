package server

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
)

// Watch reloads a served folder when a file in it changes, until ctx ends. A folder that loads is
// swapped in atomically (in-flight executions finish on the version they started with); one that no
// longer loads keeps serving its last good version, and its problems are logged and shown by
// GET /api/rulesets/{name} and /readyz. A folder that did not load at startup (Config.KeepFailing)
// is watched too, and served once it loads. While it watches, the studio may edit folder rulesets.
func (s *Server) Watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	s.catalog.mu.RLock()
	dirOf := map[string]string{} // watched folder → ruleset folder
	for _, root := range s.catalog.folders {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				if werr := w.Add(p); werr == nil {
					dirOf[p] = root
				}
			}
			return nil
		})
	}
	s.catalog.mu.RUnlock()
	s.catalog.watching.Store(true)
	go func() {
		defer s.catalog.watching.Store(false)
		defer w.Close()
		pending := map[string]bool{}
		var timer <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				root := dirOf[filepath.Dir(ev.Name)]
				if root == "" {
					root = dirOf[ev.Name]
				}
				if root == "" || strings.HasPrefix(filepath.Base(ev.Name), ".") {
					continue
				}
				if ev.Op.Has(fsnotify.Create) {
					if fi, err := filepath.Glob(ev.Name); err == nil && len(fi) == 1 {
						if werr := w.Add(ev.Name); werr == nil {
							dirOf[ev.Name] = root
						}
					}
				}
				pending[root] = true
				// Editors write a file in several steps: reload once things are quiet.
				timer = time.After(200 * time.Millisecond)
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				s.log.Warn("watching ruleset folders", "error", err.Error())
			case <-timer:
				for root := range pending {
					s.reload(root)
				}
				pending = map[string]bool{}
			}
		}
	}()
	return nil
}

// reload loads a ruleset folder again and records the outcome: the ruleset now served from it, or
// nil and the folder's problems when it does not load (the last good version, if any, stays
// served). Reloads run one at a time, so a load of older files never lands after one of newer.
func (s *Server) reload(root string) (*engine.Ruleset, []rulesets.Problem) {
	s.catalog.reloadMu.Lock()
	defer s.catalog.reloadMu.Unlock()
	s.catalog.mu.RLock()
	name := s.catalog.nameOf(root)
	s.catalog.mu.RUnlock()
	var rs *engine.Ruleset
	probs := s.renameProblems(root, name)
	if probs == nil {
		var err error
		if rs, err = s.eng.LoadWithLibraries(root); err != nil {
			probs = loadProblemsOf(err)
		}
	}
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	if probs != nil {
		if name != "" {
			s.catalog.problems[name] = probs
		}
		s.log.Warn("reloading a ruleset folder failed: serving the last good version", "folder", root, "ruleset", name, "problems", problemLines(probs))
		return nil, probs
	}
	if name != "" && name != rs.Name() {
		delete(s.catalog.folders, name)
		delete(s.catalog.problems, name)
		delete(s.catalog.versions, name)
	}
	s.catalog.folders[rs.Name()] = root
	s.catalog.versions[rs.Name()] = rs.Version()
	delete(s.catalog.problems, rs.Name())
	s.log.Info("reloaded a ruleset folder", "folder", root, "ruleset", rs.Name()+"@"+rs.Version())
	return rs, nil
}

// renameProblems refuses a folder whose ruleset.yaml now names a ruleset that is served from
// elsewhere — another folder, or the store alone — before it is loaded: loading it would replace
// that ruleset's compiled versions. nil when the name is the folder's own or new.
func (s *Server) renameProblems(root, current string) []rulesets.Problem {
	declared, _ := declaredNameVersion(root)
	if declared == "" || declared == current {
		return nil
	}
	s.catalog.mu.RLock()
	other := s.catalog.folders[declared]
	s.catalog.mu.RUnlock()
	where := ""
	switch {
	case other != "" && other != root:
		where = "the folder " + other
	case other == "":
		if _, err := s.eng.Get(declared); err == nil {
			where = "the store"
		}
	}
	if where == "" {
		return nil
	}
	return []rulesets.Problem{{Pos: rulesets.Pos{File: rulesets.RulesetFile, Line: 1}, Field: "name",
		Message: fmt.Sprintf("ruleset %s is already served from %s", declared, where),
		Hint:    "give this folder's ruleset a name of its own"}}
}
