// Package system is the "System" module: alerts raised from code, ending an execution early, the
// configured environment, the ruleset being executed and the execution clock.
package system

import (
	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// Module installs the System namespace.
type Module struct{}

var _ builtins.Described = Module{}

// Name is "System".
func (Module) Name() string { return "System" }

var levels = map[string]bool{"error": true, "warning": true, "info": true}

var fns = []builtins.Fn{
	{
		Name:      "createAlert",
		Signature: `(alert: { name: string; level?: "error" | "warning" | "info"; message?: string; data?: any }): void`,
		Doc:       "Raises an alert from code, beside the declared ones; level defaults to info.",
		Example:   `System.createAlert({name: "ManualReview", level: "warning", message: "Income above the model's range"})`,
		Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			const fn = "System.createAlert"
			return func(call goja.FunctionCall) goja.Value {
				e := h.MustExec(fn)
				if e.MaxAlerts > 0 && len(e.Raised()) >= e.MaxAlerts {
					// Refused before the alert's data is converted: that is the costly part.
					h.RangeError(fn, "more than %d alerts in one execution (Limits.MaxAlerts)", e.MaxAlerts)
				}
				spec := h.Object(call, 0, fn, "alert")
				a := builtins.RaisedAlert{Level: "info"}
				name, ok := builtins.StringOf(spec.Get("name"))
				if !ok || name == "" {
					h.TypeError(fn, "alert.name must be a non-empty string, got %s", builtins.Describe(spec.Get("name")))
				}
				a.Name = name
				if v := spec.Get("level"); !builtins.IsMissing(v) {
					level, ok := builtins.StringOf(v)
					if !ok || !levels[level] {
						h.RangeError(fn, "alert.level must be error, warning or info, got %s", builtins.Describe(v))
					}
					a.Level = level
				}
				if v := spec.Get("message"); !builtins.IsMissing(v) {
					msg, ok := builtins.StringOf(v)
					if !ok {
						h.TypeError(fn, "alert.message must be a string, got %s", builtins.Describe(v))
					}
					a.Message = msg
				}
				if v := spec.Get("data"); !builtins.IsMissing(v) {
					a.Data = h.Plain(v)
				}
				a.Stack = h.VM.CaptureCallStack(16, nil)
				if err := e.Raise(a); err != nil {
					h.RangeError(fn, "%v", err)
				}
				return goja.Undefined()
			}
		},
	},
	{
		Name:      "halt",
		Signature: "(reason: string, options?: { commit?: boolean }): never",
		Doc:       "Ends the execution now with this reason: the result keeps the output computed so far and says it halted (not an error). commit: false discards the execution's writes.",
		Example:   `System.halt("No income data: nothing to decide")`,
		Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			const fn = "System.halt"
			return func(call goja.FunctionCall) goja.Value {
				reason := h.String(call, 0, fn, "reason")
				commit := true
				if opts := call.Argument(1); !builtins.IsMissing(opts) {
					o := h.Object(call, 1, fn, "options")
					if v := o.Get("commit"); !builtins.IsMissing(v) {
						b, ok := builtins.BoolOf(v)
						if !ok {
							h.TypeError(fn, "options.commit must be true or false, got %s", builtins.Describe(v))
						}
						commit = b
					}
				}
				h.MustExec(fn)
				// An interrupt, not a throw: rule code cannot catch it, and the engine turns it into a
				// halted result.
				h.VM.Interrupt(&builtins.Halt{Reason: reason, Commit: commit})
				return goja.Undefined()
			}
		},
	},
	{
		Name:      "env",
		Signature: "(name: string): string | null",
		Doc:       "A variable the configured environment (test, acceptance, production) declares in kubus.yaml, or null when it does not (names starting KUBUS_ are always null).",
		Example:   `System.env("FIN_DATA_URL") // "https://…"`,
		Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			const fn = "System.env"
			return func(call goja.FunctionCall) goja.Value {
				name := h.String(call, 0, fn, "name")
				if e := h.MustExec(fn); e.RuleEnv != nil {
					if v, ok := e.RuleEnv(name); ok {
						return h.VM.ToValue(v)
					}
				}
				return goja.Null()
			}
		},
	},
	{
		Name:      "now",
		Signature: "(): Date",
		Doc:       "The execution clock (the same instant as NOW() and new Date()).",
		Example:   `System.now().toISOString()`,
		Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			return func(goja.FunctionCall) goja.Value { return h.NewDate(h.MustExec("System.now").Now) }
		},
	},
}

var consts = []builtins.Const{
	{Name: "ruleset", Type: "{ readonly name: string; readonly version: string }", Doc: "The ruleset being executed."},
}

// Install defines the System namespace.
func (Module) Install(h *builtins.Host) error {
	ns, err := builtins.InstallNamespace(h, "System", fns, nil)
	if err != nil {
		return err
	}
	getter := h.Func("System.ruleset", func(goja.FunctionCall) goja.Value {
		info := h.MustExec("System.ruleset").Ruleset
		o := h.VM.NewObject()
		_ = o.Set("name", info.Name)
		_ = o.Set("version", info.Version)
		return o
	})
	return ns.DefineAccessorProperty("ruleset", getter, nil, goja.FLAG_FALSE, goja.FLAG_TRUE)
}

// Typings declares the System namespace.
func (Module) Typings() string {
	return builtins.NamespaceTypings("System", "The execution: alerts from code, halting, environment, ruleset and clock.", fns, consts)
}

// Reference lists System's functions and its ruleset property.
func (Module) Reference() []builtins.Entry { return builtins.ReferenceOf("System", fns, consts) }
