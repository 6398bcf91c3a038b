package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/kubusdev/kubus/engine/kubustest"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/spf13/cobra"
)

// suite is one ruleset's testcase run, or its load failure.
type suite struct {
	Path    string
	Name    string
	LoadErr error
	Cases   []kubustest.CaseResult
	Elapsed time.Duration
}

func (s *suite) failed() int {
	if s.LoadErr != nil {
		return 1
	}
	n := 0
	for i := range s.Cases {
		if !s.Cases[i].Passed() {
			n++
		}
	}
	return n
}

func newTestCmd() *cobra.Command {
	var (
		runPattern, junitPath string
		storePath             string
		asJSON, update        bool
		env                   envFlags
	)
	cmd := &cobra.Command{
		Use:   "test DIR|NAME[@VERSION]...",
		Short: "Run the testcases of one or more rulesets",
		Long: `Run every testcase of the given rulesets (folders, JSON files, or folders holding ruleset
folders) and print a line per testcase in the style of 'go test -v', a readable list of differences
for each failure, and the closing line 'N passed, N failed'. Exits 1 when anything failed; a ruleset
that fails to load counts as one failure and the other rulesets still run.
` + envHelp,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var filter *regexp.Regexp
			if runPattern != "" {
				var err error
				if filter, err = regexp.Compile(runPattern); err != nil {
					return fmt.Errorf("--run: %w", err)
				}
			}
			paths, err := expandRulesetPaths(args)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			var suites []*suite
			if _, err := env.engine(); err != nil {
				return err
			}
			for _, p := range paths {
				s := runSuite(cmd, p, filter, &env, storePath)
				suites = append(suites, s)
				if !asJSON {
					printSuite(out, s, update)
				}
			}
			if update {
				if err := updateBaselines(out, suites); err != nil {
					return err
				}
			}
			passed, failed := totals(suites, update)
			if junitPath != "" {
				if err := writeJUnit(junitPath, suites); err != nil {
					return fmt.Errorf("--junit: %w", err)
				}
			}
			if asJSON {
				writeJSON(out, jsonReport(suites, passed, failed))
			} else {
				fmt.Fprintf(out, "%d passed, %d failed\n", passed, failed)
			}
			if failed > 0 {
				return exitError{1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&runPattern, "run", "", "run only the testcases whose 'ruleset/name' matches this regular expression")
	f.BoolVar(&asJSON, "json", false, "print the results as one JSON document instead of lines")
	f.StringVar(&junitPath, "junit", "", "also write a JUnit XML report to this file")
	f.BoolVar(&update, "update", false, "write the actual results into the testcases' expectations (a baseline)")
	env.register(cmd)
	f.StringVar(&storePath, "store", "", storeFlagHelp)
	return cmd
}

// expandRulesetPaths turns the arguments into ruleset paths: a folder with a ruleset.yaml, a JSON
// file, or a folder whose subfolders hold rulesets (e.g. examples/).
func expandRulesetPaths(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		info, err := os.Stat(a)
		if _, _, ok := storeRef(a); ok && err != nil {
			out = append(out, a) // a stored version, NAME[@VERSION]: runSuite loads it
			continue
		}
		if err != nil {
			return nil, err
		}
		if !info.IsDir() || exists(filepath.Join(a, "ruleset.yaml")) {
			out = append(out, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		found := false
		for _, e := range entries {
			if e.IsDir() && exists(filepath.Join(a, e.Name(), "ruleset.yaml")) {
				out = append(out, filepath.Join(a, e.Name()))
				found = true
			}
		}
		if !found {
			// Let loading report the missing ruleset.yaml as this path's failure.
			out = append(out, a)
		}
	}
	return out, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func runSuite(cmd *cobra.Command, path string, filter *regexp.Regexp, env *envFlags, storePath string) *suite {
	start := time.Now()
	s := &suite{Path: path, Name: path}
	eng, err := env.engine()
	if err != nil {
		s.LoadErr = err
		return s
	}
	rs, err := resolveRuleset(eng, path, storePath)
	if err != nil {
		s.LoadErr = err
		return s
	}
	s.Name = rs.Name()
	s.Cases = kubustest.RunCases(cmd.Context(), rs, kubustest.Options{Run: filter})
	s.Elapsed = time.Since(start)
	return s
}

func printSuite(w io.Writer, s *suite, update bool) {
	if s.LoadErr != nil {
		fmt.Fprintf(w, "--- FAIL: %s (load)\n", s.Path)
		var le *rulesets.LoadError
		if asLoadError(s.LoadErr, &le) {
			for _, p := range le.Problems {
				fmt.Fprintf(w, "    %s\n", p)
			}
		} else {
			for _, line := range strings.Split(s.LoadErr.Error(), "\n") {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
		fmt.Fprintf(w, "FAIL\t%s\n", s.Path)
		return
	}
	for i := range s.Cases {
		fmt.Fprint(w, kubustest.CaseText(&s.Cases[i], update))
	}
	verdict := "ok  "
	if s.failed() > 0 && !update {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s\t%s\t%.3fs\n", verdict, s.Name, s.Elapsed.Seconds())
}

func asLoadError(err error, le **rulesets.LoadError) bool { return errors.As(err, le) }

// totals counts testcases; with --update, failed cases were rewritten and count as passed, but load
// failures still fail.
func totals(suites []*suite, update bool) (passed, failed int) {
	for _, s := range suites {
		if s.LoadErr != nil {
			failed++
			continue
		}
		for i := range s.Cases {
			if s.Cases[i].Passed() || update {
				passed++
			} else {
				failed++
			}
		}
	}
	return passed, failed
}

// updateBaselines writes the actual results of failed testcases into their files.
func updateBaselines(w io.Writer, suites []*suite) error {
	for _, s := range suites {
		if s.LoadErr != nil {
			continue
		}
		byFile := map[string]map[string]rulesets.Baseline{}
		for i := range s.Cases {
			c := &s.Cases[i]
			if c.Passed() || c.Case.File == "" {
				continue
			}
			if byFile[c.Case.File] == nil {
				byFile[c.Case.File] = map[string]rulesets.Baseline{}
			}
			byFile[c.Case.File][c.Case.Name] = kubustest.Baseline(*c)
		}
		files := make([]string, 0, len(byFile))
		for f := range byFile {
			files = append(files, f)
		}
		sort.Strings(files)
		dir := s.Path
		if !isDir(dir) {
			return fmt.Errorf("%s: --update needs a ruleset folder, not its JSON form", s.Path)
		}
		for _, f := range files {
			if err := rulesets.UpdateTestFile(filepath.Join(dir, f), byFile[f]); err != nil {
				return err
			}
			fmt.Fprintf(w, "updated %d testcase(s) in %s\n", len(byFile[f]), filepath.Join(dir, f))
		}
	}
	return nil
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

type jsonCase struct {
	Ruleset    string   `json:"ruleset"`
	Name       string   `json:"name"`
	At         string   `json:"at"`
	Passed     bool     `json:"passed"`
	DurationMs float64  `json:"durationMs"`
	Failures   []string `json:"failures,omitempty"`
	Error      string   `json:"error,omitempty"`
}

type jsonSuite struct {
	Path      string     `json:"path"`
	Ruleset   string     `json:"ruleset"`
	LoadError string     `json:"loadError,omitempty"`
	Cases     []jsonCase `json:"cases"`
}

func jsonReport(suites []*suite, passed, failed int) any {
	out := struct {
		Passed   int         `json:"passed"`
		Failed   int         `json:"failed"`
		Rulesets []jsonSuite `json:"rulesets"`
	}{Passed: passed, Failed: failed, Rulesets: []jsonSuite{}}
	for _, s := range suites {
		js := jsonSuite{Path: s.Path, Ruleset: s.Name, Cases: []jsonCase{}}
		if s.LoadErr != nil {
			js.LoadError = s.LoadErr.Error()
		}
		for i := range s.Cases {
			c := &s.Cases[i]
			jc := jsonCase{Ruleset: c.Ruleset, Name: c.Case.Name, At: c.Case.Pos.String(), Passed: c.Passed(), DurationMs: float64(c.Duration.Microseconds()) / 1e3}
			for _, m := range c.Mismatches {
				jc.Failures = append(jc.Failures, m.String())
			}
			if c.Err != nil {
				jc.Error = c.Err.Error()
			}
			js.Cases = append(js.Cases, jc)
		}
		out.Rulesets = append(out.Rulesets, js)
	}
	return out
}
