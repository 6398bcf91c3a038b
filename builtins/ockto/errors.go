package ockto

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Kinds of Error.
const (
	KindHTTP        = "http"        // Ockto answered with an error status (Status, Body)
	KindTimeout     = "timeout"     // no answer within the timeout
	KindUnreachable = "unreachable" // no connection (refused, DNS, TLS handshake, reset)
	KindMalformed   = "malformed"   // a success status with a body that is not what the mapping says
	KindCanceled    = "canceled"    // the execution's context ended
	KindConfig      = "config"      // a client certificate that cannot be loaded, ...
)

// Error is a failed call to Ockto. In JS it becomes an Error whose message is Error() (prefixed
// with the function name) and whose details are {status, body, kind}.
type Error struct {
	Op       string // startSession, getStatus, getResult, consents, token
	Kind     string // one of the Kind constants
	Status   int    // the HTTP status, 0 when there was no answer
	Body     any    // the provider's error body: parsed JSON when it is JSON, else its text (nil: none)
	Attempts int    // HTTP attempts made
	Msg      string // what went wrong, in words, without secrets
	Err      error  // the underlying error, if any
}

func (e *Error) Error() string { return e.Msg }

// Unwrap gives the underlying error (e.g. a *url.Error, context.DeadlineExceeded).
func (e *Error) Unwrap() error { return e.Err }

// Details is the JS error's details: {status, body, kind}.
func (e *Error) Details() map[string]any {
	var status any
	if e.Status != 0 {
		status = e.Status
	}
	return map[string]any{"status": status, "body": e.Body, "kind": e.Kind}
}

// maxBody is how much of an error body is kept.
const maxBody = 64 << 10

// parseBody reads an error body: JSON when it parses, else its text (trimmed, shortened).
func parseBody(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	if len(b) <= maxBody {
		var v any
		if json.Unmarshal(b, &v) == nil {
			return v
		}
	}
	s := string(b)
	if len(s) > maxBody {
		s = s[:maxBody]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return strings.TrimSpace(s)
}

// summary is a short one-line form of a body for a message.
func summary(body any) string {
	if body == nil {
		return ""
	}
	var s string
	switch b := body.(type) {
	case string:
		s = b
	default:
		j, _ := json.Marshal(b)
		s = string(j)
	}
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// redactor replaces secrets in text and in JSON-shaped values.
type redactor []string

func (r redactor) str(s string) string {
	for _, secret := range r {
		if len(secret) >= 3 { // a one- or two-character "secret" would shred every message
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

func (r redactor) value(v any) any {
	switch x := v.(type) {
	case string:
		return r.str(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.value(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[r.str(k)] = r.value(e)
		}
		return out
	}
	return v
}

// scrub removes secrets from an error before anyone sees it.
func (r redactor) scrub(e *Error) *Error {
	e.Msg = r.str(e.Msg)
	e.Body = r.value(e.Body)
	if e.Err != nil {
		e.Err = redactedErr{msg: r.str(e.Err.Error()), err: e.Err}
	}
	return e
}

// redactedErr keeps errors.Is/As working on the original error while its text is redacted.
type redactedErr struct {
	msg string
	err error
}

func (e redactedErr) Error() string { return e.msg }
func (e redactedErr) Unwrap() error { return e.err }
