package console

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

var clock = time.Date(2024, 6, 14, 22, 30, 0, 0, time.UTC)

func newVM(t testing.TB, level builtins.LogLevel) (*goja.Runtime, *builtins.Exec) {
	t.Helper()
	vm := goja.New()
	h := builtins.NewHost(vm)
	if err := (Module{}).Install(h); err != nil {
		t.Fatal(err)
	}
	e := &builtins.Exec{Now: clock, LogLevel: level}
	h.SetExec(e)
	return vm, e
}

func run(t testing.TB, vm *goja.Runtime, src string) goja.Value {
	t.Helper()
	v, err := vm.RunString(src)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return v
}

func TestConsoleArguments(t *testing.T) {
	vm, e := newVM(t, builtins.LogInfo)
	run(t, vm, `
		const cyclic = {name: 'c'}; cyclic.self = cyclic;
		console.log('total', 42, 1.5, true, null, undefined, NaN, -Infinity, [1, 'a'], {a: {b: [2]}},
			new Date(Date.UTC(2024, 2, 31)), function premium() {}, cyclic)`)
	d := e.Diagnostics()
	if len(d) != 1 {
		t.Fatalf("%d lines, want 1", len(d))
	}
	want := []any{"total", 42.0, 1.5, true, nil, nil, "NaN", "-Infinity", []any{1.0, "a"},
		map[string]any{"a": map[string]any{"b": []any{2.0}}}, "2024-03-31T00:00:00.000Z", "[Function: premium]",
		map[string]any{"name": "c", "self": "[Circular]"}}
	if !reflect.DeepEqual(d[0].Arguments, want) {
		t.Errorf("arguments = %#v\nwant %#v", d[0].Arguments, want)
	}
	if d[0].Type != "log" || d[0].T != clock.UnixMilli() {
		t.Errorf("line = %+v", d[0])
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatalf("diagnostics are not JSON-safe: %v", err)
	}
	if !strings.Contains(string(b), `"arguments":["total",42,1.5,true,null,null,"NaN"`) {
		t.Errorf("JSON = %s", b)
	}
	if got := run(t, vm, "console.log('x')"); !goja.IsUndefined(got) {
		t.Errorf("console.log returned %v", got)
	}
}

func TestConsoleLevels(t *testing.T) {
	const src = `console.log('l'); console.debug('d'); console.info('i'); console.warn('w'); console.error('e')`
	for _, c := range []struct {
		level builtins.LogLevel
		want  []string // type:argument
	}{
		{builtins.LogNone, nil},
		{builtins.LogInfo, []string{"log:l", "log:d", "info:i", "warn:w", "error:e"}},
		{builtins.LogWarning, []string{"warn:w", "error:e"}},
		{builtins.LogError, []string{"error:e"}},
	} {
		t.Run(c.level.String(), func(t *testing.T) {
			vm, e := newVM(t, c.level)
			run(t, vm, src)
			var got []string
			for _, d := range e.Diagnostics() {
				got = append(got, d.Type+":"+d.Arguments[0].(string))
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("level %v kept %v, want %v", c.level, got, c.want)
			}
		})
	}
}

func TestConsoleKeepsLast100(t *testing.T) {
	vm, e := newVM(t, builtins.LogInfo)
	run(t, vm, "for (let i = 0; i < 250; i++) console.info('line', i)")
	d := e.Diagnostics()
	if len(d) != builtins.MaxDiagnostics {
		t.Fatalf("kept %d lines, want %d", len(d), builtins.MaxDiagnostics)
	}
	for i, line := range d {
		if want := []any{"line", float64(150 + i)}; !reflect.DeepEqual(line.Arguments, want) || line.Type != "info" {
			t.Fatalf("line %d = %+v, want %v", i, line, want)
		}
	}
}

// TestConsoleFilteredCostsNothing: when the level drops a call, its arguments are not even
// looked at (a getter with a side effect does not run).
func TestConsoleFilteredCostsNothing(t *testing.T) {
	vm, e := newVM(t, builtins.LogError)
	got := run(t, vm, "let reads = 0; const o = {get x() { reads++; return 1 }}; console.log(o); console.warn(o); reads").Export()
	if got != int64(0) || len(e.Diagnostics()) != 0 {
		t.Errorf("filtered console calls read %v properties, kept %d lines", got, len(e.Diagnostics()))
	}
	got = run(t, vm, "console.error(o); reads").Export()
	if got != int64(1) {
		t.Errorf("kept console.error read %v properties, want 1", got)
	}
}

func TestConsoleOutsideAnExecution(t *testing.T) {
	vm := goja.New()
	h := builtins.NewHost(vm)
	if err := (Module{}).Install(h); err != nil {
		t.Fatal(err)
	}
	run(t, vm, "console.log('nobody listens'); console.error('still fine')")
}

func TestConsoleThrowingGetter(t *testing.T) {
	vm, e := newVM(t, builtins.LogInfo)
	run(t, vm, "console.warn({ok: 1, get bad() { throw new Error('boom') }})")
	want := []any{map[string]any{"ok": 1.0, "bad": "[Thrown: boom]"}}
	if d := e.Diagnostics(); len(d) != 1 || !reflect.DeepEqual(d[0].Arguments, want) {
		t.Errorf("diagnostics = %+v", d)
	}
}

func TestConsoleTypings(t *testing.T) {
	typ := Module{}.Typings()
	for _, m := range []string{"log", "info", "warn", "error", "debug"} {
		if !strings.Contains(typ, "  "+m+"(...args: any[]): void;") {
			t.Errorf("typings lack console.%s:\n%s", m, typ)
		}
	}
	if !strings.Contains(typ, "declare var console: Console;") {
		t.Errorf("typings lack the console declaration:\n%s", typ)
	}
	vm, _ := newVM(t, builtins.LogNone)
	if got := run(t, vm, "console.debug === console.log && typeof console.error").Export(); got != "function" {
		t.Errorf("console.debug is not console.log, or error is missing: %v", got)
	}
}

func BenchmarkConsoleLogFiltered(b *testing.B) {
	vm, _ := newVM(b, builtins.LogNone)
	f, _ := goja.AssertFunction(run(b, vm, "(function (n) { const o = {a: [1, 2, 3], b: 'x'}; for (let i = 0; i < n; i++) console.log('value', i, o) })"))
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := f(goja.Undefined(), vm.ToValue(b.N)); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkConsoleLogKept(b *testing.B) {
	vm, _ := newVM(b, builtins.LogInfo)
	f, _ := goja.AssertFunction(run(b, vm, "(function (n) { const o = {a: [1, 2, 3], b: 'x'}; for (let i = 0; i < n; i++) console.log('value', i, o) })"))
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := f(goja.Undefined(), vm.ToValue(b.N)); err != nil {
		b.Fatal(err)
	}
}
