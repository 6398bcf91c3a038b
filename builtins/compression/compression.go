// Package compression is the "Compression" module: gzip and zlib (deflate) compression of text,
// with the compressed bytes carried as base64 strings. See /shared/design/builtins.md for the
// contract.
//
// Formats: gzip/gunzip use the gzip file format (RFC 1952: what the gzip tool and Node's
// zlib.gzipSync produce; gunzip also reads concatenated members). deflate/inflate use the zlib
// format (RFC 1950: a DEFLATE stream with a 2-byte header and an Adler-32 checksum, which is what
// Node's zlib.deflateSync and most "deflate" APIs produce) — not raw DEFLATE. Text is compressed as
// its UTF-8 bytes, and a decompressed result must be UTF-8 text.
//
// Decompression is bounded: more than MaxDecompressed bytes of output is refused with a RangeError,
// so a small "zip bomb" cannot exhaust the host's memory.
package compression

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

const namespace = "Compression"

// Module installs the Compression namespace.
var Module = builtins.Namespace{
	Global: namespace,
	Doc:    "gzip and zlib compression of text; compressed data is a base64 string (module \"Compression\"). Decompressing more than 16 MiB throws a RangeError.",
	Fns:    functions,
}

// MaxDecompressed bounds the output of gunzip and inflate (16 MiB).
const MaxDecompressed = 16 << 20

var functions = []builtins.Fn{
	{
		Name:      "gzip",
		Signature: "(text: string): string",
		Doc:       "gzip-compresses text's UTF-8 bytes (RFC 1952, readable by the gzip tool and Node's zlib.gunzipSync) and returns them as standard base64.",
		Example:   `Compression.gunzip(Compression.gzip("hello")) // "hello"`,
		Impl:      compressor("gzip", func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) }),
	},
	{
		Name:      "gunzip",
		Signature: "(base64: string): string",
		Doc:       "Decompresses base64-encoded gzip data (concatenated members too) to UTF-8 text; a RangeError for corrupt data, output that is not UTF-8 text or more than 16 MiB of output.",
		Example:   `Compression.gunzip("H4sIAAAAAAACA8tIzcnJBwCGphA2BQAAAA==") // "hello"`,
		Impl:      decompressor("gunzip", func(r io.Reader) (io.ReadCloser, error) { return gzip.NewReader(r) }),
	},
	{
		Name:      "deflate",
		Signature: "(text: string): string",
		Doc:       "zlib-compresses text's UTF-8 bytes (RFC 1950 zlib format, as Node's zlib.deflateSync; not raw DEFLATE) and returns them as standard base64.",
		Example:   `Compression.deflate("hello") // "eJzKSM3JyQcEAAD//wYsAhU="`,
		Impl:      compressor("deflate", func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) }),
	},
	{
		Name:      "inflate",
		Signature: "(base64: string): string",
		Doc:       "Decompresses base64-encoded zlib data (RFC 1950, what deflate and Node's zlib.deflateSync produce) to UTF-8 text; a RangeError for corrupt data, output that is not UTF-8 text or more than 16 MiB of output.",
		Example:   `Compression.inflate("eJzLSM3JyQcABiwCFQ==") // "hello"`,
		Impl:      decompressor("inflate", func(r io.Reader) (io.ReadCloser, error) { return zlib.NewReader(r) }),
	},
}

func compressor(name string, newWriter func(io.Writer) io.WriteCloser) func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	fn := namespace + "." + name
	return func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			text := h.String(call, 0, fn, "text")
			var buf bytes.Buffer
			w := newWriter(&buf)
			// Writes to a bytes.Buffer cannot fail.
			_, _ = io.WriteString(w, text)
			_ = w.Close()
			return h.VM.ToValue(base64.StdEncoding.EncodeToString(buf.Bytes()))
		}
	}
}

func decompressor(name string, newReader func(io.Reader) (io.ReadCloser, error)) func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	fn := namespace + "." + name
	return func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			data, err := decodeBase64(h.String(call, 0, fn, "base64"))
			if err != nil {
				h.RangeError(fn, "the argument is not valid base64 (%v)", err)
			}
			out, err := decompress(data, newReader)
			if err != nil {
				h.RangeError(fn, "%v", hint(name, data, err))
			}
			if !utf8.Valid(out) {
				h.RangeError(fn, "the decompressed data is not UTF-8 text")
			}
			return h.VM.ToValue(string(out))
		}
	}
}

var errTooLarge = fmt.Errorf("the decompressed data is larger than the limit of %d bytes (16 MiB)", MaxDecompressed)

// decompress reads at most MaxDecompressed bytes of output.
func decompress(data []byte, newReader func(io.Reader) (io.ReadCloser, error)) ([]byte, error) {
	r, err := newReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(r, MaxDecompressed+1))
	if err != nil {
		return nil, err
	}
	if len(out) > MaxDecompressed {
		return nil, errTooLarge
	}
	if err := r.Close(); err != nil {
		return nil, err
	}
	return out, nil
}

// hint turns a decompression error into a message, pointing at the other function when the data
// is evidently of the other format.
func hint(name string, data []byte, err error) string {
	if errors.Is(err, errTooLarge) {
		return err.Error()
	}
	msg := "the data is corrupt or not " + map[string]string{"gunzip": "gzip", "inflate": "zlib"}[name] + " data (" + err.Error() + ")"
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		msg = "the data is truncated or empty (" + err.Error() + ")"
	case name == "inflate" && len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b:
		msg += "; it looks like gzip data: use Compression.gunzip"
	case name == "gunzip" && len(data) >= 2 && data[0]&0x0f == 8 && (uint16(data[0])<<8|uint16(data[1]))%31 == 0:
		msg += "; it looks like zlib data: use Compression.inflate"
	}
	return msg
}

// decodeBase64 decodes standard base64, padded or not; line breaks are ignored.
func decodeBase64(s string) ([]byte, error) {
	s = strings.NewReplacer("\r", "", "\n", "").Replace(s)
	if strings.HasSuffix(s, "=") || len(s)%4 == 0 {
		return base64.StdEncoding.Strict().DecodeString(s)
	}
	return base64.RawStdEncoding.Strict().DecodeString(s)
}
