package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/engine/kubustest"
	"github.com/kubusdev/kubus/store/storetest"
)

// chainYAML is a ruleset of n rules R0 … R{n-1}, each R{i} = R{i-1} + 1 written as `hop(i)` says,
// where only the last is an output: reading it evaluates the whole chain from the top.
func chainYAML(n int, head string, hop func(i int) string) string {
	var b strings.Builder
	b.WriteString(head)
	b.WriteString("rules:\n  R0: {expression: '1', output: false}\n")
	for i := 1; i < n; i++ {
		b.WriteString(hop(i))
	}
	return b.String()
}

func TestDeepChains(t *testing.T) {
	const n = 10000 // the default MaxDeclarations
	expr := func(i int) string {
		out := i == n-1
		return fmt.Sprintf("  R%d: {expression: 'R%d + 1', output: %v}\n", i, i-1, out)
	}
	cases := []struct {
		name string
		yaml string
		want map[string]float64
	}{
		{"expressions", chainYAML(n, "name: chain\n", expr), map[string]float64{"R9999": n}},
		{"statements", chainYAML(n, "name: chain\n", func(i int) string {
			return fmt.Sprintf("  R%d:\n    output: %v\n    expression: |\n      const v = R%d;\n      return v + 1;\n", i, i == n-1, i-1)
		}), map[string]float64{"R9999": n}},
		{"declared top first", func() string {
			var b strings.Builder
			b.WriteString("name: chain\nrules:\n")
			for i := n - 1; i > 0; i-- {
				b.WriteString(expr(i))
			}
			b.WriteString("  R0: {expression: '1', output: false}\n")
			return b.String()
		}(), map[string]float64{"R9999": n}},
		{"through functions", func() string {
			// R{i} = next{i}(), a function that reads R{i-1}: two frames a hop.
			var b strings.Builder
			b.WriteString("name: chain\nfunctions:\n")
			for i := 1; i < n/2; i++ {
				fmt.Fprintf(&b, "  next%d: {body: 'return R%d + 1;'}\n", i, i-1)
			}
			b.WriteString("rules:\n  R0: {expression: '1', output: false}\n")
			for i := 1; i < n/2; i++ {
				fmt.Fprintf(&b, "  R%d: {expression: 'next%d()', output: %v}\n", i, i, i == n/2-1)
			}
			return b.String()
		}(), map[string]float64{"R4999": n / 2}},
		{"ladder", func() string {
			// Two chains, each hop reading both: A{i} = A{i-1} + B{i-1}, B{i} = B{i-1} + 1.
			var b strings.Builder
			b.WriteString("name: ladder\nrules:\n  A0: {expression: '0', output: false}\n  B0: {expression: '1', output: false}\n")
			for i := 1; i < n/2; i++ {
				fmt.Fprintf(&b, "  A%d: {expression: 'A%d + B%d', output: %v}\n  B%d: {expression: 'B%d + 1', output: false}\n", i, i-1, i-1, i == n/2-1, i, i-1)
			}
			return b.String()
		}(), map[string]float64{"A4999": 4999 * 5000 / 2}},
		{"fan-in of deep rules", func() string {
			// Sum reads every rule of the chain, deepest first.
			var b strings.Builder
			b.WriteString(chainYAML(n-1, "name: fan\n", func(i int) string {
				return fmt.Sprintf("  R%d: {expression: 'R%d + 1', output: false}\n", i, i-1)
			}))
			refs := make([]string, n-1)
			for i := range refs {
				refs[i] = fmt.Sprintf("R%d", n-2-i)
			}
			fmt.Fprintf(&b, "  Sum: '[%s].reduce((a, b) => a + b, 0)'\n", strings.Join(refs, ", "))
			return b.String()
		}(), map[string]float64{"Sum": float64(n-1) * float64(n) / 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs := load(t, engine.New(), tc.yaml, nil)
			for k := 0; k < 2; k++ { // a warm runtime too: the memo of one execution is not the next's
				res := exec(t, rs, nil)
				for name, want := range tc.want {
					if res.Output[name] != want {
						t.Fatalf("execution %d: %s = %v, want %v", k, name, res.Output[name], want)
					}
				}
			}
		})
	}
}

// A deep rule evaluates rules of its chain before its own code; that must not change what the
// execution reports: a rule read only when needed fails the execution only when it is read.
func TestDeepChainKeepsLaziness(t *testing.T) {
	const n = 3000
	yaml := chainYAML(n, "name: lazy\ninputs:\n  X: {type: number, required: true}\n", func(i int) string {
		switch i {
		case 1000:
			// Bad is as deep as R999 and fails; R1000 reads it only when X < 0.
			return "  Bad: {expression: 'R999 > 0 ? null.boom : 0', output: false}\n" +
				"  R1000: {expression: 'X < 0 ? Bad : R999 + 1', output: false}\n"
		case 2000:
			return "  Str: {expression: '(() => { throw \"thrown string\"; })()', output: false}\n" +
				"  R2000:\n    output: false\n    expression: |\n      if (X === -2) return Str + R1999;\n      return R1999 + 1;\n"
		}
		return fmt.Sprintf("  R%d: {expression: 'R%d + 1', output: %v}\n", i, i-1, i == n-1)
	})
	rs := load(t, engine.New(), yaml, nil)
	if got := exec(t, rs, map[string]any{"X": 1.0}).Output["R2999"]; got != float64(n) {
		t.Fatalf("R2999 = %v, want %d", got, n)
	}
	e := execErr(t, rs, map[string]any{"X": -1.0})
	if e.Rule != "Bad" || !strings.Contains(e.Message, "TypeError") || !strings.HasPrefix(e.At, "ruleset.yaml:") {
		t.Errorf("needed failing rule: %+v", e)
	}
	if want := fmt.Sprintf("ruleset.yaml:%d:", strings.Count(yaml[:strings.Index(yaml, "  Bad:")], "\n")+1); !strings.HasPrefix(e.At, want) {
		t.Errorf("at %s, want the line of Bad (%s)", e.At, want)
	}
	e = execErr(t, rs, map[string]any{"X": -2.0})
	if e.Rule != "Str" || !strings.Contains(e.Message, "thrown string") {
		t.Errorf("thrown string: %+v", e)
	}
	// The executions before did not leave their failures behind.
	if got := exec(t, rs, map[string]any{"X": 1.0}).Output["R2999"]; got != float64(n) {
		t.Fatalf("after failures: R2999 = %v", got)
	}
}

func TestDeepChainFailureCommitsNothing(t *testing.T) {
	const n = 2000
	yaml := chainYAML(n, `name: deepwrites
inputs:
  Fail: {type: boolean, required: true}
entities:
  Note:
    persisted: true
    properties:
      Text: {type: string}
`, func(i int) string {
		if i == 10 {
			return "  R10: |\n    new Note({Text: 'deep'}).save();\n    return R9 + 1;\n"
		}
		if i == n-1 {
			return fmt.Sprintf("  R%d: \"Fail ? null.boom : R%d + Note.count()\"\n", i, i-1)
		}
		return fmt.Sprintf("  R%d: {expression: 'R%d + 1', output: false}\n", i, i-1)
	})
	rs := load(t, engine.New(), yaml, nil)
	s := storetest.Open(t)
	if _, err := run(t, rs, s, map[string]any{"Fail": true}); err == nil {
		t.Fatal("no error")
	}
	res, err := run(t, rs, s, map[string]any{"Fail": false})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Output[fmt.Sprintf("R%d", n-1)]; got != float64(n-1+1) {
		t.Errorf("the failed execution's save was kept, or lost this one's: R%d = %v, want %d", n-1, got, n)
	}
}

func TestDeepChainExplainAndTestcases(t *testing.T) {
	const n = 5000
	yaml := chainYAML(n, "name: deepcase\n", func(i int) string {
		return fmt.Sprintf("  R%d: {expression: 'R%d + 1', output: %v}\n", i, i-1, i == n-1)
	}) + fmt.Sprintf("testcases:\n  - name: top\n    input: {}\n    expect: {output: {R%d: %d}}\n  - name: wrong\n    input: {}\n    expect: {output: {R%d: 1}}\n", n-1, n, n-1)
	rs := load(t, engine.New(), yaml, nil)
	res, err := rs.Execute(context.Background(), nil, engine.ExecOptions{Now: fixedNow, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Explain) != n {
		t.Fatalf("explain has %d rules, want %d", len(res.Explain), n)
	}
	for _, ex := range res.Explain {
		if ex.Rule == "R4321" && ex.Value != 4322.0 {
			t.Errorf("explain R4321 = %v", ex.Value)
		}
	}
	results := kubustest.RunCases(context.Background(), rs, kubustest.Options{})
	if len(results) != 2 || !results[0].Passed() || results[1].Passed() {
		t.Fatalf("testcases: %+v", results)
	}
}
