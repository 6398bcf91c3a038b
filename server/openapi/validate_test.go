package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/engine/kubustest"
)

// executed is one real execution: the request body the server would get and what it answered.
type executed struct {
	name string
	body map[string]any
	res  *engine.Result
	err  error
}

// testcaseExecutions runs every testcase of an example ruleset with the engine, as `kubus test`
// does (fixtures, Ockto simulator, fresh stores), and pairs each with its request body.
func testcaseExecutions(rs *engine.Ruleset) []executed {
	if rs.Model().Workflow != nil {
		return nil // a workflow's testcases script instances (the workflow routes), not executions
	}
	var out []executed
	for _, c := range kubustest.RunCases(context.Background(), rs, kubustest.Options{}) {
		out = append(out, executed{name: c.Case.Name, body: requestExample(c.Case), res: c.Result, err: c.Err})
	}
	return out
}

// TestTestcaseInputsAgreeWithTheRequestSchema: for every testcase of every example, the request
// schema accepts the request exactly when the engine accepts its input. The invalid-input testcases
// are the cases that must not validate; the test fails if there are none.
func TestTestcaseInputsAgreeWithTheRequestSchema(t *testing.T) {
	all := examples(t)
	server := Server(models(all), serverOps, "")
	refused := 0
	for _, rs := range all {
		own := Ruleset(rs.Model(), "")
		schemas := map[string]string{
			"ruleset document": requestPointer(executePath),
			"server document":  requestPointer("/api/rulesets/" + rs.Name() + "/versions/" + rs.Version() + "/execute"),
		}
		for doc, ptr := range schemas {
			d := own
			if doc == "server document" {
				d = server
			}
			schema := schemaAt(t, d, ptr)
			for _, x := range testcaseExecutions(rs) {
				var ie *engine.InputError
				engineRefuses := errors.As(x.err, &ie)
				verr := schema.Validate(jsonOf(t, x.body))
				switch {
				case verr == nil && engineRefuses:
					t.Errorf("%s, %s / %s: the schema accepts an input the engine refuses (%v)", doc, rs.Name(), x.name, ie)
				case verr != nil && !engineRefuses:
					t.Errorf("%s, %s / %s: the schema refuses an input the engine accepts: %v", doc, rs.Name(), x.name, verr)
				case engineRefuses:
					refused++
				}
			}
		}
	}
	if refused == 0 {
		t.Fatal("no testcase input was refused: the test cannot tell a schema that accepts everything")
	}
}

// travelBody is a valid travel-insurance request to break in one place at a time.
func travelBody() map[string]any {
	return map[string]any{
		"input": map[string]any{
			"StartDate": "2024-05-10", "EndDate": "2024-05-20", "DateOfBirth": "1980-01-01",
			"CustomerArea": "north", "NumberOfItems": 2, "customer-id": "c-42",
			"Traveller": map[string]any{"Name": "Ann", "Birthdate": "1980-01-01"},
		},
		"options": map[string]any{"logLevel": "info", "culture": "nl-NL", "explain": true,
			"tags": []any{"2026", "q1"}, "metrics": false, "now": "2024-05-01T09:00:00Z"},
	}
}

func travelInsurance(t *testing.T) *engine.Ruleset {
	t.Helper()
	for _, rs := range examples(t) {
		if rs.Name() == "travel-insurance" {
			return rs
		}
	}
	t.Fatal("no travel-insurance example")
	return nil
}

// TestRequestSchemaCases: requests broken in one place. The schema must refuse each one it should;
// where the engine decides too, it must agree, except where the schema is stricter on purpose
// (documented in dateSchema and executeOptions).
func TestRequestSchemaCases(t *testing.T) {
	rs := travelInsurance(t)
	schema := schemaAt(t, Ruleset(rs.Model(), ""), requestPointer(executePath))
	in := func(k string, v any) func(map[string]any) {
		return func(b map[string]any) { b["input"].(map[string]any)[k] = v }
	}
	opt := func(k string, v any) func(map[string]any) {
		return func(b map[string]any) { b["options"].(map[string]any)[k] = v }
	}
	without := func(k string) func(map[string]any) {
		return func(b map[string]any) { delete(b["input"].(map[string]any), k) }
	}
	const agree, stricter = false, true
	cases := []struct {
		name     string
		change   func(map[string]any)
		valid    bool
		stricter bool // the engine accepts what the schema refuses, on purpose
	}{
		{"valid as written", func(map[string]any) {}, true, agree},
		{"a number input given as text", in("NumberOfItems", "three"), false, agree},
		{"a required input missing", without("DateOfBirth"), false, agree},
		{"a required input null", in("DateOfBirth", nil), false, agree},
		{"an optional input null takes its default", in("NumberOfItems", nil), true, agree},
		{"an optional input left out", without("NumberOfItems"), true, agree},
		{"a value outside the enum", in("CustomerArea", "middle"), false, agree},
		{"a date in another format", in("StartDate", "10-05-2024"), false, agree},
		{"a date that does not exist", in("StartDate", "2024-02-30"), false, agree},
		{"an entity without its required property", in("Traveller", map[string]any{"Birthdate": "1980-01-01"}), false, agree},
		{"an entity with an undeclared property", in("Traveller", map[string]any{"Name": "Ann", "Pet": "cat"}), true, agree},
		{"an entity that is not an object", in("Traveller", []any{"Ann"}), false, agree},
		{"an input under its JSON name of the wrong type", in("customer-id", 42), false, agree},
		{"an undeclared input is ignored", in("Extra", 1), true, agree},
		{"an RFC 3339 date-time for a date", in("StartDate", "2024-05-10T00:00:00+02:00"), false, stricter},
		{"an unknown option", opt("verbose", true), false, agree},
		{"a log level that does not exist", opt("logLevel", "loud"), false, agree},
		{"a log level alias the engine reads", opt("logLevel", "debug"), false, stricter},
		{"six tags", opt("tags", []any{"a", "b", "c", "d", "e", "f"}), false, agree},
		{"an empty tag", opt("tags", []any{""}), false, agree},
		{"a tag with a control character", opt("tags", []any{"a\tb"}), false, agree},
		{"explain as text", opt("explain", "yes"), false, agree},
		{"a clock that is not a date-time", opt("now", "yesterday"), false, agree},
		{"the envelope misspelled", func(b map[string]any) { b["inputs"] = b["input"]; delete(b, "input") }, false, agree},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := travelBody()
			c.change(body)
			err := schema.Validate(jsonOf(t, body))
			if (err == nil) != c.valid {
				t.Fatalf("schema valid = %v, want %v (%v)", err == nil, c.valid, err)
			}
			engineOK := serve(rs, body) == nil
			if want := c.valid || c.stricter; engineOK != want {
				t.Fatalf("the engine accepts = %v, want %v", engineOK, want)
			}
		})
	}
}

// serve decides about an execute body as the server does, as far as Kubus's own rules go: an
// unknown option or an option value it cannot read is refused before the engine runs, then the
// engine checks the input and the options it is given.
func serve(rs *engine.Ruleset, body map[string]any) error {
	if _, ok := body["input"]; !ok || len(body) > 2 {
		return errors.New("not an execute body")
	}
	input, _ := body["input"].(map[string]any)
	opts := engine.ExecOptions{Now: time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)}
	for k, v := range asMap(body["options"]) {
		var err error
		switch k {
		case "logLevel":
			opts.LogLevel, err = builtins.ParseLogLevel(fmt.Sprint(v))
		case "culture":
			opts.Culture = fmt.Sprint(v)
		case "explain", "metrics":
			b, ok := v.(bool)
			if !ok {
				err = fmt.Errorf("%s must be true or false", k)
			}
			if k == "explain" {
				opts.Explain = b
			} else {
				opts.Metrics = b
			}
		case "tags":
			for _, tag := range v.([]any) {
				opts.Tags = append(opts.Tags, fmt.Sprint(tag))
			}
		case "now":
			opts.Now, err = time.Parse(time.RFC3339Nano, fmt.Sprint(v))
		default:
			err = fmt.Errorf("unknown option %s", k)
		}
		if err != nil {
			return err
		}
	}
	_, err := rs.Execute(context.Background(), input, opts)
	return err
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// answer is what the server writes for an execution: the result with its execution id, or a
// problem (as package server writes one) with the engine's error as extension.
func answer(t *testing.T, res *engine.Result, err error) (code string, media string, body map[string]any) {
	t.Helper()
	var ie *engine.InputError
	var ee *engine.EvalError
	switch {
	case err == nil:
		body = decode(t, res)
		body["executionId"] = "0f8fad5b-d9cb-469f-a165-70867728950e"
		return "200", "application/json", body
	case errors.As(err, &ie):
		body = decode(t, ie) // {"errors": [...]}
		code = "400"
		body["type"], body["title"], body["status"] = "urn:kubus:problem:invalid-input", "The input does not fit the ruleset's inputs", 400
	case errors.As(err, &ee):
		body = decode(t, ee) // {"error": {...}}
		code = "422"
		body["type"], body["title"], body["status"] = "urn:kubus:problem:evaluation-failed", "The ruleset could not be evaluated", 422
	default:
		t.Fatalf("an error the server would not answer as 400 or 422: %v", err)
	}
	body["detail"], body["instance"] = err.Error(), "/api/rulesets/x/execute"
	return code, "application/problem+json", body
}

func decode(t *testing.T, v any) map[string]any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRealAnswersFitTheResponseSchemas: every testcase of every example, executed for real, and
// its answer (200 result, 400 or 422 problem) validated against the response schema of that
// status, in the ruleset's document and in the server's.
func TestRealAnswersFitTheResponseSchemas(t *testing.T) {
	all := examples(t)
	server := Server(models(all), serverOps, "")
	seen := map[string]int{}
	for _, rs := range all {
		own := Ruleset(rs.Model(), "")
		serverPath := "/api/rulesets/" + rs.Name() + "/versions/" + rs.Version() + "/execute"
		for _, x := range testcaseExecutions(rs) {
			code, media, body := answer(t, x.res, x.err)
			seen[code]++
			for _, d := range []struct {
				doc  map[string]any
				path string
			}{{own, executePath}, {server, serverPath}} {
				if err := schemaAt(t, d.doc, responsePointer(d.path, code, media)).Validate(jsonOf(t, body)); err != nil {
					t.Errorf("%s / %s (%s at %s): %v", rs.Name(), x.name, code, d.path, err)
				}
			}
		}
	}
	if seen["200"] == 0 || seen["400"] == 0 {
		t.Fatalf("answers by status %v: the examples should give results and input problems", seen)
	}
}

// extras is a ruleset that uses what the examples do not: console output, an alert raised from
// code with data, an entity output, and System.halt.
const extras = `name: extras
version: 1.0.0
inputs:
  Halt: {type: boolean, default: false}
  Throw: {type: boolean, default: false}
  Who: {type: Person, output: true}
entities:
  Person:
    properties:
      Name: {type: string, required: true}
      Birthdate: {type: date}
    calculated:
      Initial: "Name.slice(0, 1)"
rules:
  Logged:
    type: number
    expression: |
      console.log("computing", {n: 1});
      console.warn("careful");
      return 1;
  Raised:
    type: boolean
    expression: |
      System.createAlert({name: "ManualReview", level: "warning", message: "Look", data: {score: 7}});
      return true;
  Made:
    type: Person
    expression: 'new Person({Name: "Bo", Birthdate: "2001-02-03"})'
  Plain:
    type: Person
    expression: '({Name: "Cy"})'
  Stamp:
    type: date
    expression: 'new Date("2025-01-01T10:30:00Z")'
  Stop:
    type: number
    expression: |
      if (Throw) throw new RangeError("asked to throw");
      if (Halt) System.halt("asked to halt", {commit: false});
      return 2;
  Last:
    type: string
    expression: 'String(Stop)'
alerts:
  Young:
    level: info
    when: "true"
    message: "always"
`

// TestExtraResultsFitTheResponseSchema covers the members of a result that the examples leave
// empty: explain, diagnostics, alert data, halted, entity outputs and date-times.
func TestExtraResultsFitTheResponseSchema(t *testing.T) {
	rs := loadYAML(t, extras)
	doc := Ruleset(rs.Model(), "")
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		input  map[string]any
		opts   engine.ExecOptions
		code   string
		expect []string // members the answer must have, so the case tests what it says
	}{
		{"explain and diagnostics", map[string]any{"Who": map[string]any{"Name": "Ann"}},
			engine.ExecOptions{Now: now, Explain: true, LogLevel: builtins.LogInfo}, "200", []string{"explain", "diagnostics"}},
		{"halted", map[string]any{"Halt": true}, engine.ExecOptions{Now: now}, "200", []string{"halted"}},
		{"halted with explain", map[string]any{"Halt": true}, engine.ExecOptions{Now: now, Explain: true}, "200", []string{"halted", "explain"}},
		{"a rule that throws", map[string]any{"Throw": true}, engine.ExecOptions{Now: now}, "422", []string{"error"}},
		{"input problems", map[string]any{"Halt": "no", "Who": map[string]any{}}, engine.ExecOptions{Now: now}, "400", []string{"errors"}},
		{"too many tags", map[string]any{}, engine.ExecOptions{Now: now, Tags: []string{"1", "2", "3", "4", "5", "6"}}, "400", []string{"errors"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := rs.Execute(context.Background(), c.input, c.opts)
			code, media, body := answer(t, res, err)
			if code != c.code {
				t.Fatalf("answered %s, want %s (%v)", code, c.code, err)
			}
			for _, m := range c.expect {
				if _, ok := body[m]; !ok {
					t.Fatalf("the answer has no %s: %v", m, body)
				}
			}
			if err := schemaAt(t, doc, responsePointer(executePath, code, media)).Validate(jsonOf(t, body)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestResponseSchemaRefusesWrongResults: a real result broken in one place must not validate.
func TestResponseSchemaRefusesWrongResults(t *testing.T) {
	rs := travelInsurance(t)
	schema := schemaAt(t, Ruleset(rs.Model(), ""), responsePointer(executePath, "200", "application/json"))
	input := travelBody()["input"].(map[string]any)
	input["DateOfBirth"] = "2010-01-01" // too young: an alert
	res, err := rs.Execute(context.Background(), input, engine.ExecOptions{Now: time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	out := func(k string, v any) func(map[string]any) {
		return func(b map[string]any) { b["output"].(map[string]any)[k] = v }
	}
	cases := []struct {
		name   string
		change func(map[string]any)
		valid  bool
	}{
		{"the real result", func(map[string]any) {}, true},
		{"an output null", out("TotalPremium", nil), true},
		{"a number output as text", out("TotalPremium", "9.80"), false},
		{"a date output in another format", out("CoverStarts", "10-05-2024"), false},
		{"a date output with a time of day", out("CoverStarts", "2024-05-10T10:00:00+02:00"), true},
		{"an output that is not declared", out("Surprise", 1), false},
		{"a non-output rule in the output", out("BasePremium", 12.5), false},
		{"an echoed entity that is not an object", out("Traveller", "Ann"), false},
		{"no executionId", func(b map[string]any) { delete(b, "executionId") }, false},
		{"another ruleset's name", func(b map[string]any) { b["ruleset"] = "other" }, false},
		{"another version", func(b map[string]any) { b["version"] = "9.9.9" }, false},
		{"an unknown member", func(b map[string]any) { b["debug"] = true }, false},
		{"an alert level that does not exist", func(b map[string]any) {
			b["alerts"].([]any)[0].(map[string]any)["level"] = "fatal"
		}, false},
		{"alerts missing", func(b map[string]any) { delete(b, "alerts") }, false},
		{"empty diagnostics (the engine leaves them out)", func(b map[string]any) { b["diagnostics"] = []any{} }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, body := answer(t, res, nil)
			if len(body["alerts"].([]any)) == 0 {
				t.Fatal("the result should have an alert to break")
			}
			c.change(body)
			if err := schema.Validate(jsonOf(t, body)); (err == nil) != c.valid {
				t.Fatalf("valid = %v, want %v (%v)", err == nil, c.valid, err)
			}
		})
	}
}

// TestKinFilterChecksARealExchange sends a real request and the engine's real answer through
// kin-openapi's request and response validators, routed by the server document: a second,
// independent reading of the same schemas. A broken answer must fail it.
func TestKinFilterChecksARealExchange(t *testing.T) {
	rs := travelInsurance(t)
	doc := kinLoad(t, Server(models(examples(t)), serverOps, "http://kubus.test"))
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	body := travelBody()
	data, _ := json.Marshal(body)
	req := httptest.NewRequest("POST", "http://kubus.test/api/rulesets/travel-insurance/execute", bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer kbs_test")
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	if route.Path != "/api/rulesets/travel-insurance/execute" {
		t.Fatalf("routed to %s, not the ruleset's own path", route.Path)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		t.Fatalf("request: %v", err)
	}
	res, err := rs.Execute(context.Background(), body["input"].(map[string]any), engine.ExecOptions{Now: time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC), Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	_, _, answerBody := answer(t, res, nil)
	check := func(b map[string]any) error {
		data, _ := json.Marshal(b)
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: 200, Options: opts,
			Header: http.Header{"Content-Type": {"application/json"}}}
		return openapi3filter.ValidateResponse(context.Background(), out.SetBodyBytes(data))
	}
	if err := check(answerBody); err != nil {
		t.Fatalf("response: %v", err)
	}
	answerBody["output"].(map[string]any)["TotalPremium"] = "expensive"
	if check(answerBody) == nil {
		t.Fatal("a result with a text premium passed kin-openapi's response validation")
	}
}

// TestEdgeCaseRuleset executes the edge-case ruleset (entities named Output and Café, arrays of
// arrays and of entities, renamed and echoed outputs) and checks request and answer both ways.
func TestEdgeCaseRuleset(t *testing.T) {
	rs := loadYAML(t, tricky)
	own := Ruleset(rs.Model(), "")
	server := Server(append(models(examples(t)), rs.Model()), serverOps, "")
	valid := map[string]any{
		"Anything": map[string]any{"k": []any{1, "two"}},
		"Tags":     []any{"a", "b"},
		"Nested":   []any{[]any{1, 2}, []any{}},
		"People":   []any{map[string]any{"Name": "Ann", "Home": map[string]any{"Street": "Long street 12"}}},
		"Place":    map[string]any{"Street": "Short 1"},
		"Mode":     "b",
	}
	cases := []struct {
		name  string
		key   string
		value any
		valid bool
	}{
		{"as written", "", nil, true},
		{"a person without a name in an array", "People", []any{map[string]any{}}, false},
		{"text in an array of arrays of numbers", "Nested", []any{[]any{"x"}}, false},
		{"a nested entity that is not an object", "People", []any{map[string]any{"Name": "Ann", "Home": "home"}}, false},
		{"a required array missing", "Tags", nil, false},
		{"an enum input outside its values", "Mode", "c", false},
	}
	docs := map[string]string{
		"ruleset document": executePath,
		"server document":  "/api/rulesets/tricky/versions/" + rs.Version() + "/execute",
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			input := decode(t, valid)
			if c.key != "" {
				if c.value == nil {
					delete(input, c.key)
				} else {
					input[c.key] = c.value
				}
			}
			body := map[string]any{"input": input}
			res, err := rs.Execute(context.Background(), input, engine.ExecOptions{Now: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)})
			if (err == nil) != c.valid {
				t.Fatalf("the engine accepts = %v, want %v (%v)", err == nil, c.valid, err)
			}
			code, media, answerBody := answer(t, res, err)
			for name, path := range docs {
				doc := own
				if name == "server document" {
					doc = server
				}
				if err := schemaAt(t, doc, requestPointer(path)).Validate(jsonOf(t, body)); (err == nil) != c.valid {
					t.Errorf("%s: request valid = %v, want %v (%v)", name, err == nil, c.valid, err)
				}
				if err := schemaAt(t, doc, responsePointer(path, code, media)).Validate(jsonOf(t, answerBody)); err != nil {
					t.Errorf("%s: %s answer: %v", name, code, err)
				}
			}
		})
	}
}

// TestComponentsDoNotClash: every component the edge-case ruleset needs is there, under its own
// name (an entity named Output must not replace the ruleset's Output).
func TestComponentsDoNotClash(t *testing.T) {
	doc := Ruleset(loadYAML(t, tricky).Model(), "")
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	want := []string{"tricky.Input", "tricky.Output", "tricky.Result", "tricky.ExecuteRequest",
		"tricky.entity.Output", "tricky.entity.Output.Output", "tricky.entity.Caf-00E9", "tricky.entity.Caf-00E9.Output"}
	for _, name := range want {
		if _, ok := schemas[name]; !ok {
			t.Errorf("component %s is missing", name)
		}
	}
	if got := len(schemas) - len(executionSchemas()); got != len(want) {
		t.Errorf("%d ruleset components, want %d", got, len(want))
	}
	if schemas["tricky.Output"].(map[string]any)["additionalProperties"] != false {
		t.Error("tricky.Output is not the ruleset's output")
	}
}
