package global

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/kubusdev/kubus/builtins"
)

func TestFLOORAndCEIL(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock})
	runCases(t, vm, []jsCase{
		// decimal-correct: in binary 1.15 / 0.05 is 22.999999999999996
		{"FLOOR(1.15, 0.05)", 1.15},
		{"FLOOR(1.15, 0.05) === 1.15", true},
		{"CEIL(1.15, 0.05)", 1.15},
		{"FLOOR(0.3, 0.1)", 0.3},
		{"CEIL(0.3, 0.1)", 0.3},
		{"FLOOR(0.1 + 0.2, 0.1)", 0.3}, // 15 significant digits, as ROUND
		{"CEIL(0.1 + 0.2, 0.1)", 0.3},
		{"FLOOR(1.16, 0.05)", 1.15},
		{"CEIL(1.16, 0.05)", 1.2},
		{"FLOOR(1234.5678, 0.05)", 1234.55},
		{"CEIL(1234.5678, 0.05)", 1234.6},
		{"FLOOR(1234.5678, 0.01)", 1234.56},
		{"CEIL(1234.5678, 0.01)", 1234.57},
		{"FLOOR(4.35, 0.01)", 4.35},
		{"CEIL(4.35, 0.01)", 4.35},
		{"FLOOR(19.99, 0.25)", 19.75},
		{"CEIL(19.99, 0.25)", 20},
		// Excel FLOOR / CEILING with a positive step
		{"FLOOR(3.7, 2)", 2},
		{"CEIL(2.5, 1)", 3},
		{"FLOOR(7, 5)", 5},
		{"CEIL(7, 5)", 10},
		{"FLOOR(10, 5)", 10},
		{"CEIL(10, 5)", 10},
		{"FLOOR(1234, 100)", 1200},
		{"CEIL(1234, 100)", 1300},
		{"FLOOR(0.234, 0.01)", 0.23},
		{"CEIL(0.234, 0.01)", 0.24},
		// step defaults to 1
		{"FLOOR(2.7)", 2},
		{"CEIL(2.1)", 3},
		{"FLOOR(2.7, undefined)", 2},
		// negative numbers: toward −∞ (FLOOR) and +∞ (CEIL), as FLOOR.MATH / CEILING.MATH
		{"FLOOR(-2.5)", -3},
		{"CEIL(-2.5)", -2},
		{"FLOOR(-2.5, 2)", -4},
		{"CEIL(-2.5, 2)", -2},
		{"FLOOR(-1.15, 0.05)", -1.15},
		{"FLOOR(-1.16, 0.05)", -1.2},
		{"CEIL(-1.16, 0.05)", -1.15},
		{"Object.is(CEIL(-0.5), 0)", true}, // +0, never -0
		{"Object.is(FLOOR(-0), 0)", true},
		{"Object.is(CEIL(-0.5, 10), 0)", true},
		// the sign of step is ignored
		{"FLOOR(7, -5)", 5},
		{"CEIL(7, -5)", 10},
		{"FLOOR(-7, -5)", -10},
		// exponents far apart (the big-integer path)
		{"FLOOR(1e300, 0.01)", 1e300},
		{"CEIL(1e-300, 1)", 1},
		{"FLOOR(1e-300, 1)", 0},
		{"CEIL(1e-300, 1e-301)", 1e-300},
		{"FLOOR(123456789012345, 1e-10)", 123456789012345},
		{"CEIL(5e-324, 1e308)", 1e308},
		{"FLOOR(1.7976931348623157e308, 1)", 1.7976931348623157e308}, // a multiple whose 15-digit text overflows
		{"CEIL(1.7976931348623157e308, 1e308)", math.Inf(1)},
		{"FLOOR(-1.7976931348623157e308, 1e308)", math.Inf(-1)},
		{"FLOOR(1e20, 3)", 99999999999999999999.0}, // nearest float64: 1e20
		{"CEIL(1e20, 3)", 100000000000000000002.0},
		// NaN and infinities pass through
		{"Number.isNaN(FLOOR(NaN, 2))", true},
		{"CEIL(Infinity, 2)", math.Inf(1)},
		{"FLOOR(-Infinity)", math.Inf(-1)},
	})
}

func TestFLOORAndCEILWrongArguments(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock})
	var cases []jsCase
	for _, fn := range []string{"FLOOR", "CEIL"} {
		cases = append(cases,
			jsCase{fn + "()", "TypeError: " + fn + ": x is required (a number)"},
			jsCase{fn + "('1.5', 1)", `TypeError: ` + fn + `: x must be a number, got "1.5"`},
			jsCase{fn + "(null, 1)", "TypeError: " + fn + ": x must be a number, got null"},
			jsCase{fn + "(1, '1')", `TypeError: ` + fn + `: step must be a number, got "1"`},
			jsCase{fn + "(1, null)", "TypeError: " + fn + ": step must be a number, got null"},
			jsCase{fn + "(1, 0)", "RangeError: " + fn + ": step must not be 0"},
			jsCase{fn + "(1, -0)", "RangeError: " + fn + ": step must not be 0"},
			jsCase{fn + "(1, NaN)", "RangeError: " + fn + ": step must be a finite number, got NaN"},
			jsCase{fn + "(1, Infinity)", "RangeError: " + fn + ": step must be a finite number, got Infinity"},
		)
	}
	runCases(t, vm, cases)
}

// floorCeilReference is the definition: shopspring/decimal on x and step written to 15
// significant digits, (x / step) floored or ceiled exactly, times step, to the nearest float64.
func floorCeilReference(x, step float64, up bool) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x + 0
	}
	dx := decimal.RequireFromString(strconv.FormatFloat(x, 'e', significantDigits-1, 64))
	ds := decimal.RequireFromString(strconv.FormatFloat(math.Abs(step), 'e', significantDigits-1, 64))
	q := dx.DivRound(ds, 0) // a first guess; corrected below
	for q.Mul(ds).GreaterThan(dx) {
		q = q.Sub(decimal.New(1, 0))
	}
	for q.Add(decimal.New(1, 0)).Mul(ds).LessThanOrEqual(dx) {
		q = q.Add(decimal.New(1, 0))
	}
	if up && !q.Mul(ds).Equal(dx) {
		q = q.Add(decimal.New(1, 0))
	}
	f, _ := q.Mul(ds).Float64()
	return f + 0
}

func TestFloorCeilMatchesDecimalLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	steps := []float64{0.05, 0.01, 0.1, 0.25, 0.5, 1, 2, 5, 10, 100, 0.001, 1e-5, 0.3, 7, 12.5}
	for range 50_000 {
		var x float64
		switch rng.IntN(3) {
		case 0:
			x = float64(rng.Int64N(2e9)-1e9) / 1000
		case 1:
			x = (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(16)-4))
		default:
			x = float64(rng.IntN(20001)-10000) / 100
		}
		step := steps[rng.IntN(len(steps))]
		if rng.IntN(4) == 0 {
			step = (rng.Float64() + 0.001) * math.Pow(10, float64(rng.IntN(8)-4))
		}
		for _, up := range []bool{false, true} {
			got, want := floorCeil(x, step, up), floorCeilReference(x, step, up)
			if math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("floorCeil(%v, %v, up=%v) = %v, decimal library says %v", x, step, up, got, want)
			}
		}
	}
}
