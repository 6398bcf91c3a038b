// Package pdf is the PDF module of rule code (connectors.md, "PDF and Documents"): PDF.create
// renders a document definition — a subset of pdfmake's, the shape JavaScript authors know — and
// saves the PDF as a Document in the execution's transaction (package documents), with the text
// it laid out, which testcases check (expect.documents[].contains).
//
// The definition: pageSize ('A4', 'A5', 'A3', 'LETTER', 'LEGAL' or {width, height} in points),
// pageOrientation, pageMargins, info, defaultStyle, styles, images (data URLs by name), header
// and footer ({page} and {pages} are replaced), and content: strings, text nodes with runs, tables
// (which break across pages and repeat their header rows), ul/ol lists, PNG and JPEG images, QR
// codes, columns, stacks and page breaks. Unknown keys anywhere are errors naming their path.
// Text is set in the Go fonts, embedded as UTF-8 fonts (Latin-1, Latin Extended-A, €).
//
// Rule code is not trusted: Limits bounds pages, rows, images (their pixel size read from the
// header before decoding), text, nesting and output size, and the execution's deadline is
// honoured between pages, rows and lines. Output is deterministic: the same definition and
// execution clock give the same bytes (and so the same document id).
package pdf

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/documents"
)

// ContentType is the type of the documents PDF.create saves.
const ContentType = "application/pdf"

// DefaultName is a document's name when the definition gives none.
const DefaultName = "document.pdf"

// noStore is the message for an execution without a store; it matches the other store modules'.
const noStore = "no store is configured (engine.WithStore, or --store with the kubus command)"

// Module installs the PDF namespace. The zero value has the default limits.
type Module struct {
	Limits Limits
}

var (
	_ builtins.Described   = Module{}
	_ builtins.StoreBacked = Module{}
)

// Name is "PDF".
func (Module) Name() string { return "PDF" }

// StoreGlobals: PDF saves its documents in the execution's store.
func (Module) StoreGlobals() []string { return []string{"PDF"} }

func (m Module) fns() []builtins.Fn {
	return []builtins.Fn{{
		Name:      "create",
		Signature: "(definition: PdfDefinition): PdfDocument",
		Doc:       "Renders a pdfmake-style document definition (content, styles, tables that break across pages with repeated header rows, lists, images, QR codes, columns, header and footer with {page} and {pages}) and saves the PDF as a Document in the execution's transaction; unknown keys are TypeErrors naming their path, exceeded limits RangeErrors.",
		Example:   `PDF.create({name: "offer.pdf", content: [{text: "Offer", fontSize: 18, bold: true}, "Dear applicant, …"]}).pages // 1`,
		Impl:      m.create,
	}}
}

// Typings declares the PDF namespace and the definition's types.
func (m Module) Typings() string {
	return typings + builtins.NamespaceTypings("PDF", "PDF documents rendered from a pdfmake-style definition, saved as Documents in the execution's store (needs a store).", m.fns(), nil)
}

// Reference lists PDF's functions.
func (m Module) Reference() []builtins.Entry { return builtins.ReferenceOf("PDF", m.fns(), nil) }

// Install defines the PDF namespace.
func (m Module) Install(h *builtins.Host) error {
	_, err := builtins.InstallNamespace(h, "PDF", m.fns(), nil)
	return err
}

func (m Module) create(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = "PDF.create"
	lim := m.Limits.withDefaults()
	return func(call goja.FunctionCall) goja.Value {
		e := h.MustExec(fn)
		if e.Tx == nil {
			h.Error(fn, "%s", noStore)
		}
		arg := call.Argument(0)
		o, ok := arg.(*goja.Object)
		if _, isFn := goja.AssertFunction(arg); !ok || isFn || o.ClassName() != "Object" {
			h.TypeError(fn, "definition must be an object {content, …}, got %s", builtins.Describe(arg))
		}
		def, err := exportDefinition(arg, lim)
		if err != nil {
			throw(h, fn, err)
		}
		name, err := docName(def)
		if err != nil {
			throw(h, fn, err)
		}
		r, err := lim.RenderDocument(def, e.Now, e.Expired)
		if err != nil {
			throw(h, fn, err)
		}
		d, err := documents.SaveWithText(e.Tx, name, ContentType, r.Content, r.Text, lim.MaxBytes, e.Now)
		if errors.Is(err, documents.ErrTooLarge) {
			h.RangeError(fn, "%v", err)
		} else if err != nil {
			panic(h.VM.NewGoError(fmt.Errorf("%s: %w", fn, err)))
		}
		out := d.Plain()
		out["pages"] = float64(r.Pages)
		return h.VM.ToValue(out)
	}
}

// docName is the definition's name, or DefaultName.
func docName(def any) (string, error) {
	m, _ := def.(map[string]any)
	v, ok := m["name"]
	if !ok || v == nil {
		return DefaultName, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", typeErr("name", "must be a string, got %s", describe(v))
	}
	if strings.TrimSpace(s) == "" || len(s) > 255 || strings.ContainsAny(s, `/\`) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", typeErr("name", "must be a file name of 1 to 255 bytes without slashes or control characters, got %s", describe(s))
	}
	return s, nil
}

func throw(h *builtins.Host, fn string, err error) {
	var de *Error
	switch {
	case errors.As(err, &de) && de.Limit:
		h.RangeError(fn, "%s", de.Error())
	case errors.As(err, &de):
		h.TypeError(fn, "%s", de.Error())
	case errors.Is(err, ErrDeadline):
		h.Error(fn, "%s", err.Error())
	}
	panic(h.VM.NewGoError(fmt.Errorf("%s: %w", fn, err)))
}

const typings = `/** A color: "#rrggbb", "#rgb" or a basic color name ("gray", "red", …). */
type PdfColor = string;
/** A margin in points: all sides, [horizontal, vertical] or [left, top, right, bottom]. */
type PdfMargin = number | [number, number] | [number, number, number, number];
/** A column width: points, "*" (a share of the rest), "auto" (the content's width) or a percentage. */
type PdfWidth = number | "*" | "auto" | ` + "`${number}%`" + `;
/** Text properties, inherited by nested content. */
interface PdfTextStyle {
  /** Points (default 12). */
  fontSize?: number;
  bold?: boolean;
  italics?: boolean;
  alignment?: "left" | "center" | "right" | "justify";
  color?: PdfColor;
  /** A multiple of the font's line height (default 1). */
  lineHeight?: number;
}
/** A named style (definition.styles): text properties and margins. */
interface PdfStyle extends PdfTextStyle {
  margin?: PdfMargin;
  marginLeft?: number;
  marginTop?: number;
  marginRight?: number;
  marginBottom?: number;
}
interface PdfNodeBase extends PdfStyle {
  /** Named styles applied in order, before the node's own properties. */
  style?: string | string[];
  pageBreak?: "before" | "after";
}
/** A piece of a paragraph in its own style. */
interface PdfTextRun extends PdfTextStyle {
  text: string | number;
  style?: string | string[];
}
interface PdfText extends PdfNodeBase {
  /** "\n" breaks the line. */
  text: string | number | (string | number | PdfTextRun)[];
}
/** A table cell: a string, a number or a node, with an optional background. */
type PdfCell = string | number | PdfNode[] | (PdfNodeObject & { fillColor?: PdfColor });
interface PdfTable extends PdfNodeBase {
  table: {
    /** Rows repeated at the top of each page the table continues on. */
    headerRows?: number;
    /** One per column (default "auto"); widths include the cells' padding. */
    widths?: PdfWidth[];
    body: PdfCell[][];
  };
  layout?: "noBorders" | "lightHorizontalLines" | "headerLineOnly";
}
interface PdfUl extends PdfNodeBase {
  ul: PdfNode[];
  type?: "disc" | "circle" | "square" | "none";
}
interface PdfOl extends PdfNodeBase {
  ol: PdfNode[];
  type?: "decimal" | "lower-alpha" | "upper-alpha" | "lower-roman" | "upper-roman" | "none";
  start?: number;
}
interface PdfImage extends PdfNodeBase {
  /** A data URL (data:image/png;base64,… or data:image/jpeg;base64,…) or a name in definition.images. */
  image: string;
  width?: number;
  height?: number;
  /** Scaled to fit [width, height], keeping its proportions. */
  fit?: [number, number];
}
interface PdfQr extends PdfNodeBase {
  qr: string;
  /** The code's size in points (default 100). */
  fit?: number;
  eccLevel?: "L" | "M" | "Q" | "H";
  foreground?: PdfColor;
}
interface PdfColumns extends PdfNodeBase {
  columns: (string | PdfNode[] | (PdfNodeObject & { width?: PdfWidth }))[];
  columnGap?: number;
}
interface PdfStack extends PdfNodeBase {
  stack: PdfNode[];
}
interface PdfPageBreak extends PdfNodeBase {
  pageBreak: "before" | "after";
}
type PdfNodeObject = PdfText | PdfTable | PdfUl | PdfOl | PdfImage | PdfQr | PdfColumns | PdfStack | PdfPageBreak;
/** A content node: a string is a paragraph, an array a stack. */
type PdfNode = string | PdfNode[] | PdfNodeObject;
/** A page header or footer; {page} and {pages} are replaced with the page number and count. */
type PdfHeaderFooter = string | { text: string; alignment?: "left" | "center" | "right" | "justify"; fontSize?: number; bold?: boolean; italics?: boolean; color?: PdfColor };
/** A document definition: a subset of pdfmake's. Unknown keys are errors. */
interface PdfDefinition {
  /** The document's name (default "document.pdf"). */
  name?: string;
  content: PdfNode | PdfNode[];
  /** Default "A4". */
  pageSize?: "A3" | "A4" | "A5" | "LETTER" | "LEGAL" | { width: number; height: number };
  pageOrientation?: "portrait" | "landscape";
  /** Default 40 points on each side. */
  pageMargins?: PdfMargin;
  info?: { title?: string; author?: string; subject?: string; keywords?: string; creator?: string };
  defaultStyle?: PdfTextStyle;
  styles?: Record<string, PdfStyle>;
  /** Data URLs by name, for image nodes to refer to. */
  images?: Record<string, string>;
  header?: PdfHeaderFooter;
  footer?: PdfHeaderFooter;
}
/** A PDF saved as a Document in the execution's transaction. */
interface PdfDocument {
  /** The SHA-256 of the content, in hex. */
  id: string;
  name: string;
  contentType: "application/pdf";
  size: number;
  sha256: string;
  /** ISO 8601, UTC */
  createdAt: string;
  pages: number;
}
`
