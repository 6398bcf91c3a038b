package engine_test

import (
	"context"
	"testing"

	"github.com/kubusdev/kubus/engine"
)

func benchRuleset(b *testing.B, yaml string, in map[string]any) {
	rs := load(b, engine.New(), yaml, nil)
	for b.Loop() {
		if _, err := rs.Execute(context.Background(), in, engine.ExecOptions{Now: fixedNow}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParts(b *testing.B) {
	num := map[string]any{"N": 1.0}
	b.Run("1rule", func(b *testing.B) { benchRuleset(b, "name: f\ninputs:\n  N: number\nrules:\n  X: N + 1\n", num) })
	b.Run("8rules", func(b *testing.B) {
		benchRuleset(b, "name: f\ninputs:\n  N: number\nrules:\n  A: N + 1\n  B: A + 1\n  C: B + 1\n  D: C + 1\n  E: D + 1\n  F: E + 1\n  G: F + 1\n  H: G + 1\n", num)
	})
	b.Run("5alerts", func(b *testing.B) {
		benchRuleset(b, "name: f\ninputs:\n  N: number\nrules:\n  X: N\nalerts:\n  A: {level: info, when: N > 0, message: \"a ${N}\"}\n  B: {level: info, when: N > 5, message: b}\n  C: {level: info, when: N > 5, message: c}\n  D: {level: info, when: N > 5, message: d}\n  E: {level: info, when: N > 5, message: e}\n", num)
	})
	b.Run("dayage", func(b *testing.B) {
		benchRuleset(b, "name: f\ninputs:\n  A: date\n  B: date\nrules:\n  X: DAYDIFF(A, B)\n  Y: AGE(A, B)\n", map[string]any{"A": "2000-01-01", "B": "2024-01-01"})
	})
	b.Run("entity", func(b *testing.B) {
		benchRuleset(b, "name: f\ninputs:\n  P: {type: Person, output: true}\nentities:\n  Person:\n    properties:\n      Name: string\n      Birthdate: date\n    calculated:\n      Age: \"Birthdate ? AGE(Birthdate) : null\"\nrules:\n  X: 1\n", map[string]any{"P": map[string]any{"Name": "A", "Birthdate": "2000-01-01"}})
	})
	b.Run("table", func(b *testing.B) {
		benchRuleset(b, "name: f\ninputs:\n  N: number\ntables:\n  T:\n    columns: [from, to, s]\n    rows:\n      a: [0, 10, 1]\n      b: [11, 20, 2]\nrules:\n  X: T.lookup(N)\n  Y: T.lookupRow(N).s\n", num)
	})
}
