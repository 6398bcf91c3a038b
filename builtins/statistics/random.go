package statistics

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/rand/v2"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// normalRandom draws from a generator that belongs to the runtime and is reseeded whenever the
// host starts serving another execution (builtins.ExecMemo).
// The seed is SHA-256 of the execution clock (Unix nanoseconds) and the ruleset name and version,
// so the n-th call in an execution with a fixed `now:` returns the same number on every run and
// on every pooled runtime, while executions with another clock or ruleset draw other numbers.
// The generator is PCG (math/rand/v2, a specified algorithm) and the normal deviate is computed
// here with Box–Muller rather than rand.NormFloat64, whose algorithm Go does not promise to keep.
func normalRandom(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = namespace + ".normalRandom"
	var gen builtins.ExecMemo[*rand.PCG]
	return func(call goja.FunctionCall) goja.Value {
		mean := h.OptFinite(call, 0, fn, "mean", 0)
		sd := h.OptFinite(call, 1, fn, "sd", 1)
		if sd < 0 {
			h.RangeError(fn, "sd must not be negative, got %s", builtins.Describe(call.Argument(1)))
		}
		e := h.MustExec(fn)
		src := gen.Get(e, func() *rand.PCG { return rand.NewPCG(seed(e)) })
		return h.VM.ToValue(mean + sd*standardNormal(src))
	}
}

// seed derives the generator's two seed words from the execution.
func seed(e *builtins.Exec) (uint64, uint64) {
	d := sha256.New()
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], uint64(e.Now.UnixNano()))
	d.Write(buf[:])
	d.Write([]byte(e.Ruleset.Name))
	d.Write([]byte{0})
	d.Write([]byte(e.Ruleset.Version))
	sum := d.Sum(nil)
	return binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:16])
}

// standardNormal is one Box–Muller deviate (mean 0, sd 1) from two uniform draws.
func standardNormal(src *rand.PCG) float64 {
	u1 := (float64(src.Uint64()>>11) + 1) / (1 << 53) // (0, 1]: the log is finite
	u2 := float64(src.Uint64()>>11) / (1 << 53)       // [0, 1)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}
