package openapi

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Op is one route of the server's table. The server passes its whole table to Server, so that the
// document lists every route it serves.
type Op struct {
	Method      string // GET, POST, …
	Path        string // an OpenAPI path template; a Go ServeMux pattern's {$} and {name...} are read too
	Summary     string
	Description string
	Scope       string // the key scope it needs ("execute:{name}", "admin"); "" for the open routes
	Tags        []string
	Body        string // "" for none, "json" for a JSON object
	Responses   []int  // the status codes it can answer
}

// openPaths are the routes that need no key (server.md, "Keys and scopes").
var openPaths = []string{"/healthz", "/readyz", "/metrics", "/docs"}

// The generic execute routes: Server gives them the generic execute shapes, and takes their status
// codes for the ruleset-specific ones.
const (
	executePath        = "/api/rulesets/{name}/execute"
	executeVersionPath = "/api/rulesets/{name}/versions/{version}/execute"
)

// defaultExecuteResponses are the codes of an execute route when the server's table does not say.
var defaultExecuteResponses = []int{200, 400, 401, 403, 404, 413, 415, 422, 503}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

var (
	muxEnd      = regexp.MustCompile(`\{\$\}$`)
	muxRest     = regexp.MustCompile(`\{([^{}]+)\.\.\.\}`)
	pathParamRe = regexp.MustCompile(`\{([^{}]+)\}`)
)

// templatePath turns a Go ServeMux pattern's path into an OpenAPI path template: {$} (the exact
// path) is dropped and {rest...} (the remaining segments) becomes {rest}.
func templatePath(p string) string {
	p = muxEnd.ReplaceAllString(p, "")
	return muxRest.ReplaceAllString(p, "{$1}")
}

// pathParameters are the parameters of a path template, in order.
func pathParameters(path string) []any {
	var out []any
	for _, m := range pathParamRe.FindAllStringSubmatch(path, -1) {
		out = append(out, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	return out
}

// opIDs hands out operationIds, which must be unique in a document: a repeated one gets a number.
type opIDs map[string]int

func (ids opIDs) take(id string) string {
	ids[id]++
	if n := ids[id]; n > 1 {
		return id + strconv.Itoa(n)
	}
	return id
}

// operationID derives an id from the method and path, for generated clients' method names:
// GET /api/rulesets/{name}/openapi.json → getRulesetsByNameOpenapiJson.
func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, seg := range strings.Split(path, "/") {
		if seg == "" || seg == "api" {
			continue
		}
		if strings.HasPrefix(seg, "{") {
			b.WriteString("By")
			seg = strings.Trim(seg, "{}")
		}
		b.WriteString(pascal(seg))
	}
	return b.String()
}

// pascal joins the letters and digits of s as PascalCase words: "openapi.json" → "OpenapiJson".
func pascal(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// addOperation puts an operation into doc's paths. It reports false for a method OpenAPI has no
// field for (a route that cannot be described).
func addOperation(doc map[string]any, method, path string, op map[string]any) bool {
	m := strings.ToLower(method)
	if !slices.Contains(methods, m) {
		return false
	}
	paths := doc["paths"].(map[string]any)
	item, _ := paths[path].(map[string]any)
	if item == nil {
		item = map[string]any{}
		paths[path] = item
	}
	if _, dup := item[m]; dup {
		return true // the first route of the table wins, as in a router
	}
	item[m] = op
	return true
}

// genericOperation describes a route of the server's table with generic shapes: a JSON object in,
// JSON out, and the error bodies of its family.
func genericOperation(op Op, path string, ids opIDs) map[string]any {
	o := map[string]any{
		"operationId": ids.take(operationID(op.Method, path)),
		"responses":   responses(path, op.Responses, genericSuccess(path)),
	}
	if op.Summary != "" {
		o["summary"] = op.Summary
	}
	if desc := withScope(op.Description, op.Scope); desc != "" {
		o["description"] = desc
	}
	if op.Scope != "" {
		o["x-kubus-scope"] = op.Scope
	}
	if len(op.Tags) > 0 {
		o["tags"] = stringsAny(op.Tags)
	}
	if params := pathParameters(path); len(params) > 0 {
		o["parameters"] = params
	}
	if op.Body == "json" {
		o["requestBody"] = jsonBody(map[string]any{"type": "object"}, nil)
	}
	if slices.Contains(openPaths, path) {
		o["security"] = []any{} // overrides the document's: no key needed
	}
	if path == executePath || path == executeVersionPath {
		o["requestBody"] = jsonBody(schemaRef("ExecuteRequest"), nil)
		o["description"] = joinSentences(withScope(op.Description, op.Scope),
			"Each ruleset's own paths below have its precise input and output schemas.")
	}
	return o
}

// withScope adds the scope to a description, for readers of tools that do not show x-kubus-scope.
func withScope(desc, scope string) string {
	if scope == "" {
		return desc
	}
	return joinSentences(desc, "Scope: `"+scope+"`.")
}

func jsonBody(schema map[string]any, examples map[string]any) map[string]any {
	media := map[string]any{"schema": schema}
	if len(examples) > 0 {
		media["examples"] = examples
	}
	return map[string]any{"required": true, "content": map[string]any{"application/json": media}}
}

// genericSuccess is the body of a route's 2xx answers, for the few routes whose answer is not JSON
// or not known here. The execute routes answer the generic Result.
func genericSuccess(path string) map[string]any {
	switch path {
	case "/metrics":
		return map[string]any{"text/plain; version=0.0.4": map[string]any{"schema": map[string]any{"type": "string"}}}
	case "/docs":
		return map[string]any{"text/html": map[string]any{"schema": map[string]any{"type": "string"}}}
	case "/healthz", "/readyz":
		return nil
	case executePath, executeVersionPath:
		return map[string]any{"application/json": map[string]any{"schema": schemaRef("Result")}}
	}
	return map[string]any{"application/json": map[string]any{"schema": map[string]any{}}}
}

// responses describes each status code: success with the given content, errors with their family's
// body. OpenAPI wants at least one response, so a route that lists none gets a default.
func responses(path string, codes []int, success map[string]any) map[string]any {
	out := map[string]any{}
	for _, code := range codes {
		out[strconv.Itoa(code)] = response(path, code, success)
	}
	if len(out) == 0 {
		out["default"] = map[string]any{"description": "The route's answer."}
	}
	return out
}

func response(path string, code int, success map[string]any) map[string]any {
	r := map[string]any{"description": statusDescription(code)}
	if path == "/readyz" && code == http.StatusServiceUnavailable {
		// Not the in-flight limit: the probe says why the server is not ready.
		r["description"] = "Not ready: the store does not answer, or a served ruleset folder no longer loads (listed in errors)."
		body := errorBody(path, code)
		r["content"] = map[string]any{body.media: map[string]any{"schema": schemaRef(body.schema)}}
		return r
	}
	switch {
	case code == http.StatusNoContent || code == http.StatusNotModified || code < 200:
		// No body.
	case code < 300:
		if success != nil {
			r["content"] = success
		}
		if code == http.StatusCreated {
			r["headers"] = map[string]any{"Location": header("Where the new resource is.")}
		}
	case code < 400:
		r["headers"] = map[string]any{"Location": header("Where to go.")}
	default:
		body := errorBody(path, code)
		r["content"] = map[string]any{body.media: map[string]any{"schema": schemaRef(body.schema)}}
		switch code {
		case http.StatusUnauthorized:
			r["headers"] = map[string]any{"WWW-Authenticate": header("Bearer")}
		case http.StatusServiceUnavailable:
			r["headers"] = map[string]any{"Retry-After": header("Seconds to wait before trying again.")}
		}
	}
	return r
}

func header(desc string) map[string]any {
	return map[string]any{"description": desc, "schema": map[string]any{"type": "string"}}
}

type errBody struct{ media, schema string }

// errorBody is the body of an error answer. Kubus's own routes answer problem details; the consent
// routes keep the Consents API's _error body and the data-debit routes HAT's {error, message}
// (server.md, "Errors"). A missing or refused key (401, 403), a body over the limit (413), another
// content type (415) and a full server (503) are answered before the route runs, so they are
// problem details everywhere.
func errorBody(path string, code int) errBody {
	problem := errBody{"application/problem+json", "Problem"}
	switch code {
	case 401, 403, 413, 415, 503:
		return problem
	}
	switch {
	case path == "/consents" || strings.HasPrefix(path, "/consents/"):
		return errBody{"application/json", "ConsentError"}
	case strings.HasPrefix(path, "/api/v2.6/data-debit"):
		return errBody{"application/json", "HatError"}
	}
	return problem
}

// kubusStatus says what a status code means in Kubus (server.md's table); others get Go's text.
var kubusStatus = map[int]string{
	400: "Malformed JSON, a body that is not an object, an unknown option, or input problems (listed in errors).",
	401: "No key, or a key that is unknown, revoked or expired.",
	403: "The key does not have the scope.",
	404: "The ruleset, version, entity or record does not exist.",
	409: "A store conflict remained after all retries.",
	412: "If-Match does not match.",
	413: "The body is larger than the server's limit.",
	415: "The Content-Type is not application/json.",
	422: "The evaluation failed: a rule threw, a result did not fit its type, or a limit was hit (error.kind says which).",
	503: "Too many requests are waiting; see Retry-After.",
}

func statusDescription(code int) string {
	if d, ok := kubusStatus[code]; ok {
		return d
	}
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Status " + strconv.Itoa(code)
}

func stringsAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
