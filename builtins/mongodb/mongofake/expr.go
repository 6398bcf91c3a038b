package mongofake

import (
	"math"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// expr is a compiled aggregation expression evaluated against $$ROOT.
type expr func(root bson.D) (any, error)

const maxValueBytes = 16 << 20

func compileExpr(v any) (expr, error) {
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, "$") {
			return compileFieldPath(x)
		}
	case bson.D:
		if len(x) > 0 && strings.HasPrefix(x[0].Key, "$") {
			if len(x) != 1 {
				return nil, errf(15983, "Location15983", "an expression specification must contain exactly one field, the name of the expression. Found %d fields", len(x))
			}
			return compileOperator(x[0].Key, x[0].Value)
		}
		return compileObjectExpr(x)
	case bson.A:
		items := make([]expr, len(x))
		for i, e := range x {
			c, err := compileExpr(e)
			if err != nil {
				return nil, err
			}
			items[i] = c
		}
		return func(root bson.D) (any, error) {
			out := make(bson.A, len(items))
			for i, it := range items {
				v, err := it(root)
				if err != nil {
					return nil, err
				}
				if v == missing {
					v = nil
				}
				out[i] = v
			}
			return out, nil
		}, nil
	}
	return func(bson.D) (any, error) { return v, nil }, nil
}

func compileFieldPath(s string) (expr, error) {
	if strings.HasPrefix(s, "$$") {
		name, rest, _ := strings.Cut(s[2:], ".")
		var parts []string
		if rest != "" {
			var err error
			if parts, err = splitPath(rest); err != nil {
				return nil, err
			}
		}
		switch name {
		case "ROOT", "CURRENT":
			return func(root bson.D) (any, error) { return fieldPathValue(root, parts), nil }, nil
		case "REMOVE":
			return func(bson.D) (any, error) { return missing, nil }, nil
		case "NOW":
			return func(bson.D) (any, error) {
				return fieldPathValue(bson.NewDateTimeFromTime(time.Now()), parts), nil
			}, nil
		}
		return nil, unsupported("aggregation variable $$%s", name)
	}
	parts, err := splitPath(s[1:])
	if err != nil {
		return nil, err
	}
	return func(root bson.D) (any, error) { return fieldPathValue(root, parts), nil }, nil
}

func compileObjectExpr(d bson.D) (expr, error) {
	keys := make([]string, len(d))
	vals := make([]expr, len(d))
	for i, e := range d {
		if strings.Contains(e.Key, ".") {
			return nil, errf(16412, "Location16412", "FieldPath field names may not contain '.': %q", e.Key)
		}
		if strings.HasPrefix(e.Key, "$") {
			return nil, errf(16410, "Location16410", "FieldPath field names may not start with '$': %q", e.Key)
		}
		c, err := compileExpr(e.Value)
		if err != nil {
			return nil, err
		}
		keys[i], vals[i] = e.Key, c
	}
	return func(root bson.D) (any, error) {
		out := make(bson.D, 0, len(keys))
		for i, k := range keys {
			v, err := vals[i](root)
			if err != nil {
				return nil, err
			}
			if v != missing {
				out = append(out, bson.E{Key: k, Value: v})
			}
		}
		return out, nil
	}, nil
}

func argList(v any) []any {
	if a, ok := v.(bson.A); ok {
		return a
	}
	return []any{v}
}

func compileArgs(name string, v any, minN, maxN int) ([]expr, error) {
	list := argList(v)
	if len(list) < minN || maxN >= 0 && len(list) > maxN {
		if minN == maxN {
			return nil, errf(16020, "Location16020", "Expression %s takes exactly %d arguments. %d were passed in.", name, minN, len(list))
		}
		return nil, errf(16020, "Location16020", "Expression %s takes at least %d arguments, and at most %d. %d were passed in.", name, minN, maxN, len(list))
	}
	out := make([]expr, len(list))
	for i, a := range list {
		c, err := compileExpr(a)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

func evalAll(args []expr, root bson.D) ([]any, error) {
	out := make([]any, len(args))
	for i, a := range args {
		v, err := a(root)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// opFunc computes an operator from its evaluated arguments.
type opFunc func(vals []any) (any, error)

var exprOps = map[string]struct {
	minN, maxN int
	f          opFunc
}{
	"$add":          {0, -1, exprAdd},
	"$subtract":     {2, 2, exprSubtract},
	"$multiply":     {0, -1, exprMultiply},
	"$divide":       {2, 2, exprDivide},
	"$mod":          {2, 2, exprMod},
	"$abs":          {1, 1, exprAbs},
	"$concat":       {0, -1, exprConcat},
	"$eq":           {2, 2, cmpOp(func(c int) bool { return c == 0 })},
	"$ne":           {2, 2, cmpOp(func(c int) bool { return c != 0 })},
	"$gt":           {2, 2, cmpOp(func(c int) bool { return c > 0 })},
	"$gte":          {2, 2, cmpOp(func(c int) bool { return c >= 0 })},
	"$lt":           {2, 2, cmpOp(func(c int) bool { return c < 0 })},
	"$lte":          {2, 2, cmpOp(func(c int) bool { return c <= 0 })},
	"$cmp":          {2, 2, func(v []any) (any, error) { return int32(compareValues(v[0], v[1])), nil }},
	"$ifNull":       {2, -1, exprIfNull},
	"$size":         {1, 1, exprSize},
	"$toLower":      {1, 1, caseOp(false)},
	"$toUpper":      {1, 1, caseOp(true)},
	"$not":          {1, 1, func(v []any) (any, error) { return !truthy(v[0]), nil }},
	"$in":           {2, 2, exprIn},
	"$arrayElemAt":  {2, 2, exprArrayElemAt},
	"$concatArrays": {0, -1, exprConcatArrays},
}

func compileOperator(name string, arg any) (expr, error) {
	switch name {
	case "$literal":
		return func(bson.D) (any, error) { return arg, nil }, nil
	case "$cond":
		return compileCond(arg)
	case "$and", "$or":
		args, err := compileArgs(name, arg, 0, -1)
		if err != nil {
			return nil, err
		}
		want := name == "$or"
		return func(root bson.D) (any, error) {
			// Short-circuits like MongoDB: $and stops at false, $or at true.
			for _, a := range args {
				v, err := a(root)
				if err != nil {
					return nil, err
				}
				if truthy(v) == want {
					return want, nil
				}
			}
			return !want, nil
		}, nil
	}
	op, ok := exprOps[name]
	if !ok {
		return nil, unsupported("aggregation expression operator %s", name)
	}
	args, err := compileArgs(name, arg, op.minN, op.maxN)
	if err != nil {
		return nil, err
	}
	return func(root bson.D) (any, error) {
		vals, err := evalAll(args, root)
		if err != nil {
			return nil, err
		}
		return op.f(vals)
	}, nil
}

func compileCond(arg any) (expr, error) {
	var parts [3]any
	switch x := arg.(type) {
	case bson.A:
		if len(x) != 3 {
			return nil, errf(16020, "Location16020", "Expression $cond takes exactly 3 arguments. %d were passed in.", len(x))
		}
		copy(parts[:], x)
	case bson.D:
		for _, e := range x {
			switch e.Key {
			case "if":
				parts[0] = e.Value
			case "then":
				parts[1] = e.Value
			case "else":
				parts[2] = e.Value
			default:
				return nil, errf(17083, "Location17083", "Unrecognized parameter to $cond: %s", e.Key)
			}
		}
		if _, ok := lookupField(x, "if"); !ok {
			return nil, errf(17080, "Location17080", "Missing 'if' parameter to $cond")
		}
		if _, ok := lookupField(x, "then"); !ok {
			return nil, errf(17081, "Location17081", "Missing 'then' parameter to $cond")
		}
		if _, ok := lookupField(x, "else"); !ok {
			return nil, errf(17082, "Location17082", "Missing 'else' parameter to $cond")
		}
	default:
		return nil, errf(16020, "Location16020", "Expression $cond takes exactly 3 arguments. 1 were passed in.")
	}
	var c [3]expr
	for i, p := range parts {
		e, err := compileExpr(p)
		if err != nil {
			return nil, err
		}
		c[i] = e
	}
	return func(root bson.D) (any, error) {
		v, err := c[0](root)
		if err != nil {
			return nil, err
		}
		if truthy(v) {
			return c[1](root)
		}
		return c[2](root)
	}, nil
}

func anyNullish(vals []any) bool {
	for _, v := range vals {
		if isNullish(v) {
			return true
		}
	}
	return false
}

func exprAdd(vals []any) (any, error) {
	if anyNullish(vals) {
		return nil, nil
	}
	var sum any = int32(0)
	var date *bson.DateTime
	for _, v := range vals {
		switch x := v.(type) {
		case bson.DateTime:
			if date != nil {
				return nil, errf(16612, "Location16612", "only one date allowed in an $add expression")
			}
			date = &x
		default:
			if !isNumber(v) {
				return nil, typeMismatch("$add only supports numeric or date types, not %s", typeName(v))
			}
			sum = arith(opAdd, sum, v)
		}
	}
	if date != nil {
		return bson.DateTime(int64(*date) + int64(math.Round(asFloat(sum)))), nil
	}
	return sum, nil
}

func exprSubtract(v []any) (any, error) {
	if anyNullish(v) {
		return nil, nil
	}
	a, b := v[0], v[1]
	switch x := a.(type) {
	case bson.DateTime:
		if y, ok := b.(bson.DateTime); ok {
			return int64(x) - int64(y), nil
		}
		if isNumber(b) {
			return bson.DateTime(int64(x) - int64(math.Round(asFloat(b)))), nil
		}
	default:
		if isNumber(a) && isNumber(b) {
			return arith(opSub, a, b), nil
		}
	}
	return nil, typeMismatch("can't $subtract %s from %s", typeName(b), typeName(a))
}

func exprMultiply(vals []any) (any, error) {
	if anyNullish(vals) {
		return nil, nil
	}
	var prod any = int32(1)
	for _, v := range vals {
		if !isNumber(v) {
			return nil, typeMismatch("$multiply only supports numeric types, not %s", typeName(v))
		}
		prod = arith(opMul, prod, v)
	}
	return prod, nil
}

func exprDivide(v []any) (any, error) {
	if anyNullish(v) {
		return nil, nil
	}
	if !isNumber(v[0]) || !isNumber(v[1]) {
		return nil, typeMismatch("$divide only supports numeric types, not %s and %s", typeName(v[0]), typeName(v[1]))
	}
	return divide(v[0], v[1])
}

func exprMod(v []any) (any, error) {
	if anyNullish(v) {
		return nil, nil
	}
	if !isNumber(v[0]) || !isNumber(v[1]) {
		return nil, typeMismatch("$mod only supports numeric types, not %s and %s", typeName(v[0]), typeName(v[1]))
	}
	if compareNumbers(v[1], int32(0)) == 0 {
		return nil, badValue("can't $mod by zero")
	}
	k := max(kindOf(v[0]), kindOf(v[1]))
	if k <= kInt64 {
		a, _ := asInt64(v[0])
		b, _ := asInt64(v[1])
		if b == -1 {
			return narrow(0, k), nil
		}
		return narrow(a%b, k), nil
	}
	r := math.Mod(asFloat(v[0]), asFloat(v[1]))
	if k == kDecimal {
		return floatToDecimal(r), nil
	}
	return r, nil
}

func narrow(i int64, k numKind) any {
	if k == kInt32 && i >= math.MinInt32 && i <= math.MaxInt32 {
		return int32(i)
	}
	return i
}

func exprAbs(v []any) (any, error) {
	if isNullish(v[0]) {
		return nil, nil
	}
	switch x := v[0].(type) {
	case int32:
		if x == math.MinInt32 {
			return -int64(x), nil
		}
		return int32(math.Abs(float64(x))), nil
	case int64:
		if x == math.MinInt64 {
			return math.Abs(float64(x)), nil
		}
		if x < 0 {
			return -x, nil
		}
		return x, nil
	case float64:
		return math.Abs(x), nil
	case bson.Decimal128:
		if compareNumbers(x, int32(0)) < 0 {
			return arith(opMul, x, int32(-1)), nil
		}
		return x, nil
	}
	return nil, typeMismatch("$abs only supports numeric types, not %s", typeName(v[0]))
}

func exprConcat(vals []any) (any, error) {
	var b strings.Builder
	for _, v := range vals {
		if isNullish(v) {
			return nil, nil
		}
		s, ok := v.(string)
		if !ok {
			return nil, errf(16702, "Location16702", "$concat only supports strings, not %s", typeName(v))
		}
		if b.Len()+len(s) > maxValueBytes {
			return nil, errf(10334, "BSONObjectTooLarge", "$concat result is larger than 16 MiB")
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func cmpOp(f func(int) bool) opFunc {
	return func(v []any) (any, error) { return f(compareValues(v[0], v[1])), nil }
}

func exprIfNull(vals []any) (any, error) {
	for _, v := range vals[:len(vals)-1] {
		if !isNullish(v) {
			return v, nil
		}
	}
	return vals[len(vals)-1], nil
}

func exprSize(v []any) (any, error) {
	a, ok := v[0].(bson.A)
	if !ok {
		return nil, errf(17124, "Location17124", "The argument to $size must be an array. Type of argument is %s", typeName(v[0]))
	}
	return int32(len(a)), nil
}

// caseOp is $toLower/$toUpper, which MongoDB defines for ASCII only.
func caseOp(upper bool) opFunc {
	return func(v []any) (any, error) {
		var s string
		switch x := v[0].(type) {
		case nil, bson.Null, bson.Undefined, missingT:
			return "", nil
		case string:
			s = x
		case bson.Symbol:
			s = string(x)
		case int32:
			s = strconv.FormatInt(int64(x), 10)
		case int64:
			s = strconv.FormatInt(x, 10)
		case float64:
			s = strconv.FormatFloat(x, 'g', -1, 64)
		case bson.Decimal128:
			s = x.String()
		default:
			return nil, errf(16007, "Location16007", "can't convert from BSON type %s to String", typeName(v[0]))
		}
		b := []byte(s)
		for i, c := range b {
			if upper && c >= 'a' && c <= 'z' {
				b[i] = c - 32
			} else if !upper && c >= 'A' && c <= 'Z' {
				b[i] = c + 32
			}
		}
		return string(b), nil
	}
}

func exprIn(v []any) (any, error) {
	a, ok := v[1].(bson.A)
	if !ok {
		return nil, errf(40081, "Location40081", "$in requires an array as a second argument, found: %s", typeName(v[1]))
	}
	for _, e := range a {
		if valuesEqual(v[0], e) {
			return true, nil
		}
	}
	return false, nil
}

func exprArrayElemAt(v []any) (any, error) {
	if anyNullish(v) {
		return nil, nil
	}
	a, ok := v[0].(bson.A)
	if !ok {
		return nil, errf(28689, "Location28689", "$arrayElemAt's first argument must be an array, but is %s", typeName(v[0]))
	}
	i, ok := intValue(v[1])
	if !ok {
		return nil, errf(28691, "Location28691", "$arrayElemAt's second argument must be a numeric value, but is %s", typeName(v[1]))
	}
	if i < 0 {
		i += int64(len(a))
	}
	if i < 0 || i >= int64(len(a)) {
		return missing, nil
	}
	return a[i], nil
}

func exprConcatArrays(vals []any) (any, error) {
	out := bson.A{}
	for _, v := range vals {
		if isNullish(v) {
			return nil, nil
		}
		a, ok := v.(bson.A)
		if !ok {
			return nil, errf(28664, "Location28664", "$concatArrays only supports arrays, not %s", typeName(v))
		}
		if len(out)+len(a) > maxArrayPad {
			return nil, errf(10334, "BSONObjectTooLarge", "$concatArrays result is too large")
		}
		out = append(out, a...)
	}
	return out, nil
}
