package pdf

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
	"github.com/kubusdev/kubus/builtins/documents"
	"github.com/kubusdev/kubus/store"
	"github.com/kubusdev/kubus/store/storetest"
)

func newVM(t testing.TB, tx store.Tx, m Module) (*goja.Runtime, *builtins.Host) {
	t.Helper()
	return builtinstest.NewVM(t, &builtins.Exec{Now: clock, Tx: tx}, m)
}

func TestModuleReference(t *testing.T) {
	vm, _ := newVM(t, storetest.Begin(t), Module{})
	builtinstest.CheckModule(t, vm, Module{}, Module{}.fns())
	if got := (Module{}).StoreGlobals(); len(got) != 1 || got[0] != "PDF" {
		t.Errorf("StoreGlobals = %v", got)
	}
	typ := Module{}.Typings()
	for _, want := range []string{"interface PdfDefinition", "interface PdfDocument", "pages: number", "declare namespace PDF", "function create(definition: PdfDefinition): PdfDocument;"} {
		if !strings.Contains(typ, want) {
			t.Errorf("typings lack %q", want)
		}
	}
}

func TestCreateSavesDocument(t *testing.T) {
	tx := storetest.Begin(t)
	vm, _ := newVM(t, tx, Module{})
	v := builtinstest.Eval(t, vm, `PDF.create({name: "offer.pdf", info: {title: "Offer"},
		header: "ACME", footer: {text: "page {page} of {pages}", alignment: "center"},
		content: [{text: "Offer", style: "h1"}, "Dear applicant, € 1.467,05", {text: "Annex", pageBreak: "before"}, undefined && 1 || "x"],
		styles: {h1: {fontSize: 18, bold: true, color: undefined}}})`)
	doc, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("PDF.create = %v", v)
	}
	id, _ := doc["id"].(string)
	if doc["name"] != "offer.pdf" || doc["contentType"] != "application/pdf" || doc["pages"] != 2.0 || doc["sha256"] != id || len(id) != 64 {
		t.Fatalf("document = %v", doc)
	}
	saved, err := documents.Get(tx, id)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Name != "offer.pdf" || saved.ContentType != ContentType || float64(saved.Size) != doc["size"] || !strings.HasPrefix(string(saved.Content), "%PDF-") {
		t.Fatalf("saved = %+v", saved)
	}
	if want := "ACME\nOffer\nDear applicant, € 1.467,05\npage 1 of 2\nACME\nAnnex\nx\npage 2 of 2"; saved.Text != want {
		t.Errorf("kept text = %q, want %q", saved.Text, want)
	}
	if doc["createdAt"] != "2024-06-14T22:30:00Z" {
		t.Errorf("createdAt = %v", doc["createdAt"])
	}
	qpdfCheck(t, saved.Content)
	pages := text(t, saved.Content)
	if len(pages) != 2 || squash(pages[0]) != "ACME Offer Dear applicant, € 1.467,05 page 1 of 2" || squash(pages[1]) != "ACME Annex x page 2 of 2" {
		t.Errorf("text = %q", pages)
	}
	// The same definition at the same clock is the same document.
	again := builtinstest.Eval(t, vm, `PDF.create({content: ["same"]}).id === PDF.create({content: ["same"], name: "other.pdf"}).id`)
	if again != true {
		t.Errorf("the same definition gave another document")
	}
	if got := builtinstest.Eval(t, vm, `PDF.create({content: "single"}).name`); got != DefaultName {
		t.Errorf("default name = %v", got)
	}
}

func TestCreateErrors(t *testing.T) {
	vm, _ := newVM(t, storetest.Begin(t), Module{Limits: Limits{MaxPages: 3}})
	for _, c := range []struct{ expr, want string }{
		{`PDF.create()`, `TypeError: PDF.create: definition must be an object {content, …}, got undefined`},
		{`PDF.create("x")`, `TypeError: PDF.create: definition must be an object {content, …}, got "x"`},
		{`PDF.create([])`, `TypeError: PDF.create: definition must be an object {content, …}, got an array`},
		{`PDF.create(() => 1)`, `TypeError: PDF.create: definition must be an object {content, …}, got a function`},
		{`PDF.create({content: ["x", "y", "z", {table: {body: [["a", "b"], ["c", "d"], ["e", {text: "f", colspan: 2}]]}}]})`,
			`TypeError: PDF.create: content[3].table.body[2][1]: unknown key "colspan" (known keys: alignment, bold, color, fillColor, fontSize, italics, lineHeight, margin, marginBottom, marginLeft, marginRight, marginTop, pageBreak, style, text)`},
		{`PDF.create({content: ["a"], header: (p) => "page " + p})`, `TypeError: PDF.create: header: must be a plain value, got a function`},
		{`PDF.create({content: [{text: Symbol("s")}]})`, `TypeError: PDF.create: content[0].text: must be a plain value, got a symbol`},
		{`PDF.create({content: [{text: 10n}]})`, `TypeError: PDF.create: content[0].text: must be a number, got a bigint`},
		{`PDF.create({content: [new Date(0)]})`, `TypeError: PDF.create: content[0]: must be a plain value, got a Date`},
		{`PDF.create({content: [new Map()]})`, `TypeError: PDF.create: content[0]: must be a plain object, got a Map`},
		{`PDF.create({content: [{text: "a", fontSize: NaN}]})`, `TypeError: PDF.create: content[0].fontSize: must be a number from 1 to 500, got NaN`},
		{`PDF.create({content: ["a"], name: "../x.pdf"})`, `TypeError: PDF.create: name: must be a file name of 1 to 255 bytes without slashes or control characters, got "../x.pdf"`},
		{`PDF.create({content: ["a"], name: ""})`, `TypeError: PDF.create: name: must be a file name of 1 to 255 bytes without slashes or control characters, got ""`},
		{`PDF.create({content: [{text: "p", pageBreak: "after"}, {text: "p", pageBreak: "after"}, {text: "p", pageBreak: "after"}, "p"]})`, `RangeError: PDF.create: the document has more than 3 pages`},
		{`(() => { const o = {content: []}; o.content.push(o); return PDF.create(o) })()`, `RangeError: PDF.create: content[0].content[0].content[0]`},
		{`(() => { const a = ["x"]; a.length = 4e9; return PDF.create({content: a}) })()`, `RangeError: PDF.create: content: the definition has more than 200000 values`},
		{`PDF.create({content: [{image: "data:image/png;base64," + "A".repeat(11 * 1024 * 1024)}]})`, `RangeError: PDF.create: content[0].image: the data URL is 11534358 bytes, more than 10485760`},
		{`PDF.create({get content() { throw new Error("getter") }})`, `Error: getter`},
		{`PDF.create(new Proxy({}, {ownKeys() { throw new Error("trap") }}))`, `Error: trap`},
	} {
		t.Run(c.expr, func(t *testing.T) {
			got, _ := builtinstest.Eval(t, vm, c.expr).(string)
			if !strings.HasPrefix(got, c.want) {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestCreateNeedsStoreAndExecution(t *testing.T) {
	vm, h := newVM(t, nil, Module{})
	if got := builtinstest.Eval(t, vm, `PDF.create({content: ["a"]})`); got != "Error: PDF.create: "+noStore {
		t.Errorf("without a store: %v", got)
	}
	h.SetExec(nil)
	if got := builtinstest.Eval(t, vm, `PDF.create({content: ["a"]})`); !strings.HasPrefix(fmt.Sprint(got), "Error: PDF.create: no execution is running") {
		t.Errorf("outside an execution: %v", got)
	}
}

func TestCreateHonoursDeadline(t *testing.T) {
	tx := storetest.Begin(t)
	vm, _ := builtinstest.NewVM(t, &builtins.Exec{Now: clock, Tx: tx, Deadline: time.Now().Add(-time.Second)}, Module{})
	got := builtinstest.Eval(t, vm, `PDF.create({content: [{table: {body: Array.from({length: 3000}, (_, i) => [String(i), "row " + i])}}]})`)
	if got != "Error: PDF.create: "+ErrDeadline.Error() {
		t.Errorf("past the deadline: %v", got)
	}
}

func TestCreateOutputCap(t *testing.T) {
	vm, _ := newVM(t, storetest.Begin(t), Module{Limits: Limits{MaxBytes: 4000}})
	got := builtinstest.Eval(t, vm, `PDF.create({content: ["a"]})`)
	if got != "RangeError: PDF.create: the PDF is larger than 4000 bytes" {
		t.Errorf("got %v", got)
	}
}

// FuzzCreate feeds arbitrary JS values into a definition: PDF.create either renders or throws a
// TypeError or RangeError naming itself, never a Go panic.
func FuzzCreate(f *testing.F) {
	for k := range 24 {
		f.Add(uint8(k), uint8(k*7), 3.5, "a,b")
	}
	f.Fuzz(func(t *testing.T, kind, where uint8, num float64, str string) {
		vm, _ := newVM(t, storetest.Begin(t), Module{Limits: Limits{MaxPages: 5}})
		v := builtinstest.FuzzValue(t, vm, kind, num, str)
		vm.Set("v", v)
		exprs := []string{
			`{content: v}`, `{content: [v]}`, `{content: [{text: v}]}`, `{content: [{table: {body: [[v]]}}]}`,
			`{content: [{table: {body: v}}]}`, `{content: [{table: {widths: v, body: [["a"]]}}]}`, `{content: [{ul: v}]}`,
			`{content: [{image: v}]}`, `{content: [{qr: v}]}`, `{content: [{columns: v}]}`, `{content: ["a"], pageSize: v}`,
			`{content: ["a"], pageMargins: v}`, `{content: ["a"], header: v}`, `{content: ["a"], styles: {s: v}}`,
			`{content: [{text: "a", margin: v}]}`, `{content: [{text: "a", style: v}]}`, `{content: [{text: "a", fontSize: v}]}`,
		}
		fn := builtinstest.Func(t, vm, "PDF.create")
		def, err := vm.RunString("(" + exprs[int(where)%len(exprs)] + ")")
		if err != nil {
			t.Fatal(err)
		}
		res, err := fn(goja.Undefined(), def)
		builtinstest.CheckThrow(t, "PDF.create", res, err)
	})
}
