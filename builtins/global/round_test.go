package global

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// roundReference is the definition roundDecimal must match: shopspring/decimal on x written to 15
// significant digits (as Excel works), rounded with its Round (half away from zero),
// RoundUp (away from zero) or RoundDown (toward zero), converted back to the nearest float64.
func roundReference(x float64, decimals int, mode roundMode) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	text := strconv.FormatFloat(x, 'e', significantDigits-1, 64)
	exp, _ := strconv.Atoi(text[strings.IndexByte(text, 'e')+1:])
	d := decimal.RequireFromString(text)
	if -decimals <= exp-(significantDigits-1) {
		// No digit is dropped: the 15-digit value, unless it overflows.
		if f, _ := d.Float64(); !math.IsInf(f, 0) {
			return f
		}
		return x
	}
	switch mode {
	case halfAwayFromZero:
		d = d.Round(int32(decimals))
	case awayFromZero:
		d = d.RoundUp(int32(decimals))
	case towardZero:
		d = d.RoundDown(int32(decimals))
	}
	f, _ := d.Float64()
	return f
}

func checkAgainstReference(t testing.TB, x float64, decimals int, mode roundMode) {
	got := roundDecimal(x, decimals, mode)
	want := roundReference(x, decimals, mode)
	if math.Float64bits(got) != math.Float64bits(want+0) && !(math.IsNaN(got) && math.IsNaN(want)) {
		t.Fatalf("roundDecimal(%s, %d, mode %d) = %s, decimal library says %s",
			strconv.FormatFloat(x, 'g', -1, 64), decimals, mode,
			strconv.FormatFloat(got, 'g', -1, 64), strconv.FormatFloat(want, 'g', -1, 64))
	}
}

var modes = []roundMode{halfAwayFromZero, awayFromZero, towardZero}

// TestRoundMatchesDecimalLibrary is the property test: on many random values from several
// distributions — every float64 bit pattern, values with few decimals (where ties like 1.005
// live), 17-significant-digit values (the slow path) and integers — and every decimals in
// [-15, 15], the fast path returns bit for bit what the decimal library returns (apart from the
// sign of zero, which roundDecimal always makes +0; so does the library).
func TestRoundMatchesDecimalLibrary(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 20_000
	}
	rng := rand.New(rand.NewPCG(1, 2))
	gens := map[string]func() float64{
		"any bits": func() float64 {
			for {
				if f := math.Float64frombits(rng.Uint64()); !math.IsNaN(f) && !math.IsInf(f, 0) {
					return f
				}
			}
		},
		"few decimals": func() float64 { // e.g. 1.005, -12.345, 0.5
			places := rng.IntN(8)
			v := float64(rng.Int64N(2_000_000_000)-1_000_000_000) / math.Pow10(places)
			return v
		},
		"ties": func() float64 { // exact decimal ties: k...5 × 10^-places
			places := rng.IntN(12) + 1
			v := float64(rng.Int64N(1_000_000)*10+5) / math.Pow10(places)
			if rng.IntN(2) == 0 {
				v = -v
			}
			return v
		},
		"17 digits": func() float64 {
			v := float64(rng.Int64N(9e16)+1e16) / math.Pow10(rng.IntN(30))
			if rng.IntN(2) == 0 {
				v = -v
			}
			return v
		},
		"uniform":  func() float64 { return (rng.Float64() - 0.5) * math.Pow10(rng.IntN(40)-20) },
		"integers": func() float64 { return float64(rng.Int64N(1<<62) - 1<<61) },
	}
	for name, gen := range gens {
		t.Run(name, func(t *testing.T) {
			for range n {
				x := gen()
				d := rng.IntN(2*maxDecimals+1) - maxDecimals
				for _, m := range modes {
					checkAgainstReference(t, x, d, m)
				}
			}
		})
	}
	t.Run("every thousandth", func(t *testing.T) { // every x.yyy in [-100, 100], 0..3 decimals
		for i := -100_000; i <= 100_000; i++ {
			x := float64(i) / 1000
			for d := 0; d <= 3; d++ {
				for _, m := range modes {
					checkAgainstReference(t, x, d, m)
				}
			}
		}
	})
	t.Run("edges", func(t *testing.T) {
		edges := []float64{0, math.Copysign(0, -1), math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
			math.MaxFloat64, -math.MaxFloat64, 1 << 53, 1<<53 + 2, 1<<53 - 1, 0.5, 1.5, 2.5, 1.005, 2.675,
			0.49999999999999994, 9.999999999999999e22, 1e23, 4.35, 1e-15, 5e-16, 4.9999999999999996e-16,
			98765432101.234567, 9999999999999998, 0.30000000000000004, 123456789012345.67}
		for _, x := range edges {
			for d := -maxDecimals; d <= maxDecimals; d++ {
				for _, m := range modes {
					checkAgainstReference(t, x, d, m)
					checkAgainstReference(t, -x, d, m)
				}
			}
		}
	})
}

// TestFromDecimal checks both paths of fromDecimal (the strconv one is unreachable from
// roundDecimal) against the decimal library.
func TestFromDecimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 100_000 {
		q := rng.Uint64() >> rng.IntN(64)
		if i%2 == 0 {
			q = 1<<53 - 50 + uint64(rng.IntN(100))
		}
		d := rng.IntN(2*maxDecimals+1) - maxDecimals
		want, _ := decimal.NewFromUint64(q).Shift(int32(-d)).Float64()
		if got := fromDecimal(q, d); got != want {
			t.Fatalf("fromDecimal(%d, %d) = %v, want %v", q, d, got, want)
		}
	}
}

// FuzzRoundMatchesDecimalLibrary lets `go test -fuzz` search for a disagreement.
func FuzzRoundMatchesDecimalLibrary(f *testing.F) {
	for _, x := range []float64{1.005, 2.675, -2.5, 1234.5678, 5e-324, 1.7976931348623157e308, 98765432101.234567} {
		f.Add(x, int8(2), uint8(0))
	}
	f.Fuzz(func(t *testing.T, x float64, d int8, mode uint8) {
		decimals := int(d) % (maxDecimals + 1)
		checkAgainstReference(t, x, decimals, modes[int(mode)%len(modes)])
	})
}

var sink float64

var benchInputs = []float64{1.005, 2.675, 1234.5678, -2.5, 0.1 + 0.2, 98765.4321, 1e-7, 42}

func BenchmarkRoundDecimalFastPath(b *testing.B) {
	for i := range b.N {
		sink = roundDecimal(benchInputs[i%len(benchInputs)], 2, halfAwayFromZero)
	}
}

func BenchmarkRoundDecimalLibrary(b *testing.B) {
	for i := range b.N {
		sink = roundReference(benchInputs[i%len(benchInputs)], 2, halfAwayFromZero)
	}
}
