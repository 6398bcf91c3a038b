package statistics

import (
	"math"
	"slices"
)

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// sum adds with Neumaier's compensated summation: the result is the correctly rounded sum for all
// but pathological inputs, independent of the order of the values.
func sum(v []float64) float64 {
	var s, c float64
	for _, x := range v {
		t := s + x
		if math.Abs(s) >= math.Abs(x) {
			c += (s - t) + x
		} else {
			c += (x - t) + s
		}
		s = t
	}
	if math.IsInf(s, 0) { // overflow: the compensation is NaN
		return s
	}
	return s + c
}

// mean divides the compensated sum by n; if the sum overflows it averages scaled values instead.
func mean(v []float64) float64 {
	n := float64(len(v))
	if m := sum(v) / n; finite(m) {
		return m
	}
	var s float64
	for _, x := range v {
		s += x / n
	}
	return s
}

func sorted(v []float64) []float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s
}

func median(v []float64) float64 {
	s := sorted(v)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return midpoint(s[n/2-1], s[n/2])
}

// midpoint is (a + b) / 2 without overflowing.
func midpoint(a, b float64) float64 {
	if m := (a + b) / 2; finite(m) {
		return m
	}
	return a/2 + b/2
}

// modes are the most frequent values in ascending order (len(v) > 0).
func modes(v []float64) []float64 {
	s := sorted(v)
	var out []float64
	best := 0
	for i := 0; i < len(s); {
		j := i + 1
		for j < len(s) && s[j] == s[i] {
			j++
		}
		switch run := j - i; {
		case run > best:
			best, out = run, append(out[:0], s[i])
		case run == best:
			out = append(out, s[i])
		}
		i = j
	}
	return out
}

func minOf(v []float64) float64 { return slices.Min(v) }
func maxOf(v []float64) float64 { return slices.Max(v) }

// scaled multiplies huge or tiny values by a power of two (exactly) so that squares and products of
// deviations can neither overflow nor underflow; it returns the values and the exponent e to scale
// results back by (value = scaled · 2^e). Ordinary values are returned unchanged with e = 0.
func scaled(v []float64) ([]float64, int) {
	var m float64
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	if m == 0 || m >= 0x1p-200 && m < 0x1p200 {
		return v, 0
	}
	_, e := math.Frexp(m)
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Ldexp(x, -e)
	}
	return out, e
}

// variance is the two-pass (centred) variance: sample (n − 1) or population (n).
func variance(v []float64, sample bool) float64 {
	s, e := scaledVariance(v, sample)
	return math.Ldexp(s, 2*e)
}

// stdev is the square root of the variance, computed without the variance overflowing.
func stdev(v []float64, sample bool) float64 {
	s, e := scaledVariance(v, sample)
	return math.Ldexp(math.Sqrt(s), e)
}

// scaledVariance is the variance of the values scaled by 2^−e.
func scaledVariance(v []float64, sample bool) (float64, int) {
	v, e := scaled(v)
	m := mean(v)
	d := make([]float64, len(v))
	for i, x := range v {
		d[i] = (x - m) * (x - m)
	}
	n := float64(len(v))
	if sample {
		n--
	}
	return sum(d) / n, e
}

// percentile is Excel's PERCENTILE.INC: rank p·(n − 1) in the sorted values, interpolated.
func percentile(v []float64, p float64) float64 {
	s := sorted(v)
	rank := p * float64(len(s)-1)
	lo := math.Floor(rank)
	i := int(lo)
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	frac := rank - lo
	if frac == 0 {
		return s[i]
	}
	return s[i] + frac*(s[i+1]-s[i])
}

// linearFit is the least-squares line y = slope·x + intercept; ok is false when all xs are equal.
func linearFit(xs, ys []float64) (slope, intercept float64, ok bool) {
	xs, ex := scaled(xs)
	ys, ey := scaled(ys)
	mx, my := mean(xs), mean(ys)
	sxy := make([]float64, len(xs))
	sxx := make([]float64, len(xs))
	for i := range xs {
		dx := xs[i] - mx
		sxy[i] = dx * (ys[i] - my)
		sxx[i] = dx * dx
	}
	den := sum(sxx)
	if den == 0 {
		return 0, 0, false
	}
	slope = sum(sxy) / den
	intercept = math.Ldexp(my-slope*mx, ey)
	return math.Ldexp(slope, ey-ex), intercept, true
}

// correlation is Pearson's r; ok is false when xs or ys is constant.
func correlation(xs, ys []float64) (float64, bool) {
	xs, _ = scaled(xs)
	ys, _ = scaled(ys)
	mx, my := mean(xs), mean(ys)
	sxy := make([]float64, len(xs))
	sxx := make([]float64, len(xs))
	syy := make([]float64, len(xs))
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		sxy[i], sxx[i], syy[i] = dx*dy, dx*dx, dy*dy
	}
	den := math.Sqrt(sum(sxx) * sum(syy))
	if den == 0 || !finite(den) {
		return 0, false
	}
	r := sum(sxy) / den
	return math.Max(-1, math.Min(1, r)), true // rounding may overshoot by an ulp
}
