// Package documents keeps files in the store: content-addressed by their SHA-256, size-capped,
// written in the transaction of the execution (or workflow step) that made them, like every other
// record. Workflow uploads land here; the Documents module of rule code builds on it.
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

// Kind is the documents collection.
var Kind = store.Kind{Ruleset: "_documents", Entity: "Document"}

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
	Content     []byte    `json:"-"`
}

// ErrTooLarge refuses content over the cap.
var ErrTooLarge = errors.New("documents: the document is larger than the limit")

// Save buffers a document in tx. The same content saved again is the same document: the first
// one's name and type stay.
func Save(tx store.Tx, name, contentType string, content []byte, maxBytes int64, now time.Time) (*Document, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if int64(len(content)) > maxBytes {
		return nil, fmt.Errorf("%w (%d bytes, the limit is %d)", ErrTooLarge, len(content), maxBytes)
	}
	sum := sha256.Sum256(content)
	id := hex.EncodeToString(sum[:])
	if d, err := Get(tx, id); err == nil {
		d.Content = nil
		return d, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	d := &Document{ID: id, Name: name, ContentType: contentType, Size: int64(len(content)), SHA256: id, CreatedAt: now.UTC()}
	_, err := tx.Put(Kind, &store.Record{ID: id, Props: map[string]any{
		"name": d.Name, "contentType": d.ContentType, "size": d.Size, "sha256": id,
		"content": base64.StdEncoding.EncodeToString(content),
	}}, now)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Get reads a document with its content.
func Get(tx store.Tx, id string) (*Document, error) {
	rec, err := tx.Get(Kind, id)
	if err != nil {
		return nil, err
	}
	d := &Document{ID: rec.ID, CreatedAt: rec.CreatedAt}
	d.Name, _ = rec.Props["name"].(string)
	d.ContentType, _ = rec.Props["contentType"].(string)
	d.SHA256, _ = rec.Props["sha256"].(string)
	if n, ok := rec.Props["size"].(float64); ok {
		d.Size = int64(n)
	}
	if s, ok := rec.Props["content"].(string); ok {
		if d.Content, err = base64.StdEncoding.DecodeString(s); err != nil {
			return nil, fmt.Errorf("documents: %s: %w", id, err)
		}
	}
	return d, nil
}

// Plain is the document as rule code sees it (`upload` in a workflow's upload step).
func (d *Document) Plain() map[string]any {
	return map[string]any{"id": d.ID, "name": d.Name, "contentType": d.ContentType, "size": float64(d.Size), "sha256": d.SHA256}
}
