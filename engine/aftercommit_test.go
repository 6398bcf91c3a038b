package engine_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/std"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/store/storetest"
)

// notify is a store-backed module whose Notify.later() asks to be told after the commit, as
// Mail.queue does.
type notify struct{ told *atomic.Int32 }

func (notify) Name() string           { return "Notify" }
func (notify) Typings() string        { return "declare namespace Notify { function later(): boolean; }\n" }
func (notify) StoreGlobals() []string { return []string{"Notify"} }
func (n notify) Install(h *builtins.Host) error {
	_, err := builtins.InstallNamespace(h, "Notify", []builtins.Fn{{Name: "later", Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		return func(goja.FunctionCall) goja.Value {
			h.MustExec("Notify.later").AfterCommit(func() { n.told.Add(1) })
			return h.VM.ToValue(true)
		}
	}}}, nil)
	return err
}

// TestAfterCommit: what an execution asks to run after its commit runs once when it commits, and
// never when its writes are discarded (a throw after the ask, a halt without commit).
func TestAfterCommit(t *testing.T) {
	var told atomic.Int32
	eng := engine.New(engine.WithStore(storetest.Open(t)), engine.WithModules(append(std.Modules(), notify{&told})...))
	for _, c := range []struct {
		rule string
		want int32
	}{
		{"Notify.later()", 1},
		{"Notify.later() && Notify.later()", 2},
		{`Notify.later() && (() => { throw new Error("after the ask") })()`, 0},
		{`Notify.later() && System.halt("stop", {commit: false})`, 0},
		{`Notify.later() && System.halt("stop", {commit: true})`, 1},
	} {
		t.Run(c.rule, func(t *testing.T) {
			told.Store(0)
			rs := load(t, eng, "name: n\nrules:\n  A: '"+c.rule+"'\n", nil)
			_, _ = rs.Execute(context.Background(), map[string]any{}, engine.ExecOptions{})
			if got := told.Load(); got != c.want {
				t.Errorf("told %d times, want %d", got, c.want)
			}
		})
	}
}
