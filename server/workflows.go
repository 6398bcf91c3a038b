package server

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/store"
	"github.com/kubusdev/kubus/workflow"
	"github.com/kubusdev/kubus/workflow/diagram"
)

// workflowRoutes are the routes of workflows.md: instances, their history, tasks, uploads, cancel,
// retry and the diagram. An instance route needs the scope of the instance's workflow; a key
// without it is told there is no such instance (404), so that ids of other workflows leak nothing.
func (s *Server) workflowRoutes() []*route {
	ok := http.StatusOK
	with := func(codes ...int) []int { return append(codes, 401, 403) }
	scope := []string{"workflows:{name}"}
	const inst = "/api/workflows/instances/{id}"
	return []*route{
		{Method: "POST", Pattern: "/api/workflows/{name}/instances", Access: scope, Tag: "workflows", Summary: "Start an instance with {input}; it runs until it waits (201, Location, ETag)", Body: true, Status: with(201, 400, 404, 409, 413, 415), handle: s.startInstance},
		{Method: "GET", Pattern: "/api/workflows/{name}/instances", Access: scope, Tag: "workflows", Summary: "List instances, oldest first: status, limit (≤ 1000), cursor; {items, next}", Status: with(ok, 400, 404), handle: s.listInstances},
		{Method: "GET", Pattern: "/api/workflows/{name}/diagram.svg", Access: scope, Tag: "workflows", Summary: "The workflow's steps as SVG; ?instance=ID marks its path, current and failed steps", Status: with(ok, 404), handle: s.workflowDiagram},
		{Method: "GET", Pattern: inst, Access: []string{accessKey}, Tag: "workflows", Summary: "One instance (ETag; If-None-Match answers 304)", Status: with(ok, 304, 404), handle: s.getInstance},
		{Method: "GET", Pattern: inst + "/history", Access: []string{accessKey}, Tag: "workflows", Summary: "The instance's events in order: {items}", Status: with(ok, 404), handle: s.instanceHistory},
		{Method: "POST", Pattern: inst + "/tasks/{step}", Access: []string{accessKey}, Tag: "workflows", Summary: "Answer the task the instance waits for at a step with {answer}; 409 when it does not wait there", Body: true, Status: with(ok, 400, 404, 409, 413, 415), handle: s.answerTask},
		{Method: "POST", Pattern: inst + "/uploads/{step}", Access: []string{accessKey}, Tag: "workflows", Summary: "Upload the file (multipart/form-data, part `file`) the instance waits for at a step; its type and size are checked while it streams", Status: with(ok, 400, 404, 409, 413, 415), handle: s.uploadFile},
		{Method: "POST", Pattern: inst + "/cancel", Access: []string{accessKey}, Tag: "workflows", Summary: "Cancel the instance (409 when it has ended)", Status: with(ok, 404, 409), handle: s.cancelInstance},
		{Method: "POST", Pattern: inst + "/retry", Access: []string{accessKey}, Tag: "workflows", Summary: "Run the failed step of an incident again (409 when there is none)", Status: with(ok, 404, 409), handle: s.retryInstance},
	}
}

// workflowRuleset resolves the path's workflow ruleset; it answers 404 itself.
func (c *call) workflowRuleset() *engine.Ruleset {
	rs := c.findRuleset()
	if rs == nil {
		return nil
	}
	if rs.Model().Workflow == nil {
		c.problem(newProblem("not-found", "ruleset %s is not a workflow", rs.Name()))
		return nil
	}
	return rs
}

// instance reads the path's instance, answering 404 when there is none or the key may not see it.
func (c *call) instance() *workflow.Instance {
	id := c.r.PathValue("id")
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		c.problem(newProblem("not-found", "no workflow instance %s", truncate(id, 64)))
		return nil
	}
	inst, err := c.s.wf.Get(id)
	if err == nil && !c.may("workflows:"+inst.Workflow) {
		err = workflow.ErrNotFound
	}
	if err != nil {
		c.workflowProblem(err)
		return nil
	}
	c.ruleset = inst.Workflow + "@" + inst.Version
	return inst
}

// answerInstance writes an instance with its ETag.
func (c *call) answerInstance(status int, inst *workflow.Instance) {
	c.w.Header().Set("ETag", recordETag(inst.Rev))
	writeJSON(c.w, status, inst)
}

// workflowProblem maps the workflow package's errors to the contract's statuses.
func (c *call) workflowProblem(err error) {
	var ie *engine.InputError
	var ee *engine.EvalError
	var se *workflow.StateError
	switch {
	case errors.As(err, &ie):
		c.problem(inputProblem(ie))
	case errors.As(err, &se):
		c.problem(newProblem("conflict", "%s", se.Message))
	case errors.Is(err, workflow.ErrNotFound):
		c.problem(newProblem("not-found", "no workflow instance %s", truncate(c.r.PathValue("id"), 64)))
	case errors.Is(err, workflow.ErrTooLarge):
		c.problem(newProblem("body-too-large", "%s", strings.TrimPrefix(err.Error(), "workflow: ")))
	case errors.Is(err, workflow.ErrContentType):
		c.problem(newProblem("unsupported-upload", "%s", strings.TrimPrefix(err.Error(), "workflow: ")))
	case errors.As(err, &ee):
		c.problem(evalProblem(ee))
	case errors.Is(err, store.ErrImmutable):
		c.problem(newProblem("conflict", "%s", err.Error()))
	case errors.Is(err, store.ErrConflict):
		c.problem(newProblem("conflict", "the instance kept changing under the request (retried); try again"))
	default:
		c.s.log.Error("workflow request failed", "route", c.route.Pattern, "error", err.Error())
		c.problem(newProblem("internal", "the workflow request failed"))
	}
}

func (s *Server) startInstance(c *call) {
	rs := c.workflowRuleset()
	if rs == nil {
		return
	}
	var body struct {
		Input map[string]any `json:"input"`
	}
	if p := decodeJSON(c.r, &body); p != nil {
		c.problem(p)
		return
	}
	inst, err := s.wf.Start(c.ctx(), rs, body.Input)
	if err != nil {
		c.workflowProblem(err)
		return
	}
	c.w.Header().Set("Location", "/api/workflows/instances/"+inst.ID)
	c.answerInstance(http.StatusCreated, inst)
}

func (s *Server) listInstances(c *call) {
	rs := c.workflowRuleset()
	if rs == nil {
		return
	}
	q := c.r.URL.Query()
	status := q.Get("status")
	switch status {
	case "", workflow.StatusRunning, workflow.StatusWaiting, workflow.StatusCompleted, workflow.StatusFailed, workflow.StatusCanceled:
	default:
		c.problem(newProblem("invalid-request", "status %q: use running, waiting, completed, failed or canceled", truncate(status, 32)))
		return
	}
	limit, p := queryInt(c.r, "limit", defaultPageSize, 1, maxPageSize)
	if p != nil {
		c.problem(p)
		return
	}
	after := q.Get("cursor")
	if _, err := uuid.Parse(after); after != "" && (err != nil || len(after) != 36) {
		c.problem(newProblem("invalid-request", "cursor %q is not one this route gave", truncate(after, 64)))
		return
	}
	items, next, err := s.wf.List(workflow.ListOptions{Workflow: rs.Name(), Status: status, Limit: limit, After: after})
	if err != nil {
		c.workflowProblem(err)
		return
	}
	if items == nil {
		items = []*workflow.Instance{}
	}
	var nextV any
	if next != "" {
		nextV = next
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"items": items, "next": nextV})
}

func (s *Server) getInstance(c *call) {
	inst := c.instance()
	if inst == nil {
		return
	}
	if etag := recordETag(inst.Rev); notModified(c.r, etag) {
		writeNotModified(c.w, etag)
		return
	}
	c.answerInstance(http.StatusOK, inst)
}

func (s *Server) instanceHistory(c *call) {
	inst := c.instance()
	if inst == nil {
		return
	}
	evs, err := s.wf.History(inst.ID)
	if err != nil {
		c.workflowProblem(err)
		return
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"items": evs})
}

func (s *Server) answerTask(c *call) {
	inst := c.instance()
	if inst == nil {
		return
	}
	var body struct {
		Answer map[string]any `json:"answer"`
	}
	if p := decodeJSON(c.r, &body); p != nil {
		c.problem(p)
		return
	}
	out, err := s.wf.Answer(c.ctx(), inst.ID, c.r.PathValue("step"), body.Answer)
	if err != nil {
		c.workflowProblem(err)
		return
	}
	c.answerInstance(http.StatusOK, out)
}

// uploadFile streams the `file` part of a multipart body into the workflow, which reads no more than
// the step takes: a larger file is refused after limit+1 bytes, not after the whole body.
func (s *Server) uploadFile(c *call) {
	inst := c.instance()
	if inst == nil {
		return
	}
	rs, err := s.wf.Ruleset(inst)
	if err != nil {
		c.workflowProblem(err)
		return
	}
	step := rs.Model().Workflow.Step(c.r.PathValue("step"))
	if step == nil {
		c.problem(newProblem("not-found", "workflow %s has no step %s", inst.Workflow, truncate(c.r.PathValue("step"), 64)))
		return
	}
	// The multipart framing and headers are small; the file part is bounded by the workflow.
	c.r.Body = http.MaxBytesReader(c.w, c.r.Body, s.wf.UploadLimit(step)+64<<10)
	mt, _, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		c.problem(newProblem("unsupported-upload", "send the file as multipart/form-data with a part named `file`"))
		return
	}
	mr, err := c.r.MultipartReader()
	if err != nil {
		c.problem(newProblem("malformed-request", "the multipart body cannot be read: %v", err))
		return
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			c.problem(newProblem("invalid-request", "the body has no part named `file`"))
			return
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				c.workflowProblem(fmt.Errorf("%w: step %s takes at most %d bytes", workflow.ErrTooLarge, step.Name, s.wf.UploadLimit(step)))
				return
			}
			c.problem(newProblem("malformed-request", "the multipart body cannot be read: %v", err))
			return
		}
		if part.FormName() != "file" {
			_ = part.Close()
			continue
		}
		out, err := s.wf.Upload(c.ctx(), inst.ID, step.Name, workflow.File{Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Body: part})
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = fmt.Errorf("%w: step %s takes at most %d bytes", workflow.ErrTooLarge, step.Name, s.wf.UploadLimit(step))
		}
		if err != nil {
			c.workflowProblem(err)
			return
		}
		c.answerInstance(http.StatusOK, out)
		return
	}
}

func (s *Server) cancelInstance(c *call) {
	inst := c.instance()
	if inst == nil {
		return
	}
	out, err := s.wf.Cancel(c.ctx(), inst.ID, "canceled through the API")
	if err != nil {
		c.workflowProblem(err)
		return
	}
	c.answerInstance(http.StatusOK, out)
}

func (s *Server) retryInstance(c *call) {
	inst := c.instance()
	if inst == nil {
		return
	}
	out, err := s.wf.Retry(c.ctx(), inst.ID)
	if err != nil {
		c.workflowProblem(err)
		return
	}
	c.answerInstance(http.StatusOK, out)
}

func (s *Server) workflowDiagram(c *call) {
	rs := c.workflowRuleset()
	if rs == nil {
		return
	}
	var marks *diagram.Marks
	if id := c.r.URL.Query().Get("instance"); id != "" {
		inst, err := s.wf.Get(id)
		if err != nil || inst.Workflow != rs.Name() {
			c.problem(newProblem("not-found", "workflow %s has no instance %s", rs.Name(), truncate(id, 64)))
			return
		}
		evs, err := s.wf.History(id)
		if err != nil {
			c.workflowProblem(err)
			return
		}
		marks = workflow.MarksOf(inst, evs)
		if rs, err = s.wf.Ruleset(inst); err != nil { // the instance's own version
			c.workflowProblem(err)
			return
		}
	}
	c.w.Header().Set("Content-Type", "image/svg+xml")
	c.w.Header().Set("X-Content-Type-Options", "nosniff")
	c.w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_, _ = c.w.Write(diagram.SVG(rs.Model().Workflow, marks))
}
