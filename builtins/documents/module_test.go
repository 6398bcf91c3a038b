package documents_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
	"github.com/kubusdev/kubus/builtins/documents"
	"github.com/kubusdev/kubus/store/storetest"
)

func TestModule(t *testing.T) {
	s := storetest.Open(t)
	tx := s.Begin()
	defer tx.Discard()
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	exec := &builtins.Exec{Context: context.Background(), Serial: 1, Tx: tx, Store: s, Now: now}
	m := documents.Module{MaxBytes: 64}
	vm, _ := builtinstest.NewVM(t, exec, m)
	var fns []builtins.Fn
	for _, e := range m.Reference() {
		fns = append(fns, builtins.Fn{Name: strings.TrimPrefix(e.Qualified, "Documents."), Signature: e.Signature, Doc: e.Doc, Example: e.Example})
	}
	builtinstest.CheckModule(t, vm, m, fns)

	for _, c := range []struct{ expr, want string }{
		{`(d => [d.id, d.name, d.contentType, d.size, d.sha256 === d.id, d.createdAt].join())(Documents.save({name: "k.txt", contentType: "text/plain", text: "hello kubus"}))`,
			`561dff4fc0a981ac7b56b0425e37d62aa3bff19e3cb1cc30b098f8b641cf92f2,k.txt,text/plain,11,true,2026-06-01T10:00:00Z`},
		// the same content is the same document: the first name stays
		{`Documents.save({name: "b.txt", contentType: "text/plain", base64: "aGVsbG8ga3VidXM="}).name`, `k.txt`},
		{`Documents.get("561dff4fc0a981ac7b56b0425e37d62aa3bff19e3cb1cc30b098f8b641cf92f2").base64`, `aGVsbG8ga3VidXM=`},
		{`Documents.get("0000000000000000000000000000000000000000000000000000000000000000")`, `<nil>`},
		{`Documents.get("../../etc/passwd")`, `<nil>`},
		{`Documents.list().map(d => d.name + " " + d.size + " " + (d.base64 === undefined)).join()`, `note.txt 5 true,k.txt 11 true,a.txt 2 true`},
		{`Documents.list({name: "a.txt", limit: 1}).length`, `1`},
		{`Documents.list({limit: 2}).length`, `2`},
		{`Documents.list({contentType: "application/pdf"}).length`, `0`},
		{`Documents.save({name: "big", contentType: "text/plain", text: "x".repeat(65)})`, `RangeError: Documents.save: the document is larger than 64 bytes (the documents' maxBytes)`},
		{`Documents.save({name: "big", contentType: "text/plain", base64: "A".repeat(1e6)})`, `RangeError: Documents.save: the document is larger than 64 bytes (the documents' maxBytes)`},
		{`Documents.save({name: "x", contentType: "text/plain"})`, `TypeError: Documents.save: file needs its content: base64 or text`},
		{`Documents.save({name: "x", contentType: "text/plain", base64: "%%%"})`, `TypeError: Documents.save: file.base64 is not standard base64: illegal base64 data at input byte 0`},
		{`Documents.save({name: "a\nb", contentType: "text/plain", text: ""})`, `TypeError: Documents.save: file.name must be a file name without line breaks or slashes, got "a\nb"`},
		{`Documents.save({name: "a", contentType: "text/plain\r\nX-Evil: 1", text: ""})`, `TypeError: Documents.save: file.contentType must be a media type such as application/pdf, got "text/plain\r\nX-Evil: 1"`},
		{`Documents.list({limit: 5000})`, `RangeError: Documents.list: filter.limit must be a whole number from 1 to 1000, got 5000`},
	} {
		if got := builtinstest.Eval(t, vm, c.expr); got == nil && c.want != "<nil>" || got != nil && toString(got) != c.want {
			t.Errorf("%s\n got %v\nwant %s", c.expr, got, c.want)
		}
	}
	// Kept only when the execution commits.
	tx.Discard()
	tx2 := s.Begin()
	defer tx2.Discard()
	if docs, err := documents.List(tx2, documents.Filter{}); err != nil || len(docs) != 0 {
		t.Errorf("after a discard: %v %v", docs, err)
	}
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return itoa(x)
	}
	return "?"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
