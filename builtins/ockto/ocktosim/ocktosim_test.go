package ocktosim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/builtins/ockto"
	"github.com/kubusdev/kubus/builtins/ockto/ocktosim"
)

var now = time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)

func serve(t *testing.T, extra map[string]ocktosim.Scenario, opts ocktosim.Options) (*ocktosim.Server, *ockto.Client) {
	t.Helper()
	opts.Now = func() time.Time { return now }
	sim, err := ocktosim.New(extra, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := ockto.NewClient(ockto.Config{Endpoint: srv.URL, Username: "u", Password: "secret-pw", ProviderCode: "P",
		Timeout: 2 * time.Second, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

func TestBuiltinScenarios(t *testing.T) {
	sim, _ := serve(t, nil, ocktosim.Options{})
	if got := strings.Join(sim.Scenarios(), ","); got != "flaky,happy,malformed,no-scan,refused,unresponsive" {
		t.Fatal(got)
	}
	for _, name := range sim.Scenarios() {
		if sim.Describe(name) == "" {
			t.Errorf("%s has no description", name)
		}
	}
	// The fixtures are deterministic for a given clock.
	a, b := ocktosim.Builtin(now), ocktosim.Builtin(now.Add(3*time.Hour))
	if string(a["happy"].Result) != string(b["happy"].Result) {
		t.Fatal("the happy ODM differs within one day")
	}
}

func TestScenarioFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "scenarios.yaml")
	const file = `
slow-scan:
  base: happy
  description: Data after three polls.
  statuses: [created, created, scanned, dataAvailable]
  qrCode: "https://qr.example/{testCaseId}/{sessionId}"
timed:
  statuses: [created, scanned, dataAvailable]
  stepEvery: 1m
  result: {person: {surname: Jansen}, income: {employers: []}}
  consents:
    - {consentId: c-9, consentStatus: VALID, validUntil: "2026-01-01"}
    - {consentId: c-10, consentStatus: VALID, validUntil: "2027-01-01"}
refused:
  base: no-scan
`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	extra, err := ocktosim.LoadScenarios(path)
	if err != nil {
		t.Fatal(err)
	}
	sim, c := serve(t, extra, ocktosim.Options{ConsentsScenario: "timed"})
	ctx := context.Background()

	resp, err := c.StartSession(ctx, ockto.StartRequest{SessionID: "a/b", TestCaseID: "slow-scan", ConsentCode: "001"})
	if err != nil || resp.QRCode != "https://qr.example/slow-scan/a/b" {
		t.Fatalf("%+v %v", resp, err)
	}
	var seen []string
	for range 3 {
		s, err := c.GetStatus(ctx, "a/b")
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, s)
	}
	if strings.Join(seen, ",") != "created,scanned,dataAvailable" {
		t.Fatal(seen)
	}
	if _, err := c.GetResult(ctx, "a/b"); err != nil {
		t.Fatal(err) // the ODM comes from the base
	}
	if s, _ := sim.Session("a/b"); s.Polls != 3 || s.Scenario != "slow-scan" {
		t.Fatalf("%+v", s)
	}

	// "refused" was replaced: it now behaves like no-scan.
	if _, err := c.StartSession(ctx, ockto.StartRequest{SessionID: "d", TestCaseID: "refused", ConsentCode: "001"}); err != nil {
		t.Fatal(err)
	}
	s1, _ := c.GetStatus(ctx, "d")
	s2, _ := c.GetStatus(ctx, "d")
	if s1+","+s2 != "created,created" {
		t.Fatal(s1, s2)
	}

	// Time-driven statuses, and consents classified against the simulator clock.
	if _, err := c.StartSession(ctx, ockto.StartRequest{SessionID: "t", TestCaseID: "timed", ConsentCode: "001"}); err != nil {
		t.Fatal(err)
	}
	if s, _ := c.GetStatus(ctx, "t"); s != "created" {
		t.Fatal(s)
	}
	now = now.Add(90 * time.Second)
	defer func() { now = now.Add(-90 * time.Second) }()
	if s, _ := c.GetStatus(ctx, "t"); s != "scanned" {
		t.Fatal(s)
	}
	active, _ := c.Consents(ctx, ockto.ConsentQuery{Active: true})
	old, _ := c.Consents(ctx, ockto.ConsentQuery{Historical: true})
	if len(active) != 1 || !strings.Contains(string(active[0]), "c-10") || len(old) != 1 || !strings.Contains(string(old[0]), "c-9") {
		t.Fatalf("active %s, historical %s", active, old)
	}
}

func TestScenarioErrors(t *testing.T) {
	dir := t.TempDir()
	for file, want := range map[string]string{
		"x: [1, 2]":                       "a mapping of testCaseId to scenario",
		"x: {statuses: [a], colour: red}": "unknown field",
		"x: {statuses: [a]\n":             "yaml",
		"{1: {statuses: [a]}}":            "",
	} {
		path := filepath.Join(dir, "s.yaml")
		_ = os.WriteFile(path, []byte(file), 0o600)
		_, err := ocktosim.LoadScenarios(path)
		if want == "" {
			continue // numeric keys become strings in JSON: accepted
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", file, err, want)
		}
	}
	for name, sc := range map[string]ocktosim.Scenario{
		"no statuses": {},
		"bad base":    {Base: "nope"},
		"bad step":    {Statuses: []string{"a"}, StepEvery: "soon"},
		"bad kind":    {Statuses: []string{"a"}, Hang: []string{"everything"}},
		"bad result":  {Statuses: []string{"a"}, Result: json.RawMessage(`{`)},
		"bad start":   {Statuses: []string{"a"}, StartError: &ocktosim.Failure{Status: 200}},
		"cycle":       {Base: "cycle"},
	} {
		if _, err := ocktosim.New(map[string]ocktosim.Scenario{name: sc}, ocktosim.Options{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestProtocol checks the raw HTTP answers (what a partner-doc alignment would compare).
func TestProtocol(t *testing.T) {
	sim, err := ocktosim.New(nil, ocktosim.Options{Now: func() time.Time { return now }, Username: "u", Password: "p", ProviderCode: "P"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	do := func(req *http.Request) (int, map[string]any) {
		t.Helper()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: %s is not a JSON object", req.Method, req.URL, b)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("content type %q", ct)
		}
		return resp.StatusCode, m
	}
	tokenReq := func(user, pass, code string) *http.Request {
		r, _ := http.NewRequest("POST", srv.URL+"/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "provider_code": {code}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetBasicAuth(user, pass)
		return r
	}
	if st, m := do(tokenReq("u", "wrong", "P")); st != 401 || m["error"] != "invalidClient" {
		t.Fatal(st, m)
	}
	if st, m := do(tokenReq("u", "p", "Q")); st != 403 {
		t.Fatal(st, m)
	}
	st, m := do(tokenReq("u", "p", "P"))
	tok, _ := m["access_token"].(string)
	if st != 200 || tok == "" || m["expires_in"] != 3600.0 || m["token_type"] != "Bearer" {
		t.Fatal(st, m)
	}
	authed := func(method, path, body string) *http.Request {
		r, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+tok)
		return r
	}
	r, _ := http.NewRequest("GET", srv.URL+"/sessions/x/status", nil)
	if st, _ := do(r); st != 401 {
		t.Fatal("no token:", st)
	}
	if st, m := do(authed("POST", "/sessions", `{"sessionId":"p1","consentCode":"001"}`)); st != 201 || m["qrCode"] == "" || m["sessionId"] != "p1" {
		t.Fatal(st, m)
	}
	if st, m := do(authed("POST", "/sessions", `{"sessionId":"p1","consentCode":"001"}`)); st != 409 || m["error"] != "sessionExists" {
		t.Fatal(st, m)
	}
	if st, m := do(authed("POST", "/sessions", `{"sessionId":"p2"}`)); st != 400 {
		t.Fatal(st, m)
	}
	if st, m := do(authed("GET", "/sessions/p1/status", "")); st != 200 || m["status"] != "scanned" {
		t.Fatal(st, m)
	}
	if st, m := do(authed("GET", "/ais/consents?active=true&historical=true&open=true", "")); st != 200 ||
		len(m["data"].([]any)) != 3 || m["pagination"].(map[string]any)["totalItems"] != 3.0 {
		t.Fatal(st, m)
	}
	if st, _ := do(authed("GET", "/ais/consents?active=maybe", "")); st != 400 {
		t.Fatal(st)
	}
}
