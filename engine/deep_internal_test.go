package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kubusdev/kubus/rulesets"
)

// TestDeepPlanBoundsNesting simulates the generated evaluation (frontier first, then the rule's
// reads in order) on rule graphs of several shapes and checks the deepest nesting of frames stays
// within a few levels, however deep the graph. The engine tests run the real thing; this one covers
// shapes too large to run many of.
func TestDeepPlanBoundsNesting(t *testing.T) {
	type graph struct {
		name string
		deps [][]int // per rule, the rules it reads, in reading order
	}
	chain := func(n int) [][]int {
		d := make([][]int, n)
		for i := 1; i < n; i++ {
			d[i] = []int{i - 1}
		}
		return d
	}
	random := func(n int, seed uint64) [][]int {
		r := rand.New(rand.NewPCG(seed, 1))
		d := make([][]int, n)
		for i := 1; i < n; i++ {
			for k := 0; k < 1+r.IntN(3); k++ {
				j := i - 1 - r.IntN(min(i, 40))
				if r.IntN(10) == 0 {
					j = r.IntN(i) // a far read
				}
				d[i] = append(d[i], j)
			}
		}
		return d
	}
	// Every rule of a level also reads a rule of the level below: all of them are checkpoints.
	comb := func(n int) [][]int {
		d := chain(n)
		for i := deepLevel + 1; i < n; i++ {
			d[i] = append(d[i], i-deepLevel)
		}
		return d
	}
	// The top reads the chain bottom-up, then top-down.
	fan := func(n int) [][]int {
		d := chain(n)
		top := make([]int, 0, 2*n)
		for i := 0; i < n; i++ {
			top = append(top, i)
		}
		for i := n - 1; i >= 0; i-- {
			top = append(top, i)
		}
		return append(d, top)
	}
	graphs := []graph{{"chain", chain(10000)}, {"comb", comb(10000)}, {"fan", fan(5000)}}
	for s := range uint64(5) {
		graphs = append(graphs, graph{fmt.Sprintf("random %d", s), random(10000, s)})
	}
	for _, g := range graphs {
		t.Run(g.name, func(t *testing.T) {
			n := len(g.deps)
			rules := make([]*rulesets.Rule, n)
			inline := make([]bool, n)
			for i := range rules {
				rules[i] = &rulesets.Rule{Name: fmt.Sprintf("R%d", i)}
				for _, d := range g.deps[i] {
					rules[i].Code.Refs = append(rules[i].Code.Refs, fmt.Sprintf("R%d", d))
				}
				inline[i] = i%3 != 0
			}
			plan := planDeep(rules, nil, inline)
			if plan == nil {
				t.Fatal("no plan for a deep graph")
			}
			done := make([]bool, n)
			deepest := 0
			var eval func(i, frames int)
			eval = func(i, frames int) {
				if done[i] {
					return
				}
				frames++ // the evaluator
				deepest = max(deepest, frames)
				for _, f := range plan.frontier[i] {
					eval(f, frames)
				}
				if !inline[i] {
					frames++ // the rule's function
				}
				for _, d := range g.deps[i] {
					eval(d, frames)
				}
				done[i] = true
			}
			for i := n - 1; i >= 0; i-- {
				eval(i, 0)
			}
			if deepest > 3*deepLevel {
				t.Errorf("nesting reached %d frames, want at most %d", deepest, 3*deepLevel)
			}
			t.Logf("deepest nesting %d frames", deepest)
		})
	}
	shallow := make([]*rulesets.Rule, deepLevel/2)
	for i := range shallow {
		shallow[i] = &rulesets.Rule{Name: fmt.Sprintf("R%d", i)}
		if i > 0 {
			shallow[i].Code.Refs = []string{fmt.Sprintf("R%d", i-1)}
		}
	}
	if planDeep(shallow, nil, make([]bool, len(shallow))) != nil {
		t.Error("a shallow ruleset got a plan: its generated code would change")
	}
}
