package mongodb

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/dop251/goja"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kubusdev/kubus/builtins"
)

// JS → BSON, as the Node driver does it (roughly):
//
//   - an object is a document with its keys in order (bson.D: sort specs depend on it); an
//     object of the single key $oid holding 24 hex digits ({$oid: hex}, MongoDB.objectId) is an
//     ObjectId; an array is an array; undefined and null are null
//   - a number is an int32 when it is integral and fits, else an int64 when integral and within
//     ±2^53, else a double (also -0, NaN and ±Infinity); a bigint is an int64 (beyond it: an error)
//   - a string, a boolean: as they are; a Date is a datetime (an invalid Date is an error); a RegExp
//     is a regular expression (flags i, m, s, u); boxed primitives count as their values
//   - functions, symbols, Maps, Sets and other class instances are errors naming the path
//
// What goes in is bounded before it is encoded: at most maxDepth levels, maxArray elements an
// array, maxInputBytes (the server's 16 MiB document limit) for all arguments of a call together.
const (
	maxDepth      = 100
	maxArray      = 1 << 20
	maxInputBytes = 16 << 20
)

// serverJS are the operators that run JavaScript on the server: refused anywhere.
var serverJS = map[string]bool{"$where": true, "$function": true, "$accumulator": true}

var (
	typeMap = reflect.TypeOf([][2]any{})
	typeSet = reflect.TypeOf([]any{})
)

// encoder converts a call's arguments, sharing one size budget.
type encoder struct {
	c      *call
	budget int
	forbid bool     // refuse the server-side JavaScript operators (filters, updates, pipelines)
	path   []string // where the value being converted is, for messages
	found  string   // the first server-side JavaScript operator seen
}

func (c *call) encoder() *encoder { return &encoder{c: c, budget: maxInputBytes} }

func (e *encoder) where() string {
	var b strings.Builder
	for i, p := range e.path {
		if i > 0 && !strings.HasPrefix(p, "[") {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

func (e *encoder) spend(n int) {
	if e.budget -= n; e.budget < 0 {
		e.c.h.RangeError(e.c.fn, "what goes in is larger than %d bytes (MongoDB's document limit)", maxInputBytes)
	}
}

func (e *encoder) typeError(format string, args ...any) {
	e.c.h.TypeError(e.c.fn, "%s: "+format, append([]any{e.where()}, args...)...)
}

// doc converts an argument that must be a document (not an array). name is its name in messages;
// forbid refuses server-side JavaScript in it.
func (e *encoder) doc(v goja.Value, name string, forbid bool) bson.D {
	e.forbid, e.path = forbid, append(e.path[:0], name)
	o, ok := v.(*goja.Object)
	if !ok || o.ClassName() != "Object" || isMapOrSet(o) || isOID(o.Keys()) {
		e.c.h.TypeError(e.c.fn, "%s must be a document (a plain object), got %s", name, builtins.Describe(v))
	}
	d := e.object(o, o.Keys(), 1)
	e.checkFound()
	return d
}

// docs converts an argument that must be an array (a pipeline, the documents of insertMany),
// each element a document; more than maxDocs elements is an error of that kind.
func (e *encoder) docs(v goja.Value, name string, forbid bool, maxDocs int) []bson.D {
	o, ok := v.(*goja.Object)
	if !ok || o.ClassName() != "Array" {
		e.c.h.TypeError(e.c.fn, "%s must be an array of documents, got %s", name, builtins.Describe(v))
	}
	e.path = append(e.path[:0], name)
	n := e.length(o)
	if n > maxDocs {
		e.c.fail(&callError{kind: "tooManyDocs", msg: fmt.Sprintf("%s has more than %d documents (the connection's maxDocs)", name, maxDocs)})
	}
	out := make([]bson.D, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, e.doc(o.Get(strconv.Itoa(i)), name+"["+strconv.Itoa(i)+"]", forbid))
	}
	return out
}

func (e *encoder) checkFound() {
	if e.found != "" {
		e.c.fail(&callError{kind: "forbidden", msg: e.found + " runs JavaScript on the server: refused"})
	}
}

func isMapOrSet(o *goja.Object) bool {
	t := o.ExportType()
	return t == typeMap || t == typeSet
}

// isOID reports the keys of {$oid: …}.
func isOID(keys []string) bool { return len(keys) == 1 && keys[0] == "$oid" }

func (e *encoder) length(o *goja.Object) int {
	n, ok := builtins.NumberOf(o.Get("length"))
	if !ok || n < 0 || n != math.Trunc(n) {
		return 0
	}
	if n > maxArray {
		e.c.h.RangeError(e.c.fn, "%s: an array of more than %d elements", e.where(), maxArray)
	}
	return int(n)
}

func (e *encoder) object(o *goja.Object, keys []string, depth int) bson.D {
	if depth > maxDepth {
		e.c.h.RangeError(e.c.fn, "%s: nested more than %d levels deep", e.where(), maxDepth)
	}
	e.spend(5)
	d := make(bson.D, 0, len(keys))
	for _, k := range keys {
		if strings.IndexByte(k, 0) >= 0 {
			e.typeError("a key holds a NUL character")
		}
		if e.forbid && e.found == "" && serverJS[k] {
			e.found = k
		}
		e.spend(len(k) + 2)
		e.path = append(e.path, k)
		d = append(d, bson.E{Key: k, Value: e.value(o.Get(k), depth)})
		e.path = e.path[:len(e.path)-1]
	}
	return d
}

func (e *encoder) value(v goja.Value, depth int) any {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil
	}
	switch x := v.(type) {
	case goja.String:
		if x.Length() > maxInputBytes {
			e.spend(maxInputBytes + 1)
		}
		s := x.String()
		e.spend(len(s) + 5)
		return s
	case *goja.Object:
		return e.objectValue(x, depth)
	case *goja.Symbol:
		e.typeError("a symbol cannot be stored")
	}
	switch x := v.Export().(type) {
	case bool:
		e.spend(1)
		return x
	case int64:
		return e.number(float64(x))
	case float64:
		return e.number(x)
	case *big.Int:
		if !x.IsInt64() {
			e.c.h.RangeError(e.c.fn, "%s: the bigint %s does not fit an int64", e.where(), x)
		}
		e.spend(8)
		return x.Int64()
	}
	e.typeError("%s cannot be stored", builtins.Describe(v))
	return nil
}

// number is an int32, an int64 or a double (see the package's mapping).
func (e *encoder) number(f float64) any {
	switch {
	case f != math.Trunc(f) || f == 0 && math.Signbit(f):
		e.spend(8)
		return f
	case f >= math.MinInt32 && f <= math.MaxInt32:
		e.spend(4)
		return int32(f)
	case math.Abs(f) <= 1<<53:
		e.spend(8)
		return int64(f)
	}
	e.spend(8)
	return f
}

func (e *encoder) objectValue(o *goja.Object, depth int) any {
	if _, ok := goja.AssertFunction(o); ok {
		e.typeError("a function cannot be stored")
	}
	switch o.ClassName() {
	case "Date":
		t, _, valid := builtins.DateOf(o)
		if !valid {
			e.typeError("an invalid Date cannot be stored")
		}
		e.spend(8)
		return bson.NewDateTimeFromTime(t)
	case "RegExp":
		src, _ := builtins.StringOf(o.Get("source"))
		flags, _ := builtins.StringOf(o.Get("flags"))
		var opts []byte
		for _, f := range flags {
			if strings.ContainsRune("imsu", f) {
				opts = append(opts, byte(f))
			}
		}
		sort.Slice(opts, func(i, j int) bool { return opts[i] < opts[j] })
		e.spend(len(src) + len(opts) + 2)
		return bson.Regex{Pattern: src, Options: string(opts)}
	case "Number", "Boolean":
		return e.value(e.c.h.VM.ToValue(o.Export()), depth)
	case "String":
		return e.value(o.ToString(), depth)
	case "Array":
		if depth+1 > maxDepth {
			e.c.h.RangeError(e.c.fn, "%s: nested more than %d levels deep", e.where(), maxDepth)
		}
		n := e.length(o)
		e.spend(5)
		a := make(bson.A, 0, min(n, 1024))
		for i := 0; i < n; i++ {
			idx := strconv.Itoa(i)
			e.spend(len(idx) + 2)
			e.path = append(e.path, "["+idx+"]")
			a = append(a, e.value(o.Get(idx), depth+1))
			e.path = e.path[:len(e.path)-1]
		}
		return a
	case "Object":
		if isMapOrSet(o) {
			e.typeError("a Map or Set cannot be stored (use a plain object or an array)")
		}
		keys := o.Keys()
		if isOID(keys) {
			hex, _ := builtins.StringOf(o.Get("$oid"))
			id, err := bson.ObjectIDFromHex(hex)
			if err != nil {
				e.typeError("$oid must be 24 hex digits, got %s", builtins.Describe(o.Get("$oid")))
			}
			e.spend(12)
			return id
		}
		return e.object(o, keys, depth+1)
	}
	e.typeError("%s (%s) cannot be stored", builtins.Describe(o), o.ClassName())
	return nil
}

// BSON → JS:
//
//   - a document is an object (its keys in order, as own properties: "__proto__" too), an array
//     an array
//   - double and int32 are numbers; an int64 is a number within ±2^53 and a string of its digits
//     beyond (a number would round it); Decimal128 is a string ("12.50")
//   - an ObjectId is its 24-hex string; a datetime is a Date; binary data is a base64 string
//   - a string, a boolean, null: as they are (undefined: null); a regular expression is the string
//     "/pattern/options"; a timestamp is {t, i}; JavaScript code and symbols are strings; MinKey and
//     MaxKey are {$minKey: 1} and {$maxKey: 1}; a DBPointer is {$ref, $id}
type decoder struct {
	st *state
	vm *goja.Runtime
}

func (st *state) decoder() *decoder { return &decoder{st: st, vm: st.h.VM} }

func (d *decoder) doc(raw bson.Raw) goja.Value {
	elems, err := raw.Elements()
	if err != nil {
		panic(d.vm.NewGoError(err))
	}
	o := d.vm.NewObject()
	for _, el := range elems {
		_ = o.DefineDataProperty(el.Key(), d.value(el.Value()), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE)
	}
	return o
}

func (d *decoder) array(raw bson.RawArray) goja.Value {
	vals, err := raw.Values()
	if err != nil {
		panic(d.vm.NewGoError(err))
	}
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = d.value(v)
	}
	return d.vm.NewArray(out...)
}

func (d *decoder) value(v bson.RawValue) goja.Value {
	vm := d.vm
	switch v.Type {
	case bson.TypeDouble:
		return vm.ToValue(v.Double())
	case bson.TypeString:
		return vm.ToValue(v.StringValue())
	case bson.TypeEmbeddedDocument:
		return d.doc(v.Document())
	case bson.TypeArray:
		return d.array(v.Array())
	case bson.TypeBinary:
		_, data := v.Binary()
		return vm.ToValue(base64.StdEncoding.EncodeToString(data))
	case bson.TypeObjectID:
		return vm.ToValue(v.ObjectID().Hex())
	case bson.TypeBoolean:
		return vm.ToValue(v.Boolean())
	case bson.TypeDateTime:
		// The Date constructor makes ms beyond its range an Invalid Date, as JS does.
		date, err := vm.New(d.st.dateCtor, vm.ToValue(float64(v.DateTime())))
		if err != nil {
			panic(vm.NewGoError(err))
		}
		return date
	case bson.TypeRegex:
		p, o := v.Regex()
		return vm.ToValue("/" + p + "/" + o)
	case bson.TypeDBPointer:
		ns, id := v.DBPointer()
		o := vm.NewObject()
		_ = o.Set("$ref", ns)
		_ = o.Set("$id", id.Hex())
		return o
	case bson.TypeJavaScript:
		return vm.ToValue(v.JavaScript())
	case bson.TypeSymbol:
		return vm.ToValue(v.Symbol())
	case bson.TypeCodeWithScope:
		code, _ := v.CodeWithScope()
		return vm.ToValue(code)
	case bson.TypeInt32:
		return vm.ToValue(int64(v.Int32()))
	case bson.TypeTimestamp:
		t, i := v.Timestamp()
		o := vm.NewObject()
		_ = o.Set("t", int64(t))
		_ = o.Set("i", int64(i))
		return o
	case bson.TypeInt64:
		n := v.Int64()
		if n > 1<<53 || n < -(1<<53) {
			return vm.ToValue(strconv.FormatInt(n, 10))
		}
		return vm.ToValue(n)
	case bson.TypeDecimal128:
		return vm.ToValue(v.Decimal128().String())
	case bson.TypeMinKey, bson.TypeMaxKey:
		o := vm.NewObject()
		key := "$maxKey"
		if v.Type == bson.TypeMinKey {
			key = "$minKey"
		}
		_ = o.Set(key, 1)
		return o
	}
	return goja.Null() // null, undefined
}

// goValue converts what the driver gives as a Go value (an inserted or upserted _id) to JS.
func (d *decoder) goValue(v any) goja.Value {
	if v == nil {
		return goja.Null()
	}
	t, data, err := bson.MarshalValue(v)
	if err != nil {
		return goja.Null()
	}
	return d.value(bson.RawValue{Type: t, Value: data})
}
