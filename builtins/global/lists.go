package global

import (
	"math"
	"reflect"
	"strconv"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// numbersOf reads the numbers MIN, MAX, SUM and AVG work on: the arguments, or the elements of
// the only argument when that is an array. Anything that is not a number primitive (a numeric
// string, null, a nested array, a hole) is a TypeError naming its position: "argument 2"
// (1-based, as a rule author counts arguments) or "values[1]" (the JS index in the array).
// NaN and ±Infinity are numbers and propagate as in Math.min / Math.max.
func numbersOf(h *builtins.Host, call goja.FunctionCall, fn string, buf []float64) []float64 {
	out := buf[:0]
	if len(call.Arguments) == 1 {
		if o, ok := call.Arguments[0].(*goja.Object); ok && o.ClassName() == "Array" {
			// Element by element (not Runtime.ExportTo into []goja.Value, which panics on a hole):
			// a hole reads as undefined and stops the loop at once, so new Array(1e9) costs nothing.
			n := o.Get("length").ToInteger()
			for i := int64(0); i < n; i++ {
				v := o.Get(strconv.FormatInt(i, 10))
				f, ok := builtins.NumberOf(v)
				if !ok {
					h.TypeError(fn, "values[%d] must be a number, got %s", i, builtins.Describe(v))
				}
				out = append(out, f)
			}
			return out
		}
	}
	for i, v := range call.Arguments {
		f, ok := builtins.NumberOf(v)
		if !ok {
			if len(call.Arguments) == 1 {
				h.TypeError(fn, "argument 1 must be a number or an array of numbers, got %s", builtins.Describe(v))
			}
			h.TypeError(fn, "argument %d must be a number, got %s", i+1, builtins.Describe(v))
		}
		out = append(out, f)
	}
	return out
}

// sum adds with Neumaier's compensation, so many small amounts do not drift (ten times 0.1 is 1,
// not 0.9999999999999999). With an infinity or NaN among them, the plain sum is the answer.
func sum(xs []float64) float64 {
	s, c := 0.0, 0.0
	for _, x := range xs {
		t := s + x
		if math.Abs(s) >= math.Abs(x) {
			c += (s - t) + x
		} else {
			c += (x - t) + s
		}
		s = t
	}
	if math.IsNaN(c) || math.IsInf(c, 0) || math.IsInf(s, 0) || math.IsNaN(s) {
		return s
	}
	return s + c
}

func aggregate(fn string, f func(xs []float64) float64, emptyOK bool) func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	return func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			var buf [16]float64
			xs := numbersOf(h, call, fn, buf[:])
			if len(xs) == 0 && !emptyOK {
				h.RangeError(fn, "no values (pass numbers or a non-empty array)")
			}
			return h.VM.ToValue(f(xs))
		}
	}
}

func minOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs[1:] {
		m = math.Min(m, x) // NaN wins; −0 < +0, as Math.min
	}
	return m
}

func maxOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs[1:] {
		m = math.Max(m, x)
	}
	return m
}

func avgOf(xs []float64) float64 { return sum(xs) / float64(len(xs)) }

var proxyType = reflect.TypeOf(goja.Proxy{})

// isEmpty is ISEMPTY: null, undefined, "", an array of length 0 and a plain object (its prototype
// is Object.prototype or null) without own enumerable keys are empty; everything else (0, false,
// NaN, a Date, a function, a Map, an instance of a class, a Proxy, ...) is not. A Proxy is not
// inspected, so its traps never run.
func isEmpty(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	// Captured at install, before a ruleset could shadow Object.
	objectProto := h.VM.Get("Object").(*goja.Object).Get("prototype").(*goja.Object)
	return func(call goja.FunctionCall) goja.Value {
		v := call.Argument(0)
		switch {
		case goja.IsUndefined(v) || goja.IsNull(v):
			return h.VM.ToValue(true)
		}
		if s, ok := v.(goja.String); ok {
			return h.VM.ToValue(s.Length() == 0)
		}
		o, ok := v.(*goja.Object)
		if !ok {
			return h.VM.ToValue(false)
		}
		switch o.ClassName() {
		case "Array":
			return h.VM.ToValue(o.Get("length").ToInteger() == 0)
		case "Object":
			if o.ExportType() == proxyType {
				return h.VM.ToValue(false)
			}
			if p := o.Prototype(); p != nil && p != objectProto {
				return h.VM.ToValue(false)
			}
			return h.VM.ToValue(len(o.Keys()) == 0)
		}
		return h.VM.ToValue(false)
	}
}

// coalesce is COALESCE: the first argument that is neither null nor undefined, else null.
func coalesce(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		for _, v := range call.Arguments {
			if v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) {
				return v
			}
		}
		return goja.Null()
	}
}
