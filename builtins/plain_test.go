package builtins_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
)

func TestPlain(t *testing.T) {
	vm, h := newHost(t)
	xs := func(n int) string { return strings.Repeat("x", n) }
	nils := func(n int) []any { return make([]any, n) }
	upto := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = float64(i)
		}
		return out
	}
	for _, c := range []struct {
		src  string
		want any
	}{
		{"undefined", nil},
		{"null", nil},
		{"true", true},
		{"42", 42.0},
		{"-1.5", -1.5},
		{"NaN", "NaN"},
		{"Infinity", "Infinity"},
		{"-Infinity", "-Infinity"},
		{"'héllo'", "héllo"},
		{"12345678901234567890n", "12345678901234567890n"},
		{"Symbol('tag')", "Symbol(tag)"},
		{"[1, 'a', null, undefined, [true]]", []any{1.0, "a", nil, nil, []any{true}}},
		{"({a: 1, b: {c: [2]}, u: undefined})", map[string]any{"a": 1.0, "b": map[string]any{"c": []any{2.0}}, "u": nil}},
		{"Object.defineProperty({a: 1}, 'hidden', {value: 2, enumerable: false})", map[string]any{"a": 1.0}},
		{"new Date(Date.UTC(2024, 2, 31, 1, 2, 3, 4))", "2024-03-31T01:02:03.004Z"},
		{"new Date(NaN)", "Invalid Date"},
		{"({when: new Date(0)})", map[string]any{"when": "1970-01-01T00:00:00.000Z"}},
		{"(function foo() {})", "[Function: foo]"},
		{"(() => { const arrow = () => 1; return arrow })()", "[Function: arrow]"},
		{"(function () {})", "[Function (anonymous)]"},
		{"class Point {}", "[Function: Point]"},
		{"Math.max", "[Function: max]"},
		{"new Error('boom')", "Error: boom"},
		{"new TypeError('bad')", "TypeError: bad"},
		{"new RangeError()", "RangeError"},
		{"/ab+c/gi", "/ab+c/gi"},
		{"new Number(3)", 3.0},
		{"new String('s')", "s"},
		{"new Boolean(false)", false},
		{"new Map([['a', 1], [2, {b: 2}]])", map[string]any{"a": 1.0, "2": map[string]any{"b": 2.0}}},
		{"new Set([1, 'x', 1])", []any{1.0, "x"}},
		// cycles are cut, shared (acyclic) references are not
		{"(() => { const o = {name: 'o'}; o.self = o; o.list = [o]; return o })()",
			map[string]any{"name": "o", "self": "[Circular]", "list": []any{"[Circular]"}}},
		{"(() => { const a = [1]; a.push(a); return a })()", []any{1.0, "[Circular]"}},
		{"(() => { const s = {x: 1}; return {a: s, b: s} })()",
			map[string]any{"a": map[string]any{"x": 1.0}, "b": map[string]any{"x": 1.0}}},
		{"(() => { const m = new Map(); m.set('me', m); return m })()", map[string]any{"me": "[Circular]"}},
		// limits
		{"'" + xs(10_005) + "'", xs(10_000) + "... 5 more characters"},
		{"Array.from({length: 103}, (_, i) => i)", append(upto(100), "... 3 more items")},
		{"(() => { const a = []; a.length = 4294967295; return a })()", append(nils(100), "... 4294967195 more items")},
		{"new Set(Array.from({length: 101}, (_, i) => i))", append(upto(100), "... more items")},
	} {
		t.Run(c.src[:min(len(c.src), 60)], func(t *testing.T) {
			v, err := vm.RunString("(" + c.src + ")")
			if err != nil {
				t.Fatal(err)
			}
			for name, got := range map[string]any{"Plain": builtins.Plain(v), "Host.Plain": h.Plain(v)} {
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("%s(%s) = %#v, want %#v", name, c.src, got, c.want)
				}
				if _, err := json.Marshal(got); err != nil {
					t.Errorf("%s(%s) is not JSON-safe: %v", name, c.src, err)
				}
			}
		})
	}
}

// TestPlainISOString: dates print exactly as JS toISOString does, also outside years 0–9999.
func TestPlainISOString(t *testing.T) {
	vm, h := newHost(t)
	for _, ms := range []string{"0", "-1", "Date.UTC(2024, 1, 29, 23, 59, 59, 999)", "Date.UTC(9999, 11, 31)"} {
		v, err := vm.RunString("[new Date(" + ms + "), new Date(" + ms + ").toISOString()]")
		if err != nil {
			t.Fatal(err)
		}
		pair := v.(*goja.Object)
		want := pair.Get("1").String()
		if got := h.Plain(pair.Get("0")); got != want {
			t.Errorf("Plain(new Date(%s)) = %v, want %s", ms, got, want)
		}
	}
	// Outside years 0–9999 the standard (and Node) use a signed six-digit year; goja's own
	// toISOString does not, so these are spelled out.
	for ms, want := range map[string]string{
		"Date.UTC(-1, 0, 1)":    "-000001-01-01T00:00:00.000Z",
		"Date.UTC(10000, 0, 1)": "+010000-01-01T00:00:00.000Z",
		"8.64e15":               "+275760-09-13T00:00:00.000Z",
		"-8.64e15":              "-271821-04-20T00:00:00.000Z",
	} {
		v, err := vm.RunString("new Date(" + ms + ")")
		if err != nil {
			t.Fatal(err)
		}
		if got := h.Plain(v); got != want {
			t.Errorf("Plain(new Date(%s)) = %v, want %s", ms, got, want)
		}
	}
}

func TestPlainLimits(t *testing.T) {
	vm, h := newHost(t)
	run := func(src string) goja.Value {
		v, err := vm.RunString(src)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// depth: the 11th level is summarised
	deep := h.Plain(run("(() => { let o = {leaf: true}; for (let i = 0; i < 12; i++) o = {child: o, list: [1]}; return o })()"))
	cur := deep
	for range builtins.DefaultPlainLimits.MaxDepth {
		cur = cur.(map[string]any)["child"]
	}
	if cur != "[Object]" {
		t.Errorf("at depth %d: %#v, want [Object]", builtins.DefaultPlainLimits.MaxDepth, cur)
	}

	// keys
	wide := h.Plain(run("Object.fromEntries(Array.from({length: 150}, (_, i) => ['k' + i, i]))")).(map[string]any)
	if len(wide) != 101 || wide["..."] != "50 more keys" || wide["k99"] != 99.0 {
		t.Errorf("150 keys: got %d keys, marker %v", len(wide), wide["..."])
	}

	// total work: a 25 × 25 × 25 tree has more objects than MaxNodes; no more than MaxNodes are
	// converted, the rest are cut with a marker
	tree := run("(() => { const leaf = () => ({v: 1}); const mid = () => Array.from({length: 25}, leaf); const top = () => Array.from({length: 25}, mid); return Array.from({length: 25}, top) })()")
	out := h.Plain(tree)
	var objects, cut int
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			objects++
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			objects++
			for _, x := range v {
				walk(x)
			}
		case string:
			if v == "[...]" {
				cut++
			}
		}
	}
	walk(out)
	if objects != builtins.DefaultPlainLimits.MaxNodes || cut == 0 {
		t.Errorf("tree: converted %d objects (limit %d), cut %d", objects, builtins.DefaultPlainLimits.MaxNodes, cut)
	}

	// console arguments share one budget and are capped too
	args := make([]goja.Value, 150)
	for i := range args {
		args[i] = vm.ToValue(i)
	}
	got := h.PlainArgs(args)
	if len(got) != 101 || got[100] != "... 50 more items" {
		t.Errorf("PlainArgs(150 values): %d values, last %v", len(got), got[len(got)-1])
	}

	// custom limits
	small := builtins.PlainLimits{MaxDepth: 1, MaxItems: 2, MaxKeys: 1, MaxString: 3, MaxNodes: 100}
	if got := small.Convert(vm, run("[[1], 'abcdef', 3]")); !reflect.DeepEqual(got, []any{"[Array]", "abc... 3 more characters", "... 1 more items"}) {
		t.Errorf("small limits: %#v", got)
	}
}

// TestPlainThrowingGetters: with a runtime, a throwing getter or Proxy trap is reported in place and
// the runtime stays consistent; without one (package Plain inside a builtin), it is a JS throw.
func TestPlainThrowingGetters(t *testing.T) {
	vm, h := newHost(t)
	def(t, h, "hostPlain", func(call goja.FunctionCall) goja.Value {
		b, _ := json.Marshal(h.PlainArgs(call.Arguments))
		return vm.ToValue(string(b))
	})
	def(t, h, "pkgPlain", func(call goja.FunctionCall) goja.Value {
		b, _ := json.Marshal(builtins.Plain(call.Argument(0)))
		return vm.ToValue(string(b))
	})
	check(t, vm, [][2]any{
		{"hostPlain({ok: 1, get bad() { throw new Error('boom') }})", `[{"bad":"[Thrown: boom]","ok":1}]`},
		{"hostPlain({get bad() { throw 42 }})", `[{"bad":"[Thrown: 42]"}]`},
		{"hostPlain(new Proxy({}, {ownKeys() { throw new Error('trap') }}))", `["[Thrown: trap]"]`},
		{"hostPlain(new Proxy({a: 1}, {get() { throw new Error('get trap') }}))", `[{"a":"[Thrown: get trap]"}]`},
		{"hostPlain((() => { const m = new Map([[1, 2]]); m.entries = () => { throw new Error('no entries') }; return m })())", `["[Thrown: no entries]"]`},
		// the runtime's stacks are intact after the caught throws: locals and the result line up
		{"(() => { const a = [1, 2, 3]; const s = hostPlain({get x() { throw new Error('e') }}, 'tail'); return a.length + ':' + s })()",
			`3:[{"x":"[Thrown: e]"},"tail"]`},
		{"pkgPlain({ok: 1})", `{"ok":1}`},
		{"pkgPlain({get bad() { throw new Error('boom') }})", "Error: boom"},
	})

	// From Go, outside any JS, Host.Plain is safe too.
	v, err := vm.RunString("({get bad() { throw new Error('outside') }})")
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Plain(v); !reflect.DeepEqual(got, map[string]any{"bad": "[Thrown: outside]"}) {
		t.Errorf("Host.Plain from Go: %#v", got)
	}
	if got := builtinstest.Eval(t, vm, "[1, 2].map(x => x * 2).join()"); got != "2,4" {
		t.Errorf("runtime after Host.Plain from Go: %v", got)
	}
}

// TestPlainInterrupt: a getter that never returns is stopped by vm.Interrupt; Plain does not
// swallow the interrupt.
func TestPlainInterrupt(t *testing.T) {
	vm, h := newHost(t)
	def(t, h, "hostPlain", func(call goja.FunctionCall) goja.Value {
		h.PlainArgs(call.Arguments)
		return goja.Undefined()
	})
	timer := time.AfterFunc(50*time.Millisecond, func() { vm.Interrupt("timeout") })
	defer timer.Stop()
	_, err := vm.RunString("try { hostPlain({get loop() { for (;;) {} }}) } catch (e) {}")
	var ie *goja.InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v (%T), want an InterruptedError", err, err)
	}
}
