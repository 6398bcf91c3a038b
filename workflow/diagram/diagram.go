// Package diagram draws a workflow's step graph with each step's type, and with an instance the
// visited path, the current step(s) and a failed step (workflows.md): as Mermaid text, and as a
// standalone SVG laid out here so that the server and the CLI need no outside tool.
package diagram

import (
	"fmt"
	"strings"

	"github.com/kubusdev/kubus/rulesets"
)

// Marks overlay one instance on the diagram: the steps it entered (in order, repeats allowed), the
// step(s) it is at now (waiting or running), and the step where it failed ("" for none).
type Marks struct {
	Visited []string
	Current []string
	Failed  string
}

// edge is one arrow of the diagram. Several fields of a step that lead to the same step (two switch
// cases, say) make one edge with several labels, so that arrows never lie on top of each other.
type edge struct {
	from, to int
	labels   []string
	timeout  bool // only onTimeout leads this way: drawn dashed
}

func (e edge) label() string { return strings.Join(e.labels, ", ") }

// graph is the workflow as indices: steps in declared order, edges in the order of Successors.
type graph struct {
	steps []*rulesets.Step
	index map[string]int
	edges []edge
	out   [][]int // edge indices by source step
	start int
}

func newGraph(w *rulesets.Workflow) *graph {
	g := &graph{index: map[string]int{}}
	if w == nil {
		return g
	}
	for _, s := range w.Steps {
		if s != nil {
			g.steps = append(g.steps, s)
		}
	}
	for i, s := range g.steps {
		if _, dup := g.index[s.Name]; !dup {
			g.index[s.Name] = i
		}
		if s.Type == rulesets.StepStart && g.steps[g.start].Type != rulesets.StepStart {
			g.start = i
		}
	}
	g.out = make([][]int, len(g.steps))
	pairs := map[[2]int]int{}
	for i, s := range g.steps {
		add := func(to, label string, timeout bool) { g.addEdge(pairs, i, to, label, timeout) }
		add(s.Next, "", false)
		for _, c := range s.Cases {
			v := c.Value
			if v == "" {
				v = `""`
			}
			add(c.Step, v, false)
		}
		add(s.Default, "default", false)
		add(s.OnTimeout, "timeout", true)
		for _, b := range s.Branches {
			add(b, "", false)
		}
	}
	return g
}

// addEdge adds from → to, or a label to the edge already there. A name that is no step (a
// workflow built by hand, not loaded) has no node to point at and is left out.
func (g *graph) addEdge(pairs map[[2]int]int, from int, to, label string, timeout bool) {
	t, ok := g.index[to]
	if to == "" || !ok {
		return
	}
	k := [2]int{from, t}
	e, seen := pairs[k]
	if !seen {
		e = len(g.edges)
		pairs[k] = e
		g.edges = append(g.edges, edge{from: from, to: t, timeout: timeout})
		g.out[from] = append(g.out[from], e)
	} else {
		g.edges[e].timeout = g.edges[e].timeout && timeout
	}
	if label != "" {
		g.edges[e].labels = append(g.edges[e].labels, label)
	}
}

// caption says what a step is beyond its name: its type and what it waits for.
func caption(s *rulesets.Step) string {
	head := s.Type
	if head == "" {
		head = "step"
	}
	parts := []string{head}
	switch {
	case s.Type == rulesets.StepDelay && s.For != nil:
		parts[0] += " " + s.For.Text
	case s.Type == rulesets.StepDelay && s.Until != nil:
		parts[0] += " until"
	case s.Type == rulesets.StepEnd && s.Status == rulesets.StatusFailed:
		parts = append(parts, "failed")
	}
	if s.Timeout != nil {
		parts = append(parts, "timeout "+s.Timeout.Text)
	}
	if s.Retry != nil && s.Retry.Max > 0 {
		parts = append(parts, fmt.Sprintf("retry %d", s.Retry.Max))
	}
	return strings.Join(parts, " · ")
}

// marked is Marks resolved to indices; names that are no step are ignored.
type marked struct {
	visited, current []bool // by step
	failed           int    // -1 for none
	edges            []bool // by edge: taken on the visited path
}

// lookback bounds how far back a visit looks for the step it came from, so that a long history
// (a poll loop running for days) stays linear.
const lookback = 64

func (g *graph) resolve(m *Marks) *marked {
	if m == nil {
		return nil
	}
	mk := &marked{visited: make([]bool, len(g.steps)), current: make([]bool, len(g.steps)), failed: -1, edges: make([]bool, len(g.edges))}
	pairs := map[[2]int]int{}
	for i, e := range g.edges {
		pairs[[2]int{e.from, e.to}] = i
	}
	var path []int
	for _, n := range m.Visited {
		if i, ok := g.index[n]; ok {
			mk.visited[i] = true
			path = append(path, i)
		}
	}
	for i, b := range path {
		g.markEntry(mk, pairs, path[max(0, i-lookback):i], b)
	}
	for _, n := range m.Current {
		if i, ok := g.index[n]; ok {
			mk.current[i] = true
		}
	}
	if i, ok := g.index[m.Failed]; ok && m.Failed != "" {
		mk.failed = i
	}
	return mk
}

// markEntry marks the edge an entry into b came by: from the latest earlier step with an edge to b
// (the one just before, unless fork branches interleave). A join is entered from every branch, so
// every edge into it from a step visited since the join's last visit counts.
func (g *graph) markEntry(mk *marked, pairs map[[2]int]int, before []int, b int) {
	join := g.steps[b].Type == rulesets.StepJoin
	for j := len(before) - 1; j >= 0; j-- {
		a := before[j]
		if join && a == b {
			return
		}
		if e, ok := pairs[[2]int{a, b}]; ok {
			mk.edges[e] = true
			if !join {
				return
			}
		}
	}
}
