package array

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
)

var clock = time.Date(2024, 6, 14, 22, 30, 0, 0, time.UTC)

func newVM(t testing.TB) *goja.Runtime {
	t.Helper()
	vm, _ := builtinstest.NewVM(t, &builtins.Exec{Now: clock, Location: time.UTC}, Module{})
	return vm
}

// js runs expr and returns JSON.stringify of its value ("undefined" for undefined), or
// "Name: message" when it throws.
func js(t testing.TB, vm *goja.Runtime, expr string) string {
	t.Helper()
	v, err := vm.RunString("(() => { try { const r = (" + expr + "); return r === undefined ? 'undefined' : JSON.stringify(r) } catch (e) { return (e && e.name) + ': ' + (e && e.message) } })()")
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v.String()
}

type jsCase struct{ expr, want string }

func run(t *testing.T, cases []jsCase) {
	t.Helper()
	vm := newVM(t)
	if _, err := vm.RunString(`
		var realEstates = [
			{City: 'London', Value: 100}, {City: 'Paris', Value: 50},
			{City: 'London', Value: 250.5}, {City: 'Berlin', Value: 7}];
		var people = [
			{n: 'ann', city: 'Paris', age: 30}, {n: 'bob', city: 'Rome', age: 25},
			{n: 'cid', city: 'London', age: 30}, {n: 'dan', city: 'Paris', age: 41}];
	`); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			if got := js(t, vm, c.expr); got != c.want {
				t.Errorf("%s\n got %s\nwant %s", c.expr, got, c.want)
			}
		})
	}
}

func TestWhereSelect(t *testing.T) {
	run(t, []jsCase{
		// documented
		{"[1,12,300,6000].where(p => p > 100)", "[300,6000]"},
		{"[1,12,300,6000].where((p, i) => i > 1)", "[300,6000]"},
		{"realEstates.where(re => re.City === 'London').sum(re => re.Value)", "350.5"},
		// truthiness, this, holes
		{"[0, 1, '', 'a', null, {}].where(x => x)", `[1,"a",{}]`},
		{"[1, 2].where(function () { 'use strict'; return this === undefined })", "[1,2]"},
		{"[1, , 3].where(x => x === undefined)", "[null]"},
		{"[].where(x => true)", "[]"},
		{"Array.isArray([1].where(x => false))", "true"},
		{"[1, 2, 3].where(x => x > 1).select(x => x * 2)", "[4,6]"},
		{"[1, 2, 3].select((x, i) => x * 10 + i)", "[10,21,32]"},
		{"[[1, 2], [3], []].selectMany(x => x)", "[1,2,3]"},
		{"[{k: [1, [2]]}, {k: [3]}].selectMany(x => x.k)", "[1,[2],3]"},
		{"[1, 2].selectMany((x, i) => [x, i])", "[1,0,2,1]"},
		// errors
		{"[1].where()", "TypeError: Array.prototype.where: predicate is required (a function)"},
		{"[1].where(5)", "TypeError: Array.prototype.where: predicate must be a function, got 5"},
		{"Array.prototype.where.call('abc', x => x)", `TypeError: Array.prototype.where: must be called on an array, got "abc"`},
		{"Array.prototype.where.call({length: 2}, x => x)", "TypeError: Array.prototype.where: must be called on an array, got an object"},
		{"[1].select()", "TypeError: Array.prototype.select: selector is required (a function)"},
		{"[1, 2].selectMany(x => x)", "TypeError: Array.prototype.selectMany: the selector must return an array, got 1 for item 0"},
		{"(() => { const a = []; a[20000000] = 1; return a.where(x => x) })()", "RangeError: Array.prototype.where: the array is too long (20000001 items; at most 16777216)"},
		{"new Array(4294967295).count()", "RangeError: Array.prototype.count: the array is too long (4294967295 items; at most 16777216)"},
	})
}

func TestCallbackErrorsPropagate(t *testing.T) {
	vm := newVM(t)
	for _, m := range []string{"where", "select", "selectMany", "sum", "avg", "min", "max", "count", "any", "all", "first", "last", "distinct", "groupBy", "orderBy", "orderByDescending", "toLookup"} {
		t.Run(m, func(t *testing.T) {
			got := js(t, vm, "(() => { class MyErr extends Error {}; const e = new MyErr('boom'); try { [1, 2]."+m+"(() => { throw e }) } catch (x) { return x === e && x instanceof MyErr } return 'no throw' })()")
			if got != "true" {
				t.Errorf("%s: %s", m, got)
			}
		})
	}
	for _, expr := range []string{
		"[1].whereIn(() => { throw e }, [1])", "[1].intersect([1], () => { throw e })", "[1].except([1], () => { throw e })",
		"[1].toLookup(x => 'a', () => { throw e })",
	} {
		got := js(t, vm, "(() => { const e = {custom: 1}; try { "+expr+" } catch (x) { return x === e } return 'no throw' })()")
		if got != "true" {
			t.Errorf("%s: %s", expr, got)
		}
	}
	// A thrown primitive stays a primitive.
	if got := js(t, vm, "(() => { try { [1].where(() => { throw 42 }) } catch (x) { return x } })()"); got != "42" {
		t.Errorf("thrown 42: %s", got)
	}
}

func TestSetLike(t *testing.T) {
	run(t, []jsCase{
		{"people.whereIn(p => p.city, ['London', 'Paris']).select(p => p.n)", `["ann","cid","dan"]`},
		{"people.whereIn(p => p.age, [30]).select(p => p.n)", `["ann","cid"]`},
		{"[1, 2].whereIn(x => x, [])", "[]"},
		{"[1, 2, 2, 3, 4].intersect([2, 4, 9])", "[2,2,4]"},
		{"people.intersect(['Rome'], p => p.city).select(p => p.n)", `["bob"]`},
		{"[1, 2, 2, 3, 4].except([2, 4])", "[1,3]"},
		{"people.except(['Paris'], p => p.city).select(p => p.n)", `["bob","cid"]`},
		// SameValueZero, Dates by time, objects by identity
		{"[NaN, 0, -0, 1].intersect([NaN, 0])", "[null,0,0]"},
		{"[1, '1'].intersect(['1'])", `["1"]`},
		{"[new Date(5), new Date(6)].intersect([new Date(5)]).length", "1"},
		{"(() => { const o = {}; return [o, {}].intersect([o]).length })()", "1"},
		{"[null, undefined, false].intersect([undefined])", "[null]"},
		{"[10n, 11n].intersect([10n])", `TypeError: Do not know how to serialize a BigInt`},
		{"[10n, 11n].intersect([10n]).length", "1"},
		{"['\\uD800', '\\uD801', '\\uFFFD'].intersect(['\\uD800']).length", "1"},
		{"['\\uD800', '\\uD801', '\\uFFFD'].distinct().length", "3"},
		// errors
		{"[1].whereIn(x => x)", "TypeError: Array.prototype.whereIn: list is required (an array)"},
		{"[1].whereIn([1], x => x)", "TypeError: Array.prototype.whereIn: selector must be a function, got an array"},
		{"[1].intersect(new Set([1]))", "TypeError: Array.prototype.intersect: list must be an array, got an object"},
		{"[1].except([1], 'x')", `TypeError: Array.prototype.except: selector must be a function, got "x"`},
	})
}

func TestAggregates(t *testing.T) {
	run(t, []jsCase{
		{"[].sum()", "0"},
		{"[1, 2, 3.5].sum()", "6.5"},
		{"[0.1, 0.2, 0.3].sum()", "0.6"},
		{"[1e16, 1, -1e16].sum()", "1"},
		{"[1, Infinity].sum()", "null"}, // JSON of Infinity
		{"[1, Infinity].sum() === Infinity", "true"},
		{"Number.isNaN([Infinity, -Infinity].sum())", "true"},
		{"people.sum(p => p.age)", "126"},
		{"[1, 2, 3, 4].avg()", "2.5"},
		{"people.avg(p => p.age)", "31.5"},
		{"[].avg()", "RangeError: Array.prototype.avg: the array is empty"},
		{"[1, '2'].sum()", `TypeError: Array.prototype.sum: item 1 must be a number, got "2"`},
		{"people.sum(p => p.Age)", "TypeError: Array.prototype.sum: the selector must return a number, got undefined for item 0"},
		{"[1, null].avg()", "TypeError: Array.prototype.avg: item 1 must be a number, got null"},
		{"[1].sum(1)", "TypeError: Array.prototype.sum: selector must be a function, got 1"},
		{"[3, 1, 2].min()", "1"},
		{"[3, 1, 2].max()", "3"},
		{"[-0, 0].max()", "0"},
		{"people.min(p => p.age)", "25"},
		{"['b', 'a', 'B'].min()", `"B"`},
		{"['b', 'a', 'B'].max()", `"b"`},
		{"[new Date('2024-05-01'), new Date('2023-01-01'), new Date('2025-01-01')].min().toISOString()", `"2023-01-01T00:00:00.000Z"`},
		{"[new Date('2024-05-01'), new Date('2023-01-01'), new Date('2025-01-01')].max().toISOString()", `"2025-01-01T00:00:00.000Z"`},
		{"Number.isNaN([1, NaN, 3].min())", "true"},
		{"[].min()", "RangeError: Array.prototype.min: the array is empty"},
		{"[].max(x => x)", "RangeError: Array.prototype.max: the array is empty"},
		{"[1, 'a'].min()", "TypeError: Array.prototype.min: values must all be of one type (numbers, strings or Dates); item 0 is a number, item 1 is a string"},
		{"[1, null].max()", "TypeError: Array.prototype.max: values must be numbers, strings or Dates; item 1 is null"},
		{"[{}].max(x => x.v)", "TypeError: Array.prototype.max: values must be numbers, strings or Dates; the selector's value for item 0 is undefined"},
		{"[new Date(NaN)].max()", "TypeError: Array.prototype.max: values must be numbers, strings or Dates; item 0 is an invalid Date"},
		{"[1, 12, 300].count()", "3"},
		{"[1, 12, 300].count(p => p > 10)", "2"},
		{"[].count(p => true)", "0"},
		{"[1, 12, 300].any(p => p > 100)", "true"},
		{"[1, 12, 300].any(p => p > 1000)", "false"},
		{"[].any()", "false"},
		{"[undefined].any()", "true"},
		{"[1, 12, 300].all(p => p > 0)", "true"},
		{"[1, 12, 300].all(p => p > 1)", "false"},
		{"[].all(p => false)", "true"},
		{"[1].all()", "TypeError: Array.prototype.all: predicate is required (a function)"},
		{"(() => { let calls = 0; [1, 2, 3].any(x => (calls++, x === 1)); return calls })()", "1"},
		{"(() => { let calls = 0; [1, 2, 3].all(x => (calls++, x !== 1)); return calls })()", "1"},
		{"[1, 12, 300].first()", "1"},
		{"[1, 12, 300].first(p => p > 10)", "12"},
		{"[1, 12, 300].first(p => p > 1000)", "undefined"},
		{"[].first()", "undefined"},
		{"[1, 12, 300].last()", "300"},
		{"[1, 12, 300].last(p => p < 100)", "12"},
		{"[1, 12, 300].last((p, i) => i === 0)", "1"},
		{"[].last()", "undefined"},
	})
}

func TestDistinctGroupLookup(t *testing.T) {
	run(t, []jsCase{
		{"[1, 2, 1, 3, 2].distinct()", "[1,2,3]"},
		{"people.distinct(p => p.city).select(p => p.n)", `["ann","bob","cid"]`},
		{"[NaN, NaN, 0, -0].distinct().length", "2"},
		{"[new Date(1), new Date(1), new Date(2)].distinct().length", "2"},
		{"[1, '1', true, null, undefined, null].distinct()", `[1,"1",true,null,null]`},
		{"[1, 2, 3, 4].groupBy(x => x % 2)", `[{"key":1,"items":[1,3]},{"key":0,"items":[2,4]}]`},
		{"people.groupBy(p => p.city).select(g => g.key + ':' + g.items.select(p => p.n).join('+'))", `["Paris:ann+dan","Rome:bob","London:cid"]`},
		{"[].groupBy(x => x)", "[]"},
		{"(() => { const d1 = new Date(1), d2 = new Date(1); const g = [1, 2].groupBy(x => x === 1 ? d1 : d2); return g.length === 1 && g[0].key === d1 })()", "true"},
		{"[1].groupBy()", "TypeError: Array.prototype.groupBy: selector is required (a function)"},
		{"[{c: 'NL', n: 1}, {c: 'BE', n: 2}, {c: 'NL', n: 3}].toLookup(x => x.c, x => x.n)", `{"NL":[1,3],"BE":[2]}`},
		{"[{c: 'NL', n: 1}, {c: 'NL', n: 3}].toLookup(x => x.c).NL.length", "2"},
		{"[1, 2, 3].toLookup(x => x % 2 === 0)", `{"false":[1,3],"true":[2]}`},
		{"[1.5, 2].toLookup(x => x)", `{"2":[2],"1.5":[1.5]}`},
		{"Object.getPrototypeOf([1].toLookup(x => '__proto__')) === Object.prototype", "true"},
		{"Object.keys([1].toLookup(x => '__proto__'))", `["__proto__"]`},
		{"[1].toLookup(x => null)", "TypeError: Array.prototype.toLookup: the key selector must return a string, number or boolean, got null for item 0"},
		{"[1].toLookup(x => ({}))", "TypeError: Array.prototype.toLookup: the key selector must return a string, number or boolean, got an object for item 0"},
		{"[1].toLookup()", "TypeError: Array.prototype.toLookup: keySelector is required (a function)"},
		{"[1].toLookup(x => 'a', 3)", "TypeError: Array.prototype.toLookup: valueSelector must be a function, got 3"},
	})
}

func TestOrderBy(t *testing.T) {
	run(t, []jsCase{
		{"[3, 1, 2].orderBy()", "[1,2,3]"},
		{"[3, 1, 2].orderByDescending()", "[3,2,1]"},
		{"[10, 9, 100].orderBy()", "[9,10,100]"},                                                 // numeric, not the default sort's string order
		{"['b', 'a', 'B', 'ä', '\\u{1F600}', '\\uFFFF'].orderBy()", `["B","a","b","ä","😀","￿"]`}, // code units: U+D83D < U+FFFF
		{"[true, false, true].orderBy()", "[false,true,true]"},
		{"[new Date(3), new Date(1), new Date(2)].orderBy().select(d => d.getTime())", "[1,2,3]"},
		{"[3n, 1n, 2n].orderBy().map(String)", `["1","2","3"]`},
		// stable
		{"people.orderBy(p => p.age).select(p => p.n)", `["bob","ann","cid","dan"]`},
		{"people.orderByDescending(p => p.age).select(p => p.n)", `["dan","ann","cid","bob"]`},
		{"people.orderBy(p => p.city).select(p => p.n)", `["cid","ann","dan","bob"]`},
		{"[{k: 1, n: 'a'}, {k: 1, n: 'b'}, {k: 0, n: 'c'}, {k: 1, n: 'd'}].orderByDescending(x => x.k).select(x => x.n)", `["a","b","d","c"]`},
		// mixed types and missing values
		{"[undefined, 'a', 2, null, true, NaN, new Date(0), 1, {}].orderBy().map(x => x instanceof Date ? 'date' : String(x))", `["true","1","2","a","date","[object Object]","undefined","null","NaN"]`},
		{"[null, 1, undefined, 3, 2].orderByDescending()", "[3,2,1,null,null]"},
		{"[{v: 2}, {}, {v: 1}].orderBy(x => x.v)", `[{"v":1},{"v":2},{}]`},
		{"[{v: 2}, {}, {v: 1}].orderByDescending(x => x.v)", `[{"v":2},{"v":1},{}]`},
		{"[{a: 1}, {a: 2}].orderBy(x => x).select(x => x.a)", "[1,2]"}, // objects compare equal: order kept
		{"[-0, 0, -1].orderBy()", "[-1,0,0]"},
		{"[].orderBy()", "[]"},
		{"[1].orderBy(2)", "TypeError: Array.prototype.orderBy: selector must be a function, got 2"},
	})
}

func TestTakeSkipChunk(t *testing.T) {
	run(t, []jsCase{
		{"[1, 2, 3].take(2)", "[1,2]"},
		{"[1, 2, 3].take(0)", "[]"},
		{"[1, 2, 3].take(10)", "[1,2,3]"},
		{"[1, 2, 3].take(Number.MAX_SAFE_INTEGER)", "[1,2,3]"},
		{"[1, 2, 3].skip(2)", "[3]"},
		{"[1, 2, 3].skip(0)", "[1,2,3]"},
		{"[1, 2, 3].skip(5)", "[]"},
		{"[1, 2, 3, 4, 5].chunk(2)", "[[1,2],[3,4],[5]]"},
		{"[1, 2, 3, 4].chunk(2)", "[[1,2],[3,4]]"},
		{"[1, 2].chunk(5)", "[[1,2]]"},
		{"[].chunk(3)", "[]"},
		{"[1].chunk(Number.MAX_SAFE_INTEGER)", "[[1]]"},
		{"[1].take(-1)", "RangeError: Array.prototype.take: n must be an integer between 0 and 9007199254740991, got -1"},
		{"[1].take(1.5)", "RangeError: Array.prototype.take: n must be an integer between 0 and 9007199254740991, got 1.5"},
		{"[1].take()", "TypeError: Array.prototype.take: n is required (an integer)"},
		{"[1].skip('1')", `TypeError: Array.prototype.skip: n must be an integer, got "1"`},
		{"[1].chunk(0)", "RangeError: Array.prototype.chunk: size must be an integer between 1 and 9007199254740991, got 0"},
		{"[1].chunk(NaN)", "RangeError: Array.prototype.chunk: size must be an integer between 1 and 9007199254740991, got NaN"},
	})
}

// Methods that return arrays never change the original, and return a new array even when nothing
// was dropped.
func TestNoMutation(t *testing.T) {
	vm := newVM(t)
	calls := []string{
		"where(x => true)", "whereIn(x => x.v, [1, 2, 3])", "intersect([], x => 1)", "except([])",
		"select(x => x)", "selectMany(x => [x])", "distinct()", "groupBy(x => x.v)",
		"orderBy(x => x.v)", "orderByDescending(x => x.v)", "take(10)", "skip(0)", "chunk(2)",
		"toLookup(x => x.v)", "sum(x => x.v)", "avg(x => x.v)", "min(x => x.v)", "max(x => x.v)",
		"count()", "any()", "all(x => x)", "first()", "last()",
	}
	for _, c := range calls {
		t.Run(c, func(t *testing.T) {
			got := js(t, vm, `(() => {
				const a = [{v: 3}, {v: 1}, {v: 2}, {v: 1}];
				const before = JSON.stringify(a), items = a.slice();
				const r = a.`+c+`;
				if (r === a) return 'same array returned';
				if (JSON.stringify(a) !== before) return 'changed: ' + JSON.stringify(a);
				if (!a.every((x, i) => x === items[i])) return 'items replaced';
				return 'ok';
			})()`)
			if got != `"ok"` {
				t.Error(got)
			}
		})
	}
	// Frozen arrays work (nothing is written to them).
	if got := js(t, vm, "Object.freeze([3, 1, 2]).orderBy().where(x => x > 1)"); got != "[2,3]" {
		t.Errorf("frozen: %s", got)
	}
	// Items of the result are the same objects, not copies.
	if got := js(t, vm, "(() => { const o = {}; return [o].where(x => true)[0] === o && [o].orderBy()[0] === o })()"); got != "true" {
		t.Errorf("identity: %s", got)
	}
}

func TestMethodsAreNonEnumerable(t *testing.T) {
	vm := newVM(t)
	if got := js(t, vm, "(() => { const ks = []; for (const k in [1, 2]) ks.push(k); return ks })()"); got != `["0","1"]` {
		t.Errorf("for...in sees %s", got)
	}
	if got := js(t, vm, "[].where.name + ' ' + typeof [].orderByDescending"); got != `"where function"` {
		t.Errorf("names: %s", got)
	}
}

func TestCallbackMutatingArray(t *testing.T) {
	run(t, []jsCase{
		// The length is read once: pushes are not visited, removed items read as undefined.
		{"(() => { const a = [1, 2, 3]; return a.select(x => (a.push(9), x)) })()", "[1,2,3]"},
		{"(() => { const a = [1, 2, 3]; return a.select(x => (a.length = 1, x)) })()", "[1,null,null]"},
	})
}

func TestDescribed(t *testing.T) {
	m := Module{}
	if m.Name() != "Array" {
		t.Errorf("name %q", m.Name())
	}
	typ := m.Typings()
	vm := newVM(t)
	seen := map[string]bool{}
	for _, f := range methods {
		if seen[f.Name] {
			t.Errorf("%s twice", f.Name)
		}
		seen[f.Name] = true
		if !strings.Contains(typ, "  "+f.Name+f.Signature+";") {
			t.Errorf("typings lack %s", f.Name)
		}
		if f.Doc == "" || f.Example == "" || strings.Contains(f.Doc, "\n") {
			t.Errorf("%s: doc/example missing or multi-line", f.Name)
		}
		if got := js(t, vm, "typeof [].hasOwnProperty.call(Array.prototype, '"+f.Name+"') && typeof [].constructor.prototype."+f.Name); got != `"function"` {
			t.Errorf("%s not installed: %s", f.Name, got)
		}
	}
	ref := m.Reference()
	if len(ref) != len(methods) || ref[0].Qualified != "Array.prototype.where" {
		t.Errorf("reference: %d entries, first %+v", len(ref), ref[0])
	}
	if !strings.HasPrefix(typ, "/** ") || !strings.Contains(typ, "interface Array<T> {") {
		t.Errorf("typings:\n%s", typ)
	}
}

// Runnable examples: each documented example that is self-contained evaluates to its comment.
func TestExamples(t *testing.T) {
	vm := newVM(t)
	checked := 0
	defer func() {
		if checked < 20 {
			t.Errorf("only %d examples checked", checked)
		}
	}()
	for _, f := range methods {
		expr, want, ok := strings.Cut(f.Example, " // ")
		if !ok || strings.Contains(want, " ") && !strings.HasPrefix(want, "[") && !strings.HasPrefix(want, "{") {
			continue // illustrative, not a value
		}
		v, err := vm.RunString("(" + expr + ")")
		if err != nil {
			t.Errorf("%s: %v", f.Example, err)
			continue
		}
		gotV, err := vm.RunString("(v => JSON.stringify(v))")
		if err != nil {
			t.Fatal(err)
		}
		stringify, _ := goja.AssertFunction(gotV)
		s, err := stringify(goja.Undefined(), v)
		if err != nil {
			t.Fatal(err)
		}
		wantV, err := vm.RunString("JSON.stringify(" + want + ")")
		if err != nil {
			t.Errorf("%s: example value does not parse: %v", f.Example, err)
			continue
		}
		if s.String() != wantV.String() {
			t.Errorf("%s: got %s", f.Example, s)
		}
		checked++
	}
}

func TestInterruptPropagates(t *testing.T) {
	vm := newVM(t)
	time.AfterFunc(50*time.Millisecond, func() { vm.Interrupt("timeout") })
	_, err := vm.RunString("Array.from({length: 1e6}, (_, i) => i).where(() => { for (;;) {} })")
	var ie *goja.InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want an interrupt", err)
	}
}
