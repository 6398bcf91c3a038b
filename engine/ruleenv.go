package engine

import (
	"maps"

	"github.com/kubusdev/kubus/rulesets"
)

// ruleEnvOf is the lookup rule code reads through: a copy of vars (so the caller cannot change what
// running executions see) without the module settings, which hold secrets.
func ruleEnvOf(vars map[string]string) func(string) (string, bool) {
	own := maps.Clone(vars)
	maps.DeleteFunc(own, func(k, _ string) bool { return rulesets.IsModuleSetting(k) })
	return func(name string) (string, bool) {
		v, ok := own[name]
		return v, ok
	}
}
