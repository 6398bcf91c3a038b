package builtins

import (
	"math"
	"math/big"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// Argument helpers. Every builtin reads its arguments through these, so wrong arguments fail the
// same way everywhere: a JS TypeError for a missing argument or a wrong type, a JS RangeError for a
// value of the right type that is out of range (NaN where not allowed, 1.5 where an integer is
// needed, an invalid Date). Messages name the function and the argument:
//
//	ROUND: x must be a number, got "abc"
//	ROUND: decimals must be an integer between -15 and 15, got 1.5
//
// i is the 0-based argument index, fn the function name as rule authors write it ("ROUND",
// "Finance.pmt"), arg the parameter name from its typings. The helpers throw by panicking with a
// JS error, which goja turns into an exception; call them only from inside a function made with
// Host.Func. Optional variants (Opt...) treat a missing or undefined argument as the default, like
// a JS default parameter; null is not "missing".

// MaxSafeInteger is Number.MAX_SAFE_INTEGER (2^53 − 1).
const MaxSafeInteger = 1<<53 - 1

var (
	typeInt64   = reflect.TypeOf(int64(0))
	typeFloat64 = reflect.TypeOf(float64(0))
)

// IsMissing reports whether v is undefined (or absent: call.Argument returns undefined past the end).
func IsMissing(v goja.Value) bool { return v == nil || goja.IsUndefined(v) }

// NumberOf reads a JS number primitive. Boxed numbers (new Number(1)), numeric strings and BigInts
// are not numbers here: builtins never coerce silently.
func NumberOf(v goja.Value) (float64, bool) {
	if v == nil {
		return 0, false
	}
	if _, isObj := v.(*goja.Object); isObj {
		return 0, false
	}
	switch v.ExportType() {
	case typeInt64, typeFloat64:
		return v.ToFloat(), true
	}
	return 0, false
}

// StringOf reads a JS string primitive.
func StringOf(v goja.Value) (string, bool) {
	if v == nil {
		return "", false
	}
	if _, ok := v.(goja.String); !ok {
		return "", false
	}
	return v.String(), true
}

// BoolOf reads a JS boolean primitive.
func BoolOf(v goja.Value) (bool, bool) {
	if v == nil {
		return false, false
	}
	if _, isObj := v.(*goja.Object); isObj {
		return false, false
	}
	b, ok := v.Export().(bool)
	return b, ok
}

// Describe names a JS value for an error message without running any JS: numbers and short
// strings by value, other values by kind ("an array", "a Date", "a function", ...).
func Describe(v goja.Value) string {
	switch {
	case v == nil || goja.IsUndefined(v):
		return "undefined"
	case goja.IsNull(v):
		return "null"
	}
	if f, ok := NumberOf(v); ok {
		return FormatNumber(f)
	}
	if s, ok := v.(goja.String); ok {
		const max = 40
		if s.Length() > max {
			return strconv.Quote(s.Substring(0, max).String()) + "…"
		}
		return strconv.Quote(s.String())
	}
	if b, ok := BoolOf(v); ok {
		return strconv.FormatBool(b)
	}
	if _, ok := v.(*goja.Symbol); ok {
		return "a symbol"
	}
	o, ok := v.(*goja.Object)
	if !ok {
		if _, isBig := v.Export().(*big.Int); isBig {
			return "a bigint"
		}
		if t := v.ExportType(); t != nil {
			return "a " + t.String()
		}
		return "a value"
	}
	if _, ok := goja.AssertFunction(o); ok {
		return "a function"
	}
	switch o.ClassName() {
	case "Date":
		if _, _, valid := DateOf(o); !valid {
			return "an invalid Date"
		}
		return "a Date"
	case "Array":
		return "an array"
	case "Error":
		return "an error"
	case "Number":
		return "a Number object"
	case "String":
		return "a String object"
	case "Boolean":
		return "a Boolean object"
	}
	return "an object"
}

// FormatNumber prints a float the way JS does for the common cases (integers without ".0",
// Infinity, NaN), without needing a runtime.
func FormatNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	if a := math.Abs(f); a >= 1e21 || a < 1e-6 {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		// Go pads one-digit exponents ("1e-07"); JS does not ("1e-7").
		if i := len(s) - 2; s[i] == '0' && (s[i-1] == '-' || s[i-1] == '+') {
			s = s[:i] + s[i+1:]
		}
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// wrongType throws the TypeError for a missing argument or one of the wrong type.
func (h *Host) wrongType(call goja.FunctionCall, i int, fn, arg, want string) {
	if i >= len(call.Arguments) {
		h.TypeError(fn, "%s is required (%s)", arg, want)
	}
	h.TypeError(fn, "%s must be %s, got %s", arg, want, Describe(call.Arguments[i]))
}

// Number reads a number argument (NaN and ±Infinity allowed).
func (h *Host) Number(call goja.FunctionCall, i int, fn, arg string) float64 {
	f, ok := NumberOf(call.Argument(i))
	if !ok {
		h.wrongType(call, i, fn, arg, "a number")
	}
	return f
}

// OptNumber reads an optional number argument (NaN and ±Infinity allowed).
func (h *Host) OptNumber(call goja.FunctionCall, i int, fn, arg string, def float64) float64 {
	if IsMissing(call.Argument(i)) {
		return def
	}
	return h.Number(call, i, fn, arg)
}

// Finite reads a number argument that must be finite (NaN or ±Infinity throw a RangeError).
func (h *Host) Finite(call goja.FunctionCall, i int, fn, arg string) float64 {
	f := h.Number(call, i, fn, arg)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		h.RangeError(fn, "%s must be a finite number, got %s", arg, FormatNumber(f))
	}
	return f
}

// OptFinite reads an optional finite number argument.
func (h *Host) OptFinite(call goja.FunctionCall, i int, fn, arg string, def float64) float64 {
	if IsMissing(call.Argument(i)) {
		return def
	}
	return h.Finite(call, i, fn, arg)
}

// Int reads an integer argument within ±Number.MAX_SAFE_INTEGER.
func (h *Host) Int(call goja.FunctionCall, i int, fn, arg string) int {
	return h.IntIn(call, i, fn, arg, -MaxSafeInteger, MaxSafeInteger)
}

// OptInt reads an optional integer argument within ±Number.MAX_SAFE_INTEGER.
func (h *Host) OptInt(call goja.FunctionCall, i int, fn, arg string, def int) int {
	return h.OptIntIn(call, i, fn, arg, -MaxSafeInteger, MaxSafeInteger, def)
}

// IntIn reads an integer argument in [min, max]. A fraction, NaN, ±Infinity or a value outside
// the range throws a RangeError that states the range.
func (h *Host) IntIn(call goja.FunctionCall, i int, fn, arg string, min, max int) int {
	f, ok := NumberOf(call.Argument(i))
	if !ok {
		h.wrongType(call, i, fn, arg, "an integer")
	}
	if f != math.Trunc(f) || f < float64(min) || f > float64(max) { // NaN fails f == Trunc(f)
		if min == -MaxSafeInteger && max == MaxSafeInteger {
			h.RangeError(fn, "%s must be an integer, got %s", arg, FormatNumber(f))
		}
		h.RangeError(fn, "%s must be an integer between %d and %d, got %s", arg, min, max, FormatNumber(f))
	}
	return int(f)
}

// OptIntIn reads an optional integer argument in [min, max].
func (h *Host) OptIntIn(call goja.FunctionCall, i int, fn, arg string, min, max, def int) int {
	if IsMissing(call.Argument(i)) {
		return def
	}
	return h.IntIn(call, i, fn, arg, min, max)
}

// String reads a string argument.
func (h *Host) String(call goja.FunctionCall, i int, fn, arg string) string {
	s, ok := StringOf(call.Argument(i))
	if !ok {
		h.wrongType(call, i, fn, arg, "a string")
	}
	return s
}

// OptString reads an optional string argument.
func (h *Host) OptString(call goja.FunctionCall, i int, fn, arg string, def string) string {
	if IsMissing(call.Argument(i)) {
		return def
	}
	return h.String(call, i, fn, arg)
}

// Bool reads a boolean argument.
func (h *Host) Bool(call goja.FunctionCall, i int, fn, arg string) bool {
	b, ok := BoolOf(call.Argument(i))
	if !ok {
		h.wrongType(call, i, fn, arg, "a boolean")
	}
	return b
}

// OptBool reads an optional boolean argument.
func (h *Host) OptBool(call goja.FunctionCall, i int, fn, arg string, def bool) bool {
	if IsMissing(call.Argument(i)) {
		return def
	}
	return h.Bool(call, i, fn, arg)
}

// Object reads an object argument (any non-null object, including arrays and functions).
func (h *Host) Object(call goja.FunctionCall, i int, fn, arg string) *goja.Object {
	o, ok := call.Argument(i).(*goja.Object)
	if !ok {
		h.wrongType(call, i, fn, arg, "an object")
	}
	return o
}

// JSFunc calls a JS function with `this` undefined. An exception thrown by the function (or an
// interrupt) propagates out of the builtin that called it, exactly as if the builtin had thrown it,
// so builtins need no error handling around callbacks.
type JSFunc func(args ...goja.Value) goja.Value

// Callback reads a function argument (a predicate, a selector, ...).
func (h *Host) Callback(call goja.FunctionCall, i int, fn, arg string) JSFunc {
	f, ok := goja.AssertFunction(call.Argument(i))
	if !ok {
		h.wrongType(call, i, fn, arg, "a function")
	}
	return func(args ...goja.Value) goja.Value {
		v, err := f(goja.Undefined(), args...)
		if err != nil {
			panic(err) // *goja.Exception or an uncatchable interrupt: goja rethrows both as they were
		}
		return v
	}
}

// OptCallback reads an optional function argument; it returns nil when the argument is missing.
func (h *Host) OptCallback(call goja.FunctionCall, i int, fn, arg string) JSFunc {
	if IsMissing(call.Argument(i)) {
		return nil
	}
	return h.Callback(call, i, fn, arg)
}

// Location is the running execution's time zone, UTC outside an execution or when none is set.
func (h *Host) Location() *time.Location {
	if h.exec == nil {
		return time.UTC
	}
	return h.exec.Loc()
}

// Date reads a date argument: a valid JS Date, or a string in one of these forms:
//
//	"2024-03-31"                 midnight of that day in the execution's zone
//	"2024-03-31T14:30[:05[.123]]" that wall-clock time in the execution's zone
//	"2024-03-31T14:30:05+02:00"  RFC 3339 with an offset or Z: that instant
//
// Anything else of another type is a TypeError; an invalid Date or an unreadable or impossible
// date string ("2024-02-30") is a RangeError. The result is in the execution's zone.
func (h *Host) Date(call goja.FunctionCall, i int, fn, arg string) time.Time {
	v := call.Argument(i)
	loc := h.Location()
	if t, isDate, valid := DateOf(v); isDate {
		if !valid {
			h.RangeError(fn, "%s is an invalid Date", arg)
		}
		return t.In(loc)
	}
	s, ok := StringOf(v)
	if !ok {
		h.wrongType(call, i, fn, arg, `a Date or a "YYYY-MM-DD" string`)
	}
	t, ok := ParseDate(s, loc)
	if !ok {
		h.RangeError(fn, `%s must be a Date or a "YYYY-MM-DD" or RFC 3339 date string, got %s`, arg, Describe(v))
	}
	return t
}

// OptDate reads an optional date argument (see Date).
func (h *Host) OptDate(call goja.FunctionCall, i int, fn, arg string, def time.Time) time.Time {
	if IsMissing(call.Argument(i)) {
		return def
	}
	return h.Date(call, i, fn, arg)
}

// ParseDate reads the date strings that Host.Date accepts; date-only and zone-less strings are in
// loc. It reports false for anything else, including impossible dates ("2024-02-30").
func ParseDate(s string, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = time.UTC
	}
	if len(s) < len("2006-01-02") || len(s) > 40 || !utf8.ValidString(s) {
		return time.Time{}, false
	}
	if len(s) == len("2006-01-02") {
		t, err := time.ParseInLocation(time.DateOnly, s, loc)
		return t, err == nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.In(loc), true
	}
	for _, layout := range [...]string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Truncate cuts s to at most n bytes (on a rune boundary), marking the cut with "…": for names and
// texts from rule code that go into messages and call records.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// BoundedString reads v as a string of at most max UTF-8 bytes without copying a longer one out
// of the runtime first: a JS string's length in UTF-16 units never exceeds its UTF-8 length, so a
// too-long string is refused on its length alone. ok is false when v is not a string.
func BoundedString(v goja.Value, max int) (s string, ok, tooLong bool) {
	js, isStr := v.(goja.String)
	if !isStr {
		return "", false, false
	}
	if js.Length() > max {
		return "", true, true
	}
	s = js.String()
	return s, true, len(s) > max
}
