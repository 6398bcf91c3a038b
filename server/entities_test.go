package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const peopleBase = "/api/rulesets/people-register/entities/Person"

func entityDirs() []string {
	return []string{"../examples/people-register", "testdata/counter"}
}

// TestEntityCRUD walks one record through every write, with ETags, If-Match, If-None-Match and merge
// patches, checking each answer (status, ETag, the calculated properties).
func TestEntityCRUD(t *testing.T) {
	d := newDataTestServer(t, entityDirs(), nil)
	created := d.do("POST", peopleBase, "people", map[string]any{
		"Name": "Ann", "Birthdate": "1990-05-17T00:00:00+02:00", "Email": "ann@example.com", "Nickname": "A",
	}).want(t, http.StatusCreated)
	rec := created.obj(t)
	id := jsonStr(rec, "_id")
	if id == "" {
		t.Fatalf("no _id: %s", created.Body)
	}
	if loc := created.Header.Get("Location"); loc != peopleBase+"/"+id {
		t.Errorf("Location %q", loc)
	}
	if etag := created.Header.Get("ETag"); etag != `"1"` {
		t.Errorf("ETag %q, want \"1\"", etag)
	}
	// Birthdate is stored as the ruleset writes a date (midnight in Europe/Amsterdam is 1990-05-17);
	// Age and Adult are the calculated properties on the server's clock (2026-06-01); the
	// undeclared Nickname is kept; the keys come in declared order.
	for k, want := range map[string]any{"Name": "Ann", "Birthdate": "1990-05-17", "Email": "ann@example.com", "Age": 36.0, "Adult": true,
		"Nickname": "A", "_createdAt": "2026-06-01T10:00:00Z", "_updatedAt": "2026-06-01T10:00:00Z"} {
		if rec[k] != want {
			t.Errorf("created %s = %v, want %v", k, rec[k], want)
		}
	}
	body := string(created.Body)
	if !strings.HasPrefix(body, `{"_id":`) || !(strings.Index(body, `"Email"`) < strings.Index(body, `"Age"`) &&
		strings.Index(body, `"Adult"`) < strings.Index(body, `"Nickname"`) && strings.Index(body, `"Nickname"`) < strings.Index(body, `"_createdAt"`)) {
		t.Errorf("keys not in the record's order: %s", body)
	}

	one := peopleBase + "/" + id
	valid := map[string]any{"Name": "Ann", "Birthdate": "1990-05-17", "Email": "ann@new.example"}
	steps := []struct {
		name         string
		method, path string
		key          string
		body         any
		headers      []string
		status       int
		etag         string         // the answer's ETag, when set
		fields       map[string]any // fields of the answer (nil value: absent or null)
		problem      string         // the problem's type suffix
		at           string         // for invalid-input, a problem's path
	}{
		{name: "get", method: "GET", path: one, key: "people", status: 200, etag: `"1"`, fields: map[string]any{"Age": 36.0}},
		{name: "get with a read-only key", method: "GET", path: one, key: "people-read", status: 200, etag: `"1"`},
		{name: "get, If-None-Match matches", method: "GET", path: one, key: "people", headers: []string{"If-None-Match", `"1"`}, status: 304, etag: `"1"`},
		{name: "get, weak If-None-Match matches", method: "GET", path: one, key: "people", headers: []string{"If-None-Match", `"7", W/"1"`}, status: 304},
		{name: "get, If-None-Match differs", method: "GET", path: one, key: "people", headers: []string{"If-None-Match", `"2"`}, status: 200},
		{name: "put, stale If-Match", method: "PUT", path: one, key: "people", body: valid, headers: []string{"If-Match", `"0"`}, status: 412, problem: "precondition-failed"},
		{name: "put, weak If-Match never matches", method: "PUT", path: one, key: "people", body: valid, headers: []string{"If-Match", `W/"1"`}, status: 412, problem: "precondition-failed"},
		{name: "put, If-Match holds: the undeclared Nickname goes", method: "PUT", path: one, key: "people", body: valid, headers: []string{"If-Match", `"1"`},
			status: 200, etag: `"2"`, fields: map[string]any{"Email": "ann@new.example", "Nickname": nil, "_createdAt": "2026-06-01T10:00:00Z"}},
		{name: "put, another _id", method: "PUT", path: one, key: "people", body: map[string]any{"_id": "x", "Name": "Ann", "Birthdate": "1990-05-17"}, status: 400, problem: "invalid-request"},
		{name: "put, no If-Match, a calculated value is recomputed", method: "PUT", path: one, key: "people",
			body: map[string]any{"_id": id, "Name": "Ann", "Birthdate": "1990-05-17", "Age": 99}, status: 200, etag: `"3"`, fields: map[string]any{"Age": 36.0, "Email": nil}},
		{name: "put, If-None-Match * (the record exists)", method: "PUT", path: one, key: "people", body: valid, headers: []string{"If-None-Match", "*"}, status: 412},
		{name: "put with a read-only key", method: "PUT", path: one, key: "people-read", body: valid, status: 403},
		{name: "merge patch adds and removes", method: "PATCH", path: one, key: "people", body: map[string]any{"Email": "a@x.example", "Nickname": "Annie"},
			headers: []string{"Content-Type", "application/merge-patch+json", "If-Match", `"3"`}, status: 200, etag: `"4"`, fields: map[string]any{"Email": "a@x.example", "Nickname": "Annie", "Name": "Ann"}},
		{name: "merge patch null deletes", method: "PATCH", path: one, key: "people", body: map[string]any{"Nickname": nil, "Birthdate": "2010-01-01"},
			status: 200, etag: `"5"`, fields: map[string]any{"Nickname": nil, "Email": "a@x.example", "Age": 16.0, "Adult": false}},
		{name: "patch, stale If-Match", method: "PATCH", path: one, key: "people", body: map[string]any{"Email": "b@x.example"},
			headers: []string{"If-Match", `"4"`}, status: 412, problem: "precondition-failed"},
		{name: "patch removing a required property", method: "PATCH", path: one, key: "people", body: map[string]any{"Name": nil}, status: 400, problem: "invalid-input", at: "Name"},
		{name: "patch, a wrong type", method: "PATCH", path: one, key: "people", body: map[string]any{"Birthdate": "soon"}, status: 400, problem: "invalid-input", at: "Birthdate"},
		{name: "patch, not an object", method: "PATCH", path: one, key: "people", body: "[1]", status: 400, problem: "malformed-request"},
		{name: "patch, JSON Patch is another format", method: "PATCH", path: one, key: "people", body: `[{"op":"remove","path":"/Email"}]`,
			headers: []string{"Content-Type", "application/json-patch+json"}, status: 415, problem: "unsupported-media"},
		{name: "patch, not JSON", method: "PATCH", path: one, key: "people", body: "Email=x", headers: []string{"Content-Type", "text/plain"}, status: 415},
		{name: "get after the patches", method: "GET", path: one, key: "people-read", status: 200, etag: `"5"`, fields: map[string]any{"Birthdate": "2010-01-01", "Email": "a@x.example"}},
		{name: "delete, stale If-Match", method: "DELETE", path: one, key: "people", headers: []string{"If-Match", `"4"`}, status: 412},
		{name: "delete with a read-only key", method: "DELETE", path: one, key: "people-read", status: 403},
		{name: "delete", method: "DELETE", path: one, key: "people", headers: []string{"If-Match", `"5"`}, status: 204},
		{name: "get after delete", method: "GET", path: one, key: "people", status: 404, problem: "not-found"},
		{name: "delete again", method: "DELETE", path: one, key: "people", status: 404, problem: "not-found"},
		{name: "put after delete", method: "PUT", path: one, key: "people", body: valid, status: 404, problem: "not-found"},
		{name: "patch after delete", method: "PATCH", path: one, key: "people", body: map[string]any{"Email": "x"}, status: 404, problem: "not-found"},

		{name: "unknown ruleset", method: "GET", path: "/api/rulesets/nope/entities/Person", key: "any", status: 404, problem: "not-found"},
		{name: "unknown entity", method: "GET", path: "/api/rulesets/people-register/entities/Nobody", key: "people", status: 404, problem: "not-found"},
		{name: "an entity that is not persisted", method: "GET", path: "/api/rulesets/counter/entities/Note", key: "counter", status: 404, problem: "not-found"},
		{name: "post to an entity that is not persisted", method: "POST", path: "/api/rulesets/counter/entities/Note", key: "counter", body: map[string]any{"Text": "x"}, status: 404},
		{name: "unknown record", method: "GET", path: peopleBase + "/0190aaaa-0000-7000-8000-000000000000", key: "people", status: 404, problem: "not-found"},
		{name: "post with an _id", method: "POST", path: peopleBase, key: "people", body: map[string]any{"_id": "mine", "Name": "B", "Birthdate": "2000-01-01"}, status: 400, problem: "invalid-request"},
		{name: "post with a read-only key", method: "POST", path: peopleBase, key: "people-read", body: valid, status: 403},
		{name: "post, another ruleset's key", method: "POST", path: peopleBase, key: "counter", body: valid, status: 403},
		{name: "post, no key", method: "POST", path: peopleBase, body: valid, status: 401},
		{name: "post, a null body", method: "POST", path: peopleBase, key: "people", body: "null", status: 400, problem: "malformed-request"},
	}
	for _, s := range steps {
		r := d.do(s.method, s.path, s.key, s.body, s.headers...)
		if r.Status != s.status {
			t.Errorf("%s: status %d, want %d: %s", s.name, r.Status, s.status, r.Body)
			continue
		}
		if s.etag != "" && r.Header.Get("ETag") != s.etag {
			t.Errorf("%s: ETag %q, want %q", s.name, r.Header.Get("ETag"), s.etag)
		}
		if s.status == 304 || s.status == 204 {
			if len(r.Body) != 0 {
				t.Errorf("%s: a %d with a body: %s", s.name, s.status, r.Body)
			}
			continue
		}
		if s.status >= 400 {
			p := r.problem(t)
			if s.problem != "" && p.Type != "urn:kubus:problem:"+s.problem {
				t.Errorf("%s: problem %s, want %s", s.name, p.Type, s.problem)
			}
			if s.at != "" && !strings.Contains(string(r.Body), `"path":"`+s.at+`"`) {
				t.Errorf("%s: no problem at %s: %s", s.name, s.at, r.Body)
			}
			continue
		}
		got := r.obj(t)
		for k, want := range s.fields {
			if got[k] != want {
				t.Errorf("%s: %s = %v, want %v (%s)", s.name, k, got[k], want, r.Body)
			}
		}
	}
}

// TestEntitiesAndExecutionsShareRecords: a record an execution saves is read over the API as rule
// code reads it, and one the API saves is found by rule code.
func TestEntitiesAndExecutionsShareRecords(t *testing.T) {
	d := newDataTestServer(t, entityDirs(), nil)
	out := d.execute(t, "people-register", "people", map[string]any{"Action": "register", "Name": "Bob", "Birthdate": "2001-02-03"})
	if out["Registered"] != true {
		t.Fatalf("not registered: %v", out)
	}
	filter := url.QueryEscape(`{"Name": "Bob"}`)
	list := d.do("GET", peopleBase+"?filter="+filter, "people-read", nil).want(t, 200).obj(t)
	items, _ := list["items"].([]any)
	if len(items) != 1 || jsonStr(items[0], "Birthdate") != "2001-02-03" || items[0].(map[string]any)["Age"] != 25.0 || list["next"] != nil {
		t.Fatalf("the executed registration over the API: %v", list)
	}
	d.do("POST", peopleBase, "people", map[string]any{"Name": "Carl", "Birthdate": "1970-07-07"}).want(t, 201)
	out = d.execute(t, "people-register", "people", map[string]any{"Action": "find", "Name": "Carl"})
	found, _ := out["Found"].([]any)
	if len(found) != 1 || found[0].(map[string]any)["adult"] != true {
		t.Fatalf("rule code does not find the API's record: %v", out)
	}
	if out["Total"] != 2.0 {
		t.Errorf("Total %v, want 2", out["Total"])
	}
}

// TestEntityValidationListsEveryProblem: a body is checked as new Person({...}) checks it, and
// every problem is in the answer at once, at its property's path.
func TestEntityValidationListsEveryProblem(t *testing.T) {
	d := newDataTestServer(t, entityDirs(), nil)
	cases := []struct {
		name  string
		path  string
		key   string
		body  map[string]any
		paths []string // every problem's path, in any order
	}{
		{"nothing", peopleBase, "people", map[string]any{}, []string{"Name", "Birthdate"}},
		{"three wrong types", peopleBase, "people", map[string]any{"Name": 5, "Birthdate": "yesterday", "Email": true}, []string{"Name", "Birthdate", "Email"}},
		{"no such day", peopleBase, "people", map[string]any{"Name": "x", "Birthdate": "2000-02-30"}, []string{"Birthdate"}},
		{"null is absent", peopleBase, "people", map[string]any{"Name": nil, "Birthdate": nil, "Email": nil}, []string{"Name", "Birthdate"}},
		{"a number as text", "/api/rulesets/counter/entities/Counter", "counter", map[string]any{"Name": "c", "Count": "7"}, []string{"Count"}},
		{"required and wrong together", "/api/rulesets/counter/entities/Counter", "counter", map[string]any{"Count": true}, []string{"Name", "Count"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := d.do("POST", c.path, c.key, c.body).want(t, 400)
			p := r.problem(t)
			if p.Type != "urn:kubus:problem:invalid-input" {
				t.Fatalf("type %s", p.Type)
			}
			var got struct {
				Errors []struct{ Path, Message string } `json:"errors"`
			}
			if err := json.Unmarshal(r.Body, &got); err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, e := range got.Errors {
				if e.Message == "" {
					t.Errorf("a problem without a message: %s", r.Body)
				}
				paths = append(paths, e.Path)
			}
			slices.Sort(paths)
			want := slices.Sorted(slices.Values(c.paths))
			if !slices.Equal(paths, want) {
				t.Errorf("problems at %v, want %v: %s", paths, want, r.Body)
			}
		})
	}
	// Nothing was stored.
	list := d.do("GET", peopleBase, "people", nil).want(t, 200).obj(t)
	if items, _ := list["items"].([]any); len(items) != 0 {
		t.Errorf("refused bodies were stored: %v", items)
	}
}

// TestCalculatedPropertyThatThrows: a calculated property is rule code; one that throws answers
// 422 with the engine's error, and the write it would show is not committed.
func TestCalculatedPropertyThatThrows(t *testing.T) {
	d := newDataTestServer(t, entityDirs(), nil)
	base := "/api/rulesets/counter/entities/Counter"
	r := d.do("POST", base, "counter", map[string]any{"Name": "broken"}).want(t, 422)
	r.problem(t)
	var p struct {
		Error struct{ Kind, Message string } `json:"error"` // the engine's error, as an execution's 422 has it
	}
	_ = json.Unmarshal(r.Body, &p)
	if e := p.Error; e.Kind != "error" || !strings.Contains(e.Message, "cannot double broken") {
		t.Errorf("error %+v: %s", e, r.Body)
	}
	ok := d.do("POST", base, "counter", map[string]any{"Name": "fine", "Count": 4}).want(t, 201).obj(t)
	if ok["Double"] != 8.0 || ok["Broken"] != nil {
		t.Errorf("calculated: %v", ok)
	}
	id := jsonStr(ok, "_id")
	d.do("PATCH", base+"/"+id, "counter", map[string]any{"Name": "broken"}).want(t, 422)
	list := d.do("GET", base, "counter", nil).want(t, 200).obj(t)
	items, _ := list["items"].([]any)
	if len(items) != 1 || jsonStr(items[0], "Name") != "fine" {
		t.Errorf("after the refused writes: %v", items)
	}
}

// person is a record the paging test made, as the test knows it.
type person struct {
	id, name, birth, email string // email "" when absent
}

// TestEntityListPaging pages through 120 records with filters, sorts and limits: the pages
// together are exactly the matching records in the sort's order (ties by id), with no record
// twice and none left out; and the cursor survives the last record of a page being deleted.
func TestEntityListPaging(t *testing.T) {
	d := newDataTestServer(t, entityDirs(), nil)
	var people []person
	for i := range 120 {
		p := person{name: fmt.Sprintf("P%03d", (i*37)%120), birth: fmt.Sprintf("%d-03-01", 1950+i%12)}
		body := map[string]any{"Name": p.name, "Birthdate": p.birth}
		if i%5 != 0 {
			p.email = fmt.Sprintf("p%02d@example.com", i%40)
			body["Email"] = p.email
		}
		p.id = jsonStr(d.do("POST", peopleBase, "people", body).want(t, 201).obj(t), "_id")
		people = append(people, p)
	}
	field := func(p person, f string) string {
		switch f {
		case "Name":
			return p.name
		case "Birthdate":
			return p.birth
		case "Email":
			return p.email
		}
		return p.id
	}
	// expect sorts as the contract says: by the keys, missing last in both directions, ties by id.
	expect := func(keep func(person) bool, keys ...string) []string {
		var sel []person
		for _, p := range people {
			if keep == nil || keep(p) {
				sel = append(sel, p)
			}
		}
		sort.Slice(sel, func(i, j int) bool {
			for _, k := range keys {
				desc := strings.HasPrefix(k, "-")
				f := strings.TrimPrefix(k, "-")
				a, b := field(sel[i], f), field(sel[j], f)
				switch {
				case a == b:
					continue
				case a == "":
					return false
				case b == "":
					return true
				case desc:
					return a > b
				}
				return a < b
			}
			return sel[i].id < sel[j].id
		})
		ids := make([]string, len(sel))
		for i, p := range sel {
			ids[i] = p.id
		}
		return ids
	}
	someIDs := []any{people[3].id, people[50].id, people[119].id}
	idsJSON, _ := json.Marshal(map[string]any{"_id": map[string]any{"$in": someIDs}})
	cases := []struct {
		name   string
		filter string
		sort   string
		limit  int
		want   []string
	}{
		{"all, default limit, id order", "", "", 0, expect(nil)},
		{"all by name, 7 a page", "", "Name", 7, expect(nil, "Name")},
		{"birthdate descending (ties of 10), 13 a page", "", "-Birthdate", 13, expect(nil, "-Birthdate")},
		{"email (missing last), then name descending", "", "Email,-Name", 9, expect(nil, "Email", "-Name")},
		{"two sort parameters", "", "-Email&sort=Birthdate", 11, expect(nil, "-Email", "Birthdate")},
		{"born 1956 or later, by name", `{"Birthdate": {"$gte": "1956-01-01"}}`, "Name", 8,
			expect(func(p person) bool { return p.birth >= "1956-01-01" }, "Name")},
		{"without an email, name descending, one a page", `{"Email": null}`, "-Name", 1, expect(func(p person) bool { return p.email == "" }, "-Name")},
		{"a range and a $ne", `{"Birthdate": {"$gt": "1951-03-01", "$lte": "1954-03-01"}, "Name": {"$ne": "P000"}}`, "-Birthdate,Name", 6,
			expect(func(p person) bool { return p.birth > "1951-03-01" && p.birth <= "1954-03-01" && p.name != "P000" }, "-Birthdate", "Name")},
		{"by id list", string(idsJSON), "-_id", 2, expect(func(p person) bool { return slices.Contains(someIDs, any(p.id)) }, "-_id")},
		{"all in one page", "", "Birthdate", 1000, expect(nil, "Birthdate")},
		{"nothing matches", `{"Name": "nobody"}`, "", 10, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := url.Values{}
			if c.filter != "" {
				q.Set("filter", c.filter)
			}
			if c.limit > 0 {
				q.Set("limit", fmt.Sprint(c.limit))
			}
			base := peopleBase + "?" + q.Encode()
			if c.sort != "" {
				base += "&sort=" + c.sort
			}
			pageSize := c.limit
			if pageSize == 0 {
				pageSize = 50
			}
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > 200 {
					t.Fatal("more than 200 pages")
				}
				path := base
				if cursor != "" {
					path += "&cursor=" + url.QueryEscape(cursor)
				}
				body := d.do("GET", path, "people-read", nil).want(t, 200).obj(t)
				items, _ := body["items"].([]any)
				next, _ := body["next"].(string)
				if len(items) > pageSize || (next != "" && len(items) != pageSize) {
					t.Fatalf("page %d has %d items (limit %d, next %q)", pages, len(items), pageSize, next)
				}
				for _, it := range items {
					got = append(got, jsonStr(it, "_id"))
				}
				if next == "" {
					break
				}
				cursor = next
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got %d records, want %d; first difference at %d", len(got), len(c.want), firstDiff(got, c.want))
			}
		})
	}

	t.Run("the last record of a page deleted, others added, between pages", func(t *testing.T) {
		seen := map[string]int{}
		path := peopleBase + "?sort=Name&limit=10"
		body := d.do("GET", path, "people-read", nil).want(t, 200).obj(t)
		items, _ := body["items"].([]any)
		for _, it := range items {
			seen[jsonStr(it, "_id")]++
		}
		last := jsonStr(items[len(items)-1], "_id")
		d.do("DELETE", peopleBase+"/"+last, "people", nil).want(t, 204)
		before := jsonStr(d.do("POST", peopleBase, "people", map[string]any{"Name": "A-first", "Birthdate": "2000-01-01"}).want(t, 201).obj(t), "_id")
		after := jsonStr(d.do("POST", peopleBase, "people", map[string]any{"Name": "Z-last", "Birthdate": "2000-01-01"}).want(t, 201).obj(t), "_id")
		next, _ := body["next"].(string)
		for next != "" {
			body = d.do("GET", path+"&cursor="+url.QueryEscape(next), "people-read", nil).want(t, 200).obj(t)
			items, _ = body["items"].([]any)
			for _, it := range items {
				seen[jsonStr(it, "_id")]++
			}
			next, _ = body["next"].(string)
		}
		for _, p := range people {
			if seen[p.id] != 1 {
				t.Errorf("%s (%s) seen %d times", p.id, p.name, seen[p.id])
			}
		}
		if seen[before] != 0 || seen[after] != 1 {
			t.Errorf("added before the cursor seen %d times (want 0), after it %d (want 1)", seen[before], seen[after])
		}
	})
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestEntityListRefusesBadQueries: filters, sorts, limits and cursors that are malformed, too big
// or name a calculated property are 400 problems.
func TestEntityListRefusesBadQueries(t *testing.T) {
	d := newDataTestServer(t, entityDirs(), nil)
	d.do("POST", peopleBase, "people", map[string]any{"Name": "Ann", "Birthdate": "1990-05-17"}).want(t, 201)
	d.do("POST", peopleBase, "people", map[string]any{"Name": "Bea", "Birthdate": "1991-05-17"}).want(t, 201)
	first := d.do("GET", peopleBase+"?limit=1&sort=Name", "people", nil).want(t, 200).obj(t)
	cursor, _ := first["next"].(string)
	if cursor == "" {
		t.Fatal("no cursor")
	}
	deep := `{"Name": {"$in": [[[[["x"]]]]]}}`
	cases := []struct{ name, query string }{
		{"filter not JSON", "filter=" + url.QueryEscape("{Name: 1}")},
		{"filter not an object", "filter=" + url.QueryEscape("[1]")},
		{"filter on a calculated property", "filter=" + url.QueryEscape(`{"Age": {"$gte": 18}}`)},
		{"unknown operator", "filter=" + url.QueryEscape(`{"Name": {"$regex": "A.*"}}`)},
		{"operators mixed with keys", "filter=" + url.QueryEscape(`{"Name": {"$gt": "A", "x": 1}}`)},
		{"$in without a list", "filter=" + url.QueryEscape(`{"Name": {"$in": "Ann"}}`)},
		{"$gt on an object", "filter=" + url.QueryEscape(`{"Name": {"$gt": {"a": 1}}}`)},
		{"filter too long", "filter=" + url.QueryEscape(`{"Name": "`+strings.Repeat("x", 5000)+`"}`)},
		{"filter too deep", "filter=" + url.QueryEscape(deep)},
		{"sort on a calculated property", "sort=-Age"},
		{"an empty sort key", "sort=Name,,Email"},
		{"too many sort keys", "sort=a,b,c,d,e,f"},
		{"limit 0", "limit=0"},
		{"limit over 1000", "limit=1001"},
		{"limit not a number", "limit=ten"},
		{"cursor garbage", "cursor=" + url.QueryEscape("not a cursor!")},
		{"cursor base64 of garbage", "cursor=bm90IGpzb24"},
		{"cursor too long", "cursor=" + strings.Repeat("A", 20000)},
		{"cursor of another sort", "sort=-Name&limit=1&cursor=" + url.QueryEscape(cursor)},
		{"cursor of another filter", "sort=Name&limit=1&filter=" + url.QueryEscape(`{"Name": {"$ne": "x"}}`) + "&cursor=" + url.QueryEscape(cursor)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := d.do("GET", peopleBase+"?"+c.query, "people", nil).want(t, 400)
			if p := r.problem(t); p.Type != "urn:kubus:problem:invalid-request" || p.Detail == "" {
				t.Errorf("problem %+v", p)
			}
			if len(r.Body) > 2000 {
				t.Errorf("the answer echoes too much (%d bytes)", len(r.Body))
			}
		})
	}
	// The good cursor goes on.
	second := d.do("GET", peopleBase+"?limit=1&sort=Name&cursor="+url.QueryEscape(cursor), "people", nil).want(t, 200).obj(t)
	if items, _ := second["items"].([]any); len(items) != 1 || jsonStr(items[0], "Name") != "Bea" || second["next"] != nil {
		t.Errorf("second page: %v", second)
	}
}

// TestNoLostUpdateBetweenExecutionsAndPatches: 50 clients at once each run the counter ruleset
// (which reads the counter, adds one and saves it) and PATCH the same counter through the API with
// an If-Match retry loop. At the end the counter is the number of acknowledged increments, and the
// values the increments reported are exactly 1..n: no two of them started from the same value.
func TestNoLostUpdateBetweenExecutionsAndPatches(t *testing.T) {
	d := newDataTestServer(t, entityDirs(), nil)
	base := "/api/rulesets/counter/entities/Counter"
	id := jsonStr(d.do("POST", base, "counter", map[string]any{"Name": "hits"}).want(t, 201).obj(t), "_id")
	one := base + "/" + id
	const clients, rounds = 50, 3
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		values   []int // every acknowledged increment's resulting count
		execs    atomic.Int64
		patches  atomic.Int64
		refusals atomic.Int64 // executions answered 409 after their retries (nothing written)
	)
	record := func(v any) {
		mu.Lock()
		defer mu.Unlock()
		f, _ := v.(float64)
		values = append(values, int(f))
	}
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				r, err := d.send("POST", "/api/rulesets/counter/execute", "counter", map[string]any{"input": map[string]any{"Id": id}})
				switch {
				case err != nil:
					t.Errorf("client %d: %v", c, err)
					return
				case r.Status == 200:
					var res struct{ Output map[string]any }
					if err := json.Unmarshal(r.Body, &res); err != nil {
						t.Errorf("client %d: %v", c, err)
						return
					}
					execs.Add(1)
					record(res.Output["Incremented"])
				case r.Status == 409:
					refusals.Add(1)
				default:
					t.Errorf("client %d: execute: %d %s", c, r.Status, r.Body)
					return
				}
				for attempt := 0; ; attempt++ {
					if attempt == 2000 {
						t.Errorf("client %d: the PATCH never got through", c)
						return
					}
					g, err := d.send("GET", one, "counter", nil)
					if err != nil || g.Status != 200 {
						t.Errorf("client %d: GET: %v %d %s", c, err, g.Status, g.Body)
						return
					}
					var cur struct{ Count float64 }
					_ = json.Unmarshal(g.Body, &cur)
					p, err := d.send("PATCH", one, "counter", map[string]any{"Count": cur.Count + 1},
						"Content-Type", "application/merge-patch+json", "If-Match", g.Header.Get("ETag"))
					if err != nil {
						t.Errorf("client %d: PATCH: %v", c, err)
						return
					}
					if p.Status == 412 || p.Status == 409 {
						time.Sleep(time.Duration(attempt%8) * time.Millisecond)
						continue
					}
					if p.Status != 200 {
						t.Errorf("client %d: PATCH: %d %s", c, p.Status, p.Body)
						return
					}
					var after struct{ Count float64 }
					_ = json.Unmarshal(p.Body, &after)
					patches.Add(1)
					record(after.Count)
					break
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	final := d.do("GET", one, "counter", nil).want(t, 200).obj(t)
	acked := execs.Load() + patches.Load()
	if final["Count"] != float64(acked) {
		t.Fatalf("the counter is %v after %d acknowledged increments (%d executions, %d patches, %d executions refused)",
			final["Count"], acked, execs.Load(), patches.Load(), refusals.Load())
	}
	slices.Sort(values)
	for i, v := range values {
		if v != i+1 {
			t.Fatalf("acknowledged counts are not 1..%d: position %d is %d (two writers started from one value?)", len(values), i, v)
		}
	}
	if patches.Load() != clients*rounds || execs.Load() == 0 {
		t.Errorf("%d patches (want %d), %d executions", patches.Load(), clients*rounds, execs.Load())
	}
	if final["Double"] != float64(2*acked) || final["_updatedAt"] == nil {
		t.Errorf("final record: %v", final)
	}
	t.Logf("%d executions, %d patches, %d executions refused after their retries", execs.Load(), patches.Load(), refusals.Load())
}
