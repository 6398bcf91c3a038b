package array

import (
	"math"
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins/builtinstest"
)

// fuzzValue builds an arbitrary JS value: kind picks the shape, num and str fill it in.
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
		return vm.ToValue(math.Inf(int(num)))
	case 6:
		return run("x => x")
	case 7:
		return run("(x, i) => i % 2")
	case 8:
		return run("x => { throw new Error('called') }")
	case 9:
		return vm.NewArray(num, str, nil, math.NaN())
	case 10:
		d, err := vm.New(vm.Get("Date"), vm.ToValue(num))
		if err != nil {
			t.Fatal(err)
		}
		return d
	case 11:
		return run("new Date('x')")
	case 12:
		return vm.ToValue(num > 0)
	case 13:
		return run("Symbol('s')")
	case 14:
		return run("12345678901234567890n")
	case 15:
		return run("x => x && x.v")
	case 16:
		return run("(() => { const a = [1, 'a', {v: 2}]; a[40] = new Date(0); return a })()")
	case 17:
		return run("new Proxy([1, 2], { get() { throw new Error('trap') } })")
	case 18:
		return run("x => [x, x]")
	case 19:
		return run("new Array(5e4)")
	case 20:
		return run("[{v: 1}, {v: 'b'}, {v: null}, {}, {v: 1n}, {v: new Date(3)}]")
	case 21:
		return run("x => ({})")
	case 22:
		return vm.ToValue(math.Trunc(math.Mod(num, 40)))
	default:
		return run("Object.freeze([3, 1, 2, 1, NaN, -0, 0])")
	}
}

// FuzzArrayMethods calls every method with an arbitrary receiver and arguments. Whatever the input,
// the call returns a value or throws: a TypeError or RangeError naming the method, or the error a
// callback (or Proxy trap) threw. Never a Go panic, never an "internal error".
func FuzzArrayMethods(f *testing.F) {
	for k := range 24 {
		f.Add(uint8(k), uint8(k), uint8(6), 2.0, "a", uint8(22), 3.0, "b", uint8(2))
		f.Add(uint8(k), uint8(9), uint8(k), -1.5, "", uint8(k), 1e300, "\xed\xa0\x80", uint8(k))
	}
	f.Fuzz(func(t *testing.T, m, recvKind, k1 uint8, n1 float64, s1 string, k2 uint8, n2 float64, s2 string, argc uint8) {
		vm := newVM(t)
		name := methods[int(m)%len(methods)].Name
		fn := "Array.prototype." + name
		recv := fuzzValue(t, vm, recvKind, n1, s1)
		args := []goja.Value{fuzzValue(t, vm, k1, n1, s1), fuzzValue(t, vm, k2, n2, s2)}[:argc%3]
		call := builtinstest.Func(t, vm, "Array.prototype."+name)
		res, err := call(recv, args...)
		if err == nil {
			if res == nil {
				t.Fatalf("%s returned nil", fn)
			}
			return
		}
		_, errName, msg := builtinstest.Thrown(t, fn, err)
		if msg == "called" || msg == "trap" {
			return // thrown by the fuzz callback or Proxy: propagated unchanged
		}
		if errName != "TypeError" && errName != "RangeError" || !strings.HasPrefix(msg, fn+": ") {
			t.Fatalf("%s threw %s: %s", fn, errName, msg)
		}
	})
}
