package finance

import "math"

// Time value of money, as Excel (and LibreOffice) define it. Sign convention: money paid out is
// negative, money received positive. typ is 0 (payments at the end of each period) or 1 (at the
// beginning). The functions assume validated arguments (rate > −1, finite values) and may return
// ±Inf or NaN when a result does not exist; the JS wrappers turn that into a RangeError.

// annuityFactor is (1 + r·typ)·((1 + r)^n − 1)/r, the future value of paying 1 per period
// (n when r = 0).
func annuityFactor(r, n float64, typ int, gm1 float64) float64 {
	if r == 0 {
		return n
	}
	return (1 + r*float64(typ)) * gm1 / r
}

func fv(r, n, pmt, pv float64, typ int) float64 {
	if r == 0 {
		return -(pv + pmt*n)
	}
	g, gm1 := growthF(r, n)
	return -(pv*g + pmt*annuityFactor(r, n, typ, gm1))
}

func pv(r, n, pmt, fv float64, typ int) float64 {
	if r == 0 {
		return -(fv + pmt*n)
	}
	g, gm1 := growthF(r, n)
	return -(fv + pmt*annuityFactor(r, n, typ, gm1)) / g
}

func pmt(r, n, pv, fv float64, typ int) float64 {
	if r == 0 {
		return -(pv + fv) / n
	}
	g, gm1 := growthF(r, n)
	return -(fv + pv*g) / annuityFactor(r, n, typ, gm1)
}

// nper is NaN when no number of periods solves the equation (Excel: #NUM!).
func nper(r, pmt, pv, fv float64, typ int) float64 {
	if r == 0 {
		if pmt == 0 {
			return math.NaN()
		}
		return -(pv + fv) / pmt
	}
	// (1+r)^n = num/den with num = p − fv·r, den = p + pv·r; num/den − 1 = −r·(pv + fv)/den
	// exactly, so log1p keeps full precision when the ratio is close to 1 (tiny rates).
	p := pmt * (1 + r*float64(typ))
	num, den := p-fv*r, p+pv*r
	if den == 0 || num/den <= 0 {
		return math.NaN()
	}
	return math.Log1p(-r*(pv+fv)/den) / math.Log1p(r)
}

// ipmt is the interest part of payment number per (1-based), as Excel and LibreOffice's ScGetIpmt
// define it: −rate × the balance at the start of that period (type 1: after that period's
// payment; the first period then has no interest).
//
// LibreOffice computes that balance as FV(rate, per−1, pmt, pv), a difference of two terms of the
// size pv·(1+r)^per that cancels when the balance is small; we use the algebraically identical
// B_k = (pv·((1+r)^n − (1+r)^k) − fv·((1+r)^k − 1)) / ((1+r)^n − 1), which does not.
func ipmt(r, per, n, pv, final float64, typ int) float64 {
	if r == 0 {
		return 0
	}
	if per == 1 && typ == 1 {
		return 0
	}
	k := per - 1
	if typ == 1 {
		k = per - 2
	}
	gk, gk1 := growthF(r, k)
	_, gnk1 := growthF(r, n-k)
	_, gn1 := growthF(r, n)
	b := (pv*gk*gnk1 - final*gk1) / gn1
	if typ == 1 {
		b += pmt(r, n, pv, final, typ)
	}
	return -b * r
}

// ppmt is the principal part of payment number per: Excel's PMT − IPMT, which cancels when the
// principal part is a tiny fraction of the payment (early periods of long loans at high rates).
// Substituting the balance B_k above gives, for type 0, pmt + r·B_(per−1) =
// −r·(pv + fv)·(1+r)^(per−1)/((1+r)^n − 1) with no cancellation; type 1 pays the whole first
// payment as principal, and its later principal parts are type 0's one period earlier.
func ppmt(r, per, n, pv, final float64, typ int) float64 {
	if typ == 1 {
		if per == 1 {
			return pmt(r, n, pv, final, typ)
		}
		per--
	}
	if r == 0 {
		return -(pv + final) / n
	}
	// (1+r)^k/((1+r)^n − 1) with k = per − 1, written so that no power overflows: with negative
	// exponents when r > 0, (1+r)^(k−n)/(1 − (1+r)^−n).
	var q dd
	if r > 0 {
		gkn, _ := growth(r, per-1-n)
		_, gm1 := growth(r, -n)
		q = ddDiv(gkn, dd{-gm1.hi, -gm1.lo})
	} else {
		gk, _ := growth(r, per-1)
		_, gm1 := growth(r, n)
		q = ddDiv(gk, gm1)
	}
	return -r * (pv + final) * q.hi
}

// rateEquation is the function whose root RATE finds:
// pv·(1+r)^n + pmt·(1 + r·typ)·((1+r)^n − 1)/r + fv, with its derivative in r. Its parts are the
// three terms, divided by (1+r)^n for r > 0 (else they grow too steeply for split): (1+r)^±n is
// monotone, and so is the annuity factor (1 + r·typ)((1+r)^n − 1)/r, the slope of a secant from 0
// of (1+r)^n (typ 0) or of (1+r)^(n+1) − r (typ 1), each convex or concave; divided by (1+r)^n
// it is (1 − (1+r)^−n)/r = ∫₀ⁿ (1+r)^−s ds · log1p(r)/r, a product of decreasing functions (typ 0),
// or 1 − ((1+r)^(1−n) − 1)/r, again a secant slope (typ 1).
func rateEquation(n, pmt, pv, fv float64, typ int) rootFunc {
	t := float64(typ)
	return func(r float64) (v, d, scale float64, parts [3]float64) {
		if r <= -1 {
			return math.NaN(), math.NaN(), 0, parts
		}
		g, gm1 := growthF(r, n)
		var a, da float64     // annuity factor (1+r·t)(g−1)/r and its derivative
		dg := n * g / (1 + r) // d/dr (1+r)^n
		if math.Abs(r) < 1e-7 {
			// Near 0, (g−1)/r is still accurate (gm1 keeps full precision), but its derivative
			// would cancel: use the series (g−1)/r ≈ n + n(n−1)/2·r, derivative n(n−1)/2.
			s := n
			if r != 0 {
				s = gm1 / r
			}
			a = (1 + r*t) * s
			da = t*s + (1+r*t)*n*(n-1)/2
		} else {
			s := gm1 / r
			ds := (dg*r - gm1) / (r * r)
			a = (1 + r*t) * s
			da = t*s + (1+r*t)*ds
		}
		v = pv*g + pmt*a + fv
		d = pv*dg + pmt*da
		scale = math.Abs(pv*g) + math.Abs(pmt*a) + math.Abs(fv)
		if r > 0 {
			return v, d, scale, [3]float64{pv, pmt * (1 + r*t) * (gm1 / g) / r, fv / g}
		}
		return v, d, scale, [3]float64{pv * g, pmt * a, fv}
	}
}

// npv is Excel's NPV: the first value is discounted by one period. Horner's scheme avoids powers.
func npv(r float64, values []float64) float64 {
	acc := 0.0
	for i := len(values) - 1; i >= 0; i-- {
		acc = (acc + values[i]) / (1 + r)
	}
	return acc
}

// irrEquation is Σ values[i]·(1+r)^−i (the first value undiscounted) and its derivative, by
// Horner's scheme in x = 1/(1+r). Its parts are the sums of the positive and of the negative
// terms, each monotone in r since every x^i is; for r < 0 they are multiplied by (1+r)^N (N the
// index of the last nonzero value), a polynomial in 1 + r < 1, which keeps them flat where x^N
// is steep.
func irrEquation(values []float64) rootFunc {
	last := len(values) - 1
	for last > 0 && values[last] == 0 {
		last--
	}
	return func(r float64) (v, d, scale float64, parts [3]float64) {
		if r <= -1 {
			return math.NaN(), math.NaN(), 0, parts
		}
		x, y := 1/(1+r), 1+r
		var p, dp, s float64 // p = Σ v_i x^i, dp = Σ i·v_i x^(i−1), s = Σ |v_i| x^i
		var pos, neg float64 // Σ max(v_i, 0) x^i and Σ min(v_i, 0) x^i, or in y^(N−i) for r < 0
		for i := len(values) - 1; i >= 0; i-- {
			dp = dp*x + p
			p = p*x + values[i]
			s = s*x + math.Abs(values[i])
			switch {
			case r >= 0:
				pos = pos*x + max(values[i], 0)
				neg = neg*x + min(values[i], 0)
			case i <= last:
				pos = pos*y + max(values[last-i], 0)
				neg = neg*y + min(values[last-i], 0)
			}
		}
		// dp/dr = dp/dx · dx/dr = dp · (−x²)
		return p, -dp * x * x, s, [3]float64{pos, neg, 0}
	}
}

// xnpv is Excel's XNPV: Σ values[i] / (1+r)^(days[i]/365), days counted from the first date.
func xnpv(r float64, values, days []float64) float64 {
	l := math.Log1p(r)
	sum := 0.0
	for i, v := range values {
		sum += v * math.Exp(-days[i]/365*l)
	}
	return sum
}

// xirrEquation is xnpv as a function of r, with its derivative; its parts are the sums of the
// positive and of the negative terms, each monotone in r, multiplied for r < 0 by (1+r)^T (T the
// time of the latest nonzero value) to keep them flat, as in irrEquation.
func xirrEquation(values, days []float64) rootFunc {
	var last float64
	for i, t := range days {
		if values[i] != 0 {
			last = max(last, t/365)
		}
	}
	return func(r float64) (v, d, scale float64, parts [3]float64) {
		if r <= -1 {
			return math.NaN(), math.NaN(), 0, parts
		}
		l := math.Log1p(r)
		weight := 1.0
		if r < 0 {
			weight = math.Exp(last * l) // underflows only where some term overflows
		}
		for i, c := range values {
			t := days[i] / 365
			f := math.Exp(-t * l)
			v += c * f
			d += -t * c * f / (1 + r)
			scale += math.Abs(c * f)
			if c > 0 {
				parts[0] += c * f * weight
			} else {
				parts[1] += c * f * weight
			}
		}
		return v, d, scale, parts
	}
}

// effect is Excel's EFFECT: (1 + nominal/npery)^npery − 1.
func effect(nominal float64, npery float64) float64 {
	_, gm1 := growthF(nominal/npery, npery)
	return gm1
}

// nominal is Excel's NOMINAL: npery·((1 + effect)^(1/npery) − 1).
func nominal(eff float64, npery float64) float64 {
	return npery * math.Expm1(math.Log1p(eff)/npery)
}

// Annuity factors (the documented Finance.annuity, An, Sn and annuityDuration).

// annuity is r / (1 − (1+r)^−n) = r·(1+r)^n / ((1+r)^n − 1): the payment per period that repays 1
// in n periods (1/n at 0%). Evaluated in double-double, so it is correctly rounded in practice
// and accurate for tiny rates, where 1 − (1+r)^−n would cancel.
func annuity(r, n float64) float64 {
	if r == 0 {
		return 1 / n
	}
	g, gm1 := growth(r, n)
	return ddDiv(ddMul(g, dd{r, 0}), gm1).hi
}

// presentValueOf1 is (1+r)^−n.
func presentValueOf1(r, n float64) float64 {
	g, _ := growth(r, -n)
	return g.hi
}

// futureValueOf1 is (1+r)^n.
func futureValueOf1(r, n float64) float64 {
	g, _ := growth(r, n)
	return g.hi
}

// annuityDuration is the n for which annuity(r, n) = a: n = −log(1 − r/a) / log(1 + r) (1/a at
// 0%), NaN when no positive n exists.
//
// log1p(−r/a) is ill-conditioned as r/a → 1: rounding r/a costs up to 1.1e-16 absolute on
// 1 − r/a, which is all of its precision when a is within a few ulps of r. So for r/a ≥ 1/2 we
// use 1 − r/a = (a − r)/a instead, where a − r is exact (Sterbenz: r ≤ a ≤ 2r), and the only
// rounding is the division, 1.1e-16 relative, i.e. absolute on the logarithm. Below 1/2
// log1p(−r/a) has a condition number under 1.5.
func annuityDuration(r, a float64) float64 {
	if r == 0 {
		return 1 / a
	}
	var l float64 // log(1 − r/a)
	switch {
	case r > 0 && a <= r:
		return math.NaN()
	case r > 0 && a <= 2*r:
		l = math.Log((a - r) / a)
	default:
		l = math.Log1p(-r / a)
	}
	n := -l / math.Log1p(r)
	if !(n > 0) {
		return math.NaN()
	}
	return n
}
