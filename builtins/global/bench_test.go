package global

import (
	"testing"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// benchJS measures one call of body per iteration, from JS: body runs b.N times in a JS loop (so
// the Go→JS call is paid once, like a ruleset evaluating many rules). BenchmarkJSLoopBaseline
// is the loop with arithmetic only: subtract it to get the cost of the builtin call itself.
func benchJS(b *testing.B, body string) {
	vm, _ := newVM(b, &builtins.Exec{Now: clock, Location: amsterdam})
	if _, err := vm.RunString("var birth = new Date(1980, 4, 17); function bench(n) { let s = 0; for (let i = 0; i < n; i++) { const x = i * 0.0137; s += " + body + " } return s }"); err != nil {
		b.Fatal(err)
	}
	f, ok := goja.AssertFunction(vm.Get("bench"))
	if !ok {
		b.Fatal("bench is not a function")
	}
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := f(goja.Undefined(), vm.ToValue(b.N)); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkJSLoopBaseline(b *testing.B) { benchJS(b, "x") }
func BenchmarkJSMathRound(b *testing.B)    { benchJS(b, "Math.round(x * 100) / 100") }
func BenchmarkROUND(b *testing.B)          { benchJS(b, "ROUND(x, 2)") }
func BenchmarkROUNDNoDecimals(b *testing.B) {
	benchJS(b, "ROUND(x)")
}
func BenchmarkROUNDDOWN(b *testing.B)   { benchJS(b, "ROUNDDOWN(x, 2)") }
func BenchmarkAGEString(b *testing.B)   { benchJS(b, "AGE('1980-05-17')") }
func BenchmarkAGEStringAt(b *testing.B) { benchJS(b, "AGE('1980-05-17', '2024-06-15')") }
func BenchmarkAGEDate(b *testing.B)     { benchJS(b, "AGE(birth)") }
func BenchmarkDAYDIFF(b *testing.B)     { benchJS(b, "DAYDIFF('2024-03-30', '2024-04-01')") }
func BenchmarkTODAY(b *testing.B)       { benchJS(b, "TODAY().getDate()") }
