package global

import (
	"math"
	"strconv"
)

// roundMode is how roundDecimal treats the dropped digits.
type roundMode uint8

const (
	halfAwayFromZero roundMode = iota // ROUND
	awayFromZero                      // ROUNDUP
	towardZero                        // ROUNDDOWN
)

// maxDecimals bounds the decimals argument of ROUND, ROUNDUP and ROUNDDOWN. A float64 carries at
// most 17 significant digits, and it keeps |decimals| within the range where 10^decimals is an
// exact float64 (≤ 22), which the fast path below relies on.
const maxDecimals = 15

// significantDigits is the precision numbers are rounded from, as in Excel.
const significantDigits = 15

// pow10u[k] = 10^k for k ≤ 19 (10^19 < 2^64).
var pow10u = [...]uint64{
	1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}

// pow10f[k] = 10^k, exact as a float64 for k ≤ 22.
var pow10f = [...]float64{
	1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
}

// roundDecimal rounds x to decimals places (negative: to tens, hundreds, ...) as a decimal
// number, the way Excel does: x is first written to 15 significant digits, which is what the rule
// author wrote and sees, and those digits are rounded — not the binary value. So
// roundDecimal(1.005, 2, halfAwayFromZero) is 1.01 although the double nearest 1.005 is
// 1.00499999999999989..., and ROUNDUP(0.1 + 0.2, 1) is 0.3 although 0.1 + 0.2 is
// 0.30000000000000004 in binary.
//
// It computes exactly what shopspring/decimal computes on the 15-digit text with Round /
// RoundUp / RoundDown(decimals) followed by Float64(), without big integers (a property test
// checks the two against each other):
//
//  1. strconv gives 15 significant digits of |x| as an integer M and an exponent E, with
//     |x| ≈ M·10^E;
//  2. k = −decimals − E digits are dropped: q = M / 10^k, r = M mod 10^k (k ≤ 0: nothing to drop,
//     the 15-digit value is returned; k > n: every digit is dropped, q = 0 and r = M);
//  3. q is incremented when the mode says so (half away: r ≥ 10^k / 2; away from zero: r ≠ 0);
//  4. the result ±q·10^−decimals is converted to the nearest float64 (fromDecimal: one exact
//     IEEE division or multiplication).
//
// NaN and ±Infinity are returned unchanged; a zero result is +0.
func roundDecimal(x float64, decimals int, mode roundMode) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x + 0 // −0 → +0
	}
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], x, 'e', significantDigits-1, 64) // [-]d.ddde±dd
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var m uint64
	n, i := 0, 0
	for ; b[i] != 'e'; i++ {
		if c := b[i]; c != '.' {
			m = m*10 + uint64(c-'0')
			n++
		}
	}
	i++ // 'e'
	expNeg := b[i] == '-'
	i++ // sign
	e := 0
	for ; i < len(b); i++ {
		e = e*10 + int(b[i]-'0')
	}
	if expNeg {
		e = -e
	}
	// |x| = m · 10^(e − (n − 1)); drop k digits.
	k := -decimals - (e - (n - 1))
	if k <= 0 {
		// No digit is dropped: the result is the 15-digit value itself (0.1 + 0.2 → 0.3), unless
		// that overflows (MaxFloat64 written to 15 digits is past it).
		f, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return x
		}
		if neg {
			f = -f
		}
		return f
	}
	var q uint64
	up := false
	if k > n {
		// Every digit is dropped: |x| < 10^(n+E) ≤ 10^(−decimals−1), less than half a unit, so
		// only ROUNDUP moves away from zero.
		up = mode == awayFromZero
	} else {
		p := pow10u[k] // k ≤ n ≤ 17
		var r uint64
		q, r = m/p, m%p
		switch mode {
		case halfAwayFromZero:
			up = r >= p/2 // p is even: p/2 is exactly the half
		case awayFromZero:
			up = r != 0
		}
	}
	if up {
		q++
	}
	if q == 0 {
		return 0
	}
	f := fromDecimal(q, decimals)
	if neg {
		f = -f
	}
	return f
}

// fromDecimal is the float64 nearest to q·10^−decimals, for |decimals| ≤ 22.
//
// When q ≤ 2^53, q and 10^|decimals| are both exact float64 values, so one IEEE division (or
// multiplication) is correctly rounded (Clinger's fast path, as in strconv). roundDecimal never
// needs more: its q has at most 16 digits, or is a 17-digit shortest representation M with at
// least one digit dropped, and a 17-digit shortest representation is below 2^53·10 (at or above
// 9.007199254740992·10^n, the float64 spacing exceeds 10^(n−15), so 16 digits always suffice).
// The strconv path is there so that a mistake in that argument costs speed, not correctness.
func fromDecimal(q uint64, decimals int) float64 {
	if q <= 1<<53 {
		f := float64(q)
		if decimals > 0 {
			f /= pow10f[decimals]
		} else if decimals < 0 {
			f *= pow10f[-decimals]
		}
		return f
	}
	var s [48]byte
	t := strconv.AppendUint(s[:0], q, 10)
	t = append(t, 'e')
	t = strconv.AppendInt(t, int64(-decimals), 10)
	f, _ := strconv.ParseFloat(string(t), 64)
	return f
}
