package engine_test

import (
	"context"
	"encoding/json"
	"os"
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
