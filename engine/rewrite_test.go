package engine_test

import (
	"strings"
	"testing"

	"github.com/kubusdev/kubus/engine"
)

func TestRuleReferencesRewriteKeepsSemanticsAndPositions(t *testing.T) {
	rs := load(t, engine.New(), `name: rewrite
inputs:
  Kind: {type: string, required: true}
rules:
  A: 2
  Short: "({A}).A * 10"
  Shadowed: "((A) => A + 1)(40)"
  InString: "'A' + A + String(A)"
  Dynamic: globalThis['A'] + 1
  Assign:
    output: false
    expression: "Kind === 'assign' ? (A = 5) : 0"
  Col:
    output: false
    expression: "Kind === 'col' ? A + A + null.boom : 0"
  Uses: Assign + Col
`, nil)
	res := exec(t, rs, map[string]any{"Kind": "none"})
	for k, want := range map[string]any{"Short": 20.0, "Shadowed": 41.0, "InString": "A22", "Dynamic": 3.0} {
		if res.Output[k] != want {
			t.Errorf("%s = %#v, want %#v", k, res.Output[k], want)
		}
	}
	ee := execErr(t, rs, map[string]any{"Kind": "assign"})
	if ee.Rule != "Assign" || !strings.Contains(ee.Message, "TypeError") {
		t.Errorf("assigning to a rule: %v", ee)
	}
	// goja reports a property access at the property: `boom` is at column 48 of line 15 as written,
	// after two rewritten references to A on the same line.
	ee = execErr(t, rs, map[string]any{"Kind": "col"})
	if ee.Rule != "Col" || ee.At != "ruleset.yaml:15:48" {
		t.Errorf("error at %q in rule %q, want ruleset.yaml:15:48 in Col (%v)", ee.At, ee.Rule, ee)
	}
}
