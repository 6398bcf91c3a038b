package global

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
)

var amsterdam = mustLoad("Europe/Amsterdam")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// clock is the execution clock of most tests: 22:30 UTC on 14 June 2024, which is already
// 15 June (00:30) in Amsterdam.
var clock = time.Date(2024, 6, 14, 22, 30, 0, 0, time.UTC)

// newVM installs the module on a fresh runtime and points it at an execution.
func newVM(t testing.TB, exec *builtins.Exec) (*goja.Runtime, *builtins.Host) {
	t.Helper()
	vm, h := builtinstest.NewVM(t, exec, Module{})
	return vm, h
}

type jsCase struct {
	expr string
	want any // float64 / int / string / bool; an int or float64 compares numerically
}

func runCases(t *testing.T, vm *goja.Runtime, cases []jsCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			got := builtinstest.Eval(t, vm, c.expr)
			if !sameValue(got, c.want) {
				t.Errorf("%s = %#v, want %#v", c.expr, got, c.want)
			}
		})
	}
}

func sameValue(got, want any) bool {
	gf, gok := toFloat(got)
	wf, wok := toFloat(want)
	if gok && wok {
		return gf == wf || math.IsNaN(gf) && math.IsNaN(wf)
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

func TestROUND(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock, Location: amsterdam})
	runCases(t, vm, []jsCase{
		// the contract's examples
		{"ROUND(1.005, 2)", 1.01},
		{"ROUND(-2.5)", -3},
		{"ROUND(2.675, 2)", 2.68},
		{"ROUND(1234.5678, -2)", 1200},
		{"ROUND(1.005, 2) === 1.01", true},
		// ties go away from zero
		{"ROUND(0.5)", 1},
		{"ROUND(1.5)", 2},
		{"ROUND(2.5)", 3},
		{"ROUND(-0.5)", -1},
		{"ROUND(-1.5)", -2},
		{"ROUND(0.49999999999999994)", 1}, // Excel: to 15 significant digits this is 0.5
		{"ROUND(1.45, 1)", 1.5},
		{"ROUND(-1.45, 1)", -1.5},
		{"ROUND(0.125, 2)", 0.13},
		// the x.xx5 family, where binary rounding gets half of them wrong
		{"ROUND(1.005, 2)", 1.01},
		{"ROUND(1.015, 2)", 1.02},
		{"ROUND(1.025, 2)", 1.03},
		{"ROUND(1.035, 2)", 1.04},
		{"ROUND(1.045, 2)", 1.05},
		{"ROUND(1.055, 2)", 1.06},
		{"ROUND(1.065, 2)", 1.07},
		{"ROUND(1.075, 2)", 1.08},
		{"ROUND(1.085, 2)", 1.09},
		{"ROUND(1.095, 2)", 1.1},
		{"ROUND(-1.005, 2)", -1.01},
		{"ROUND(8.345, 2)", 8.35},
		{"ROUND(0.285, 2)", 0.29},
		{"ROUND(10.235, 2)", 10.24},
		{"ROUND(1.0049999, 2)", 1},
		{"ROUND(0.1 + 0.2, 15)", 0.3},
		{"ROUND(0.1 + 0.2, 1)", 0.3},
		// decimals default, undefined, -0
		{"ROUND(2.4)", 2},
		{"ROUND(2.4, undefined)", 2},
		{"ROUND(2.4, -0)", 2},
		{"ROUND(2.45, 1.0)", 2.5},
		// negative decimals
		{"ROUND(1250, -2)", 1300},
		{"ROUND(-1250, -2)", -1300},
		{"ROUND(1249.99, -2)", 1200},
		{"ROUND(5678, -4)", 10000},
		{"ROUND(4999, -4)", 0},
		{"ROUND(-5678, -3)", -6000},
		{"ROUND(123, -15)", 0},
		{"ROUND(5e14, -15)", 1e15},
		{"ROUND(1234.5678, -1)", 1230},
		// large and small numbers
		{"ROUND(1e20, 2)", 1e20},
		{"ROUND(1.7976931348623157e308, -15)", 1.7976931348623157e308},
		{"ROUND(123456789012345.67, 1)", 123456789012346},  // Excel keeps 15 significant digits
		{"ROUND(9007199254740993)", 9007199254740990},      // Excel keeps 15 significant digits
		{"ROUND(98765432101.234567, 5)", 98765432101.2346}, // Excel keeps 15 significant digits
		{"ROUND(1e-20, 2)", 0},
		{"ROUND(5e-324, 15)", 0},
		{"ROUND(0.0005, 3)", 0.001},
		{"ROUND(0.0004, 3)", 0},
		{"ROUND(0.000000000000005, 14)", 0.00000000000001},
		{"ROUND(0.123456789012345, 15)", 0.123456789012345},
		{"ROUND(0.1234567890123456, 15)", 0.123456789012346}, // Excel keeps 15 significant digits
		// zero: the result is +0, never -0
		{"Object.is(ROUND(-0.4), 0)", true},
		{"Object.is(ROUND(-0), 0)", true},
		{"Object.is(ROUNDDOWN(-0.9), 0)", true},
		// NaN and infinities pass through
		{"Number.isNaN(ROUND(NaN))", true},
		{"Number.isNaN(ROUND(NaN, 2))", true},
		{"ROUND(Infinity)", math.Inf(1)},
		{"ROUND(-Infinity, 2)", math.Inf(-1)},
		// integers
		{"ROUND(42, 3)", 42},
		{"ROUND(-7)", -7},
	})
}

func TestROUNDUPAndROUNDDOWN(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock})
	runCases(t, vm, []jsCase{
		{"ROUNDUP(1.001, 2)", 1.01},
		{"ROUNDUP(1.001, 2) === 1.01", true},
		{"ROUNDUP(-1.001, 2)", -1.01},
		{"ROUNDUP(1.1)", 2},
		{"ROUNDUP(-1.1)", -2},
		{"ROUNDUP(1, 2)", 1},
		{"ROUNDUP(1.01, 2)", 1.01},
		{"ROUNDUP(2.675, 2)", 2.68},
		{"ROUNDUP(545, -2)", 600},
		{"ROUNDUP(500, -2)", 500},
		{"ROUNDUP(1e-20, 2)", 0.01},
		{"ROUNDUP(-1e-20, 2)", -0.01},
		{"ROUNDUP(0.1 + 0.2, 1)", 0.3}, // Excel: 15 significant digits of 0.30000000000000004 are 0.3
		{"ROUNDUP(3.2, 0)", 4},
		{"Number.isNaN(ROUNDUP(NaN))", true},
		{"ROUNDUP(Infinity, 2)", math.Inf(1)},

		{"ROUNDDOWN(-1.239, 2)", -1.23},
		{"ROUNDDOWN(-1.239, 2) === -1.23", true},
		{"ROUNDDOWN(1.239, 2)", 1.23},
		{"ROUNDDOWN(1.999)", 1},
		{"ROUNDDOWN(-1.999)", -1},
		{"ROUNDDOWN(2.675, 2)", 2.67},
		{"ROUNDDOWN(1.005, 2)", 1},
		{"ROUNDDOWN(1234.5678, -2)", 1200},
		{"ROUNDDOWN(-1234.5678, -2)", -1200},
		{"ROUNDDOWN(1.15, 1)", 1.1},
		{"ROUNDDOWN(0.3, 1)", 0.3},
		{"ROUNDDOWN(1e-20, 2)", 0},
		{"ROUNDDOWN(-Infinity)", math.Inf(-1)},
	})
}

func TestRoundWrongArguments(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock})
	var cases []jsCase
	for _, fn := range []string{"ROUND", "ROUNDUP", "ROUNDDOWN"} {
		cases = append(cases,
			jsCase{fn + "()", "TypeError: " + fn + ": x is required (a number)"},
			jsCase{fn + "(undefined)", "TypeError: " + fn + ": x must be a number, got undefined"},
			jsCase{fn + "(null)", "TypeError: " + fn + ": x must be a number, got null"},
			jsCase{fn + "('1.5')", `TypeError: ` + fn + `: x must be a number, got "1.5"`},
			jsCase{fn + "(true)", "TypeError: " + fn + ": x must be a number, got true"},
			jsCase{fn + "({})", "TypeError: " + fn + ": x must be a number, got an object"},
			jsCase{fn + "([1])", "TypeError: " + fn + ": x must be a number, got an array"},
			jsCase{fn + "(new Number(1))", "TypeError: " + fn + ": x must be a number, got a Number object"},
			jsCase{fn + "(1n)", "TypeError: " + fn + ": x must be a number, got a bigint"},
			jsCase{fn + "(Symbol('s'))", "TypeError: " + fn + ": x must be a number, got a symbol"},
			jsCase{fn + "(new Date(0))", "TypeError: " + fn + ": x must be a number, got a Date"},
			jsCase{fn + "(() => 1)", "TypeError: " + fn + ": x must be a number, got a function"},
			jsCase{fn + "(1, 1.5)", "RangeError: " + fn + ": decimals must be an integer between -15 and 15, got 1.5"},
			jsCase{fn + "(1, 16)", "RangeError: " + fn + ": decimals must be an integer between -15 and 15, got 16"},
			jsCase{fn + "(1, -16)", "RangeError: " + fn + ": decimals must be an integer between -15 and 15, got -16"},
			jsCase{fn + "(1, NaN)", "RangeError: " + fn + ": decimals must be an integer between -15 and 15, got NaN"},
			jsCase{fn + "(1, Infinity)", "RangeError: " + fn + ": decimals must be an integer between -15 and 15, got Infinity"},
			jsCase{fn + "(1, 1e300)", "RangeError: " + fn + ": decimals must be an integer between -15 and 15, got 1e+300"},
			jsCase{fn + "(1, 1e-7)", "RangeError: " + fn + ": decimals must be an integer between -15 and 15, got 1e-7"},
			jsCase{fn + "(1, '2')", `TypeError: ` + fn + `: decimals must be an integer, got "2"`},
			jsCase{fn + "(1, null)", "TypeError: " + fn + ": decimals must be an integer, got null"},
		)
	}
	cases = append(cases, jsCase{"ROUND('%d %s %v')", `TypeError: ROUND: x must be a number, got "%d %s %v"`})
	cases = append(cases, jsCase{"ROUND('" + strings.Repeat("x", 100) + "')",
		`TypeError: ROUND: x must be a number, got "` + strings.Repeat("x", 40) + `"…`})
	runCases(t, vm, cases)
}

func TestTODAYAndNOW(t *testing.T) {
	for _, tc := range []struct {
		loc        *time.Location
		today, now string
	}{
		{amsterdam, "2024-06-14T22:00:00.000Z", "2024-06-14T22:30:00.000Z"}, // 15 June, midnight CEST
		{time.UTC, "2024-06-14T00:00:00.000Z", "2024-06-14T22:30:00.000Z"},
		{nil, "2024-06-14T00:00:00.000Z", "2024-06-14T22:30:00.000Z"}, // no zone: UTC
	} {
		vm, _ := newVM(t, &builtins.Exec{Now: clock, Location: tc.loc})
		runCases(t, vm, []jsCase{
			{"TODAY().toISOString()", tc.today},
			{"NOW().toISOString()", tc.now},
			{"TODAY() instanceof Date", true},
			{"NOW().getTime() === Date.now()", true},
			{"NOW().getTime() === new Date().getTime()", true},
			{"TODAY() !== TODAY()", true}, // a new Date each call: mutating one cannot leak
		})
	}
}

func TestOutsideAnExecution(t *testing.T) {
	vm, _ := newVM(t, nil)
	runCases(t, vm, []jsCase{
		{"TODAY()", "Error: TODAY: no execution is running (call it from a rule, not while the ruleset loads)"},
		{"NOW()", "Error: NOW: no execution is running (call it from a rule, not while the ruleset loads)"},
		{"AGE('2000-01-01')", "Error: AGE: no execution is running (call it from a rule, not while the ruleset loads)"},
		{"AGE('2000-01-01', '2001-01-01')", 1}, // needs no execution (UTC)
		{"ROUND(1.005, 2)", 1.01},
	})
}

func TestAGE(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock, Location: amsterdam})
	runCases(t, vm, []jsCase{
		{"AGE('2000-06-15')", 24}, // today is 15 June in Amsterdam
		{"AGE('2000-06-16')", 23},
		{"AGE('2000-06-15', '2024-06-14')", 23},
		{"AGE('2000-06-15', '2024-06-15')", 24},
		{"AGE('2000-06-15', TODAY())", 24},
		{"AGE(new Date(2000, 5, 15))", 24},
		{"AGE('2024-06-15')", 0}, // born today
		{"AGE('1900-01-01', '2024-06-15')", 124},
		// 29 February: the birthday is 1 March in non-leap years
		{"AGE('2020-02-29', '2021-02-28')", 0},
		{"AGE('2020-02-29', '2021-03-01')", 1},
		{"AGE('2020-02-29', '2023-02-28')", 2},
		{"AGE('2020-02-29', '2023-03-01')", 3},
		{"AGE('2020-02-29', '2024-02-28')", 3},
		{"AGE('2020-02-29', '2024-02-29')", 4},
		{"AGE('2020-02-29', '2024-03-01')", 4},
		{"AGE('2019-02-28', '2020-02-28')", 1},
		{"AGE('2019-03-01', '2020-02-29')", 0},
		// an RFC 3339 instant is taken in the ruleset's zone: 23:30 UTC on 14 June is 15 June here
		{"AGE('2000-06-14T23:30:00Z', '2024-06-14')", 23},
		{"AGE('2000-06-14T21:30:00Z', '2024-06-14')", 24},
		{"AGE('2000-06-15T00:30', '2024-06-15')", 24},
		// errors
		{"AGE('2024-06-16')", "RangeError: AGE: birthDate (2024-06-16) is after the date (2024-06-15)"},
		{"AGE('2000-01-02', '2000-01-01')", "RangeError: AGE: birthDate (2000-01-02) is after the date (2000-01-01)"},
		{"AGE()", `TypeError: AGE: birthDate is required (a Date or a "YYYY-MM-DD" string)`},
		{"AGE(null)", `TypeError: AGE: birthDate must be a Date or a "YYYY-MM-DD" string, got null`},
		{"AGE(631152000000)", `TypeError: AGE: birthDate must be a Date or a "YYYY-MM-DD" string, got 631152000000`},
		{"AGE({})", `TypeError: AGE: birthDate must be a Date or a "YYYY-MM-DD" string, got an object`},
		{"AGE(new Date(NaN))", "RangeError: AGE: birthDate is an invalid Date"},
		{"AGE(new Date('nope'))", "RangeError: AGE: birthDate is an invalid Date"},
		{"AGE('2023-02-29')", `RangeError: AGE: birthDate must be a Date or a "YYYY-MM-DD" or RFC 3339 date string, got "2023-02-29"`},
		{"AGE('15-06-2000')", `RangeError: AGE: birthDate must be a Date or a "YYYY-MM-DD" or RFC 3339 date string, got "15-06-2000"`},
		{"AGE('')", `RangeError: AGE: birthDate must be a Date or a "YYYY-MM-DD" or RFC 3339 date string, got ""`},
		{"AGE('2000-01-01', 5)", `TypeError: AGE: at must be a Date or a "YYYY-MM-DD" string, got 5`},
		{"AGE('2000-01-01', null)", `TypeError: AGE: at must be a Date or a "YYYY-MM-DD" string, got null`},
		{"AGE('2000-01-01', new Date(NaN))", "RangeError: AGE: at is an invalid Date"},
	})
}

// TestAGETimeZone: the same instants give a different age in Amsterdam and in UTC when the
// execution runs just after midnight in Amsterdam (still the previous day in UTC).
func TestAGETimeZone(t *testing.T) {
	for _, tc := range []struct {
		loc  *time.Location
		want int
	}{
		{amsterdam, 24},
		{time.UTC, 23},
	} {
		t.Run(tc.loc.String(), func(t *testing.T) {
			vm, _ := newVM(t, &builtins.Exec{Now: clock, Location: tc.loc})
			runCases(t, vm, []jsCase{
				{"AGE('2000-06-15')", tc.want},
				{"AGE('2000-06-15', NOW())", tc.want},
			})
		})
	}
}

func TestDateDiffs(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock, Location: amsterdam})
	runCases(t, vm, []jsCase{
		{"DAYDIFF('2024-01-01', '2024-01-01')", 0},
		{"DAYDIFF('2024-01-01', '2024-01-10')", 9},
		{"DAYDIFF('2024-01-10', '2024-01-01')", -9},
		{"DAYDIFF('2024-02-28', '2024-03-01')", 2},
		{"DAYDIFF('2023-02-28', '2023-03-01')", 1},
		{"DAYDIFF('2023-01-01', '2024-01-01')", 365},
		{"DAYDIFF('2024-01-01', '2025-01-01')", 366},
		{"DAYDIFF(TODAY(), '2024-06-20')", 5},
		// DST starts in Amsterdam on 31 March 2024 (02:00 → 03:00): that day has 23 hours
		{"DAYDIFF('2024-03-31', '2024-04-01')", 1},
		{"DAYDIFF('2024-03-30', '2024-04-01')", 2},
		{"DAYDIFF(new Date('2024-03-30T23:00:00Z'), new Date('2024-03-31T22:00:00Z'))", 1}, // local midnights, 23 h apart
		{"DAYDIFF(new Date(2024, 2, 31), new Date(2024, 3, 1))", 1},
		// and ends on 27 October 2024: 25 hours
		{"DAYDIFF(new Date('2024-10-26T22:00:00Z'), new Date('2024-10-27T23:00:00Z'))", 1},
		// times of day do not matter, only the dates in the zone
		{"DAYDIFF('2024-06-14T23:59:00+02:00', '2024-06-15T00:01:00+02:00')", 1},
		{"DAYDIFF('2024-06-14T22:30:00Z', '2024-06-14T23:30:00Z')", 0}, // both 15 June in Amsterdam

		{"MONTHDIFF('2024-01-15', '2024-02-15')", 1},
		{"MONTHDIFF('2024-01-15', '2024-02-14')", 0},
		{"MONTHDIFF('2024-01-31', '2024-02-29')", 0},
		{"MONTHDIFF('2023-01-31', '2023-02-28')", 0},
		{"MONTHDIFF('2024-01-31', '2024-03-01')", 1},
		{"MONTHDIFF('2024-01-31', '2024-03-31')", 2},
		{"MONTHDIFF('2024-03-01', '2024-01-31')", -1},
		{"MONTHDIFF('2024-02-15', '2024-01-15')", -1},
		{"MONTHDIFF('2024-02-15', '2024-01-16')", 0},
		{"MONTHDIFF('2024-01-15', '2023-01-16')", -11},
		{"MONTHDIFF('2024-01-15', '2024-01-01')", 0},
		{"MONTHDIFF('2020-06-15', '2024-06-15')", 48},

		{"YEARDIFF('2020-02-29', '2021-02-28')", 0},
		{"YEARDIFF('2020-02-29', '2021-03-01')", 1},
		{"YEARDIFF('2000-06-15', '2024-06-15')", 24},
		{"YEARDIFF('2000-06-15', '2024-06-14')", 23},
		{"YEARDIFF('2024-06-15', '2000-06-15')", -24},
		{"YEARDIFF('2024-06-15', '2000-06-16')", -23},
		{"YEARDIFF('2024-06-15', '2024-01-01')", 0},
	})
}

func TestDateDiffWrongArguments(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock, Location: amsterdam})
	var cases []jsCase
	for _, fn := range []string{"DAYDIFF", "MONTHDIFF", "YEARDIFF"} {
		cases = append(cases,
			jsCase{fn + "()", `TypeError: ` + fn + `: a is required (a Date or a "YYYY-MM-DD" string)`},
			jsCase{fn + "('2024-01-01')", `TypeError: ` + fn + `: b is required (a Date or a "YYYY-MM-DD" string)`},
			jsCase{fn + "(1, '2024-01-01')", `TypeError: ` + fn + `: a must be a Date or a "YYYY-MM-DD" string, got 1`},
			jsCase{fn + "('2024-01-01', [])", `TypeError: ` + fn + `: b must be a Date or a "YYYY-MM-DD" string, got an array`},
			jsCase{fn + "(new Date(NaN), '2024-01-01')", `RangeError: ` + fn + `: a is an invalid Date`},
			jsCase{fn + "('2024-01-01', '2024-13-01')", `RangeError: ` + fn + `: b must be a Date or a "YYYY-MM-DD" or RFC 3339 date string, got "2024-13-01"`},
		)
	}
	runCases(t, vm, cases)
}

// TestShadowedErrorConstructors: a ruleset that redefines RangeError or TypeError still gets
// real errors from builtins.
func TestShadowedErrorConstructors(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock})
	if _, err := vm.RunString("var OrigRangeError = RangeError; RangeError = function () { return { fake: true } }; Error = null;"); err != nil {
		t.Fatal(err)
	}
	runCases(t, vm, []jsCase{
		{"ROUND(1, 0.5)", "RangeError: ROUND: decimals must be an integer between -15 and 15, got 0.5"},
		{"(() => { try { ROUND(1, 0.5) } catch (e) { return e instanceof OrigRangeError } })()", true},
		{"TODAY() instanceof Date", true},
	})
}

func TestTypings(t *testing.T) {
	typ := Module{}.Typings()
	vm, _ := newVM(t, &builtins.Exec{Now: clock})
	for _, f := range functions {
		line := "declare function " + f.Name + "("
		if !strings.Contains(typ, line) {
			t.Errorf("typings lack %q", line)
		}
		if v := vm.Get(f.Name); v == nil {
			t.Errorf("%s is declared but not installed", f.Name)
		} else if _, ok := goja.AssertFunction(v); !ok {
			t.Errorf("%s is not a function", f.Name)
		}
		if strings.Contains(f.Doc, "*/") || strings.Contains(f.Doc, "\n") {
			t.Errorf("%s: doc must be one line without */", f.Name)
		}
	}
	if !strings.Contains(typ, "/** Rounds half away from zero on the decimal value") {
		t.Errorf("ROUND doc line missing:\n%s", typ)
	}
	if !strings.Contains(typ, "1 Mar in non-leap years") {
		t.Errorf("AGE doc must state the 29 Feb rule:\n%s", typ)
	}
	if got := builtinstest.Eval(t, vm, "ROUND.name"); got != "ROUND" {
		t.Errorf("ROUND.name = %v", got)
	}
}

// Excel works to 15 significant digits: binary noise below that does not move a rounding.
func TestRoundUsesFifteenSignificantDigits(t *testing.T) {
	for _, c := range []struct {
		x        float64
		d        int
		round    float64
		up, down float64
	}{
		{0.1 + 0.2, 1, 0.3, 0.3, 0.3},
		{16.887500000000003, 2, 16.89, 16.89, 16.88},
		{1.005, 2, 1.01, 1.01, 1},
		{1.0049999999999, 2, 1, 1.01, 1},
		{-2.5, 0, -3, -3, -2},
		{2.675, 2, 2.68, 2.68, 2.67},
	} {
		if got := roundDecimal(c.x, c.d, halfAwayFromZero); got != c.round {
			t.Errorf("ROUND(%v, %d) = %v, want %v", c.x, c.d, got, c.round)
		}
		if got := roundDecimal(c.x, c.d, awayFromZero); got != c.up {
			t.Errorf("ROUNDUP(%v, %d) = %v, want %v", c.x, c.d, got, c.up)
		}
		if got := roundDecimal(c.x, c.d, towardZero); got != c.down {
			t.Errorf("ROUNDDOWN(%v, %d) = %v, want %v", c.x, c.d, got, c.down)
		}
	}
}

// TestReference: the module documents every function it installs, each with an example that
// states its value as a comment.
func TestReference(t *testing.T) {
	var d builtins.Described = Module{}
	ref := d.Reference()
	if len(ref) != len(functions) {
		t.Fatalf("Reference has %d entries, the module %d functions", len(ref), len(functions))
	}
	seen := map[string]bool{}
	for i, e := range ref {
		if e.Qualified != functions[i].Name || seen[e.Qualified] {
			t.Errorf("entry %d: %q (duplicate or not %q)", i, e.Qualified, functions[i].Name)
		}
		seen[e.Qualified] = true
		if !strings.HasPrefix(e.Example, e.Qualified+"(") || !strings.Contains(e.Example, " // ") {
			t.Errorf("%s: example %q must call it and state the value as a comment", e.Qualified, e.Example)
		}
		if e.Signature == "" || e.Doc == "" {
			t.Errorf("%s: signature or doc missing", e.Qualified)
		}
	}
	for _, name := range []string{"FLOOR", "CEIL", "NUM", "CUR", "MIN", "MAX", "SUM", "AVG", "ISEMPTY", "COALESCE"} {
		if !seen[name] {
			t.Errorf("%s missing", name)
		}
	}
}

// TestExamples runs every example and checks the value in its comment (the culture-dependent
// and clock-dependent ones in the execution they describe).
func TestExamples(t *testing.T) {
	for _, f := range functions {
		expr, want, _ := strings.Cut(f.Example, " // ")
		culture := ""
		if c, ok := strings.CutSuffix(want, " with culture nl"); ok {
			want, culture = c, "nl"
		}
		vm, _ := newVM(t, &builtins.Exec{Now: clock, Location: amsterdam, Culture: culture})
		got := builtinstest.Eval(t, vm, expr)
		var gotText string
		switch g := got.(type) {
		case string:
			gotText = strconv.Quote(g)
		case time.Time:
			gotText = g.In(amsterdam).Format("2006-01-02 15:04") + " in the ruleset's zone"
		default:
			gotText = fmt.Sprint(g)
		}
		if gotText != want {
			t.Errorf("%s: %s = %s, the example says %s", f.Name, expr, gotText, want)
		}
	}
}
