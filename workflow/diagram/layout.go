package diagram

import (
	"cmp"
	"math"
	"slices"

	"github.com/kubusdev/kubus/rulesets"
)

// The layout is layered, top down (Sugiyama's scheme, kept small): cycles are broken at the back
// edges of a depth-first search from the start, steps are ranked by their longest path from it,
// edges spanning several ranks get a point in each rank they pass, a few barycenter sweeps order
// each rank, and x follows the neighbours' mean within the rank's spacing. Every phase is linear
// in nodes plus edge points (times a constant number of sweeps, or a log for crossing counts).

// Sizes in SVG user units (px).
const (
	nameSize     = 13.0
	captionSize  = 11.0
	labelSize    = 11.0
	labelH       = 16.0
	padX         = 14.0
	nodeH        = 46.0
	rankGap      = 46.0 // between the boxes of two ranks
	labelRankGap = 64.0 // the same when edges leaving the upper rank carry labels
	nodeGap      = 32.0 // between two boxes side by side
	pointExt     = 8.0  // half the room an edge takes in a rank it passes
	loopOut      = 30.0 // how far a self loop stands out of its box
	hexInset     = 14.0 // the slant of a fork's or join's hexagon
	sweeps       = 8    // ordering sweeps, alternately down and up
	alignPasses  = 6    // x passes, each down and up
)

type shape uint8

const (
	shapeRect shape = iota
	shapeStadium
	shapeDiamond
	shapeHexagon
	shapeEllipse
)

func shapeOf(typ string) shape {
	switch typ {
	case rulesets.StepStart:
		return shapeStadium
	case rulesets.StepSwitch:
		return shapeDiamond
	case rulesets.StepFork, rulesets.StepJoin:
		return shapeHexagon
	case rulesets.StepEnd:
		return shapeEllipse
	}
	return shapeRect
}

// lnode is a step in the layout, or a point that a long edge passes in a rank between its ends.
type lnode struct {
	step        int // index in graph.steps; -1 for an edge point
	edge        int // for an edge point, its edge
	rank, pos   int
	x, y        float64
	w, h        float64
	shape       shape
	left, right float64 // room taken either side of x
	up, down    []int   // neighbours in the ranks above and below
	side        bool    // back edges or a self loop attach on its side: last among equals in its rank, nearer the lanes
}

func (n *lnode) real() bool { return n.step >= 0 }

// halfH is how far the shape's border is above (or below) the centre at dx from it.
func (n *lnode) halfH(dx float64) float64 {
	a, b := n.w/2, n.h/2
	dx = math.Min(math.Abs(dx), a)
	switch n.shape {
	case shapeDiamond:
		return b * (1 - dx/a)
	case shapeEllipse:
		return b * math.Sqrt(1-(dx/a)*(dx/a))
	case shapeStadium:
		if u := dx - (a - b); u > 0 {
			return math.Sqrt(math.Max(0, b*b-u*u))
		}
	case shapeHexagon:
		if u := dx - (a - hexInset); u > 0 {
			return b * (1 - u/hexInset)
		}
	}
	return b
}

// halfW is how far the shape's border is right (or left) of the centre at dy from it.
func (n *lnode) halfW(dy float64) float64 {
	a, b := n.w/2, n.h/2
	dy = math.Min(math.Abs(dy), b)
	switch n.shape {
	case shapeDiamond:
		return a * (1 - dy/b)
	case shapeEllipse:
		return a * math.Sqrt(1-(dy/b)*(dy/b))
	case shapeStadium:
		return a - b + math.Sqrt(b*b-dy*dy)
	case shapeHexagon:
		return a - hexInset*dy/b
	}
	return a
}

// layout is the picture in the making: where each step and edge point goes, then the edges' paths
// and labels, and the box around them all.
type layout struct {
	g               *graph
	nodes           []lnode // the steps first, in declared order, then edge points
	ranks           [][]int
	rankY, rankH    []float64
	gap             []float64 // below each rank
	chain           [][]int   // per forward edge, the lnodes from source to target; nil otherwise
	back, self      []bool    // per edge
	disc            []int     // depth-first discovery order, by step
	routes          []route
	labels          []label
	minX, minY      float64
	maxX, maxY      float64
	sideOut, sideIn []float64 // per back edge or self loop: dy of its ends on a side, NaN when routed below/above
	laneSide        []float64 // per back edge: 1 for a lane on the right, -1 on the left
	buf             []float64 // scratch for placeX
}

func newLayout(g *graph) *layout {
	l := &layout{g: g}
	post := l.breakCycles()
	l.sizeNodes()
	l.assignRanks(post)
	l.addPoints()
	l.order()
	l.placeX()
	l.placeY()
	l.route()
	l.bounds()
	return l
}

// breakCycles marks back edges and self loops by an iterative depth-first search from the start,
// then from any step it did not reach, and returns the steps in post-order.
func (l *layout) breakCycles() []int {
	g := l.g
	n := len(g.steps)
	l.back, l.self = make([]bool, len(g.edges)), make([]bool, len(g.edges))
	l.disc = make([]int, n)
	state := make([]uint8, n) // 0 unseen, 1 on the stack, 2 done
	post := make([]int, 0, n)
	type frame struct{ v, next int }
	var stack []frame
	seen := 0
	for k := range n {
		root := (g.start + k) % n
		if state[root] != 0 {
			continue
		}
		state[root], l.disc[root], seen = 1, seen, seen+1
		stack = append(stack[:0], frame{v: root})
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.next == len(g.out[f.v]) {
				state[f.v] = 2
				post = append(post, f.v)
				stack = stack[:len(stack)-1]
				continue
			}
			e := g.out[f.v][f.next]
			f.next++
			t := g.edges[e].to
			switch {
			case t == f.v:
				l.self[e] = true
			case state[t] == 1:
				l.back[e] = true
			case state[t] == 0:
				state[t], l.disc[t], seen = 1, seen, seen+1
				stack = append(stack, frame{v: t})
			}
		}
	}
	return post
}

// sizeNodes makes an lnode per step, sized to its name and caption.
func (l *layout) sizeNodes() {
	for i, s := range l.g.steps {
		n := lnode{step: i, edge: -1, shape: shapeOf(s.Type), h: nodeH}
		tw := math.Max(textWidth(clip(s.Name, maxNameRunes), nameSize, true), textWidth(caption(s), captionSize, false))
		switch n.shape {
		case shapeDiamond:
			// The text's corners must stay inside the rhombus: at a quarter of its height from the
			// middle it is 0.6 of its width wide.
			n.w, n.h = math.Max(1.7*tw+24, 96), 70
		case shapeEllipse:
			n.w, n.h = math.Max(1.25*tw+28, 84), 52
		case shapeStadium:
			n.w = tw + nodeH
		case shapeHexagon:
			n.w = tw + 2*padX + hexInset
		default:
			n.w = tw + 2*padX
		}
		n.w = math.Max(n.w, 76)
		n.left, n.right = n.w/2, n.w/2
		l.nodes = append(l.nodes, n)
	}
	for e, ed := range l.g.edges {
		switch {
		case l.self[e]:
			n := &l.nodes[ed.from]
			n.side = true
			n.right += loopOut + 4
			if t := ed.label(); t != "" {
				n.right += textWidth(clip(t, maxLabelRunes), labelSize, false) + 12
			}
		case l.back[e]:
			l.nodes[ed.from].side, l.nodes[ed.to].side = true, true
		}
	}
}

// assignRanks gives each step the length of its longest path of forward edges from a root:
// reverse post-order is a topological order of those.
func (l *layout) assignRanks(post []int) {
	for i := len(post) - 1; i >= 0; i-- {
		v := post[i]
		for _, e := range l.g.out[v] {
			if !l.back[e] && !l.self[e] {
				t := &l.nodes[l.g.edges[e].to]
				t.rank = max(t.rank, l.nodes[v].rank+1)
			}
		}
	}
}

// addPoints gives each forward edge its chain of lnodes, with a point in every rank it passes.
func (l *layout) addPoints() {
	l.chain = make([][]int, len(l.g.edges))
	points := 0
	for e, ed := range l.g.edges {
		if !l.back[e] && !l.self[e] {
			points += max(0, l.nodes[ed.to].rank-l.nodes[ed.from].rank-1)
		}
	}
	l.nodes = slices.Grow(l.nodes, points)
	for e, ed := range l.g.edges {
		if l.back[e] || l.self[e] {
			continue
		}
		c := []int{ed.from}
		for r := l.nodes[ed.from].rank + 1; r < l.nodes[ed.to].rank; r++ {
			c = append(c, len(l.nodes))
			l.nodes = append(l.nodes, lnode{step: -1, edge: e, rank: r, left: pointExt, right: pointExt})
		}
		c = append(c, ed.to)
		for i := 1; i < len(c); i++ {
			l.nodes[c[i-1]].down = append(l.nodes[c[i-1]].down, c[i])
			l.nodes[c[i]].up = append(l.nodes[c[i]].up, c[i-1])
		}
		l.chain[e] = c
	}
}

// order arranges each rank to reduce crossings: barycenter sweeps, keeping the best order seen.
func (l *layout) order() {
	nr := 0
	for _, n := range l.nodes {
		nr = max(nr, n.rank+1)
	}
	l.ranks = make([][]int, nr)
	key := func(v int) int {
		if n := l.nodes[v]; n.real() {
			return l.disc[n.step]
		}
		return l.disc[l.g.edges[l.nodes[v].edge].from]
	}
	for v := range l.nodes {
		l.ranks[l.nodes[v].rank] = append(l.ranks[l.nodes[v].rank], v)
	}
	for _, rk := range l.ranks {
		slices.SortStableFunc(rk, func(a, b int) int {
			return cmp.Or(cmp.Compare(key(a), key(b)), compareSide(l.nodes[a].side, l.nodes[b].side))
		})
		l.setPos(rk)
	}
	best, saved := l.crossings(), l.snapshot()
	for it := 0; it < sweeps && best > 0; it++ {
		if it%2 == 0 {
			for r := 1; r < nr; r++ {
				l.reorder(r, true)
			}
		} else {
			for r := nr - 2; r >= 0; r-- {
				l.reorder(r, false)
			}
		}
		if c := l.crossings(); c < best {
			best, saved = c, l.snapshot()
		}
	}
	l.ranks = saved
	for _, rk := range l.ranks {
		l.setPos(rk)
	}
}

func compareSide(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func (l *layout) setPos(rk []int) {
	for i, v := range rk {
		l.nodes[v].pos = i
	}
}

func (l *layout) snapshot() [][]int {
	s := make([][]int, len(l.ranks))
	for r, rk := range l.ranks {
		s[r] = slices.Clone(rk)
	}
	return s
}

// reorder sorts rank r by the mean position of each node's neighbours above (or below); a node
// without any keeps its place.
func (l *layout) reorder(r int, above bool) {
	rk := l.ranks[r]
	bary := make([]float64, len(rk))
	for i, v := range rk {
		nb := l.nodes[v].down
		if above {
			nb = l.nodes[v].up
		}
		if len(nb) == 0 {
			bary[i] = float64(l.nodes[v].pos)
			continue
		}
		sum := 0
		for _, u := range nb {
			sum += l.nodes[u].pos
		}
		bary[i] = float64(sum) / float64(len(nb))
	}
	idx := make([]int, len(rk))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Or(cmp.Compare(bary[a], bary[b]), compareSide(l.nodes[rk[a]].side, l.nodes[rk[b]].side))
	})
	sorted := make([]int, len(rk))
	for i, j := range idx {
		sorted[i] = rk[j]
	}
	l.ranks[r] = sorted
	l.setPos(sorted)
}

// crossings counts the edge crossings between all pairs of adjacent ranks, as inversions.
func (l *layout) crossings() int {
	total := 0
	var pairs [][2]int
	for r := 0; r+1 < len(l.ranks); r++ {
		pairs = pairs[:0]
		for _, v := range l.ranks[r] {
			for _, u := range l.nodes[v].down {
				pairs = append(pairs, [2]int{l.nodes[v].pos, l.nodes[u].pos})
			}
		}
		slices.SortFunc(pairs, func(a, b [2]int) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
		tree := make([]int, len(l.ranks[r+1])+1) // Fenwick tree over the lower rank's positions
		for i, p := range pairs {
			below := 0
			for j := p[1] + 1; j > 0; j -= j & -j {
				below += tree[j]
			}
			total += i - below // earlier pairs ending right of this one cross it
			for j := p[1] + 1; j < len(tree); j += j & -j {
				tree[j]++
			}
		}
	}
	return total
}

func (l *layout) sep(a, b int) float64 {
	gap := nodeGap
	if !l.nodes[a].real() || !l.nodes[b].real() {
		gap = nodeGap / 2
	}
	return l.nodes[a].right + gap + l.nodes[b].left
}

// placeX packs each rank around x = 0, then moves nodes towards their neighbours' mean x in
// passes down and up the ranks.
func (l *layout) placeX() {
	for _, rk := range l.ranks {
		x := 0.0
		for i, v := range rk {
			if i > 0 {
				x += l.sep(rk[i-1], v)
			}
			l.nodes[v].x = x
		}
		for _, v := range rk {
			l.nodes[v].x -= x / 2
		}
	}
	for range alignPasses {
		for r := len(l.ranks) - 2; r >= 0; r-- {
			l.align(r, false)
		}
		for r := 1; r < len(l.ranks); r++ {
			l.align(r, true)
		}
	}
}

// align moves rank r towards the mean x of each node's neighbours above (or below), keeping its
// order and spacing: the mean of the placements packed from the left and from the right keeps
// both spacings, and a node with room to move gets where it wants.
func (l *layout) align(r int, above bool) {
	rk := l.ranks[r]
	n := len(rk)
	want, fromLeft, fromRight := l.scratch(n)
	for i, v := range rk {
		nb := l.nodes[v].down
		if above {
			nb = l.nodes[v].up
		}
		want[i] = l.nodes[v].x
		if len(nb) > 0 {
			sum := 0.0
			for _, u := range nb {
				sum += l.nodes[u].x
			}
			want[i] = sum / float64(len(nb))
		}
	}
	for i := range n {
		fromLeft[i] = want[i]
		if i > 0 {
			fromLeft[i] = math.Max(want[i], fromLeft[i-1]+l.sep(rk[i-1], rk[i]))
		}
	}
	for i := n - 1; i >= 0; i-- {
		fromRight[i] = want[i]
		if i < n-1 {
			fromRight[i] = math.Min(want[i], fromRight[i+1]-l.sep(rk[i], rk[i+1]))
		}
	}
	for i, v := range rk {
		l.nodes[v].x = (fromLeft[i] + fromRight[i]) / 2
	}
}

// scratch hands out three buffers of n floats, reused across the x passes.
func (l *layout) scratch(n int) (a, b, c []float64) {
	if cap(l.buf) < 3*n {
		l.buf = make([]float64, 3*n)
	}
	buf := l.buf[:3*n]
	return buf[:n], buf[n : 2*n], buf[2*n:]
}

// placeY stacks the ranks, each as tall as its tallest step, with more room below a rank whose
// edges carry labels.
func (l *layout) placeY() {
	nr := len(l.ranks)
	l.rankY, l.rankH, l.gap = make([]float64, nr), make([]float64, nr), make([]float64, nr)
	for _, n := range l.nodes {
		l.rankH[n.rank] = math.Max(l.rankH[n.rank], n.h)
	}
	for e, c := range l.chain {
		if c != nil && len(l.g.edges[e].labels) > 0 {
			l.gap[l.nodes[c[0]].rank] = labelRankGap
		}
	}
	y := 0.0
	for r := range nr {
		if l.gap[r] == 0 {
			l.gap[r] = rankGap
		}
		l.rankY[r] = y + l.rankH[r]/2
		y += l.rankH[r] + l.gap[r]
	}
	for i := range l.nodes {
		l.nodes[i].y = l.rankY[l.nodes[i].rank]
	}
}

func (l *layout) bandTop(r int) float64    { return l.rankY[r] - l.rankH[r]/2 }
func (l *layout) bandBottom(r int) float64 { return l.rankY[r] + l.rankH[r]/2 }
