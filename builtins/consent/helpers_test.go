package consent

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/audit"
	"github.com/kubusdev/kubus/store"
)

// clock is the execution clock of the tests' first execution.
var clock = time.Date(2024, 6, 14, 22, 30, 0, 123_456_789, time.UTC)

// prelude defines helpers for the tests' JS.
const prelude = `
var PP = "https://example.com/privacy";
var TC = "https://example.com/terms";
function make(user, spec) {
  return Consent.create(Object.assign({type: "privacyPolicy", userId: user, document: {uri: PP, revisedAt: "2024-01-01T00:00:00Z"}}, spec || {}));
}
// inState makes a consent of user and brings it to state by the API.
function inState(user, state, spec) {
  const c = make(user, spec);
  switch (state) {
  case "pending": break;
  case "given": Consent.give(c._id, {scope: "instance"}); break;
  case "stale":
    Consent.give(c._id, {scope: "instance"});
    Consent.reviseDocument({uri: c.document.uri, revisionId: "v2", revisedAt: "2024-02-01T00:00:00Z"});
    break;
  case "revoked": Consent.give(c._id, {scope: "instance"}); Consent.revoke(c._id); break;
  case "rescinded": Consent.rescind({type: c.type, user: user, document: c.document.uri}); break;
  default: throw new Error("no state " + state);
  }
  const got = Consent.get(c._id);
  if (got.state !== state) throw new Error("inState: got " + got.state + ", want " + state);
  return got;
}
function errOf(f) {
  try { f(); } catch (e) {
    return {name: e.name, type: e.type, statusCode: e.statusCode, message: e.message, remediation: e.remediation,
      isError: e instanceof Error, attributes: e.attributes ? JSON.parse(JSON.stringify(e.attributes)) : undefined};
  }
  return null;
}
`

// vmEnv is one runtime pointed at one execution.
type vmEnv struct {
	t    testing.TB
	vm   *goja.Runtime
	h    *builtins.Host
	exec *builtins.Exec
	tx   store.Tx
}

// newVM installs the module on a fresh runtime pointed at an execution working in tx (nil: no store).
func newVM(t testing.TB, tx store.Tx) *vmEnv {
	t.Helper()
	vm := goja.New()
	h := builtins.NewHost(vm)
	if err := (Module{}).Install(h); err != nil {
		t.Fatal(err)
	}
	e := &builtins.Exec{Now: clock, Location: time.UTC, Tx: tx}
	h.SetExec(e)
	if _, err := vm.RunString(prelude); err != nil {
		t.Fatal(err)
	}
	return &vmEnv{t: t, vm: vm, h: h, exec: e, tx: tx}
}

// run evaluates src, failing the test when it throws.
func (v *vmEnv) run(src string) goja.Value {
	v.t.Helper()
	val, err := v.vm.RunString(src)
	if err != nil {
		v.t.Fatalf("%s: %v", src, err)
	}
	return val
}

// json evaluates expr and returns it as JSON (Dates as ISO strings), or "Name: message" when it
// throws.
func (v *vmEnv) json(expr string) string {
	v.t.Helper()
	val := v.run("(() => { try { return JSON.stringify(" + expr + ") } catch (e) { return (e && e.name) + ': ' + (e && e.message) } })()")
	return val.String()
}

// obj evaluates expr to a JSON-shaped Go value.
func (v *vmEnv) obj(expr string) map[string]any {
	v.t.Helper()
	s := v.json(expr)
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		v.t.Fatalf("%s = %s, want an object", expr, s)
	}
	return m
}

// list evaluates expr to a list of JSON-shaped Go values.
func (v *vmEnv) list(expr string) []map[string]any {
	v.t.Helper()
	s := v.json(expr)
	var m []map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		v.t.Fatalf("%s = %s, want an array", expr, s)
	}
	return m
}

// errOf evaluates a statement that must throw a contract error of type typ, with the status.
func (v *vmEnv) wantError(stmt, typ string, status int) map[string]any {
	v.t.Helper()
	e := v.obj("errOf(() => { " + stmt + " })")
	if e == nil || e["type"] != typ || e["name"] != typ || e["statusCode"] != float64(status) || e["isError"] != true ||
		e["remediation"] == "" || e["remediation"] == nil {
		v.t.Fatalf("%s threw %v, want an Error of type %s with statusCode %d and a remediation", stmt, e, typ, status)
	}
	return e
}

// events are the audit events of a consent, oldest first.
func events(t testing.TB, tx store.Tx, id string) []*store.Record {
	t.Helper()
	recs, err := audit.List(tx, audit.Query{ID: id})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}
