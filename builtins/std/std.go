// Package std is the registry of the built-in library: Modules lists every module the engine
// installs, in order. A new module (array, date, finance, ...) becomes available to rulesets, to
// the generated typings and to the engine by adding it here — and only here.
package std

import (
	"fmt"
	"strings"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/console"
	"github.com/kubusdev/kubus/builtins/global"
	"github.com/kubusdev/kubus/builtins/system"
)

// Modules returns every built-in module in install order. Later modules may rely on earlier ones
// (e.g. a prototype extension using a global), never the other way round.
func Modules() []builtins.Module {
	return []builtins.Module{
		global.Module{},
		console.Module{},
		system.Module{},
	}
}

// Install installs every module of Modules on h, in order.
func Install(h *builtins.Host) error {
	for _, m := range Modules() {
		if err := m.Install(h); err != nil {
			return fmt.Errorf("install built-in module %s: %w", m.Name(), err)
		}
	}
	return nil
}

// Typings is the TypeScript declarations of every module, in install order (what `runner types`
// writes to kubus.d.ts).
func Typings() string {
	var b strings.Builder
	b.WriteString("// Kubus built-in library. Generated: do not edit.\n")
	for _, m := range Modules() {
		b.WriteString("\n")
		b.WriteString(m.Typings())
	}
	return b.String()
}
