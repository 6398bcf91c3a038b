package engine_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/store/storetest"
)

// sandboxRuleset holds attacks on the parts of an execution around the rules: reading the results
// (getters, Proxies), formatting what was thrown, the halt result, and the size of what comes back.
const sandboxRuleset = `name: sandbox
inputs:
  Kind: {type: string, required: true}
  X: {type: any}
entities:
  Loop:
    properties:
      N: {type: number}
    calculated:
      Spin: '(() => { while (true) {} })()'
alerts:
  Big:
    level: info
    when: Kind === "bigalerts"
    message: '${"m".repeat(2 << 20)}'  # past the 1 MiB output bound this test sets
rules:
  Attack:
    expression: |
      switch (Kind) {
        case "getterloop": return {get x() { while (true) {} }};
        case "getterthrows": return {get x() { throw new Error("boom"); }};
        case "proxykeys": return new Proxy({}, {ownKeys() { while (true) {} }});
        case "proxyget": return new Proxy({a: 1}, {get() { while (true) {} }});
        case "tojson": return {toJSON() { while (true) {} }, a: 1};
        case "throwtostring": throw {toString() { while (true) {} }};
        case "throwtostringthrows": throw {toString() { throw new Error("again"); }};
        case "messagegetter": { const e = new Error("x"); Object.defineProperty(e, "message", {get() { while (true) {} }}); throw e; }
        case "namegetter": { const e = new Error("x"); Object.defineProperty(e, "name", {get() { while (true) {} }}); throw e; }
        case "haltloop": { Made; System.halt("stop"); }
        case "halted": { const l = new Loop({N: 1}); l.Spin; return 1; }
        case "sparse": { const a = []; a.length = 2**32 - 1; return a; }
        case "dag": { let o = {v: 1}; for (let i = 0; i < 60; i++) o = {a: o, b: o}; return o; }
        case "wide": { const o = {}; for (let i = 0; i < 2e6; i++) o["k" + i] = i; return o; }
        case "bigstring": return "x".repeat(16 << 20);
        case "manystrings": { const s = "y".repeat(1 << 20); return Array.from({length: 40}, () => s); }
        case "createalerts": { for (let i = 0; i < 5000; i++) System.createAlert({name: "A", message: "m"}); return 1; }
        case "alertdata": { const d = Array.from({length: 25}, () => "z".repeat(10000)); for (let i = 0; i < 1000; i++) System.createAlert({name: "A", message: "m", data: d}); return 1; }
        case "deep": { const f = (n) => f(n + 1) + 1; return f(0); }
        case "protonull": return String(X);
        case "bigalerts": return 1;
      }
      return "ok";
  Made: 'Kind === "haltloop" ? new Loop({N: 1}) : null'
  Intact: 'Kind === "none" ? [1, 2].sum() : 0'
`

func TestSandboxCoversEverythingAroundTheRules(t *testing.T) {
	const timeout = raceSlowdown * 300 * time.Millisecond
	// A small output bound keeps the output attacks cheap: on a loaded -race machine building 16 MiB
	// strings alone can take longer than the timeout.
	eng := engine.New(engine.WithPoolSize(1), engine.WithLimits(engine.Limits{Timeout: timeout, MaxOutputBytes: 1 << 20}))
	rs := load(t, eng, sandboxRuleset, nil)
	cases := []struct {
		attack, kind, msg string
	}{
		{"getterloop", "timeout", "Limits.Timeout"},
		{"getterthrows", "error", "Error: boom"},
		{"proxykeys", "timeout", "Limits.Timeout"},
		{"proxyget", "timeout", "Limits.Timeout"},
		{"throwtostring", "timeout", "Limits.Timeout"},
		{"throwtostringthrows", "error", "uncaught exception"},
		{"messagegetter", "timeout", "Limits.Timeout"},
		{"namegetter", "timeout", "Limits.Timeout"},
		{"haltloop", "timeout", "Limits.Timeout"},
		{"halted", "timeout", "Limits.Timeout"},
		{"sparse", "output nodes", "Limits.MaxOutputNodes"},
		{"dag", "output nodes", "Limits.MaxOutputNodes"},
		{"wide", "", "Limits."}, // the node limit, or the timeout on a slow (-race) machine
		{"bigstring", "output size", "Limits.MaxOutputBytes"},
		{"manystrings", "output size", "Limits.MaxOutputBytes"},
		{"createalerts", "error", "Limits.MaxAlerts"},
		{"alertdata", "error", "Limits.MaxOutputBytes"},
		{"bigalerts", "output size", "Limits.MaxOutputBytes"},
		{"deep", "call stack depth", "Limits.MaxCallStackDepth"},
	}
	for _, c := range cases {
		t.Run(c.attack, func(t *testing.T) {
			start := time.Now()
			ee := execErr(t, rs, map[string]any{"Kind": c.attack})
			if d := time.Since(start); d > 3*timeout {
				t.Errorf("took %v, want about the %v timeout", d, timeout)
			}
			if c.kind != "" && ee.Kind != c.kind {
				t.Errorf("kind = %q, want %q (%v)", ee.Kind, c.kind, ee)
			}
			if !strings.Contains(ee.Message, c.msg) {
				t.Errorf("message %q does not mention %q", ee.Message, c.msg)
			}
			if c.attack != "bigalerts" && c.attack != "haltloop" && ee.Rule != "Attack" {
				t.Errorf("rule = %q, want Attack (%v)", ee.Rule, ee)
			}
			if len(ee.Stack) > engine.DefaultLimits.MaxStackFrames+1 {
				t.Errorf("stack has %d frames, want at most %d and a note", len(ee.Stack), engine.DefaultLimits.MaxStackFrames)
			}
			// The pool refills and the next execution is right.
			res := exec(t, rs, map[string]any{"Kind": "none"})
			if res.Output["Intact"] != 3.0 || res.Output["Attack"] != "ok" {
				t.Errorf("after %s: output = %v", c.attack, res.Output)
			}
		})
	}
}

func TestDeepRecursionStackIsCut(t *testing.T) {
	rs := load(t, engine.New(), sandboxRuleset, nil)
	ee := execErr(t, rs, map[string]any{"Kind": "deep"})
	if n := len(ee.Stack); n != engine.DefaultLimits.MaxStackFrames+1 || !strings.Contains(ee.Stack[n-1], "more frames (Limits.MaxStackFrames)") {
		t.Fatalf("stack = %d frames, last %q", n, ee.Stack[n-1])
	}
	if !strings.HasPrefix(ee.Stack[0], "rule Attack (ruleset.yaml:") {
		t.Errorf("innermost frame = %q", ee.Stack[0])
	}
}

// Input keys are data: "__proto__" in an input is a property, not the object's prototype, and no
// Go value shows through in a message.
func TestInputProtoKeyIsData(t *testing.T) {
	rs := load(t, engine.New(), `name: proto
inputs:
  X: {type: any}
rules:
  Keys: 'Object.keys(X).join(",")'
  HasProto: 'Object.getPrototypeOf(X) === Object.prototype'
  Inner: 'X.__proto__ === null'
  Text: 'String(X)'
`, nil)
	res := exec(t, rs, map[string]any{"X": map[string]any{"__proto__": nil, "a": 1.0}})
	if res.Output["Keys"] != "__proto__,a" && res.Output["Keys"] != "a,__proto__" {
		t.Errorf("keys = %v", res.Output["Keys"])
	}
	if res.Output["HasProto"] != true || res.Output["Inner"] != true || res.Output["Text"] != "[object Object]" {
		t.Errorf("output = %v", res.Output)
	}
}

func TestSandboxHonoursContextDuringCollect(t *testing.T) {
	eng := engine.New(engine.WithPoolSize(1), engine.WithLimits(engine.Limits{Timeout: 2 * time.Second}))
	rs := load(t, eng, sandboxRuleset, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := rs.Execute(ctx, map[string]any{"Kind": "getterloop"}, engine.ExecOptions{})
	var le *engine.LimitError
	if !errors.As(err, &le) || le.Limit != "canceled" {
		t.Fatalf("want a canceled LimitError, got %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("returned after %v", d)
	}
	if res := exec(t, rs, map[string]any{"Kind": "none"}); res.Output["Intact"] != 3.0 {
		t.Errorf("after cancel: %v", res.Output)
	}
}

func TestNoGoValuesInMessages(t *testing.T) {
	rs := load(t, engine.New(), "name: gov\nrules:\n  Text: 'String(Object.create(null))'\n", nil)
	ee := execErr(t, rs, nil)
	if ee.Message != "TypeError: Cannot convert object to primitive value" || ee.Rule != "Text" {
		t.Fatalf("error = %q (rule %q)", ee.Message, ee.Rule)
	}
}

// reachRuleset walks, from rule code, everything reachable from the global scope and from each
// kind of value a rule receives (entity classes and instances, tables, constants, functions,
// module namespaces, inputs' prototypes), and lists what is writable or extensible.
const reachRuleset = `name: reach
inputs:
  When: {type: date}
  P: {type: Person}
entities:
  Person:
    persisted: true
    properties:
      Name: {type: string}
    calculated:
      Upper: 'Name ? Name.toUpperCase() : ""'
constants:
  Rate: 0.1
  Shape: {a: {b: [1, 2]}}
tables:
  Levels:
    columns: [from, to]
    rows:
      Low: [0, 49]
      High: [50, 99]
functions:
  Twice:
    params: {x: number}
    body: return 2 * x;
rules:
  Open: |
    const seen = new Set(), open = [];
    const walk = (root, path) => {
      const stack = [[root, path]];
      while (stack.length > 0) {
        const [o, p] = stack.pop();
        if (o === null || (typeof o !== "object" && typeof o !== "function") || seen.has(o)) continue;
        seen.add(o);
        // Typed arrays with elements cannot be frozen; no built-in hands one out.
        if (Object.isExtensible(o)) open.push(p + " is extensible");
        stack.push([Object.getPrototypeOf(o), p + ".[[Prototype]]"]);
        for (const k of Reflect.ownKeys(o)) {
          const d = Object.getOwnPropertyDescriptor(o, k);
          const name = p + "." + String(k);
          if ("value" in d) {
            if (d.writable) open.push(name + " is writable");
            stack.push([d.value, name]);
          } else {
            if (d.configurable) open.push(name + " is configurable");
            stack.push([d.get, name + ".get"], [d.set, name + ".set"]);
          }
        }
      }
    };
    walk(globalThis, "globalThis");
    walk(Person, "Person");
    walk(Object.getPrototypeOf(new Person({Name: "x"})), "Person.prototype");
    walk(Object.getPrototypeOf(P), "P.[[Prototype]]");
    walk(Levels, "Levels");
    walk(Levels.lookupRow(10), "Levels.Low");
    walk(Shape, "Shape");
    walk(Twice, "Twice");
    walk(Object.getPrototypeOf(When), "When.[[Prototype]]");
    walk(Object.getPrototypeOf(function* () {}), "GeneratorFunction.prototype");
    walk(Object.getPrototypeOf(async function () {}), "AsyncFunction.prototype");
    walk(Object.getPrototypeOf(Object.getPrototypeOf((function* () {})())), "%GeneratorPrototype%");
    walk(Object.getPrototypeOf(/x/g[Symbol.matchAll]("x")), "RegExpStringIterator.prototype");
    walk(Object.getPrototypeOf(new Map().entries()), "MapIterator.prototype");
    walk(Object.getPrototypeOf(Promise.resolve(1)), "Promise.prototype");
    return open;
  Compile: |
    const tries = [
      () => globalThis["ev" + "al"]("1"),
      () => Function("return 1")(),
      () => (() => 0).constructor("return 1")(),
      () => Object.getPrototypeOf(function* () {}).constructor("yield 1"),
      () => Object.getPrototypeOf(async function () {}).constructor("return 1"),
      () => Reflect.construct(Function, ["return 1"]),
    ];
    const out = [];
    for (const f of tries) {
      try { f(); out.push("compiled"); } catch (e) { out.push(e.name); }
    }
    return [out.join(","), typeof globalThis["ev" + "al"], Twice instanceof Function, (function* () {}) instanceof Function];
`

func TestNothingRuleCodeReachesIsOpen(t *testing.T) {
	rs := load(t, engine.New(engine.WithStore(storetest.Open(t))), reachRuleset, nil)
	res := exec(t, rs, map[string]any{"When": "2024-01-01", "P": map[string]any{"Name": "Ann"}})
	open, _ := res.Output["Open"].([]any)
	for _, o := range open {
		t.Error(o)
	}
	if _, ok := res.Output["Open"].([]any); !ok {
		t.Fatalf("Open = %#v", res.Output["Open"])
	}
	want := []any{"TypeError,EvalError,EvalError,EvalError,EvalError,EvalError", "undefined", true, true}
	if got := res.Output["Compile"]; !reflect.DeepEqual(got, want) {
		t.Errorf("Compile = %v, want %v", got, want)
	}
}
