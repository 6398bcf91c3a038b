package array

import (
	"cmp"
	"math"
	"math/big"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// rank orders values of different types in orderBy / orderByDescending: booleans, then numbers,
// bigints, strings, Dates and other values (objects, symbols: equal to each other, so they keep
// their order). Missing values (undefined, null, NaN, an invalid Date) come last in BOTH directions.
type rank uint8

const (
	rBool rank = iota
	rNumber
	rBigInt
	rString
	rDate
	rOther
	rMissing
)

type sortKey struct {
	rank rank
	num  float64     // booleans (0/1), numbers, Dates (time value)
	str  goja.String // strings: compared by UTF-16 code units, like JS < (no locale)
	big  *big.Int
}

func sortKeyOf(v goja.Value) sortKey {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return sortKey{rank: rMissing}
	}
	if f, ok := builtins.NumberOf(v); ok {
		if math.IsNaN(f) {
			return sortKey{rank: rMissing}
		}
		return sortKey{rank: rNumber, num: f}
	}
	switch v := v.(type) {
	case goja.String:
		return sortKey{rank: rString, str: v}
	case *goja.Symbol:
		return sortKey{rank: rOther}
	case *goja.Object:
		if t, isDate, valid := builtins.DateOf(v); isDate {
			if !valid {
				return sortKey{rank: rMissing}
			}
			return sortKey{rank: rDate, num: float64(t.UnixMilli())}
		}
		return sortKey{rank: rOther}
	}
	if b, ok := builtins.BoolOf(v); ok {
		if b {
			return sortKey{rank: rBool, num: 1}
		}
		return sortKey{rank: rBool}
	}
	if bi, ok := v.Export().(*big.Int); ok {
		return sortKey{rank: rBigInt, big: bi}
	}
	return sortKey{rank: rOther}
}

// compareKeys orders two non-missing keys ascending.
func compareKeys(a, b sortKey) int {
	if a.rank != b.rank {
		return cmp.Compare(a.rank, b.rank)
	}
	switch a.rank {
	case rBool, rNumber, rDate:
		return cmp.Compare(a.num, b.num) // -0 and 0 are equal; no NaN here
	case rBigInt:
		return a.big.Cmp(b.big)
	case rString:
		return a.str.CompareTo(b.str)
	}
	return 0
}

// orderCompare orders keys for orderBy (desc false) or orderByDescending (desc true): missing
// values last either way.
func orderCompare(a, b sortKey, desc bool) int {
	am, bm := a.rank == rMissing, b.rank == rMissing
	switch {
	case am && bm:
		return 0
	case am:
		return 1
	case bm:
		return -1
	case desc:
		return compareKeys(b, a)
	}
	return compareKeys(a, b)
}
