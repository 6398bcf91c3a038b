package finance

import (
	"math"
	"strconv"

	"github.com/shopspring/decimal"
)

// Numerics shared by the functions: compounding in double-double precision, the root finder
// behind rate, irr and xirr, and decimal rounding to cents.

// dd is an unevaluated sum hi + lo with |lo| ≤ ulp(hi)/2: about 106 bits of precision.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func ddAdd(x, y dd) dd {
	s := twoSum(x.hi, y.hi)
	s.lo += x.lo + y.lo
	return quickTwoSum(s.hi, s.lo)
}

func ddMul(x, y dd) dd {
	p := x.hi * y.hi
	e := math.FMA(x.hi, y.hi, -p)
	e += x.hi*y.lo + x.lo*y.hi
	return quickTwoSum(p, e)
}

func ddDiv(x, y dd) dd {
	q1 := x.hi / y.hi
	r := ddAdd(x, ddMul(dd{-q1, 0}, y))
	q2 := r.hi / y.hi
	r = ddAdd(r, ddMul(dd{-q2, 0}, y))
	q3 := r.hi / y.hi
	q := quickTwoSum(q1, q2)
	return ddAdd(q, dd{q3, 0})
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// growth is the compounding factor (1 + r)^n and (1 + r)^n − 1, for r > −1 and any finite n.
//
// The base is the exact sum 1 + r (a double-double), not 1 + r rounded to a float64 as Excel,
// LibreOffice and JS's Math.pow(1 + r, n) use. Rounding 1 + r throws away the low bits of r, up to
// half an ulp of 1 (1.1e-16) absolute: negligible for ordinary rates (1e-13 relative on
// (1 + r)^360 − 1 at 5%/12), but 1e-7 relative at r = 1e-9, where Excel's PMT(1e-9, 1, 1000) is
// −999.99991826 instead of −1000.000001. The exact base also agrees better with the decimal the
// author wrote: (1 + 0.06)^30 from the binary 0.06 is 5.74349117291325 (the exact decimal
// 1.06^30 = 5.743491172913250116… rounds to the same float64), while from the rounded 1.06 it is
// 5.7434911729132585, two ulps (1.5e-15) high.
//
// The base is raised to the integer part of n by binary exponentiation in double-double
// arithmetic, so the power is correctly rounded in all but astronomically rare cases, and
// (1 + r)^n − 1 is taken before rounding, so it keeps full relative precision for tiny rates. A
// fractional part f of n is applied as exp(f·log1p(r)), whose argument is small, so it is
// accurate too. Overflow gives +Inf; callers check their results.
func growth(r, n float64) (g, gm1 dd) {
	base := twoSum(1, r) // exactly 1 + r
	neg := n < 0
	a := math.Abs(n)
	k := math.Floor(a)
	f := a - k
	p := dd{1, 0}
	for k >= 1 {
		if math.Mod(k, 2) == 1 {
			p = ddMul(p, base)
		}
		k = math.Floor(k / 2)
		if k >= 1 {
			base = ddMul(base, base)
		}
		if !finite(p.hi) || !finite(base.hi) {
			p = dd{math.Inf(1), 0}
			break
		}
	}
	if f > 0 && finite(p.hi) {
		em1 := math.Expm1(f * math.Log1p(r))
		p = ddMul(p, twoSum(1, em1))
	}
	if !finite(p.hi) {
		p = dd{math.Inf(1), 0}
	}
	if neg {
		if math.IsInf(p.hi, 1) {
			p = dd{0, 0}
		} else {
			p = ddDiv(dd{1, 0}, p)
		}
	}
	if math.IsInf(p.hi, 1) {
		return p, p
	}
	return p, ddAdd(p, dd{-1, 0})
}

// growthF is growth as float64 values.
func growthF(r, n float64) (g, gm1 float64) {
	a, b := growth(r, n)
	return a.hi, b.hi
}

// maxIter bounds Newton's method in solve; the error message quotes it.
const maxIter = 100

// rootFunc evaluates a function whose root is sought, its derivative, and the scale of its terms
// (the sum of their absolute values), against which "zero" is judged.
type rootFunc func(r float64) (v, d, scale float64)

// solve finds a root of f in (−1, ∞) near guess: Newton's method from guess first (so the root
// found is the one Excel finds from the same guess), then, if Newton fails, a scan for a sign
// change on a fixed grid followed by bisection, polished by Newton. It reports false if neither
// finds a root.
func solve(f rootFunc, guess float64) (float64, bool) {
	if r, ok := newton(f, guess); ok {
		return r, true
	}
	grid := []float64{
		-0.999999, -0.9999, -0.999, -0.99, -0.95, -0.9, -0.8, -0.7, -0.6, -0.5, -0.4, -0.3, -0.25,
		-0.2, -0.15, -0.1, -0.075, -0.05, -0.03, -0.02, -0.01, -0.005, -0.001, 0, 0.001, 0.005,
		0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5,
		10, 20, 50, 100, 1e3, 1e4, 1e6,
	}
	type pt struct{ r, v float64 }
	var pts []pt
	for _, r := range grid {
		if v, _, _ := f(r); finite(v) {
			if v == 0 {
				return r, true
			}
			pts = append(pts, pt{r, v})
		}
	}
	best, bestDist := -1, math.Inf(1)
	for i := 0; i+1 < len(pts); i++ {
		if (pts[i].v < 0) != (pts[i+1].v < 0) {
			mid := (pts[i].r + pts[i+1].r) / 2
			if d := math.Abs(mid - guess); d < bestDist {
				best, bestDist = i, d
			}
		}
	}
	if best < 0 {
		return 0, false
	}
	lo, hi := pts[best], pts[best+1]
	for range 2000 {
		mid := lo.r + (hi.r-lo.r)/2
		if mid <= lo.r || mid >= hi.r {
			break
		}
		v, _, _ := f(mid)
		if v == 0 {
			return mid, true
		}
		if !finite(v) {
			return 0, false
		}
		if (v < 0) == (lo.v < 0) {
			lo = pt{mid, v}
		} else {
			hi = pt{mid, v}
		}
	}
	r := lo.r
	if math.Abs(hi.v) < math.Abs(lo.v) {
		r = hi.r
	}
	if p, ok := newton(f, r); ok && p > lo.r-1e-9*(1+math.Abs(lo.r)) && p < hi.r+1e-9*(1+math.Abs(hi.r)) {
		return p, true
	}
	return r, true
}

// newton runs Newton's method from guess, staying in (−1, ∞). It reports success only if the steps
// shrank below 1e-13 (relative) and the function value there is negligible against its terms.
func newton(f rootFunc, guess float64) (float64, bool) {
	r := guess
	if !finite(r) || r <= -1 {
		return 0, false
	}
	for range maxIter {
		v, d, _ := f(r)
		if !finite(v) || !finite(d) {
			return 0, false
		}
		if v == 0 {
			return r, true
		}
		if d == 0 {
			return 0, false
		}
		next := r - v/d
		if !finite(next) {
			return 0, false
		}
		if next <= -1 {
			next = (r - 1) / 2 // halfway to the edge of the domain
		}
		if math.Abs(next-r) <= 1e-13*math.Max(1, math.Abs(next)) {
			// One more step settles the last bits; keep it only if it is no worse.
			if v2, d2, _ := f(next); finite(v2) && finite(d2) && d2 != 0 {
				if n2 := next - v2/d2; n2 > -1 && finite(n2) {
					if v3, _, _ := f(n2); finite(v3) && math.Abs(v3) <= math.Abs(v2) {
						next = n2
					}
				}
			}
			v, _, scale := f(next)
			if finite(v) && math.Abs(v) <= 1e-9*math.Max(scale, math.SmallestNonzeroFloat64) {
				return next, true
			}
			return 0, false
		}
		r = next
	}
	return 0, false
}

// roundTo rounds x half away from zero to decimals places on its decimal value, as Excel's ROUND
// and the global ROUND do: x is first written to 15 significant digits (so 1.005 rounds to 1.01).
func roundTo(x float64, decimals int32) float64 {
	if x == 0 || !finite(x) {
		return x + 0
	}
	d, err := decimal.NewFromString(strconv.FormatFloat(x, 'e', 14, 64))
	if err != nil {
		return x
	}
	f, _ := d.Round(decimals).Float64()
	return f + 0
}
