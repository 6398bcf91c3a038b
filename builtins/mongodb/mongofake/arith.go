package mongofake

import (
	"math"
	"math/big"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Arithmetic follows MongoDB's promotion: int32 → int64 on overflow,
// int64 → double on overflow, anything with a double is a double, anything
// with a decimal is a decimal.

type arithOp int

const (
	opAdd arithOp = iota
	opSub
	opMul
)

func arith(op arithOp, a, b any) any {
	k := max(kindOf(a), kindOf(b))
	switch k {
	case kInt32, kInt64:
		x, _ := asInt64(a)
		y, _ := asInt64(b)
		r, ok := intArith(op, x, y)
		if !ok {
			return floatArith(op, float64(x), float64(y))
		}
		if k == kInt32 && r >= math.MinInt32 && r <= math.MaxInt32 {
			return int32(r)
		}
		return r
	case kDouble:
		return floatArith(op, asFloat(a), asFloat(b))
	}
	return decArith(op, a, b)
}

func intArith(op arithOp, x, y int64) (int64, bool) {
	switch op {
	case opAdd:
		r := x + y
		return r, (r > x) == (y > 0) || y == 0
	case opSub:
		r := x - y
		return r, (r < x) == (y > 0) || y == 0
	}
	if x == 0 || y == 0 {
		return 0, true
	}
	r := x * y
	return r, r/y == x && !(x == -1 && y == math.MinInt64) && !(y == -1 && x == math.MinInt64)
}

func floatArith(op arithOp, x, y float64) float64 {
	switch op {
	case opAdd:
		return x + y
	case opSub:
		return x - y
	}
	return x * y
}

// decimal is a coefficient and a base-10 exponent.
type decimal struct {
	coef *big.Int
	exp  int
}

func toDecimal(v any) (decimal, bool) {
	switch x := v.(type) {
	case bson.Decimal128:
		if x.IsNaN() || x.IsInf() != 0 {
			return decimal{}, false
		}
		c, e, err := x.BigInt()
		if err != nil {
			return decimal{}, false
		}
		return decimal{c, e}, true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return decimal{}, false
		}
		// MongoDB converts doubles to decimals rounded to 15 digits.
		d, err := bson.ParseDecimal128(strconv.FormatFloat(x, 'e', 14, 64))
		if err != nil {
			return decimal{}, false
		}
		return toDecimal(d)
	}
	i, _ := asInt64(v)
	return decimal{big.NewInt(i), 0}, true
}

var bigTen = big.NewInt(10)

func pow10(n int) *big.Int { return new(big.Int).Exp(bigTen, big.NewInt(int64(n)), nil) }

func decArith(op arithOp, a, b any) any {
	x, ok1 := toDecimal(a)
	y, ok2 := toDecimal(b)
	if !ok1 || !ok2 {
		return floatToDecimal(floatArith(op, asFloat(a), asFloat(b)))
	}
	var r decimal
	switch op {
	case opMul:
		r = decimal{new(big.Int).Mul(x.coef, y.coef), x.exp + y.exp}
	default:
		e := min(x.exp, y.exp)
		xc := new(big.Int).Mul(x.coef, pow10(x.exp-e))
		yc := new(big.Int).Mul(y.coef, pow10(y.exp-e))
		if op == opAdd {
			r = decimal{xc.Add(xc, yc), e}
		} else {
			r = decimal{xc.Sub(xc, yc), e}
		}
	}
	return r.toBSON()
}

func decDivide(a, b any) any {
	x, ok1 := toDecimal(a)
	y, ok2 := toDecimal(b)
	if !ok1 || !ok2 {
		return floatToDecimal(asFloat(a) / asFloat(b))
	}
	// Scale the dividend so the quotient carries more than 34 digits; the
	// truncated tail is then rounded by toBSON.
	k := 35 + digits(y.coef) - digits(x.coef)
	k = max(k, 0)
	num := new(big.Int).Mul(x.coef, pow10(k))
	q, rem := new(big.Int).QuoRem(num, y.coef, new(big.Int))
	exp := x.exp - y.exp - k
	if rem.Sign() == 0 {
		// Exact: drop trailing zeros down to the ideal exponent.
		for exp < x.exp-y.exp {
			qq, r := new(big.Int).QuoRem(q, bigTen, new(big.Int))
			if r.Sign() != 0 {
				break
			}
			q, exp = qq, exp+1
		}
	}
	return decimal{q, exp}.toBSON()
}

func digits(i *big.Int) int { return len(new(big.Int).Abs(i).String()) }

func floatToDecimal(f float64) bson.Decimal128 {
	var s string
	switch {
	case math.IsNaN(f):
		s = "NaN"
	case math.IsInf(f, 1):
		s = "Infinity"
	case math.IsInf(f, -1):
		s = "-Infinity"
	default:
		s = strconv.FormatFloat(f, 'e', 14, 64)
	}
	d, _ := bson.ParseDecimal128(s)
	return d
}

// toBSON rounds to 34 significant digits (half to even).
func (d decimal) toBSON() bson.Decimal128 {
	c, e := new(big.Int).Set(d.coef), d.exp
	if n := digits(c); n > 34 {
		drop := n - 34
		div := pow10(drop)
		q, r := new(big.Int).QuoRem(c, div, new(big.Int))
		r.Abs(r)
		half := new(big.Int).Quo(div, big.NewInt(2))
		if cmp := r.Cmp(half); cmp > 0 || cmp == 0 && q.Bit(0) == 1 {
			if c.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
		c, e = q, e+drop
	}
	if v, ok := bson.ParseDecimal128FromBigInt(c, e); ok {
		return v
	}
	if e > 0 {
		if c.Sign() < 0 {
			return floatToDecimal(math.Inf(-1))
		}
		return floatToDecimal(math.Inf(1))
	}
	z, _ := bson.ParseDecimal128("0")
	return z
}

// divide is $divide: a double unless a decimal is involved.
func divide(a, b any) (any, error) {
	if compareNumbers(b, int32(0)) == 0 && !isNaN(b) {
		return nil, errf(2, "BadValue", "can't $divide by zero")
	}
	if kindOf(a) == kDecimal || kindOf(b) == kDecimal {
		return decDivide(a, b), nil
	}
	return asFloat(a) / asFloat(b), nil
}
