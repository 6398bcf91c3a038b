package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/store"
)

// testServer is a real server on 127.0.0.1 with a real bbolt store.
type testServer struct {
	t    testing.TB
	srv  *Server
	http *httptest.Server
	st   *store.Bolt
	logs *syncBuffer
	keys map[string]string // name → secret
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var testNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// newTestServer serves dirs with keys of the given scopes (name → scopes), created in the store
// before the server starts. Keys named "revoked" and "expired" are made so.
func newTestServer(t testing.TB, dirs []string, keys map[string][]string, mod func(*Config)) *testServer {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "kubus.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ts := &testServer{t: t, st: st, logs: &syncBuffer{}, keys: map[string]string{}}
	for name, scopes := range keys {
		exp := time.Time{}
		if name == "expired" {
			exp = testNow.Add(time.Hour)
		}
		k, secret, err := NewKey(name, scopes, exp, testNow.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if name == "revoked" {
			k.Revoked = testNow.Add(-time.Minute)
		}
		if err := st.PutKey(k); err != nil {
			t.Fatal(err)
		}
		ts.keys[name] = secret
	}
	now := testNow
	cfg := Config{Engine: engine.New(), Store: st, Dirs: dirs, Logger: slog.New(slog.NewJSONHandler(ts.logs, nil)),
		Now: func() time.Time {
			return now.Add(2 * time.Hour) // past the "expired" key's expiry
		}}
	if mod != nil {
		mod(&cfg)
	}
	ts.srv, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts.http = httptest.NewServer(ts.srv.Handler())
	t.Cleanup(ts.http.Close)
	return ts
}

// do sends a request with the named key ("" none) and returns the status, headers and body.
func (ts *testServer) do(method, path, key string, body any, header ...string) (int, http.Header, []byte) {
	ts.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			ts.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, ts.http.URL+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		secret, ok := ts.keys[key]
		if !ok {
			secret = key
		}
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := ts.http.Client().Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

func travelInput(t testing.TB) map[string]any {
	data, err := os.ReadFile("../examples/travel-insurance/input.json")
	if err != nil {
		t.Fatal(err)
	}
	var in map[string]any
	if err := json.Unmarshal(data, &in); err != nil {
		t.Fatal(err)
	}
	return in
}

func problemOf(t *testing.T, body []byte) Problem {
	t.Helper()
	var p Problem
	if err := json.Unmarshal(body, &p); err != nil || p.Type == "" || p.Status == 0 || p.Title == "" {
		t.Fatalf("not a problem body: %s", body)
	}
	return p
}

// TestEveryRouteChecksItsKey walks the route table: no key 401, a key without the scope 403, a
// revoked or expired key 401, the right scope neither; and no key appears in any log line or
// answer.
func TestEveryRouteChecksItsKey(t *testing.T) {
	ts := newTestServer(t, []string{"../examples"}, map[string][]string{
		"all":     {"admin", "execute:*", "entities:*", "consents", "datadebits", "workflows:*", "documents", "clock"},
		"none":    {"workflows:nothing"},
		"revoked": {"admin", "execute:*", "entities:*", "consents", "datadebits"},
		"expired": {"admin", "execute:*", "entities:*", "consents", "datadebits"},
		"victim":  {"workflows:victim"}, // DELETE /api/keys/{id} revokes this one
	}, nil)
	keyID := ""
	for _, k := range ts.srv.keys.list() {
		if k.Name == "victim" {
			keyID = k.ID
		}
	}
	fill := strings.NewReplacer("{name}", "travel-insurance", "{version}", "1.0.0", "{id}", keyID, "{Entity}", "Person", "{key}", "some-debit")
	for _, rt := range ts.srv.Routes() {
		path := fill.Replace(rt.Pattern)
		var body any
		if rt.Body {
			body = "{}"
		}
		if rt.Access[0] == accessSession {
			continue // the studio's sign-in: TestStudioSession… check the cookie, the key in the body and the token
		}
		t.Run(rt.Method+" "+rt.Pattern, func(t *testing.T) {
			open := rt.Access[0] == accessOpen
			for _, c := range []struct {
				key  string
				want int
			}{{"", 401}, {"none", 403}, {"revoked", 401}, {"expired", 401}, {"kbs_notakey", 401}} {
				if open || (c.key == "none" && rt.Access[0] == accessKey) {
					continue
				}
				status, h, data := ts.do(rt.Method, path, c.key, body)
				if status != c.want {
					t.Errorf("key %q: status %d, want %d: %s", c.key, status, c.want, data)
					continue
				}
				problemOf(t, data)
				if status == 401 && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("401 without WWW-Authenticate: Bearer")
				}
			}
			status, _, data := ts.do(rt.Method, path, "all", body)
			if status == 401 || status == 403 {
				t.Errorf("with every scope: %d %s", status, data)
			}
			if open {
				if status, _, _ := ts.do(rt.Method, path, "", body); status == 401 || status == 403 {
					t.Errorf("an open route refused a request without a key: %d", status)
				}
			}
		})
	}
	logs := ts.logs.String()
	for name, secret := range ts.keys {
		if strings.Contains(logs, secret) || strings.Contains(logs, secret[len(KeyPrefix):len(KeyPrefix)+12]) {
			t.Errorf("key %s appears in the logs", name)
		}
	}
	if status, _, data := ts.do("GET", "/api/keys", "all", nil); status != 200 || bytes.Contains(data, []byte(KeyPrefix)) || bytes.Contains(data, []byte(`"hash"`)) {
		t.Errorf("GET /api/keys: %d %s", status, data)
	}
}

func TestExecuteAnswersWhatTheEngineDoes(t *testing.T) {
	ts := newTestServer(t, []string{"../examples"}, map[string][]string{"exec": {"execute:travel-insurance"}, "clock": {"execute:*", "clock"}}, nil)
	input := travelInput(t)
	now := "2023-07-20T09:00:00Z"
	status, h, data := ts.do("POST", "/api/rulesets/travel-insurance/execute", "clock", map[string]any{"input": input, "options": map[string]any{"now": now}})
	if status != 200 {
		t.Fatalf("%d %s", status, data)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	rs, err := engine.New().Load("../examples/travel-insurance")
	if err != nil {
		t.Fatal(err)
	}
	nowT, _ := time.Parse(time.RFC3339, now)
	res, err := rs.Execute(context.Background(), input, engine.ExecOptions{Now: nowT})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(res)
	var want map[string]any
	_ = json.Unmarshal(wantJSON, &want)
	for _, k := range []string{"ruleset", "version", "output", "alerts"} {
		g, _ := json.Marshal(got[k])
		w, _ := json.Marshal(want[k])
		if !bytes.Equal(g, w) {
			t.Errorf("%s: server %s, engine %s", k, g, w)
		}
	}
	if id, _ := got["executionId"].(string); id == "" || h.Get("X-Kubus-Execution-Id") != id {
		t.Errorf("execution id %q, header %q", got["executionId"], h.Get("X-Kubus-Execution-Id"))
	}
	if !strings.Contains(ts.logs.String(), `"execution_id":"`+got["executionId"].(string)+`"`) {
		t.Error("the log line has no execution id")
	}
	// Pinned version; unknown version and ruleset.
	if status, _, data := ts.do("POST", "/api/rulesets/travel-insurance/versions/1.0.0/execute", "exec", map[string]any{"input": input}); status != 200 {
		t.Errorf("pinned: %d %s", status, data)
	}
	for path, want := range map[string]int{
		"/api/rulesets/travel-insurance/versions/9.9.9/execute": 404,
		"/api/rulesets/no-such-ruleset/execute":                 403, // the key's scope names one ruleset
	} {
		if status, _, data := ts.do("POST", path, "exec", map[string]any{"input": input}); status != want {
			t.Errorf("%s: %d, want %d: %s", path, status, want, data)
		}
	}
	if status, _, data := ts.do("POST", "/api/rulesets/no-such-ruleset/execute", "clock", map[string]any{"input": input}); status != 404 {
		t.Errorf("unknown ruleset: %d %s", status, data)
	} else if p := problemOf(t, data); !strings.Contains(p.Detail, "no-such-ruleset") {
		t.Errorf("404 detail: %s", p.Detail)
	}
}

// TestBadRequests: every kind of bad request gets its status and a problem body, and the server
// stays up.
func TestBadRequests(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ruleset.yaml"), `name: strict
inputs:
  Age: {type: number, required: true}
  Name: {type: string, required: true}
rules:
  Ratio: 'Age > 200 ? null.boom : 100 / Age'
`)
	ts := newTestServer(t, []string{dir}, map[string][]string{"exec": {"execute:*"}}, func(c *Config) { c.MaxBody = 64 << 10 })
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	const exec = "/api/rulesets/strict/execute"
	cases := []struct {
		name     string
		method   string
		path     string
		body     any
		header   []string
		status   int
		contains string
	}{
		{"malformed JSON", "POST", exec, `{"input": {"Age": 3,}}`, nil, 400, "byte offset 21"},
		{"not an object", "POST", exec, `[1, 2]`, nil, 400, "object"},
		{"input not an object", "POST", exec, `{"input": 5}`, nil, 400, "input"},
		{"two values", "POST", exec, `{"input": {}} {}`, nil, 400, "more than one"},
		{"empty body", "POST", exec, ``, nil, 400, "empty"},
		{"unknown field", "POST", exec, `{"input": {"Age": 1, "Name": "x"}, "extra": 1}`, nil, 400, `unknown field \"extra\"`},
		{"unknown option", "POST", exec, `{"input": {"Age": 1, "Name": "x"}, "options": {"fast": true}}`, nil, 400, `unknown field \"fast\"`},
		{"bad log level", "POST", exec, `{"input": {"Age": 1, "Name": "x"}, "options": {"logLevel": "loud"}}`, nil, 400, "logLevel"},
		{"now without clock", "POST", exec, `{"input": {"Age": 1, "Name": "x"}, "options": {"now": "2026-01-01"}}`, nil, 400, "scope clock"},
		{"wrong content type", "POST", exec, `{"input": {}}`, []string{"Content-Type", "text/plain"}, 415, "application/json"},
		{"no content type", "POST", exec, `{"input": {}}`, []string{"Content-Type", ""}, 415, "Content-Type"},
		{"oversized body", "POST", exec, `{"input": {"Name": "` + strings.Repeat("x", 70<<10) + `"}}`, nil, 413, "65536"},
		{"deep JSON", "POST", exec, `{"input": {"Deep": ` + deep + `}}`, nil, 400, ""},
		{"input problems", "POST", exec, `{"input": {"Age": "old"}}`, nil, 400, "Name"},
		{"rule throws", "POST", exec, `{"input": {"Age": 300, "Name": "x"}}`, nil, 422, "Ratio"},
		{"path traversal", "POST", "/api/rulesets/..%2F..%2Fetc%2Fpasswd/execute", `{}`, nil, 404, ""},
		{"dot dot", "GET", "/api/rulesets/../../etc/passwd", nil, nil, 404, ""},
		{"wrong method", "DELETE", exec, nil, nil, 405, "POST"},
		{"no route", "GET", "/api/nothing", nil, nil, 404, "no route"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, h, data := ts.do(c.method, c.path, "exec", c.body, c.header...)
			if status != c.status {
				t.Fatalf("status %d, want %d: %.300s", status, c.status, data)
			}
			if ct := h.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			p := problemOf(t, data)
			if p.Status != c.status {
				t.Errorf("body status %d", p.Status)
			}
			if c.contains != "" && !bytes.Contains(data, []byte(c.contains)) {
				t.Errorf("answer lacks %q: %.400s", c.contains, data)
			}
		})
	}
	var p struct {
		Errors []map[string]any `json:"errors"`
		Error  map[string]any   `json:"error"`
	}
	_, _, data := ts.do("POST", exec, "exec", `{"input": {"Age": "old"}}`)
	_ = json.Unmarshal(data, &p)
	if len(p.Errors) != 2 {
		t.Errorf("input problems: want both (Age, Name): %s", data)
	}
	_, _, data = ts.do("POST", exec, "exec", `{"input": {"Age": 300, "Name": "x"}}`)
	_ = json.Unmarshal(data, &p)
	if p.Error["rule"] != "Ratio" || p.Error["kind"] != "error" || !strings.HasPrefix(fmt.Sprint(p.Error["at"]), "ruleset.yaml:") {
		t.Errorf("evaluation error: %s", data)
	}
	if status, _, _ := ts.do("GET", "/healthz", "", nil); status != 200 {
		t.Errorf("the server is down after bad requests: %d", status)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// slowRuleset is a ruleset whose one rule spins for about `ms` milliseconds of wall time.
func slowRuleset(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ruleset.yaml"), `name: slow
inputs:
  Ms: {type: number, required: true}
rules:
  Done: |
    // Date.now() is the execution's fixed clock: spin by work, about Ms milliseconds.
    let n = 0;
    for (let i = 0; i < Ms * 20000; i++) n += i;
    return n > 0;
`)
	return dir
}

func TestInflightLimitAnswers503(t *testing.T) {
	ts := newTestServer(t, []string{slowRuleset(t)}, map[string][]string{"exec": {"execute:*"}}, func(c *Config) { c.MaxInflight = 1; c.Engine = slowEngine() })
	done := make(chan int)
	go func() {
		status, _, _ := ts.do("POST", "/api/rulesets/slow/execute", "exec", map[string]any{"input": map[string]any{"Ms": 150}})
		done <- status
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(ts.srv.inflight) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	status, h, data := ts.do("POST", "/api/rulesets/slow/execute", "exec", map[string]any{"input": map[string]any{"Ms": 1}})
	if status != 503 || h.Get("Retry-After") == "" {
		t.Errorf("second request: %d Retry-After=%q %s", status, h.Get("Retry-After"), data)
	}
	if status, _, _ := ts.do("GET", "/healthz", "", nil); status != 200 {
		t.Errorf("healthz while full: %d", status)
	}
	if first := <-done; first != 200 {
		t.Errorf("first request: %d", first)
	}
}

func TestKeysAPI(t *testing.T) {
	ts := newTestServer(t, []string{"../examples"}, map[string][]string{"admin": {"admin"}}, nil)
	status, h, data := ts.do("POST", "/api/keys", "admin", map[string]any{"name": "app", "scopes": []string{"execute:travel-insurance"}, "expires": "2030-01-01"})
	if status != 201 || h.Get("Location") == "" {
		t.Fatalf("create: %d %s", status, data)
	}
	var created struct{ ID, Key string }
	_ = json.Unmarshal(data, &created)
	if !strings.HasPrefix(created.Key, KeyPrefix) || len(created.Key) != len(KeyPrefix)+43 {
		t.Fatalf("key %q", created.Key)
	}
	ts.keys["app"] = created.Key
	input := map[string]any{"input": travelInput(t)}
	if status, _, data := ts.do("POST", "/api/rulesets/travel-insurance/execute", "app", input); status != 200 {
		t.Fatalf("new key: %d %s", status, data)
	}
	_, _, list := ts.do("GET", "/api/keys", "admin", nil)
	if bytes.Contains(list, []byte(created.Key)) || !bytes.Contains(list, []byte(created.ID)) {
		t.Errorf("list: %s", list)
	}
	for _, bad := range []map[string]any{{"name": "x", "scopes": []string{"root"}}, {"name": "", "scopes": []string{"admin"}}, {"name": "x", "scopes": []string{}}, {"name": "x", "scopes": []string{"admin"}, "expires": "2001-01-01"}} {
		if status, _, data := ts.do("POST", "/api/keys", "admin", bad); status != 400 {
			t.Errorf("%v: %d %s", bad, status, data)
		}
	}
	if status, _, data := ts.do("DELETE", "/api/keys/"+created.ID, "admin", nil); status != 200 {
		t.Fatalf("revoke: %d %s", status, data)
	}
	if status, _, _ := ts.do("POST", "/api/rulesets/travel-insurance/execute", "app", input); status != 401 {
		t.Errorf("revoked key: %d", status)
	}
	if status, _, _ := ts.do("DELETE", "/api/keys/key_nothing", "admin", nil); status != 404 {
		t.Errorf("unknown key: %d", status)
	}
}

func TestImportThenExecute(t *testing.T) {
	ts := newTestServer(t, nil, map[string][]string{"admin": {"admin", "execute:*"}}, nil)
	doc := `{"name": "imported", "version": "1.0.0", "inputs": {"X": {"type": "number", "required": true}}, "rules": {"Double": "X * 2"}}`
	status, h, data := ts.do("POST", "/api/rulesets", "admin", doc)
	if status != 201 || !strings.HasSuffix(h.Get("Location"), "/versions/1.0.0/execute") {
		t.Fatalf("import: %d %s", status, data)
	}
	if status, _, data := ts.do("POST", "/api/rulesets", "admin", doc); status != 200 {
		t.Errorf("same content again: %d %s", status, data)
	}
	changed := strings.Replace(doc, "X * 2", "X * 3", 1)
	if status, _, data := ts.do("POST", "/api/rulesets", "admin", changed); status != 409 {
		t.Errorf("other content, same version: %d %s", status, data)
	}
	bad := `{"name": "broken", "version": "1.0.0", "rules": {"A": "B + 1"}}`
	status, _, data = ts.do("POST", "/api/rulesets", "admin", bad)
	if status != 400 || !bytes.Contains(data, []byte("unknown name")) {
		t.Errorf("broken ruleset: %d %s", status, data)
	}
	status, _, data = ts.do("POST", "/api/rulesets/imported/execute", "admin", `{"input": {"X": 21}}`)
	if status != 200 || !bytes.Contains(data, []byte(`"Double":42`)) {
		t.Errorf("execute imported: %d %s", status, data)
	}
	if stored, _, err := ts.st.GetRuleset("imported", "1.0.0"); err != nil || !bytes.Contains(stored, []byte("X * 2")) {
		t.Errorf("not in the store: %v", err)
	}
}

func TestMetricsAndDescribe(t *testing.T) {
	ts := newTestServer(t, []string{"../examples"}, map[string][]string{"exec": {"execute:travel-insurance"}, "admin": {"admin"}}, nil)
	ts.do("POST", "/api/rulesets/travel-insurance/execute", "exec", map[string]any{"input": travelInput(t)})
	ts.do("POST", "/api/rulesets/travel-insurance/execute", "", map[string]any{"input": travelInput(t)})
	_, _, m := ts.do("GET", "/metrics", "", nil)
	for _, want := range []string{
		`kubus_http_requests_total{method="POST",route="/api/rulesets/{name}/execute",status="200"} 1`,
		`kubus_executions_total{outcome="ok",ruleset="travel-insurance",version="1.0.0"} 1`,
		`kubus_keys_refused_total{reason="missing"} 1`,
		`kubus_execution_duration_seconds_count{ruleset="travel-insurance"} 1`,
		`kubus_http_request_duration_seconds_bucket{route="/api/keys",le="0.001"} 0`,
	} {
		if !bytes.Contains(m, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
	_, _, list := ts.do("GET", "/api/rulesets", "exec", nil)
	var l struct {
		Rulesets []rulesetEntry `json:"rulesets"`
	}
	_ = json.Unmarshal(list, &l)
	if len(l.Rulesets) != 1 || l.Rulesets[0].Name != "travel-insurance" || l.Rulesets[0].Endpoints["execute"] == "" {
		t.Errorf("a key for one ruleset lists %s", list)
	}
	_, _, d := ts.do("GET", "/api/rulesets/travel-insurance", "exec", nil)
	if !bytes.Contains(d, []byte(`"TotalPremium"`)) || bytes.Contains(d, []byte(`"definition"`)) {
		t.Errorf("summary for an execute key: %s", d)
	}
	_, _, d = ts.do("GET", "/api/rulesets/travel-insurance", "admin", nil)
	if !bytes.Contains(d, []byte(`"definition"`)) {
		t.Errorf("summary for admin has no definition")
	}
}

func TestDecisionLogRedactsPII(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ruleset.yaml"), `name: pii
inputs:
  Iban: {type: string, required: true, pii: true, output: true}
  Amount: {type: number, required: true}
rules:
  Big: Amount > 1000
`)
	var log syncBuffer
	ts := newTestServer(t, []string{dir}, map[string][]string{"exec": {"execute:*"}}, func(c *Config) { c.DecisionLog = &log })
	status, _, data := ts.do("POST", "/api/rulesets/pii/execute", "exec", `{"input": {"Iban": "NL91ABNA0417164300", "Amount": 5000}}`)
	if status != 200 || !bytes.Contains(data, []byte("NL91ABNA0417164300")) {
		t.Fatalf("%d %s", status, data)
	}
	line := log.String()
	if strings.Contains(line, "NL91ABNA0417164300") || !strings.Contains(line, `"Iban":"\u003credacted\u003e"`) && !strings.Contains(line, `"Iban":"<redacted>"`) || !strings.Contains(line, `"Amount":5000`) || !strings.Contains(line, `"outcome":"ok"`) {
		t.Errorf("decision log: %s", line)
	}
	if strings.Contains(ts.logs.String(), "NL91ABNA0417164300") || strings.Contains(ts.logs.String(), "5000") {
		t.Errorf("the request log has an input value: %s", ts.logs.String())
	}
}

func TestWatchReloadsAndKeepsTheLastGoodVersion(t *testing.T) {
	dir := t.TempDir()
	yaml := "name: watched\nversion: 1.0.0\ninputs:\n  X: {type: number, required: true}\nrules:\n  Y: X + %d\n"
	writeFile(t, filepath.Join(dir, "ruleset.yaml"), fmt.Sprintf(yaml, 1))
	ts := newTestServer(t, []string{dir}, map[string][]string{"exec": {"execute:*"}}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := ts.srv.Watch(ctx); err != nil {
		t.Fatal(err)
	}
	y := func() string {
		_, _, data := ts.do("POST", "/api/rulesets/watched/execute", "exec", `{"input": {"X": 1}}`)
		return string(data)
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if ok() {
				return
			}
		}
		t.Fatalf("timed out waiting for %s", what)
	}
	writeFile(t, filepath.Join(dir, "ruleset.yaml"), fmt.Sprintf(yaml, 10))
	waitFor("the reload", func() bool { return strings.Contains(y(), `"Y":11`) })
	writeFile(t, filepath.Join(dir, "ruleset.yaml"), "name: watched\nversion: 1.0.0\nrules:\n  Y: nope +\n")
	waitFor("the failure to show", func() bool {
		status, _, _ := ts.do("GET", "/readyz", "", nil)
		return status == 503
	})
	if !strings.Contains(y(), `"Y":11`) {
		t.Errorf("the last good version is not served: %s", y())
	}
	_, _, d := ts.do("GET", "/api/rulesets/watched", "exec", nil)
	if !bytes.Contains(d, []byte(`"problems"`)) {
		t.Errorf("the summary does not show the problems: %s", d)
	}
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	ts := newTestServer(t, []string{slowRuleset(t)}, map[string][]string{"exec": {"execute:*"}}, func(c *Config) { c.Engine = slowEngine() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ts.srv.Serve(ctx, ln, ServeOptions{ShutdownTimeout: time.Minute}) }()
	url := "http://" + ln.Addr().String()
	result := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", url+"/api/rulesets/slow/execute", strings.NewReader(`{"input": {"Ms": 200}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", ts.keys["exec"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			result <- -1
			return
		}
		resp.Body.Close()
		result <- resp.StatusCode
	}()
	for len(ts.srv.inflight) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if status := <-result; status != 200 {
		t.Errorf("the in-flight request got %d", status)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("still accepting after shutdown")
	}
}

// slowEngine lets the slow ruleset run long, also under the race detector.
func slowEngine() *engine.Engine {
	return engine.New(engine.WithLimits(engine.Limits{Timeout: 30 * time.Second}))
}
