package mongofake

import (
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

const (
	// maxStageDocs and maxPipelineBytes bound what a pipeline may build in
	// memory ($unwind and $group can multiply their input).
	maxStageDocs     = 1_000_000
	maxPipelineBytes = 128 << 20
	// maxLookupPairs bounds the nested loop of $lookup.
	maxLookupPairs = 50_000_000
)

// stage transforms the documents flowing through a pipeline.
type stage func(in []bson.D) ([]bson.D, error)

// foreignDocs gives $lookup the documents of a collection in the same database.
type foreignDocs func(coll string) []bson.D

func compilePipeline(pipeline bson.A, foreign foreignDocs) ([]stage, error) {
	stages := make([]stage, 0, len(pipeline))
	for _, raw := range pipeline {
		spec, ok := raw.(bson.D)
		if !ok || len(spec) != 1 {
			return nil, errf(40323, "Location40323", "A pipeline stage specification object must contain exactly one field.")
		}
		st, err := compileStage(spec[0].Key, spec[0].Value, foreign)
		if err != nil {
			return nil, err
		}
		stages = append(stages, st)
	}
	return stages, nil
}

func runPipeline(stages []stage, docs []bson.D) ([]bson.D, error) {
	var err error
	for _, st := range stages {
		if docs, err = st(docs); err != nil {
			return nil, err
		}
		if len(docs) > maxStageDocs {
			return nil, errf(146, "ExceededMemoryLimit", "a pipeline stage produced more than %d documents, the Kubus fixture server's limit", maxStageDocs)
		}
	}
	return docs, nil
}

// checkBudget bounds the memory a stage's new documents take.
func checkBudget(docs []bson.D) error {
	total := 0
	for _, d := range docs {
		total += approxSize(d)
		if total > maxPipelineBytes {
			return errf(146, "ExceededMemoryLimit", "a pipeline stage produced more than %d MiB, the Kubus fixture server's limit", maxPipelineBytes>>20)
		}
	}
	return nil
}

func compileStage(name string, arg any, foreign foreignDocs) (stage, error) {
	switch name {
	case "$match":
		m, err := compileFilterValue(arg)
		if err != nil {
			return nil, err
		}
		return func(in []bson.D) ([]bson.D, error) {
			out := make([]bson.D, 0, len(in))
			for _, d := range in {
				if m(d) {
					out = append(out, d)
				}
			}
			return out, nil
		}, nil
	case "$sort":
		spec, ok := arg.(bson.D)
		if !ok || len(spec) == 0 {
			return nil, errf(15976, "Location15976", "$sort stage must have at least one sort key")
		}
		keys, err := compileSort(spec)
		if err != nil {
			return nil, err
		}
		return func(in []bson.D) ([]bson.D, error) {
			out := append([]bson.D(nil), in...)
			sortDocs(out, keys)
			return out, nil
		}, nil
	case "$limit":
		n, ok := intValue(arg)
		if !ok || n <= 0 {
			return nil, errf(15958, "Location15958", "the limit must be positive")
		}
		return func(in []bson.D) ([]bson.D, error) { return in[:min(int64(len(in)), n)], nil }, nil
	case "$skip":
		n, ok := intValue(arg)
		if !ok || n < 0 {
			return nil, errf(15956, "Location15956", "Argument to $skip cannot be negative")
		}
		return func(in []bson.D) ([]bson.D, error) { return in[min(int64(len(in)), n):], nil }, nil
	case "$project":
		spec, ok := arg.(bson.D)
		if !ok || len(spec) == 0 {
			return nil, errf(51272, "Location51272", "$project specification must be an object with at least one field")
		}
		p, err := compileProjection(spec, false)
		if err != nil {
			return nil, err
		}
		return projectStage(p), nil
	case "$unset":
		var spec bson.D
		for _, f := range argList(arg) {
			s, ok := f.(string)
			if !ok || s == "" {
				return nil, errf(31120, "Location31120", "$unset specification must be a string or an array containing only string values")
			}
			spec = append(spec, bson.E{Key: s, Value: int32(0)})
		}
		p, err := compileProjection(spec, false)
		if err != nil {
			return nil, err
		}
		return projectStage(p), nil
	case "$addFields", "$set":
		return compileAddFields(name, arg)
	case "$replaceRoot", "$replaceWith":
		v := arg
		if name == "$replaceRoot" {
			d, ok := arg.(bson.D)
			nr, found := lookupField(d, "newRoot")
			if !ok || !found || len(d) != 1 {
				return nil, errf(40231, "Location40231", "no newRoot specified for the $replaceRoot stage")
			}
			v = nr
		}
		ex, err := compileExpr(v)
		if err != nil {
			return nil, err
		}
		return func(in []bson.D) ([]bson.D, error) {
			out := make([]bson.D, len(in))
			for i, d := range in {
				r, err := ex(d)
				if err != nil {
					return nil, err
				}
				nd, ok := r.(bson.D)
				if !ok {
					return nil, errf(40228, "Location40228", "'newRoot' expression must evaluate to an object, but resulting value was: %s. Type of resulting value: '%s'", shortValue(r), typeName(r))
				}
				out[i] = nd
			}
			return out, checkBudget(out)
		}, nil
	case "$count":
		field, ok := arg.(string)
		if !ok || field == "" || strings.HasPrefix(field, "$") || strings.Contains(field, ".") {
			return nil, errf(40156, "Location40156", "the count field must be a non-empty string that does not start with '$' or contain '.'")
		}
		return func(in []bson.D) ([]bson.D, error) {
			if len(in) == 0 {
				return nil, nil
			}
			return []bson.D{{{Key: field, Value: int32(len(in))}}}, nil
		}, nil
	case "$unwind":
		return compileUnwind(arg)
	case "$group":
		return compileGroup(arg)
	case "$lookup":
		return compileLookup(arg, foreign)
	}
	return nil, unsupported("aggregation stage %s", name)
}

func projectStage(p *projection) stage {
	return func(in []bson.D) ([]bson.D, error) {
		out := make([]bson.D, len(in))
		for i, d := range in {
			r, err := p.apply(d)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, checkBudget(out)
	}
}

func compileAddFields(name string, arg any) (stage, error) {
	spec, ok := arg.(bson.D)
	if !ok {
		return nil, errf(40272, "Location40272", "%s specification stage must be an object", name)
	}
	type field struct {
		parts []string
		ex    expr
	}
	var fields []field
	var flatten func(prefix string, d bson.D) error
	flatten = func(prefix string, d bson.D) error {
		for _, e := range d {
			if strings.HasPrefix(e.Key, "$") {
				return errf(16410, "Location16410", "FieldPath field names may not start with '$': %q", e.Key)
			}
			path := prefix + e.Key
			// A sub-document that is not an expression sets nested fields.
			if sd, ok := e.Value.(bson.D); ok && len(sd) > 0 && !strings.HasPrefix(sd[0].Key, "$") {
				if err := flatten(path+".", sd); err != nil {
					return err
				}
				continue
			}
			parts, err := splitPath(path)
			if err != nil {
				return err
			}
			ex, err := compileExpr(e.Value)
			if err != nil {
				return err
			}
			fields = append(fields, field{parts, ex})
		}
		return nil
	}
	if err := flatten("", spec); err != nil {
		return nil, err
	}
	return func(in []bson.D) ([]bson.D, error) {
		out := make([]bson.D, len(in))
		for i, d := range in {
			cur := d
			for _, f := range fields {
				v, err := f.ex(d)
				if err != nil {
					return nil, err
				}
				cur = addFieldsSet(cur, f.parts, v).(bson.D)
			}
			out[i] = cur
		}
		return out, checkBudget(out)
	}, nil
}

// addFieldsSet returns v with the value at parts set (or removed when val
// is missing) the way $addFields and $set compute a field: an array on the
// path applies the rest of the path to each of its elements, and any value
// on the path that is neither a document nor an array is replaced by a
// document holding just the new field ({"a.b": 1} turns a: 5 into
// a: {b: 1}, and a: [5, {c: 1}] into a: [{b: 1}, {c: 1, b: 1}]). It copies
// what it changes so shared documents stay intact.
func addFieldsSet(v any, parts []string, val any) any {
	switch x := v.(type) {
	case bson.D:
		out := make(bson.D, len(x), len(x)+1)
		copy(out, x)
		i := fieldIndex(out, parts[0])
		next := val
		if len(parts) > 1 {
			var cur any = missing
			if i >= 0 {
				cur = out[i].Value
			}
			next = addFieldsSet(cur, parts[1:], val)
		}
		switch {
		case next == missing && i >= 0:
			return append(out[:i], out[i+1:]...)
		case next == missing:
		case i >= 0:
			out[i].Value = next
		default:
			out = append(out, bson.E{Key: parts[0], Value: next})
		}
		return out
	case bson.A:
		out := make(bson.A, len(x))
		for i, e := range x {
			out[i] = addFieldsSet(e, parts, val)
		}
		return out
	}
	return addFieldsSet(bson.D{}, parts, val)
}

// cowSet returns v with the value at parts set (or removed when val is
// missing), copying what it changes so shared documents stay intact. Arrays
// on the path apply the rest of the path to each embedded document.
func cowSet(v any, parts []string, val any) any {
	switch x := v.(type) {
	case bson.D:
		out := make(bson.D, len(x), len(x)+1)
		copy(out, x)
		i := fieldIndex(out, parts[0])
		if len(parts) == 1 {
			switch {
			case val == missing && i >= 0:
				return append(out[:i], out[i+1:]...)
			case val == missing:
			case i >= 0:
				out[i].Value = val
			default:
				out = append(out, bson.E{Key: parts[0], Value: val})
			}
			return out
		}
		if i >= 0 {
			out[i].Value = cowSet(out[i].Value, parts[1:], val)
		} else if val != missing {
			out = append(out, bson.E{Key: parts[0], Value: cowSet(bson.D{}, parts[1:], val)})
		}
		return out
	case bson.A:
		out := make(bson.A, len(x))
		for i, e := range x {
			if _, ok := e.(bson.D); ok {
				out[i] = cowSet(e, parts, val)
			} else {
				out[i] = e
			}
		}
		return out
	}
	if val == missing {
		return v
	}
	return cowSet(bson.D{}, parts, val)
}

func compileUnwind(arg any) (stage, error) {
	var path, indexField string
	preserve := false
	switch x := arg.(type) {
	case string:
		path = x
	case bson.D:
		for _, e := range x {
			switch e.Key {
			case "path":
				path, _ = e.Value.(string)
			case "preserveNullAndEmptyArrays":
				b, ok := e.Value.(bool)
				if !ok {
					return nil, errf(28809, "Location28809", "expected a boolean for the preserveNullAndEmptyArrays option to $unwind stage")
				}
				preserve = b
			case "includeArrayIndex":
				s, ok := e.Value.(string)
				if !ok || s == "" || strings.HasPrefix(s, "$") {
					return nil, errf(28810, "Location28810", "includeArrayIndex option to $unwind stage must be a non-empty string not starting with '$'")
				}
				indexField = s
			default:
				return nil, errf(28811, "Location28811", "unrecognized option to $unwind stage: %s", e.Key)
			}
		}
	default:
		return nil, errf(15981, "Location15981", "expected either a string or an object as specification for $unwind stage")
	}
	if !strings.HasPrefix(path, "$") {
		return nil, errf(28818, "Location28818", "path option to $unwind stage should be prefixed with a '$': %s", path)
	}
	parts, err := splitPath(path[1:])
	if err != nil {
		return nil, err
	}
	var idxParts []string
	if indexField != "" {
		if idxParts, err = splitPath(indexField); err != nil {
			return nil, err
		}
	}
	withIndex := func(d bson.D, idx any) bson.D {
		if idxParts == nil {
			return d
		}
		return cowSet(d, idxParts, idx).(bson.D)
	}
	return func(in []bson.D) ([]bson.D, error) {
		var out []bson.D
		for _, d := range in {
			v, ok := getDocPath(d, parts)
			arr, isArr := v.(bson.A)
			switch {
			case !ok || isNullish(v) || isArr && len(arr) == 0:
				if preserve {
					if isArr {
						// An empty array is dropped; null stays null.
						d = cowSet(d, parts, missing).(bson.D)
					}
					out = append(out, withIndex(d, nil))
				}
			case isArr:
				for i, e := range arr {
					out = append(out, withIndex(cowSet(d, parts, e).(bson.D), int64(i)))
					if len(out) > maxStageDocs {
						return nil, errf(146, "ExceededMemoryLimit", "$unwind produced more than %d documents, the Kubus fixture server's limit", maxStageDocs)
					}
				}
			default:
				out = append(out, withIndex(d, nil))
			}
		}
		return out, checkBudget(out)
	}, nil
}

// getDocPath follows embedded documents only, as $unwind does.
func getDocPath(d bson.D, parts []string) (any, bool) {
	var v any = d
	for _, p := range parts {
		x, ok := v.(bson.D)
		if !ok {
			return nil, false
		}
		if v, ok = lookupField(x, p); !ok {
			return nil, false
		}
	}
	return v, true
}

// accumulator collects one $group field.
type accumulator interface {
	add(v any)
	result() any
}

type accSum struct{ sum any }

func (a *accSum) add(v any) {
	if isNumber(v) {
		a.sum = arith(opAdd, a.sum, v)
	}
}
func (a *accSum) result() any { return a.sum }

type accAvg struct {
	sum any
	n   int
}

func (a *accAvg) add(v any) {
	if isNumber(v) {
		a.sum = arith(opAdd, a.sum, v)
		a.n++
	}
}

func (a *accAvg) result() any {
	if a.n == 0 {
		return nil
	}
	r, _ := divide(a.sum, int64(a.n))
	return r
}

type accMinMax struct {
	max  bool
	best any
	set  bool
}

func (a *accMinMax) add(v any) {
	if isNullish(v) {
		return
	}
	if c := compareValues(v, a.best); !a.set || a.max && c > 0 || !a.max && c < 0 {
		a.best, a.set = v, true
	}
}

func (a *accMinMax) result() any {
	if !a.set {
		return nil
	}
	return a.best
}

type accFirstLast struct {
	last bool
	v    any
	set  bool
}

func (a *accFirstLast) add(v any) {
	if v == missing {
		v = nil
	}
	if !a.set || a.last {
		a.v, a.set = v, true
	}
}
func (a *accFirstLast) result() any { return a.v }

type accPush struct {
	vals  bson.A
	set   bool
	seen  map[string]bool
	limit *int
}

func (a *accPush) add(v any) {
	if v == missing || *a.limit <= 0 {
		return
	}
	if a.set {
		k := canonicalKey(v)
		if a.seen[k] {
			return
		}
		a.seen[k] = true
	}
	*a.limit--
	a.vals = append(a.vals, v)
}
func (a *accPush) result() any { return a.vals }

func compileGroup(arg any) (stage, error) {
	spec, ok := arg.(bson.D)
	if !ok {
		return nil, errf(15947, "Location15947", "a group's fields must be specified in an object")
	}
	idSpec, ok := lookupField(spec, "_id")
	if !ok {
		return nil, errf(15955, "Location15955", "a group specification must include an _id")
	}
	idExpr, err := compileExpr(idSpec)
	if err != nil {
		return nil, err
	}
	type accSpec struct {
		name string
		op   string
		ex   expr
	}
	var accs []accSpec
	for _, e := range spec {
		if e.Key == "_id" {
			continue
		}
		if strings.Contains(e.Key, ".") {
			return nil, errf(40235, "Location40235", "The field name '%s' cannot contain '.'", e.Key)
		}
		d, ok := e.Value.(bson.D)
		if !ok || len(d) != 1 || !strings.HasPrefix(d[0].Key, "$") {
			return nil, errf(40234, "Location40234", "The field '%s' must be an accumulator object", e.Key)
		}
		op := d[0].Key
		var ex expr
		switch op {
		case "$sum", "$avg", "$min", "$max", "$first", "$last", "$push", "$addToSet":
			if ex, err = compileExpr(d[0].Value); err != nil {
				return nil, err
			}
		case "$count":
			if cd, ok := d[0].Value.(bson.D); !ok || len(cd) != 0 {
				return nil, errf(40181, "Location40181", "$count takes no arguments, i.e. $count:{}")
			}
			op = "$sum"
			ex = func(bson.D) (any, error) { return int32(1), nil }
		default:
			return nil, unsupported("$group accumulator %s", op)
		}
		accs = append(accs, accSpec{e.Key, op, ex})
	}
	return func(in []bson.D) ([]bson.D, error) {
		type group struct {
			id   any
			accs []accumulator
		}
		var groups []*group
		index := map[string]*group{}
		pushLimit := maxArrayPad
		for _, d := range in {
			id, err := idExpr(d)
			if err != nil {
				return nil, err
			}
			if id == missing {
				id = nil
			}
			k := canonicalKey(id)
			g := index[k]
			if g == nil {
				g = &group{id: id}
				for _, a := range accs {
					var acc accumulator
					switch a.op {
					case "$sum":
						acc = &accSum{sum: int32(0)}
					case "$avg":
						acc = &accAvg{sum: int32(0)}
					case "$min", "$max":
						acc = &accMinMax{max: a.op == "$max"}
					case "$first", "$last":
						acc = &accFirstLast{last: a.op == "$last"}
					case "$push":
						acc = &accPush{vals: bson.A{}, limit: &pushLimit}
					case "$addToSet":
						acc = &accPush{vals: bson.A{}, set: true, seen: map[string]bool{}, limit: &pushLimit}
					}
					g.accs = append(g.accs, acc)
				}
				index[k] = g
				groups = append(groups, g)
			}
			for i, a := range accs {
				v, err := a.ex(d)
				if err != nil {
					return nil, err
				}
				g.accs[i].add(v)
			}
		}
		if pushLimit <= 0 {
			return nil, errf(146, "ExceededMemoryLimit", "$push/$addToSet collected more than %d values, the Kubus fixture server's limit", maxArrayPad)
		}
		out := make([]bson.D, len(groups))
		for i, g := range groups {
			d := bson.D{{Key: "_id", Value: g.id}}
			for j, a := range accs {
				d = append(d, bson.E{Key: a.name, Value: g.accs[j].result()})
			}
			out[i] = d
		}
		return out, checkBudget(out)
	}, nil
}

func compileLookup(arg any, foreign foreignDocs) (stage, error) {
	spec, ok := arg.(bson.D)
	if !ok {
		return nil, errf(9, "FailedToParse", "the $lookup specification must be an Object")
	}
	var from, local, foreignField, as string
	for _, e := range spec {
		s, isStr := e.Value.(string)
		switch e.Key {
		case "from":
			from = s
		case "localField":
			local = s
		case "foreignField":
			foreignField = s
		case "as":
			as = s
		case "pipeline", "let":
			return nil, unsupported("$lookup with %s", e.Key)
		default:
			return nil, errf(9, "FailedToParse", "unknown argument to $lookup: %s", e.Key)
		}
		if !isStr {
			return nil, errf(9, "FailedToParse", "$lookup argument '%s' must be a string", e.Key)
		}
	}
	if from == "" || local == "" || foreignField == "" || as == "" {
		return nil, errf(9, "FailedToParse", "$lookup requires from, localField, foreignField and as")
	}
	lp, err := splitPath(local)
	if err != nil {
		return nil, err
	}
	fp, err := splitPath(foreignField)
	if err != nil {
		return nil, err
	}
	ap, err := splitPath(as)
	if err != nil {
		return nil, err
	}
	return func(in []bson.D) ([]bson.D, error) {
		fdocs := foreign(from)
		if len(in)*len(fdocs) > maxLookupPairs {
			return nil, errf(146, "ExceededMemoryLimit", "$lookup over %d x %d documents exceeds the Kubus fixture server's limit", len(in), len(fdocs))
		}
		out := make([]bson.D, len(in))
		for i, d := range in {
			r := queryValues(d, lp)
			var keys []any
			for _, v := range r.vals {
				if a, ok := v.(bson.A); ok {
					keys = append(keys, a...)
				} else {
					keys = append(keys, v)
				}
			}
			if r.missing || len(keys) == 0 {
				keys = append(keys, nil)
			}
			preds := make([]resPred, len(keys))
			for j, k := range keys {
				preds[j] = eqPred(k)
			}
			matches := bson.A{}
			for _, fd := range fdocs {
				fr := queryValues(fd, fp)
				for _, p := range preds {
					if p(fr) {
						matches = append(matches, fd)
						break
					}
				}
			}
			out[i] = cowSet(d, ap, matches).(bson.D)
		}
		return out, checkBudget(out)
	}, nil
}
