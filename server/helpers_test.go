package server_test

// Helpers of the data-route tests (entities, consents, data debits, alerts, audit): a real server
// on 127.0.0.1 (httptest.NewServer over Server.Handler) with a real bbolt store in the test's temp
// folder, and keys made in the store before the server starts. The names are the data tests' own,
// so that they do not meet the helpers of the package's other tests.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/server"
	"github.com/kubusdev/kubus/store"
)

// dataNow is the data tests' server clock (keys, entity times, consents, data debits).
var dataNow = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

// dataKeys are the keys every data test server has: name → scopes.
var dataKeys = map[string][]string{
	"admin":       {"admin"},
	"people":      {"entities:people-register", "execute:people-register"},
	"people-read": {"entities:people-register:read"},
	"counter":     {"entities:counter", "execute:counter"},
	"any":         {"entities:*", "execute:*"},
	"consents":    {"consents", "execute:consent-check"},
	"datadebits":  {"datadebits", "execute:consent-check"},
	"nothing":     {"documents"},
	"clock":       {"execute:*", "clock"}, // may set options.now: executions on the test clock
}

// dataServer is a running server with its store and keys.
type dataServer struct {
	t      testing.TB
	srv    *server.Server
	st     *store.Bolt
	url    string
	client *http.Client
	keys   map[string]string // name → secret
	now    time.Time
}

// newDataTestServer serves dirs (relative to the server folder) over a fresh store; mod may change
// the configuration before the server is made.
func newDataTestServer(t testing.TB, dirs []string, mod func(*server.Config)) *dataServer {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "kubus.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	d := &dataServer{t: t, st: st, keys: map[string]string{}, now: dataNow}
	for name, scopes := range dataKeys {
		k, secret, err := server.NewKey(name, scopes, time.Time{}, dataNow.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := st.PutKey(k); err != nil {
			t.Fatal(err)
		}
		d.keys[name] = secret
	}
	cfg := server.Config{Engine: engine.New(), Store: st, Dirs: dirs,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Now:    func() time.Time { return dataNow }}
	if mod != nil {
		mod(&cfg)
	}
	if d.srv, err = server.New(cfg); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(d.srv.Handler())
	t.Cleanup(hs.Close)
	d.url, d.client = hs.URL, hs.Client()
	return d
}

// dataResp is an answer.
type dataResp struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request with the named key ("" none). body: nil, a string or []byte sent as it is,
// else JSON-encoded; headers are name, value pairs (Content-Type defaults to application/json
// when there is a body; an empty value removes a header).
func (d *dataServer) do(method, path, key string, body any, headers ...string) dataResp {
	d.t.Helper()
	r, err := d.send(method, path, key, body, headers...)
	if err != nil {
		d.t.Fatal(err)
	}
	return r
}

// send is do for goroutines: it reports a failure to send instead of failing the test.
func (d *dataServer) send(method, path, key string, body any, headers ...string) (dataResp, error) {
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
			return dataResp{}, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, d.url+path, rd)
	if err != nil {
		return dataResp{}, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		secret, ok := d.keys[key]
		if !ok {
			return dataResp{}, fmt.Errorf("no test key %q", key)
		}
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return dataResp{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return dataResp{}, fmt.Errorf("%s %s: reading the body: %w", method, path, err)
	}
	return dataResp{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// want fails the test unless the answer has the status; it returns the answer for chaining.
func (r dataResp) want(t testing.TB, status int) dataResp {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}

// obj decodes a JSON object body.
func (r dataResp) obj(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil || m == nil {
		t.Fatalf("not a JSON object (%v): %s", err, r.Body)
	}
	return m
}

// arr decodes a JSON array body.
func (r dataResp) arr(t testing.TB) []any {
	t.Helper()
	var a []any
	if err := json.Unmarshal(r.Body, &a); err != nil || a == nil {
		t.Fatalf("not a JSON array (%v): %s", err, r.Body)
	}
	return a
}

// problem decodes an RFC 9457 problem body and checks its shape.
func (r dataResp) problem(t testing.TB) server.Problem {
	t.Helper()
	var p server.Problem
	if err := json.Unmarshal(r.Body, &p); err != nil || p.Type == "" || p.Status != r.Status || p.Title == "" {
		t.Fatalf("not a problem body of status %d: %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("problem with Content-Type %q", ct)
	}
	return p
}

// execute runs a ruleset through the server and returns its output (status 200 required).
func (d *dataServer) execute(t testing.TB, ruleset, key string, input map[string]any) map[string]any {
	t.Helper()
	res := d.do("POST", "/api/rulesets/"+ruleset+"/execute", key, map[string]any{"input": input}).want(t, http.StatusOK).obj(t)
	out, _ := res["output"].(map[string]any)
	return out
}

// executeAt runs a ruleset with options.now at the test clock (key "clock"), so that its writes
// carry the same times as the data routes'.
func (d *dataServer) executeAt(t testing.TB, ruleset string, input map[string]any) map[string]any {
	t.Helper()
	res := d.do("POST", "/api/rulesets/"+ruleset+"/execute", "clock", map[string]any{"input": input,
		"options": map[string]any{"now": d.now.Format(time.RFC3339Nano)}}).want(t, http.StatusOK).obj(t)
	out, _ := res["output"].(map[string]any)
	return out
}

// auditEvents lists the audit trail through GET /api/audit with a query ("user=u1").
func (d *dataServer) auditEvents(t testing.TB, query string) []map[string]any {
	t.Helper()
	body := d.do("GET", "/api/audit?"+query, "admin", nil).want(t, http.StatusOK).obj(t)
	list, _ := body["events"].([]any)
	out := make([]map[string]any, len(list))
	for i, e := range list {
		out[i], _ = e.(map[string]any)
	}
	return out
}

// jsonStr reads a string at a path of keys in a decoded JSON value ("" when absent).
func jsonStr(v any, path ...string) string {
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	s, _ := v.(string)
	return s
}
