// Package ocktosim is an Ockto simulator: a real HTTP server that speaks the mapping of
// builtins/ockto/adapter.go (token, sessions, status, result, AIS consents), driven by scenarios
// keyed by startSession's testCaseId. The runner serves it as `kubus ockto-sim`; tests serve it
// with httptest.NewServer(ocktosim.New(...)).
//
// A session's status follows its scenario's Statuses: it is Statuses[0] when the session starts
// and each answered status poll moves one step on (poll k answers Statuses[min(k, len-1)]), or,
// with StepEvery, one step per StepEvery of elapsed time. The result is available once the status
// is "dataAvailable" (409 before). Consents are those of Options.ConsentsScenario, else of the
// scenario of the most recently started session, else of the default scenario, filtered by the
// query (Options.Scenario is the default scenario): open = consentStatus RECEIVED; active = VALID with validUntil not passed; historical =
// anything else.
package ocktosim

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// Kinds of request, for Scenario.Malformed/Hang and Server.Requests.
const (
	KindToken    = "token"
	KindStart    = "start"
	KindStatus   = "status"
	KindResult   = "result"
	KindConsents = "consents"
)

// DefaultScenario is used when startSession has no testCaseId.
const DefaultScenario = "happy"

// Scenario is how the simulated Ockto behaves for one testCaseId. In a scenarios file (YAML or
// JSON) the keys are the JSON names; Base names a scenario to start from (built-in or from the
// same file): fields that are empty or false take the base's values.
type Scenario struct {
	Base        string            `json:"base,omitempty"`
	Description string            `json:"description,omitempty"`
	Statuses    []string          `json:"statuses,omitempty"`
	StepEvery   string            `json:"stepEvery,omitempty"` // a Go duration: advance by time, not per poll
	QRCode      string            `json:"qrCode,omitempty"`    // template: {sessionId} and {testCaseId} are replaced
	Result      json.RawMessage   `json:"result,omitempty"`    // the ODM document
	Consents    []json.RawMessage `json:"consents,omitempty"`  // AIS consent records
	Flaky       bool              `json:"flaky,omitempty"`
	StartError  *Failure          `json:"startError,omitempty"` // startSession answers this instead
	Malformed   []string          `json:"malformed,omitempty"`  // kinds that answer 200 with malformed JSON
	Hang        []string          `json:"hang,omitempty"`       // kinds that never answer
}

// Failure is an error answer.
type Failure struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body,omitempty"`
}

// Options tune the simulator. The zero value works.
type Options struct {
	// Username, Password and ProviderCode, when set, are what POST /token requires; when empty any
	// non-empty username and provider code are accepted.
	Username, Password, ProviderCode string
	TokenTTL                         time.Duration // default 1h
	SlowDelay                        time.Duration // how long a flaky slow answer takes; default 15s
	PageSize                         int           // consents per page; default 50
	ConsentsScenario                 string        // see the package documentation
	// Scenario is the scenario of sessions started without a testCaseId, and of the consents
	// before any session started (default DefaultScenario). A testcase's `ockto: <name>` sets it.
	Scenario string
	Now      func() time.Time
	// Logf, when set, gets one line per request (never a credential).
	Logf func(format string, args ...any)
}

// Server is the simulator; it is an http.Handler.
type Server struct {
	opts      Options
	scenarios map[string]*scenario
	mux       *http.ServeMux

	mu       sync.Mutex
	sessions map[string]*session
	tokens   map[string]time.Time
	requests map[string]int
	consents int // requests to the consents endpoint (for flaky)
	last     string
}

type scenario struct {
	Scenario
	name  string
	step  time.Duration
	odd   map[string]bool // malformed kinds
	hangs map[string]bool
}

type session struct {
	id, testCase string
	sc           *scenario
	started      time.Time
	polls        int
	calls        map[string]int
	request      map[string]any
}

// New builds a simulator serving the built-in scenarios (dated from opts.Now) overlaid by
// scenarios (which add or replace them by name).
func New(scenarios map[string]Scenario, opts Options) (*Server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.SlowDelay <= 0 {
		opts.SlowDelay = 15 * time.Second
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 50
	}
	all := Builtin(opts.Now())
	for name, sc := range scenarios {
		all[name] = sc
	}
	s := &Server{opts: opts, scenarios: map[string]*scenario{}, sessions: map[string]*session{},
		tokens: map[string]time.Time{}, requests: map[string]int{}}
	for name := range all {
		sc, err := resolve(all, name, 0)
		if err != nil {
			return nil, fmt.Errorf("scenario %q: %w", name, err)
		}
		s.scenarios[name] = sc
	}
	if opts.Scenario == "" {
		s.opts.Scenario = DefaultScenario
	}
	for what, name := range map[string]string{"consents scenario": opts.ConsentsScenario, "scenario": s.opts.Scenario} {
		if name != "" && s.scenarios[name] == nil {
			return nil, fmt.Errorf("%s %q does not exist (known: %s)", what, name, strings.Join(s.Scenarios(), ", "))
		}
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /token", s.token)
	s.mux.HandleFunc("POST /sessions", s.auth(s.start))
	s.mux.HandleFunc("GET /sessions/{id}/status", s.auth(s.status))
	s.mux.HandleFunc("GET /sessions/{id}/result", s.auth(s.result))
	s.mux.HandleFunc("GET /ais/consents", s.auth(s.listConsents))
	return s, nil
}

var kinds = []string{KindToken, KindStart, KindStatus, KindResult, KindConsents}

func resolve(all map[string]Scenario, name string, depth int) (*scenario, error) {
	sc, ok := all[name]
	if !ok {
		return nil, fmt.Errorf("no such scenario")
	}
	if depth > 8 {
		return nil, errors.New("base chain too long (a cycle?)")
	}
	if sc.Base != "" {
		base, err := resolve(all, sc.Base, depth+1)
		if err != nil {
			return nil, fmt.Errorf("base %q: %w", sc.Base, err)
		}
		b := base.Scenario
		if sc.Description == "" {
			sc.Description = b.Description
		}
		if len(sc.Statuses) == 0 {
			sc.Statuses = b.Statuses
		}
		if sc.StepEvery == "" {
			sc.StepEvery = b.StepEvery
		}
		if sc.QRCode == "" {
			sc.QRCode = b.QRCode
		}
		if len(sc.Result) == 0 {
			sc.Result = b.Result
		}
		if sc.Consents == nil {
			sc.Consents = b.Consents
		}
		sc.Flaky = sc.Flaky || b.Flaky
		if sc.StartError == nil {
			sc.StartError = b.StartError
		}
		if sc.Malformed == nil {
			sc.Malformed = b.Malformed
		}
		if sc.Hang == nil {
			sc.Hang = b.Hang
		}
	}
	if len(sc.Statuses) == 0 {
		return nil, errors.New("statuses is empty")
	}
	out := &scenario{Scenario: sc, name: name, odd: map[string]bool{}, hangs: map[string]bool{}}
	if sc.StepEvery != "" {
		d, err := time.ParseDuration(sc.StepEvery)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("stepEvery must be a positive duration such as \"2s\", got %q", sc.StepEvery)
		}
		out.step = d
	}
	if len(sc.Result) > 0 && !json.Valid(sc.Result) {
		return nil, errors.New("result is not valid JSON")
	}
	if sc.StartError != nil && (sc.StartError.Status < 400 || sc.StartError.Status > 599) {
		return nil, fmt.Errorf("startError.status must be 400..599, got %d", sc.StartError.Status)
	}
	for _, list := range []struct {
		kinds []string
		set   map[string]bool
	}{{sc.Malformed, out.odd}, {sc.Hang, out.hangs}} {
		for _, k := range list.kinds {
			if !slices.Contains(kinds, k) {
				return nil, fmt.Errorf("unknown request kind %q (use %s)", k, strings.Join(kinds, ", "))
			}
			list.set[k] = true
		}
	}
	return out, nil
}

// LoadScenarios reads a scenarios file: a YAML (or JSON) mapping of testCaseId → Scenario. Pass
// the result to New to add them to (or replace) the built-in ones.
func LoadScenarios(path string) (map[string]Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseScenarios(b, path)
}

// ParseScenarios reads scenarios as LoadScenarios does, from YAML or JSON text; source names it
// in errors.
func ParseScenarios(b []byte, path string) (map[string]Scenario, error) {
	var raw any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	j, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (keys must be strings)", path, err)
	}
	var out map[string]Scenario
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("%s: a mapping of testCaseId to scenario was expected: %w", path, err)
	}
	for name := range out {
		if strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("%s: a scenario name is empty", path)
		}
	}
	return out, nil
}

// Scenarios lists the scenario names, sorted.
func (s *Server) Scenarios() []string {
	names := make([]string, 0, len(s.scenarios))
	for n := range s.scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Describe is a scenario's description.
func (s *Server) Describe(name string) string {
	if sc := s.scenarios[name]; sc != nil {
		return sc.Description
	}
	return ""
}

// Requests counts the requests of a kind received so far.
func (s *Server) Requests(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[kind]
}

// Session is what the simulator knows of a started session.
type Session struct {
	Scenario string
	Polls    int
	Request  map[string]any // the startSession body as received
}

// Session reports a session, false when it was never started.
func (s *Server) Session(id string) (Session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[id]
	if ss == nil {
		return Session{}, false
	}
	return Session{Scenario: ss.sc.name, Polls: ss.polls, Request: ss.request}, true
}

// RevokeTokens forgets every issued token: the next call with one is answered 401.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// ServeHTTP serves the mapping.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.Logf != nil {
		s.opts.Logf("%s %s", r.Method, r.URL.RequestURI())
	}
	s.mux.ServeHTTP(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func problem(w http.ResponseWriter, status int, code, msg string, extra ...any) {
	body := map[string]any{"error": code, "message": msg}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	writeJSON(w, status, body)
}

func (s *Server) count(kind string) {
	s.mu.Lock()
	s.requests[kind]++
	s.mu.Unlock()
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.count(KindToken)
	user, pass, ok := r.BasicAuth()
	if err := r.ParseForm(); err != nil {
		problem(w, http.StatusBadRequest, "invalidRequest", "the body must be form-encoded")
		return
	}
	code := r.PostForm.Get("provider_code")
	switch {
	case !ok || user == "" || (s.opts.Username != "" && (user != s.opts.Username || pass != s.opts.Password)):
		problem(w, http.StatusUnauthorized, "invalidClient", "wrong or missing username or password")
		return
	case r.PostForm.Get("grant_type") != "client_credentials":
		problem(w, http.StatusBadRequest, "unsupportedGrantType", "grant_type must be client_credentials")
		return
	case code == "" || (s.opts.ProviderCode != "" && code != s.opts.ProviderCode):
		problem(w, http.StatusForbidden, "unknownProvider", "unknown provider_code")
		return
	}
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	tok := "sim-" + hex.EncodeToString(rnd[:])
	s.mu.Lock()
	s.tokens[tok] = s.opts.Now().Add(s.opts.TokenTTL)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(s.opts.TokenTTL / time.Second)})
}

func (s *Server) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		exp, known := s.tokens[tok]
		s.mu.Unlock()
		if !ok || !known || !s.opts.Now().Before(exp) {
			problem(w, http.StatusUnauthorized, "unauthorized", "missing, unknown or expired bearer token")
			return
		}
		next(w, r)
	}
}

func (s *Server) start(w http.ResponseWriter, r *http.Request) {
	s.count(KindStart)
	var req map[string]any
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		problem(w, http.StatusBadRequest, "invalidRequest", "the body must be a JSON object: "+err.Error())
		return
	}
	id, _ := req["sessionId"].(string)
	code, _ := req["consentCode"].(string)
	tc, _ := req["testCaseId"].(string)
	if tc == "" {
		tc = s.opts.Scenario
	}
	switch {
	case id == "":
		problem(w, http.StatusBadRequest, "invalidRequest", "sessionId is required")
		return
	case code == "":
		problem(w, http.StatusBadRequest, "invalidRequest", "consentCode is required")
		return
	}
	sc := s.scenarios[tc]
	if sc == nil {
		problem(w, http.StatusBadRequest, "unknownTestCase", fmt.Sprintf("no scenario %q", tc), "known", s.Scenarios())
		return
	}
	if sc.StartError != nil {
		body := sc.StartError.Body
		if len(body) == 0 {
			body = []byte(`{"error":"startFailed"}`)
		}
		writeRaw(w, sc.StartError.Status, body)
		return
	}
	s.mu.Lock()
	if s.sessions[id] != nil {
		s.mu.Unlock()
		problem(w, http.StatusConflict, "sessionExists", fmt.Sprintf("session %q already exists", id))
		return
	}
	s.sessions[id] = &session{id: id, testCase: tc, sc: sc, started: s.opts.Now(), calls: map[string]int{}, request: req}
	s.last = tc
	s.mu.Unlock()
	qr := sc.QRCode
	if qr == "" {
		qr = "ockto-sim://session?testCaseId={testCaseId}&sessionId={sessionId}"
	}
	qr = strings.NewReplacer("{sessionId}", id, "{testCaseId}", tc).Replace(qr)
	writeJSON(w, http.StatusCreated, map[string]any{"sessionId": id, "qrCode": qr})
}

// misbehave applies a scenario's Hang, Malformed and Flaky to a request of kind; n is the 1-based
// number of this request (per session, or per server for consents). It reports whether it answered.
func (s *Server) misbehave(w http.ResponseWriter, r *http.Request, sc *scenario, kind string, n int) bool {
	switch {
	case sc.hangs[kind]:
		_, _ = io.Copy(io.Discard, r.Body) // net/http notices a disconnect only once the body is read
		<-r.Context().Done()
		return true
	case sc.odd[kind]:
		writeRaw(w, http.StatusOK, []byte(`{"status": "created", "data": [`))
		return true
	case sc.Flaky && n == 1:
		problem(w, http.StatusInternalServerError, "internalError", "simulated outage (flaky scenario)", "retryable", true)
		return true
	case sc.Flaky && n == 2:
		select {
		case <-time.After(s.opts.SlowDelay):
		case <-r.Context().Done():
			return true // the client gave up: nothing happened
		}
	}
	return false
}

// lookup finds the session of the request, answering 404 when there is none, and counts the call.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request, kind string) (*session, int) {
	s.count(kind)
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[id]
	if ss == nil {
		problem(w, http.StatusNotFound, "sessionNotFound", fmt.Sprintf("no session %q", id))
		return nil, 0
	}
	ss.calls[kind]++
	return ss, ss.calls[kind]
}

// current is the session's status; advance moves a poll-driven session one step first.
func (s *Server) current(ss *session, advance bool) string {
	st := ss.sc.Statuses
	i := ss.polls
	if ss.sc.step > 0 {
		i = int(s.opts.Now().Sub(ss.started) / ss.sc.step)
	} else if advance {
		ss.polls++
		i = ss.polls
	}
	return st[max(0, min(i, len(st)-1))]
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	ss, n := s.lookup(w, r, KindStatus)
	if ss == nil || s.misbehave(w, r, ss.sc, KindStatus, n) {
		return
	}
	if r.Context().Err() != nil {
		return
	}
	s.mu.Lock()
	st := s.current(ss, true)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"status": st})
}

func (s *Server) result(w http.ResponseWriter, r *http.Request) {
	ss, n := s.lookup(w, r, KindResult)
	if ss == nil || s.misbehave(w, r, ss.sc, KindResult, n) {
		return
	}
	s.mu.Lock()
	st := s.current(ss, false)
	s.mu.Unlock()
	if st != "dataAvailable" || len(ss.sc.Result) == 0 {
		problem(w, http.StatusConflict, "resultNotAvailable", fmt.Sprintf("the result of session %q is not available (status %s)", ss.id, st), "status", st)
		return
	}
	writeRaw(w, http.StatusOK, ss.sc.Result)
}

func (s *Server) listConsents(w http.ResponseWriter, r *http.Request) {
	s.count(KindConsents)
	s.mu.Lock()
	s.consents++
	n := s.consents
	name := s.opts.ConsentsScenario
	if name == "" {
		name = s.last
	}
	if name == "" {
		name = s.opts.Scenario
	}
	s.mu.Unlock()
	sc := s.scenarios[name]
	if sc == nil {
		problem(w, http.StatusInternalServerError, "noScenario", fmt.Sprintf("no scenario %q", name))
		return
	}
	if s.misbehave(w, r, sc, KindConsents, n) {
		return
	}
	q := r.URL.Query()
	flag := func(k string) (bool, bool) {
		v := q.Get(k)
		if v == "" {
			return false, true
		}
		b, err := strconv.ParseBool(v)
		return b, err == nil
	}
	active, ok1 := flag("active")
	historical, ok2 := flag("historical")
	open, ok3 := flag("open")
	page := 1
	if p := q.Get("page"); p != "" {
		var err error
		if page, err = strconv.Atoi(p); err != nil || page < 1 {
			ok1 = false
		}
	}
	if !ok1 || !ok2 || !ok3 {
		problem(w, http.StatusBadRequest, "invalidQuery", "active, historical and open must be true or false, page a positive integer")
		return
	}
	now := s.opts.Now()
	matched := []json.RawMessage{}
	for _, c := range sc.Consents {
		switch classify(c, now) {
		case "active":
			if active {
				matched = append(matched, c)
			}
		case "open":
			if open {
				matched = append(matched, c)
			}
		default:
			if historical {
				matched = append(matched, c)
			}
		}
	}
	size := s.opts.PageSize
	pages := max(1, (len(matched)+size-1)/size)
	lo, hi := min((page-1)*size, len(matched)), min(page*size, len(matched))
	writeJSON(w, http.StatusOK, map[string]any{
		"data":       matched[lo:hi],
		"pagination": map[string]any{"page": page, "pageSize": size, "totalPages": pages, "totalItems": len(matched)},
	})
}

// classify puts an AIS consent record in open, active or historical.
func classify(raw json.RawMessage, now time.Time) string {
	var c struct {
		ConsentStatus string `json:"consentStatus"`
		ValidUntil    string `json:"validUntil"`
	}
	_ = json.Unmarshal(raw, &c)
	switch strings.ToUpper(c.ConsentStatus) {
	case "RECEIVED":
		return "open"
	case "VALID":
		if t, err := time.Parse("2006-01-02", c.ValidUntil); err == nil && now.After(t.Add(24*time.Hour)) {
			return "historical"
		}
		if t, err := time.Parse(time.RFC3339, c.ValidUntil); err == nil && now.After(t) {
			return "historical"
		}
		return "active"
	}
	return "historical"
}
