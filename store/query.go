package store

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Query semantics, in one place (the Query type in store.go says what the fields are):
//
//   - A filter key is a top-level property name, or one of the bookkeeping fields "_id",
//     "_createdAt", "_updatedAt". Property values are compared as JSON sees them: a filter value is
//     turned into its JSON shape first, so 30 (int) equals a stored 30 (float64), and a time.Time
//     becomes its RFC 3339 string.
//   - Equality: numbers as float64, strings, bools, arrays and objects by deep equality. A nil
//     value matches null and a missing property alike; $ne is its negation.
//   - $gt $gte $lt $lte order numbers numerically and strings lexically (byte order); a value of
//     another type, or a missing one, never matches. Date strings in one fixed format compare
//     chronologically because the format is big-endian: "2024-03-01" < "2024-11-30", and RFC 3339
//     timestamps in UTC ("Z") with the same number of fraction digits. Mixed formats, offsets or
//     fraction lengths do not compare chronologically as strings.
//   - "_createdAt" and "_updatedAt" are compared as times, not strings: their operands may be a
//     time.Time, an RFC 3339 string or a "YYYY-MM-DD" date (midnight UTC).
//   - $in takes a list; it matches when any element is equal.
//   - Any other "$..." operator is an error, as is an object mixing operators and plain keys.
//   - Sort keys are property names or bookkeeping fields, "-name" for descending. Records without
//     the property (or with null) come last in both directions; values of different types order
//     numbers < strings < bools < others. Ties keep id order, which is creation order.
//
// Every query is a full scan of its Kind for now: there are no secondary indexes. That is fine for
// the thousands of records a ruleset keeps; an index on the filtered properties is the next step
// when it is not.

// lazyRec is one candidate of a scan. A stored one starts as its raw bytes (valid only inside the
// View) and is decoded, in one pass, only when the filter looks past its id (the key); a buffered
// one is already a Record.
type lazyRec struct {
	id  string
	raw []byte
	rec *Record
}

// storedRecord is the envelope decoded with its props at once: one scan of the bytes instead of
// an envelope pass and a props pass.
type storedRecord struct {
	ID        string         `json:"id"`
	Rev       uint64         `json:"rev"`
	CreatedAt time.Time      `json:"createdAt"`
	UpdatedAt time.Time      `json:"updatedAt"`
	Props     map[string]any `json:"props"`
}

func (c *lazyRec) record() (*Record, error) {
	if c.rec == nil {
		var sr storedRecord
		if err := json.Unmarshal(c.raw, &sr); err != nil {
			return nil, fmt.Errorf("corrupt record: %w", err)
		}
		if sr.Props == nil {
			sr.Props = map[string]any{}
		}
		c.rec = &Record{ID: sr.ID, Rev: sr.Rev, CreatedAt: sr.CreatedAt, UpdatedAt: sr.UpdatedAt, Props: sr.Props}
	}
	return c.rec, nil
}

func (c *lazyRec) getProps() (map[string]any, error) {
	r, err := c.record()
	if err != nil {
		return nil, err
	}
	return r.Props, nil
}

func (c *lazyRec) times() (created, updated time.Time, err error) {
	r, err := c.record()
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return r.CreatedAt, r.UpdatedAt, nil
}

type fieldKind int

const (
	fieldProp fieldKind = iota
	fieldID
	fieldCreated
	fieldUpdated
)

func fieldKindOf(name string) fieldKind {
	switch name {
	case "_id":
		return fieldID
	case "_createdAt":
		return fieldCreated
	case "_updatedAt":
		return fieldUpdated
	}
	return fieldProp
}

// operand is one operator with its normalized value: JSON-shaped for properties and _id, times for
// _createdAt/_updatedAt.
type operand struct {
	op   string // "$eq" for plain equality
	val  any
	list []any
}

type cond struct {
	field string
	kind  fieldKind
	ops   []operand
}

type filter []cond

var knownOps = map[string]bool{"$gt": true, "$gte": true, "$lt": true, "$lte": true, "$ne": true, "$in": true}

// compileFilter checks the filter once, before any record is read, so that a bad operator is an
// error even on an empty collection, and normalizes its values.
func compileFilter(f map[string]any) (filter, error) {
	out := make(filter, 0, len(f))
	for field, c := range f {
		if field == "" {
			return nil, fmt.Errorf("store: filter: empty property name")
		}
		cd := cond{field: field, kind: fieldKindOf(field)}
		opsMap, isOps := operatorMap(c)
		if !isOps {
			v, err := normOperand(cd.kind, c)
			if err != nil {
				return nil, fmt.Errorf("store: filter %s: %w", field, err)
			}
			cd.ops = append(cd.ops, operand{op: "$eq", val: v})
		} else {
			for op, arg := range opsMap {
				if !strings.HasPrefix(op, "$") {
					return nil, fmt.Errorf("store: filter %s: %q mixed with operators (use only $gt $gte $lt $lte $ne $in, or a plain value)", field, op)
				}
				if !knownOps[op] {
					return nil, fmt.Errorf("store: filter %s: unknown operator %s (known: $gt $gte $lt $lte $ne $in)", field, op)
				}
				o := operand{op: op}
				if op == "$in" {
					rv := reflect.ValueOf(arg)
					if arg == nil || (rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array) {
						return nil, fmt.Errorf("store: filter %s: $in needs a list, got %T", field, arg)
					}
					for i := 0; i < rv.Len(); i++ {
						v, err := normOperand(cd.kind, rv.Index(i).Interface())
						if err != nil {
							return nil, fmt.Errorf("store: filter %s $in: %w", field, err)
						}
						o.list = append(o.list, v)
					}
				} else {
					v, err := normOperand(cd.kind, arg)
					if err != nil {
						return nil, fmt.Errorf("store: filter %s %s: %w", field, op, err)
					}
					if op != "$ne" {
						switch v.(type) {
						case float64, string, time.Time:
						default:
							return nil, fmt.Errorf("store: filter %s: %s needs a number, a string or a time, got %T", field, op, arg)
						}
					}
					o.val = v
				}
				cd.ops = append(cd.ops, o)
			}
		}
		out = append(out, cd)
	}
	return out, nil
}

// operatorMap says whether a condition is an operator object: a map with at least one "$" key.
// A map without any is a plain value, compared by deep equality.
func operatorMap(c any) (map[string]any, bool) {
	m, ok := c.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, false
	}
	for k := range m {
		if strings.HasPrefix(k, "$") {
			return m, true
		}
	}
	return nil, false
}

// normOperand brings a filter value to the shape stored values have.
func normOperand(kind fieldKind, v any) (any, error) {
	switch kind {
	case fieldCreated, fieldUpdated:
		return parseTime(v)
	case fieldID:
		if v == nil {
			return nil, nil
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("_id is a string, got %T", v)
		}
		return s, nil
	}
	return jsonShape(v)
}

func jsonShape(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string, float64:
		return x, nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case float32:
		return float64(x), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func parseTime(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		return x.UTC(), nil
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.UTC(), nil
		}
		if t, err := time.Parse(time.DateOnly, x); err == nil {
			return t, nil
		}
		return nil, fmt.Errorf("%q is neither an RFC 3339 time nor a YYYY-MM-DD date", x)
	}
	return nil, fmt.Errorf("a time is a time.Time or a string, got %T", v)
}

// value returns the value a condition or sort key looks at, and whether the record has one.
func fieldValue(c *lazyRec, kind fieldKind, field string) (any, bool, error) {
	switch kind {
	case fieldID:
		return c.id, true, nil
	case fieldCreated, fieldUpdated:
		cr, up, err := c.times()
		if err != nil {
			return nil, false, err
		}
		if kind == fieldCreated {
			return cr, true, nil
		}
		return up, true, nil
	}
	props, err := c.getProps()
	if err != nil {
		return nil, false, err
	}
	v, ok := props[field]
	return v, ok, nil
}

func (f filter) match(c *lazyRec) (bool, error) {
	for i := range f {
		cd := &f[i]
		v, present, err := fieldValue(c, cd.kind, cd.field)
		if err != nil {
			return false, err
		}
		for _, o := range cd.ops {
			if !o.holds(v, present) {
				return false, nil
			}
		}
	}
	return true, nil
}

func (o *operand) holds(v any, present bool) bool {
	switch o.op {
	case "$eq":
		return equal(v, present, o.val)
	case "$ne":
		return !equal(v, present, o.val)
	case "$in":
		for _, w := range o.list {
			if equal(v, present, w) {
				return true
			}
		}
		return false
	}
	if !present {
		return false
	}
	c, ok := compareSame(v, o.val)
	if !ok {
		return false
	}
	switch o.op {
	case "$gt":
		return c > 0
	case "$gte":
		return c >= 0
	case "$lt":
		return c < 0
	case "$lte":
		return c <= 0
	}
	return false
}

func equal(v any, present bool, want any) bool {
	if want == nil {
		return !present || v == nil
	}
	if !present {
		return false
	}
	if t, ok := want.(time.Time); ok {
		vt, ok := v.(time.Time)
		return ok && vt.Equal(t)
	}
	return reflect.DeepEqual(v, want)
}

// compareSame orders two values of the same ordered type; ok is false for anything else.
func compareSame(a, b any) (int, bool) {
	switch x := a.(type) {
	case float64:
		if y, ok := b.(float64); ok {
			return cmp.Compare(x, y), true
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y), true
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0, true
			case !x:
				return -1, true
			}
			return 1, true
		}
	}
	return 0, false
}

func typeRank(v any) int {
	switch v.(type) {
	case float64:
		return 0
	case string:
		return 1
	case bool:
		return 2
	case time.Time:
		return 3
	}
	return 4
}

type sortKey struct {
	field string
	kind  fieldKind
	desc  bool
}

type sorter []sortKey

func compileSort(keys []string) (sorter, error) {
	out := make(sorter, 0, len(keys))
	for _, k := range keys {
		desc := strings.HasPrefix(k, "-")
		name := strings.TrimPrefix(k, "-")
		if name == "" {
			return nil, fmt.Errorf("store: sort: empty property name in %q", k)
		}
		out = append(out, sortKey{field: name, kind: fieldKindOf(name), desc: desc})
	}
	return out, nil
}

// less orders by the sort keys only; the caller's stable sort over id order breaks ties.
func (s sorter) less(a, b *Record) bool {
	ra, rb := &lazyRec{id: a.ID, rec: a}, &lazyRec{id: b.ID, rec: b}
	for _, k := range s {
		va, oka, _ := fieldValue(ra, k.kind, k.field)
		vb, okb, _ := fieldValue(rb, k.kind, k.field)
		oka = oka && va != nil
		okb = okb && vb != nil
		switch {
		case !oka && !okb:
			continue
		case !oka:
			return false // missing last, whichever the direction
		case !okb:
			return true
		}
		c, ok := compareSame(va, vb)
		if !ok {
			c = cmp.Compare(typeRank(va), typeRank(vb))
		}
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c < 0
		}
	}
	return false
}
