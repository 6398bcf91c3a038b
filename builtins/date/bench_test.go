package date

import (
	"testing"

	"github.com/dop251/goja"
)

func benchJS(b *testing.B, body string) {
	vm := newVM(b, ams())
	if _, err := vm.RunString("var d = new Date('2024-01-31T10:00:00Z'); function bench(n) { let s = 0; for (let i = 0; i < n; i++) { s += " + body + " } return s }"); err != nil {
		b.Fatal(err)
	}
	f, _ := goja.AssertFunction(vm.Get("bench"))
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := f(goja.Undefined(), vm.ToValue(b.N)); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkNativeSetDate(b *testing.B) {
	benchJS(b, "new Date(d.getTime()).setDate(d.getDate() + 1)")
}
func BenchmarkAddDays(b *testing.B)   { benchJS(b, "d.addDays(1).getTime()") }
func BenchmarkAddMonths(b *testing.B) { benchJS(b, "d.addMonths(1).getTime()") }
func BenchmarkDiffMonths(b *testing.B) {
	benchJS(b, "d.diff('2025-03-01', 'months')")
}
func BenchmarkFormat(b *testing.B)    { benchJS(b, "d.format('d MMMM yyyy HH:mm').length") }
func BenchmarkToISODate(b *testing.B) { benchJS(b, "d.toISODate().length") }
