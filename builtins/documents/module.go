package documents

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/store"
)

// Module is the Documents module of rule code: save, get and list files in the execution's
// store transaction. MaxBytes caps one document (0: DefaultMaxBytes).
type Module struct{ MaxBytes int64 }

var (
	_ builtins.Described   = Module{}
	_ builtins.StoreBacked = Module{}
)

// Name is "Documents".
func (Module) Name() string { return "Documents" }

// StoreGlobals: documents are records of the execution's store.
func (Module) StoreGlobals() []string { return []string{"Documents"} }

const documentType = `/** A file kept in the store, content-addressed: its id is the SHA-256 of the content. */
interface KubusDocument {
  id: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  /** ISO 8601, UTC */
  createdAt: string;
  /** Documents.get only: the content */
  base64?: string;
  /** PDF.create only: the page count */
  pages?: number;
}
`

func (m Module) fns() []builtins.Fn {
	return []builtins.Fn{
		{Name: "get", Signature: "(id: string): KubusDocument | null",
			Doc:     "The document with its content as base64, or null when there is none.",
			Example: `Documents.get(Documents.save({name: "a.txt", contentType: "text/plain", text: "hi"}).id).base64 // "aGk="`,
			Impl:    m.get},
		{Name: "list", Signature: "(filter?: { name?: string; contentType?: string; limit?: number }): KubusDocument[]",
			Doc:     "The documents matching the filter (exact name and content type), newest first, without content; at most limit (default 100, at most 1000).",
			Example: `Documents.list({contentType: "text/csv"}).length // 0`,
			Impl:    m.list},
		{Name: "save", Signature: "(file: { name: string; contentType: string; base64?: string; text?: string }): KubusDocument",
			Doc:     "Saves a file (base64 or text content) in the execution's transaction: kept only if the execution commits; the same content is the same document.",
			Example: `Documents.save({name: "note.txt", contentType: "text/plain", text: "hello"}).size // 5`,
			Impl:    m.save},
	}
}

// Typings declares the Documents namespace and KubusDocument.
func (m Module) Typings() string {
	return documentType + builtins.NamespaceTypings("Documents", "Files in the store (needs a store): workflow uploads, generated PDFs, mail attachments.", m.fns(), nil)
}

// Reference lists Documents' functions.
func (m Module) Reference() []builtins.Entry { return builtins.ReferenceOf("Documents", m.fns(), nil) }

// Install defines the Documents namespace.
func (m Module) Install(h *builtins.Host) error {
	_, err := builtins.InstallNamespace(h, "Documents", m.fns(), nil)
	return err
}

const noStore = "no store is configured (engine.WithStore, or --store with the kubus command)"

// tx is the running execution's Tx; it throws naming fn without one.
func tx(h *builtins.Host, fn string) (*builtins.Exec, store.Tx) {
	e := h.MustExec(fn)
	if e.Tx == nil {
		h.Error(fn, "%s", noStore)
	}
	return e, e.Tx
}

func (m Module) maxBytes() int64 {
	if m.MaxBytes > 0 {
		return m.MaxBytes
	}
	return DefaultMaxBytes
}

func (m Module) save(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = "Documents.save"
	return func(call goja.FunctionCall) goja.Value {
		o := h.Object(call, 0, fn, "file")
		e, t := tx(h, fn)
		name := fieldString(h, fn, o, "name", 255)
		ct := fieldString(h, fn, o, "contentType", 255)
		if name == "" || strings.ContainsAny(name, "\r\n\x00/\\") {
			h.TypeError(fn, "file.name must be a file name without line breaks or slashes, got %q", builtins.Truncate(name, 80))
		}
		if !validType(ct) {
			h.TypeError(fn, "file.contentType must be a media type such as application/pdf, got %q", builtins.Truncate(ct, 80))
		}
		max := m.maxBytes()
		tooLarge := func() { h.RangeError(fn, "the document is larger than %d bytes (the documents' maxBytes)", max) }
		// Both are bounded before they are copied out of the runtime; base64 is 4/3 of the content.
		b64, hasB64, b64Long := builtins.BoundedString(o.Get("base64"), int(min(max/3*4+4, math.MaxInt32)))
		text, hasText, textLong := builtins.BoundedString(o.Get("text"), int(min(max, math.MaxInt32)))
		var content []byte
		switch {
		case hasB64 && hasText:
			h.TypeError(fn, "give the content as base64 or as text, not both")
		case b64Long, textLong:
			tooLarge()
		case hasB64:
			var err error
			if content, err = base64.StdEncoding.DecodeString(b64); err != nil {
				h.TypeError(fn, "file.base64 is not standard base64: %v", err)
			}
		case hasText:
			content = []byte(text)
		default:
			h.TypeError(fn, "file needs its content: base64 or text")
		}
		d, err := Save(t, name, ct, content, max, e.Now)
		if errors.Is(err, ErrTooLarge) {
			tooLarge()
		}
		if err != nil {
			panic(h.VM.NewGoError(fmt.Errorf("%s: %w", fn, err)))
		}
		return h.VM.ToValue(d.Plain())
	}
}

func (m Module) get(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = "Documents.get"
	return func(call goja.FunctionCall) goja.Value {
		id := h.String(call, 0, fn, "id")
		_, t := tx(h, fn)
		if !isID(id) {
			return goja.Null()
		}
		d, err := Get(t, id)
		if errors.Is(err, store.ErrNotFound) {
			return goja.Null()
		}
		if err != nil {
			panic(h.VM.NewGoError(fmt.Errorf("%s: %w", fn, err)))
		}
		p := d.Plain()
		p["base64"] = base64.StdEncoding.EncodeToString(d.Content)
		return h.VM.ToValue(p)
	}
}

func (m Module) list(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = "Documents.list"
	return func(call goja.FunctionCall) goja.Value {
		var f Filter
		if !builtins.IsMissing(call.Argument(0)) {
			o := h.Object(call, 0, fn, "filter")
			f.Name = fieldString(h, fn, o, "name", 255)
			f.ContentType = fieldString(h, fn, o, "contentType", 255)
			if v := o.Get("limit"); !builtins.IsMissing(v) {
				n, ok := builtins.NumberOf(v)
				if !ok || n < 1 || n > MaxList || n != float64(int(n)) {
					h.RangeError(fn, "filter.limit must be a whole number from 1 to %d, got %s", MaxList, builtins.Describe(v))
				}
				f.Limit = int(n)
			}
		}
		_, t := tx(h, fn)
		docs, err := List(t, f)
		if err != nil {
			panic(h.VM.NewGoError(fmt.Errorf("%s: %w", fn, err)))
		}
		out := make([]any, len(docs))
		for i, d := range docs {
			out[i] = d.Plain()
		}
		return h.VM.ToValue(out)
	}
}

// fieldString reads an optional string property of o ("" when missing), at most max bytes.
func fieldString(h *builtins.Host, fn string, o *goja.Object, key string, max int) string {
	v := o.Get(key)
	if builtins.IsMissing(v) {
		return ""
	}
	s, ok, tooLong := builtins.BoundedString(v, max)
	if !ok {
		h.TypeError(fn, "%s must be a string, got %s", key, builtins.Describe(v))
	}
	if tooLong {
		h.RangeError(fn, "%s is longer than %d bytes", key, max)
	}
	return s
}

// validType accepts type/subtype with token characters and optional parameters.
func validType(ct string) bool {
	main, _, _ := strings.Cut(ct, ";")
	typ, sub, ok := strings.Cut(strings.TrimSpace(main), "/")
	return ok && token(typ) && token(sub) && !strings.ContainsAny(ct, "\r\n")
}

func token(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("!#$&^_.+-", c)) {
			return false
		}
	}
	return true
}

// isID reports whether id can name a document: 64 lower-case hex digits.
func isID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
