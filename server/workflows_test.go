package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

func newWorkflowServer(t *testing.T) *testServer {
	return newTestServer(t, []string{"testdata/intake", "../examples/travel-insurance"}, map[string][]string{
		"intake": {"workflows:intake"},
		"other":  {"workflows:someone-else", "execute:*"},
		"wf-ti":  {"workflows:travel-insurance"},
	}, nil)
}

// A workflow's key reads its OpenAPI document, with the schema of each task's answer; the
// workflows scope of a ruleset that is not a workflow reads nothing.
func TestWorkflowOpenAPIDocument(t *testing.T) {
	ts := newWorkflowServer(t)
	status, _, body := ts.do("GET", "/api/rulesets/intake/openapi.json", "intake", nil)
	if status != 200 {
		t.Fatalf("the workflow's key: %d %s", status, body)
	}
	var doc struct {
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if op := doc.Paths["/api/workflows/instances/{id}/tasks/Review"]["post"]; op == nil || op["x-kubus-step"] != "Review" {
		t.Errorf("no task operation for Review: %v", doc.Paths)
	}
	if answer := doc.Components.Schemas["intake.workflow.task.Review"]; fmt.Sprint(answer["required"]) != "[Approved]" || answer["additionalProperties"] != false {
		t.Errorf("the answer schema of Review: %v", answer)
	}
	if status, _, body := ts.do("GET", "/api/rulesets/travel-insurance/openapi.json", "wf-ti", nil); status != 403 {
		t.Errorf("workflows:travel-insurance reads a document that is not a workflow's: %d %s", status, body)
	}
	if status, _, _ := ts.do("GET", "/api/rulesets/travel-insurance/openapi.json", "other", nil); status != 200 {
		t.Errorf("execute:* reads travel-insurance's document: %d", status)
	}
	if status, _, _ := ts.do("GET", "/api/rulesets/intake/openapi.json", "other", nil); status != 200 {
		t.Errorf("execute:* reads intake's document: %d", status)
	}
}

func instanceOf(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || m["id"] == nil {
		t.Fatalf("not an instance: %s", body)
	}
	return m
}

// multipartBody is a body with one `file` part.
func multipartBody(t *testing.T, name, contentType string, content []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name="file"; filename=%q`, name)}
	h["Content-Type"] = []string{contentType}
	pw, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = pw.Write(content)
	_ = mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func TestWorkflowRoutes(t *testing.T) {
	ts := newWorkflowServer(t)
	// Bad input: every problem, nothing created.
	status, _, body := ts.do("POST", "/api/workflows/intake/instances", "intake", map[string]any{"input": map[string]any{"Applicant": 3}})
	if p := problemOf(t, body); status != 400 || p.Type != "urn:kubus:problem:invalid-input" {
		t.Fatalf("bad input: %d %s", status, body)
	}
	status, hdr, body := ts.do("POST", "/api/workflows/intake/instances", "intake", map[string]any{"input": map[string]any{"Applicant": "ann"}})
	if status != 201 {
		t.Fatalf("start: %d %s", status, body)
	}
	inst := instanceOf(t, body)
	id := inst["id"].(string)
	if hdr.Get("Location") != "/api/workflows/instances/"+id || hdr.Get("ETag") == "" || inst["status"] != "waiting" {
		t.Errorf("start: %v %s", hdr, body)
	}
	if _, ok := inst["tokens"]; ok {
		t.Error("bookkeeping in the answer")
	}
	etag := hdr.Get("ETag")
	if status, _, _ := ts.do("GET", "/api/workflows/instances/"+id, "intake", nil, "If-None-Match", etag); status != 304 {
		t.Errorf("If-None-Match: %d", status)
	}
	// Another workflow's key sees no such instance; a key of no workflow is refused at the name routes.
	if status, _, _ := ts.do("GET", "/api/workflows/instances/"+id, "other", nil); status != 404 {
		t.Errorf("other key: %d", status)
	}
	if status, _, _ := ts.do("GET", "/api/workflows/intake/instances", "other", nil); status != 403 {
		t.Errorf("other key lists: %d", status)
	}
	if status, _, body := ts.do("POST", "/api/workflows/travel-insurance/instances", "other", map[string]any{}); status != 403 {
		t.Errorf("not a workflow, no scope: %d %s", status, body)
	}
	// Answers: the wrong shape (400), a step it does not wait at (409), then the right one.
	status, _, body = ts.do("POST", "/api/workflows/instances/"+id+"/tasks/Review", "intake", map[string]any{"answer": map[string]any{"Approved": "yes", "Extra": 1}})
	if p := problemOf(t, body); status != 400 || len(p.Errors.([]any)) != 2 {
		t.Errorf("bad answer: %d %s", status, body)
	}
	if status, _, body := ts.do("POST", "/api/workflows/instances/"+id+"/tasks/Payslip", "intake", map[string]any{"answer": map[string]any{}}); status != 409 {
		t.Errorf("wrong step: %d %s", status, body)
	}
	if status, _, body := ts.do("GET", "/api/workflows/instances/"+id, "intake", nil, "If-None-Match", etag); status != 304 {
		t.Errorf("refused answers changed the instance: %d %s", status, body)
	}
	status, _, body = ts.do("POST", "/api/workflows/instances/"+id+"/tasks/Review", "intake", map[string]any{"answer": map[string]any{"Approved": true}})
	if inst := instanceOf(t, body); status != 200 || inst["waiting"].([]any)[0].(map[string]any)["step"] != "Payslip" {
		t.Fatalf("answer: %d %s", status, body)
	}
	// Uploads: not multipart (415), the wrong type (415), too large (413), then a PDF.
	up := "/api/workflows/instances/" + id + "/uploads/Payslip"
	if status, _, body := ts.do("POST", up, "intake", "{}"); status != 415 {
		t.Errorf("json upload: %d %s", status, body)
	}
	ct, mp := multipartBody(t, "a.png", "image/png", []byte("\x89PNG\r\n\x1a\n"))
	if status, _, body := ts.do("POST", up, "intake", mp, "Content-Type", ct); status != 415 {
		t.Errorf("png: %d %s", status, body)
	}
	ct, mp = multipartBody(t, "a.pdf", "application/pdf", append([]byte("%PDF-"), bytes.Repeat([]byte("x"), 2000)...))
	if status, _, body := ts.do("POST", up, "intake", mp, "Content-Type", ct); status != 413 {
		t.Errorf("large: %d %s", status, body)
	}
	ct, mp = multipartBody(t, "payslip.pdf", "application/pdf", []byte("%PDF-1.4 payslip"))
	status, _, body = ts.do("POST", up, "intake", mp, "Content-Type", ct)
	if inst := instanceOf(t, body); status != 200 || inst["status"] != "completed" {
		t.Fatalf("upload: %d %s", status, body)
	}
	status, _, body = ts.do("GET", "/api/workflows/instances/"+id+"/history", "intake", nil)
	var hist struct{ Items []map[string]any }
	_ = json.Unmarshal(body, &hist)
	if status != 200 || len(hist.Items) < 8 || hist.Items[0]["event"] != "started" {
		t.Errorf("history: %d %s", status, body)
	}
	status, hdr, body = ts.do("GET", "/api/workflows/intake/diagram.svg?instance="+id, "intake", nil)
	if status != 200 || hdr.Get("Content-Type") != "image/svg+xml" || !bytes.Contains(body, []byte("Payslip")) {
		t.Errorf("diagram: %d %v", status, hdr)
	}
	// Ended: cancel is 409.
	if status, _, _ := ts.do("POST", "/api/workflows/instances/"+id+"/cancel", "intake", nil); status != 409 {
		t.Errorf("cancel after the end: %d", status)
	}
	status, _, body = ts.do("GET", "/api/workflows/intake/instances?status=completed&limit=1", "intake", nil)
	var list struct {
		Items []map[string]any
		Next  any
	}
	_ = json.Unmarshal(body, &list)
	if status != 200 || len(list.Items) != 1 || list.Items[0]["id"] != id {
		t.Errorf("list: %d %s", status, body)
	}
	for _, bad := range []string{"?status=done", "?limit=0", "?cursor=abc"} {
		if status, _, _ := ts.do("GET", "/api/workflows/intake/instances"+bad, "intake", nil); status != 400 {
			t.Errorf("list %s: %d", bad, status)
		}
	}
	for _, p := range []string{"/api/workflows/instances/nope", "/api/workflows/instances/01234567-89ab-7def-8123-456789abcdef"} {
		if status, _, _ := ts.do("GET", p, "intake", nil); status != 404 {
			t.Errorf("%s: %d", p, status)
		}
	}
}

func TestWorkflowIncidentThroughAPI(t *testing.T) {
	ts := newWorkflowServer(t)
	_, _, body := ts.do("POST", "/api/workflows/intake/instances", "intake", map[string]any{"input": map[string]any{"Applicant": "flaky"}})
	id := instanceOf(t, body)["id"].(string)
	ts.do("POST", "/api/workflows/instances/"+id+"/tasks/Review", "intake", map[string]any{"answer": map[string]any{"Approved": true}})
	ct, mp := multipartBody(t, "p.pdf", "application/pdf", []byte("%PDF-1.7"))
	_, _, body = ts.do("POST", "/api/workflows/instances/"+id+"/uploads/Payslip", "intake", mp, "Content-Type", ct)
	inst := instanceOf(t, body)
	if inst["status"] != "failed" || inst["error"].(map[string]any)["step"] != "Check" {
		t.Fatalf("incident: %s", body)
	}
	status, _, body := ts.do("POST", "/api/workflows/instances/"+id+"/retry", "intake", nil)
	if status != 200 || instanceOf(t, body)["status"] != "failed" {
		t.Errorf("retry (fails again): %d %s", status, body)
	}
	status, _, body = ts.do("POST", "/api/workflows/instances/"+id+"/cancel", "intake", nil)
	if status != 200 || instanceOf(t, body)["status"] != "canceled" {
		t.Errorf("cancel: %d %s", status, body)
	}
	if status, _, _ := ts.do("POST", "/api/workflows/instances/"+id+"/retry", "intake", nil); status != 409 {
		t.Errorf("retry after cancel: %d", status)
	}
}

// TestUploadRefusedWhileStreaming sends a body far larger than the step takes through a pipe: the
// server answers 413 having read little more than the step's cap.
func TestUploadRefusedWhileStreaming(t *testing.T) {
	ts := newWorkflowServer(t)
	_, _, body := ts.do("POST", "/api/workflows/intake/instances", "intake", map[string]any{"input": map[string]any{"Applicant": "ann"}})
	id := instanceOf(t, body)["id"].(string)
	ts.do("POST", "/api/workflows/instances/"+id+"/tasks/Review", "intake", map[string]any{"answer": map[string]any{"Approved": true}})
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	written := make(chan int64, 1)
	go func() {
		part, _ := mw.CreatePart(map[string][]string{"Content-Disposition": {`form-data; name="file"; filename="big.pdf"`}, "Content-Type": {"application/pdf"}})
		var n int64
		chunk := bytes.Repeat([]byte("%PDF-"), 1<<12)
		for n < 512<<20 {
			k, err := part.Write(chunk)
			n += int64(k)
			if err != nil {
				break
			}
		}
		written <- n
		pw.CloseWithError(io.ErrClosedPipe)
	}()
	req, _ := http.NewRequest("POST", ts.http.URL+"/api/workflows/instances/"+id+"/uploads/Payslip", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+ts.keys["intake"])
	resp, err := ts.http.Client().Do(req)
	if err == nil {
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 413 || !strings.Contains(string(b), "at most 1024 bytes") {
			t.Errorf("streaming upload: %d %s", resp.StatusCode, b)
		}
	}
	_ = pr.CloseWithError(io.ErrClosedPipe)
	if n := <-written; n >= 512<<20 {
		t.Errorf("the server read the whole %d-byte body", n)
	}
}
