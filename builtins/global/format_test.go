package global

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
)

// TestNUMAndCURDocumented reproduces the contract's documented values exactly.
func TestNUMAndCURDocumented(t *testing.T) {
	none, _ := newVM(t, &builtins.Exec{Now: clock})
	runCases(t, none, []jsCase{
		{"NUM(3)", "3"},
		{"NUM(3.99)", "3.99"},
		{"NUM(3.99, 1)", "4.0"},
		{"NUM(3.99, 0)", "4"},
		{"CUR(3)", "3.00"},
		{"CUR(3.99)", "3.99"},
		{"CUR(3.99, 1)", "4.0"},
		{"CUR(3.99, 0)", "4"},
	})
	for _, c := range []struct{ culture, expr, want string }{
		{"nl", "NUM(3.99)", "3,99"},
		{"en-GB", "CUR(3.99)", "£3.99"},
		{"en-US", "CUR(3.99)", "$3.99"},
		{"nl", "CUR(3.99)", "€\u00a03,99"}, // CLDR's space here is U+00A0 (no-break space)
	} {
		vm, _ := newVM(t, &builtins.Exec{Now: clock, Culture: c.culture})
		if got := builtinstest.Eval(t, vm, c.expr); got != c.want {
			t.Errorf("%s with culture %s = %q, want %q", c.expr, c.culture, got, c.want)
		}
	}
}

// TestNUMAndCURPerCulture states what every supported culture writes.
func TestNUMAndCURPerCulture(t *testing.T) {
	exprs := []string{
		"NUM(3.99)", "NUM(1234.56)", "NUM(1234567.891, 2)", "NUM(-1234.5, 2)", "NUM(999.995, 2)",
		"CUR(3.99)", "CUR(1234.56)", "CUR(-3.99)", "CUR(1234567.891)", "CUR(-0.001)", "CUR(3.99, 0)",
	}
	for _, c := range []struct {
		culture string
		want    []string // per exprs
	}{
		{"", []string{"3.99", "1234.56", "1234567.89", "-1234.50", "1000.00",
			"3.99", "1234.56", "-3.99", "1234567.89", "0.00", "4"}},
		{"nl", []string{"3,99", "1.234,56", "1.234.567,89", "-1.234,50", "1.000,00",
			"€\u00a03,99", "€\u00a01.234,56", "€\u00a0-3,99", "€\u00a01.234.567,89", "€\u00a00,00", "€\u00a04"}},
		{"nl-NL", []string{"3,99", "1.234,56", "1.234.567,89", "-1.234,50", "1.000,00",
			"€\u00a03,99", "€\u00a01.234,56", "€\u00a0-3,99", "€\u00a01.234.567,89", "€\u00a00,00", "€\u00a04"}},
		{"en", []string{"3.99", "1,234.56", "1,234,567.89", "-1,234.50", "1,000.00",
			"$3.99", "$1,234.56", "-$3.99", "$1,234,567.89", "$0.00", "$4"}},
		{"en-US", []string{"3.99", "1,234.56", "1,234,567.89", "-1,234.50", "1,000.00",
			"$3.99", "$1,234.56", "-$3.99", "$1,234,567.89", "$0.00", "$4"}},
		{"en-GB", []string{"3.99", "1,234.56", "1,234,567.89", "-1,234.50", "1,000.00",
			"£3.99", "£1,234.56", "-£3.99", "£1,234,567.89", "£0.00", "£4"}},
		{"de", []string{"3,99", "1.234,56", "1.234.567,89", "-1.234,50", "1.000,00",
			"3,99\u00a0€", "1.234,56\u00a0€", "-3,99\u00a0€", "1.234.567,89\u00a0€", "0,00\u00a0€", "4\u00a0€"}},
		{"fr", []string{"3,99", "1\u202f234,56", "1\u202f234\u202f567,89", "-1\u202f234,50", "1\u202f000,00",
			"3,99\u00a0€", "1\u202f234,56\u00a0€", "-3,99\u00a0€", "1\u202f234\u202f567,89\u00a0€", "0,00\u00a0€", "4\u00a0€"}},
		{"de-CH", []string{"3.99", "1'234.56", "1'234'567.89", "-1'234.50", "1'000.00",
			"CHF\u00a03.99", "CHF\u00a01'234.56", "CHF-3.99", "CHF\u00a01'234'567.89", "CHF\u00a00.00", "CHF\u00a04"}},
		{"fr-CH", []string{"3,99", "1\u202f234,56", "1\u202f234\u202f567,89", "-1\u202f234,50", "1\u202f000,00",
			"3.99\u00a0CHF", "1\u202f234.56\u00a0CHF", "-3.99\u00a0CHF", "1\u202f234\u202f567.89\u00a0CHF", "0.00\u00a0CHF", "4\u00a0CHF"}},
		{"es", []string{"3,99", "1234,56", "1.234.567,89", "-1234,50", "1000,00",
			"3,99\u00a0€", "1234,56\u00a0€", "-3,99\u00a0€", "1.234.567,89\u00a0€", "0,00\u00a0€", "4\u00a0€"}},
		{"ja", []string{"3.99", "1,234.56", "1,234,567.89", "-1,234.50", "1,000.00",
			"￥4", "￥1,235", "-￥4", "￥1,234,568", "￥0", "￥4"}},
		{"da", []string{"3,99", "1.234,56", "1.234.567,89", "-1.234,50", "1.000,00",
			"3,99\u00a0kr.", "1.234,56\u00a0kr.", "-3,99\u00a0kr.", "1.234.567,89\u00a0kr.", "0,00\u00a0kr.", "4\u00a0kr."}},
		{"hi", []string{"3.99", "1,234.56", "12,34,567.89", "-1,234.50", "1,000.00",
			"₹3.99", "₹1,234.56", "-₹3.99", "₹12,34,567.89", "₹0.00", "₹4"}},
		{"sv", []string{"3,99", "1\u00a0234,56", "1\u00a0234\u00a0567,89", "−1\u00a0234,50", "1\u00a0000,00",
			"3,99\u00a0kr", "1\u00a0234,56\u00a0kr", "−3,99\u00a0kr", "1\u00a0234\u00a0567,89\u00a0kr", "0,00\u00a0kr", "4\u00a0kr"}},
		{"ar", []string{"٣٫٩٩", "١٬٢٣٤٫٥٦", "١٬٢٣٤٬٥٦٧٫٨٩", "\u061c-١٬٢٣٤٫٥٠", "١٬٠٠٠٫٠٠",
			"\u200f٣٫٩٩\u00a0ج.م.\u200f", "\u200f١٬٢٣٤٫٥٦\u00a0ج.م.\u200f", "\u061c-\u200f٣٫٩٩\u00a0ج.م.\u200f", "\u200f١٬٢٣٤٬٥٦٧٫٨٩\u00a0ج.م.\u200f", "\u200f٠٫٠٠\u00a0ج.م.\u200f", "\u200f٤\u00a0ج.م.\u200f"}},
	} {
		t.Run("culture="+c.culture, func(t *testing.T) {
			vm, _ := newVM(t, &builtins.Exec{Now: clock, Culture: c.culture})
			for i, expr := range exprs {
				if got := builtinstest.Eval(t, vm, expr); got != c.want[i] {
					t.Errorf("%s = %q, want %q", expr, got, c.want[i])
				}
			}
		})
	}
}

func TestNUMAndCURValues(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock})
	runCases(t, vm, []jsCase{
		// shortest form of the 15-significant-digit value
		{"NUM(0)", "0"},
		{"NUM(-0)", "0"},
		{"NUM(-3)", "-3"},
		{"NUM(0.1 + 0.2)", "0.3"},
		{"NUM(1/3)", "0.333333333333333"},
		{"NUM(-2/3)", "-0.666666666666667"},
		{"NUM(123456789012345678)", "123456789012346000"},
		{"NUM(1e21)", "1000000000000000000000"},
		{"NUM(1.5e-7)", "0.00000015"},
		{"NUM(100)", "100"},
		{"NUM(1e300).length", 301},
		{"NUM(5e-324)", "0." + strings.Repeat("0", 323) + "494065645841247"},
		// decimals: half away from zero on the decimal value, exactly that many places
		{"NUM(1.005, 2)", "1.01"},
		{"NUM(2.5, 0)", "3"},
		{"NUM(-2.5, 0)", "-3"},
		{"NUM(-0.4, 0)", "0"},
		{"NUM(-0.004, 2)", "0.00"},
		{"NUM(3, 2)", "3.00"},
		{"NUM(0.1 + 0.2, 15)", "0.300000000000000"},
		{"NUM(1e-7, 3)", "0.000"},
		{"NUM(1e20, 2)", "100000000000000000000.00"},
		{"NUM(123.456, undefined)", "123.456"},
		{"CUR(1.005)", "1.01"},
		{"CUR(-1.005)", "-1.01"},
		{"CUR(2.675)", "2.68"},
		{"CUR(3.99, 15)", "3.990000000000000"},
		{"CUR(0)", "0.00"},
		{"CUR(-0)", "0.00"},
		{"typeof NUM(1)", "string"},
	})
}

func TestNUMAndCURWrongArguments(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock})
	var cases []jsCase
	for _, fn := range []string{"NUM", "CUR"} {
		cases = append(cases,
			jsCase{fn + "()", "TypeError: " + fn + ": x is required (a number)"},
			jsCase{fn + "('3.99')", `TypeError: ` + fn + `: x must be a number, got "3.99"`},
			jsCase{fn + "(null)", "TypeError: " + fn + ": x must be a number, got null"},
			jsCase{fn + "(new Number(3))", "TypeError: " + fn + ": x must be a number, got a Number object"},
			jsCase{fn + "(NaN)", "RangeError: " + fn + ": x must be a finite number, got NaN"},
			jsCase{fn + "(Infinity)", "RangeError: " + fn + ": x must be a finite number, got Infinity"},
			jsCase{fn + "(1, -1)", "RangeError: " + fn + ": decimals must be an integer between 0 and 15, got -1"},
			jsCase{fn + "(1, 16)", "RangeError: " + fn + ": decimals must be an integer between 0 and 15, got 16"},
			jsCase{fn + "(1, 1.5)", "RangeError: " + fn + ": decimals must be an integer between 0 and 15, got 1.5"},
			jsCase{fn + "(1, '2')", `TypeError: ` + fn + `: decimals must be an integer, got "2"`},
			jsCase{fn + "(1, null)", "TypeError: " + fn + ": decimals must be an integer, got null"},
		)
	}
	runCases(t, vm, cases)

	for culture, reason := range map[string]string{
		"xx":              "xx is not a language or subtag BCP 47 knows",
		"tlh":             "CLDR 48.0.0 has no data for the language tlh",
		"en-ZZ":           "ZZ is not a country or a region CLDR has data for",
		"not a tag":       "not a BCP 47 tag",
		"en-":             "not a BCP 47 tag",
		"123":             "not a BCP 47 tag",
		"nl--NL":          "not a BCP 47 tag",
		"nl-NL-u-nu-arab": "extensions (-u-, -t-, -x-) are not supported",
	} {
		vm, _ := newVM(t, &builtins.Exec{Now: clock, Culture: culture})
		for _, fn := range []string{"NUM", "CUR"} {
			want := "RangeError: " + fn + ": unknown culture " + strconv.Quote(culture) + ": " + reason + " (use a BCP 47 tag CLDR has data for, such as nl-NL or en-US)"
			if got := builtinstest.Eval(t, vm, fn+"(1)"); got != want {
				t.Errorf("%s(1) with culture %q = %q, want %q", fn, culture, got, want)
			}
		}
	}
	// A culture CLDR knows whose region is not a country has no currency: CUR says so, NUM works.
	vm, _ = newVM(t, &builtins.Exec{Now: clock, Culture: "en-001"})
	runCases(t, vm, []jsCase{
		{"NUM(1234.5)", "1,234.5"},
		{"CUR(1)", `RangeError: CUR: the culture "en-001" has no currency: its region is not a country (write one, e.g. en-NL)`},
	})
}

// language.Parse, which the ruleset loader validates cultures with, accepts "_" for "-".
func TestCultureUnderscore(t *testing.T) {
	vm, _ := newVM(t, &builtins.Exec{Now: clock, Culture: "nl_NL"})
	runCases(t, vm, []jsCase{{"CUR(1234.5)", "€\u00a01.234,50"}, {"NUM(1234.5)", "1.234,5"}})
}

// Outside an execution (a ruleset constant computed while the program loads) there is no
// culture: NUM and CUR still work.
func TestNUMOutsideAnExecution(t *testing.T) {
	vm, _ := newVM(t, nil)
	runCases(t, vm, []jsCase{{"NUM(1234.5, 1)", "1234.5"}, {"CUR(3)", "3.00"}})
}

// The culture cache is shared by every runtime: concurrent first use must be safe (go test -race).
func TestCultureCacheConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			culture := []string{"it", "pt-PT", "es-MX", "zz"}[i%4]
			vm, _ := newVM(t, &builtins.Exec{Now: clock, Culture: culture})
			for range 50 {
				builtinstest.Eval(t, vm, "CUR(1234.5)")
			}
		}()
	}
	wg.Wait()
	vm, _ := newVM(t, &builtins.Exec{Now: clock, Culture: "it"})
	if got := builtinstest.Eval(t, vm, "CUR(1234.5)"); got != "1234,50\u00a0€" {
		t.Errorf("it: CUR(1234.5) = %q", got)
	}
}
