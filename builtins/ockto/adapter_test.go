package ockto

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubusdev/kubus/builtins/ockto/ocktosim"
)

// simNow is the simulator's clock in tests: the fixtures are dated from it.
var simNow = time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)

const (
	testUser     = "kubus-test"
	testPassword = "Pa55-w0rd-very-secret"
	testProvider = "KUB01"
)

// newSim serves the simulator (built-in scenarios plus extra) on a real local port.
func newSim(t testing.TB, extra map[string]ocktosim.Scenario, opts ocktosim.Options) (*ocktosim.Server, *httptest.Server) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return simNow }
	}
	if opts.Username == "" {
		opts.Username, opts.Password, opts.ProviderCode = testUser, testPassword, testProvider
	}
	sim, err := ocktosim.New(extra, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv
}

func testConfig(endpoint string) Config {
	return Config{Endpoint: endpoint, Username: testUser, Password: testPassword, ProviderCode: testProvider,
		Timeout: 2 * time.Second, Retries: 2, ConsentCodes: DefaultConsentCodes()}
}

func newTestClient(t testing.TB, cfg Config) *Client {
	t.Helper()
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ockErr asserts err is an *Error of the given kind.
func ockErr(t testing.TB, err error, kind string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *ockto.Error of kind %s", err, err, kind)
	}
	if e.Kind != kind {
		t.Fatalf("error kind %s (%v), want %s", e.Kind, e, kind)
	}
	return e
}

func start(t testing.TB, c *Client, id, testCase string) StartResponse {
	t.Helper()
	resp, err := c.StartSession(context.Background(), StartRequest{SessionID: id, TestCaseID: testCase, ConsentCode: "001"})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func statuses(t testing.TB, c *Client, id string, n int) []string {
	t.Helper()
	var out []string
	for range n {
		s, err := c.GetStatus(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestClientHappy(t *testing.T) {
	sim, srv := newSim(t, nil, ocktosim.Options{})
	c := newTestClient(t, testConfig(srv.URL))
	ctx := context.Background()

	resp, err := c.StartSession(ctx, StartRequest{SessionID: "s-1", ConsentCode: "001", RequestDocuments: []string{"UPO", "PSD2"},
		PSD2InfoIncluded: true, PSD2AmountOfMonths: 12, ODMVersion: "v3_2"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "ockto-sim://session?testCaseId=happy&sessionId=s-1"; resp.SessionID != "s-1" || resp.QRCode != want {
		t.Fatalf("start = %+v, want s-1 and %s", resp, want)
	}
	got, _ := sim.Session("s-1")
	if got.Scenario != "happy" || got.Request["psd2AmountOfMonths"] != 12.0 || got.Request["consentCode"] != "001" {
		t.Fatalf("the simulator received %+v", got)
	}

	// The result is not there before the data is.
	_, err = c.GetResult(ctx, "s-1")
	if e := ockErr(t, err, KindHTTP); e.Status != 409 || e.Body.(map[string]any)["error"] != "resultNotAvailable" {
		t.Fatalf("early result: %+v", e)
	}

	if got, want := strings.Join(statuses(t, c, "s-1", 3), ","), "scanned,dataAvailable,dataAvailable"; got != want {
		t.Fatalf("statuses %s, want %s", got, want)
	}
	raw, err := c.GetResult(ctx, "s-1")
	if err != nil {
		t.Fatal(err)
	}
	var odm struct {
		Person struct{ Surname string }
		Income struct {
			Employers []struct {
				Name               string
				MonthlyGrossSalary float64
				StartDate          string
			}
		}
		Pension struct {
			UPO struct{ Accrued, Projected map[string]float64 } `json:"upo"`
		}
		UWV struct {
			EmploymentHistory []map[string]any
		} `json:"uwv"`
		PSD2 struct {
			Accounts []struct {
				Transactions []struct {
					BookingDate string
					Amount      float64
					Category    string
				}
			}
		} `json:"psd2"`
	}
	if err := json.Unmarshal(raw, &odm); err != nil {
		t.Fatal(err)
	}
	if len(odm.Income.Employers) != 2 || odm.Income.Employers[1].MonthlyGrossSalary != 1280.50 || odm.Income.Employers[0].StartDate != "2015-03-01" {
		t.Fatalf("employers %+v", odm.Income.Employers)
	}
	if odm.Pension.UPO.Accrued["oldAgePensionYearly"] == 0 || odm.Pension.UPO.Projected["oldAgePensionYearly"] <= odm.Pension.UPO.Accrued["oldAgePensionYearly"] {
		t.Fatalf("UPO %+v", odm.Pension.UPO)
	}
	if len(odm.UWV.EmploymentHistory) != 3 || odm.Person.Surname != "Vries" {
		t.Fatalf("UWV %+v, person %+v", odm.UWV, odm.Person)
	}
	months, salaries := map[string]bool{}, 0
	for _, tx := range odm.PSD2.Accounts[0].Transactions {
		months[tx.BookingDate[:7]] = true
		if tx.Category == "salary" && tx.Amount > 0 {
			salaries++
		}
	}
	if len(months) != 12 || salaries != 24 {
		t.Fatalf("PSD2: %d months, %d salary credits; want 12 and 24", len(months), salaries)
	}

	ids := func(q ConsentQuery) string {
		list, err := c.Consents(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range list {
			var rec struct{ ConsentID string }
			if err := json.Unmarshal(r, &rec); err != nil {
				t.Fatal(err)
			}
			out = append(out, rec.ConsentID)
		}
		return strings.Join(out, ",")
	}
	for q, want := range map[ConsentQuery]string{
		{Active: true}:     "cns-0001",
		{Open: true}:       "cns-0002",
		{Historical: true}: "cns-0000",
		{Active: true, Open: true, Historical: true}: "cns-0001,cns-0002,cns-0000",
		{}: "",
	} {
		if got := ids(q); got != want {
			t.Errorf("consents %+v = %q, want %q", q, got, want)
		}
	}
	if n := sim.Requests(ocktosim.KindToken); n != 1 {
		t.Errorf("%d token requests, want 1 (cached)", n)
	}
}

func TestClientConsentsPaged(t *testing.T) {
	sim, srv := newSim(t, nil, ocktosim.Options{PageSize: 1})
	c := newTestClient(t, testConfig(srv.URL))
	list, err := c.Consents(context.Background(), ConsentQuery{Active: true, Open: true, Historical: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || sim.Requests(ocktosim.KindConsents) != 3 {
		t.Fatalf("%d consents in %d requests, want 3 in 3 pages", len(list), sim.Requests(ocktosim.KindConsents))
	}
}

func TestClientScenarios(t *testing.T) {
	_, srv := newSim(t, nil, ocktosim.Options{})
	c := newTestClient(t, testConfig(srv.URL))
	for _, tc := range []struct {
		scenario, want string
	}{
		{"happy", "scanned,dataAvailable,dataAvailable,dataAvailable"},
		{"no-scan", "created,created,expired,expired"},
		{"refused", "scanned,refused,refused,refused"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			id := "sc-" + tc.scenario
			resp := start(t, c, id, tc.scenario)
			if !strings.Contains(resp.QRCode, "testCaseId="+tc.scenario) {
				t.Fatalf("qr %q", resp.QRCode)
			}
			if got := strings.Join(statuses(t, c, id, 4), ","); got != tc.want {
				t.Fatalf("statuses %s, want %s", got, tc.want)
			}
			_, err := c.GetResult(context.Background(), id)
			if tc.scenario == "happy" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e := ockErr(t, err, KindHTTP)
			if e.Status != http.StatusConflict || !strings.Contains(e.Msg, "HTTP 409") {
				t.Fatalf("result of %s: %v", tc.scenario, e)
			}
		})
	}

	// An unknown test case and an unknown session are 4xx errors with the provider's body, not retried.
	_, err := c.StartSession(context.Background(), StartRequest{SessionID: "x", TestCaseID: "nope", ConsentCode: "001"})
	e := ockErr(t, err, KindHTTP)
	if body, _ := e.Body.(map[string]any); e.Status != 400 || body["error"] != "unknownTestCase" {
		t.Fatalf("unknown test case: %+v", e)
	}
	_, err = c.GetStatus(context.Background(), "never-started")
	if e := ockErr(t, err, KindHTTP); e.Status != 404 || e.Attempts != 1 {
		t.Fatalf("unknown session: %+v (attempts %d)", e, e.Attempts)
	}
}

func TestClientFlaky(t *testing.T) {
	sim, srv := newSim(t, nil, ocktosim.Options{SlowDelay: 5 * time.Second, ConsentsScenario: "flaky"})
	cfg := testConfig(srv.URL)
	cfg.Timeout = 300 * time.Millisecond
	c := newTestClient(t, cfg)
	ctx := context.Background()
	start(t, c, "f-1", "flaky")

	began := time.Now()
	// Each read: a 500, then an answer slower than the timeout, then the real answer.
	if got := strings.Join(statuses(t, c, "f-1", 2), ","); got != "scanned,dataAvailable" {
		t.Fatalf("statuses %s", got)
	}
	if _, err := c.GetResult(ctx, "f-1"); err != nil {
		t.Fatal(err)
	}
	list, err := c.Consents(ctx, ConsentQuery{Active: true})
	if err != nil || len(list) != 1 {
		t.Fatalf("consents %d, %v", len(list), err)
	}
	if d := time.Since(began); d > 4*time.Second {
		t.Fatalf("took %s: slow answers must be cut off by the 300ms timeout", d)
	}
	for kind, want := range map[string]int{ocktosim.KindStatus: 4, ocktosim.KindResult: 3, ocktosim.KindConsents: 3} {
		if n := sim.Requests(kind); n != want {
			t.Errorf("%s: %d requests, want %d", kind, n, want)
		}
	}

	// Without retries the first 500 is the answer, with the provider's body in the error.
	cfg.Retries = 0
	c0 := newTestClient(t, cfg)
	start(t, c0, "f-2", "flaky")
	_, err = c0.GetStatus(ctx, "f-2")
	e := ockErr(t, err, KindHTTP)
	if body, _ := e.Body.(map[string]any); e.Status != 500 || body["error"] != "internalError" || !strings.Contains(e.Error(), "simulated outage") {
		t.Fatalf("flaky without retries: %+v", e)
	}
	// The second request is the slow one: a timeout.
	_, err = c0.GetStatus(ctx, "f-2")
	if e := ockErr(t, err, KindTimeout); !strings.Contains(e.Error(), "did not answer within 300ms") || e.Details()["status"] != nil {
		t.Fatalf("slow answer: %v %v", e, e.Details())
	}
}

func TestClientStartNotRetried(t *testing.T) {
	sim, srv := newSim(t, map[string]ocktosim.Scenario{
		"down": {Base: "happy", StartError: &ocktosim.Failure{Status: 503, Body: json.RawMessage(`{"error":"maintenance","message":"back at 10:00"}`)}},
	}, ocktosim.Options{})
	c := newTestClient(t, testConfig(srv.URL))
	_, err := c.StartSession(context.Background(), StartRequest{SessionID: "d", TestCaseID: "down", ConsentCode: "001"})
	e := ockErr(t, err, KindHTTP)
	if body, _ := e.Body.(map[string]any); e.Status != 503 || body["message"] != "back at 10:00" {
		t.Fatalf("%+v", e)
	}
	if n := sim.Requests(ocktosim.KindStart); n != 1 {
		t.Fatalf("startSession sent %d times, want 1: a 503 may have started a session", n)
	}

	// A start that times out is not retried either.
	var starts atomic.Int32
	hang := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/sessions" {
			starts.Add(1)
			_, _ = io.Copy(io.Discard, r.Body) // net/http notices a disconnect only once the body is read
			<-r.Context().Done()
			return
		}
		sim.ServeHTTP(w, r)
	})
	srv2 := httptest.NewServer(hang)
	defer srv2.Close()
	cfg := testConfig(srv2.URL)
	cfg.Timeout = 200 * time.Millisecond
	_, err = newTestClient(t, cfg).StartSession(context.Background(), StartRequest{SessionID: "h", ConsentCode: "001"})
	ockErr(t, err, KindTimeout)
	if n := starts.Load(); n != 1 {
		t.Fatalf("a timed-out startSession was sent %d times, want 1", n)
	}
}

func TestClientMalformed(t *testing.T) {
	sim, srv := newSim(t, nil, ocktosim.Options{})
	c := newTestClient(t, testConfig(srv.URL))
	ctx := context.Background()
	start(t, c, "m", "malformed")
	_, err := c.GetStatus(ctx, "m")
	if e := ockErr(t, err, KindMalformed); !strings.Contains(e.Error(), "malformed JSON") || e.Status != 200 {
		t.Fatalf("%v", e)
	}
	_, err = c.GetResult(ctx, "m")
	ockErr(t, err, KindMalformed)
	_, err = c.Consents(ctx, ConsentQuery{Active: true})
	ockErr(t, err, KindMalformed)
	for _, k := range []string{ocktosim.KindStatus, ocktosim.KindResult, ocktosim.KindConsents} {
		if n := sim.Requests(k); n != 1 {
			t.Errorf("%s: %d requests, want 1 (malformed answers are not retried)", k, n)
		}
	}

	// Valid JSON of the wrong shape is malformed too.
	odd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token":
			fmt.Fprint(w, `{"access_token":"t0k3n-abc","expires_in":60}`)
		case "/sessions":
			fmt.Fprint(w, `{"sessionId":"x"}`)
		case "/ais/consents":
			fmt.Fprint(w, `{"items":[]}`)
		default:
			fmt.Fprint(w, `{"state":"scanned"}`)
		}
	}))
	defer odd.Close()
	c2 := newTestClient(t, testConfig(odd.URL))
	_, err = c2.StartSession(ctx, StartRequest{SessionID: "x", ConsentCode: "001"})
	if e := ockErr(t, err, KindMalformed); !strings.Contains(e.Error(), "without sessionId and qrCode") {
		t.Fatal(e)
	}
	_, err = c2.GetStatus(ctx, "x")
	ockErr(t, err, KindMalformed)
	_, err = c2.Consents(ctx, ConsentQuery{})
	ockErr(t, err, KindMalformed)
}

// TestClientNeverAnswers: a provider that accepts connections and never answers.
func TestClientNeverAnswers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	done := make(chan struct{})
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
			close(done)
		}()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conns = append(conns, conn)
			go func() { _, _ = io.Copy(io.Discard, conn) }() // read, never write
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done })

	cfg := testConfig("http://" + ln.Addr().String())
	cfg.Timeout = 200 * time.Millisecond
	cfg.Retries = 1
	c := newTestClient(t, cfg)
	began := time.Now()
	_, err = c.GetStatus(context.Background(), "s")
	took := time.Since(began)
	e := ockErr(t, err, KindTimeout)
	if !strings.Contains(e.Error(), "Ockto did not answer within 200ms (2 attempts)") || e.Op != "token" {
		t.Fatalf("%q (op %s)", e.Error(), e.Op)
	}
	if took > 2*time.Second {
		t.Fatalf("gave up after %s; want about 2 × 200ms plus a backoff", took)
	}
	if n := accepted.Load(); n != 2 {
		t.Fatalf("%d connections, want 2 (one retry)", n)
	}

	// The same through the simulator: authentication works, the status never comes.
	sim, srv := newSim(t, nil, ocktosim.Options{})
	cfg = testConfig(srv.URL)
	cfg.Timeout = 200 * time.Millisecond
	c = newTestClient(t, cfg)
	start(t, c, "u", "unresponsive")
	_, err = c.GetStatus(context.Background(), "u")
	if e := ockErr(t, err, KindTimeout); e.Op != "getStatus" || e.Attempts != 3 || sim.Requests(ocktosim.KindStatus) != 3 {
		t.Fatalf("%v: op %s, %d attempts, %d requests", e, e.Op, e.Attempts, sim.Requests(ocktosim.KindStatus))
	}

	// The execution's context ending stops the wait at once, without retries.
	cfg.Timeout = 5 * time.Second
	c = newTestClient(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	began = time.Now()
	_, err = c.GetResult(ctx, "u")
	ockErr(t, err, KindCanceled)
	if d := time.Since(began); d > 2*time.Second {
		t.Fatalf("cancellation took %s", d)
	}
}

func TestClientUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	cfg := testConfig("http://" + addr)
	cfg.Retries = 1
	_, err = newTestClient(t, cfg).StartSession(context.Background(), StartRequest{SessionID: "s", ConsentCode: "001"})
	if e := ockErr(t, err, KindUnreachable); !strings.Contains(e.Error(), "cannot reach Ockto at http://"+addr) || !strings.Contains(e.Error(), "refused") {
		t.Fatal(e)
	}
}

func TestClientToken(t *testing.T) {
	sim, srv := newSim(t, nil, ocktosim.Options{TokenTTL: time.Hour})
	c := newTestClient(t, testConfig(srv.URL))
	now := time.Now()
	c.now = func() time.Time { return now }
	start(t, c, "t", "happy")
	statuses(t, c, "t", 3)
	if n := sim.Requests(ocktosim.KindToken); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
	// Shortly before expiry (30s, or a tenth of a short lifetime) the token is renewed.
	now = now.Add(59*time.Minute + 29*time.Second)
	statuses(t, c, "t", 1)
	if n := sim.Requests(ocktosim.KindToken); n != 1 {
		t.Fatalf("%d token requests 31s before expiry, want 1", n)
	}
	now = now.Add(2 * time.Second)
	statuses(t, c, "t", 1)
	if n := sim.Requests(ocktosim.KindToken); n != 2 {
		t.Fatalf("%d token requests after expiry, want 2", n)
	}
	// A token the provider no longer accepts (401) is replaced and the call sent once more.
	sim.RevokeTokens()
	if s := statuses(t, c, "t", 1); s[0] != "dataAvailable" {
		t.Fatal(s)
	}
	if n := sim.Requests(ocktosim.KindToken); n != 3 {
		t.Fatalf("%d token requests after a 401, want 3", n)
	}

	// Wrong credentials: a clear authentication error, without the password.
	cfg := testConfig(srv.URL)
	cfg.Password = "wrong-password-123"
	_, err := newTestClient(t, cfg).GetStatus(context.Background(), "t")
	e := ockErr(t, err, KindHTTP)
	if e.Status != 401 || e.Op != "token" || !strings.HasPrefix(e.Error(), "authentication failed: Ockto answered HTTP 401") || strings.Contains(e.Error(), cfg.Password) {
		t.Fatal(e)
	}
}

// TestClientSecrets: a provider that echoes everything it got must not make a secret visible.
func TestClientSecrets(t *testing.T) {
	const token = "tok-SECRET-4711-abcdef"
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/token" && r.URL.Query().Get("fail") == "" {
			fmt.Fprintf(w, `{"access_token":%q,"expires_in":3600}`, token)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": "echo", "authorization": r.Header.Get("Authorization"), "body": string(body),
			"nested": []any{map[string]any{"auth": r.Header.Get("Authorization")}}})
	}))
	defer echo.Close()
	cfg := testConfig(echo.URL)
	c := newTestClient(t, cfg)
	basic := base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPassword))

	check := func(what string, err error) {
		t.Helper()
		e := ockErr(t, err, KindHTTP)
		details, _ := json.Marshal(e.Details())
		text := strings.Join([]string{e.Error(), fmt.Sprintf("%v %+v", err, err), string(details), fmt.Sprint(e.Err)}, "\n")
		for _, secret := range []string{testPassword, token, basic} {
			if strings.Contains(text, secret) {
				t.Errorf("%s: secret %q visible in:\n%s", what, secret, text)
			}
		}
		if !strings.Contains(string(details), "[redacted]") {
			t.Errorf("%s: details %s, want the echoed secret redacted", what, details)
		}
	}
	_, err := c.GetStatus(context.Background(), "x")
	check("status", err)
	_, err = c.StartSession(context.Background(), StartRequest{SessionID: "x", ConsentCode: "001", OcktoType: testPassword})
	check("start", err)

	// The token request itself failing with an echo of the basic credentials.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, "bad credentials %s", r.Header.Get("Authorization"))
	}))
	defer bad.Close()
	_, err = newTestClient(t, testConfig(bad.URL)).GetStatus(context.Background(), "x")
	e := ockErr(t, err, KindHTTP)
	if strings.Contains(e.Error(), basic) || strings.Contains(fmt.Sprint(e.Body), basic) {
		t.Fatalf("basic credentials visible: %v / %v", e, e.Body)
	}

	// The configuration prints without its password, however it is formatted.
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg), cfg.LogValue().String()} {
		if strings.Contains(s, testPassword) || !strings.Contains(s, "[redacted]") {
			t.Fatalf("config printed as %s", s)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	full := []string{EnvEndpoint, "https://ockto.example/api/", EnvUsername, "u", EnvPassword, "p w", EnvProviderCode, "P1"}

	c, err := LoadConfig(nil)
	if err != nil || c.Configured() || c.Timeout != DefaultTimeout || c.Retries != DefaultRetries || c.ConsentCodes["Algemeen"] != "001" {
		t.Fatalf("no environment: %v, %v", c, err)
	}
	if _, err := NewClient(c); !errors.Is(err, ErrNotConfigured) || !strings.Contains(err.Error(), "Ockto is not configured (set KUBUS_OCKTO_ENDPOINT") {
		t.Fatalf("NewClient unconfigured: %v", err)
	}
	c, err = LoadConfig(env(append(full, EnvTimeout, "1.5", EnvRetries, "0", EnvConsentCodes, `{"Algemeen":"001","Hypotheek":"007"}`)...))
	if err != nil || c.Endpoint != "https://ockto.example/api" || c.Password != "p w" || c.Timeout != 1500*time.Millisecond ||
		c.Retries != 0 || c.ConsentCodes["Hypotheek"] != "007" {
		t.Fatalf("full: %v, %v", c, err)
	}
	if c, err = LoadConfig(env(append(full, EnvTimeout, "750ms")...)); err != nil || c.Timeout != 750*time.Millisecond {
		t.Fatalf("750ms: %v %v", c.Timeout, err)
	}
	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{[]string{EnvTimeout, "soon"}, EnvTimeout},
		{[]string{EnvTimeout, "-1s"}, EnvTimeout},
		{[]string{EnvRetries, "11"}, EnvRetries},
		{[]string{EnvRetries, "two"}, EnvRetries},
		{[]string{EnvConsentCodes, `["001"]`}, EnvConsentCodes},
		{[]string{EnvConsentCodes, `{}`}, EnvConsentCodes},
		{[]string{EnvConsentCodes, `{"Algemeen":""}`}, EnvConsentCodes},
		{[]string{EnvEndpoint, "ftp://x"}, "http(s) URL"},
		{[]string{EnvEndpoint, "https://user:" + testPassword + "@ockto.example"}, "must not contain credentials"},
		{[]string{EnvUsername, ""}, "KUBUS_OCKTO_USERNAME is not"},
		{[]string{EnvPassword, ""}, "KUBUS_OCKTO_PASSWORD is not"},
		{[]string{EnvCert, "/x.pem"}, "needs both"},
	} {
		_, err := LoadConfig(env(append(append([]string{}, full...), tc.kv...)...))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), testPassword) {
			t.Errorf("%v: error %v, want one mentioning %s", tc.kv, err, tc.want)
		}
	}

	// A certificate that cannot be loaded is a clear configuration error.
	c, _ = LoadConfig(env(full...))
	c.CertFile, c.KeyFile = "/nonexistent/cert.pem", "/nonexistent/key.pem"
	if _, err := NewClient(c); err == nil || !strings.Contains(err.Error(), "cannot load the client certificate") {
		t.Fatalf("bad certificate: %v", err)
	}
}
