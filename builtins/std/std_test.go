package std

import (
	"strings"
	"testing"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

func TestInstallEverything(t *testing.T) {
	vm := goja.New()
	h := builtins.NewHost(vm)
	if err := Install(h); err != nil {
		t.Fatal(err)
	}
	v, err := vm.RunString("typeof ROUND + ' ' + typeof AGE + ' ' + typeof console.log")
	if err != nil {
		t.Fatal(err)
	}
	if got := v.String(); got != "function function function" {
		t.Errorf("installed: %s", got)
	}
}

func TestModules(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Modules() {
		if seen[m.Name()] {
			t.Errorf("module %s listed twice", m.Name())
		}
		seen[m.Name()] = true
		if strings.TrimSpace(m.Typings()) == "" {
			t.Errorf("module %s has no typings", m.Name())
		}
	}
	typ := Typings()
	for _, want := range []string{"declare function ROUND(", "declare var console: Console;"} {
		if !strings.Contains(typ, want) {
			t.Errorf("Typings lack %q", want)
		}
	}
}
