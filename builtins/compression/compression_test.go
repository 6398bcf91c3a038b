package compression

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
)

var clock = time.Date(2024, 6, 14, 22, 30, 0, 0, time.UTC)

// newVM installs the module on a fresh runtime and points it at an execution.
func newVM(t testing.TB) *goja.Runtime {
	t.Helper()
	vm, _ := builtinstest.NewVM(t, &builtins.Exec{Now: clock}, Module)
	return vm
}

func TestModule(t *testing.T) { builtinstest.CheckModule(t, newVM(t), Module, functions) }

const sample = "héllo wörld 😀 — " // multi-byte UTF-8

func TestRoundTrip(t *testing.T) {
	vm := newVM(t)
	for _, text := range []string{"", "a", "hello", sample, strings.Repeat(sample, 1000), "\x00\x01 binary-ish but valid UTF-8"} {
		if err := vm.Set("text", text); err != nil {
			t.Fatal(err)
		}
		runCases(t, vm, []jsCase{
			{"Compression.gunzip(Compression.gzip(text)) === text", true},
			{"Compression.inflate(Compression.deflate(text)) === text", true},
		})
	}
	runCases(t, vm, []jsCase{
		// the output is base64 of the right container: gzip magic 1f 8b, zlib header 78 9c
		{`Compression.gzip("x").startsWith("H4sI")`, true},
		{`Compression.deflate("x").startsWith("eJ")`, true},
		{`Compression.gzip("a".repeat(100000)).length < 1000`, true},
		// unpadded and line-wrapped base64 is read too
		{`Compression.inflate("eJzLSM3JyQcABiwCFQ")`, "hello"},
		{`Compression.inflate("eJzLSM3J\r\nyQcABiwCFQ==")`, "hello"},
	})
}

// Streams made by the reference zlib library (Python's zlib.compress(b"hello") and
// gzip.compress(b"hello", mtime=0), both zlib 1.x underneath), so the formats interoperate.
func TestReferenceStreams(t *testing.T) {
	vm := newVM(t)
	runCases(t, vm, []jsCase{
		{`Compression.inflate("eJzLSM3JyQcABiwCFQ==")`, "hello"},
		{`Compression.gunzip("H4sIAAAAAAACA8tIzcnJBwCGphA2BQAAAA==")`, "hello"},
	})
	// two gzip members, concatenated (as `cat a.gz b.gz` makes): both are read
	var b bytes.Buffer
	for _, part := range []string{"hel", "lo"} {
		w := gzip.NewWriter(&b)
		_, _ = w.Write([]byte(part))
		_ = w.Close()
	}
	if err := vm.Set("two", base64.StdEncoding.EncodeToString(b.Bytes())); err != nil {
		t.Fatal(err)
	}
	runCases(t, vm, []jsCase{{"Compression.gunzip(two)", "hello"}})
}

func gz(t *testing.T, data []byte) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// TestGzipTool pipes Compression.gzip's output through the real gzip binary, and the binary's
// output through Compression.gunzip.
func TestGzipTool(t *testing.T) {
	tool, err := exec.LookPath("gzip")
	if err != nil {
		t.Skip("no gzip binary on PATH")
	}
	vm := newVM(t)
	text := strings.Repeat(sample, 50)
	if err := vm.Set("text", text); err != nil {
		t.Fatal(err)
	}
	b64 := builtinstest.Eval(t, vm, "Compression.gzip(text)").(string)
	compressed, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tool, "-d", "-c")
	cmd.Stdin = bytes.NewReader(compressed)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gzip -d: %v", err)
	}
	if string(out) != text {
		t.Errorf("gzip -d read %q, want %q", out, text)
	}

	cmd = exec.Command(tool, "-c", "-9")
	cmd.Stdin = strings.NewReader(text)
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("gzip -c: %v", err)
	}
	if err := vm.Set("fromTool", base64.StdEncoding.EncodeToString(out)); err != nil {
		t.Fatal(err)
	}
	runCases(t, vm, []jsCase{{"Compression.gunzip(fromTool) === text", true}})
}

// TestBomb: a few kB of compressed zeros that would expand past the limit are refused, while
// exactly the limit is allowed.
func TestBomb(t *testing.T) {
	vm := newVM(t)
	zeros := func(n int, zl bool) string {
		var b bytes.Buffer
		var w interface {
			Write([]byte) (int, error)
			Close() error
		}
		if zl {
			w = zlib.NewWriter(&b)
		} else {
			w = gzip.NewWriter(&b)
		}
		chunk := make([]byte, 1<<20)
		for n > 0 {
			k := min(n, len(chunk))
			_, _ = w.Write(chunk[:k])
			n -= k
		}
		_ = w.Close()
		return base64.StdEncoding.EncodeToString(b.Bytes())
	}
	big := zeros(MaxDecompressed+1, false)
	if len(big) > 100_000 {
		t.Fatalf("bomb is %d bytes", len(big))
	}
	for name, v := range map[string]string{
		"bigGzip": big, "bigZlib": zeros(MaxDecompressed+1, true), "limit": zeros(MaxDecompressed, false),
	} {
		if err := vm.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	runCases(t, vm, []jsCase{
		{"Compression.gunzip(bigGzip)", "RangeError: Compression.gunzip: the decompressed data is larger than the limit of 16777216 bytes (16 MiB)"},
		{"Compression.inflate(bigZlib)", "RangeError: Compression.inflate: the decompressed data is larger than the limit of 16777216 bytes (16 MiB)"},
		{"Compression.gunzip(limit).length", MaxDecompressed},
	})
}

func TestWrongArguments(t *testing.T) {
	vm := newVM(t)
	good := gz(t, []byte("hello"))
	raw, _ := base64.StdEncoding.DecodeString(good)
	corrupt := append([]byte(nil), raw...)
	corrupt[len(corrupt)-5] ^= 0xff // the CRC-32
	for name, v := range map[string]string{
		"corruptCRC": base64.StdEncoding.EncodeToString(corrupt),
		"truncated":  base64.StdEncoding.EncodeToString(raw[:len(raw)-6]),
		"binary":     gz(t, []byte{0xff, 0xfe, 0x00}),
	} {
		if err := vm.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	runCases(t, vm, []jsCase{
		{"Compression.gzip()", "TypeError: Compression.gzip: text is required (a string)"},
		{"Compression.gzip(42)", "TypeError: Compression.gzip: text must be a string, got 42"},
		{"Compression.deflate(null)", "TypeError: Compression.deflate: text must be a string, got null"},
		{"Compression.gunzip()", "TypeError: Compression.gunzip: base64 is required (a string)"},
		{"Compression.inflate([1])", "TypeError: Compression.inflate: base64 must be a string, got an array"},
		{"Compression.gunzip('not base64!')", "RangeError: Compression.gunzip: the argument is not valid base64 (illegal base64 data at input byte 3)"},
		{"Compression.gunzip('')", "RangeError: Compression.gunzip: the data is truncated or empty (EOF)"},
		{"Compression.inflate('')", "RangeError: Compression.inflate: the data is truncated or empty (unexpected EOF)"},
		{"Compression.gunzip('aGVsbG8gd29ybGQsIG5vdCBnemlw')", "RangeError: Compression.gunzip: the data is corrupt or not gzip data (gzip: invalid header)"},
		{"Compression.inflate('aGVsbG8=')", "RangeError: Compression.inflate: the data is corrupt or not zlib data (zlib: invalid header)"},
		{"Compression.gunzip(corruptCRC)", "RangeError: Compression.gunzip: the data is corrupt or not gzip data (gzip: invalid checksum)"},
		{"Compression.gunzip(truncated)", "RangeError: Compression.gunzip: the data is truncated or empty (unexpected EOF)"},
		{"Compression.gunzip(binary)", "RangeError: Compression.gunzip: the decompressed data is not UTF-8 text"},
		{"Compression.inflate(Compression.gzip('x'))", "RangeError: Compression.inflate: the data is corrupt or not zlib data (zlib: invalid header); it looks like gzip data: use Compression.gunzip"},
		{"Compression.gunzip(Compression.deflate('x'))", "RangeError: Compression.gunzip: the data is corrupt or not gzip data (gzip: invalid header); it looks like zlib data: use Compression.inflate"},
	})
}

type jsCase struct {
	expr string
	want any
}

func runCases(t *testing.T, vm *goja.Runtime, cases []jsCase) {
	t.Helper()
	for _, c := range cases {
		builtinstest.Check(t, vm, c.expr, c.want)
	}
}
