package std

import (
	"regexp"
	"sort"
	"testing"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// The registry is the single source of what rule authors can call: every name a module installs —
// a global, a namespace member, a method on Array.prototype or Date.prototype, a static on Date — must
// be in the module's reference (docs/builtins.md) and declared in its typings (kubus.d.ts). Adding a
// function without documenting it fails here.
func TestEveryInstalledNameIsDeclared(t *testing.T) {
	mods := Modules()
	for i, m := range mods {
		d, ok := m.(builtins.Described)
		if !ok {
			t.Errorf("module %s has no Reference(): it cannot be documented", m.Name())
			continue
		}
		ref := map[string]bool{}
		for _, e := range d.Reference() {
			if ref[e.Qualified] {
				t.Errorf("module %s documents %s twice", m.Name(), e.Qualified)
			}
			ref[e.Qualified] = true
			if e.Doc == "" {
				t.Errorf("%s has no doc line", e.Qualified)
			}
		}
		typings := m.Typings()

		vm := goja.New()
		h := builtins.NewHost(vm)
		for _, earlier := range mods[:i] {
			if err := earlier.Install(h); err != nil {
				t.Fatal(err)
			}
		}
		before := snapshot(vm)
		if err := m.Install(h); err != nil {
			t.Fatalf("installing %s: %v", m.Name(), err)
		}
		for _, name := range added(before, snapshot(vm)) {
			if !ref[name] {
				t.Errorf("module %s installs %s, which its Reference() does not list", m.Name(), name)
			}
			bare := name[len(name)-len(lastPart(name)):]
			if !regexp.MustCompile(`\b` + regexp.QuoteMeta(bare) + `\b`).MatchString(typings) {
				t.Errorf("module %s installs %s, which its typings do not declare", m.Name(), name)
			}
		}
	}
}

// snapshot lists what rule authors can reach: globals, the members of global namespace objects,
// and the own properties of Array.prototype, Date.prototype and Date.
func snapshot(vm *goja.Runtime) map[string]bool {
	out := map[string]bool{}
	g := vm.GlobalObject()
	for _, k := range g.GetOwnPropertyNames() {
		if k == "globalThis" {
			continue // the global object itself
		}
		v := g.Get(k)
		obj, isObj := v.(*goja.Object)
		if !isObj {
			continue
		}
		if _, isFn := goja.AssertFunction(v); isFn {
			out[k] = true
			continue
		}
		for _, m := range obj.GetOwnPropertyNames() {
			out[k+"."+m] = true
		}
	}
	for _, p := range []string{"Array.prototype", "Date.prototype", "Date"} {
		v, err := vm.RunString(p)
		if err != nil {
			continue
		}
		for _, m := range v.ToObject(vm).GetOwnPropertyNames() {
			out[p+"."+m] = true
		}
	}
	return out
}

func added(before, after map[string]bool) []string {
	var out []string
	for k := range after {
		if !before[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func lastPart(qualified string) string {
	for i := len(qualified) - 1; i >= 0; i-- {
		if qualified[i] == '.' {
			return qualified[i+1:]
		}
	}
	return qualified
}
