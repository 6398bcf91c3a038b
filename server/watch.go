package server

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/kubusdev/kubus/rulesets"
)

// Watch reloads a served folder when a file in it changes, until ctx ends. A folder that loads is
// swapped in atomically (in-flight executions finish on the version they started with); one that no
// longer loads keeps serving its last good version, and its problems are logged and shown by
// GET /api/rulesets/{name} and /readyz.
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
	go func() {
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

// reload loads a ruleset folder again and records the outcome.
func (s *Server) reload(root string) {
	rs, err := s.eng.LoadWithLibraries(root)
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	name := ""
	for n, dir := range s.catalog.folders {
		if dir == root {
			name = n
		}
	}
	if err != nil {
		var probs []string
		var le *rulesets.LoadError
		if errors.As(err, &le) {
			for _, p := range le.Problems {
				probs = append(probs, p.String())
			}
		} else {
			probs = []string{err.Error()}
		}
		if name != "" {
			s.catalog.problems[name] = probs
		}
		s.log.Warn("reloading a ruleset folder failed: serving the last good version", "folder", root, "ruleset", name, "problems", probs)
		return
	}
	if name != "" && name != rs.Name() {
		delete(s.catalog.folders, name)
		delete(s.catalog.problems, name)
	}
	s.catalog.folders[rs.Name()] = root
	delete(s.catalog.problems, rs.Name())
	s.log.Info("reloaded a ruleset folder", "folder", root, "ruleset", rs.Name()+"@"+rs.Version())
}
