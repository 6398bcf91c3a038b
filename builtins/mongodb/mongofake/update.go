package mongofake

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// update is a compiled update: a replacement document or operators.
type update struct {
	replacement bson.D
	isReplace   bool
	ops         []updateOp
}

type updateOp struct {
	op    string
	path  string
	parts []string
	arg   any
	to    []string // $rename target
	// $push/$addToSet
	each     bson.A
	position *int64
	slice    *int64
	sortKeys []sortKey
	sortDir  int // $sort: 1/-1 on the elements themselves
	// $pull
	pull func(any) bool
}

var updateOperators = map[string]bool{
	"$set": true, "$unset": true, "$inc": true, "$mul": true, "$min": true, "$max": true,
	"$push": true, "$addToSet": true, "$pull": true, "$pullAll": true, "$pop": true,
	"$rename": true, "$setOnInsert": true, "$currentDate": true,
}

func compileUpdate(u any) (*update, error) {
	switch x := u.(type) {
	case bson.A:
		return nil, unsupported("pipeline-style updates (an array of stages as the update)")
	case bson.D:
		if len(x) == 0 || !strings.HasPrefix(x[0].Key, "$") {
			for _, e := range x {
				if strings.HasPrefix(e.Key, "$") {
					return nil, badValue("The dollar ($) prefixed field '%s' in '%s' is not allowed in the context of an update's replacement document.", e.Key, e.Key)
				}
			}
			return &update{replacement: x, isReplace: true}, nil
		}
		return compileOperators(x)
	}
	return nil, errf(9, "FailedToParse", "Update argument must be either an object or an array")
}

func compileOperators(u bson.D) (*update, error) {
	up := &update{}
	for _, e := range u {
		if !updateOperators[e.Key] {
			switch e.Key {
			case "$bit":
				return nil, unsupported("update operator %s", e.Key)
			}
			return nil, errf(9, "FailedToParse", "Unknown modifier: %s. Expected a valid update modifier or pipeline-style update specified as an array", e.Key)
		}
		fields, ok := e.Value.(bson.D)
		if !ok {
			return nil, errf(9, "FailedToParse", "Modifiers operate on fields but we found type %s instead. For example: {$mod: {<field>: ...}} not {%s: ...}", typeName(e.Value), e.Key)
		}
		for _, f := range fields {
			op, err := compileUpdateOp(e.Key, f.Key, f.Value)
			if err != nil {
				return nil, err
			}
			up.ops = append(up.ops, op)
		}
	}
	if err := checkConflicts(up.ops); err != nil {
		return nil, err
	}
	// MongoDB 5.0+ applies updates in field-name order, which decides the
	// order of newly created fields.
	slices.SortStableFunc(up.ops, func(a, b updateOp) int { return comparePaths(a.parts, b.parts) })
	return up, nil
}

func comparePaths(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ai, aok := arrayIndex(a[i])
		bi, bok := arrayIndex(b[i])
		if aok && bok {
			if c := cmpInt(ai, bi); c != 0 {
				return c
			}
			continue
		}
		if c := strings.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmpInt(len(a), len(b))
}

func checkConflicts(ops []updateOp) error {
	var paths [][]string
	for _, op := range ops {
		paths = append(paths, op.parts)
		if op.to != nil {
			paths = append(paths, op.to)
		}
	}
	slices.SortFunc(paths, comparePaths)
	for i := 1; i < len(paths); i++ {
		a, b := paths[i-1], paths[i]
		if len(a) <= len(b) && slices.Equal(a, b[:len(a)]) {
			return errf(40, "ConflictingUpdateOperators", "Updating the path '%s' would create a conflict at '%s'", strings.Join(b, "."), strings.Join(a, "."))
		}
	}
	return nil
}

func compileUpdateOp(op, path string, arg any) (updateOp, error) {
	if strings.Contains(path, "$") {
		return updateOp{}, unsupported("positional update path %q ($, $[] and arrayFilters)", path)
	}
	parts, err := splitPath(path)
	if err != nil {
		return updateOp{}, err
	}
	u := updateOp{op: op, path: path, parts: parts, arg: arg}
	switch op {
	case "$inc", "$mul":
		if !isNumber(arg) {
			verb := "increment"
			if op == "$mul" {
				verb = "multiply"
			}
			return u, typeMismatch("Cannot %s with non-numeric argument: {%s: %s}", verb, path, shortValue(arg))
		}
	case "$rename":
		s, ok := arg.(string)
		if !ok {
			return u, badValue("The 'to' field for $rename must be a string: %s: %s", path, shortValue(arg))
		}
		if s == path {
			return u, badValue("The source and target field for $rename must differ: %s: %q", path, s)
		}
		to, err := splitPath(s)
		if err != nil {
			return u, err
		}
		u.to = to
	case "$currentDate":
		switch x := arg.(type) {
		case bool:
		case bson.D:
			t, _ := lookupField(x, "$type")
			if len(x) != 1 || (t != "date" && t != "timestamp") {
				return u, badValue("The '$type' string field is required to be 'date' or 'timestamp': {$currentDate: {field : {$type: 'date'}}}")
			}
		default:
			return u, badValue("%s is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'}).", typeName(arg))
		}
	case "$push", "$addToSet":
		if err := compileEach(&u); err != nil {
			return u, err
		}
	case "$pull":
		t, err := pullTester(arg)
		if err != nil {
			return u, err
		}
		u.pull = t
	case "$pullAll":
		a, ok := arg.(bson.A)
		if !ok {
			return u, badValue("$pullAll requires an array argument but was given a %s", typeName(arg))
		}
		u.pull = func(e any) bool {
			for _, x := range a {
				if valuesEqual(e, x) {
					return true
				}
			}
			return false
		}
	case "$pop":
		n, ok := intValue(arg)
		if !ok || n != 1 && n != -1 {
			return u, errf(9, "FailedToParse", "$pop expects 1 or -1, found: %s", shortValue(arg))
		}
	}
	return u, nil
}

func compileEach(u *updateOp) error {
	d, ok := u.arg.(bson.D)
	if !ok || len(d) == 0 || d[0].Key != "$each" {
		u.each = bson.A{u.arg}
		return nil
	}
	for _, e := range d {
		switch e.Key {
		case "$each":
			a, ok := e.Value.(bson.A)
			if !ok {
				return badValue("The argument to $each in %s must be an array but it was of type: %s", u.op, typeName(e.Value))
			}
			u.each = a
		case "$position", "$slice":
			if u.op != "$push" {
				return badValue("Found unexpected fields after $each in $addToSet: %s", shortValue(d))
			}
			n, ok := intValue(e.Value)
			if !ok {
				return badValue("The value for %s must be an integer value but was given type: %s", e.Key, typeName(e.Value))
			}
			if e.Key == "$position" {
				u.position = &n
			} else {
				u.slice = &n
			}
		case "$sort":
			if u.op != "$push" {
				return badValue("Found unexpected fields after $each in $addToSet: %s", shortValue(d))
			}
			if sd, ok := e.Value.(bson.D); ok {
				keys, err := compileSort(sd)
				if err != nil {
					return err
				}
				if len(keys) == 0 {
					return badValue("The $sort pattern is empty when it should be a set of fields.")
				}
				u.sortKeys = keys
				continue
			}
			n, ok := intValue(e.Value)
			if !ok || n != 1 && n != -1 {
				return badValue("The $sort element value must be either 1 or -1")
			}
			u.sortDir = int(n)
		default:
			return badValue("Unrecognized clause in $push: %s", e.Key)
		}
	}
	return nil
}

// pullTester matches array elements for $pull: a condition document is a
// query on each element, anything else is equality.
func pullTester(arg any) (func(any) bool, error) {
	if ops, ok := isOperatorDoc(arg); ok && !isLogical(ops[0].Key) {
		p, err := compileOps(ops)
		if err != nil {
			return nil, err
		}
		return func(e any) bool { return p(pathResult{vals: []any{e}}) }, nil
	}
	if d, ok := arg.(bson.D); ok {
		m, err := compileFilter(d)
		if err != nil {
			return nil, err
		}
		return func(e any) bool {
			ed, ok := e.(bson.D)
			return ok && m(ed)
		}, nil
	}
	return func(e any) bool { return valuesEqual(e, arg) }, nil
}

// apply updates doc (a private copy) and returns the result.
func (u *update) apply(doc bson.D, inserting bool) (bson.D, error) {
	origID, hadID := lookupField(doc, "_id")
	if u.isReplace {
		out := copyDoc(u.replacement)
		if hadID {
			if id, ok := lookupField(out, "_id"); ok && !valuesEqual(id, origID) {
				return nil, immutableID()
			}
			out = withIDFirst(out, origID)
		}
		return out, nil
	}
	var cur any = doc
	var err error
	for i := range u.ops {
		if cur, err = u.ops[i].apply(cur, inserting); err != nil {
			return nil, err
		}
	}
	out := cur.(bson.D)
	if hadID {
		if id, ok := lookupField(out, "_id"); !ok || compareValues(id, origID) != 0 || typeName(id) != typeName(origID) {
			return nil, immutableID()
		}
	}
	return out, nil
}

func immutableID() error {
	return errf(66, "ImmutableField", "Performing an update on the path '_id' would modify the immutable field '_id'")
}

func withIDFirst(d bson.D, id any) bson.D {
	if i := fieldIndex(d, "_id"); i >= 0 {
		d = append(d[:i:i], d[i+1:]...)
	}
	return append(bson.D{{Key: "_id", Value: id}}, d...)
}

func (op *updateOp) apply(doc any, inserting bool) (any, error) {
	curVal, exists := getPath(doc, op.parts)
	set := func(v any) (any, error) { return setPath(doc, op.parts, v) }
	switch op.op {
	case "$set":
		return set(copyValue(op.arg))
	case "$setOnInsert":
		if inserting {
			return set(copyValue(op.arg))
		}
		return doc, nil
	case "$unset":
		return unsetPath(doc, op.parts), nil
	case "$inc", "$mul":
		if !exists {
			if op.op == "$mul" {
				return set(arith(opMul, int32(0), op.arg))
			}
			return set(op.arg)
		}
		if !isNumber(curVal) {
			return nil, typeMismatch("Cannot apply %s to a value of non-numeric type. The field '%s' has a value of non-numeric type %s", op.op, op.path, typeName(curVal))
		}
		aop := opAdd
		if op.op == "$mul" {
			aop = opMul
		}
		r, ok := updateArith(aop, curVal, op.arg)
		if !ok {
			root, _ := doc.(bson.D)
			id, _ := lookupField(root, "_id")
			return nil, badValue("Failed to apply %s operations to current value (%s) for document {_id: %s}", op.op, debugNumber(curVal), valueJSON(id))
		}
		return set(r)
	case "$min", "$max":
		c := compareValues(op.arg, curVal)
		if !exists || op.op == "$min" && c < 0 || op.op == "$max" && c > 0 {
			return set(copyValue(op.arg))
		}
		return doc, nil
	case "$currentDate":
		now := time.Now()
		if d, ok := op.arg.(bson.D); ok && d[0].Value == "timestamp" {
			return set(bson.Timestamp{T: uint32(now.Unix()), I: 1})
		}
		return set(bson.NewDateTimeFromTime(now))
	case "$rename":
		if !exists {
			return doc, nil
		}
		doc = unsetPath(doc, op.parts)
		return setPath(doc, op.to, curVal)
	}
	// Array operators.
	var arr bson.A
	if exists {
		a, ok := curVal.(bson.A)
		if !ok {
			return nil, badValue("The field '%s' must be an array but is of type %s", op.path, typeName(curVal))
		}
		arr = append(bson.A{}, a...)
	} else if op.op != "$push" && op.op != "$addToSet" {
		return doc, nil
	}
	switch op.op {
	case "$push":
		arr = op.push(arr)
	case "$addToSet":
		if arr == nil {
			arr = bson.A{}
		}
		for _, v := range op.each {
			if !slices.ContainsFunc(arr, func(e any) bool { return valuesEqual(e, v) }) {
				arr = append(arr, copyValue(v))
			}
		}
	case "$pull", "$pullAll":
		arr = slices.DeleteFunc(arr, op.pull)
	case "$pop":
		if len(arr) > 0 {
			if n, _ := intValue(op.arg); n == 1 {
				arr = arr[:len(arr)-1]
			} else {
				arr = arr[1:]
			}
		}
	}
	if len(arr) > maxArrayPad {
		return nil, badValue("array %q is too large for the Kubus fixture server", op.path)
	}
	return set(arr)
}

func (op *updateOp) push(arr bson.A) bson.A {
	if arr == nil {
		arr = bson.A{}
	}
	items := make(bson.A, len(op.each))
	for i, v := range op.each {
		items[i] = copyValue(v)
	}
	pos := int64(len(arr))
	if op.position != nil {
		pos = *op.position
		if pos < 0 {
			pos = max(int64(len(arr))+pos, 0)
		}
		pos = min(pos, int64(len(arr)))
	}
	arr = slices.Insert(arr, int(pos), items...)
	switch {
	case op.sortKeys != nil:
		slices.SortStableFunc(arr, func(a, b any) int {
			ad, _ := a.(bson.D)
			bd, _ := b.(bson.D)
			for _, k := range op.sortKeys {
				av, _ := getPath(ad, k.parts)
				bv, _ := getPath(bd, k.parts)
				c := compareValues(av, bv)
				if k.desc {
					c = -c
				}
				if c != 0 {
					return c
				}
			}
			return 0
		})
	case op.sortDir != 0:
		slices.SortStableFunc(arr, func(a, b any) int { return op.sortDir * compareValues(a, b) })
	}
	if op.slice != nil {
		n := *op.slice
		switch {
		case n >= 0 && n < int64(len(arr)):
			arr = arr[:n]
		case n < 0 && -n < int64(len(arr)):
			arr = arr[int64(len(arr))+n:]
		}
	}
	return arr
}

// upsertBase builds the document an upsert starts from: the equality
// conditions of the filter.
func upsertBase(filter bson.D) (bson.D, error) {
	var doc any = bson.D{}
	var add func(f bson.D) error
	add = func(f bson.D) error {
		for _, e := range f {
			if e.Key == "$and" {
				arr, _ := e.Value.(bson.A)
				for _, s := range arr {
					if sd, ok := s.(bson.D); ok {
						if err := add(sd); err != nil {
							return err
						}
					}
				}
				continue
			}
			if strings.HasPrefix(e.Key, "$") {
				continue
			}
			v := e.Value
			if ops, ok := isOperatorDoc(v); ok {
				found := false
				for _, op := range ops {
					if op.Key == "$eq" {
						v, found = op.Value, true
					}
					if a, ok := op.Value.(bson.A); ok && op.Key == "$in" && len(a) == 1 {
						v, found = a[0], true
					}
				}
				if !found {
					continue
				}
			} else if _, isRe := v.(bson.Regex); isRe {
				continue
			}
			parts, err := splitPath(e.Key)
			if err != nil {
				return err
			}
			if _, exists := getPath(doc, parts); exists {
				return errf(54, "NotSingleValueField", "cannot infer query fields to set, path '%s' is matched twice", e.Key)
			}
			if doc, err = setPath(doc, parts, copyValue(v)); err != nil {
				return errf(54, "NotSingleValueField", "cannot infer query fields to set, path '%s' is matched twice", e.Key)
			}
		}
		return nil
	}
	if err := add(filter); err != nil {
		return nil, err
	}
	return doc.(bson.D), nil
}

// updateArith is $inc and $mul arithmetic, which differs from the
// aggregation operators' in one way: where two integers overflow a long,
// MongoDB fails the update instead of turning to a double.
func updateArith(op arithOp, a, b any) (any, bool) {
	if k := max(kindOf(a), kindOf(b)); k == kInt32 || k == kInt64 {
		x, _ := asInt64(a)
		y, _ := asInt64(b)
		r, ok := intArith(op, x, y)
		if !ok {
			return nil, false
		}
		if k == kInt32 && r >= math.MinInt32 && r <= math.MaxInt32 {
			return int32(r), true
		}
		return r, true
	}
	return arith(op, a, b), true
}

// debugNumber renders a number as MongoDB's error messages do: (NumberLong)5.
func debugNumber(v any) string {
	switch x := v.(type) {
	case int32:
		return fmt.Sprintf("(NumberInt)%d", x)
	case int64:
		return fmt.Sprintf("(NumberLong)%d", x)
	case float64:
		return fmt.Sprintf("(NumberDouble)%v", x)
	case bson.Decimal128:
		return "(NumberDecimal)" + x.String()
	}
	return valueJSON(v)
}

// valueJSON renders one value as relaxed extended JSON.
func valueJSON(v any) string {
	b, err := bson.MarshalExtJSON(bson.D{{Key: "v", Value: v}}, false, false)
	if err != nil {
		return "?"
	}
	return string(b[len(`{"v":`) : len(b)-1])
}
