package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/kubusdev/kubus/store"
)

// The kinds of step call the program's step() entry knows (the __kind argument).
const (
	stepCode  = 0 // run the step's expression
	stepUntil = 1 // evaluate a delay's `until` expression
	stepEnd   = 2 // run an end step's expression (if any), then the output rules and the alerts
)

// workflowSteps writes each step's code as a function of its own (an author snippet, so errors map
// to its file and line), and returns the step() entry of the program's API: like run(), but it
// assigns the workflow's names and calls one step function. Step functions are hardened like rules.
func (g *gen) workflowSteps(w *rulesets.Workflow, hardened *[]string, c *compiled) string {
	fn := func(prefix string, i int, s *rulesets.Step, code *rulesets.Code, kind string) string {
		name := fmt.Sprintf("%s%d", prefix, i)
		g.wf("function %s() {\n", name)
		g.body(code, kind, s.Name, "", "}\n")
		*hardened = append(*hardened, name)
		return name
	}
	steps := make([]string, len(w.Steps))
	untils := make([]string, len(w.Steps))
	for i, s := range w.Steps {
		steps[i], untils[i] = "null", "null"
		if s.Code != nil {
			steps[i] = fn("__step", i, s, s.Code, "step")
		}
		if s.Until != nil {
			untils[i] = fn("__until", i, s, s.Until, "step")
		}
	}
	g.wf("const __steps = [%s], __untils = [%s];\n", strings.Join(steps, ", "), strings.Join(untils, ", "))
	*hardened = append(*hardened, "__steps", "__untils")
	c.steps = w.Steps
	return `// A workflow step: [its code's value, the state, the output array (end steps only)].
  step: function (__explain/*PARAMS*/, __i, __kind, __st, __an, __up, __wf) {
    if (__gen === 255) __wrap();
    __gen++;
    __busy = -__gen;/*FAILED*/
    __typeFail = -1;
    /*ASSIGN*/
    state = __st; answer = __an; upload = __up; Workflow = __wf;
    var __f = __kind === 1 ? __untils[__i] : __steps[__i];
    var __v = __f === null ? undefined : __f();
    if (__kind !== 2) return [__v, state, null];
    var __o = __out, __al = __alerts, __r;
    __nal = 0;
    /*OUTPUTS*/
    /*ALERTS*/
    /*TAIL*/
    return [__v, state, __o];
  },`
}

// StepCall is one workflow step to execute: which step, and what it sees.
type StepCall struct {
	// Step names the step; Until evaluates a delay's `until` expression instead of running code.
	Step  string
	Until bool
	// Input is the instance's start input, converted like every execution's.
	Input map[string]any
	// State is the state entity's properties as stored (JSON-shaped); nil for a new instance (the
	// declared defaults apply).
	State map[string]any
	// Answer is a wait step's answer, checked against its declared fields (an *InputError with
	// paths under `answer` when it does not fit); Upload the description of an uploaded file.
	Answer map[string]any
	Upload map[string]any
	// Workflow is what rule code reads as the Workflow module.
	Workflow WorkflowInfo
}

// WorkflowInfo is the Workflow module of a step execution.
type WorkflowInfo struct {
	InstanceID string
	Name       string
	Version    string
	Step       string
	StepRunID  string // the same for every run of one step visit, so a provider call can be idempotent
	StartedAt  time.Time
}

// StepResult is what a step execution produced.
type StepResult struct {
	// Result has the alerts raised, the diagnostics and the duration; at an end step also the
	// output rules (Output) and the declared alerts.
	*Result
	// Value is the step code's value, JSON-shaped: a switch's case, an end step's result. For a
	// delay's `until` it is a time.Time.
	Value any
	// State is the state after the step, JSON-shaped, its declared properties checked.
	State map[string]any
}

// stepCall is a StepCall on its way through execute.
type stepCall struct {
	call  *StepCall
	step  *rulesets.Step
	index int
	kind  int
	out   *StepResult
}

// ExecuteStep runs one workflow step in tx, which the caller commits (with the instance's new state
// and history) or discards: the step's own writes are buffered in it like any execution's. A step
// whose code throws is an *EvalError naming the step ("step NAME") and its place; an answer that does
// not fit its declaration an *InputError.
func (r *Ruleset) ExecuteStep(ctx context.Context, tx store.Tx, call StepCall, opts ExecOptions) (*StepResult, error) {
	w := r.model.Workflow
	if w == nil {
		return nil, fmt.Errorf("ruleset %s has no workflow", r.model.Name)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := checkOptions(opts); err != nil {
		return nil, err
	}
	sc := &stepCall{call: &call, index: -1}
	for i, s := range w.Steps {
		if s.Name == call.Step {
			sc.step, sc.index = s, i
		}
	}
	switch {
	case sc.step == nil:
		return nil, fmt.Errorf("workflow %s has no step %s", r.model.Name, call.Step)
	case call.Until && sc.step.Until == nil:
		return nil, fmt.Errorf("step %s has no `until` expression", call.Step)
	case call.Until:
		sc.kind = stepUntil
	case sc.step.Type == rulesets.StepEnd:
		sc.kind = stepEnd
	}
	opts.Explain = false
	if _, err := r.execute(ctx, call.Input, opts, tx, sc); err != nil {
		return nil, err
	}
	return sc.out, nil
}

// args appends the step() arguments after the run() ones, converting the state and the answer; what
// does not fit lands in the converter's problems with the inputs'.
func (sc *stepCall) args(st *vmState, args []goja.Value) []goja.Value {
	c, vm := st.conv, st.vm
	state := c.entity("", rulesets.NameState, rulesets.StateEntity, orEmpty(sc.call.State))
	answer := goja.Null()
	if sc.step.Type == rulesets.StepWait && !sc.call.Until {
		answer = sc.answer(st)
	}
	upload := goja.Null()
	if sc.call.Upload != nil {
		upload = c.jsonValue(sc.call.Upload)
	}
	wf := vm.NewObject()
	info := sc.call.Workflow
	for _, kv := range []struct {
		k string
		v goja.Value
	}{
		{"instanceId", vm.ToValue(info.InstanceID)},
		{"name", vm.ToValue(info.Name)},
		{"version", vm.ToValue(info.Version)},
		{"step", vm.ToValue(info.Step)},
		{"stepRunId", vm.ToValue(info.StepRunID)},
		{"startedAt", st.conv.dateOrNull(info.StartedAt)},
	} {
		_ = wf.DefineDataProperty(kv.k, kv.v, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE)
	}
	return append(args, vm.ToValue(sc.index), vm.ToValue(sc.kind), state, answer, upload, wf)
}

// answer converts a wait step's answer: declared fields in their types; with declarations, other
// keys are refused (a typo in a field name would otherwise be lost silently).
func (sc *stepCall) answer(st *vmState) goja.Value {
	c := st.conv
	a := sc.call.Answer
	if len(sc.step.Answer) == 0 {
		return c.jsonValue(orEmpty(a))
	}
	obj := st.vm.NewObject()
	for _, f := range sc.step.Answer {
		raw, present := a[f.JSONName()]
		_ = obj.Set(f.Name, c.field(rulesets.NameAnswer, f.JSONName(), &f.Type, raw, present, f.Required, f.Default, f.HasDefault))
	}
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if !slices.ContainsFunc(sc.step.Answer, func(f *rulesets.Input) bool { return f.JSONName() == k }) {
			c.problem(joinPath(rulesets.NameAnswer, k), "is not a field of the answer of step %s", sc.step.Name)
		}
	}
	return obj
}

// collectStep reads step()'s [value, state, outputs or null].
func (r *Ruleset) collectStep(st *vmState, val goja.Value, exec *builtins.Exec, sc *stepCall) (*Result, error) {
	arr := val.(*goja.Object)
	v, stateVal, outs := arr.Get("0"), arr.Get("1"), arr.Get("2")
	stepErr := func(format string, args ...any) *EvalError {
		return &EvalError{Ruleset: r.model.Name, Rule: "step " + sc.step.Name, At: sc.step.Pos.String(), Kind: "error", Message: fmt.Sprintf(format, args...)}
	}
	var res *Result
	var err error
	if outs != nil && !goja.IsNull(outs) {
		if res, err = r.collect(st, outs, exec, false, nil); err != nil {
			return nil, err
		}
	} else {
		st.conv.resetBudget()
		res = &Result{Ruleset: r.model.Name, Version: r.model.Version, Output: map[string]any{}, Alerts: []Alert{}}
		if err := r.collectRaised(st, exec, res); err != nil {
			return nil, err
		}
	}
	out := &StepResult{Result: res}
	if sc.kind == stepUntil {
		if obj, ok := v.(*goja.Object); ok && obj.ClassName() == "Date" {
			if tm, ok := obj.Export().(time.Time); ok {
				out.Value = tm
			}
		}
		if out.Value == nil {
			return nil, stepErr("`until` must give a valid date, got %s", describeJS(v))
		}
	} else if out.Value, err = st.conv.output(v, nil, 0); err != nil {
		return nil, r.outputError(err, "step "+sc.step.Name, sc.step.Pos.String(), "")
	}
	obj, ok := stateVal.(*goja.Object)
	if !ok || obj.ClassName() != "Object" {
		return nil, stepErr("`state` must stay an object, got %s", describeJS(stateVal))
	}
	props, problems := st.conv.entityProps(r.model.Workflow.State, obj)
	if len(problems) > 0 {
		return nil, stepErr("the state does not fit its declaration: state.%s", strings.Join(problems, "; state."))
	}
	out.State = props
	sc.out = out
	return res, nil
}

// describeJS names a JS value's kind for an error message, without running rule code.
func describeJS(v goja.Value) string {
	switch {
	case v == nil || goja.IsUndefined(v):
		return "undefined"
	case goja.IsNull(v):
		return "null"
	}
	if obj, ok := v.(*goja.Object); ok {
		return "an object of class " + obj.ClassName()
	}
	return "a " + v.ExportType().String()
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
