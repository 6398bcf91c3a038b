// Package builtinstest has the test helpers the built-in modules share: a runtime with a module
// installed, JS evaluation that reports a throw as "Name: message", table tests, a check that a
// module's typings, reference and examples agree, and the fuzz helpers that make arbitrary JS
// values and accept only clean JS errors. Like net/http/httptest, it is for tests only.
package builtinstest

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// NewVM installs modules on a fresh runtime and points it at an execution (nil: none).
func NewVM(t testing.TB, exec *builtins.Exec, modules ...builtins.Module) (*goja.Runtime, *builtins.Host) {
	t.Helper()
	vm := goja.New()
	h := builtins.NewHost(vm)
	for _, m := range modules {
		if err := m.Install(h); err != nil {
			t.Fatal(err)
		}
	}
	h.SetExec(exec)
	return vm, h
}

// Eval runs expr and returns its exported value, or "Name: message" when it throws.
func Eval(t testing.TB, vm *goja.Runtime, expr string) any {
	t.Helper()
	v, err := vm.RunString("(() => { try { return (" + expr + ") } catch (e) { return (e && e.name) + ': ' + (e && e.message) } })()")
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v.Export()
}

// Check evaluates expr as a subtest and compares its exported value with want (an int matches an
// int64 result). Table tests loop over their rows with it.
func Check(t *testing.T, vm *goja.Runtime, expr string, want any) {
	t.Helper()
	t.Run(expr, func(t *testing.T) {
		got := Eval(t, vm, expr)
		if w, ok := want.(int); ok {
			if g, ok := got.(int64); ok && g == int64(w) {
				return
			}
		}
		if got != want {
			t.Errorf("%s = %#v, want %#v", expr, got, want)
		}
	})
}

// CheckModule checks that a namespace module's typings and reference describe every function, each
// with a one-line doc and an example whose `// value` comment is what it gives in vm (a runtime
// with the module installed), and that every function is installed.
func CheckModule(t *testing.T, vm *goja.Runtime, m builtins.Described, fns []builtins.Fn) {
	t.Helper()
	typings := m.Typings()
	ref := m.Reference()
	if len(ref) != len(fns) {
		t.Fatalf("Reference has %d entries, want %d", len(ref), len(fns))
	}
	for i, f := range fns {
		if !strings.Contains(typings, "function "+f.Name+f.Signature+";") {
			t.Errorf("typings lack %s", f.Name)
		}
		if ref[i].Qualified != m.Name()+"."+f.Name {
			t.Errorf("reference entry %d is %s", i, ref[i].Qualified)
		}
		if f.Doc == "" || strings.Contains(f.Doc, "\n") || f.Example == "" {
			t.Errorf("%s: Doc must be one line and Example set", f.Name)
		}
		if got := Eval(t, vm, "typeof "+m.Name()+"."+f.Name); got != "function" {
			t.Errorf("%s.%s is %v", m.Name(), f.Name, got)
		}
		expr, want, ok := strings.Cut(f.Example, " // ")
		if !ok {
			t.Errorf("%s: example %q has no // result", f.Name, f.Example)
			continue
		}
		got := Eval(t, vm, "JSON.stringify("+expr+")")
		if !strings.HasPrefix(want, "e.g.") && got != want {
			t.Errorf("%s: example %s gives %v, doc says %s", f.Name, expr, got, want)
		}
	}
}

// Run evaluates src in vm, failing the test if it throws: the fuzz generators build odd values with it.
func Run(t testing.TB, vm *goja.Runtime, src string) goja.Value {
	t.Helper()
	v, err := vm.RunString(src)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return v
}

// Date makes a JS Date of Unix milliseconds (NaN: an invalid Date).
func Date(t testing.TB, vm *goja.Runtime, ms float64) goja.Value {
	t.Helper()
	d, err := vm.New(vm.Get("Date"), vm.ToValue(ms))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// FuzzValue builds an arbitrary JS value from fuzz input: kind picks the shape, num and str
// fill it in.
func FuzzValue(t testing.TB, vm *goja.Runtime, kind uint8, num float64, str string) goja.Value {
	run := func(src string) goja.Value { return Run(t, vm, src) }
	switch kind % 24 {
	case 0:
		return goja.Undefined()
	case 1:
		return goja.Null()
	case 2:
		return vm.ToValue(num)
	case 3:
		return vm.ToValue(str)
	case 4:
		return vm.ToValue(math.NaN())
	case 5:
		return vm.ToValue(math.Inf(1))
	case 6:
		return vm.ToValue(math.Copysign(1e308, num))
	case 7:
		return run("({valueOf() { return 3 }, toString() { throw new Error('no') }})")
	case 8:
		return vm.NewArray(num, str)
	case 9: // an array of numbers derived from num and the bytes of str
		vals := []any{num}
		for _, b := range []byte(str) {
			vals = append(vals, float64(b)*num/7-float64(b))
		}
		return vm.NewArray(vals...)
	case 10:
		return vm.NewArray()
	case 11:
		return run("new Date('not a date')")
	case 12:
		return vm.ToValue(num > 0)
	case 13:
		return run("Symbol('s')")
	case 14:
		return run("12345678901234567890n")
	case 15:
		return run("(function f() { throw new Error('called') })")
	case 16:
		return run("new Number(2)")
	case 17: // a sparse array with a huge length
		return run("(() => { const a = [1]; a.length = " + strconv.FormatFloat(math.Abs(math.Mod(num, 4e9)), 'f', 0, 64) + "; return a })()")
	case 18:
		return run("new Proxy([], { get() { throw new Error('trap') }, getPrototypeOf() { throw new Error('trap') } })")
	case 19: // an array of the pieces of str
		var vals []any
		for _, s := range strings.Split(str, ",") {
			vals = append(vals, s)
		}
		return vm.NewArray(vals...)
	case 20:
		return vm.NewArray(math.Copysign(1e-320, num), num, 1e300, -1e300)
	case 21:
		return run("Object.defineProperty([1, 2, 3], 1, {get() { throw new Error('getter') }})")
	case 22:
		return run("({hex: '0b0b'})")
	default:
		return vm.ToValue(int64(num))
	}
}

// CheckThrow accepts a result or a TypeError/RangeError (or, where allowed, an Error) whose
// message names fn; anything else — a Go panic caught by Host.Func ("internal error"), an exception
// of another type or an unnamed message — fails.
func CheckThrow(t testing.TB, fn string, res goja.Value, err error, allowed ...string) {
	t.Helper()
	if err == nil {
		if res == nil {
			t.Fatalf("%s returned nil", fn)
		}
		return
	}
	_, name, msg := Thrown(t, fn, err)
	if strings.Contains(msg, "internal error") {
		t.Fatalf("%s: Go panic: %s", fn, msg)
	}
	if (msg == "getter" || msg == "trap") && name == "Error" {
		return // the input's own getter threw through, as it should
	}
	if !slices.Contains(allowed, name) && name != "TypeError" && name != "RangeError" {
		t.Fatalf("%s threw %s: %s", fn, name, msg)
	}
	if !strings.HasPrefix(msg, fn+": ") {
		t.Fatalf("%s: message does not name the function: %q", fn, msg)
	}
}

// Thrown unpacks the error a call of fn returned: it must be a JS exception whose value is an
// object (an Error), else the test fails. The fuzz tests classify what it returns.
func Thrown(t testing.TB, fn string, err error) (obj *goja.Object, name, msg string) {
	t.Helper()
	var ex *goja.Exception
	if !errors.As(err, &ex) {
		t.Fatalf("%s: not a JS exception: %v", fn, err)
	}
	obj, ok := ex.Value().(*goja.Object)
	if !ok {
		t.Fatalf("%s threw a non-object %v", fn, ex.Value())
	}
	return obj, obj.Get("name").String(), obj.Get("message").String()
}

// Func looks up the function at a dotted path from the global object ("Finance.pv",
// "Array.prototype.sum", "NUM"), failing the test if it is not a function.
func Func(t testing.TB, vm *goja.Runtime, path string) goja.Callable {
	t.Helper()
	v := goja.Value(vm.GlobalObject())
	for _, key := range strings.Split(path, ".") {
		if goja.IsUndefined(v) || goja.IsNull(v) {
			break
		}
		v = v.ToObject(vm).Get(key)
	}
	call, ok := goja.AssertFunction(v)
	if !ok {
		t.Fatalf("%s is not a function", path)
	}
	return call
}
