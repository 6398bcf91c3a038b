// Package date is the "Date" module: calendar constants and Date.firstDayOfMonth on the Date
// constructor, and calendar methods on Date.prototype (addDays, addMonths, startOfMonth, diff,
// format, ...). See /shared/design/builtins.md for the contract.
//
// Conventions shared by every method:
//   - All calendar arithmetic is in the ruleset's time zone (Exec().Location; UTC outside an
//     execution), so adding days keeps the wall-clock time across DST changes.
//   - A wall-clock time that does not exist (skipped by a DST change: 02:30 on 2024-03-31 in
//     Amsterdam) moves forward by the gap (03:30); one that exists twice (02:30 on 2024-10-27) is
//     the earlier of the two — the same rule as new Date(y, m, d, h, mi) in JS.
//   - Methods never change the Date they are called on; those returning a Date return a new one.
//   - Called on something that is not a Date: TypeError; on an invalid Date: RangeError; a result
//     beyond the JS Date range (±8.64e15 ms): RangeError. Messages start with "Date.prototype.<method>: ".
package date

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// Module installs the Date constants, statics and methods.
type Module struct{}

var _ builtins.Described = Module{}

// Name is "Date".
func (Module) Name() string { return "Date" }

// Install defines the constants (read-only) and Date.firstDayOfMonth on the Date constructor and
// the methods on Date.prototype (non-enumerable).
func (Module) Install(h *builtins.Host) error {
	vm := h.VM
	ctor := vm.Get("Date").ToObject(vm)
	for _, c := range constants {
		if err := ctor.DefineDataProperty(c.Name, vm.ToValue(c.Value), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE); err != nil {
			return fmt.Errorf("Date.%s: %w", c.Name, err)
		}
	}
	if err := builtins.InstallMethods(h, ctor, "Date", statics); err != nil {
		return err
	}
	return builtins.InstallMethods(h, ctor.Get("prototype").ToObject(vm), "Date.prototype", methods)
}

// Typings declares the constants and statics on DateConstructor and the methods on Date.
func (Module) Typings() string {
	var b strings.Builder
	b.WriteString("/** Kubus Date constants and statics (module \"Date\"). */\ninterface DateConstructor {\n")
	for _, c := range constants {
		fmt.Fprintf(&b, "  /** %s */\n  readonly %s: %s;\n", c.Doc, c.Name, c.Type)
	}
	for _, f := range statics {
		fmt.Fprintf(&b, "  /** %s */\n  %s%s;\n", f.Doc, f.Name, f.Signature)
	}
	b.WriteString("}\n")
	b.WriteString(builtins.InterfaceTypings("Date",
		"Kubus Date methods (module \"Date\"): calendar arithmetic in the ruleset's time zone; they return new Dates.", methods))
	return b.String()
}

// Reference lists Date.<constant>, Date.firstDayOfMonth and Date.prototype.<method>.
func (Module) Reference() []builtins.Entry {
	return append(builtins.ReferenceOf("Date", statics, constants), builtins.ReferenceOf("Date.prototype", methods, nil)...)
}

func constant(name string, v int, doc string) builtins.Const {
	return builtins.Const{Name: name, Type: "number", Doc: doc, Value: v}
}

var constants = []builtins.Const{
	constant("MS_IN_SECOND", 1000, "Milliseconds in a second: 1000."),
	constant("MS_IN_MINUTE", 60_000, "Milliseconds in a minute: 60000."),
	constant("MS_IN_HOUR", 3_600_000, "Milliseconds in an hour: 3600000."),
	constant("MS_IN_DAY", 86_400_000, "Milliseconds in a 24-hour day: 86400000 (a calendar day across a DST change is 23 or 25 hours: use addDays)."),
	constant("SECONDS_IN_MINUTE", 60, "Seconds in a minute: 60."),
	constant("SECONDS_IN_HOUR", 3600, "Seconds in an hour: 3600."),
	constant("SECONDS_IN_DAY", 86_400, "Seconds in a 24-hour day: 86400."),
	constant("MINUTES_IN_HOUR", 60, "Minutes in an hour: 60."),
	constant("MINUTES_IN_DAY", 1440, "Minutes in a 24-hour day: 1440."),
	constant("HOURS_IN_DAY", 24, "Hours in a day: 24."),
	constant("DAYS_IN_WEEK", 7, "Days in a week: 7."),
	constant("MONTHS_IN_QUARTER", 3, "Months in a quarter: 3."),
	constant("QUARTERS_IN_YEAR", 4, "Quarters in a year: 4."),
	constant("MONTHS_IN_YEAR", 12, "Months in a year: 12."),
	constant("SUNDAY", 0, "Day index of Sunday (as getDay() returns it): 0."),
	constant("MONDAY", 1, "Day index of Monday: 1."),
	constant("TUESDAY", 2, "Day index of Tuesday: 2."),
	constant("WEDNESDAY", 3, "Day index of Wednesday: 3."),
	constant("THURSDAY", 4, "Day index of Thursday: 4."),
	constant("FRIDAY", 5, "Day index of Friday: 5."),
	constant("SATURDAY", 6, "Day index of Saturday: 6."),
}

type body = func(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value

func fnEntry(qualifier, name, signature, doc, example string, b body) builtins.Fn {
	fn := qualifier + "." + name
	return builtins.Fn{
		Name: name, Signature: signature, Doc: doc, Example: example,
		Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			return func(call goja.FunctionCall) goja.Value { return b(h, fn, call) }
		},
	}
}

var statics = []builtins.Fn{
	fnEntry("Date", "firstDayOfMonth", "(year: number, month: number, dayIdx: number): Date",
		"The first day in month (1-12) of year that falls on weekday dayIdx (0 = Sunday … 6 = Saturday, see Date.SUNDAY …), at midnight in the ruleset's time zone.",
		"Date.firstDayOfMonth(2024, 9, Date.MONDAY).toISODate() // \"2024-09-02\"", firstDayOfMonth),
}

const proto = "Date.prototype"

var methods = []builtins.Fn{
	fnEntry(proto, "addDays", "(days: number): Date",
		"A new Date days (an integer, may be negative) calendar days later, at the same wall-clock time in the ruleset's time zone (DST-safe).",
		"new Date('2024-03-30T12:00:00+01:00').addDays(1).toISOString() // \"2024-03-31T10:00:00.000Z\" (Amsterdam: 12:00 both days)", addDays(1)),
	fnEntry(proto, "addWeeks", "(weeks: number): Date",
		"A new Date weeks (an integer) × 7 calendar days later, at the same wall-clock time in the ruleset's time zone.",
		"new Date('2024-01-01T12:00Z').addWeeks(2).toISODate() // \"2024-01-15\"", addDays(7)),
	fnEntry(proto, "addMonths", "(months: number): Date",
		"A new Date months (an integer) calendar months later, same wall-clock time; a day past the end of the target month clamps to its last day (Jan 31 + 1 month = Feb 29 in 2024, Feb 28 in 2023).",
		"new Date('2024-01-31T12:00Z').addMonths(1).toISODate() // \"2024-02-29\"", addMonths(1)),
	fnEntry(proto, "addYears", "(years: number): Date",
		"A new Date years (an integer) calendar years later, same wall-clock time; Feb 29 in a year without one becomes Feb 28.",
		"new Date('2024-02-29T12:00Z').addYears(1).toISODate() // \"2025-02-28\"", addMonths(12)),
	fnEntry(proto, "startOfDay", "(): Date",
		"A new Date at midnight (the first instant) of the same day in the ruleset's time zone.",
		"NOW().startOfDay() // today 00:00 in the ruleset's zone", startOf(day)),
	fnEntry(proto, "startOfMonth", "(): Date",
		"A new Date at midnight of the first day of the month, in the ruleset's time zone.",
		"new Date('2024-02-15T12:00Z').startOfMonth().toISODate() // \"2024-02-01\"", startOf(month)),
	fnEntry(proto, "endOfMonth", "(): Date",
		"A new Date at the last millisecond (23:59:59.999) of the last day of the month, in the ruleset's time zone.",
		"new Date('2024-02-15T12:00Z').endOfMonth().format('yyyy-MM-dd HH:mm:ss.fff') // \"2024-02-29 23:59:59.999\"", endOf(month)),
	fnEntry(proto, "startOfYear", "(): Date",
		"A new Date at midnight of 1 January, in the ruleset's time zone.",
		"new Date('2024-06-15T12:00Z').startOfYear().toISODate() // \"2024-01-01\"", startOf(year)),
	fnEntry(proto, "endOfYear", "(): Date",
		"A new Date at the last millisecond (23:59:59.999) of 31 December, in the ruleset's time zone.",
		"new Date('2024-06-15T12:00Z').endOfYear().format('yyyy-MM-dd HH:mm:ss.fff') // \"2024-12-31 23:59:59.999\"", endOf(year)),
	fnEntry(proto, "diff", "(other: Date | string, unit: 'years' | 'months' | 'weeks' | 'days' | 'hours' | 'minutes' | 'seconds'): number",
		"Whole units from this date to other (other − this, truncated toward zero). days/weeks/months/years are calendar-based in the ruleset's time zone (a unit is complete when other's wall-clock date and time reach this one's; Jan 31 → Feb 28 is 0 months, like MONTHDIFF); hours/minutes/seconds are elapsed time.",
		"new Date('2024-01-31T12:00Z').diff(new Date('2024-03-01T12:00Z'), 'months') // 1", diff),
	fnEntry(proto, "isSameDay", "(other: Date | string): boolean",
		"Whether other falls on the same calendar day as this date in the ruleset's time zone.",
		"new Date('2024-06-15T10:00Z').isSameDay(new Date('2024-06-15T14:00Z')) // true", isSameDay),
	fnEntry(proto, "isBefore", "(other: Date | string): boolean",
		"Whether this date is strictly before other (compares instants).",
		"new Date('2024-01-01T12:00Z').isBefore('2024-06-01') // true", compare(-1)),
	fnEntry(proto, "isAfter", "(other: Date | string): boolean",
		"Whether this date is strictly after other (compares instants).",
		"new Date('2024-01-01T12:00Z').isAfter('2024-06-01') // false", compare(1)),
	fnEntry(proto, "isWeekend", "(): boolean",
		"Whether this date is a Saturday or Sunday in the ruleset's time zone.",
		"new Date('2024-06-15T12:00Z').isWeekend() // true", isWeekend),
	fnEntry(proto, "format", "(pattern: string, culture?: string): string",
		"The date in the ruleset's time zone as pattern: yyyy yy M MM MMM MMMM d dd ddd dddd H HH h hh m mm s ss f ff fff tt; other letters are an error, text in single quotes ('at', '' for a quote) or after \\ is literal. Names from CLDR in culture (default the execution's, else English; an unknown culture is a RangeError): MMMM and MMM take the form used in a date when the pattern has d or dd ('d MMMM' in ru: \"5 марта\"), the stand-alone form otherwise ('MMMM yyyy': \"март 2024\"); ddd and dddd the stand-alone form only when the weekday is the only date field; tt the culture's AM/PM (nl: a.m./p.m.).",
		"new Date('2024-03-05T09:07:00+01:00').format(\"d MMMM yyyy 'om' HH:mm\", 'nl') // \"5 maart 2024 om 09:07\" (in Amsterdam)", format),
	fnEntry(proto, "toISODate", "(): string",
		"The calendar date in the ruleset's time zone as \"YYYY-MM-DD\" (years outside 0-9999 as ±YYYYYY, like toISOString).",
		"new Date('2024-06-14T22:30:00Z').toISODate() // \"2024-06-15\" in Amsterdam", toISODate),
}

// maxMs is the largest time value of a JS Date (±100,000,000 days from 1970).
const maxMs = 8_640_000_000_000_000

// this reads the receiver in the ruleset's time zone.
func this(h *builtins.Host, call goja.FunctionCall, fn string) time.Time {
	t, isDate, valid := builtins.DateOf(call.This)
	if !isDate {
		h.TypeError(fn, "must be called on a Date, got %s", builtins.Describe(call.This))
	}
	if !valid {
		h.RangeError(fn, "the date is invalid (Invalid Date)")
	}
	return t.In(h.Location())
}

// result makes the JS Date for t, or throws when t is beyond the JS Date range.
func result(h *builtins.Host, fn string, t time.Time) goja.Value {
	if ms := t.UnixMilli(); ms > maxMs || ms < -maxMs || t.Year() > 300_000 || t.Year() < -300_000 {
		h.RangeError(fn, "the result is outside the range of a Date")
	}
	return h.NewDate(t)
}

// wall is the instant of a wall-clock time in loc (fields are normalized like time.Date). A time in
// a DST gap moves forward by the gap; a time in a DST overlap is the EARLIER instant — what
// new Date(y, m, d, h, mi) does in JS. (time.Date does not guarantee either: it picks the later
// instant in an overlap and, east or west of UTC, moves a gap time forward or back.)
func wall(y int, m time.Month, d, hh, mi, ss, ns int, loc *time.Location) time.Time {
	w := time.Date(y, m, d, hh, mi, ss, ns, time.UTC) // the normalized wall clock
	_, offBefore := w.Add(-24 * time.Hour).In(loc).Zone()
	_, offAfter := w.Add(24 * time.Hour).In(loc).Zone()
	early := w.Add(-time.Duration(max(offBefore, offAfter)) * time.Second).In(loc)
	late := w.Add(-time.Duration(min(offBefore, offAfter)) * time.Second).In(loc)
	switch {
	case sameWall(early, w):
		return early
	case sameWall(late, w):
		return late
	case offBefore != offAfter:
		// A gap: read the wall clock with the offset in force before it, which lands after it.
		return w.Add(-time.Duration(offBefore) * time.Second).In(loc)
	}
	return time.Date(y, m, d, hh, mi, ss, ns, loc) // two changes within a day: let Go decide
}

// sameWall reports whether a and b show the same wall-clock date and time (each in its location).
func sameWall(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd && a.Hour() == b.Hour() && a.Minute() == b.Minute() &&
		a.Second() == b.Second() && a.Nanosecond() == b.Nanosecond()
}

// Bounds on the amounts to add: anything larger leaves the Date range (±273,790 years) for sure, so
// it is a RangeError before any arithmetic could overflow.
const (
	maxDays   = 200_000_000
	maxMonths = 7_000_000
)

func addDays(unit int) body {
	arg := "days"
	if unit == 7 {
		arg = "weeks"
	}
	return func(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
		t := this(h, call, fn)
		n := h.IntIn(call, 0, fn, arg, -maxDays/unit, maxDays/unit)
		if n == 0 {
			return h.NewDate(t)
		}
		y, m, d := t.Date()
		return result(h, fn, wall(y, m, d+n*unit, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location()))
	}
}

func addMonths(unit int) body {
	arg := "months"
	if unit == 12 {
		arg = "years"
	}
	return func(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
		t := this(h, call, fn)
		n := h.IntIn(call, 0, fn, arg, -maxMonths/unit, maxMonths/unit)
		if n == 0 {
			return h.NewDate(t)
		}
		y, m, d := t.Date()
		total := y*12 + int(m) - 1 + n*unit
		ty := floorDiv(total, 12)
		tm := time.Month(total - ty*12 + 1)
		d = min(d, daysIn(ty, tm))
		return result(h, fn, wall(ty, tm, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location()))
	}
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// daysIn is the number of days in month m of year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

type period int

const (
	day period = iota
	month
	year
)

// start is the first instant of t's day, month or year in t's location.
func start(t time.Time, p period) time.Time {
	y, m, d := t.Date()
	switch p {
	case month:
		d = 1
	case year:
		m, d = time.January, 1
	}
	return wall(y, m, d, 0, 0, 0, 0, t.Location())
}

// next is the first instant of the period after t's.
func next(t time.Time, p period) time.Time {
	y, m, _ := t.Date()
	if p == year {
		return wall(y+1, time.January, 1, 0, 0, 0, 0, t.Location())
	}
	return wall(y, m+1, 1, 0, 0, 0, 0, t.Location())
}

func startOf(p period) body {
	return func(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
		return result(h, fn, start(this(h, call, fn), p))
	}
}

// endOf is the last millisecond of the period: the next period's first instant − 1 ms, so a DST
// change at midnight cannot make it skip or repeat.
func endOf(p period) body {
	return func(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
		return result(h, fn, next(this(h, call, fn), p).Add(-time.Millisecond))
	}
}

func firstDayOfMonth(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	y := h.IntIn(call, 0, fn, "year", -271_821, 275_760)
	m := time.Month(h.IntIn(call, 1, fn, "month", 1, 12))
	wd := h.IntIn(call, 2, fn, "dayIdx", 0, 6)
	first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).Weekday()
	d := 1 + (wd-int(first)+7)%7
	return result(h, fn, wall(y, m, d, 0, 0, 0, 0, h.Location()))
}

// clockNanos is the wall-clock time of day in nanoseconds.
func clockNanos(t time.Time) int64 {
	return int64(t.Hour())*int64(time.Hour) + int64(t.Minute())*int64(time.Minute) +
		int64(t.Second())*int64(time.Second) + int64(t.Nanosecond())
}

// dayNumber counts calendar days since 1970-01-01 of t's wall-clock date.
func dayNumber(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func diff(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	a := this(h, call, fn)
	b := h.Date(call, 0, fn, "other")
	unit := h.String(call, 1, fn, "unit")
	var n int64
	switch unit {
	case "days", "weeks":
		n = dayNumber(b) - dayNumber(a)
		ta, tb := clockNanos(a), clockNanos(b)
		switch {
		case n > 0 && tb < ta:
			n--
		case n < 0 && tb > ta:
			n++
		}
		if unit == "weeks" {
			n /= 7
		}
	case "months", "years":
		ay, am, ad := a.Date()
		by, bm, bd := b.Date()
		n = int64((by-ay)*12 + int(bm) - int(am))
		// Compare the rest (day of month, then time of day) to see if the last month is complete.
		rest := cmpInt64(int64(bd), int64(ad))
		if rest == 0 {
			rest = cmpInt64(clockNanos(b), clockNanos(a))
		}
		switch {
		case n > 0 && rest < 0:
			n--
		case n < 0 && rest > 0:
			n++
		}
		if unit == "years" {
			n /= 12
		}
	case "hours", "minutes", "seconds":
		per := int64(1000)
		switch unit {
		case "hours":
			per = 3_600_000
		case "minutes":
			per = 60_000
		}
		n = (b.UnixMilli() - a.UnixMilli()) / per // truncates toward zero
	default:
		h.RangeError(fn, `unit must be "years", "months", "weeks", "days", "hours", "minutes" or "seconds", got %s`, builtins.Describe(call.Argument(1)))
	}
	return h.VM.ToValue(n)
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func isSameDay(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	a := this(h, call, fn)
	b := h.Date(call, 0, fn, "other")
	return h.VM.ToValue(dayNumber(a) == dayNumber(b))
}

func compare(want int) body {
	return func(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
		a := this(h, call, fn)
		b := h.Date(call, 0, fn, "other")
		return h.VM.ToValue(a.Compare(b) == want)
	}
}

func isWeekend(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	wd := this(h, call, fn).Weekday()
	return h.VM.ToValue(wd == time.Saturday || wd == time.Sunday)
}

func toISODate(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	t := this(h, call, fn)
	var b strings.Builder
	b.Grow(14)
	writeYear(&b, t.Year(), true)
	b.WriteByte('-')
	writePadded(&b, int(t.Month()), 2)
	b.WriteByte('-')
	writePadded(&b, t.Day(), 2)
	return h.VM.ToValue(b.String())
}

// writeYear writes a year as 4 digits (0-9999), else with a sign: 6 digits when iso (like
// toISOString's expanded years), at least 4 otherwise.
func writeYear(b *strings.Builder, y int, iso bool) {
	switch {
	case y >= 0 && y <= 9999:
		writePadded(b, y, 4)
	case iso: // +275760, -000001
		if y < 0 {
			b.WriteByte('-')
		} else {
			b.WriteByte('+')
		}
		writePadded(b, abs(y), 6)
	case y < 0: // -0044 for 45 BC (year −44 astronomically)
		b.WriteByte('-')
		writePadded(b, -y, 4)
	default: // 10000
		writePadded(b, y, 4)
	}
}

// writePadded writes v ≥ 0 in decimal, zero-padded to width digits.
func writePadded(b *strings.Builder, v, width int) {
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], int64(v), 10)
	for range width - len(s) {
		b.WriteByte('0')
	}
	b.Write(s)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
