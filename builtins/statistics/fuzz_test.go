package statistics

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

// fuzzValue builds an arbitrary JS value from fuzz input: kind picks the shape, num and str
// fill it in.
func fuzzValue(t *testing.T, vm *goja.Runtime, kind uint8, num float64, str string) goja.Value {
	run := func(src string) goja.Value {
		v, err := vm.RunString(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		return v
	}
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

// checkThrow accepts a result or a TypeError/RangeError (or, where allowed, an Error) whose
// message names fn; anything else — a Go panic caught by Host.Func ("internal error"), an exception
// of another type or an unnamed message — fails.
func checkThrow(t *testing.T, fn string, res goja.Value, err error, allowed ...string) {
	t.Helper()
	if err == nil {
		if res == nil {
			t.Fatalf("%s returned nil", fn)
		}
		return
	}
	var ex *goja.Exception
	if !errors.As(err, &ex) {
		t.Fatalf("%s: not a JS exception: %v", fn, err)
	}
	obj, ok := ex.Value().(*goja.Object)
	if !ok {
		t.Fatalf("%s threw a non-object %v", fn, ex.Value())
	}
	name := obj.Get("name").String()
	msg := obj.Get("message").String()
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

// FuzzStatisticsArgs calls every Statistics function with arbitrary JS values. Whatever the input,
// the call returns a value or throws a TypeError or RangeError naming the function: never a Go
// panic.
func FuzzStatisticsArgs(f *testing.F) {
	f.Add(uint8(0), uint8(9), 1.5, "abc", uint8(2), 0.5, "", uint8(2))
	f.Add(uint8(13), uint8(9), 3.0, "xyz", uint8(19), 0.0, "2021,2022,2023,2024", uint8(2))
	f.Add(uint8(14), uint8(9), -2.0, "xy", uint8(19), 0.0, "2021-01,2021-12,2024", uint8(2))
	f.Add(uint8(15), uint8(20), 1.0, "", uint8(20), -1.0, "", uint8(2))
	f.Add(uint8(11), uint8(9), 1e308, "aaaa", uint8(2), 4.0, "", uint8(2))
	f.Add(uint8(3), uint8(17), 4e9, "", uint8(2), 0.0, "", uint8(1))
	f.Add(uint8(16), uint8(2), 1e308, "", uint8(2), 1e308, "", uint8(2))
	for k := range 24 {
		f.Add(uint8(k), uint8(k), float64(k)-3.5, "x,1", uint8(23-k), 0.25, "2024-05", uint8(k%3))
	}
	f.Fuzz(func(t *testing.T, fnIdx, k1 uint8, n1 float64, s1 string, k2 uint8, n2 float64, s2 string, argc uint8) {
		vm, _ := newVM(t, &builtins.Exec{Now: clock})
		fn := namespace + "." + functions[int(fnIdx)%len(functions)].Name
		args := []goja.Value{fuzzValue(t, vm, k1, n1, s1), fuzzValue(t, vm, k2, n2, s2)}[:argc%3]
		call, _ := goja.AssertFunction(vm.Get(namespace).ToObject(vm).Get(functions[int(fnIdx)%len(functions)].Name))
		res, err := call(goja.Undefined(), args...)
		checkThrow(t, fn, res, err)
	})
}
