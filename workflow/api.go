package workflow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/kubusdev/kubus/builtins/documents"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/kubusdev/kubus/store"
)

// Start creates an instance of the workflow ruleset rs and runs it until it waits (or
// MaxInlineSteps steps have run; the scheduler goes on from there). The start step runs in the
// transaction that creates the instance, so an input that does not fit is an *engine.InputError
// and creates nothing.
func (s *Service) Start(ctx context.Context, rs *engine.Ruleset, input map[string]any) (*Instance, error) {
	w := rs.Model().Workflow
	if w == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotWorkflow, rs.Name())
	}
	if input == nil {
		input = map[string]any{}
	}
	if err := s.pin(rs); err != nil {
		return nil, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	now := s.opts.Now().UTC()
	fresh := func(tx store.Tx) (*change, error) {
		inst := &Instance{ID: id.String(), Workflow: rs.Name(), Version: rs.Version(), Status: StatusRunning, Input: input,
			State: map[string]any{}, CreatedAt: now}
		c := &change{s: s, ctx: ctx, tx: tx, inst: inst, rs: rs, w: w, now: now, callerInput: true}
		c.event("", EventStarted, nil)
		return c, nil
	}
	var failed *stepFailed
	inst, err := s.exclusive(ctx, id.String(), func() (*Instance, error) {
		// The start step runs in the transaction that creates the instance.
		inst, err := s.transact(ctx, fresh, func(c *change) error { return c.arriveStart(c.newToken(""), true) })
		if errors.As(err, &failed) {
			// The start step failed: the instance exists all the same, failed at its start (or
			// waiting for a retry), so that it can be retried and its history read. The
			// scheduler, which may see the ready token once it is committed, waits for the lock.
			if _, err := s.transact(ctx, fresh, func(c *change) error { return c.arriveStart(c.newToken(""), false) }); err != nil {
				return nil, err
			}
			return s.fail(ctx, id.String(), failed, nil)
		}
		return inst, err
	})
	if err != nil || failed != nil {
		return inst, err
	}
	return s.driveFrom(ctx, inst)
}

// arriveStart puts the first token at the start step and runs it (or only makes it ready).
func (c *change) arriveStart(tok *Token, run bool) error {
	start := c.w.Start()
	tok.Step, tok.RunID = start.Name, uuid.NewString()
	c.event(start.Name, EventEntered, nil)
	if !run {
		return c.ready(tok)
	}
	return c.run(tok)
}

// Answer answers the task the instance waits for at step, runs the step's expression with it and
// goes on until the instance waits again. An answer that does not fit the step's declaration is an
// *engine.InputError; a step the instance does not wait at a *StateError. Neither changes anything.
func (s *Service) Answer(ctx context.Context, id, step string, answer map[string]any) (*Instance, error) {
	if answer == nil {
		answer = map[string]any{}
	}
	return s.resume(ctx, id, step, rulesets.StepWait, answer)
}

// resume runs a waiting wait or upload step with its payload.
func (s *Service) resume(ctx context.Context, id, step, stepType string, payload map[string]any) (*Instance, error) {
	var failed *stepFailed
	inst, err := s.exclusive(ctx, id, func() (*Instance, error) {
		inst, err := s.update(ctx, id, func(c *change) error {
			tok, err := c.waitingAt(step, stepType)
			if err != nil {
				return err
			}
			tok.Payload = payload
			c.callerInput = true
			return c.run(tok)
		})
		if errors.As(err, &failed) {
			return s.fail(ctx, id, failed, payload)
		}
		return inst, err
	})
	if err != nil || failed != nil {
		return inst, err
	}
	return s.drive(ctx, inst.ID)
}

// waitingAt finds the token that waits at step for an answer (wait) or a file (upload).
func (c *change) waitingAt(step, stepType string) (*Token, error) {
	refuse := func(format string, args ...any) error {
		return &StateError{Instance: c.inst.ID, Status: c.inst.Status, Message: fmt.Sprintf(format, args...)}
	}
	s := c.step(step)
	switch {
	case s == nil:
		return nil, refuse("workflow %s has no step %s", c.inst.Workflow, step)
	case s.Type != stepType:
		return nil, refuse("step %s is a %s step, not a %s step", step, s.Type, stepType)
	case c.inst.Terminal():
		return nil, refuse("instance %s has ended (%s at step %s): it waits for nothing", c.inst.ID, c.inst.Status, c.inst.Step)
	}
	for _, t := range c.inst.Run.Tokens {
		if t.Step == step && t.State == tokenWaiting && (t.Kind == WaitTask || t.Kind == WaitUpload) {
			return t, nil
		}
	}
	var at []string
	for _, w := range c.inst.Waiting {
		at = append(at, w.Step)
	}
	if len(at) == 0 {
		return nil, refuse("instance %s is not waiting at step %s (it is %s)", c.inst.ID, step, c.inst.Status)
	}
	return nil, refuse("instance %s is not waiting at step %s (it waits at %s)", c.inst.ID, step, strings.Join(at, ", "))
}

// Cancel ends an instance that has not ended: its timers are dropped, nothing more runs.
func (s *Service) Cancel(ctx context.Context, id, reason string) (*Instance, error) {
	return s.update(ctx, id, func(c *change) error {
		if c.inst.Terminal() {
			return &StateError{Instance: id, Status: c.inst.Status, Message: fmt.Sprintf("instance %s is %s already", id, c.inst.Status)}
		}
		for _, t := range c.inst.Run.Tokens {
			if err := c.dropTimer(t); err != nil {
				return err
			}
		}
		c.inst.Run.Tokens, c.inst.Run.Joins = nil, nil
		c.inst.Status = StatusCanceled
		var detail map[string]any
		if reason != "" {
			detail = map[string]any{"reason": reason}
		}
		c.event("", EventCanceled, detail)
		return nil
	})
}

// Retry runs the failed step(s) of an incident again, from a fresh count of tries.
func (s *Service) Retry(ctx context.Context, id string) (*Instance, error) {
	inst, err := s.update(ctx, id, func(c *change) error {
		n := 0
		for _, t := range c.inst.Run.Tokens {
			if t.State != tokenFailed && !(t.State == tokenWaiting && t.Kind == WaitRetry) {
				continue
			}
			n++
			t.Attempt = 0
			c.event(t.Step, EventRetried, nil)
			if err := c.ready(t); err != nil {
				return err
			}
		}
		if n == 0 {
			return &StateError{Instance: id, Status: c.inst.Status, Message: fmt.Sprintf("instance %s has no failed step to retry (it is %s)", id, c.inst.Status)}
		}
		c.inst.Error = nil
		if c.inst.Status == StatusFailed {
			c.inst.Step = ""
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.drive(ctx, inst.ID)
}

// Get reads an instance.
func (s *Service) Get(id string) (*Instance, error) {
	tx := s.store.Begin()
	defer tx.Discard()
	inst, err := loadInstance(tx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return inst, err
}

// ListOptions select instances.
type ListOptions struct {
	Workflow string // "" for every workflow
	Status   string // "" for every status
	Limit    int    // <= 0: 100
	// After is the id of the last instance of the previous page (the cursor).
	After string
}

// List lists instances in creation order, a page at a time. next is the cursor of the next page
// ("" after the last).
func (s *Service) List(o ListOptions) (list []*Instance, next string, err error) {
	if o.Limit <= 0 {
		o.Limit = 100
	}
	filter := map[string]any{}
	if o.Workflow != "" {
		filter["workflow"] = o.Workflow
	}
	if o.Status != "" {
		filter["status"] = o.Status
	}
	q := store.Query{Filter: filter, Limit: o.Limit + 1}
	if o.After != "" {
		q.IDFrom = o.After + "\x00"
	}
	tx := s.store.Begin()
	defer tx.Discard()
	recs, err := tx.Find(InstanceKind, q)
	if err != nil {
		return nil, "", err
	}
	for i, r := range recs {
		if i == o.Limit {
			next = list[len(list)-1].ID
			break
		}
		inst, err := InstanceOf(r)
		if err != nil {
			return nil, "", err
		}
		list = append(list, inst)
	}
	return list, next, nil
}

// History reads an instance's events in order.
func (s *Service) History(id string) ([]Event, error) {
	if _, err := s.Get(id); err != nil {
		return nil, err
	}
	tx := s.store.Begin()
	defer tx.Discard()
	recs, err := tx.Find(EventKind, store.Query{IDFrom: id + "/", IDTo: id + "0"})
	if err != nil {
		return nil, err
	}
	out := make([]Event, 0, len(recs))
	for _, r := range recs {
		var e Event
		if err := fromProps(r.Props, &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// drive runs the instance's ready steps one transaction each, up to MaxInlineSteps, and returns
// the instance as it then is.
func (s *Service) drive(ctx context.Context, id string) (*Instance, error) {
	inst, err := s.Get(id)
	if err != nil {
		return nil, err
	}
	return s.driveFrom(ctx, inst)
}

// driveFrom is drive from an instance just read or committed.
func (s *Service) driveFrom(ctx context.Context, inst *Instance) (*Instance, error) {
	for range s.opts.MaxInlineSteps {
		i := slices.IndexFunc(inst.Run.Tokens, func(t *Token) bool { return t.State == tokenReady && t.Timer != "" })
		if i < 0 {
			return inst, nil
		}
		next, err := s.fire(ctx, inst.Run.Tokens[i].Timer)
		if err != nil {
			return nil, err
		}
		if next == nil { // someone else fired it: read what they left
			if next, err = s.Get(inst.ID); err != nil {
				return nil, err
			}
		}
		inst = next
	}
	return inst, nil
}

// parseTimerID splits a timer record's id: due/instance/token/kind.
func parseTimerID(id string) (instance, token, kind string, ok bool) {
	parts := strings.Split(id, "/")
	if len(parts) != 4 {
		return "", "", "", false
	}
	return parts[1], parts[2], parts[3], true
}

// fire handles one due timer record: runs a ready step, ends a delay, times a task out, or makes a
// failed step ready for its next try, and returns the instance after it (nil when there was
// nothing to do). A timer already handled (by another process, or before a crash) is gone, and
// firing it again does nothing: whoever fires it reads the instance in the transaction that
// deletes the timer, so of two at once one commits and the other conflicts, runs again and finds
// the token moved on.
func (s *Service) fire(ctx context.Context, timerID string) (*Instance, error) {
	instID, tokID, kind, ok := parseTimerID(timerID)
	if !ok {
		s.dropOrphan(timerID)
		return nil, nil
	}
	return s.exclusive(ctx, instID, func() (*Instance, error) { return s.fireLocked(ctx, timerID, instID, tokID, kind) })
}

// fireLocked is fire, holding the instance's lock.
func (s *Service) fireLocked(ctx context.Context, timerID, instID, tokID, kind string) (*Instance, error) {
	var failed *stepFailed
	inst, err := s.update(ctx, instID, func(c *change) error {
		tok := c.inst.token(tokID)
		if tok == nil || tok.Timer != timerID {
			// Handled already, or left behind by a transition that did not know of it.
			if err := c.tx.Delete(TimerKind, timerID); errors.Is(err, store.ErrNotFound) {
				return errGone
			} else if err != nil {
				return err
			}
			return nil
		}
		switch kind {
		case timerRun:
			return c.run(tok)
		case timerDelay:
			c.event(tok.Step, EventTimer, map[string]any{"timer": timerID})
			c.event(tok.Step, EventCompleted, nil)
			if err := c.dropTimer(tok); err != nil {
				return err
			}
			return c.arrive(tok, c.step(tok.Step).Next)
		case timerTimeout:
			c.event(tok.Step, EventTimer, map[string]any{"timer": timerID, "timeout": true})
			if err := c.dropTimer(tok); err != nil {
				return err
			}
			return c.arrive(tok, c.step(tok.Step).OnTimeout)
		case timerRetry:
			c.event(tok.Step, EventRetried, map[string]any{"attempt": tok.Attempt + 1})
			return c.ready(tok)
		}
		return fmt.Errorf("timer %s: unknown kind %s", timerID, kind)
	})
	switch {
	case errors.Is(err, errGone):
		return nil, nil
	case errors.Is(err, ErrNotFound):
		s.dropOrphan(timerID)
		return nil, nil
	case errors.As(err, &failed):
		failed.timer = timerID
		return s.fail(ctx, instID, failed, nil)
	}
	return inst, err
}

var errGone = errors.New("workflow: timer already fired")

// dropOrphan deletes a timer whose instance is gone.
func (s *Service) dropOrphan(id string) {
	tx := s.store.Begin()
	if err := tx.Delete(TimerKind, id); err == nil {
		_ = tx.Commit()
	}
	tx.Discard()
}

// poke wakes the scheduler: new work may be due.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// dueTimers reads up to limit timers due at or before now with ids after `after`, in due order.
func (s *Service) dueTimers(now time.Time, after string, limit int) ([]timer, error) {
	tx := s.store.Begin()
	defer tx.Discard()
	q := store.Query{IDTo: dueBefore(now), Limit: limit}
	if after != "" {
		q.IDFrom = after + "\x00"
	}
	recs, err := tx.Find(TimerKind, q)
	if err != nil {
		return nil, err
	}
	out := make([]timer, 0, len(recs))
	for _, r := range recs {
		var t timer
		if err := fromProps(r.Props, &t); err != nil {
			return nil, err
		}
		t.ID = r.ID
		out = append(out, t)
	}
	return out, nil
}

// NextDue is when the earliest timer is due (ok false when there is none).
func (s *Service) NextDue() (time.Time, bool, error) {
	ts, err := s.dueTimers(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), "", 1)
	if err != nil || len(ts) == 0 {
		return time.Time{}, false, err
	}
	return ts[0].Due, true, nil
}

// File is an uploaded file on its way in: Body is read up to the step's cap.
type File struct {
	Name        string
	ContentType string
	Body        io.Reader
}

// Upload gives the upload step the instance waits at its file: the content type must be one the
// step accepts (and the content must look like it), the size within the step's maxBytes. The file
// becomes a document in the store, in the transaction of the step that receives it.
func (s *Service) Upload(ctx context.Context, id, step string, f File) (*Instance, error) {
	inst, err := s.Get(id)
	if err != nil {
		return nil, err
	}
	rs, err := s.opts.Resolve(inst.Workflow, inst.Version)
	if err != nil {
		return nil, err
	}
	st := rs.Model().Workflow.Step(step)
	if st == nil || st.Type != rulesets.StepUpload {
		return nil, &StateError{Instance: id, Status: inst.Status, Message: fmt.Sprintf("workflow %s has no upload step %s", inst.Workflow, step)}
	}
	limit := s.UploadLimit(st)
	ct := normalizeType(f.ContentType)
	if err := checkType(st.Accept, ct); err != nil {
		return nil, err
	}
	content, err := io.ReadAll(io.LimitReader(f.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading the upload: %w", err)
	}
	if int64(len(content)) > limit {
		return nil, fmt.Errorf("%w: step %s takes at most %d bytes", ErrTooLarge, step, limit)
	}
	if err := checkContent(ct, content); err != nil {
		return nil, err
	}
	name := f.Name
	if name == "" {
		name = "upload"
	}
	var failed *stepFailed
	inst, err = s.exclusive(ctx, id, func() (*Instance, error) {
		inst, err := s.update(ctx, id, func(c *change) error {
			tok, err := c.waitingAt(step, rulesets.StepUpload)
			if err != nil {
				return err
			}
			doc, err := documents.Save(c.tx, name, ct, content, limit, c.now)
			if err != nil {
				return err
			}
			tok.Payload = doc.Plain()
			c.callerInput = true
			return c.run(tok)
		})
		if errors.As(err, &failed) {
			return s.saveThenFail(ctx, id, failed, name, ct, content, limit)
		}
		return inst, err
	})
	if err != nil || failed != nil {
		return inst, err
	}
	return s.drive(ctx, inst.ID)
}

// saveThenFail keeps the uploaded document when the step that received it failed, so that a retry
// resumes with it.
func (s *Service) saveThenFail(ctx context.Context, id string, failed *stepFailed, name, ct string, content []byte, limit int64) (*Instance, error) {
	tx := s.store.Begin()
	doc, err := documents.Save(tx, name, ct, content, limit, s.opts.Now())
	if err == nil {
		err = tx.Commit()
	}
	tx.Discard()
	if err != nil {
		return nil, err
	}
	return s.fail(ctx, id, failed, doc.Plain())
}

// UploadLimit is the most an upload step takes: its maxBytes, else the service's default, never
// more than the hard cap.
func (s *Service) UploadLimit(st *rulesets.Step) int64 {
	limit := s.opts.MaxUploadBytes
	if st.MaxBytes > 0 {
		limit = st.MaxBytes
	}
	return min(limit, s.opts.HardMaxUploadBytes)
}

func normalizeType(ct string) string {
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		return mt
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// checkType matches a content type against the step's accept list (type/*, */* allowed).
func checkType(accept []string, ct string) error {
	if len(accept) == 0 {
		return nil
	}
	for _, a := range accept {
		if a == ct || a == "*/*" || strings.HasSuffix(a, "/*") && strings.HasPrefix(ct, strings.TrimSuffix(a, "*")) {
			return nil
		}
	}
	return fmt.Errorf("%w: %q (it accepts %s)", ErrContentType, ct, strings.Join(accept, ", "))
}

// magic are the first bytes of the types whose content is checked: a file sent as a PDF must be one.
var magic = map[string][]string{
	"application/pdf": {"%PDF-"},
	"image/jpeg":      {"\xff\xd8\xff"},
	"image/png":       {"\x89PNG\r\n\x1a\n"},
	"image/gif":       {"GIF87a", "GIF89a"},
}

func checkContent(ct string, content []byte) error {
	sigs, ok := magic[ct]
	if !ok {
		return nil
	}
	for _, sig := range sigs {
		if strings.HasPrefix(string(content[:min(len(content), 16)]), sig) {
			return nil
		}
	}
	return fmt.Errorf("%w: the content is not %s", ErrContentType, ct)
}

// Ruleset is the ruleset version an instance runs on.
func (s *Service) Ruleset(inst *Instance) (*engine.Ruleset, error) {
	return s.opts.Resolve(inst.Workflow, inst.Version)
}
