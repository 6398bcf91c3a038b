package finance

import (
	"errors"
	"fmt"
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
// (the sum of their absolute values), against which "zero" is judged. Its parts are v·w(r), for a
// weight w(r) > 0 chosen to keep them flat, split into three parts that are each monotone in r:
// on an interval their end values bound v·w, which has v's sign, so they can prove that v has no
// root there (see split).
type rootFunc func(r float64) (v, d, scale float64, parts [3]float64)

// gridPoint is f evaluated at r.
type gridPoint struct {
	r, v  float64
	parts [3]float64
}

func at(f rootFunc, r float64) gridPoint {
	v, _, _, parts := f(r)
	return gridPoint{r, v, parts}
}

// grid is where solve looks for a sign change when Newton fails: dense around 0, out to 1e10
// and to within 1e-6 of −1.
var grid = []float64{
	-0.999999, -0.9999, -0.999, -0.99, -0.95, -0.9, -0.8, -0.7, -0.6, -0.5, -0.4, -0.3, -0.25,
	-0.2, -0.15, -0.1, -0.075, -0.05, -0.03, -0.02, -0.01, -0.005, -0.001, 0, 0.001, 0.005,
	0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5,
	10, 20, 50, 100, 1e3, 1e4, 1e6, 1e8, 1e10,
}

// maxSplits bounds the evaluations split spends proving that there is no root.
const maxSplits = 1000

// errNoConvergence: no root was found, but one may exist (solve could not rule it out).
var errNoConvergence = errors.New("did not converge")

// noRootError: f has no root from lo to hi (the part of the grid where it is finite): it is
// positive there, or negative, by more than the tolerance newton accepts as zero.
type noRootError struct {
	lo, hi   float64
	positive bool
}

func (e *noRootError) Error() string {
	return fmt.Sprintf("no root from %g to %g", e.lo, e.hi)
}

// sign is "positive" or "negative", for messages.
func (e *noRootError) sign() string {
	if e.positive {
		return "positive"
	}
	return "negative"
}

// solve finds a root of f in (−1, ∞) near guess: Newton's method from guess first (so the root
// found is the one Excel finds from the same guess), then, if Newton fails, a scan for a sign
// change on a fixed grid followed by bisection, polished by Newton. With no sign change on the
// grid, either the grid stepped over a pair of roots (split finds them) or there is no root,
// which split proves: then the error is a *noRootError. When it can do neither, the error is
// errNoConvergence.
func solve(f rootFunc, guess float64) (float64, error) {
	if r, ok := newton(f, guess); ok {
		return r, nil
	}
	var pts []gridPoint
	for _, r := range grid {
		if p := at(f, r); finite(p.v) {
			if p.v == 0 {
				return r, nil
			}
			pts = append(pts, p)
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
	if best >= 0 {
		return bisect(f, pts[best], pts[best+1])
	}
	if len(pts) < 2 {
		return 0, errNoConvergence
	}
	bracket, found, proven := split(f, pts)
	if found {
		return bisect(f, bracket[0], bracket[1])
	}
	if !proven {
		return 0, errNoConvergence
	}
	return 0, &noRootError{pts[0].r, pts[len(pts)-1].r, pts[0].v > 0}
}

// split proves that f keeps the sign it has at the grid points pts between them too, or finds
// where it changes sign (a bracket to bisect). Each part of f is monotone, so between a and b
// v·w lies between the sum of the parts' smaller end values and the sum of their larger ones; when
// those bounds do not exclude zero, split halves the interval, loosest first (where a root would
// be), until every interval is proven or the budget is spent.
func split(f rootFunc, pts []gridPoint) (bracket [2]gridPoint, found, proven bool) {
	type interval struct {
		a, b  gridPoint
		slack float64 // how far the bound nearest zero is from crossing it, relative to the scale
	}
	var open []interval
	add := func(a, b gridPoint) {
		var lo, hi, scale float64
		for k := range a.parts {
			lo += min(a.parts[k], b.parts[k])
			hi += max(a.parts[k], b.parts[k])
			scale += max(math.Abs(a.parts[k]), math.Abs(b.parts[k]))
		}
		slack := lo
		if a.v < 0 {
			slack = -hi
		}
		// The margin is newton's tolerance for zero; it also covers the rounding in the parts.
		if slack <= 1e-9*scale {
			open = append(open, interval{a, b, slack / scale})
		}
	}
	for i := 0; i+1 < len(pts); i++ {
		add(pts[i], pts[i+1])
	}
	proven = true
	for range maxSplits {
		if len(open) == 0 {
			return bracket, false, proven
		}
		k := 0
		for i := range open {
			if open[i].slack < open[k].slack {
				k = i
			}
		}
		iv := open[k]
		open = append(open[:k], open[k+1:]...)
		mid := iv.a.r + (iv.b.r-iv.a.r)/2
		if mid <= iv.a.r || mid >= iv.b.r {
			proven = false // too narrow to split: undecided
			continue
		}
		m := at(f, mid)
		if !finite(m.v) {
			proven = false
			continue
		}
		if m.v == 0 || (m.v < 0) != (iv.a.v < 0) {
			return [2]gridPoint{iv.a, m}, true, false
		}
		add(iv.a, m)
		add(m, iv.b)
	}
	return bracket, false, len(open) == 0 && proven
}

// bisect narrows a bracket [lo, hi] (f changes sign, or is 0 at hi) to a root, polished by
// Newton.
func bisect(f rootFunc, lo, hi gridPoint) (float64, error) {
	if hi.v == 0 {
		return hi.r, nil
	}
	a, b := lo, hi
	for range 2000 {
		mid := a.r + (b.r-a.r)/2
		if mid <= a.r || mid >= b.r {
			break
		}
		m := at(f, mid)
		if m.v == 0 {
			return mid, nil
		}
		if !finite(m.v) {
			return 0, errNoConvergence
		}
		if (m.v < 0) == (a.v < 0) {
			a = m
		} else {
			b = m
		}
	}
	r := a.r
	if math.Abs(b.v) < math.Abs(a.v) {
		r = b.r
	}
	if p, ok := newton(f, r); ok && p > a.r-1e-9*(1+math.Abs(a.r)) && p < b.r+1e-9*(1+math.Abs(b.r)) {
		return p, nil
	}
	return r, nil
}

// newton runs Newton's method from guess, staying in (−1, ∞). It reports success only if the steps
// shrank below 1e-13 (relative) and the function value there is negligible against its terms.
func newton(f rootFunc, guess float64) (float64, bool) {
	r := guess
	if !finite(r) || r <= -1 {
		return 0, false
	}
	for range maxIter {
		v, d, _, _ := f(r)
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
			if v2, d2, _, _ := f(next); finite(v2) && finite(d2) && d2 != 0 {
				if n2 := next - v2/d2; n2 > -1 && finite(n2) {
					if v3, _, _, _ := f(n2); finite(v3) && math.Abs(v3) <= math.Abs(v2) {
						next = n2
					}
				}
			}
			v, _, scale, _ := f(next)
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
