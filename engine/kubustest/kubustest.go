// Package kubustest runs a ruleset's testcases: from the kubus runner (`kubus test`) and from a Go
// host's own `go test`, where one call runs every testcase as a subtest:
//
//	func TestPricing(t *testing.T) {
//		kubustest.Run(t, "rulesets/travel-insurance")
//	}
package kubustest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/builtins/consent"
	"github.com/kubusdev/kubus/builtins/datadebit"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/kubusdev/kubus/store"
)

// DefaultNow is the execution clock of a testcase that sets no `now`: a fixed moment, so that a
// testcase gives the same answer on every day it runs.
var DefaultNow = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

// Options select and configure testcases.
type Options struct {
	// Run keeps only the testcases whose "ruleset/name" matches.
	Run *regexp.Regexp
}

// CaseResult is the outcome of one testcase.
type CaseResult struct {
	Ruleset    string
	Case       *rulesets.Testcase
	Result     *engine.Result // nil when the execution failed
	Err        error          // the execution's error (expected or not)
	Mismatches []rulesets.Mismatch
	Duration   time.Duration
}

// Passed reports whether every expectation held.
func (c *CaseResult) Passed() bool { return len(c.Mismatches) == 0 }

// FullName is "ruleset/testcase name", the name --run matches.
func (c *CaseResult) FullName() string { return c.Ruleset + "/" + c.Case.Name }

// RunCases executes every (selected) testcase of a compiled ruleset, in declared order. For a
// ruleset with persisted entities, each testcase runs on a fresh temporary store, except that the
// testcases of a `store: shared` file share one, in order.
func RunCases(ctx context.Context, rs *engine.Ruleset, opts Options) []CaseResult {
	var out []CaseResult
	shared := map[string]store.Store{}
	defer func() {
		for _, s := range shared {
			s.Close()
		}
	}()
	for _, tc := range rs.Model().Testcases {
		if opts.Run != nil && !opts.Run.MatchString(rs.Name()+"/"+tc.Name) {
			continue
		}
		if !needsStore(rs, tc) || !tc.SharedStore {
			out = append(out, RunCase(ctx, rs, tc))
			continue
		}
		s, ok := shared[tc.File]
		if !ok {
			var err error
			if s, err = openTemp(); err != nil {
				out = append(out, failed(rs, tc, "store", err))
				continue
			}
			shared[tc.File] = s
		}
		out = append(out, runCase(ctx, rs, tc, s))
	}
	return out
}

// RunCase executes one testcase and compares the result with its expectations. A ruleset that
// needs a store (engine.Ruleset.NeedsStore), or a testcase that saves consents or data debits, gets
// a fresh temporary store, so testcases never see each other's saves.
func RunCase(ctx context.Context, rs *engine.Ruleset, tc *rulesets.Testcase) CaseResult {
	if !needsStore(rs, tc) {
		return runCase(ctx, rs, tc, nil)
	}
	s, err := openTemp()
	if err != nil {
		return failed(rs, tc, "store", err)
	}
	defer s.Close()
	return runCase(ctx, rs, tc, s)
}

func needsStore(rs *engine.Ruleset, tc *rulesets.Testcase) bool {
	return rs.NeedsStore() || len(tc.Consents) > 0 || len(tc.DataDebits) > 0 || rs.Model().Workflow != nil
}

// runCase saves the testcase's fixtures in s (when it has a store), serves its Ockto scenario,
// executes it and compares.
func runCase(ctx context.Context, rs *engine.Ruleset, tc *rulesets.Testcase, s store.Store) CaseResult {
	now := tc.Now
	if now.IsZero() {
		now = DefaultNow
	}
	if err := saveFixtures(rs, tc, s, now); err != nil {
		return failed(rs, tc, "fixtures", err)
	}
	// A testcase never reaches a real Ockto: without a scenario, Ockto reads as not configured.
	opts := engine.ExecOptions{Now: now, Culture: tc.Culture, Store: s, Getenv: noOckto}
	clock := &testClock{t: now} // a workflow's clock moves; the simulator follows it
	if tc.Ockto != "" {
		sim, err := serveOcktoSim(rs.Model(), tc, clock.Now)
		if err != nil {
			return failed(rs, tc, "ockto", err)
		}
		defer sim.Close()
		opts.Getenv = sim.getenv
	}
	// Testcases never reach the outside world: Http goes to the testcase's fixtures.
	web := httpFixturesOf(tc.HTTP)
	defer web.Close()
	opts.HTTPTransport = web
	data, err := dataFixturesOf(tc)
	if err != nil {
		return failed(rs, tc, "fixtures", err)
	}
	defer data.Close()
	opts.Fixtures, opts.Unanswered = data.fixtures(), data.unanswered
	var cr CaseResult
	if rs.Model().Workflow != nil {
		cr = runWorkflowCase(ctx, rs, tc, s, opts, clock)
	} else {
		start := time.Now()
		res, err := rs.Execute(ctx, tc.Input.Map(), opts)
		cr = CaseResult{Ruleset: rs.Name(), Case: tc, Result: res, Err: err, Duration: time.Since(start)}
		a := Actual(res, err)
		a.Documents = savedDocuments(s)
		a.Mails = data.mails()
		cr.Mismatches = tc.Compare(a)
	}
	for _, call := range web.unanswered() {
		cr.Mismatches = append(cr.Mismatches, rulesets.Mismatch{Path: "http", Message: "no fixture answers " + call + " (add one under http:)"})
	}
	cr.Mismatches = append(cr.Mismatches, data.mismatches()...)
	return cr
}

// saveFixtures commits a testcase's fixtures — persisted entities, consents and data debits — in
// one transaction, as the ruleset and the modules would have saved them.
func saveFixtures(rs *engine.Ruleset, tc *rulesets.Testcase, s store.Store, now time.Time) error {
	if len(tc.Fixtures)+len(tc.Consents)+len(tc.DataDebits) == 0 {
		return nil
	}
	if s == nil {
		return fmt.Errorf("testcase %q has fixtures, but ruleset %s persists no entities", tc.Name, rs.Name())
	}
	loc := rs.Model().Location()
	tx := s.Begin()
	defer tx.Discard()
	for _, f := range tc.Fixtures {
		if _, err := tx.Put(store.Kind{Ruleset: rs.Name(), Entity: f.Entity}, &store.Record{Props: f.Props.Map()}, now); err != nil {
			return fmt.Errorf("%s: fixture %s: %w", f.Pos, f.Entity, err)
		}
	}
	for i, c := range tc.Consents {
		if _, err := consent.Fixture(tx, c.Props.Map(), now, loc); err != nil {
			return fmt.Errorf("%s: consents[%d]: %w", c.Pos, i, err)
		}
	}
	for i, d := range tc.DataDebits {
		if _, err := datadebit.Fixture(tx, d.Props.Map(), now, loc); err != nil {
			return fmt.Errorf("%s: dataDebits[%d]: %w", d.Pos, i, err)
		}
	}
	return tx.Commit()
}

func failed(rs *engine.Ruleset, tc *rulesets.Testcase, what string, err error) CaseResult {
	return CaseResult{Ruleset: rs.Name(), Case: tc, Err: err, Mismatches: []rulesets.Mismatch{{Path: what, Message: err.Error()}}}
}

// Actual is an execution's result in the shape testcases compare.
func Actual(res *engine.Result, err error) rulesets.Actual {
	a := rulesets.Actual{Err: err}
	if res != nil {
		a.Output = res.Output
		for _, al := range res.Alerts {
			a.Alerts = append(a.Alerts, al.Name)
		}
	}
	return a
}

// Baseline is what `--update` writes for a testcase result.
func Baseline(c CaseResult) rulesets.Baseline {
	b := rulesets.Baseline{Err: c.Err}
	if c.Result != nil {
		b.Output, b.Keys = c.Result.Output, c.Result.OutputKeys()
		for _, al := range c.Result.Alerts {
			b.Alerts = append(b.Alerts, al.Name)
		}
	}
	return b
}

// Run loads the ruleset at path on a new engine and runs each of its testcases as a subtest of t.
// A ruleset that fails to load fails t with every load problem.
func Run(t *testing.T, path string, opts ...engine.Option) {
	t.Helper()
	eng := engine.New(opts...)
	rs, err := eng.Load(path)
	if err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	RunRuleset(t, rs)
}

// RunRuleset runs each testcase of a compiled ruleset as a subtest of t.
func RunRuleset(t *testing.T, rs *engine.Ruleset) {
	t.Helper()
	if len(rs.Model().Testcases) == 0 {
		t.Fatalf("ruleset %s has no testcases", rs.Name())
	}
	for _, tc := range rs.Model().Testcases {
		t.Run(tc.Name, func(t *testing.T) {
			c := RunCase(context.Background(), rs, tc)
			for _, m := range c.Mismatches {
				t.Errorf("%s: %s", filepath.ToSlash(tc.Pos.String()), m)
			}
		})
	}
}

// tempStore is a store in a temporary folder; Close also removes the folder.
type tempStore struct {
	*store.Bolt
	dir string
}

func (s tempStore) Close() error {
	err := s.Bolt.Close()
	os.RemoveAll(s.dir)
	return err
}

// openTemp opens a store in a new temporary folder.
func openTemp() (store.Store, error) {
	dir, err := os.MkdirTemp("", "kubus-test-store-")
	if err != nil {
		return nil, err
	}
	s, err := store.Open(filepath.Join(dir, "kubus.db"), store.Options{})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return tempStore{Bolt: s, dir: dir}, nil
}

// CaseText is what `kubus test` prints for one testcase: its `--- PASS:` or `--- FAIL:` line and,
// for a failure, where the testcase is written and each mismatch. With update, a failure is
// `--- UPDATE:` (kubus test --update rewrote its expectation).
func CaseText(c *CaseResult, update bool) string {
	var b strings.Builder
	status := "PASS"
	if !c.Passed() {
		status = "FAIL"
		if update {
			status = "UPDATE"
		}
	}
	fmt.Fprintf(&b, "--- %s: %s (%.3fs)\n", status, c.FullName(), c.Duration.Seconds())
	if c.Passed() {
		return b.String()
	}
	fmt.Fprintf(&b, "    %s\n", c.Case.Pos)
	for _, m := range c.Mismatches {
		fmt.Fprintf(&b, "        %s\n", m)
	}
	return b.String()
}
