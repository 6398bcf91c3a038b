package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/datadebit"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/kubusdev/kubus/store"
)

// The data-debit routes, on HAT's paths (/api/v2.6/data-debit/...). Each one calls the DataDebit
// module's own JS function (DataDebit.create, .update, .enable, ...) in a small runtime of its own,
// with the request's store transaction and the server's clock as the execution's: the module's
// argument checks, its version rules and its audit events are the ones rule code gets, not a copy
// of them. The request body is parsed by the runtime's JSON.parse and the result written with
// JSON.stringify (times as ISO 8601 with milliseconds, in UTC). A date-only start ("2026-03-01")
// is midnight UTC: over HTTP there is no ruleset time zone. Errors answer HAT's body
// {"error", "message"}.

// ddRuntime is a goja runtime with the DataDebit module installed. No rule code runs in it: it
// only ever calls the module's functions with JSON-parsed arguments.
type ddRuntime struct {
	h         *builtins.Host
	fns       map[string]goja.Callable
	parse     goja.Callable
	stringify goja.Callable
}

var ddFunctions = []string{"create", "update", "enable", "disable", "get", "list", "values"}

// ddRuntimes pools the runtimes: building one costs more than a call.
var ddRuntimes sync.Pool

func getDDRuntime() (*ddRuntime, error) {
	if rt, ok := ddRuntimes.Get().(*ddRuntime); ok {
		return rt, nil
	}
	vm := goja.New()
	h := builtins.NewHost(vm)
	if err := (datadebit.Module{}).Install(h); err != nil {
		return nil, err
	}
	rt := &ddRuntime{h: h, fns: map[string]goja.Callable{}}
	ns := vm.Get("DataDebit").ToObject(vm)
	for _, name := range ddFunctions {
		fn, ok := goja.AssertFunction(ns.Get(name))
		if !ok {
			return nil, fmt.Errorf("DataDebit.%s is not installed", name)
		}
		rt.fns[name] = fn
	}
	j := vm.Get("JSON").ToObject(vm)
	rt.parse, _ = goja.AssertFunction(j.Get("parse"))
	rt.stringify, _ = goja.AssertFunction(j.Get("stringify"))
	return rt, nil
}

// ddError is a refusal in HAT's shape.
type ddError struct {
	status  int
	Error   string `json:"error"`
	Message string `json:"message"`
}

func (s *Server) ddFail(c *call, e *ddError) {
	writeJSONStatus(c.w, e.status, "application/json", e)
}

// ddStatus is the HTTP status of the module's error types.
var ddStatus = map[string]int{
	datadebit.ErrDuplicate:   http.StatusConflict,
	datadebit.ErrNotFound:    http.StatusNotFound,
	datadebit.ErrCanceled:    http.StatusConflict,
	datadebit.ErrNotActive:   http.StatusForbidden,
	datadebit.ErrTooManyPerm: http.StatusConflict,
}

// ddCall is one call: the function, its key argument, and a further argument as JSON text (parsed
// in the runtime).
type ddCall struct {
	fn      string
	key     string
	hasKey  bool
	jsonArg string // "" for none
	ruleset string // the running ruleset values resolves "Entity" endpoints in
}

// ddRun calls a DataDebit function in tx at the server's clock; the result as JSON (nil for null).
func (s *Server) ddRun(c *call, tx store.Tx, dc ddCall) (json.RawMessage, *ddError) {
	rt, err := getDDRuntime()
	if err != nil {
		s.log.Error("data debits: building the runtime", "error", err.Error())
		return nil, &ddError{status: 500, Error: "internalError", Message: "the server failed on this request"}
	}
	defer ddRuntimes.Put(rt)
	vm := rt.h.VM
	exec := &builtins.Exec{Context: c.ctx(), Now: s.cfg.Now(), Location: time.UTC, Tx: tx,
		Ruleset: builtins.RulesetInfo{Name: dc.ruleset}}
	rt.h.SetExec(exec)
	defer rt.h.SetExec(nil)
	var args []goja.Value
	if dc.hasKey {
		args = append(args, vm.ToValue(dc.key))
	}
	if dc.jsonArg != "" {
		v, err := rt.parse(goja.Undefined(), vm.ToValue(dc.jsonArg))
		if err != nil {
			return nil, s.ddErrorOf(err)
		}
		args = append(args, v)
	}
	res, err := rt.fns[dc.fn](goja.Undefined(), args...)
	if err != nil {
		return nil, s.ddErrorOf(err)
	}
	if goja.IsNull(res) || goja.IsUndefined(res) {
		return nil, nil
	}
	text, err := rt.stringify(goja.Undefined(), res)
	if err != nil {
		return nil, s.ddErrorOf(err)
	}
	return json.RawMessage(text.String()), nil
}

// ddErrorOf maps what the module threw: its error types to their statuses, a TypeError or
// RangeError (a wrong argument) to 400, a store failure (a GoError) to 500.
func (s *Server) ddErrorOf(err error) *ddError {
	var exc *goja.Exception
	if errors.As(err, &exc) {
		if cause := exc.Unwrap(); cause != nil {
			s.log.Error("data debits: store", "error", cause.Error())
			return &ddError{status: 500, Error: "internalError", Message: "the store failed on this request"}
		}
		if obj, ok := exc.Value().(*goja.Object); ok {
			str := func(k string) string {
				v := obj.Get(k)
				if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
					return ""
				}
				return v.String()
			}
			typ, name, msg := str("error"), str("name"), str("message")
			// "DataDebit.create: spec.purpose is required": the function is the route's.
			if i := strings.Index(msg, ": "); i > 0 && strings.HasPrefix(msg, "DataDebit.") {
				msg = msg[i+2:]
			}
			if st, ok := ddStatus[typ]; ok {
				return &ddError{status: st, Error: typ, Message: msg}
			}
			switch name {
			case "TypeError", "RangeError", "Error", "SyntaxError":
				return &ddError{status: 400, Error: "badRequest", Message: msg}
			}
		}
	}
	s.log.Error("data debits", "error", err.Error())
	return &ddError{status: 500, Error: "internalError", Message: "the server failed on this request"}
}

// ddBody reads a JSON object body as text for the runtime's JSON.parse.
func ddBody(r *http.Request) (string, *ddError) {
	if p := checkJSONContentType(r); p != nil {
		return "", &ddError{status: p.Status, Error: "unsupportedMediaType", Message: p.Detail}
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		p := jsonProblem(err)
		return "", &ddError{status: p.Status, Error: "payloadTooLarge", Message: p.Detail}
	}
	raw = bytes.TrimSpace(raw)
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil || probe == nil {
		msg := "the body must be a JSON object (the data debit's terms)"
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			msg = fmt.Sprintf("malformed JSON at byte offset %d: %s", syn.Offset, syn.Error())
		}
		return "", &ddError{status: 400, Error: "badRequest", Message: msg}
	}
	return string(raw), nil
}

func ddLocation(key string) string { return "/api/v2.6/data-debit/" + url.PathEscape(key) }

// ddWrite runs a changing call in a transaction of its own and commits it (again on a conflict).
func (s *Server) ddWrite(c *call, dc ddCall) (json.RawMessage, *ddError) {
	var out json.RawMessage
	var fail *ddError
	refused := errors.New("refused")
	err := s.inTx(func(tx store.Tx) error {
		out, fail = s.ddRun(c, tx, dc)
		if fail != nil {
			return refused
		}
		return nil
	})
	switch {
	case fail != nil:
		return nil, fail
	case errors.Is(err, store.ErrConflict):
		return nil, &ddError{status: http.StatusConflict, Error: "conflict", Message: fmt.Sprintf("the data debit kept changing under this request (%d attempts): retry", maxWriteAttempts)}
	case err != nil:
		s.log.Error("data debits: commit", "error", err.Error())
		return nil, &ddError{status: 500, Error: "internalError", Message: "the store failed on this request"}
	}
	return out, nil
}

// ddRead runs a reading call in a transaction that is discarded.
func (s *Server) ddRead(c *call, dc ddCall) (json.RawMessage, *ddError) {
	tx := s.st.Begin()
	defer tx.Discard()
	return s.ddRun(c, tx, dc)
}

func (s *Server) answerDD(c *call, status int, out json.RawMessage, fail *ddError) {
	if fail != nil {
		s.ddFail(c, fail)
		return
	}
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("X-Content-Type-Options", "nosniff")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(append(out, '\n'))
}

func (s *Server) createDataDebit(c *call) {
	body, fail := ddBody(c.r)
	if fail != nil {
		s.ddFail(c, fail)
		return
	}
	key := c.r.PathValue("key")
	out, fail := s.ddWrite(c, ddCall{fn: "create", key: key, hasKey: true, jsonArg: body})
	if fail == nil {
		c.w.Header().Set("Location", ddLocation(key))
	}
	s.answerDD(c, http.StatusCreated, out, fail)
}

func (s *Server) updateDataDebit(c *call) {
	body, fail := ddBody(c.r)
	if fail != nil {
		s.ddFail(c, fail)
		return
	}
	out, fail := s.ddWrite(c, ddCall{fn: "update", key: c.r.PathValue("key"), hasKey: true, jsonArg: body})
	s.answerDD(c, http.StatusOK, out, fail)
}

func (s *Server) getDataDebit(c *call) {
	key := c.r.PathValue("key")
	out, fail := s.ddRead(c, ddCall{fn: "get", key: key, hasKey: true})
	if fail == nil && out == nil {
		fail = &ddError{status: http.StatusNotFound, Error: datadebit.ErrNotFound, Message: fmt.Sprintf("there is no data debit with key %q", truncate(key, 100))}
	}
	s.answerDD(c, http.StatusOK, out, fail)
}

func (s *Server) listDataDebits(c *call) {
	out, fail := s.ddRead(c, ddCall{fn: "list"})
	s.answerDD(c, http.StatusOK, out, fail)
}

func (s *Server) enableDataDebit(c *call) {
	out, fail := s.ddWrite(c, ddCall{fn: "enable", key: c.r.PathValue("key"), hasKey: true})
	s.answerDD(c, http.StatusOK, out, fail)
}

func (s *Server) disableDataDebit(c *call) {
	atPeriodEnd := false
	switch v := c.r.URL.Query().Get("atPeriodEnd"); v {
	case "", "false":
	case "true":
		atPeriodEnd = true
	default:
		s.ddFail(c, &ddError{status: 400, Error: "badRequest", Message: fmt.Sprintf("atPeriodEnd must be true or false, got %q", truncate(v, 20))})
		return
	}
	opts, _ := json.Marshal(map[string]bool{"atPeriodEnd": atPeriodEnd})
	out, fail := s.ddWrite(c, ddCall{fn: "disable", key: c.r.PathValue("key"), hasKey: true, jsonArg: string(opts)})
	s.answerDD(c, http.StatusOK, out, fail)
}

// dataDebitValues answers {"bundle": {group: {endpoint: [records]}}}. An endpoint "Entity" (no
// ruleset) is read in ?ruleset=, else in the one served ruleset that persists every such entity
// the bundle names.
func (s *Server) dataDebitValues(c *call) {
	key := c.r.PathValue("key")
	rs := c.r.URL.Query().Get("ruleset")
	if rs != "" {
		if _, err := s.eng.Get(rs); err != nil || strings.Contains(rs, "@") {
			s.ddFail(c, &ddError{status: 400, Error: "badRequest", Message: fmt.Sprintf("ruleset %q is not served", truncate(rs, 100))})
			return
		}
	} else {
		rs = s.bundleRuleset(c, key)
	}
	out, fail := s.ddRead(c, ddCall{fn: "values", key: key, hasKey: true, ruleset: rs})
	if fail != nil && fail.Error == "badRequest" && strings.Contains(fail.Message, "names no ruleset") {
		fail.Message += ", or name the ruleset with ?ruleset=NAME"
	}
	if fail == nil {
		out = append(append(json.RawMessage(`{"bundle":`), out...), '}')
	}
	s.answerDD(c, http.StatusOK, out, fail)
}

// bundleRuleset is the served ruleset that persists every unqualified endpoint of the data debit's
// active bundle, "" when there is not exactly one (or the data debit cannot be read: values then
// says why).
func (s *Server) bundleRuleset(c *call, key string) string {
	out, fail := s.ddRead(c, ddCall{fn: "get", key: key, hasKey: true})
	if fail != nil || out == nil {
		return ""
	}
	var rec struct {
		Active *struct {
			Bundle struct {
				Groups map[string]struct {
					Endpoints []struct {
						Endpoint string `json:"endpoint"`
					} `json:"endpoints"`
				} `json:"bundle"`
			} `json:"bundle"`
		} `json:"permissionsActive"`
	}
	if json.Unmarshal(out, &rec) != nil || rec.Active == nil {
		return ""
	}
	var names []string
	for _, g := range rec.Active.Bundle.Groups {
		for _, ep := range g.Endpoints {
			if !strings.Contains(ep.Endpoint, "/") {
				names = append(names, ep.Endpoint)
			}
		}
	}
	if len(names) == 0 {
		return ""
	}
	served, byName := s.servedRulesets()
	var found []string
	for _, n := range served {
		ents := byName[n][len(byName[n])-1].Model().Entities
		if !slices.ContainsFunc(names, func(e string) bool {
			return !slices.ContainsFunc(ents, func(ent *rulesets.Entity) bool { return ent.Name == e && ent.Persisted })
		}) {
			found = append(found, n)
		}
	}
	if len(found) != 1 {
		return ""
	}
	return found[0]
}
