package array

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// MaxLength is the longest array the methods accept (2^24 items). JS arrays may be sparse with a
// length up to 2^32 − 1 and no memory behind it (new Array(1e9)); walking such an array in Go
// would take seconds that a rule's timeout cannot interrupt, so a longer array is a RangeError.
const MaxLength = 1 << 24

// indexNames holds the property names of the first indexes, so reading an element costs no
// allocation (immutable Go data, shared by every runtime).
var indexNames = func() []string {
	s := make([]string, 1024)
	for i := range s {
		s[i] = strconv.Itoa(i)
	}
	return s
}()

func indexName(i int) string {
	if i < len(indexNames) {
		return indexNames[i]
	}
	return strconv.Itoa(i)
}

// seq is the array a method was called on. The length is read once, when the method starts (like
// the native methods): items a callback appends are not visited, items it removes read as undefined.
type seq struct {
	h  *builtins.Host
	fn string // qualified name for errors: "Array.prototype.where"
	o  *goja.Object
	n  int
}

// this reads the receiver: it must be an array (a real Array, not an array-like or a Proxy).
func this(h *builtins.Host, call goja.FunctionCall, fn string) seq {
	o, ok := call.This.(*goja.Object)
	if !ok || o.ClassName() != "Array" {
		h.TypeError(fn, "must be called on an array, got %s", builtins.Describe(call.This))
	}
	n := o.Get("length").ToInteger()
	if n > MaxLength {
		h.RangeError(fn, "the array is too long (%d items; at most %d)", n, MaxLength)
	}
	return seq{h: h, fn: fn, o: o, n: int(n)}
}

// at is item i; a hole reads as undefined (like for...of), not skipped.
func (s seq) at(i int) goja.Value {
	v := s.o.Get(indexName(i))
	if v == nil {
		return goja.Undefined()
	}
	return v
}

// newArray makes a JS array of vals (which it takes over).
func (s seq) newArray(vals []any) goja.Value {
	return s.h.VM.NewArray(vals...)
}

// callback is a rule author's function, called as f(item, index) with `this` undefined. A JS
// exception it throws (or an interrupt) propagates out of the method unchanged.
type callback struct {
	f    goja.Callable
	vm   *goja.Runtime
	args *[]goja.Value // argument slots, handed out two at a time and never reused
}

func (c callback) valid() bool { return c.f != nil }

// argBatch is how many calls share one allocation of argument slots.
const argBatch = 64

func (c callback) call(item goja.Value, i int) goja.Value {
	// Every call gets its own two slots (a native function passed as the callback may keep its
	// arguments slice), but they are carved from one allocation per argBatch calls.
	buf := *c.args
	if len(buf) < 2 {
		buf = make([]goja.Value, 2*argBatch)
	}
	args := buf[:2:2]
	*c.args = buf[2:]
	args[0], args[1] = item, indexValue(c.vm, i)
	v, err := c.f(goja.Undefined(), args...)
	if err != nil {
		panic(err) // *goja.Exception or an interrupt: goja rethrows it as it was
	}
	return v
}

// indexValues caches the JS numbers 0..1023 (primitives, not tied to a runtime; immutable).
var (
	indexValuesOnce sync.Once
	indexValues     []goja.Value
)

func indexValue(vm *goja.Runtime, i int) goja.Value {
	indexValuesOnce.Do(func() {
		vals := make([]goja.Value, len(indexNames))
		for j := range vals {
			vals[j] = vm.ToValue(int64(j))
		}
		indexValues = vals
	})
	if i < len(indexValues) {
		return indexValues[i]
	}
	return vm.ToValue(int64(i))
}

// fnArg reads a required function argument; the error comes from Host.Callback, so it reads like
// every other builtin's.
func fnArg(h *builtins.Host, call goja.FunctionCall, i int, fn, arg string) callback {
	f, ok := goja.AssertFunction(call.Argument(i))
	if !ok {
		h.Callback(call, i, fn, arg) // throws the standard TypeError
	}
	return callback{f: f, vm: h.VM, args: new([]goja.Value)}
}

// optFnArg reads an optional function argument (undefined → no callback).
func optFnArg(h *builtins.Host, call goja.FunctionCall, i int, fn, arg string) callback {
	if builtins.IsMissing(call.Argument(i)) {
		return callback{}
	}
	return fnArg(h, call, i, fn, arg)
}

// value is item i, or the selector's result for it when there is a selector.
func (s seq) value(sel callback, i int) goja.Value {
	item := s.at(i)
	if sel.valid() {
		return sel.call(item, i)
	}
	return item
}

// listArg reads an array argument into a set of keys.
func listArg(h *builtins.Host, call goja.FunctionCall, i int, fn, arg string) map[key]struct{} {
	o, ok := call.Argument(i).(*goja.Object)
	if !ok || o.ClassName() != "Array" {
		if i >= len(call.Arguments) {
			h.TypeError(fn, "%s is required (an array)", arg)
		}
		h.TypeError(fn, "%s must be an array, got %s", arg, builtins.Describe(call.Argument(i)))
	}
	l := seq{h: h, fn: fn, o: o}
	n := o.Get("length").ToInteger()
	if n > MaxLength {
		h.RangeError(fn, "%s is too long (%d items; at most %d)", arg, n, MaxLength)
	}
	l.n = int(n)
	set := make(map[key]struct{}, l.n)
	for j := range l.n {
		set[keyOf(l.at(j))] = struct{}{}
	}
	return set
}

// key is a value as a Go map key. Two values have the same key when they are SameValueZero (the
// equality of Set and includes: NaN equals NaN, 0 equals -0, objects by identity), except that
// Dates compare by their time (two Date objects for the same instant are the same key; every
// invalid Date is the same key).
type key struct {
	kind kind
	num  float64
	str  string
	ref  any // *goja.Object or *goja.Symbol, by identity
}

type kind uint8

const (
	kUndefined kind = iota
	kNull
	kBool
	kNumber
	kNaN
	kBigInt
	kString      // str is the UTF-8 text
	kStringUnits // str holds UTF-16 code units (a string with lone surrogates or U+FFFD)
	kDate
	kInvalidDate
	kRef
)

func keyOf(v goja.Value) key {
	switch {
	case v == nil || goja.IsUndefined(v):
		return key{kind: kUndefined}
	case goja.IsNull(v):
		return key{kind: kNull}
	}
	if f, ok := builtins.NumberOf(v); ok {
		if math.IsNaN(f) {
			return key{kind: kNaN}
		}
		if f == 0 {
			f = 0 // -0 → 0
		}
		return key{kind: kNumber, num: f}
	}
	switch v := v.(type) {
	case goja.String:
		s := v.String()
		if strings.ContainsRune(s, utf8.RuneError) {
			// Lone surrogates all become U+FFFD in UTF-8: keep the exact code units instead.
			var b strings.Builder
			b.Grow(2 * v.Length())
			for i := range v.Length() {
				u := v.CharAt(i)
				b.WriteByte(byte(u >> 8))
				b.WriteByte(byte(u))
			}
			return key{kind: kStringUnits, str: b.String()}
		}
		return key{kind: kString, str: s}
	case *goja.Symbol:
		return key{kind: kRef, ref: v}
	case *goja.Object:
		if t, isDate, valid := builtins.DateOf(v); isDate {
			if !valid {
				return key{kind: kInvalidDate}
			}
			return key{kind: kDate, num: float64(t.UnixMilli())}
		}
		return key{kind: kRef, ref: v}
	}
	if b, ok := builtins.BoolOf(v); ok {
		if b {
			return key{kind: kBool, num: 1}
		}
		return key{kind: kBool}
	}
	if bi, ok := v.Export().(*big.Int); ok {
		return key{kind: kBigInt, str: bi.String()}
	}
	return key{kind: kString, str: v.String()} // not reached for JS values; a safe fallback
}
