package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/rulesets"
)

// converter moves values between Go and one runtime, typed by the ruleset's declarations. It works
// on decoded JSON shapes (map[string]any, []any, float64, json.Number, string, bool, nil, plus
// *rulesets.Object and time.Time) with type switches: no JSON text, no reflection.
type converter struct {
	vm       *goja.Runtime
	host     *builtins.Host
	loc      *time.Location
	entities map[string]*rulesets.Entity
	classes  map[string]*goja.Object
	protos   map[string]*goja.Object // the classes' prototypes

	problems []InputProblem
	size     int // estimated input size in bytes, against Limits.MaxInputBytes

	// What is left of one result's budget (Limits.MaxOutputNodes, Limits.MaxOutputBytes): output,
	// alerts, diagnostics and explain draw on it together, a shared value once per parent.
	nodesLeft, bytesLeft int
	maxNodes, maxBytes   int
}

// resetBudget starts a result's budget.
func (c *converter) resetBudget() { c.nodesLeft, c.bytesLeft = c.maxNodes, c.maxBytes }

// outputAlone converts v with a budget of its own (a record to save, a filter), leaving the
// result's budget as it was.
func (c *converter) outputAlone(v goja.Value) (any, error) {
	nodes, bytes := c.nodesLeft, c.bytesLeft
	defer func() { c.nodesLeft, c.bytesLeft = nodes, bytes }()
	c.resetBudget()
	return c.output(v, nil, 0)
}

// spend takes n nodes and b bytes from the result budget, or says which limit a result went past.
func (c *converter) spend(n, b int) error {
	c.nodesLeft -= n
	c.bytesLeft -= b
	return c.overBudget()
}

// overBudget is the LimitError for a spent budget, or nil.
func (c *converter) overBudget() error {
	switch {
	case c.nodesLeft < 0:
		return &LimitError{Limit: "output nodes", Value: fmt.Sprint(c.maxNodes)}
	case c.bytesLeft < 0:
		return &LimitError{Limit: "output size", Value: fmt.Sprintf("%d bytes", c.maxBytes)}
	}
	return nil
}

// InputProblem is one thing wrong with an input, at its JSON path.
type InputProblem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (c *converter) problem(path, format string, args ...any) {
	c.problems = append(c.problems, InputProblem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func joinPath(base, key string) string {
	switch {
	case base == "":
		return key
	case key == "":
		return base
	}
	return base + "." + key
}

// inputs validates and converts every declared input. Problems are collected, not returned early,
// so that the caller sees all of them at once. A date-typed input crosses as its Unix milliseconds
// (the run function makes the Date: cheaper there than a constructor call from Go).
func (c *converter) inputs(decls []*rulesets.Input, input map[string]any, args []goja.Value) []goja.Value {
	c.problems = c.problems[:0]
	c.size = 0
	for _, in := range decls {
		raw, present := input[in.JSONName()]
		if in.Type.Name == rulesets.TypeDate {
			args = append(args, c.dateMillis(in, raw, present))
			continue
		}
		args = append(args, c.field("", in.JSONName(), &in.Type, raw, present, in.Required, in.Default, in.HasDefault))
	}
	return args
}

// dateMillis converts a date input to its Unix milliseconds (null when absent).
func (c *converter) dateMillis(in *rulesets.Input, raw any, present bool) goja.Value {
	if !present || raw == nil {
		switch {
		case in.Required:
			c.problem(in.JSONName(), "required")
			return goja.Null()
		case !in.HasDefault:
			return goja.Null()
		}
		raw = in.Default
	}
	switch d := raw.(type) {
	case time.Time:
		return c.vm.ToValue(d.UnixMilli())
	case string:
		if tm, ok := parseDate(d, c.loc); ok {
			c.size += len(d)
			return c.vm.ToValue(tm.UnixMilli())
		}
	}
	c.problem(in.JSONName(), "must be a date (YYYY-MM-DD or RFC 3339), got %s", describe(raw))
	return goja.Null()
}

// field converts one declared value (an input or an entity property).
// The path of a value is base.key; it is only joined when there is a problem to report.
func (c *converter) field(base, key string, t *rulesets.Type, raw any, present, required bool, def any, hasDef bool) goja.Value {
	if !present || raw == nil {
		switch {
		case required:
			c.problem(joinPath(base, key), "required")
			return goja.Null()
		case hasDef:
			return c.typed(base, key, t, def)
		}
		return goja.Null()
	}
	return c.typed(base, key, t, raw)
}

// typed converts a present value to the declared type, or records why it does not fit.
func (c *converter) typed(base, key string, t *rulesets.Type, v any) goja.Value {
	if v == nil {
		return goja.Null()
	}
	path := func() string { return joinPath(base, key) }
	switch t.Name {
	case "", rulesets.TypeAny:
		return c.jsonValue(v)
	case rulesets.TypeNumber:
		if f, ok := toFloat(v); ok {
			c.size += 8
			if math.IsNaN(f) || math.IsInf(f, 0) {
				c.problem(path(), "must be a finite number")
			}
			if _, ok := v.(float64); ok {
				return c.vm.ToValue(v) // the interface as it came: boxing f again would allocate
			}
			return c.vm.ToValue(f)
		}
		c.problem(path(), "must be a number, got %s", describe(v))
	case rulesets.TypeBoolean:
		if b, ok := v.(bool); ok {
			c.size++
			return c.vm.ToValue(b)
		}
		c.problem(path(), "must be true or false, got %s", describe(v))
	case rulesets.TypeString:
		if s, ok := v.(string); ok {
			c.size += len(s)
			return c.vm.ToValue(s)
		}
		c.problem(path(), "must be a string, got %s", describe(v))
	case rulesets.TypeDate:
		switch d := v.(type) {
		case time.Time:
			return c.host.NewDate(d)
		case string:
			if tm, ok := parseDate(d, c.loc); ok {
				c.size += len(d)
				return c.host.NewDate(tm)
			}
		}
		c.problem(path(), "must be a date (YYYY-MM-DD or RFC 3339), got %s", describe(v))
	case rulesets.TypeEnum:
		if s, ok := v.(string); ok && slices.Contains(t.Values, s) {
			c.size += len(s)
			return c.vm.ToValue(s)
		}
		c.problem(path(), "must be one of %s, got %s", strings.Join(t.Values, ", "), describe(v))
	case rulesets.TypeArray:
		items, ok := toSlice(v)
		if !ok {
			c.problem(path(), "must be an array, got %s", describe(v))
			return goja.Null()
		}
		of := t.Of
		if of == nil {
			of = &rulesets.Type{Name: rulesets.TypeAny}
		}
		vals := make([]any, len(items))
		for i, item := range items {
			vals[i] = c.typed(path()+"["+strconv.Itoa(i)+"]", "", of, item)
		}
		return c.vm.NewArray(vals...)
	default:
		return c.entity(base, key, t.Name, v)
	}
	return goja.Null()
}

// entity converts an object to an instance of the entity class, validating its declared properties.
func (c *converter) entity(base, key, name string, v any) goja.Value {
	path := joinPath(base, key) // entities are few; their properties' paths are built lazily below
	ent := c.entities[name]
	get, size, keys, ok := objectAccess(v)
	if !ok || ent == nil {
		c.problem(path, "must be an object (%s), got %s", name, describe(v))
		return goja.Null()
	}
	// The object is made an instance of the entity class here (its prototype carries the calculated
	// properties), which is cheaper than running the class constructor in JS.
	var obj *goja.Object
	if proto := c.protos[name]; proto != nil {
		obj = c.vm.CreateObject(proto)
	} else {
		obj = c.vm.NewObject()
	}
	present := 0
	for _, p := range ent.Properties {
		raw, ok := get(p.Name)
		if ok {
			present++
		}
		_ = obj.Set(p.Name, c.field(path, p.Name, &p.Type, raw, ok, p.Required, p.Default, p.HasDefault))
	}
	if size > present {
		// Undeclared properties are kept for rule code; a calculated property given in the input is
		// recomputed, not taken.
		for _, k := range keys() {
			if ent.Declares(k) {
				continue
			}
			raw, _ := get(k)
			_ = obj.Set(k, c.jsonValue(raw))
		}
	}
	return obj
}

// jsonValue converts an untyped JSON-shaped value (deeply) to JS.
func (c *converter) jsonValue(v any) goja.Value {
	switch v := v.(type) {
	case nil:
		return goja.Null()
	case string:
		c.size += len(v)
		return c.vm.ToValue(v)
	case bool, float64, int, int64:
		c.size += 8
		return c.vm.ToValue(v)
	case json.Number:
		f, _ := v.Float64()
		c.size += len(v)
		return c.vm.ToValue(f)
	case time.Time:
		return c.host.NewDate(v)
	case []any:
		vals := make([]any, len(v))
		for i, e := range v {
			vals[i] = c.jsonValue(e)
		}
		c.size += 8
		return c.vm.NewArray(vals...)
	case map[string]any:
		obj := c.vm.NewObject()
		for k, e := range v {
			c.size += len(k)
			c.setData(obj, k, c.jsonValue(e))
		}
		return obj
	case *rulesets.Object:
		obj := c.vm.NewObject()
		for _, k := range v.Keys {
			c.size += len(k)
			c.setData(obj, k, c.jsonValue(v.Values[k]))
		}
		return obj
	}
	if f, ok := toFloat(v); ok {
		return c.vm.ToValue(f)
	}
	if items, ok := toSlice(v); ok {
		return c.jsonValue(items)
	}
	return c.vm.ToValue(fmt.Sprint(v))
}

// setData sets an input object's property. A "__proto__" key is data, as in JSON.parse: assigning
// it would set the object's prototype instead.
func (c *converter) setData(obj *goja.Object, k string, v goja.Value) {
	if k == "__proto__" {
		_ = obj.DefineDataProperty(k, v, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE)
		return
	}
	_ = obj.Set(k, v)
}

// objectAccess reads a decoded JSON object. keys (sorted, for a stable order) is only built when
// asked for: most objects have only declared properties.
func objectAccess(v any) (get func(string) (any, bool), size int, keys func() []string, ok bool) {
	switch o := v.(type) {
	case map[string]any:
		return func(k string) (any, bool) { x, ok := o[k]; return x, ok }, len(o), func() []string {
			ks := make([]string, 0, len(o))
			for k := range o {
				ks = append(ks, k)
			}
			slices.Sort(ks)
			return ks
		}, true
	case *rulesets.Object:
		return o.Get, len(o.Keys), func() []string { return o.Keys }, true
	}
	return nil, 0, nil, false
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case float32:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func toSlice(v any) ([]any, bool) {
	switch s := v.(type) {
	case []any:
		return s, true
	case []map[string]any:
		out := make([]any, len(s))
		for i, e := range s {
			out[i] = e
		}
		return out, true
	case []string:
		out := make([]any, len(s))
		for i, e := range s {
			out[i] = e
		}
		return out, true
	case []float64:
		out := make([]any, len(s))
		for i, e := range s {
			out[i] = e
		}
		return out, true
	}
	return nil, false
}

// describe names a wrong value in a problem message.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		return "an array"
	case map[string]any, *rulesets.Object:
		return "an object"
	}
	if f, ok := toFloat(v); ok {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return fmt.Sprintf("%T", v)
}

// parseDate reads YYYY-MM-DD (midnight in loc) or RFC 3339.
func parseDate(s string, loc *time.Location) (time.Time, bool) {
	if len(s) == 10 {
		t, err := time.ParseInLocation(time.DateOnly, s, loc)
		return t, err == nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// formatDate writes a date result: YYYY-MM-DD when it has no time of day in the ruleset's zone,
// else RFC 3339 in that zone (with milliseconds when it has them).
func formatDate(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format(time.DateOnly)
	}
	if t.Nanosecond() == 0 {
		return t.Format(time.RFC3339)
	}
	return t.Format("2006-01-02T15:04:05.000Z07:00")
}

var (
	typeFloat64 = reflect.TypeOf(float64(0))
	typeInt64   = reflect.TypeOf(int64(0))
	typeString  = reflect.TypeOf("")
	typeBool    = reflect.TypeOf(false)
)

// maxOutputDepth bounds nesting in results; deeper usually means a circular structure.
const maxOutputDepth = 64

// output converts a JS value to a JSON-shaped Go value, typed by its declaration when it has one.
func (c *converter) output(v goja.Value, t *rulesets.Type, depth int) (any, error) {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		// A null is a result value too: Array(1000).fill(v) nested three deep is a billion of them.
		return nil, c.spend(1, 4)
	}
	if depth > maxOutputDepth {
		return nil, fmt.Errorf("value is nested more than %d levels deep (a circular structure?)", maxOutputDepth)
	}
	obj, isObj := v.(*goja.Object)
	if !isObj {
		// ExportType is static per kind of value: no boxing before the one into the result.
		switch v.ExportType() {
		case typeFloat64, typeInt64:
			f := v.ToFloat()
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, c.spend(1, 4)
			}
			return f, c.spend(1, 8)
		case typeString:
			return c.str(v)
		case typeBool:
			return v.ToBoolean(), c.spend(1, 5)
		}
		s := v.String() // a Symbol's description
		return s, c.spend(1, len(s)+2)
	}
	if err := c.spend(1, 2); err != nil {
		return nil, err
	}
	switch obj.ClassName() {
	case "Date":
		if tm, ok := obj.Export().(time.Time); ok { // an invalid Date exports as nil
			return formatDate(tm, c.loc), nil
		}
		return nil, nil
	case "Array":
		length := obj.Get("length").ToInteger()
		// The budget is checked before the slice is made: a sparse array of length 2**32-1 is
		// one JS object but four billion result values.
		if length > int64(c.nodesLeft) {
			c.nodesLeft = -1
			return nil, c.overBudget()
		}
		n := int(length)
		var of *rulesets.Type
		if t != nil && t.Name == rulesets.TypeArray {
			of = t.Of
		}
		out := make([]any, n)
		for i := 0; i < n; i++ {
			e, err := c.output(obj.Get(indexKey(i)), of, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case "Function":
		return nil, nil
	}
	// An entity-typed value arrives as a plain object of its declared and calculated properties.
	if t.IsEntity() && obj.ClassName() == "Object" {
		if ent := c.entities[t.Name]; ent != nil && c.protos[t.Name] != nil && !c.protos[t.Name].SameAs(obj.Prototype()) {
			m := make(map[string]any, len(ent.Properties)+len(ent.Calculated))
			for _, p := range ent.Properties {
				e, err := c.output(obj.Get(p.Name), &p.Type, depth+1)
				if err != nil {
					return nil, fmt.Errorf("%s.%s: %w", ent.Name, p.Name, err)
				}
				m[p.Name] = e
			}
			return m, c.calculated(m, obj, ent, depth)
		}
	}
	keys := obj.Keys()
	if len(keys) > c.nodesLeft {
		c.nodesLeft = -1
		return nil, c.overBudget()
	}
	m := make(map[string]any, len(keys))
	for _, k := range keys {
		if err := c.spend(0, len(k)+4); err != nil {
			return nil, err
		}
		e, err := c.output(obj.Get(k), nil, depth+1)
		if err != nil {
			return nil, err
		}
		m[k] = e
	}
	// Entity instances carry calculated properties as getters on their class.
	if ent := c.entityOf(obj, t); ent != nil {
		return m, c.calculated(m, obj, ent, depth)
	}
	return m, nil
}

// str converts a string to Go, charging its length (in UTF-16 units, as an estimate of its
// JSON size) to the budget before it is copied out of the runtime.
func (c *converter) str(v goja.Value) (any, error) {
	n := 0
	if s, ok := v.(goja.String); ok {
		n = s.Length()
	}
	if err := c.spend(1, n+2); err != nil {
		return nil, err
	}
	return v.String(), nil
}

// calculated adds an entity's calculated properties, read from obj, to m.
func (c *converter) calculated(m map[string]any, obj *goja.Object, ent *rulesets.Entity, depth int) error {
	for _, cp := range ent.Calculated {
		e, err := c.output(obj.Get(cp.Name), cp.Type, depth+1)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", ent.Name, cp.Name, err)
		}
		m[cp.Name] = e
	}
	return nil
}

// entityOf finds the entity an object is an instance of (by its class), else the declared entity type.
func (c *converter) entityOf(obj *goja.Object, t *rulesets.Type) *rulesets.Entity {
	if len(c.entities) == 0 {
		return nil
	}
	proto := obj.Prototype()
	for name, cls := range c.classes {
		if p, ok := cls.Get("prototype").(*goja.Object); ok && proto != nil && p.SameAs(proto) {
			return c.entities[name]
		}
	}
	if t.IsEntity() {
		return c.entities[t.Name]
	}
	return nil
}
