package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// TestServedOpenAPIValidatesRealAnswers fetches the documents the server serves, loads and
// validates them with kin-openapi, and checks real exchanges with the server (a result, input
// problems, a failing rule) against them.
func TestServedOpenAPIValidatesRealAnswers(t *testing.T) {
	ts := newTestServer(t, []string{"../examples"}, map[string][]string{"exec": {"execute:*"}, "one": {"execute:travel-insurance"}}, nil)
	load := func(path, key string) *openapi3.T {
		t.Helper()
		status, h, data := ts.do("GET", path, key, nil)
		if status != 200 || h.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %s", path, status, data)
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(data)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if err := doc.Validate(context.Background()); err != nil {
			t.Fatalf("%s does not validate: %v", path, err)
		}
		return doc
	}
	rulesetDoc := load("/api/rulesets/travel-insurance/openapi.json", "one")
	serverDoc := load("/api/openapi.json", "exec")
	if serverDoc.Paths.Find("/api/rulesets/people-register/execute") == nil {
		t.Error("the server document lacks a ruleset the key may execute")
	}
	if d := load("/api/openapi.json", "one"); d.Paths.Find("/api/rulesets/people-register/execute") != nil {
		t.Error("the server document shows a ruleset the key may not execute")
	}
	for _, rt := range ts.srv.Routes() {
		if !rt.Hidden && serverDoc.Paths.Find(rt.Pattern) == nil {
			t.Errorf("route %s %s is not in the server document", rt.Method, rt.Pattern)
		}
	}

	input := travelInput(t)
	exchanges := []struct {
		name   string
		body   any
		status int
	}{
		{"result", map[string]any{"input": input, "options": map[string]any{"explain": true, "logLevel": "info"}}, 200},
		{"input problems", map[string]any{"input": map[string]any{"StartDate": "soon"}}, 400},
	}
	for _, doc := range []*openapi3.T{rulesetDoc, serverDoc} {
		router, err := legacy.NewRouter(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, ex := range exchanges {
			data, _ := json.Marshal(ex.body)
			status, h, answer := ts.do("POST", "/api/rulesets/travel-insurance/execute", "exec", ex.body)
			if status != ex.status {
				t.Fatalf("%s: %d %s", ex.name, status, answer)
			}
			req := httptest.NewRequest("POST", doc.Servers[0].URL+"/api/rulesets/travel-insurance/execute", bytes.NewReader(data))
			req.Header.Set("Content-Type", "application/json")
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatalf("%s: %v", ex.name, err)
			}
			opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
			if ex.status == 200 {
				if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
					t.Errorf("%s: the request does not fit the document: %v", ex.name, err)
				}
			}
			out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Options: opts,
				Header: http.Header{"Content-Type": {h.Get("Content-Type")}}}
			if err := openapi3filter.ValidateResponse(context.Background(), out.SetBodyBytes(answer)); err != nil {
				t.Errorf("%s: the server's answer does not fit the document: %v\n%s", ex.name, err, answer)
			}
		}
	}
	status, h, page := ts.do("GET", "/docs", "", nil)
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !bytes.Contains(page, []byte("/api/rulesets/{name}/execute")) {
		t.Errorf("/docs: %d %s", status, h.Get("Content-Type"))
	}
	if bytes.Contains(page, []byte("TotalPremium")) {
		t.Error("the open /docs page shows a ruleset's definition")
	}
}
