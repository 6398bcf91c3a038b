package consent

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins/builtinstest"
	"github.com/kubusdev/kubus/store/storetest"
)

// contractTypes are the error types the functions may throw for a refusal.
var contractTypes = []string{ErrConsentRefNotFound, ErrConsentTypeNameInUse, ErrInvalidConsentState, ErrInvalidConsentType,
	ErrInvalidContextURI, ErrInvalidDocumentRevision, ErrInvalidDocumentURI, ErrPreconditionFailed}

// fuzzValue builds an arbitrary JS value from fuzz input: kind picks the shape, num and str fill it
// in. Spec and option objects with fields of every type are frequent, since that is what the
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
	uri := "https://example.com/" + str
	switch kind % 28 {
	case 0:
		return goja.Undefined()
	case 1:
		return goja.Null()
	case 2:
		return vm.ToValue(num)
	case 3:
		return vm.ToValue(str)
	case 4:
		return opts("type", "privacyPolicy", "userId", str, "document", opts("uri", uri, "revisedAt", str))
	case 5:
		return opts("type", str, "userId", "u", "document", opts("uri", str), "contextUri", str)
	case 6:
		return opts("type", "privacyPolicy", "userId", "u", "document", opts("uri", uri, "revisedAt", date(num)), "secondaryContextUri", num)
	case 7:
		return opts("scope", str, "ifMatch", str, "consolidate", num != 0)
	case 8:
		return opts("scope", "instance", "ifMatch", "*", "consolidate", true)
	case 9:
		return opts("type", "privacyPolicy", "user", "u", "document", uri, "all", num > 0)
	case 10:
		return opts("type", "privacyPolicy", "document", opts("uri", num), "context", str)
	case 11:
		return opts("uri", uri, "newUri", str, "revisedAt", str, "revisionId", num)
	case 12:
		return opts("uri", uri, "newUri", uri+"2", "revisedAt", date(num), "type", "privacyPolicy")
	case 13:
		return opts("filter", str, "q", str, "sortBy", str, "start", num, "limit", num)
	case 14:
		return opts("state", str+"|given", "type", str, "userId", "u|"+str, "limit", math.Abs(math.Trunc(num)))
	case 15:
		return date(num)
	case 16:
		return run("Symbol('s')")
	case 17:
		return run("12345678901234567890n")
	case 18:
		return run("(function f() { throw new Error('called') })")
	case 19:
		return run("new String('privacyPolicy')")
	case 20:
		return run("new Proxy({}, { get() { throw new Error('trap') }, getPrototypeOf() { throw new Error('trap') } })")
	case 21:
		return run("(() => { const a = []; a.length = 4294967295; return a })()")
	case 22:
		return vm.NewArray(str, opts("name", str, "label", num), "privacyPolicy")
	case 23:
		return vm.ToValue(math.NaN())
	case 24:
		return opts("filter", []string{"eq(state,'given')", "contains(document.uri,'" + str + "')", "search('" + str + "')", str + "(", "ne(givenAt,null) and eq(type,'x')"}[int(math.Abs(math.Mod(num, 5)))%5])
	case 25:
		return opts("sortBy", []string{"type,-givenAt", "-document.uri", str, ",", "+"}[int(math.Abs(math.Mod(num, 5)))%5])
	case 26:
		return vm.NewArray("privacyPolicy", "termsAndConditions", "productTermsAndConditions", "electronicConsent", str)
	default:
		return vm.NewArray(str)
	}
}

// FuzzConsentArgs calls every Consent function with arbitrary JS values, after creating consents
// in each state. Whatever the input, the call returns, or throws a TypeError or RangeError naming
// the function, a contract error, or the Error a getter or Proxy trap of the argument threw: never
// a Go panic and never an "internal error" (a panic Host.Func had to catch, i.e. a bug).
func FuzzConsentArgs(f *testing.F) {
	for _, s := range []struct {
		fn, k1, k2 uint8
		n          float64
		s          string
		argc       uint8
	}{
		{0, 4, 0, 0, "a", 1}, {0, 5, 0, 1, "x y", 1}, {0, 6, 0, 1.7e12, "b", 1},
		{1, 3, 7, 0, "id", 2}, {1, 3, 8, 0, "id", 2}, {2, 3, 7, 0, `"x"`, 2},
		{3, 9, 0, 1, "", 1}, {3, 10, 0, 0, "c", 1}, {4, 11, 0, 0, "2024-01-01", 1}, {4, 12, 0, 1e12, "d", 1},
		{5, 12, 0, 0, "", 1}, {6, 3, 7, 0, "u", 2}, {7, 13, 0, 2, "eq(", 1}, {7, 24, 0, 3, "o'k", 1}, {7, 25, 0, 2, "x", 1},
		{7, 14, 0, 3, "pending", 1}, {8, 3, 0, 0, "", 1}, {9, 0, 0, 0, "", 0}, {10, 22, 0, 0, "marketing", 1},
		{10, 26, 0, 0, "b", 1}, {10, 21, 0, 0, "", 1}, {0, 20, 0, 0, "", 1},
	} {
		f.Add(s.fn, s.k1, s.k2, s.n, s.s, s.argc)
	}
	s := storetest.Open(f)
	f.Fuzz(func(t *testing.T, fnIdx, k1, k2 uint8, n float64, str string, argc uint8) {
		tx := s.Begin()
		defer tx.Discard()
		v := newVM(t, tx)
		v.run(`var cs = ["pending", "given", "stale", "revoked", "rescinded"].map((st, i) => inState("u" + i, st))`)
		name := fns[int(fnIdx)%len(fns)].Name
		fn := "Consent." + name
		all := []goja.Value{fuzzValue(t, v.vm, k1, n, str), fuzzValue(t, v.vm, k2, n, str), fuzzValue(t, v.vm, k1^k2, -n, str)}
		if k2%3 == 0 { // an existing id
			all[0] = v.run(`cs[` + string(rune('0'+int(k1)%5)) + `]._id`)
		}
		args := all[:int(argc)%(len(all)+1)]
		call := builtinstest.Func(t, v.vm, fn)
		res, err := call(goja.Undefined(), args...)
		if err == nil {
			if res == nil {
				t.Fatalf("%s returned nil", fn)
			}
			return
		}
		obj, ename, msg := builtinstest.Thrown(t, fn, err)
		switch {
		case ename == "Error" && (msg == "trap" || msg == "called"):
			// thrown by the argument's own getter or trap
		case (ename == "TypeError" || ename == "RangeError") && strings.HasPrefix(msg, fn+": "):
		case slices.Contains(contractTypes, ename) && strings.HasPrefix(msg, fn+": ") && obj.Get("type").String() == ename:
		default:
			t.Fatalf("%s threw %s: %s", fn, ename, msg)
		}
	})
}
