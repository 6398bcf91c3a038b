package date

import (
	"math"
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins/builtinstest"
)

func fuzzValue(t *testing.T, vm *goja.Runtime, kind uint8, num float64, str string) goja.Value {
	run := func(src string) goja.Value { return builtinstest.Run(t, vm, src) }
	switch kind % 16 {
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
		return vm.ToValue(math.Trunc(math.Mod(num, 1e9)))
	case 6: // a Date from any number of ms: valid, or invalid beyond ±8.64e15
		d, err := vm.New(vm.Get("Date"), vm.ToValue(num))
		if err != nil {
			t.Fatal(err)
		}
		return d
	case 7:
		return run("new Date('x')")
	case 8:
		return vm.ToValue([]string{"days", "weeks", "months", "years", "hours", "minutes", "seconds"}[int(math.Abs(math.Mod(num, 7)))%7])
	case 9:
		return vm.ToValue([]string{"yyyy-MM-dd HH:mm:ss.fff", "dddd d MMMM yy h tt", "'q''x' \\d", "nl", "fr-FR", "de", "'"}[int(math.Abs(math.Mod(num, 7)))%7])
	case 10:
		return vm.ToValue(math.Inf(1))
	case 11:
		return run("12345678901234567890n")
	case 12:
		return run("({valueOf() { throw new Error('no') }})")
	case 13:
		return vm.ToValue(int64(num) % 13)
	case 14:
		return run("Symbol('s')")
	default:
		return vm.ToValue("2024-" + str)
	}
}

// FuzzDateMethods calls every method and static with an arbitrary receiver and arguments, in a DST
// zone: it returns a value or throws a TypeError or RangeError naming the function, never a Go
// panic or an "internal error".
func FuzzDateMethods(f *testing.F) {
	for k := range 16 {
		f.Add(uint8(k), uint8(6), 1.7e12, "02-29", uint8(k), 3.0, "x", uint8(8), -1.5, uint8(3))
		f.Add(uint8(k), uint8(6), 8.64e15, "", uint8(5), 1e300, "03-31", uint8(9), 2.0, uint8(k))
	}
	f.Fuzz(func(t *testing.T, m, recvKind uint8, n1 float64, s1 string, k1 uint8, n2 float64, s2 string, k2 uint8, n3 float64, argc uint8) {
		vm := newVM(t, ams())
		all := append(append(statics[:0:0], statics...), methods...)
		e := all[int(m)%len(all)]
		fn := "Date.prototype." + e.Name
		if int(m)%len(all) < len(statics) {
			fn = "Date." + e.Name
		}
		callable := builtinstest.Func(t, vm, fn)
		recv := fuzzValue(t, vm, recvKind, n1, s1)
		args := []goja.Value{fuzzValue(t, vm, k1, n2, s2), fuzzValue(t, vm, k2, n3, s1), vm.ToValue(n3)}[:argc%4]
		res, err := callable(recv, args...)
		if err == nil {
			if res == nil {
				t.Fatalf("%s returned nil", fn)
			}
			return
		}
		_, name, msg := builtinstest.Thrown(t, fn, err)
		if name != "TypeError" && name != "RangeError" || !strings.HasPrefix(msg, fn+": ") {
			t.Fatalf("%s threw %s: %s", fn, name, msg)
		}
	})
}
