package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/engine"
)

// intrinsicAttacks are single native calls whose cost grows with an argument or with this: each
// must end as a catchable error naming its limit, quickly, before it allocates.
var intrinsicAttacks = []struct{ name, code, want string }{
	{"sparse indexOf", "const a = []; a.length = 2**32 - 1; return a.indexOf(1);", "Limits.MaxArrayLength"},
	{"sparse includes", "const a = []; a[2**32 - 2] = 1; return a.includes(2);", "Limits.MaxArrayLength"},
	{"sparse lastIndexOf", "const a = []; a.length = 2**32 - 1; return a.lastIndexOf(1);", "Limits.MaxArrayLength"},
	{"sparse slice", "const a = []; a.length = 2**32 - 1; return a.slice().length;", "Limits.MaxArrayLength"},
	{"sparse reverse", "const a = []; a.length = 2**32 - 1; return a.reverse().length;", "Limits.MaxArrayLength"},
	{"sparse concat", "const a = []; a.length = 2**32 - 1; return [].concat(a).length;", "Limits.MaxArrayLength"},
	{"sparse splice", "const a = []; a.length = 2**32 - 1; return a.splice(0, 1).length;", "Limits.MaxArrayLength"},
	{"sparse filter", "const a = []; a.length = 2**32 - 1; return a.filter(x => x).length;", "Limits.MaxArrayLength"},
	{"sparse forEach", "const a = []; a.length = 2**32 - 1; a.forEach(x => x); return 1;", "Limits.MaxArrayLength"},
	{"sparse map", "const a = []; a.length = 2**32 - 1; return a.map(x => x).length;", "Limits.MaxArrayLength"},
	{"sparse sort", "const a = []; a.length = 2**32 - 1; return a.sort().length;", "Limits.MaxArrayLength"},
	{"sparse shift", "const a = []; a.length = 2**32 - 1; return a.shift();", "Limits.MaxArrayLength"},
	{"sparse spread", "const a = []; a.length = 2**32 - 1; return Math.max(...a);", "Limits.MaxArrayLength"},
	{"sparse for-of", "const a = []; a.length = 2**32 - 1; for (const x of a) {} return 1;", "Limits.MaxArrayLength"},
	{"sparse join", "const a = []; a.length = 2**32 - 1; return a.join('').length;", "Limits.MaxArrayLength"},
	{"array-like indexOf", "return Array.prototype.indexOf.call({length: 2**32 - 1}, 1);", "Limits.MaxArrayLength"},
	{"lying length", "let n = 0; const o = {get length() { return n++ === 0 ? 1 : 2**32 - 1; }}; return Array.prototype.includes.call(o, 5);", "no error"},
	{"proxy length", "const p = new Proxy({}, {get: (t, k) => k === 'length' ? 2**32 - 1 : undefined}); return Array.prototype.indexOf.call(p, 1);", "Limits.MaxArrayLength"},
	{"proxy write", "const p = new Proxy([], {}); return Array.prototype.reverse.call(p);", "not available in rule code"},
	{"flat of shared", "const a = Array(1000).fill(0); const b = Array(20000).fill(a); return b.flat().length;", "Limits.MaxArrayLength"},
	{"apply huge", "return Math.max.apply(null, {length: 2**31});", "Limits.MaxArguments"},
	{"Reflect.apply huge", "return Reflect.apply(Math.max, null, {length: 2**31});", "Limits.MaxArguments"},
	{"ArrayBuffer", "return new ArrayBuffer(2**44).byteLength;", "Limits.MaxBufferBytes"},
	{"ArrayBuffer via constructor", "return new (new ArrayBuffer(1).constructor)(2**44).byteLength;", "Limits.MaxBufferBytes"},
	{"Uint8Array", "return new Uint8Array(2**32).fill(7).length;", "Limits.MaxBufferBytes"},
	{"Float64Array via constructor", "return new (new Float64Array(1).constructor)(2**30).length;", "Limits.MaxBufferBytes"},
	{"TypedArray.from", "return Uint8Array.from({length: 2**31}).length;", "Limits.MaxBufferBytes"},
	{"typed from generator", "function* g() { while (true) yield 1; } return new Uint8Array(g()).length;", "Limits."},
	{"typed join", "return new Uint8Array(2e6).join('x'.repeat(1000)).length;", "Limits.MaxStringLength"},
	{"String.raw", "return String.raw({raw: {length: 2**32 - 1}}).length;", "Limits.MaxArrayLength"},
	{"String.raw shared", "const s = 'x'.repeat(1 << 20); return String.raw({raw: Array(100).fill(s)}).length;", "Limits.MaxStringLength"},
	{"replace expansion", "return 'a'.repeat(1 << 12).replace(/a/g, '$&'.repeat(5000)).length;", "Limits.MaxStringLength"},
	{"replace prefix", "return 'a'.repeat(1 << 13).replace(/a/g, '$`').length;", "Limits.MaxStringLength"},
	{"replaceAll fn", "const s = 'x'.repeat(1 << 20); return 'a'.repeat(1000).replaceAll('a', () => s).length;", "Limits.MaxStringLength"},
	{"concat", "const s = 'x'.repeat(1 << 20); return ''.concat(...Array(100).fill(s)).length;", "Limits.MaxStringLength"},
	{"split", "return 'x'.repeat(16 << 20).split('').length;", "Limits.MaxArrayLength"},
	{"string spread", "return [...'x'.repeat(1 << 20)].length;", "Limits.MaxArrayLength"},
	{"string Array.from", "return Array.from('x'.repeat(1 << 20)).length;", "Limits.MaxArrayLength"},
	{"string iteration", "return [...'h\u00e9llo'].join('|') + Array.from('ab').length + [...new String('cd')].length;", "h|\u00e9|l|l|o22"},
	{"JSON.stringify dag", "let o = {}; for (let i = 0; i < 40; i++) o = {a: o, b: o}; return JSON.stringify(o).length;", "Limits.MaxStringLength"},
	{"JSON.stringify big", "const s = 'x'.repeat(1 << 20); return JSON.stringify(Array(100).fill(s)).length;", "Limits.MaxStringLength"},
	{"JSON.stringify toJSON", "let o = {}; for (let i = 0; i < 40; i++) o = {a: o, b: o}; return JSON.stringify({toJSON: () => o}).length;", "Limits.MaxStringLength"},
	{"JSON.stringify cycle", "const o = {}; o.o = o; return JSON.stringify(o);", "TypeError"},
	{"JSON.stringify shape", "return JSON.stringify({a: [1, 'x', null, undefined, () => 1], d: new Date(0), n: new Number(2), u: undefined}, null, 1);", "\"d\": \"1970-01-01T00:00:00.000Z\""},
	{"Symbol.for many", "for (let i = 0; i < 20000; i++) Symbol.for('k' + i); return 1;", "Limits.MaxSymbols"},
	{"BigInt gone", "return typeof globalThis['Big' + 'Int'];", "undefined"},
	{"regexp backtracking", "return /^(a+)+(?!x)$/.test('a'.repeat(32) + 'b');", "Limits.Timeout"},
	{"repeat", "return 'x'.repeat(2**31).length;", "Limits.MaxStringLength"},
}

func TestIntrinsicGuards(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: intrinsics\ninputs:\n  Kind: {type: number, required: true}\nrules:\n  Attack: |\n    switch (Kind) {\n")
	for i, a := range intrinsicAttacks {
		fmt.Fprintf(&b, "      case %d: try { %s } catch (e) { return e.name + ': ' + e.message; }\n", i, a.code)
	}
	b.WriteString("    }\n    return 'ok';\n  Sum: '[1, 2, 3].map(x => x * 2).filter(x => x > 2).concat([7]).join(\"-\") + JSON.stringify({a: [1, \"b\"]}) + \"abc\".replace(/b/g, \"[$&]\") + Symbol.keyFor(Symbol.for(\"k\"))'\n")
	const timeout = raceSlowdown * 500 * time.Millisecond
	rs := load(t, engine.New(engine.WithPoolSize(1), engine.WithLimits(engine.Limits{Timeout: timeout})), b.String(), nil)
	for i, a := range intrinsicAttacks {
		t.Run(a.name, func(t *testing.T) {
			start := time.Now()
			res, err := rs.Execute(t.Context(), map[string]any{"Kind": float64(i)}, engine.ExecOptions{})
			// A backtracking match stops at regexp2's match timeout, which is process-wide: the
			// longest Timeout of any engine in this process (raceSlowdown*2s, in this package's tests).
			if d := time.Since(start); d > 3*timeout && !(strings.HasPrefix(a.name, "regexp") && d < raceSlowdown*3*time.Second) {
				t.Errorf("took %v", d)
			}
			got := ""
			if err != nil {
				got = err.Error()
			} else if res.Output["Attack"] != nil {
				got = fmt.Sprint(res.Output["Attack"])
			}
			if a.want == "no error" {
				if err != nil || strings.Contains(got, "Error") {
					t.Errorf("got %q", got)
				}
			} else if !strings.Contains(got, a.want) {
				t.Errorf("got %q, want it to mention %q", got, a.want)
			}
			res, err = rs.Execute(t.Context(), map[string]any{"Kind": -1.0}, engine.ExecOptions{})
			if err != nil || res.Output["Sum"] != `4-6-7{"a":[1,"b"]}a[b]ck` {
				t.Errorf("after: %v %v", err, res)
			}
		})
	}
}

var moreIntrinsicAttacks = []struct{ name, code, want string }{
	{"RegExp Symbol.replace", "return RegExp.prototype[Symbol.replace].call(/a/g, 'a'.repeat(1 << 12), '$&'.repeat(5000)).length;", "Limits.MaxStringLength"},
	{"Array.from lying", "let n = 0; const o = {get length() { return n++ === 0 ? 1 : 2**32 - 1; }}; return Array.from(o).length;", "1"},
	{"Object.keys typed", "return Object.keys(new Uint8Array(16 << 20)).length;", "Limits.MaxArrayLength"},
	{"sort huge", "return Array(2e5).fill(1).map((x, i) => String(i * 7919 % 100000)).sort().length;", "Limits.Timeout"},
	{"typed sort huge", "return new Float64Array(2e6).map((x, i) => (i * 7919) % 1000).sort()[0];", "Limits.Timeout"},
	{"sort semantics", "return [[10, 9, 1, undefined, 'b', 'a'].sort().join(), Array.from({length: 17000}, (_, i) => 17000 - i).sort()[0], Array.from(new Float64Array([3, NaN, -0, 0, -1]).sort()).map(x => Object.is(x, -0) ? '-0' : String(x)).join()].join('|');", "1,10,9,a,b,|1|-1,-0,0,3,NaN"},
	{"JSON.parse huge", "return JSON.parse('[' + '1,'.repeat(4e6) + '1]').length;", "Limits.MaxInputBytes"},
	{"typed from lying", "let n = 0; const o = {get length() { return n++ === 0 ? 1 : 2**31; }}; return new Float64Array(o).length;", "1"},
}

func init() { intrinsicAttacks = append(intrinsicAttacks, moreIntrinsicAttacks...) }
