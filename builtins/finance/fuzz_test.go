package finance

import (
	"math"
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins/builtinstest"
)

// fuzzValue builds an arbitrary JS value from fuzz input: kind picks the shape, num and str fill
// it in. Arrays of numbers and of date strings are frequent, since most functions take them.
func fuzzValue(t *testing.T, vm *goja.Runtime, kind uint8, num float64, str string) goja.Value {
	run := func(src string) goja.Value { return builtinstest.Run(t, vm, src) }
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
		return vm.ToValue(math.Mod(num, 2)) // a small rate, maybe negative
	case 8: // a cash-flow array built from num
		return vm.NewArray(-math.Abs(num), num/3, num/2, 1e3, -num)
	case 9:
		return vm.NewArray(num, str)
	case 10: // dates: strings, some invalid, some before the first
		return vm.NewArray("2024-01-01", "2024-07-01", str, "2023-12-31", "2025-02-28")
	case 11:
		d, err := vm.New(vm.Get("Date"), vm.ToValue(num))
		if err != nil {
			t.Fatal(err)
		}
		return vm.NewArray(d, d, d, d, d)
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
	case 17:
		return run("new Proxy([1, 2], { get() { throw new Error('trap') }, getPrototypeOf() { throw new Error('trap') } })")
	case 18:
		return vm.NewArray()
	case 19:
		return vm.ToValue(math.Trunc(math.Mod(num, 400))) // a plausible nper, per or months
	case 20:
		return vm.ToValue([]string{"annuity", "linear", str}[int(math.Abs(math.Mod(num, 3)))%3])
	case 21:
		return vm.NewArray(num, num, num, num) // no sign change
	case 22:
		return vm.NewArray(math.Copysign(1e300, num), -1e300, 1e-300)
	default:
		return vm.ToValue(int64(num))
	}
}

// FuzzFinanceArgs calls every Finance function with arbitrary JS values. Whatever the input, the
// call returns a finite number or an array, or throws a TypeError or RangeError naming the
// function: never a Go panic (which would crash the fuzzer) and never an "internal error" GoError
// (a panic that Host.Func had to catch, i.e. a bug).
func FuzzFinanceArgs(f *testing.F) {
	seeds := []struct {
		fn     uint8
		k      [4]uint8
		n1, n2 float64
		s      string
		argc   uint8
	}{
		{4, [4]uint8{7, 19, 2, 2}, 0.05, 360, "", 3},
		{8, [4]uint8{19, 2, 2, 2}, 48, -200, "", 3},
		{12, [4]uint8{8, 7, 0, 0}, 70000, 0.1, "", 2},
		{14, [4]uint8{8, 10, 7, 0}, 10000, 0.1, "2024-03-01", 3},
		{13, [4]uint8{7, 8, 10, 0}, 0.09, 100, "2024-02-30", 3},
		{17, [4]uint8{2, 7, 19, 20}, 200000, 0.04, "annuity", 4},
		{17, [4]uint8{2, 7, 19, 20}, 0.01, 0.04, "linear", 4},
		{0, [4]uint8{7, 2, 0, 0}, 0.06, 30, "", 2},
		{3, [4]uint8{7, 2, 0, 0}, 0.06, 0.0726, "", 2},
		{15, [4]uint8{2, 19, 0, 0}, 0.0525, 4, "", 2},
		{9, [4]uint8{7, 19, 19, 2}, 0.01, 12, "", 4},
		{12, [4]uint8{22, 2, 0, 0}, 1, -0.99, "", 2},
		{12, [4]uint8{21, 0, 0, 0}, 5, 0, "", 1},
	}
	for _, s := range seeds {
		f.Add(s.fn, s.k[0], s.k[1], s.k[2], s.k[3], s.n1, s.n2, s.s, s.argc)
	}
	f.Fuzz(func(t *testing.T, fnIdx, k1, k2, k3, k4 uint8, n1, n2 float64, s string, argc uint8) {
		vm := newVM(t)
		name := functions[int(fnIdx)%len(functions)].Name
		fn := "Finance." + name
		all := []goja.Value{
			fuzzValue(t, vm, k1, n1, s), fuzzValue(t, vm, k2, n2, s),
			fuzzValue(t, vm, k3, n1*n2, s), fuzzValue(t, vm, k4, n2-n1, s),
			fuzzValue(t, vm, k1^k2, n2, s), fuzzValue(t, vm, k3^k4, n1, s),
		}
		args := all[:int(argc)%(len(all)+1)]
		call := builtinstest.Func(t, vm, fn)
		res, err := call(goja.Undefined(), args...)
		if err == nil {
			if res == nil {
				t.Fatalf("%s returned nil", fn)
			}
			if x, isNum := res.Export().(float64); isNum && (math.IsNaN(x) || math.IsInf(x, 0)) {
				t.Fatalf("%s returned %v", fn, x)
			}
			return
		}
		_, ename, msg := builtinstest.Thrown(t, fn, err)
		if ename != "TypeError" && ename != "RangeError" {
			t.Fatalf("%s threw %s: %s", fn, ename, msg)
		}
		if !strings.HasPrefix(msg, fn+": ") {
			t.Fatalf("%s: message does not name the function: %q", fn, msg)
		}
	})
}
