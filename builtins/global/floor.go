package global

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"
)

// decompose writes |x| (finite, non-zero) to 15 significant digits, as Excel works and as
// roundDecimal reads it, and returns it as m·10^e with the trailing zeros of m dropped (so
// 1.15 is 115·10^−2 and 0.05 is 5·10^−2, whatever binary noise the doubles carry).
func decompose(x float64) (neg bool, m uint64, e int) {
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], x, 'e', significantDigits-1, 64) // [-]d.ddde±dd
	neg = b[0] == '-'
	if neg {
		b = b[1:]
	}
	i := 0
	for ; b[i] != 'e'; i++ {
		if c := b[i]; c != '.' {
			m = m*10 + uint64(c-'0')
		}
	}
	i++ // 'e'
	expNeg := b[i] == '-'
	i++ // sign
	for ; i < len(b); i++ {
		e = e*10 + int(b[i]-'0')
	}
	if expNeg {
		e = -e
	}
	e -= significantDigits - 1
	for m != 0 && m%10 == 0 {
		m /= 10
		e++
	}
	return neg, m, e
}

// decimalFloat is the float64 nearest to n·10^e (+Inf when it overflows).
func decimalFloat(n uint64, e int) float64 {
	if n <= 1<<53 && e >= -22 && e <= 22 {
		return fromDecimal(n, -e) // exact operands: one correctly rounded operation
	}
	var s [48]byte
	t := strconv.AppendUint(s[:0], n, 10)
	t = append(t, 'e')
	t = strconv.AppendInt(t, int64(e), 10)
	f, _ := strconv.ParseFloat(string(t), 64) // ±Inf on overflow, 0 on underflow
	return f
}

// floorCeil rounds x to a multiple of |step| toward −∞ (up false: FLOOR) or +∞ (up true:
// CEIL), on the decimal values: x and step are both read to 15 significant digits, the quotient
// is taken exactly (integers, big ones when the exponents are far apart) and the multiple is
// converted back to the nearest float64. So floorCeil(1.15, 0.05, false) is 1.15 — in binary,
// 1.15 / 0.05 is 22.999999999999996. step must be finite and non-zero (the caller checks);
// NaN and ±Infinity in x pass through; a zero result is +0.
func floorCeil(x, step float64, up bool) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x + 0
	}
	neg, mx, ex := decompose(x)
	_, ms, es := decompose(step)
	// On the magnitude: FLOOR of a negative number rounds |x| up, CEIL rounds it down.
	away := up != neg
	e := min(ex, es)
	sx, ss := ex-e, es-e
	if sx > 4 || ss > 4 {
		return floorCeilBig(x, neg, mx, sx, ms, ss, e, away)
	}
	// Both scaled operands are below 10^15·10^4 < 2^64.
	X, S := mx*pow10u[sx], ms*pow10u[ss]
	q, r := X/S, X%S
	if away && r != 0 {
		q++
	}
	hi, n := bits.Mul64(q, S)
	if hi != 0 {
		return floorCeilBig(x, neg, mx, sx, ms, ss, e, away)
	}
	f := decimalFloat(n, e)
	if math.IsInf(f, 0) && r == 0 {
		return x // x was already a multiple; only its 15-digit text overflows
	}
	if f == 0 {
		return 0
	}
	if neg {
		f = -f
	}
	return f
}

// floorCeilBig is floorCeil with big integers, for operands whose exponents are far apart
// (FLOOR(1e300, 0.01), CEIL(1e-300, 1)).
func floorCeilBig(x float64, neg bool, mx uint64, sx int, ms uint64, ss, e int, away bool) float64 {
	ten := big.NewInt(10)
	X := new(big.Int).SetUint64(mx)
	X.Mul(X, new(big.Int).Exp(ten, big.NewInt(int64(sx)), nil))
	S := new(big.Int).SetUint64(ms)
	S.Mul(S, new(big.Int).Exp(ten, big.NewInt(int64(ss)), nil))
	q, r := new(big.Int).QuoRem(X, S, new(big.Int))
	if away && r.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	if q.Sign() == 0 {
		return 0
	}
	n := q.Mul(q, S)
	f, _ := strconv.ParseFloat(n.String()+"e"+strconv.Itoa(e), 64)
	if math.IsInf(f, 0) && r.Sign() == 0 {
		return x
	}
	if f == 0 {
		return 0
	}
	if neg {
		f = -f
	}
	return f
}
