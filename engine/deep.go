package engine

import (
	"slices"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/rulesets"
)

// Rules are lazy: reading a rule evaluates it, so a chain of rules is a chain of nested JS calls,
// and a ruleset generated from a spreadsheet can chain more rules than the call stack may hold
// (Limits.MaxCallStackDepth bounds the author's recursion, and the host's Go stack with it).
//
// A deep ruleset keeps every evaluation shallow with checkpoints. Every rule gets a static depth,
// the JS frames its evaluation can nest (its own frames plus its deepest dependency's, through the
// functions it calls), and a level, depth / deepLevel. A checkpoint is a rule with a dependency on a
// lower level; before its own code runs, it evaluates its frontier — the checkpoints it reaches
// without passing another checkpoint — in ascending depth. Each of those does the same first, so by
// the time a rule's code runs, every path down from it meets an evaluated rule within one level.
//
// That evaluates the frontier eagerly, which laziness must not notice: a frontier rule that throws
// is not an error until something reads it. Rules of a deep ruleset therefore remember a failure
// (state __failed, the thrown value in their memo) and throw it again when read; the frontier
// evaluation swallows it. An Error keeps the stack of where it was made; any other thrown value
// gets a new stack at each throw, so the host notes the first rule each value failed (failedRule). What an eager evaluation cannot hide is its cost and side effects
// (an Http call, an entity save), documented in the README. Shallow rulesets (all but generated
// ones) compile exactly as before.

// deepLevel is the depth, in estimated JS frames, of one level. Frames the estimate cannot see
// (an accessor read, a callback of a built-in) at most double it, which keeps the deepest nesting of
// rules well inside the default MaxCallStackDepth of 4096.
const deepLevel = 256

// deepPlan is what the generator needs for a deep ruleset; nil for a shallow one.
type deepPlan struct {
	frontier [][]int // per rule: the checkpoints to evaluate first (nil: not a checkpoint)
}

// planDeep computes the rules' static depths and, when a rule is deeper than one level, the
// frontiers. inline tells which rules are single expressions (one frame; a statement body is two).
func planDeep(rules []*rulesets.Rule, functions []*rulesets.Function, inline []bool) *deepPlan {
	ruleIndex := make(map[string]int, len(rules))
	for i, r := range rules {
		ruleIndex[r.Name] = i
	}
	fnIndex := make(map[string]int, len(functions))
	for i, f := range functions {
		if _, clash := ruleIndex[f.Name]; !clash {
			fnIndex[f.Name] = i
		}
	}

	// A function's rule dependencies are those of everything it calls; its frames, the deepest call
	// chain of functions (recursion among functions is the author's, bounded by the stack limit).
	type fnInfo struct {
		rules  []int
		frames int
	}
	fnMemo := make([]*fnInfo, len(functions))
	visiting := make([]bool, len(functions))
	var fnDeps func(i int) *fnInfo
	fnDeps = func(i int) *fnInfo {
		if fnMemo[i] != nil {
			return fnMemo[i]
		}
		if visiting[i] {
			return &fnInfo{} // recursion: counted where the cycle is entered
		}
		visiting[i] = true
		info := &fnInfo{frames: 1}
		f := functions[i]
		for _, ref := range f.Code.Refs {
			if slices.ContainsFunc(f.Params, func(p *rulesets.Param) bool { return p.Name == ref }) {
				continue
			}
			if ri, ok := ruleIndex[ref]; ok {
				info.rules = append(info.rules, ri)
			} else if fi, ok := fnIndex[ref]; ok && fi != i {
				sub := fnDeps(fi)
				info.rules = append(info.rules, sub.rules...)
				info.frames = max(info.frames, 1+sub.frames)
			}
		}
		slices.Sort(info.rules)
		info.rules = slices.Compact(info.rules)
		visiting[i] = false
		fnMemo[i] = info
		return info
	}

	// A rule's dependencies, each with the frames between the rule and it (the functions in
	// between); rules are acyclic (the loader refuses cycles).
	type dep struct{ rule, frames int }
	deps := make([][]dep, len(rules))
	for i, r := range rules {
		for _, ref := range r.Code.Refs {
			if ri, ok := ruleIndex[ref]; ok {
				deps[i] = append(deps[i], dep{ri, 0})
			} else if fi, ok := fnIndex[ref]; ok {
				info := fnDeps(fi)
				for _, ri := range info.rules {
					deps[i] = append(deps[i], dep{ri, info.frames})
				}
			}
		}
	}

	depth := make([]int, len(rules))
	order := make([]int, 0, len(rules)) // dependencies before dependents
	state := make([]byte, len(rules))   // 0 new, 1 on the path, 2 done
	for root := range rules {
		if state[root] != 0 {
			continue
		}
		// Iterative depth-first search: the graph is as deep as the chains it is here to handle.
		type frame struct{ rule, next int }
		stack := []frame{{root, 0}}
		state[root] = 1
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.next < len(deps[top.rule]) {
				d := deps[top.rule][top.next].rule
				top.next++
				if state[d] == 0 {
					state[d] = 1
					stack = append(stack, frame{d, 0})
				}
				continue // state 1 would be a cycle: refused at load, ignored here
			}
			i := top.rule
			own := 2
			if inline[i] {
				own = 1
			}
			depth[i] = own
			for _, d := range deps[i] {
				if state[d.rule] == 2 {
					depth[i] = max(depth[i], own+d.frames+depth[d.rule])
				}
			}
			state[i] = 2
			order = append(order, i)
			stack = stack[:len(stack)-1]
		}
	}
	if slices.Max(append(depth, 0)) <= deepLevel {
		return nil
	}

	level := func(i int) int { return depth[i] / deepLevel }
	checkpoint := make([]bool, len(rules))
	for i := range rules {
		for _, d := range deps[i] {
			if level(d.rule) < level(i) {
				checkpoint[i] = true
				break
			}
		}
	}
	plan := &deepPlan{frontier: make([][]int, len(rules))}
	seen := make([]int, len(rules)) // the checkpoint whose frontier last visited the rule, +1
	for _, c := range order {
		if !checkpoint[c] {
			continue
		}
		var front []int
		walk := []int{c}
		for len(walk) > 0 {
			i := walk[len(walk)-1]
			walk = walk[:len(walk)-1]
			for _, d := range deps[i] {
				r := d.rule
				if seen[r] == c+1 {
					continue
				}
				seen[r] = c + 1
				if checkpoint[r] {
					front = append(front, r)
				} else if level(r) > 0 { // the first level has no checkpoints
					walk = append(walk, r)
				}
			}
		}
		slices.SortStableFunc(front, func(a, b int) int { return depth[a] - depth[b] })
		plan.frontier[c] = front
	}
	return plan
}

// deepEvaluator writes the head of rule i's evaluator in a deep ruleset: a failure of this execution
// is thrown again, the frontier is evaluated first (its failures are kept, not thrown), and the
// rule's code runs in a try whose catch keeps the failure. The caller writes the code and the catch.
func (g *gen) deepEvaluator(i int, frontier []int, t0 string) {
	g.wf("function __e%d() {\n  if (__s%d === __busy) __stillBusy(%d);\n", i, i, i)
	g.wf("  if (__s%d === __failed) throw __v%d;\n", i, i)
	for _, f := range frontier {
		g.wf("  if (__s%d !== __gen) try { __e%d(); } catch (__x) {}\n", f, f)
	}
	g.wf("  __s%d = __busy;\n  var %s__r, __t;\n  try {\n", i, t0)
}

// failedRule notes, in a deep ruleset, the rule a thrown value first failed: catching and throwing
// it again through the rules that read it gives a value that is not an Error a new stack each time.
type failedRule struct {
	value goja.Value
	rule  int
}

// note is __k.failed(rule, value): a value already noted keeps its first rule.
func (f *failedRule) note(call goja.FunctionCall) goja.Value {
	v := call.Argument(1)
	if f.value == nil || !v.SameAs(f.value) {
		f.value, f.rule = v, int(call.Argument(0).ToInteger())
	}
	return goja.Undefined()
}

// of is the rule the thrown value v first failed, or -1.
func (f *failedRule) of(v goja.Value) int {
	if f.value == nil || !v.SameAs(f.value) {
		return -1
	}
	return f.rule
}

// isError reports whether v is an Error object (which carries the stack of where it was made).
func isError(v goja.Value) bool {
	o, ok := v.(*goja.Object)
	return ok && o.ClassName() == "Error"
}
