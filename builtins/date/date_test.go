package date

import (
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

// clock: 22:30 UTC on 14 June 2024, already 15 June 00:30 in Amsterdam.
var clock = time.Date(2024, 6, 14, 22, 30, 0, 0, time.UTC)

func newVM(t testing.TB, exec *builtins.Exec) *goja.Runtime {
	t.Helper()
	vm, h := builtinstest.NewVM(t, exec, Module{})
	// L(y, m0, d, h, mi, s, ms) is new Date(y, m0, ...) in the execution's zone: goja's own local
	// constructor uses the process zone (time.Local), which tests must not depend on.
	if err := vm.Set("L", func(call goja.FunctionCall) goja.Value {
		f := make([]int, 7)
		f[2] = 1
		for i := range min(len(call.Arguments), 7) {
			f[i] = int(call.Arguments[i].ToInteger())
		}
		return h.NewDate(time.Date(f[0], time.Month(f[1]+1), f[2], f[3], f[4], f[5], f[6]*1e6, h.Location()))
	}); err != nil {
		t.Fatal(err)
	}
	return vm
}

// js returns String(value) of expr, or "Name: message" when it throws. Dates come out as ISO
// strings (UTC) so expectations are zone-independent.
func js(t testing.TB, vm *goja.Runtime, expr string) string {
	t.Helper()
	v, err := vm.RunString("(() => { try { const r = (" + expr + "); return r instanceof Date ? (isNaN(r) ? 'Invalid Date' : r.toISOString()) : String(r) } catch (e) { return (e && e.name) + ': ' + (e && e.message) } })()")
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v.String()
}

type jsCase struct{ expr, want string }

func run(t *testing.T, exec *builtins.Exec, cases []jsCase) {
	t.Helper()
	vm := newVM(t, exec)
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			if got := js(t, vm, c.expr); got != c.want {
				t.Errorf("%s\n got %s\nwant %s", c.expr, got, c.want)
			}
		})
	}
}

func ams() *builtins.Exec { return &builtins.Exec{Now: clock, Location: amsterdam, Culture: "nl-NL"} }
func utc() *builtins.Exec { return &builtins.Exec{Now: clock, Location: time.UTC} }

func TestConstants(t *testing.T) {
	run(t, ams(), []jsCase{
		{"Date.MS_IN_SECOND", "1000"}, {"Date.MS_IN_MINUTE", "60000"}, {"Date.MS_IN_HOUR", "3600000"},
		{"Date.MS_IN_DAY", "86400000"}, {"Date.SECONDS_IN_MINUTE", "60"}, {"Date.SECONDS_IN_HOUR", "3600"},
		{"Date.SECONDS_IN_DAY", "86400"}, {"Date.MINUTES_IN_HOUR", "60"}, {"Date.MINUTES_IN_DAY", "1440"},
		{"Date.HOURS_IN_DAY", "24"}, {"Date.DAYS_IN_WEEK", "7"}, {"Date.MONTHS_IN_QUARTER", "3"},
		{"Date.QUARTERS_IN_YEAR", "4"}, {"Date.MONTHS_IN_YEAR", "12"},
		{"[Date.SUNDAY, Date.MONDAY, Date.TUESDAY, Date.WEDNESDAY, Date.THURSDAY, Date.FRIDAY, Date.SATURDAY].join()", "0,1,2,3,4,5,6"},
		{"(() => { 'use strict'; try { Date.MS_IN_DAY = 1 } catch (e) { return e.name } })()", "TypeError"},
		{"Object.keys(Date).length", "0"},
		{"new Date('2024-01-01T12:00Z').getDay() === Date.MONDAY", "true"},
	})
}

func TestFirstDayOfMonth(t *testing.T) {
	run(t, ams(), []jsCase{
		{"Date.firstDayOfMonth(2024, 9, Date.MONDAY)", "2024-09-01T22:00:00.000Z"}, // 2 Sep 00:00 CEST
		{"Date.firstDayOfMonth(2024, 9, Date.SUNDAY).toISODate()", "2024-09-01"},
		{"Date.firstDayOfMonth(2024, 9, Date.SATURDAY).toISODate()", "2024-09-07"},
		{"Date.firstDayOfMonth(2024, 2, Date.THURSDAY).toISODate()", "2024-02-01"},
		{"Date.firstDayOfMonth(2024, 1, 5)", "2024-01-04T23:00:00.000Z"}, // 5 Jan 00:00 CET
		{"Date.firstDayOfMonth(2024, 0, 1)", "RangeError: Date.firstDayOfMonth: month must be an integer between 1 and 12, got 0"},
		{"Date.firstDayOfMonth(2024, 13, 1)", "RangeError: Date.firstDayOfMonth: month must be an integer between 1 and 12, got 13"},
		{"Date.firstDayOfMonth(2024, 1, 7)", "RangeError: Date.firstDayOfMonth: dayIdx must be an integer between 0 and 6, got 7"},
		{"Date.firstDayOfMonth('2024', 1, 1)", `TypeError: Date.firstDayOfMonth: year must be an integer, got "2024"`},
		{"Date.firstDayOfMonth(2024, 1)", "TypeError: Date.firstDayOfMonth: dayIdx is required (an integer)"},
		{"Date.firstDayOfMonth(275760, 10, 1)", "RangeError: Date.firstDayOfMonth: the result is outside the range of a Date"},
		{"Date.firstDayOfMonth(275760, 9, Date.SATURDAY).toISODate()", "+275760-09-06"},
		{"Date.firstDayOfMonth(275761, 1, 1)", "RangeError: Date.firstDayOfMonth: year must be an integer between -271821 and 275760, got 275761"},
	})
	run(t, utc(), []jsCase{{"Date.firstDayOfMonth(2024, 9, Date.MONDAY)", "2024-09-02T00:00:00.000Z"}})
}

func TestAdd(t *testing.T) {
	run(t, ams(), []jsCase{
		// DST spring forward (Sun 31 Mar 2024, 02:00 → 03:00): wall-clock time kept
		{"new Date('2024-03-30T12:00:00+01:00').addDays(1)", "2024-03-31T10:00:00.000Z"},
		{"new Date('2024-03-31T12:00:00+02:00').addDays(-1)", "2024-03-30T11:00:00.000Z"},
		{"new Date('2024-03-30T00:00:00+01:00').addDays(1)", "2024-03-30T23:00:00.000Z"}, // 00:00 is still CET
		{"new Date('2024-03-30T02:30:00+01:00').addDays(1)", "2024-03-31T01:30:00.000Z"}, // 02:30 does not exist: 03:30 CEST
		{"new Date('2024-03-25T09:15:30.250+01:00').addWeeks(1)", "2024-04-01T07:15:30.250Z"},
		// DST fall back (Sun 27 Oct 2024, 03:00 → 02:00)
		{"new Date('2024-10-26T12:00:00+02:00').addDays(1)", "2024-10-27T11:00:00.000Z"},
		{"new Date('2024-10-26T02:30:00+02:00').addDays(1)", "2024-10-27T00:30:00.000Z"}, // 02:30 twice: the earlier (CEST)
		{"new Date('2024-10-20T12:00:00+02:00').addWeeks(1)", "2024-10-27T11:00:00.000Z"},
		{"new Date('2024-10-27T02:30:00+01:00').addDays(0)", "2024-10-27T01:30:00.000Z"}, // unchanged instant
		// months: end-of-month clamps, leap and non-leap years
		{"new Date('2024-01-31T10:00:00+01:00').addMonths(1)", "2024-02-29T09:00:00.000Z"},
		{"new Date('2023-01-31T10:00:00+01:00').addMonths(1)", "2023-02-28T09:00:00.000Z"},
		{"new Date('2024-03-31T10:00:00+02:00').addMonths(-1)", "2024-02-29T09:00:00.000Z"},
		{"new Date('2024-01-31T00:00:00+01:00').addMonths(3).toISODate()", "2024-04-30"},
		{"new Date('2024-01-31T00:00:00+01:00').addMonths(-2).toISODate()", "2023-11-30"},
		{"new Date('2024-01-15T00:00:00+01:00').addMonths(-13).toISODate()", "2022-12-15"},
		{"new Date('2024-03-15T12:00:00+01:00').addMonths(1)", "2024-04-15T10:00:00.000Z"}, // across DST
		{"new Date('2024-12-31T00:00:00+01:00').addMonths(2).toISODate()", "2025-02-28"},
		{"new Date('2024-02-29T00:00:00+01:00').addYears(1).toISODate()", "2025-02-28"},
		{"new Date('2024-02-29T00:00:00+01:00').addYears(4).toISODate()", "2028-02-29"},
		{"new Date('2024-02-29T00:00:00+01:00').addYears(-1).toISODate()", "2023-02-28"},
		{"new Date('2024-02-29T00:00:00+01:00').addMonths(12).toISODate()", "2025-02-28"},
		{"new Date('2023-06-15T08:00:00+02:00').addYears(1)", "2024-06-15T06:00:00.000Z"},
		// zone: 22:30 UTC on 14 June is 15 June in Amsterdam
		{"new Date('2024-06-14T22:30:00Z').addDays(16).toISODate()", "2024-07-01"},
		{"new Date('2024-01-31T23:30:00Z').addMonths(1)", "2024-02-29T23:30:00.000Z"}, // 1 Feb 00:30 → 1 Mar 00:30
		// non-mutation
		{"(() => { const d = new Date(0); d.addDays(3); d.addMonths(1); d.startOfMonth(); return d.getTime() })()", "0"},
		{"(() => { const d = new Date(0); return d.addDays(0) !== d })()", "true"},
		// errors
		{"new Date(0).addMonths(1.5)", "RangeError: Date.prototype.addMonths: months must be an integer between -7000000 and 7000000, got 1.5"},
		{"new Date(0).addMonths('1')", `TypeError: Date.prototype.addMonths: months must be an integer, got "1"`},
		{"new Date(0).addMonths()", "TypeError: Date.prototype.addMonths: months is required (an integer)"},
		{"new Date(0).addDays(NaN)", "RangeError: Date.prototype.addDays: days must be an integer between -200000000 and 200000000, got NaN"},
		{"new Date(0).addDays(1e9)", "RangeError: Date.prototype.addDays: days must be an integer between -200000000 and 200000000, got 1000000000"},
		{"new Date(8.64e15).addDays(1)", "RangeError: Date.prototype.addDays: the result is outside the range of a Date"},
		{"new Date(-8.64e15).addYears(-1)", "RangeError: Date.prototype.addYears: the result is outside the range of a Date"},
		{"new Date(0).addDays(100000000 - 1).toISODate()", "+275760-09-12"},
		{"new Date('x').addMonths(1)", "RangeError: Date.prototype.addMonths: the date is invalid (Invalid Date)"},
		{"Date.prototype.addMonths.call({}, 1)", "TypeError: Date.prototype.addMonths: must be called on a Date, got an object"},
		{"Date.prototype.addDays.call(0, 1)", "TypeError: Date.prototype.addDays: must be called on a Date, got 0"},
	})
}

func TestStartEnd(t *testing.T) {
	run(t, ams(), []jsCase{
		{"new Date('2024-06-14T22:30:00Z').startOfDay()", "2024-06-14T22:00:00.000Z"}, // 15 June 00:00 CEST
		{"new Date('2024-03-31T15:00:00+02:00').startOfDay()", "2024-03-30T23:00:00.000Z"},
		{"new Date('2024-02-15T12:00:00+01:00').startOfMonth()", "2024-01-31T23:00:00.000Z"},
		{"new Date('2024-02-15T12:00:00+01:00').endOfMonth()", "2024-02-29T22:59:59.999Z"},
		{"new Date('2023-02-15T12:00:00+01:00').endOfMonth()", "2023-02-28T22:59:59.999Z"},
		{"new Date('2024-03-15T12:00:00+01:00').endOfMonth()", "2024-03-31T21:59:59.999Z"}, // CEST by then
		{"new Date('2024-10-15T12:00:00+02:00').endOfMonth()", "2024-10-31T22:59:59.999Z"},
		{"new Date('2024-06-15T12:00:00+02:00').startOfYear()", "2023-12-31T23:00:00.000Z"},
		{"new Date('2024-06-15T12:00:00+02:00').endOfYear()", "2024-12-31T22:59:59.999Z"},
		{"new Date('2024-12-31T23:30:00Z').startOfYear().toISODate()", "2025-01-01"}, // already 2025 in Amsterdam
		{"new Date('x').endOfYear()", "RangeError: Date.prototype.endOfYear: the date is invalid (Invalid Date)"},
		{"new Date(8.64e15).endOfYear()", "RangeError: Date.prototype.endOfYear: the result is outside the range of a Date"},
	})
	run(t, utc(), []jsCase{
		{"new Date('2024-06-14T22:30:00Z').startOfDay()", "2024-06-14T00:00:00.000Z"},
		{"new Date('2024-02-15T12:00:00Z').endOfMonth()", "2024-02-29T23:59:59.999Z"},
	})
	// West of UTC: a gap time still moves forward, an overlap time is still the earlier instant.
	run(t, &builtins.Exec{Now: clock, Location: mustLoad("America/New_York")}, []jsCase{
		{"new Date('2024-03-09T02:30:00-05:00').addDays(1)", "2024-03-10T07:30:00.000Z"}, // 03:30 EDT
		{"new Date('2024-11-02T01:30:00-04:00').addDays(1)", "2024-11-03T05:30:00.000Z"}, // 01:30 EDT, not EST
		{"new Date('2024-11-02T12:00:00-04:00').addDays(1)", "2024-11-03T17:00:00.000Z"},
	})
	// A zone whose DST starts at midnight: the first instant of the day is 01:00.
	run(t, &builtins.Exec{Now: clock, Location: mustLoad("America/Santiago")}, []jsCase{
		{"new Date('2024-09-08T12:00:00-03:00').startOfDay()", "2024-09-08T04:00:00.000Z"},
	})
}

func TestDiff(t *testing.T) {
	run(t, ams(), []jsCase{
		{"L(2024, 0, 31).diff(L(2024, 2, 1), 'months')", "1"},
		{"L(2024, 0, 31).diff(L(2024, 1, 29), 'months')", "0"}, // like MONTHDIFF
		{"L(2024, 0, 15).diff(L(2024, 1, 15), 'months')", "1"},
		{"L(2024, 0, 15, 10).diff(L(2024, 1, 15, 9), 'months')", "0"}, // not a whole month yet
		{"L(2024, 1, 15).diff(L(2024, 0, 15), 'months')", "-1"},
		{"L(2024, 1, 15).diff(L(2024, 0, 16), 'months')", "0"},
		{"L(2024, 1, 29).diff(L(2025, 1, 28), 'years')", "0"}, // leap day: like YEARDIFF/AGE
		{"L(2024, 1, 29).diff(L(2025, 2, 1), 'years')", "1"},
		{"L(1980, 4, 17).diff('2024-05-16', 'years')", "43"},
		{"L(1980, 4, 17).diff('2024-05-17', 'years')", "44"},
		{"L(2024, 5, 15).diff(L(2023, 5, 16), 'years')", "0"},
		{"L(2024, 5, 15).diff(L(2023, 5, 15), 'years')", "-1"},
		// days: calendar days in the zone, DST-safe; a day completes at the same wall-clock time
		{"new Date('2024-03-30T12:00:00+01:00').diff(new Date('2024-03-31T12:00:00+02:00'), 'days')", "1"}, // 23 h
		{"new Date('2024-03-30T12:00:00+01:00').diff(new Date('2024-03-31T12:00:00+02:00'), 'hours')", "23"},
		{"new Date('2024-10-26T12:00:00+02:00').diff(new Date('2024-10-27T12:00:00+01:00'), 'days')", "1"}, // 25 h
		{"new Date('2024-10-26T12:00:00+02:00').diff(new Date('2024-10-27T12:00:00+01:00'), 'hours')", "25"},
		{"L(2024, 0, 1, 23).diff(L(2024, 0, 2, 1), 'days')", "0"},
		{"L(2024, 0, 2, 1).diff(L(2024, 0, 1, 23), 'days')", "0"},
		{"L(2024, 0, 1).diff(L(2024, 0, 31), 'days')", "30"},
		{"L(2024, 0, 31).diff(L(2024, 0, 1), 'days')", "-30"},
		{"L(2024, 0, 1).diff('2024-12-31', 'weeks')", "52"},
		{"L(2024, 0, 14).diff('2024-01-01', 'weeks')", "-1"},
		{"L(2024, 0, 1).diff(L(2024, 0, 1, 1, 30, 59), 'minutes')", "90"},
		{"L(2024, 0, 1).diff(L(2024, 0, 1, 1, 30, 59, 999), 'seconds')", "5459"},
		{"L(2024, 0, 1, 0, 0, 1).diff(L(2024, 0, 1), 'seconds')", "-1"},
		{"L(2024, 0, 1, 0, 0, 0, 500).diff(L(2024, 0, 1), 'seconds')", "0"}, // toward zero
		// zone: 22:30 UTC on 14 June and 00:30 UTC on 15 June are the same Amsterdam day
		{"new Date('2024-06-14T22:30:00Z').diff(new Date('2024-06-15T21:00:00Z'), 'days')", "0"},
		{"new Date('2024-06-14T21:30:00Z').diff(new Date('2024-06-15T21:30:00Z'), 'days')", "1"},
		// errors
		{"new Date(0).diff(new Date(1), 'day')", `RangeError: Date.prototype.diff: unit must be "years", "months", "weeks", "days", "hours", "minutes" or "seconds", got "day"`},
		{"new Date(0).diff(new Date(1))", "TypeError: Date.prototype.diff: unit is required (a string)"},
		{"new Date(0).diff(5, 'days')", `TypeError: Date.prototype.diff: other must be a Date or a "YYYY-MM-DD" string, got 5`},
		{"new Date(0).diff('2024-02-30', 'days')", `RangeError: Date.prototype.diff: other must be a Date or a "YYYY-MM-DD" or RFC 3339 date string, got "2024-02-30"`},
		{"new Date(0).diff(new Date('x'), 'days')", "RangeError: Date.prototype.diff: other is an invalid Date"},
		{"new Date(-8.64e15).diff(new Date(8.64e15), 'seconds')", "17280000000000"},
		{"new Date(-8.64e15).diff(new Date(8.64e15), 'years')", "547581"},
	})
}

func TestPredicates(t *testing.T) {
	run(t, ams(), []jsCase{
		{"L(2024, 5, 15, 8).isSameDay(L(2024, 5, 15, 23))", "true"},
		{"L(2024, 5, 15, 8).isSameDay(L(2024, 5, 16))", "false"},
		{"new Date('2024-06-14T22:30:00Z').isSameDay('2024-06-15')", "true"},
		{"new Date('2024-06-14T21:30:00Z').isSameDay('2024-06-15')", "false"},
		{"L(2024, 0, 1).isBefore('2024-06-01')", "true"},
		{"L(2024, 0, 1).isBefore(L(2024, 0, 1))", "false"},
		{"L(2024, 0, 1).isAfter(L(2024, 0, 1))", "false"},
		{"L(2024, 0, 2).isAfter(L(2024, 0, 1))", "true"},
		{"L(2024, 5, 15).isWeekend()", "true"},                   // Saturday
		{"L(2024, 5, 16).isWeekend()", "true"},                   // Sunday
		{"L(2024, 5, 17).isWeekend()", "false"},                  // Monday
		{"new Date('2024-06-14T22:30:00Z').isWeekend()", "true"}, // Friday in UTC, Saturday in Amsterdam
		{"new Date(0).isBefore()", `TypeError: Date.prototype.isBefore: other is required (a Date or a "YYYY-MM-DD" string)`},
		{"new Date('x').isWeekend()", "RangeError: Date.prototype.isWeekend: the date is invalid (Invalid Date)"},
	})
	run(t, utc(), []jsCase{{"new Date('2024-06-14T22:30:00Z').isWeekend()", "false"}})
}

func TestFormat(t *testing.T) {
	run(t, ams(), []jsCase{
		{"new Date('2024-03-05T09:07:03.045+01:00').format('yyyy-MM-dd HH:mm:ss')", "2024-03-05 09:07:03"},
		{"new Date('2024-03-05T09:07:03.045+01:00').format('d-M-yy H:m:s.fff')", "5-3-24 9:7:3.045"},
		{"new Date('2024-03-05T09:07:03.045+01:00').format('f ff fff')", "0 04 045"},
		{"L(2024, 2, 5, 9, 7).format(\"d MMMM yyyy 'om' HH:mm\", 'nl')", "5 maart 2024 om 09:07"},
		{"L(2024, 2, 5).format('dddd d MMMM yyyy')", "dinsdag 5 maart 2024"}, // execution culture nl-NL
		{"L(2024, 2, 5).format('ddd d MMM')", "di 5 mrt"},
		{"L(2024, 2, 5).format('dddd, MMMM d, yyyy', 'en-US')", "Tuesday, March 5, 2024"},
		{"L(2024, 2, 5).format('ddd MMM', 'en')", "Tue Mar"},
		{"L(2024, 2, 5).format('dddd d. MMMM yyyy', 'de-DE')", "Dienstag 5. März 2024"},
		{"L(2024, 1, 5).format('ddd d MMM', 'de')", "Mo. 5 Feb."}, // CLDR's format forms (in a date)
		{"L(2024, 1, 5).format('ddd', 'de')", "Mo"},               // the stand-alone form
		{"L(2024, 4, 5).format('d MMMM', 'ru')", "5 мая"},         // genitive in a date
		{"L(2024, 4, 5).format('MMMM yyyy', 'ru')", "май 2024"},   // nominative on its own
		{"L(2024, 0, 1, 9).format('h tt', 'en-US')", "9 AM"},
		{"L(2024, 2, 5).format('dddd d MMMM', 'pl')", "wtorek 5 marca"},
		{"L(2024, 2, 5).format('MMMM', 'tlh')", `RangeError: Date.prototype.format: unknown culture "tlh": CLDR 48.0.0 has no data for the language tlh (use a BCP 47 tag CLDR has data for, such as nl-NL or en-US)`},
		{"L(2024, 2, 5).format('MMMM', 'en-ZZ')", `RangeError: Date.prototype.format: unknown culture "en-ZZ": ZZ is not a country or a region CLDR has data for (use a BCP 47 tag CLDR has data for, such as nl-NL or en-US)`},
		{"L(2024, 7, 5).format('dddd d MMMM yyyy', 'fr-FR')", "lundi 5 août 2024"},
		{"L(2024, 1, 5).format('ddd d MMM', 'fr_BE')", "lun. 5 févr."},
		{"L(2024, 2, 5).format('MMMM', 'ja-JP')", "3月"},
		{"L(2024, 2, 5).format('MMMM', '')", "March"},
		{"L(2024, 2, 5).format('MMMM', 'NL')", "maart"},
		{"L(2024, 0, 1, 0, 5).format('h:mm tt')", "12:05 a.m."}, // nl-NL
		{"L(2024, 0, 1, 12, 5).format('hh:mm tt')", "12:05 p.m."},
		{"L(2024, 0, 1, 23, 5).format('h tt')", "11 p.m."},
		// zone: 22:30 UTC is 00:30 the next day in Amsterdam
		{"new Date('2024-06-14T22:30:00Z').format('yyyy-MM-dd HH:mm')", "2024-06-15 00:30"},
		// literals
		{"L(2024, 2, 5).format(\"'Today is' dddd\", 'en')", "Today is Tuesday"},
		{"L(2024, 2, 5).format(\"yyyy'T'MM\")", "2024T03"},
		{"L(2024, 2, 5).format(\"dd '' MM\")", "05 ' 03"},
		{"L(2024, 2, 5).format(\"'it''s' d\")", "it's 5"},
		{"L(2024, 2, 5).format('\\\\d\\\\a\\\\y d')", "day 5"},
		{"L(2024, 2, 5).format('yyyy/MM/dd – é')", "2024/03/05 – é"},
		{"L(2024, 2, 5).format('')", ""},
		{"new Date(-62198755200000).format('yyyy')", "-0001"},
		{"new Date(Date.UTC(12345, 0, 1)).format('yyyy yy')", "12345 45"},
		// errors
		{"new Date(0).format('YYYY-MM-DD')", `RangeError: Date.prototype.format: unknown token "YYYY" in pattern (tokens: yyyy yy M MM MMM MMMM d dd ddd dddd H HH h hh m mm s ss f ff fff tt; quote literal text: 'at')`},
		{"new Date(0).format('yyyy at')", `RangeError: Date.prototype.format: unknown token "a" in pattern (tokens: yyyy yy M MM MMM MMMM d dd ddd dddd H HH h hh m mm s ss f ff fff tt; quote literal text: 'at')`},
		{"new Date(0).format('yyy')", `RangeError: Date.prototype.format: unknown token "yyy" in pattern (tokens: yyyy yy M MM MMM MMMM d dd ddd dddd H HH h hh m mm s ss f ff fff tt; quote literal text: 'at')`},
		{"new Date(0).format(\"'abc\")", "RangeError: Date.prototype.format: unclosed quote at position 0 in pattern"},
		{"new Date(0).format('d\\\\')", "RangeError: Date.prototype.format: the pattern ends with a lone \\"},
		{"new Date(0).format()", "TypeError: Date.prototype.format: pattern is required (a string)"},
		{"new Date(0).format('d', 1)", "TypeError: Date.prototype.format: culture must be a string, got 1"},
		{"new Date('x').format('d')", "RangeError: Date.prototype.format: the date is invalid (Invalid Date)"},
	})
	// Without a culture: English.
	run(t, utc(), []jsCase{{"L(2024, 2, 5).format('MMMM')", "March"}})
}

func TestToISODate(t *testing.T) {
	run(t, ams(), []jsCase{
		{"new Date('2024-06-14T22:30:00Z').toISODate()", "2024-06-15"},
		{"new Date('2024-06-14T21:59:59.999Z').toISODate()", "2024-06-14"},
		{"new Date('2024-02-29').toISODate()", "2024-02-29"}, // parsed as UTC midnight: 01:00 in Amsterdam
		{"new Date(8.64e15).toISODate()", "+275760-09-13"},
		{"new Date(-8.64e15).toISODate()", "-271821-04-20"},
		{"new Date(-62198755200000).toISODate()", "-000001-01-01"},
		{"Date.prototype.toISODate.call('2024-01-01')", `TypeError: Date.prototype.toISODate: must be called on a Date, got "2024-01-01"`},
	})
	run(t, utc(), []jsCase{{"new Date('2024-06-14T22:30:00Z').toISODate()", "2024-06-14"}})
	// Outside an execution: UTC.
	run(t, nil, []jsCase{{"new Date('2024-06-14T22:30:00Z').toISODate()", "2024-06-14"}, {"L(2024, 0, 5).format('MMM')", "Jan"}})
}

func TestDescribed(t *testing.T) {
	m := Module{}
	if m.Name() != "Date" {
		t.Errorf("name %q", m.Name())
	}
	typ := m.Typings()
	for _, want := range []string{"interface DateConstructor {", "readonly MS_IN_DAY: number;", "firstDayOfMonth(year: number", "interface Date {", "  addMonths(months: number): Date;", "  format(pattern: string, culture?: string): string;"} {
		if !strings.Contains(typ, want) {
			t.Errorf("typings lack %q:\n%s", want, typ)
		}
	}
	ref := m.Reference()
	names := map[string]bool{}
	for _, e := range ref {
		names[e.Qualified] = true
		if e.Doc == "" || strings.Contains(e.Doc, "\n") {
			t.Errorf("%s: doc missing or multi-line", e.Qualified)
		}
	}
	for _, want := range []string{"Date.MS_IN_DAY", "Date.SATURDAY", "Date.firstDayOfMonth", "Date.prototype.addMonths", "Date.prototype.toISODate"} {
		if !names[want] {
			t.Errorf("reference lacks %s", want)
		}
	}
	vm := newVM(t, ams())
	for _, f := range methods {
		if got := js(t, vm, "Object.getOwnPropertyDescriptor(Date.prototype, '"+f.Name+"').enumerable === false && typeof new Date(0)."+f.Name); got != "function" {
			t.Errorf("%s: %s", f.Name, got)
		}
		if f.Example == "" {
			t.Errorf("%s: no example", f.Name)
		}
	}
	if got := js(t, vm, "(() => { const ks = []; for (const k in new Date(0)) ks.push(k); return ks.length })()"); got != "0" {
		t.Errorf("for...in sees %s", got)
	}
}

// The examples whose value does not depend on the zone evaluate to their comment (in Amsterdam).
func TestExamples(t *testing.T) {
	vm := newVM(t, ams())
	checked := 0
	for _, f := range append(append([]builtins.Fn{}, statics...), methods...) {
		expr, want, ok := strings.Cut(f.Example, " // ")
		if !ok {
			continue
		}
		want, _, _ = strings.Cut(want, " (")
		want = strings.TrimSuffix(want, " in Amsterdam")
		if strings.Contains(want, " ") && !strings.HasPrefix(want, `"`) {
			continue // illustrative
		}
		want = strings.Trim(want, `"`)
		if got := js(t, vm, expr); got != want {
			t.Errorf("%s: got %s", f.Example, got)
		}
		checked++
	}
	if checked < 14 {
		t.Errorf("only %d examples checked", checked)
	}
}
