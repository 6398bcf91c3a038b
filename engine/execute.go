package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/rulesets/culture"
	"github.com/kubusdev/kubus/store"
)

// execSerial numbers executions in this process (builtins.Exec.Serial).
var execSerial atomic.Uint64

// ExecOptions are the per-execution settings.
type ExecOptions struct {
	// Now is the execution clock (TODAY(), NOW(), new Date(), Date.now()); zero means time.Now().
	Now time.Time
	// Culture overrides the ruleset's culture for NUM, CUR and date names: a BCP 47 tag that
	// package culture resolves (CLDR has data for it); another is an *InputError before anything runs.
	Culture string
	// Explain adds each evaluated rule's value, the names it reads and its time to the result.
	Explain bool
	// LogLevel selects which console output lands in the result's diagnostics (default none).
	LogLevel builtins.LogLevel
	// Store overrides the engine's store for this execution (testcases run on fresh stores).
	Store store.Store
	// Tags label the execution, in order: at most MaxTags, each 1 to MaxTagLength characters, valid
	// UTF-8 without control characters. Tags that break these rules are an *InputError before
	// anything runs.
	Tags []string
	// Metrics saves the count of each alert of a successful execution in the store (none: nothing is
	// saved), in the same transaction as its writes, overwriting the record of the last execution
	// of this ruleset with the same Tags. See MetricsKey and AlertMetrics.
	Metrics bool
	// Getenv, when set, is asked first for the host environment of this execution (the modules'
	// settings such as KUBUS_OCKTO_*; never rule code's System.env); what it does not know falls
	// back to the engine's (WithEnv). The test runner points an `ockto:` testcase at its simulator
	// this way.
	Getenv func(name string) (string, bool)
	// HTTPTransport, when set, carries the execution's Http calls instead of the network (the test
	// runner's fixture server).
	HTTPTransport http.RoundTripper
	// Fixtures, when set, answer the execution's SQL and MongoDB calls (builtins.Exec.Fixtures).
	Fixtures map[string]any
	// Unanswered hears each call no fixture answered (builtins.Exec.Unanswered).
	Unanswered func(call string)
}

// maxConflictRetries is how often an execution runs again when its writes conflict with another
// execution's (store.ErrConflict): each run reads the newer state. Between runs it waits a random
// while that grows with the attempt and with how long one run takes (the window in which another
// execution can commit first), up to conflictBackoff, so that executions contending for one record
// spread out instead of colliding again in lockstep.
const (
	maxConflictRetries = 32
	conflictBackoff    = 50 * time.Millisecond
)

// Result is what an execution produced.
type Result struct {
	Ruleset     string                `json:"ruleset"`
	Version     string                `json:"version"`
	Output      map[string]any        `json:"output"`
	Alerts      []Alert               `json:"alerts"`
	Diagnostics []builtins.Diagnostic `json:"diagnostics,omitempty"`
	Explain     []Explained           `json:"explain,omitempty"`
	// Calls are the connector calls (Http, SQL, MongoDB) of an explained execution.
	Calls      []builtins.Call `json:"calls,omitempty"`
	Halted     *Halted         `json:"halted,omitempty"`
	DurationMs float64         `json:"durationMs"`

	order       []string // output keys in declared order
	afterCommit []func() // builtins.Exec.AfterCommit's functions, run by Committed
}

// Committed runs what the execution asked to run once its writes are committed (a queued mail's
// delivery). Execute calls it; a caller that commits a step's transaction itself calls it after
// the commit.
func (r *Result) Committed() {
	fns := r.afterCommit
	r.afterCommit = nil
	for _, fn := range fns {
		fn()
	}
}

// OutputKeys are the output's keys in declared order. The slice is shared: do not modify it.
func (r *Result) OutputKeys() []string { return r.order }

// Alert is a raised alert: a declared one (Rule is its own name) or one raised from code with
// System.createAlert (Rule is the rule that raised it).
type Alert struct {
	Name    string `json:"name"`
	Level   string `json:"level"`
	Message string `json:"message"`
	Rule    string `json:"rule"`
	Data    any    `json:"data,omitempty"`
}

// Halted says that System.halt ended the execution: the output holds what was computed before.
type Halted struct {
	Reason string `json:"reason"`
	// Commit is false when the halt asked for the execution's writes to be discarded.
	Commit bool `json:"commit"`
}

// Explained is one evaluated rule in an explain trace.
type Explained struct {
	Rule  string   `json:"rule"`
	Value any      `json:"value"`
	Reads []string `json:"reads"`
	Us    float64  `json:"us"`
}

// MarshalJSON writes the fields in the contract's order and the output in declared order (a Go map
// would sort it).
func (r *Result) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	field := func(name string, v any) error {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + name + `":`)
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		b.Write(data)
		return nil
	}
	b.WriteByte('{')
	_ = field("ruleset", r.Ruleset)
	_ = field("version", r.Version)
	b.WriteString(`,"output":{`)
	for i, k := range r.order {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(r.Output[k])
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", k, err)
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	if err := field("alerts", r.Alerts); err != nil {
		return nil, err
	}
	if r.Halted != nil {
		_ = field("halted", r.Halted)
	}
	if len(r.Diagnostics) > 0 {
		if err := field("diagnostics", r.Diagnostics); err != nil {
			return nil, err
		}
	}
	if len(r.Explain) > 0 {
		if err := field("explain", r.Explain); err != nil {
			return nil, err
		}
	}
	if len(r.Calls) > 0 {
		if err := field("calls", r.Calls); err != nil {
			return nil, err
		}
	}
	_ = field("durationMs", r.DurationMs)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// InputError is an input that does not fit the ruleset's declared inputs. No rule has run.
type InputError struct {
	Problems []InputProblem `json:"errors"`
}

func (e *InputError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.Path == "" {
			parts[i] = p.Message
		} else {
			parts[i] = p.Path + ": " + p.Message
		}
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// EvalError is an execution that failed while evaluating the ruleset.
type EvalError struct {
	Ruleset string `json:"ruleset"`
	// Rule is the rule being evaluated, "alert NAME" for an alert, or "step NAME" for a workflow step.
	Rule string `json:"rule,omitempty"`
	// Kind is "error" for an exception, or the limit that stopped it: timeout, memory,
	// call stack depth, canceled.
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// At is where in the author's files it happened (ruleset.yaml:42:7, rules/max-loan.js:3:12).
	At string `json:"at,omitempty"`
	// Stack lists the author-code frames, innermost first.
	Stack []string `json:"stack,omitempty"`

	err error
}

func (e *EvalError) Error() string {
	var b strings.Builder
	switch {
	case strings.HasPrefix(e.Rule, "alert "), strings.HasPrefix(e.Rule, "step "):
		b.WriteString(e.Rule + ": ")
	case e.Rule != "":
		b.WriteString("rule " + e.Rule + ": ")
	}
	b.WriteString(e.Message)
	if e.At != "" {
		b.WriteString(" (at " + e.At + ")")
	}
	return b.String()
}

// Unwrap gives the underlying cause: a *LimitError for a stopped execution, the goja exception otherwise.
func (e *EvalError) Unwrap() error { return e.err }

// MarshalJSON wraps the error as {"error": {...}}, the shape the runner and the HTTP API answer with.
func (e *EvalError) MarshalJSON() ([]byte, error) {
	type plain EvalError
	return json.Marshal(struct {
		Error *plain `json:"error"`
	}{(*plain)(e)})
}

// Execute evaluates the ruleset against an input (a decoded JSON object). An input that does not fit
// returns an *InputError listing every problem; a failing evaluation an *EvalError naming the rule
// and the place in the author's files.
//
// With a store, the execution's writes are committed in one transaction when it succeeds (or halts
// with commit), and discarded otherwise. When they conflict with another execution's, it runs
// again on the newer state.
//
// With opts.Metrics, a store and success (a halt with commit counts), the alert counts are saved in
// the same transaction; an execution whose writes are discarded saves none.
func (r *Ruleset) Execute(ctx context.Context, input map[string]any, opts ExecOptions) (*Result, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := checkOptions(opts); err != nil {
		return nil, err
	}
	s := opts.Store
	if s == nil {
		s = r.eng.store
	}
	opts.Store = s
	metrics := opts.Metrics && s != nil
	if metrics && opts.Now.IsZero() {
		// One clock for the execution and its metrics record (and for any run again after a conflict).
		opts.Now = time.Now()
	}
	for attempt := 0; ; attempt++ {
		var tx store.Tx
		if s != nil {
			tx = s.Begin()
		}
		if tx == nil {
			return r.execute(ctx, input, opts, nil, nil)
		}
		began := time.Now()
		res, err := r.execute(ctx, input, opts, tx, nil)
		if err != nil || (res.Halted != nil && !res.Halted.Commit) {
			tx.Discard()
			return res, err
		}
		if metrics {
			if merr := r.putMetrics(tx, res, opts.Tags, opts.Now); merr != nil {
				tx.Discard()
				return nil, &EvalError{Ruleset: r.model.Name, Kind: "store", Message: "saving the alert metrics: " + merr.Error(), err: merr}
			}
		}
		switch cerr := tx.Commit(); {
		case cerr == nil:
			res.Committed()
			return res, nil
		case errors.Is(cerr, store.ErrConflict) && attempt < maxConflictRetries:
			window := max(time.Since(began), 250*time.Microsecond) * time.Duration(attempt+1)
			wait := time.Duration(rand.Int64N(int64(min(conflictBackoff, window))))
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return nil, &EvalError{Ruleset: r.model.Name, Kind: "canceled", Message: "retrying after a store conflict: " + context.Cause(ctx).Error(), err: ctx.Err()}
			}
			continue
		default:
			tx.Discard()
			return nil, &EvalError{Ruleset: r.model.Name, Kind: "store", Message: "committing the execution's writes: " + cerr.Error(), err: cerr}
		}
	}
}

// checkOptions refuses tags and a culture an execution cannot run with.
func checkOptions(opts ExecOptions) error {
	if len(opts.Tags) > 0 {
		if ps := tagProblems(opts.Tags); len(ps) > 0 {
			return &InputError{Problems: ps}
		}
	}
	if opts.Culture != "" {
		if _, err := culture.Resolve(opts.Culture); err != nil {
			return &InputError{Problems: []InputProblem{{Path: "culture", Message: err.Error()}}}
		}
	}
	return nil
}

// execute runs the ruleset once, with tx (or nil) as the execution's unit of work: its rules (sc nil)
// or one workflow step.
func (r *Ruleset) execute(ctx context.Context, input map[string]any, opts ExecOptions, tx store.Tx, sc *stepCall) (res *Result, err error) {
	if err := ctx.Err(); err != nil {
		return nil, &EvalError{Ruleset: r.model.Name, Kind: "canceled", Message: err.Error(), err: err}
	}
	v, err := r.variantFor(opts.Explain)
	if err != nil {
		return nil, err
	}
	st, err := v.get(ctx)
	if err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			return nil, &EvalError{Ruleset: r.model.Name, Kind: le.Limit, Message: le.Error(), err: le}
		}
		return nil, err
	}
	// The timeout starts once the runtime is in hand: compiling the explain program and building a
	// runtime (a second for a 10,000-rule ruleset) are not the execution's, and waiting for a busy
	// pool is bounded by ctx.
	start := time.Now()
	// A runtime goes back to the pool only after an execution that ended normally: one that hit a
	// limit, or where a Go panic escaped goja, may hold state we cannot vouch for (a half-built
	// closure memo, a huge value left in a rule's memo slot), so it is thrown away and the pool
	// makes a fresh one.
	reuse := false
	w := &st.watch
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, &EvalError{Ruleset: r.model.Name, Kind: "error", Message: fmt.Sprintf("internal error: %v", p)}
			reuse = false
			r.eng.watchdog.stop(w)
		}
		st.host.SetExec(nil)
		clear(st.args) // let the inputs go
		st.vm.ClearInterrupt()
		if reuse {
			v.put(st)
		} else {
			v.discard()
		}
	}()

	now := opts.Now
	if now.IsZero() {
		now = start
	}
	culture := opts.Culture
	if culture == "" {
		culture = r.model.Culture
	}
	// The Exec, the argument buffer and the watchdog entry live in the pooled state: one execution
	// at a time uses a runtime, and reusing them keeps the hot path's allocations down.
	exec := &st.exec
	*exec = builtins.Exec{
		Serial:    execSerial.Add(1),
		Context:   ctx,
		Now:       now,
		Location:  st.conv.loc,
		Culture:   culture,
		Ruleset:   builtins.RulesetInfo{Name: r.model.Name, Version: r.model.Version},
		LogLevel:  opts.LogLevel,
		Getenv:    r.eng.getenv,
		RuleEnv:   r.eng.ruleEnv,
		Tx:        tx,
		Store:     opts.Store,
		MaxAlerts: r.eng.limits.MaxAlerts,

		HTTPTransport: opts.HTTPTransport,
		Fixtures:      opts.Fixtures,
		Unanswered:    opts.Unanswered,

		MaxAlertBytes: r.eng.limits.MaxOutputBytes,
	}
	if opts.Getenv != nil {
		exec.Getenv = overlayEnv(opts.Getenv, r.eng.getenv)
	}
	st.host.SetExec(exec)
	st.start = start

	args := append(st.args[:0], st.vm.ToValue(opts.Explain))
	args = st.conv.inputs(st.c.inputs, input, args)
	if sc != nil {
		args = sc.args(st, args)
	}
	st.args = args
	if st.conv.size > r.eng.limits.MaxInputBytes {
		st.conv.problems = append(st.conv.problems, InputProblem{Message: fmt.Sprintf(
			"input is larger than the %d-byte limit (Limits.MaxInputBytes)", r.eng.limits.MaxInputBytes)})
	}
	if len(st.conv.problems) > 0 {
		reuse = true
		return nil, &InputError{Problems: append([]InputProblem(nil), st.conv.problems...)}
	}

	lim := &r.eng.limits
	*w = watch{vm: st.vm, deadline: start.Add(lim.Timeout), timeout: lim.Timeout, heapLimit: lim.MaxMemory}
	exec.Deadline = w.deadline
	if done := ctx.Done(); done != nil {
		w.done, w.cause = done, func() error { return context.Cause(ctx) }
	}
	// The watchdog covers everything that can run rule code: the rules, the halt result, and the
	// conversion of the results (getters, Proxies, toString of thrown values).
	r.eng.watchdog.start(w, start)
	res, err = r.runAndCollect(st, args, exec, opts.Explain, sc)
	end := time.Now()
	if ee := r.limitVerdict(ctx, w, r.eng.watchdog.stop(w), err, end); ee != nil {
		return nil, ee
	}
	reuse = reusable(err, w, lim.MaxMemory)
	if err != nil {
		return nil, err
	}
	res.DurationMs = float64(end.Sub(start).Nanoseconds()) / 1e6
	res.afterCommit = exec.TakeAfterCommit()
	return res, nil
}

// runAndCollect makes the one Go→JS call of an execution and reads its results. Reading them can run
// rule code too (getters, Proxy traps, toJSON, toString of a thrown value): a JS exception, an
// interrupt or a stack overflow raised there becomes an *EvalError like one raised by the rules.
func (r *Ruleset) runAndCollect(st *vmState, args []goja.Value, exec *builtins.Exec, explain bool, sc *stepCall) (res *Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			jsErr, ok := p.(error)
			if !ok || !isJSError(jsErr) {
				panic(p)
			}
			res, err = nil, r.evalError(st, jsErr)
		}
	}()
	st.failed = failedRule{}
	st.reuseStack()
	entry := st.run
	if sc != nil {
		entry = st.step
	}
	val, jsErr := entry(goja.Undefined(), args...)
	var halt *builtins.Halt
	if jsErr != nil {
		var ie *goja.InterruptedError
		if !errors.As(jsErr, &ie) {
			return nil, r.evalError(st, jsErr)
		}
		if halt, _ = ie.Value().(*builtins.Halt); halt == nil {
			return nil, r.evalError(st, jsErr)
		}
		if sc != nil {
			return nil, &EvalError{Ruleset: r.model.Name, Rule: "step " + sc.step.Name, Kind: "error",
				Message: "System.halt cannot end a workflow step (reason: " + truncateMessage(halt.Reason) + "): lead the step to an end step instead"}
		}
		// System.halt: a result with what was computed so far. A limit that fires from here on
		// interrupts again at the watchdog's next tick.
		st.vm.ClearInterrupt()
		st.reuseStack()
		if val, jsErr = st.partial(goja.Undefined()); jsErr != nil {
			return nil, r.evalError(st, jsErr)
		}
	}
	// Try unwinds the runtime's stacks when a getter throws, so the runtime stays usable; interrupts
	// and stack overflows pass through it to the recover above.
	if exc := st.vm.Try(func() {
		if sc != nil {
			res, err = r.collectStep(st, val, exec, sc)
			return
		}
		res, err = r.collect(st, val, exec, explain, halt)
	}); exc != nil {
		return nil, r.evalError(st, exc)
	}
	return res, err
}

// isJSError says whether a panic value is goja unwinding from JS (an exception, an interrupt, a
// stack overflow), as opposed to a Go bug.
func isJSError(err error) bool {
	var exc *goja.Exception
	var ie *goja.InterruptedError
	var so *goja.StackOverflowError
	return errors.As(err, &exc) || errors.As(err, &ie) || errors.As(err, &so)
}

// collect reads the run function's result: [output values..., alerts, explain].
//
// After a halt, val is partial()'s [outputs, done, alerts] instead, and only the done outputs count.
func (r *Ruleset) collect(st *vmState, val goja.Value, exec *builtins.Exec, explain bool, halt *builtins.Halt) (*Result, error) {
	arr := val.(*goja.Object)
	c := st.c
	st.conv.resetBudget()
	var done *goja.Object
	if halt != nil {
		done = arr.Get("1").(*goja.Object)
		fired, trace := arr.Get("2"), arr.Get("3")
		arr = arr.Get("0").(*goja.Object) // the run's output array, the alert array in its slot
		n := len(c.echoed) + len(c.outRules)
		_ = arr.Set(indexKey(n+1), trace)
		_ = arr.Set(indexKey(n+2), fired)
	}
	isDone := func(slot int) bool {
		if done == nil {
			return true
		}
		v := done.Get(indexKey(slot)) // nil for a slot partial() left empty
		return v != nil && v.ToBoolean()
	}
	res := &Result{
		Ruleset: r.model.Name,
		Version: r.model.Version,
		Output:  make(map[string]any, len(c.order)),
		Alerts:  []Alert{},
		order:   c.order,
	}
	// Echoed inputs come first, in declared order, then the output rules.
	for j, idx := range c.echoed {
		if !isDone(j) {
			continue
		}
		in := c.inputs[idx]
		v, err := st.conv.output(arr.Get(indexKey(j)), &in.Type, 0)
		if err != nil {
			return nil, r.outputError(err, "", "", "input "+in.Name)
		}
		res.Output[in.Name] = v
	}
	for j, idx := range c.outRules {
		if !isDone(len(c.echoed) + j) {
			continue
		}
		rule := c.rules[idx]
		v, err := st.conv.output(arr.Get(indexKey(len(c.echoed)+j)), rule.Type, 0)
		if err != nil {
			return nil, r.outputError(err, rule.Name, rule.Pos.String(), "")
		}
		res.Output[rule.OutputName] = v
	}
	n := len(c.echoed) + len(c.outRules)
	if len(c.alerts) > 0 { // without declared alerts the run writes no count
		alerts := arr.Get(indexKey(n)).(*goja.Object)  // the glue puts it there once
		m := int(arr.Get(indexKey(n + 2)).ToInteger()) // entries of this execution; the rest are stale
		for i := 0; i+1 < m; i += 2 {
			a := c.alerts[alerts.Get(indexKey(i)).ToInteger()]
			msg, err := st.conv.output(alerts.Get(indexKey(i+1)), nil, 0)
			if err != nil {
				return nil, r.outputError(err, a.Name, a.Pos.String(), "message")
			}
			text, _ := msg.(string)
			res.Alerts = append(res.Alerts, Alert{Name: a.Name, Level: a.Level, Message: text, Rule: a.Name})
		}
	}
	if explain {
		if ex, ok := arr.Get(indexKey(n + 1)).(*goja.Object); ok {
			m := int(ex.Get("length").ToInteger())
			for i := 0; i+2 < m; i += 3 {
				idx := ex.Get(indexKey(i)).ToInteger()
				rule := c.rules[idx]
				v, err := st.conv.output(ex.Get(indexKey(i+1)), rule.Type, 0)
				if err != nil {
					return nil, r.outputError(err, rule.Name, rule.Pos.String(), "explain")
				}
				reads := c.reads[idx]
				if reads == nil {
					reads = []string{}
				}
				res.Explain = append(res.Explain, Explained{Rule: rule.Name, Value: v, Reads: reads, Us: ex.Get(indexKey(i + 2)).ToFloat()})
			}
		}
	}
	if explain {
		res.Calls = exec.Calls() // an Exec starts with none, so the slice is this execution's
		if err := st.conv.spend(len(res.Calls)*8, len(res.Calls)*120); err != nil {
			return nil, r.outputError(err, "", "", "explain calls")
		}
	}
	if halt != nil {
		res.Halted = &Halted{Reason: halt.Reason, Commit: halt.Commit}
	}
	return res, r.collectRaised(st, exec, res)
}

// collectRaised adds the alerts raised from code (System.createAlert) and the console output to res.
func (r *Ruleset) collectRaised(st *vmState, exec *builtins.Exec, res *Result) error {
	for _, a := range exec.Raised() {
		rule := r.ruleOnStack(st, a.Stack)
		n, b := builtins.PlainSize(a.Data)
		if err := st.conv.spend(n+1, b+len(a.Message)+len(a.Name)); err != nil {
			return r.outputError(err, rule, "", "alert "+a.Name)
		}
		res.Alerts = append(res.Alerts, Alert{Name: a.Name, Level: a.Level, Message: a.Message, Rule: rule, Data: a.Data})
	}
	res.Diagnostics = exec.Diagnostics()
	for _, d := range res.Diagnostics {
		n, b := builtins.PlainSize(d.Arguments)
		if err := st.conv.spend(n, b); err != nil {
			return r.outputError(err, "", "", "console output")
		}
	}
	return nil
}

// outputError is the EvalError for a result value that could not be converted: a limit (output
// size or nodes) keeps its kind, so that callers can tell it from a bad value.
func (r *Ruleset) outputError(err error, rule, at, what string) *EvalError {
	e := &EvalError{Ruleset: r.model.Name, Rule: rule, At: at, Kind: "error", Message: err.Error(), err: err}
	var le *LimitError
	if errors.As(err, &le) {
		e.Kind = le.Limit
	}
	if what != "" {
		e.Message = what + ": " + e.Message
	}
	return e
}

// ruleOnStack names the innermost rule (or "alert X") on a captured JS stack.
func (r *Ruleset) ruleOnStack(st *vmState, stack []goja.StackFrame) string {
	for _, f := range stack {
		if f.SrcName() != programName {
			continue
		}
		if sn := findSnippet(st.c.snippets, f.Position().Line); sn != nil {
			if name := sn.ruleName(); name != "" {
				return name
			}
		}
	}
	return ""
}

// evalError maps a goja error to the author's rule and position.
func (r *Ruleset) evalError(st *vmState, err error) *EvalError {
	e := &EvalError{Ruleset: r.model.Name, Kind: "error", err: err}
	var stack []goja.StackFrame
	var interrupted *goja.InterruptedError
	var overflow *goja.StackOverflowError
	var exc *goja.Exception
	switch {
	case errors.As(err, &interrupted):
		if le, ok := interrupted.Value().(*LimitError); ok {
			e.Kind, e.Message, e.err = le.Limit, le.Error(), le
		} else {
			e.Message = fmt.Sprint(interrupted.Value())
		}
		stack = interrupted.Stack()
	case errors.As(err, &overflow):
		le := &LimitError{Limit: "call stack depth", Value: fmt.Sprint(r.eng.limits.MaxCallStackDepth)}
		e.Kind, e.Message, e.err = le.Limit, le.Error(), le
		stack = overflow.Stack()
	case errors.As(err, &exc):
		e.Message = safeExceptionMessage(st.vm, exc)
		stack = exc.Stack()
		if i := st.failed.of(exc.Value()); i >= 0 && !isError(exc.Value()) {
			// Thrown again through the rules that read it (deep.go): it is the first one's.
			rule := st.c.rules[i]
			e.Rule, e.At, stack = rule.Name, rule.Pos.String(), nil
		}
	default:
		e.Message = err.Error()
	}
	// The rule is the innermost rule or alert in the author's code on the stack: a function or a
	// calculated property is reported as a frame of the rule that called it. The stack keeps the
	// innermost author frames: a runaway recursion is thousands of the same one.
	cut := 0
	for _, f := range stack {
		if f.SrcName() != programName {
			continue
		}
		if e.Rule == "" && f.FuncName() == "__badType" {
			if i, err := st.typeFail(goja.Undefined()); err == nil && int(i.ToInteger()) >= 0 {
				rule := st.c.rules[i.ToInteger()]
				e.Rule, e.At = rule.Name, rule.Pos.String()
			}
		}
		pos := f.Position()
		sn := findSnippet(st.c.snippets, pos.Line)
		if sn == nil {
			continue
		}
		at := authorPos(sn, pos.Line, pos.Column)
		if e.At == "" {
			e.At = at
		}
		if e.Rule == "" {
			e.Rule = sn.ruleName()
		}
		if len(e.Stack) < r.eng.limits.MaxStackFrames {
			e.Stack = append(e.Stack, fmt.Sprintf("%s %s (%s)", sn.kind, sn.name, at))
		} else {
			cut++
		}
	}
	if cut > 0 {
		e.Stack = append(e.Stack, fmt.Sprintf("… %d more frames (Limits.MaxStackFrames)", cut))
	}
	return e
}

// maxMessageLength bounds an error message, in bytes: a thrown 16 MiB string is not a message.
const maxMessageLength = 4096

// safeExceptionMessage is exceptionMessage, cut to maxMessageLength, for any thrown value: reading
// the message runs rule code (a message getter, toString), which may throw or be interrupted.
func safeExceptionMessage(vm *goja.Runtime, exc *goja.Exception) (msg string) {
	defer func() {
		if p := recover(); p != nil {
			msg = "uncaught exception (its message could not be read before a limit stopped the execution)"
		}
	}()
	if ex := vm.Try(func() { msg = exceptionMessage(exc) }); ex != nil {
		msg = "uncaught exception (reading its message threw again)"
	}
	return truncateMessage(msg)
}

// truncateMessage cuts s to maxMessageLength bytes on a rune boundary.
func truncateMessage(s string) string {
	if len(s) <= maxMessageLength {
		return s
	}
	cut := maxMessageLength
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d more bytes)", len(s)-cut)
}

// exceptionMessage is "Name: message" for a thrown Error, else the thrown value as text.
func exceptionMessage(exc *goja.Exception) string {
	v := exc.Value()
	if obj, ok := v.(*goja.Object); ok {
		name, msg := obj.Get("name"), obj.Get("message")
		if name != nil && msg != nil && !goja.IsUndefined(msg) {
			return name.String() + ": " + hideGoValues(msg.String())
		}
	}
	if v == nil {
		return exc.Error()
	}
	return "uncaught " + v.String()
}

// hideGoValues replaces goja's message for an object with no way to a primitive (an
// Object.create(null) in a string context), which prints the Go object and its address.
func hideGoValues(msg string) string {
	if strings.HasPrefix(msg, "Could not convert ") && strings.HasSuffix(msg, " to primitive") {
		return "Cannot convert object to primitive value"
	}
	return msg
}

// overlayEnv asks first, then base.
func overlayEnv(first, base func(string) (string, bool)) func(string) (string, bool) {
	return func(name string) (string, bool) {
		if v, ok := first(name); ok {
			return v, true
		}
		return base(name)
	}
}

// limitVerdict is the error of a run the watchdog watched, when a limit ended it: the limit is the
// verdict, whatever the code did after the first interrupt. fired is what the watchdog saw; a limit
// it had no tick to see, or a native call the interrupt could not stop (a regexp's match timeout
// reads as "no match"), still counts: a run that ended past its deadline or after its context did
// is not a result. nil when no limit ended it. end is when the run ended.
func (r *Ruleset) limitVerdict(ctx context.Context, w *watch, fired *LimitError, err error, end time.Time) *EvalError {
	if fired == nil {
		switch {
		case end.After(w.deadline):
			fired = &LimitError{Limit: "timeout", Value: r.eng.limits.Timeout.String()}
		case ctx.Err() != nil:
			fired = &LimitError{Limit: "canceled", Value: context.Cause(ctx).Error()}
		}
	}
	if fired == nil {
		return nil
	}
	ee, _ := err.(*EvalError)
	if ee == nil || ee.Kind != fired.Limit {
		ee2 := &EvalError{Ruleset: r.model.Name, Kind: fired.Limit, Message: fired.Error(), err: fired}
		if ee != nil {
			ee2.Rule, ee2.At, ee2.Stack = ee.Rule, ee.At, ee.Stack
		}
		ee = ee2
	}
	return ee
}
