package pdf

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clock is the execution clock of the tests: the documents' creation date.
var clock = time.Date(2024, 6, 14, 22, 30, 0, 0, time.UTC)

// def parses a definition written as JSON into the plain values Render takes.
func def(t testing.TB, src string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(src), &v); err != nil {
		t.Fatalf("bad test definition: %v\n%s", err, src)
	}
	return v
}

// render renders a definition that must render.
func render(t testing.TB, d any) ([]byte, int) {
	t.Helper()
	b, n, err := Render(d, clock)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if !strings.HasPrefix(string(b), "%PDF-") {
		t.Fatalf("Render gave no PDF: %q", b[:min(len(b), 20)])
	}
	return b, n
}

// renderErr renders a definition that must fail with an *Error.
func renderErr(t testing.TB, lim Limits, d any) *Error {
	t.Helper()
	_, _, err := lim.Render(d, clock, nil)
	var de *Error
	if !errors.As(err, &de) {
		t.Fatalf("Render error = %v, want an *Error", err)
	}
	return de
}

// tool finds a PDF tool. Without it the test is skipped, unless KUBUS_REQUIRE_PDFTOOLS=1 (CI),
// where it fails.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("KUBUS_REQUIRE_PDFTOOLS") == "1" {
			t.Fatalf("%s is not installed (poppler-utils, qpdf) and KUBUS_REQUIRE_PDFTOOLS=1", name)
		}
		t.Skipf("%s is not installed (apt-get install poppler-utils qpdf); KUBUS_REQUIRE_PDFTOOLS=1 makes this a failure", name)
	}
	return p
}

// writePDF writes a PDF to the test's temp folder.
func writePDF(t testing.TB, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runTool(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(tool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// text is pdftotext -layout of a PDF, one string per page.
func text(t testing.TB, b []byte) []string {
	t.Helper()
	out := runTool(t, "pdftotext", "-layout", "-enc", "UTF-8", writePDF(t, b), "-")
	pages := strings.Split(out, "\f")
	if len(pages) > 0 && strings.TrimSpace(pages[len(pages)-1]) == "" {
		pages = pages[:len(pages)-1]
	}
	return pages
}

// qpdfCheck runs qpdf --check on a PDF.
func qpdfCheck(t testing.TB, b []byte) {
	t.Helper()
	out := runTool(t, "qpdf", "--check", writePDF(t, b))
	if !strings.Contains(out, "No syntax or stream encoding errors found") {
		t.Fatalf("qpdf --check:\n%s", out)
	}
}

// pdfinfo is pdfinfo's report of a PDF.
func pdfinfo(t testing.TB, b []byte) string {
	t.Helper()
	return runTool(t, "pdfinfo", writePDF(t, b))
}

// renderPage renders one page to PNG at 50 dpi with pdftoppm and returns the PNG's bytes.
func renderPage(t testing.TB, b []byte, page int) []byte {
	t.Helper()
	return renderPageAt(t, b, page, 50)
}

// renderPageAt renders one page to PNG at dpi.
func renderPageAt(t testing.TB, b []byte, page, dpi int) []byte {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	p := itoa(page)
	runTool(t, "pdftoppm", "-png", "-r", itoa(dpi), "-f", p, "-l", p, "-singlefile", in, filepath.Join(dir, "page"))
	png, err := os.ReadFile(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	return png
}

func itoa(i int) string { return strconv.Itoa(i) }

// squash collapses runs of spaces, so layout text can be matched without its column padding.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }
