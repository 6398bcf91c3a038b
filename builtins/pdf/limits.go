package pdf

import (
	"errors"
	"fmt"

	"github.com/kubusdev/kubus/builtins/documents"
)

// Limits bound what one definition may cost. Rule code is not trusted: every limit is checked
// before the work or the allocation it bounds (an image's pixel size is read from its header,
// a data URL's length before it is decoded, a table's rows before they are laid out), and the
// execution's deadline is checked between pages, rows and lines. A zero field takes its default.
type Limits struct {
	// MaxPages bounds the pages of a document (default 200). A table that would run past it ends
	// as a "more than N pages" error as soon as page N+1 is needed.
	MaxPages int
	// MaxTableRows bounds the rows of one table (default 10,000).
	MaxTableRows int
	// MaxColumns bounds the columns of one table or columns node (default 100).
	MaxColumns int
	// MaxDepth bounds the nesting of content nodes: a stack in a table cell in a list item... (default 20).
	MaxDepth int
	// MaxTextBytes bounds all the text of a document together: paragraphs, runs, cells, list
	// items, header, footer, info and QR codes, in UTF-8 bytes (default 1 MiB).
	MaxTextBytes int
	// MaxImages bounds the distinct images of a document (default 50).
	MaxImages int
	// MaxImagePixels bounds one image's width × height, read from its header before it is
	// decoded (default 25,000,000).
	MaxImagePixels int
	// MaxImageBytes bounds one image's data URL, checked before it is decoded (default 10 MiB).
	MaxImageBytes int
	// MaxQRCodes bounds the QR codes of a document (default 100).
	MaxQRCodes int
	// MaxNodes bounds the values of the definition (objects, arrays, strings, numbers) as the
	// module reads them from JavaScript (default 200,000).
	MaxNodes int
	// MaxDefinitionBytes bounds the strings of the definition together as the module reads them
	// from JavaScript, images included (default 32 MiB).
	MaxDefinitionBytes int
	// MaxOps bounds the drawing operations (text pieces, lines, fills, QR modules) of a document
	// (default 500,000).
	MaxOps int
	// MaxBytes bounds the PDF itself (default documents.DefaultMaxBytes, 10 MiB).
	MaxBytes int64
}

// DefaultLimits are the limits a zero Limits field takes.
var DefaultLimits = Limits{
	MaxPages:           200,
	MaxTableRows:       10_000,
	MaxColumns:         100,
	MaxDepth:           20,
	MaxTextBytes:       1 << 20,
	MaxImages:          50,
	MaxImagePixels:     25_000_000,
	MaxImageBytes:      10 << 20,
	MaxQRCodes:         100,
	MaxNodes:           200_000,
	MaxDefinitionBytes: 32 << 20,
	MaxOps:             500_000,
	MaxBytes:           documents.DefaultMaxBytes,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.MaxPages, d.MaxPages)
	set(&l.MaxTableRows, d.MaxTableRows)
	set(&l.MaxColumns, d.MaxColumns)
	set(&l.MaxDepth, d.MaxDepth)
	set(&l.MaxTextBytes, d.MaxTextBytes)
	set(&l.MaxImages, d.MaxImages)
	set(&l.MaxImagePixels, d.MaxImagePixels)
	set(&l.MaxImageBytes, d.MaxImageBytes)
	set(&l.MaxQRCodes, d.MaxQRCodes)
	set(&l.MaxNodes, d.MaxNodes)
	set(&l.MaxDefinitionBytes, d.MaxDefinitionBytes)
	set(&l.MaxOps, d.MaxOps)
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	return l
}

// Error is a definition that cannot be rendered: a wrong key or type (Limit false: rule code
// sees a TypeError) or a limit it exceeds (Limit true: a RangeError). Path names the value in
// the definition, as JavaScript would write it: "content[3].table.body[2][1]".
type Error struct {
	Path  string
	Msg   string
	Limit bool
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// ErrDeadline is returned when the execution's deadline passes (or its context ends) while a
// document is being rendered.
var ErrDeadline = errors.New("the execution's deadline passed while the PDF was being rendered")

func typeErr(path, format string, args ...any) *Error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}

func limitErr(path, format string, args ...any) *Error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...), Limit: true}
}
