package mongofake

import (
	"encoding/binary"
	"math"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func dec(s string) bson.Decimal128 {
	d, err := bson.ParseDecimal128(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestCompareValues(t *testing.T) {
	oid1, _ := bson.ObjectIDFromHex("000000000000000000000001")
	oid2, _ := bson.ObjectIDFromHex("000000000000000000000002")
	tests := []struct {
		a, b any
		want int
	}{
		{int32(1), int64(1), 0},
		{int32(1), 1.0, 0},
		{int64(1), dec("1.00"), 0},
		{1.5, dec("1.5"), 0},
		{0.1, dec("0.1"), 1}, // the double 0.1 is 0.1000000000000000055...
		{int64(math.MaxInt64), float64(math.MaxInt64), -1},
		{int64(1 << 60), float64(1 << 60), 0},
		{math.NaN(), math.Inf(-1), -1},
		{math.NaN(), math.NaN(), 0},
		{math.Inf(1), dec("1E+6000"), 1},
		{dec("-Infinity"), int32(-5), -1},
		{"a", "b", -1},
		{"B", "a", -1}, // binary comparison, no collation
		{bson.Symbol("a"), "a", 0},
		{nil, missing, 1},
		{bson.MinKey{}, nil, -1},
		{bson.MaxKey{}, bson.Regex{Pattern: "a"}, 1},
		{bson.D{{Key: "a", Value: 1}}, bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}, -1},
		{bson.D{{Key: "a", Value: 2}}, bson.D{{Key: "b", Value: 1}}, -1},
		{bson.D{{Key: "a", Value: "x"}}, bson.D{{Key: "a", Value: 5}}, 1}, // types compare before values
		{bson.A{1, 2}, bson.A{1, 3}, -1},
		{bson.A{}, bson.A{nil}, -1},
		{bson.Binary{Data: []byte{9}}, bson.Binary{Data: []byte{1, 1}}, -1}, // length first
		{oid1, oid2, -1},
		{false, true, -1},
		{bson.DateTime(-1), bson.DateTime(1), -1},
		{bson.Timestamp{T: 1, I: 5}, bson.Timestamp{T: 2, I: 0}, -1},
		{true, bson.DateTime(0), -1},
		{"z", bson.D{}, -1},
		{bson.D{}, bson.A{}, -1},
	}
	for _, tt := range tests {
		if got := compareValues(tt.a, tt.b); got != tt.want {
			t.Errorf("compare(%s, %s) = %d, want %d", js(tt.a), js(tt.b), got, tt.want)
		}
		if got := compareValues(tt.b, tt.a); got != -tt.want {
			t.Errorf("compare(%s, %s) = %d, want %d", js(tt.b), js(tt.a), got, -tt.want)
		}
	}
}

func TestCanonicalKey(t *testing.T) {
	same := [][]any{
		{int32(7), int64(7), 7.0, dec("7"), dec("7.000")},
		{0.5, dec("0.5")},
		{nil, bson.Null{}},
		{"a", bson.Symbol("a")},
		{bson.D{{Key: "a", Value: int32(1)}}, bson.D{{Key: "a", Value: 1.0}}},
		{math.NaN(), dec("NaN")},
	}
	for _, group := range same {
		for _, v := range group[1:] {
			if canonicalKey(v) != canonicalKey(group[0]) {
				t.Errorf("key(%s) != key(%s)", js(v), js(group[0]))
			}
		}
	}
	different := []any{int32(1), 1.5, "1", bson.A{int32(1)}, bson.D{{Key: "1", Value: nil}}, true, dec("0.1"), 0.1, bson.D{{Key: "a", Value: int32(1)}, {Key: "b", Value: int32(1)}}, bson.D{{Key: "b", Value: int32(1)}, {Key: "a", Value: int32(1)}}}
	seen := map[string]any{}
	for _, v := range different {
		k := canonicalKey(v)
		if prev, dup := seen[k]; dup {
			t.Errorf("key(%s) == key(%s)", js(v), js(prev))
		}
		seen[k] = v
	}
}

func TestArithmetic(t *testing.T) {
	tests := []struct {
		op   arithOp
		a, b any
		want string
	}{
		{opAdd, int32(1), int32(2), `{"$numberInt":"3"}`},
		{opAdd, int32(math.MaxInt32), int32(1), `{"$numberLong":"2147483648"}`},
		{opAdd, int64(math.MaxInt64), int32(1), `{"$numberDouble":"9.223372036854776E+18"}`},
		{opSub, int64(math.MinInt64), int32(1), `{"$numberDouble":"-9.223372036854776E+18"}`},
		{opMul, int64(1 << 40), int64(1 << 40), `{"$numberDouble":"1.2089258196146292E+24"}`},
		{opMul, int32(-1), int64(math.MinInt64), `{"$numberDouble":"9.223372036854776E+18"}`},
		{opAdd, int32(1), 0.5, `{"$numberDouble":"1.5"}`},
		{opAdd, dec("1.10"), dec("2.205"), `{"$numberDecimal":"3.305"}`},
		{opSub, dec("1"), dec("0.01"), `{"$numberDecimal":"0.99"}`},
		{opMul, dec("1.5"), int32(3), `{"$numberDecimal":"4.5"}`},
		// Doubles become decimals rounded to 15 digits.
		{opAdd, dec("0"), 0.1, `{"$numberDecimal":"0.100000000000000"}`},
		// 34 significant digits, rounded half to even.
		{opAdd, dec("1234567890123456789012345678901234"), dec("0.5"), `{"$numberDecimal":"1234567890123456789012345678901234"}`},
		{opAdd, dec("1234567890123456789012345678901235"), dec("0.5"), `{"$numberDecimal":"1234567890123456789012345678901236"}`},
		{opAdd, dec("NaN"), int32(1), `{"$numberDecimal":"NaN"}`},
	}
	for _, tt := range tests {
		b, _ := bson.MarshalExtJSON(bson.D{{Key: "v", Value: arith(tt.op, tt.a, tt.b)}}, true, false)
		if got := string(b[5 : len(b)-1]); got != tt.want {
			t.Errorf("%v %s %s = %s, want %s", tt.op, js(tt.a), js(tt.b), got, tt.want)
		}
	}
	divTests := []struct {
		a, b any
		want string
	}{
		{int32(1), int32(4), `0.25`},
		{dec("1"), dec("3"), `{"$numberDecimal":"0.3333333333333333333333333333333333"}`},
		{dec("10"), dec("4"), `{"$numberDecimal":"2.5"}`},
		{dec("2.00"), int32(1), `{"$numberDecimal":"2.00"}`},
		{dec("-2"), dec("3"), `{"$numberDecimal":"-0.6666666666666666666666666666666667"}`},
	}
	for _, tt := range divTests {
		v, err := divide(tt.a, tt.b)
		if err != nil || js(v) != tt.want {
			t.Errorf("%s / %s = %s, %v; want %s", js(tt.a), js(tt.b), js(v), err, tt.want)
		}
	}
	if _, err := divide(int32(1), dec("0")); err == nil {
		t.Error("division by decimal zero succeeded")
	}
}

// FuzzParseMessage checks that no input panics the message parser; run
// `go test -fuzz FuzzParseMessage` to explore beyond the seeds.
func FuzzParseMessage(f *testing.F) {
	f.Add(opMsgBytes(0, bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}}, false))
	f.Add(opMsgBytes(flagChecksum, bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.D{{Key: "a", Value: bson.A{1, "x", bson.D{}}}}}}, true))
	f.Add(opMsgBytes(0, nested(50), false))
	cws, _ := bson.Marshal(bson.D{{Key: "c", Value: bson.CodeWithScope{Code: "x", Scope: bson.D{{Key: "a", Value: 1}}}}, {Key: "r", Value: bson.Regex{Pattern: "a", Options: "i"}}, {Key: "p", Value: bson.DBPointer{DB: "x"}}})
	f.Add(append(appendHeader(nil, 21+len(cws), 1, 0, opMsg), append([]byte{0, 0, 0, 0, 0}, cws...)...))
	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) < 16 {
			return
		}
		binary.LittleEndian.PutUint32(msg, uint32(len(msg)))
		if req, err := parseOpMsg(msg); err == nil {
			_, _ = bson.Marshal(req.cmd)
		}
		_, _, _ = parseOpQuery(msg)
	})
}
