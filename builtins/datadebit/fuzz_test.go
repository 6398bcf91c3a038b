package datadebit

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins/builtinstest"
	"github.com/kubusdev/kubus/store/storetest"
)

// fuzzValue builds an arbitrary JS value from fuzz input: kind picks the shape, num and str fill
// it in. Keys and specs with one field varied are frequent, since that is what the functions take.
func fuzzValue(t *testing.T, vm *goja.Runtime, kind uint8, num float64, str string) goja.Value {
	run := func(src string) goja.Value { return builtinstest.Run(t, vm, src) }
	date := func(ms float64) goja.Value { return builtinstest.Date(t, vm, ms) }
	with := func(k string, v any) goja.Value {
		o := run(`spec()`).(*goja.Object)
		_ = o.Set(k, v)
		return o
	}
	fields := []string{"purpose", "start", "period", "termsUrl", "cancelAtPeriodEnd", "requestClientName", "requestClientUrl", "requestClientLogoUrl", "requestDescription", "bundle"}
	field := fields[int(math.Abs(math.Mod(num, float64(len(fields)))))%len(fields)]
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
		return vm.ToValue("dd")
	case 5:
		return run(`spec()`)
	case 6:
		return with(field, str)
	case 7:
		return with(field, num)
	case 8:
		return with("start", date(num))
	case 9:
		return with("bundle", vm.ToValue(map[string]any{"name": str, "bundle": map[string]any{str: map[string]any{"endpoints": []any{map[string]any{"endpoint": str}}}}}))
	case 10:
		return with("bundle", run(`({name: "b", bundle: {g: {endpoints: (() => { const a = []; a.length = 4294967295; return a })()}}})`))
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
		return with("bundle", run("({name: 'b', bundle: new Proxy({g: {}}, { ownKeys() { throw new Error('trap') } })})"))
	case 17:
		return run(`({atPeriodEnd: true})`)
	case 18:
		return vm.ToValue(map[string]any{"atPeriodEnd": str, "active": num, "accepted": true})
	case 19:
		return vm.ToValue(math.NaN())
	case 20:
		return with("period", []float64{1, 0, -1, 1.5, MaxPeriodSeconds, MaxPeriodSeconds + 1, math.Inf(1), num}[int(math.Abs(math.Mod(num, 8)))%8])
	case 21:
		return fuzzValue(t, vm, 3, num, str).(goja.String).Concat(run(`"\ud800"`).(goja.String))
	case 22:
		return run(`new String("dd")`)
	default:
		return vm.NewArray(str)
	}
}

// FuzzDataDebitArgs calls every DataDebit function with arbitrary JS values, on a store that
// holds an active data debit "dd". Whatever the input, the call returns, or throws a TypeError or
// RangeError naming the function, an Error with an error type from the contract, or the Error a
// getter or Proxy trap of the argument threw: never a Go panic and never an "internal error".
func FuzzDataDebitArgs(f *testing.F) {
	seeds := []struct {
		fn     uint8
		k1, k2 uint8
		n      float64
		s      string
		argc   uint8
	}{
		{0, 3, 5, 0, "new", 2},
		{0, 4, 6, 3, "", 2},
		{0, 3, 8, 1e300, "k", 2},
		{0, 3, 9, 0, "_system/User", 2},
		{0, 3, 10, 0, "k", 2},
		{0, 3, 16, 0, "k", 2},
		{0, 3, 20, 5, "k", 2},
		{1, 4, 7, 2, "", 2},
		{2, 4, 0, 0, "", 1},
		{3, 4, 17, 0, "", 2},
		{3, 4, 18, 0, "x", 2},
		{4, 21, 0, 0, "", 1},
		{5, 18, 0, 0, "", 1},
		{6, 4, 0, 0, "", 1},
	}
	for _, s := range seeds {
		f.Add(s.fn, s.k1, s.k2, s.n, s.s, s.argc)
	}
	s := storetest.Open(f)
	f.Fuzz(func(t *testing.T, fnIdx, k1, k2 uint8, n float64, str string, argc uint8) {
		tx := s.Begin()
		defer tx.Discard()
		e := newEnv(t, tx, t0)
		e.run(`DataDebit.create("dd", spec()); DataDebit.enable("dd")`)
		e.at(t0.Add(time.Hour))
		name := fns[int(fnIdx)%len(fns)].Name
		fn := "DataDebit." + name
		all := []goja.Value{fuzzValue(t, e.vm, k1, n, str), fuzzValue(t, e.vm, k2, n, str), fuzzValue(t, e.vm, k1^k2, -n, str)}
		args := all[:int(argc)%(len(all)+1)]
		call := builtinstest.Func(t, e.vm, fn)
		res, err := call(goja.Undefined(), args...)
		if err == nil {
			if res == nil {
				t.Fatalf("%s returned nil", fn)
			}
			return
		}
		obj, ename, msg := builtinstest.Thrown(t, fn, err)
		typ := obj.Get("error")
		switch {
		case ename == "Error" && (msg == "trap" || msg == "called"):
		case (ename == "TypeError" || ename == "RangeError") && strings.HasPrefix(msg, fn+": "):
		case ename == "Error" && typ != nil && strings.HasPrefix(msg, fn+": ") &&
			strings.Contains(" duplicateDataDebit dataDebitNotFound dataDebitCanceled dataDebitNotActive ", " "+typ.String()+" "):
		default:
			t.Fatalf("%s threw %s: %s", fn, ename, msg)
		}
	})
}
