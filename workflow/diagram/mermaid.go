package diagram

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kubusdev/kubus/rulesets"
)

// Mermaid is the workflow as a Mermaid flowchart, top down, with a node shape per step type and
// the marks (m may be nil) as classes and link styles. Nodes are named s0, s1, ... in declared
// order so that any step name works: the name itself is only ever a quoted, escaped label.
func Mermaid(w *rulesets.Workflow, m *Marks) string {
	g := newGraph(w)
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	for i, s := range g.steps {
		open, closing := mermaidShape(s.Type)
		fmt.Fprintf(&b, "    s%d%s\"%s\"%s\n", i, open, mermaidLabel(s), closing)
	}
	for _, e := range g.edges {
		arrow := "-->"
		if e.timeout {
			arrow = "-.->"
		}
		if l := e.label(); l != "" {
			arrow += "|\"" + mermaidEscape(clip(l, maxLabelRunes)) + "\"|"
		}
		fmt.Fprintf(&b, "    s%d %s s%d\n", e.from, arrow, e.to)
	}
	if mk := g.resolve(m); mk != nil {
		writeMermaidMarks(&b, mk)
	}
	return b.String()
}

// mermaidShape gives the brackets of a step type's node shape.
func mermaidShape(typ string) (open, closing string) {
	switch typ {
	case rulesets.StepStart:
		return "([", "])" // stadium
	case rulesets.StepEnd:
		return "((", "))" // circle
	case rulesets.StepSwitch:
		return "{", "}" // rhombus
	case rulesets.StepFork, rulesets.StepJoin:
		return "{{", "}}" // hexagon
	case rulesets.StepDelay:
		return "[/", "/]" // parallelogram
	case rulesets.StepWait:
		return "[[", "]]" // subroutine
	case rulesets.StepUpload:
		return "[(", ")]" // cylinder: the document goes into the store
	}
	return "[", "]"
}

// mermaidLabel is the step's name, with the caption on a second line where the shape alone does
// not say enough (what a delay waits for, fork or join, a failing end, a retry).
func mermaidLabel(s *rulesets.Step) string {
	label := mermaidEscape(clip(s.Name, maxNameRunes))
	c := caption(s)
	switch s.Type {
	case rulesets.StepDelay, rulesets.StepWait, rulesets.StepUpload, rulesets.StepFork, rulesets.StepJoin:
	default:
		if c == s.Type {
			return label
		}
	}
	return label + "<br/>" + mermaidEscape(c)
}

// mermaidEscape makes text safe inside a quoted Mermaid label: quotes, the entity sign, markup and
// the edge-label bar become entity codes (#quot; #35; ...), control characters spaces.
func mermaidEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString("#quot;")
		case r == '#', r == '&', r == '<', r == '>', r == '|', r == '`', r == '\\':
			b.WriteString("#" + strconv.Itoa(int(r)) + ";")
		case r < ' ' || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Mark colours, shared by both outputs.
const (
	visitedFill   = "#dcfce7"
	visitedStroke = "#16a34a"
	currentStroke = "#2563eb"
	failedFill    = "#fee2e2"
	failedStroke  = "#dc2626"
)

// writeMermaidMarks adds a class per mark, in the order visited, current, failed so that a later
// class wins where a step has several, and the visited edges' link style.
func writeMermaidMarks(b *strings.Builder, mk *marked) {
	defs := []struct {
		name, style string
		on          func(int) bool
	}{
		{"visited", "fill:" + visitedFill + ",stroke:" + visitedStroke + ",stroke-width:2px", func(i int) bool { return mk.visited[i] }},
		{"current", "stroke:" + currentStroke + ",stroke-width:4px", func(i int) bool { return mk.current[i] }},
		{"failed", "fill:" + failedFill + ",stroke:" + failedStroke + ",stroke-width:3px", func(i int) bool { return i == mk.failed }},
	}
	for _, d := range defs {
		var ids []string
		for i := range mk.visited {
			if d.on(i) {
				ids = append(ids, "s"+strconv.Itoa(i))
			}
		}
		if len(ids) > 0 {
			fmt.Fprintf(b, "    classDef %s %s\n    class %s %s\n", d.name, d.style, strings.Join(ids, ","), d.name)
		}
	}
	var links []string
	for i, on := range mk.edges {
		if on {
			links = append(links, strconv.Itoa(i))
		}
	}
	if len(links) > 0 {
		fmt.Fprintf(b, "    linkStyle %s stroke:%s,stroke-width:3px\n", strings.Join(links, ","), visitedStroke)
	}
}
