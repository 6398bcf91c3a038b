package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/kubusdev/kubus/store"
)

// Options configure a Service.
type Options struct {
	// Now is the clock (nil: time.Now). Testcases advance their own.
	Now func() time.Time
	// Exec is the template of every step's engine options (Getenv, LogLevel, Culture, Tags); Now
	// and Store are set per step.
	Exec engine.ExecOptions
	// MaxInlineSteps is how many steps a call (start, answer, upload, retry) runs before it returns
	// and leaves the rest to the scheduler (<= 0: 64).
	MaxInlineSteps int
	// MaxUploadBytes caps an upload whose step sets no maxBytes (<= 0: 10 MiB); HardMaxUploadBytes
	// caps every upload, since an upload is held in memory (<= 0: 64 MiB).
	MaxUploadBytes, HardMaxUploadBytes int64
	// Resolve finds the ruleset version an instance is pinned to (nil: the engine's Get).
	Resolve func(name, version string) (*engine.Ruleset, error)
	// Workers bound how many steps the scheduler runs at once (<= 0: 16; their commits are written
	// together, so more workers mean fewer syncs of the store file).
	Workers int
	Logger  *slog.Logger
}

// Service runs workflow instances on an engine and a store.
type Service struct {
	eng   *engine.Engine
	store store.Store
	opts  Options
	wake  chan struct{}
	// pinned are the compiled versions whose JSON form is in the store already (pin).
	pinned sync.Map // *engine.Ruleset → true
	// running keeps two goroutines from running one instance's steps at once (exclusive).
	running instanceLocks
}

// New makes a Service. The engine has the workflow rulesets loaded; the store keeps instances.
func New(eng *engine.Engine, s store.Store, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxInlineSteps <= 0 {
		opts.MaxInlineSteps = 64
	}
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = 10 << 20
	}
	if opts.HardMaxUploadBytes <= 0 {
		opts.HardMaxUploadBytes = 64 << 20
	}
	if opts.Resolve == nil {
		opts.Resolve = func(name, version string) (*engine.Ruleset, error) {
			rs, err := eng.Get(name + "@" + version)
			if sr, ok := s.(engine.StoredRulesets); err != nil && ok {
				// Started before a restart, on a version no folder has any more: the store keeps
				// every version an instance was started on (pin).
				return eng.LoadStored(sr, name, version)
			}
			return rs, err
		}
	}
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	if opts.Exec.LogLevel == builtins.LogNone {
		opts.Exec.LogLevel = builtins.LogInfo // a step's console output goes into its history
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{eng: eng, store: s, opts: opts, wake: make(chan struct{}, 1)}
}

// Errors a caller maps to its own (the server to HTTP statuses).
var (
	// ErrNotFound: no instance with that id.
	ErrNotFound = errors.New("workflow: no such instance")
	// ErrNotWorkflow: the ruleset has no workflow section.
	ErrNotWorkflow = errors.New("workflow: the ruleset is not a workflow")
	// ErrTooLarge and ErrContentType refuse an upload.
	ErrTooLarge    = errors.New("workflow: the upload is larger than the step accepts")
	ErrContentType = errors.New("workflow: the step does not accept this content type")
)

// StateError refuses an action the instance is not in the state for: an answer for a step it is
// not waiting at, a retry without an incident, a cancel of an ended instance (HTTP 409).
type StateError struct {
	Instance string
	Status   string
	Message  string
}

func (e *StateError) Error() string { return e.Message }

// stepFailed carries a step's own failure (its code threw, it hit a limit, its switch value matched
// no case) out of a transaction, which is then discarded and the failure recorded in another.
type stepFailed struct {
	token string
	err   error
	// timer is the timer record whose firing ran the step (none for an answer or an upload). Its
	// run rolled back, so another process (kubus serve's scheduler beside the request) may fire
	// it too: the first failure recorded drops it, and the others then record nothing.
	timer string
}

func (e *stepFailed) Error() string { return e.err.Error() }
func (e *stepFailed) Unwrap() error { return e.err }

// versionStore is a store that keeps ruleset versions (store.Bolt).
type versionStore interface {
	PutRuleset(name, version string, doc []byte, now time.Time) (bool, error)
}

// pin stores the version an instance starts on, so that the instance can run to its end on it
// after a restart, whatever folders are loaded then. A version stored with other content is
// refused: the instances on it would run other code than they started on.
func (s *Service) pin(rs *engine.Ruleset) error {
	vs, ok := s.store.(versionStore)
	if !ok {
		return nil
	}
	if _, done := s.pinned.Load(rs); done {
		return nil // exporting the ruleset for every start would cost more than the start
	}
	doc, err := rulesets.ExportJSON(rs.Model())
	if err != nil {
		return err
	}
	if _, err := vs.PutRuleset(rs.Name(), rs.Version(), doc, s.opts.Now()); err != nil {
		return fmt.Errorf("workflow %s: %w", rs.Name(), err)
	}
	s.pinned.Store(rs, true)
	return nil
}

// maxConflictRetries is how often a transaction runs again after store.ErrConflict.
const maxConflictRetries = 64

// change is one transaction on one instance: what it read, and what it will write.
type change struct {
	s      *Service
	ctx    context.Context
	tx     store.Tx
	inst   *Instance
	rs     *engine.Ruleset
	w      *rulesets.Workflow
	now    time.Time
	events []Event
	// callerInput: an input or answer that does not fit is the caller's error (Start, Answer),
	// not the step's failure.
	callerInput bool
	// console is what the running step logged, for its completed event.
	console []string
	// ran are the step results of the change, told once it commits (a queued mail's delivery).
	ran []*engine.Result
}

// Bounds on the console output a step's history event keeps.
const (
	maxConsoleLines = 20
	maxConsoleLine  = 500
)

// update runs fn on the instance in a transaction, again after a conflict, and commits.
func (s *Service) update(ctx context.Context, id string, fn func(c *change) error) (*Instance, error) {
	return s.transact(ctx, func(tx store.Tx) (*change, error) {
		inst, err := loadInstance(tx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		if err != nil {
			return nil, err
		}
		return s.newChange(ctx, tx, inst)
	}, fn)
}

// transact is one change to one instance: begin makes the change in a new transaction (reading
// the instance, or making a new one), fn does the work, and the instance and its history are
// committed; after a conflict, all of it runs again on what the store holds then.
func (s *Service) transact(ctx context.Context, begin func(store.Tx) (*change, error), fn func(c *change) error) (*Instance, error) {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tx := s.store.Begin()
		c, err := begin(tx)
		if err == nil {
			err = fn(c)
		}
		if err == nil {
			err = c.write()
		}
		if err != nil {
			tx.Discard()
			return nil, err
		}
		switch err := tx.Commit(); {
		case err == nil:
			c.inst.Rev++
			for _, r := range c.ran {
				r.Committed()
			}
			s.poke()
			return c.inst, nil
		case errors.Is(err, store.ErrConflict) && attempt < maxConflictRetries:
			backoff(ctx, attempt)
		default:
			return nil, err
		}
	}
}

func backoff(ctx context.Context, attempt int) {
	d := time.Duration(rand.Int64N(int64(time.Millisecond) * int64(min(attempt+1, 20))))
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

func (s *Service) newChange(ctx context.Context, tx store.Tx, inst *Instance) (*change, error) {
	rs, err := s.opts.Resolve(inst.Workflow, inst.Version)
	if err != nil {
		return nil, fmt.Errorf("workflow %s: instance %s is pinned to version %s: %w", inst.Workflow, inst.ID, inst.Version, err)
	}
	w := rs.Model().Workflow
	if w == nil {
		return nil, fmt.Errorf("%w: %s@%s", ErrNotWorkflow, inst.Workflow, inst.Version)
	}
	return &change{s: s, ctx: ctx, tx: tx, inst: inst, rs: rs, w: w, now: s.opts.Now().UTC()}, nil
}

// write puts the instance and its new history events in the transaction.
func (c *change) write() error {
	c.inst.settle()
	c.inst.UpdatedAt = c.now
	for _, e := range c.events {
		p, err := props(e)
		if err != nil {
			return err
		}
		if _, err := c.tx.Put(EventKind, &store.Record{ID: eventID(c.inst.ID, e.Seq), Props: p}, c.now); err != nil {
			return err
		}
	}
	p, err := instanceProps(c.inst)
	if err != nil {
		return err
	}
	_, err = c.tx.Put(InstanceKind, &store.Record{ID: c.inst.ID, Props: p}, c.now)
	return err
}

func (c *change) event(step, event string, detail map[string]any) {
	if len(c.console) > 0 && (event == EventCompleted || event == EventEnded) {
		// What the step's code logged (console.log) goes with its completion.
		if detail == nil {
			detail = map[string]any{}
		}
		detail["console"] = c.console
		c.console = nil
	}
	c.inst.Run.Seq++
	c.events = append(c.events, Event{Seq: c.inst.Run.Seq, At: c.now, Step: step, Event: event, Detail: detail})
}

func (c *change) step(name string) *rulesets.Step { return c.w.Step(name) }

func (c *change) newToken(group string) *Token {
	c.inst.Run.TokenSeq++
	t := &Token{ID: fmt.Sprintf("t%d", c.inst.Run.TokenSeq), Group: group}
	c.inst.Run.Tokens = append(c.inst.Run.Tokens, t)
	return t
}

// setTimer replaces the token's timer record with one of kind due at due.
func (c *change) setTimer(tok *Token, kind string, due time.Time) error {
	if err := c.dropTimer(tok); err != nil {
		return err
	}
	t := timer{Instance: c.inst.ID, Token: tok.ID, Kind: kind, Step: tok.Step, Due: due.UTC()}
	t.ID = timerID(due, c.inst.ID, tok.ID, kind)
	p, err := props(t)
	if err != nil {
		return err
	}
	if _, err := c.tx.Put(TimerKind, &store.Record{ID: t.ID, Props: p}, c.now); err != nil {
		return err
	}
	tok.Timer = t.ID
	return nil
}

// dropTimer deletes the token's timer record. Deleting reads it, so a process that fires the same
// timer at the same time conflicts with this transaction: one of them wins.
func (c *change) dropTimer(tok *Token) error {
	if tok.Timer == "" {
		return nil
	}
	err := c.tx.Delete(TimerKind, tok.Timer)
	tok.Timer = ""
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// ready makes the token runnable now.
func (c *change) ready(tok *Token) error {
	tok.State, tok.Kind, tok.Until = tokenReady, "", nil
	return c.setTimer(tok, timerRun, c.now)
}

// wait parks the token; with until, a timer of kind wakes it. A wait that lasts (for a person, a
// document, or a time still to come) ends the run of steps without waiting that arrive counts.
func (c *change) wait(tok *Token, kind string, until *time.Time, timerKind string) error {
	tok.State, tok.Kind, tok.Until = tokenWaiting, kind, until
	if until == nil || until.After(c.now) {
		tok.Hops = 0
	}
	if until == nil {
		return c.dropTimer(tok)
	}
	return c.setTimer(tok, timerKind, *until)
}

// arrive moves the token to a step: a step that needs no code (a delay for a fixed time, a wait,
// an upload, a fork, a join) is entered at once; any other becomes ready.
func (c *change) arrive(tok *Token, name string) error {
	s := c.step(name)
	if s == nil {
		return fmt.Errorf("workflow %s: no step %s", c.inst.Workflow, name)
	}
	tok.Step, tok.RunID, tok.Attempt, tok.Payload = name, uuid.NewString(), 0, nil
	if tok.Hops++; tok.Hops > MaxStepsWithoutWait {
		// A loop through a delay whose `until` has always passed: the loader's check that every
		// cycle waits cannot see that, so the instance stops here instead of spinning.
		return &stepFailed{token: tok.ID, err: fmt.Errorf("step %s: the instance entered %d steps without waiting (a loop whose delay never waits?)", name, MaxStepsWithoutWait)}
	}
	c.event(name, EventEntered, nil)
	loc := c.rs.Model().Location()
	switch s.Type {
	case rulesets.StepDelay:
		if s.For != nil {
			due := s.For.AddTo(c.now, loc).UTC()
			return c.wait(tok, WaitDelay, &due, timerDelay)
		}
	case rulesets.StepWait, rulesets.StepUpload:
		kind := WaitTask
		if s.Type == rulesets.StepUpload {
			kind = WaitUpload
		}
		var until *time.Time
		if s.Timeout != nil {
			due := s.Timeout.AddTo(c.now, loc).UTC()
			until = &due
		}
		return c.wait(tok, kind, until, timerTimeout)
	case rulesets.StepFork:
		if err := c.dropTimer(tok); err != nil {
			return err
		}
		c.inst.removeToken(tok.ID)
		group := s.Name + ":" + tok.RunID
		for _, b := range s.Branches {
			if err := c.arrive(c.newToken(group), b); err != nil {
				return err
			}
		}
		return nil
	case rulesets.StepJoin:
		return c.join(tok, s)
	}
	return c.ready(tok)
}

// join counts a branch in; the last one to arrive goes on as the fork's single line.
func (c *change) join(tok *Token, s *rulesets.Step) error {
	if err := c.dropTimer(tok); err != nil {
		return err
	}
	group := tok.Group
	fork := c.step(strings.SplitN(group, ":", 2)[0])
	if group == "" || fork == nil {
		return c.arrive(tok, s.Next) // not in a branch: the loader makes this impossible
	}
	c.inst.removeToken(tok.ID)
	if c.inst.Run.Joins == nil {
		c.inst.Run.Joins = map[string]int{}
	}
	c.inst.Run.Joins[group]++
	if c.inst.Run.Joins[group] < len(fork.Branches) {
		return nil
	}
	delete(c.inst.Run.Joins, group)
	c.event(s.Name, EventCompleted, nil)
	return c.arrive(c.newToken(""), s.Next)
}

// exec runs the token's step in the transaction and takes its new state.
func (c *change) exec(tok *Token, s *rulesets.Step, call engine.StepCall) (*engine.StepResult, error) {
	call.Step = s.Name
	call.Input = c.inst.Input
	call.State = c.inst.State
	call.Workflow = engine.WorkflowInfo{InstanceID: c.inst.ID, Name: c.inst.Workflow, Version: c.inst.Version,
		Step: s.Name, StepRunID: tok.RunID, StartedAt: c.inst.CreatedAt}
	opts := c.s.opts.Exec
	opts.Now, opts.Store = c.now, c.s.store
	res, err := c.rs.ExecuteStep(c.ctx, c.tx, call, opts)
	if err != nil {
		var ie *engine.InputError
		var ee *engine.EvalError
		switch {
		case errors.As(err, &ie) && c.callerInput:
			return nil, err // the input or the answer does not fit: the caller's mistake, nothing changes
		case errors.As(err, &ee) && ee.Kind == "canceled":
			return nil, err // shutting down: the step runs again later
		case errors.As(err, &ee), errors.As(err, &ie):
			return nil, &stepFailed{token: tok.ID, err: err}
		}
		return nil, err
	}
	c.inst.State = res.State
	c.ran = append(c.ran, res.Result)
	c.console = nil
	for _, d := range res.Diagnostics {
		if len(c.console) == maxConsoleLines {
			break
		}
		parts := make([]string, len(d.Arguments))
		for i, a := range d.Arguments {
			if str, ok := a.(string); ok {
				parts[i] = str
			} else {
				parts[i] = Compact(a)
			}
		}
		line := strings.Join(parts, " ")
		if len(line) > maxConsoleLine {
			line = line[:maxConsoleLine] + "…"
		}
		c.console = append(c.console, line)
		c.s.opts.Logger.Info("workflow console", "instance", c.inst.ID, "step", s.Name, "type", d.Type, "message", line)
	}
	for _, a := range res.Alerts {
		if len(c.inst.Alerts) < maxAlerts {
			c.inst.Alerts = append(c.inst.Alerts, Alert{Step: s.Name, Name: a.Name, Level: a.Level, Message: a.Message})
		}
	}
	return res, nil
}

// MaxStepsWithoutWait bounds the steps a token enters without a wait that lasts.
const MaxStepsWithoutWait = 1000

// maxDelay bounds how far away a delay's `until` may be.
const maxDelay = 100 * 366 * 24 * time.Hour

// maxAlerts bounds the alerts an instance keeps.
const maxAlerts = 1000

// run executes a ready token's step (or a waiting one's, resumed with its payload) and moves it on.
func (c *change) run(tok *Token) error {
	s := c.step(tok.Step)
	if s == nil {
		return fmt.Errorf("workflow %s@%s has no step %s", c.inst.Workflow, c.inst.Version, tok.Step)
	}
	if err := c.dropTimer(tok); err != nil {
		return err
	}
	switch s.Type {
	case rulesets.StepStart, rulesets.StepAction:
		// The start step always runs: it checks the input and gives the state its defaults.
		if s.Code != nil || s.Type == rulesets.StepStart {
			if _, err := c.exec(tok, s, engine.StepCall{}); err != nil {
				return err
			}
		}
		c.event(s.Name, EventCompleted, nil)
		return c.arrive(tok, s.Next)
	case rulesets.StepSwitch:
		res, err := c.exec(tok, s, engine.StepCall{})
		if err != nil {
			return err
		}
		key, next := caseOf(s, res.Value)
		if next == "" {
			return &stepFailed{token: tok.ID, err: fmt.Errorf("step %s: the value %s matches no case and there is no default", s.Name, key)}
		}
		c.event(s.Name, EventCompleted, map[string]any{"case": key})
		return c.arrive(tok, next)
	case rulesets.StepDelay: // with until: when does it end?
		res, err := c.exec(tok, s, engine.StepCall{Until: true})
		if err != nil {
			return err
		}
		due := res.Value.(time.Time).UTC()
		if due.Sub(c.now) > maxDelay {
			return &stepFailed{token: tok.ID, err: fmt.Errorf("step %s: until is %s, more than 100 years away", s.Name, due.Format(time.RFC3339))}
		}
		if !due.After(c.now) {
			c.event(s.Name, EventTimer, map[string]any{"until": due})
			return c.arrive(tok, s.Next)
		}
		return c.wait(tok, WaitDelay, &due, timerDelay)
	case rulesets.StepWait, rulesets.StepUpload:
		call, event := engine.StepCall{Answer: tok.Payload}, EventAnswered
		if s.Type == rulesets.StepUpload {
			call, event = engine.StepCall{Upload: tok.Payload}, EventUploaded
		}
		if call.Answer == nil && s.Type == rulesets.StepWait {
			call.Answer = map[string]any{}
		}
		if tok.Payload == nil {
			return fmt.Errorf("step %s has nothing to resume with", s.Name)
		}
		c.event(s.Name, event, map[string]any{"value": tok.Payload})
		if s.Code != nil {
			if _, err := c.exec(tok, s, call); err != nil {
				return err
			}
		}
		c.event(s.Name, EventCompleted, nil)
		return c.arrive(tok, s.Next)
	case rulesets.StepEnd:
		res, err := c.exec(tok, s, engine.StepCall{})
		if err != nil {
			return err
		}
		c.inst.Result = res.Value
		if s.Code == nil {
			c.inst.Result = res.Output
		}
		c.inst.Step = s.Name
		c.inst.Status = s.Status
		for _, t := range c.inst.Run.Tokens {
			if err := c.dropTimer(t); err != nil {
				return err
			}
		}
		c.inst.Run.Tokens, c.inst.Run.Joins = nil, nil
		c.event(s.Name, EventEnded, map[string]any{"status": s.Status})
		return nil
	}
	// fork, join: entered on arrival, never ready
	return c.arrive(tok, tok.Step)
}

// caseOf picks a switch's next step for its value: the case written as the value's text, else
// the default.
func caseOf(s *rulesets.Step, v any) (key, next string) {
	switch x := v.(type) {
	case string:
		key = x
	case bool:
		key = fmt.Sprint(x)
	case float64:
		key = fmt.Sprint(x)
	case nil:
		key = "null"
	default:
		key = fmt.Sprintf("(%T)", v)
	}
	for _, cs := range s.Cases {
		if cs.Value == key {
			return key, cs.Step
		}
	}
	return key, s.Default
}

// fail records a step's failure in a transaction of its own (the failed one was discarded): a try
// left waits for its backoff, the last one makes the instance an incident.
func (s *Service) fail(ctx context.Context, id string, f *stepFailed, payload map[string]any) (*Instance, error) {
	return s.update(ctx, id, func(c *change) error {
		tok := c.inst.token(f.token)
		if tok == nil || (f.timer != "" && tok.Timer != f.timer) {
			return nil // gone, or its failure was recorded by whoever fired the timer first
		}
		if err := c.dropTimer(tok); err != nil {
			return err
		}
		if payload != nil {
			tok.Payload = payload
		}
		tok.Attempt++
		se := &StepError{Step: tok.Step, Kind: "error", Message: f.err.Error(), Attempt: tok.Attempt}
		var ee *engine.EvalError
		if errors.As(f.err, &ee) {
			se.Kind, se.Message, se.At = ee.Kind, ee.Message, ee.At
		}
		detail := map[string]any{"attempt": tok.Attempt, "error": se.Message, "kind": se.Kind}
		if se.At != "" {
			detail["at"] = se.At
		}
		st := c.step(tok.Step)
		if st != nil && st.Retry != nil && tok.Attempt <= st.Retry.Max {
			due := c.now.Add(retryDelay(st.Retry, tok.Attempt))
			detail["retryAt"] = due
			c.event(tok.Step, EventFailed, detail)
			return c.wait(tok, WaitRetry, &due, timerRetry)
		}
		c.event(tok.Step, EventFailed, detail)
		tok.State, tok.Kind, tok.Until = tokenFailed, "", nil
		c.inst.Error = se
		c.inst.Step = tok.Step
		return nil
	})
}

// retryDelay is the backoff before try n+1: backoff·2^(n-1), 1s when none is declared, at most a day.
func retryDelay(r *rulesets.Retry, n int) time.Duration {
	base := time.Second
	if r.Backoff != nil {
		base = r.Backoff.Clock + time.Duration(r.Backoff.Days)*24*time.Hour
	}
	d := base << min(n-1, 20)
	return min(d, 24*time.Hour)
}

// Compact is a value as one line of JSON, its text as written (no HTML escaping): how a history
// event's detail and a step's console arguments read.
func Compact(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // a URL's & stays readable
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
