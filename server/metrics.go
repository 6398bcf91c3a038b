package server

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, on a registry of its own (two servers in one
// process, as in tests, do not share counters).
type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	inflight    prometheus.Gauge
	executions  *prometheus.CounterVec
	execTime    *prometheus.HistogramVec
	keysRefused *prometheus.CounterVec
	handler     http.Handler
}

func newMetrics(routes []*route) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kubus_http_requests_total", Help: "HTTP requests by route pattern, method and status."}, []string{"route", "method", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kubus_http_request_duration_seconds", Help: "HTTP request duration by route pattern.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}, []string{"route"})
	m.inflight = prometheus.NewGauge(prometheus.GaugeOpts{Name: "kubus_http_requests_in_flight", Help: "Requests being handled now (the --max-inflight limit counts these)."})
	m.executions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kubus_executions_total", Help: "Ruleset executions by ruleset, version and outcome (ok, halted, invalid-input, error, timeout, memory, call stack depth, canceled)."}, []string{"ruleset", "version", "outcome"})
	m.execTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kubus_execution_duration_seconds", Help: "Ruleset execution duration (the engine's, without HTTP).",
		Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}}, []string{"ruleset"})
	m.keysRefused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kubus_keys_refused_total", Help: "Requests refused for their key: missing, unknown, revoked, expired, scope."}, []string{"reason"})
	m.reg.MustRegister(m.requests, m.duration, m.inflight, m.executions, m.execTime, m.keysRefused,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every route shows from the start, at zero: a dashboard does not wait for the first request.
	for _, r := range routes {
		m.duration.WithLabelValues(r.Pattern)
	}
	for _, why := range []string{refusedMissing, refusedUnknown, refusedRevoked, refusedExpired, "scope"} {
		m.keysRefused.WithLabelValues(why)
	}
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

func (s *Server) serveMetrics(c *call) { s.metrics.handler.ServeHTTP(c.w, c.r) }

func (s *Server) healthz(c *call) { writeJSON(c.w, http.StatusOK, map[string]string{"status": "ok"}) }

// readyz: the store answers and every served ruleset is loaded.
func (s *Server) readyz(c *call) {
	if _, err := s.st.RulesetNames(); err != nil {
		c.problem(newProblem("not-ready", "the store does not answer: %v", err))
		return
	}
	failing := s.catalog.failing()
	if len(failing) > 0 {
		p := newProblem("not-ready", "%d served ruleset(s) do not load", len(failing))
		p.Errors = failing
		c.problem(p)
		return
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"status": "ready", "rulesets": len(s.eng.Rulesets())})
}

func fmtAny(v any) string { return fmt.Sprint(v) }
