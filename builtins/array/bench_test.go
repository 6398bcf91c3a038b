package array

import (
	"testing"

	"github.com/dop251/goja"
)

// benchJS runs body (an expression over `data`, 1,000 objects {City, Value}) b.N times in a JS loop.
// BenchmarkNativeFilterReduce is the same work with the built-in filter/reduce, for comparison.
func benchJS(b *testing.B, body string) {
	vm := newVM(b)
	if _, err := vm.RunString(`
		var cities = ['London', 'Paris', 'Berlin', 'Rome'];
		var data = Array.from({length: 1000}, (_, i) => ({City: cities[i % 4], Value: i * 1.5}));
		function bench(n) { let s = 0; for (let i = 0; i < n; i++) { s += ` + body + ` } return s }`); err != nil {
		b.Fatal(err)
	}
	f, _ := goja.AssertFunction(vm.Get("bench"))
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := f(goja.Undefined(), vm.ToValue(b.N)); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkWhereSum(b *testing.B) {
	benchJS(b, "data.where(re => re.City === 'London').sum(re => re.Value)")
}

func BenchmarkNativeFilterReduce(b *testing.B) {
	benchJS(b, "data.filter(re => re.City === 'London').reduce((s, re) => s + re.Value, 0)")
}

func BenchmarkJSForLoop(b *testing.B) {
	benchJS(b, "(() => { let t = 0; for (let j = 0; j < data.length; j++) { const re = data[j]; if (re.City === 'London') t += re.Value } return t })()")
}

func BenchmarkSumNoSelector(b *testing.B) { benchJS(b, "data.select(re => re.Value).sum()") }
func BenchmarkOrderBy(b *testing.B)       { benchJS(b, "data.orderBy(re => re.City).length") }
func BenchmarkGroupBy(b *testing.B)       { benchJS(b, "data.groupBy(re => re.City).length") }
func BenchmarkDistinct(b *testing.B)      { benchJS(b, "data.distinct(re => re.City).length") }
