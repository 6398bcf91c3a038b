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

// The engine's glue code has locals of its own; none may shadow a ruleset name.
func TestGlueLocalsDoNotShadowRulesetNames(t *testing.T) {
	rs := load(t, engine.New(), `name: shadow
inputs:
  v: number
  ok: number
  t0: number
  out: number
  alerts: number
  explain: number
  k: number
  i: number
rules:
  Sum: v + ok + t0 + out + alerts + explain + k + i
  Body: |
    const x = v * 2;
    x + ok
alerts:
  Big:
    level: info
    when: alerts + k > 10
    message: "${v}"
`, nil)
	res := exec(t, rs, map[string]any{"v": 1, "ok": 2, "t0": 3, "out": 4, "alerts": 5, "explain": 6, "k": 7, "i": 8})
	if res.Output["Sum"] != 36.0 || res.Output["Body"] != 4.0 || len(res.Alerts) != 1 || res.Alerts[0].Message != "1" {
		t.Errorf("output = %v, alerts = %v", res.Output, res.Alerts)
	}
}
