package mongofake

import (
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

type projKind int

const (
	pInclude projKind = iota
	pExclude
	pComputed
	pSub
	pSlice
	pElemMatch
)

type projField struct {
	name      string
	kind      projKind
	expr      expr
	sub       *projNode
	skip, lim int
	hasSkip   bool
	elem      func(any) bool
}

type projNode struct {
	fields []*projField
	byName map[string]*projField
}

func newProjNode() *projNode { return &projNode{byName: map[string]*projField{}} }

// projection is a find projection or a $project stage.
type projection struct {
	root      *projNode
	inclusion bool
	idExclude bool
}

// compileProjection parses a projection; find enables $slice and
// $elemMatch, which are projection operators only in find.
func compileProjection(spec bson.D, find bool) (*projection, error) {
	p := &projection{root: newProjNode()}
	var incl, excl string
	for _, e := range spec {
		if strings.HasPrefix(e.Key, "$") {
			return nil, badValue("FieldPath field names may not start with '$': %q", e.Key)
		}
		if e.Key == "_id" {
			if isFlag(e.Value) {
				p.idExclude = !truthy(e.Value)
				continue
			}
		}
		k, err := p.add(p.root, e.Key, e.Value, find, true)
		if err != nil {
			return nil, err
		}
		switch k {
		case pInclude, pComputed, pElemMatch:
			if incl == "" {
				incl = e.Key
			}
		case pExclude:
			if excl == "" {
				excl = e.Key
			}
		}
	}
	if incl != "" && excl != "" {
		return nil, errf(31254, "Location31254", "Cannot do exclusion on field %s in inclusion projection", excl)
	}
	// A projection of only $slice or {_id: 0} keeps the other fields.
	p.inclusion = incl != "" || (excl == "" && !p.idExclude && len(p.root.fields) == 0)
	return p, nil
}

func isFlag(v any) bool {
	switch v.(type) {
	case bool, int32, int64, float64, bson.Decimal128:
		return true
	}
	return false
}

// add places path in the tree and returns the kind of its leaf(s).
func (p *projection) add(n *projNode, path string, v any, find, top bool) (projKind, error) {
	if strings.Contains(path, "$") {
		return 0, unsupported("positional projection %q", path)
	}
	parts, err := splitPath(path)
	if err != nil {
		return 0, err
	}
	for i, part := range parts[:len(parts)-1] {
		f := n.byName[part]
		if f == nil {
			f = &projField{name: part, kind: pSub, sub: newProjNode()}
			n.byName[part] = f
			n.fields = append(n.fields, f)
		} else if f.kind != pSub {
			return 0, errf(31250, "Location31250", "Path collision at %s", strings.Join(parts[:i+1], "."))
		}
		n = f.sub
	}
	name := parts[len(parts)-1]
	if _, dup := n.byName[name]; dup {
		return 0, errf(31250, "Location31250", "Path collision at %s", path)
	}
	f := &projField{name: name}
	switch {
	case isFlag(v):
		f.kind = pExclude
		if truthy(v) {
			f.kind = pInclude
		}
	default:
		d, isDoc := v.(bson.D)
		if isDoc && len(d) > 0 && !strings.HasPrefix(d[0].Key, "$") {
			// {a: {b: 1}} is the same as {"a.b": 1}.
			f.kind, f.sub = pSub, newProjNode()
			n.byName[name] = f
			n.fields = append(n.fields, f)
			kind := pInclude
			for _, se := range d {
				k, err := p.add(f.sub, se.Key, se.Value, find, false)
				if err != nil {
					return 0, err
				}
				kind = k
			}
			return kind, nil
		}
		if isDoc && len(d) == 1 && find {
			switch d[0].Key {
			case "$slice":
				if err := parseSlice(f, d[0].Value); err != nil {
					return 0, err
				}
			case "$elemMatch":
				if !top || len(parts) > 1 {
					return 0, badValue("Cannot use $elemMatch projection on a nested field.")
				}
				t, err := elemTester(d[0].Value)
				if err != nil {
					return 0, err
				}
				f.kind, f.elem = pElemMatch, t
			case "$meta":
				return 0, unsupported("projection $meta")
			}
		}
		if f.kind != pSlice && f.kind != pElemMatch {
			ex, err := compileExpr(v)
			if err != nil {
				return 0, err
			}
			f.kind, f.expr = pComputed, ex
		}
	}
	n.byName[name] = f
	n.fields = append(n.fields, f)
	return f.kind, nil
}

func parseSlice(f *projField, v any) error {
	f.kind = pSlice
	if n, ok := intValue(v); ok {
		f.lim = int(n)
		return nil
	}
	a, ok := v.(bson.A)
	if !ok || len(a) != 2 {
		return badValue("$slice only supports numbers and [skip, limit] arrays")
	}
	s, ok1 := intValue(a[0])
	l, ok2 := intValue(a[1])
	if !ok1 || !ok2 {
		return badValue("$slice only supports numbers and [skip, limit] arrays")
	}
	if l <= 0 {
		return badValue("$slice limit must be positive")
	}
	f.skip, f.lim, f.hasSkip = int(s), int(l), true
	return nil
}

func (f *projField) slice(v any) any {
	a, ok := v.(bson.A)
	if !ok {
		return v
	}
	start, end := 0, len(a)
	switch {
	case f.hasSkip:
		start = f.skip
		if start < 0 {
			start = max(len(a)+start, 0)
		}
		start = min(start, len(a))
		end = min(start+f.lim, len(a))
	case f.lim >= 0:
		end = min(f.lim, len(a))
	default:
		start = max(len(a)+f.lim, 0)
	}
	return append(bson.A{}, a[start:end]...)
}

func (p *projection) apply(doc bson.D) (bson.D, error) {
	if !p.inclusion {
		return p.root.exclude(doc, p.idExclude, true), nil
	}
	out, err := p.root.include(doc, doc, !p.idExclude, true)
	if err != nil {
		return nil, err
	}
	// _id comes first, as the server always writes it.
	if i := fieldIndex(out, "_id"); i > 0 {
		id := out[i]
		out = append(bson.D{id}, append(out[:i:i], out[i+1:]...)...)
	}
	return out, nil
}

func (n *projNode) include(doc, root bson.D, keepID, top bool) (bson.D, error) {
	out := bson.D{}
	for _, e := range doc {
		f := n.byName[e.Key]
		if top && e.Key == "_id" && f == nil {
			if keepID {
				out = append(out, e)
			}
			continue
		}
		if f == nil {
			continue
		}
		switch f.kind {
		case pInclude:
			out = append(out, e)
		case pSub:
			v, err := f.sub.includeValue(e.Value, root)
			if err != nil {
				return nil, err
			}
			if v != missing {
				out = append(out, bson.E{Key: e.Key, Value: v})
			}
		case pSlice:
			out = append(out, bson.E{Key: e.Key, Value: f.slice(e.Value)})
		case pElemMatch:
			if a, ok := e.Value.(bson.A); ok {
				for _, el := range a {
					if f.elem(el) {
						out = append(out, bson.E{Key: e.Key, Value: bson.A{el}})
						break
					}
				}
			}
		}
	}
	return n.addComputed(out, root)
}

func (n *projNode) includeValue(v any, root bson.D) (any, error) {
	switch x := v.(type) {
	case bson.D:
		return n.include(x, root, true, false)
	case bson.A:
		out := bson.A{}
		for _, e := range x {
			switch e.(type) {
			case bson.D, bson.A:
				r, err := n.includeValue(e, root)
				if err != nil {
					return nil, err
				}
				out = append(out, r)
			}
		}
		return out, nil
	}
	if n.hasComputed() {
		return n.addComputed(bson.D{}, root)
	}
	return missing, nil
}

func (n *projNode) hasComputed() bool {
	for _, f := range n.fields {
		if f.kind == pComputed || f.kind == pSub && f.sub.hasComputed() {
			return true
		}
	}
	return false
}

// addComputed sets the computed fields after the included ones, in
// specification order.
func (n *projNode) addComputed(out bson.D, root bson.D) (bson.D, error) {
	for _, f := range n.fields {
		switch {
		case f.kind == pComputed:
			v, err := f.expr(root)
			if err != nil {
				return nil, err
			}
			if v == missing {
				continue
			}
			if i := fieldIndex(out, f.name); i >= 0 {
				out[i].Value = v
			} else {
				out = append(out, bson.E{Key: f.name, Value: v})
			}
		case f.kind == pSub && f.sub.hasComputed():
			i := fieldIndex(out, f.name)
			if i < 0 {
				sub, err := f.sub.addComputed(bson.D{}, root)
				if err != nil {
					return nil, err
				}
				out = append(out, bson.E{Key: f.name, Value: sub})
				continue
			}
			v, err := f.sub.computeInto(out[i].Value, root)
			if err != nil {
				return nil, err
			}
			out[i].Value = v
		}
	}
	return out, nil
}

func (n *projNode) computeInto(v any, root bson.D) (any, error) {
	switch x := v.(type) {
	case bson.D:
		return n.addComputed(x, root)
	case bson.A:
		out := make(bson.A, len(x))
		for i, e := range x {
			r, err := n.computeInto(e, root)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return n.addComputed(bson.D{}, root)
}

func (n *projNode) exclude(doc bson.D, dropID, top bool) bson.D {
	out := make(bson.D, 0, len(doc))
	for _, e := range doc {
		if top && e.Key == "_id" && dropID {
			continue
		}
		f := n.byName[e.Key]
		if f == nil {
			out = append(out, e)
			continue
		}
		switch f.kind {
		case pSub:
			out = append(out, bson.E{Key: e.Key, Value: f.sub.excludeValue(e.Value)})
		case pSlice:
			out = append(out, bson.E{Key: e.Key, Value: f.slice(e.Value)})
		case pInclude:
			out = append(out, e)
		}
	}
	return out
}

func (n *projNode) excludeValue(v any) any {
	switch x := v.(type) {
	case bson.D:
		return n.exclude(x, false, false)
	case bson.A:
		out := make(bson.A, len(x))
		for i, e := range x {
			out[i] = n.excludeValue(e)
		}
		return out
	}
	return v
}

// Sorting.

type sortKey struct {
	parts []string
	desc  bool
}

func compileSort(spec bson.D) ([]sortKey, error) {
	keys := make([]sortKey, 0, len(spec))
	for _, e := range spec {
		if d, ok := e.Value.(bson.D); ok && len(d) > 0 && d[0].Key == "$meta" {
			return nil, unsupported("sort by $meta")
		}
		n, ok := intValue(e.Value)
		if !ok || n != 1 && n != -1 {
			return nil, errf(15975, "Location15975", "$sort key ordering must be 1 (for ascending) or -1 (for descending)")
		}
		parts, err := splitPath(e.Key)
		if err != nil {
			return nil, err
		}
		keys = append(keys, sortKey{parts: parts, desc: n == -1})
	}
	return keys, nil
}

// sortValue is a document's key for one sort field: arrays sort by their
// smallest element ascending and their largest descending.
func sortValue(doc bson.D, k sortKey) any {
	r := queryValues(doc, k.parts)
	var cands []any
	if r.missing {
		cands = append(cands, nil)
	}
	for _, v := range r.vals {
		if a, ok := v.(bson.A); ok {
			if len(a) == 0 {
				cands = append(cands, emptyArrayKey{})
			}
			cands = append(cands, a...)
			continue
		}
		cands = append(cands, v)
	}
	if len(cands) == 0 {
		return nil
	}
	best := cands[0]
	for _, c := range cands[1:] {
		cmp := compareValues(c, best)
		if k.desc && cmp > 0 || !k.desc && cmp < 0 {
			best = c
		}
	}
	return best
}

// sortOrder returns the stable sorted order of docs as indexes.
func sortOrder(docs []bson.D, keys []sortKey) []int {
	type row struct {
		i    int
		keys []any
	}
	rows := make([]row, len(docs))
	for i, d := range docs {
		ks := make([]any, len(keys))
		for j, k := range keys {
			ks[j] = sortValue(d, k)
		}
		rows[i] = row{i, ks}
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		for j, k := range keys {
			c := compareValues(a.keys[j], b.keys[j])
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	order := make([]int, len(rows))
	for i, r := range rows {
		order[i] = r.i
	}
	return order
}

func sortDocs(docs []bson.D, keys []sortKey) {
	if len(keys) == 0 || len(docs) < 2 {
		return
	}
	sorted := make([]bson.D, len(docs))
	for i, j := range sortOrder(docs, keys) {
		sorted[i] = docs[j]
	}
	copy(docs, sorted)
}
