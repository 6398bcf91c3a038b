package pdf

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	_ "image/jpeg" // image.DecodeConfig reads JPEG headers
	_ "image/png"  // and PNG headers
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	qrcode "github.com/yeqown/go-qrcode/v2"

	"github.com/kubusdev/kubus/builtins"
)

// The definition is parsed and checked completely before anything is laid out: every wrong key or
// type is reported with its path, and every size that a limit bounds is known up front.

type align uint8

const (
	alignLeft align = iota
	alignCenter
	alignRight
	alignJustify
)

type rgb struct{ r, g, b uint8 }

// style is the resolved text style of a node.
type style struct {
	size       float64
	bold       bool
	italic     bool
	align      align
	color      rgb
	lineHeight float64
}

// props are the text properties a node, run or named style sets: set says which of the style's
// fields count.
type props struct {
	set uint8
	style
}

const (
	setSize uint8 = 1 << iota
	setBold
	setItalic
	setAlign
	setColor
	setLineHeight
)

func (s style) with(p props) style {
	if p.set&setSize != 0 {
		s.size = p.size
	}
	if p.set&setBold != 0 {
		s.bold = p.bold
	}
	if p.set&setItalic != 0 {
		s.italic = p.italic
	}
	if p.set&setAlign != 0 {
		s.align = p.align
	}
	if p.set&setColor != 0 {
		s.color = p.color
	}
	if p.set&setLineHeight != 0 {
		s.lineHeight = p.lineHeight
	}
	return s
}

// merge lays q over p.
func (p props) merge(q props) props {
	return props{set: p.set | q.set, style: p.style.with(q)}
}

// margins are left, top, right, bottom; mset says which a named style sets.
type margins struct {
	v    [4]float64
	mset uint8
}

func (m margins) merge(o margins) margins {
	for i := range 4 {
		if o.mset&(1<<i) != 0 {
			m.v[i] = o.v[i]
			m.mset |= 1 << i
		}
	}
	return m
}

type namedStyle struct {
	props   props
	margins margins
}

type kind uint8

const (
	kText kind = iota
	kTable
	kList
	kImage
	kQR
	kColumns
	kStack
	kBreak
)

type run struct {
	text  string
	props props
}

// widthSpec is a column width: fixed points, a percentage, '*' or 'auto'.
type widthSpec struct {
	kind uint8 // wFixed, wPercent, wStar, wAuto
	v    float64
}

const (
	wStar uint8 = iota
	wAuto
	wFixed
	wPercent
)

type node struct {
	kind        kind
	path        string
	props       props
	margin      [4]float64
	breakBefore bool
	breakAfter  bool

	runs []run // kText

	// kTable
	headerRows int
	widths     []widthSpec
	body       [][]*node
	layout     string

	// kList
	ordered bool
	marker  string // disc, circle, square, none; decimal, lower-alpha, ...
	start   int

	img *imageData // kImage
	// kImage: the size asked for (0: not given), fit box
	imgW, imgH float64
	fitW, fitH float64

	// kQR
	qr     [][]bool
	qrFit  float64
	qrFore rgb

	children []*node // kStack, kColumns, kList items
	gap      float64 // kColumns

	measured   bool // minW and maxW are known
	minW, maxW float64

	width    widthSpec // as a column of columns
	hasWidth bool
	fill     *rgb // as a table cell
}

type imageData struct {
	format string // "png" or "jpg"
	data   []byte
	pxW    int
	pxH    int
	name   string // registered name in the PDF, once laid out
}

type headerFooter struct {
	text  string
	props props
}

type doc struct {
	pageW, pageH float64
	margin       [4]float64
	info         map[string]string
	base         style
	header       *headerFooter
	footer       *headerFooter
	content      []*node
}

type parser struct {
	lim       Limits
	styles    map[string]namedStyle
	images    map[string]*imageData // by data URL
	named     map[string]*imageData // definition.images
	textBytes int
	nodes     int
	pixels    int
	qrs       int
}

var topKeys = []string{"content", "defaultStyle", "footer", "header", "images", "info", "name", "pageMargins", "pageOrientation", "pageSize", "styles"}

var pageSizes = map[string][2]float64{
	"A3":     {841.89, 1190.55},
	"A4":     {595.28, 841.89},
	"A5":     {420.94, 595.28},
	"LETTER": {612, 792},
	"LEGAL":  {612, 1008},
}

func parseDefinition(def any, lim Limits) (*doc, error) {
	m, ok := def.(map[string]any)
	if !ok {
		return nil, typeErr("definition", "must be an object, got %s", describe(def))
	}
	if err := checkKeys(m, "", topKeys); err != nil {
		return nil, err
	}
	p := &parser{lim: lim, styles: map[string]namedStyle{}, images: map[string]*imageData{}, named: map[string]*imageData{}}
	d := &doc{base: style{size: 12, lineHeight: 1}}

	if v, ok := m["name"]; ok {
		if _, ok := v.(string); !ok {
			return nil, typeErr("name", "must be a string, got %s", describe(v))
		}
	}
	if err := p.page(m, d); err != nil {
		return nil, err
	}
	if v, ok := m["info"]; ok {
		info, err := p.info(v)
		if err != nil {
			return nil, err
		}
		d.info = info
	}
	if v, ok := m["defaultStyle"]; ok {
		dm, ok := v.(map[string]any)
		if !ok {
			return nil, typeErr("defaultStyle", "must be an object, got %s", describe(v))
		}
		if err := checkKeys(dm, "defaultStyle", textPropKeys); err != nil {
			return nil, err
		}
		pr, err := p.textProps(dm, "defaultStyle")
		if err != nil {
			return nil, err
		}
		d.base = d.base.with(pr)
	}
	if v, ok := m["styles"]; ok {
		if err := p.parseStyles(v); err != nil {
			return nil, err
		}
	}
	if v, ok := m["images"]; ok {
		im, ok := v.(map[string]any)
		if !ok {
			return nil, typeErr("images", "must be an object of data URLs by name, got %s", describe(v))
		}
		for _, k := range sortedKeys(im) {
			s, ok := im[k].(string)
			path := "images" + keyPath(k)
			if !ok {
				return nil, typeErr(path, "must be a data URL string, got %s", describe(im[k]))
			}
			img, err := p.dataURL(s, path)
			if err != nil {
				return nil, err
			}
			p.named[k] = img
		}
	}
	for _, k := range []string{"header", "footer"} {
		v, ok := m[k]
		if !ok {
			continue
		}
		hf, err := p.headerFooter(v, k)
		if err != nil {
			return nil, err
		}
		if k == "header" {
			d.header = hf
		} else {
			d.footer = hf
		}
	}
	content, ok := m["content"]
	if !ok {
		return nil, typeErr("content", "is missing: give the document's content nodes")
	}
	if arr, ok := content.([]any); ok {
		for i, v := range arr {
			n, err := p.node(v, "content"+idx(i), 1, ctxPlain)
			if err != nil {
				return nil, err
			}
			d.content = append(d.content, n)
		}
	} else {
		n, err := p.node(content, "content", 1, ctxPlain)
		if err != nil {
			return nil, err
		}
		d.content = []*node{n}
	}
	return d, nil
}

func (p *parser) page(m map[string]any, d *doc) error {
	size := pageSizes["A4"]
	if v, ok := m["pageSize"]; ok {
		switch v := v.(type) {
		case string:
			s, ok := pageSizes[strings.ToUpper(v)]
			if !ok {
				return typeErr("pageSize", "unknown page size %s (known: A3, A4, A5, LETTER, LEGAL, or {width, height} in points)", describe(v))
			}
			size = s
		case map[string]any:
			if err := checkKeys(v, "pageSize", []string{"height", "width"}); err != nil {
				return err
			}
			for i, k := range []string{"width", "height"} {
				x, ok := v[k]
				if !ok {
					return typeErr("pageSize."+k, "is missing")
				}
				f, err := number(x, "pageSize."+k, 72, 14400)
				if err != nil {
					return err
				}
				size[i] = f
			}
		default:
			return typeErr("pageSize", "must be A3, A4, A5, LETTER, LEGAL or {width, height}, got %s", describe(v))
		}
	}
	landscape := false
	if v, ok := m["pageOrientation"]; ok {
		switch v {
		case "portrait":
		case "landscape":
			landscape = true
		default:
			return typeErr("pageOrientation", "must be \"portrait\" or \"landscape\", got %s", describe(v))
		}
	}
	w, h := size[0], size[1]
	if (landscape && w < h) || (!landscape && w > h && m["pageOrientation"] != nil) {
		w, h = h, w
	}
	d.pageW, d.pageH = w, h
	d.margin = [4]float64{40, 40, 40, 40}
	if v, ok := m["pageMargins"]; ok {
		mg, err := marginValue(v, "pageMargins")
		if err != nil {
			return err
		}
		d.margin = mg
	}
	if w-d.margin[0]-d.margin[2] < 36 || h-d.margin[1]-d.margin[3] < 36 {
		return typeErr("pageMargins", "leave less than 36 points for the content of a %.0f×%.0f page", w, h)
	}
	return nil
}

func (p *parser) info(v any) (map[string]string, error) {
	im, ok := v.(map[string]any)
	if !ok {
		return nil, typeErr("info", "must be an object, got %s", describe(v))
	}
	if err := checkKeys(im, "info", []string{"author", "creator", "keywords", "subject", "title"}); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, x := range im {
		s, ok := x.(string)
		if !ok {
			return nil, typeErr("info."+k, "must be a string, got %s", describe(x))
		}
		if err := p.text(len(s), "info."+k); err != nil {
			return nil, err
		}
		out[k] = clean(s)
	}
	return out, nil
}

var textPropKeys = []string{"alignment", "bold", "color", "fontSize", "italics", "lineHeight"}
var marginKeys = []string{"margin", "marginBottom", "marginLeft", "marginRight", "marginTop"}
var styleKeys = append(slices.Clone(textPropKeys), marginKeys...)

func (p *parser) parseStyles(v any) error {
	sm, ok := v.(map[string]any)
	if !ok {
		return typeErr("styles", "must be an object of named styles, got %s", describe(v))
	}
	for _, name := range sortedKeys(sm) {
		path := "styles" + keyPath(name)
		s, ok := sm[name].(map[string]any)
		if !ok {
			return typeErr(path, "must be an object, got %s", describe(sm[name]))
		}
		if err := checkKeys(s, path, styleKeys); err != nil {
			return err
		}
		pr, err := p.textProps(s, path)
		if err != nil {
			return err
		}
		mg, err := nodeMargins(s, path)
		if err != nil {
			return err
		}
		p.styles[name] = namedStyle{props: pr, margins: mg}
	}
	return nil
}

func (p *parser) headerFooter(v any, path string) (*headerFooter, error) {
	switch v := v.(type) {
	case string:
		if err := p.text(len(v), path); err != nil {
			return nil, err
		}
		return &headerFooter{text: clean(v)}, nil
	case map[string]any:
		if err := checkKeys(v, path, []string{"alignment", "bold", "color", "fontSize", "italics", "text"}); err != nil {
			return nil, err
		}
		t, ok := v["text"].(string)
		if !ok {
			return nil, typeErr(path+".text", "must be a string, got %s", describe(v["text"]))
		}
		if err := p.text(len(t), path+".text"); err != nil {
			return nil, err
		}
		pr, err := p.textProps(v, path)
		if err != nil {
			return nil, err
		}
		return &headerFooter{text: clean(t), props: pr}, nil
	}
	return nil, typeErr(path, "must be a string or {text, alignment, fontSize}, got %s (functions are not supported: {page} and {pages} in the text are replaced)", describe(v))
}

// text counts n bytes of text against MaxTextBytes.
func (p *parser) text(n int, path string) error {
	p.textBytes += n
	if p.textBytes > p.lim.MaxTextBytes {
		return limitErr(path, "the document's text is longer than %d bytes in total", p.lim.MaxTextBytes)
	}
	return nil
}

func (p *parser) textProps(m map[string]any, path string) (props, error) {
	var pr props
	if v, ok := m["fontSize"]; ok {
		f, err := number(v, path+".fontSize", 1, 500)
		if err != nil {
			return pr, err
		}
		pr.size, pr.set = f, pr.set|setSize
	}
	if v, ok := m["lineHeight"]; ok {
		f, err := number(v, path+".lineHeight", 0.5, 10)
		if err != nil {
			return pr, err
		}
		pr.lineHeight, pr.set = f, pr.set|setLineHeight
	}
	if v, ok := m["bold"]; ok {
		b, ok := v.(bool)
		if !ok {
			return pr, typeErr(path+".bold", "must be a boolean, got %s", describe(v))
		}
		pr.bold, pr.set = b, pr.set|setBold
	}
	if v, ok := m["italics"]; ok {
		b, ok := v.(bool)
		if !ok {
			return pr, typeErr(path+".italics", "must be a boolean, got %s", describe(v))
		}
		pr.italic, pr.set = b, pr.set|setItalic
	}
	if v, ok := m["alignment"]; ok {
		a, err := alignment(v, path+".alignment")
		if err != nil {
			return pr, err
		}
		pr.align, pr.set = a, pr.set|setAlign
	}
	if v, ok := m["color"]; ok {
		c, err := colorValue(v, path+".color")
		if err != nil {
			return pr, err
		}
		pr.color, pr.set = c, pr.set|setColor
	}
	return pr, nil
}

func alignment(v any, path string) (align, error) {
	switch v {
	case "left":
		return alignLeft, nil
	case "center":
		return alignCenter, nil
	case "right":
		return alignRight, nil
	case "justify":
		return alignJustify, nil
	}
	return 0, typeErr(path, "must be \"left\", \"center\", \"right\" or \"justify\", got %s", describe(v))
}

var namedColors = map[string]rgb{
	"black": {0, 0, 0}, "white": {255, 255, 255}, "gray": {128, 128, 128}, "grey": {128, 128, 128},
	"silver": {192, 192, 192}, "red": {255, 0, 0}, "maroon": {128, 0, 0}, "green": {0, 128, 0},
	"lime": {0, 255, 0}, "blue": {0, 0, 255}, "navy": {0, 0, 128}, "yellow": {255, 255, 0},
	"olive": {128, 128, 0}, "orange": {255, 165, 0}, "purple": {128, 0, 128}, "teal": {0, 128, 128},
	"aqua": {0, 255, 255}, "fuchsia": {255, 0, 255},
}

func colorValue(v any, path string) (rgb, error) {
	s, ok := v.(string)
	if ok {
		if c, ok := namedColors[strings.ToLower(s)]; ok {
			return c, nil
		}
		if h, ok := strings.CutPrefix(s, "#"); ok {
			if len(h) == 3 {
				h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
			}
			if len(h) == 6 {
				if x, err := strconv.ParseUint(h, 16, 32); err == nil {
					return rgb{uint8(x >> 16), uint8(x >> 8), uint8(x)}, nil
				}
			}
		}
	}
	return rgb{}, typeErr(path, "must be a color \"#rrggbb\", \"#rgb\" or a basic color name such as \"gray\", got %s", describe(v))
}

func number(v any, path string, lo, hi float64) (float64, error) {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) || f < lo || f > hi {
		return 0, typeErr(path, "must be a number from %s to %s, got %s", builtins.FormatNumber(lo), builtins.FormatNumber(hi), describe(v))
	}
	return f, nil
}

func integer(v any, path string, lo, hi int) (int, error) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		return 0, typeErr(path, "must be an integer from %d to %d, got %s", lo, hi, describe(v))
	}
	return int(f), nil
}

// marginValue reads a number, [horizontal, vertical] or [left, top, right, bottom].
func marginValue(v any, path string) ([4]float64, error) {
	const hi = 10000
	switch v := v.(type) {
	case float64:
		f, err := number(v, path, 0, hi)
		return [4]float64{f, f, f, f}, err
	case []any:
		if len(v) != 2 && len(v) != 4 {
			break
		}
		var fs []float64
		for i, x := range v {
			f, err := number(x, path+idx(i), 0, hi)
			if err != nil {
				return [4]float64{}, err
			}
			fs = append(fs, f)
		}
		if len(fs) == 2 {
			return [4]float64{fs[0], fs[1], fs[0], fs[1]}, nil
		}
		return [4]float64{fs[0], fs[1], fs[2], fs[3]}, nil
	}
	return [4]float64{}, typeErr(path, "must be a number, [horizontal, vertical] or [left, top, right, bottom], got %s", describe(v))
}

func nodeMargins(m map[string]any, path string) (margins, error) {
	var out margins
	if v, ok := m["margin"]; ok {
		mg, err := marginValue(v, path+".margin")
		if err != nil {
			return out, err
		}
		out.v, out.mset = mg, 0xf
	}
	for i, k := range []string{"marginLeft", "marginTop", "marginRight", "marginBottom"} {
		if v, ok := m[k]; ok {
			f, err := number(v, path+"."+k, 0, 10000)
			if err != nil {
				return out, err
			}
			out.v[i] = f
			out.mset |= 1 << i
		}
	}
	return out, nil
}

type nodeCtx uint8

const (
	ctxPlain nodeCtx = iota
	ctxCell
	ctxColumn
)

var kindKeys = []string{"text", "table", "ul", "ol", "image", "qr", "columns", "stack"}

var commonKeys = append(append([]string{"pageBreak", "style"}, textPropKeys...), marginKeys...)

var specificKeys = map[string][]string{
	"text":    {"text"},
	"table":   {"table", "layout"},
	"ul":      {"ul", "type"},
	"ol":      {"ol", "type", "start"},
	"image":   {"image", "width", "height", "fit"},
	"qr":      {"qr", "fit", "eccLevel", "foreground"},
	"columns": {"columns", "columnGap"},
	"stack":   {"stack"},
}

func knownKeys(k string, ctx nodeCtx) []string {
	var out []string
	if k == "" {
		out = append(out, kindKeys...)
	} else {
		out = append(out, specificKeys[k]...)
	}
	out = append(out, commonKeys...)
	switch ctx {
	case ctxCell:
		out = append(out, "fillColor")
	case ctxColumn:
		out = append(out, "width")
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (p *parser) node(v any, path string, depth int, ctx nodeCtx) (*node, error) {
	if depth > p.lim.MaxDepth {
		return nil, limitErr(path, "content is nested deeper than %d levels", p.lim.MaxDepth)
	}
	p.nodes++
	if p.nodes > p.lim.MaxNodes {
		return nil, limitErr(path, "the definition has more than %d content nodes", p.lim.MaxNodes)
	}
	switch v := v.(type) {
	case string:
		if err := p.text(len(v), path); err != nil {
			return nil, err
		}
		return &node{kind: kText, path: path, runs: []run{{text: clean(v)}}}, nil
	case float64:
		if ctx == ctxCell {
			s := builtins.FormatNumber(v)
			return &node{kind: kText, path: path, runs: []run{{text: s}}}, p.text(len(s), path)
		}
	case []any: // an array is a stack, as in pdfmake
		n := &node{kind: kStack, path: path}
		for i, c := range v {
			child, err := p.node(c, path+idx(i), depth+1, ctxPlain)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, child)
		}
		return n, nil
	case map[string]any:
		return p.object(v, path, depth, ctx)
	}
	want := "a string or an object"
	if ctx == ctxCell {
		want = "a string, a number or an object"
	}
	return nil, typeErr(path, "must be %s, got %s", want, describe(v))
}

func (p *parser) object(m map[string]any, path string, depth int, ctx nodeCtx) (*node, error) {
	k := ""
	for _, kk := range kindKeys {
		if _, ok := m[kk]; ok {
			if k != "" {
				return nil, typeErr(path, "has both %q and %q: a node is one of %s", k, kk, strings.Join(kindKeys, ", "))
			}
			k = kk
		}
	}
	if err := checkKeys(m, path, knownKeys(k, ctx)); err != nil {
		return nil, err
	}
	n := &node{path: path}
	// Text properties and margins: the named styles first, then the node's own.
	var pr props
	var mg margins
	if sv, ok := m["style"]; ok {
		var names []string
		switch sv := sv.(type) {
		case string:
			names = []string{sv}
		case []any:
			for i, x := range sv {
				s, ok := x.(string)
				if !ok {
					return nil, typeErr(path+".style"+idx(i), "must be a style name, got %s", describe(x))
				}
				names = append(names, s)
			}
		default:
			return nil, typeErr(path+".style", "must be a style name or an array of them, got %s", describe(sv))
		}
		for _, name := range names {
			st, ok := p.styles[name]
			if !ok {
				return nil, typeErr(path+".style", "unknown style %s (styles defines: %s)", describe(name), listOr(sortedKeys(p.stylesAny()), "none"))
			}
			pr = pr.merge(st.props)
			mg = mg.merge(st.margins)
		}
	}
	own, err := p.textProps(m, path)
	if err != nil {
		return nil, err
	}
	n.props = pr.merge(own)
	ownM, err := nodeMargins(m, path)
	if err != nil {
		return nil, err
	}
	n.margin = mg.merge(ownM).v
	if v, ok := m["pageBreak"]; ok {
		switch v {
		case "before":
			n.breakBefore = true
		case "after":
			n.breakAfter = true
		default:
			return nil, typeErr(path+".pageBreak", "must be \"before\" or \"after\", got %s", describe(v))
		}
	}
	if v, ok := m["fillColor"]; ok {
		c, err := colorValue(v, path+".fillColor")
		if err != nil {
			return nil, err
		}
		n.fill = &c
	}
	if v, ok := m["width"]; ok && ctx == ctxColumn {
		w, err := widthValue(v, path+".width")
		if err != nil {
			return nil, err
		}
		n.width, n.hasWidth = w, true
	}

	switch k {
	case "":
		if n.breakBefore || n.breakAfter {
			n.kind = kBreak
			return n, nil
		}
		return nil, typeErr(path, "an object node needs one of %s", strings.Join(kindKeys, ", "))
	case "text":
		n.kind = kText
		return n, p.runs(m["text"], path+".text", n)
	case "table":
		n.kind = kTable
		return n, p.table(m, path, depth, n)
	case "ul", "ol":
		n.kind = kList
		return n, p.list(m, k, path, depth, n)
	case "image":
		n.kind = kImage
		return n, p.image(m, path, n)
	case "qr":
		n.kind = kQR
		return n, p.qrNode(m, path, n)
	case "columns":
		n.kind = kColumns
		arr, ok := m["columns"].([]any)
		if !ok {
			return nil, typeErr(path+".columns", "must be an array of nodes, got %s", describe(m["columns"]))
		}
		if len(arr) > p.lim.MaxColumns {
			return nil, limitErr(path+".columns", "has %d columns, more than %d", len(arr), p.lim.MaxColumns)
		}
		for i, c := range arr {
			child, err := p.node(c, path+".columns"+idx(i), depth+1, ctxColumn)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, child)
		}
		if v, ok := m["columnGap"]; ok {
			if n.gap, err = number(v, path+".columnGap", 0, 1000); err != nil {
				return nil, err
			}
		}
		return n, nil
	case "stack":
		n.kind = kStack
		arr, ok := m["stack"].([]any)
		if !ok {
			return nil, typeErr(path+".stack", "must be an array of nodes, got %s", describe(m["stack"]))
		}
		for i, c := range arr {
			child, err := p.node(c, path+".stack"+idx(i), depth+1, ctxPlain)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, child)
		}
		return n, nil
	}
	panic("unreachable")
}

func (p *parser) stylesAny() map[string]any {
	out := make(map[string]any, len(p.styles))
	for k := range p.styles {
		out[k] = nil
	}
	return out
}

var runKeys = []string{"bold", "color", "fontSize", "italics", "style", "text"}

func (p *parser) runs(v any, path string, n *node) error {
	switch v := v.(type) {
	case string:
		n.runs = []run{{text: clean(v)}}
		return p.text(len(v), path)
	case float64:
		s := builtins.FormatNumber(v)
		n.runs = []run{{text: s}}
		return p.text(len(s), path)
	case []any:
		for i, x := range v {
			rp := path + idx(i)
			switch x := x.(type) {
			case string:
				n.runs = append(n.runs, run{text: clean(x)})
				if err := p.text(len(x), rp); err != nil {
					return err
				}
			case float64:
				s := builtins.FormatNumber(x)
				n.runs = append(n.runs, run{text: s})
				if err := p.text(len(s), rp); err != nil {
					return err
				}
			case map[string]any:
				if err := checkKeys(x, rp, runKeys); err != nil {
					return err
				}
				var r run
				switch t := x["text"].(type) {
				case string:
					r.text = clean(t)
				case float64:
					r.text = builtins.FormatNumber(t)
				default:
					return typeErr(rp+".text", "must be a string or a number, got %s", describe(x["text"]))
				}
				if err := p.text(len(r.text), rp); err != nil {
					return err
				}
				if sv, ok := x["style"]; ok {
					names := []any{sv}
					if arr, ok := sv.([]any); ok {
						names = arr
					}
					for _, nm := range names {
						s, ok := nm.(string)
						st, found := p.styles[s]
						if !ok || !found {
							return typeErr(rp+".style", "unknown style %s (styles defines: %s)", describe(nm), listOr(sortedKeys(p.stylesAny()), "none"))
						}
						r.props = r.props.merge(st.props)
					}
				}
				own, err := p.textProps(x, rp)
				if err != nil {
					return err
				}
				r.props = r.props.merge(own)
				n.runs = append(n.runs, r)
			default:
				return typeErr(rp, "must be a string or a run {text, bold, italics, fontSize, color}, got %s", describe(x))
			}
		}
		return nil
	}
	return typeErr(path, "must be a string, a number or an array of runs, got %s", describe(v))
}

var tableKeys = []string{"body", "headerRows", "widths"}

func (p *parser) table(m map[string]any, path string, depth int, n *node) error {
	tp := path + ".table"
	t, ok := m["table"].(map[string]any)
	if !ok {
		return typeErr(tp, "must be an object {headerRows, widths, body}, got %s", describe(m["table"]))
	}
	if err := checkKeys(t, tp, tableKeys); err != nil {
		return err
	}
	if v, ok := m["layout"]; ok {
		switch v {
		case "noBorders", "lightHorizontalLines", "headerLineOnly":
			n.layout = v.(string)
		default:
			return typeErr(path+".layout", "must be \"noBorders\", \"lightHorizontalLines\" or \"headerLineOnly\", got %s (layout functions are not supported)", describe(v))
		}
	}
	body, ok := t["body"].([]any)
	if !ok {
		return typeErr(tp+".body", "must be an array of rows, got %s", describe(t["body"]))
	}
	if len(body) == 0 {
		return typeErr(tp+".body", "has no rows")
	}
	if len(body) > p.lim.MaxTableRows {
		return limitErr(tp+".body", "has %d rows, more than %d", len(body), p.lim.MaxTableRows)
	}
	cols := -1
	if v, ok := t["widths"]; ok {
		ws, ok := v.([]any)
		if !ok {
			return typeErr(tp+".widths", "must be an array of widths (a number, \"*\", \"auto\" or \"NN%%\"), got %s", describe(v))
		}
		for i, w := range ws {
			spec, err := widthValue(w, tp+".widths"+idx(i))
			if err != nil {
				return err
			}
			n.widths = append(n.widths, spec)
		}
		cols = len(ws)
	}
	for r, rowV := range body {
		rp := tp + ".body" + idx(r)
		row, ok := rowV.([]any)
		if !ok {
			return typeErr(rp, "must be an array of cells, got %s", describe(rowV))
		}
		if cols < 0 {
			cols = len(row)
		}
		if len(row) != cols {
			what := "the first row"
			if _, ok := t["widths"]; ok {
				what = "widths"
			}
			return typeErr(rp, "has %d cells, but %s gives %d columns", len(row), what, cols)
		}
		cells := make([]*node, len(row))
		for c, cv := range row {
			cell, err := p.node(cv, rp+idx(c), depth+1, ctxCell)
			if err != nil {
				return err
			}
			cells[c] = cell
		}
		n.body = append(n.body, cells)
	}
	if cols == 0 {
		return typeErr(tp+".body", "has rows without cells")
	}
	if cols > p.lim.MaxColumns {
		return limitErr(tp+".body", "has %d columns, more than %d", cols, p.lim.MaxColumns)
	}
	if n.widths == nil {
		n.widths = make([]widthSpec, cols)
		for i := range n.widths {
			n.widths[i] = widthSpec{kind: wAuto}
		}
	}
	if v, ok := t["headerRows"]; ok {
		hr, err := integer(v, tp+".headerRows", 0, len(body))
		if err != nil {
			return err
		}
		n.headerRows = hr
	}
	return nil
}

func widthValue(v any, path string) (widthSpec, error) {
	switch v := v.(type) {
	case float64:
		f, err := number(v, path, 0, 14400)
		return widthSpec{kind: wFixed, v: f}, err
	case string:
		switch {
		case v == "*":
			return widthSpec{kind: wStar}, nil
		case v == "auto":
			return widthSpec{kind: wAuto}, nil
		case strings.HasSuffix(v, "%"):
			f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
			if err == nil && f >= 0 && f <= 100 {
				return widthSpec{kind: wPercent, v: f}, nil
			}
		}
	}
	return widthSpec{}, typeErr(path, "must be a width: a number of points, \"*\", \"auto\" or a percentage such as \"30%%\", got %s", describe(v))
}

func (p *parser) list(m map[string]any, k, path string, depth int, n *node) error {
	lp := path + "." + k
	items, ok := m[k].([]any)
	if !ok {
		return typeErr(lp, "must be an array of items, got %s", describe(m[k]))
	}
	n.ordered = k == "ol"
	n.marker, n.start = "disc", 1
	if n.ordered {
		n.marker = "decimal"
	}
	if v, ok := m["type"]; ok {
		s, _ := v.(string)
		known := []string{"disc", "circle", "square", "none"}
		if n.ordered {
			known = []string{"decimal", "lower-alpha", "upper-alpha", "lower-roman", "upper-roman", "none"}
		}
		if !slices.Contains(known, s) {
			return typeErr(path+".type", "must be one of %s, got %s", strings.Join(known, ", "), describe(v))
		}
		n.marker = s
	}
	if v, ok := m["start"]; ok {
		st, err := integer(v, path+".start", 0, 1_000_000)
		if err != nil {
			return err
		}
		n.start = st
	}
	for i, it := range items {
		child, err := p.node(it, lp+idx(i), depth+1, ctxPlain)
		if err != nil {
			return err
		}
		n.children = append(n.children, child)
	}
	return nil
}

func (p *parser) image(m map[string]any, path string, n *node) error {
	ip := path + ".image"
	s, ok := m["image"].(string)
	if !ok {
		return typeErr(ip, "must be a data URL (data:image/png;base64,… or data:image/jpeg;base64,…) or the name of an entry of images, got %s", describe(m["image"]))
	}
	if strings.HasPrefix(s, "data:") {
		img, err := p.dataURL(s, ip)
		if err != nil {
			return err
		}
		n.img = img
	} else {
		img, ok := p.named[s]
		if !ok {
			return typeErr(ip, "must be a data URL (data:image/png;base64,… or data:image/jpeg;base64,…) or the name of an entry of images (%s), got %s", listOr(sortedKeys(p.namedAny()), "none defined"), describe(s))
		}
		n.img = img
	}
	var err error
	if v, ok := m["width"]; ok {
		if n.imgW, err = number(v, path+".width", 0.1, 14400); err != nil {
			return err
		}
	}
	if v, ok := m["height"]; ok {
		if n.imgH, err = number(v, path+".height", 0.1, 14400); err != nil {
			return err
		}
	}
	if v, ok := m["fit"]; ok {
		arr, ok := v.([]any)
		if !ok || len(arr) != 2 {
			return typeErr(path+".fit", "must be [width, height], got %s", describe(v))
		}
		if n.fitW, err = number(arr[0], path+".fit[0]", 0.1, 14400); err != nil {
			return err
		}
		if n.fitH, err = number(arr[1], path+".fit[1]", 0.1, 14400); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) namedAny() map[string]any {
	out := make(map[string]any, len(p.named))
	for k := range p.named {
		out[k] = nil
	}
	return out
}

// dataURL checks an image's data URL: its length before decoding anything, then its pixel size
// from the header alone, and only then decodes it.
func (p *parser) dataURL(s, path string) (*imageData, error) {
	if len(s) > p.lim.MaxImageBytes {
		return nil, limitErr(path, "the data URL is %d bytes, more than %d", len(s), p.lim.MaxImageBytes)
	}
	if img, ok := p.images[s]; ok {
		return img, nil
	}
	head, payload, ok := strings.Cut(s, ",")
	head = strings.ToLower(head)
	if !ok || !strings.HasPrefix(head, "data:image/") || !strings.HasSuffix(head, ";base64") {
		return nil, typeErr(path, "must be a base64 data URL: data:image/png;base64,… or data:image/jpeg;base64,…")
	}
	switch strings.TrimSuffix(strings.TrimPrefix(head, "data:image/"), ";base64") {
	case "png", "jpeg", "jpg":
	default:
		return nil, typeErr(path, "is %s: only PNG and JPEG images are supported", strings.TrimPrefix(head, "data:"))
	}
	if len(p.images) >= p.lim.MaxImages {
		return nil, limitErr(path, "the document has more than %d images", p.lim.MaxImages)
	}
	enc := base64.StdEncoding
	if !strings.HasSuffix(payload, "=") && len(payload)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	cfg, format, err := image.DecodeConfig(base64.NewDecoder(enc, strings.NewReader(payload)))
	if err != nil {
		return nil, typeErr(path, "is not a readable PNG or JPEG image (%v)", err)
	}
	if format != "png" && format != "jpeg" {
		return nil, typeErr(path, "holds a %s image: only PNG and JPEG are supported", format)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, typeErr(path, "has no pixels")
	}
	px := int64(cfg.Width) * int64(cfg.Height)
	if px > int64(p.lim.MaxImagePixels) {
		return nil, limitErr(path, "the image is %d×%d pixels, more than %d pixels", cfg.Width, cfg.Height, p.lim.MaxImagePixels)
	}
	p.pixels += int(px)
	if p.pixels > 4*p.lim.MaxImagePixels {
		return nil, limitErr(path, "the document's images have more than %d pixels together", 4*p.lim.MaxImagePixels)
	}
	data, err := enc.DecodeString(payload)
	if err != nil {
		return nil, typeErr(path, "has invalid base64 (%v)", err)
	}
	img := &imageData{format: "png", data: data, pxW: cfg.Width, pxH: cfg.Height}
	if format == "jpeg" {
		img.format = "jpg"
	}
	p.images[s] = img
	return img, nil
}

// maxQRBytes is what a QR code holds at most (version 40, level L, byte mode).
const maxQRBytes = 2953

func (p *parser) qrNode(m map[string]any, path string, n *node) error {
	qp := path + ".qr"
	s, ok := m["qr"].(string)
	if !ok || s == "" {
		return typeErr(qp, "must be a non-empty string, got %s", describe(m["qr"]))
	}
	if len(s) > maxQRBytes {
		return limitErr(qp, "is %d bytes, more than a QR code holds (%d)", len(s), maxQRBytes)
	}
	if err := p.text(len(s), qp); err != nil {
		return err
	}
	p.qrs++
	if p.qrs > p.lim.MaxQRCodes {
		return limitErr(qp, "the document has more than %d QR codes", p.lim.MaxQRCodes)
	}
	n.qrFit = 100
	var err error
	if v, ok := m["fit"]; ok {
		if n.qrFit, err = number(v, path+".fit", 10, 2000); err != nil {
			return err
		}
	}
	level := qrcode.ErrorCorrectionMedium
	if v, ok := m["eccLevel"]; ok {
		switch v {
		case "L":
			level = qrcode.ErrorCorrectionLow
		case "M":
		case "Q":
			level = qrcode.ErrorCorrectionQuart
		case "H":
			level = qrcode.ErrorCorrectionHighest
		default:
			return typeErr(path+".eccLevel", "must be \"L\", \"M\", \"Q\" or \"H\", got %s", describe(v))
		}
	}
	if v, ok := m["foreground"]; ok {
		if n.qrFore, err = colorValue(v, path+".foreground"); err != nil {
			return err
		}
	}
	bits, err := qrMatrix(s, qrcode.WithErrorCorrectionLevel(level))
	if err != nil {
		return limitErr(qp, "cannot be encoded as a QR code (%v)", err)
	}
	n.qr = bits
	return nil
}

type matrixWriter struct{ bits [][]bool }

func (w *matrixWriter) Write(m qrcode.Matrix) error { w.bits = m.Bitmap(); return nil }
func (w *matrixWriter) Close() error                { return nil }

func qrMatrix(s string, opt qrcode.EncodeOption) (bits [][]bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	q, err := qrcode.NewWith(s, opt)
	if err != nil {
		return nil, err
	}
	w := &matrixWriter{}
	if err := q.Save(w); err != nil {
		return nil, err
	}
	return w.bits, nil
}

// checkKeys reports the first unknown key (in sorted order, so the report is stable).
func checkKeys(m map[string]any, path string, known []string) error {
	for _, k := range sortedKeys(m) {
		if !slices.Contains(known, k) {
			sorted := slices.Clone(known)
			slices.Sort(sorted)
			return typeErr(path, "unknown key %s (known keys: %s)", strconv.Quote(k), strings.Join(sorted, ", "))
		}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func listOr(names []string, none string) string {
	if len(names) == 0 {
		return none
	}
	if len(names) > 20 {
		return strings.Join(names[:20], ", ") + ", …"
	}
	return strings.Join(names, ", ")
}

func idx(i int) string { return "[" + strconv.Itoa(i) + "]" }

// keyPath is a key as a JS path step: .name, or ["odd key"].
func keyPath(k string) string {
	ok := k != ""
	for i, r := range k {
		if !(r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			ok = false
			break
		}
	}
	if ok {
		return "." + k
	}
	return "[" + strconv.Quote(k) + "]"
}

// describe names a definition value for an error message.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		if utf8.RuneCountInString(v) > 40 {
			r := []rune(v)
			return strconv.Quote(string(r[:40])) + "…"
		}
		return strconv.Quote(v)
	case float64:
		return builtins.FormatNumber(v)
	case bool:
		return strconv.FormatBool(v)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

// clean makes text printable: tabs become spaces, \r\n and \r become \n, other control
// characters are dropped, and invalid UTF-8 becomes U+FFFD (which the layout then replaces).
func clean(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' || c == 0x7f || c >= 0x80 {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b bytes.Buffer
	b.Grow(len(s))
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteByte(' ')
		case r == '\r':
			b.WriteByte('\n')
		case r == '\n':
			b.WriteByte('\n')
		case r < 0x20 || r >= 0x7f && r < 0xa0 || r == 0xad || r >= 0x200b && r <= 0x200f || r == 0xfeff:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
