package engine

import "github.com/kubusdev/kubus/builtins"

// Guards on the goja intrinsics whose cost grows with an argument or with `this`. Each guard checks
// the cost before the intrinsic allocates or loops, and throws a RangeError naming the limit.
//
// A file that guards intrinsics registers an installer (run in every new runtime before lockdown)
// and the intrinsics it guards with the limit that bounds them. The intrinsics registry test fails
// on any intrinsic function that is neither guarded here nor classified there, so a goja upgrade
// cannot silently add an unbounded one.

// guardInstaller wraps intrinsics of one runtime; it runs before the runtime is frozen.
type guardInstaller func(h *builtins.Host, l Limits) error

var (
	// guardInstallers run in order after the built-in modules are installed.
	guardInstallers []guardInstaller
	// guardedIntrinsics maps an intrinsic's path ("Array.prototype.indexOf", "String.raw") to the
	// limit that bounds it ("MaxArrayLength").
	guardedIntrinsics = map[string]string{}
)

// registerGuards adds an installer and the intrinsics it guards (path → limit name).
func registerGuards(install guardInstaller, guarded map[string]string) {
	guardInstallers = append(guardInstallers, install)
	for k, v := range guarded {
		guardedIntrinsics[k] = v
	}
}
