package rulesets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"
)

// exportMode says which form a tree is built for: the JSON form carries everything in one document;
// the folder form leaves code, CSV tables and test files to their own files.
type exportMode int

const (
	modeJSON exportMode = iota
	modeDir
)

// MarshalJSON writes the single-JSON form, so a Ruleset can be embedded in other JSON documents.
func (rs *Ruleset) MarshalJSON() ([]byte, error) {
	if rs == nil {
		return []byte("null"), nil
	}
	return ExportJSON(rs)
}

// ExportJSON writes the ruleset as one JSON document with the keys of ruleset.yaml in declared order.
// Code read from a file carries both its `file` and its text, CSV tables both their `file` and their
// content, and every testcase the `file` it came from, so WriteDir can rebuild the folder.
func ExportJSON(rs *Ruleset) ([]byte, error) {
	if rs == nil {
		return nil, fmt.Errorf("rulesets: no ruleset to export")
	}
	tree := exportTree(rs, modeJSON)
	var b bytes.Buffer
	if err := writeJSON(&b, tree, ""); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// exportTree builds the document as ordered values: *Object, []any and scalars.
func exportTree(rs *Ruleset, mode exportMode) *Object {
	root := NewObject()
	root.Set("name", rs.Name)
	version := rs.Version
	if version == "" {
		version = DefaultVersion
	}
	root.Set("version", version)
	setIf(root, "description", rs.Description)
	if len(rs.Uses) > 0 {
		root.Set("uses", strings2any(rs.Uses))
	}
	if rs.Library {
		root.Set("library", true)
	}
	setIf(root, "culture", rs.Culture)
	setIf(root, "timezone", rs.Timezone)

	if len(rs.Inputs) > 0 {
		root.Set("inputs", fieldsTree(rs.Inputs))
	}

	if len(rs.Entities) > 0 {
		entities := NewObject()
		for _, en := range rs.Entities {
			o := NewObject()
			if en.Persisted {
				o.Set("persisted", true)
			}
			setIf(o, "description", en.Description)
			if len(en.Properties) > 0 {
				o.Set("properties", propertiesTree(en.Properties))
			}
			if len(en.Calculated) > 0 {
				calc := NewObject()
				for _, c := range en.Calculated {
					if c.Type == nil && c.Code.File == "" {
						calc.Set(c.Name, c.Code.Source)
						continue
					}
					co := NewObject()
					if c.Type != nil {
						setType(co, *c.Type)
					}
					setCode(co, "expression", c.Code, mode)
					calc.Set(c.Name, co)
				}
				o.Set("calculated", calc)
			}
			entities.Set(en.Name, o)
		}
		root.Set("entities", entities)
	}

	if len(rs.Constants) > 0 {
		consts := NewObject()
		for _, c := range rs.Constants {
			if c.Env != "" {
				o := NewObject()
				o.Set("env", c.Env)
				if c.HasDefault {
					o.Set("default", c.Default)
				}
				consts.Set(c.Name, o)
				continue
			}
			consts.Set(c.Name, c.Value)
		}
		root.Set("constants", consts)
	}

	if len(rs.Tables) > 0 {
		tables := NewObject()
		for _, t := range rs.Tables {
			o := NewObject()
			if t.File != "" {
				o.Set("file", t.File)
			}
			if t.File == "" || mode == modeJSON {
				o.Set("columns", strings2any(t.Columns))
				rows := NewObject()
				for _, r := range t.Rows {
					rows.Set(r.Key, append([]any{}, r.Values...))
				}
				o.Set("rows", rows)
			}
			tables.Set(t.Name, o)
		}
		root.Set("tables", tables)
	}

	if len(rs.Functions) > 0 {
		fns := NewObject()
		for _, f := range rs.Functions {
			o := NewObject()
			if len(f.Params) > 0 {
				params := NewObject()
				for _, p := range f.Params {
					params.Set(p.Name, typeSpec(p.Type))
				}
				o.Set("params", params)
			}
			if f.Returns != nil {
				o.Set("returns", typeSpec(*f.Returns))
			}
			setIf(o, "description", f.Description)
			setCode(o, "body", f.Code, mode)
			fns.Set(f.Name, o)
		}
		root.Set("functions", fns)
	}

	if len(rs.Rules) > 0 {
		rules := NewObject()
		for _, r := range rs.Rules {
			o := NewObject()
			if r.Type != nil {
				setType(o, *r.Type)
			}
			switch {
			case !r.Output:
				o.Set("output", false)
			case r.OutputName != "" && r.OutputName != r.Name:
				o.Set("output", r.OutputName)
			}
			setIf(o, "description", r.Description)
			setCode(o, "expression", r.Code, mode)
			rules.Set(r.Name, o)
		}
		root.Set("rules", rules)
	}

	if len(rs.Alerts) > 0 {
		alerts := NewObject()
		for _, a := range rs.Alerts {
			o := NewObject()
			o.Set("level", a.Level)
			o.Set("when", a.When.Source)
			o.Set("message", a.Message.Source)
			alerts.Set(a.Name, o)
		}
		root.Set("alerts", alerts)
	}

	if rs.Workflow != nil {
		root.Set("workflow", workflowTree(rs.Workflow, mode))
	}
	if rs.OcktoScenarios != nil && mode != modeDir { // the folder form writes ockto-scenarios.yaml
		root.Set("ocktoScenarios", rs.OcktoScenarios)
	}
	var tcs []any
	for _, tc := range rs.Testcases {
		if mode == modeDir && !isInlineTestcase(tc) {
			continue
		}
		tcs = append(tcs, testcaseTree(rs, tc, mode))
	}
	if len(tcs) > 0 {
		root.Set("testcases", tcs)
	}
	return root
}

// fieldsTree writes inputs (or a wait step's answer fields).
func fieldsTree(fields []*Input) *Object {
	out := NewObject()
	for _, in := range fields {
		o := NewObject()
		setType(o, in.Type)
		if in.Required {
			o.Set("required", true)
		}
		if in.HasDefault {
			o.Set("default", in.Default)
		}
		setIf(o, "from", in.From)
		if in.Output {
			o.Set("output", true)
		}
		if in.PII {
			o.Set("pii", true)
		}
		setIf(o, "label", in.Label)
		setIf(o, "description", in.Description)
		out.Set(in.Name, o)
	}
	return out
}

// propertiesTree writes an entity's (or a workflow state's) properties.
func propertiesTree(props []*Property) *Object {
	out := NewObject()
	for _, p := range props {
		po := NewObject()
		setType(po, p.Type)
		if p.Required {
			po.Set("required", true)
		}
		if p.HasDefault {
			po.Set("default", p.Default)
		}
		setIf(po, "label", p.Label)
		setIf(po, "description", p.Description)
		out.Set(p.Name, po)
	}
	return out
}

func isInlineTestcase(tc *Testcase) bool { return tc.File == "" || tc.File == RulesetFile }

func testcaseTree(rs *Ruleset, tc *Testcase, mode exportMode) *Object {
	o := NewObject()
	o.Set("name", tc.Name)
	if !tc.Now.IsZero() {
		o.Set("now", formatNow(tc.Now, rs.Location()))
	}
	setIf(o, "culture", tc.Culture)
	if tc.Input != nil {
		o.Set("input", tc.Input)
	}
	if len(tc.Fixtures) > 0 {
		fixtures := make([]any, len(tc.Fixtures))
		for i, f := range tc.Fixtures {
			item := NewObject()
			item.Set(f.Entity, f.Props)
			fixtures[i] = item
		}
		o.Set("fixtures", fixtures)
	}
	setIf(o, "ockto", tc.Ockto)
	for _, rs := range []struct {
		key  string
		list []*RecordFixture
	}{{"consents", tc.Consents}, {"dataDebits", tc.DataDebits}} {
		if len(rs.list) > 0 {
			items := make([]any, len(rs.list))
			for i, r := range rs.list {
				items[i] = r.Props
			}
			o.Set(rs.key, items)
		}
	}
	if len(tc.SQL) > 0 {
		so := NewObject()
		for _, f := range tc.SQL {
			fo := NewObject()
			setIf(fo, "file", f.File)
			if mode == modeJSON || f.File == "" {
				fo.Set("script", f.Script)
			}
			so.Set(f.Connection, fo)
		}
		o.Set("sql", so)
	}
	if len(tc.MongoDB) > 0 {
		mo := NewObject()
		for _, f := range tc.MongoDB {
			co := NewObject()
			for _, c := range f.Collections {
				co.Set(c.Name, c.Documents)
			}
			mo.Set(f.Connection, co)
		}
		o.Set("mongodb", mo)
	}
	if len(tc.HTTP) > 0 {
		items := make([]any, len(tc.HTTP))
		for i, f := range tc.HTTP {
			fo := NewObject()
			fo.Set("method", f.Method)
			fo.Set("url", f.URL)
			fo.Set("status", float64(f.Status))
			if len(f.Headers) > 0 {
				h := NewObject()
				for _, k := range slices.Sorted(maps.Keys(f.Headers)) {
					h.Set(k, f.Headers[k])
				}
				fo.Set("headers", h)
			}
			if f.HasJSON {
				fo.Set("json", f.JSON)
			} else if f.Body != "" {
				fo.Set("body", f.Body)
			}
			if f.Delay != nil {
				fo.Set("delay", f.Delay.Text)
			}
			items[i] = fo
		}
		o.Set("http", items)
	}
	if tc.MailCapture {
		o.Set("mail", "capture")
	}
	if len(tc.Steps) > 0 {
		o.Set("steps", testStepsTree(tc.Steps, mode))
	}
	e := NewObject()
	if tc.Expect.Output != nil {
		e.Set("output", tc.Expect.Output)
	}
	if tc.Expect.Strict {
		e.Set("strict", true)
	}
	if tc.Expect.HasAlerts {
		e.Set("alerts", strings2any(tc.Expect.Alerts))
	}
	if tc.Expect.HasError {
		if tc.Expect.Error == "" {
			e.Set("error", nil)
		} else {
			e.Set("error", tc.Expect.Error)
		}
	}
	if tc.Expect.HasMails {
		items := make([]any, len(tc.Expect.Mails))
		for i, m := range tc.Expect.Mails {
			mo := NewObject()
			setIf(mo, "to", m.To)
			setIf(mo, "subject", m.Subject)
			setIf(mo, "contains", m.Contains)
			if len(m.Attachments) > 0 {
				mo.Set("attachments", strings2any(m.Attachments))
			}
			items[i] = mo
		}
		e.Set("mails", items)
	}
	if len(tc.Expect.Documents) > 0 {
		items := make([]any, len(tc.Expect.Documents))
		for i, d := range tc.Expect.Documents {
			do := NewObject()
			setIf(do, "name", d.Name)
			setIf(do, "contentType", d.ContentType)
			setIf(do, "contains", d.Contains)
			items[i] = do
		}
		e.Set("documents", items)
	}
	if e.Len() > 0 {
		o.Set("expect", e)
	}
	if tc.Tolerance != 0 {
		o.Set("tolerance", tc.Tolerance)
	}
	if mode == modeJSON {
		file := tc.File
		if file == "" {
			file = RulesetFile
		}
		o.Set("file", file)
		if tc.SharedStore {
			o.Set("store", "shared")
		}
	}
	return o
}

// formatNow writes a testcase clock as a date when it is midnight in the ruleset's zone (the way such
// clocks are usually written), else as RFC 3339 with its own offset.
func formatNow(t time.Time, loc *time.Location) string {
	if l := t.In(loc); l.Hour() == 0 && l.Minute() == 0 && l.Second() == 0 && l.Nanosecond() == 0 {
		return l.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339Nano)
}

func setIf(o *Object, k, v string) {
	if v != "" {
		o.Set(k, v)
	}
}

func strings2any(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// setType writes `type` with its `values` or `of`; `any` is left out, as it is the default.
func setType(o *Object, t Type) {
	if (t.Name == "" || t.Name == TypeAny) && t.Values == nil && t.Of == nil {
		return
	}
	o.Set("type", t.Name)
	if t.Name == TypeEnum || t.Values != nil {
		o.Set("values", strings2any(t.Values))
	}
	if t.Of != nil {
		o.Set("of", typeSpec(*t.Of))
	}
}

// typeSpec writes a type as its name when that says it all, else as {type, values, of}.
func typeSpec(t Type) any {
	if t.Values == nil && t.Of == nil && t.Name != TypeEnum {
		if t.Name == "" {
			return TypeAny
		}
		return t.Name
	}
	o := NewObject()
	setType(o, t)
	return o
}

// setCode writes code under textKey, or as `file` (the folder form) or both (the JSON form).
func setCode(o *Object, textKey string, c Code, mode exportMode) {
	if c.File == "" {
		o.Set(textKey, c.Source)
		return
	}
	o.Set("file", c.File)
	if mode == modeJSON {
		o.Set(textKey, c.Source)
	}
}

// writeJSON writes v as indented JSON, keeping the order of *Object keys. Lists of scalars stay on one
// line, which keeps enum values, columns and table rows readable.
func writeJSON(b *bytes.Buffer, v any, indent string) error {
	switch v := v.(type) {
	case *Object:
		if v.Len() == 0 {
			b.WriteString("{}")
			return nil
		}
		b.WriteString("{\n")
		inner := indent + "  "
		for i, k := range v.Keys {
			b.WriteString(inner)
			writeJSONString(b, k)
			b.WriteString(": ")
			if err := writeJSON(b, v.Values[k], inner); err != nil {
				return err
			}
			if i < len(v.Keys)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent)
		b.WriteByte('}')
	case []any:
		if len(v) == 0 {
			b.WriteString("[]")
			return nil
		}
		flat := true
		for _, e := range v {
			switch e.(type) {
			case *Object, []any:
				flat = false
			}
		}
		if flat {
			b.WriteByte('[')
			for i, e := range v {
				if i > 0 {
					b.WriteString(", ")
				}
				if err := writeJSON(b, e, indent); err != nil {
					return err
				}
			}
			b.WriteByte(']')
			return nil
		}
		b.WriteString("[\n")
		inner := indent + "  "
		for i, e := range v {
			b.WriteString(inner)
			if err := writeJSON(b, e, inner); err != nil {
				return err
			}
			if i < len(v)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent)
		b.WriteByte(']')
	case string:
		writeJSONString(b, v)
	case float64:
		s, err := formatNumber(v)
		if err != nil {
			return err
		}
		b.WriteString(s)
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case nil:
		b.WriteString("null")
	default:
		return fmt.Errorf("rulesets: cannot export a value of type %T", v)
	}
	return nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // Encode adds a newline
}

// formatNumber writes a number the way encoding/json does; NaN and infinities have no JSON form.
func formatNumber(f float64) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("rulesets: cannot export the number %v", f)
	}
	out, err := json.Marshal(f)
	return string(out), err
}
