package datadebit

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/audit"
	"github.com/kubusdev/kubus/store"
	"github.com/kubusdev/kubus/store/storetest"
)

const day = 24 * time.Hour

// t0 is the start the tests' specs use; periods are 10 days.
var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// env is one runtime with the module, pointed at executions of ruleset "x" working in tx.
type env struct {
	t  testing.TB
	vm *goja.Runtime
	h  *builtins.Host
	tx store.Tx
}

func newEnv(t testing.TB, tx store.Tx, now time.Time) *env {
	t.Helper()
	vm := goja.New()
	h := builtins.NewHost(vm)
	if err := (Module{}).Install(h); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.RunString(`function spec(o) { return Object.assign({
		purpose: "Mortgage advice", start: "2024-01-01T00:00:00Z", period: 10 * 86400, termsUrl: "https://bank.example/terms",
		cancelAtPeriodEnd: false, requestClientName: "Bank", requestClientUrl: "https://bank.example",
		requestClientLogoUrl: "https://bank.example/logo.png", requestDescription: "Your income data",
		bundle: {name: "income", bundle: {profile: {endpoints: [{endpoint: "Person"}]}, finance: {endpoints: [{endpoint: "other/Account"}, {endpoint: "Person"}]}}}
	}, o) }`); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, vm: vm, h: h, tx: tx}
	e.at(now)
	return e
}

// at moves the execution clock.
func (e *env) at(now time.Time) *env {
	e.h.SetExec(&builtins.Exec{Now: now, Location: time.UTC, Tx: e.tx, Ruleset: builtins.RulesetInfo{Name: "x"}})
	return e
}

// eval runs expr and returns its exported value, or "Name: message" when it throws (with
// "[error] " in front of the message when the error has an error type).
func (e *env) eval(expr string) any {
	e.t.Helper()
	v, err := e.vm.RunString("(() => { try { return (" + expr + ") } catch (e) { return (e && e.name) + ': ' + (e && e.error ? '[' + e.error + '] ' : '') + (e && e.message) } })()")
	if err != nil {
		e.t.Fatalf("%s: %v", expr, err)
	}
	return v.Export()
}

// seq checks expressions against their values in order: expr, want, expr, want, ...
func (e *env) seq(pairs ...any) {
	e.t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		expr := pairs[i].(string)
		if got := e.eval(expr); got != pairs[i+1] {
			e.t.Errorf("%s = %#v, want %#v", expr, got, pairs[i+1])
		}
	}
}

// run runs statements that must not throw.
func (e *env) run(src string) {
	e.t.Helper()
	if _, err := e.vm.RunString(src); err != nil {
		e.t.Fatalf("%s: %v", src, err)
	}
}

// expect checks expressions against their values.
func (e *env) expect(cases map[string]any) {
	e.t.Helper()
	for expr, want := range cases {
		if got := e.eval(expr); got != want {
			e.t.Errorf("%s = %#v, want %#v", expr, got, want)
		}
	}
}

func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// events lists the audit trail of a data debit as "action from→to".
func events(t testing.TB, tx store.Tx, key string) []string {
	t.Helper()
	recs, err := audit.List(tx, audit.Query{ID: key})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		if r.Props["subject"] != "dataDebit" {
			t.Errorf("event subject %v", r.Props["subject"])
		}
		out = append(out, fmt.Sprintf("%s %s→%s", r.Props["action"], r.Props["from"], r.Props["to"]))
	}
	return out
}

func expectEvents(t testing.TB, tx store.Tx, key string, want ...string) {
	t.Helper()
	if got := events(t, tx, key); strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("audit events of %s:\n got %q\nwant %q", key, got, want)
	}
}

func TestCreate(t *testing.T) {
	s := storetest.Open(t)
	tx := s.Begin()
	e := newEnv(t, tx, t0.Add(day))
	e.run(`var d = DataDebit.create("dd-1", spec())`)
	e.expect(map[string]any{
		`d.dataDebitKey`:              "dd-1",
		`d.dateCreated.toISOString()`: iso(t0.Add(day)),
		`d.active`:                    false,
		`d.accepted`:                  false,
		`d.start.toISOString()`:       iso(t0),
		`d.end`:                       nil,
		`d.permissionsActive`:         nil,
		`d.permissions.length`:        int64(1),
		`d.permissionsLatest === d.permissions[0]`:       true,
		`d.permissionsLatest.accepted`:                   false,
		`d.permissionsLatest.active`:                     false,
		`d.permissionsLatest.period`:                     int64(864000),
		`d.permissionsLatest.purpose`:                    "Mortgage advice",
		`d.permissionsLatest.termsUrl`:                   "https://bank.example/terms",
		`d.permissionsLatest.cancelAtPeriodEnd`:          false,
		`"canceledAt" in d.permissionsLatest`:            false,
		`typeof d.permissionsLatest.permissionsId`:       "string",
		`JSON.stringify(d.permissionsLatest.bundle)`:     `{"name":"income","bundle":{"finance":{"endpoints":[{"endpoint":"other/Account"},{"endpoint":"Person"}]},"profile":{"endpoints":[{"endpoint":"Person"}]}}}`,
		`d.requestClientName + " " + d.requestClientUrl`: "Bank https://bank.example",
		`d.requestClientLogoUrl`:                         "https://bank.example/logo.png",
		`d.requestDescription`:                           "Your income data",
		`DataDebit.create("dd-2", spec({requestDescription: undefined})).requestDescription`:                                  nil,
		`DataDebit.create("dd-3", spec({cancelAtPeriodEnd: true})).permissionsLatest.end.toISOString()`:                       iso(t0.Add(10 * day)),
		`DataDebit.create("dd-4", spec({start: new Date("2024-03-01T10:00:00.123Z")})).permissionsLatest.start.toISOString()`: "2024-03-01T10:00:00.123Z",
		`JSON.stringify(Object.keys(d).sort())`: `["accepted","active","dataDebitKey","dateCreated","end","permissions","permissionsActive","permissionsLatest","requestClientLogoUrl","requestClientName","requestClientUrl","requestDescription","start"]`,
		// Duplicate key, in the same execution.
		`DataDebit.create("dd-1", spec())`:   `Error: [duplicateDataDebit] DataDebit.create: a data debit with key "dd-1" already exists`,
		`DataDebit.get("dd-1").dataDebitKey`: "dd-1",
		`DataDebit.get("nope")`:              nil,
	})
	expectEvents(t, tx, "dd-1", "create →pending")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	// Stored: only the decided facts, times in one format.
	tx2 := s.Begin()
	defer tx2.Discard()
	rec, err := tx2.Get(Kind, "dd-1")
	if err != nil {
		t.Fatal(err)
	}
	perm := rec.Props["permissions"].([]any)[0].(map[string]any)
	if rec.Props["dateCreated"] != iso(t0.Add(day)) || perm["start"] != iso(t0) || perm["accepted"] != false || perm["period"] != float64(864000) {
		t.Errorf("stored %v", rec.Props)
	}
	for _, computed := range []string{"active", "end"} {
		if _, has := perm[computed]; has {
			t.Errorf("stored permissions has the computed %q", computed)
		}
	}
	if _, has := rec.Props["active"]; has {
		t.Errorf("stored record has the computed active")
	}
	// A later execution: still a duplicate.
	e2 := newEnv(t, tx2, t0.Add(2*day))
	e2.expect(map[string]any{
		`DataDebit.create("dd-1", spec()).dataDebitKey`: `Error: [duplicateDataDebit] DataDebit.create: a data debit with key "dd-1" already exists`,
		`(() => { try { DataDebit.create("dd-1", spec()) } catch (e) { return e instanceof Error && e.error === "duplicateDataDebit" && e.message.includes("dd-1") } })()`: true,
		`DataDebit.get("dd-1").permissions.length`: int64(1),
	})
}

func TestDiscardedTxLeavesNothing(t *testing.T) {
	s := storetest.Open(t)
	tx := s.Begin()
	e := newEnv(t, tx, t0)
	e.run(`DataDebit.create("dd-1", spec())`)
	tx.Discard()
	tx2 := s.Begin()
	defer tx2.Discard()
	newEnv(t, tx2, t0).seq(`DataDebit.get("dd-1")`, nil, `DataDebit.create("dd-1", spec()).dataDebitKey`, "dd-1")
	if n, _ := tx2.Count(audit.Kind, nil); n != 1 {
		t.Errorf("%d audit events, want 1 (the discarded one is gone)", n)
	}
}

func TestUpdateEnableFlow(t *testing.T) {
	tx := storetest.Begin(t)
	e := newEnv(t, tx, t0.Add(day))
	e.run(`DataDebit.create("dd-1", spec())`)
	e.seq(`DataDebit.enable("dd-1").active`, true)
	e.expect(map[string]any{
		`DataDebit.get("dd-1").accepted`:                   true,
		`DataDebit.get("dd-1").end`:                        nil, // rolls on
		`DataDebit.get("dd-1").permissionsActive.accepted`: true,
		`DataDebit.get("dd-1").permissionsActive.active`:   true,
		`DataDebit.enable("dd-1").permissions.length`:      int64(1), // again: no change
		`DataDebit.enable("nope")`:                         `Error: [dataDebitNotFound] DataDebit.enable: there is no data debit with key "nope"`,
		`DataDebit.update("nope", spec())`:                 `Error: [dataDebitNotFound] DataDebit.update: there is no data debit with key "nope"`,
	})
	v1 := e.eval(`DataDebit.get("dd-1").permissions[0].permissionsId`)

	// New terms: proposed, not in force.
	e.at(t0.Add(3 * day))
	e.run(`var u = DataDebit.update("dd-1", spec({purpose: "Mortgage advice and follow-up", period: 20 * 86400, requestClientName: "Bank NV", bundle: {name: "less", bundle: {profile: {endpoints: [{endpoint: "Person"}]}}}}))`)
	e.expect(map[string]any{
		`u.permissions.length`:                                int64(2),
		`u.permissionsLatest.accepted`:                        false,
		`u.permissionsLatest.active`:                          false,
		`u.permissionsLatest.period`:                          int64(20 * 86400),
		`u.permissionsActive.permissionsId`:                   v1,
		`u.active`:                                            true,
		`u.accepted`:                                          true,
		`u.requestClientName`:                                 "Bank NV",
		`Object.keys(DataDebit.values("dd-1")).sort().join()`: "finance,profile", // still the old bundle
	})

	// enable accepts the new terms; the old version hands over now.
	e.at(t0.Add(4 * day))
	e.run(`var d = DataDebit.enable("dd-1")`)
	e.expect(map[string]any{
		`d.permissionsLatest.accepted`:                 true,
		`d.permissionsActive === d.permissionsLatest`:  true,
		`d.permissions[0].canceledAt.toISOString()`:    iso(t0.Add(4 * day)),
		`d.permissions[0].active`:                      false,
		`d.permissions[0].accepted`:                    true,
		`Object.keys(DataDebit.values("dd-1")).join()`: "profile",
	})

	// New terms starting later: the old ones stay in force until then, no gap, no overlap.
	e.run(`DataDebit.update("dd-1", spec({start: "2024-01-20T00:00:00Z", bundle: {name: "b3", bundle: {g3: {endpoints: [{endpoint: "Person"}]}}}}))`)
	e.run(`DataDebit.enable("dd-1")`)
	e.at(t0.Add(19*day - time.Millisecond))
	e.expect(map[string]any{`DataDebit.get("dd-1").permissionsActive.permissionsId === DataDebit.get("dd-1").permissions[1].permissionsId`: true, `DataDebit.get("dd-1").permissions[1].end.toISOString()`: iso(t0.Add(19 * day))})
	e.at(t0.Add(19 * day))
	e.expect(map[string]any{`DataDebit.get("dd-1").permissionsActive.permissionsId === DataDebit.get("dd-1").permissionsLatest.permissionsId`: true, `DataDebit.get("dd-1").permissions[1].active`: false, `Object.keys(DataDebit.values("dd-1")).join()`: "g3"})

	expectEvents(t, tx, "dd-1", "create →pending", "enable pending→active", "update active→active", "enable active→active", "update active→active", "enable active→active")
}

func TestDisable(t *testing.T) {
	// A rolling data debit (start t0, 10-day periods) disabled on day 15, in its second period.
	cases := []struct {
		name        string
		options     string
		activeUntil time.Time // last instant active is activeUntil - 1 ms
		to          string
	}{
		{"immediately", ``, t0.Add(15 * day), "canceled"},
		{"immediately, explicit", `, {atPeriodEnd: false}`, t0.Add(15 * day), "canceled"},
		{"at period end", `, {atPeriodEnd: true}`, t0.Add(20 * day), "canceling"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tx := storetest.Begin(t)
			e := newEnv(t, tx, t0)
			e.run(`DataDebit.create("dd", spec()); DataDebit.enable("dd")`)
			e.at(t0.Add(15 * day))
			e.run(`var d = DataDebit.disable("dd"` + c.options + `)`)
			e.expect(map[string]any{
				`d.end.toISOString()`:                       iso(c.activeUntil),
				`d.permissions[0].canceledAt.toISOString()`: iso(t0.Add(15 * day)),
				`d.permissions[0].cancelAtPeriodEnd`:        c.to == "canceling",
				`d.active`:                                  c.to == "canceling",
				`d.accepted`:                                true,
			})
			e.at(c.activeUntil.Add(-time.Millisecond))
			e.expect(map[string]any{`DataDebit.get("dd").active`: true})
			e.at(c.activeUntil)
			e.expect(map[string]any{
				`DataDebit.get("dd").active`: false,
				`DataDebit.values("dd")`:     `Error: [dataDebitNotActive] DataDebit.values: data debit "dd" is not active`,
				`DataDebit.enable("dd")`:     `Error: [dataDebitCanceled] DataDebit.enable: data debit "dd" is canceled: propose new terms with DataDebit.update, then enable them`,
			})
			// Disabling again changes nothing and appends nothing.
			e.run(`DataDebit.disable("dd"); DataDebit.disable("dd", {atPeriodEnd: true})`)
			expectEvents(t, tx, "dd", "create →pending", "enable pending→active", "disable active→"+c.to)
			// New terms can be enabled again.
			e.seq(`DataDebit.update("dd", spec({start: new Date()})).active`, false, `DataDebit.enable("dd").active`, true)
		})
	}
}

func TestDisableEdgeCases(t *testing.T) {
	tx := storetest.Begin(t)
	e := newEnv(t, tx, t0.Add(12*day))

	// At period end, then immediately: the immediate one ends it now.
	e.run(`DataDebit.create("a", spec()); DataDebit.enable("a"); DataDebit.disable("a", {atPeriodEnd: true})`)
	e.at(t0.Add(13 * day))
	e.seq(`DataDebit.disable("a").end.toISOString()`, iso(t0.Add(13*day)), `DataDebit.get("a").active`, false)
	expectEvents(t, tx, "a", "create →pending", "enable pending→active", "disable active→canceling", "disable canceling→canceled")

	// A one-period data debit that ran its course: disabling it neither revives nor changes it.
	e.at(t0)
	e.run(`DataDebit.create("b", spec({cancelAtPeriodEnd: true})); DataDebit.enable("b")`)
	e.at(t0.Add(15 * day))
	e.expect(map[string]any{
		`DataDebit.disable("b", {atPeriodEnd: true}).active`: false,
		`DataDebit.get("b").end.toISOString()`:               iso(t0.Add(10 * day)),
		`"canceledAt" in DataDebit.get("b").permissions[0]`:  false,
	})
	expectEvents(t, tx, "b", "create →pending", "enable pending→active")

	// One that has not started: canceled at period end before its start, it never runs.
	e.run(`DataDebit.create("c", spec({start: "2024-02-01T00:00:00Z"})); DataDebit.enable("c"); DataDebit.disable("c", {atPeriodEnd: true})`)
	e.at(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC))
	e.expect(map[string]any{`DataDebit.get("c").active`: false})
	expectEvents(t, tx, "c", "create →pending", "enable pending→accepted", "disable accepted→canceled")

	// Never enabled: disable cancels the proposal; enable refuses it.
	e.run(`DataDebit.create("d", spec())`)
	e.seq(`DataDebit.disable("d").accepted`, false, `DataDebit.enable("d")`, `Error: [dataDebitCanceled] DataDebit.enable: data debit "d" is canceled: propose new terms with DataDebit.update, then enable them`)
	expectEvents(t, tx, "d", "create →pending", "disable pending→canceled")

	e.expect(map[string]any{
		`DataDebit.disable("a", {atPeriodEnd: 1})`: "TypeError: DataDebit.disable: options.atPeriodEnd must be a boolean, got 1",
		`DataDebit.disable("a", true)`:             "TypeError: DataDebit.disable: options must be an object, got true",
		`DataDebit.disable("zz")`:                  `Error: [dataDebitNotFound] DataDebit.disable: there is no data debit with key "zz"`,
	})
}

func TestValues(t *testing.T) {
	s := storetest.Open(t)
	tx := s.Begin()
	for _, p := range []struct {
		kind  store.Kind
		props map[string]any
	}{
		{store.Kind{Ruleset: "x", Entity: "Person"}, map[string]any{"Name": "Ann", "Income": 52000}},
		{store.Kind{Ruleset: "x", Entity: "Person"}, map[string]any{"Name": "Bob", "Tags": []any{"a", map[string]any{"b": nil}}}},
		{store.Kind{Ruleset: "other", Entity: "Account"}, map[string]any{"Iban": "NL91ABNA0417164300"}},
		{store.Kind{Ruleset: "y", Entity: "Person"}, map[string]any{"Name": "Not in ruleset x"}},
	} {
		if _, err := tx.Put(p.kind, &store.Record{Props: p.props}, t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	tx = s.Begin()
	defer tx.Discard()
	e := newEnv(t, tx, t0.Add(-day))
	e.run(`DataDebit.create("dd", spec())`)
	e.expect(map[string]any{`DataDebit.values("dd")`: `Error: [dataDebitNotActive] DataDebit.values: data debit "dd" is not active`})
	e.run(`DataDebit.enable("dd")`)
	e.expect(map[string]any{`DataDebit.values("dd")`: `Error: [dataDebitNotActive] DataDebit.values: data debit "dd" is not active`}) // not started
	e.at(t0)
	e.run(`var v = DataDebit.values("dd")`)
	e.expect(map[string]any{
		`Object.keys(v).join()`:                                             "finance,profile",
		`v.profile.Person.map(p => p.Name).sort().join()`:                   "Ann,Bob",
		`v.profile.Person.every(p => typeof p._id === "string")`:            true,
		`v.profile.Person.find(p => p.Name === "Ann").Income`:               int64(52000),
		`JSON.stringify(v.profile.Person.find(p => p.Name === "Bob").Tags)`: `["a",{"b":null}]`,
		`Array.isArray(v.profile.Person)`:                                   true,
		`v.finance["other/Account"][0].Iban`:                                "NL91ABNA0417164300",
		`v.finance.Person.length`:                                           int64(2),
		`DataDebit.values("nope")`:                                          `Error: [dataDebitNotFound] DataDebit.values: there is no data debit with key "nope"`,
	})
	// Reads are not changes: no audit event.
	expectEvents(t, tx, "dd", "create →pending", "enable pending→accepted")

	// A short endpoint needs a running ruleset.
	e.h.SetExec(&builtins.Exec{Now: t0, Tx: tx})
	if got := e.eval(`DataDebit.values("dd")`); !strings.HasPrefix(fmt.Sprint(got), `Error: DataDebit.values: endpoint "Person" names no ruleset`) {
		t.Errorf("values without a ruleset = %v", got)
	}
	e.at(t0)
	e.run(`DataDebit.disable("dd")`)
	e.expect(map[string]any{`DataDebit.values("dd")`: `Error: [dataDebitNotActive] DataDebit.values: data debit "dd" is not active`})
}

func TestList(t *testing.T) {
	tx := storetest.Begin(t)
	e := newEnv(t, tx, t0)
	e.expect(map[string]any{`DataDebit.list().length`: int64(0)})
	e.run(`DataDebit.create("b", spec()); DataDebit.enable("b")`)
	e.at(t0.Add(time.Millisecond))
	e.run(`DataDebit.create("a", spec())`)
	e.at(t0.Add(2 * time.Millisecond))
	e.run(`DataDebit.create("c", spec()); DataDebit.enable("c"); DataDebit.disable("c")`)
	e.expect(map[string]any{
		`DataDebit.list().map(d => d.dataDebitKey).join()`:                                 "b,a,c", // oldest first
		`DataDebit.list({active: true}).map(d => d.dataDebitKey).join()`:                   "b",
		`DataDebit.list({active: false}).map(d => d.dataDebitKey).join()`:                  "a,c",
		`DataDebit.list({accepted: true}).map(d => d.dataDebitKey).join()`:                 "b,c",
		`DataDebit.list({accepted: false, active: false}).map(d => d.dataDebitKey).join()`: "a",
		`DataDebit.list({})[0].dataDebitKey`:                                               "b",
		`DataDebit.list({active: "yes"})`:                                                  `TypeError: DataDebit.list: filter.active must be a boolean, got "yes"`,
		`DataDebit.list(1)`:                                                                "TypeError: DataDebit.list: filter must be an object, got 1",
	})
}

func TestArgumentErrors(t *testing.T) {
	e := newEnv(t, storetest.Begin(t), t0)
	const c = "DataDebit.create: "
	cases := map[string]any{
		`DataDebit.create()`:                                                                                         "TypeError: " + c + "key is required (a string)",
		`DataDebit.create(1, spec())`:                                                                                "TypeError: " + c + "key must be a string, got 1",
		`DataDebit.create(" ", spec())`:                                                                              "RangeError: " + c + "key is empty",
		`DataDebit.create("x".repeat(257), spec())`:                                                                  "RangeError: " + c + "key is longer than 256 bytes",
		`DataDebit.create("\ud800", spec())`:                                                                         "RangeError: " + c + "key is not valid Unicode (a lone surrogate)",
		`DataDebit.create("k")`:                                                                                      "TypeError: " + c + "spec is required (an object)",
		`DataDebit.create("k", spec({purpose: undefined}))`:                                                          "TypeError: " + c + "spec.purpose is required (a string)",
		`DataDebit.create("k", spec({purpose: ""}))`:                                                                 "RangeError: " + c + "spec.purpose is empty",
		`DataDebit.create("k", spec({start: 5}))`:                                                                    `TypeError: ` + c + `spec.start must be a Date or a "YYYY-MM-DD" string, got 5`,
		`DataDebit.create("k", spec({start: "tomorrow"}))`:                                                           `RangeError: ` + c + `spec.start must be a Date or a "YYYY-MM-DD" or RFC 3339 date string, got "tomorrow"`,
		`DataDebit.create("k", spec({start: new Date(NaN)}))`:                                                        "RangeError: " + c + "spec.start is an invalid Date",
		`DataDebit.create("k", spec({start: new Date(-8.64e15)}))`:                                                   "RangeError: " + c + "spec.start must be in the years 1 to 9999, got a Date",
		`DataDebit.create("k", spec({period: "30d"}))`:                                                               `TypeError: ` + c + `spec.period must be a number of seconds, got "30d"`,
		`DataDebit.create("k", spec({period: 0}))`:                                                                   "RangeError: " + c + "spec.period must be a whole number of seconds between 1 and 3155760000 (100 years), got 0",
		`DataDebit.create("k", spec({period: 1.5}))`:                                                                 "RangeError: " + c + "spec.period must be a whole number of seconds between 1 and 3155760000 (100 years), got 1.5",
		`DataDebit.create("k", spec({period: NaN}))`:                                                                 "RangeError: " + c + "spec.period must be a whole number of seconds between 1 and 3155760000 (100 years), got NaN",
		`DataDebit.create("k", spec({period: 1e10}))`:                                                                "RangeError: " + c + "spec.period must be a whole number of seconds between 1 and 3155760000 (100 years), got 10000000000",
		`DataDebit.create("k", spec({termsUrl: "terms"}))`:                                                           `RangeError: ` + c + `spec.termsUrl must be an absolute http(s) URL of at most 2048 characters, got "terms"`,
		`DataDebit.create("k", spec({requestClientLogoUrl: "javascript:alert(1)"}))`:                                 `RangeError: ` + c + `spec.requestClientLogoUrl must be an absolute http(s) URL of at most 2048 characters, got "javascript:alert(1)"`,
		`DataDebit.create("k", spec({cancelAtPeriodEnd: "no"}))`:                                                     `TypeError: ` + c + `spec.cancelAtPeriodEnd must be a boolean, got "no"`,
		`DataDebit.create("k", spec({requestClientName: null}))`:                                                     "TypeError: " + c + "spec.requestClientName must be a string, got null",
		`DataDebit.create("k", spec({requestDescription: 3}))`:                                                       "TypeError: " + c + "spec.requestDescription must be a string or null, got 3",
		`DataDebit.create("k", spec({bundle: []}))`:                                                                  "TypeError: " + c + "spec.bundle must be an object, got an array",
		`DataDebit.create("k", spec({bundle: {name: "b", bundle: {}}}))`:                                             "RangeError: " + c + "spec.bundle.bundle has no groups",
		`DataDebit.create("k", spec({bundle: {name: "b", bundle: {g: {endpoints: []}}}}))`:                           "RangeError: " + c + "spec.bundle.bundle.g.endpoints is empty",
		`DataDebit.create("k", spec({bundle: {name: "b", bundle: {g: {endpoints: "Person"}}}}))`:                     `TypeError: ` + c + `spec.bundle.bundle.g.endpoints must be an array of {endpoint}, got "Person"`,
		`DataDebit.create("k", spec({bundle: {name: "b", bundle: {g: {endpoints: ["Person"]}}}}))`:                   `TypeError: ` + c + `spec.bundle.bundle.g.endpoints[0] must be an object like {endpoint: "Person"}, got "Person"`,
		`DataDebit.create("k", spec({bundle: {name: "b", bundle: {g: {endpoints: [{endpoint: "_system/User"}]}}}}))`: `RangeError: ` + c + `spec.bundle.bundle.g.endpoints[0].endpoint must name a persisted entity type, "Entity" or "ruleset/Entity", got "_system/User"`,
		`DataDebit.create("k", spec({bundle: {name: "b", bundle: {g: {endpoints: [{endpoint: "a/b/C"}]}}}}))`:        `RangeError: ` + c + `spec.bundle.bundle.g.endpoints[0].endpoint must name a persisted entity type, "Entity" or "ruleset/Entity", got "a/b/C"`,
		`DataDebit.create("k", spec({bundle: {name: "b", bundle: {g: {endpoints: [{endpoint: "__proto"}]}}}}))`:      `RangeError: ` + c + `spec.bundle.bundle.g.endpoints[0].endpoint must name a persisted entity type, "Entity" or "ruleset/Entity", got "__proto"`,
		`DataDebit.create("k", spec({bundle: {name: "", bundle: {}}}))`:                                              "RangeError: " + c + "spec.bundle.name is empty",
		`DataDebit.get(null)`:                                                                                        "TypeError: DataDebit.get: key must be a string, got null",
		`DataDebit.values()`:                                                                                         "TypeError: DataDebit.values: key is required (a string)",
		// Nothing was created by the failed calls.
		`DataDebit.list().length`: int64(0),
	}
	e.expect(cases)
}

func TestWithoutStoreOrExecution(t *testing.T) {
	vm := goja.New()
	h := builtins.NewHost(vm)
	if err := (Module{}).Install(h); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, vm: vm, h: h}
	if got := fmt.Sprint(e.eval(`DataDebit.get("k")`)); !strings.HasPrefix(got, "Error: DataDebit.get: no execution is running") {
		t.Errorf("outside an execution: %s", got)
	}
	h.SetExec(&builtins.Exec{Now: t0})
	if got := fmt.Sprint(e.eval(`DataDebit.list()`)); !strings.HasPrefix(got, "Error: DataDebit.list: no store is configured") {
		t.Errorf("without a store: %s", got)
	}
}

func TestMalformedStoredRecord(t *testing.T) {
	tx := storetest.Begin(t)
	if _, err := tx.Put(Kind, &store.Record{ID: "bad", Props: map[string]any{"dataDebitKey": "bad", "permissions": "nope"}}, t0); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, tx, t0)
	for _, expr := range []string{`DataDebit.get("bad")`, `DataDebit.list()`, `DataDebit.enable("bad")`} {
		got := fmt.Sprint(e.eval(expr))
		if !strings.Contains(got, "malformed data debit record") || strings.Contains(got, "internal error") {
			t.Errorf("%s = %s", expr, got)
		}
	}
}

func TestDescribed(t *testing.T) {
	m := Module{}
	typings := m.Typings()
	for _, e := range m.Reference() {
		name := strings.TrimPrefix(e.Qualified, "DataDebit.")
		if e.Doc == "" || e.Example == "" || !strings.Contains(typings, "function "+name+"(") {
			t.Errorf("%s: doc %q, example %q, or not declared", e.Qualified, e.Doc, e.Example)
		}
	}
	if len(m.Reference()) != len(fns) {
		t.Errorf("Reference() lists %d of %d functions", len(m.Reference()), len(fns))
	}
}
