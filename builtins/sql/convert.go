package sql

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/dop251/goja"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/kubusdev/kubus/builtins"
)

// value builds what the call returns: rows, the first row or null, or {rowsAffected, lastInsertId}.
func (st *state) value(method string, res *result) goja.Value {
	vm := st.h.VM
	switch method {
	case "execute":
		o := vm.NewObject()
		_ = o.Set("rowsAffected", res.rowsAffected)
		if res.lastInsertID != nil {
			_ = o.Set("lastInsertId", *res.lastInsertID)
		}
		return o
	case "queryOne":
		if len(res.rows) == 0 {
			return goja.Null()
		}
		return st.row(res.cols, res.rows[0])
	}
	out := make([]any, len(res.rows))
	for i, r := range res.rows {
		out[i] = st.row(res.cols, r)
		res.rows[i] = nil // let the Go copy go as the JS one is made
	}
	return vm.NewArray(out...)
}

// row is one row as an object, its properties in column order. They are defined, not set, so a
// column named __proto__ is a property like any other.
func (st *state) row(cols []column, vals []any) *goja.Object {
	o := st.h.VM.NewObject()
	for i, c := range cols {
		_ = o.DefineDataProperty(c.name, st.column(c.typ, vals[i]), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE)
	}
	return o
}

// column converts one value by its Go type and the column's database type (see the package doc).
func (st *state) column(typ string, v any) goja.Value {
	vm := st.h.VM
	switch v := v.(type) {
	case nil:
		return goja.Null()
	case bool:
		return vm.ToValue(v)
	case int64:
		if (typ == "BOOLEAN" || typ == "BOOL") && (v == 0 || v == 1) {
			return vm.ToValue(v == 1)
		}
		if v < -builtins.MaxSafeInteger || v > builtins.MaxSafeInteger {
			return vm.ToValue(strconv.FormatInt(v, 10))
		}
		return vm.ToValue(v)
	case float64:
		return vm.ToValue(v)
	case time.Time:
		return st.h.NewDate(v)
	case []byte:
		switch {
		case typ == "JSON" || typ == "JSONB":
			return st.json(string(v))
		case typ == "XML":
			return vm.ToValue(string(v))
		case typ == "UUID" && len(v) == 16:
			return vm.ToValue(uuid.UUID(v).String())
		}
		return vm.ToValue(base64.StdEncoding.EncodeToString(v))
	case string:
		switch typ {
		case "NUMERIC", "DECIMAL":
			return vm.ToValue(exactNumber(v))
		case "JSON", "JSONB":
			return st.json(v)
		case "TIMESTAMPTZ", "DATE", "DATETIME", "TIMESTAMP":
			// SQLite text the driver left unparsed (it reads DATE, DATETIME and TIMESTAMP columns
			// in its own formats); PostgreSQL's infinity stays a string.
			if t, ok := builtins.ParseDate(strings.Replace(v, " ", "T", 1), time.UTC); ok {
				return st.h.NewDate(t)
			}
		}
		return vm.ToValue(v)
	}
	return vm.ToValue(v)
}

// json parses valid JSON text; anything else stays the string it is.
func (st *state) json(s string) goja.Value {
	if !json.Valid([]byte(s)) {
		return st.h.VM.ToValue(s)
	}
	v, err := st.parse(goja.Undefined(), st.h.VM.ToValue(s))
	if err != nil {
		return st.h.VM.ToValue(s)
	}
	return v
}

// exactNumber is a decimal's text as a number when the float64 nearest to it prints as the same
// decimal ("12.50" → 12.5, "0.1" → 0.1), else the text ("12345678901234567890.12").
func exactNumber(s string) any {
	if len(s) > 64 { // a float64 has 17 significant digits; do not parse a 1000-digit string to learn so
		return s
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !decimal.NewFromFloat(f).Equal(d) {
		return s
	}
	return f
}
