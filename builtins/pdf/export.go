package pdf

import (
	"math/big"
	"reflect"
	"strconv"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// exporter reads a JS definition as plain Go values, bounded: at most MaxNodes values, MaxDefinitionBytes
// of strings, nested at most a few levels per content level, each size checked before the copy.
// Undefined properties are left out (as JSON.stringify does); functions, symbols, Dates, Maps and
// other non-JSON values are type errors naming their path.
type exporter struct {
	lim      Limits
	nodes    int
	bytes    int
	maxDepth int
}

var (
	mapType = reflect.TypeOf([][2]any{}) // what goja exports a Map as
	setType = reflect.TypeOf([]any{})    // and a Set
)

// pathSeg is one step of the path to a value, formatted only for an error.
type pathSeg struct {
	parent *pathSeg
	key    string
	index  int // when key is ""
}

func (p *pathSeg) String() string {
	if p == nil {
		return "definition"
	}
	var steps []*pathSeg
	for s := p; s != nil; s = s.parent {
		steps = append(steps, s)
	}
	out := ""
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		if s.key == "" {
			out += "[" + strconv.Itoa(s.index) + "]"
		} else if out == "" {
			out = s.key
		} else {
			out += keyPath(s.key)
		}
	}
	return out
}

func exportDefinition(v goja.Value, lim Limits) (any, error) {
	lim = lim.withDefaults()
	x := &exporter{lim: lim, maxDepth: 4*lim.MaxDepth + 8}
	return x.value(v, nil, 0)
}

func (x *exporter) count(path *pathSeg, n int) error {
	x.nodes += n
	if x.nodes > x.lim.MaxNodes {
		return limitErr(path.String(), "the definition has more than %d values", x.lim.MaxNodes)
	}
	return nil
}

func (x *exporter) value(v goja.Value, path *pathSeg, depth int) (any, error) {
	if err := x.count(path, 1); err != nil {
		return nil, err
	}
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil, nil
	}
	switch s := v.(type) {
	case goja.String:
		n := s.Length() // UTF-16 units: at most a third of the UTF-8 bytes, checked before the copy
		if x.bytes+n > x.lim.MaxDefinitionBytes {
			return nil, limitErr(path.String(), "the definition's strings are longer than %d bytes together", x.lim.MaxDefinitionBytes)
		}
		str := s.String()
		x.bytes += len(str)
		if x.bytes > x.lim.MaxDefinitionBytes {
			return nil, limitErr(path.String(), "the definition's strings are longer than %d bytes together", x.lim.MaxDefinitionBytes)
		}
		return str, nil
	case *goja.Object:
		return x.object(s, path, depth)
	case *goja.Symbol:
		return nil, typeErr(path.String(), "must be a plain value, got a symbol")
	}
	switch e := v.Export().(type) {
	case bool:
		return e, nil
	case int64:
		return float64(e), nil
	case float64:
		return e, nil // NaN and Infinity too: the definition's checks name them
	case *big.Int:
		return nil, typeErr(path.String(), "must be a number, got a bigint")
	}
	return nil, typeErr(path.String(), "must be a plain value, got %s", builtins.Describe(v))
}

func (x *exporter) object(o *goja.Object, path *pathSeg, depth int) (any, error) {
	if depth >= x.maxDepth {
		return nil, limitErr(path.String(), "the definition is nested deeper than %d levels (or refers to itself)", x.maxDepth)
	}
	if _, ok := goja.AssertFunction(o); ok {
		return nil, typeErr(path.String(), "must be a plain value, got a function")
	}
	switch o.ClassName() {
	case "Array":
		n, _ := builtins.NumberOf(o.Get("length"))
		if n < 0 || n != n {
			n = 0
		}
		if n > float64(x.lim.MaxNodes-x.nodes) {
			return nil, limitErr(path.String(), "the definition has more than %d values", x.lim.MaxNodes)
		}
		out := make([]any, int(n))
		for i := range out {
			e, err := x.value(o.Get(strconv.Itoa(i)), &pathSeg{parent: path, index: i}, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case "Object":
		switch o.ExportType() {
		case mapType:
			return nil, typeErr(path.String(), "must be a plain object, got a Map")
		case setType:
			return nil, typeErr(path.String(), "must be a plain object, got a Set")
		}
	default:
		return nil, typeErr(path.String(), "must be a plain value, got %s", builtins.Describe(o))
	}
	keys := o.Keys()
	if len(keys) > x.lim.MaxNodes-x.nodes {
		return nil, limitErr(path.String(), "the definition has more than %d values", x.lim.MaxNodes)
	}
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		pv := o.Get(k)
		if pv == nil || goja.IsUndefined(pv) {
			continue
		}
		x.bytes += len(k)
		e, err := x.value(pv, &pathSeg{parent: path, key: k}, depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = e
	}
	return out, nil
}
