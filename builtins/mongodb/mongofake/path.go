package mongofake

import (
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

const (
	// maxPathParts bounds dotted paths so a path cannot build a document
	// nested deeply enough to exhaust the stack when encoded.
	maxPathParts = 100
	// maxDepth is MongoDB's nesting limit for stored documents.
	maxDepth = 100
	// maxArrayPad bounds how far $set "a.N" may pad an array with nulls.
	maxArrayPad = 1_000_000
)

func splitPath(p string) ([]string, error) {
	if p == "" {
		return nil, badValue("FieldPath cannot be constructed with empty string")
	}
	parts := strings.Split(p, ".")
	if len(parts) > maxPathParts {
		return nil, badValue("FieldPath %q is too long", p)
	}
	for _, s := range parts {
		if s == "" {
			return nil, badValue("FieldPath field names may not be empty strings: %q", p)
		}
	}
	return parts, nil
}

func lookupField(d bson.D, key string) (any, bool) {
	for _, e := range d {
		if e.Key == key {
			return e.Value, true
		}
	}
	return nil, false
}

func fieldIndex(d bson.D, key string) int {
	for i, e := range d {
		if e.Key == key {
			return i
		}
	}
	return -1
}

// arrayIndex parses a path component used as an array index.
func arrayIndex(s string) (int, bool) {
	if s == "" || len(s) > 9 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// pathResult is what a query path reaches in a document: the values found
// and whether some branch of the path was missing (which null matches).
type pathResult struct {
	vals    []any
	missing bool
}

// queryValues walks a query path: through embedded documents, into arrays
// of documents implicitly, and into arrays by numeric index.
func queryValues(v any, parts []string) pathResult {
	var r pathResult
	walkQuery(v, parts, &r)
	return r
}

func walkQuery(v any, parts []string, r *pathResult) {
	if len(parts) == 0 {
		r.vals = append(r.vals, v)
		return
	}
	switch x := v.(type) {
	case bson.D:
		if fv, ok := lookupField(x, parts[0]); ok {
			walkQuery(fv, parts[1:], r)
		} else {
			r.missing = true
		}
	case bson.A:
		if idx, ok := arrayIndex(parts[0]); ok {
			if idx < len(x) {
				walkQuery(x[idx], parts[1:], r)
			} else {
				r.missing = true
			}
			return
		}
		if len(x) == 0 {
			r.missing = true
		}
		for _, e := range x {
			if d, ok := e.(bson.D); ok {
				walkQuery(d, parts, r)
			} else {
				r.missing = true
			}
		}
	default:
		r.missing = true
	}
}

// getPath follows a path through documents and array indexes only.
func getPath(v any, parts []string) (any, bool) {
	for _, p := range parts {
		switch x := v.(type) {
		case bson.D:
			fv, ok := lookupField(x, p)
			if !ok {
				return nil, false
			}
			v = fv
		case bson.A:
			idx, ok := arrayIndex(p)
			if !ok || idx >= len(x) {
				return nil, false
			}
			v = x[idx]
		default:
			return nil, false
		}
	}
	return v, true
}

// setPath sets the value at parts, creating embedded documents as needed,
// and returns the updated container (documents are modified in place).
func setPath(v any, parts []string, val any) (any, error) {
	switch x := v.(type) {
	case bson.D:
		i := fieldIndex(x, parts[0])
		if len(parts) == 1 {
			if i >= 0 {
				x[i].Value = val
				return x, nil
			}
			return append(x, bson.E{Key: parts[0], Value: val}), nil
		}
		if i < 0 {
			nv, err := setPath(bson.D{}, parts[1:], val)
			if err != nil {
				return nil, err
			}
			return append(x, bson.E{Key: parts[0], Value: nv}), nil
		}
		nv, err := setPath(x[i].Value, parts[1:], val)
		if err != nil {
			return nil, err
		}
		x[i].Value = nv
		return x, nil
	case bson.A:
		idx, ok := arrayIndex(parts[0])
		if !ok {
			return nil, errf(28, "PathNotViable", "Cannot create field '%s' in element {%s}", parts[0], shortValue(x))
		}
		if idx >= len(x) {
			if idx > maxArrayPad {
				return nil, badValue("array index %d is too large for the Kubus fixture server", idx)
			}
			for len(x) <= idx {
				x = append(x, nil)
			}
			if len(parts) > 1 {
				x[idx] = bson.D{}
			}
		}
		if len(parts) == 1 {
			x[idx] = val
			return x, nil
		}
		nv, err := setPath(x[idx], parts[1:], val)
		if err != nil {
			return nil, err
		}
		x[idx] = nv
		return x, nil
	}
	return nil, errf(28, "PathNotViable", "Cannot create field '%s' in element {%s}", parts[0], shortValue(v))
}

// unsetPath removes the field at parts; an array element becomes null.
func unsetPath(v any, parts []string) any {
	switch x := v.(type) {
	case bson.D:
		i := fieldIndex(x, parts[0])
		if i < 0 {
			return x
		}
		if len(parts) == 1 {
			return append(x[:i:i], x[i+1:]...)
		}
		x[i].Value = unsetPath(x[i].Value, parts[1:])
		return x
	case bson.A:
		idx, ok := arrayIndex(parts[0])
		if !ok || idx >= len(x) {
			return x
		}
		if len(parts) == 1 {
			x[idx] = nil
			return x
		}
		x[idx] = unsetPath(x[idx], parts[1:])
		return x
	}
	return v
}

// fieldPathValue evaluates an aggregation field path: arrays map the rest
// of the path over their elements, and numeric parts are field names.
func fieldPathValue(v any, parts []string) any {
	if len(parts) == 0 {
		return v
	}
	switch x := v.(type) {
	case bson.D:
		fv, ok := lookupField(x, parts[0])
		if !ok {
			return missing
		}
		return fieldPathValue(fv, parts[1:])
	case bson.A:
		out := bson.A{}
		for _, e := range x {
			switch e.(type) {
			case bson.D, bson.A:
				if r := fieldPathValue(e, parts); r != missing {
					out = append(out, r)
				}
			}
		}
		return out
	}
	return missing
}

func shortValue(v any) string {
	s := ""
	if b, err := bson.MarshalExtJSON(bson.D{{Key: "v", Value: v}}, false, false); err == nil {
		s = string(b)
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
