package diagram

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

type pt struct{ x, y float64 }

// box is a rectangle by its top-left corner.
type box struct{ x, y, w, h float64 }

func (a box) overlaps(b box) bool {
	return a.x < b.x+b.w && b.x < a.x+a.w && a.y < b.y+b.h && b.y < a.y+a.h
}

// route is an edge's drawn path.
type route struct {
	edge int
	d    string
	back bool
	span box // the points it passes, for the picture's bounds
}

// label is an edge's text in a box of its own.
type label struct {
	text string
	box
}

const (
	laneGap    = 22.0 // from the widest thing a back edge passes to its lane
	laneStep   = 14.0 // between two lanes side by side
	cornerR    = 10.0 // rounding of a back edge's corners
	portStep   = 14.0 // between edge ends on a box's top or bottom
	sideStep   = 12.0 // between edge ends on a box's side
	sideOffset = 12.0 // how far below (above) a box a blocked back edge turns to its lane
)

// route draws every edge: forward edges down through their points, self loops on the right of
// their step, back edges up a lane beside everything they pass.
func (l *layout) route() {
	src, dst := l.ports()
	l.sides()
	for e := range l.g.edges {
		switch {
		case l.self[e]:
			l.selfLoop(e)
		case !l.back[e]:
			l.forward(e, src[e], dst[e])
		}
	}
	l.backEdges()
}

// ports spreads the ends of forward edges over each box's bottom and top, ordered by where the
// other end lies so that they do not cross at the box.
func (l *layout) ports() (src, dst []float64) {
	src, dst = make([]float64, len(l.g.edges)), make([]float64, len(l.g.edges))
	outs, ins := make([][]int, len(l.g.steps)), make([][]int, len(l.g.steps))
	for e, c := range l.chain {
		if c != nil {
			outs[c[0]] = append(outs[c[0]], e)
			ins[c[len(c)-1]] = append(ins[c[len(c)-1]], e)
		}
	}
	for v := range l.g.steps {
		l.spread(v, outs[v], func(e int) float64 { return l.nodes[l.chain[e][1]].x }, src)
		l.spread(v, ins[v], func(e int) float64 { c := l.chain[e]; return l.nodes[c[len(c)-2]].x }, dst)
	}
	return src, dst
}

func (l *layout) spread(v int, es []int, other func(int) float64, dx []float64) {
	slices.SortStableFunc(es, func(a, b int) int { return cmp.Compare(other(a), other(b)) })
	if len(es) < 2 {
		return
	}
	step := math.Min(portStep, l.nodes[v].w*0.5/float64(len(es)-1))
	for i, e := range es {
		dx[e] = (float64(i) - float64(len(es)-1)/2) * step
	}
}

// sides picks the side of each back edge's lane, and places its ends and those of self loops on
// the sides of their boxes. A box with another box beside it in its rank cannot be left that way:
// its back edge leaves below it or arrives above it instead (NaN here). Lanes go right unless
// only the left is open.
func (l *layout) sides() {
	ne := len(l.g.edges)
	l.sideOut, l.sideIn, l.laneSide = make([]float64, ne), make([]float64, ne), make([]float64, ne)
	openR, openL := l.openSides()
	type end struct {
		edge int
		out  bool
	}
	ends := map[[2]int][]end{} // by step and side
	var keys [][2]int          // in the order first used, for deterministic output
	add := func(v int, side float64, x end) {
		k := [2]int{v, int(side)}
		if ends[k] == nil {
			keys = append(keys, k)
		}
		ends[k] = append(ends[k], x)
	}
	for e, ed := range l.g.edges {
		l.sideOut[e], l.sideIn[e], l.laneSide[e] = math.NaN(), math.NaN(), 1
		switch {
		case l.self[e]:
			add(ed.from, 1, end{e, true})
			add(ed.from, 1, end{e, false})
		case l.back[e]:
			sR, tR, sL, tL := openR[ed.from], openR[ed.to], openL[ed.from], openL[ed.to]
			open := openR
			if !(sR && tR) && (sL && tL || !sR && !tR && (sL || tL)) {
				l.laneSide[e], open = -1, openL
			}
			if open[ed.to] {
				add(ed.to, l.laneSide[e], end{e, false})
			}
			if open[ed.from] {
				add(ed.from, l.laneSide[e], end{e, true})
			}
		}
	}
	for _, k := range keys {
		es := ends[k]
		step := math.Min(sideStep, l.nodes[k[0]].h*0.6/float64(max(1, len(es)-1)))
		for i, x := range es {
			dy := (float64(i) - float64(len(es)-1)/2) * step
			if x.out {
				l.sideOut[x.edge] = dy
			} else {
				l.sideIn[x.edge] = dy
			}
		}
	}
}

// openSides tells the steps that have no other step right (left) of them in their rank.
func (l *layout) openSides() (right, left []bool) {
	right, left = make([]bool, len(l.g.steps)), make([]bool, len(l.g.steps))
	for _, rk := range l.ranks {
		for i := len(rk) - 1; i >= 0; i-- {
			if l.nodes[rk[i]].real() {
				right[rk[i]] = true
				break
			}
		}
		for _, v := range rk {
			if l.nodes[v].real() {
				left[v] = true
				break
			}
		}
	}
	return right, left
}

// forward draws an edge down from its source's bottom through its points to its target's top:
// S-curves between ranks, straight lines through the ranks it passes.
func (l *layout) forward(e int, sdx, tdx float64) {
	c := l.chain[e]
	s, t := &l.nodes[c[0]], &l.nodes[c[len(c)-1]]
	pts := []pt{{s.x + sdx, s.y + s.halfH(sdx)}}
	for _, v := range c[1 : len(c)-1] {
		n := &l.nodes[v]
		pts = append(pts, pt{n.x, l.bandTop(n.rank)}, pt{n.x, l.bandBottom(n.rank)})
	}
	pts = append(pts, pt{t.x + tdx, t.y - t.halfH(tdx)})
	l.routes = append(l.routes, route{edge: e, d: curvePath(pts), span: spanOf(pts)})
	if text := l.g.edges[e].label(); text != "" {
		l.placeLabel(clip(text, maxLabelRunes), pts[0], pts[1], s.rank)
	}
}

// curvePath joins the points of a forward edge: an S-curve across each gap between ranks, a line
// through each rank passed. A straight run down several ranks is one line, which keeps a long
// edge's path short.
func curvePath(pts []pt) string {
	var d strings.Builder
	d.WriteString("M" + num(pts[0].x) + "," + num(pts[0].y))
	for i := 1; i < len(pts); i++ {
		p, q := pts[i-1], pts[i]
		switch {
		case math.Abs(q.x-p.x) >= 0.05:
			k := (q.y - p.y) / 2
			d.WriteString(" C" + num(p.x) + "," + num(p.y+k) + " " + num(q.x) + "," + num(q.y-k) + " " + num(q.x) + "," + num(q.y))
		case i+1 == len(pts) || math.Abs(pts[i+1].x-q.x) >= 0.05:
			d.WriteString(" L" + num(q.x) + "," + num(q.y))
		}
	}
	return d.String()
}

// placeLabel puts a forward edge's label on its first curve, in the gap below the source's rank,
// at the first of a few places along it (on it, right of it, left of it) that no other label
// takes; in a crowded gap, right of every label there.
func (l *layout) placeLabel(text string, p, q pt, r int) {
	w, h := textWidth(text, labelSize, false)+8, labelH
	lo, hi := l.bandBottom(r)+3, l.bandTop(r+1)-3-h
	k := (q.y - p.y) / 2
	c1, c2 := pt{p.x, p.y + k}, pt{q.x, q.y - k}
	var first box
	for i, t := range []float64{0.5, 0.35, 0.65, 0.2, 0.8} {
		m := bezier(p, c1, c2, q, t)
		y := math.Max(lo, math.Min(hi, m.y-h/2))
		for j, x := range []float64{m.x - w/2, m.x + 5, m.x - 5 - w} {
			b := box{x, y, w, h}
			if i == 0 && j == 0 {
				first = b
			}
			if l.labelFree(b) {
				l.labels = append(l.labels, label{text, b})
				return
			}
		}
	}
	for _, o := range l.labels {
		if o.y < first.y+first.h && first.y < o.y+o.h {
			first.x = math.Max(first.x, o.x+o.w+4)
		}
	}
	l.labels = append(l.labels, label{text, first})
}

func (l *layout) labelFree(b box) bool {
	for _, o := range l.labels {
		if o.overlaps(b) {
			return false
		}
	}
	return true
}

func bezier(p, c1, c2, q pt, t float64) pt {
	u := 1 - t
	a, b, c, d := u*u*u, 3*u*u*t, 3*u*t*t, t*t*t
	return pt{a*p.x + b*c1.x + c*c2.x + d*q.x, a*p.y + b*c1.y + c*c2.y + d*q.y}
}

// selfLoop draws a step's edge to itself as a loop on its right, in the room sizeNodes kept.
func (l *layout) selfLoop(e int) {
	n := &l.nodes[l.g.edges[e].from]
	dy1, dy2 := l.sideOut[e], l.sideIn[e]
	p := pt{n.x + n.halfW(dy1), n.y + dy1}
	q := pt{n.x + n.halfW(dy2), n.y + dy2}
	out := n.x + n.w/2 + loopOut
	d := "M" + num(p.x) + "," + num(p.y) + " C" + num(out) + "," + num(p.y-8) + " " + num(out) + "," + num(q.y+8) + " " + num(q.x) + "," + num(q.y)
	l.routes = append(l.routes, route{edge: e, d: d, back: true, span: spanOf([]pt{p, q, {out, n.y}})})
	if text := l.g.edges[e].label(); text != "" {
		text = clip(text, maxLabelRunes)
		l.labels = append(l.labels, label{text, box{n.x + n.w/2 + loopOut + 2, n.y - labelH/2, textWidth(text, labelSize, false) + 8, labelH}})
	}
}

// backEdges draws each back edge up a lane of its own beside everything in the ranks it spans:
// shorter loops nearer the graph, so that a longer loop around them crosses none of them.
func (l *layout) backEdges() {
	var es []int
	for e := range l.g.edges {
		if l.back[e] {
			es = append(es, e)
		}
	}
	span := func(e int) int { return l.nodes[l.g.edges[e].from].rank - l.nodes[l.g.edges[e].to].rank }
	slices.SortStableFunc(es, func(a, b int) int { return cmp.Compare(span(a), span(b)) })
	right, left := l.rankExtents()
	type lane struct {
		top, bottom int
		side, outer float64
	}
	var lanes []lane
	for _, e := range es {
		ed := l.g.edges[e]
		rt, rs, side := l.nodes[ed.to].rank, l.nodes[ed.from].rank, l.laneSide[e]
		x := math.Inf(-1)
		for r := rt; r <= rs; r++ {
			if side > 0 {
				x = math.Max(x, right[r])
			} else {
				x = math.Max(x, -left[r])
			}
		}
		x += laneGap
		for _, ln := range lanes {
			if ln.side == side && ln.top <= rs && rt <= ln.bottom {
				x = math.Max(x, side*ln.outer+laneStep)
			}
		}
		lanes = append(lanes, lane{rt, rs, side, l.backEdge(e, side*x, side)})
	}
}

// rankExtents are the rightmost and leftmost x taken in each rank and the gap below it.
func (l *layout) rankExtents() (right, left []float64) {
	right, left = make([]float64, len(l.ranks)), make([]float64, len(l.ranks))
	for r := range right {
		right[r], left[r] = math.Inf(-1), math.Inf(1)
	}
	for _, n := range l.nodes {
		right[n.rank] = math.Max(right[n.rank], n.x+n.right)
		left[n.rank] = math.Min(left[n.rank], n.x-n.left)
	}
	for _, lb := range l.labels {
		r := l.rankOf(lb.y + lb.h/2)
		right[r] = math.Max(right[r], lb.x+lb.w)
		left[r] = math.Min(left[r], lb.x)
	}
	return right, left
}

// rankOf is the rank whose band or gap below holds y.
func (l *layout) rankOf(y float64) int {
	r, _ := slices.BinarySearchFunc(l.rankY, y, func(ry, y float64) int { return cmp.Compare(ry, y) })
	if r > 0 && (r == len(l.rankY) || y < l.bandTop(r)) {
		r--
	}
	return min(r, len(l.rankY)-1)
}

// backEdge draws one back edge up the lane at x on the given side (1 right, -1 left) and returns
// the outer edge of what it drew.
func (l *layout) backEdge(e int, x, side float64) float64 {
	ed := l.g.edges[e]
	s, t := &l.nodes[ed.from], &l.nodes[ed.to]
	var pts []pt
	if dy := l.sideOut[e]; !math.IsNaN(dy) {
		pts = append(pts, pt{s.x + side*s.halfW(dy), s.y + dy}, pt{x, s.y + dy})
	} else {
		bx := s.x + side*s.w/4
		gy := l.bandBottom(s.rank) + sideOffset
		pts = append(pts, pt{bx, s.y + s.halfH(s.w/4)}, pt{bx, gy}, pt{x, gy})
	}
	if dy := l.sideIn[e]; !math.IsNaN(dy) {
		pts = append(pts, pt{x, t.y + dy}, pt{t.x + side*t.halfW(dy), t.y + dy})
	} else {
		bx := t.x + side*t.w/4
		gy := l.bandTop(t.rank) - sideOffset
		pts = append(pts, pt{x, gy}, pt{bx, gy}, pt{bx, t.y - t.halfH(t.w/4)})
	}
	l.routes = append(l.routes, route{edge: e, d: roundedPath(pts, cornerR), back: true, span: spanOf(pts)})
	text := ed.label()
	if text == "" {
		return x
	}
	text = clip(text, maxLabelRunes)
	w := textWidth(text, labelSize, false) + 8
	bx := x + 4
	if side < 0 {
		bx = x - 4 - w
	}
	l.labels = append(l.labels, label{text, box{bx, (s.y+t.y)/2 - labelH/2, w, labelH}})
	return x + side*(4+w)
}

// roundedPath is a polyline of horizontal and vertical segments with rounded corners.
func roundedPath(pts []pt, r float64) string {
	var d strings.Builder
	d.WriteString("M" + num(pts[0].x) + "," + num(pts[0].y))
	for i := 1; i+1 < len(pts); i++ {
		p, c, q := pts[i-1], pts[i], pts[i+1]
		in, out := math.Hypot(c.x-p.x, c.y-p.y), math.Hypot(q.x-c.x, q.y-c.y)
		k := math.Min(r, math.Min(in, out)/2)
		if in == 0 || out == 0 {
			continue
		}
		a := pt{c.x - (c.x-p.x)/in*k, c.y - (c.y-p.y)/in*k}
		b := pt{c.x + (q.x-c.x)/out*k, c.y + (q.y-c.y)/out*k}
		d.WriteString(" L" + num(a.x) + "," + num(a.y) + " Q" + num(c.x) + "," + num(c.y) + " " + num(b.x) + "," + num(b.y))
	}
	last := pts[len(pts)-1]
	d.WriteString(" L" + num(last.x) + "," + num(last.y))
	return d.String()
}

func spanOf(pts []pt) box {
	lo, hi := pts[0], pts[0]
	for _, p := range pts[1:] {
		lo = pt{math.Min(lo.x, p.x), math.Min(lo.y, p.y)}
		hi = pt{math.Max(hi.x, p.x), math.Max(hi.y, p.y)}
	}
	return box{lo.x, lo.y, hi.x - lo.x, hi.y - lo.y}
}

// bounds is the box around everything drawn.
func (l *layout) bounds() {
	var bs []box
	for _, n := range l.nodes {
		if n.real() {
			bs = append(bs, n.box())
		}
	}
	for _, lb := range l.labels {
		bs = append(bs, lb.box)
	}
	for _, r := range l.routes {
		bs = append(bs, r.span)
	}
	if len(bs) == 0 {
		return
	}
	l.minX, l.minY, l.maxX, l.maxY = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, b := range bs {
		l.minX, l.minY = math.Min(l.minX, b.x), math.Min(l.minY, b.y)
		l.maxX, l.maxY = math.Max(l.maxX, b.x+b.w), math.Max(l.maxY, b.y+b.h)
	}
}

func (n *lnode) box() box { return box{n.x - n.w/2, n.y - n.h/2, n.w, n.h} }
