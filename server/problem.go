package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// Problem is an RFC 9457 problem details body. Type is a URN naming the kind of problem; the
// engine's error shapes ride along as extensions.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Errors lists every input problem, each with its JSON path (400 invalid-input).
	Errors any `json:"errors,omitempty"`
	// Error is an evaluation error: rule, kind, message, at, stack (422).
	Error any `json:"error,omitempty"`
	// Instance is the request path.
	Instance string `json:"instance,omitempty"`
}

// problem kinds: the status and title of each.
var problemKinds = map[string]struct {
	status int
	title  string
}{
	"malformed-request":     {http.StatusBadRequest, "The request body is not valid"},
	"invalid-input":         {http.StatusBadRequest, "The input does not fit the ruleset's inputs"},
	"invalid-request":       {http.StatusBadRequest, "The request is not valid"},
	"unauthorized":          {http.StatusUnauthorized, "An API key is needed"},
	"forbidden":             {http.StatusForbidden, "The API key lacks the scope"},
	"csrf":                  {http.StatusForbidden, "The studio session's CSRF token is missing or wrong"},
	"not-found":             {http.StatusNotFound, "Not found"},
	"method-not-allowed":    {http.StatusMethodNotAllowed, "Method not allowed"},
	"misdirected":           {http.StatusMisdirectedRequest, "The request is addressed to a host this server does not answer for"},
	"conflict":              {http.StatusConflict, "Conflict"},
	"precondition-failed":   {http.StatusPreconditionFailed, "The If-Match condition does not hold"},
	"body-too-large":        {http.StatusRequestEntityTooLarge, "The request body is too large"},
	"unsupported-media":     {http.StatusUnsupportedMediaType, "The request body must be application/json"},
	"unsupported-upload":    {http.StatusUnsupportedMediaType, "The upload's content type is not accepted"},
	"evaluation-failed":     {http.StatusUnprocessableEntity, "The ruleset could not be evaluated"},
	"overloaded":            {http.StatusServiceUnavailable, "Too many requests in flight"},
	"not-ready":             {http.StatusServiceUnavailable, "Not ready"},
	"internal":              {http.StatusInternalServerError, "Internal server error"},
	"ruleset-not-available": {http.StatusServiceUnavailable, "The ruleset does not load"},
}

// newProblem makes a problem of a known kind with a detail.
func newProblem(kind, format string, args ...any) *Problem {
	k, ok := problemKinds[kind]
	if !ok {
		k = problemKinds["internal"]
	}
	return &Problem{Type: "urn:kubus:problem:" + kind, Title: k.title, Status: k.status, Detail: fmt.Sprintf(format, args...)}
}

func (p *Problem) errorString() string { return p.Title + ": " + p.Detail }

// writeProblem answers a problem.
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p.Instance == "" && r != nil {
		p.Instance = r.URL.Path
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kubus"`)
	}
	writeJSONStatus(w, p.Status, "application/problem+json", p)
}

// writeJSON answers 200 (or status) with a JSON body, without HTML escaping: results carry text
// rule authors wrote, which clients compare.
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONStatus(w, status, "application/json", v)
}

func writeJSONStatus(w http.ResponseWriter, status int, contentType string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status, contentType = http.StatusInternalServerError, "application/problem+json"
		buf.Reset()
		_ = json.NewEncoder(&buf).Encode(newProblem("internal", "the response could not be encoded: %v", err))
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// checkJSONContentType refuses a body that is not declared as JSON (415).
func checkJSONContentType(r *http.Request) *Problem {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return newProblem("unsupported-media", "the request has no Content-Type; send application/json")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return newProblem("unsupported-media", "Content-Type %q is not application/json", ct)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return newProblem("unsupported-media", "charset %q: JSON is UTF-8", cs)
	}
	return nil
}

// decodeJSON reads one JSON value from the request body into v, strictly: unknown fields of
// structs are refused, as is anything after the value. Errors are 400 with the byte offset, or
// 413 when the body passed the limit.
func decodeJSON(r *http.Request, v any) *Problem {
	if p := checkJSONContentType(r); p != nil {
		return p
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonProblem(err)
		}
		return newProblem("malformed-request", "the body has more than one JSON value (offset %d)", dec.InputOffset())
	}
	return nil
}

// jsonProblem describes a decoding error as the client can fix it.
func jsonProblem(err error) *Problem {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return newProblem("body-too-large", "the body is larger than %d bytes (--max-body)", mbe.Limit)
	case errors.As(err, &syn):
		return newProblem("malformed-request", "malformed JSON at byte offset %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		where := typ.Field
		if where == "" {
			where = "the body"
		}
		return newProblem("malformed-request", "%s must be %s, not %s (byte offset %d)", where, jsonKind(typ.Type.Kind().String()), typ.Value, typ.Offset)
	case errors.Is(err, io.EOF):
		return newProblem("malformed-request", "the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return newProblem("malformed-request", "the body ends in the middle of a JSON value")
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return newProblem("malformed-request", "unknown field %s", f)
	}
	return newProblem("malformed-request", "%s", strings.TrimPrefix(msg, "json: "))
}

func jsonKind(goKind string) string {
	switch goKind {
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "float64", "int", "int64":
		return "a number"
	}
	return goKind
}
