package engine_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/engine"
)

// 500 executions on one engine, hostile and benign alternating: every benign result is right, and
// the live heap ends near where it started (no registry, memo or runtime keeps what an attack made).
func TestSoakHostileAndBenignAlternate(t *testing.T) {
	if testing.Short() {
		t.Skip("soak")
	}
	var b strings.Builder
	b.WriteString("name: soak\ninputs:\n  Kind: {type: number, required: true}\n  N: {type: number}\nrules:\n  Attack: |\n    switch (Kind) {\n")
	var fast []int
	for i, a := range intrinsicAttacks {
		fmt.Fprintf(&b, "      case %d: { %s }\n", i, a.code)
		if !strings.HasPrefix(a.name, "regexp") && !strings.Contains(a.name, "generator") {
			fast = append(fast, i)
		}
	}
	extra := []string{
		"{ let s = 'x'; while (true) s = s + s; }",                                      // memory or string limit
		"{ const a = []; a.length = 2**32 - 1; return a; }",                             // output nodes
		"{ for (let i = 0; i < 9000; i++) Symbol.for('k'.repeat(100) + i); return 1; }", // registry growth
		"{ globalThis.leak = 'x'.repeat(1 << 20); return 1; }",                          // frozen global
		"{ while (true) {} }", // timeout
	}
	for j, code := range extra {
		fmt.Fprintf(&b, "      case %d: %s\n", 1000+j, code)
		fast = append(fast, 1000+j)
	}
	b.WriteString("    }\n    return N * 2 + [1, 2, 3].sum() + (typeof globalThis.leak) + Symbol.keyFor(Symbol.for('k' + N));\n")
	eng := engine.New(engine.WithPoolSize(2), engine.WithLimits(engine.Limits{Timeout: raceSlowdown * 200 * time.Millisecond}))
	rs := load(t, eng, b.String(), nil)

	benign := func(i int) {
		t.Helper()
		res := exec(t, rs, map[string]any{"Kind": -1.0, "N": float64(i)})
		if want := fmt.Sprintf("%dundefinedk%d", i*2+6, i); res.Output["Attack"] != want {
			t.Fatalf("benign run %d: Attack = %v, want %s", i, res.Output["Attack"], want)
		}
	}
	for i := 0; i < 10; i++ {
		benign(i)
	}
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	base := heap()
	hostile := 0
	for i := 0; i < 500; i++ {
		if i%2 == 0 {
			benign(i)
			continue
		}
		k := fast[(i/2)%len(fast)]
		_, _ = rs.Execute(t.Context(), map[string]any{"Kind": float64(k), "N": 1.0}, engine.ExecOptions{})
		hostile++
	}
	end := heap()
	t.Logf("heap %d KiB before, %d KiB after %d hostile executions", base>>10, end>>10, hostile)
	if end > base+32<<20 {
		t.Errorf("live heap grew from %d KiB to %d KiB", base>>10, end>>10)
	}
}
