package openapi

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
)

// serverOps is the route table of server.md, as the server will pass it.
var serverOps = []Op{
	{Method: "GET", Path: "/healthz", Summary: "The process lives", Tags: []string{"operations"}, Responses: []int{200}},
	{Method: "GET", Path: "/readyz", Summary: "The store is open and every ruleset loaded", Tags: []string{"operations"}, Responses: []int{200, 503}},
	{Method: "GET", Path: "/metrics", Summary: "Prometheus metrics", Tags: []string{"operations"}, Responses: []int{200}},
	{Method: "GET", Path: "/docs", Summary: "This page", Tags: []string{"operations"}, Responses: []int{200}},
	{Method: "GET", Path: "/api/openapi.json", Summary: "The OpenAPI document of the server", Scope: "execute:*", Tags: []string{"rulesets"}, Responses: []int{200, 401, 403}},
	{Method: "GET", Path: "/api/rulesets", Summary: "List the rulesets", Tags: []string{"rulesets"}, Responses: []int{200, 401}},
	{Method: "POST", Path: "/api/rulesets", Summary: "Import a ruleset's JSON form", Scope: "admin", Body: "json", Tags: []string{"rulesets"}, Responses: []int{200, 201, 400, 401, 403, 409, 413, 415}},
	{Method: "GET", Path: "/api/rulesets/{name}", Summary: "The latest version's summary", Scope: "execute:{name}", Tags: []string{"rulesets"}, Responses: []int{200, 401, 403, 404}},
	{Method: "GET", Path: "/api/rulesets/{name}/openapi.json", Summary: "The ruleset's OpenAPI document", Scope: "execute:{name}", Tags: []string{"rulesets"}, Responses: []int{200, 401, 403, 404}},
	{Method: "POST", Path: "/api/rulesets/{name}/execute", Summary: "Execute the highest version", Scope: "execute:{name}", Body: "json", Tags: []string{"rulesets"}, Responses: []int{200, 400, 401, 403, 404, 413, 415, 422, 503}},
	{Method: "POST", Path: "/api/rulesets/{name}/versions/{version}/execute", Summary: "Execute a version", Scope: "execute:{name}", Body: "json", Tags: []string{"rulesets"}, Responses: []int{200, 400, 401, 403, 404, 413, 415, 422, 503}},
	{Method: "GET", Path: "/api/rulesets/{name}/entities/{Entity}", Summary: "List or query entities", Scope: "entities:{name}:read", Tags: []string{"entities"}, Responses: []int{200, 400, 401, 403, 404}},
	{Method: "POST", Path: "/api/rulesets/{name}/entities/{Entity}", Summary: "Create an entity", Scope: "entities:{name}", Body: "json", Tags: []string{"entities"}, Responses: []int{201, 400, 401, 403, 404, 409, 413, 415}},
	{Method: "GET", Path: "/api/rulesets/{name}/entities/{Entity}/{id}", Summary: "Read an entity", Scope: "entities:{name}:read", Tags: []string{"entities"}, Responses: []int{200, 304, 401, 403, 404}},
	{Method: "PUT", Path: "/api/rulesets/{name}/entities/{Entity}/{id}", Summary: "Replace an entity", Scope: "entities:{name}", Body: "json", Tags: []string{"entities"}, Responses: []int{200, 400, 401, 403, 404, 409, 412, 413, 415}},
	{Method: "PATCH", Path: "/api/rulesets/{name}/entities/{Entity}/{id}", Summary: "Merge-patch an entity", Scope: "entities:{name}", Body: "json", Tags: []string{"entities"}, Responses: []int{200, 400, 401, 403, 404, 409, 412, 413, 415}},
	{Method: "DELETE", Path: "/api/rulesets/{name}/entities/{Entity}/{id}", Summary: "Delete an entity", Scope: "entities:{name}", Tags: []string{"entities"}, Responses: []int{204, 401, 403, 404, 412}},
	{Method: "GET", Path: "/consents/consents", Summary: "Consents of a user", Scope: "consents", Tags: []string{"consents"}, Responses: []int{200, 400, 401, 403}},
	{Method: "POST", Path: "/consents/givenConsents", Summary: "Give a consent", Scope: "consents", Body: "json", Tags: []string{"consents"}, Responses: []int{201, 400, 401, 403, 404, 412}},
	{Method: "GET", Path: "/api/v2.6/data-debit/{key}", Summary: "A data debit", Scope: "datadebits", Tags: []string{"data debits"}, Responses: []int{200, 401, 403, 404}},
	{Method: "POST", Path: "/api/v2.6/data-debit/{key}", Summary: "Request a data debit", Scope: "datadebits", Body: "json", Tags: []string{"data debits"}, Responses: []int{201, 400, 401, 403, 409}},
	{Method: "POST", Path: "/api/alert/aggregate", Summary: "Alert counts by tags", Scope: "admin", Body: "json", Tags: []string{"admin"}, Responses: []int{200, 400, 401, 403, 404}},
	{Method: "GET", Path: "/api/audit", Summary: "The audit trail", Scope: "admin", Tags: []string{"admin"}, Responses: []int{200, 400, 401, 403}},
	{Method: "GET", Path: "/api/keys", Summary: "List the keys", Scope: "admin", Tags: []string{"admin"}, Responses: []int{200, 401, 403}},
	{Method: "POST", Path: "/api/keys", Summary: "Create a key", Scope: "admin", Body: "json", Tags: []string{"admin"}, Responses: []int{201, 400, 401, 403}},
	{Method: "DELETE", Path: "/api/keys/{id}", Summary: "Revoke a key", Scope: "admin", Tags: []string{"admin"}, Responses: []int{204, 401, 403, 404}},
}

// exampleDirs are the example ruleset folders.
func exampleDirs(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../examples/*/ruleset.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example rulesets (%v)", err)
	}
	dirs := make([]string, len(files))
	for i, f := range files {
		dirs[i] = filepath.Dir(f)
	}
	return dirs
}

var (
	examplesOnce sync.Once
	examplesList []*engine.Ruleset
	examplesErr  error
)

// examples are the example rulesets, compiled once for the whole test binary: the engine checks
// their names against its built-in modules, which the model alone cannot.
func examples(t *testing.T) []*engine.Ruleset {
	t.Helper()
	dirs := exampleDirs(t)
	examplesOnce.Do(func() {
		eng := engine.New()
		for _, d := range dirs {
			rs, err := eng.Load(d)
			if err != nil {
				examplesErr = err
				return
			}
			examplesList = append(examplesList, rs)
		}
	})
	if examplesErr != nil {
		t.Fatal(examplesErr)
	}
	return examplesList
}

func models(list []*engine.Ruleset) []*rulesets.Ruleset {
	out := make([]*rulesets.Ruleset, len(list))
	for i, rs := range list {
		out[i] = rs.Model()
	}
	return out
}

// loadYAML compiles a ruleset written in the test.
func loadYAML(t *testing.T, yaml string) *engine.Ruleset {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ruleset.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := engine.New().Load(dir)
	if err != nil {
		t.Fatalf("loading the test ruleset: %v", err)
	}
	return rs
}

// jsonOf is v as the generic JSON value jsonschema validates (numbers as json.Number).
func jsonOf(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const oasSchemaFile = "testdata/oas-3.1-schema-2022-10-07.json"

var (
	oasOnce   sync.Once
	oasSchema *jsonschema.Schema
	oasErr    error
)

// oasValidator is the official OpenAPI 3.1 schema (see testdata/README.md), compiled once.
func oasValidator(t *testing.T) *jsonschema.Schema {
	t.Helper()
	oasOnce.Do(func() {
		f, err := os.Open(oasSchemaFile)
		if err != nil {
			oasErr = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			oasErr = err
			return
		}
		c := jsonschema.NewCompiler()
		if err = c.AddResource(oasSchemaFile, doc); err != nil {
			oasErr = err
			return
		}
		oasSchema, oasErr = c.Compile(oasSchemaFile)
	})
	if oasErr != nil {
		t.Fatal(oasErr)
	}
	return oasSchema
}

// docURL is where a generated document is registered for jsonschema to resolve its $refs.
const docURL = "mem://kubus/openapi.json"

// schemaAt compiles the Schema Object at a JSON pointer of a generated document, with its $refs
// resolved into the document's components. The OAS 3.1 dialect is JSON Schema 2020-12 (plus
// annotations), and formats are asserted: a date input must be a real date.
func schemaAt(t *testing.T, doc map[string]any, pointer string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, jsonOf(t, doc)); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(docURL + "#" + pointer)
	if err != nil {
		t.Fatalf("compiling %s: %v", pointer, err)
	}
	return s
}

// pointerTo escapes JSON pointer tokens and joins them.
func pointerTo(tokens ...string) string {
	var b strings.Builder
	for _, tok := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(tok))
	}
	return b.String()
}

func requestPointer(path string) string {
	return pointerTo("paths", path, "post", "requestBody", "content", "application/json", "schema")
}

func responsePointer(path, code, media string) string {
	return pointerTo("paths", path, "post", "responses", code, "content", media, "schema")
}
