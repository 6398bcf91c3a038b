package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"
	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/kubusdev/kubus/store"
)

// findRuleset resolves the path's ruleset (and version); it answers 404 itself.
func (c *call) findRuleset() *engine.Ruleset {
	name, version := c.r.PathValue("name"), c.r.PathValue("version")
	ref := name
	if version != "" {
		ref += "@" + version
	}
	rs, err := c.s.eng.Get(ref)
	if err != nil {
		if version != "" {
			if _, lerr := c.s.eng.Get(name); lerr == nil {
				c.problem(newProblem("not-found", "ruleset %s has no version %s", name, version))
				return nil
			}
		}
		c.problem(newProblem("not-found", "no ruleset %s is served", name))
		return nil
	}
	c.ruleset = rs.Name() + "@" + rs.Version()
	return rs
}

// execRequest is the body of an execute call.
type execRequest struct {
	Input   map[string]any `json:"input"`
	Options *execOptions   `json:"options"`
}

type execOptions struct {
	LogLevel string   `json:"logLevel"`
	Culture  string   `json:"culture"`
	Explain  bool     `json:"explain"`
	Tags     []string `json:"tags"`
	Metrics  bool     `json:"metrics"`
	Now      string   `json:"now"`
}

// execute runs a ruleset: POST /api/rulesets/{name}[/versions/{version}]/execute.
func (s *Server) execute(c *call) {
	rs := c.findRuleset()
	if rs == nil {
		return
	}
	if rs.Model().Library {
		c.problem(newProblem("not-found", "ruleset %s is a library: other rulesets use it, it has nothing to execute", rs.Name()))
		return
	}
	var req execRequest
	if p := decodeJSON(c.r, &req); p != nil {
		c.problem(p)
		return
	}
	opts, p := c.execOptions(req.Options)
	if p != nil {
		c.problem(p)
		return
	}
	if rs.NeedsStore() || opts.Metrics {
		opts.Store = s.st
	}
	id, err := uuid.NewV7()
	if err != nil {
		id = uuid.New()
	}
	c.executionID = id.String()
	c.w.Header().Set("X-Kubus-Execution-Id", c.executionID)
	if req.Input == nil {
		req.Input = map[string]any{}
	}
	start := time.Now()
	res, err := rs.Execute(c.ctx(), req.Input, opts)
	d := time.Since(start)
	outcome := s.answerExecution(c, res, err)
	s.metrics.executions.WithLabelValues(rs.Name(), rs.Version(), outcome).Inc()
	s.metrics.execTime.WithLabelValues(rs.Name()).Observe(d.Seconds())
	if s.decided != nil {
		s.decided.write(c, rs, req.Input, res, outcome, d)
	}
}

// execOptions checks the request's options; `now` needs the scope clock.
func (c *call) execOptions(o *execOptions) (engine.ExecOptions, *Problem) {
	var opts engine.ExecOptions
	if o == nil {
		return opts, nil
	}
	if o.LogLevel != "" {
		level, err := builtins.ParseLogLevel(o.LogLevel)
		if err != nil {
			return opts, newProblem("invalid-request", "options.logLevel: %v", err)
		}
		opts.LogLevel = level
	}
	if o.Now != "" {
		if !c.may("clock") {
			return opts, newProblem("invalid-request", "options.now sets the execution clock, which needs a key with the scope clock (a client must not move time past a consent's end)")
		}
		t, err := time.Parse(time.RFC3339Nano, o.Now)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, o.Now); err != nil {
				return opts, newProblem("invalid-request", "options.now %q: use RFC 3339 (2026-01-01T00:00:00Z) or YYYY-MM-DD", o.Now)
			}
		}
		opts.Now = t
	}
	opts.Culture, opts.Explain, opts.Tags, opts.Metrics = o.Culture, o.Explain, o.Tags, o.Metrics
	return opts, nil
}

// answerExecution writes the result or the error, and names the outcome for the metrics.
func (s *Server) answerExecution(c *call, res *engine.Result, err error) string {
	if err == nil {
		// Its own MarshalJSON, not json.Marshal: that would scan the bytes again to validate them.
		body, merr := res.MarshalJSON()
		if merr != nil {
			c.problem(newProblem("internal", "the result could not be encoded: %v", merr))
			return "error"
		}
		// The engine's result JSON, exactly what `kubus run` prints, with the execution id first.
		var buf bytes.Buffer
		buf.Grow(len(body) + 64)
		buf.WriteString(`{"executionId":"`)
		buf.WriteString(c.executionID)
		buf.WriteString(`",`)
		buf.Write(body[1:])
		buf.WriteByte('\n')
		c.w.Header().Set("Content-Type", "application/json")
		c.w.WriteHeader(http.StatusOK)
		_, _ = c.w.Write(buf.Bytes())
		if res.Halted != nil {
			return "halted"
		}
		return "ok"
	}
	var ie *engine.InputError
	var ee *engine.EvalError
	switch {
	case errors.As(err, &ie):
		c.problem(inputProblem(ie))
		return "invalid-input"
	case errors.As(err, &ee):
		c.problem(evalProblem(ee))
		return ee.Kind
	case errors.Is(err, store.ErrConflict):
		c.problem(newProblem("conflict", "the execution's writes kept conflicting with other executions' (retried); try again"))
		return "conflict"
	}
	s.log.Error("execution failed", "execution_id", c.executionID, "ruleset", c.ruleset, "error", err.Error())
	c.problem(newProblem("internal", "the execution failed (execution id %s)", c.executionID))
	return "error"
}

// rulesetEntry is a ruleset in GET /api/rulesets.
type rulesetEntry struct {
	Name        string            `json:"name"`
	Versions    []string          `json:"versions"`
	Latest      string            `json:"latest"`
	Description string            `json:"description,omitempty"`
	Library     bool              `json:"library"`
	Persists    bool              `json:"persists"`
	Endpoints   map[string]string `json:"endpoints"`
}

// servedRulesets groups the engine's rulesets by name, versions ascending.
func (s *Server) servedRulesets() (names []string, byName map[string][]*engine.Ruleset) {
	byName = map[string][]*engine.Ruleset{}
	for _, rs := range s.eng.Rulesets() {
		if _, ok := byName[rs.Name()]; !ok {
			names = append(names, rs.Name())
		}
		byName[rs.Name()] = append(byName[rs.Name()], rs)
	}
	return names, byName
}

// visible reports whether the call's key may see the ruleset at all.
func (c *call) visible(name string) bool {
	return c.may("admin") || c.may("execute:"+name) || c.may("entities:"+name+":read")
}

func (s *Server) listRulesets(c *call) {
	names, byName := s.servedRulesets()
	out := []rulesetEntry{}
	for _, n := range names {
		if !c.visible(n) {
			continue
		}
		out = append(out, s.entry(byName[n]))
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"rulesets": out})
}

func (s *Server) entry(versions []*engine.Ruleset) rulesetEntry {
	latest := versions[len(versions)-1]
	m := latest.Model()
	e := rulesetEntry{Name: m.Name, Latest: m.Version, Description: m.Description, Library: m.Library, Persists: m.Persists(), Endpoints: map[string]string{}}
	for _, v := range versions {
		e.Versions = append(e.Versions, v.Version())
	}
	base := "/api/rulesets/" + url.PathEscape(m.Name)
	e.Endpoints["describe"] = base
	if !m.Library {
		e.Endpoints["execute"] = base + "/execute"
		e.Endpoints["openapi"] = base + "/openapi.json"
	}
	if m.Persists() {
		e.Endpoints["entities"] = base + "/entities/{Entity}"
	}
	return e
}

// rulesetSummary is GET /api/rulesets/{name}.
type rulesetSummary struct {
	rulesetEntry
	Culture    string            `json:"culture,omitempty"`
	Timezone   string            `json:"timezone,omitempty"`
	Inputs     []fieldSummary    `json:"inputs"`
	Outputs    []fieldSummary    `json:"outputs"`
	Entities   []entitySummary   `json:"entities"`
	Alerts     []string          `json:"alerts"`
	Testcases  int               `json:"testcases"`
	Problems   []string          `json:"problems,omitempty"`
	Definition json.RawMessage   `json:"definition,omitempty"`
	Uses       []string          `json:"uses,omitempty"`
	Extra      map[string]string `json:"-"`
}

type fieldSummary struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Required    bool   `json:"required,omitempty"`
	From        string `json:"from,omitempty"`
	Description string `json:"description,omitempty"`
}

type entitySummary struct {
	Name       string         `json:"name"`
	Persisted  bool           `json:"persisted"`
	Properties []fieldSummary `json:"properties"`
	Calculated []string       `json:"calculated"`
}

func (s *Server) describeRuleset(c *call) {
	rs := c.findRuleset()
	if rs == nil {
		return
	}
	_, byName := s.servedRulesets()
	m := rs.Model()
	sum := rulesetSummary{rulesetEntry: s.entry(byName[rs.Name()]), Culture: m.Culture, Timezone: m.Timezone, Testcases: len(m.Testcases), Uses: m.Uses,
		Inputs: []fieldSummary{}, Outputs: []fieldSummary{}, Entities: []entitySummary{}, Alerts: []string{}}
	for _, in := range m.Inputs {
		f := fieldSummary{Name: in.Name, Type: in.Type.String(), Required: in.Required, Description: in.Description}
		if in.From != "" && in.From != in.Name {
			f.From = in.From
		}
		sum.Inputs = append(sum.Inputs, f)
		if in.Output {
			sum.Outputs = append(sum.Outputs, fieldSummary{Name: in.Name, Type: in.Type.String()})
		}
	}
	for _, r := range m.Rules {
		if r.Output {
			sum.Outputs = append(sum.Outputs, fieldSummary{Name: r.OutputName, Type: r.Type.String(), Description: r.Description})
		}
	}
	for _, e := range m.Entities {
		es := entitySummary{Name: e.Name, Persisted: e.Persisted, Properties: []fieldSummary{}, Calculated: []string{}}
		for _, p := range e.Properties {
			es.Properties = append(es.Properties, fieldSummary{Name: p.Name, Type: p.Type.String(), Required: p.Required})
		}
		for _, cp := range e.Calculated {
			es.Calculated = append(es.Calculated, cp.Name)
		}
		sum.Entities = append(sum.Entities, es)
	}
	for _, a := range m.Alerts {
		sum.Alerts = append(sum.Alerts, a.Name)
	}
	sum.Problems = s.catalog.problemsOf(rs.Name())
	if c.may("admin") {
		if doc, err := rulesets.ExportJSON(m); err == nil {
			sum.Definition = doc
		}
	}
	writeJSON(c.w, http.StatusOK, sum)
}

// importRuleset stores a ruleset's JSON form, as `kubus import` does, and serves it.
func (s *Server) importRuleset(c *call) {
	if p := checkJSONContentType(c.r); p != nil {
		c.problem(p)
		return
	}
	body, err := io.ReadAll(c.r.Body)
	if err != nil {
		c.problem(jsonProblem(err))
		return
	}
	if !json.Valid(body) {
		var v any
		c.problem(jsonProblem(json.Unmarshal(body, &v)))
		return
	}
	lo, err := s.eng.LoadOptions()
	if err != nil {
		c.problem(newProblem("internal", "%v", err))
		return
	}
	model, err := rulesets.LoadJSON(body, "request body", lo)
	if err != nil {
		var le *rulesets.LoadError
		p := newProblem("invalid-request", "the ruleset does not load")
		if errors.As(err, &le) {
			p.Detail = fmt.Sprintf("the ruleset does not load: %d problem(s)", len(le.Problems))
			p.Errors = loadProblems(le)
		} else {
			p.Detail = "the ruleset does not load: " + err.Error()
		}
		c.problem(p)
		return
	}
	c.ruleset = model.Name + "@" + model.Version
	doc, err := rulesets.ExportJSON(model)
	if err != nil {
		c.problem(newProblem("internal", "%v", err))
		return
	}
	// Compile before storing: a version the store keeps must be one the server can serve.
	if served, err := s.eng.Get(model.Name + "@" + model.Version); err == nil {
		if have, err := rulesets.ExportJSON(served.Model()); err == nil && !bytes.Equal(bytes.TrimSpace(have), bytes.TrimSpace(doc)) {
			c.problem(newProblem("conflict", "%s %s is already served with other content: a version never changes, so give this one a new version", model.Name, model.Version))
			return
		}
	} else {
		if _, err := s.eng.Add(model); err != nil {
			c.problem(newProblem("invalid-request", "the ruleset does not compile: %v", err))
			return
		}
	}
	created, err := s.st.PutRuleset(model.Name, model.Version, doc, time.Time{})
	switch {
	case errors.Is(err, store.ErrImmutable):
		c.problem(newProblem("conflict", "%v", err))
		return
	case err != nil:
		c.problem(newProblem("internal", "storing the ruleset: %v", err))
		return
	}
	if dir := s.catalog.folder(model.Name); dir != "" && created {
		s.log.Info("stored a version of a ruleset also served from a folder", "ruleset", c.ruleset, "folder", dir)
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		c.w.Header().Set("Location", "/api/rulesets/"+url.PathEscape(model.Name)+"/versions/"+url.PathEscape(model.Version)+"/execute")
	}
	writeJSON(c.w, status, map[string]any{"name": model.Name, "version": model.Version, "created": created})
}

// loadProblem is a ruleset problem in a response: where, what, the fix.
type loadProblem struct {
	At      string `json:"at,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

func loadProblems(le *rulesets.LoadError) []loadProblem {
	out := make([]loadProblem, len(le.Problems))
	for i, p := range le.Problems {
		out[i] = loadProblem{At: p.Pos.String(), Field: p.Field, Message: p.Message, Hint: p.Hint}
	}
	return out
}

// inputProblem is the 400 of an input (or a workflow answer) that does not fit: every problem,
// with its path.
func inputProblem(ie *engine.InputError) *Problem {
	p := newProblem("invalid-input", "%d problem(s) with the input", len(ie.Problems))
	p.Errors = ie.Problems
	return p
}

// evalProblem is the 422 of an evaluation error. The engine writes {"error": {...}}; the problem
// carries the inner object as its `error`.
func evalProblem(ee *engine.EvalError) *Problem {
	p := newProblem("evaluation-failed", "%s", ee.Error())
	var wrapped struct {
		Error json.RawMessage `json:"error"`
	}
	if b, err := json.Marshal(ee); err == nil && json.Unmarshal(b, &wrapped) == nil {
		p.Error = wrapped.Error
	}
	return p
}
