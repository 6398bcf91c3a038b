package mongofake

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// load converts and stores the seed; errors name db.collection[i].path.
func (s *Server) load(seed Seed) error {
	for _, db := range sortedKeys(seed) {
		for _, name := range sortedKeys(seed[db]) {
			s.coll(db, name, true)
			for i, raw := range seed[db][name] {
				where := fmt.Sprintf("%s.%s[%d]", db, name, i)
				v, err := convertSeed(raw, where, 0)
				if err != nil {
					return err
				}
				d, ok := v.(bson.D)
				if !ok {
					return fmt.Errorf("mongofake: seed %s: a document must be an object, not %s", where, typeName(v))
				}
				if _, err := s.insertDoc(db, name, d); err != nil {
					return fmt.Errorf("mongofake: seed %s: %v", where, err)
				}
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func seedErr(where, format string, args ...any) error {
	return fmt.Errorf("mongofake: seed %s: %s", where, fmt.Sprintf(format, args...))
}

// convertSeed turns decoded YAML/JSON into BSON values. Maps lose their
// key order when decoded, so their keys are sorted (with _id first).
func convertSeed(v any, where string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, seedErr(where, "nested deeper than %d levels", maxDepth)
	}
	switch x := v.(type) {
	case nil:
		return nil, nil
	case bool, string, float64, int32, int64,
		bson.ObjectID, bson.DateTime, bson.Decimal128, bson.Binary, bson.Regex,
		bson.Timestamp, bson.MinKey, bson.MaxKey, bson.Null:
		return v, nil
	case float32:
		return float64(x), nil
	case int:
		return intSeed(int64(x)), nil
	case int8:
		return int32(x), nil
	case int16:
		return int32(x), nil
	case uint8:
		return int32(x), nil
	case uint16:
		return int32(x), nil
	case uint32:
		return intSeed(int64(x)), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return nil, seedErr(where, "integer %d does not fit in a 64-bit BSON long", x)
		}
		return intSeed(int64(x)), nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, seedErr(where, "integer %d does not fit in a 64-bit BSON long", x)
		}
		return intSeed(int64(x)), nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return intSeed(i), nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, seedErr(where, "bad number %q", x)
		}
		return f, nil
	case time.Time:
		return bson.NewDateTimeFromTime(x), nil
	case []any:
		return convertSeedArray(x, where, depth)
	case bson.A:
		return convertSeedArray(x, where, depth)
	case []map[string]any:
		arr := make([]any, len(x))
		for i, m := range x {
			arr[i] = m
		}
		return convertSeedArray(arr, where, depth)
	case map[string]any:
		return convertSeedMap(x, where, depth)
	case bson.M:
		return convertSeedMap(x, where, depth)
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, v := range x {
			ks, ok := k.(string)
			if !ok {
				return nil, seedErr(where, "object key %v is not a string", k)
			}
			m[ks] = v
		}
		return convertSeedMap(m, where, depth)
	case bson.D:
		out := make(bson.D, 0, len(x))
		for _, e := range x {
			cv, err := convertSeed(e.Value, where+"."+e.Key, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, bson.E{Key: e.Key, Value: cv})
		}
		return out, nil
	}
	return nil, seedErr(where, "unsupported value of Go type %T", v)
}

func intSeed(i int64) any {
	if i >= math.MinInt32 && i <= math.MaxInt32 {
		return int32(i)
	}
	return i
}

func convertSeedArray(x []any, where string, depth int) (any, error) {
	out := make(bson.A, len(x))
	for i, e := range x {
		cv, err := convertSeed(e, fmt.Sprintf("%s.%d", where, i), depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = cv
	}
	return out, nil
}

func convertSeedMap(m map[string]any, where string, depth int) (any, error) {
	if len(m) == 1 {
		for k, v := range m {
			if strings.HasPrefix(k, "$") {
				return extendedJSON(k, v, where+"."+k)
			}
		}
	}
	keys := sortedKeys(m)
	if i := slices.Index(keys, "_id"); i > 0 {
		keys = append([]string{"_id"}, slices.Delete(keys, i, i+1)...)
	}
	out := make(bson.D, 0, len(m))
	for _, k := range keys {
		if strings.HasPrefix(k, "$") {
			return nil, seedErr(where+"."+k, "field names starting with '$' are not extended JSON here (an extended JSON value must be the only key of its object)")
		}
		cv, err := convertSeed(m[k], where+"."+k, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, bson.E{Key: k, Value: cv})
	}
	return out, nil
}

// extendedJSON converts {"$type": value} objects (MongoDB extended JSON v2).
func extendedJSON(key string, v any, where string) (any, error) {
	str := func() (string, error) {
		s, ok := v.(string)
		if !ok {
			return "", seedErr(where, "%s needs a string, not %T", key, v)
		}
		return s, nil
	}
	switch key {
	case "$oid":
		s, err := str()
		if err != nil {
			return nil, err
		}
		id, err := bson.ObjectIDFromHex(s)
		if err != nil {
			return nil, seedErr(where, "$oid needs 24 hex digits, not %q", s)
		}
		return id, nil
	case "$date":
		return seedDate(v, where)
	case "$numberLong", "$numberInt":
		s, err := str()
		if err != nil {
			return nil, err
		}
		bits := 64
		if key == "$numberInt" {
			bits = 32
		}
		i, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return nil, seedErr(where, "%s: bad integer %q", key, s)
		}
		if bits == 32 {
			return int32(i), nil
		}
		return i, nil
	case "$numberDouble":
		s, err := str()
		if err != nil {
			return nil, err
		}
		f, err := strconv.ParseFloat(strings.TrimSuffix(s, "inity"), 64)
		if err != nil {
			return nil, seedErr(where, "$numberDouble: bad number %q", s)
		}
		return f, nil
	case "$numberDecimal":
		s, err := str()
		if err != nil {
			return nil, err
		}
		d, err := bson.ParseDecimal128(s)
		if err != nil {
			return nil, seedErr(where, "$numberDecimal: bad decimal %q", s)
		}
		return d, nil
	case "$binary":
		m, ok := v.(map[string]any)
		if !ok {
			return nil, seedErr(where, "$binary needs {base64: ..., subType: ...}")
		}
		b64, _ := m["base64"].(string)
		st, _ := m["subType"].(string)
		data, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, seedErr(where, "$binary: bad base64")
		}
		sub, err := hex.DecodeString(st)
		if err != nil || len(sub) != 1 {
			return nil, seedErr(where, "$binary: subType must be one byte of hex, like \"00\"")
		}
		return bson.Binary{Subtype: sub[0], Data: data}, nil
	case "$minKey":
		return bson.MinKey{}, nil
	case "$maxKey":
		return bson.MaxKey{}, nil
	}
	return nil, seedErr(where, "unsupported extended JSON %s (supported: $oid, $date, $numberInt, $numberLong, $numberDouble, $numberDecimal, $binary, $minKey, $maxKey)", key)
}

func seedDate(v any, where string) (any, error) {
	switch x := v.(type) {
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return nil, seedErr(where, "$date needs an RFC 3339 time like 2024-01-02T03:04:05Z: %q", x)
		}
		return bson.NewDateTimeFromTime(t), nil
	case time.Time:
		return bson.NewDateTimeFromTime(x), nil
	case map[string]any:
		if s, ok := x["$numberLong"].(string); ok && len(x) == 1 {
			i, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, seedErr(where, "$date: bad $numberLong %q", s)
			}
			return bson.DateTime(i), nil
		}
	}
	n, err := convertSeed(v, where, 0)
	if err == nil {
		if i, ok := intValue(n); ok {
			return bson.DateTime(i), nil
		}
	}
	return nil, seedErr(where, "$date needs an RFC 3339 string or milliseconds since the epoch, not %T", v)
}
