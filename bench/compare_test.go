package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/engine/kubustest"
	"github.com/kubusdev/kubus/rulesets"
)

const travelDir = "../examples/travel-insurance"

// discounters builds every implementation of the discount decision, raw goja first: it is what the
// others are compared to (benchstat -col /engine puts ratios against the first column).
func discounters(tb testing.TB) []struct {
	name string
	d    Discounter
} {
	k, err := NewKubusDiscount("testdata/discount")
	check(tb, err)
	g, err := NewGojaDiscount()
	check(tb, err)
	e, err := NewExprDiscount()
	check(tb, err)
	c, err := NewCelDiscount()
	check(tb, err)
	r, err := NewGruleDiscount()
	check(tb, err)
	return []struct {
		name string
		d    Discounter
	}{{"goja", g}, {"kubus", k}, {"expr", e}, {"cel", c}, {"grule", r}}
}

func check(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// discountWant is the formula in Go: the oracle every engine must match.
func discountWant(age, total float64, member bool) float64 {
	switch {
	case member && total >= 100 && age >= 65:
		return 0.15
	case member && total >= 100:
		return 0.10
	case age >= 65:
		return 0.05
	}
	return 0
}

func discountInput(age, total float64, member bool) map[string]any {
	return map[string]any{"Age": age, "Total": total, "Member": member}
}

// TestDiscountIdentical checks every engine against the oracle on every branch and on both sides of
// each boundary.
func TestDiscountIdentical(t *testing.T) {
	for _, e := range discounters(t) {
		for _, age := range []float64{0, 17, 64, 64.99, 65, 65.01, 120} {
			for _, total := range []float64{0, 99.99, 100, 100.01, 1e6} {
				for _, member := range []bool{false, true} {
					got, err := e.d.Discount(discountInput(age, total, member))
					if want := discountWant(age, total, member); err != nil || got != want {
						t.Errorf("%s: Age %v, Total %v, Member %v: got %v (%v), want %v", e.name, age, total, member, got, err, want)
					}
				}
			}
		}
	}
}

// benchDiscountInputs visit all four branches, so that no engine is measured on one path only.
var benchDiscountInputs = []map[string]any{
	discountInput(30, 50, false), discountInput(70, 50, false),
	discountInput(30, 150, true), discountInput(70, 150, true),
	discountInput(65, 100, true), discountInput(64, 99.99, true),
	discountInput(65, 100, false), discountInput(40, 100, true),
}

func BenchmarkDiscount(b *testing.B) {
	want := make([]float64, len(benchDiscountInputs))
	for i, in := range benchDiscountInputs {
		want[i] = discountWant(in["Age"].(float64), in["Total"].(float64), in["Member"].(bool))
	}
	for _, e := range discounters(b) {
		b.Run("engine="+e.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				got, err := e.d.Discount(benchDiscountInputs[i])
				if err != nil || got != want[i] {
					b.Fatalf("got %v (%v), want %v", got, err, want[i])
				}
				if i++; i == len(benchDiscountInputs) {
					i = 0
				}
			}
		})
	}
}

// travelInput is examples/travel-insurance/input.json, decoded as a host decodes a request.
func travelInput(tb testing.TB) map[string]any {
	data, err := os.ReadFile(travelDir + "/input.json")
	check(tb, err)
	var in map[string]any
	check(tb, json.Unmarshal(data, &in))
	return in
}

type travelCase struct {
	name  string
	input map[string]any
	now   time.Time
}

// travelCases are the example input and every testcase of the example (its tests/*.yaml and any
// inline ones), each at the clock the testcase runs at.
func travelCases(t *testing.T) []travelCase {
	cases := []travelCase{
		{"input.json at the benchmark clock", travelInput(t), Now},
		{"input.json at the testcase default clock", travelInput(t), kubustest.DefaultNow},
	}
	model, err := rulesets.Load(travelDir, nil)
	check(t, err)
	if len(model.Testcases) == 0 {
		t.Fatal("travel-insurance has no testcases")
	}
	for _, tc := range model.Testcases {
		now := tc.Now
		if now.IsZero() {
			now = kubustest.DefaultNow
		}
		cases = append(cases, travelCase{tc.File + ": " + tc.Name, tc.Input.Map(), now})
	}
	return cases
}

// randomTravelCases go beyond the testcases: trips over DST switches and leap days, every age band
// and ages outside them, valuables, travellers, and inputs that do not fit.
func randomTravelCases(n int) []travelCase {
	rng := rand.New(rand.NewPCG(1, 2))
	day := func(base time.Time, spread int) time.Time { return base.AddDate(0, 0, rng.IntN(2*spread+1)-spread) }
	// Mostly valid inputs; one in a few carries a problem.
	areas := []any{"north", "east", "south", "west", "north", "east", "south", "west", "north", "east", "south", "west", "middle", nil, 3.0}
	var cases []travelCase
	for i := range n {
		start := day(time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), 800)
		in := map[string]any{
			"StartDate":   start.Format(time.DateOnly),
			"EndDate":     day(start.AddDate(0, 0, 90), 100).Format(time.DateOnly),
			"DateOfBirth": day(start.AddDate(-rng.IntN(126), 0, 0), 400).Format(time.DateOnly),
		}
		if a := areas[rng.IntN(len(areas))]; a != nil {
			in["CustomerArea"] = a
		}
		switch rng.IntN(12) {
		case 0, 1: // absent: the default
		case 2:
			in["NumberOfItems"] = "2"
		default:
			in["NumberOfItems"] = float64(rng.IntN(9))
		}
		switch rng.IntN(14) {
		case 0, 1, 2:
			in["Traveller"] = map[string]any{"Name": "Ann", "Birthdate": in["DateOfBirth"], "Nickname": "A"}
		case 3:
			in["Traveller"] = map[string]any{"Name": "Bo"}
		case 4:
			in["Traveller"] = map[string]any{"Birthdate": "1990-02-30"}
		case 5:
			in["Traveller"] = []any{"Ann"}
		case 6:
			in["Traveller"] = map[string]any{"Name": 7.0, "Birthdate": nil}
		}
		if rng.IntN(15) == 0 {
			odd := []string{"2024/01/01", "2024-02-29", "2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "24-01-01", "2024-1-01", "2024-01-0a"} // no RFC 3339: see travel.js
			in["StartDate"] = odd[rng.IntN(len(odd))]
		}
		now := day(start, 30).Add(time.Duration(rng.IntN(24*60)) * time.Minute)
		cases = append(cases, travelCase{fmt.Sprintf("random %d", i), in, now})
	}
	return cases
}

// TestTravelIdentical fails on any difference between Kubus and the hand-written goja version:
// output values, alerts (name, level, message, order), input problems and error messages.
func TestTravelIdentical(t *testing.T) {
	k, err := NewKubusTravel(travelDir)
	check(t, err)
	g, err := NewGojaTravel()
	check(t, err)
	cases := append(travelCases(t), randomTravelCases(3000)...)
	kinds := map[string]int{}
	for _, c := range cases {
		want, got := k.Decide(c.input, c.now), g.Decide(c.input, c.now)
		if !sameDecision(t, want, got) {
			in, _ := json.Marshal(c.input)
			t.Errorf("%s (now %s)\n  input %s\n  kubus %s\n  goja  %s", c.name, c.now.Format(time.RFC3339), in, asJSON(t, want), asJSON(t, got))
		}
		switch {
		case want.Err != "":
			kinds["error"]++
		case len(want.Alerts) > 0:
			kinds["alerts"]++
		default:
			kinds["clean"]++
		}
	}
	// The random cases are only worth something if they reach every kind of answer.
	if kinds["error"] == 0 || kinds["alerts"] == 0 || kinds["clean"] == 0 {
		t.Errorf("the cases reach too few kinds of answer: %v", kinds)
	}
	t.Logf("%d cases: %v", len(cases), kinds)
}

// sameDecision compares two decisions through JSON, which is what a host sends on: goja exports a
// whole number as int64 where Kubus has float64, which is the same JSON number.
func sameDecision(t *testing.T, a, b Decision) bool {
	var x, y any
	check(t, json.Unmarshal([]byte(asJSON(t, a)), &x))
	check(t, json.Unmarshal([]byte(asJSON(t, b)), &y))
	return reflect.DeepEqual(x, y)
}

func asJSON(t *testing.T, v any) string {
	data, err := json.Marshal(v)
	check(t, err)
	return string(data)
}

func BenchmarkTravelInsurance(b *testing.B) {
	in := travelInput(b)
	const premium = 16.89 // TotalPremium of input.json, checked on every execution
	k, err := NewKubusTravel(travelDir)
	check(b, err)
	g, err := NewGojaTravel()
	check(b, err)
	b.Run("engine=goja", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := g.Execute(in, Now)
			if err != nil || res["output"].(map[string]any)["TotalPremium"] != premium {
				b.Fatalf("%v %v", err, res)
			}
		}
	})
	b.Run("engine=kubus", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := k.Execute(in, Now)
			if err != nil || res.Output["TotalPremium"] != premium {
				b.Fatalf("%v %v", err, res)
			}
		}
	})
}

// TestRoundIdentical holds travel.js's hand-written ROUND to Kubus's on ties in the decimal text
// (1.005, 39.375), their binary neighbours, sums such as 0.1 + 0.2, the products the travel ruleset
// makes, and random values of every magnitude, to 0…6 decimals (travel.js's fast path) and beyond.
func TestRoundIdentical(t *testing.T) {
	rs, err := NewKubusTravel("testdata/round")
	check(t, err)
	g, err := NewGojaTravel()
	check(t, err)
	rng := rand.New(rand.NewPCG(3, 4))
	var xs []float64
	for _, x := range []float64{0, 1.005, 2.675, 1.255, 39.375, 0.285, 1.0049999999999999, 0.1 + 0.2, 4.8999999999999995,
		0.5, 1.5, 2.5, 0.49999999999999994, 1e-7, 5e-7, 123456789.125, 999999999.995, 5e-324, 1e300, 8.9e14, 9.1e14, 4503599627370495.5} {
		xs = append(xs, x, -x, math.Nextafter(x, 0), math.Nextafter(x, math.Inf(1)))
	}
	for range 3000 {
		d := rng.IntN(7)
		tie := (float64(rng.IntN(2_000_000))*2 + 1) / (2 * math.Pow(10, float64(d))) // …5 at decimal d+1
		xs = append(xs, tie, float64(rng.IntN(400)-100)*0.35*float64(rng.IntN(200)), rng.Float64()*math.Pow(10, float64(rng.IntN(30)-12)))
	}
	for i, x := range xs {
		for _, d := range []float64{0, 1, 2, 3, 6, float64(i % 7), -2, 8, 15} {
			res, err := rs.Execute(map[string]any{"X": x, "D": d}, Now)
			check(t, err)
			v, err := g.round(goja.Undefined(), g.vm.ToValue(x), g.vm.ToValue(d))
			check(t, err)
			if want, got := res.Output["R"].(float64), v.ToFloat(); want != got || math.Signbit(want) != math.Signbit(got) {
				t.Errorf("ROUND(%v, %v): kubus %v, travel.js %v", x, d, want, got)
			}
		}
	}
}
