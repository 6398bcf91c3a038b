// Package statistics is the "Statistics" module: descriptive statistics (mean, median, mode,
// variance, percentiles, ...), least-squares linear regression (slope, intercept), Pearson
// correlation and normally distributed random numbers that repeat per execution clock.
// See /shared/design/builtins.md for the contract.
//
// Conventions shared by every function:
//   - values are JS arrays of finite numbers. A non-array, or an element that is not a number
//     primitive, is a TypeError; NaN or ±Infinity, an empty array where a value is needed, or
//     arrays of different lengths are RangeErrors. Messages name the function and the argument
//     ("Statistics.median: values is empty").
//   - Results follow Excel where Excel has the function: VAR.S/STDEV.S (sample, n−1),
//     VAR.P/STDEV.P (population), PERCENTILE.INC, QUARTILE.INC, SLOPE, INTERCEPT, CORREL.
package statistics

import (
	"strconv"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// namespace is the global the module defines.
const namespace = "Statistics"

// Module installs the Statistics namespace.
var Module = builtins.Namespace{
	Global: namespace,
	Doc:    "Statistics over arrays of finite numbers (module \"Statistics\"); Excel-compatible where Excel has the function.",
	Fns:    functions,
}

// MaxValues bounds how many elements a values array may have.
const MaxValues = 10_000_000

var functions = []builtins.Fn{
	{
		Name:      "mean",
		Signature: "(values: number[]): number",
		Doc:       "Arithmetic mean (average) of values; throws a RangeError when values is empty.",
		Example:   "Statistics.mean([1, 2, 3, 4, 5, 6, 7, 8, 9, 25]) // 7",
		Impl:      unary("mean", 1, mean),
	},
	{
		Name:      "median",
		Signature: "(values: number[]): number",
		Doc:       "Middle value of the sorted values; the mean of the two middle values when their count is even.",
		Example:   "Statistics.median([1, 2, 3, 4, 5, 6, 7, 8, 9, 25]) // 5.5",
		Impl:      unary("median", 1, median),
	},
	{
		Name:      "mode",
		Signature: "(values: number[]): number",
		Doc:       "Most frequent value; when several values are equally frequent (including when all are distinct), the lowest of them.",
		Example:   "Statistics.mode([1, 2, 3, 4, 4, 6, 7, 7, 9, 25]) // 4",
		Impl:      unary("mode", 1, func(v []float64) float64 { return modes(v)[0] }),
	},
	{
		Name:      "modes",
		Signature: "(values: number[]): number[]",
		Doc:       "All most frequent values, in ascending order (every value when all are distinct).",
		Example:   "Statistics.modes([1, 2, 3, 4, 4, 6, 7, 7, 9, 25]) // [4, 7]",
		Impl:      modesFn,
	},
	{
		Name:      "sum",
		Signature: "(values: number[]): number",
		Doc:       "Sum of values (compensated summation, so long sums lose no precision); 0 for an empty array.",
		Example:   "Statistics.sum([0.1, 0.2, 0.3]) // 0.6",
		Impl:      unary("sum", 0, sum),
	},
	{
		Name:      "min",
		Signature: "(values: number[]): number",
		Doc:       "Smallest of values; throws a RangeError when values is empty.",
		Example:   "Statistics.min([3, 1, 2]) // 1",
		Impl:      unary("min", 1, minOf),
	},
	{
		Name:      "max",
		Signature: "(values: number[]): number",
		Doc:       "Largest of values; throws a RangeError when values is empty.",
		Example:   "Statistics.max([3, 1, 2]) // 3",
		Impl:      unary("max", 1, maxOf),
	},
	{
		Name:      "variance",
		Signature: "(values: number[]): number",
		Doc:       "Sample variance (divides by n − 1, Excel VAR.S); needs at least 2 values.",
		Example:   "Statistics.variance([2, 4, 4, 4, 5, 5, 7, 9]) // 4.571428571428571",
		Impl:      unary("variance", 2, func(v []float64) float64 { return variance(v, true) }),
	},
	{
		Name:      "stdev",
		Signature: "(values: number[]): number",
		Doc:       "Sample standard deviation (square root of the n − 1 variance, Excel STDEV.S); needs at least 2 values.",
		Example:   "Statistics.stdev([2, 4, 4, 4, 5, 5, 7, 9]) // 2.138089935299395",
		Impl:      unary("stdev", 2, func(v []float64) float64 { return stdev(v, true) }),
	},
	{
		Name:      "varianceP",
		Signature: "(values: number[]): number",
		Doc:       "Population variance (divides by n, Excel VAR.P); needs at least 1 value.",
		Example:   "Statistics.varianceP([2, 4, 4, 4, 5, 5, 7, 9]) // 4",
		Impl:      unary("varianceP", 1, func(v []float64) float64 { return variance(v, false) }),
	},
	{
		Name:      "stdevP",
		Signature: "(values: number[]): number",
		Doc:       "Population standard deviation (square root of the n variance, Excel STDEV.P); needs at least 1 value.",
		Example:   "Statistics.stdevP([2, 4, 4, 4, 5, 5, 7, 9]) // 2",
		Impl:      unary("stdevP", 1, func(v []float64) float64 { return stdev(v, false) }),
	},
	{
		Name:      "percentile",
		Signature: "(values: number[], p: number): number",
		Doc:       "The p-th percentile, p from 0 to 1 inclusive, interpolating linearly between the sorted values (Excel PERCENTILE.INC).",
		Example:   "Statistics.percentile([1, 3, 2, 4], 0.3) // 1.9",
		Impl:      percentileFn,
	},
	{
		Name:      "quartile",
		Signature: "(values: number[], q: 0 | 1 | 2 | 3 | 4): number",
		Doc:       "The q-th quartile, q an integer 0 (min), 1, 2 (median), 3 or 4 (max) (Excel QUARTILE.INC).",
		Example:   "Statistics.quartile([1, 2, 4, 7, 8, 9, 10, 12], 1) // 3.5",
		Impl:      quartileFn,
	},
	{
		Name:      "slope",
		Signature: "(ys: number[], xs?: number[] | string[]): number",
		Doc:       `Slope of the least-squares regression line through (xs, ys) (Excel SLOPE). xs defaults to 1..n; xs may be "YYYY" strings (x is the year: slope per year) or "YYYY-MM" strings (x is months since January of year 0, year × 12 + month − 1: slope per month), not mixed.`,
		Example:   `Statistics.slope([10, 12, 14], ["2021", "2022", "2023"]) // 2`,
		Impl:      regression("slope", false),
	},
	{
		Name:      "intercept",
		Signature: "(ys: number[], xs?: number[] | string[]): number",
		Doc:       `Value at x = 0 of the least-squares regression line through (xs, ys) (Excel INTERCEPT). xs as for slope: defaults to 1..n; for "YYYY" or "YYYY-MM" strings x = 0 is (January of) year 0.`,
		Example:   "Statistics.intercept([2, 3, 9, 1, 8], [6, 5, 11, 7, 5]) // 0.04838709677419306",
		Impl:      regression("intercept", true),
	},
	{
		Name:      "correlation",
		Signature: "(xs: number[], ys: number[]): number",
		Doc:       "Pearson correlation coefficient of two equally long arrays, from −1 to 1 (Excel CORREL); needs at least 2 pairs and neither array constant.",
		Example:   "Statistics.correlation([3, 2, 4, 5, 6], [9, 7, 12, 15, 17]) // 0.9970544855015815",
		Impl:      correlationFn,
	},
	{
		Name:      "normalRandom",
		Signature: "(mean?: number, sd?: number): number",
		Doc:       "A normally distributed random number (default mean 0, sd 1; sd ≥ 0). Seeded from the execution clock and the ruleset name and version, so an execution with a fixed `now:` draws the same sequence on every run.",
		Example:   "Statistics.normalRandom(100, 15) // e.g. 93.1 (repeatable for a fixed now:)",
		Impl:      normalRandom,
	},
}

// numbers reads argument i as an array of finite numbers with at least least elements.
func numbers(h *builtins.Host, call goja.FunctionCall, i int, fn, arg string, least int) []float64 {
	v := call.Argument(i)
	o, ok := v.(*goja.Object)
	if !ok || o.ClassName() != "Array" {
		if i >= len(call.Arguments) {
			h.TypeError(fn, "%s is required (an array of numbers)", arg)
		}
		h.TypeError(fn, "%s must be an array of numbers, got %s", arg, builtins.Describe(v))
	}
	n := o.Get("length").ToInteger()
	if n > MaxValues {
		h.RangeError(fn, "%s has %d elements, more than the maximum of %d", arg, n, MaxValues)
	}
	if n < int64(least) {
		if n == 0 {
			h.RangeError(fn, "%s is empty", arg)
		}
		h.RangeError(fn, "%s needs at least %d values, got %d", arg, least, n)
	}
	out := make([]float64, 0, min(n, 4096)) // a sparse array may claim a huge length
	for k := range int(n) {
		e := o.Get(strconv.Itoa(k))
		f, ok := builtins.NumberOf(e)
		if !ok {
			h.TypeError(fn, "%s[%d] must be a number, got %s", arg, k, builtins.Describe(e))
		}
		if !finite(f) {
			h.RangeError(fn, "%s[%d] must be a finite number, got %s", arg, k, builtins.Describe(e))
		}
		out = append(out, f)
	}
	return out
}

// unary makes a function of one values array with at least min elements.
func unary(name string, min int, f func([]float64) float64) func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	fn := namespace + "." + name
	return func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			return h.VM.ToValue(f(numbers(h, call, 0, fn, "values", min)))
		}
	}
}

func modesFn(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = namespace + ".modes"
	return func(call goja.FunctionCall) goja.Value {
		m := modes(numbers(h, call, 0, fn, "values", 1))
		out := make([]any, len(m))
		for i, x := range m {
			out[i] = x
		}
		return h.VM.NewArray(out...)
	}
}

func percentileFn(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = namespace + ".percentile"
	return func(call goja.FunctionCall) goja.Value {
		values := numbers(h, call, 0, fn, "values", 1)
		p := h.Number(call, 1, fn, "p")
		if !(p >= 0 && p <= 1) { // also rejects NaN
			h.RangeError(fn, "p must be between 0 and 1, got %s", builtins.Describe(call.Argument(1)))
		}
		return h.VM.ToValue(percentile(values, p))
	}
}

func quartileFn(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = namespace + ".quartile"
	return func(call goja.FunctionCall) goja.Value {
		values := numbers(h, call, 0, fn, "values", 1)
		q := h.IntIn(call, 1, fn, "q", 0, 4)
		return h.VM.ToValue(percentile(values, float64(q)/4))
	}
}

func regression(name string, wantIntercept bool) func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	fn := namespace + "." + name
	return func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			ys := numbers(h, call, 0, fn, "ys", 2)
			var xs []float64
			if builtins.IsMissing(call.Argument(1)) {
				xs = make([]float64, len(ys))
				for i := range xs {
					xs[i] = float64(i + 1)
				}
			} else {
				xs = axis(h, call, 1, fn, "xs")
				if len(xs) != len(ys) {
					h.RangeError(fn, "xs has %d values but ys has %d: they must be equally long", len(xs), len(ys))
				}
			}
			slope, intercept, ok := linearFit(xs, ys)
			if !ok {
				h.RangeError(fn, "xs values are all equal: the regression line is undefined")
			}
			if wantIntercept {
				return h.VM.ToValue(intercept)
			}
			return h.VM.ToValue(slope)
		}
	}
}

// axis reads an x axis: an array of finite numbers, of "YYYY" strings (the year) or of "YYYY-MM"
// strings (months since January of year 0), all of one kind.
func axis(h *builtins.Host, call goja.FunctionCall, i int, fn, arg string) []float64 {
	v := call.Argument(i)
	o, ok := v.(*goja.Object)
	if !ok || o.ClassName() != "Array" {
		h.TypeError(fn, `%s must be an array of numbers or of "YYYY" / "YYYY-MM" strings, got %s`, arg, builtins.Describe(v))
	}
	n := o.Get("length").ToInteger()
	if n == 0 {
		h.RangeError(fn, "%s is empty", arg)
	}
	if n > MaxValues {
		h.RangeError(fn, "%s has %d elements, more than the maximum of %d", arg, n, MaxValues)
	}
	first := o.Get("0")
	if _, isNum := builtins.NumberOf(first); isNum {
		return numbers(h, call, i, fn, arg, 1)
	}
	out := make([]float64, 0, min(n, 4096)) // a sparse array may claim a huge length
	kind := 0                               // len("YYYY") or len("YYYY-MM") of the first element
	for k := range int(n) {
		e := o.Get(strconv.Itoa(k))
		s, ok := builtins.StringOf(e)
		if !ok {
			h.TypeError(fn, `%s[%d] must be a "YYYY" or "YYYY-MM" string like %s[0], got %s`, arg, k, arg, builtins.Describe(e))
		}
		x, ok := period(s)
		if !ok {
			h.RangeError(fn, `%s[%d] must be a "YYYY" or "YYYY-MM" string, got %s`, arg, k, builtins.Describe(e))
		}
		if k == 0 {
			kind = len(s)
		} else if len(s) != kind {
			h.RangeError(fn, `%s mixes "YYYY" and "YYYY-MM" strings (%s[%d] is %s): use one form`, arg, arg, k, builtins.Describe(e))
		}
		out = append(out, x)
	}
	return out
}

// period reads "YYYY" as the year and "YYYY-MM" as months since January of year 0.
func period(s string) (float64, bool) {
	digits := func(s string) (int, bool) {
		n := 0
		for _, c := range []byte(s) {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	switch len(s) {
	case len("2006"):
		y, ok := digits(s)
		return float64(y), ok
	case len("2006-01"):
		y, ok1 := digits(s[:4])
		m, ok2 := digits(s[5:])
		if !ok1 || !ok2 || s[4] != '-' || m < 1 || m > 12 {
			return 0, false
		}
		return float64(y*12 + m - 1), true
	}
	return 0, false
}

func correlationFn(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = namespace + ".correlation"
	return func(call goja.FunctionCall) goja.Value {
		xs := numbers(h, call, 0, fn, "xs", 2)
		ys := numbers(h, call, 1, fn, "ys", 2)
		if len(xs) != len(ys) {
			h.RangeError(fn, "xs has %d values but ys has %d: they must be equally long", len(xs), len(ys))
		}
		r, ok := correlation(xs, ys)
		if !ok {
			h.RangeError(fn, "xs or ys is constant: the correlation is undefined")
		}
		return h.VM.ToValue(r)
	}
}
