package diagram

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/kubusdev/kubus/rulesets"
)

// SVG is the workflow as a standalone SVG document, laid out here: steps top down from the start,
// a shape and colour per step type with the type under the name, back edges up the right side.
// With marks (m may be nil) the visited steps and the edges between them are green, the current
// step(s) have a thick blue outline and the failed step is red.
func SVG(w *rulesets.Workflow, m *Marks) []byte {
	g := newGraph(w)
	l := newLayout(g)
	mk := g.resolve(m)
	var b bytes.Buffer
	const pad = 16.0
	x, y := l.minX-pad, l.minY-pad
	wd, ht := l.maxX-l.minX+2*pad, l.maxY-l.minY+2*pad
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="%s %s %s %s" font-family="Helvetica, Arial, sans-serif">`+"\n",
		num(wd), num(ht), num(x), num(y), num(wd), num(ht))
	b.WriteString(`<defs>` + marker(arrowID, edgeStroke))
	if mk != nil {
		b.WriteString(marker(arrowVisitedID, visitedStroke))
	}
	b.WriteString("</defs>\n")
	fmt.Fprintf(&b, `<rect class="background" x="%s" y="%s" width="%s" height="%s" fill="#ffffff"/>`+"\n", num(x), num(y), num(wd), num(ht))
	writeEdges(&b, l, mk)
	writeLabels(&b, l)
	writeSteps(&b, l, mk)
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// Colours of edges and text.
const (
	edgeStroke     = "#64748b"
	nameColour     = "#0f172a"
	captionColour  = "#475569"
	labelColour    = "#334155"
	arrowID        = "kubus-wf-arrow"
	arrowVisitedID = "kubus-wf-arrow-visited"
)

// marker is an arrowhead whose tip is the path's end; it keeps its size whatever the stroke width.
func marker(id, colour string) string {
	return `<marker id="` + id + `" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">` +
		`<path d="M0,0 L10,5 L0,10 Z" fill="` + colour + `"/></marker>`
}

// writeEdges draws the edges, the visited ones last so that they lie on top.
func writeEdges(b *bytes.Buffer, l *layout, mk *marked) {
	b.WriteString(`<g class="edges" fill="none">` + "\n")
	for _, pass := range []bool{false, true} {
		for _, r := range l.routes {
			visited := mk != nil && mk.edges[r.edge]
			if visited != pass {
				continue
			}
			class, stroke, width, arrow := "edge", edgeStroke, "1.5", arrowID
			if visited {
				class, stroke, width, arrow = "edge visited", visitedStroke, "3", arrowVisitedID
			}
			if r.back {
				class += " back"
			}
			dash := ""
			if l.g.edges[r.edge].timeout {
				class += " timeout"
				dash = ` stroke-dasharray="6 4"`
			}
			fmt.Fprintf(b, `<path class="%s" d="%s" stroke="%s" stroke-width="%s"%s marker-end="url(#%s)"/>`+"\n", class, r.d, stroke, width, dash, arrow)
		}
	}
	b.WriteString("</g>\n")
}

// writeLabels draws the edge labels on a white ground, so that an edge passing under stays legible.
func writeLabels(b *bytes.Buffer, l *layout) {
	b.WriteString(`<g class="labels" font-size="` + num(labelSize) + `" text-anchor="middle">` + "\n")
	for _, lb := range l.labels {
		fmt.Fprintf(b, `<g class="edge-label"><rect x="%s" y="%s" width="%s" height="%s" rx="3" fill="#ffffff" fill-opacity="0.9"/><text x="%s" y="%s" fill="%s">%s</text></g>`+"\n",
			num(lb.x), num(lb.y), num(lb.w), num(lb.h), num(lb.x+lb.w/2), num(lb.y+lb.h/2+labelSize*0.36), labelColour, esc(lb.text))
	}
	b.WriteString("</g>\n")
}

// typeColours are the fill and stroke of each step type.
var typeColours = map[string][2]string{
	rulesets.StepStart:  {"#ede9fe", "#6d28d9"},
	rulesets.StepAction: {"#f8fafc", "#475569"},
	rulesets.StepSwitch: {"#fef3c7", "#b45309"},
	rulesets.StepDelay:  {"#ffedd5", "#c2410c"},
	rulesets.StepWait:   {"#ccfbf1", "#0f766e"},
	rulesets.StepUpload: {"#fce7f3", "#be185d"},
	rulesets.StepFork:   {"#e2e8f0", "#334155"},
	rulesets.StepJoin:   {"#e2e8f0", "#334155"},
	rulesets.StepEnd:    {"#f1f5f9", "#0f172a"},
}

// stepLook is how one step is painted: its type's colours unless a mark says otherwise.
type stepLook struct {
	class, fill, stroke string
	width               float64
}

func lookOf(s *rulesets.Step, i int, mk *marked) stepLook {
	c, ok := typeColours[s.Type]
	if !ok {
		c = typeColours[rulesets.StepAction]
	}
	lk := stepLook{class: "step " + s.Type, fill: c[0], stroke: c[1], width: 1.5}
	if s.Type == rulesets.StepEnd {
		lk.width = 3 // an end event's thick ring
	}
	if mk == nil {
		return lk
	}
	if mk.visited[i] {
		lk.class += " visited"
		lk.fill, lk.stroke, lk.width = visitedFill, visitedStroke, 2.5
	}
	if mk.current[i] {
		lk.class += " current"
		lk.stroke, lk.width = currentStroke, 4
	}
	if mk.failed == i {
		lk.class += " failed"
		lk.fill, lk.stroke, lk.width = failedFill, failedStroke, 3.5
	}
	return lk
}

// writeSteps draws each step's shape, name and caption, with its full name as a tooltip.
func writeSteps(b *bytes.Buffer, l *layout, mk *marked) {
	b.WriteString(`<g class="steps" text-anchor="middle">` + "\n")
	for i, s := range l.g.steps {
		n := &l.nodes[i]
		lk := lookOf(s, i, mk)
		title := s.Name
		if s.Description != "" {
			title += ": " + s.Description
		}
		fmt.Fprintf(b, `<g class="%s" data-step="%s"><title>%s</title>`, esc(lk.class), esc(s.Name), esc(title))
		paint := fmt.Sprintf(` fill="%s" stroke="%s" stroke-width="%s"`, lk.fill, lk.stroke, num(lk.width))
		b.WriteString(shapeSVG(s.Type, n, paint, lk.stroke))
		fmt.Fprintf(b, `<text x="%s" y="%s" font-size="%s" font-weight="bold" fill="%s">%s</text>`,
			num(n.x), num(n.y-3), num(nameSize), nameColour, esc(clip(s.Name, maxNameRunes)))
		fmt.Fprintf(b, `<text x="%s" y="%s" font-size="%s" fill="%s">%s</text></g>`+"\n",
			num(n.x), num(n.y+12), num(captionSize), captionColour, esc(caption(s)))
	}
	b.WriteString("</g>\n")
}

// shapeSVG is a step's outline: a stadium for the start, a rhombus for a switch, a hexagon for a
// fork or join, an ellipse for an end, and rectangles told apart by their border otherwise: dashed
// for a delay, double for a wait, a folded corner for an upload.
func shapeSVG(typ string, n *lnode, paint, stroke string) string {
	x, y, w, h := n.x-n.w/2, n.y-n.h/2, n.w, n.h
	rect := func(rx float64, extra string) string {
		return fmt.Sprintf(`<rect x="%s" y="%s" width="%s" height="%s" rx="%s"%s%s/>`, num(x), num(y), num(w), num(h), num(rx), paint, extra)
	}
	switch n.shape {
	case shapeStadium:
		return rect(h/2, "")
	case shapeDiamond:
		return polygon(paint, pt{n.x, y}, pt{x + w, n.y}, pt{n.x, y + h}, pt{x, n.y})
	case shapeHexagon:
		return polygon(paint, pt{x + hexInset, y}, pt{x + w - hexInset, y}, pt{x + w, n.y}, pt{x + w - hexInset, y + h}, pt{x + hexInset, y + h}, pt{x, n.y})
	case shapeEllipse:
		return fmt.Sprintf(`<ellipse cx="%s" cy="%s" rx="%s" ry="%s"%s/>`, num(n.x), num(n.y), num(w/2), num(h/2), paint)
	}
	switch typ {
	case rulesets.StepDelay:
		return rect(6, ` stroke-dasharray="5 3"`)
	case rulesets.StepWait:
		return rect(6, "") + fmt.Sprintf(`<rect x="%s" y="%s" width="%s" height="%s" rx="4" fill="none" stroke="%s" stroke-width="1"/>`, num(x+3.5), num(y+3.5), num(w-7), num(h-7), stroke)
	case rulesets.StepUpload:
		const f = 12.0 // the folded corner
		return fmt.Sprintf(`<path d="M%s,%s H%s L%s,%s V%s H%s Z"%s/><path d="M%s,%s V%s H%s" fill="none" stroke="%s" stroke-width="1"/>`,
			num(x), num(y), num(x+w-f), num(x+w), num(y+f), num(y+h), num(x), paint,
			num(x+w-f), num(y), num(y+f), num(x+w), stroke)
	}
	return rect(6, "")
}

func polygon(paint string, pts ...pt) string {
	var s []string
	for _, p := range pts {
		s = append(s, num(p.x)+","+num(p.y))
	}
	return `<polygon points="` + strings.Join(s, " ") + `"` + paint + `/>`
}
