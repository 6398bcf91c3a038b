package userstore

import (
	"math"
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins/builtinstest"
	"github.com/kubusdev/kubus/store/storetest"
)

// fuzzValue builds an arbitrary JS value from fuzz input: kind picks the shape, num and str fill it
// in. Strings, option objects, role arrays and dates are frequent, since that is what the
// functions take.
func fuzzValue(t *testing.T, vm *goja.Runtime, kind uint8, num float64, str string) goja.Value {
	run := func(src string) goja.Value { return builtinstest.Run(t, vm, src) }
	date := func(ms float64) goja.Value { return builtinstest.Date(t, vm, ms) }
	opts := func(kv ...any) goja.Value {
		o := vm.NewObject()
		for i := 0; i+1 < len(kv); i += 2 {
			_ = o.Set(kv[i].(string), kv[i+1])
		}
		return o
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
		return vm.ToValue(str + "@example.com")
	case 5:
		return vm.ToValue(strings.ToUpper(str) + "@Example.COM")
	case 6:
		return opts("roles", vm.NewArray(str, "admin"))
	case 7:
		return opts("roles", vm.NewArray(num, str))
	case 8:
		return opts("accessExpirationDate", str)
	case 9:
		return opts("accessExpirationDate", date(num))
	case 10:
		return opts("accessExpirationDate", num, "roles", str)
	case 11:
		return opts("roles", vm.NewArray(), "accessExpirationDate", "2030-01-01")
	case 12:
		return date(num)
	case 13:
		return run("Symbol('s')")
	case 14:
		return run("12345678901234567890n")
	case 15:
		return run("(function f() { throw new Error('called') })")
	case 16:
		return run("new String('a@example.com')")
	case 17:
		return run("new Proxy({}, { get() { throw new Error('trap') }, getPrototypeOf() { throw new Error('trap') } })")
	case 18:
		return run("({ roles: new Proxy(['a'], { get() { throw new Error('trap') } }) })")
	case 19:
		return run("(() => { const a = []; a.length = 4294967295; return { roles: a } })()")
	case 20:
		return opts("roles", vm.NewArray(str, str, ""))
	case 21:
		return vm.ToValue(math.NaN())
	case 22:
		return opts("accessExpirationDate", []string{"2024-06-16", "2024-02-30", "2024-06-15T00:30:00+02:00", str}[int(math.Abs(math.Mod(num, 4)))%4])
	default:
		return vm.NewArray(str)
	}
}

// FuzzUserStoreArgs calls every UserStore function with arbitrary JS values. Whatever the input,
// the call returns, or throws a TypeError naming the function (or the Error a getter or Proxy trap
// of the argument threw): never a Go panic and never an "internal error" (a panic Host.Func had to
// catch, i.e. a bug).
func FuzzUserStoreArgs(f *testing.F) {
	seeds := []struct {
		fn     uint8
		k1, k2 uint8
		n      float64
		s      string
		argc   uint8
	}{
		{0, 4, 6, 0, "ann", 2},
		{0, 5, 11, 0, "ann", 2},
		{0, 4, 22, 1, "bob", 2},
		{0, 3, 8, 0, "Ann <ann@example.com>", 2},
		{0, 4, 9, 1.9e12, "cy", 2},
		{0, 4, 19, 0, "x", 2},
		{0, 4, 18, 0, "x", 2},
		{0, 2, 7, 3, "x", 2},
		{1, 4, 0, 0, "ann", 1},
		{1, 14, 0, 0, "", 1},
		{0, 4, 20, 0, "role", 2},
	}
	for _, s := range seeds {
		f.Add(s.fn, s.k1, s.k2, s.n, s.s, s.argc)
	}
	s := storetest.Open(f)
	f.Fuzz(func(t *testing.T, fnIdx, k1, k2 uint8, n float64, str string, argc uint8) {
		tx := s.Begin()
		defer tx.Discard()
		vm, _ := newVM(t, tx)
		name := fns[int(fnIdx)%len(fns)].Name
		fn := "UserStore." + name
		all := []goja.Value{fuzzValue(t, vm, k1, n, str), fuzzValue(t, vm, k2, n, str), fuzzValue(t, vm, k1^k2, -n, str)}
		args := all[:int(argc)%(len(all)+1)]
		call := builtinstest.Func(t, vm, fn)
		res, err := call(goja.Undefined(), args...)
		if err == nil {
			if res == nil {
				t.Fatalf("%s returned nil", fn)
			}
			if name == "invite" {
				o, ok := res.(*goja.Object)
				if !ok {
					t.Fatalf("%s returned %v, want a result object", fn, res)
				}
				success := o.Get("success").Export()
				if success != true && success != false {
					t.Fatalf("%s returned success %v", fn, success)
				}
				if success == false && o.Get("errorMessage").String() == "" {
					t.Fatalf("%s: success false without an errorMessage", fn)
				}
			}
			return
		}
		_, ename, msg := builtinstest.Thrown(t, fn, err)
		switch {
		case ename == "Error" && (msg == "trap" || msg == "called"):
			// thrown by the argument's own getter or trap
		case ename == "TypeError" && strings.HasPrefix(msg, fn+": "):
		default:
			t.Fatalf("%s threw %s: %s", fn, ename, msg)
		}
	})
}
