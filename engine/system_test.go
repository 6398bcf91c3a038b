package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/engine"
)

func TestSystemModule(t *testing.T) {
	eng := engine.New(engine.WithPoolSize(1), engine.WithRuleEnv(map[string]string{"FIN_DATA_URL": "https://fin.example"}))
	rs := load(t, eng, `name: system
version: 2.0.1
inputs:
  Stop: {type: boolean, default: false}
rules:
  First: 1
  Flagged: |
    System.createAlert({name: "ManualReview", level: "warning", message: "look at this", data: {score: 7}});
    2
  Stopper: |
    if (Stop) { try { System.halt("nothing to decide", {commit: false}); } catch (e) { return "caught?!"; } }
    3
  After: 4
  Env: System.env("FIN_DATA_URL")
  Unset: System.env("NOPE")
  Info: System.ruleset.name + "@" + System.ruleset.version
  Clock: System.now().toISOString()
alerts:
  Always:
    level: info
    when: "true"
    message: declared
`, nil)
	res := exec(t, rs, map[string]any{})
	if res.Output["Env"] != "https://fin.example" || res.Output["Unset"] != nil || res.Output["Info"] != "system@2.0.1" ||
		res.Output["Clock"] != fixedNow.Format("2006-01-02T15:04:05.000Z") || res.Halted != nil {
		t.Errorf("output = %v, halted = %v", res.Output, res.Halted)
	}
	if len(res.Alerts) != 2 || res.Alerts[0].Name != "Always" {
		t.Fatalf("alerts = %+v", res.Alerts)
	}
	raised := res.Alerts[1]
	if raised.Name != "ManualReview" || raised.Level != "warning" || raised.Rule != "Flagged" || raised.Data.(map[string]any)["score"] != 7.0 {
		t.Errorf("raised alert = %+v", raised)
	}

	// Halting: a result, not an error; what was computed before is kept; try/catch cannot stop it.
	res, err := rs.Execute(context.Background(), map[string]any{"Stop": true}, engine.ExecOptions{Now: fixedNow})
	if err != nil {
		t.Fatalf("a halt is not an error: %v", err)
	}
	if res.Halted == nil || res.Halted.Reason != "nothing to decide" || res.Halted.Commit {
		t.Errorf("halted = %+v", res.Halted)
	}
	if res.Output["First"] != 1.0 || res.Output["Flagged"] != 2.0 {
		t.Errorf("output so far lost: %v", res.Output)
	}
	for _, k := range []string{"Stopper", "After", "Env"} {
		if _, ok := res.Output[k]; ok {
			t.Errorf("%s was not computed before the halt but is in the output: %v", k, res.Output)
		}
	}
	if len(res.Alerts) != 1 || res.Alerts[0].Name != "ManualReview" {
		t.Errorf("alerts after a halt = %+v", res.Alerts)
	}
	// The runtime goes on as if nothing happened.
	res = exec(t, rs, map[string]any{})
	if res.Halted != nil || res.Output["After"] != 4.0 {
		t.Errorf("after a halt: %v %v", res.Halted, res.Output)
	}
}

func TestSystemWrongArguments(t *testing.T) {
	rs := load(t, engine.New(), `name: systemargs
inputs:
  Case: {type: string, required: true}
rules:
  R: |
    switch (Case) {
      case "noname": System.createAlert({level: "info"}); break;
      case "level": System.createAlert({name: "X", level: "fatal"}); break;
      case "halt": System.halt(42); break;
    }
    1
`, nil)
	for c, want := range map[string]string{
		"noname": "TypeError: System.createAlert: alert.name must be a non-empty string",
		"level":  "RangeError: System.createAlert: alert.level must be error, warning or info",
		"halt":   "TypeError: System.halt: reason",
	} {
		_, err := rs.Execute(context.Background(), map[string]any{"Case": c}, engine.ExecOptions{Now: time.Now()})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", c, err, want)
		}
	}
}
