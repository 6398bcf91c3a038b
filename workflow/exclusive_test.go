package workflow_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/std"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/store/storetest"
	"github.com/kubusdev/kubus/workflow"
)

// probe is a module whose Probe.hit() stands for an outside call (an Http request, Mail.send):
// it counts, and the first hit runs during(), which the test uses to fire the scheduler at the
// moment the step runs.
type probe struct {
	hits   *atomic.Int32
	during func()
}

func (probe) Name() string    { return "Probe" }
func (probe) Typings() string { return "declare namespace Probe { function hit(): boolean; }\n" }
func (p probe) Install(h *builtins.Host) error {
	_, err := builtins.InstallNamespace(h, "Probe", []builtins.Fn{{Name: "hit", Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		return func(goja.FunctionCall) goja.Value {
			if p.hits.Add(1) == 1 {
				p.during()
			}
			return h.VM.ToValue(true)
		}
	}}}, nil)
	return err
}

// TestStepRunsOnceWhileTheSchedulerTicks: while a request runs an instance's step, the scheduler
// firing the same ready timer does not run the step a second time, whether the step commits or
// fails (a failure is recorded in a transaction after the failed one). Without the instance lock
// the tick ran it again, repeating its outside calls.
func TestStepRunsOnceWhileTheSchedulerTicks(t *testing.T) {
	for _, c := range []struct{ name, expr, status string }{
		{"commits", "Probe.hit()", workflow.StatusCompleted},
		{"fails", "Probe.hit() && (() => { throw new Error('after the call') })()", workflow.StatusFailed},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			yaml := "name: once\nversion: 1.0.0\nworkflow:\n  steps:\n    Start: {type: start, next: Call}\n" +
				"    Call: {type: action, expression: \"" + c.expr + "\", next: Done}\n    Done: {type: end}\n"
			if err := os.WriteFile(filepath.Join(dir, "ruleset.yaml"), []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			var (
				hits    atomic.Int32
				svc     *workflow.Service
				ticked  sync.WaitGroup
				tickErr error
			)
			during := func() {
				// The scheduler ticks now, beside the request; give it time to run the step too.
				done := make(chan struct{})
				ticked.Add(1)
				go func() {
					defer ticked.Done()
					defer close(done)
					_, tickErr = svc.Tick(context.Background())
				}()
				select {
				case <-done:
				case <-time.After(300 * time.Millisecond):
				}
			}
			st := storetest.Open(t)
			eng := engine.New(engine.WithModules(append(std.Modules(), probe{&hits, during})...), engine.WithStore(st))
			rs, err := eng.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			svc = workflow.New(eng, st, workflow.Options{})
			inst, err := svc.Start(context.Background(), rs, map[string]any{})
			if err != nil {
				t.Fatal(err)
			}
			ticked.Wait()
			if tickErr != nil {
				t.Fatal(tickErr)
			}
			if got := hits.Load(); got != 1 {
				t.Errorf("the step ran %d times, want once", got)
			}
			if inst, err = svc.Get(inst.ID); err != nil {
				t.Fatal(err)
			}
			if inst.Status != c.status {
				t.Errorf("status %s, want %s", inst.Status, c.status)
			}
			events, err := svc.History(inst.ID)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, ev := range events {
				if ev.Step == "Call" && (ev.Event == workflow.EventCompleted || ev.Event == workflow.EventFailed) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d completed or failed events of Call, want 1: %+v", n, events)
			}
		})
	}
}
