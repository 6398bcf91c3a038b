package main

import (
	"strings"
	"testing"

	"github.com/kubusdev/kubus/engine/kubustest"
)

func TestQuote(t *testing.T) {
	var out strings.Builder
	if err := quote(&out, "../travel-insurance"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"2024-07-01 → 14 days, band young, premium € 28.88, alerts 0",
		"2024-08-03 → 7 days, band elder, premium € 12.34, alerts 0",
		"refused: DateOfBirth: required",
		`refused: CustomerArea: must be one of north, east, south, west, got "middle"`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// A host runs a ruleset's own testcases as subtests of its `go test` with one call.
func TestTravelInsuranceTestcases(t *testing.T) {
	kubustest.Run(t, "../travel-insurance")
}
