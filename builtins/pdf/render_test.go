package pdf

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestTextInOrder(t *testing.T) {
	b, n := render(t, def(t, `{
		"info": {"title": "Offer", "author": "ACME"},
		"defaultStyle": {"fontSize": 10},
		"styles": {"h1": {"fontSize": 18, "bold": true, "marginBottom": 6}},
		"content": [
			{"text": "Your offer", "style": "h1"},
			"Dear applicant,",
			{"text": ["Amounts in ", {"text": "euro", "bold": true}, " and ", {"text": "cents", "italics": true}, "."]},
			"Accents: € ë ł ß é ü Ł ő ç ñ å ø æ œ",
			{"ul": ["first item", "second item"]},
			{"ol": ["step one", "step two"], "type": "lower-roman"},
			{"columns": [{"text": "left column"}, {"text": "right column", "alignment": "right"}], "columnGap": 10},
			{"stack": ["stacked one", "stacked two"], "margin": [0, 10, 0, 0]},
			{"text": "centred", "alignment": "center"},
			{"text": "Justified text that is long enough to wrap onto a second line so that the first line is stretched across the whole width of the page, edge to edge.", "alignment": "justify"}
		]}`))
	if n != 1 {
		t.Fatalf("pages = %d, want 1", n)
	}
	qpdfCheck(t, b)
	pages := text(t, b)
	got := squash(pages[0])
	for _, want := range []string{
		"Your offer Dear applicant,",
		"Amounts in euro and cents.",
		"Accents: € ë ł ß é ü Ł ő ç ñ å ø æ œ",
		"first item second item",
		"i. step one ii. step two",
		"left column right column",
		"stacked one stacked two centred",
		"Justified text",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("text lacks %q:\n%s", want, pages[0])
		}
	}
	page, err := png.Decode(bytes.NewReader(renderPage(t, b, 1)))
	if err != nil || page.Bounds().Dx() != 414 || page.Bounds().Dy() != 585 { // A4 at 50 dpi
		t.Fatalf("page 1 renders as %v (%v)", page.Bounds(), err)
	}
	if info := pdfinfo(t, b); !strings.Contains(info, "Title:           Offer") || !strings.Contains(info, "Author:          ACME") {
		t.Errorf("pdfinfo:\n%s", info)
	}
}

func TestPageSizeAndOrientation(t *testing.T) {
	for _, c := range []struct{ def, want string }{
		{`{"content": ["x"]}`, "595.28 x 841.89 pts (A4)"},
		{`{"content": ["x"], "pageOrientation": "landscape"}`, "841.89 x 595.28 pts (A4)"},
		{`{"content": ["x"], "pageSize": "A5"}`, "420.94 x 595.28 pts (A5)"},
		{`{"content": ["x"], "pageSize": "LETTER"}`, "612 x 792 pts (letter)"},
		{`{"content": ["x"], "pageSize": "legal", "pageOrientation": "landscape"}`, "1008 x 612 pts"},
		{`{"content": ["x"], "pageSize": {"width": 300, "height": 200}, "pageMargins": 10}`, "300 x 200 pts"},
	} {
		b, _ := render(t, def(t, c.def))
		if info := pdfinfo(t, b); !strings.Contains(info, "Page size:       "+c.want) {
			t.Errorf("%s: pdfinfo:\n%s", c.def, info)
		}
	}
}

func TestHeaderFooterPageNumbers(t *testing.T) {
	b, n := render(t, def(t, `{
		"header": {"text": "ACME Hypotheken", "alignment": "right", "fontSize": 8},
		"footer": {"text": "page {page} of {pages}", "alignment": "center", "fontSize": 8},
		"pageMargins": [40, 60, 40, 60],
		"content": [{"text": "first page", "fontSize": 20}, {"text": "second page", "pageBreak": "before"}]}`))
	if n != 2 {
		t.Fatalf("pages = %d, want 2", n)
	}
	qpdfCheck(t, b)
	pages := text(t, b)
	if len(pages) != 2 {
		t.Fatalf("pdftotext gives %d pages", len(pages))
	}
	// The header and footer stand at the same place on every page, the header's right edge at
	// the right margin.
	boxes := wordBoxes(t, b)
	for _, w := range []string{"Hypotheken", "of"} {
		if len(boxes[w]) != 2 || boxes[w][0] != boxes[w][1] {
			t.Errorf("%q is at %v, want the same place on both pages", w, boxes[w])
		}
	}
	if right := boxes["Hypotheken"][0][2]; right < 555.27 || right > 555.29 {
		t.Errorf("the header ends at x %v, want the right margin 555.28", right)
	}
	for i, want := range []string{"first page", "second page"} {
		p := squash(pages[i])
		wantAll := fmt.Sprintf("ACME Hypotheken %s page %d of 2", want, i+1)
		if p != wantAll {
			t.Errorf("page %d = %q, want %q", i+1, p, wantAll)
		}
	}
}

func TestPageBreaks(t *testing.T) {
	// A break at the very start, a doubled break and a break after the last node make no blank page.
	_, n := render(t, def(t, `{"content": [{"pageBreak": "before"}, "one", {"text": "two", "pageBreak": "after"}, {"pageBreak": "before"}, "three", {"text": "end", "pageBreak": "after"}]}`))
	if n != 2 {
		t.Fatalf("pages = %d, want 2", n)
	}
	_, n = render(t, def(t, `{"content": []}`))
	if n != 1 {
		t.Fatalf("empty content: pages = %d, want 1", n)
	}
}

// tableRows makes a table definition of n body rows after one header row.
func tableRows(n int, extra string) string {
	var rows []string
	rows = append(rows, `["Nr", "Description", {"text": "Amount", "alignment": "right"}]`)
	for i := 1; i <= n; i++ {
		rows = append(rows, fmt.Sprintf(`["%d", "Row number %d", {"text": "€ %d,00", "alignment": "right"}]`, i, i, i*10))
	}
	return fmt.Sprintf(`{"table": {"headerRows": 1, "widths": [40, "*", "auto"], "body": [%s]}%s}`, strings.Join(rows, ","), extra)
}

func TestTableBreaksAndRepeatsHeader(t *testing.T) {
	for _, layout := range []string{"", `, "layout": "lightHorizontalLines"`, `, "layout": "noBorders"`, `, "layout": "headerLineOnly"`} {
		b, n := render(t, def(t, `{"content": ["Before the table", `+tableRows(120, layout)+`, "After the table"]}`))
		if n < 2 {
			t.Fatalf("%s: 120 rows on %d page", layout, n)
		}
		qpdfCheck(t, b)
		pages := text(t, b)
		if len(pages) != n {
			t.Fatalf("pdftotext gives %d pages, Render says %d", len(pages), n)
		}
		for i, p := range pages {
			lines := nonEmpty(p)
			first := 0
			if i == 0 {
				if squash(lines[0]) != "Before the table" {
					t.Fatalf("page 1 starts %q", lines[0])
				}
				first = 1
			}
			if squash(lines[first]) != "Nr Description Amount" {
				t.Errorf("%s: page %d: the header row is not repeated, the page starts %q", layout, i+1, lines[first])
			}
		}
		all := squash(strings.Join(pages, " "))
		// Every row once, in order.
		last := -1
		for r := 1; r <= 120; r++ {
			row := fmt.Sprintf("%d Row number %d € %d,00", r, r, r*10)
			at := strings.Index(all, row)
			if at < 0 || at < last || strings.Count(all, row+" ") > 1 {
				t.Fatalf("%s: row %d missing, repeated or out of order", layout, r)
			}
			last = at
		}
		if !strings.HasSuffix(all, "After the table") {
			t.Errorf("the text after the table is not last: …%s", all[len(all)-60:])
		}
	}
}

var wordBox = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)

// wordBoxes are the words of a PDF with their boxes [xMin, yMin, xMax, yMax] (pdftotext -bbox),
// in page order.
func wordBoxes(t testing.TB, b []byte) map[string][][4]float64 {
	t.Helper()
	out := map[string][][4]float64{}
	for _, m := range wordBox.FindAllStringSubmatch(runTool(t, "pdftotext", "-bbox", writePDF(t, b), "-"), -1) {
		var box [4]float64
		for i := range 4 {
			box[i], _ = strconv.ParseFloat(m[i+1], 64)
		}
		out[m[5]] = append(out[m[5]], box)
	}
	return out
}

func nonEmpty(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func TestTableRowTallerThanAPage(t *testing.T) {
	// One cell of a few hundred lines: the row breaks between its lines.
	long := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 300)
	b, n := render(t, def(t, `{"content": [{"table": {"headerRows": 1, "widths": [60, "*"], "body": [["Key", "Value"], ["long", "`+long+`"], ["next", "row"]]}}]}`))
	if n < 3 {
		t.Fatalf("pages = %d, want the long row across several", n)
	}
	qpdfCheck(t, b)
	pages := text(t, b)
	if !strings.Contains(squash(pages[len(pages)-1]), "next row") {
		t.Errorf("the last row is not on the last page")
	}
	if !strings.HasPrefix(squash(pages[1]), "Key Value") {
		t.Errorf("page 2 does not repeat the header: %q", squash(pages[1])[:40])
	}
}

func TestTableCells(t *testing.T) {
	b, _ := render(t, def(t, `{"content": [{"table": {"widths": ["auto", "*", "20%"], "body": [
		[{"text": "bold", "bold": true, "fillColor": "#eeeeee"}, 42, {"text": "right", "alignment": "right"}],
		[{"stack": ["a", "b"]}, {"ul": ["x"]}, {"table": {"body": [["in", "ner"]]}}]
	]}}]}`))
	qpdfCheck(t, b)
	got := squash(text(t, b)[0])
	for _, want := range []string{"bold 42 right", "in ner"} {
		if !strings.Contains(got, want) {
			t.Errorf("text lacks %q: %s", want, got)
		}
	}
}

// testPNG makes a PNG of w×h pixels; alpha adds transparency, deep makes it 16 bits per channel.
func testPNG(t testing.TB, w, h int, alpha, deep bool) []byte {
	t.Helper()
	var img image.Image
	switch {
	case deep:
		m := image.NewNRGBA64(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				m.Set(x, y, color.NRGBA64{uint16(x * 65535 / w), uint16(y * 65535 / h), 0x8000, 0xffff})
			}
		}
		img = m
	case alpha:
		m := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				m.Set(x, y, color.NRGBA{uint8(x), uint8(y), 200, uint8(128 + x%128)})
			}
		}
		img = m
	default:
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				m.Set(x, y, color.RGBA{uint8(x * 255 / w), 80, uint8(y * 255 / h), 255})
			}
		}
		img = m
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testJPEG(t testing.TB, w, h int, gray bool) []byte {
	t.Helper()
	var img image.Image
	if gray {
		m := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				m.SetGray(x, y, color.Gray{uint8((x + y) % 256)})
			}
		}
		img = m
	} else {
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				m.Set(x, y, color.RGBA{200, uint8(x % 256), uint8(y % 256), 255})
			}
		}
		img = m
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func dataURL(typ string, b []byte) string {
	return "data:image/" + typ + ";base64," + base64.StdEncoding.EncodeToString(b)
}

func TestImages(t *testing.T) {
	pngURL := dataURL("png", testPNG(t, 120, 60, false, false))
	alphaURL := dataURL("png", testPNG(t, 64, 64, true, false))
	deepURL := dataURL("png", testPNG(t, 40, 30, false, true))
	jpgURL := dataURL("jpeg", testJPEG(t, 160, 90, false))
	grayURL := dataURL("jpeg", testJPEG(t, 50, 50, true))
	b, n := render(t, map[string]any{
		"images": map[string]any{"logo": pngURL},
		"content": []any{
			"Images below",
			map[string]any{"image": "logo", "width": 120.0},
			map[string]any{"image": pngURL, "fit": []any{50.0, 50.0}, "alignment": "center"},
			map[string]any{"image": alphaURL},
			map[string]any{"image": deepURL, "height": 30.0, "alignment": "right"},
			map[string]any{"image": jpgURL, "width": 200.0, "height": 50.0},
			map[string]any{"image": grayURL},
			map[string]any{"image": jpgURL, "width": 5000.0}, // shrunk to the page
			map[string]any{"columns": []any{map[string]any{"image": "logo", "width": 60.0}, "next to the logo"}},
			"Images above",
		},
	})
	qpdfCheck(t, b)
	if got := squash(strings.Join(text(t, b), " ")); !strings.Contains(got, "Images below") || !strings.Contains(got, "Images above") || !strings.Contains(got, "next to the logo") {
		t.Errorf("text: %s", got)
	}
	out := runTool(t, "pdfimages", "-list", writePDF(t, b))
	// pdfimages lists each placement; the same data URL is embedded once.
	for _, want := range []string{"120    60  rgb", "160    90  rgb", "50    50  gray", "64    64  rgb", "smask      64    64  gray", "40    30  rgb"} {
		if !strings.Contains(out, want) {
			t.Errorf("pdfimages -list lacks %q:\n%s", want, out)
		}
	}
	for p := 1; p <= n; p++ {
		if img, err := png.Decode(bytes.NewReader(renderPage(t, b, p))); err != nil || img.Bounds().Dx() < 100 {
			t.Fatalf("page %d does not render: %v", p, err)
		}
	}
}

func TestQRCode(t *testing.T) {
	b, _ := render(t, def(t, `{"content": ["Scan me", {"qr": "https://example.com/offer/42?lang=nl", "fit": 120, "alignment": "center"},
		{"qr": "ËÜ €", "eccLevel": "H", "foreground": "#003366"}, "after"]}`))
	qpdfCheck(t, b)
	page := renderPage(t, b, 1)
	img, err := png.Decode(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	// The first code is centred: dark modules in the middle band of the page, below "Scan me".
	dark := 0
	bounds := img.Bounds()
	for y := bounds.Dy() / 20; y < bounds.Dy()/4; y++ {
		for x := bounds.Dx() * 3 / 8; x < bounds.Dx()*5/8; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x4000 {
				dark++
			}
		}
	}
	if dark < 200 {
		t.Errorf("only %d dark pixels where the QR code should be", dark)
	}
	if got := squash(text(t, b)[0]); got != "Scan me after" {
		t.Errorf("text = %q", got)
	}
}

func TestDeterministic(t *testing.T) {
	d := `{"info": {"title": "Same"}, "header": "h", "footer": "{page}/{pages}", "content": ["€ ë ł", ` + tableRows(80, "") + `, {"qr": "x"}]}`
	first, _ := render(t, def(t, d))
	for range 5 {
		again, _ := render(t, def(t, d))
		if !bytes.Equal(first, again) {
			t.Fatal("the same definition and clock gave different bytes")
		}
	}
	other, _, err := Render(def(t, d), clock.Add(time.Second))
	if err != nil || bytes.Equal(first, other) {
		t.Fatalf("another clock gave the same bytes (err %v)", err)
	}
	if !bytes.Contains(first, []byte("/CreationDate (D:20240614223000")) {
		t.Errorf("the creation date is not the clock's")
	}
}

func TestWrapping(t *testing.T) {
	// A word wider than its column is cut; lines never run past the right margin.
	word := strings.Repeat("x", 400)
	b, _ := render(t, def(t, `{"content": [{"table": {"widths": [60, "*"], "body": [["`+word+`", "b"]]}}, "`+word+`"]}`))
	qpdfCheck(t, b)
	got := strings.Join(strings.Fields(strings.Join(text(t, b), " ")), "")
	if strings.Count(got, "x") != 800 {
		t.Errorf("%d x's, want 800", strings.Count(got, "x"))
	}
}

func TestConcurrentRenders(t *testing.T) {
	d := `{"header": "h", "content": ["€ ë ł ß", ` + tableRows(30, "") + `, {"qr": "x"}]}`
	want, _ := render(t, def(t, d))
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			b, _, err := Render(def(t, d), clock)
			if err == nil && !bytes.Equal(b, want) {
				err = fmt.Errorf("a concurrent render differs")
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestUnsupportedCharacters(t *testing.T) {
	// Characters the Go fonts lack print as "?"; control characters and BOMs are dropped; tabs
	// are spaces.
	b, _ := render(t, def(t, `{"content": ["日本 😀 a\u0007b\ufeffc\td"]}`))
	qpdfCheck(t, b)
	if got := squash(text(t, b)[0]); got != "?? ? abc d" {
		t.Errorf("text = %q", got)
	}
}

// TestKeptText: the text a document keeps (for testcases' contains) is in layout order, a wrapped
// paragraph on one line, cells side by side, list items after their markers, each page's header
// and footer around its body.
func TestKeptText(t *testing.T) {
	r, err := Limits{}.RenderDocument(def(t, `{"pageSize": "A5", "header": "H", "footer": "{page}/{pages}", "content": [
		{"text": "A long paragraph that wraps across several lines because it is long enough to do so on an A5 page with margins.", "margin": [0, 0, 0, 10]},
		"line one\nline two",
		{"ul": ["a", {"ol": ["x", "y"], "start": 9}]},
		{"columns": ["left", "right"]},
		{"table": {"body": [["c1", "c2 has\ntwo lines"]]}},
		{"qr": "no text"},
		{"text": "p2", "pageBreak": "before"}]}`), clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "H\nA long paragraph that wraps across several lines because it is long enough to do so on an A5 page with margins.\n" +
		"line one\nline two\n• a\n• 9. x\n10. y\nleft right\nc1 c2 has\ntwo lines\n1/2\nH\np2\n2/2"
	if r.Text != want {
		t.Errorf("text\n got %q\nwant %q", r.Text, want)
	}
	if r.Pages != 2 || !bytes.HasPrefix(r.Content, []byte("%PDF-")) {
		t.Errorf("pages %d", r.Pages)
	}
	if got := cut("ab€", 4); got != "ab" {
		t.Errorf("cut = %q", got)
	}
}
