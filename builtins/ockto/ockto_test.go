package ockto

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/audit"
	"github.com/kubusdev/kubus/builtins/builtinstest"
	"github.com/kubusdev/kubus/builtins/ockto/ocktosim"
	"github.com/kubusdev/kubus/store"
	"github.com/kubusdev/kubus/store/storetest"
)

// clock is the execution clock in these tests.
var clock = time.Date(2026, 3, 16, 10, 30, 0, 123_000_000, time.UTC)

// simEnv is the environment of an execution pointed at a simulator.
func simEnv(url string, extra ...string) map[string]string {
	env := map[string]string{EnvEndpoint: url, EnvUsername: testUser, EnvPassword: testPassword, EnvProviderCode: testProvider,
		EnvTimeout: "2s"}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

// newVM installs the module on a fresh runtime pointed at an execution with env and tx (nil: no store).
func newVM(t testing.TB, env map[string]string, tx store.Tx) *goja.Runtime {
	t.Helper()
	vm := goja.New()
	h := builtins.NewHost(vm)
	if err := (Module{}).Install(h); err != nil {
		t.Fatal(err)
	}
	h.SetExec(&builtins.Exec{Serial: 1, Context: context.Background(), Now: clock, Tx: tx,
		Ruleset: builtins.RulesetInfo{Name: "mortgage", Version: "1.0.0"},
		Getenv:  func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	return vm
}

func TestModuleFlowRecorded(t *testing.T) {
	sim, srv := newSim(t, nil, ocktosim.Options{})
	s := storetest.Open(t)
	tx := s.Begin()
	vm := newVM(t, simEnv(srv.URL), tx)

	got := builtinstest.Eval(t, vm, `(() => {
		const s = Ockto.startSession("app-1", {consentCode: Ockto.ConsentCodes.Algemeen, ocktoType: "HYPOTHEEK", odmVersion: "v3_2",
			requestDocuments: ["UPO", "UWV", "PSD2", "UPO"], disablePartner: true, psd2InfoIncluded: true, psd2AmountOfMonths: 12});
		const seen = [Ockto.getStatus("app-1"), Ockto.getStatus("app-1"), Ockto.getStatus("app-1")];
		const odm = Ockto.getResult("app-1");
		const active = Ockto.consents({active: true});
		const all = Ockto.consents({active: true, historical: true, open: true});
		return [s.sessionId, s.qrCode, seen.join(","), odm.income.employers.length, Object.keys(odm)[0],
			odm.psd2.accounts[0].transactions.length > 12 * 5, active.length, active[0].consentStatus,
			active[0].options.access.transactions[0].iban, all.length, Ockto.consents().length].join("|")
	})()`)
	want := "app-1|ockto-sim://session?testCaseId=happy&sessionId=app-1|scanned,dataAvailable,dataAvailable|2|createdAt|true|1|VALID|NL91ABNA0417164300|3|1"
	if got != want {
		t.Fatalf("got  %v\nwant %s", got, want)
	}
	req, _ := sim.Session("app-1")
	if docs := req.Request["requestDocuments"]; !reflect.DeepEqual(docs, []any{"UPO", "UWV", "PSD2"}) || req.Request["disablePartner"] != true {
		t.Fatalf("sent %v", req.Request)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	tx2 := s.Begin()
	defer tx2.Discard()
	rec, err := tx2.Get(SessionKind, "app-1")
	if err != nil {
		t.Fatal(err)
	}
	at := "2026-03-16T10:30:00.123Z"
	wantProps := map[string]any{
		"sessionId": "app-1", "ruleset": "mortgage", "createdAt": at, "lastStatus": "dataAvailable",
		"resultFetchedAt": at, "resultFetches": 1.0,
		"statusHistory": []any{map[string]any{"status": "scanned", "at": at}, map[string]any{"status": "dataAvailable", "at": at}},
		"options": map[string]any{"consentCode": "001", "testCaseId": nil, "ocktoType": "HYPOTHEEK", "odmVersion": "v3_2",
			"requestDocuments": []any{"UPO", "UWV", "PSD2"}, "disablePartner": true, "psd2InfoIncluded": true, "psd2AmountOfMonths": 12.0},
	}
	if !reflect.DeepEqual(rec.Props, wantProps) {
		t.Fatalf("recorded\n%#v\nwant\n%#v", rec.Props, wantProps)
	}
	events, err := audit.List(tx2, audit.Query{ID: "app-1"})
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, e := range events {
		trail = append(trail, e.Props["action"].(string)+":"+e.Props["from"].(string)+"→"+e.Props["to"].(string))
		if e.Props["subject"] != "ocktoSession" {
			t.Fatalf("subject %v", e.Props["subject"])
		}
	}
	if got, want := strings.Join(trail, " "), "start:→started status:→scanned status:scanned→dataAvailable result:dataAvailable→dataAvailable"; got != want {
		t.Fatalf("audit trail %s, want %s", got, want)
	}
}

func TestModuleWithoutStore(t *testing.T) {
	_, srv := newSim(t, nil, ocktosim.Options{})
	vm := newVM(t, simEnv(srv.URL), nil)
	if got := builtinstest.Eval(t, vm, `Ockto.startSession("n", {consentCode: "001", testCaseId: "refused"}).sessionId + Ockto.getStatus("n") + Ockto.getStatus("n")`); got != "nscannedrefused" {
		t.Fatal(got)
	}
}

func TestModuleErrors(t *testing.T) {
	_, srv := newSim(t, nil, ocktosim.Options{})
	tx := storetest.Begin(t)
	vm := newVM(t, simEnv(srv.URL, EnvTimeout, "200ms", EnvRetries, "0"), tx)
	builtinstest.Eval(t, vm, `Ockto.startSession("ns", {consentCode: "001", testCaseId: "no-scan"})`)

	// The provider's error body is in details.
	got := builtinstest.Eval(t, vm, `(() => { try { Ockto.getResult("ns") } catch (e) {
		return [e instanceof Error, e.name, e.message, e.details.status, e.details.body.error, e.details.body.status, e.details.kind].join("|") } })()`)
	if want := `true|Error|Ockto.getResult: Ockto answered HTTP 409 Conflict: {"error":"resultNotAvailable","message":"the result of session \"ns\" is not available (status created)","status":"created"}|409|resultNotAvailable|created|http`; got != want {
		t.Fatalf("got  %v\nwant %s", got, want)
	}
	// A provider that never answers: a timeout, not a hang.
	builtinstest.Eval(t, vm, `Ockto.startSession("un", {consentCode: "001", testCaseId: "unresponsive"})`)
	got = builtinstest.Eval(t, vm, `(() => { try { Ockto.getStatus("un") } catch (e) { return [e.message, e.details.status, e.details.body, e.details.kind].join("|") } })()`)
	if got != "Ockto.getStatus: Ockto did not answer within 200ms|||timeout" {
		t.Fatal(got)
	}
	// Malformed JSON.
	builtinstest.Eval(t, vm, `Ockto.startSession("mf", {consentCode: "001", testCaseId: "malformed"})`)
	if got := builtinstest.Eval(t, vm, `(() => { try { Ockto.getStatus("mf") } catch (e) { return e.details.kind + "|" + e.message } })()`); !strings.HasPrefix(got.(string), "malformed|Ockto.getStatus: Ockto answered HTTP 200 with malformed JSON") {
		t.Fatal(got)
	}
	// A failed call records nothing.
	if _, err := tx.Get(SessionKind, "un"); err != nil {
		t.Fatal(err) // started: recorded
	}
	rec, _ := tx.Get(SessionKind, "un")
	if rec.Props["lastStatus"] != nil {
		t.Fatalf("a failed getStatus recorded %v", rec.Props["lastStatus"])
	}

	// Wrong credentials: no secret in the message.
	vm2 := newVM(t, simEnv(srv.URL, EnvPassword, "not-the-password"), nil)
	if got := builtinstest.Eval(t, vm2, `Ockto.getStatus("ns")`).(string); !strings.HasPrefix(got, "Error: Ockto.getStatus: authentication failed: Ockto answered HTTP 401") || strings.Contains(got, "not-the-password") {
		t.Fatal(got)
	}
}

func TestModuleNotConfigured(t *testing.T) {
	vm := newVM(t, nil, nil)
	const msg = "Error: %s: Ockto is not configured (set KUBUS_OCKTO_ENDPOINT, KUBUS_OCKTO_USERNAME, KUBUS_OCKTO_PASSWORD and KUBUS_OCKTO_PROVIDER_CODE under modules: in kubus.yaml or in the process environment)"
	for expr, fn := range map[string]string{
		`Ockto.startSession("a", {consentCode: "001"})`: "Ockto.startSession",
		`Ockto.getStatus("a")`:                          "Ockto.getStatus",
		`Ockto.getResult("a")`:                          "Ockto.getResult",
		`Ockto.consents({open: true})`:                  "Ockto.consents",
	} {
		if got, want := builtinstest.Eval(t, vm, expr), strings.Replace(msg, "%s", fn, 1); got != want {
			t.Errorf("%s:\n got %v\nwant %s", expr, got, want)
		}
	}
	// Validation still comes first; ConsentCodes works without Ockto.
	if got := builtinstest.Eval(t, vm, `Ockto.startSession("a", {consentCode: "002"})`); !strings.HasPrefix(got.(string), "RangeError: Ockto.startSession: options.consentCode") {
		t.Fatal(got)
	}
	if got := builtinstest.Eval(t, vm, `Ockto.ConsentCodes.Algemeen`); got != "001" {
		t.Fatal(got)
	}
	// A half configuration says what is missing.
	vm = newVM(t, map[string]string{EnvEndpoint: "https://ockto.example"}, nil)
	if got := builtinstest.Eval(t, vm, `Ockto.getStatus("a")`).(string); !strings.Contains(got, "Ockto is not fully configured") || !strings.Contains(got, EnvPassword) {
		t.Fatal(got)
	}
}

func TestConsentCodes(t *testing.T) {
	vm := newVM(t, nil, nil)
	if got := builtinstest.Eval(t, vm, `[Object.isFrozen(Ockto.ConsentCodes), Ockto.ConsentCodes === Ockto.ConsentCodes, JSON.stringify(Ockto.ConsentCodes),
		(() => { "use strict"; try { Ockto.ConsentCodes.Algemeen = "x"; return "assigned" } catch (e) { return e.name } })(),
		(() => { "use strict"; try { Ockto.ConsentCodes = {}; return "assigned" } catch (e) { return e.name } })()].join("|")`); got != `true|true|{"Algemeen":"001"}|TypeError|TypeError` {
		t.Fatal(got)
	}
	_, srv := newSim(t, nil, ocktosim.Options{})
	vm = newVM(t, simEnv(srv.URL, EnvConsentCodes, `{"Hypotheek":"007","Algemeen":"001"}`), nil)
	if got := builtinstest.Eval(t, vm, `JSON.stringify(Ockto.ConsentCodes) + Ockto.startSession("h", {consentCode: Ockto.ConsentCodes.Hypotheek}).sessionId`); got != `{"Algemeen":"001","Hypotheek":"007"}h` {
		t.Fatal(got)
	}
	vm = newVM(t, map[string]string{EnvConsentCodes: `nope`}, nil)
	if got := builtinstest.Eval(t, vm, `Ockto.ConsentCodes`).(string); !strings.HasPrefix(got, "Error: Ockto.ConsentCodes: KUBUS_OCKTO_CONSENT_CODES: must be a JSON object") {
		t.Fatal(got)
	}
	// Outside an execution it throws instead of guessing.
	vm2 := goja.New()
	if err := (Module{}).Install(builtins.NewHost(vm2)); err != nil {
		t.Fatal(err)
	}
	if got := builtinstest.Eval(t, vm2, `Ockto.ConsentCodes`).(string); !strings.Contains(got, "no execution is running") {
		t.Fatal(got)
	}
}

func TestStartSessionValidation(t *testing.T) {
	sim, srv := newSim(t, nil, ocktosim.Options{})
	vm := newVM(t, simEnv(srv.URL), nil)
	for _, tc := range []struct{ args, want string }{
		{``, "TypeError: Ockto.startSession: sessionId is required"},
		{`42, {consentCode: "001"}`, "TypeError: Ockto.startSession: sessionId must be a string, got 42"},
		{`"  ", {consentCode: "001"}`, "TypeError: Ockto.startSession: sessionId must be a non-empty string"},
		{`"x".repeat(201), {consentCode: "001"}`, "RangeError: Ockto.startSession: sessionId must be at most 200 characters, got 201"},
		{`"s"`, "TypeError: Ockto.startSession: options must be an object with at least consentCode, got undefined"},
		{`"s", "001"`, "TypeError: Ockto.startSession: options must be an object"},
		{`"s", {}`, `TypeError: Ockto.startSession: options.consentCode must be a string, one of Ockto.ConsentCodes (Algemeen: "001"), got undefined`},
		{`"s", {consentCode: 1}`, `TypeError: Ockto.startSession: options.consentCode must be a string`},
		{`"s", {consentCode: "002"}`, `RangeError: Ockto.startSession: options.consentCode must be one of Ockto.ConsentCodes (Algemeen: "001"), got "002"`},
		{`"s", {consentCode: "001", consentcode: "001"}`, "TypeError: Ockto.startSession: options.consentcode is not a startSession option"},
		{`"s", {consentCode: "001", testCaseId: 3}`, "TypeError: Ockto.startSession: options.testCaseId must be a string, got 3"},
		{`"s", {consentCode: "001", ocktoType: {}}`, "TypeError: Ockto.startSession: options.ocktoType must be a string"},
		{`"s", {consentCode: "001", odmVersion: "3.2"}`, `RangeError: Ockto.startSession: options.odmVersion must be null, "" or v<major>_<minor> such as "v3_2", got "3.2"`},
		{`"s", {consentCode: "001", odmVersion: "v3"}`, "RangeError: Ockto.startSession: options.odmVersion"},
		{`"s", {consentCode: "001", odmVersion: 3}`, "TypeError: Ockto.startSession: options.odmVersion must be a string"},
		{`"s", {consentCode: "001", requestDocuments: "UPO"}`, "TypeError: Ockto.startSession: options.requestDocuments must be an array"},
		{`"s", {consentCode: "001", requestDocuments: ["UPO", "BKR"]}`, `RangeError: Ockto.startSession: options.requestDocuments[1] must be one of UPO, UWV, PSD2, PDF, got "BKR"`},
		{`"s", {consentCode: "001", requestDocuments: ["upo"]}`, `RangeError: Ockto.startSession: options.requestDocuments[0]`},
		{`"s", {consentCode: "001", requestDocuments: [1]}`, `TypeError: Ockto.startSession: options.requestDocuments[0] must be a string, got 1`},
		{`"s", {consentCode: "001", requestDocuments: new Array(1e9)}`, `RangeError: Ockto.startSession: options.requestDocuments must be`},
		{`"s", {consentCode: "001", disablePartner: "yes"}`, `TypeError: Ockto.startSession: options.disablePartner must be true or false, got "yes"`},
		{`"s", {consentCode: "001", psd2InfoIncluded: 1}`, `TypeError: Ockto.startSession: options.psd2InfoIncluded must be true or false, got 1`},
		{`"s", {consentCode: "001", psd2InfoIncluded: true}`, `TypeError: Ockto.startSession: options.psd2AmountOfMonths must be a whole number of months from 1 to 12 when psd2InfoIncluded is true, got undefined`},
		{`"s", {consentCode: "001", psd2InfoIncluded: true, psd2AmountOfMonths: 13}`, `RangeError: Ockto.startSession: options.psd2AmountOfMonths must be a whole number of months from 1 to 12 when psd2InfoIncluded is true, got 13`},
		{`"s", {consentCode: "001", psd2InfoIncluded: true, psd2AmountOfMonths: 0}`, `RangeError: Ockto.startSession: options.psd2AmountOfMonths`},
		{`"s", {consentCode: "001", psd2InfoIncluded: true, psd2AmountOfMonths: 1.5}`, `RangeError: Ockto.startSession: options.psd2AmountOfMonths`},
		{`"s", {consentCode: "001", psd2InfoIncluded: true, psd2AmountOfMonths: NaN}`, `RangeError: Ockto.startSession: options.psd2AmountOfMonths`},
		{`"s", {consentCode: "001", psd2InfoIncluded: true, psd2AmountOfMonths: "12"}`, `TypeError: Ockto.startSession: options.psd2AmountOfMonths`},
		{`"s", {consentCode: "001", psd2AmountOfMonths: "12"}`, `TypeError: Ockto.startSession: options.psd2AmountOfMonths must be a number`},
	} {
		got, _ := builtinstest.Eval(t, vm, `Ockto.startSession(`+tc.args+`)`).(string)
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("startSession(%s):\n got %s\nwant %s…", tc.args, got, tc.want)
		}
	}
	if n := sim.Requests(ocktosim.KindStart) + sim.Requests(ocktosim.KindToken); n != 0 {
		t.Fatalf("%d requests reached Ockto for invalid arguments, want 0", n)
	}
	// The edges that are valid.
	for i, opts := range []string{
		`{consentCode: "001", odmVersion: null, psd2AmountOfMonths: 0}`,
		`{consentCode: "001", odmVersion: "", requestDocuments: []}`,
		`{consentCode: "001", odmVersion: "v10_0", psd2InfoIncluded: true, psd2AmountOfMonths: 1, testCaseId: null}`,
		`{consentCode: "001", requestDocuments: ["UPO", "UWV", "PSD2", "PDF"], psd2InfoIncluded: false, disablePartner: false}`,
	} {
		id := "ok-" + string(rune('a'+i))
		if got := builtinstest.Eval(t, vm, `Ockto.startSession("`+id+`", `+opts+`).sessionId`); got != id {
			t.Errorf("%s: %v", opts, got)
		}
	}
	// consents' query is checked too.
	for args, want := range map[string]string{
		`{active: "yes"}`: `TypeError: Ockto.consents: query.active must be true or false, got "yes"`,
		`{all: true}`:     `TypeError: Ockto.consents: query.all is not a consents option`,
		`"open"`:          `TypeError: Ockto.consents: query must be an object`,
	} {
		if got, _ := builtinstest.Eval(t, vm, `Ockto.consents(`+args+`)`).(string); !strings.HasPrefix(got, want) {
			t.Errorf("consents(%s): %s, want %s", args, got, want)
		}
	}
	if got, _ := builtinstest.Eval(t, vm, `Ockto.getStatus("")`).(string); got != "TypeError: Ockto.getStatus: sessionId must be a non-empty string" {
		t.Error(got)
	}
}

func TestTypingsAndReference(t *testing.T) {
	m := Module{}
	typ := m.Typings()
	for _, want := range []string{"declare namespace Ockto", "function startSession(sessionId: string, options: {", "function getStatus(", "function getResult(",
		"function consents(", "const ConsentCodes: Readonly<Record<string, string>>", "interface OcktoAisConsent", "consentedServices"} {
		if !strings.Contains(typ, want) {
			t.Errorf("typings lack %q", want)
		}
	}
	var names []string
	for _, e := range m.Reference() {
		names = append(names, e.Qualified)
		if e.Doc == "" || e.Signature == "" {
			t.Errorf("%s: undocumented", e.Qualified)
		}
	}
	if got := strings.Join(names, ","); got != "Ockto.ConsentCodes,Ockto.startSession,Ockto.getStatus,Ockto.getResult,Ockto.consents" {
		t.Fatal(got)
	}
	if m.Name() != "Ockto" {
		t.Fatal(m.Name())
	}
}

// FuzzStartSessionOptions: any options object gives a JS error or a session, never a Go panic.
func FuzzStartSessionOptions(f *testing.F) {
	for _, s := range []string{`{"consentCode":"001"}`, `{"consentCode":"001","requestDocuments":["UPO","PDF"],"psd2InfoIncluded":true,"psd2AmountOfMonths":12}`,
		`{"consentCode":2}`, `{"requestDocuments":{"length":1e300}}`, `{"psd2InfoIncluded":true,"psd2AmountOfMonths":1e400}`, `[]`, `null`, `"x"`,
		`{"odmVersion":"v1_2","consentCode":"001","testCaseId":""}`, `{"requestDocuments":[null,{"toString":1}]}`} {
		f.Add("s-1", s)
	}
	vm := goja.New()
	h := builtins.NewHost(vm)
	if err := (Module{}).Install(h); err != nil {
		f.Fatal(err)
	}
	// Not configured: a valid call ends in "Ockto is not configured" without any network.
	h.SetExec(&builtins.Exec{Now: clock, Getenv: func(string) (string, bool) { return "", false }})
	fn, _ := goja.AssertFunction(vm.Get("Ockto").ToObject(vm).Get("startSession"))
	parse, _ := goja.AssertFunction(vm.Get("JSON").ToObject(vm).Get("parse"))
	f.Fuzz(func(t *testing.T, id, opts string) {
		if len(opts) > 1000 || len(id) > 1000 {
			return // options objects are small; bounded inputs keep each run fast
		}
		o, err := parse(goja.Undefined(), vm.ToValue(opts))
		if err != nil {
			return // not JSON
		}
		_, err = fn(goja.Undefined(), vm.ToValue(id), o)
		ex, ok := err.(*goja.Exception)
		if !ok {
			t.Fatalf("startSession(%q, %s): %v (%T), want a JS exception", id, opts, err, err)
		}
		name := ex.Value().ToObject(vm).Get("name").String()
		msg := ex.Value().ToObject(vm).Get("message").String()
		if name != "TypeError" && name != "RangeError" && name != "Error" {
			t.Fatalf("startSession(%q, %s): %s: %s", id, opts, name, msg)
		}
		if strings.Contains(msg, "internal error") {
			t.Fatalf("startSession(%q, %s): %s", id, opts, msg)
		}
		if name == "Error" && !strings.Contains(msg, "Ockto is not configured") {
			t.Fatalf("startSession(%q, %s): %s", id, opts, msg)
		}
	})
}
