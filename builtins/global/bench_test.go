package global

import (
	"testing"

	"github.com/dop251/goja"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/kubusdev/kubus/builtins"
)

// benchJS measures one call of body per iteration, from JS: body runs b.N times in a JS loop (so
// the Go→JS call is paid once, like a ruleset evaluating many rules). BenchmarkJSLoopBaseline
// is the loop with arithmetic only: subtract it to get the cost of the builtin call itself.
func benchJS(b *testing.B, body string) {
	benchJSCulture(b, "", body)
}

// benchJSCulture is benchJS in an execution with that culture.
func benchJSCulture(b *testing.B, culture, body string) {
	vm, _ := newVM(b, &builtins.Exec{Now: clock, Location: amsterdam, Culture: culture})
	if _, err := vm.RunString("var birth = new Date(1980, 4, 17), arr = [3, 1.5, 4, 1, 5, 9, 2, 6], obj = {a: 1}; function bench(n) { let s = 0; for (let i = 0; i < n; i++) { const x = i * 0.0137; s += " + body + " } return s }"); err != nil {
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
func BenchmarkFLOOR(b *testing.B)       { benchJS(b, "FLOOR(x, 0.05)") }
func BenchmarkCEIL(b *testing.B)        { benchJS(b, "CEIL(x, 0.05)") }
func BenchmarkNUM(b *testing.B)         { benchJS(b, "NUM(x).length") }
func BenchmarkNUMDecimals(b *testing.B) { benchJS(b, "NUM(x, 2).length") }
func BenchmarkNUMnl(b *testing.B)       { benchJSCulture(b, "nl", "NUM(x * 1000, 2).length") }
func BenchmarkCURnl(b *testing.B)       { benchJSCulture(b, "nl", "CUR(x * 1000).length") }
func BenchmarkCURenGB(b *testing.B)     { benchJSCulture(b, "en-GB", "CUR(x * 1000).length") }
func BenchmarkSUMArgs(b *testing.B)     { benchJS(b, "SUM(x, 1, 2, 3)") }
func BenchmarkSUMArray(b *testing.B)    { benchJS(b, "SUM(arr)") }
func BenchmarkMAXArray(b *testing.B)    { benchJS(b, "MAX(arr)") }
func BenchmarkISEMPTY(b *testing.B)     { benchJS(b, "(ISEMPTY(obj) ? 1 : 0)") }
func BenchmarkCOALESCE(b *testing.B)    { benchJS(b, "COALESCE(null, undefined, x)") }

// BenchmarkXTextCURnl is what CUR would cost through a cached x/text printer (for comparison: the
// builtin formats from cached culture data instead).
func BenchmarkXTextCURnl(b *testing.B) {
	p := message.NewPrinter(language.Dutch)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = p.Sprint(currency.Symbol(currency.EUR.Amount(float64(i) * 13.7)))
	}
}

// BenchmarkFormatCurrencyNL is CUR's Go side alone (no JS call).
func BenchmarkFormatCurrencyNL(b *testing.B) {
	nf, err := formatFor("nl")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = nf.formatCurrency(float64(i)*13.7, 2)
	}
}
