package engine

import (
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins"
)

func intrinsicPaths(t *testing.T, vm *goja.Runtime) []string {
	t.Helper()
	v, err := vm.RunString(intrinsicWalkerSource)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, p := range v.Export().([]any) {
		paths = append(paths, p.(string))
	}
	return paths
}

// Every intrinsic function of goja is guarded or classified, and nothing is listed that goja does not
// have: a goja upgrade that adds one fails here until it is looked at.
func TestIntrinsicsAreClassified(t *testing.T) {
	paths := intrinsicPaths(t, goja.New())
	if len(paths) < 300 {
		t.Fatalf("only %d intrinsics found: the walker is broken", len(paths))
	}
	have := map[string]bool{}
	for _, p := range paths {
		have[p] = true
		_, guarded := guardedIntrinsics[p]
		_, classified := intrinsicClasses[p]
		if !guarded && !classified {
			t.Errorf("%s is neither guarded (guardedIntrinsics) nor classified (intrinsicClasses)", p)
		}
	}
	for p := range guardedIntrinsics {
		if !have[p] {
			t.Errorf("guardedIntrinsics lists %s, which goja does not have", p)
		}
	}
	for p, c := range intrinsicClasses {
		if !have[p] {
			t.Errorf("intrinsicClasses lists %s, which goja does not have", p)
		}
		if !strings.HasPrefix(c, "constant") && !strings.HasPrefix(c, "bounded: ") && !strings.HasPrefix(c, "removed: ") {
			t.Errorf("%s: class %q is not constant, bounded: or removed:", p, c)
		}
	}
}

// A guarded intrinsic is really replaced in a Kubus runtime: its source is a guard's, not native
// code (the constructors are Proxies, whose source reads as native), and a removed one is gone.
func TestGuardsAreInstalled(t *testing.T) {
	vm := goja.New()
	h := builtins.NewHost(vm)
	if err := installGuards(h, DefaultLimits); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.RunProgram(lockdownProgram()); err != nil {
		t.Fatal(err)
	}
	get, err := vm.RunString(`(function (path) {
		let o = globalThis;
		const hidden = {"%TypedArray%": Object.getPrototypeOf(Int8Array)};
		for (const part of path.replace(/\.\[Symbol\.(\w+)\]/g, ".@$1").split(".")) {
			o = Object.hasOwn(hidden, part) ? hidden[part] : (part.startsWith("@") ? o[Symbol[part.slice(1)]] : o[part]);
			if (o === undefined) return undefined;
		}
		return o;
	})`)
	if err != nil {
		t.Fatal(err)
	}
	lookup, _ := goja.AssertFunction(get)
	for p := range guardedIntrinsics {
		v, err := lookup(goja.Undefined(), vm.ToValue(p))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		f, ok := v.(*goja.Object)
		if !ok {
			t.Errorf("%s: not found in a guarded runtime", p)
			continue
		}
		if f.ExportType() == proxyType {
			continue
		}
		if src := f.String(); strings.Contains(src, "[native code]") && !strings.HasPrefix(p, "Symbol.") {
			t.Errorf("%s is still the native function", p)
		}
	}
	for p, c := range intrinsicClasses {
		if !strings.HasPrefix(c, "removed: ") || strings.HasSuffix(p, "constructor") || p == "Function" || p == "eval" {
			continue
		}
		if v, _ := lookup(goja.Undefined(), vm.ToValue(p)); v != nil && !goja.IsUndefined(v) {
			t.Errorf("%s is still there", p)
		}
	}
}
