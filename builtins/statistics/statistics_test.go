package statistics

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
)

var clock = time.Date(2024, 6, 14, 22, 30, 0, 0, time.UTC)

// newVM installs the module on a fresh runtime and points it at an execution.
func newVM(t testing.TB, exec *builtins.Exec) (*goja.Runtime, *builtins.Host) {
	t.Helper()
	vm, h := builtinstest.NewVM(t, exec, Module)
	return vm, h
}

func sameValue(got, want any, tol float64) bool {
	if w, ok := want.([]float64); ok {
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !sameValue(g[i], w[i], tol) {
				return false
			}
		}
		return true
	}
	gf, gok := toFloat(got)
	wf, wok := toFloat(want)
	if gok && wok {
		if gf == wf || math.IsNaN(gf) && math.IsNaN(wf) {
			return true
		}
		return math.Abs(gf-wf) <= tol*math.Abs(wf)
	}
	return got == want
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

const rel = 1e-12 // the contract's tolerance

func TestDocumented(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock})
	runCases(t, vm, []jsCase{
		// builtins.md, "Statistics": documented values, reproduced exactly
		{"Statistics.mean([1,2,3,4,5,6,7,8,9,25])", 7, 0},
		{"Statistics.median([1,2,3,4,5,6,7,8,9,25])", 5.5, 0},
		{"Statistics.mode([1,2,3,4,4,6,7,8,9,25])", 4, 0},
		{"Statistics.mode([1,2,3,4,4,6,7,7,9,25])", 4, 0},
		{"Statistics.modes([1,2,3,4,4,6,7,8,9,25])", []float64{4}, 0},
		{"Statistics.modes([1,2,3,4,4,6,7,7,9,25])", []float64{4, 7}, 0},
	})
}

// Excel vectors: the examples of Microsoft's documentation pages for each function
// (support.microsoft.com, "STDEV.S function", "STDEV.P function", "VAR.S function", "VAR.P function",
// "PERCENTILE.INC function", "QUARTILE.INC function", "SLOPE function", "INTERCEPT function",
// "CORREL function", "MEDIAN function", "MODE.SNGL function", "MODE.MULT function"). Excel shows
// them rounded, so each is checked twice: against the shown result to its shown digits, and against
// the exact result (computed with rational arithmetic) to the contract's 1e-12.
func TestExcelVectors(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock})
	const strength = "[1345,1301,1368,1322,1310,1370,1318,1350,1303,1299]" // STDEV/VAR examples
	runCases(t, vm, []jsCase{
		{"Statistics.stdev(" + strength + ")", 27.46391572, 1e-9},
		{"Statistics.stdev(" + strength + ")", 27.463915719843495, rel},
		{"Statistics.stdevP(" + strength + ")", 26.05455814, 1e-9},
		{"Statistics.stdevP(" + strength + ")", 26.054558142482477, rel},
		{"Statistics.variance(" + strength + ")", 754.2666667, 1e-9},
		{"Statistics.variance(" + strength + ")", 11314.0 / 15, rel},
		{"Statistics.varianceP(" + strength + ")", 678.84, rel},
		{"Statistics.percentile([1,3,2,4], 0.3)", 1.9, rel},
		{"Statistics.quartile([1,2,4,7,8,9,10,12], 1)", 3.5, 0},
		{"Statistics.slope([2,3,9,1,8,7,5], [6,5,11,7,5,4,4])", 0.305555556, 1e-8},
		{"Statistics.slope([2,3,9,1,8,7,5], [6,5,11,7,5,4,4])", 11.0 / 36, rel},
		{"Statistics.intercept([2,3,9,1,8], [6,5,11,7,5])", 0.0483871, 1e-6},
		{"Statistics.intercept([2,3,9,1,8], [6,5,11,7,5])", 3.0 / 62, rel},
		{"Statistics.correlation([3,2,4,5,6], [9,7,12,15,17])", 0.997054486, 1e-9},
		{"Statistics.correlation([3,2,4,5,6], [9,7,12,15,17])", 26 / math.Sqrt(680), rel},
		{"Statistics.median([1,2,3,4,5])", 3, 0},
		{"Statistics.median([1,2,3,4,5,6])", 3.5, 0},
		{"Statistics.mode([5.6,4,4,3,2,4])", 4, 0},
		{"Statistics.modes([1,2,3,4,3,2,1,2,3,5,6,1])", []float64{1, 2, 3}, 0},
	})
}

func TestFunctions(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock})
	runCases(t, vm, []jsCase{
		{"Statistics.mean([5])", 5, 0},
		{"Statistics.mean([-1, 1])", 0, 0},
		{"Statistics.mean([1.5, 2.5])", 2, 0},
		{"Statistics.mean([1e308, 1e308])", 1e308, rel}, // the sum overflows, the mean does not
		{"Statistics.mean(Array(1000).fill(0.1))", 0.1, 0},
		{"Statistics.median([3, 1, 2])", 2, 0},
		{"Statistics.median([7])", 7, 0},
		{"Statistics.median([-5, 10])", 2.5, 0},
		{"Statistics.median([1.7976931348623157e308, 1.7976931348623157e308])", 1.7976931348623157e308, 0},
		{"Statistics.mode([3, 1, 2])", 1, 0}, // all distinct: the lowest
		{"Statistics.mode([2, 2, -1, -1])", -1, 0},
		{"Statistics.mode([0.1, 0.1, 0.2])", 0.1, 0},
		{"Statistics.modes([3, 1, 2])", []float64{1, 2, 3}, 0},
		{"Statistics.modes([9])", []float64{9}, 0},
		{"Statistics.modes([5, 5, 5, 1, 1])", []float64{5}, 0},
		{"Statistics.modes([0, -0]).length", 1, 0},
		{"Statistics.sum([])", 0, 0},
		{"Statistics.sum([1, 2, 3.5])", 6.5, 0},
		{"Statistics.sum([0.1, 0.2, 0.3])", 0.6, 0},
		{"Statistics.sum([1e100, 1, -1e100])", 1, 0}, // compensated
		{"Statistics.sum(Array(10).fill(0.1))", 1, 0},
		{"Statistics.min([3, -1, 2])", -1, 0},
		{"Statistics.max([3, -1, 2])", 3, 0},
		{"Statistics.min([4])", 4, 0},
		{"Statistics.variance([2,4,4,4,5,5,7,9])", 32.0 / 7, rel},
		{"Statistics.varianceP([2,4,4,4,5,5,7,9])", 4, 0},
		{"Statistics.stdevP([2,4,4,4,5,5,7,9])", 2, 0},
		{"Statistics.stdev([2,4,4,4,5,5,7,9])", math.Sqrt(32.0 / 7), rel},
		{"Statistics.varianceP([42])", 0, 0},
		{"Statistics.stdevP([42])", 0, 0},
		{"Statistics.variance([1e9+4, 1e9+7, 1e9+13, 1e9+16])", 30, rel}, // no cancellation
		{"Statistics.variance([-1e300, 1e300])", math.Inf(1), 0},         // 2e600 overflows: Infinity
		{"Statistics.stdev([-1e300, 1e300])", math.Sqrt2 * 1e300, rel},   // scaled, no overflow
		{"Statistics.percentile([1,2,3,4], 0)", 1, 0},
		{"Statistics.percentile([1,2,3,4], 1)", 4, 0},
		{"Statistics.percentile([4,3,2,1], 0.5)", 2.5, 0},
		{"Statistics.percentile([10], 0.75)", 10, 0},
		{"Statistics.percentile([15, 20, 35, 40, 50], 0.4)", 29, rel},
		{"Statistics.quartile([1,2,4,7,8,9,10,12], 0)", 1, 0},
		{"Statistics.quartile([1,2,4,7,8,9,10,12], 2)", 7.5, 0},
		{"Statistics.quartile([1,2,4,7,8,9,10,12], 3)", 9.25, 0},
		{"Statistics.quartile([1,2,4,7,8,9,10,12], 4)", 12, 0},
		// regression: default xs 1..n, numbers, years, months
		{"Statistics.slope([3, 5, 7])", 2, 0},
		{"Statistics.intercept([3, 5, 7])", 1, 0},
		{"Statistics.slope([1, 2, 3], [1, 2, 3])", 1, 0},
		{"Statistics.slope([10, 12, 14], ['2021', '2022', '2023'])", 2, 0},
		{"Statistics.intercept([10, 12, 14], ['2021', '2022', '2023'])", -4032, 0},
		{"Statistics.slope([10, 12, 14], ['2023-11', '2023-12', '2024-01'])", 2, 0},
		{"Statistics.slope([10, 34], ['2023-01', '2024-01'])", 2, 0},
		{"Statistics.intercept([0, 12], ['0000-01', '0001-01'])", 0, 0},
		{"Statistics.intercept([1, 2], ['0000-02', '0000-03'])", 0, 0},
		{"Statistics.slope([5, 5, 5])", 0, 0},
		{"Statistics.slope([1e300, 2e300], [1e300, 2e300])", 1, rel},
		{"Statistics.intercept([3e300, 5e300], [1, 2])", 1e300, rel},
		{"Statistics.correlation([1, 2, 3], [3, 2, 1])", -1, 0},
		{"Statistics.correlation([1, 2, 3], [2, 4, 6])", 1, 0},
		{"Statistics.correlation([1, 2, 3, 4], [1, 3, 2, 4])", 0.8, rel},
		{"Statistics.correlation([1e300, -1e300, 0], [1, -1, 0])", 1, rel},
		{"Statistics.correlation([1e-300, 2e-300, 4e-300], [1, 2, 4])", 1, rel},
		{"Statistics.slope([1e-300, 2e-300, 4e-300], [1, 2, 4])", 1e-300, rel},
		// getters run, and may throw through
		{"Statistics.sum([1, 2].concat([3]))", 6, 0},
	})
}

func TestWrongArguments(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock})
	runCases(t, vm, []jsCase{
		{"Statistics.median([])", "RangeError: Statistics.median: values is empty", 0},
		{"Statistics.mean([])", "RangeError: Statistics.mean: values is empty", 0},
		{"Statistics.mode([])", "RangeError: Statistics.mode: values is empty", 0},
		{"Statistics.modes([])", "RangeError: Statistics.modes: values is empty", 0},
		{"Statistics.min([])", "RangeError: Statistics.min: values is empty", 0},
		{"Statistics.max([])", "RangeError: Statistics.max: values is empty", 0},
		{"Statistics.varianceP([])", "RangeError: Statistics.varianceP: values is empty", 0},
		{"Statistics.variance([1])", "RangeError: Statistics.variance: values needs at least 2 values, got 1", 0},
		{"Statistics.stdev([1])", "RangeError: Statistics.stdev: values needs at least 2 values, got 1", 0},
		{"Statistics.mean()", "TypeError: Statistics.mean: values is required (an array of numbers)", 0},
		{"Statistics.mean(5)", "TypeError: Statistics.mean: values must be an array of numbers, got 5", 0},
		{"Statistics.mean('1,2')", `TypeError: Statistics.mean: values must be an array of numbers, got "1,2"`, 0},
		{"Statistics.mean({length: 2, 0: 1, 1: 2})", "TypeError: Statistics.mean: values must be an array of numbers, got an object", 0},
		{"Statistics.mean([1, '2'])", `TypeError: Statistics.mean: values[1] must be a number, got "2"`, 0},
		{"Statistics.mean([1, null])", "TypeError: Statistics.mean: values[1] must be a number, got null", 0},
		{"Statistics.mean([1, , 3])", "TypeError: Statistics.mean: values[1] must be a number, got undefined", 0},
		{"Statistics.mean([1, new Number(2)])", "TypeError: Statistics.mean: values[1] must be a number, got a Number object", 0},
		{"Statistics.sum([1, NaN])", "RangeError: Statistics.sum: values[1] must be a finite number, got NaN", 0},
		{"Statistics.max([Infinity])", "RangeError: Statistics.max: values[0] must be a finite number, got Infinity", 0},
		{"(() => { const a = []; a.length = 4e9; return Statistics.sum(a) })()", "RangeError: Statistics.sum: values has 4000000000 elements, more than the maximum of 10000000", 0},
		{"(() => { const a = []; a.length = 1e6; return Statistics.sum(a) })()", "TypeError: Statistics.sum: values[0] must be a number, got undefined", 0},
		{"Statistics.sum(Object.defineProperty([1, 2], 1, {get() { throw new Error('boom') }}))", "Error: boom", 0},
		{"Statistics.percentile([1, 2])", "TypeError: Statistics.percentile: p is required (a number)", 0},
		{"Statistics.percentile([1, 2], '0.5')", `TypeError: Statistics.percentile: p must be a number, got "0.5"`, 0},
		{"Statistics.percentile([1, 2], 1.5)", "RangeError: Statistics.percentile: p must be between 0 and 1, got 1.5", 0},
		{"Statistics.percentile([1, 2], -0.1)", "RangeError: Statistics.percentile: p must be between 0 and 1, got -0.1", 0},
		{"Statistics.percentile([1, 2], NaN)", "RangeError: Statistics.percentile: p must be between 0 and 1, got NaN", 0},
		{"Statistics.percentile([], 0.5)", "RangeError: Statistics.percentile: values is empty", 0},
		{"Statistics.quartile([1, 2], 5)", "RangeError: Statistics.quartile: q must be an integer between 0 and 4, got 5", 0},
		{"Statistics.quartile([1, 2], 1.5)", "RangeError: Statistics.quartile: q must be an integer between 0 and 4, got 1.5", 0},
		{"Statistics.quartile([1, 2])", "TypeError: Statistics.quartile: q is required (an integer)", 0},
		{"Statistics.slope([1])", "RangeError: Statistics.slope: ys needs at least 2 values, got 1", 0},
		{"Statistics.slope([1, 2], [1])", "RangeError: Statistics.slope: xs has 1 values but ys has 2: they must be equally long", 0},
		{"Statistics.slope([1, 2], [3, 3])", "RangeError: Statistics.slope: xs values are all equal: the regression line is undefined", 0},
		{"Statistics.intercept([1, 2], ['2024', '2024'])", "RangeError: Statistics.intercept: xs values are all equal: the regression line is undefined", 0},
		{"Statistics.slope([1, 2], '2024')", `TypeError: Statistics.slope: xs must be an array of numbers or of "YYYY" / "YYYY-MM" strings, got "2024"`, 0},
		{"Statistics.slope([1, 2], [])", "RangeError: Statistics.slope: xs is empty", 0},
		{"Statistics.slope([1, 2], ['2024', '2025-01'])", `RangeError: Statistics.slope: xs mixes "YYYY" and "YYYY-MM" strings (xs[1] is "2025-01"): use one form`, 0},
		{"Statistics.slope([1, 2], ['2024', 2025])", `TypeError: Statistics.slope: xs[1] must be a "YYYY" or "YYYY-MM" string like xs[0], got 2025`, 0},
		{"Statistics.slope([1, 2], [2024, '2025'])", `TypeError: Statistics.slope: xs[1] must be a number, got "2025"`, 0},
		{"Statistics.slope([1, 2], ['2024-13', '2025-01'])", `RangeError: Statistics.slope: xs[0] must be a "YYYY" or "YYYY-MM" string, got "2024-13"`, 0},
		{"Statistics.slope([1, 2], ['24', '25'])", `RangeError: Statistics.slope: xs[0] must be a "YYYY" or "YYYY-MM" string, got "24"`, 0},
		{"Statistics.slope([1, 2], ['2024-1', '2025-1'])", `RangeError: Statistics.slope: xs[0] must be a "YYYY" or "YYYY-MM" string, got "2024-1"`, 0},
		{"Statistics.slope([1, 2], ['+024', '2025'])", `RangeError: Statistics.slope: xs[0] must be a "YYYY" or "YYYY-MM" string, got "+024"`, 0},
		{"Statistics.slope([1, 2], ['2024-00', '2025-01'])", `RangeError: Statistics.slope: xs[0] must be a "YYYY" or "YYYY-MM" string, got "2024-00"`, 0},
		{"Statistics.correlation([1, 2, 3], [1, 2])", "RangeError: Statistics.correlation: xs has 3 values but ys has 2: they must be equally long", 0},
		{"Statistics.correlation([1, 2], [5, 5])", "RangeError: Statistics.correlation: xs or ys is constant: the correlation is undefined", 0},
		{"Statistics.correlation([1])", "RangeError: Statistics.correlation: xs needs at least 2 values, got 1", 0},
		{"Statistics.correlation([1, 2])", "TypeError: Statistics.correlation: ys is required (an array of numbers)", 0},
		{"Statistics.normalRandom('1')", `TypeError: Statistics.normalRandom: mean must be a number, got "1"`, 0},
		{"Statistics.normalRandom(0, -1)", "RangeError: Statistics.normalRandom: sd must not be negative, got -1", 0},
		{"Statistics.normalRandom(0, NaN)", "RangeError: Statistics.normalRandom: sd must be a finite number, got NaN", 0},
		{"Statistics.normalRandom(Infinity)", "RangeError: Statistics.normalRandom: mean must be a finite number, got Infinity", 0},
	})
}

func draws(t *testing.T, vm *goja.Runtime, n int) []any {
	t.Helper()
	got := builtinstest.Eval(t, vm, "Array.from({length: "+strconv.Itoa(n)+"}, () => Statistics.normalRandom())")
	arr, ok := got.([]any)
	if !ok {
		t.Fatalf("draws: %v", got)
	}
	return arr
}

func TestNormalRandomSeeding(t *testing.T) {
	var serial uint64 // the engine numbers executions; so do these
	exec := func(now time.Time, name string) *builtins.Exec {
		serial++
		return &builtins.Exec{Serial: serial, Now: now, Ruleset: builtins.RulesetInfo{Name: name, Version: "1"}}
	}
	vm1, h1 := newVM(t, exec(clock, "loans"))
	first := draws(t, vm1, 5)
	for i := 1; i < len(first); i++ {
		if first[i] == first[0] {
			t.Fatalf("the sequence does not advance: %v", first)
		}
	}
	// the same execution clock and ruleset on another runtime: the same numbers
	vm2, h2 := newVM(t, exec(clock, "loans"))
	if again := draws(t, vm2, 5); !equalAny(again, first) {
		t.Errorf("another runtime drew %v, want %v", again, first)
	}
	// the next execution on a pooled runtime starts over
	h1.SetExec(exec(clock, "loans"))
	if again := draws(t, vm1, 5); !equalAny(again, first) {
		t.Errorf("the next execution drew %v, want %v", again, first)
	}
	// another clock or another ruleset: other numbers
	h2.SetExec(exec(clock.Add(time.Millisecond), "loans"))
	if other := draws(t, vm2, 5); equalAny(other, first) {
		t.Errorf("another clock drew the same numbers %v", other)
	}
	h2.SetExec(exec(clock, "mortgages"))
	if other := draws(t, vm2, 5); equalAny(other, first) {
		t.Errorf("another ruleset drew the same numbers %v", other)
	}
	// one execution (one serial) continues its sequence, whatever else happens meanwhile
	e := exec(clock, "loans")
	h2.SetExec(e)
	draws(t, vm2, 2)
	h2.SetExec(e)
	if got := draws(t, vm2, 1); got[0] != first[2] {
		t.Errorf("same execution: third draw %v, want %v", got[0], first[2])
	}
	// the numbers are pinned: a change of algorithm changes testcase results, so it must be deliberate
	if got := builtinstest.Eval(t, vm1, "Statistics.normalRandom(100, 15)"); !sameValue(got, pinnedDraw, 0) {
		t.Errorf("sixth draw for the pinned execution = %v, want %v", got, pinnedDraw)
	}
	// sd 0 is the mean exactly; outside an execution it throws an Error
	runCases(t, vm1, []jsCase{{"Statistics.normalRandom(3, 0)", 3, 0}})
	h1.SetExec(nil)
	runCases(t, vm1, []jsCase{{"Statistics.normalRandom()", "Error: Statistics.normalRandom: no execution is running (call it from a rule, not while the ruleset loads)", 0}})
}

// pinnedDraw is Statistics.normalRandom(100, 15) after five standard draws for ruleset loans 1 at clock.
const pinnedDraw = 90.65070840062896

func equalAny(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNormalRandomDistribution(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock})
	const n = 200000
	got := builtinstest.Eval(t, vm, "Array.from({length: "+strconv.Itoa(n)+"}, () => Statistics.normalRandom(10, 2))").([]any)
	var sum, sq float64
	within1 := 0
	for _, v := range got {
		x, _ := toFloat(v)
		sum += x
		sq += x * x
		if math.Abs(x-10) < 2 {
			within1++
		}
	}
	mean := sum / n
	sd := math.Sqrt(sq/n - mean*mean)
	if math.Abs(mean-10) > 0.03 || math.Abs(sd-2) > 0.03 {
		t.Errorf("mean %v sd %v, want 10 and 2", mean, sd)
	}
	if f := float64(within1) / n; math.Abs(f-0.6827) > 0.005 {
		t.Errorf("%v within one sd, want 0.6827", f)
	}
}

func TestModule(t *testing.T) {
	m := Module
	if m.Name() != "Statistics" {
		t.Errorf("Name = %q", m.Name())
	}
	typings := m.Typings()
	ref := m.Reference()
	if len(ref) != len(functions) {
		t.Fatalf("Reference has %d entries, want %d", len(ref), len(functions))
	}
	vm, _ := newVM(t, &builtins.Exec{Now: clock})
	for _, f := range functions {
		if !strings.Contains(typings, "function "+f.Name+f.Signature+";") {
			t.Errorf("typings lack %s", f.Name)
		}
		if f.Doc == "" || strings.Contains(f.Doc, "\n") || f.Example == "" {
			t.Errorf("%s: Doc must be one line and Example set", f.Name)
		}
		if got := builtinstest.Eval(t, vm, "typeof Statistics."+f.Name); got != "function" {
			t.Errorf("Statistics.%s is %v", f.Name, got)
		}
		// every example runs and (unless marked "e.g.") gives its documented value
		expr, want, ok := strings.Cut(f.Example, " // ")
		if !ok {
			t.Errorf("%s: example %q has no // result", f.Name, f.Example)
			continue
		}
		got := builtinstest.Eval(t, vm, "JSON.stringify("+expr+")")
		if !strings.HasPrefix(want, "e.g.") && got != strings.ReplaceAll(want, ", ", ",") {
			t.Errorf("%s: example %s gives %v, doc says %s", f.Name, expr, got, want)
		}
	}
}

type jsCase struct {
	expr string
	want any     // float64 / int / string / bool / []float64
	tol  float64 // relative tolerance for numbers; 0 means exact
}

func runCases(t *testing.T, vm *goja.Runtime, cases []jsCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			got := builtinstest.Eval(t, vm, c.expr)
			if !sameValue(got, c.want, c.tol) {
				t.Errorf("%s = %#v, want %#v", c.expr, got, c.want)
			}
		})
	}
}
