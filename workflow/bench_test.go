package workflow_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/workflow"
)

// chainFlow is a start, ten actions and an end: twelve steps, each one transaction.
func chainFlow() string {
	var b strings.Builder
	b.WriteString("name: chain\nworkflow:\n  state: {N: {type: number, default: 0}}\n  steps:\n    Start: {type: start, next: A1}\n")
	for i := 1; i <= 10; i++ {
		next := fmt.Sprintf("A%d", i+1)
		if i == 10 {
			next = "Done"
		}
		fmt.Fprintf(&b, "    A%d: {type: action, expression: \"state.N += 1\", next: %s}\n", i, next)
	}
	b.WriteString("    Done: {type: end, expression: state.N}\n")
	return b.String()
}

// BenchmarkActionChain runs instances of a twelve-step action chain to their end, through Start and
// the inline runs that follow it. steps/s counts every step, each one store transaction.
func BenchmarkActionChain(b *testing.B) {
	f := newFixture(b, chainFlow())
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		inst, err := f.svc.Start(f.ctx, f.rs, nil)
		if err != nil || inst.Status != workflow.StatusCompleted {
			b.Fatalf("%v %v", inst, err)
		}
	}
	b.ReportMetric(float64(12*b.N)/time.Since(start).Seconds(), "steps/s")
}

const loopFlow = `name: loop
workflow:
  state: {N: {type: number, default: 0}}
  steps:
    Start: {type: start, next: Wait}
    Wait: {type: delay, for: PT1S, next: Count}
    Count: {type: switch, expression: "(state.N += 1, state.N < 10 ? 'again' : 'done')", cases: {done: Done}, default: Wait}
    Done: {type: end}
`

// BenchmarkDelayLoop runs an instance through ten rounds of a one-second delay and a switch, the
// scheduler firing each timer as the clock passes it (as kubus serve does). steps/s counts the
// delays and switches (20 an instance).
func BenchmarkDelayLoop(b *testing.B) {
	f := newFixture(b, loopFlow)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		inst, err := f.svc.Start(f.ctx, f.rs, nil)
		if err != nil {
			b.Fatal(err)
		}
		for range 10 {
			f.clk.Add(time.Second)
			if _, err := f.svc.Tick(f.ctx); err != nil {
				b.Fatal(err)
			}
		}
		if got := f.get(inst.ID); got.Status != workflow.StatusCompleted {
			b.Fatalf("not done: %s %+v", got.Status, got.Waiting)
		}
	}
	b.ReportMetric(float64(20*b.N)/time.Since(start).Seconds(), "steps/s")
}

// BenchmarkTimersDueAtOnce starts 10,000 instances that wait one second, moves the clock past them
// and measures how long one Tick takes to fire all 10,000 timers (and run the switch each leads to).
func BenchmarkTimersDueAtOnce(b *testing.B) {
	const n = 10000
	for b.Loop() {
		b.StopTimer()
		f := newFixture(b, loopFlow)
		for range n {
			if _, err := f.svc.Start(f.ctx, f.rs, nil); err != nil {
				b.Fatal(err)
			}
		}
		f.clk.Add(time.Second)
		b.StartTimer()
		fired, err := f.svc.Tick(f.ctx)
		b.StopTimer()
		if err != nil || fired != n {
			b.Fatalf("fired %d of %d: %v", fired, n, err)
		}
		b.StartTimer()
	}
	b.ReportMetric(n, "timers/op")
}
