package openapi

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

//go:embed docs.html
var docsHTML string

var docsTemplate = template.Must(template.New("docs").Funcs(template.FuncMap{
	"lower": strings.ToLower,
	"prose": prose,
}).Parse(docsHTML))

var (
	scopeSentence = regexp.MustCompile("\\s*Scope: `[^`]*`( or `[^`]*`)?\\.")
	codeSpan      = regexp.MustCompile("`([^`]+)`")
)

// prose renders a description (CommonMark in OpenAPI) as far as Kubus writes it: text with `code`
// spans. The "Scope: …" sentence is left out: the page shows the scope beside the route.
func prose(desc string) template.HTML {
	esc := template.HTMLEscapeString(strings.TrimSpace(scopeSentence.ReplaceAllString(desc, "")))
	return template.HTML(codeSpan.ReplaceAllString(esc, "<code>$1</code>"))
}

// DocsPage renders a document (Server's or Ruleset's) as one self-contained HTML page: inline CSS,
// no script, nothing fetched, so that GET /docs works offline and from the binary alone. It lists
// the routes grouped by tag, and each ruleset's inputs, outputs, alerts and entities.
func DocsPage(doc map[string]any) []byte {
	p := newPage(plain(doc))
	var b bytes.Buffer
	if err := docsTemplate.Execute(&b, p); err != nil {
		// The template and the page are ours; a failure is a bug, shown rather than hidden.
		return []byte("<!doctype html><title>Kubus</title><pre>" + template.HTMLEscapeString(err.Error()) + "</pre>")
	}
	return b.Bytes()
}

// plain makes the document plain JSON values (map[string]any, []any, …) by a round trip, so that
// the page reads a document made here and one decoded from JSON alike.
func plain(doc map[string]any) map[string]any {
	data, err := json.Marshal(doc)
	if err != nil {
		return map[string]any{}
	}
	var out map[string]any
	if json.Unmarshal(data, &out) != nil {
		return map[string]any{}
	}
	return out
}

type page struct {
	Title, Version, Description string
	Servers                     []string
	Schemes                     []scheme
	Groups                      []*group
}

type scheme struct{ Name, Description string }

type group struct {
	ID, Name, Description string
	Ruleset               *rulesetView
	Ops                   []opView
}

type opView struct {
	Method, Path, Summary, Description, Scope string
	Open                                      bool
	Request                                   []fieldView
	RequestNote                               string
	Responses                                 []respView
}

type fieldView struct {
	Name, Type, Description string
	Required                bool
}

type respView struct {
	Code, Description, Media string
	Error                    bool
}

type rulesetView struct {
	Name, Version, Description string
	Library, Persists          bool
	Inputs                     []row
	Outputs                    []row
	Alerts                     []row
	Entities                   []entityView
}

// row is one line of a ruleset table; not every table uses every column.
type row struct {
	Name, JSON, Type, Values, Default, Label, Description, Level string
	Required, Calculated                                         bool
}

type entityView struct {
	Name       string
	Persisted  bool
	Properties []row
}

func newPage(doc map[string]any) *page {
	info := obj(doc["info"])
	p := &page{Title: asString(info["title"]), Version: asString(info["version"]), Description: asString(info["description"])}
	for _, sv := range list(doc["servers"]) {
		p.Servers = append(p.Servers, asString(obj(sv)["url"]))
	}
	schemes := obj(obj(doc["components"])["securitySchemes"])
	for _, name := range sortedKeys(schemes) {
		p.Schemes = append(p.Schemes, scheme{name, asString(obj(schemes[name])["description"])})
	}
	p.Groups = groups(doc)
	return p
}

// groups are the operations by their first tag, in the order of the document's tags; untagged
// operations come last under "Other". Within a group, operations go by path and method.
func groups(doc map[string]any) []*group {
	byName := map[string]*group{}
	var order []*group
	get := func(name string) *group {
		if g := byName[name]; g != nil {
			return g
		}
		g := &group{ID: "tag-" + anchor(name), Name: name}
		byName[name] = g
		order = append(order, g)
		return g
	}
	for _, t := range list(doc["tags"]) {
		tm := obj(t)
		g := get(asString(tm["name"]))
		g.Description = asString(tm["description"])
		if r, ok := tm["x-kubus-ruleset"].(map[string]any); ok {
			g.Ruleset = rulesetSummary(r)
		}
	}
	paths := obj(doc["paths"])
	for _, path := range sortedKeys(paths) {
		item := obj(paths[path])
		for _, m := range methods {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			name := "Other"
			if tags := list(op["tags"]); len(tags) > 0 {
				name = asString(tags[0])
			}
			g := get(name)
			g.Ops = append(g.Ops, operationView(doc, m, path, op))
		}
	}
	return slices.DeleteFunc(order, func(g *group) bool { return len(g.Ops) == 0 && g.Ruleset == nil })
}

func operationView(doc map[string]any, method, path string, op map[string]any) opView {
	v := opView{Method: strings.ToUpper(method), Path: path, Summary: asString(op["summary"]),
		Description: asString(op["description"]), Scope: asString(op["x-kubus-scope"])}
	if sec, ok := op["security"].([]any); ok && len(sec) == 0 {
		v.Open = true
	}
	if body := obj(op["requestBody"]); len(body) > 0 {
		v.Request, v.RequestNote = requestFields(doc, body)
	}
	responses := obj(op["responses"])
	for _, code := range sortedKeys(responses) {
		r := obj(responses[code])
		rv := respView{Code: code, Description: asString(r["description"])}
		for _, media := range sortedKeys(obj(r["content"])) {
			rv.Media = media
		}
		n, _ := strconv.Atoi(code)
		rv.Error = n >= 400
		v.Responses = append(v.Responses, rv)
	}
	return v
}

// requestFields are the top-level members of a JSON request body, or a note when it has none to
// list (any JSON object).
func requestFields(doc map[string]any, body map[string]any) ([]fieldView, string) {
	content := obj(body["content"])
	media := obj(content["application/json"])
	if len(media) == 0 {
		return nil, strings.Join(sortedKeys(content), ", ")
	}
	schema := resolve(doc, obj(media["schema"]))
	props := obj(schema["properties"])
	if len(props) == 0 {
		return nil, "a JSON object"
	}
	required := map[string]bool{}
	for _, r := range list(schema["required"]) {
		required[asString(r)] = true
	}
	var out []fieldView
	for _, name := range sortedKeys(props) {
		p := obj(props[name])
		out = append(out, fieldView{Name: name, Type: typeLabel(doc, p), Required: required[name],
			Description: asString(resolve(doc, p)["description"])})
	}
	return out, ""
}

// resolve follows a local $ref into the document's components.
func resolve(doc map[string]any, schema map[string]any) map[string]any {
	for range 8 { // refs to refs, bounded
		ref, ok := schema["$ref"].(string)
		if !ok || !strings.HasPrefix(ref, "#/components/schemas/") {
			return schema
		}
		schema = obj(obj(obj(doc["components"])["schemas"])[strings.TrimPrefix(ref, "#/components/schemas/")])
	}
	return schema
}

// typeLabel is a short reading of a schema: "Input", "string (date)", "one of none, info", …
func typeLabel(doc map[string]any, schema map[string]any) string {
	if ref, ok := schema["$ref"].(string); ok {
		return ref[strings.LastIndex(ref, "/")+1:]
	}
	if enum := list(schema["enum"]); len(enum) > 0 {
		var vs []string
		for _, e := range enum {
			if e != nil {
				vs = append(vs, fmt.Sprint(e))
			}
		}
		return "one of " + strings.Join(vs, ", ")
	}
	var types []string
	switch t := schema["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			if x != "null" {
				types = append(types, asString(x))
			}
		}
	}
	label := strings.Join(types, " or ")
	switch {
	case label == "array":
		label = typeLabel(doc, obj(schema["items"])) + "[]"
	case asString(schema["format"]) != "":
		label += " (" + asString(schema["format"]) + ")"
	case label == "":
		label = "any"
	}
	return label
}

func rulesetSummary(r map[string]any) *rulesetView {
	v := &rulesetView{Name: asString(r["name"]), Version: asString(r["version"]), Description: asString(r["description"]),
		Library: r["library"] == true, Persists: r["persists"] == true}
	for _, x := range list(r["inputs"]) {
		m := obj(x)
		rw := summaryRow(m)
		if d, ok := m["default"]; ok {
			data, _ := json.Marshal(d)
			rw.Default = string(data)
		}
		v.Inputs = append(v.Inputs, rw)
	}
	for _, x := range list(r["outputs"]) {
		v.Outputs = append(v.Outputs, summaryRow(obj(x)))
	}
	for _, x := range list(r["alerts"]) {
		m := obj(x)
		v.Alerts = append(v.Alerts, row{Name: asString(m["name"]), Level: asString(m["level"]), Description: asString(m["message"])})
	}
	for _, x := range list(r["entities"]) {
		m := obj(x)
		e := entityView{Name: asString(m["name"]), Persisted: m["persisted"] == true}
		for _, p := range list(m["properties"]) {
			e.Properties = append(e.Properties, summaryRow(obj(p)))
		}
		v.Entities = append(v.Entities, e)
	}
	return v
}

func summaryRow(m map[string]any) row {
	return row{Name: asString(m["name"]), JSON: asString(m["json"]), Type: asString(m["type"]), Values: asString(m["values"]), Label: asString(m["label"]),
		Description: asString(m["description"]), Required: m["required"] == true, Calculated: m["calculated"] == true}
}

// anchor makes an HTML id from a name.
func anchor(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// asString is v when it is a string, else "".
func asString(v any) string {
	str, _ := v.(string)
	return str
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
