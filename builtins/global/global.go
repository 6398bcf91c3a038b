// Package global is the "global" module: the UPPERCASE functions rule authors call by bare name
// (ROUND, TODAY, AGE, ...). See /shared/design/builtins.md for the contract.
//
// Each function is one entry in the functions table below: its name, its implementation and its
// TypeScript declaration, so the typings can never drift from what Install defines.
package global

import (
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// Module installs the global functions.
type Module struct{}

var _ builtins.Module = Module{}

// Name is "global".
func (Module) Name() string { return "global" }

// Install defines every global function on h.VM.
func (Module) Install(h *builtins.Host) error {
	for _, f := range functions {
		impl := f.impl(h)
		if err := h.SetGlobal(f.name, h.Func(f.name, impl)); err != nil {
			return err
		}
	}
	return nil
}

// Typings declares every global function, one documented line each.
func (Module) Typings() string {
	var b strings.Builder
	b.WriteString("// Global functions (module \"global\").\n")
	for _, f := range functions {
		b.WriteString("/** ")
		b.WriteString(f.doc)
		b.WriteString(" */\ndeclare function ")
		b.WriteString(f.name)
		b.WriteString(f.signature)
		b.WriteString(";\n")
	}
	return b.String()
}

// function is one global: impl builds its Go implementation for a host.
type function struct {
	name      string
	signature string // TypeScript, after the name
	doc       string // one line
	impl      func(h *builtins.Host) func(goja.FunctionCall) goja.Value
}

var functions = []function{
	{
		name:      "ROUND",
		signature: "(x: number, decimals?: number): number",
		doc:       "Rounds half away from zero on the decimal value, to decimals places (-15..15, default 0; negative rounds to tens, hundreds, ...): ROUND(1.005, 2) === 1.01, ROUND(-2.5) === -3, ROUND(1234.5678, -2) === 1200.",
		impl:      rounder("ROUND", halfAwayFromZero),
	},
	{
		name:      "ROUNDUP",
		signature: "(x: number, decimals?: number): number",
		doc:       "Rounds away from zero on the decimal value, to decimals places (-15..15, default 0): ROUNDUP(1.001, 2) === 1.01, ROUNDUP(-1.001, 2) === -1.01.",
		impl:      rounder("ROUNDUP", awayFromZero),
	},
	{
		name:      "ROUNDDOWN",
		signature: "(x: number, decimals?: number): number",
		doc:       "Rounds toward zero (truncates) on the decimal value, to decimals places (-15..15, default 0): ROUNDDOWN(-1.239, 2) === -1.23.",
		impl:      rounder("ROUNDDOWN", towardZero),
	},
	{
		name:      "TODAY",
		signature: "(): Date",
		doc:       "The execution's date: midnight of the execution clock in the ruleset's time zone.",
		impl:      today,
	},
	{
		name:      "NOW",
		signature: "(): Date",
		doc:       "The execution clock (fixed for the whole execution; a testcase's `now:`).",
		impl:      now,
	},
	{
		name:      "AGE",
		signature: "(birthDate: Date | string, at?: Date | string): number",
		doc:       `Age in whole years on at (default TODAY()), by calendar dates in the ruleset's time zone; someone born on 29 Feb turns a year older on 1 Mar in non-leap years; throws a RangeError if birthDate is after at. Pass dates as "YYYY-MM-DD" strings to avoid time-zone surprises.`,
		impl:      age,
	},
	{
		name:      "DAYDIFF",
		signature: "(a: Date | string, b: Date | string): number",
		doc:       "Whole calendar days from a to b (b − a, negative when b is earlier), comparing dates in the ruleset's time zone, so a DST change never makes a day 23 or 25 hours.",
		impl:      dayDiff,
	},
	{
		name:      "MONTHDIFF",
		signature: "(a: Date | string, b: Date | string): number",
		doc:       "Whole calendar months from a to b (b − a), truncated toward zero: 31 Jan → 28 Feb is 0, 31 Jan → 1 Mar is 1; dates compared in the ruleset's time zone.",
		impl:      monthDiffFn,
	},
	{
		name:      "YEARDIFF",
		signature: "(a: Date | string, b: Date | string): number",
		doc:       "Whole calendar years from a to b (b − a), truncated toward zero (29 Feb → 28 Feb next year is 0); dates compared in the ruleset's time zone.",
		impl:      yearDiff,
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
