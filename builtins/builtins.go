// Package builtins is the contract between the engine and the JavaScript library that rule authors
// reach by bare name. Each JS module (global functions, console, Finance, ...) lives in its own
// subpackage and implements Module; the engine installs every module once per pooled runtime and then
// points the runtime's Host at the running execution (Exec) before each call.
//
// Builtins never import the engine. They read everything execution-specific (the clock, culture,
// time zone, diagnostics sink) from Host.Exec() at call time, so one installed runtime serves any
// number of executions without keeping state in JS.
package builtins

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/store"
)

// Module is one JS module: it defines globals on a fresh runtime and describes them for editors.
type Module interface {
	// Name is the module's name as rule authors know it ("global", "console", "Finance").
	Name() string
	// Install defines the module's globals on h.VM. It runs once per runtime, before the runtime's
	// intrinsics are frozen, so it may also extend prototypes (Array.prototype, Date.prototype).
	Install(h *Host) error
	// Typings is the TypeScript declaration text for everything Install defines.
	Typings() string
}

// StoreBacked is implemented by modules that keep their state in the execution's store (Exec.Tx).
// A ruleset whose code names one of their Globals needs a store even when it persists no entities:
// the engine reports that (engine.Ruleset.NeedsStore), so the kubus command and the test runner
// open one for it.
type StoreBacked interface {
	Module
	// StoreGlobals are the global names through which rule code reaches the store.
	StoreGlobals() []string
}

// LogLevel filters console output into diagnostics.
type LogLevel int

// Log levels, from most to least verbose. LogNone (the default) keeps nothing.
const (
	LogNone LogLevel = iota
	LogInfo
	LogWarning
	LogError
)

// ParseLogLevel reads "none", "info", "warning" (or "warn") and "error".
func ParseLogLevel(s string) (LogLevel, error) {
	switch s {
	case "", "none":
		return LogNone, nil
	case "info", "log", "debug":
		return LogInfo, nil
	case "warning", "warn":
		return LogWarning, nil
	case "error":
		return LogError, nil
	}
	return LogNone, fmt.Errorf("unknown log level %q: use none, info, warning or error", s)
}

func (l LogLevel) String() string {
	switch l {
	case LogInfo:
		return "info"
	case LogWarning:
		return "warning"
	case LogError:
		return "error"
	}
	return "none"
}

// Keeps reports whether a console call of the given level passes this filter.
func (l LogLevel) Keeps(level LogLevel) bool { return l != LogNone && level >= l }

// MaxDiagnostics is how many console lines an execution keeps (the last ones).
const MaxDiagnostics = 100

// Diagnostic is one console line.
type Diagnostic struct {
	T         int64  `json:"t"`    // execution clock, Unix milliseconds
	Type      string `json:"type"` // log, info, warn, error
	Arguments []any  `json:"arguments"`
}

// RulesetInfo names the ruleset being executed.
type RulesetInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Exec is the state of one execution that builtins may read or append to.
type Exec struct {
	// Serial is unique per execution in this process. A builtin that keeps state for the length of
	// an execution keys it on Serial: the engine reuses Exec values between executions.
	Serial  uint64
	Context context.Context
	// Deadline is when the engine's watchdog stops the execution (zero: none). A builtin whose
	// single Go call can run long (a solver over a long array) checks Expired between steps, so
	// it stops with the execution instead of running on after the timeout.
	Deadline time.Time
	Now      time.Time      // the execution clock: TODAY(), NOW(), new Date(), Date.now()
	Location *time.Location // the ruleset's time zone
	Culture  string         // execution culture, else the ruleset's, else ""
	Ruleset  RulesetInfo
	LogLevel LogLevel

	// Getenv resolves the host environment: module settings such as KUBUS_OCKTO_* (the process
	// environment and kubus.yaml's modules:). It holds secrets: never hand its values to rule code.
	Getenv func(name string) (string, bool)
	// RuleEnv resolves the variables rule code may read (System.env): those the chosen kubus.yaml
	// environment declares, never a KUBUS_ name.
	RuleEnv func(name string) (string, bool)

	// HTTPTransport, when set, carries every Http call of the execution instead of the network:
	// the test runner points it at a testcase's fixture server. No address check applies to it.
	HTTPTransport http.RoundTripper
	// Fixtures, when set, answer the execution's connector calls instead of the configured
	// connections, keyed by module name: "SQL" holds a map[string]*sql.DB of seeded databases,
	// "MongoDB" the address of a fixture server. A module finding no fixture for a connection
	// refuses the call, so a testcase never reaches a real database.
	Fixtures map[string]any
	// Unanswered, when set, hears each connector call no fixture answered ("SQL connection crm"),
	// so the test runner fails the testcase naming it even when the rule caught the error.
	Unanswered func(call string)

	// Tx is the execution's unit of work in the store (nil when no store is configured): its reads
	// see its own writes, and the engine commits it only when the execution succeeds.
	Tx store.Tx
	// Store is the store Tx belongs to (nil without one): for a module that works after the
	// commit, such as the mail outbox's delivery.
	Store store.Store

	// MaxAlerts is how many alerts code may raise in this execution (0: no bound); Raise refuses more.
	MaxAlerts int
	// MaxAlertBytes bounds the raised alerts' messages and data together, as JSON (0: no bound).
	MaxAlertBytes int
	alertBytes    int

	diagnostics []Diagnostic // ring buffer of the last MaxDiagnostics lines
	calls       []Call
	afterCommit []func()
	dropped     int
	raised      []RaisedAlert
}

// ExecMemo keeps one value for the length of an execution: what a builtin computes once per
// execution (a configuration read, an answer from an outside service). The engine reuses Exec
// values, so it is keyed on the Exec and its Serial. The zero value is empty.
type ExecMemo[T any] struct {
	exec   *Exec
	serial uint64
	val    T
}

// Get returns the value kept for e, or makes it (a make that throws keeps nothing).
func (m *ExecMemo[T]) Get(e *Exec, make func() T) T {
	if m.exec == e && m.serial == e.Serial {
		return m.val
	}
	v := make()
	m.exec, m.serial, m.val = e, e.Serial, v
	return v
}

// RaisedAlert is an alert raised from code with System.createAlert.
type RaisedAlert struct {
	Name    string
	Level   string // error, warning, info
	Message string
	Data    any // JSON-shaped, nil when none
	// Stack is the JS call stack where it was raised, so the engine can name the rule.
	Stack []goja.StackFrame
}

// Raise records an alert raised from code. It refuses one past MaxAlerts or MaxAlertBytes, before
// keeping anything.
// Expired reports whether the execution's deadline has passed or its context is done. It costs a
// clock read: call it between units of real work, not per element.
func (e *Exec) Expired() bool {
	if e == nil {
		return false
	}
	if e.Context != nil && e.Context.Err() != nil {
		return true
	}
	return !e.Deadline.IsZero() && time.Now().After(e.Deadline)
}

func (e *Exec) Raise(a RaisedAlert) error {
	if e.MaxAlerts > 0 && len(e.raised) >= e.MaxAlerts {
		return fmt.Errorf("more than %d alerts in one execution (Limits.MaxAlerts)", e.MaxAlerts)
	}
	_, b := PlainSize(a.Data)
	b += len(a.Name) + len(a.Message)
	if e.MaxAlertBytes > 0 && e.alertBytes+b > e.MaxAlertBytes {
		return fmt.Errorf("the alerts of one execution would be larger than %d bytes (Limits.MaxOutputBytes)", e.MaxAlertBytes)
	}
	e.alertBytes += b
	e.raised = append(e.raised, a)
	return nil
}

// Raised are the alerts raised from code, in the order they were raised.
func (e *Exec) Raised() []RaisedAlert { return e.raised }

// Halt is the value System.halt interrupts an execution with: the execution ends with this reason
// and the output computed so far, as a result rather than an error.
type Halt struct {
	Reason string
	// Commit says whether the execution's writes are kept (persistence: a later issue).
	Commit bool
}

func (h *Halt) Error() string { return "halted: " + h.Reason }

// Log records a console line if the execution's log level keeps it.
func (e *Exec) Log(level LogLevel, typ string, args []any) {
	if !e.LogLevel.Keeps(level) {
		return
	}
	d := Diagnostic{T: e.Now.UnixMilli(), Type: typ, Arguments: args}
	if len(e.diagnostics) < MaxDiagnostics {
		e.diagnostics = append(e.diagnostics, d)
		return
	}
	e.diagnostics[e.dropped%MaxDiagnostics] = d
	e.dropped++
}

// Call is one call a connector made (Http, SQL, MongoDB): what explain shows of it. It never holds
// a body, a parameter or a credential.
type Call struct {
	Module string  `json:"module"`           // Http, SQL, MongoDB
	Target string  `json:"target"`           // the host, or the connection's name
	Method string  `json:"method"`           // GET, query, find…
	What   string  `json:"what,omitempty"`   // the path, the statement's first words, the collection
	Status int     `json:"status,omitempty"` // Http: the status
	Rows   *int    `json:"rows,omitempty"`   // SQL and MongoDB: rows or documents read or changed
	Error  string  `json:"error,omitempty"`  // the failure's kind, when the call failed
	Ms     float64 `json:"ms"`
}

// MaxCalls bounds the calls kept for explain (each module caps its calls per execution too).
const MaxCalls = 1000

// RecordCall keeps a connector call for explain, and logs it as an info line.
func (e *Exec) RecordCall(c Call) {
	if len(e.calls) < MaxCalls {
		e.calls = append(e.calls, c)
	}
	if e.LogLevel.Keeps(LogInfo) {
		what := c.Target
		if c.What != "" {
			what += " " + c.What
		}
		var outcome string
		switch {
		case c.Error != "":
			outcome = c.Error
		case c.Rows != nil:
			outcome = fmt.Sprintf("%d rows", *c.Rows)
		default:
			outcome = fmt.Sprint(c.Status)
		}
		e.Log(LogInfo, "info", []any{fmt.Sprintf("%s %s %s: %s in %.1f ms", c.Module, c.Method, what, outcome, c.Ms)})
	}
}

// AfterCommit runs fn once the execution's writes are committed, and never when they are discarded:
// the mail outbox is told of a queued message this way. fn must be quick; it runs on the goroutine
// that committed.
func (e *Exec) AfterCommit(fn func()) { e.afterCommit = append(e.afterCommit, fn) }

// TakeAfterCommit hands the functions AfterCommit collected to the engine, which runs them after
// the commit.
func (e *Exec) TakeAfterCommit() []func() {
	fns := e.afterCommit
	e.afterCommit = nil
	return fns
}

// Calls are the connector calls of the execution, in order.
func (e *Exec) Calls() []Call { return e.calls }

// Diagnostics returns the kept console lines, oldest first.
func (e *Exec) Diagnostics() []Diagnostic {
	if e.dropped == 0 {
		return e.diagnostics
	}
	start := e.dropped % MaxDiagnostics
	out := make([]Diagnostic, 0, len(e.diagnostics))
	out = append(out, e.diagnostics[start:]...)
	return append(out, e.diagnostics[:start]...)
}

// Loc is the execution's time zone (UTC when none is set).
func (e *Exec) Loc() *time.Location {
	if e.Location == nil {
		return time.UTC
	}
	return e.Location
}

// Today is the execution date: midnight of Now in the execution's zone.
func (e *Exec) Today() time.Time {
	loc := e.Loc()
	y, m, d := e.Now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// Host is one runtime as modules see it.
type Host struct {
	VM   *goja.Runtime
	exec *Exec

	dateCtor       goja.Value
	rangeErrorCtor goja.Value
	errorCtor      goja.Value
}

// NewHost wraps a fresh runtime. The runtime's clock reads the current execution's Now.
func NewHost(vm *goja.Runtime) *Host {
	// Capture the intrinsic constructors now: a ruleset may shadow the globals later
	// (`function RangeError() {}` at top level), and builtins must still throw real errors.
	h := &Host{VM: vm, dateCtor: vm.Get("Date"), rangeErrorCtor: vm.Get("RangeError"), errorCtor: vm.Get("Error")}
	vm.SetTimeSource(func() time.Time {
		if h.exec == nil {
			return time.Now()
		}
		return h.exec.Now
	})
	return h
}

// Exec is the running execution. Between executions it is nil; builtins are only called during one.
func (h *Host) Exec() *Exec { return h.exec }

// SetExec points the host at an execution (nil when it ends). Only the engine calls it.
func (h *Host) SetExec(e *Exec) { h.exec = e }

// MustExec is the running execution; outside one (e.g. a builtin called while a ruleset program
// is being loaded) it throws a JS Error naming fn instead of dereferencing nil.
func (h *Host) MustExec(fn string) *Exec {
	if h.exec == nil {
		h.Error(fn, "no execution is running (call it from a rule, not while the ruleset loads)")
	}
	return h.exec
}

// Func makes a JS function named name from fn. A Go panic inside fn becomes a JS Error naming the
// function instead of crashing the host; JS exceptions thrown by fn (TypeError, ...) pass through.
func (h *Host) Func(name string, fn func(call goja.FunctionCall) goja.Value) goja.Value {
	vm := h.VM
	f := vm.ToValue(func(call goja.FunctionCall) (ret goja.Value) {
		defer func() {
			if r := recover(); r != nil {
				if isJSPanic(r) {
					panic(r)
				}
				panic(vm.NewGoError(fmt.Errorf("%s: internal error: %v", name, r)))
			}
		}()
		return fn(call)
	})
	// Give the function its JS name so stack traces and typeof checks read well.
	_ = f.(*goja.Object).DefineDataProperty("name", vm.ToValue(name), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE)
	return f
}

// isJSPanic reports whether a recovered value is goja's own way of throwing (a JS exception or an
// interrupt) rather than a Go bug. Besides the exported types, goja throws from its public API
// with unexported types (typeError, rangeError, ... e.g. ToFloat on a BigInt): anything defined in
// the goja package counts as goja's, so it keeps its JS meaning (a TypeError stays a TypeError) and
// uncatchable interrupts are never turned into catchable errors.
func isJSPanic(r any) bool {
	switch r.(type) {
	case *goja.Exception, *goja.InterruptedError, *goja.StackOverflowError, goja.Value:
		return true
	}
	t := reflect.TypeOf(r)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t != nil && t.PkgPath() == gojaPkgPath
}

var gojaPkgPath = reflect.TypeOf(goja.Exception{}).PkgPath()

// SetGlobal defines a global (non-enumerable, read-only once the runtime is frozen).
func (h *Host) SetGlobal(name string, v any) error {
	return h.VM.Set(name, v)
}

// Namespace creates an empty global object `name` and returns it for the module to fill.
func (h *Host) Namespace(name string) (*goja.Object, error) {
	o := h.VM.NewObject()
	return o, h.VM.Set(name, o)
}

// TypeError throws a JS TypeError whose message starts with the function name.
func (h *Host) TypeError(fn, format string, args ...any) {
	// NewTypeError treats its first argument as a format: pass the message as an argument, or a
	// "%" in it (a rule author's string quoted in the message) would be mangled.
	panic(h.VM.NewTypeError("%s", fn+": "+fmt.Sprintf(format, args...)))
}

// RangeError throws a JS RangeError whose message starts with the function name.
func (h *Host) RangeError(fn, format string, args ...any) {
	h.throw(h.rangeErrorCtor, fn+": "+fmt.Sprintf(format, args...))
}

// Error throws a plain JS Error whose message starts with the function name (for failures that
// are neither a wrong type nor out of range, e.g. a builtin called outside an execution).
func (h *Host) Error(fn, format string, args ...any) {
	h.throw(h.errorCtor, fn+": "+fmt.Sprintf(format, args...))
}

// Detail is one property of a thrown Error's details object; a nil Value is null.
type Detail struct {
	Key   string
	Value any
}

// ErrorWithDetails throws a plain JS Error with the message (which starts with the function name)
// and a details object with the given properties in order: the connectors' call errors, whose
// err.details.kind rule code branches on.
func (h *Host) ErrorWithDetails(message string, details ...Detail) {
	obj, err := h.VM.New(h.errorCtor, h.VM.ToValue(message))
	if err != nil {
		panic(h.VM.NewGoError(err))
	}
	d := h.VM.NewObject()
	for _, kv := range details {
		v := kv.Value
		if v == nil {
			v = goja.Null()
		}
		_ = d.Set(kv.Key, v)
	}
	_ = obj.Set("details", d)
	panic(obj)
}

// throw constructs an error with the intrinsic ctor (captured in NewHost, so a ruleset that
// shadows the global cannot break it) and throws it.
func (h *Host) throw(ctor goja.Value, msg string) {
	obj, err := h.VM.New(ctor, h.VM.ToValue(msg))
	if err != nil {
		panic(h.VM.NewGoError(err))
	}
	panic(obj)
}

// NewDate makes a JS Date for t.
func (h *Host) NewDate(t time.Time) goja.Value {
	obj, err := h.VM.New(h.dateCtor, h.VM.ToValue(t.UnixMilli()))
	if err != nil {
		panic(h.VM.NewGoError(err))
	}
	return obj
}

// ToTime reads a valid JS Date as a UTC time. It reports false for anything else, including an
// invalid Date (new Date("x")); use DateOf to tell "not a Date" from "an invalid Date".
func ToTime(v goja.Value) (time.Time, bool) {
	t, isDate, valid := DateOf(v)
	return t, isDate && valid
}

// DateOf reads a JS Date: isDate reports whether v is a Date object at all, valid whether it holds
// a time (false for Invalid Date). The time is in UTC; convert it with In(exec.Loc()).
func DateOf(v goja.Value) (t time.Time, isDate, valid bool) {
	o, ok := v.(*goja.Object)
	if !ok || o.ClassName() != "Date" {
		return time.Time{}, false, false
	}
	t, valid = o.Export().(time.Time)
	if !valid {
		return time.Time{}, true, false
	}
	return t.UTC(), true, true
}

// PlainSize estimates the JSON size of a plain value (what Plain makes: maps, slices, strings,
// numbers, booleans, nil) as a count of values and bytes.
func PlainSize(v any) (nodes, bytes int) {
	switch v := v.(type) {
	case string:
		return 1, len(v) + 2
	case []any:
		nodes, bytes = 1, 2
		for _, e := range v {
			n, b := PlainSize(e)
			nodes, bytes = nodes+n, bytes+b+1
		}
	case map[string]any:
		nodes, bytes = 1, 2
		for k, e := range v {
			n, b := PlainSize(e)
			nodes, bytes = nodes+n, bytes+b+len(k)+4
		}
	default:
		return 1, 8
	}
	return nodes, bytes
}
