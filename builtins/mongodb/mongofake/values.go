package mongofake

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Values are what bson.Unmarshal produces into bson.D: bson.D, bson.A, nil,
// int32, int64, float64, string, bool and the bson primitive types.

// missingT marks an absent field, which aggregation distinguishes from null.
type missingT struct{}

var missing any = missingT{}

// emptyArrayKey is the sort key of an empty array, which MongoDB orders
// before null and missing fields.
type emptyArrayKey struct{}

// typeRank is BSON's cross-type comparison order.
func typeRank(v any) int {
	switch v.(type) {
	case bson.MinKey:
		return 0
	case emptyArrayKey:
		return 1
	case missingT:
		return 2
	case nil, bson.Null, bson.Undefined:
		return 3
	case int32, int64, float64, bson.Decimal128, int:
		return 4
	case string, bson.Symbol:
		return 5
	case bson.D:
		return 6
	case bson.A:
		return 7
	case bson.Binary:
		return 8
	case bson.ObjectID:
		return 9
	case bool:
		return 10
	case bson.DateTime:
		return 11
	case bson.Timestamp:
		return 12
	case bson.Regex:
		return 13
	case bson.DBPointer:
		return 14
	case bson.JavaScript:
		return 15
	case bson.CodeWithScope:
		return 16
	case bson.MaxKey:
		return 18
	}
	return 17
}

func isNumber(v any) bool {
	switch v.(type) {
	case int32, int64, float64, bson.Decimal128, int:
		return true
	}
	return false
}

func isNullish(v any) bool {
	switch v.(type) {
	case nil, bson.Null, bson.Undefined, missingT:
		return true
	}
	return false
}

// compareValues orders two values the way MongoDB sorts them.
func compareValues(a, b any) int {
	ra, rb := typeRank(a), typeRank(b)
	if ra != rb {
		return cmpInt(ra, rb)
	}
	switch x := a.(type) {
	case int32, int64, float64, bson.Decimal128, int:
		return compareNumbers(a, b)
	case string:
		return strings.Compare(x, stringOf(b))
	case bson.Symbol:
		return strings.Compare(string(x), stringOf(b))
	case bson.D:
		return compareDocs(x, b.(bson.D))
	case bson.A:
		y := b.(bson.A)
		for i := 0; i < len(x) && i < len(y); i++ {
			if c := compareValues(x[i], y[i]); c != 0 {
				return c
			}
		}
		return cmpInt(len(x), len(y))
	case bson.Binary:
		y := b.(bson.Binary)
		if len(x.Data) != len(y.Data) {
			return cmpInt(len(x.Data), len(y.Data))
		}
		if x.Subtype != y.Subtype {
			return cmpInt(int(x.Subtype), int(y.Subtype))
		}
		return bytes.Compare(x.Data, y.Data)
	case bson.ObjectID:
		y := b.(bson.ObjectID)
		return bytes.Compare(x[:], y[:])
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case bson.DateTime:
		return cmpInt64(int64(x), int64(b.(bson.DateTime)))
	case bson.Timestamp:
		return x.Compare(b.(bson.Timestamp))
	case bson.Regex:
		y := b.(bson.Regex)
		if c := strings.Compare(x.Pattern, y.Pattern); c != 0 {
			return c
		}
		return strings.Compare(x.Options, y.Options)
	case bson.DBPointer:
		y := b.(bson.DBPointer)
		if c := strings.Compare(x.DB, y.DB); c != 0 {
			return c
		}
		return bytes.Compare(x.Pointer[:], y.Pointer[:])
	case bson.JavaScript:
		return strings.Compare(string(x), string(b.(bson.JavaScript)))
	case bson.CodeWithScope:
		y := b.(bson.CodeWithScope)
		if c := strings.Compare(string(x.Code), string(y.Code)); c != 0 {
			return c
		}
		return compareValues(x.Scope, y.Scope)
	}
	return 0
}

func stringOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bson.Symbol:
		return string(x)
	}
	return ""
}

// compareDocs follows BSONObj::woCompare: per element, type, then name, then value.
func compareDocs(x, y bson.D) int {
	for i := 0; i < len(x) && i < len(y); i++ {
		if c := cmpInt(typeRank(x[i].Value), typeRank(y[i].Value)); c != 0 {
			return c
		}
		if c := strings.Compare(x[i].Key, y[i].Key); c != 0 {
			return c
		}
		if c := compareValues(x[i].Value, y[i].Value); c != 0 {
			return c
		}
	}
	return cmpInt(len(x), len(y))
}

func valuesEqual(a, b any) bool { return compareValues(a, b) == 0 }

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Numbers.

type numKind int

const (
	kInt32 numKind = iota
	kInt64
	kDouble
	kDecimal
)

func kindOf(v any) numKind {
	switch v.(type) {
	case int32:
		return kInt32
	case int64, int:
		return kInt64
	case float64:
		return kDouble
	}
	return kDecimal
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	}
	return 0, false
}

// asFloat converts any number to float64 (decimals lose precision).
func asFloat(v any) float64 {
	switch x := v.(type) {
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case int:
		return float64(x)
	case float64:
		return x
	case bson.Decimal128:
		if x.IsNaN() {
			return math.NaN()
		}
		if s := x.IsInf(); s != 0 {
			return math.Inf(s)
		}
		f, _ := strconv.ParseFloat(x.String(), 64)
		return f
	}
	return math.NaN()
}

func isNaN(v any) bool {
	switch x := v.(type) {
	case float64:
		return math.IsNaN(x)
	case bson.Decimal128:
		return x.IsNaN()
	}
	return false
}

// exactNum is a number as ±infinity or an exact rational.
type exactNum struct {
	inf int
	r   *big.Rat
}

func toExact(v any) exactNum {
	switch x := v.(type) {
	case float64:
		if math.IsInf(x, 0) {
			if x > 0 {
				return exactNum{inf: 1}
			}
			return exactNum{inf: -1}
		}
		return exactNum{r: new(big.Rat).SetFloat64(x)}
	case bson.Decimal128:
		if s := x.IsInf(); s != 0 {
			return exactNum{inf: s}
		}
		coef, exp, err := x.BigInt()
		if err != nil {
			return exactNum{r: new(big.Rat)}
		}
		return exactNum{r: ratFromCoef(coef, exp)}
	}
	i, _ := asInt64(v)
	return exactNum{r: new(big.Rat).SetInt64(i)}
}

func ratFromCoef(coef *big.Int, exp int) *big.Rat {
	r := new(big.Rat).SetInt(coef)
	if exp == 0 {
		return r
	}
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(absInt(exp))), nil)
	if exp > 0 {
		return r.Mul(r, new(big.Rat).SetInt(p))
	}
	return r.Quo(r, new(big.Rat).SetInt(p))
}

func absInt(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// compareNumbers compares across int32/int64/double/decimal exactly; NaN
// sorts below every other number and equals itself, as in MongoDB.
func compareNumbers(a, b any) int {
	an, bn := isNaN(a), isNaN(b)
	if an || bn {
		switch {
		case an && bn:
			return 0
		case an:
			return -1
		}
		return 1
	}
	ai, aInt := asInt64(a)
	bi, bInt := asInt64(b)
	if aInt && bInt {
		return cmpInt64(ai, bi)
	}
	af, aF := a.(float64)
	bf, bF := b.(float64)
	switch {
	case aF && bF:
		return cmpFloat(af, bf)
	case aF && bInt && safeInt(bi):
		return cmpFloat(af, float64(bi))
	case aInt && bF && safeInt(ai):
		return cmpFloat(float64(ai), bf)
	}
	ea, eb := toExact(a), toExact(b)
	if ea.inf != 0 || eb.inf != 0 {
		return cmpInt(ea.inf, eb.inf)
	}
	return ea.r.Cmp(eb.r)
}

func safeInt(i int64) bool { return i >= -(1<<53) && i <= 1<<53 }

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// canonicalKey encodes a value so that values MongoDB considers equal
// (1, NumberLong(1), 1.0) share a key; used for _id uniqueness and grouping.
func canonicalKey(v any) string {
	var b strings.Builder
	writeKey(&b, v)
	return b.String()
}

func writeKey(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil, bson.Null, bson.Undefined, missingT:
		b.WriteString("n;")
	case int32, int64, float64, bson.Decimal128, int:
		b.WriteString("#")
		b.WriteString(numberKey(v))
		b.WriteString(";")
	case string:
		fmt.Fprintf(b, "s%d:%s", len(x), x)
	case bson.Symbol:
		fmt.Fprintf(b, "s%d:%s", len(x), x)
	case bson.D:
		b.WriteString("{")
		for _, e := range x {
			fmt.Fprintf(b, "%d:%s", len(e.Key), e.Key)
			writeKey(b, e.Value)
		}
		b.WriteString("}")
	case bson.A:
		b.WriteString("[")
		for _, e := range x {
			writeKey(b, e)
		}
		b.WriteString("]")
	default:
		fmt.Fprintf(b, "t%d:%#v;", typeRank(v), v)
	}
}

func numberKey(v any) string {
	if isNaN(v) {
		return "NaN"
	}
	if i, ok := asInt64(v); ok {
		return strconv.FormatInt(i, 10)
	}
	if f, ok := v.(float64); ok {
		if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			return strconv.FormatInt(int64(f), 10)
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	e := toExact(v)
	if e.inf != 0 {
		return strconv.FormatFloat(math.Inf(e.inf), 'g', -1, 64)
	}
	if e.r.IsInt() && e.r.Num().IsInt64() {
		return e.r.Num().String()
	}
	if f, exact := e.r.Float64(); exact {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return "d" + e.r.String()
}

// copyValue deep-copies documents and arrays; other values are immutable.
func copyValue(v any) any {
	switch x := v.(type) {
	case bson.D:
		return copyDoc(x)
	case bson.A:
		out := make(bson.A, len(x))
		for i, e := range x {
			out[i] = copyValue(e)
		}
		return out
	}
	return v
}

func copyDoc(d bson.D) bson.D {
	out := make(bson.D, len(d))
	for i, e := range d {
		out[i] = bson.E{Key: e.Key, Value: copyValue(e.Value)}
	}
	return out
}

// truthy is aggregation's boolean coercion.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil, bson.Null, bson.Undefined, missingT:
		return false
	case bool:
		return x
	case int32, int64, float64, bson.Decimal128, int:
		return compareNumbers(v, int32(0)) != 0 // NaN is true
	}
	return true
}

// typeName is MongoDB's $type alias of a value.
func typeName(v any) string {
	switch v.(type) {
	case float64:
		return "double"
	case string:
		return "string"
	case bson.D:
		return "object"
	case bson.A:
		return "array"
	case bson.Binary:
		return "binData"
	case bson.Undefined:
		return "undefined"
	case bson.ObjectID:
		return "objectId"
	case bool:
		return "bool"
	case bson.DateTime:
		return "date"
	case nil, bson.Null:
		return "null"
	case bson.Regex:
		return "regex"
	case bson.DBPointer:
		return "dbPointer"
	case bson.JavaScript:
		return "javascript"
	case bson.Symbol:
		return "symbol"
	case bson.CodeWithScope:
		return "javascriptWithScope"
	case int32:
		return "int"
	case bson.Timestamp:
		return "timestamp"
	case int64, int:
		return "long"
	case bson.Decimal128:
		return "decimal"
	case bson.MinKey:
		return "minKey"
	case bson.MaxKey:
		return "maxKey"
	case missingT:
		return "missing"
	}
	return "unknown"
}

var typeCodes = map[int]string{
	1: "double", 2: "string", 3: "object", 4: "array", 5: "binData", 6: "undefined",
	7: "objectId", 8: "bool", 9: "date", 10: "null", 11: "regex", 12: "dbPointer",
	13: "javascript", 14: "symbol", 15: "javascriptWithScope", 16: "int", 17: "timestamp",
	18: "long", 19: "decimal", -1: "minKey", 127: "maxKey",
}

// approxSize estimates a value's BSON size without encoding it, to bound
// memory in pipelines.
func approxSize(v any) int {
	switch x := v.(type) {
	case bson.D:
		n := 5
		for _, e := range x {
			n += len(e.Key) + 2 + approxSize(e.Value)
		}
		return n
	case bson.A:
		n := 5
		for _, e := range x {
			n += 4 + approxSize(e)
		}
		return n
	case string:
		return len(x) + 5
	case bson.Binary:
		return len(x.Data) + 5
	}
	return 8
}

func intValue(v any) (int64, bool) {
	if i, ok := asInt64(v); ok {
		return i, true
	}
	if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<62 {
		return int64(f), true
	}
	if d, ok := v.(bson.Decimal128); ok {
		e := toExact(d)
		if e.inf == 0 && e.r.IsInt() && e.r.Num().IsInt64() {
			return e.r.Num().Int64(), true
		}
	}
	return 0, false
}
