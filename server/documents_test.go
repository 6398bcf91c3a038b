package server_test

import (
	"strings"
	"testing"

	"github.com/kubusdev/kubus/builtins/documents"
)

// TestDocuments: GET /api/documents/{id} serves a stored document as an attachment with its type
// and its SHA-256 as the ETag, to keys with the documents scope.
func TestDocuments(t *testing.T) {
	d := newDataTestServer(t, nil, nil)
	tx := d.st.Begin()
	doc, err := documents.Save(tx, `offer "2026".html`, "text/html", []byte("<script>alert(1)</script>"), 0, dataNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	r := d.do("GET", "/api/documents/"+doc.ID, "nothing", nil).want(t, 200) // the "nothing" key has only documents
	for k, want := range map[string]string{
		"Content-Type":            "text/html",
		"Content-Disposition":     `attachment; filename="offer \"2026\".html"`,
		"ETag":                    `"` + doc.ID + `"`,
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "sandbox",
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if string(r.Body) != "<script>alert(1)</script>" {
		t.Errorf("body %q", r.Body)
	}
	d.do("GET", "/api/documents/"+doc.ID, "nothing", nil, "If-None-Match", `"`+doc.ID+`"`).want(t, 304)
	if p := d.do("GET", "/api/documents/"+strings.Repeat("0", 64), "nothing", nil).want(t, 404).problem(t); !strings.Contains(p.Detail, "no document") {
		t.Errorf("404: %+v", p)
	}
	d.do("GET", "/api/documents/"+doc.ID, "people", nil).want(t, 403)
	d.do("GET", "/api/documents/"+doc.ID, "", nil).want(t, 401)
}

// TestMailOutbox: GET /api/mail/outbox lists the outbox to admin keys, with state and limit checked.
func TestMailOutbox(t *testing.T) {
	d := newDataTestServer(t, nil, nil)
	if items := d.do("GET", "/api/mail/outbox", "admin", nil).want(t, 200).obj(t)["items"].([]any); len(items) != 0 {
		t.Errorf("items: %v", items)
	}
	d.do("GET", "/api/mail/outbox?state=lost", "admin", nil).want(t, 400)
	d.do("GET", "/api/mail/outbox?limit=0", "admin", nil).want(t, 400)
	d.do("GET", "/api/mail/outbox", "nothing", nil).want(t, 403)
}
