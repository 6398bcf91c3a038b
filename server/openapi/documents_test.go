package openapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kubusdev/kubus/rulesets"
)

// tricky is a ruleset with what the examples lack: an entity whose name is not a valid component
// name and one named like a fixed component, an entity inside an entity, arrays of entities, an
// `any` input, an output renamed, outputs of every type, and no testcases.
const tricky = `name: tricky
version: 2.0.0-rc.1+build.7
description: Edge cases <b>not</b> in the examples
inputs:
  Anything: {type: any}
  Tags: {type: array, of: string, required: true}
  Nested: {type: array, of: {type: array, of: number}}
  People: {type: array, of: Output}
  Place: {type: Café}
  When: {type: date, default: "2025-01-01"}
  Mode: {type: enum, values: [a, b], default: a, output: true}
entities:
  Output:
    properties:
      Name: {type: string, required: true}
      Home: {type: Café}
  Café:
    properties:
      Street: {type: string}
    calculated:
      Long: "Street !== null && Street.length > 10"
rules:
  N: {type: number, expression: "Tags.length"}
  Flag: {type: boolean, expression: "Tags.length > 1"}
  Label: {type: string, output: Renamed, expression: "Tags.join(',')"}
  Day: {type: date, expression: When}
  Choice: {type: enum, values: [x, y], expression: '"x"'}
  List: {type: array, of: date, expression: "[When]"}
  Free: {expression: "Anything"}
  Hidden: {output: false, expression: "1"}
`

// documents are the documents every structural test checks, each made from real rulesets.
func documents(t *testing.T) map[string]map[string]any {
	t.Helper()
	all := models(examples(t))
	tr := loadYAML(t, tricky).Model()
	older := *all[0]
	older.Version = "0.9.0"
	docs := map[string]map[string]any{
		"server with every example":         Server(all, serverOps, "http://localhost:8080"),
		"server with no rulesets":           Server(nil, serverOps, ""),
		"server with no routes":             Server(all, nil, ""),
		"server with two versions":          Server([]*rulesets.Ruleset{&older, all[0], tr}, serverOps, ""),
		"ruleset with edge cases":           Ruleset(tr, ""),
		"server with the edge-case ruleset": Server([]*rulesets.Ruleset{tr}, serverOps, "https://kubus.example/base"),
	}
	for _, rs := range all {
		docs["ruleset "+rs.Name] = Ruleset(rs, "http://localhost:8080")
	}
	return docs
}

// TestDocumentsFitOpenAPI31 validates each document against the official OpenAPI 3.1 schema, and
// compiles each of its component schemas as JSON Schema 2020-12 (which checks them against the
// 2020-12 meta-schema: the OAS schema does not look inside Schema Objects).
func TestDocumentsFitOpenAPI31(t *testing.T) {
	oas := oasValidator(t)
	for name, doc := range documents(t) {
		t.Run(name, func(t *testing.T) {
			if err := oas.Validate(jsonOf(t, doc)); err != nil {
				t.Fatalf("not a valid OpenAPI 3.1 document: %v", err)
			}
			for comp := range doc["components"].(map[string]any)["schemas"].(map[string]any) {
				schemaAt(t, doc, pointerTo("components", "schemas", comp))
			}
		})
	}
}

// TestOpenAPISchemaRefusesBrokenDocuments shows that the validation above can fail: each case
// breaks a valid document in one place.
func TestOpenAPISchemaRefusesBrokenDocuments(t *testing.T) {
	oas := oasValidator(t)
	cases := []struct {
		name   string
		break_ func(doc map[string]any)
	}{
		{"no info", func(doc map[string]any) { delete(doc, "info") }},
		{"a component name with @", func(doc map[string]any) {
			doc["components"].(map[string]any)["schemas"].(map[string]any)["travel-insurance@1.0.0.Input"] = map[string]any{}
		}},
		{"a response without description", func(doc map[string]any) {
			ok := doc["paths"].(map[string]any)[executePath].(map[string]any)["post"].(map[string]any)["responses"].(map[string]any)["200"].(map[string]any)
			delete(ok, "description")
		}},
		{"a path that does not start with /", func(doc map[string]any) {
			doc["paths"].(map[string]any)["api/x"] = map[string]any{}
		}},
		{"an unknown security scheme type", func(doc map[string]any) {
			doc["components"].(map[string]any)["securitySchemes"].(map[string]any)["bearer"].(map[string]any)["type"] = "password"
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := Ruleset(examples(t)[0].Model(), "")
			if err := oas.Validate(jsonOf(t, doc)); err != nil {
				t.Fatalf("the unbroken document must validate: %v", err)
			}
			c.break_(doc)
			if oas.Validate(jsonOf(t, doc)) == nil {
				t.Fatal("the broken document validated")
			}
		})
	}
}

// TestKinOpenAPILoadsAndValidates loads each document with kin-openapi, which supports 3.1, and
// runs its own validation, which also checks every example against its schema.
func TestKinOpenAPILoadsAndValidates(t *testing.T) {
	for name, doc := range documents(t) {
		t.Run(name, func(t *testing.T) {
			loaded := kinLoad(t, doc)
			if err := loaded.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
				t.Fatalf("kin-openapi: %v", err)
			}
		})
	}
}

func kinLoad(t *testing.T, doc map[string]any) *openapi3.T {
	t.Helper()
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatalf("kin-openapi cannot load the document: %v", err)
	}
	return loaded
}

// TestDocumentsAreDeterministic: the same rulesets give the same bytes, in whatever order.
func TestDocumentsAreDeterministic(t *testing.T) {
	all := models(examples(t))
	reversed := make([]*rulesets.Ruleset, len(all))
	for i, rs := range all {
		reversed[len(all)-1-i] = rs
	}
	a, _ := json.Marshal(Server(all, serverOps, ""))
	b, _ := json.Marshal(Server(reversed, serverOps, ""))
	if string(a) != string(b) {
		t.Fatal("the server document depends on the order of the rulesets")
	}
	c, _ := json.Marshal(Ruleset(all[0], ""))
	d, _ := json.Marshal(Ruleset(all[0], ""))
	if string(c) != string(d) {
		t.Fatal("the ruleset document differs between two calls")
	}
}

// TestServerDocument checks what the server document promises about routes and security.
func TestServerDocument(t *testing.T) {
	all := models(examples(t))
	older := *all[0]
	older.Version = "0.9.0"
	doc := Server(append([]*rulesets.Ruleset{&older}, all...), serverOps, "http://localhost:8080")
	paths := doc["paths"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)

	t.Run("every route of the table", func(t *testing.T) {
		for _, op := range serverOps {
			item, _ := paths[op.Path].(map[string]any)
			if _, ok := item[strings.ToLower(op.Method)]; !ok {
				t.Errorf("%s %s is missing", op.Method, op.Path)
			}
		}
	})
	t.Run("every ruleset's execute paths and prefixed components", func(t *testing.T) {
		for _, rs := range all {
			for _, p := range []string{"/api/rulesets/" + rs.Name + "/execute", "/api/rulesets/" + rs.Name + "/versions/" + rs.Version + "/execute"} {
				if _, ok := paths[p]; !ok {
					t.Errorf("%s is missing", p)
				}
			}
			for _, c := range []string{"Input", "Output", "Result", "ExecuteRequest"} {
				if _, ok := schemas[rs.Name+"."+c]; !ok {
					t.Errorf("component %s.%s is missing", rs.Name, c)
				}
			}
		}
	})
	t.Run("an older version has its own path and components, not the unversioned path", func(t *testing.T) {
		if _, ok := paths["/api/rulesets/"+older.Name+"/versions/0.9.0/execute"]; !ok {
			t.Error("the older version's path is missing")
		}
		if _, ok := schemas[older.Name+".0.9.0.Input"]; !ok {
			t.Error("the older version's components are missing")
		}
		ref := paths["/api/rulesets/"+older.Name+"/execute"].(map[string]any)["post"].(map[string]any)["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)["$ref"]
		if ref != "#/components/schemas/"+older.Name+".ExecuteRequest" {
			t.Errorf("the unversioned path refers to %v, not the latest version", ref)
		}
	})
	t.Run("security on every route but the open ones", func(t *testing.T) {
		for path, item := range paths {
			for method, op := range item.(map[string]any) {
				sec, has := op.(map[string]any)["security"]
				open := has && len(sec.([]any)) == 0
				want := path == "/healthz" || path == "/readyz" || path == "/metrics" || path == "/docs"
				if open != want {
					t.Errorf("%s %s: open %v, want %v", method, path, open, want)
				}
			}
		}
		if len(doc["security"].([]any)) != 2 {
			t.Error("the document's security should offer bearer and apiKeyHeader")
		}
	})
	t.Run("error bodies by route family", func(t *testing.T) {
		cases := []struct{ path, method, code, media, schema string }{
			{"/api/rulesets/{name}/entities/{Entity}", "post", "409", "application/problem+json", "Problem"},
			{"/consents/givenConsents", "post", "404", "application/json", "ConsentError"},
			{"/consents/givenConsents", "post", "401", "application/problem+json", "Problem"},
			{"/api/v2.6/data-debit/{key}", "post", "409", "application/json", "HatError"},
			{"/api/rulesets/travel-insurance/execute", "post", "422", "application/problem+json", "Problem"},
		}
		for _, c := range cases {
			r := paths[c.path].(map[string]any)[c.method].(map[string]any)["responses"].(map[string]any)[c.code].(map[string]any)
			got := r["content"].(map[string]any)[c.media].(map[string]any)["schema"].(map[string]any)["$ref"]
			if got != "#/components/schemas/"+c.schema {
				t.Errorf("%s %s %s: %v, want %s", c.method, c.path, c.code, got, c.schema)
			}
		}
	})
}
