package engine_test

import (
	"context"
	"testing"

	"github.com/kubusdev/kubus/engine"
)

func BenchmarkFloor(b *testing.B) {
	rs := load(b, engine.New(), "name: floor\ninputs:\n  N: {type: number}\nrules:\n  X: N + 1\n", nil)
	in := map[string]any{"N": 1.0}
	for b.Loop() {
		if _, err := rs.Execute(context.Background(), in, engine.ExecOptions{Now: fixedNow}); err != nil {
			b.Fatal(err)
		}
	}
}
