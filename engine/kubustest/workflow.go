package kubustest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/kubusdev/kubus/store"
	"github.com/kubusdev/kubus/workflow"
)

// testClock is a workflow testcase's clock: it moves only when the script says `after:`.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	if t.After(c.t) {
		c.t = t
	}
	c.mu.Unlock()
}

// runWorkflowCase starts an instance with the testcase's input and plays its script: after each
// event, the instance is compared with the step's expectations. `after:` moves the clock to each
// due timer in turn, firing it at its own time, so a three-day timeout takes no time to test.
func runWorkflowCase(ctx context.Context, rs *engine.Ruleset, tc *rulesets.Testcase, s store.Store, opts engine.ExecOptions, clock *testClock) (cr CaseResult) {
	cr = CaseResult{Ruleset: rs.Name(), Case: tc}
	start := time.Now()
	defer func() { cr.Duration = time.Since(start) }()
	opts.Now, opts.Store = time.Time{}, nil
	svc := workflow.New(nil, s, workflow.Options{Now: clock.Now, Exec: opts, Workers: 1,
		Resolve: func(name, version string) (*engine.Ruleset, error) { return rs, nil }})
	inst, err := svc.Start(ctx, rs, tc.Input.Map())
	for i, ts := range tc.Steps {
		if inst == nil && err != nil {
			// Nothing started: every step sees the start's error.
			cr.Mismatches = append(cr.Mismatches, tc.CompareStep(i, rulesets.WorkflowActual{Err: err})...)
			continue
		}
		err = nil
		switch {
		case ts.After != nil:
			err = advance(ctx, svc, clock, ts.After.AddTo(clock.Now(), rs.Model().Location()))
		case ts.AnswerStep != "":
			_, err = svc.Answer(ctx, inst.ID, ts.AnswerStep, ts.Answer.Map())
		case ts.UploadStep != "":
			_, err = svc.Upload(ctx, inst.ID, ts.UploadStep, workflow.File{Name: ts.UploadName, ContentType: ts.UploadType, Body: bytes.NewReader(ts.UploadContent)})
		}
		actual, aerr := observe(svc, inst.ID, err)
		if aerr != nil {
			cr.Mismatches = append(cr.Mismatches, rulesets.Mismatch{Path: "workflow", Message: aerr.Error()})
			break
		}
		cr.Mismatches = append(cr.Mismatches, tc.CompareStep(i, actual)...)
		cr.Err = actual.Err
	}
	return cr
}

// advance moves the clock to until, firing every timer that comes due on the way at its due time.
func advance(ctx context.Context, svc *workflow.Service, clock *testClock, until time.Time) error {
	for range 100000 { // a timer loop that never reaches until (a delay of PT1S for a year) stops here
		due, ok, err := svc.NextDue()
		if err != nil {
			return err
		}
		if !ok || due.After(until) {
			break
		}
		clock.set(due)
		if _, err := svc.Tick(ctx); err != nil {
			return err
		}
	}
	clock.set(until)
	_, err := svc.Tick(ctx)
	return err
}

// observe reads the instance as a testcase step compares it; eventErr is the event's own error.
func observe(svc *workflow.Service, id string, eventErr error) (rulesets.WorkflowActual, error) {
	inst, err := svc.Get(id)
	if err != nil {
		return rulesets.WorkflowActual{}, err
	}
	evs, err := svc.History(id)
	if err != nil {
		return rulesets.WorkflowActual{}, err
	}
	a := rulesets.WorkflowActual{Status: inst.Status, Step: inst.Step, State: inst.State, Result: inst.Result, Waiting: []string{}, Alerts: []string{}, History: []string{}, Err: eventErr}
	for _, w := range inst.Waiting {
		a.Waiting = append(a.Waiting, w.Step)
	}
	for _, al := range inst.Alerts {
		a.Alerts = append(a.Alerts, al.Name)
	}
	for _, e := range evs {
		if e.Event == workflow.EventEntered {
			a.History = append(a.History, e.Step)
		}
	}
	if a.Err == nil && inst.Error != nil {
		a.Err = errors.New("step " + inst.Error.Step + ": " + inst.Error.Message)
	}
	return a, nil
}
