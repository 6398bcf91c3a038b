package server

import (
	"errors"
	"net/http"
	"regexp"

	"github.com/kubusdev/kubus/builtins/audit"
	"github.com/kubusdev/kubus/builtins/consent"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/store"
)

// Alert aggregation, as Rulecube documents it, and the audit trail: both read what executions (and
// the personal-data routes) saved in the store, as `kubus metrics` and `kubus audit` do.

// rulesetNameRE is the grammar of a ruleset name.
var rulesetNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

type aggregateRequest struct {
	RuleSetID string   `json:"ruleSetId"`
	Tags      []string `json:"tags"`
}

// aggregateAlerts is POST /api/alert/aggregate: the alert counts saved by executions with
// options.metrics, summed over the records whose tags start with the given tags (engine.AlertMetrics).
// A served ruleset without saved metrics answers its declared alerts at 0; a name that is neither
// served nor has metrics is 404.
func (s *Server) aggregateAlerts(c *call) {
	var req aggregateRequest
	if p := decodeJSON(c.r, &req); p != nil {
		c.problem(p)
		return
	}
	if req.RuleSetID == "" || len(req.RuleSetID) > 200 || !rulesetNameRE.MatchString(req.RuleSetID) {
		c.problem(newProblem("invalid-request", "ruleSetId must be a ruleset name (lower-case letters, digits and -), got %q", truncate(req.RuleSetID, 60)))
		return
	}
	if req.Tags == nil {
		req.Tags = []string{}
	}
	counts, err := engine.AlertMetrics(s.st, req.RuleSetID, req.Tags)
	var ie *engine.InputError
	switch {
	case errors.As(err, &ie):
		p := newProblem("invalid-request", "%d problem(s) with the tags", len(ie.Problems))
		p.Errors = ie.Problems
		c.problem(p)
		return
	case errors.Is(err, engine.ErrNoMetrics):
		rs, gerr := s.eng.Get(req.RuleSetID)
		if gerr != nil {
			c.problem(newProblem("not-found", "ruleset %s is not served and has no alert metrics", req.RuleSetID))
			return
		}
		counts = map[string]int{}
		for _, a := range rs.Model().Alerts {
			counts[a.Name] = 0
		}
	case err != nil:
		s.log.Error("alert metrics", "ruleset", req.RuleSetID, "error", err.Error())
		c.problem(newProblem("internal", "reading the alert metrics failed"))
		return
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"ruleSetId": req.RuleSetID, "tags": req.Tags, "alerts": counts})
}

// Bounds of an audit page.
const (
	defaultAuditPage = 1000
	maxAuditPage     = 10_000
)

var auditSort = []string{"_createdAt"}

// listAudit is GET /api/audit: the events, oldest first, of one user (?user=, the actor), one
// record (?subjectId=), since a time (?since=); paged by limit and cursor.
func (s *Server) listAudit(c *call) {
	q := c.r.URL.Query()
	var aq audit.Query
	aq.Actor, aq.ID = q.Get("user"), q.Get("subjectId")
	if len(aq.Actor) > consent.MaxUserIDLength || len(aq.ID) > 1024 {
		c.problem(newProblem("invalid-request", "user and subjectId are at most %d characters", consent.MaxUserIDLength))
		return
	}
	if since := q.Get("since"); since != "" {
		t, err := parseTimeParam(since)
		if err != nil {
			c.problem(newProblem("invalid-request", "since: %v", err))
			return
		}
		aq.Since = t
	}
	limit, p := queryInt(c.r, "limit", defaultAuditPage, 1, maxAuditPage)
	if p != nil {
		c.problem(p)
		return
	}
	fp := queryFingerprint("audit", aq.Actor, aq.ID, aq.Since)
	var after *store.Record
	if cur := q.Get("cursor"); cur != "" {
		if after, p = decodeCursor(cur, fp, auditSort); p != nil {
			c.problem(p)
			return
		}
	}
	tx := s.st.Begin()
	events, err := audit.List(tx, aq)
	tx.Discard()
	if err != nil {
		s.log.Error("audit", "error", err.Error())
		c.problem(newProblem("internal", "reading the audit trail failed"))
		return
	}
	order, _ := store.Order(auditSort)
	page, more := pageAfter(events, order, after, limit)
	out := make([]map[string]any, len(page))
	for i, e := range page {
		m := make(map[string]any, len(e.Props)+1)
		for k, v := range e.Props {
			m[k] = v
		}
		m["_id"] = e.ID
		out[i] = m
	}
	var next any
	if more {
		next = encodeCursor(fp, page[len(page)-1], auditSort)
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"events": out, "next": next})
}
