// Package array is the "Array" module: LINQ-style methods on Array.prototype (where, select, sum,
// groupBy, orderBy, ...). See /shared/design/builtins.md for the contract.
//
// Conventions shared by every method:
//   - Methods that return an array return a NEW array; the array they are called on is never changed.
//   - Callbacks are called as f(item, index) with `this` undefined; a predicate's result counts by JS
//     truthiness (like filter). A callback that throws makes the method throw that same error.
//   - Holes in sparse arrays read as undefined (like for...of); the length is read once, at the start.
//   - The receiver must be a real array of at most MaxLength (2^24) items: anything else is a
//     TypeError, a longer array a RangeError.
//   - "Is in the list" / "the same key" (whereIn, intersect, except, distinct, groupBy) is SameValueZero
//     (like Set and includes: NaN equals NaN, objects by identity), except that Dates compare by time.
//   - Wrong arguments throw a TypeError or RangeError whose message starts with
//     "Array.prototype.<method>: ".
package array

import (
	"math"
	"slices"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// Module installs the Array.prototype methods.
type Module struct{}

var _ builtins.Described = Module{}

const qualifier = "Array.prototype"

// Name is "Array".
func (Module) Name() string { return "Array" }

// Install defines the methods on Array.prototype (non-enumerable, so for...in never sees them).
func (Module) Install(h *builtins.Host) error {
	proto := h.VM.Get("Array").ToObject(h.VM).Get("prototype").ToObject(h.VM)
	return builtins.InstallMethods(h, proto, qualifier, methods)
}

// Typings declares the methods on the Array<T> interface.
func (Module) Typings() string {
	return builtins.InterfaceTypings("Array<T>",
		"Kubus Array methods (module \"Array\"). Methods returning arrays never change the original; callbacks get (item, index).",
		methods)
}

// Reference lists the methods as Array.prototype.<name>.
func (Module) Reference() []builtins.Entry { return builtins.ReferenceOf(qualifier, methods, nil) }

// method builds an Fn whose implementation gets its qualified name for error messages.
func method(name, signature, doc, example string, body func(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value) builtins.Fn {
	fn := qualifier + "." + name
	return builtins.Fn{
		Name: name, Signature: signature, Doc: doc, Example: example,
		Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			return func(call goja.FunctionCall) goja.Value { return body(h, fn, call) }
		},
	}
}

const (
	sel    = "(item: T, index: number) => "
	optSel = "selector?: " + sel
)

var methods = []builtins.Fn{
	method("where", "(predicate: "+sel+"unknown): T[]",
		"The items for which predicate(item, index) is truthy, in order (a new array).",
		"[1, 12, 300, 6000].where(p => p > 100) // [300, 6000]", where),
	method("whereIn", "(selector: "+sel+"unknown, list: readonly unknown[]): T[]",
		"The items whose selector(item, index) is in list (SameValueZero; Dates by time), in order, duplicates kept.",
		"people.whereIn(p => p.city, ['London', 'Paris'])", whereIn),
	method("intersect", "(list: readonly unknown[], "+optSel+"unknown): T[]",
		"The items that are in list (or whose selector(item, index) is), in order; duplicates are kept, use distinct() to drop them.",
		"[1, 2, 2, 3, 4].intersect([2, 4, 9]) // [2, 2, 4]", intersect),
	method("except", "(list: readonly unknown[], "+optSel+"unknown): T[]",
		"The items that are not in list (or whose selector(item, index) is not), in order; duplicates are kept.",
		"[1, 2, 2, 3, 4].except([2, 4]) // [1, 3]", except),
	method("select", "<U>(selector: "+sel+"U): U[]",
		"selector(item, index) for every item (like map).",
		"[1, 2, 3].select(x => x * 10) // [10, 20, 30]", selectFn),
	method("selectMany", "<U>(selector: "+sel+"readonly U[]): U[]",
		"The arrays returned by selector(item, index), concatenated (one level); the selector must return an array.",
		"[{ku: [1, 2]}, {ku: [3]}].selectMany(x => x.ku) // [1, 2, 3]", selectMany),
	method("sum", "("+optSel+"number): number",
		"The sum of the items (or of selector(item, index)); every value must be a number (else a TypeError); an empty array sums to 0. Compensated summation: [1e16, 1, -1e16].sum() === 1.",
		"realEstates.where(re => re.City === 'London').sum(re => re.Value)", sum),
	method("avg", "("+optSel+"number): number",
		"The mean of the items (or of selector(item, index)); every value must be a number; an empty array throws a RangeError (like Excel's #DIV/0!).",
		"[1, 2, 3, 4].avg() // 2.5", avg),
	method("min", "<K extends number | string | Date = T extends number | string | Date ? T : never>("+optSel+"K): K",
		"The smallest item (or selector(item, index)): all numbers, all strings (code-unit order) or all Dates, else a TypeError; NaN gives NaN; an empty array throws a RangeError.",
		"[3, 1, 2].min() // 1", minFn),
	method("max", "<K extends number | string | Date = T extends number | string | Date ? T : never>("+optSel+"K): K",
		"The largest item (or selector(item, index)): all numbers, all strings (code-unit order) or all Dates, else a TypeError; NaN gives NaN; an empty array throws a RangeError.",
		"orders.max(o => o.date) // the latest Date", maxFn),
	method("count", "(predicate?: "+sel+"unknown): number",
		"The number of items (for which predicate(item, index) is truthy).",
		"[1, 12, 300].count(p => p > 10) // 2", count),
	method("any", "(predicate?: "+sel+"unknown): boolean",
		"Whether the array has an item (for which predicate(item, index) is truthy); stops at the first.",
		"[1, 12, 300].any(p => p > 100) // true", anyFn),
	method("all", "(predicate: "+sel+"unknown): boolean",
		"Whether predicate(item, index) is truthy for every item (true for an empty array); stops at the first false.",
		"[1, 12, 300].all(p => p > 0) // true", all),
	method("first", "(predicate?: "+sel+"unknown): T | undefined",
		"The first item (for which predicate(item, index) is truthy), or undefined when there is none.",
		"[1, 12, 300].first(p => p > 10) // 12", first),
	method("last", "(predicate?: "+sel+"unknown): T | undefined",
		"The last item (for which predicate(item, index) is truthy, searching from the end), or undefined when there is none.",
		"[1, 12, 300].last(p => p < 100) // 12", last),
	method("distinct", "("+optSel+"unknown): T[]",
		"The items without repeats: the first item for each value (or for each selector(item, index)), in order (SameValueZero; Dates by time).",
		"[1, 2, 1, 3, 2].distinct() // [1, 2, 3]", distinct),
	method("groupBy", "<K>(selector: "+sel+"K): { key: K; items: T[] }[]",
		"The items grouped by selector(item, index): [{key, items}] in the order each key is first seen (SameValueZero; Dates by time).",
		"[1, 2, 3, 4].groupBy(x => x % 2) // [{key: 1, items: [1, 3]}, {key: 0, items: [2, 4]}]", groupBy),
	method("orderBy", "("+optSel+"unknown): T[]",
		"The items sorted ascending by the item (or selector(item, index)); stable. Numbers numerically, strings by code units (no locale), Dates by time, false < true; mixed types by type: booleans < numbers < bigints < strings < Dates < objects; undefined, null, NaN and invalid Dates last.",
		"[{n: 'b', a: 2}, {n: 'a', a: 1}].orderBy(x => x.a) // [{n: 'a', a: 1}, {n: 'b', a: 2}]", orderBy(false)),
	method("orderByDescending", "("+optSel+"unknown): T[]",
		"The items sorted descending by the item (or selector(item, index)); stable (equal keys keep their order); the reverse of orderBy's order, except that undefined, null, NaN and invalid Dates still come last.",
		"[1, 3, 2].orderByDescending() // [3, 2, 1]", orderBy(true)),
	method("take", "(n: number): T[]",
		"The first n items (all when there are fewer); n is an integer ≥ 0.",
		"[1, 2, 3].take(2) // [1, 2]", take),
	method("skip", "(n: number): T[]",
		"The items after the first n (none when there are fewer); n is an integer ≥ 0.",
		"[1, 2, 3].skip(2) // [3]", skip),
	method("chunk", "(size: number): T[][]",
		"The items in consecutive arrays of size items (the last one may be shorter); size is an integer ≥ 1.",
		"[1, 2, 3, 4, 5].chunk(2) // [[1, 2], [3, 4], [5]]", chunk),
	method("toLookup", "<V = T>(keySelector: "+sel+"string | number | boolean, valueSelector?: "+sel+"V): Record<string, V[]>",
		"A plain object mapping each key (a string, number or boolean, as a property name) to the array of its items (or valueSelector(item, index)), in order.",
		"[{c: 'NL', n: 1}, {c: 'BE', n: 2}, {c: 'NL', n: 3}].toLookup(x => x.c, x => x.n) // {NL: [1, 3], BE: [2]}", toLookup),
}

func where(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	pred := fnArg(h, call, 0, fn, "predicate")
	var out []any
	for i := range s.n {
		item := s.at(i)
		if pred.call(item, i).ToBoolean() {
			out = append(out, item)
		}
	}
	return s.newArray(out)
}

// filterIn keeps the items whose (selected) value is in set (keep true) or not in it (keep false).
func filterIn(s seq, sel callback, set map[key]struct{}, keep bool) goja.Value {
	var out []any
	for i := range s.n {
		item := s.at(i)
		v := item
		if sel.valid() {
			v = sel.call(item, i)
		}
		if _, in := set[keyOf(v)]; in == keep {
			out = append(out, item)
		}
	}
	return s.newArray(out)
}

func whereIn(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	sel := fnArg(h, call, 0, fn, "selector")
	return filterIn(s, sel, listArg(h, call, 1, fn, "list"), true)
}

func intersect(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	set := listArg(h, call, 0, fn, "list")
	return filterIn(s, optFnArg(h, call, 1, fn, "selector"), set, true)
}

func except(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	set := listArg(h, call, 0, fn, "list")
	return filterIn(s, optFnArg(h, call, 1, fn, "selector"), set, false)
}

func selectFn(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	f := fnArg(h, call, 0, fn, "selector")
	out := make([]any, s.n)
	for i := range s.n {
		out[i] = f.call(s.at(i), i)
	}
	return s.newArray(out)
}

func selectMany(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	f := fnArg(h, call, 0, fn, "selector")
	var out []any
	for i := range s.n {
		v := f.call(s.at(i), i)
		o, ok := v.(*goja.Object)
		if !ok || o.ClassName() != "Array" {
			h.TypeError(fn, "the selector must return an array, got %s for item %d", builtins.Describe(v), i)
		}
		inner := seq{h: h, fn: fn, o: o}
		n := o.Get("length").ToInteger()
		if n > MaxLength || int64(len(out))+n > MaxLength {
			h.RangeError(fn, "the result is too long (more than %d items)", MaxLength)
		}
		inner.n = int(n)
		for j := range inner.n {
			out = append(out, inner.at(j))
		}
	}
	return s.newArray(out)
}

// number is item i (or its selected value), which must be a number.
func (s seq) number(sel callback, i int) float64 {
	v := s.value(sel, i)
	f, ok := builtins.NumberOf(v)
	if !ok {
		if sel.valid() {
			s.h.TypeError(s.fn, "the selector must return a number, got %s for item %d", builtins.Describe(v), i)
		}
		s.h.TypeError(s.fn, "item %d must be a number, got %s", i, builtins.Describe(v))
	}
	return f
}

// total is the Neumaier-compensated sum of the (selected) numbers.
func (s seq) total(sel callback) float64 {
	var sum, c, naive float64
	for i := range s.n {
		x := s.number(sel, i)
		naive += x
		t := sum + x
		if math.Abs(sum) >= math.Abs(x) {
			c += (sum - t) + x
		} else {
			c += (x - t) + sum
		}
		sum = t
	}
	if r := sum + c; !math.IsNaN(r) && !math.IsInf(r, 0) {
		return r
	}
	return naive // Infinity or NaN among the values: the compensation term is meaningless
}

func sum(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	return h.VM.ToValue(s.total(optFnArg(h, call, 0, fn, "selector")))
}

func avg(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	sel := optFnArg(h, call, 0, fn, "selector")
	if s.n == 0 {
		h.RangeError(fn, "the array is empty")
	}
	return h.VM.ToValue(s.total(sel) / float64(s.n))
}

func minFn(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	return extreme(h, fn, call, -1)
}

func maxFn(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	return extreme(h, fn, call, 1)
}

// extreme finds the min (want −1) or max (want 1) of numbers, strings or Dates.
func extreme(h *builtins.Host, fn string, call goja.FunctionCall, want int) goja.Value {
	s := this(h, call, fn)
	sel := optFnArg(h, call, 0, fn, "selector")
	if s.n == 0 {
		h.RangeError(fn, "the array is empty")
	}
	var (
		best    goja.Value
		bestKey sortKey
		nan     bool
	)
	for i := range s.n {
		v := s.value(sel, i)
		k := sortKeyOf(v)
		switch {
		case k.rank == rNumber || k.rank == rString || k.rank == rDate:
		case isNaN(v):
			k.rank = rNumber
			nan = true
		default:
			what := "item %d"
			if sel.valid() {
				what = "the selector's value for item %d"
			}
			h.TypeError(fn, "values must be numbers, strings or Dates; "+what+" is %s", i, builtins.Describe(v))
		}
		if best == nil {
			best, bestKey = v, k
			continue
		}
		if k.rank != bestKey.rank {
			h.TypeError(fn, "values must all be of one type (numbers, strings or Dates); item 0 is %s, item %d is %s",
				rankName(bestKey.rank), i, rankName(k.rank))
		}
		if !nan && compareKeys(k, bestKey) == want {
			best, bestKey = v, k
		}
	}
	if nan {
		return h.VM.ToValue(math.NaN())
	}
	return best
}

func rankName(r rank) string {
	switch r {
	case rNumber:
		return "a number"
	case rString:
		return "a string"
	}
	return "a Date"
}

func count(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	pred := optFnArg(h, call, 0, fn, "predicate")
	if !pred.valid() {
		return h.VM.ToValue(s.n)
	}
	n := 0
	for i := range s.n {
		if pred.call(s.at(i), i).ToBoolean() {
			n++
		}
	}
	return h.VM.ToValue(n)
}

func anyFn(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	pred := optFnArg(h, call, 0, fn, "predicate")
	if !pred.valid() {
		return h.VM.ToValue(s.n > 0)
	}
	for i := range s.n {
		if pred.call(s.at(i), i).ToBoolean() {
			return h.VM.ToValue(true)
		}
	}
	return h.VM.ToValue(false)
}

func all(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	pred := fnArg(h, call, 0, fn, "predicate")
	for i := range s.n {
		if !pred.call(s.at(i), i).ToBoolean() {
			return h.VM.ToValue(false)
		}
	}
	return h.VM.ToValue(true)
}

func first(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	pred := optFnArg(h, call, 0, fn, "predicate")
	for i := range s.n {
		item := s.at(i)
		if !pred.valid() || pred.call(item, i).ToBoolean() {
			return item
		}
	}
	return goja.Undefined()
}

func last(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	pred := optFnArg(h, call, 0, fn, "predicate")
	for i := s.n - 1; i >= 0; i-- {
		item := s.at(i)
		if !pred.valid() || pred.call(item, i).ToBoolean() {
			return item
		}
	}
	return goja.Undefined()
}

func distinct(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	sel := optFnArg(h, call, 0, fn, "selector")
	seen := make(map[key]struct{})
	var out []any
	for i := range s.n {
		item := s.at(i)
		v := item
		if sel.valid() {
			v = sel.call(item, i)
		}
		k := keyOf(v)
		if _, dup := seen[k]; !dup {
			seen[k] = struct{}{}
			out = append(out, item)
		}
	}
	return s.newArray(out)
}

func groupBy(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	sel := fnArg(h, call, 0, fn, "selector")
	type group struct {
		key   goja.Value
		items []any
	}
	var groups []*group
	byKey := make(map[key]*group)
	for i := range s.n {
		item := s.at(i)
		kv := sel.call(item, i)
		k := keyOf(kv)
		g := byKey[k]
		if g == nil {
			g = &group{key: kv}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.items = append(g.items, item)
	}
	out := make([]any, len(groups))
	for i, g := range groups {
		o := h.VM.NewObject()
		_ = o.Set("key", g.key)
		_ = o.Set("items", h.VM.NewArray(g.items...))
		out[i] = o
	}
	return s.newArray(out)
}

func orderBy(desc bool) func(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	return func(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
		s := this(h, call, fn)
		sel := optFnArg(h, call, 0, fn, "selector")
		type entry struct {
			item goja.Value
			key  sortKey
		}
		entries := make([]entry, s.n)
		for i := range s.n {
			item := s.at(i)
			v := item
			if sel.valid() {
				v = sel.call(item, i)
			}
			entries[i] = entry{item, sortKeyOf(v)}
		}
		slices.SortStableFunc(entries, func(a, b entry) int { return orderCompare(a.key, b.key, desc) })
		out := make([]any, s.n)
		for i, e := range entries {
			out[i] = e.item
		}
		return s.newArray(out)
	}
}

// slice returns items [from, to) of s as a new array.
func (s seq) slice(from, to int) []any {
	out := make([]any, 0, max(to-from, 0))
	for i := from; i < to; i++ {
		out = append(out, s.at(i))
	}
	return out
}

func take(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	n := h.IntIn(call, 0, fn, "n", 0, builtins.MaxSafeInteger)
	return s.newArray(s.slice(0, min(n, s.n)))
}

func skip(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	n := h.IntIn(call, 0, fn, "n", 0, builtins.MaxSafeInteger)
	return s.newArray(s.slice(min(n, s.n), s.n))
}

func chunk(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	size := h.IntIn(call, 0, fn, "size", 1, builtins.MaxSafeInteger)
	out := make([]any, 0, (s.n+size-1)/size)
	for from := 0; from < s.n; from += size {
		out = append(out, h.VM.NewArray(s.slice(from, from+min(size, s.n-from))...))
	}
	return s.newArray(out)
}

func toLookup(h *builtins.Host, fn string, call goja.FunctionCall) goja.Value {
	s := this(h, call, fn)
	keySel := fnArg(h, call, 0, fn, "keySelector")
	valSel := optFnArg(h, call, 1, fn, "valueSelector")
	var names []string
	byName := make(map[string][]any)
	for i := range s.n {
		item := s.at(i)
		kv := keySel.call(item, i)
		name, ok := propertyName(kv)
		if !ok {
			h.TypeError(fn, "the key selector must return a string, number or boolean, got %s for item %d", builtins.Describe(kv), i)
		}
		v := item
		if valSel.valid() {
			v = valSel.call(item, i)
		}
		items, seen := byName[name]
		if !seen {
			names = append(names, name)
		}
		byName[name] = append(items, v)
	}
	o := h.VM.NewObject()
	for _, name := range names {
		// A data property, so a "__proto__" key is an ordinary key, not the prototype setter.
		if err := o.DefineDataProperty(name, h.VM.NewArray(byName[name]...), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
			panic(h.VM.NewGoError(err))
		}
	}
	return o
}

// propertyName is the JS property name of a string, number or boolean key (String(key)).
func propertyName(v goja.Value) (string, bool) {
	if s, ok := v.(goja.String); ok {
		return s.String(), true
	}
	if _, ok := builtins.NumberOf(v); ok {
		return v.String(), true // JS number-to-string: 1.5 → "1.5", -0 → "0", 1e21 → "1e+21"
	}
	if b, ok := builtins.BoolOf(v); ok {
		if b {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

func isNaN(v goja.Value) bool {
	f, ok := builtins.NumberOf(v)
	return ok && math.IsNaN(f)
}
