package kubustest

import (
	"strings"

	"github.com/kubusdev/kubus/builtins/documents"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/kubusdev/kubus/store"
)

// savedDocuments are the documents in the testcase's store after it ran, with their text: a text
// document's content, a generated PDF's laid-out text.
func savedDocuments(s store.Store) []rulesets.ActualDocument {
	if s == nil {
		return nil
	}
	tx := s.Begin()
	defer tx.Discard()
	docs, err := documents.List(tx, documents.Filter{Limit: documents.MaxList})
	if err != nil {
		return nil
	}
	out := make([]rulesets.ActualDocument, 0, len(docs))
	for _, d := range docs {
		a := rulesets.ActualDocument{Name: d.Name, ContentType: d.ContentType}
		if full, err := documents.Get(tx, d.ID); err == nil {
			a.Text = full.Text
			if a.Text == "" && strings.HasPrefix(d.ContentType, "text/") {
				a.Text = string(full.Content)
			}
		}
		out = append(out, a)
	}
	return out
}
