package server

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/kubusdev/kubus/store"
)

// Access levels of a route besides scopes.
const (
	accessOpen = "open" // no key: health, readiness, metrics, the docs page
	accessKey  = "key"  // any valid key; the handler shows only what the key's scopes reach
	// accessSession: the studio's sign-in routes, which check a key in the body, the session
	// cookie or a one-time token themselves (studio.go).
	accessSession = "session"
)

// route is one row of the server's table.
type route struct {
	Method  string
	Pattern string // net/http pattern path, with {name}-style wildcards
	// Access is accessOpen, accessKey, or the scopes of which the key needs one; "{name}" in a
	// scope is the path's ruleset.
	Access  []string
	Summary string
	Tag     string
	Body    bool  // takes a JSON body (Content-Type checked, size bounded)
	Status  []int // the statuses it answers, for the OpenAPI document
	// hidden keeps a route out of the OpenAPI document (the studio's pages).
	hidden bool
	handle func(*call)
}

// call is one request as a handler sees it.
type call struct {
	w     http.ResponseWriter
	r     *http.Request
	s     *Server
	key   *store.APIKey
	route *route
	// for the request log
	ruleset, executionID string
}

func (c *call) ctx() context.Context { return c.r.Context() }

func (c *call) problem(p *Problem) { writeProblem(c.w, c.r, p) }

// may reports whether the call's key has scope need.
func (c *call) may(need string) bool { return c.key != nil && hasScope(c.key.Scopes, need) }

// table is every route of the server.
func (s *Server) table() []*route {
	ok := http.StatusOK
	std := []int{401, 403}
	return append([]*route{
		{Method: "GET", Pattern: "/healthz", Access: []string{accessOpen}, Tag: "operations", Summary: "The process lives", Status: []int{ok}, handle: s.healthz},
		{Method: "GET", Pattern: "/readyz", Access: []string{accessOpen}, Tag: "operations", Summary: "The store is open and every served ruleset loaded", Status: []int{ok, 503}, handle: s.readyz},
		{Method: "GET", Pattern: "/metrics", Access: []string{accessOpen}, Tag: "operations", Summary: "Prometheus metrics", Status: []int{ok}, handle: s.serveMetrics},

		{Method: "GET", Pattern: "/docs", Access: []string{accessOpen}, Tag: "operations", Summary: "This API, readable (the routes; a ruleset's inputs and outputs are in its OpenAPI document)", Status: []int{ok}, handle: s.docsPage},
		{Method: "GET", Pattern: "/api/openapi.json", Access: []string{accessKey}, Tag: "rulesets", Summary: "The OpenAPI 3.1 document of the server: every route, and the rulesets the key may use", Status: append([]int{ok}, std...), handle: s.serverOpenAPI},
		{Method: "GET", Pattern: "/api/rulesets/{name}/openapi.json", Access: []string{"execute:{name}", "workflows:{name}", "admin"}, Tag: "rulesets", Summary: "The OpenAPI 3.1 document of a ruleset's execute routes (inputs as JSON Schema, outputs by type, examples from its testcases) and, for a workflow, of its start, task and upload routes (workflows:{name} may read that one)", Status: append([]int{ok, 404}, std...), handle: s.rulesetOpenAPI},
		{Method: "GET", Pattern: "/api/rulesets", Access: []string{accessKey}, Tag: "rulesets", Summary: "The rulesets the key may use: name, versions, description, endpoints", Status: append([]int{ok}, std...), handle: s.listRulesets},
		{Method: "POST", Pattern: "/api/rulesets", Access: []string{"admin"}, Tag: "rulesets", Summary: "Import a ruleset's JSON form into the store", Body: true, Status: append([]int{201, ok, 400, 409, 413, 415}, std...), handle: s.importRuleset},
		{Method: "GET", Pattern: "/api/rulesets/{name}", Access: []string{"execute:{name}", "entities:{name}:read", "admin"}, Tag: "rulesets", Summary: "The latest version's summary (with admin also its JSON form)", Status: append([]int{ok, 404}, std...), handle: s.describeRuleset},
		{Method: "POST", Pattern: "/api/rulesets/{name}/execute", Access: []string{"execute:{name}"}, Tag: "execute", Summary: "Execute the highest version", Body: true, Status: append([]int{ok, 400, 404, 413, 415, 422, 503}, std...), handle: s.execute},
		{Method: "POST", Pattern: "/api/rulesets/{name}/versions/{version}/execute", Access: []string{"execute:{name}"}, Tag: "execute", Summary: "Execute one version", Body: true, Status: append([]int{ok, 400, 404, 413, 415, 422, 503}, std...), handle: s.execute},

		{Method: "GET", Pattern: "/api/keys", Access: []string{"admin"}, Tag: "keys", Summary: "Every key: id, name, scopes, created, expires, last used (never the key)", Status: append([]int{ok}, std...), handle: s.listKeys},
		{Method: "POST", Pattern: "/api/keys", Access: []string{"admin"}, Tag: "keys", Summary: "Create a key: the answer shows it this once", Body: true, Status: append([]int{201, 400, 413, 415}, std...), handle: s.createKey},
		{Method: "DELETE", Pattern: "/api/keys/{id}", Access: []string{"admin"}, Tag: "keys", Summary: "Revoke a key (refused from the next request on)", Status: append([]int{ok, 404}, std...), handle: s.revokeKey},
	}, append(append(s.dataRoutes(), s.workflowRoutes()...), append(append(s.documentRoutes(), s.mailRoutes()...), s.studioRoutes()...)...)...)
}

// Routes lists the table as (method, pattern, access) for tests and documentation.
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, len(s.routes))
	for i, r := range s.routes {
		out[i] = RouteInfo{Method: r.Method, Pattern: r.Pattern, Access: slices.Clone(r.Access), Summary: r.Summary, Tag: r.Tag, Body: r.Body, Status: slices.Clone(r.Status), Hidden: r.hidden}
	}
	return out
}

// RouteInfo is a route of the table as others read it.
type RouteInfo struct {
	Method, Pattern string
	Access          []string
	Summary, Tag    string
	Body            bool
	Status          []int
	Hidden          bool // not in the OpenAPI document (the studio's pages)
}

// instancePrefix starts the routes of one workflow instance. Their patterns and those of a named
// workflow's routes (/api/workflows/{name}/instances) both match /api/workflows/instances/instances,
// which net/http refuses to register side by side; so the two groups get muxes of their own, and a
// workflow ruleset named "instances" is not reachable by name (the catalog warns about it).
const instancePrefix = "/api/workflows/instances/"

// buildMux registers every route, wrapped in what every request goes through.
func (s *Server) buildMux() http.Handler {
	var main, inst []*route
	for _, rt := range s.routes {
		if strings.HasPrefix(rt.Pattern, instancePrefix) {
			inst = append(inst, rt)
		} else {
			main = append(main, rt)
		}
	}
	mainMux, instMux := s.mux(main), s.mux(inst)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, instancePrefix) {
			instMux.ServeHTTP(w, r)
			return
		}
		mainMux.ServeHTTP(w, r)
	})
}

// mux registers a group of routes that net/http can tell apart, with the 404 and 405 answers.
func (s *Server) mux(routes []*route) http.Handler {
	mux := http.NewServeMux()
	paths := http.NewServeMux() // the routes' paths for every method: 404 or 405?
	allowed := map[string][]string{}
	for _, rt := range routes {
		mux.Handle(rt.Method+" "+rt.Pattern, s.wrap(rt))
		if _, ok := allowed[rt.Pattern]; !ok {
			paths.Handle(rt.Pattern, http.NotFoundHandler())
		}
		allowed[rt.Pattern] = append(allowed[rt.Pattern], rt.Method)
	}
	fallback := &route{Method: "", Pattern: "unmatched", Access: []string{accessOpen}, handle: func(c *call) {
		if _, pattern := paths.Handler(c.r); pattern != "" {
			methods := allowed[pattern]
			if slices.Contains(methods, "GET") {
				methods = append(methods, "HEAD")
			}
			c.w.Header().Set("Allow", strings.Join(methods, ", "))
			c.problem(newProblem("method-not-allowed", "%s is not allowed on %s; use %s", c.r.Method, c.r.URL.Path, strings.Join(methods, " or ")))
			return
		}
		c.problem(newProblem("not-found", "no route %s %s", c.r.Method, c.r.URL.Path))
	}}
	mux.Handle("/", s.wrap(fallback))
	return mux
}

// statusWriter remembers the status and size of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wrap is what every request of a route goes through: a request id, the in-flight limit, the key
// and its scope, the body limit, then the handler; and after it, the log line and the metrics.
func (s *Server) wrap(rt *route) http.Handler {
	open := slices.Contains(rt.Access, accessOpen) || slices.Contains(rt.Access, accessSession)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		reqID := r.Header.Get("X-Request-Id")
		if reqID == "" || len(reqID) > 128 || strings.ContainsFunc(reqID, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
			reqID = uuid.NewString()
		}
		w.Header().Set("X-Request-Id", reqID)
		if r.URL.Path == "/studio" || strings.HasPrefix(r.URL.Path, "/studio/") {
			// Every studio answer, errors and redirects too, has the studio's CSP and framing rules.
			studioHeaders(w)
		}
		sw := &statusWriter{ResponseWriter: w}
		c := &call{w: sw, r: r, s: s, route: rt}
		if s.cfg.LocalStudio && !loopbackHost(r.Host) {
			c.problem(newProblem("misdirected", "kubus studio answers requests for localhost, 127.0.0.1 or [::1] only, not %q", shorten(r.Host, 100)))
			s.finish(c, reqID, start, sw)
			return
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("handler panic", "request_id", reqID, "route", rt.Pattern, "panic", safePanic(p))
				if sw.status == 0 {
					c.problem(newProblem("internal", "the server failed on this request (request id %s)", reqID))
				}
			}
			s.finish(c, reqID, start, sw)
		}()
		if !open {
			// Health and metrics stay answerable when the server is full.
			select {
			case s.inflight <- struct{}{}:
				defer func() { <-s.inflight }()
			default:
				sw.Header().Set("Retry-After", "1")
				c.problem(newProblem("overloaded", "more than %d requests are in flight; retry after a second", cap(s.inflight)))
				return
			}
			s.metrics.inflight.Inc()
			defer s.metrics.inflight.Dec()
			if !s.authorize(c) {
				return
			}
		}
		if rt.Body {
			r.Body = http.MaxBytesReader(sw, r.Body, s.cfg.MaxBody)
		}
		rt.handle(c)
	})
}

// authorize checks the key and the route's scope; it answers 401/403 itself.
func (s *Server) authorize(c *call) bool {
	var k *store.APIKey
	var why string
	presented := presentedKey(c.r)
	viaCookie := presented == "" && hasCookie(c.r, studioCookie)
	if !viaCookie {
		k, why = s.keys.check(presented, s.cfg.Now())
	} else {
		// The studio: a session cookie instead of a key header, and a CSRF token on every change.
		var sess *studioSession
		if k, sess, why = s.sessionKey(c.r); k != nil && !checkCSRF(c.r, sess) {
			s.metrics.keysRefused.WithLabelValues("csrf").Inc()
			c.problem(newProblem("csrf", "a change made with the studio's session cookie needs the session's token in %s", csrfHeader))
			return false
		}
	}
	if k == nil {
		s.metrics.keysRefused.WithLabelValues(why).Inc()
		detail := map[string]string{
			refusedMissing: "send an API key as Authorization: Bearer KEY or X-API-Key: KEY",
			refusedUnknown: "the API key is not known",
			refusedRevoked: "the API key was revoked",
			refusedExpired: "the API key has expired",
		}[why]
		if viaCookie {
			detail = "the studio session has ended; sign in again at /studio/"
		}
		c.problem(newProblem("unauthorized", "%s", detail))
		return false
	}
	c.key = k
	if slices.Contains(c.route.Access, accessKey) {
		return true
	}
	for _, a := range c.route.Access {
		if c.may(strings.ReplaceAll(a, "{name}", c.r.PathValue("name"))) {
			return true
		}
	}
	s.metrics.keysRefused.WithLabelValues("scope").Inc()
	need := make([]string, len(c.route.Access))
	for i, a := range c.route.Access {
		need[i] = strings.ReplaceAll(a, "{name}", c.r.PathValue("name"))
	}
	c.problem(newProblem("forbidden", "key %s needs the scope %s", k.ID, strings.Join(need, " or ")))
	return false
}

// hasCookie reports whether the request carries a cookie of that name.
func hasCookie(r *http.Request, name string) bool {
	_, err := r.Cookie(name)
	return err == nil
}

// finish writes the request's log line and metrics: never a key, a password or an input value.
func (s *Server) finish(c *call, reqID string, start time.Time, sw *statusWriter) {
	d := time.Since(start)
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	s.metrics.requests.WithLabelValues(c.route.Pattern, c.r.Method, strconv.Itoa(status)).Inc()
	s.metrics.duration.WithLabelValues(c.route.Pattern).Observe(d.Seconds())
	attrs := []any{"request_id", reqID, "method", c.r.Method, "route", c.route.Pattern, "status", status,
		"duration_ms", float64(d.Microseconds()) / 1000, "bytes", sw.bytes}
	if c.ruleset != "" {
		attrs = append(attrs, "ruleset", c.ruleset)
	}
	if c.executionID != "" {
		attrs = append(attrs, "execution_id", c.executionID)
	}
	if c.key != nil {
		attrs = append(attrs, "key_id", c.key.ID)
	}
	s.log.Info("request", attrs...)
}

// safePanic is a panic value as text, cut short (a panic may carry rule-controlled text).
func safePanic(p any) string {
	msg := strings.ToValidUTF8(strings.TrimSpace(strings.ReplaceAll(fmtAny(p), "\n", " ")), "?")
	if len(msg) > 500 {
		msg = msg[:500] + "…"
	}
	return msg
}

// loopbackHost is whether a request's Host names this machine: localhost (or a name under
// .localhost) or a loopback address, with or without a port.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.TrimPrefix(strings.TrimSuffix(host, "]"), "[")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
