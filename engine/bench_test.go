package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubusdev/kubus/engine"
)

func travelInput(b *testing.B) map[string]any {
	data, err := os.ReadFile("../examples/travel-insurance/input.json")
	if err != nil {
		b.Fatal(err)
	}
	var input map[string]any
	if err := json.Unmarshal(data, &input); err != nil {
		b.Fatal(err)
	}
	return input
}

// BenchmarkExecuteTravelInsurance is the hot path: one warm execution through the public API, input
// as a decoded JSON map, output as a Go map. Run with -cpu 1 for the one-core figure in the README.
func BenchmarkExecuteTravelInsurance(b *testing.B) {
	rs, err := engine.New().Load("../examples/travel-insurance")
	if err != nil {
		b.Fatal(err)
	}
	input := travelInput(b)
	ctx := context.Background()
	opts := engine.ExecOptions{Now: fixedNow}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := rs.Execute(ctx, input, opts)
		if err != nil || res.Output["TotalPremium"] != 16.89 {
			b.Fatalf("%v %v", err, res)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "execs/s")
}

// BenchmarkExecuteOneRule is the floor of an execution: one input, one rule that calls array methods
// and a string method (the guarded intrinsics), one output.
func BenchmarkExecuteOneRule(b *testing.B) {
	dir := b.TempDir()
	yaml := "name: one\ninputs:\n  X: {type: number, required: true}\nrules:\n  Y: '[X, 2, 3].map(v => v * 2).indexOf(4) + \"ab\".padStart(3).length'\n"
	if err := os.WriteFile(filepath.Join(dir, "ruleset.yaml"), []byte(yaml), 0o644); err != nil {
		b.Fatal(err)
	}
	rs, err := engine.New().Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	input := map[string]any{"X": 1.0}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := rs.Execute(ctx, input, engine.ExecOptions{Now: fixedNow})
		if err != nil || res.Output["Y"] != 4.0 {
			b.Fatalf("%v %v", err, res)
		}
	}
}

// BenchmarkExecuteTravelInsuranceParallel shows how executions scale over cores with the pool.
func BenchmarkExecuteTravelInsuranceParallel(b *testing.B) {
	rs, err := engine.New().Load("../examples/travel-insurance")
	if err != nil {
		b.Fatal(err)
	}
	input := travelInput(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := rs.Execute(context.Background(), input, engine.ExecOptions{Now: fixedNow}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "execs/s")
}

// BenchmarkLoadTravelInsurance is the cold path: read, validate and compile the ruleset and build
// its first runtime.
func BenchmarkLoadTravelInsurance(b *testing.B) {
	eng := engine.New()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := eng.Load("../examples/travel-insurance"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExecuteChain10000 is a ruleset generated from a spreadsheet: 10,000 rules, each reading
// the one before, only the last an output (so the first read evaluates the whole chain from the top).
func BenchmarkExecuteChain10000(b *testing.B) {
	const n = 10000
	rs := load(b, engine.New(), chainYAML(n, "name: chain\n", func(i int) string {
		return fmt.Sprintf("  R%d: {expression: 'R%d + 1', output: %v}\n", i, i-1, i == n-1)
	}), nil)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := rs.Execute(ctx, nil, engine.ExecOptions{Now: fixedNow})
		if err != nil || res.Output["R9999"] != float64(n) {
			b.Fatalf("%v %v", err, res)
		}
	}
}

// BenchmarkLoadChain10000 is the cold side of BenchmarkExecuteChain10000: load, validate, plan
// and compile the 10,000 rules and build the first runtime.
func BenchmarkLoadChain10000(b *testing.B) {
	const n = 10000
	dir := writeRuleset(b, chainYAML(n, "name: chain\n", func(i int) string {
		return fmt.Sprintf("  R%d: {expression: 'R%d + 1', output: %v}\n", i, i-1, i == n-1)
	}), nil)
	for b.Loop() {
		rs, err := engine.New().Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rs.Execute(context.Background(), nil, engine.ExecOptions{Now: fixedNow}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExecuteDiscount is the one-rule decision of bench/ (Kubus beside raw goja, expr, cel-go
// and grule): three inputs, one number rule. It is the fixed cost of an execution.
func BenchmarkExecuteDiscount(b *testing.B) {
	rs, err := engine.New().Load("../bench/testdata/discount")
	if err != nil {
		b.Fatal(err)
	}
	input := map[string]any{"Age": 70.0, "Total": 120.0, "Member": true}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := rs.Execute(ctx, input, engine.ExecOptions{Now: fixedNow})
		if err != nil || res.Output["Discount"] != 0.15 {
			b.Fatalf("%v %v", err, res)
		}
	}
}
