package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func consentDirs() []string {
	return []string{"../examples/ockto-mortgage", "testdata/consent-check"}
}

// privacyStatement is the document of examples/ockto-mortgage (and of testdata/consent-check).
var privacyStatement = map[string]any{"uri": "https://advies.example.nl/privacyverklaring", "revisionId": "2025-01", "revisedAt": "2025-01-01T00:00:00Z"}

// consentErr decodes the Consents API's error body and checks its shape.
func consentErr(t testing.TB, r dataResp) map[string]any {
	t.Helper()
	var body struct {
		Error map[string]any `json:"_error"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || body.Error == nil {
		t.Fatalf("not an _error body: %s", r.Body)
	}
	e := body.Error
	for _, k := range []string{"_id", "message", "type", "remediation", "occurredAt"} {
		if s, _ := e[k].(string); s == "" {
			t.Errorf("_error.%s is missing: %s", k, r.Body)
		}
	}
	if e["statusCode"] != float64(r.Status) {
		t.Errorf("_error.statusCode %v, status %d", e["statusCode"], r.Status)
	}
	if _, ok := e["attributes"].(map[string]any); !ok {
		t.Errorf("_error.attributes is not an object: %s", r.Body)
	}
	return e
}

// embedded reads a HAL collection's consents.
func embedded(t testing.TB, r dataResp) []map[string]any {
	t.Helper()
	body := r.obj(t)
	emb, _ := body["_embedded"].(map[string]any)
	list, ok := emb["consents"].([]any)
	if !ok {
		t.Fatalf("no _embedded.consents: %s", r.Body)
	}
	out := make([]map[string]any, len(list))
	for i, c := range list {
		out[i], _ = c.(map[string]any)
	}
	return out
}

// TestConsentLifecycle takes a consent through the contract's states over HTTP — create, give
// (If-Match), revise the document (stale), give again, revoke (If-Match), rescind — checking each
// answer, what rule code's Consent.check then says, and the audit trail.
func TestConsentLifecycle(t *testing.T) {
	d := newDataTestServer(t, consentDirs(), nil)
	check := func(user string) map[string]any {
		t.Helper()
		out := d.execute(t, "consent-check", "consents", map[string]any{"UserId": user})
		p, _ := out["Privacy"].(map[string]any)
		return p
	}
	if p := check("u1"); p["allowed"] != false || p["reason"] != "missing" {
		t.Fatalf("before: %v", p)
	}
	create := map[string]any{"type": "privacyPolicy", "document": privacyStatement}
	r := d.do("POST", "/consents/consents?user=u1", "consents", create).want(t, 201)
	c := r.obj(t)
	id := jsonStr(c, "_id")
	if c["state"] != "pending" || c["userId"] != "u1" || r.Header.Get("ETag") != c["etag"] || r.Header.Get("Location") != "/consents/consents/"+id ||
		jsonStr(c, "document", "revisedAt") != "2025-01-01T00:00:00.000Z" || c["givenAt"] != nil || jsonStr(c, "_links", "self", "href") != "/consents/consents/"+id {
		t.Fatalf("created: %s %v", r.Body, r.Header)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/hal+json" {
		t.Errorf("Content-Type %q", ct)
	}
	etag := r.Header.Get("ETag")

	type step struct {
		name    string
		method  string
		path    string
		body    any
		headers []string
		status  int
		state   string // the consent's state in the answer
		errType string // the _error type
	}
	steps := []step{
		{name: "create again: the same consent", method: "POST", path: "/consents/consents", body: map[string]any{"type": "privacyPolicy", "userId": "u1", "document": privacyStatement}, status: 200, state: "pending"},
		{name: "create again with If-None-Match: *", method: "POST", path: "/consents/consents?user=u1", body: create, headers: []string{"If-None-Match", "*"}, status: 412, errType: "preconditionFailed"},
		{name: "create without a user", method: "POST", path: "/consents/consents", body: create, status: 400, errType: "badRequest"},
		{name: "create, ?user= and userId differ", method: "POST", path: "/consents/consents?user=u2", body: map[string]any{"type": "privacyPolicy", "userId": "u1", "document": privacyStatement}, status: 400, errType: "badRequest"},
		{name: "create, unknown type", method: "POST", path: "/consents/consents?user=u1", body: map[string]any{"type": "marketing", "document": privacyStatement}, status: 400, errType: "invalidConsentType"},
		{name: "create, bad document uri", method: "POST", path: "/consents/consents?user=u1", body: map[string]any{"type": "privacyPolicy", "document": map[string]any{"uri": "no scheme"}}, status: 400, errType: "invalidDocumentUri"},
		{name: "create, unknown field", method: "POST", path: "/consents/consents?user=u1", body: map[string]any{"type": "privacyPolicy", "document": privacyStatement, "colour": "red"}, status: 400, errType: "badRequest"},
		{name: "create, malformed JSON", method: "POST", path: "/consents/consents?user=u1", body: `{"type": `, status: 400, errType: "badRequest"},
		{name: "create, not JSON", method: "POST", path: "/consents/consents?user=u1", body: "type=x", headers: []string{"Content-Type", "text/plain"}, status: 415, errType: "unsupportedMediaType"},
		{name: "get", method: "GET", path: "/consents/consents/" + id, status: 200, state: "pending"},
		{name: "get, If-None-Match", method: "GET", path: "/consents/consents/" + id, headers: []string{"If-None-Match", etag}, status: 304},
		{name: "get as another user", method: "GET", path: "/consents/consents/" + id + "?user=u2", status: 404, errType: "consentRefNotFound"},
		{name: "get, unknown id", method: "GET", path: "/consents/consents/nope", status: 404, errType: "consentRefNotFound"},
		{name: "give, stale If-Match", method: "POST", path: "/consents/givenConsents?consent=" + id, headers: []string{"If-Match", `"0000"`}, status: 412, errType: "preconditionFailed"},
		{name: "give, another user", method: "POST", path: "/consents/givenConsents?consent=" + id + "&user=u2", status: 404, errType: "consentRefNotFound"},
		{name: "give, no consent named", method: "POST", path: "/consents/givenConsents", status: 400, errType: "badRequest"},
		{name: "give, unknown scope", method: "POST", path: "/consents/givenConsents", body: map[string]any{"consent": id, "scope": "everything"}, status: 400, errType: "badRequest"},
		{name: "give, If-Match holds", method: "POST", path: "/consents/givenConsents?consent=" + id, headers: []string{"If-Match", etag}, status: 200, state: "given"},
		{name: "give again: a given consent cannot be given", method: "POST", path: "/consents/givenConsents", body: map[string]any{"consent": id}, status: 409, errType: "invalidConsentState"},
	}
	run := func(steps []step) {
		t.Helper()
		for _, s := range steps {
			r := d.do(s.method, s.path, "consents", s.body, s.headers...)
			if r.Status != s.status {
				t.Errorf("%s: status %d, want %d: %s", s.name, r.Status, s.status, r.Body)
				continue
			}
			switch {
			case s.errType != "":
				if e := consentErr(t, r); e["type"] != s.errType {
					t.Errorf("%s: _error.type %v, want %s: %s", s.name, e["type"], s.errType, r.Body)
				}
			case s.status == 304:
				if len(r.Body) != 0 || r.Header.Get("ETag") == "" {
					t.Errorf("%s: 304 with a body or without an ETag", s.name)
				}
			case s.state != "":
				got := r.obj(t)
				if got["state"] != s.state || jsonStr(got, "_id") != id || r.Header.Get("ETag") != got["etag"] {
					t.Errorf("%s: %s", s.name, r.Body)
				}
			}
		}
	}
	run(steps)
	if p := check("u1"); p["allowed"] != true || p["reason"] != "given" {
		t.Fatalf("rule code after the HTTP give: %v", p)
	}
	given := embedded(t, d.do("GET", "/consents/givenConsents?user=u1", "consents", nil).want(t, 200))
	if len(given) != 1 || given[0]["givenAt"] != "2026-06-01T10:00:00.000Z" {
		t.Fatalf("given consents: %v", given)
	}

	// The advisor revises the privacy statement: the consent becomes stale, and is needed again.
	revised := embedded(t, d.do("POST", "/consents/revisedDocuments", "consents", map[string]any{
		"uri": privacyStatement["uri"], "revisionId": "2026-01", "revisedAt": "2026-01-01"}).want(t, 200))
	if len(revised) != 1 || revised[0]["state"] != "stale" || jsonStr(revised[0], "document", "revisionId") != "2026-01" {
		t.Fatalf("revised: %v", revised)
	}
	if p := check("u1"); p["allowed"] != false || p["reason"] != "stale" {
		t.Fatalf("rule code after the revision: %v", p)
	}
	needed := embedded(t, d.do("GET", "/consents/neededConsents?user=u1&consolidate=true", "consents", nil).want(t, 200))
	if len(needed) != 1 || needed[0]["state"] != "stale" {
		t.Fatalf("needed: %v", needed)
	}
	etag = d.do("GET", "/consents/consents/"+id, "consents", nil).want(t, 200).Header.Get("ETag")
	run([]step{
		{name: "revise with an older revision", method: "POST", path: "/consents/revisedDocuments", body: map[string]any{"uri": privacyStatement["uri"], "revisedAt": "2025-06-01"}, status: 400, errType: "invalidDocumentRevision"},
		{name: "give the stale consent", method: "POST", path: "/consents/givenConsents?consent=" + id + "&user=u1", body: map[string]any{"scope": "instance"}, status: 200, state: "given"},
		{name: "revoke, the ETag before the give", method: "POST", path: "/consents/revokedConsents?consent=" + id, headers: []string{"If-Match", etag}, status: 412, errType: "preconditionFailed"},
	})
	etag = d.do("GET", "/consents/consents/"+id, "consents", nil).want(t, 200).Header.Get("ETag")
	run([]step{
		{name: "revoke, If-Match holds", method: "POST", path: "/consents/revokedConsents?consent=" + id, headers: []string{"If-Match", etag}, status: 200, state: "revoked"},
		{name: "revoke again", method: "POST", path: "/consents/revokedConsents", body: map[string]any{"consent": id}, status: 409, errType: "invalidConsentState"},
		{name: "revoke an unknown consent", method: "POST", path: "/consents/revokedConsents?consent=nope", status: 404, errType: "consentRefNotFound"},
		{name: "rescind without a type", method: "POST", path: "/consents/rescindedConsents?user=u1", body: map[string]any{}, status: 400, errType: "badRequest"},
		{name: "rescind, nothing matches", method: "POST", path: "/consents/rescindedConsents", body: map[string]any{"type": "privacyPolicy", "user": "nobody"}, status: 404, errType: "consentRefNotFound"},
	})
	rescinded := embedded(t, d.do("POST", "/consents/rescindedConsents?user=u1", "consents", map[string]any{"type": "privacyPolicy", "document": privacyStatement["uri"]}).want(t, 200))
	if len(rescinded) != 1 || rescinded[0]["state"] != "rescinded" || rescinded[0]["requestRescindedAt"] == nil {
		t.Fatalf("rescinded: %v", rescinded)
	}
	run([]step{{name: "rescind again: only rescinded ones match", method: "POST", path: "/consents/rescindedConsents", body: map[string]any{"type": "privacyPolicy", "user": "u1"}, status: 409, errType: "invalidConsentState"}})
	if p := check("u1"); p["allowed"] != false || p["reason"] != "rescinded" {
		t.Fatalf("rule code after the rescind: %v", p)
	}

	// The audit trail has every change, each from the state before to the state after, by u1.
	var trail []string
	for _, e := range d.auditEvents(t, "user=u1") {
		if e["subject"] != "consent" || e["subjectId"] != id || e["actor"] != "u1" {
			t.Errorf("event %v", e)
		}
		trail = append(trail, jsonStr(e, "action")+":"+jsonStr(e, "from")+">"+jsonStr(e, "to"))
	}
	want := []string{"create:>pending", "give:pending>given", "revise:given>stale", "give:stale>given", "revoke:given>revoked", "rescind:revoked>rescinded"}
	if !slices.Equal(trail, want) {
		t.Errorf("audit trail\n got %v\nwant %v", trail, want)
	}
}

// TestConsentsFromHTTPAndRuleCodeAreAlike: a consent created and given by rule code and one
// created and given over HTTP leave the same record shape and the same audit events.
func TestConsentsFromHTTPAndRuleCodeAreAlike(t *testing.T) {
	d := newDataTestServer(t, consentDirs(), nil)
	out := d.executeAt(t, "consent-check", map[string]any{"UserId": "by-rule", "Accept": true})
	if p, _ := out["Privacy"].(map[string]any); p["allowed"] != true {
		t.Fatalf("rule code: %v", out)
	}
	c := d.do("POST", "/consents/consents", "consents", map[string]any{"type": "privacyPolicy", "userId": "by-http", "document": privacyStatement}).want(t, 201).obj(t)
	d.do("POST", "/consents/givenConsents?consent="+jsonStr(c, "_id"), "consents", nil).want(t, 200)

	shape := func(user string) (record map[string]any, events []string) {
		list := embedded(t, d.do("GET", "/consents/consents?user="+user, "consents", nil).want(t, 200))
		if len(list) != 1 {
			t.Fatalf("%s has %d consents", user, len(list))
		}
		record = list[0]
		for _, k := range []string{"_id", "etag", "_links", "userId"} {
			delete(record, k)
		}
		for _, e := range d.auditEvents(t, "user="+user) {
			b, _ := json.Marshal(map[string]any{"action": e["action"], "from": e["from"], "to": e["to"], "subject": e["subject"], "details": e["details"], "at": e["at"]})
			events = append(events, string(b))
		}
		return record, events
	}
	ruleRec, ruleEvents := shape("by-rule")
	httpRec, httpEvents := shape("by-http")
	rb, _ := json.Marshal(ruleRec)
	hb, _ := json.Marshal(httpRec)
	if string(rb) != string(hb) {
		t.Errorf("records differ:\nrule %s\nhttp %s", rb, hb)
	}
	if !slices.Equal(ruleEvents, httpEvents) || len(httpEvents) != 2 {
		t.Errorf("audit events differ:\nrule %v\nhttp %v", ruleEvents, httpEvents)
	}
}

// TestConsentListsAndDocuments: list parameters (alternatives, filter, sortBy, paging), moved
// documents, and the managed type names with their ETag.
func TestConsentListsAndDocuments(t *testing.T) {
	d := newDataTestServer(t, consentDirs(), nil)
	terms := map[string]any{"uri": "https://example.com/terms"}
	var ids []string
	for _, u := range []string{"a", "b", "c", "d", "e"} {
		for _, doc := range []map[string]any{privacyStatement, terms} {
			typ := "privacyPolicy"
			if doc["uri"] == terms["uri"] {
				typ = "termsAndConditions"
			}
			c := d.do("POST", "/consents/consents?user="+u, "consents", map[string]any{"type": typ, "document": doc}).want(t, 201).obj(t)
			ids = append(ids, jsonStr(c, "_id"))
		}
	}
	d.do("POST", "/consents/givenConsents?consent="+ids[0], "consents", nil).want(t, 200)
	d.do("POST", "/consents/givenConsents?consent="+ids[3], "consents", nil).want(t, 200)
	list := func(query string) []map[string]any {
		return embedded(t, d.do("GET", "/consents/consents?"+query, "consents", nil).want(t, 200))
	}
	cases := []struct {
		query string
		want  int
	}{
		{"", 10},
		{"user=a", 2},
		{"user=a|b&type=privacyPolicy", 2},
		{"state=given", 2},
		{"state=pending|given", 10},
		{"filter=" + url.QueryEscape("contains(document.uri,'terms') and eq(state,'pending')"), 4},
		{"q=terms", 5},
		{"limit=3", 3},
		{"start=8", 2},
		{"start=20", 0},
		{"sortBy=-type&limit=5", 5},
	}
	for _, c := range cases {
		if got := list(c.query); len(got) != c.want {
			t.Errorf("?%s: %d consents, want %d", c.query, len(got), c.want)
		}
	}
	if got := list("sortBy=-type,userId&limit=1"); got[0]["type"] != "termsAndConditions" || got[0]["userId"] != "a" {
		t.Errorf("sortBy: %v", got[0])
	}
	// Paging by the next link covers everything once.
	seen := map[string]bool{}
	next := "/consents/consents?limit=3&sortBy=createdAt"
	for next != "" {
		body := d.do("GET", next, "consents", nil).want(t, 200)
		for _, c := range embedded(t, body) {
			if seen[jsonStr(c, "_id")] {
				t.Errorf("seen twice: %v", c["_id"])
			}
			seen[jsonStr(c, "_id")] = true
		}
		next = jsonStr(body.obj(t), "_links", "next", "href")
	}
	if len(seen) != 10 {
		t.Errorf("paged through %d consents, want 10", len(seen))
	}
	for _, q := range []string{"state=sleeping", "filter=" + url.QueryEscape("eq(state"), "sortBy=colour", "limit=0", "limit=-1", "limit=5000", "start=x"} {
		r := d.do("GET", "/consents/consents?"+q, "consents", nil).want(t, 400)
		if e := consentErr(t, r); e["type"] != "badRequest" {
			t.Errorf("?%s: %v", q, e)
		}
	}
	d.do("GET", "/consents/givenConsents?state=pending", "consents", nil).want(t, 400)

	moved := embedded(t, d.do("POST", "/consents/movedDocuments", "consents", map[string]any{"uri": terms["uri"], "newUri": "https://example.com/legal/terms"}).want(t, 200))
	if len(moved) != 5 || jsonStr(moved[0], "document", "uri") != "https://example.com/legal/terms" {
		t.Errorf("moved: %v", moved)
	}
	if got := list("filter=" + url.QueryEscape("eq(document.uri,'https://example.com/legal/terms')")); len(got) != 5 {
		t.Errorf("after the move: %d", len(got))
	}

	// Type names: ETag, If-Match, in-use refusal.
	r := d.do("GET", "/consents/consentTypeNames", "consents", nil).want(t, 200)
	etag := r.Header.Get("ETag")
	body := r.obj(t)
	names, _ := body["_embedded"].(map[string]any)["consentTypeNames"].([]any)
	if len(names) != 4 || etag == "" {
		t.Fatalf("type names: %s", r.Body)
	}
	d.do("GET", "/consents/consentTypeNames", "consents", nil, "If-None-Match", etag).want(t, 304)
	withMarketing := append(slices.Clone(names), map[string]any{"name": "marketing", "label": "Marketing"})
	if e := consentErr(t, d.do("PUT", "/consents/consentTypeNames", "consents", withMarketing, "If-Match", `"stale"`).want(t, 412)); e["type"] != "preconditionFailed" {
		t.Errorf("stale If-Match: %v", e)
	}
	if e := consentErr(t, d.do("PUT", "/consents/consentTypeNames", "consents", []any{"privacyPolicy"}).want(t, 409)); e["type"] != "consentTypeNameInUse" {
		t.Errorf("removing a name in use: %v", e)
	}
	r = d.do("PUT", "/consents/consentTypeNames", "consents", map[string]any{"consentTypeNames": withMarketing}, "If-Match", etag).want(t, 200)
	if r.Header.Get("ETag") == etag || !strings.Contains(string(r.Body), `"marketing"`) {
		t.Errorf("after PUT: %s", r.Body)
	}
	// What GET answers can be PUT back.
	d.do("PUT", "/consents/consentTypeNames", "consents", d.do("GET", "/consents/consentTypeNames", "consents", nil).Body).want(t, 200)
	d.do("POST", "/consents/consents?user=z", "consents", map[string]any{"type": "marketing", "document": terms}).want(t, 201)
	if e := consentErr(t, d.do("PUT", "/consents/consentTypeNames", "consents", []any{1, 2}).want(t, 400)); e["type"] != "badRequest" {
		t.Errorf("bad names: %v", e)
	}
	var setEvents int
	for _, e := range d.auditEvents(t, "subjectId=typeNames") {
		if e["subject"] == "consentTypeNames" && e["action"] == "set" {
			setEvents++
		}
	}
	if setEvents != 2 {
		t.Errorf("%d type-name audit events, want 2", setEvents)
	}
	// The scope: a key without consents is refused with a problem (the middleware's shape).
	if r := d.do("GET", "/consents/consents", "datadebits", nil); r.Status != http.StatusForbidden {
		t.Errorf("datadebits key on consents: %d", r.Status)
	}
}
