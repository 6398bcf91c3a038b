// Package global is the "global" module: the UPPERCASE functions rule authors call by bare name
// (ROUND, TODAY, AGE, ...). See /shared/design/builtins.md for the contract.
//
// Each function is one builtins.Fn in the functions table below: its name, TypeScript signature,
// doc line, example and implementation, so the typings and the reference can never drift from
// what Install defines.
package global

import (
	"math"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// Module installs the global functions.
type Module struct{}

var _ builtins.Described = Module{}

// Name is "global".
func (Module) Name() string { return "global" }

// Install defines every global function on h.VM.
func (Module) Install(h *builtins.Host) error { return builtins.InstallGlobals(h, functions) }

// Typings declares every global function, one documented line each.
func (Module) Typings() string {
	return builtins.GlobalTypings(`Global functions (module "global").`, functions)
}

// Reference lists every global function for docs/builtins.md.
func (Module) Reference() []builtins.Entry { return builtins.ReferenceOf("", functions, nil) }

// functions is the module: every global, its TypeScript signature, doc line, example and
// implementation.
var functions = []builtins.Fn{
	{
		Name:      "ROUND",
		Signature: "(x: number, decimals?: number): number",
		Doc:       "Rounds half away from zero on the decimal value, to decimals places (-15..15, default 0; negative rounds to tens, hundreds, ...): ROUND(1.005, 2) === 1.01, ROUND(-2.5) === -3, ROUND(1234.5678, -2) === 1200.",
		Example:   "ROUND(1.005, 2) // 1.01",
		Impl:      rounder("ROUND", halfAwayFromZero),
	},
	{
		Name:      "ROUNDUP",
		Signature: "(x: number, decimals?: number): number",
		Doc:       "Rounds away from zero on the decimal value, to decimals places (-15..15, default 0): ROUNDUP(1.001, 2) === 1.01, ROUNDUP(-1.001, 2) === -1.01.",
		Example:   "ROUNDUP(1.001, 2) // 1.01",
		Impl:      rounder("ROUNDUP", awayFromZero),
	},
	{
		Name:      "ROUNDDOWN",
		Signature: "(x: number, decimals?: number): number",
		Doc:       "Rounds toward zero (truncates) on the decimal value, to decimals places (-15..15, default 0): ROUNDDOWN(-1.239, 2) === -1.23.",
		Example:   "ROUNDDOWN(-1.239, 2) // -1.23",
		Impl:      rounder("ROUNDDOWN", towardZero),
	},
	{
		Name:      "FLOOR",
		Signature: "(x: number, step?: number): number",
		Doc:       "Rounds down, toward -Infinity, to a multiple of step (default 1; its sign is ignored; 0 is a RangeError), on the decimal value like Excel FLOOR.MATH: FLOOR(1.15, 0.05) === 1.15, FLOOR(7, 5) === 5, FLOOR(-2.5) === -3.",
		Example:   "FLOOR(1234.5678, 0.05) // 1234.55",
		Impl:      stepper("FLOOR", false),
	},
	{
		Name:      "CEIL",
		Signature: "(x: number, step?: number): number",
		Doc:       "Rounds up, toward +Infinity, to a multiple of step (default 1; its sign is ignored; 0 is a RangeError), on the decimal value like Excel CEILING.MATH: CEIL(1.15, 0.05) === 1.15, CEIL(7, 5) === 10, CEIL(-2.5) === -2.",
		Example:   "CEIL(1234.5678, 0.05) // 1234.6",
		Impl:      stepper("CEIL", true),
	},
	{
		Name:      "TODAY",
		Signature: "(): Date",
		Doc:       "The execution's date: midnight of the execution clock in the ruleset's time zone.",
		Example:   "TODAY() // 2024-06-15 00:00 in the ruleset's zone",
		Impl:      today,
	},
	{
		Name:      "NOW",
		Signature: "(): Date",
		Doc:       "The execution clock (fixed for the whole execution; a testcase's `now:`).",
		Example:   "NOW() // 2024-06-15 00:30 in the ruleset's zone",
		Impl:      now,
	},
	{
		Name:      "AGE",
		Signature: "(birthDate: Date | string, at?: Date | string): number",
		Doc:       `Age in whole years on at (default TODAY()), by calendar dates in the ruleset's time zone; someone born on 29 Feb turns a year older on 1 Mar in non-leap years; throws a RangeError if birthDate is after at. Pass dates as "YYYY-MM-DD" strings to avoid time-zone surprises.`,
		Example:   "AGE('2000-06-15', '2024-06-14') // 23",
		Impl:      age,
	},
	{
		Name:      "DAYDIFF",
		Signature: "(a: Date | string, b: Date | string): number",
		Doc:       "Whole calendar days from a to b (b − a, negative when b is earlier), comparing dates in the ruleset's time zone, so a DST change never makes a day 23 or 25 hours.",
		Example:   "DAYDIFF('2024-03-30', '2024-04-01') // 2",
		Impl:      dayDiff,
	},
	{
		Name:      "MONTHDIFF",
		Signature: "(a: Date | string, b: Date | string): number",
		Doc:       "Whole calendar months from a to b (b − a), truncated toward zero: 31 Jan → 28 Feb is 0, 31 Jan → 1 Mar is 1; dates compared in the ruleset's time zone.",
		Example:   "MONTHDIFF('2024-01-31', '2024-03-01') // 1",
		Impl:      monthDiffFn,
	},
	{
		Name:      "YEARDIFF",
		Signature: "(a: Date | string, b: Date | string): number",
		Doc:       "Whole calendar years from a to b (b − a), truncated toward zero (29 Feb → 28 Feb next year is 0); dates compared in the ruleset's time zone.",
		Example:   "YEARDIFF('2020-02-29', '2021-03-01') // 1",
		Impl:      yearDiff,
	},
	{
		Name:      "NUM",
		Signature: "(x: number, decimals?: number): string",
		Doc:       `Formats x for the culture (the execution's, else the ruleset's; none: no grouping, "." decimals) with its CLDR separators, grouping (minimum grouping digits: es 1234 but 12.345), minus sign and digits: without decimals the value to 15 significant digits in its shortest form, with decimals (0..15) rounded half away from zero on the decimal value and exactly that many decimals: NUM(3.99) === "3.99", NUM(3.99, 1) === "4.0", culture nl: NUM(1234.5, 2) === "1.234,50", fr: NUM(1234.5) === "1\u202f234,5" (CLDR's narrow no-break space). A result that rounds to zero has no minus sign. An unknown culture is a RangeError.`,
		Example:   `NUM(3.99, 0) // "4"`,
		Impl:      formatter("NUM", false),
	},
	{
		Name:      "CUR",
		Signature: "(x: number, decimals?: number): string",
		Doc:       `Formats an amount of the culture's currency (from its region: nl EUR, en-GB GBP, en-US USD, ja JPY) with its CLDR symbol, pattern and spacing, rounded half away from zero to decimals places (0..15, default the currency's minor-unit digits: 2, JPY 0); without a culture, no symbol and 2 decimals: CUR(3) === "3.00", en-GB: CUR(3.99) === "£3.99", nl: CUR(3.99) === "€\u00a03,99", CUR(-3.99) === "€\u00a0-3,99", de: CUR(3.99) === "3,99\u00a0€", fr-CH: CUR(1234.5) === "1\u202f234.50\u00a0CHF", ja: CUR(1234.5) === "￥1,235" (the space between symbol and number is CLDR's: U+00A0). A result that rounds to zero has no minus sign. A culture whose region is not a country (en-001) has no currency: a RangeError.`,
		Example:   `CUR(3.99) // "€\u00a03,99" with culture nl`,
		Impl:      formatter("CUR", true),
	},
	{
		Name:      "MIN",
		Signature: "(...values: number[] | [number[]]): number",
		Doc:       "The smallest of the numbers, given as arguments or as one array; no numbers is a RangeError, a non-number a TypeError; NaN propagates as in Math.min.",
		Example:   "MIN([3, 1, 2]) // 1",
		Impl:      aggregate("MIN", minOf, false),
	},
	{
		Name:      "MAX",
		Signature: "(...values: number[] | [number[]]): number",
		Doc:       "The largest of the numbers, given as arguments or as one array; no numbers is a RangeError, a non-number a TypeError; NaN propagates as in Math.max.",
		Example:   "MAX(3, 1, 2) // 3",
		Impl:      aggregate("MAX", maxOf, false),
	},
	{
		Name:      "SUM",
		Signature: "(...values: number[] | [number[]]): number",
		Doc:       "The sum of the numbers, given as arguments or as one array (compensated, so ten times 0.1 is 1); SUM() === 0; a non-number is a TypeError.",
		Example:   "SUM([0.1, 0.2, 0.3]) // 0.6",
		Impl:      aggregate("SUM", sum, true),
	},
	{
		Name:      "AVG",
		Signature: "(...values: number[] | [number[]]): number",
		Doc:       "The mean of the numbers, given as arguments or as one array; no numbers is a RangeError, a non-number a TypeError.",
		Example:   "AVG([1, 2, 3, 4]) // 2.5",
		Impl:      aggregate("AVG", avgOf, false),
	},
	{
		Name:      "ISEMPTY",
		Signature: "(x: unknown): boolean",
		Doc:       `True for null, undefined, "", [] and a plain object without own enumerable keys ({}); false for anything else, including 0, false, NaN and Dates.`,
		Example:   "ISEMPTY([]) // true",
		Impl:      isEmpty,
	},
	{
		Name:      "COALESCE",
		Signature: "(...values: any[]): any",
		Doc:       `The first argument that is neither null nor undefined (0, false and "" count), else null.`,
		Example:   "COALESCE(null, undefined, 0, 5) // 0",
		Impl:      coalesce,
	},
}

func rounder(fn string, mode roundMode) func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	return func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			x := h.Number(call, 0, fn, "x")
			d := h.OptIntIn(call, 1, fn, "decimals", -maxDecimals, maxDecimals, 0)
			return h.VM.ToValue(roundDecimal(x, d, mode))
		}
	}
}

// stepper builds FLOOR (up false) and CEIL (up true).
func stepper(fn string, up bool) func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	return func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			x := h.Number(call, 0, fn, "x")
			step := h.OptFinite(call, 1, fn, "step", 1)
			if step == 0 {
				h.RangeError(fn, "step must not be 0")
			}
			return h.VM.ToValue(floorCeil(x, math.Abs(step), up))
		}
	}
}

// formatter builds NUM (currency false) and CUR (currency true).
func formatter(fn string, currency bool) func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	return func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			x := h.Finite(call, 0, fn, "x")
			tag := ""
			if e := h.Exec(); e != nil {
				tag = e.Culture
			}
			nf, err := formatFor(tag)
			if err != nil {
				h.RangeError(fn, "%v", err)
			}
			if !currency {
				return h.VM.ToValue(nf.formatNumber(x, h.OptIntIn(call, 1, fn, "decimals", 0, maxDecimals, -1)))
			}
			if nf.currency == "" && nf != noCulture {
				h.RangeError(fn, "the culture %q has no currency: its region is not a country (write one, e.g. %s-NL)", tag, strings.SplitN(tag, "-", 2)[0])
			}
			d := h.OptIntIn(call, 1, fn, "decimals", 0, maxDecimals, nf.curDigits)
			return h.VM.ToValue(nf.formatCurrency(x, d))
		}
	}
}

func today(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	return func(goja.FunctionCall) goja.Value {
		return h.NewDate(h.MustExec("TODAY").Today())
	}
}

func now(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	return func(goja.FunctionCall) goja.Value {
		return h.NewDate(h.MustExec("NOW").Now)
	}
}

func age(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		birth := civilOf(h.Date(call, 0, "AGE", "birthDate"))
		var at date
		if builtins.IsMissing(call.Argument(1)) {
			at = civilOf(h.MustExec("AGE").Today())
		} else {
			at = civilOf(h.Date(call, 1, "AGE", "at"))
		}
		if birth.after(at) {
			h.RangeError("AGE", "birthDate (%s) is after the date (%s)", birth, at)
		}
		return h.VM.ToValue(monthDiff(birth, at) / 12)
	}
}

func dayDiff(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		a := civilOf(h.Date(call, 0, "DAYDIFF", "a"))
		b := civilOf(h.Date(call, 1, "DAYDIFF", "b"))
		return h.VM.ToValue(b.dayNumber() - a.dayNumber())
	}
}

func monthDiffFn(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		a := civilOf(h.Date(call, 0, "MONTHDIFF", "a"))
		b := civilOf(h.Date(call, 1, "MONTHDIFF", "b"))
		return h.VM.ToValue(monthDiff(a, b))
	}
}

func yearDiff(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		a := civilOf(h.Date(call, 0, "YEARDIFF", "a"))
		b := civilOf(h.Date(call, 1, "YEARDIFF", "b"))
		return h.VM.ToValue(monthDiff(a, b) / 12) // Go's / truncates toward zero
	}
}

// date is a calendar date (no time, no zone).
type date struct {
	y int
	m time.Month
	d int
}

// civilOf is t's calendar date in t's own location (Host.Date returns times in the execution's zone).
func civilOf(t time.Time) date {
	y, m, d := t.Date()
	return date{y, m, d}
}

func (a date) String() string {
	return time.Date(a.y, a.m, a.d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

func (a date) after(b date) bool {
	if a.y != b.y {
		return a.y > b.y
	}
	if a.m != b.m {
		return a.m > b.m
	}
	return a.d > b.d
}

// dayNumber counts days since 1970-01-01 (proleptic Gregorian; UTC has no DST, so exact).
func (a date) dayNumber() int64 {
	return time.Date(a.y, a.m, a.d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// monthDiff is the whole months from a to b, truncated toward zero: a month is complete when b's
// day of the month reaches a's (so 31 Jan → 28 Feb is 0 and 31 Jan → 1 Mar is 1, like Excel's
// DATEDIF "m"). monthDiff(b, a) == −monthDiff(a, b).
func monthDiff(a, b date) int {
	months := (b.y-a.y)*12 + int(b.m) - int(a.m)
	switch {
	case months > 0 && b.d < a.d:
		months--
	case months < 0 && b.d > a.d:
		months++
	}
	return months
}
