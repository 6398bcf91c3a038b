package aisconsent

import (
	"math"
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins/builtinstest"
)

// fuzzValue builds an arbitrary JS value from fuzz input: kind picks the shape, num and str fill it
// in. Consent-like objects with one field varied are frequent, since that is what the functions take.
func fuzzValue(t *testing.T, vm *goja.Runtime, kind uint8, num float64, str string) goja.Value {
	run := func(src string) goja.Value { return builtinstest.Run(t, vm, src) }
	date := func(ms float64) goja.Value { return builtinstest.Date(t, vm, ms) }
	with := func(k string, v any) goja.Value {
		o := run(`Object.assign({}, consent)`).(*goja.Object)
		_ = o.Set(k, v)
		return o
	}
	switch kind % 26 {
	case 0:
		return goja.Undefined()
	case 1:
		return goja.Null()
	case 2:
		return vm.ToValue(num)
	case 3:
		return vm.ToValue(str)
	case 4:
		return run(`consent`)
	case 5:
		return with("validUntil", str)
	case 6:
		return with("validUntil", date(num))
	case 7:
		return with("consentStatus", str)
	case 8:
		return with("consentedServices", vm.NewArray(str, num))
	case 9:
		return with("options", run(`({access: {transactions: [{iban: "NL91ABNA0417164300"}, 1, null]}})`))
	case 10:
		return with("options", vm.ToValue(map[string]any{"access": map[string]any{str: []any{map[string]any{"iban": str}}}}))
	case 11:
		return date(num)
	case 12:
		return run("Symbol('s')")
	case 13:
		return run("12345678901234567890n")
	case 14:
		return run("(function f() { throw new Error('called') })")
	case 15:
		return run("new Proxy({}, { get() { throw new Error('trap') }, ownKeys() { throw new Error('trap') } })")
	case 16:
		return with("options", run("({ access: new Proxy({transactions: []}, { ownKeys() { throw new Error('trap') } }) })"))
	case 17:
		return with("consentedServices", run("(() => { const a = []; a.length = 4294967295; return a })()"))
	case 18:
		return vm.ToValue([]string{"balances", "transactions", "details", "accounts", "BALANCES", str}[int(math.Abs(math.Mod(num, 6)))%6])
	case 19:
		return vm.ToValue(math.NaN())
	case 20:
		return with("validUntil", []string{"2024-06-15", "2024-02-30", "2024-06-15T00:30:00+02:00", "9999-12-31", "0000-01-01", str}[int(math.Abs(math.Mod(num, 6)))%6])
	case 21:
		return vm.ToValue("NL91 ABNA 0417 1643 00")
	case 22:
		return with("validUntil", num)
	case 23:
		return run("new String('VALID')")
	case 24:
		return with("consentedServices", run("new Proxy(['TRANSACTIONS'], { get() { throw new Error('trap') } })"))
	default:
		return vm.NewArray(str)
	}
}

// FuzzAisConsentArgs calls every AisConsent function with arbitrary JS values. Whatever the input,
// the call returns a boolean, a number or null, or throws a TypeError or RangeError naming the
// function (or the Error a getter or Proxy trap of the argument threw): never a Go panic and never
// an "internal error" (a panic Host.Func had to catch, i.e. a bug).
func FuzzAisConsentArgs(f *testing.F) {
	seeds := []struct {
		fn         uint8
		k1, k2, k3 uint8
		n          float64
		s          string
		argc       uint8
	}{
		{0, 4, 0, 0, 0, "", 1},
		{0, 5, 3, 0, 0, "2024-12-31", 2},
		{1, 4, 18, 21, 1, "", 3},
		{1, 9, 18, 21, 1, "", 3},
		{1, 10, 18, 3, 0, "transactions", 3},
		{1, 17, 18, 21, 1, "", 3},
		{1, 16, 18, 21, 1, "", 3},
		{2, 20, 11, 0, 8.64e15, "x", 2},
		{2, 6, 0, 0, -8.64e15, "", 1},
		{2, 22, 0, 0, 1e300, "", 1},
		{0, 15, 0, 0, 0, "", 1},
	}
	for _, s := range seeds {
		f.Add(s.fn, s.k1, s.k2, s.k3, s.n, s.s, s.argc)
	}
	f.Fuzz(func(t *testing.T, fnIdx, k1, k2, k3 uint8, n float64, str string, argc uint8) {
		vm := newVM(t, clock)
		name := fns[int(fnIdx)%len(fns)].Name
		fn := "AisConsent." + name
		all := []goja.Value{fuzzValue(t, vm, k1, n, str), fuzzValue(t, vm, k2, n, str), fuzzValue(t, vm, k3, -n, str), fuzzValue(t, vm, k1^k3, n, str)}
		args := all[:int(argc)%(len(all)+1)]
		call := builtinstest.Func(t, vm, fn)
		res, err := call(goja.Undefined(), args...)
		if err == nil {
			switch v := res.Export().(type) {
			case bool:
			case int64:
				if name != "daysLeft" {
					t.Fatalf("%s returned %v", fn, v)
				}
			case nil:
				if name != "daysLeft" {
					t.Fatalf("%s returned null", fn)
				}
			default:
				t.Fatalf("%s returned %#v", fn, v)
			}
			return
		}
		_, ename, msg := builtinstest.Thrown(t, fn, err)
		switch {
		case ename == "Error" && (msg == "trap" || msg == "called"):
		case (ename == "TypeError" || ename == "RangeError") && strings.HasPrefix(msg, fn+": "):
		default:
			t.Fatalf("%s threw %s: %s", fn, ename, msg)
		}
	})
}
