package builtins_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
)

var amsterdam = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(err)
	}
	return loc
}()

var clock = time.Date(2024, 6, 14, 22, 30, 0, 0, time.UTC)

func newHost(t testing.TB) (*goja.Runtime, *builtins.Host) {
	t.Helper()
	vm := goja.New()
	h := builtins.NewHost(vm)
	h.SetExec(&builtins.Exec{Now: clock, Location: amsterdam})
	return vm, h
}

func def(t testing.TB, h *builtins.Host, name string, fn func(goja.FunctionCall) goja.Value) {
	t.Helper()
	if err := h.SetGlobal(name, h.Func(name, fn)); err != nil {
		t.Fatal(err)
	}
}

func check(t *testing.T, vm *goja.Runtime, cases [][2]any) {
	t.Helper()
	for _, c := range cases {
		expr := c[0].(string)
		got := builtinstest.Eval(t, vm, expr)
		if fmt.Sprint(got) != fmt.Sprint(c[1]) {
			t.Errorf("%s = %#v, want %#v", expr, got, c[1])
		}
	}
}

// TestGoPanicBecomesJSError: a Go panic inside a Host.Func function is a catchable JS Error that
// names the function; the process and the runtime carry on.
func TestGoPanicBecomesJSError(t *testing.T) {
	vm, h := newHost(t)
	def(t, h, "nilMap", func(goja.FunctionCall) goja.Value {
		var m map[string]int
		m["x"] = 1
		return nil
	})
	def(t, h, "index", func(call goja.FunctionCall) goja.Value {
		return vm.ToValue([]int{1}[call.Argument(0).ToInteger()])
	})
	def(t, h, "panicString", func(goja.FunctionCall) goja.Value { panic("boom") })
	def(t, h, "panicError", func(goja.FunctionCall) goja.Value { panic(errors.New("bad state")) })
	def(t, h, "panicNil", func(goja.FunctionCall) goja.Value {
		var p *struct{ x int }
		return vm.ToValue(p.x)
	})
	check(t, vm, [][2]any{
		{"nilMap()", "GoError: nilMap: internal error: assignment to entry in nil map"},
		{"index(5)", "GoError: index: internal error: runtime error: index out of range [5] with length 1"},
		{"index(0)", 1},
		{"panicString()", "GoError: panicString: internal error: boom"},
		{"panicError()", "GoError: panicError: internal error: bad state"},
		{"panicNil()", "GoError: panicNil: internal error: runtime error: invalid memory address or nil pointer dereference"},
		{"(() => { try { nilMap() } catch (e) { return e instanceof Error } })()", true},
		{"(() => { try { nilMap() } finally { globalThis.cleaned = true } })()", "GoError: nilMap: internal error: assignment to entry in nil map"},
		{"globalThis.cleaned", true},
		{"nilMap.name", "nilMap"},
	})
	// Uncaught, it reaches the Go caller as an error, not a panic.
	_, err := vm.RunString("panicString()")
	var ex *goja.Exception
	if !errors.As(err, &ex) || !strings.Contains(ex.Error(), "panicString: internal error: boom") {
		t.Fatalf("uncaught Go panic: err = %v", err)
	}
	if got := builtinstest.Eval(t, vm, "1 + 1"); got != int64(2) {
		t.Fatalf("runtime unusable after a Go panic: %v", got)
	}
}

// TestJSThrowsPassThroughFunc: JS exceptions keep their identity through Host.Func, including
// goja's own internal throws (a BigInt converted to a number is a TypeError, not an internal error).
func TestJSThrowsPassThroughFunc(t *testing.T) {
	vm, h := newHost(t)
	def(t, h, "toFloat", func(call goja.FunctionCall) goja.Value {
		return vm.ToValue(call.Argument(0).ToFloat())
	})
	def(t, h, "callIt", func(call goja.FunctionCall) goja.Value {
		return h.Callback(call, 0, "callIt", "fn")(vm.ToValue(2))
	})
	def(t, h, "typeErr", func(goja.FunctionCall) goja.Value {
		h.TypeError("typeErr", "x must be a %s", "string")
		return nil
	})
	def(t, h, "rangeErr", func(goja.FunctionCall) goja.Value {
		h.RangeError("rangeErr", "n must be positive, got %d", -1)
		return nil
	})
	def(t, h, "plainErr", func(goja.FunctionCall) goja.Value {
		h.Error("plainErr", "nope")
		return nil
	})
	check(t, vm, [][2]any{
		{"toFloat(1n)", "TypeError: Cannot convert a BigInt value to a number"},
		{"callIt(x => x * 21)", 42},
		{"(() => { try { callIt(() => { throw 42 }) } catch (e) { return e } })()", 42},
		{"(() => { try { callIt(() => { throw new SyntaxError('mine') }) } catch (e) { return e instanceof SyntaxError && e.message } })()", "mine"},
		{"(() => { try { callIt(() => null.x) } catch (e) { return e instanceof TypeError } })()", true},
		{"callIt(5)", "TypeError: callIt: fn must be a function, got 5"},
		{"typeErr()", "TypeError: typeErr: x must be a string"},
		{"rangeErr()", "RangeError: rangeErr: n must be positive, got -1"},
		{"(() => { try { rangeErr() } catch (e) { return e instanceof RangeError && e instanceof Error } })()", true},
		{"plainErr()", "Error: plainErr: nope"},
	})
}

// TestInterruptIsNotCatchable: a timeout (vm.Interrupt) inside a callback called by a builtin
// stops the script even when the rule wraps the call in try/catch.
func TestInterruptIsNotCatchable(t *testing.T) {
	vm, h := newHost(t)
	def(t, h, "callIt", func(call goja.FunctionCall) goja.Value {
		return h.Callback(call, 0, "callIt", "fn")()
	})
	timer := time.AfterFunc(50*time.Millisecond, func() { vm.Interrupt("timeout") })
	defer timer.Stop()
	_, err := vm.RunString("let n = 0; try { callIt(() => { for (;;) {} }) } catch (e) { n = 1 } n")
	var ie *goja.InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v (%T), want an InterruptedError", err, err)
	}
	vm.ClearInterrupt()
	if got := builtinstest.Eval(t, vm, "callIt(() => 7)"); got != int64(7) {
		t.Fatalf("after ClearInterrupt: %v", got)
	}
}

// TestStackOverflowIsNotCatchable: the call-stack limit is not turned into a catchable error by
// Host.Func either.
func TestStackOverflowIsNotCatchable(t *testing.T) {
	vm, h := newHost(t)
	vm.SetMaxCallStackSize(200)
	def(t, h, "callIt", func(call goja.FunctionCall) goja.Value {
		return h.Callback(call, 0, "callIt", "fn")()
	})
	_, err := vm.RunString("function f() { return callIt(f) } let caught = false; try { f() } catch (e) { caught = true } caught")
	var so *goja.StackOverflowError
	if !errors.As(err, &so) {
		t.Fatalf("err = %v (%T), want a StackOverflowError", err, err)
	}
}

func TestArgumentHelpers(t *testing.T) {
	vm, h := newHost(t)
	def(t, h, "num", func(c goja.FunctionCall) goja.Value { return vm.ToValue(h.Number(c, 0, "num", "x")) })
	def(t, h, "optnum", func(c goja.FunctionCall) goja.Value { return vm.ToValue(h.OptNumber(c, 0, "optnum", "x", 7)) })
	def(t, h, "fin", func(c goja.FunctionCall) goja.Value { return vm.ToValue(h.Finite(c, 0, "fin", "x")) })
	def(t, h, "optfin", func(c goja.FunctionCall) goja.Value { return vm.ToValue(h.OptFinite(c, 0, "optfin", "x", 1)) })
	def(t, h, "int", func(c goja.FunctionCall) goja.Value { return vm.ToValue(h.Int(c, 0, "int", "n")) })
	def(t, h, "optint", func(c goja.FunctionCall) goja.Value { return vm.ToValue(h.OptInt(c, 0, "optint", "n", 3)) })
	def(t, h, "intin", func(c goja.FunctionCall) goja.Value { return vm.ToValue(h.IntIn(c, 0, "intin", "n", -3, 3)) })
	def(t, h, "str", func(c goja.FunctionCall) goja.Value { return vm.ToValue(h.String(c, 0, "str", "s")) })
	def(t, h, "optstr", func(c goja.FunctionCall) goja.Value { return vm.ToValue(h.OptString(c, 0, "optstr", "s", "dflt")) })
	def(t, h, "bool", func(c goja.FunctionCall) goja.Value { return vm.ToValue(h.Bool(c, 0, "bool", "b")) })
	def(t, h, "optbool", func(c goja.FunctionCall) goja.Value { return vm.ToValue(h.OptBool(c, 0, "optbool", "b", true)) })
	def(t, h, "obj", func(c goja.FunctionCall) goja.Value { return h.Object(c, 0, "obj", "o") })
	def(t, h, "date", func(c goja.FunctionCall) goja.Value {
		d := h.Date(c, 0, "date", "d")
		return vm.ToValue(d.Format(time.RFC3339Nano) + " " + d.Location().String())
	})
	def(t, h, "optdate", func(c goja.FunctionCall) goja.Value {
		return vm.ToValue(h.OptDate(c, 0, "optdate", "d", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).Format(time.DateOnly))
	})
	def(t, h, "optcb", func(c goja.FunctionCall) goja.Value {
		if f := h.OptCallback(c, 0, "optcb", "fn"); f != nil {
			return f(vm.ToValue(1))
		}
		return vm.ToValue("none")
	})
	check(t, vm, [][2]any{
		{"num(1.5)", 1.5},
		{"num(-3)", -3},
		{"Number.isNaN(num(NaN))", true},
		{"num(Infinity)", "+Inf"},
		{"num()", "TypeError: num: x is required (a number)"},
		{"num(undefined)", "TypeError: num: x must be a number, got undefined"},
		{"num('1')", `TypeError: num: x must be a number, got "1"`},
		{"num(new Number(1))", "TypeError: num: x must be a number, got a Number object"},
		{"num(1n)", "TypeError: num: x must be a number, got a bigint"},
		{"num(new Date(NaN))", "TypeError: num: x must be a number, got an invalid Date"},
		{"num(new Error('e'))", "TypeError: num: x must be a number, got an error"},
		{"num(0.000001)", 1e-06},
		{"optnum()", 7},
		{"optnum(undefined)", 7},
		{"optnum(2)", 2},
		{"optnum(null)", "TypeError: optnum: x must be a number, got null"},
		{"fin(2.5)", 2.5},
		{"fin(NaN)", "RangeError: fin: x must be a finite number, got NaN"},
		{"fin(-Infinity)", "RangeError: fin: x must be a finite number, got -Infinity"},
		{"optfin()", 1},
		{"optfin(Infinity)", "RangeError: optfin: x must be a finite number, got Infinity"},
		{"int(42)", 42},
		{"int(-0)", 0},
		{"int(4.0)", 4},
		{"int(9007199254740991)", 9007199254740991},
		{"int(9007199254740992)", "RangeError: int: n must be an integer, got 9007199254740992"},
		{"int(1.5)", "RangeError: int: n must be an integer, got 1.5"},
		{"int(NaN)", "RangeError: int: n must be an integer, got NaN"},
		{"int(1e21)", "RangeError: int: n must be an integer, got 1e+21"},
		{"int('3')", `TypeError: int: n must be an integer, got "3"`},
		{"optint()", 3},
		{"intin(3)", 3},
		{"intin(-3)", -3},
		{"intin(4)", "RangeError: intin: n must be an integer between -3 and 3, got 4"},
		{"intin(-0.5)", "RangeError: intin: n must be an integer between -3 and 3, got -0.5"},
		{"str('héllo')", "héllo"},
		{"str('')", ""},
		{"str(1)", "TypeError: str: s must be a string, got 1"},
		{"str(new String('s'))", "TypeError: str: s must be a string, got a String object"},
		{"str(Symbol('x'))", "TypeError: str: s must be a string, got a symbol"},
		{"optstr()", "dflt"},
		{"optstr('x')", "x"},
		{"bool(false)", false},
		{"bool(0)", "TypeError: bool: b must be a boolean, got 0"},
		{"bool(new Boolean(true))", "TypeError: bool: b must be a boolean, got a Boolean object"},
		{"optbool()", true},
		{"obj([1]).length", 1},
		{"obj(null)", "TypeError: obj: o must be an object, got null"},
		{"obj('s')", `TypeError: obj: o must be an object, got "s"`},
		// dates: strings are read in the execution's zone
		{"date('2024-03-31')", "2024-03-31T00:00:00+01:00 Europe/Amsterdam"}, // DST starts at 02:00
		{"date('2024-04-01')", "2024-04-01T00:00:00+02:00 Europe/Amsterdam"},
		{"date('2024-01-15')", "2024-01-15T00:00:00+01:00 Europe/Amsterdam"},
		{"date('2024-03-31T12:34')", "2024-03-31T12:34:00+02:00 Europe/Amsterdam"},
		{"date('2024-03-31T12:34:56.789')", "2024-03-31T12:34:56.789+02:00 Europe/Amsterdam"},
		{"date('2024-03-31T12:00:00Z')", "2024-03-31T14:00:00+02:00 Europe/Amsterdam"},
		{"date('2024-03-31T12:00:00.5-05:00')", "2024-03-31T19:00:00.5+02:00 Europe/Amsterdam"},
		{"date(new Date(Date.UTC(2024, 0, 1)))", "2024-01-01T01:00:00+01:00 Europe/Amsterdam"},
		{"date('2024-02-30')", `RangeError: date: d must be a Date or a "YYYY-MM-DD" or RFC 3339 date string, got "2024-02-30"`},
		{"date('2024-3-31')", `RangeError: date: d must be a Date or a "YYYY-MM-DD" or RFC 3339 date string, got "2024-3-31"`},
		{"date('31-03-2024')", `RangeError: date: d must be a Date or a "YYYY-MM-DD" or RFC 3339 date string, got "31-03-2024"`},
		{"date('2024-03-31T25:00')", `RangeError: date: d must be a Date or a "YYYY-MM-DD" or RFC 3339 date string, got "2024-03-31T25:00"`},
		{"date(new Date('x'))", "RangeError: date: d is an invalid Date"},
		{"date(20240331)", `TypeError: date: d must be a Date or a "YYYY-MM-DD" string, got 20240331`},
		{"date()", `TypeError: date: d is required (a Date or a "YYYY-MM-DD" string)`},
		{"optdate()", "2000-01-01"},
		{"optdate('2024-02-29')", "2024-02-29"},
		{"optcb()", "none"},
		{"optcb(x => x + 1)", 2},
		{"optcb('f')", `TypeError: optcb: fn must be a function, got "f"`},
	})
}

func TestDescribe(t *testing.T) {
	vm, _ := newHost(t)
	for _, c := range []struct{ src, want string }{
		{"undefined", "undefined"},
		{"null", "null"},
		{"1.5", "1.5"},
		{"-0", "0"},
		{"1e21", "1e+21"},
		{"1e-7", "1e-7"},
		{"123e-20", "1.23e-18"},
		{"0.000001", "0.000001"},
		{"NaN", "NaN"},
		{"-Infinity", "-Infinity"},
		{"'a\"b'", `"a\"b"`},
		{"true", "true"},
		{"[]", "an array"},
		{"({})", "an object"},
		{"new Date(0)", "a Date"},
		{"new Date(NaN)", "an invalid Date"},
		{"(function () {})", "a function"},
		{"class A {}", "a function"},
		{"Symbol()", "a symbol"},
		{"10n", "a bigint"},
		{"new Map()", "an object"},
	} {
		v, err := vm.RunString("(" + c.src + ")")
		if err != nil {
			t.Fatal(err)
		}
		if got := builtins.Describe(v); got != c.want {
			t.Errorf("Describe(%s) = %q, want %q", c.src, got, c.want)
		}
	}
	if got := builtins.Describe(nil); got != "undefined" {
		t.Errorf("Describe(nil) = %q", got)
	}
}

func TestDateOfAndToTime(t *testing.T) {
	vm, h := newHost(t)
	run := func(src string) goja.Value {
		v, err := vm.RunString(src)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	valid := run("new Date(Date.UTC(2024, 2, 31, 1, 2, 3, 4))")
	tm, isDate, ok := builtins.DateOf(valid)
	want := time.Date(2024, 3, 31, 1, 2, 3, 4e6, time.UTC)
	if !isDate || !ok || !tm.Equal(want) || tm.Location() != time.UTC {
		t.Errorf("DateOf(valid) = %v %v %v", tm, isDate, ok)
	}
	if tm, ok := builtins.ToTime(valid); !ok || !tm.Equal(want) {
		t.Errorf("ToTime(valid) = %v %v", tm, ok)
	}
	invalid := run("new Date('nope')")
	if _, isDate, ok := builtins.DateOf(invalid); !isDate || ok {
		t.Errorf("DateOf(invalid) = %v %v, want a Date that is not valid", isDate, ok)
	}
	if _, ok := builtins.ToTime(invalid); ok {
		t.Error("ToTime(invalid Date) reported a time")
	}
	for _, v := range []goja.Value{nil, goja.Undefined(), goja.Null(), run("({})"), run("'2024-01-01'"), run("0")} {
		if _, isDate, _ := builtins.DateOf(v); isDate {
			t.Errorf("DateOf(%v) says Date", v)
		}
		if _, ok := builtins.ToTime(v); ok {
			t.Errorf("ToTime(%v) reported a time", v)
		}
	}
	// NewDate round-trips, with millisecond precision.
	d := h.NewDate(time.Date(2024, 3, 31, 0, 0, 0, 0, amsterdam))
	if got, _ := builtins.ToTime(d); !got.Equal(time.Date(2024, 3, 30, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("NewDate round trip = %v", got)
	}
}

func TestParseDate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // RFC 3339 in UTC, "" when invalid
	}{
		{"2024-03-31", "2024-03-30T23:00:00Z"},
		{"2024-10-27", "2024-10-26T22:00:00Z"},
		{"2024-03-31T02:30", "2024-03-31T01:30:00Z"}, // in the DST gap: Go moves it forward
		{"2024-03-31T12:00:00Z", "2024-03-31T12:00:00Z"},
		{"2024-03-31T12:00:00+00:00", "2024-03-31T12:00:00Z"},
		{"2024-02-29", "2024-02-28T23:00:00Z"},
		{"2023-02-29", ""},
		{"2024-00-10", ""},
		{"2024-03-31 12:00", ""},
		{"20240331", ""},
		{"", ""},
		{"2024-03-31T12:00:00+25:00", ""},
		{strings.Repeat("2", 50), ""},
	} {
		got, ok := builtins.ParseDate(c.in, amsterdam)
		s := ""
		if ok {
			s = got.UTC().Format(time.RFC3339)
		}
		if s != c.want {
			t.Errorf("ParseDate(%q) = %q, want %q", c.in, s, c.want)
		}
	}
	if got, ok := builtins.ParseDate("2024-03-31", nil); !ok || got.Location() != time.UTC {
		t.Errorf("ParseDate with nil zone = %v %v", got, ok)
	}
}

func TestExecLogKeepsLast100(t *testing.T) {
	e := &builtins.Exec{Now: clock, LogLevel: builtins.LogInfo}
	for i := range 250 {
		e.Log(builtins.LogInfo, "log", []any{strconv.Itoa(i)})
	}
	d := e.Diagnostics()
	if len(d) != builtins.MaxDiagnostics {
		t.Fatalf("kept %d lines, want %d", len(d), builtins.MaxDiagnostics)
	}
	for i, line := range d {
		if want := strconv.Itoa(150 + i); line.Arguments[0] != want || line.T != clock.UnixMilli() {
			t.Fatalf("line %d = %+v, want argument %s", i, line, want)
		}
	}
}

func TestLogLevels(t *testing.T) {
	for _, c := range []struct {
		in   string
		want builtins.LogLevel
	}{{"", builtins.LogNone}, {"none", builtins.LogNone}, {"info", builtins.LogInfo}, {"debug", builtins.LogInfo},
		{"warn", builtins.LogWarning}, {"warning", builtins.LogWarning}, {"error", builtins.LogError}} {
		got, err := builtins.ParseLogLevel(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseLogLevel(%q) = %v, %v", c.in, got, err)
		}
	}
	if _, err := builtins.ParseLogLevel("verbose"); err == nil {
		t.Error("ParseLogLevel(verbose) accepted")
	}
	if builtins.LogNone.Keeps(builtins.LogError) || !builtins.LogWarning.Keeps(builtins.LogError) ||
		builtins.LogWarning.Keeps(builtins.LogInfo) || !builtins.LogInfo.Keeps(builtins.LogInfo) {
		t.Error("Keeps is wrong")
	}
}

func TestMustExec(t *testing.T) {
	vm, h := newHost(t)
	def(t, h, "needsExec", func(goja.FunctionCall) goja.Value { return vm.ToValue(h.MustExec("needsExec").Now.Year()) })
	check(t, vm, [][2]any{{"needsExec()", 2024}})
	h.SetExec(nil)
	check(t, vm, [][2]any{{"needsExec()", "Error: needsExec: no execution is running (call it from a rule, not while the ruleset loads)"}})
	if h.Location() != time.UTC {
		t.Errorf("Location outside an execution = %v", h.Location())
	}
}

func TestExecMemo(t *testing.T) {
	var m builtins.ExecMemo[int]
	calls := 0
	next := func() int { calls++; return calls }
	e := &builtins.Exec{Serial: 7}
	if a, b := m.Get(e, next), m.Get(e, next); a != 1 || b != 1 {
		t.Fatalf("same execution: %d, %d, want 1, 1", a, b)
	}
	e.Serial++ // the engine reuses the Exec for the next execution
	if got := m.Get(e, next); got != 2 {
		t.Fatalf("next execution: %d, want 2", got)
	}
	if got := m.Get(&builtins.Exec{Serial: e.Serial}, next); got != 3 {
		t.Fatalf("another Exec with the same serial: %d, want 3", got)
	}
	e.Serial++
	func() {
		defer func() { _ = recover() }()
		m.Get(e, func() int { panic("thrown") })
	}()
	if got := m.Get(e, next); got != 4 {
		t.Fatalf("after a make that threw: %d, want 4 (nothing kept)", got)
	}
}
