package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/store"
	"github.com/kubusdev/kubus/store/storetest"
)

const stepsYAML = `name: steps
inputs:
  Amount: {type: number, required: true}
entities:
  Loan: {persisted: true, properties: {amount: number}}
rules:
  Doubled: "Amount * 2"
  Big: "state.Seen > 1"
alerts:
  Large: {level: warning, when: "Amount > 100", message: "large ${Amount}"}
workflow:
  state:
    Seen: {type: number, default: 0}
    Note: string
    When: date
  steps:
    Start: {type: start, expression: "state.Seen += 1; new Loan({amount: Doubled}).save(); Workflow.instanceId", next: Pick}
    Pick: {type: switch, expression: "Big ? 'big' : 'small'", cases: {big: Done}, default: Wait}
    Wait: {type: delay, until: "new Date(Workflow.startedAt.getTime() + 60000)", next: Ask}
    Ask: {type: wait, answer: {Ok: {type: boolean, required: true}, On: date}, expression: "state.Note = answer.Ok ? 'yes' : 'no'; state.When = answer.On", next: Done}
    Bad: {type: action, expression: "state.Seen = 'many'", next: Done}
    Throw: {type: action, expression: "null.x", next: Done}
    Done: {type: end, expression: "({seen: state.Seen, doubled: Doubled})"}
    Plain: {type: end}
`

func TestExecuteStep(t *testing.T) {
	s := storetest.Open(t)
	eng := engine.New(engine.WithStore(s))
	// Bad, Throw and Plain are not reachable: the test drives them directly, so it loads a variant
	// where Start leads to each (the loader refuses unreachable steps).
	yaml := strings.Replace(stepsYAML, "next: Pick}", "next: Pick}\n    Via: {type: switch, expression: 1, cases: {a: Bad, b: Throw, c: Plain}, default: Wait}", 1)
	yaml = strings.Replace(yaml, "cases: {big: Done}", "cases: {big: Done, odd: Via}", 1)
	rs := load(t, eng, yaml, nil)
	started := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	info := engine.WorkflowInfo{InstanceID: "i1", Name: "steps", Version: "0.0.0", Step: "Start", StepRunID: "r1", StartedAt: started}
	ctx := context.Background()
	in := map[string]any{"Amount": 150.0}

	tx := s.Begin()
	res, err := rs.ExecuteStep(ctx, tx, engine.StepCall{Step: "Start", Input: in, Workflow: info}, engine.ExecOptions{Now: started})
	if err != nil {
		t.Fatal(err)
	}
	if res.Value != "i1" || res.State["Seen"] != 1.0 {
		t.Errorf("start: value %v state %v", res.Value, res.State)
	}
	// The step's writes are in tx, not committed.
	if n, _ := s.Begin().Count(loanKind, nil); n != 0 {
		t.Errorf("committed before the caller commits: %d", n)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Begin().Count(loanKind, nil); n != 1 {
		t.Errorf("loans after commit: %d", n)
	}

	run := func(call engine.StepCall) (*engine.StepResult, error) {
		call.Input, call.Workflow = in, info
		tx := s.Begin()
		defer tx.Discard()
		return rs.ExecuteStep(ctx, tx, call, engine.ExecOptions{Now: started})
	}
	if res, err := run(engine.StepCall{Step: "Pick", State: map[string]any{"Seen": 1.0}}); err != nil || res.Value != "small" {
		t.Errorf("pick: %v %v", res, err)
	}
	if res, err := run(engine.StepCall{Step: "Pick", State: map[string]any{"Seen": 2.0}}); err != nil || res.Value != "big" {
		t.Errorf("pick (rules read the state): %v %v", res, err)
	}
	if res, err := run(engine.StepCall{Step: "Wait", Until: true}); err != nil || !res.Value.(time.Time).Equal(started.Add(time.Minute)) {
		t.Errorf("until: %v %v", res, err)
	}
	res, err = run(engine.StepCall{Step: "Ask", Answer: map[string]any{"Ok": true, "On": "2026-02-01"}})
	if err != nil || res.State["Note"] != "yes" || res.State["When"] != "2026-02-01" {
		t.Errorf("answer: %v %v", res, err)
	}
	_, err = run(engine.StepCall{Step: "Ask", Answer: map[string]any{"Ok": "yes", "Okk": true}})
	var ie *engine.InputError
	if !errors.As(err, &ie) || len(ie.Problems) != 2 || ie.Problems[0].Path != "answer.Ok" || ie.Problems[1].Path != "answer.Okk" {
		t.Errorf("bad answer: %v", err)
	}
	_, err = run(engine.StepCall{Step: "Bad"})
	var ee *engine.EvalError
	if !errors.As(err, &ee) || ee.Rule != "step Bad" || !strings.Contains(err.Error(), "state.Seen: must be a number") {
		t.Errorf("bad state: %v", err)
	}
	_, err = run(engine.StepCall{Step: "Throw"})
	if !errors.As(err, &ee) || ee.Rule != "step Throw" || !strings.HasPrefix(ee.At, "ruleset.yaml:") {
		t.Errorf("throw: %v (%+v)", err, ee)
	}
	res, err = run(engine.StepCall{Step: "Done", State: map[string]any{"Seen": 3.0}})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := res.Value.(map[string]any); m["seen"] != 3.0 || m["doubled"] != 300.0 {
		t.Errorf("end value: %v", res.Value)
	}
	if len(res.Alerts) != 1 || res.Alerts[0].Name != "Large" || res.Output["Doubled"] != 300.0 {
		t.Errorf("end outputs and alerts: %+v %+v", res.Output, res.Alerts)
	}
	if res, err := run(engine.StepCall{Step: "Plain", State: map[string]any{"Seen": 3.0}}); err != nil || res.Value != nil || res.Output["Big"] != true {
		t.Errorf("plain end: %+v %v", res, err)
	}
	// A plain execution of a workflow ruleset sees no state.
	if _, err := rs.Execute(ctx, in, engine.ExecOptions{}); err == nil || !strings.Contains(err.Error(), "rule Big") {
		t.Errorf("plain execution reading state: %v", err)
	}
}

var loanKind = store.Kind{Ruleset: "steps", Entity: "Loan"}
