package finance

import (
	"strconv"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// Argument readers specific to Finance, on top of the builtins helpers. They throw like those: a
// TypeError for a wrong type, a RangeError for a value out of range, both naming the function.

// maxValues bounds the cash-flow arrays (npv, irr, xnpv, xirr).
const maxValues = 1_000_000

// rateArg reads a periodic rate: a finite number greater than −1 (−100%).
func rateArg(h *builtins.Host, call goja.FunctionCall, i int, fn, arg string) float64 {
	r := h.Finite(call, i, fn, arg)
	if r <= -1 {
		h.RangeError(fn, "%s must be greater than -1 (-100%%), got %s", arg, builtins.Describe(call.Argument(i)))
	}
	return r
}

// optRateArg reads an optional rate (a guess).
func optRateArg(h *builtins.Host, call goja.FunctionCall, i int, fn, arg string, def float64) float64 {
	if builtins.IsMissing(call.Argument(i)) {
		return def
	}
	return rateArg(h, call, i, fn, arg)
}

// positiveArg reads a finite number greater than 0 (a number of periods).
func positiveArg(h *builtins.Host, call goja.FunctionCall, i int, fn, arg string) float64 {
	n := h.Finite(call, i, fn, arg)
	if n <= 0 {
		h.RangeError(fn, "%s must be greater than 0, got %s", arg, builtins.Describe(call.Argument(i)))
	}
	return n
}

// nonNegativeArg reads a finite number of at least 0.
func nonNegativeArg(h *builtins.Host, call goja.FunctionCall, i int, fn, arg string) float64 {
	n := h.Finite(call, i, fn, arg)
	if n < 0 {
		h.RangeError(fn, "%s must be 0 or more, got %s", arg, builtins.Describe(call.Argument(i)))
	}
	return n
}

// typeArg reads the optional payment timing: 0 (end of period, the default) or 1 (beginning).
func typeArg(h *builtins.Host, call goja.FunctionCall, i int, fn string) int {
	return h.OptIntIn(call, i, fn, "type", 0, 1, 0)
}

// arrayArg reads an array argument (a real JS array, not an array-like or a Proxy) and its length.
func arrayArg(h *builtins.Host, call goja.FunctionCall, i int, fn, arg, want string) (*goja.Object, int) {
	v := call.Argument(i)
	o, ok := v.(*goja.Object)
	if !ok || o.ClassName() != "Array" {
		if i >= len(call.Arguments) {
			h.TypeError(fn, "%s is required (%s)", arg, want)
		}
		h.TypeError(fn, "%s must be %s, got %s", arg, want, builtins.Describe(v))
	}
	l := o.Get("length").ToFloat()
	if !(l >= 0) || l > maxValues {
		h.RangeError(fn, "%s may have at most %d elements, got %s", arg, maxValues, builtins.Describe(o.Get("length")))
	}
	return o, int(l)
}

// numbersArg reads an array of finite numbers with at least min elements.
func numbersArg(h *builtins.Host, call goja.FunctionCall, i int, fn, arg string, min int) []float64 {
	o, n := arrayArg(h, call, i, fn, arg, "an array of numbers")
	if n < min {
		if min == 1 {
			h.RangeError(fn, "%s must not be empty", arg)
		}
		h.RangeError(fn, "%s needs at least %d numbers, got %d", arg, min, n)
	}
	out := make([]float64, n)
	for k := range n {
		el := o.Get(strconv.Itoa(k))
		f, ok := builtins.NumberOf(el)
		if !ok {
			h.TypeError(fn, "%s[%d] must be a number, got %s", arg, k, builtins.Describe(el))
		}
		if !finite(f) {
			h.RangeError(fn, "%s[%d] must be a finite number, got %s", arg, k, builtins.Describe(el))
		}
		out[k] = f
	}
	return out
}

// daysArg reads an array of dates (JS Dates or date strings, as Host.Date accepts) and returns each
// one's distance in whole calendar days from the first, in the execution's time zone. Every date
// must be on or after the first (Excel: #NUM!), and there must be exactly count of them.
func daysArg(h *builtins.Host, call goja.FunctionCall, i int, fn, arg string, count int, countArg string) []float64 {
	o, n := arrayArg(h, call, i, fn, arg, `an array of Dates or "YYYY-MM-DD" strings`)
	if n != count {
		h.RangeError(fn, "%s must have one date for each of the %d %s, got %d", arg, count, countArg, n)
	}
	out := make([]float64, n)
	var first int64
	for k := range n {
		el := o.Get(strconv.Itoa(k))
		t := h.Date(goja.FunctionCall{This: goja.Undefined(), Arguments: []goja.Value{el}}, 0, fn, arg+"["+strconv.Itoa(k)+"]")
		d := civilDay(t)
		if k == 0 {
			first = d
		} else if d < first {
			h.RangeError(fn, "%s[%d] (%s) is before the first date %s[0] (%s)", arg, k, t.Format(time.DateOnly), arg, civilString(first))
		}
		out[k] = float64(d - first)
	}
	return out
}

// civilDay numbers t's calendar date (in t's own zone) in days since 1970-01-01, so differences
// are whole days whatever the DST changes in between.
func civilDay(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func civilString(day int64) string {
	return time.Unix(day*86400, 0).UTC().Format(time.DateOnly)
}

// signChange reports whether values has at least one positive and one negative number.
func signChange(values []float64) bool {
	pos, neg := false, false
	for _, v := range values {
		pos = pos || v > 0
		neg = neg || v < 0
	}
	return pos && neg
}

// result returns x to JS, or throws a RangeError when it is not a finite number (an overflow, or
// no solution).
func result(h *builtins.Host, fn string, x float64, why string) goja.Value {
	if !finite(x) {
		if why == "" {
			why = "the result is not a finite number (the inputs overflow)"
		}
		h.RangeError(fn, "%s", why)
	}
	return h.VM.ToValue(x + 0) // −0 → 0
}
