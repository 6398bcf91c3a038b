package pdf

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// Layout turns content nodes into strips: horizontal bands of drawing operations, each as wide
// as the node that made it, which the paginator stacks onto pages. A paragraph is a strip per
// line; a table row, or the columns of a columns node, are merged side by side into strips cut
// where every cell can be cut, so a row taller than a page still breaks between lines.

type opKind uint8

const (
	opText   opKind = iota
	opFill          // a filled rectangle (x, y, w, h)
	opLine          // a line from (x, y) to (w, h), width size
	opImage         // an image in the rectangle (x, y, w, h), s its registered name
	opDisc          // a filled circle at (x, y), radius w
	opCircle        // a stroked circle at (x, y), radius w
)

type op struct {
	kind       opKind
	font       uint8
	x, y, w, h float64
	size       float64 // text: font size; line and circle: line width
	color      rgb
	s          string
}

type stripKind uint8

const (
	sContent stripKind = iota
	sSpace             // a margin: dropped where the page breaks
	sBreak             // a page break
)

type strip struct {
	kind     stripKind
	h        float64
	ops      []op    // x absolute, y from the strip's top
	baseline float64 // the first text baseline from the top; < 0 when none
	keep     bool    // keep on one page with the next strip, when they fit on one
	table    *tableFlow
	header   bool // a header row of table

	// text is what the strip says, for the document's kept text; soft says the next strip
	// continues the same paragraph (a wrapped line), so the two are joined with a space.
	text string
	soft bool
}

// tableFlow is a table being placed: its header strips repeat on each page it continues on.
type tableFlow struct {
	header  []*strip
	started bool
}

type sink interface{ add(s *strip) error }

// collector keeps the strips of a cell or column, to be merged side by side.
type collector struct {
	l      *layouter
	strips []*strip
	h      float64
}

func (c *collector) add(s *strip) error {
	if s.kind == sBreak {
		return nil // page breaks inside cells and columns are ignored
	}
	c.strips = append(c.strips, s)
	c.h += s.h
	if c.h > float64(c.l.lim.MaxPages)*c.l.bodyH {
		return c.l.tooManyPages()
	}
	return nil
}

// Fonts: the Go fonts, embedded as UTF-8 TrueType fonts (subset to the characters used).
const family = "go"

var fontStyles = [4]string{"", "B", "I", "BI"}

func fontOf(st style) uint8 {
	var f uint8
	if st.bold {
		f |= 1
	}
	if st.italic {
		f |= 2
	}
	return f
}

// coverage marks the BMP characters the Go fonts have a glyph for; others print as "?".
var coverage = sync.OnceValue(func() []uint64 {
	bits := make([]uint64, 1<<16/64)
	f, err := sfnt.Parse(goregular.TTF)
	if err != nil {
		panic(err)
	}
	var buf sfnt.Buffer
	for r := rune(0x20); r < 1<<16; r++ {
		if gi, err := f.GlyphIndex(&buf, r); err == nil && gi != 0 {
			bits[r/64] |= 1 << (r % 64)
		}
	}
	return bits
})

func printable(r rune) rune {
	if r < 0x20 || r >= 1<<16 || coverage()[r/64]&(1<<(r%64)) == 0 {
		return '?'
	}
	return r
}

type layouter struct {
	f       *fpdf.Fpdf
	lim     Limits
	doc     *doc
	bodyW   float64
	bodyH   float64
	expired func() bool
	ops     int
	asc     [4]float64 // ascent and descent per font, per point of size
	desc    [4]float64

	curFont    int
	curSize    float64
	nImages    int
	imageBytes int
	work       int
}

const eps = 1e-6

func (l *layouter) tooManyPages() error {
	return limitErr("", "the document has more than %d pages", l.lim.MaxPages)
}

// tick counts a unit of work and checks the deadline every so often.
func (l *layouter) tick() error {
	l.work++
	if l.work%64 == 0 && l.expired() {
		return ErrDeadline
	}
	return nil
}

func (l *layouter) addOps(n int) error {
	l.ops += n
	if l.ops > l.lim.MaxOps {
		return limitErr("", "the document has more than %d drawing operations", l.lim.MaxOps)
	}
	return nil
}

func (l *layouter) width(s string, font uint8, size float64) float64 {
	if int(font) != l.curFont || size != l.curSize {
		l.f.SetFont(family, fontStyles[font], size)
		l.curFont, l.curSize = int(font), size
	}
	return l.f.GetStringWidth(s)
}

// node lays out n with the style it inherits (parent), in the band [x0, x0+w).
func (l *layouter) node(n *node, parent style, x0, w float64, out sink, depth int) error {
	if err := l.tick(); err != nil {
		return err
	}
	st := parent.with(n.props)
	if n.breakBefore {
		if err := out.add(&strip{kind: sBreak}); err != nil {
			return err
		}
	}
	m := n.margin
	if m[1] > 0 {
		if err := out.add(&strip{kind: sSpace, h: m[1]}); err != nil {
			return err
		}
	}
	x, cw := x0+m[0], w-m[0]-m[2]
	if cw < 1 {
		cw = 1
	}
	var err error
	switch n.kind {
	case kText:
		err = l.paragraph(n.runs, st, x, cw, out)
	case kTable:
		err = l.table(n, st, x, cw, out, depth)
	case kList:
		err = l.list(n, st, x, cw, out, depth)
	case kImage:
		err = l.image(n, st, x, cw, out)
	case kQR:
		err = l.qrCode(n, st, x, cw, out)
	case kColumns:
		err = l.columns(n, st, x, cw, out, depth)
	case kStack:
		for _, c := range n.children {
			if err = l.node(c, st, x, cw, out, depth+1); err != nil {
				break
			}
		}
	}
	if err != nil {
		return err
	}
	if m[3] > 0 {
		if err := out.add(&strip{kind: sSpace, h: m[3]}); err != nil {
			return err
		}
	}
	if n.breakAfter {
		return out.add(&strip{kind: sBreak})
	}
	return nil
}

// Text.

type piece struct {
	s     string
	font  uint8
	size  float64
	color rgb
	lh    float64
	w     float64
}

func (p piece) sameStyle(q piece) bool {
	return p.font == q.font && p.size == q.size && p.color == q.color
}

type tokKind uint8

const (
	tWord tokKind = iota
	tGap
	tNewline
)

type token struct {
	kind   tokKind
	pieces []piece // tWord; tGap: one piece of spaces
	w      float64
}

// tokens splits runs into words, gaps and line breaks, measuring each.
func (l *layouter) tokens(runs []run, base style) ([]token, error) {
	var toks []token
	var word []piece
	var cur strings.Builder
	var curP piece
	flushPiece := func() {
		if cur.Len() > 0 {
			curP.s = cur.String()
			curP.w = l.width(curP.s, curP.font, curP.size)
			word = append(word, curP)
			cur.Reset()
		}
	}
	flushWord := func() {
		flushPiece()
		if len(word) > 0 {
			t := token{kind: tWord, pieces: word}
			for _, p := range word {
				t.w += p.w
			}
			toks = append(toks, t)
			word = nil
		}
	}
	for _, r := range runs {
		if err := l.tick(); err != nil {
			return nil, err
		}
		st := base.with(r.props)
		p := piece{font: fontOf(st), size: st.size, color: st.color, lh: st.lineHeight}
		if cur.Len() > 0 && !curP.sameStyle(p) {
			flushPiece()
		}
		if cur.Len() == 0 {
			curP = p
		}
		for _, c := range r.text {
			switch c {
			case '\n':
				flushWord()
				toks = append(toks, token{kind: tNewline, pieces: []piece{p}})
			case ' ':
				flushWord()
				sp := l.width(" ", p.font, p.size)
				if n := len(toks); n > 0 && toks[n-1].kind == tGap && toks[n-1].pieces[0].sameStyle(p) {
					toks[n-1].pieces[0].s += " "
					toks[n-1].w += sp
					toks[n-1].pieces[0].w += sp
				} else {
					g := p
					g.s, g.w = " ", sp
					toks = append(toks, token{kind: tGap, pieces: []piece{g}, w: sp})
				}
			default:
				if cur.Len() == 0 {
					curP = p
				}
				cur.WriteRune(printable(c))
			}
		}
	}
	flushWord()
	return toks, nil
}

type lineItem struct {
	gap    float64
	gapP   piece // the gap's style and spaces, for merging with neighbours
	pieces []piece
}

type line struct {
	items []lineItem
	w     float64
	last  bool // the paragraph's last line, or one ending at a \n: not justified
}

// paragraph lays out text runs as lines of at most width w.
func (l *layouter) paragraph(runs []run, st style, x0, w float64, out sink) error {
	toks, err := l.tokens(runs, st)
	if err != nil {
		return err
	}
	base := piece{font: fontOf(st), size: st.size, lh: st.lineHeight}
	var cur line
	var gapW float64
	var gapP piece
	lines := 0
	emit := func(last bool) error {
		cur.last = last
		lines++
		if lines%64 == 0 && l.expired() {
			return ErrDeadline
		}
		s, err := l.lineStrip(&cur, base, st.align, x0, w)
		if err != nil {
			return err
		}
		cur = line{}
		gapW = 0
		return out.add(s)
	}
	for _, t := range toks {
		switch t.kind {
		case tNewline:
			if err := emit(true); err != nil {
				return err
			}
		case tGap:
			if len(cur.items) > 0 {
				g := t.pieces[0]
				switch {
				case gapW == 0:
					gapP = g
				case gapP.s != "" && gapP.sameStyle(g):
					gapP.s += g.s
					gapP.w += g.w
				default:
					gapP.s = "" // spaces of several styles: not merged into one string
				}
				gapW += t.w
			}
		case tWord:
			if len(cur.items) > 0 && cur.w+gapW+t.w > w+eps {
				if err := emit(false); err != nil {
					return err
				}
			}
			if len(cur.items) == 0 && t.w > w+eps {
				// A word wider than the line: cut it between characters.
				chunks := l.cutWord(t.pieces, w)
				for i, ch := range chunks {
					cw := 0.0
					for _, p := range ch {
						cw += p.w
					}
					cur.items = append(cur.items, lineItem{pieces: ch})
					cur.w = cw
					if i < len(chunks)-1 {
						if err := emit(false); err != nil {
							return err
						}
					}
				}
				continue
			}
			it := lineItem{pieces: t.pieces}
			if len(cur.items) > 0 {
				it.gap, it.gapP = gapW, gapP
			}
			cur.items = append(cur.items, it)
			cur.w += it.gap + t.w
			gapW = 0
		}
	}
	if len(cur.items) > 0 || lines == 0 {
		return emit(true)
	}
	return nil
}

// cutWord cuts a word's pieces into chunks no wider than w (at least one character each).
func (l *layouter) cutWord(pieces []piece, w float64) [][]piece {
	var chunks [][]piece
	var chunk []piece
	cw := 0.0
	for _, p := range pieces {
		var b strings.Builder
		bw := 0.0
		for _, r := range p.s {
			rw := l.width(string(r), p.font, p.size)
			if cw+bw+rw > w+eps && (cw+bw > 0) {
				if b.Len() > 0 {
					q := p
					q.s, q.w = b.String(), bw
					chunk = append(chunk, q)
				}
				chunks = append(chunks, chunk)
				chunk, cw, bw = nil, 0, 0
				b.Reset()
			}
			b.WriteRune(r)
			bw += rw
		}
		if b.Len() > 0 {
			q := p
			q.s, q.w = b.String(), bw
			chunk = append(chunk, q)
			cw += bw
		}
	}
	if len(chunk) > 0 {
		chunks = append(chunks, chunk)
	}
	return chunks
}

// metrics are a line's ascent, descent and height.
func (l *layouter) metrics(p piece) (asc, desc, h float64) {
	asc, desc = l.asc[p.font]*p.size, l.desc[p.font]*p.size
	return asc, desc, (asc + desc) * p.lh
}

func (l *layouter) lineStrip(ln *line, base piece, al align, x0, w float64) (*strip, error) {
	asc, desc, h := l.metrics(base)
	if len(ln.items) > 0 {
		asc, desc, h = 0, 0, 0
		for _, it := range ln.items {
			for _, p := range it.pieces {
				a, d, hh := l.metrics(p)
				asc, desc, h = max(asc, a), max(desc, d), max(h, hh)
			}
		}
	}
	baseline := (h-(asc+desc))/2 + asc
	s := &strip{h: h, baseline: baseline}
	if len(ln.items) == 0 {
		return s, nil
	}
	x, extra := x0, 0.0
	switch al {
	case alignCenter:
		x += (w - ln.w) / 2
	case alignRight:
		x += w - ln.w
	case alignJustify:
		if !ln.last && len(ln.items) > 1 {
			extra = (w - ln.w) / float64(len(ln.items)-1)
		}
	}
	justified := extra != 0
	var text strings.Builder
	for i, it := range ln.items {
		if i > 0 {
			if it.gapP.s != "" {
				text.WriteString(it.gapP.s)
			} else {
				text.WriteByte(' ')
			}
		}
		for _, p := range it.pieces {
			text.WriteString(p.s)
		}
	}
	s.text, s.soft = text.String(), !ln.last
	for i, it := range ln.items {
		gapStart := x
		if i > 0 {
			x += it.gap + extra
		}
		for j, p := range it.pieces {
			if n := len(s.ops); n > 0 && !justified {
				prev := &s.ops[n-1]
				same := prev.font == p.font && prev.size == p.size && prev.color == p.color
				end := prev.x + prev.w
				switch {
				case same && j > 0 && math.Abs(end-x) < 1e-3:
					prev.s += p.s
					prev.w += p.w
					x += p.w
					continue
				case same && j == 0 && i > 0 && math.Abs(end-gapStart) < 1e-3 &&
					it.gapP.s != "" && it.gapP.sameStyle(p) && math.Abs(it.gapP.w-it.gap) < 1e-3:
					prev.s += it.gapP.s + p.s
					prev.w += it.gap + p.w
					x += p.w
					continue
				}
			}
			s.ops = append(s.ops, op{kind: opText, font: p.font, size: p.size, color: p.color, x: x, y: baseline, w: p.w, s: p.s})
			x += p.w
		}
	}
	return s, l.addOps(len(s.ops))
}

// measure is a node's narrowest and widest layout: its longest word, and its width unwrapped.
// A node always inherits the same style, so its measure is kept: nested 'auto' tables are
// measured once, not once per enclosing table.
func (l *layouter) measure(n *node, parent style) (minW, maxW float64, err error) {
	if n.measured {
		return n.minW, n.maxW, nil
	}
	if err := l.tick(); err != nil {
		return 0, 0, err
	}
	minW, maxW, err = l.measureNode(n, parent)
	if err != nil {
		return 0, 0, err
	}
	n.measured, n.minW, n.maxW = true, minW, maxW
	return minW, maxW, nil
}

func (l *layouter) measureNode(n *node, parent style) (minW, maxW float64, err error) {
	st := parent.with(n.props)
	switch n.kind {
	case kText:
		toks, err := l.tokens(n.runs, st)
		if err != nil {
			return 0, 0, err
		}
		lineW, gap := 0.0, 0.0
		for _, t := range toks {
			switch t.kind {
			case tWord:
				minW = max(minW, t.w)
				if lineW > 0 {
					lineW += gap
				}
				lineW += t.w
				gap = 0
			case tGap:
				gap += t.w
			case tNewline:
				maxW = max(maxW, lineW)
				lineW, gap = 0, 0
			}
		}
		maxW = max(maxW, lineW)
	case kTable:
		for c, spec := range n.widths {
			var cmin, cmax float64
			if spec.kind == wFixed {
				cmin, cmax = spec.v, spec.v
			} else {
				for _, row := range n.body {
					a, b, err := l.measure(row[c], st)
					if err != nil {
						return 0, 0, err
					}
					cmin, cmax = max(cmin, a+cellPadX), max(cmax, b+cellPadX)
				}
			}
			minW += cmin
			maxW += cmax
		}
	case kList:
		ind := l.listIndent(n, st)
		for _, c := range n.children {
			a, b, err := l.measure(c, st)
			if err != nil {
				return 0, 0, err
			}
			minW, maxW = max(minW, a), max(maxW, b)
		}
		minW, maxW = minW+ind, maxW+ind
	case kImage:
		w, _ := l.imageSize(n, math.Inf(1))
		minW, maxW = w, w
	case kQR:
		minW, maxW = n.qrFit, n.qrFit
	case kColumns:
		for i, c := range n.children {
			var a, b float64
			if c.hasWidth && c.width.kind == wFixed {
				a, b = c.width.v, c.width.v
			} else {
				var err error
				if a, b, err = l.measure(c, st); err != nil {
					return 0, 0, err
				}
			}
			if i > 0 {
				a, b = a+n.gap, b+n.gap
			}
			minW, maxW = minW+a, maxW+b
		}
	case kStack:
		for _, c := range n.children {
			a, b, err := l.measure(c, st)
			if err != nil {
				return 0, 0, err
			}
			minW, maxW = max(minW, a), max(maxW, b)
		}
	}
	m := n.margin[0] + n.margin[2]
	return minW + m, maxW + m + 1e-3, nil
}

// widths shares avail among columns: fixed and percentages first, then 'auto' columns get their
// natural width (shrunk towards their narrowest when space is short), then '*' columns share
// the rest.
func widths(specs []widthSpec, avail float64, measure func(i int) (float64, float64, error)) ([]float64, error) {
	ws := make([]float64, len(specs))
	mins := make([]float64, len(specs))
	maxs := make([]float64, len(specs))
	rem := avail
	var amin, amax, smin float64
	var autos, stars []int
	for i, s := range specs {
		switch s.kind {
		case wFixed:
			ws[i] = s.v
			rem -= s.v
			continue
		case wPercent:
			ws[i] = avail * s.v / 100
			rem -= ws[i]
			continue
		}
		a, b, err := measure(i)
		if err != nil {
			return nil, err
		}
		mins[i], maxs[i] = a, max(a, b)
		if s.kind == wAuto {
			autos = append(autos, i)
			amin += a
			amax += maxs[i]
		} else {
			stars = append(stars, i)
			smin += a
		}
	}
	switch {
	case rem >= amax+smin:
		for _, i := range autos {
			ws[i] = maxs[i]
		}
		if len(stars) > 0 {
			share := (rem - amax) / float64(len(stars))
			for _, i := range stars {
				ws[i] = max(share, mins[i])
			}
		}
	case rem > amin+smin && amax > amin:
		k := (rem - amin - smin) / (amax - amin)
		for _, i := range autos {
			ws[i] = mins[i] + (maxs[i]-mins[i])*k
		}
		for _, i := range stars {
			ws[i] = mins[i]
		}
	default:
		for _, i := range append(autos, stars...) {
			ws[i] = mins[i]
		}
	}
	return ws, nil
}

// Tables.

const (
	cellPadL = 4.0
	cellPadR = 4.0
	cellPadT = 2.0
	cellPadB = 2.0
	cellPadX = cellPadL + cellPadR
)

var (
	black     = rgb{}
	lightGray = rgb{0xaa, 0xaa, 0xaa}
)

// hline is the horizontal line above row i (i == rows: below the last).
func hline(layout string, i, rows, headerRows int) (float64, rgb) {
	switch layout {
	case "noBorders":
		return 0, black
	case "lightHorizontalLines":
		switch {
		case i == 0 || i == rows:
			return 0, black
		case i == headerRows:
			return 1, black
		}
		return 0.5, lightGray
	case "headerLineOnly":
		if i == headerRows && headerRows > 0 && i < rows {
			return 1, black
		}
		return 0, black
	}
	return 0.5, black
}

func vline(layout string) float64 {
	if layout == "" {
		return 0.5
	}
	return 0
}

func (l *layouter) table(n *node, st style, x0, w float64, out sink, depth int) error {
	colW, err := widths(n.widths, w, func(c int) (float64, float64, error) {
		var cmin, cmax float64
		for r, row := range n.body {
			if r%16 == 0 && l.expired() {
				return 0, 0, ErrDeadline
			}
			a, b, err := l.measure(row[c], st)
			if err != nil {
				return 0, 0, err
			}
			cmin, cmax = max(cmin, a+cellPadX), max(cmax, b+cellPadX)
		}
		return cmin, cmax, nil
	})
	if err != nil {
		return err
	}
	xs := make([]float64, len(colW)+1)
	xs[0] = x0
	for i, cw := range colW {
		xs[i+1] = xs[i] + cw
	}
	rows := len(n.body)
	vw := vline(n.layout)
	tf := &tableFlow{}
	for r, row := range n.body {
		if l.expired() {
			return ErrDeadline
		}
		cols := make([][]*strip, len(row))
		for c, cell := range row {
			col := &collector{l: l}
			if err := l.node(cell, st, xs[c]+cellPadL, max(colW[c]-cellPadX, 1), col, depth+1); err != nil {
				return err
			}
			cols[c] = col.strips
		}
		pieces := mergeColumns(cols, cellPadT, cellPadB)
		for k, p := range pieces {
			content := len(p.ops)
			var deco []op
			for c, cell := range row {
				if cell.fill != nil {
					deco = append(deco, op{kind: opFill, x: xs[c], y: 0, w: colW[c], h: p.h, color: *cell.fill})
				}
			}
			p.ops = append(deco, p.ops...)
			if vw > 0 {
				for _, x := range xs {
					p.ops = append(p.ops, op{kind: opLine, x: x, y: 0, w: x, h: p.h, size: vw, color: black})
				}
			}
			if k == 0 {
				if lw, c := hline(n.layout, r, rows, n.headerRows); lw > 0 {
					p.ops = append(p.ops, op{kind: opLine, x: xs[0] - vw/2, y: 0, w: xs[len(xs)-1] + vw/2, h: 0, size: lw, color: c})
				}
			}
			if k == len(pieces)-1 {
				if lw, c := hline(n.layout, r+1, rows, n.headerRows); lw > 0 {
					p.ops = append(p.ops, op{kind: opLine, x: xs[0] - vw/2, y: p.h, w: xs[len(xs)-1] + vw/2, h: p.h, size: lw, color: c})
				}
			}
			if err := l.addOps(len(p.ops) - content); err != nil { // the cells' own ops are counted already
				return err
			}
			p.table = tf
			p.header = r < n.headerRows
			p.keep = k < len(pieces)-1 || p.header
			if p.header {
				tf.header = append(tf.header, p)
			}
			if err := out.add(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// mergeColumns lays strips of side-by-side columns into common strips, cut wherever every
// column is at a strip boundary (or past its end), so content breaks across pages between lines.
// padT and padB are added above the first and below the last.
func mergeColumns(cols [][]*strip, padT, padB float64) []*strip {
	starts := make([][]float64, len(cols))
	totals := make([]float64, len(cols))
	total := 0.0
	var cands []float64
	for c, strips := range cols {
		y := 0.0
		for _, s := range strips {
			starts[c] = append(starts[c], y)
			if y > eps {
				cands = append(cands, y)
			}
			y += s.h
		}
		totals[c] = y
		cands = append(cands, y)
		total = max(total, y)
	}
	slices.Sort(cands)
	cuts := []float64{0}
	for _, y := range cands {
		if y <= cuts[len(cuts)-1]+eps || y >= total-eps {
			continue
		}
		ok := true
		for c := range cols {
			if y < totals[c]-eps && !hasBoundary(starts[c], y) {
				ok = false
				break
			}
		}
		if ok {
			cuts = append(cuts, y)
		}
	}
	cuts = append(cuts, total)
	pieces := make([]*strip, len(cuts)-1)
	for k := range pieces {
		a, b := cuts[k], cuts[k+1]
		h := b - a
		if k == 0 {
			h += padT
		}
		if k == len(pieces)-1 {
			h += padB
		}
		pieces[k] = &strip{h: h, baseline: -1}
	}
	if len(pieces) == 0 { // nothing in any column
		return []*strip{{h: padT + padB, baseline: -1}}
	}
	// The pieces' text: each column's strips in the piece, then the columns side by side.
	colText := make([][]string, len(pieces))
	lastSoft := make([][]bool, len(pieces))
	for k := range pieces {
		colText[k] = make([]string, len(cols))
		lastSoft[k] = make([]bool, len(cols))
	}
	for c, strips := range cols {
		k := 0
		for j, s := range strips {
			y := starts[c][j]
			for k < len(pieces)-1 && y >= cuts[k+1]-eps {
				k++
			}
			if s.text != "" {
				switch {
				case colText[k][c] == "":
				case lastSoft[k][c]:
					colText[k][c] += " "
				default:
					colText[k][c] += "\n"
				}
				colText[k][c] += s.text
				lastSoft[k][c] = s.soft
			}
			off := y - cuts[k]
			if k == 0 {
				off += padT
			}
			p := pieces[k]
			if s.baseline >= 0 && (p.baseline < 0 || off+s.baseline < p.baseline) && off < 1e-3+padT {
				p.baseline = off + s.baseline
			}
			for _, o := range s.ops {
				o.y += off
				if o.kind == opLine {
					o.h += off
				}
				p.ops = append(p.ops, o)
			}
		}
	}
	for k, p := range pieces {
		var parts []string
		for c, t := range colText[k] {
			if t != "" {
				parts = append(parts, t)
				p.soft = lastSoft[k][c]
			}
		}
		p.text = strings.Join(parts, " ")
		p.soft = p.soft && len(parts) == 1
	}
	return pieces
}

func hasBoundary(starts []float64, y float64) bool {
	i, _ := slices.BinarySearch(starts, y-eps)
	return i < len(starts) && starts[i] <= y+eps
}

// Columns.

func (l *layouter) columns(n *node, st style, x0, w float64, out sink, depth int) error {
	if len(n.children) == 0 {
		return nil
	}
	specs := make([]widthSpec, len(n.children))
	for i, c := range n.children {
		if c.hasWidth {
			specs[i] = c.width
		}
	}
	avail := w - n.gap*float64(len(n.children)-1)
	ws, err := widths(specs, avail, func(i int) (float64, float64, error) { return l.measure(n.children[i], st) })
	if err != nil {
		return err
	}
	cols := make([][]*strip, len(n.children))
	x := x0
	for i, c := range n.children {
		col := &collector{l: l}
		if err := l.node(c, st, x, max(ws[i], 1), col, depth+1); err != nil {
			return err
		}
		cols[i] = col.strips
		x += ws[i] + n.gap
	}
	for _, p := range mergeColumns(cols, 0, 0) {
		if err := out.add(p); err != nil {
			return err
		}
	}
	return nil
}

// Lists.

func (l *layouter) listIndent(n *node, st style) float64 {
	if !n.ordered {
		return st.size * 1.2
	}
	wide := 0.0
	last := n.start + len(n.children) - 1
	for _, i := range []int{n.start, last} {
		wide = max(wide, l.width(olMarker(n.marker, i), fontOf(st), st.size))
	}
	if n.marker != "none" {
		wide = max(wide, l.width(olMarker(n.marker, 8), fontOf(st), st.size)) // "8." is as wide as any digit
	}
	return wide + st.size*0.5
}

func olMarker(kind string, i int) string {
	switch kind {
	case "none":
		return ""
	case "lower-alpha":
		return alpha(i) + "."
	case "upper-alpha":
		return strings.ToUpper(alpha(i)) + "."
	case "lower-roman":
		return strings.ToLower(roman(i)) + "."
	case "upper-roman":
		return roman(i) + "."
	}
	return strconv.Itoa(i) + "."
}

func alpha(i int) string {
	if i <= 0 {
		return strconv.Itoa(i)
	}
	var b []byte
	for i > 0 {
		i--
		b = append([]byte{byte('a' + i%26)}, b...)
		i /= 26
	}
	return string(b)
}

func roman(i int) string {
	if i <= 0 || i >= 4000 {
		return strconv.Itoa(i)
	}
	vals := []int{1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1}
	syms := []string{"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"}
	var b strings.Builder
	for k, v := range vals {
		for i >= v {
			b.WriteString(syms[k])
			i -= v
		}
	}
	return b.String()
}

// markerSink adds a list item's marker to the item's first strip with content.
type markerSink struct {
	out    sink
	done   bool
	label  string // the marker in the kept text: "•", "1.", …
	marker func(baseline float64) []op
	l      *layouter
	asc    float64
}

func (m *markerSink) add(s *strip) error {
	if m.done || s.kind != sContent {
		return m.out.add(s)
	}
	m.done = true
	b := s.baseline
	if b < 0 {
		b = m.asc
	}
	cp := *s
	extra := m.marker(b)
	cp.ops = append(slices.Clip(s.ops), extra...)
	if m.label != "" {
		cp.text = strings.TrimSpace(m.label + " " + s.text)
	}
	if err := m.l.addOps(len(extra)); err != nil {
		return err
	}
	return m.out.add(&cp)
}

func (l *layouter) list(n *node, st style, x0, w float64, out sink, depth int) error {
	ind := l.listIndent(n, st)
	font := fontOf(st)
	asc := l.asc[font] * st.size
	for i, item := range n.children {
		var mk func(b float64) []op
		label := ""
		if n.ordered {
			text := olMarker(n.marker, n.start+i)
			label = text
			tw := l.width(text, font, st.size)
			mk = func(b float64) []op {
				if text == "" {
					return nil
				}
				return []op{{kind: opText, font: font, size: st.size, color: st.color, x: x0 + ind - st.size*0.5 - tw, y: b, w: tw, s: text}}
			}
		} else {
			r := st.size * 0.16
			cx := x0 + st.size*0.4
			if n.marker != "none" {
				label = "•"
			}
			mk = func(b float64) []op {
				cy := b - st.size*0.3
				switch n.marker {
				case "circle":
					return []op{{kind: opCircle, x: cx, y: cy, w: r, size: st.size * 0.06, color: st.color}}
				case "square":
					return []op{{kind: opFill, x: cx - r, y: cy - r, w: 2 * r, h: 2 * r, color: st.color}}
				case "none":
					return nil
				}
				return []op{{kind: opDisc, x: cx, y: cy, w: r, color: st.color}}
			}
		}
		ms := &markerSink{out: out, marker: mk, label: label, l: l, asc: asc}
		if err := l.node(item, st, x0+ind, max(w-ind, 1), ms, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// Images.

// imageSize is the size an image is drawn at, at most maxW wide and a page high.
func (l *layouter) imageSize(n *node, maxW float64) (w, h float64) {
	pw, ph := float64(n.img.pxW), float64(n.img.pxH)
	switch {
	case n.fitW > 0:
		k := min(n.fitW/pw, n.fitH/ph)
		w, h = pw*k, ph*k
	case n.imgW > 0 && n.imgH > 0:
		w, h = n.imgW, n.imgH
	case n.imgW > 0:
		w, h = n.imgW, n.imgW*ph/pw
	case n.imgH > 0:
		w, h = n.imgH*pw/ph, n.imgH
	default:
		w, h = pw, ph
	}
	if w > maxW {
		h, w = h*maxW/w, maxW
	}
	if l.bodyH > 0 && h > l.bodyH {
		w, h = w*l.bodyH/h, l.bodyH
	}
	return w, h
}

func (l *layouter) image(n *node, st style, x0, avail float64, out sink) error {
	if err := l.register(n); err != nil {
		return err
	}
	w, h := l.imageSize(n, avail)
	x := x0 + alignOffset(st.align, avail, w)
	if err := l.addOps(1); err != nil {
		return err
	}
	return out.add(&strip{h: h, baseline: -1, ops: []op{{kind: opImage, x: x, y: 0, w: w, h: h, s: n.img.name}}})
}

func alignOffset(a align, avail, w float64) float64 {
	switch a {
	case alignCenter:
		return (avail - w) / 2
	case alignRight:
		return avail - w
	}
	return 0
}

// register adds an image to the PDF the first time it is drawn. A PNG is decoded first (its size
// is known to be within the limit), which also proves its data holds exactly its pixels; one
// that fpdf cannot embed as it is (16 bits per channel, interlaced) is re-encoded.
func (l *layouter) register(n *node) error {
	img := n.img
	if img.name != "" {
		return nil
	}
	if l.expired() {
		return ErrDeadline
	}
	data := img.data
	if img.format == "png" {
		decoded, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			return typeErr(n.path+".image", "is not a readable PNG image (%v)", err)
		}
		if len(data) > 28 && (data[24] > 8 || data[28] != 0) {
			var buf bytes.Buffer
			if err := png.Encode(&buf, to8bit(decoded)); err != nil {
				return typeErr(n.path+".image", "cannot be re-encoded (%v)", err)
			}
			data = buf.Bytes()
		}
	}
	l.imageBytes += len(data)
	if int64(l.imageBytes) > l.lim.MaxBytes {
		return limitErr(n.path+".image", "the document's images are larger than %d bytes, the limit of a PDF", l.lim.MaxBytes)
	}
	l.nImages++
	name := fmt.Sprintf("img%d", l.nImages)
	l.f.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: img.format}, bytes.NewReader(data))
	if err := l.f.Error(); err != nil {
		return typeErr(n.path+".image", "cannot be embedded (%v)", err)
	}
	img.name = name
	return nil
}

func to8bit(m image.Image) image.Image {
	switch m := m.(type) {
	case *image.Gray16:
		g := image.NewGray(m.Bounds())
		draw.Draw(g, g.Bounds(), m, m.Bounds().Min, draw.Src)
		return g
	case *image.RGBA64, *image.NRGBA64:
		out := image.NewNRGBA(m.Bounds())
		draw.Draw(out, out.Bounds(), m, m.Bounds().Min, draw.Src)
		return out
	}
	return m // an interlaced 8-bit image: encoding it again writes it non-interlaced
}

// QR codes, drawn as filled rectangles (one per horizontal run of dark modules).
func (l *layouter) qrCode(n *node, st style, x0, avail float64, out sink) error {
	size := min(n.qrFit, avail)
	if l.bodyH > 0 {
		size = min(size, l.bodyH)
	}
	dim := len(n.qr)
	if dim == 0 {
		return nil
	}
	m := size / float64(dim)
	x := x0 + alignOffset(st.align, avail, size)
	var ops []op
	for y, row := range n.qr {
		for i := 0; i < len(row); {
			if !row[i] {
				i++
				continue
			}
			j := i
			for j < len(row) && row[j] {
				j++
			}
			ops = append(ops, op{kind: opFill, x: x + float64(i)*m, y: float64(y) * m, w: float64(j-i) * m, h: m, color: n.qrFore})
			i = j
		}
	}
	if err := l.addOps(len(ops)); err != nil {
		return err
	}
	return out.add(&strip{h: size, baseline: -1, ops: ops})
}
