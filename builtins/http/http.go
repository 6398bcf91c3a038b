// Package http is the Http module of rule code (connectors.md): synchronous HTTP calls with the
// shapes JavaScript authors know from fetch. Every call honours the execution's deadline and
// context, dials through the outbound address check (package netguard), reads at most
// MaxResponseBytes of the response as it streams, and counts against MaxCalls per execution.
// A non-2xx status is a response, not a throw; a network error, a refused address or a timeout
// throws an Error naming the function, the method and the host, with `details`.
package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	nethttp "net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/go-resty/resty/v2"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/netguard"
)

// Config is the module's configuration: kubus.yaml's `connections:` (allow, http.timeout) for the
// chosen environment, or a Go host's own.
type Config struct {
	// Allow lists the non-public addresses and prefixes calls may reach (netguard.New).
	Allow []string
	// Timeout bounds a call (default 10 s); the execution's own deadline bounds it too.
	Timeout time.Duration
	// MaxResponseBytes bounds a response body (default 10 MiB).
	MaxResponseBytes int64
	// MaxCalls bounds the calls of one execution (default 100).
	MaxCalls int
	// MaxRetries bounds a call's `retries` option (default 5).
	MaxRetries int
	// Resolver resolves host names (nil: the system's); tests answer with their own.
	Resolver *net.Resolver
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = 10 << 20
	}
	if c.MaxCalls <= 0 {
		c.MaxCalls = 100
	}
	if c.MaxRetries <= 0 {
		c.MaxRetries = 5
	}
	return c
}

// Module is the Http module. One Module (and its connection pool) serves every runtime of an
// engine.
type Module struct {
	cfg    Config
	client *resty.Client
}

var _ builtins.Described = (*Module)(nil)

// New makes the module; an allow list that does not parse is an error.
func New(cfg Config) (*Module, error) {
	cfg = cfg.withDefaults()
	policy, err := netguard.New(cfg.Allow)
	if err != nil {
		return nil, err
	}
	c := resty.New().
		SetTransport(policy.Transport(cfg.Resolver)).
		SetRedirectPolicy(resty.FlexibleRedirectPolicy(maxRedirects)).
		SetHeader("User-Agent", "kubus").
		SetDisableWarn(true) // resty's warnings go to the process's log, not the execution's
	return &Module{cfg: cfg, client: c}, nil
}

// Default is the module with the default configuration: public addresses only. Every engine
// without its own configuration shares it.
var Default = sync.OnceValue(func() *Module {
	m, _ := New(Config{}) // the zero configuration is valid
	return m
})

// maxRedirects bounds the redirects a call follows; each is dialled, and so checked, anew.
const maxRedirects = 5

// Name is "Http".
func (*Module) Name() string { return "Http" }

const optionsType = `{ headers?: Record<string, string>; query?: Record<string, string | number | boolean>; timeout?: number; retries?: number; auth?: { user: string; pass: string } | { bearer: string } }`

// fns are the module's functions, bound to one runtime's state (nil for the typings and reference).
func (m *Module) fns(st *state) []builtins.Fn {
	var out []builtins.Fn
	for _, method := range []string{"get", "delete"} {
		out = append(out, builtins.Fn{
			Name:      method,
			Signature: "(url: string, options?: " + optionsType + "): HttpResponse",
			Doc:       fmt.Sprintf("An HTTP %s. Non-2xx is a response (ok false), not a throw; a network error, a refused address or a timeout throws, naming the host. Retries (options.retries, 0..5) with backoff and jitter on network errors, 429, 502, 503, 504.", strings.ToUpper(method)),
			Example:   fmt.Sprintf(`Http.%s("https://api.example.com/score/42").json.score // e.g. 712`, method),
			Impl:      st.impl("Http."+method, strings.ToUpper(method), false),
		})
	}
	for _, method := range []string{"post", "put", "patch"} {
		retried := "not retried (not idempotent)"
		if method == "put" {
			retried = "retried like get (idempotent)"
		}
		out = append(out, builtins.Fn{
			Name:      method,
			Signature: "(url: string, body?: any, options?: " + optionsType + "): HttpResponse",
			Doc:       fmt.Sprintf("An HTTP %s: a string body is sent as text/plain, anything else as JSON; %s.", strings.ToUpper(method), retried),
			Example:   fmt.Sprintf(`Http.%s("https://api.example.com/applications", {id: 42}).status // e.g. 201`, method),
			Impl:      st.impl("Http."+method, strings.ToUpper(method), true),
		})
	}
	out = append(out, builtins.Fn{
		Name:      "request",
		Signature: "(request: { method: string; url: string; body?: string; json?: any } & " + optionsType + "): HttpResponse",
		Doc:       "Any method, with body (text) or json; the options as for get.",
		Example:   `Http.request({method: "HEAD", url: "https://api.example.com/"}).ok // e.g. true`,
		Impl:      st.implRequest,
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

const responseTypings = `/** What an Http call answers. */
interface HttpResponse {
  status: number;
  /** status is 2xx */
  ok: boolean;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** The body parsed, when the response is JSON; else null. */
  json: any;
}
`

// Typings declares the Http namespace and its response.
func (m *Module) Typings() string {
	// An object type, not a namespace: `delete` cannot name a function in TypeScript.
	return responseTypings + builtins.InterfaceTypings("HttpModule",
		"HTTP calls to outside services: public addresses, and those the environment's allow list names; within the execution's deadline.", m.fns(nil)) +
		"declare const Http: HttpModule;\n"
}

// Reference lists Http's functions.
func (m *Module) Reference() []builtins.Entry { return builtins.ReferenceOf("Http", m.fns(nil), nil) }

// Install defines the Http namespace.
func (m *Module) Install(h *builtins.Host) error {
	vm := h.VM
	parse, _ := goja.AssertFunction(vm.Get("JSON").ToObject(vm).Get("parse"))
	stringify, _ := goja.AssertFunction(vm.Get("JSON").ToObject(vm).Get("stringify"))
	st := &state{m: m, h: h, parse: parse, stringify: stringify}
	_, err := builtins.InstallNamespace(h, "Http", m.fns(st), nil)
	return err
}

// state is one runtime's: the intrinsics captured at install (before a ruleset could shadow them)
// and the count of this execution's calls, shared by every function.
type state struct {
	m                *Module
	h                *builtins.Host
	parse, stringify goja.Callable
	calls            builtins.ExecMemo[*int]
	// fixture is the client over fixtureFor, the last fixture transport an execution brought.
	fixtureFor nethttp.RoundTripper
	fixture    *resty.Client
}

// request is one call as the module makes it.
type request struct {
	method, url string
	headers     map[string]string
	query       map[string]string
	body        []byte
	contentType string
	timeout     time.Duration
	retries     int
	user, pass  string
	bearer      string
}

func (st *state) impl(fn, method string, withBody bool) func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	return func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			r := &request{method: method, url: h.String(call, 0, fn, "url")}
			opts := 1
			if withBody {
				st.body(fn, call.Argument(1), r, false)
				opts = 2
			}
			if !builtins.IsMissing(call.Argument(opts)) {
				st.options(fn, h.Object(call, opts, fn, "options"), r)
			}
			return st.do(fn, r)
		}
	}
}

// clientFor is the module's client, or one over the execution's fixture transport.
func (st *state) clientFor(e *builtins.Exec) *resty.Client {
	if e.HTTPTransport == nil {
		return st.m.client
	}
	if st.fixtureFor != e.HTTPTransport {
		st.fixtureFor = e.HTTPTransport
		st.fixture = resty.New().SetTransport(e.HTTPTransport).SetDisableWarn(true).
			SetRedirectPolicy(resty.FlexibleRedirectPolicy(maxRedirects))
	}
	return st.fixture
}

func (st *state) implRequest(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = "Http.request"
	return func(call goja.FunctionCall) goja.Value {
		o := h.Object(call, 0, fn, "request")
		r := &request{}
		method, ok := builtins.StringOf(o.Get("method"))
		if !ok || !validMethod(method) {
			h.TypeError(fn, "request.method must be an HTTP method such as GET or POST, got %s", builtins.Describe(o.Get("method")))
		}
		r.method = strings.ToUpper(method)
		if r.url, ok = builtins.StringOf(o.Get("url")); !ok {
			h.TypeError(fn, "request.url must be a string, got %s", builtins.Describe(o.Get("url")))
		}
		if j := o.Get("json"); !builtins.IsMissing(j) {
			st.body(fn, j, r, true)
		} else if b := o.Get("body"); !builtins.IsMissing(b) {
			s, ok := builtins.StringOf(b)
			if !ok {
				h.TypeError(fn, "request.body must be a string (use json for a value), got %s", builtins.Describe(b))
			}
			r.body, r.contentType = []byte(s), "text/plain; charset=utf-8"
		}
		st.options(fn, o, r)
		return st.do(fn, r)
	}
}

func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return false
	}
	for _, c := range m {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// body reads a request body: a string as text, anything else (or asJSON) as JSON.
func (st *state) body(fn string, v goja.Value, r *request, asJSON bool) {
	if builtins.IsMissing(v) || goja.IsNull(v) && !asJSON {
		return
	}
	if s, ok := builtins.StringOf(v); ok && !asJSON {
		r.body, r.contentType = []byte(s), "text/plain; charset=utf-8"
		return
	}
	out, err := st.stringify(goja.Undefined(), v)
	if err != nil {
		panic(err)
	}
	s, ok := builtins.StringOf(out)
	if !ok {
		st.h.TypeError(fn, "the body cannot be sent as JSON (%s)", builtins.Describe(v))
	}
	if int64(len(s)) > st.m.cfg.MaxResponseBytes {
		st.h.RangeError(fn, "the body is larger than %d bytes", st.m.cfg.MaxResponseBytes)
	}
	r.body, r.contentType = []byte(s), "application/json"
}

// options reads headers, query, timeout, retries and auth.
func (st *state) options(fn string, o *goja.Object, r *request) {
	h := st.h
	strMap := func(name string) map[string]string {
		v := o.Get(name)
		if builtins.IsMissing(v) || goja.IsNull(v) {
			return nil
		}
		obj, ok := v.(*goja.Object)
		if !ok {
			h.TypeError(fn, "options.%s must be an object, got %s", name, builtins.Describe(v))
		}
		keys := obj.Keys()
		if len(keys) > 100 {
			h.RangeError(fn, "options.%s has more than 100 entries", name)
		}
		out := make(map[string]string, len(keys))
		for _, k := range keys {
			e := obj.Get(k)
			switch x := e.Export().(type) {
			case string:
				out[k] = x
			case int64, float64, bool:
				out[k] = e.String()
			default:
				h.TypeError(fn, "options.%s.%s must be a string, number or boolean, got %s", name, k, builtins.Describe(e))
			}
			if len(k)+len(out[k]) > maxField {
				h.RangeError(fn, "options.%s.%s is longer than %d bytes", name, builtins.Truncate(k, 40), maxField)
			}
			if strings.ContainsAny(k+out[k], "\r\n") {
				h.TypeError(fn, "options.%s.%s contains a line break", name, k)
			}
		}
		return out
	}
	r.headers = strMap("headers")
	r.query = strMap("query")
	if v := o.Get("timeout"); !builtins.IsMissing(v) {
		ms, ok := builtins.NumberOf(v)
		if !ok || ms <= 0 || ms != ms {
			h.TypeError(fn, "options.timeout must be a positive number of milliseconds, got %s", builtins.Describe(v))
		}
		r.timeout = time.Duration(min(ms, 1e9) * float64(time.Millisecond))
	}
	if v := o.Get("retries"); !builtins.IsMissing(v) {
		n, ok := builtins.NumberOf(v)
		if !ok || n < 0 || n > float64(st.m.cfg.MaxRetries) || n != float64(int(n)) {
			h.RangeError(fn, "options.retries must be a whole number from 0 to %d, got %s", st.m.cfg.MaxRetries, builtins.Describe(v))
		}
		r.retries = int(n)
	}
	if v := o.Get("auth"); !builtins.IsMissing(v) && !goja.IsNull(v) {
		a, ok := v.(*goja.Object)
		if !ok {
			h.TypeError(fn, "options.auth must be {user, pass} or {bearer}, got %s", builtins.Describe(v))
		}
		if b, ok := builtins.StringOf(a.Get("bearer")); ok {
			r.bearer = b
		} else {
			r.user, _ = builtins.StringOf(a.Get("user"))
			r.pass, _ = builtins.StringOf(a.Get("pass"))
			if r.user == "" {
				h.TypeError(fn, "options.auth must be {user, pass} or {bearer}")
			}
		}
	}
}

// maxField bounds one header or query entry (name and value): servers refuse far less.
const maxField = 8 << 10

// idempotent methods may be sent again after a failure.
var idempotent = []string{"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}

// callError is a failed call as rule code sees it: a message naming the method and host, and details.
type callError struct {
	kind, method, host, msg string
}

// do makes the call and builds the response object.
func (st *state) do(fn string, r *request) goja.Value {
	h, cfg := st.h, st.m.cfg
	e := h.MustExec(fn)
	calls := st.calls.Get(e, func() *int { return new(int) })
	if *calls++; *calls > cfg.MaxCalls {
		h.RangeError(fn, "more than %d HTTP calls in one execution (the connections' http maxCalls)", cfg.MaxCalls)
	}
	u, err := url.Parse(r.url)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		h.TypeError(fn, "url must be an absolute http or https URL, got %q", builtins.Truncate(r.url, 200))
	case u.User != nil:
		h.TypeError(fn, "the url carries credentials: pass them in options.auth, so they stay out of logs and errors")
	}
	timeout := cfg.Timeout
	if r.timeout > 0 {
		timeout = min(timeout, r.timeout)
	}
	parent := e.Context
	if parent == nil {
		parent = context.Background()
	}
	deadline := time.Now().Add(timeout)
	if !e.Deadline.IsZero() && e.Deadline.Before(deadline) {
		deadline = e.Deadline
	}
	ctx, cancel := context.WithDeadline(parent, deadline)
	defer cancel()

	start := time.Now()
	retries := 0
	if slices.Contains(idempotent, r.method) {
		retries = r.retries
	}
	var status int
	var resp *result
	for attempt := 0; ; attempt++ {
		resp, err = st.once(ctx, st.clientFor(e), r)
		if err == nil {
			status = resp.status
		}
		retry := attempt < retries && ctx.Err() == nil && (err != nil && !errors.Is(err, netguard.ErrRefused) && !errors.Is(err, errTooLarge) ||
			err == nil && (status == 429 || status == 502 || status == 503 || status == 504))
		if !retry {
			break
		}
		wait := time.Duration(float64(100*time.Millisecond<<attempt) * (0.5 + rand.Float64()))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
	call := builtins.Call{Module: "Http", Target: u.Host, Method: r.method, What: builtins.Truncate(u.EscapedPath(), 200),
		Ms: float64(time.Since(start).Microseconds()) / 1000}
	if err != nil {
		ce := st.describe(ctx, parent, r, u, err)
		call.Error = ce.kind
		e.RecordCall(call)
		st.fail(fn, ce)
	}
	call.Status = status
	e.RecordCall(call)
	return st.response(resp)
}

// result is a received response.
type result struct {
	status  int
	headers nethttp.Header
	body    []byte
}

var errTooLarge = errors.New("the response is too large")

// once sends the request one time and reads at most MaxResponseBytes of its body.
func (st *state) once(ctx context.Context, client *resty.Client, r *request) (*result, error) {
	req := client.R().SetContext(ctx).SetDoNotParseResponse(true)
	for k, v := range r.headers {
		req.SetHeader(k, v)
	}
	if len(r.query) > 0 {
		req.SetQueryParams(r.query)
	}
	if r.body != nil {
		req.SetBody(r.body).SetHeader("Content-Type", r.contentType)
	}
	switch {
	case r.bearer != "":
		req.SetAuthToken(r.bearer)
	case r.user != "":
		req.SetBasicAuth(r.user, r.pass)
	}
	resp, err := req.Execute(r.method, r.url)
	if err != nil {
		return nil, err
	}
	raw := resp.RawBody()
	defer raw.Close()
	max := st.m.cfg.MaxResponseBytes
	body, err := io.ReadAll(io.LimitReader(raw, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes (the connections' http maxResponseBytes)", errTooLarge, max)
	}
	return &result{status: resp.StatusCode(), headers: resp.Header(), body: body}, nil
}

// describe classifies a failed call without repeating what may hold a secret (query, headers).
func (st *state) describe(ctx, parent context.Context, r *request, u *url.URL, err error) *callError {
	ce := &callError{method: r.method, host: u.Host}
	var re *netguard.RefusedError
	switch {
	case errors.As(err, &re):
		ce.kind, ce.msg = "refused", re.Error()
	case errors.As(err, new(*NoFixture)):
		ce.kind, ce.msg = "noFixture", rootCause(err)
	case errors.Is(err, errTooLarge):
		ce.kind, ce.msg = "tooLarge", strings.TrimPrefix(err.Error(), errTooLarge.Error()+": ")
		ce.msg = "the response is " + ce.msg
	case parent.Err() != nil:
		ce.kind, ce.msg = "canceled", "the execution ended"
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		ce.kind, ce.msg = "timeout", "no answer in time"
	default:
		ce.kind, ce.msg = "network", rootCause(err)
	}
	return ce
}

// NoFixture is what a testcase's fixture transport answers for a call no fixture matches.
type NoFixture struct{ Method, URL string }

func (e *NoFixture) Error() string {
	return fmt.Sprintf("no fixture of the testcase answers %s %s (add one under http:)", e.Method, e.URL)
}

// rootCause is the innermost message of a transport error (without resty's method and URL).
func rootCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var nf *NoFixture
	if errors.As(err, &nf) {
		return nf.Error()
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Op + ": " + oe.Err.Error()
	}
	return err.Error()
}

// fail throws the call's Error, with details.
func (st *state) fail(fn string, ce *callError) {
	st.h.ErrorWithDetails(fmt.Sprintf("%s: %s %s: %s", fn, ce.method, ce.host, ce.msg),
		builtins.Detail{Key: "kind", Value: ce.kind}, builtins.Detail{Key: "method", Value: ce.method}, builtins.Detail{Key: "host", Value: ce.host})
}

// response builds {status, ok, headers, body, json}.
func (st *state) response(r *result) goja.Value {
	vm := st.h.VM
	o := vm.NewObject()
	_ = o.Set("status", r.status)
	_ = o.Set("ok", r.status >= 200 && r.status < 300)
	hd := vm.NewObject()
	names := make([]string, 0, len(r.headers))
	for k := range r.headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		_ = hd.Set(strings.ToLower(k), strings.Join(r.headers[k], ", "))
	}
	_ = o.Set("headers", hd)
	_ = o.Set("body", string(r.body))
	j := goja.Null()
	if ct := r.headers.Get("Content-Type"); strings.Contains(strings.ToLower(ct), "json") && json.Valid(r.body) {
		if v, err := st.parse(goja.Undefined(), vm.ToValue(string(r.body))); err == nil {
			j = v
		}
	}
	_ = o.Set("json", j)
	return o
}
