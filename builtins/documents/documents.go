// Package documents keeps files in the store: content-addressed by their SHA-256, size-capped,
// written in the transaction of the execution (or workflow step) that made them, like every other
// record. Workflow uploads, generated PDFs and mail attachments are Documents; the Documents module
// gives rule code save, get and list, and the server serves them at /api/documents/{id}.
//
// A document is two records under one id: its description (Kind), which lists read, and its
// content (ContentKind), which only Get reads, so listing a thousand documents never loads them.
package documents

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/kubusdev/kubus/store"
)

// Kind holds the descriptions, ContentKind the contents, both under the document's id.
var (
	Kind        = store.Kind{Ruleset: "_documents", Entity: "Document"}
	ContentKind = store.Kind{Ruleset: "_documents", Entity: "Content"}
)

// DefaultMaxBytes caps a document when nothing else does.
const DefaultMaxBytes = 10 << 20

// Document describes a stored file; Content is only filled by Get.
type Document struct {
	ID          string    `json:"id"` // the SHA-256 of the content, in hex
	Name        string    `json:"name"`
	ContentType string    `json:"contentType"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	CreatedAt   time.Time `json:"createdAt"`
	// Text is what a generated document says, in order (PDF.create keeps the text it laid out), so
	// a testcase can check it without a PDF reader; "" for others. Only Get fills it.
	Text    string `json:"-"`
	Content []byte `json:"-"`
}

// MaxText bounds a document's kept Text.
const MaxText = 256 << 10

// ErrTooLarge refuses content over the cap.
var ErrTooLarge = errors.New("documents: the document is larger than the limit")

// Save buffers a document in tx. The same content saved again is the same document: the first
// one's name and type stay.
func Save(tx store.Tx, name, contentType string, content []byte, maxBytes int64, now time.Time) (*Document, error) {
	return SaveWithText(tx, name, contentType, content, "", maxBytes, now)
}

// SaveWithText is Save for a generated document that keeps its text (cut at MaxText).
func SaveWithText(tx store.Tx, name, contentType string, content []byte, text string, maxBytes int64, now time.Time) (*Document, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if int64(len(content)) > maxBytes {
		return nil, fmt.Errorf("%w (%d bytes, the limit is %d)", ErrTooLarge, len(content), maxBytes)
	}
	sum := sha256.Sum256(content)
	id := hex.EncodeToString(sum[:])
	if d, err := Describe(tx, id); err == nil {
		return d, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if len(text) > MaxText {
		text = text[:MaxText]
	}
	d := &Document{ID: id, Name: name, ContentType: contentType, Size: int64(len(content)), SHA256: id, CreatedAt: now.UTC(), Text: text}
	// The text goes with the content, not the description: a list stays small.
	if _, err := tx.Put(ContentKind, &store.Record{ID: id, Props: map[string]any{"base64": base64.StdEncoding.EncodeToString(content), "text": text}}, now); err != nil {
		return nil, err
	}
	if _, err := tx.Put(Kind, &store.Record{ID: id, Props: map[string]any{
		"name": d.Name, "contentType": d.ContentType, "size": d.Size, "createdAt": d.CreatedAt.Format(time.RFC3339Nano),
	}}, now); err != nil {
		return nil, err
	}
	return d, nil
}

// Describe reads a document without its content.
func Describe(tx store.Tx, id string) (*Document, error) {
	rec, err := tx.Get(Kind, id)
	if err != nil {
		return nil, err
	}
	return fromRecord(rec), nil
}

// Get reads a document with its content.
func Get(tx store.Tx, id string) (*Document, error) {
	d, err := Describe(tx, id)
	if err != nil {
		return nil, err
	}
	rec, err := tx.Get(ContentKind, id)
	if err != nil {
		return nil, fmt.Errorf("documents: %s: the content: %w", id, err)
	}
	d.Text, _ = rec.Props["text"].(string)
	s, _ := rec.Props["base64"].(string)
	if d.Content, err = base64.StdEncoding.DecodeString(s); err != nil {
		return nil, fmt.Errorf("documents: %s: %w", id, err)
	}
	return d, nil
}

// Filter selects documents for List.
type Filter struct {
	Name, ContentType string // exact; "" for any
	Limit             int    // 0: 100; at most MaxList
}

// MaxList bounds one List.
const MaxList = 1000

// List describes the documents that match f, newest first.
func List(tx store.Tx, f Filter) ([]*Document, error) {
	q := store.Query{Filter: map[string]any{}, Sort: []string{"-createdAt"}, Limit: f.Limit}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, MaxList)
	if f.Name != "" {
		q.Filter["name"] = f.Name
	}
	if f.ContentType != "" {
		q.Filter["contentType"] = f.ContentType
	}
	recs, err := tx.Find(Kind, q)
	if err != nil {
		return nil, err
	}
	out := make([]*Document, len(recs))
	for i, r := range recs {
		out[i] = fromRecord(r)
	}
	return out, nil
}

func fromRecord(rec *store.Record) *Document {
	d := &Document{ID: rec.ID, SHA256: rec.ID, CreatedAt: rec.CreatedAt} // the id is the SHA-256
	d.Name, _ = rec.Props["name"].(string)
	d.ContentType, _ = rec.Props["contentType"].(string)
	if n, ok := rec.Props["size"].(float64); ok {
		d.Size = int64(n)
	}
	return d
}

// Plain is the document as rule code sees it (`upload` in a workflow's upload step, what
// Documents.save and PDF.create answer).
func (d *Document) Plain() map[string]any {
	return map[string]any{"id": d.ID, "name": d.Name, "contentType": d.ContentType, "size": float64(d.Size), "sha256": d.SHA256,
		"createdAt": d.CreatedAt.UTC().Format(time.RFC3339)}
}
