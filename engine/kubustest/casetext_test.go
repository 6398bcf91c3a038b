package kubustest_test

import (
	"testing"
	"time"

	"github.com/kubusdev/kubus/engine/kubustest"
	"github.com/kubusdev/kubus/rulesets"
)

// TestCaseText: the lines `kubus test` prints for a testcase (the studio shows the same).
func TestCaseText(t *testing.T) {
	tc := &rulesets.Testcase{Name: "young", Pos: rulesets.Pos{File: "tests/pricing.yaml", Line: 2, Column: 3}}
	pass := kubustest.CaseResult{Ruleset: "travel", Case: tc, Duration: 1500 * time.Microsecond}
	if got := kubustest.CaseText(&pass, false); got != "--- PASS: travel/young (0.002s)\n" {
		t.Errorf("pass: %q", got)
	}
	fail := pass
	fail.Mismatches = []rulesets.Mismatch{{Path: "output.X", Expected: 2.0, Actual: 1.0}, {Path: "http", Message: "no fixture answers GET x"}}
	want := "--- FAIL: travel/young (0.002s)\n    tests/pricing.yaml:2:3\n        output.X: expected 2, got 1\n        http: no fixture answers GET x\n"
	if got := kubustest.CaseText(&fail, false); got != want {
		t.Errorf("fail:\n%s\nwant:\n%s", got, want)
	}
	if got := kubustest.CaseText(&fail, true); got[:14] != "--- UPDATE: tr" {
		t.Errorf("update: %q", got)
	}
}
