package pdf

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
	"time"
)

const nodeKeys = "alignment, bold, color, fontSize, italics, lineHeight, margin, marginBottom, marginLeft, marginRight, marginTop, pageBreak, style"

func TestDefinitionErrors(t *testing.T) {
	png1 := dataURL("png", testPNG(t, 2, 2, false, false))
	for _, c := range []struct{ def, want string }{
		// Unknown keys, with the known ones listed.
		{`{"content": ["a"], "contnet": 1}`, `unknown key "contnet" (known keys: content, defaultStyle, footer, header, images, info, name, pageMargins, pageOrientation, pageSize, styles)`},
		{`{"content": ["x", "y", "z", {"table": {"body": [["a", "b"], ["c", "d"], ["e", {"text": "f", "colspan": 2}]]}}]}`,
			`content[3].table.body[2][1]: unknown key "colspan" (known keys: ` + strings.Replace(nodeKeys, "color, ", "color, fillColor, ", 1) + `, text)`},
		{`{"content": [{"txt": "a"}]}`, `content[0]: unknown key "txt" (known keys: alignment, bold, color, columns, fontSize, image, italics, lineHeight, margin, marginBottom, marginLeft, marginRight, marginTop, ol, pageBreak, qr, stack, style, table, text, ul)`},
		{`{"content": [{"text": "a", "width": 100}]}`, `content[0]: unknown key "width" (known keys: ` + nodeKeys + `, text)`},
		{`{"content": [{"text": "a", "fillColor": "#fff"}]}`, `content[0]: unknown key "fillColor"`},
		{`{"content": [{"table": {"body": [["a"]], "dontBreakRows": true}}]}`, `content[0].table: unknown key "dontBreakRows" (known keys: body, headerRows, widths)`},
		{`{"content": [{"text": ["a", {"text": "b", "underline": true}]}]}`, `content[0].text[1]: unknown key "underline" (known keys: bold, color, fontSize, italics, style, text)`},
		{`{"content": ["a"], "defaultStyle": {"margin": 4}}`, `defaultStyle: unknown key "margin" (known keys: alignment, bold, color, fontSize, italics, lineHeight)`},
		{`{"content": ["a"], "styles": {"h1": {"font": "Roboto"}}}`, `styles.h1: unknown key "font" (known keys: alignment, bold, color, fontSize, italics, lineHeight, margin, marginBottom, marginLeft, marginRight, marginTop)`},
		{`{"content": ["a"], "info": {"producer": "me"}}`, `info: unknown key "producer" (known keys: author, creator, keywords, subject, title)`},
		{`{"content": ["a"], "footer": {"text": "x", "margin": 3}}`, `footer: unknown key "margin" (known keys: alignment, bold, color, fontSize, italics, text)`},
		{`{"content": ["a"], "pageSize": {"width": 100, "height": 100, "unit": "mm"}}`, `pageSize: unknown key "unit" (known keys: height, width)`},
		{`{"content": [{"ul": ["a"], "start": 3}]}`, `content[0]: unknown key "start" (known keys: ` + nodeKeys + `, type, ul)`},
		{`{"content": [{"qr": "a", "version": 3}]}`, `content[0]: unknown key "version" (known keys: alignment, bold, color, eccLevel, fit, fontSize, foreground, italics,`},
		{`{"content": [{"columns": [{"text": "a", "widht": 3}]}]}`, `content[0].columns[0]: unknown key "widht" (known keys: ` + nodeKeys + `, text, width)`},
		// Node shapes.
		{`{"content": [{}]}`, `content[0]: an object node needs one of text, table, ul, ol, image, qr, columns, stack`},
		{`{"content": [{"text": "a", "table": {}}]}`, `content[0]: has both "text" and "table": a node is one of text, table, ul, ol, image, qr, columns, stack`},
		{`{"content": [5]}`, `content[0]: must be a string or an object, got 5`},
		{`{"content": [true]}`, `content[0]: must be a string or an object, got true`},
		{`{"content": [null]}`, `content[0]: must be a string or an object, got null`},
		{`{"content": [{"stack": "a"}]}`, `content[0].stack: must be an array of nodes, got "a"`},
		{`{"content": [{"stack": [["deep", 3]]}]}`, `content[0].stack[0][1]: must be a string or an object, got 3`},
		{`{"content": [{"columns": {}}]}`, `content[0].columns: must be an array of nodes, got an object`},
		{`{"content": [{"columns": [{"text": "a", "width": "wide"}]}]}`, `content[0].columns[0].width: must be a width: a number of points, "*", "auto" or a percentage such as "30%", got "wide"`},
		{`{"content": [{"text": {"a": 1}}]}`, `content[0].text: must be a string, a number or an array of runs, got an object`},
		{`{"content": [{"text": [["nested"]]}]}`, `content[0].text[0]: must be a string or a run {text, bold, italics, fontSize, color}, got an array`},
		{`{"content": [{"text": [{"bold": true}]}]}`, `content[0].text[0].text: must be a string or a number, got null`},
		{`{}`, `content: is missing`},
		{`[]`, `definition: must be an object, got an array`},
		// Properties.
		{`{"content": [{"text": "a", "fontSize": "12"}]}`, `content[0].fontSize: must be a number from 1 to 500, got "12"`},
		{`{"content": [{"text": "a", "fontSize": 0}]}`, `content[0].fontSize: must be a number from 1 to 500, got 0`},
		{`{"content": [{"text": "a", "bold": "yes"}]}`, `content[0].bold: must be a boolean, got "yes"`},
		{`{"content": [{"text": "a", "italics": 1}]}`, `content[0].italics: must be a boolean, got 1`},
		{`{"content": [{"text": "a", "alignment": "middle"}]}`, `content[0].alignment: must be "left", "center", "right" or "justify", got "middle"`},
		{`{"content": [{"text": "a", "color": "blu"}]}`, `content[0].color: must be a color "#rrggbb", "#rgb" or a basic color name such as "gray", got "blu"`},
		{`{"content": [{"text": "a", "color": "#12345g"}]}`, `content[0].color: must be a color`},
		{`{"content": [{"text": "a", "lineHeight": 20}]}`, `content[0].lineHeight: must be a number from 0.5 to 10, got 20`},
		{`{"content": [{"text": "a", "margin": [1, 2, 3]}]}`, `content[0].margin: must be a number, [horizontal, vertical] or [left, top, right, bottom], got an array`},
		{`{"content": [{"text": "a", "margin": [1, -2]}]}`, `content[0].margin[1]: must be a number from 0 to 10000, got -2`},
		{`{"content": [{"text": "a", "marginTop": "4"}]}`, `content[0].marginTop: must be a number from 0 to 10000, got "4"`},
		{`{"content": [{"text": "a", "pageBreak": "later"}]}`, `content[0].pageBreak: must be "before" or "after", got "later"`},
		{`{"content": [{"text": "a", "style": "h2"}], "styles": {"h1": {}, "small": {}}}`, `content[0].style: unknown style "h2" (styles defines: h1, small)`},
		{`{"content": [{"text": "a", "style": ["h1", 3]}], "styles": {"h1": {}}}`, `content[0].style[1]: must be a style name, got 3`},
		{`{"content": [{"text": ["a", {"text": "b", "style": "x"}]}]}`, `content[0].text[1].style: unknown style "x" (styles defines: none)`},
		{`{"content": ["a"], "styles": {"h1": {"fontSize": -1}}}`, `styles.h1.fontSize: must be a number from 1 to 500, got -1`},
		{`{"content": ["a"], "styles": {"my style": 3}}`, `styles["my style"]: must be an object, got 3`},
		// Tables.
		{`{"content": [{"table": "x"}]}`, `content[0].table: must be an object {headerRows, widths, body}, got "x"`},
		{`{"content": [{"table": {}}]}`, `content[0].table.body: must be an array of rows, got null`},
		{`{"content": [{"table": {"body": []}}]}`, `content[0].table.body: has no rows`},
		{`{"content": [{"table": {"body": ["a"]}}]}`, `content[0].table.body[0]: must be an array of cells, got "a"`},
		{`{"content": [{"table": {"body": [["a", "b"], ["c"]]}}]}`, `content[0].table.body[1]: has 1 cells, but the first row gives 2 columns`},
		{`{"content": [{"table": {"widths": ["*"], "body": [["a", "b"]]}}]}`, `content[0].table.body[0]: has 2 cells, but widths gives 1 columns`},
		{`{"content": [{"table": {"body": [[]]}}]}`, `content[0].table.body: has rows without cells`},
		{`{"content": [{"table": {"body": [["a"]], "headerRows": 2}}]}`, `content[0].table.headerRows: must be an integer from 0 to 1, got 2`},
		{`{"content": [{"table": {"body": [["a"]], "widths": ["**"]}}]}`, `content[0].table.widths[0]: must be a width`},
		{`{"content": [{"table": {"body": [["a"]], "widths": "*"}}]}`, `content[0].table.widths: must be an array of widths (a number, "*", "auto" or "NN%"), got "*"`},
		{`{"content": [{"table": {"body": [[null]]}}]}`, `content[0].table.body[0][0]: must be a string, a number or an object, got null`},
		{`{"content": [{"table": {"body": [[{"text": "a", "fillColor": "grey50"}]]}}]}`, `content[0].table.body[0][0].fillColor: must be a color`},
		{`{"content": [{"table": {"body": [["a"]]}, "layout": "zebra"}]}`, `content[0].layout: must be "noBorders", "lightHorizontalLines" or "headerLineOnly", got "zebra" (layout functions are not supported)`},
		// Lists.
		{`{"content": [{"ul": "a"}]}`, `content[0].ul: must be an array of items, got "a"`},
		{`{"content": [{"ol": ["a", 7]}]}`, `content[0].ol[1]: must be a string or an object, got 7`},
		{`{"content": [{"ol": ["a"], "type": "disc"}]}`, `content[0].type: must be one of decimal, lower-alpha, upper-alpha, lower-roman, upper-roman, none, got "disc"`},
		{`{"content": [{"ul": ["a"], "type": "decimal"}]}`, `content[0].type: must be one of disc, circle, square, none, got "decimal"`},
		{`{"content": [{"ol": ["a"], "start": 1.5}]}`, `content[0].start: must be an integer from 0 to 1000000, got 1.5`},
		// Images.
		{`{"content": [{"image": 5}]}`, `content[0].image: must be a data URL (data:image/png;base64,… or data:image/jpeg;base64,…) or the name of an entry of images, got 5`},
		{`{"content": [{"image": "logo"}]}`, `content[0].image: must be a data URL (data:image/png;base64,… or data:image/jpeg;base64,…) or the name of an entry of images (none defined), got "logo"`},
		{`{"content": [{"image": "data:image/gif;base64,R0lGOD"}]}`, `content[0].image: is image/gif;base64: only PNG and JPEG images are supported`},
		{`{"content": [{"image": "data:image/png,rawbytes"}]}`, `content[0].image: must be a base64 data URL: data:image/png;base64,… or data:image/jpeg;base64,…`},
		{`{"content": [{"image": "data:image/png;base64,!!!!"}]}`, `content[0].image: is not a readable PNG or JPEG image`},
		{`{"content": [{"image": "data:image/png;base64,` + base64.StdEncoding.EncodeToString([]byte("not an image at all")) + `"}]}`, `content[0].image: is not a readable PNG or JPEG image (image: unknown format)`},
		{`{"content": [{"image": "` + png1 + `", "width": -3}]}`, `content[0].width: must be a number from 0.1 to 14400, got -3`},
		{`{"content": [{"image": "` + png1 + `", "fit": [10]}]}`, `content[0].fit: must be [width, height], got an array`},
		{`{"content": [{"image": "` + png1 + `", "fit": [10, "x"]}]}`, `content[0].fit[1]: must be a number from 0.1 to 14400, got "x"`},
		{`{"content": ["a"], "images": {"logo": 3}}`, `images.logo: must be a data URL string, got 3`},
		{`{"content": ["a"], "images": {"logo": "data:text/plain;base64,eA=="}}`, `images.logo: must be a base64 data URL`},
		// QR codes.
		{`{"content": [{"qr": ""}]}`, `content[0].qr: must be a non-empty string, got ""`},
		{`{"content": [{"qr": 42}]}`, `content[0].qr: must be a non-empty string, got 42`},
		{`{"content": [{"qr": "a", "eccLevel": "X"}]}`, `content[0].eccLevel: must be "L", "M", "Q" or "H", got "X"`},
		{`{"content": [{"qr": "a", "fit": 2}]}`, `content[0].fit: must be a number from 10 to 2000, got 2`},
		// Pages, info, header and footer, name.
		{`{"content": ["a"], "pageSize": "B5"}`, `pageSize: unknown page size "B5" (known: A3, A4, A5, LETTER, LEGAL, or {width, height} in points)`},
		{`{"content": ["a"], "pageSize": {"width": 100}}`, `pageSize.height: is missing`},
		{`{"content": ["a"], "pageSize": {"width": 10, "height": 100}}`, `pageSize.width: must be a number from 72 to 14400, got 10`},
		{`{"content": ["a"], "pageSize": 4}`, `pageSize: must be A3, A4, A5, LETTER, LEGAL or {width, height}, got 4`},
		{`{"content": ["a"], "pageOrientation": "sideways"}`, `pageOrientation: must be "portrait" or "landscape", got "sideways"`},
		{`{"content": ["a"], "pageMargins": [300, 10]}`, `pageMargins: leave less than 36 points for the content of a 595×842 page`},
		{`{"content": ["a"], "pageMargins": "wide"}`, `pageMargins: must be a number, [horizontal, vertical] or [left, top, right, bottom], got "wide"`},
		{`{"content": ["a"], "info": {"title": 3}}`, `info.title: must be a string, got 3`},
		{`{"content": ["a"], "info": []}`, `info: must be an object, got an array`},
		{`{"content": ["a"], "header": 3}`, `header: must be a string or {text, alignment, fontSize}, got 3`},
		{`{"content": ["a"], "footer": {"alignment": "center"}}`, `footer.text: must be a string, got null`},
		{`{"content": ["a"], "footer": {"text": "x", "fontSize": 1000}}`, `footer.fontSize: must be a number from 1 to 500, got 1000`},
		{`{"content": ["a"], "name": 3}`, `name: must be a string, got 3`},
		{`{"content": ["a"], "defaultStyle": "big"}`, `defaultStyle: must be an object, got "big"`},
		{`{"content": ["a"], "styles": []}`, `styles: must be an object of named styles, got an array`},
	} {
		t.Run(c.want, func(t *testing.T) {
			e := renderErr(t, Limits{}, def(t, c.def))
			if e.Limit {
				t.Errorf("%v is a limit error, want a type error", e)
			}
			if !strings.HasPrefix(e.Error(), c.want) {
				t.Errorf("error\n got %s\nwant %s", e, c.want)
			}
		})
	}
}

// pngHeader is a PNG signature and IHDR chunk claiming w×h pixels, with no image data.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 2 // 8 bits, RGB
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

// jpegHeader is a JPEG start and SOF0 segment claiming w×h pixels, with no image data.
func jpegHeader(w, h uint16) []byte {
	b := []byte{0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 3,
		1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1,
		0xff, 0xda, 0, 2} // start of scan: DecodeConfig stops here
	return b
}

func TestLimits(t *testing.T) {
	small := dataURL("png", testPNG(t, 4, 4, false, false))
	other := dataURL("png", testPNG(t, 5, 5, false, false))
	nested := `"deep"`
	for range 21 {
		nested = `{"stack": [` + nested + `]}`
	}
	cases := []struct {
		name string
		lim  Limits
		def  string
		want string
	}{
		{"rows per table", Limits{}, `{"content": [` + tableRows(10_000, "") + `]}`, `content[0].table.body: has 10001 rows, more than 10000`},
		{"pages", Limits{}, `{"content": [` + strings.Repeat(`{"text": "page", "pageBreak": "after"},`, 200) + `"one more"]}`, `the document has more than 200 pages`},
		{"pages set lower", Limits{MaxPages: 2}, `{"content": [` + tableRows(200, "") + `]}`, `the document has more than 2 pages`},
		{"nesting", Limits{}, `{"content": [` + nested + `]}`, `content[0].stack[0].stack[0].stack[0].stack[0].stack[0].stack[0].stack[0].stack[0].stack[0].stack[0].stack[0].stack[0].stack[0].stack[0].stack[0].stack[0].stack[0].stack[0].stack[0].stack[0]: content is nested deeper than 20 levels`},
		{"image pixels (PNG header)", Limits{}, `{"content": [{"image": "` + dataURL("png", pngHeader(100_000, 100_000)) + `"}]}`, `content[0].image: the image is 100000×100000 pixels, more than 25000000 pixels`},
		{"image pixels (JPEG header)", Limits{}, `{"content": [{"image": "` + dataURL("jpeg", jpegHeader(65535, 65535)) + `"}]}`, `content[0].image: the image is 65535×65535 pixels, more than 25000000 pixels`},
		{"images", Limits{MaxImages: 1}, `{"content": [{"image": "` + small + `"}, {"image": "` + small + `"}, {"image": "` + other + `"}]}`, `content[2].image: the document has more than 1 images`},
		{"text", Limits{MaxTextBytes: 100}, `{"content": ["` + strings.Repeat("a", 60) + `", {"text": ["` + strings.Repeat("b", 50) + `"]}]}`, `content[1].text[0]: the document's text is longer than 100 bytes in total`},
		{"QR codes", Limits{MaxQRCodes: 1}, `{"content": [{"qr": "a"}, {"qr": "b"}]}`, `content[1].qr: the document has more than 1 QR codes`},
		{"QR capacity", Limits{}, `{"content": [{"qr": "` + strings.Repeat("x", 3000) + `"}]}`, `content[0].qr: is 3000 bytes, more than a QR code holds (2953)`},
		{"drawing operations", Limits{MaxOps: 100}, `{"content": [` + tableRows(50, "") + `]}`, `the document has more than 100 drawing operations`},
		{"output bytes", Limits{MaxBytes: 5000}, `{"content": ["a"]}`, `the PDF is larger than 5000 bytes`},
		{"image bytes against output", Limits{MaxBytes: 50}, `{"content": [{"image": "` + small + `"}]}`, `content[0].image: the document's images are larger than 50 bytes`},
		{"content nodes", Limits{MaxNodes: 3}, `{"content": ["a", ["b", "c"]]}`, `content[1][1]: the definition has more than 3 content nodes`},
		{"columns", Limits{MaxColumns: 2}, `{"content": [{"columns": ["a", "b", "c"]}]}`, `content[0].columns: has 3 columns, more than 2`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			e := renderErr(t, c.lim, def(t, c.def))
			if !e.Limit {
				t.Errorf("%v is a type error, want a limit error", e)
			}
			if !strings.HasPrefix(e.Error(), c.want) {
				t.Errorf("error\n got %s\nwant %s", e, c.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestTenThousandRows: a table within the row limit that needs more pages than allowed stops
// at the page limit, quickly.
func TestTenThousandRows(t *testing.T) {
	d := def(t, `{"content": [`+tableRows(9_999, "")+`]}`)
	start := time.Now()
	e := renderErr(t, Limits{}, d)
	if e.Error() != "the document has more than 200 pages" || !e.Limit {
		t.Fatalf("error = %v", e)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v", took)
	}
}

func TestHugeDataURLRefusedBeforeDecoding(t *testing.T) {
	// 11 MiB that are not even base64: refused by length, so never decoded.
	huge := "data:image/png;base64," + strings.Repeat("!", 11<<20)
	start := time.Now()
	e := renderErr(t, Limits{}, map[string]any{"content": []any{map[string]any{"image": huge}}})
	if want := fmt.Sprintf("content[0].image: the data URL is %d bytes, more than %d", len(huge), 10<<20); e.Error() != want || !e.Limit {
		t.Fatalf("error = %v, want %s", e, want)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %v", took)
	}
}

func TestDeadline(t *testing.T) {
	heavy := def(t, `{"content": [`+strings.Repeat(tableRows(40, "")+",", 60)+`"end"]}`)
	// Already expired: nothing is rendered.
	if _, _, err := (Limits{}).Render(heavy, clock, func() bool { return true }); !errors.Is(err, ErrDeadline) {
		t.Fatalf("err = %v, want ErrDeadline", err)
	}
	// Expiring part-way: the check between rows and pages stops it.
	for _, after := range []int{5, 50, 500} {
		calls := 0
		_, _, err := (Limits{}).Render(heavy, clock, func() bool { calls++; return calls > after })
		if !errors.Is(err, ErrDeadline) {
			t.Fatalf("after %d checks: err = %v, want ErrDeadline", after, err)
		}
	}
	// A real clock: the render stops soon after the deadline.
	start := time.Now()
	deadline := start.Add(20 * time.Millisecond)
	_, _, err := (Limits{}).Render(heavy, clock, func() bool { return time.Now().After(deadline) })
	if took := time.Since(start); err == nil {
		t.Logf("rendered within the deadline (%v): nothing to stop", took)
	} else if !errors.Is(err, ErrDeadline) || took > 500*time.Millisecond {
		t.Fatalf("err = %v after %v", err, took)
	}
}
