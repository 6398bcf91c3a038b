package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
)

// TestLoadRefusesHostileCode checks the attacks of issue 9 that ran at load time end as load errors,
// fast, through the engine's own loader options.
func TestLoadRefusesHostileCode(t *testing.T) {
	tests := []struct{ name, rule, want string }{
		{"BigInt constant folding", "2n ** 8000000000n", "ruleset.yaml:3:6: rules.R: BigInt is not available in rule code (Kubus numbers are doubles)"},
		{"direct eval into the glue", `eval("__gen + 1")`, "ruleset.yaml:3:6: rules.R: eval is not available in rule code"},
		{"eval in a statement body", "|\n    const x = 1\n    return eval('x')", "ruleset.yaml:5:12: rules.R: eval is not available in rule code"},
		{"deep nesting", strings.Repeat("(", 100_000) + "1" + strings.Repeat(")", 100_000), "ruleset.yaml:3:1006: rules.R: the code nests more than 1000 levels deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeRuleset(t, "name: x\nrules:\n  R: "+tt.rule+"\n", nil)
			start := time.Now()
			_, err := engine.New().Load(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want an error containing %q, got %v", tt.want, err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestWithLoadLimits(t *testing.T) {
	eng := engine.New(engine.WithLoadLimits(rulesets.LoadOptions{MaxCodeBytes: 10}))
	_, err := eng.Load(writeRuleset(t, "name: small\nrules:\n  A: 1 + 2 + 3 + 4 + 5\n", nil))
	if err == nil || !strings.Contains(err.Error(), "MaxCodeBytes") {
		t.Fatalf("want a MaxCodeBytes load error, got %v", err)
	}
	if _, err := engine.New().Load(writeRuleset(t, "name: small\nrules:\n  A: 1 + 2 + 3 + 4 + 5\n", nil)); err != nil {
		t.Fatal(err)
	}
}
