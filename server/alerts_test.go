package server_test

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/kubusdev/kubus/server"
)

// TestAlertAggregate: executions with options.metrics save their alert counts per tags; POST
// /api/alert/aggregate adds them up over the tags' prefix, as `kubus metrics` does.
func TestAlertAggregate(t *testing.T) {
	d := newDataTestServer(t, []string{"../examples/people-register", "testdata/counter"}, nil)
	run := func(input map[string]any, tags ...string) {
		t.Helper()
		d.do("POST", "/api/rulesets/people-register/execute", "people", map[string]any{"input": input,
			"options": map[string]any{"metrics": true, "tags": tags}}).want(t, 200)
	}
	run(map[string]any{"Action": "register"}, "2026", "q1")                                           // NameMissing
	run(map[string]any{"Action": "register", "Name": "Ann", "Birthdate": "1990-01-01"}, "2026", "q2") // registers
	run(map[string]any{"Action": "register", "Name": "Ann", "Birthdate": "1990-01-01"}, "2026", "q3") // Duplicate
	run(map[string]any{"Action": "register"}, "2025")                                                 // NameMissing
	// Without options.metrics nothing is saved.
	d.do("POST", "/api/rulesets/people-register/execute", "people", map[string]any{"input": map[string]any{"Action": "register"}}).want(t, 200)

	cases := []struct {
		ruleset string
		tags    []string
		status  int
		alerts  map[string]any
	}{
		{"people-register", []string{"2026"}, 200, map[string]any{"NameMissing": 1.0, "Duplicate": 1.0}},
		{"people-register", []string{"2026", "q1"}, 200, map[string]any{"NameMissing": 1.0, "Duplicate": 0.0}},
		{"people-register", nil, 200, map[string]any{"NameMissing": 2.0, "Duplicate": 1.0}},
		{"people-register", []string{"2027"}, 200, map[string]any{"NameMissing": 0.0, "Duplicate": 0.0}}, // served, nothing saved
		{"counter", nil, 200, map[string]any{}},                                                          // served, no alerts, nothing saved
		{"unknown", nil, 404, nil},
		{"people-register", []string{""}, 400, nil},
		{"people-register", []string{"a", "b", "c", "d", "e", "f"}, 400, nil},
		{"Not A Name", nil, 400, nil},
		{"", nil, 400, nil},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %v", c.ruleset, c.tags), func(t *testing.T) {
			body := map[string]any{"ruleSetId": c.ruleset}
			if c.tags != nil {
				body["tags"] = c.tags
			}
			r := d.do("POST", "/api/alert/aggregate", "admin", body).want(t, c.status)
			if c.status != 200 {
				r.problem(t)
				return
			}
			got := r.obj(t)
			alerts, _ := got["alerts"].(map[string]any)
			if got["ruleSetId"] != c.ruleset || !maps.Equal(alerts, c.alerts) {
				t.Errorf("answer %s, want alerts %v", r.Body, c.alerts)
			}
			tags, ok := got["tags"].([]any)
			if !ok || len(tags) != len(c.tags) {
				t.Errorf("tags %v, want %v", got["tags"], c.tags)
			}
		})
	}
	d.do("POST", "/api/alert/aggregate", "admin", map[string]any{"ruleSetId": "people-register", "tag": []string{"x"}}).want(t, 400)
	// Rulecube's alert API sends the key as Authorization: KEY.
	r := d.do("POST", "/api/alert/aggregate", "", map[string]any{"ruleSetId": "people-register"}, "Authorization", d.keys["admin"]).want(t, 200)
	if !strings.Contains(string(r.Body), `"NameMissing":2`) {
		t.Errorf("with Authorization: KEY: %s", r.Body)
	}
	d.do("POST", "/api/alert/aggregate", "people", map[string]any{"ruleSetId": "people-register"}).want(t, 403)
}

// TestAuditPaging: GET /api/audit filters by user, subject and time, and pages with a cursor
// through every event once, oldest first.
func TestAuditPaging(t *testing.T) {
	d := newDataTestServer(t, []string{"../examples/people-register"}, nil)
	var ids []string
	for i := range 30 {
		c := d.do("POST", fmt.Sprintf("/consents/consents?user=u%d", i%3), "consents", map[string]any{
			"type": "privacyPolicy", "document": map[string]any{"uri": fmt.Sprintf("https://example.com/doc/%d", i)}}).want(t, 201).obj(t)
		ids = append(ids, jsonStr(c, "_id"))
	}
	for _, id := range ids[:10] {
		d.do("POST", "/consents/givenConsents?consent="+id+"&user=", "consents", map[string]any{"scope": "instance"}).want(t, 200)
	}
	all := d.auditEvents(t, "")
	if len(all) != 40 {
		t.Fatalf("%d events, want 40", len(all))
	}
	cases := []struct {
		query string
		want  int
	}{
		{"user=u0", 14}, // 10 created, 4 given (ids 0, 3, 6, 9)
		{"user=u1", 13},
		{"subjectId=" + ids[0], 2},
		{"since=2026-06-01", 40},
		{"since=2026-06-01T10:00:00.001Z", 0},
		{"user=nobody", 0},
	}
	for _, c := range cases {
		if got := d.auditEvents(t, c.query); len(got) != c.want {
			t.Errorf("?%s: %d events, want %d", c.query, len(got), c.want)
		}
	}
	for _, limit := range []int{1, 7, 40} {
		var got []string
		next := ""
		for pages := 0; pages < 100; pages++ {
			q := fmt.Sprintf("limit=%d", limit)
			if next != "" {
				q += "&cursor=" + url.QueryEscape(next)
			}
			body := d.do("GET", "/api/audit?"+q, "admin", nil).want(t, 200).obj(t)
			events, _ := body["events"].([]any)
			for _, e := range events {
				got = append(got, jsonStr(e, "_id"))
			}
			next, _ = body["next"].(string)
			if next == "" {
				break
			}
		}
		var want []string
		for _, e := range all {
			want = append(want, jsonStr(e, "_id"))
		}
		if !slices.Equal(got, want) {
			t.Errorf("limit %d: paged %d events, want the %d in order", limit, len(got), len(want))
		}
	}
	first := d.do("GET", "/api/audit?limit=1&user=u0", "admin", nil).want(t, 200).obj(t)
	cursor, _ := first["next"].(string)
	for _, q := range []string{"since=yesterday", "limit=0", "limit=100000", "cursor=xyz", "user=u1&limit=1&cursor=" + url.QueryEscape(cursor), "user=" + strings.Repeat("u", 2000)} {
		r := d.do("GET", "/api/audit?"+q, "admin", nil).want(t, 400)
		if p := r.problem(t); p.Type != "urn:kubus:problem:invalid-request" {
			t.Errorf("?%s: %v", q, p)
		}
	}
	d.do("GET", "/api/audit", "consents", nil).want(t, 403)
}

// TestDataRoutesAreDocumented: every data route has a summary, a tag, its statuses (with 401 and
// 403) and a scope, so that the OpenAPI document and the key test see it.
func TestDataRoutesAreDocumented(t *testing.T) {
	d := newDataTestServer(t, []string{"../examples/people-register"}, nil)
	want := map[string][]string{
		"GET /api/rulesets/{name}/entities/{Entity}":         {"entities:{name}:read"},
		"POST /api/rulesets/{name}/entities/{Entity}":        {"entities:{name}"},
		"GET /api/rulesets/{name}/entities/{Entity}/{id}":    {"entities:{name}:read"},
		"PUT /api/rulesets/{name}/entities/{Entity}/{id}":    {"entities:{name}"},
		"PATCH /api/rulesets/{name}/entities/{Entity}/{id}":  {"entities:{name}"},
		"DELETE /api/rulesets/{name}/entities/{Entity}/{id}": {"entities:{name}"},
		"POST /consents/consents":                            {"consents"},
		"POST /consents/givenConsents":                       {"consents"},
		"POST /consents/revokedConsents":                     {"consents"},
		"POST /consents/rescindedConsents":                   {"consents"},
		"POST /consents/revisedDocuments":                    {"consents"},
		"POST /consents/movedDocuments":                      {"consents"},
		"GET /consents/neededConsents":                       {"consents"},
		"PUT /consents/consentTypeNames":                     {"consents"},
		"POST /api/v2.6/data-debit/{key}":                    {"datadebits"},
		"PUT /api/v2.6/data-debit/{key}":                     {"datadebits"},
		"GET /api/v2.6/data-debit/{key}":                     {"datadebits"},
		"GET /api/v2.6/data-debit":                           {"datadebits"},
		"GET /api/v2.6/data-debit/{key}/enable":              {"datadebits"},
		"POST /api/v2.6/data-debit/{key}/disable":            {"datadebits"},
		"GET /api/v2.6/data-debit/{key}/values":              {"datadebits"},
		"POST /api/alert/aggregate":                          {"admin"},
		"GET /api/audit":                                     {"admin"},
	}
	routes := map[string]server.RouteInfo{}
	for _, r := range d.srv.Routes() {
		routes[r.Method+" "+r.Pattern] = r
	}
	for name, access := range want {
		r, ok := routes[name]
		if !ok {
			t.Errorf("no route %s", name)
			continue
		}
		if !slices.Equal(r.Access, access) {
			t.Errorf("%s: access %v, want %v", name, r.Access, access)
		}
		if r.Summary == "" || r.Tag == "" || !slices.Contains(r.Status, 401) || !slices.Contains(r.Status, 403) || len(r.Status) < 3 {
			t.Errorf("%s: summary %q, tag %q, statuses %v", name, r.Summary, r.Tag, r.Status)
		}
	}
}
