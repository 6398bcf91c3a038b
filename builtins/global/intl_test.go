package global

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
	datemod "github.com/kubusdev/kubus/builtins/date"
	"github.com/kubusdev/kubus/rulesets/culture"
)

// intlCultures are the cultures TestIntl compares: the ones issue 10 names, and others with other
// digits, signs, bidi marks and currency layouts.
var intlCultures = []string{
	"en-US", "en-GB", "en-IN", "nl-NL", "nl-BE", "de-DE", "de-CH", "fr-FR", "fr-CH", "it-IT",
	"es-ES", "pt-PT", "pt-BR", "pl-PL", "sv-SE", "da-DK", "nb-NO", "fi-FI", "ja-JP",
	"de-AT", "it-CH", "es-MX", "en-CA", "fr-CA", "en-AU", "en-IE", "cs-CZ", "ru-RU", "tr-TR",
	"hu-HU", "el-GR", "ro-RO", "bg-BG", "hr-HR", "is-IS", "et-EE", "lt-LT", "lv-LV", "sk-SK",
	"sl-SI", "uk-UA", "he-IL", "ar-EG", "ar-SA", "fa-IR", "hi-IN", "bn-BD", "zh-CN", "zh-TW",
	"ko-KR", "th-TH", "id-ID", "vi-VN", "sw-KE", "af-ZA", "ca-ES", "eu-ES", "gl-ES", "cy-GB",
	"lb-LU", "fy-NL", "mt-MT", "ga-IE", "sr-RS", "sq-AL", "mk-MK", "kk-KZ", "ka-GE", "hy-AM",
}

// isoDigitsDiffer are the currencies whose minor-unit digits in CLDR (which CUR uses by default)
// differ from ISO 4217's (which Intl uses): the Serbian dinar, 0 in CLDR 48 and 2 in ISO 4217.
var isoDigitsDiffer = map[string]bool{"RSD": true}

// intlCase is one value for testdata/intl.js to format with Node's Intl; expr is the Kubus call
// that must give the same string.
type intlCase struct {
	K      string  `json:"k"`
	Loc    string  `json:"loc"`
	X      float64 `json:"x"`
	D      int     `json:"d"`
	C      string  `json:"c,omitempty"`
	M      int     `json:"m"`
	WD     int     `json:"wd"`
	W      string  `json:"w,omitempty"`
	InDate bool    `json:"inDate,omitempty"`
	H      int     `json:"h"`
	expr   string
}

// TestIntl compares NUM, CUR and Date.format's names with Node's Intl (full ICU) for intlCultures
// and a generated set of values. The only differences it allows are the documented ones:
//   - the zero sign: a negative amount that rounds to zero has no minus sign in Kubus ("0,00");
//     Intl writes "-0,00". Such a case is compared with Intl's result for the positive amount.
//   - more than 15 significant digits: Kubus writes a float64 to 15 (its precision); Intl to 17.
//     The generated values have at most 15, and TestNUMAndCURValues states the rest.
//   - the default decimals of CUR are CLDR's minor-unit digits; Intl takes ISO 4217's. They differ
//     only for isoDigitsDiffer (RSD), compared with the digits given.
//   - NaN and Infinity: NUM and CUR refuse them (TestNUMAndCURWrongArguments).
//
// The test needs Node (CI has it: .ci/run sets KUBUS_REQUIRE_NODE=1, so a missing node fails
// there) with the CLDR version of package culture's data.
func TestIntl(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("KUBUS_REQUIRE_NODE") != "" {
			t.Fatal("node is not on PATH (KUBUS_REQUIRE_NODE is set)")
		}
		t.Skip("node is not on PATH")
	}
	ver := runIntl(t, node, []intlCase{{K: "version"}})[0]
	if major(*ver) != major(culture.CLDRVersion) {
		msg := fmt.Sprintf("node's ICU has CLDR %s, package culture has CLDR %s: the comparison needs the same version", *ver, culture.CLDRVersion)
		if os.Getenv("KUBUS_REQUIRE_NODE") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}

	rng := rand.New(rand.NewPCG(10, 48))
	var cases []intlCase
	for _, loc := range intlCultures {
		c, err := culture.Resolve(loc)
		if err != nil {
			t.Fatalf("%s: %v", loc, err)
		}
		cur, digits := c.Currency, culture.CurrencyDigits(c.Currency)
		for _, x := range intlValues(rng) {
			cases = append(cases, intlCase{K: "num", Loc: loc, X: x, expr: fmt.Sprintf("NUM(%v)", x)})
			d := rng.IntN(5)
			if rng.IntN(8) == 0 {
				d = rng.IntN(16)
			}
			if math.Abs(x)*math.Pow(10, float64(d)) < 1e15 {
				cases = append(cases, intlCase{K: "numd", Loc: loc, X: zeroSign(x, d), D: d, expr: fmt.Sprintf("NUM(%v, %d)", x, d)})
			}
			if math.Abs(x)*math.Pow(10, float64(digits)) < 1e15 {
				if isoDigitsDiffer[cur] { // compare the layout with the digits given
					cases = append(cases, intlCase{K: "curd", Loc: loc, X: zeroSign(x, digits), D: digits, C: cur, expr: fmt.Sprintf("CUR(%v)", x)})
				} else {
					cases = append(cases, intlCase{K: "cur", Loc: loc, X: zeroSign(x, digits), C: cur, expr: fmt.Sprintf("CUR(%v)", x)})
				}
			}
			if math.Abs(x)*math.Pow(10, float64(d)) < 1e15 {
				cases = append(cases, intlCase{K: "curd", Loc: loc, X: zeroSign(x, d), D: d, C: cur, expr: fmt.Sprintf("CUR(%v, %d)", x, d)})
			}
		}
		for m := range 12 {
			for _, w := range []string{"long", "short"} {
				tok := map[string]string{"long": "MMMM", "short": "MMM"}[w]
				at := fmt.Sprintf("new Date(Date.UTC(2024, %d, 15, 12))", m)
				cases = append(cases,
					intlCase{K: "month", Loc: loc, M: m, W: w, expr: fmt.Sprintf("%s.format(%q, %q)", at, tok, loc)},
					intlCase{K: "month", Loc: loc, M: m, W: w, InDate: true, expr: fmt.Sprintf("%s.format(%q, %q).slice(3)", at, "dd "+tok, loc)})
			}
		}
		for wd := range 7 {
			for _, w := range []string{"long", "short"} {
				tok := map[string]string{"long": "dddd", "short": "ddd"}[w]
				at := fmt.Sprintf("new Date(Date.UTC(2024, 0, %d, 12))", 7+wd)
				cases = append(cases,
					intlCase{K: "day", Loc: loc, WD: wd, W: w, expr: fmt.Sprintf("%s.format(%q, %q)", at, tok, loc)},
					intlCase{K: "day", Loc: loc, WD: wd, W: w, InDate: true, expr: fmt.Sprintf("%s.format(%q, %q).slice(0, -3)", at, tok+" dd", loc)})
			}
		}
		for _, h := range []int{9, 15} {
			cases = append(cases, intlCase{K: "ampm", Loc: loc, H: h, expr: fmt.Sprintf("new Date(Date.UTC(2024, 0, 1, %d)).format('tt', %q)", h, loc)})
		}
	}
	want := runIntl(t, node, cases)
	other := otherContext(t, cases)

	// Kubus's results, one script per culture.
	got := make([]string, 0, len(cases))
	for i := 0; i < len(cases); {
		j := i
		for j < len(cases) && cases[j].Loc == cases[i].Loc {
			j++
		}
		vm, _ := builtinstest.NewVM(t, &builtins.Exec{Now: clock, Location: time.UTC, Culture: cases[i].Loc}, Module{}, datemod.Module{})
		exprs := make([]string, j-i)
		for k := range exprs {
			exprs[k] = cases[i+k].expr
		}
		v := builtinstest.Run(t, vm, "["+strings.Join(exprs, ",\n")+"]").Export().([]any)
		for _, s := range v {
			got = append(got, s.(string))
		}
		i = j
	}

	failures, noName, otherForm := 0, 0, 0
	for i, c := range cases {
		switch {
		case want[i] == nil:
			noName++ // ICU's pattern for these options writes the field as a number
			continue
		case other[i] != "" && other[i] != got[i] && other[i] == *want[i]:
			otherForm++ // ICU's pattern for these options takes the other form (el: "Ιανουαρίου" for a month alone)
			continue
		}
		if got[i] != *want[i] {
			failures++
			if failures <= 400 {
				t.Errorf("%s: %s = %q, Intl writes %q", c.Loc, c.expr, got[i], *want[i])
			}
		}
	}
	if failures > 0 {
		t.Errorf("%d of %d cases differ from Intl", failures, len(cases))
	}
	t.Logf("%d cases in %d cultures agree with Node's Intl (CLDR %s); in %d Intl's pattern writes no name, in %d it takes the other CLDR form (stand-alone or in a date)",
		len(cases)-noName-otherForm, len(intlCultures), *ver, noName, otherForm)
}

func runIntl(t *testing.T, node string, cases []intlCase) []*string {
	t.Helper()
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "testdata/intl.js")
	cmd.Stdin = strings.NewReader(string(in))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node testdata/intl.js: %v", err)
	}
	var res []*string
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(cases) {
		t.Fatalf("node testdata/intl.js gave %d results for %d cases (%v)", len(res), len(cases), err)
	}
	return res
}

// otherContext is, for each name case, Kubus's name in the other CLDR context (the stand-alone
// form for one in a date and back); "" for the other cases.
func otherContext(t *testing.T, cases []intlCase) []string {
	other := make([]string, len(cases))
	for i, c := range cases {
		if c.K != "month" && c.K != "day" {
			continue
		}
		cu, err := culture.Resolve(c.Loc)
		if err != nil {
			t.Fatal(err)
		}
		n := cu.Names()
		switch {
		case c.K == "month" && c.W == "long" && c.InDate:
			other[i] = n.MonthsStandAlone[c.M]
		case c.K == "month" && c.W == "long":
			other[i] = n.Months[c.M]
		case c.K == "month" && c.InDate:
			other[i] = n.MonthsAbbrStandAlone[c.M]
		case c.K == "month":
			other[i] = n.MonthsAbbr[c.M]
		case c.W == "long" && c.InDate:
			other[i] = n.DaysStandAlone[c.WD]
		case c.W == "long":
			other[i] = n.Days[c.WD]
		case c.InDate:
			other[i] = n.DaysAbbrStandAlone[c.WD]
		default:
			other[i] = n.DaysAbbr[c.WD]
		}
	}
	return other
}

func major(v string) string { m, _, _ := strings.Cut(v, "."); return m }

// zeroSign is the value to give Intl for x formatted with d decimals: its absolute value when it
// is negative and rounds to zero (Kubus writes no minus sign on a zero result; Intl writes "-0").
func zeroSign(x float64, d int) float64 {
	if x < 0 && roundDecimal(x, d, halfAwayFromZero) == 0 {
		return -x
	}
	return x
}

// intlValues are values of at most 15 significant digits: edges of grouping and rounding, and
// random ones of every magnitude.
func intlValues(rng *rand.Rand) []float64 {
	vs := []float64{0, 1, 7, 12, 123, 999, 1000, 1234, 9999, 10000, 12345, 99999, 100000, 123456,
		1234567, 12345678, 123456789, 1234567890, 123456789012, 999999999999999, 1e15,
		0.5, 1.5, 2.5, 0.05, 0.125, 1.005, 2.675, 1234.5, 1234.56, 999.995, 0.001, 1e-7, 0.000123, 3.99}
	for _, v := range vs[:len(vs):len(vs)] {
		if v != 0 {
			vs = append(vs, -v)
		}
	}
	for range 60 {
		n := rng.Int64N(2e12) - 1e12
		x, _ := strconv.ParseFloat(strconv.FormatFloat(float64(n)/math.Pow(10, float64(rng.IntN(7))), 'g', 15, 64), 64)
		vs = append(vs, x)
	}
	return vs
}
