package global

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
)

// fuzzValue builds an arbitrary JS value from fuzz input: kind picks the shape, num and str
// fill it in.
func fuzzValue(t *testing.T, vm *goja.Runtime, kind uint8, num float64, str string) goja.Value {
	run := func(src string) goja.Value { return builtinstest.Run(t, vm, src) }
	switch kind % 20 {
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
		return vm.ToValue(math.Inf(-1))
	case 7:
		return vm.ToValue(math.Copysign(1e308, num))
	case 8:
		return run("({valueOf() { return 3 }, toString() { throw new Error('no') }})")
	case 9:
		return vm.NewArray(num, str)
	case 10: // a Date from any number of ms: valid, or invalid beyond ±8.64e15
		d, err := vm.New(vm.Get("Date"), vm.ToValue(num))
		if err != nil {
			t.Fatal(err)
		}
		return d
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
	case 17: // a plausible date string built from the number
		y := int(math.Abs(math.Mod(num, 10000)))
		return vm.ToValue(strings.Repeat("0", 4-len(strconv.Itoa(y))) + strconv.Itoa(y) + "-" + str)
	case 18:
		return run("new Proxy({}, { get() { throw new Error('trap') }, getPrototypeOf() { throw new Error('trap') } })")
	default:
		return vm.ToValue(int64(num))
	}
}

// fuzzCultures are the execution cultures the fuzzer runs NUM and CUR in (argc / 3 picks one):
// none, supported ones, one with non-Latin digits and an unknown tag.
var fuzzCultures = []string{"", "nl", "en-GB", "de", "fr", "ar", "hi", "xx"}

// fnIndex is the position of a function in the table, for the seeds.
func fnIndex(name string) uint8 {
	for i, f := range functions {
		if f.Name == name {
			return uint8(i)
		}
	}
	panic(name)
}

// FuzzGlobalArgs calls every global function with arbitrary JS values, in one of fuzzCultures.
// Whatever the input, the call returns a value or throws a TypeError or RangeError naming the
// function: never a Go panic (which would crash the fuzzer), and never an "internal error"
// GoError (a panic that Host.Func had to catch, i.e. a bug). NUM and CUR must return a string.
func FuzzGlobalArgs(f *testing.F) {
	f.Add(uint8(0), uint8(2), 1.005, "", uint8(2), 2.0, "", uint8(3))
	f.Add(uint8(5), uint8(3), 0.0, "2020-02-29", uint8(3), 0.0, "2024-02-29", uint8(2))
	f.Add(uint8(6), uint8(10), 8.64e15, "", uint8(10), -8.64e15, "", uint8(2))
	f.Add(uint8(7), uint8(10), 9e15, "", uint8(17), 2024.0, "03-31", uint8(2))
	f.Add(uint8(1), uint8(7), -1.0, "", uint8(2), -15.0, "", uint8(2))
	f.Add(uint8(2), uint8(2), 1e300, "", uint8(2), 15.0, "", uint8(1))
	f.Add(uint8(5), uint8(3), 0.0, "2024-03-31T02:30:00", uint8(3), 0.0, "+275760-09-13T00:00:00Z", uint8(2))
	f.Add(uint8(8), uint8(3), 0.0, "9999-12-31T23:59:59.999999999-23:59", uint8(17), -1.0, "01-01", uint8(2))
	f.Add(fnIndex("FLOOR"), uint8(2), 1.15, "", uint8(2), 0.05, "", uint8(2))
	f.Add(fnIndex("CEIL"), uint8(2), 1e300, "", uint8(2), 1e-300, "", uint8(2))
	f.Add(fnIndex("CEIL"), uint8(7), 0.0, "", uint8(2), 3.0, "", uint8(2))
	f.Add(fnIndex("NUM"), uint8(2), -1234567.891, "", uint8(2), 2.0, "", uint8(5))
	f.Add(fnIndex("CUR"), uint8(2), -0.005, "", uint8(0), 0.0, "", uint8(4))
	f.Add(fnIndex("CUR"), uint8(7), 5e-324, "", uint8(2), 15.0, "", uint8(20))
	f.Add(fnIndex("NUM"), uint8(2), 5e-324, "", uint8(0), 0.0, "", uint8(10))
	f.Add(fnIndex("SUM"), uint8(9), 1.5, "x", uint8(2), 1.0, "", uint8(1))
	f.Add(fnIndex("MIN"), uint8(2), 1.5, "", uint8(4), 0.0, "", uint8(2))
	f.Add(fnIndex("ISEMPTY"), uint8(18), 0.0, "", uint8(0), 0.0, "", uint8(1))
	f.Add(fnIndex("COALESCE"), uint8(1), 0.0, "", uint8(3), 0.0, "", uint8(2))
	for k := range 20 {
		f.Add(uint8(k%len(functions)), uint8(k), float64(k)-3.5, "x", uint8(19-k), 1.5, "", uint8(2))
	}
	f.Fuzz(func(t *testing.T, fnIdx, k1 uint8, n1 float64, s1 string, k2 uint8, n2 float64, s2 string, argc uint8) {
		culture := fuzzCultures[int(argc/3)%len(fuzzCultures)]
		vm, _ := newVM(t, &builtins.Exec{Now: clock, Location: amsterdam, Culture: culture})
		fn := functions[int(fnIdx)%len(functions)].Name
		args := []goja.Value{fuzzValue(t, vm, k1, n1, s1), fuzzValue(t, vm, k2, n2, s2)}[:argc%3]
		call := builtinstest.Func(t, vm, fn)
		res, err := call(goja.Undefined(), args...)
		if err == nil {
			if res == nil {
				t.Fatalf("%s returned nil", fn)
			}
			if fn == "NUM" || fn == "CUR" {
				if _, ok := res.(goja.String); !ok {
					t.Fatalf("%s returned %v, not a string", fn, res)
				}
			}
			return
		}
		_, name, msg := builtinstest.Thrown(t, fn, err)
		if name != "TypeError" && name != "RangeError" {
			t.Fatalf("%s threw %s: %s", fn, name, msg)
		}
		if !strings.HasPrefix(msg, fn+": ") {
			t.Fatalf("%s: message does not name the function: %q", fn, msg)
		}
	})
}
