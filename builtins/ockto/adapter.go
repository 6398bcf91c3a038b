package ockto

// This file is the ONE place that knows Ockto's HTTP protocol. Ockto's REST API is partner-only;
// the mapping below is the one the contract (docs: design/consent-and-ockto.md, section 1) assumes,
// and aligning Kubus with the partner documentation means changing this file only (and the
// simulator, builtins/ockto/ocktosim, which speaks the same mapping).
//
// Assumed mapping ({endpoint} is KUBUS_OCKTO_ENDPOINT):
//
//	POST {endpoint}/token                    authentication (an ASSUMPTION, to align with the partner docs):
//	     Authorization: Basic base64(username:password)
//	     Content-Type: application/x-www-form-urlencoded
//	     grant_type=client_credentials&provider_code=<KUBUS_OCKTO_PROVIDER_CODE>
//	     → 200 {"access_token": "...", "token_type": "Bearer", "expires_in": <seconds>}
//	     The token is cached until shortly before it expires (a tenth of its lifetime, at most 30s);
//	     an API call answered 401 drops the token and is sent once more with a fresh one.
//	POST {endpoint}/sessions                 Authorization: Bearer <token>, JSON body StartRequest
//	     → 200/201 {"sessionId": "...", "qrCode": "..."}
//	GET  {endpoint}/sessions/{id}/status     → 200 {"status": "created" | "scanned" | "dataAvailable" | ...}
//	GET  {endpoint}/sessions/{id}/result     → 200 the ODM document (any JSON; passed through untouched)
//	GET  {endpoint}/ais/consents?active=&historical=&open=&page=
//	     → 200 {"data": [<AIS consent record>...], "pagination": {"page": 1, "pageSize": 50, "totalPages": 1, "totalItems": 3}}
//	     Pages are followed while page < totalPages (at most maxConsentPages); without pagination, one page.
//
// Any status outside 2xx is an error whose body (JSON when it parses, else text) is kept in
// Error.Body. Redirects are not followed (a 3xx is an error too).
//
// Timeouts and retries: every HTTP attempt has Config.Timeout (the answer's body included). Reads
// (token, status, result, consents) are retried up to Config.Retries times, with jittered
// exponential backoff (100ms doubling, at most 2s), after a timeout, a connection error, a 5xx or a
// 429; never after another 4xx or a malformed answer. startSession is retried only when the
// connection could not even be opened (a dial error): once the request may have reached Ockto, a
// retry could start a second session.

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
)

// Paths of the mapping.
const (
	pathToken    = "/token"
	pathSessions = "/sessions"
	pathConsents = "/ais/consents"
)

// maxConsentPages bounds how many pages Consents follows.
const maxConsentPages = 50

// StartRequest is the body of POST /sessions.
type StartRequest struct {
	SessionID          string   `json:"sessionId"`
	TestCaseID         string   `json:"testCaseId,omitempty"`
	ConsentCode        string   `json:"consentCode"`
	OcktoType          string   `json:"ocktoType,omitempty"`
	ODMVersion         string   `json:"odmVersion,omitempty"`
	RequestDocuments   []string `json:"requestDocuments"`
	DisablePartner     bool     `json:"disablePartner"`
	PSD2InfoIncluded   bool     `json:"psd2InfoIncluded"`
	PSD2AmountOfMonths int      `json:"psd2AmountOfMonths,omitempty"`
}

// StartResponse is the answer to POST /sessions.
type StartResponse struct {
	SessionID string `json:"sessionId"`
	QRCode    string `json:"qrCode"`
}

// ConsentQuery selects AIS consents: open (initiated, not yet authorised), active (valid and in
// time), historical (ended).
type ConsentQuery struct {
	Active, Historical, Open bool
}

// Client talks to Ockto. It is safe for concurrent use; reuse one per configuration so that
// connections and the token are reused.
type Client struct {
	cfg  Config
	http *resty.Client
	now  func() time.Time

	fetch  sync.Mutex // held while a token is requested
	mu     sync.Mutex // guards the fields below
	token  string
	expiry time.Time
	seen   []string // the last tokens issued, redacted from errors
}

// NewClient builds a client for a configuration. An unconfigured one (no endpoint) gives an error
// wrapping ErrNotConfigured.
func NewClient(cfg Config) (*Client, error) {
	if !cfg.Configured() {
		return nil, ErrNotConfigured
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.Retries < 0 || cfg.Retries > MaxRetries {
		return nil, fmt.Errorf("retries must be from 0 to %d, got %d", MaxRetries, cfg.Retries)
	}
	r := resty.New().
		SetBaseURL(cfg.Endpoint).
		SetTimeout(cfg.Timeout).
		SetRetryCount(cfg.Retries).
		SetRetryWaitTime(100*time.Millisecond).
		SetRetryMaxWaitTime(2*time.Second).
		SetLogger(nopLogger{}). // nothing is logged: no URL, header or body can leak a secret
		SetDisableWarn(true).
		SetHeader("Accept", "application/json").
		SetHeader("User-Agent", "kubus-ockto/1").
		SetRedirectPolicy(resty.RedirectPolicyFunc(func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }))
	if cfg.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, &Error{Op: "client", Kind: KindConfig, Err: err,
				Msg: fmt.Sprintf("cannot load the client certificate for mutual TLS (%s=%s, %s=%s): %v", EnvCert, cfg.CertFile, EnvKey, cfg.KeyFile, err)}
		}
		r.SetCertificates(cert)
	}
	return &Client{cfg: cfg, http: r, now: time.Now}, nil
}

// Config is the client's configuration.
func (c *Client) Config() Config { return c.cfg }

// StartSession starts a session (POST /sessions). It is never retried once the request may have
// reached Ockto.
func (c *Client) StartSession(ctx context.Context, req StartRequest) (StartResponse, error) {
	if req.RequestDocuments == nil {
		req.RequestDocuments = []string{}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return StartResponse{}, err
	}
	resp, err := c.do(ctx, spec{op: "startSession", method: http.MethodPost, path: pathSessions, body: body, retry: retryUnsent})
	if err != nil {
		return StartResponse{}, err
	}
	var out StartResponse
	if err := decodeObject(resp.Body(), &out); err != nil || out.SessionID == "" || out.QRCode == "" {
		return StartResponse{}, c.malformed("startSession", resp, err, "sessionId and qrCode")
	}
	return out, nil
}

// GetStatus reads a session's status (GET /sessions/{id}/status).
func (c *Client) GetStatus(ctx context.Context, sessionID string) (string, error) {
	resp, err := c.do(ctx, spec{op: "getStatus", method: http.MethodGet, path: sessionPath(sessionID, "status"), retry: retryRead})
	if err != nil {
		return "", err
	}
	var out struct {
		Status *string `json:"status"`
	}
	if err := decodeObject(resp.Body(), &out); err != nil || out.Status == nil || *out.Status == "" {
		return "", c.malformed("getStatus", resp, err, "status")
	}
	return *out.Status, nil
}

// GetResult reads a session's ODM document (GET /sessions/{id}/result), untouched.
func (c *Client) GetResult(ctx context.Context, sessionID string) (json.RawMessage, error) {
	resp, err := c.do(ctx, spec{op: "getResult", method: http.MethodGet, path: sessionPath(sessionID, "result"), retry: retryRead})
	if err != nil {
		return nil, err
	}
	b := resp.Body()
	if !json.Valid(b) {
		var v any
		return nil, c.malformed("getResult", resp, json.Unmarshal(b, &v), "")
	}
	return json.RawMessage(append([]byte(nil), b...)), nil
}

// Consents lists AIS consents (GET /ais/consents), following the pagination.
func (c *Client) Consents(ctx context.Context, q ConsentQuery) ([]json.RawMessage, error) {
	var all []json.RawMessage
	for page := 1; page <= maxConsentPages; page++ {
		query := url.Values{
			"active":     {strconv.FormatBool(q.Active)},
			"historical": {strconv.FormatBool(q.Historical)},
			"open":       {strconv.FormatBool(q.Open)},
		}
		if page > 1 {
			query.Set("page", strconv.Itoa(page))
		}
		resp, err := c.do(ctx, spec{op: "consents", method: http.MethodGet, path: pathConsents, query: query, retry: retryRead})
		if err != nil {
			return nil, err
		}
		var out struct {
			Data       *[]json.RawMessage `json:"data"`
			Pagination *struct {
				Page       int `json:"page"`
				TotalPages int `json:"totalPages"`
			} `json:"pagination"`
		}
		if err := decodeObject(resp.Body(), &out); err != nil || out.Data == nil {
			return nil, c.malformed("consents", resp, err, "data (an array)")
		}
		all = append(all, *out.Data...)
		if out.Pagination == nil || out.Pagination.Page >= out.Pagination.TotalPages || len(*out.Data) == 0 {
			break
		}
	}
	if all == nil {
		all = []json.RawMessage{}
	}
	return all, nil
}

func sessionPath(id, what string) string {
	return pathSessions + "/" + url.PathEscape(id) + "/" + what
}

// spec is one API call.
type spec struct {
	op, method, path string
	query            url.Values
	body             []byte // JSON
	retry            resty.RetryConditionFunc
}

// do sends an authenticated call and returns a 2xx response, or an *Error. A 401 drops the
// token and sends the call once more with a fresh one.
func (c *Client) do(ctx context.Context, s spec) (*resty.Response, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	for try := 0; ; try++ {
		tok, err := c.bearer(ctx)
		if err != nil {
			return nil, err
		}
		req := c.http.R().SetContext(ctx).SetAuthToken(tok).AddRetryCondition(s.retry)
		if s.query != nil {
			req.SetQueryParamsFromValues(s.query)
		}
		if s.body != nil {
			req.SetHeader("Content-Type", "application/json").SetBody(s.body)
		}
		resp, err := req.Execute(s.method, s.path)
		if err != nil {
			return nil, c.transportError(ctx, s.op, req.Attempt, err)
		}
		if resp.StatusCode() == http.StatusUnauthorized && try == 0 {
			c.dropToken(tok)
			continue
		}
		if resp.StatusCode() < 200 || resp.StatusCode() > 299 {
			return nil, c.httpError(s.op, resp)
		}
		return resp, nil
	}
}

// bearer is a valid token, from the cache or from POST /token.
func (c *Client) bearer(ctx context.Context) (string, error) {
	if tok := c.cached(); tok != "" {
		return tok, nil
	}
	c.fetch.Lock() // one token request at a time; the others wait for its token
	defer c.fetch.Unlock()
	if tok := c.cached(); tok != "" {
		return tok, nil
	}
	req := c.http.R().SetContext(ctx).
		SetBasicAuth(c.cfg.Username, c.cfg.Password).
		SetFormData(map[string]string{"grant_type": "client_credentials", "provider_code": c.cfg.ProviderCode}).
		AddRetryCondition(retryRead)
	resp, err := req.Post(pathToken)
	if err != nil {
		return "", c.transportError(ctx, "token", req.Attempt, err)
	}
	if resp.StatusCode() < 200 || resp.StatusCode() > 299 {
		e := c.httpError("token", resp)
		e.Msg = "authentication failed: " + e.Msg
		return "", e
	}
	var out struct {
		AccessToken string   `json:"access_token"`
		ExpiresIn   *float64 `json:"expires_in"`
	}
	if err := decodeObject(resp.Body(), &out); err != nil || out.AccessToken == "" {
		// Not c.malformed: the body holds (or tried to hold) a token, so it is not echoed.
		return "", &Error{Op: "token", Kind: KindMalformed, Status: resp.StatusCode(), Attempts: req.Attempt,
			Msg: fmt.Sprintf("Ockto's token endpoint (POST %s) answered HTTP %d without an access_token", pathToken, resp.StatusCode())}
	}
	ttl := 5 * time.Minute
	if out.ExpiresIn != nil && *out.ExpiresIn > 0 && *out.ExpiresIn < 1e7 {
		ttl = time.Duration(*out.ExpiresIn * float64(time.Second))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token, c.expiry = out.AccessToken, c.now().Add(ttl-min(ttl/10, 30*time.Second))
	c.seen = append(c.seen, out.AccessToken)
	if len(c.seen) > 4 {
		c.seen = c.seen[len(c.seen)-4:]
	}
	return c.token, nil
}

// cached is the cached token while it is valid, else "".
func (c *Client) cached() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Before(c.expiry) {
		return c.token
	}
	return ""
}

func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

// secrets are what must never appear in an error.
func (c *Client) secrets() redactor {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := redactor{c.cfg.Password, base64.StdEncoding.EncodeToString([]byte(c.cfg.Username + ":" + c.cfg.Password))}
	return append(r, c.seen...)
}

// retryRead retries reads after a timeout, a connection error, a 5xx or a 429.
func retryRead(resp *resty.Response, err error) bool {
	if err != nil {
		return !errors.Is(err, context.Canceled)
	}
	return resp != nil && (resp.StatusCode() >= 500 || resp.StatusCode() == http.StatusTooManyRequests)
}

// retryUnsent retries only when the connection could not be opened, so the request cannot have
// reached Ockto.
func retryUnsent(_ *resty.Response, err error) bool {
	var op *net.OpError
	return err != nil && errors.As(err, &op) && op.Op == "dial" && !op.Timeout()
}

func (c *Client) transportError(ctx context.Context, op string, attempts int, err error) *Error {
	e := &Error{Op: op, Attempts: attempts, Err: err}
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		e.Kind = KindCanceled
		e.Msg = fmt.Sprintf("the execution ended before Ockto answered (%v)", context.Cause(ctx))
	case errors.As(err, &ne) && ne.Timeout():
		e.Kind = KindTimeout
		e.Msg = fmt.Sprintf("Ockto did not answer within %s%s", c.cfg.Timeout, attemptsNote(attempts))
	default:
		e.Kind = KindUnreachable
		e.Msg = fmt.Sprintf("cannot reach Ockto at %s%s: %v", c.cfg.Endpoint, attemptsNote(attempts), rootCause(err))
	}
	return c.secrets().scrub(e)
}

func (c *Client) httpError(op string, resp *resty.Response) *Error {
	e := &Error{Op: op, Kind: KindHTTP, Status: resp.StatusCode(), Body: parseBody(resp.Body()), Attempts: resp.Request.Attempt}
	e.Msg = fmt.Sprintf("Ockto answered HTTP %d %s%s", e.Status, http.StatusText(e.Status), attemptsNote(e.Attempts))
	if s := summary(e.Body); s != "" {
		e.Msg += ": " + s
	}
	return c.secrets().scrub(e)
}

func (c *Client) malformed(op string, resp *resty.Response, err error, want string) *Error {
	e := &Error{Op: op, Kind: KindMalformed, Status: resp.StatusCode(), Body: parseBody(resp.Body()), Attempts: resp.Request.Attempt, Err: err}
	switch {
	case err != nil:
		e.Msg = fmt.Sprintf("Ockto answered HTTP %d with malformed JSON: %v", e.Status, err)
	default:
		e.Msg = fmt.Sprintf("Ockto answered HTTP %d without %s", e.Status, want)
	}
	return c.secrets().scrub(e)
}

func attemptsNote(n int) string {
	if n > 1 {
		return fmt.Sprintf(" (%d attempts)", n)
	}
	return ""
}

// rootCause is the innermost error of a transport failure, without the method and URL resty and
// net/http wrap around it.
func rootCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// decodeObject decodes a JSON object into v.
func decodeObject(b []byte, v any) error {
	if len(b) == 0 {
		return io.ErrUnexpectedEOF
	}
	return json.Unmarshal(b, v)
}

type nopLogger struct{}

func (nopLogger) Errorf(string, ...any) {}
func (nopLogger) Warnf(string, ...any)  {}
func (nopLogger) Debugf(string, ...any) {}
