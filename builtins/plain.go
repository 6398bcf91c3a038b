package builtins

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"time"

	"github.com/dop251/goja"
)

// PlainLimits bound what Plain converts, so logging a huge, deep or cyclic value stays cheap.
type PlainLimits struct {
	MaxDepth  int // object nesting kept; deeper objects become "[Object]" / "[Array]"
	MaxItems  int // array and Set elements (and console arguments) kept; then one "... N more items" string
	MaxKeys   int // object and Map keys kept; then a "..." key whose value is "N more keys"
	MaxString int // UTF-16 code units kept of a string; then "... N more characters" is appended
	MaxNodes  int // objects converted in total per call; after that an object becomes "[...]"
	MaxChars  int // UTF-16 code units kept of all strings together per call; then they are cut like MaxString
}

// DefaultPlainLimits are the limits Plain, Host.Plain and Host.PlainArgs use.
var DefaultPlainLimits = PlainLimits{MaxDepth: 10, MaxItems: 100, MaxKeys: 100, MaxString: 10_000, MaxNodes: 10_000, MaxChars: 256 << 10}

// Plain converts a JS value into a JSON-safe Go value, for diagnostics (console arguments, error
// details). The result is built only from nil, bool, float64, string, []any and map[string]any:
//
//   - undefined and null → nil; numbers → float64, except NaN, Infinity, -Infinity → those strings;
//     a BigInt → its digits followed by "n"; a Symbol → "Symbol(desc)"
//   - a Date → its toISOString() form in UTC with milliseconds ("2024-03-31T00:00:00.000Z"), an invalid
//     Date → "Invalid Date"; an Error → "Name: message"; a function → "[Function: name]"
//     ("[Function (anonymous)]"); a RegExp → its source form
//   - arrays and Sets → []any; Maps → map[string]any keyed by the keys' text; other objects → their own
//     enumerable string-keyed properties
//   - a reference back to an object being converted (a cycle) → "[Circular]"; the limits in
//     DefaultPlainLimits cap depth, sizes and total work, with a marker where something was cut
//   - with a runtime (Host.Plain, PlainLimits.Convert with a vm), a property whose getter or Proxy
//     trap throws → "[Thrown: message]"; without one (this function) the exception propagates, which
//     inside a builtin is simply a JS throw from that builtin
//
// Getters and Proxy traps do run, so call it on the runtime's goroutine while no other JS runs on
// it. An interrupt (timeout) raised while converting always propagates: it is never swallowed. From
// Go code outside a running builtin (the engine's diagnostics), use Host.Plain.
func Plain(v goja.Value) any { return DefaultPlainLimits.Convert(nil, v) }

// Plain converts a value like the package-level Plain, but never lets a JS exception escape: a
// throwing getter or Proxy trap becomes "[Thrown: message]". Safe to call from Go at any time the
// runtime is not running other code.
func (h *Host) Plain(v goja.Value) any { return DefaultPlainLimits.Convert(h.VM, v) }

// PlainArgs converts a list of values (a console call's arguments) with one shared budget, like
// Host.Plain.
func (h *Host) PlainArgs(vs []goja.Value) []any { return DefaultPlainLimits.ConvertArgs(h.VM, vs) }

// Convert converts one value within these limits. With vm nil, JS exceptions from getters propagate
// (see Plain); with vm set, they are caught through vm.Try and reported in place.
func (l PlainLimits) Convert(vm *goja.Runtime, v goja.Value) any {
	p := plainer{l: l, vm: vm}
	return p.value(v, 0)
}

// ConvertArgs converts a list of values within these limits, sharing one budget; at most MaxItems
// values are kept.
func (l PlainLimits) ConvertArgs(vm *goja.Runtime, vs []goja.Value) []any {
	p := plainer{l: l, vm: vm}
	n := min(len(vs), l.MaxItems)
	out := make([]any, 0, n+1)
	for _, v := range vs[:n] {
		out = append(out, p.value(v, 0))
	}
	if len(vs) > n {
		out = append(out, fmt.Sprintf("... %d more items", len(vs)-n))
	}
	return out
}

var (
	mapExportType = reflect.TypeOf([][2]any{})
	setExportType = reflect.TypeOf([]any{})
)

type plainer struct {
	l     PlainLimits
	vm    *goja.Runtime // nil: exceptions propagate
	nodes int
	chars int            // string code units kept so far, against MaxChars
	path  []*goja.Object // objects being converted: the ancestors of the current value
}

func (p *plainer) value(v goja.Value, depth int) any {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil
	}
	switch x := v.(type) {
	case *goja.Object:
		return p.object(x, depth)
	case *goja.Symbol:
		return "Symbol(" + x.String() + ")"
	case goja.String:
		return p.str(x)
	}
	return plainPrimitive(v.Export())
}

// plainPrimitive converts an exported primitive (also the content of a boxed primitive).
func plainPrimitive(x any) any {
	switch x := x.(type) {
	case nil, bool, string:
		return x
	case int64:
		return float64(x)
	case float64:
		switch {
		case math.IsNaN(x):
			return "NaN"
		case math.IsInf(x, 1):
			return "Infinity"
		case math.IsInf(x, -1):
			return "-Infinity"
		}
		return x
	case *big.Int:
		return x.String() + "n"
	}
	return fmt.Sprint(x)
}

func (p *plainer) str(s goja.String) any {
	keep := p.l.MaxString
	if p.l.MaxChars > 0 {
		keep = max(0, min(keep, p.l.MaxChars-p.chars))
	}
	n := s.Length()
	if n > keep {
		p.chars += keep
		return s.Substring(0, keep).String() + fmt.Sprintf("... %d more characters", n-keep)
	}
	p.chars += n
	return s.String()
}

// text is a string primitive as str keeps it, else "".
func (p *plainer) text(v goja.Value) string {
	if s, ok := v.(goja.String); ok {
		out, _ := p.str(s).(string)
		return out
	}
	return ""
}

func (p *plainer) object(o *goja.Object, depth int) any {
	if _, ok := goja.AssertFunction(o); ok {
		if name, ok := StringOf(p.get(o, "name")); ok && name != "" {
			return "[Function: " + name + "]"
		}
		return "[Function (anonymous)]"
	}
	switch o.ClassName() {
	case "Date":
		t, _, valid := DateOf(o)
		if !valid {
			return "Invalid Date"
		}
		return ISOString(t)
	case "Error":
		name, msg := p.text(p.get(o, "name")), p.text(p.get(o, "message"))
		switch {
		case name == "":
			return msg
		case msg == "":
			return name
		}
		return name + ": " + msg
	case "RegExp":
		return p.guard(func() any { return o.String() })
	case "Number", "Boolean", "BigInt", "Symbol":
		return plainPrimitive(o.Export())
	case "String":
		return p.guard(func() any {
			if s, ok := o.ToString().(goja.String); ok {
				return p.str(s)
			}
			return o.String()
		})
	}
	for _, a := range p.path {
		if a == o {
			return "[Circular]"
		}
	}
	isArray := o.ClassName() == "Array"
	if depth >= p.l.MaxDepth {
		if isArray {
			return "[Array]"
		}
		return "[Object]"
	}
	if p.nodes >= p.l.MaxNodes {
		return "[...]"
	}
	p.nodes++
	p.path = append(p.path, o)
	defer func() { p.path = p.path[:len(p.path)-1] }()

	if isArray {
		return p.array(o, depth)
	}
	// goja gives Maps and Sets the class "Object"; their export type (which JS cannot fake) tells them apart.
	switch o.ExportType() {
	case mapExportType:
		return p.mapEntries(o, depth)
	case setExportType:
		return p.setValues(o, depth)
	}
	return p.props(o, depth)
}

func (p *plainer) array(o *goja.Object, depth int) any {
	lv := p.get(o, "length")
	n, _ := NumberOf(lv)
	if n < 0 || n != n {
		n = 0
	}
	keep := int(math.Min(n, float64(p.l.MaxItems)))
	out := make([]any, 0, keep+1)
	for i := 0; i < keep; i++ {
		out = append(out, p.prop(o, strconv.Itoa(i), depth+1))
	}
	if rest := int64(n) - int64(keep); rest > 0 {
		out = append(out, fmt.Sprintf("... %d more items", rest))
	}
	return out
}

func (p *plainer) props(o *goja.Object, depth int) any {
	var keys []string
	if msg := p.try(func() { keys = o.Keys() }); msg != "" {
		return msg
	}
	keep := min(len(keys), p.l.MaxKeys)
	out := make(map[string]any, keep+1)
	for _, k := range keys[:keep] {
		out[k] = p.prop(o, k, depth+1)
	}
	if len(keys) > keep {
		out["..."] = fmt.Sprintf("%d more keys", len(keys)-keep)
	}
	return out
}

// iterate calls o[method]() and walks the iterator it returns, at most limit+1 steps; step gets
// each value. It reports how many values there were beyond limit (0 or 1: "at least one more").
func (p *plainer) iterate(o *goja.Object, method string, limit int, step func(v goja.Value)) (more bool, msg string) {
	msg = p.try(func() {
		f, ok := goja.AssertFunction(o.Get(method))
		if !ok {
			return
		}
		it, err := f(o)
		if err != nil {
			panic(err)
		}
		ito, ok := it.(*goja.Object)
		if !ok {
			return
		}
		next, ok := goja.AssertFunction(ito.Get("next"))
		if !ok {
			return
		}
		for i := 0; ; i++ {
			r, err := next(ito)
			if err != nil {
				panic(err)
			}
			ro, ok := r.(*goja.Object)
			if !ok || ro.Get("done").ToBoolean() {
				return
			}
			if i == limit {
				more = true
				return
			}
			step(ro.Get("value"))
		}
	})
	return more, msg
}

func (p *plainer) setValues(o *goja.Object, depth int) any {
	out := []any{}
	more, msg := p.iterate(o, "values", p.l.MaxItems, func(v goja.Value) {
		out = append(out, p.value(v, depth+1))
	})
	if msg != "" {
		return msg
	}
	if more {
		out = append(out, "... more items")
	}
	return out
}

func (p *plainer) mapEntries(o *goja.Object, depth int) any {
	out := map[string]any{}
	more, msg := p.iterate(o, "entries", p.l.MaxKeys, func(v goja.Value) {
		e, ok := v.(*goja.Object)
		if !ok {
			return
		}
		k := p.value(e.Get("0"), depth+1)
		ks, ok := k.(string)
		if !ok {
			ks = fmt.Sprint(k)
		}
		out[ks] = p.value(e.Get("1"), depth+1)
	})
	if msg != "" {
		return msg
	}
	if more {
		out["..."] = "more keys"
	}
	return out
}

// get reads a property; a getter or Proxy trap that throws yields undefined.
func (p *plainer) get(o *goja.Object, key string) (v goja.Value) {
	if msg := p.try(func() { v = o.Get(key) }); msg != "" {
		return goja.Undefined()
	}
	return v
}

// prop converts a property; a getter or Proxy trap that throws yields "[Thrown: message]".
func (p *plainer) prop(o *goja.Object, key string, depth int) any {
	var v goja.Value
	if msg := p.try(func() { v = o.Get(key) }); msg != "" {
		return msg
	}
	return p.value(v, depth)
}

func (p *plainer) guard(f func() any) (out any) {
	if msg := p.try(func() { out = f() }); msg != "" {
		return msg
	}
	return out
}

// try runs f. If f throws a JS exception and the plainer has a runtime, it returns
// "[Thrown: message]"; without a runtime the exception propagates. Uncatchable interrupts
// (timeouts, stack overflow) always propagate: vm.Try re-panics them.
func (p *plainer) try(f func()) (msg string) {
	if p.vm == nil {
		f()
		return ""
	}
	ex := p.vm.Try(f)
	if ex == nil {
		return ""
	}
	text := "?"
	v := ex.Value()
	if p.vm.Try(func() {
		if o, ok := v.(*goja.Object); ok && o.ClassName() == "Error" {
			if m, ok := StringOf(o.Get("message")); ok {
				text = m
				return
			}
		}
		text = Describe(v)
	}) != nil {
		text = "?"
	}
	return "[Thrown: " + text + "]"
}

// ISOString formats t like JS Date.prototype.toISOString: UTC, milliseconds, Z
// ("2024-03-31T22:00:00.000Z"); years outside 0000–9999 use JS's six-digit signed form.
func ISOString(t time.Time) string {
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return fmt.Sprintf("%+07d", y) + t.Format("-01-02T15:04:05.000Z")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}
