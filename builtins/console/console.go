// Package console is the "console" module: console.log/debug/info/warn/error write diagnostics
// lines into the running execution (builtins.Exec.Log), filtered by the execution's log level.
package console

import (
	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// Module installs the global console object.
type Module struct{}

var _ builtins.Module = Module{}

// Name is "console".
func (Module) Name() string { return "console" }

// methods are the console methods: their level and the diagnostics type they record.
var methods = []struct {
	name  string
	level builtins.LogLevel
	typ   string
	doc   string
}{
	{"log", builtins.LogInfo, "log", "Writes a diagnostics line of type log (kept when the log level is info)."},
	{"info", builtins.LogInfo, "info", "Writes a diagnostics line of type info (kept when the log level is info)."},
	{"warn", builtins.LogWarning, "warn", "Writes a diagnostics line of type warn (kept when the log level is info or warning)."},
	{"error", builtins.LogError, "error", "Writes a diagnostics line of type error (kept unless the log level is none)."},
}

// Install defines console with log, info, warn, error, and debug (the same function as log).
func (Module) Install(h *builtins.Host) error {
	o, err := h.Namespace("console")
	if err != nil {
		return err
	}
	for _, m := range methods {
		if err := o.Set(m.name, h.Func("console."+m.name, logger(h, m.level, m.typ))); err != nil {
			return err
		}
	}
	return o.Set("debug", o.Get("log"))
}

// logger records its arguments as plain JSON-safe values. The level is checked first, so a
// console call costs next to nothing when the execution does not keep it.
func logger(h *builtins.Host, level builtins.LogLevel, typ string) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		e := h.Exec()
		if e == nil || !e.LogLevel.Keeps(level) {
			return goja.Undefined()
		}
		e.Log(level, typ, h.PlainArgs(call.Arguments))
		return goja.Undefined()
	}
}

// Typings declares console.
func (Module) Typings() string {
	s := "// Console (module \"console\"): lines go to the execution's diagnostics, filtered by its log level;\n" +
		"// the last 100 kept lines are returned. Values are recorded as JSON (Dates as ISO strings).\n" +
		"interface Console {\n"
	for _, m := range methods {
		s += "  /** " + m.doc + " */\n  " + m.name + "(...args: any[]): void;\n"
	}
	s += "  /** Same as console.log. */\n  debug(...args: any[]): void;\n}\n" +
		"declare var console: Console;\n"
	return s
}

// Reference lists the console methods.
func (Module) Reference() []builtins.Entry {
	var out []builtins.Entry
	for _, m := range methods {
		out = append(out, builtins.Entry{Qualified: "console." + m.name, Signature: "(...args: any[]): void", Doc: m.doc, Example: `console.` + m.name + `("premium", premium)`})
	}
	return append(out, builtins.Entry{Qualified: "console.debug", Signature: "(...args: any[]): void", Doc: "Same as console.log.", Example: `console.debug("state", state)`})
}
