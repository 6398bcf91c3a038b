package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/kubusdev/kubus/builtins/documents"
)

// Render renders a document definition with the default limits and no deadline. def is the
// definition as plain Go values (map[string]any, []any, string, float64, bool, nil), the shape
// JSON decoding or the module's export of a JS value gives; now is the document's creation
// date. The same definition and now give the same bytes.
func Render(def any, now time.Time) (content []byte, pages int, err error) {
	return DefaultLimits.Render(def, now, nil)
}

// Render renders def within these limits. expired (nil: never) is asked between pages, rows and
// lines; once it reports true, Render stops with ErrDeadline. A wrong definition or an exceeded
// limit is an *Error naming the path.
func (lim Limits) Render(def any, now time.Time, expired func() bool) (content []byte, pages int, err error) {
	r, err := lim.RenderDocument(def, now, expired)
	if err != nil {
		return nil, 0, err
	}
	return r.Content, r.Pages, nil
}

// Rendered is a rendered document.
type Rendered struct {
	Content []byte // the PDF
	Pages   int
	// Text is what the document says, in the order it is laid out: each page's header, body and
	// footer, a line per line of text (a wrapped paragraph is one line), table cells side by side
	// separated by a space, list items after their marker ("•", "1."). At most documents.MaxText
	// bytes: what testcases check a generated PDF's text against.
	Text string
}

// RenderDocument renders def as Render does, and keeps the text it laid out.
func (lim Limits) RenderDocument(def any, now time.Time, expired func() bool) (r *Rendered, err error) {
	lim = lim.withDefaults()
	if expired == nil {
		expired = func() bool { return false }
	}
	defer func() {
		if rec := recover(); rec != nil {
			r, err = nil, fmt.Errorf("pdf: internal error: %v", rec)
		}
	}()
	d, err := parseDefinition(def, lim)
	if err != nil {
		return nil, err
	}
	if expired() {
		return nil, ErrDeadline
	}
	if now.IsZero() {
		now = time.Unix(0, 0)
	}
	now = now.UTC()

	f := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "pt", Size: fpdf.SizeType{Wd: d.pageW, Ht: d.pageH}})
	f.SetCreationDate(now)
	f.SetModificationDate(now)
	f.SetCatalogSort(true)
	f.SetCompression(true)
	f.SetAutoPageBreak(false, 0)
	f.SetMargins(0, 0, 0)
	f.SetProducer("Kubus", true)
	creator := "Kubus"
	for k, set := range map[string]func(string, bool){"title": f.SetTitle, "author": f.SetAuthor, "subject": f.SetSubject, "keywords": f.SetKeywords} {
		if v, ok := d.info[k]; ok {
			set(v, true)
		}
	}
	if v, ok := d.info["creator"]; ok {
		creator = v
	}
	f.SetCreator(creator, true)
	for i, ttf := range [][]byte{goregular.TTF, gobold.TTF, goitalic.TTF, gobolditalic.TTF} {
		f.AddUTF8FontFromBytes(family, fontStyles[i], ttf)
	}
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("pdf: loading the fonts: %w", err)
	}
	l := &layouter{f: f, lim: lim, doc: d, expired: expired, curFont: -1,
		bodyW: d.pageW - d.margin[0] - d.margin[2], bodyH: d.pageH - d.margin[1] - d.margin[3]}
	for i := range 4 {
		desc := f.GetFontDesc(family, fontStyles[i])
		l.asc[i] = float64(desc.Ascent) / 1000
		l.desc[i] = -float64(desc.Descent) / 1000
	}

	p := &paginator{l: l}
	for _, n := range d.content {
		if err := l.node(n, d.base, d.margin[0], l.bodyW, p, 1); err != nil {
			return nil, err
		}
	}
	if err := p.finish(); err != nil {
		return nil, err
	}

	total := len(p.pages)
	var text strings.Builder
	keep := func(t string) {
		if t == "" {
			return
		}
		if text.Len() > 0 {
			text.WriteByte('\n')
		}
		text.WriteString(t)
	}
	for i, ops := range p.pages {
		if expired() {
			return nil, ErrDeadline
		}
		f.AddPage()
		footer := ""
		for _, hf := range []*headerFooter{d.header, d.footer} {
			if hf == nil {
				continue
			}
			hops, htext, err := l.headerFooter(hf, hf == d.header, i+1, total)
			if err != nil {
				return nil, err
			}
			drawOps(f, hops, 0)
			if hf == d.header {
				keep(htext)
				keep(p.texts[i].String())
			} else {
				footer = htext
			}
		}
		if d.header == nil {
			keep(p.texts[i].String())
		}
		keep(footer)
		drawOps(f, ops, d.margin[1])
		if err := f.Error(); err != nil {
			return nil, fmt.Errorf("pdf: drawing page %d: %w", i+1, err)
		}
	}
	w := &capWriter{max: lim.MaxBytes}
	if err := f.Output(w); err != nil {
		if w.over {
			return nil, limitErr("", "the PDF is larger than %d bytes", lim.MaxBytes)
		}
		return nil, fmt.Errorf("pdf: %w", err)
	}
	return &Rendered{Content: w.buf.Bytes(), Pages: total, Text: cut(text.String(), documents.MaxText)}, nil
}

// cut shortens s to at most n bytes, at a character boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

type capWriter struct {
	buf  bytes.Buffer
	max  int64
	over bool
}

var errTooLarge = errors.New("the PDF is too large")

func (w *capWriter) Write(p []byte) (int, error) {
	if int64(w.buf.Len())+int64(len(p)) > w.max {
		w.over = true
		return 0, errTooLarge
	}
	return w.buf.Write(p)
}

// headerFooter lays out the header (or footer) of page n of total, centred in the page's top
// (bottom) margin.
func (l *layouter) headerFooter(hf *headerFooter, header bool, n, total int) ([]op, string, error) {
	text := strings.ReplaceAll(hf.text, "{page}", strconv.Itoa(n))
	text = strings.ReplaceAll(text, "{pages}", strconv.Itoa(total))
	d := l.doc
	l.curFont = -1 // drawing the pages set other fonts
	col := &collector{l: l}
	if err := l.paragraph([]run{{text: text}}, d.base.with(hf.props), d.margin[0], l.bodyW, col); err != nil {
		return nil, "", err
	}
	y := (d.margin[1] - col.h) / 2
	if !header {
		y = d.pageH - d.margin[3] + (d.margin[3]-col.h)/2
	}
	y = max(y, 0)
	var ops []op
	var kept strings.Builder
	for i, s := range col.strips {
		for _, o := range s.ops {
			o.y += y
			ops = append(ops, o)
		}
		y += s.h
		if i > 0 {
			kept.WriteByte(' ')
		}
		kept.WriteString(s.text)
	}
	return ops, strings.TrimSpace(kept.String()), nil
}

func drawOps(f *fpdf.Fpdf, ops []op, dy float64) {
	for _, o := range ops {
		y := o.y + dy
		switch o.kind {
		case opText:
			f.SetFont(family, fontStyles[o.font], o.size)
			f.SetTextColor(int(o.color.r), int(o.color.g), int(o.color.b))
			f.Text(o.x, y, o.s)
		case opFill:
			f.SetFillColor(int(o.color.r), int(o.color.g), int(o.color.b))
			f.Rect(o.x, y, o.w, o.h, "F")
		case opLine:
			f.SetDrawColor(int(o.color.r), int(o.color.g), int(o.color.b))
			f.SetLineWidth(o.size)
			f.Line(o.x, y, o.w, o.h+dy)
		case opImage:
			f.ImageOptions(o.s, o.x, y, o.w, o.h, false, fpdf.ImageOptions{}, 0, "")
		case opDisc:
			f.SetFillColor(int(o.color.r), int(o.color.g), int(o.color.b))
			f.Circle(o.x, y, o.w, "F")
		case opCircle:
			f.SetDrawColor(int(o.color.r), int(o.color.g), int(o.color.b))
			f.SetLineWidth(o.size)
			f.Circle(o.x, y, o.w, "D")
		}
	}
}

// paginator stacks strips onto pages of the body's height, breaking before a strip that does
// not fit, repeating a table's header rows on the pages it continues on, and keeping strips
// marked keep with the strip after them when they fit on one page together.
type paginator struct {
	l       *layouter
	pages   [][]op // ops with y from the body's top
	texts   []*strings.Builder
	soft    bool // the last text kept continues on the next strip
	y       float64
	empty   bool // the current page has no content yet
	force   bool // the next content starts a new page
	pending []*strip
}

func (p *paginator) add(s *strip) error {
	if s.kind == sContent && s.keep {
		p.pending = append(p.pending, s)
		return nil
	}
	if len(p.pending) > 0 {
		group := p.pending
		p.pending = nil
		if s.kind == sContent {
			return p.group(append(group, s))
		}
		if err := p.group(group); err != nil {
			return err
		}
	}
	switch s.kind {
	case sBreak:
		if len(p.pages) > 0 && !p.empty {
			p.force = true
		}
		return nil
	case sSpace:
		if len(p.pages) == 0 || p.force {
			if err := p.newPage(); err != nil {
				return err
			}
		}
		if p.y+s.h > p.l.bodyH+eps {
			p.force = !p.empty
			return nil
		}
		p.y += s.h
		return nil
	}
	return p.place(s)
}

// group places strips that should stay on one page: a new page first if they do not fit on
// this one but would on a fresh one.
func (p *paginator) group(g []*strip) error {
	total := 0.0
	for _, s := range g {
		total += s.h
	}
	if len(p.pages) > 0 && !p.empty && !p.force && p.y+total > p.l.bodyH+eps && total <= p.l.bodyH {
		if err := p.breakFor(g[0]); err != nil {
			return err
		}
	}
	for _, s := range g {
		if err := p.place(s); err != nil {
			return err
		}
	}
	return nil
}

func (p *paginator) place(s *strip) error {
	if len(p.pages) == 0 || p.force || (!p.empty && p.y+s.h > p.l.bodyH+eps) {
		if err := p.breakFor(s); err != nil {
			return err
		}
	}
	p.put(s)
	if s.table != nil {
		s.table.started = true
	}
	return nil
}

// breakFor starts a new page for s; when s continues a table, its header rows come first.
func (p *paginator) breakFor(s *strip) error {
	if err := p.newPage(); err != nil {
		return err
	}
	if t := s.table; t != nil && !s.header && t.started && len(t.header) > 0 {
		for _, h := range t.header {
			if err := p.l.addOps(len(h.ops)); err != nil {
				return err
			}
			p.put(h)
		}
	}
	return nil
}

func (p *paginator) put(s *strip) {
	page := &p.pages[len(p.pages)-1]
	for _, o := range s.ops {
		o.y += p.y
		if o.kind == opLine {
			o.h += p.y
		}
		*page = append(*page, o)
	}
	p.y += s.h
	p.empty = false
	if s.text != "" {
		b := p.texts[len(p.texts)-1]
		if b.Len() > 0 {
			if p.soft {
				b.WriteByte(' ')
			} else {
				b.WriteByte('\n')
			}
		}
		if b.Len() < documents.MaxText {
			b.WriteString(s.text)
		}
		p.soft = s.soft
	}
}

func (p *paginator) newPage() error {
	if len(p.pages) >= p.l.lim.MaxPages {
		return p.l.tooManyPages()
	}
	if p.l.expired() {
		return ErrDeadline
	}
	p.pages = append(p.pages, nil)
	p.texts = append(p.texts, &strings.Builder{})
	p.soft = false
	p.y, p.empty, p.force = 0, true, false
	return nil
}

func (p *paginator) finish() error {
	if len(p.pending) > 0 {
		g := p.pending
		p.pending = nil
		if err := p.group(g); err != nil {
			return err
		}
	}
	if len(p.pages) == 0 {
		return p.newPage()
	}
	return nil
}
