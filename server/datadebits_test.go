package server_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

const ddBase = "/api/v2.6/data-debit"

func ddSpec(period int, endpoint string) map[string]any {
	return map[string]any{
		"purpose": "The lender reads the register", "start": "2026-05-01", "period": period, "cancelAtPeriodEnd": false,
		"termsUrl": "https://bank.example.nl/voorwaarden", "requestClientName": "Voorbeeld Bank",
		"requestClientUrl": "https://bank.example.nl", "requestClientLogoUrl": "https://bank.example.nl/logo.png",
		"bundle": map[string]any{"name": "register", "bundle": map[string]any{
			"people": map[string]any{"endpoints": []any{map[string]any{"endpoint": endpoint}}}}},
	}
}

// hatErr decodes HAT's error body {error, message}.
func hatErr(t testing.TB, r dataResp) (typ, msg string) {
	t.Helper()
	var e struct{ Error, Message string }
	if err := json.Unmarshal(r.Body, &e); err != nil || e.Error == "" || e.Message == "" {
		t.Fatalf("not a {error, message} body: %s", r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type %q", ct)
	}
	return e.Error, e.Message
}

// TestDataDebitLifecycle takes a data debit through create, enable, values, update, enable,
// disable at period end and disable over HTTP, checking each answer, what rule code's
// Consent.check says, and the audit trail.
func TestDataDebitLifecycle(t *testing.T) {
	d := newDataTestServer(t, []string{"../examples/people-register", "testdata/consent-check"}, nil)
	for _, n := range []string{"Ann", "Bob"} {
		d.do("POST", peopleBase, "people", map[string]any{"Name": n, "Birthdate": "1990-01-01"}).want(t, 201)
	}
	ruleCheck := func() string {
		t.Helper()
		out := d.executeAt(t, "consent-check", map[string]any{"UserId": "lender", "DataDebitKey": "dd-1"})
		return jsonStr(out, "DataDebitCheck", "reason")
	}
	if got := ruleCheck(); got != "missing" {
		t.Fatalf("before: %s", got)
	}
	r := d.do("POST", ddBase+"/dd-1", "datadebits", ddSpec(30*86400, "Person")).want(t, 201)
	dd := r.obj(t)
	perms, _ := dd["permissions"].([]any)
	if dd["dataDebitKey"] != "dd-1" || dd["accepted"] != false || dd["active"] != false || len(perms) != 1 ||
		dd["dateCreated"] != "2026-06-01T10:00:00.000Z" || r.Header.Get("Location") != ddBase+"/dd-1" {
		t.Fatalf("created: %s", r.Body)
	}
	if got := ruleCheck(); got != "notAccepted" {
		t.Errorf("rule code after create: %s", got)
	}

	type step struct {
		name    string
		method  string
		path    string
		body    any
		headers []string
		status  int
		errType string                        // HAT's error
		check   func(rec map[string]any) bool // on a 200/201 record
	}
	latestAccepted := func(rec map[string]any) bool {
		l, _ := rec["permissionsLatest"].(map[string]any)
		return l["accepted"] == true
	}
	versions := func(rec map[string]any) int { p, _ := rec["permissions"].([]any); return len(p) }
	steps := []step{
		{name: "create again", method: "POST", path: ddBase + "/dd-1", body: ddSpec(86400, "Person"), status: 409, errType: "duplicateDataDebit"},
		{name: "get", method: "GET", path: ddBase + "/dd-1", status: 200, check: func(r map[string]any) bool { return r["accepted"] == false }},
		{name: "get an unknown key", method: "GET", path: ddBase + "/nope", status: 404, errType: "dataDebitNotFound"},
		{name: "values before it is enabled", method: "GET", path: ddBase + "/dd-1/values", status: 403, errType: "dataDebitNotActive"},
		{name: "update an unknown key", method: "PUT", path: ddBase + "/nope", body: ddSpec(86400, "Person"), status: 404, errType: "dataDebitNotFound"},
		{name: "enable an unknown key", method: "GET", path: ddBase + "/nope/enable", status: 404, errType: "dataDebitNotFound"},
		{name: "enable (GET, as HAT)", method: "GET", path: ddBase + "/dd-1/enable", status: 200,
			check: func(r map[string]any) bool {
				return r["active"] == true && r["accepted"] == true && r["permissionsActive"] != nil
			}},
		{name: "values of another ruleset", method: "GET", path: ddBase + "/dd-1/values?ruleset=nope", status: 400, errType: "badRequest"},
		{name: "update: new terms, not accepted yet", method: "PUT", path: ddBase + "/dd-1", body: ddSpec(90*86400, "people-register/Person"), status: 200,
			check: func(r map[string]any) bool { return versions(r) == 2 && !latestAccepted(r) && r["active"] == true }},
		{name: "enable the new terms (POST)", method: "POST", path: ddBase + "/dd-1/enable", status: 200,
			check: func(r map[string]any) bool { return latestAccepted(r) && r["active"] == true }},
		{name: "disable, a bad atPeriodEnd", method: "GET", path: ddBase + "/dd-1/disable?atPeriodEnd=maybe", status: 400, errType: "badRequest"},
		{name: "disable at the period's end: still active, with an end", method: "GET", path: ddBase + "/dd-1/disable?atPeriodEnd=true", status: 200,
			check: func(r map[string]any) bool { return r["active"] == true && r["end"] != nil }},
		{name: "disable now", method: "POST", path: ddBase + "/dd-1/disable", status: 200, check: func(r map[string]any) bool { return r["active"] == false }},
		{name: "enable a canceled one", method: "GET", path: ddBase + "/dd-1/enable", status: 409, errType: "dataDebitCanceled"},
		{name: "values after disable", method: "GET", path: ddBase + "/dd-1/values", status: 403, errType: "dataDebitNotActive"},
	}
	run := func(steps []step) {
		t.Helper()
		for _, s := range steps {
			r := d.do(s.method, s.path, "datadebits", s.body, s.headers...)
			if r.Status != s.status {
				t.Errorf("%s: status %d, want %d: %s", s.name, r.Status, s.status, r.Body)
				continue
			}
			if s.errType != "" {
				if typ, _ := hatErr(t, r); typ != s.errType {
					t.Errorf("%s: error %s, want %s", s.name, typ, s.errType)
				}
				continue
			}
			if s.check != nil && !s.check(r.obj(t)) {
				t.Errorf("%s: %s", s.name, r.Body)
			}
			if s.name == "enable (GET, as HAT)" {
				// While active: rule code agrees, and values reads the bundle's entities (Person
				// resolved in people-register, the one served ruleset that persists it).
				if got := ruleCheck(); got != "active" {
					t.Errorf("rule code after enable: %s", got)
				}
				v := d.do("GET", ddBase+"/dd-1/values", "datadebits", nil).want(t, 200).obj(t)
				people, _ := v["bundle"].(map[string]any)["people"].(map[string]any)["Person"].([]any)
				var names []string
				for _, p := range people {
					names = append(names, jsonStr(p, "Name"))
					if jsonStr(p, "_id") == "" {
						t.Errorf("a value without _id: %v", p)
					}
				}
				slices.Sort(names)
				if !slices.Equal(names, []string{"Ann", "Bob"}) {
					t.Errorf("values: %v", v)
				}
				d.do("GET", ddBase+"/dd-1/values?ruleset=people-register", "datadebits", nil).want(t, 200)
			}
		}
	}
	run(steps)
	if got := ruleCheck(); got != "canceled" {
		t.Errorf("rule code after disable: %s", got)
	}
	d.do("POST", ddBase+"/dd-2", "datadebits", ddSpec(86400, "people-register/Person")).want(t, 201)
	list := d.do("GET", ddBase, "datadebits", nil).want(t, 200).arr(t)
	if len(list) != 2 || jsonStr(list[0], "dataDebitKey") != "dd-1" || jsonStr(list[1], "dataDebitKey") != "dd-2" {
		t.Errorf("list: %v", list)
	}

	var trail []string
	for _, e := range d.auditEvents(t, "subjectId=dd-1") {
		if e["subject"] != "dataDebit" || e["actor"] != "system" || e["at"] != "2026-06-01T10:00:00.000Z" {
			t.Errorf("event %v", e)
		}
		trail = append(trail, jsonStr(e, "action")+":"+jsonStr(e, "from")+">"+jsonStr(e, "to"))
	}
	want := []string{"create:>pending", "enable:pending>active", "update:active>active", "enable:active>active", "disable:active>canceling", "disable:canceling>canceled"}
	if !slices.Equal(trail, want) {
		t.Errorf("audit trail\n got %v\nwant %v", trail, want)
	}
}

// TestDataDebitRefusals: what the module refuses (its argument checks, as rule code gets them)
// and what the HTTP layer refuses, each with HAT's {error, message}; nothing is stored.
func TestDataDebitRefusals(t *testing.T) {
	d := newDataTestServer(t, []string{"../examples/people-register"}, nil)
	with := func(change func(m map[string]any)) map[string]any {
		m := ddSpec(86400, "Person")
		m["bundle"] = maps.Clone(m["bundle"].(map[string]any))
		change(m)
		return m
	}
	cases := []struct {
		name    string
		key     string
		body    any
		headers []string
		status  int
		errType string
		mention string // in the message
	}{
		{"no purpose", "k", with(func(m map[string]any) { delete(m, "purpose") }), nil, 400, "badRequest", "purpose"},
		{"a negative period", "k", with(func(m map[string]any) { m["period"] = -5 }), nil, 400, "badRequest", "period"},
		{"a fractional period", "k", with(func(m map[string]any) { m["period"] = 1.5 }), nil, 400, "badRequest", "period"},
		{"an ftp terms URL", "k", with(func(m map[string]any) { m["termsUrl"] = "ftp://x.example/t" }), nil, 400, "badRequest", "termsUrl"},
		{"a start that is no date", "k", with(func(m map[string]any) { m["start"] = "soon" }), nil, 400, "badRequest", "start"},
		{"cancelAtPeriodEnd as text", "k", with(func(m map[string]any) { m["cancelAtPeriodEnd"] = "yes" }), nil, 400, "badRequest", "cancelAtPeriodEnd"},
		{"a bundle without groups", "k", with(func(m map[string]any) { m["bundle"].(map[string]any)["bundle"] = map[string]any{} }), nil, 400, "badRequest", "groups"},
		{"an engine collection as endpoint", "k", with(func(m map[string]any) {
			m["bundle"].(map[string]any)["bundle"] = map[string]any{"g": map[string]any{"endpoints": []any{map[string]any{"endpoint": "_system/User"}}}}
		}), nil, 400, "badRequest", "endpoint"},
		{"a key of 300 bytes", strings.Repeat("k", 300), ddSpec(86400, "Person"), nil, 400, "badRequest", "key"},
		{"malformed JSON", "k", `{"purpose": `, nil, 400, "badRequest", "JSON"},
		{"an array", "k", `[1, 2]`, nil, 400, "badRequest", "object"},
		{"null", "k", `null`, nil, 400, "badRequest", "object"},
		{"not JSON", "k", "purpose=x", []string{"Content-Type", "text/plain"}, 415, "unsupportedMediaType", "Content-Type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := d.do("POST", ddBase+"/"+c.key, "datadebits", c.body, c.headers...).want(t, c.status)
			typ, msg := hatErr(t, r)
			if typ != c.errType || !strings.Contains(msg, c.mention) {
				t.Errorf("error %s %q, want %s mentioning %q", typ, msg, c.errType, c.mention)
			}
			if strings.HasPrefix(msg, "DataDebit.") {
				t.Errorf("the message names the JS function: %q", msg)
			}
		})
	}
	if list := d.do("GET", ddBase, "datadebits", nil).want(t, 200).arr(t); len(list) != 0 {
		t.Errorf("refused data debits were stored: %v", list)
	}
	if events := d.auditEvents(t, ""); len(events) != 0 {
		t.Errorf("refusals left audit events: %v", events)
	}
	// The scope.
	if r := d.do("GET", ddBase, "consents", nil); r.Status != 403 {
		t.Errorf("consents key on data debits: %d", r.Status)
	}
}
