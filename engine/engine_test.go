package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/std"
	"github.com/kubusdev/kubus/engine"
)

// writeRuleset writes a ruleset folder: ruleset.yaml plus any extra files (relative path → content).
func writeRuleset(t testing.TB, yaml string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ruleset.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func load(t testing.TB, eng *engine.Engine, yaml string, files map[string]string) *engine.Ruleset {
	t.Helper()
	rs, err := eng.Load(writeRuleset(t, yaml, files))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return rs
}

var fixedNow = time.Date(2024, 5, 17, 10, 30, 0, 0, time.UTC)

func exec(t testing.TB, rs *engine.Ruleset, input map[string]any) *engine.Result {
	t.Helper()
	res, err := rs.Execute(context.Background(), input, engine.ExecOptions{Now: fixedNow})
	if err != nil {
		t.Fatalf("execute: %v", err)
	}
	return res
}

func execErr(t testing.TB, rs *engine.Ruleset, input map[string]any) *engine.EvalError {
	t.Helper()
	_, err := rs.Execute(context.Background(), input, engine.ExecOptions{Now: fixedNow})
	var ee *engine.EvalError
	if !errors.As(err, &ee) {
		t.Fatalf("want an *EvalError, got %T: %v", err, err)
	}
	return ee
}

func TestTravelInsuranceExample(t *testing.T) {
	eng := engine.New()
	rs, err := eng.Load("../examples/travel-insurance")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../examples/travel-insurance/input.json")
	if err != nil {
		t.Fatal(err)
	}
	var input map[string]any
	if err := json.Unmarshal(data, &input); err != nil {
		t.Fatal(err)
	}
	res := exec(t, rs, input)
	want := map[string]any{"NumberOfDays": 7.0, "AgeAtDeparture": 23.0, "AgeBand": "young", "InsuranceCosts": 1.05,
		"ValuablesFee": 4.9, "TotalPremium": 16.89, "CoverStarts": "2023-07-20"}
	for k, v := range want {
		if res.Output[k] != v {
			t.Errorf("output %s = %#v, want %#v", k, res.Output[k], v)
		}
	}
	if _, ok := res.Output["BasePremium"]; ok {
		t.Errorf("BasePremium has output: false but is in the output")
	}
	traveller, _ := res.Output["Traveller"].(map[string]any)
	if traveller["Name"] != "Sanne de Vries" || traveller["Age"] != 24.0 || traveller["Birthdate"] != "2000-01-01" {
		t.Errorf("echoed Traveller = %#v", traveller)
	}
	// Output keys follow declared order: echoed inputs first, then rules.
	b, _ := json.Marshal(res)
	if i, j := strings.Index(string(b), `"Traveller"`), strings.Index(string(b), `"CoverStarts"`); i < 0 || j < i {
		t.Errorf("output order wrong: %s", b)
	}
}

func TestScopeAndLazyRules(t *testing.T) {
	rs := load(t, engine.New(), `
name: scope
inputs:
  A: {type: number, required: true}
  Flag: {type: boolean, default: false}
  Greeting: {type: string, from: renamed-in-json}
constants:
  Factor: 2
  Nested: {p1: 0.1, list: [1, 2, 3]}
tables:
  Levels:
    columns: [from, to]
    rows:
      Low: [0, 49]
      Medium: [50, 99]
      High: [100, 999]
functions:
  Double:
    params: {x: number}
    body: return x * Factor
rules:
  B: {expression: Double(A) + Nested.list.length}
  C:
    expression: |
      const twice = B + B;
      twice
  Level: Levels.lookup(A)
  MediumFrom: Levels.Medium.from
  Missing: Levels.lookup(5000)
  Lazy: "Flag ? Boom : 'not evaluated'"
  Boom:
    output: false
    expression: (() => { throw new Error("Boom must not run") })()
  Shout: Greeting + "!"
  Hidden: {output: SomethingElse, expression: "1 + 1"}
`, nil)
	res, err := rs.Execute(context.Background(), map[string]any{"A": 73.0, "renamed-in-json": "hi"}, engine.ExecOptions{Now: fixedNow, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"B": 149.0, "C": 298.0, "Level": "Medium", "MediumFrom": 50.0, "Missing": nil, "Lazy": "not evaluated", "SomethingElse": 2.0, "Shout": "hi!"}
	for k, v := range want {
		if got, ok := res.Output[k]; !ok || got != v {
			t.Errorf("output %s = %#v, want %#v", k, got, v)
		}
	}
	// B is read twice by C but evaluated once; Boom never.
	counts := map[string]int{}
	for _, e := range res.Explain {
		counts[e.Rule]++
	}
	if counts["B"] != 1 || counts["Boom"] != 0 {
		t.Errorf("explain counts = %v, want B once and Boom never", counts)
	}
	for _, e := range res.Explain {
		if e.Rule == "C" && strings.Join(e.Reads, ",") != "B" {
			t.Errorf("C reads %v, want [B]", e.Reads)
		}
	}
}

func TestInputErrorsListEveryProblemWithPath(t *testing.T) {
	rs := load(t, engine.New(), `
name: inputs
inputs:
  Start: {type: date, required: true}
  Area: {type: enum, values: [north, south], required: true}
  Count: {type: number}
  People: {type: array, of: Person}
entities:
  Person:
    properties:
      Name: {type: string, required: true}
      Birthdate: {type: date}
rules:
  X: "1"
`, nil)
	_, err := rs.Execute(context.Background(), map[string]any{
		"Area":   "east",
		"Count":  "three",
		"People": []any{map[string]any{"Name": "Ann"}, map[string]any{"Birthdate": "yesterday"}},
	}, engine.ExecOptions{})
	var ie *engine.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("want *InputError, got %v", err)
	}
	got := map[string]string{}
	for _, p := range ie.Problems {
		got[p.Path] = p.Message
	}
	want := map[string]string{
		"Start":               "required",
		"Area":                `must be one of north, south, got "east"`,
		"Count":               `must be a number, got "three"`,
		"People[1].Name":      "required",
		"People[1].Birthdate": `must be a date (YYYY-MM-DD or RFC 3339), got "yesterday"`,
	}
	for path, msg := range want {
		if got[path] != msg {
			t.Errorf("problem at %s = %q, want %q", path, got[path], msg)
		}
	}
	if len(ie.Problems) != len(want) {
		t.Errorf("got %d problems, want %d: %v", len(ie.Problems), len(want), ie.Problems)
	}
	b, _ := json.Marshal(ie)
	if !strings.HasPrefix(string(b), `{"errors":[{"path":`) {
		t.Errorf("input error JSON = %s", b)
	}
}

func TestRuleErrorsNameRuleAndAuthorPosition(t *testing.T) {
	rs := load(t, engine.New(), `name: errors
inputs:
  Kind: {type: string, required: true}
functions:
  Explode:
    params: {what: string}
    body: |
      const x = 1;
      throw new RangeError("exploded: " + what);
rules:
  Inline:
    expression: "Kind === 'inline' ? null.foo : 1"
  FromFile:
    file: rules/from-file.js
  ViaFunction:
    expression: "Kind === 'function' ? Explode('now') : 3"
  Typed:
    type: number
    expression: "Kind === 'typed' ? 'twelve' : 4"
`, map[string]string{"rules/from-file.js": "// comment\nconst y = 2;\nif (Kind === 'file') throw new Error('from the file');\ny\n"})

	cases := []struct {
		kind, rule, at, msg string
	}{
		{"inline", "Inline", "ruleset.yaml:12:", "TypeError"},
		{"file", "FromFile", "rules/from-file.js:3:", "Error: from the file"},
		{"function", "ViaFunction", "ruleset.yaml:9:", "RangeError: exploded: now"},
		{"typed", "Typed", "", `rule Typed must be a number, got string "twelve"`},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			ee := execErr(t, rs, map[string]any{"Kind": c.kind})
			if ee.Rule != c.rule {
				t.Errorf("rule = %q, want %q (%v)", ee.Rule, c.rule, ee)
			}
			if !strings.HasPrefix(ee.At, c.at) {
				t.Errorf("at = %q, want prefix %q (%v)", ee.At, c.at, ee)
			}
			if !strings.Contains(ee.Message, c.msg) {
				t.Errorf("message = %q, want it to contain %q", ee.Message, c.msg)
			}
			if !strings.Contains(ee.Error(), "rule "+c.rule) {
				t.Errorf("Error() = %q does not name the rule", ee.Error())
			}
		})
	}
	// The function frame and the rule frame are both in the stack.
	ee := execErr(t, rs, map[string]any{"Kind": "function"})
	if len(ee.Stack) < 2 || !strings.HasPrefix(ee.Stack[0], "function Explode") || !strings.HasPrefix(ee.Stack[1], "rule ViaFunction") {
		t.Errorf("stack = %v", ee.Stack)
	}
}

func TestClockIsInjected(t *testing.T) {
	rs := load(t, engine.New(), `name: clock
timezone: Europe/Amsterdam
rules:
  Today: {type: date, expression: TODAY()}
  Now: {type: date, expression: NOW()}
  NewDate: "new Date().toISOString()"
  DateNow: "Date.now()"
`, nil)
	now := time.Date(2024, 3, 30, 23, 30, 0, 0, time.UTC) // already the 31st in Amsterdam
	res, err := rs.Execute(context.Background(), nil, engine.ExecOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"Today": "2024-03-31", "Now": "2024-03-31T00:30:00+01:00", "NewDate": "2024-03-30T23:30:00.000Z", "DateNow": float64(now.UnixMilli())}
	for k, v := range want {
		if res.Output[k] != v {
			t.Errorf("%s = %#v, want %#v", k, res.Output[k], v)
		}
	}
}

func TestAlertsAndDiagnostics(t *testing.T) {
	rs := load(t, engine.New(), `name: alerts
inputs:
  Age: {type: number, required: true}
constants:
  TooYoungMessage: You are too young
rules:
  Logged: |
    for (let i = 0; i < 150; i++) console.log("line", i);
    console.warn("careful");
    console.error({code: 7});
    1
alerts:
  TooYoung:
    level: error
    when: Age < 18
    message: "${TooYoungMessage} (age ${Age})"
  Senior:
    level: info
    when: Age >= 65
    message: Senior
`, nil)
	res, err := rs.Execute(context.Background(), map[string]any{"Age": 16}, engine.ExecOptions{Now: fixedNow, LogLevel: builtins.LogInfo})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Alerts) != 1 || res.Alerts[0] != (engine.Alert{Name: "TooYoung", Level: "error", Message: "You are too young (age 16)", Rule: "TooYoung"}) {
		t.Errorf("alerts = %+v", res.Alerts)
	}
	if len(res.Diagnostics) != builtins.MaxDiagnostics {
		t.Fatalf("kept %d diagnostics, want the last %d", len(res.Diagnostics), builtins.MaxDiagnostics)
	}
	last := res.Diagnostics[len(res.Diagnostics)-1]
	if last.Type != "error" {
		t.Errorf("last diagnostic = %+v", last)
	}
	res, _ = rs.Execute(context.Background(), map[string]any{"Age": 16}, engine.ExecOptions{Now: fixedNow, LogLevel: builtins.LogWarning})
	if len(res.Diagnostics) != 2 {
		t.Errorf("warning level kept %d lines, want 2", len(res.Diagnostics))
	}
	res, _ = rs.Execute(context.Background(), map[string]any{"Age": 16}, engine.ExecOptions{Now: fixedNow})
	if len(res.Diagnostics) != 0 {
		t.Errorf("default level kept %d lines, want none", len(res.Diagnostics))
	}
}

// hostileRuleset has one rule per attack, selected by the input, and a rule that proves the
// runtime is intact afterwards.
const hostileRuleset = `name: hostile
inputs:
  Kind: {type: string, required: true}
rules:
  Attack:
    expression: |
      switch (Kind) {
        case "loop": while (true) {}
        case "repeat": return 'x'.repeat(2**31);
        case "bigarray": return new Array(1e9).length;
        case "push": { const a = []; while (true) a.push(1, 2, 3, 4); }
        case "recursion": { const f = (n) => f(n + 1) + 1; return f(0); }
        case "doubling": { let s = "x"; while (true) s = s + s; }
        case "throw": throw new Error("thrown on purpose");
        case "throwstring": throw "a string";
        case "tamper": {
          const tries = [
            () => { Array.prototype.sneaky = () => 42; },
            () => { Math.PI = 3; },
            () => { Object.prototype.polluted = true; },
            () => { globalThis.leak = 1; },
            () => { JSON.parse = () => 1; },
            () => { ROUND = () => 0; },
            () => { Date.prototype.getTime = () => 0; },
            () => { delete Math.max; },
            () => { Object.defineProperty(Array.prototype, "x", {value: 1}); },
            () => { Object.setPrototypeOf(Math, null); },
          ];
          let blocked = 0;
          for (const f of tries) { try { f(); } catch (e) { if (e instanceof TypeError) blocked++; } }
          return blocked;
        }
        case "override": {
          class MyError extends Error { constructor(m) { super(m); this.name = "MyError"; } }
          const o = {}; o.toString = () => "mine";
          return new MyError("x").name + " " + String(o);
        }
      }
      return "ok";
  Intact: |
    [1, 2].sneaky === undefined && [1, 2].sum() === 3 && Math.PI > 3.14 && ({}).polluted === undefined &&
      typeof globalThis.leak === "undefined" && JSON.parse("2") === 2 && ROUND(1.005, 2) === 1.01 &&
      typeof Math.max === "function" && Object.getPrototypeOf(Math) === Object.prototype
`

func TestHostileRulesEndCleanlyAndLeaveNoTrace(t *testing.T) {
	eng := engine.New(engine.WithPoolSize(1), engine.WithLimits(engine.Limits{Timeout: 300 * time.Millisecond}))
	rs := load(t, eng, hostileRuleset, nil)
	cases := []struct {
		attack, kind, msg string
	}{
		{"loop", "timeout", "timeout"},
		{"repeat", "error", "Limits.MaxStringLength"},
		{"bigarray", "error", "Limits.MaxArrayLength"},
		{"push", "", "Limits."}, // the array limit, or the timeout when the machine is slow (-race)
		{"recursion", "call stack depth", "Limits.MaxCallStackDepth"},
		{"doubling", "", ""}, // stopped by the memory guard or the string limit: either is fine
		{"throw", "error", "Error: thrown on purpose"},
		{"throwstring", "error", "uncaught a string"},
	}
	for _, c := range cases {
		t.Run(c.attack, func(t *testing.T) {
			ee := execErr(t, rs, map[string]any{"Kind": c.attack})
			if ee.Rule != "Attack" {
				t.Errorf("rule = %q, want Attack (%v)", ee.Rule, ee)
			}
			if c.kind != "" && ee.Kind != c.kind {
				t.Errorf("kind = %q, want %q (%v)", ee.Kind, c.kind, ee)
			}
			if !strings.Contains(ee.Message, c.msg) {
				t.Errorf("message %q does not mention %q", ee.Message, c.msg)
			}
			// The same pooled runtime behaves as if nothing happened.
			res := exec(t, rs, map[string]any{"Kind": "none"})
			if res.Output["Intact"] != true || res.Output["Attack"] != "ok" {
				t.Errorf("after %s: output = %v", c.attack, res.Output)
			}
		})
	}
	t.Run("tamper", func(t *testing.T) {
		for i := 0; i < 20; i++ {
			res := exec(t, rs, map[string]any{"Kind": "tamper"})
			if res.Output["Attack"] != 10.0 || res.Output["Intact"] != true {
				t.Fatalf("run %d: output = %v, want all 10 tamperings blocked and the runtime intact", i, res.Output)
			}
		}
	})
	t.Run("override", func(t *testing.T) {
		res := exec(t, rs, map[string]any{"Kind": "override"})
		if res.Output["Attack"] != "MyError mine" {
			t.Errorf("own properties shadowing frozen prototype ones: got %v", res.Output["Attack"])
		}
	})
}

func TestCancelStopsExecution(t *testing.T) {
	rs := load(t, engine.New(), "name: cancel\nrules:\n  Loop: 'while (true) {}'\n", nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := rs.Execute(ctx, nil, engine.ExecOptions{})
	var le *engine.LimitError
	if !errors.As(err, &le) || le.Limit != "canceled" {
		t.Fatalf("want a canceled LimitError, got %v", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("cancel took %v", d)
	}
}

// panicModule is a builtin with a Go bug.
type panicModule struct{}

func (panicModule) Name() string    { return "panicky" }
func (panicModule) Typings() string { return "declare function PANIC(): never;" }
func (panicModule) Install(h *builtins.Host) error {
	return h.SetGlobal("PANIC", h.Func("PANIC", func(goja.FunctionCall) goja.Value {
		var m map[string]int
		m["boom"] = 1 // nil map write: a Go panic
		return nil
	}))
}

func TestGoPanicInBuiltinBecomesJSError(t *testing.T) {
	eng := engine.New(engine.WithModules(append(std.Modules(), panicModule{})...), engine.WithPoolSize(1))
	rs := load(t, eng, `name: panics
rules:
  Caught: "(() => { try { PANIC(); } catch (e) { return 'caught: ' + e.message; } })()"
  Uncaught: PANIC()
`, nil)
	ee := execErr(t, rs, nil)
	if ee.Rule != "Caught" && ee.Rule != "Uncaught" {
		t.Errorf("rule = %q", ee.Rule)
	}
	if !strings.Contains(ee.Message, "PANIC: internal error") {
		t.Errorf("message = %q", ee.Message)
	}
}

func TestConcurrentExecutions(t *testing.T) {
	rs := load(t, engine.New(), `name: concurrent
inputs:
  N: {type: number, required: true}
rules:
  Square: N * N
  Sum: "[...Array(10).keys()].reduce((a, b) => a + b, 0) + N"
`, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				n := float64(g*1000 + i)
				res, err := rs.Execute(context.Background(), map[string]any{"N": n}, engine.ExecOptions{})
				if err != nil {
					errs <- err
					return
				}
				if res.Output["Square"] != n*n || res.Output["Sum"] != 45+n {
					errs <- fmt.Errorf("N=%v: %v", n, res.Output)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestPoolIsBoundedAndWaitersHonourTheirContext(t *testing.T) {
	// A long timeout: the first execution only has to hold the runtime for a few milliseconds, and
	// under the race detector on a busy machine its spin can take seconds. Not longer: the longest
	// Timeout in the process is regexp2's match timeout, which TestIntrinsicGuards' backtracking
	// attack waits for (it allows raceSlowdown*3s).
	eng := engine.New(engine.WithPoolSize(1), engine.WithLimits(engine.Limits{Timeout: raceSlowdown * 2 * time.Second}))
	rs := load(t, eng, `name: slow
inputs:
  Ms: {type: number, required: true}
rules:
  Waited: |
    let n = 0;   // the execution clock stands still, so spin on a counter
    while (n < Ms * 20000) n++;
    n
`, nil)
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		close(started)
		_, err := rs.Execute(context.Background(), map[string]any{"Ms": 20}, engine.ExecOptions{})
		done <- err
	}()
	<-started
	time.Sleep(5 * time.Millisecond) // let the first execution take the only runtime
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, err := rs.Execute(ctx, map[string]any{"Ms": 1}, engine.ExecOptions{})
	var ee *engine.EvalError
	if !errors.As(err, &ee) || ee.Kind != "canceled" {
		t.Errorf("a waiter whose context ends: want kind canceled, got %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The runtime went back to the pool: executions go on.
	if _, err := rs.Execute(context.Background(), map[string]any{"Ms": 1}, engine.ExecOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestEnvConstantsEntitiesInRulesAndInputLimit(t *testing.T) {
	env := map[string]string{"FIN_DATA_URL": "https://fin.example"}
	eng := engine.New(
		engine.WithRuleEnv(env),
		engine.WithLimits(engine.Limits{MaxInputBytes: 1000}),
	)
	rs := load(t, eng, `name: scope2
inputs:
  Note: {type: string}
constants:
  FinDataURL: {env: FIN_DATA_URL}
  Missing: {env: NOT_SET_ANYWHERE}
  WithDefault: {env: NOT_SET_EITHER, default: fallback}
entities:
  Person:
    properties:
      Name: {type: string, required: true}
      Birthdate: {type: date}
    calculated:
      Age: "Birthdate ? AGE(Birthdate) : null"
      Adult: "Age !== null && Age >= 18"
rules:
  Url: FinDataURL
  Unset: Missing
  Defaulted: WithDefault
  Made:
    type: Person
    expression: "new Person({Name: 'Ann', Birthdate: new Date(Date.UTC(2000, 0, 1))})"
  People:
    type: array
    of: Person
    expression: "[new Person({Name: 'Kid', Birthdate: new Date(Date.UTC(2015, 5, 1))})]"
  AdultCount: "People.filter(p => p.Adult).length + (Made.Adult ? 1 : 0)"
`, nil)
	res := exec(t, rs, map[string]any{"Note": "short"})
	if res.Output["Url"] != "https://fin.example" || res.Output["Unset"] != nil || res.Output["Defaulted"] != "fallback" {
		t.Errorf("env constants: %v", res.Output)
	}
	made, _ := res.Output["Made"].(map[string]any)
	if made["Name"] != "Ann" || made["Age"] != 24.0 || made["Adult"] != true || made["Birthdate"] != "2000-01-01" {
		t.Errorf("Made = %#v", made)
	}
	people, _ := res.Output["People"].([]any)
	if len(people) != 1 || people[0].(map[string]any)["Age"] != 8.0 || res.Output["AdultCount"] != 1.0 {
		t.Errorf("People = %#v, AdultCount = %v", people, res.Output["AdultCount"])
	}
	_, err := rs.Execute(context.Background(), map[string]any{"Note": strings.Repeat("x", 2000)}, engine.ExecOptions{})
	var ie *engine.InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.Error(), "Limits.MaxInputBytes") {
		t.Errorf("an input over the limit: %v", err)
	}
}

// A rule whose error was caught by another rule cannot be read again in the same execution.
func TestFailedRuleReadAgainAfterCatch(t *testing.T) {
	rs := load(t, engine.New(), `name: caught
rules:
  Bad:
    output: false
    expression: "null.x"
  Catcher: |
    let first = "";
    try { Bad; } catch (e) { first = e.name; }
    try { Bad; } catch (e) { return first + " then " + e.message; }
    "no error"
`, nil)
	res := exec(t, rs, nil)
	if res.Output["Catcher"] != "TypeError then rule Bad is read while it is still being evaluated: a reference cycle, or it failed earlier in this execution and the error was caught" {
		t.Errorf("Catcher = %v", res.Output["Catcher"])
	}
}

// A cycle the loader cannot see (a dynamic read) is still stopped at run time, naming the rule.
func TestDynamicCycleIsStopped(t *testing.T) {
	rs := load(t, engine.New(), "name: dyncycle\nrules:\n  Self: \"globalThis['Se' + 'lf'] + 1\"\n", nil)
	ee := execErr(t, rs, nil)
	if ee.Rule != "Self" || !strings.Contains(ee.Message, "rule Self is read while it is still being evaluated: a reference cycle") {
		t.Errorf("got %v", ee)
	}
}

// TestMemosAcrossGenerationWrap: the execution counter of a runtime cycles (compile.go), so a rule
// evaluated once and not again until the counter comes round to the same value must be evaluated
// anew, and a rule that threw stays evaluable in later executions.
func TestMemosAcrossGenerationWrap(t *testing.T) {
	rs := load(t, engine.New(engine.WithPoolSize(1)), `name: wrap
inputs:
  In: {type: number, required: true}
rules:
  Out: 'In % 255 === 3 ? Rare : Often'
  Often: 'In + 1'
  Rare:
    output: false
    expression: 'In * 10'
  Caught: |
    try { return Throws } catch (e) { return "caught" }
  Throws:
    output: false
    expression: 'In % 255 === 7 ? (() => { throw new Error("x") })() : "fine"'
`, nil)
	for in := 1; in <= 1200; in++ {
		res := exec(t, rs, map[string]any{"In": float64(in)})
		want := float64(in + 1)
		if in%255 == 3 {
			want = float64(in * 10)
		}
		wantCaught := "fine"
		if in%255 == 7 {
			wantCaught = "caught"
		}
		if res.Output["Out"] != want || res.Output["Caught"] != wantCaught || res.Output["Often"] != float64(in+1) {
			t.Fatalf("execution %d: %v, want Out %v, Caught %v", in, res.Output, want, wantCaught)
		}
	}
}
