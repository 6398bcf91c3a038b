package engine

import (
	"context"
	"testing"

	"github.com/dop251/goja"
)

// TestValueStackReused: goja's value stack is found, and an execution runs on the pooled array
// instead of growing a new one (a goja upgrade that renames the field fails here).
func TestValueStackReused(t *testing.T) {
	vm := goja.New()
	p := stackOf(vm)
	if p == nil {
		t.Fatal("goja's vm.stack field was not found: the value stack is no longer reused (vmstack.go)")
	}
	if _, err := vm.RunString("1 + 1"); err != nil {
		t.Fatal(err)
	}
	if *p != nil {
		t.Fatalf("goja kept its stack after a call (len %d): reuseStack is no longer needed", len(*p))
	}

	rs, err := New().LoadJSON([]byte(`{"name": "s", "inputs": {"A": {"type": "number"}}, "rules": {"B": "A * 2"}}`), "s.json")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := rs.Execute(context.Background(), map[string]any{"A": 2.0}, ExecOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	v, _ := rs.variantFor(false)
	st := <-v.pool
	defer v.put(st)
	st.reuseStack()
	if got := *st.stack; cap(got) != valueStackSize || &got[:1][0] != &st.stackBuf[:1][0] {
		t.Fatalf("the runtime's stack is not its pooled array (cap %d)", cap(got))
	}
	call := func(reuse bool) func() {
		return func() {
			if reuse {
				st.reuseStack()
			}
			if _, err := st.run(goja.Undefined(), goja.Undefined(), st.vm.ToValue(2)); err != nil {
				t.Fatal(err)
			}
		}
	}
	grown, reused := testing.AllocsPerRun(100, call(false)), testing.AllocsPerRun(100, call(true))
	if reused >= grown {
		t.Fatalf("allocations per call: %v with the pooled stack, %v growing a new one", reused, grown)
	}
	t.Logf("allocations per call: %v with the pooled stack, %v growing a new one", reused, grown)
}
