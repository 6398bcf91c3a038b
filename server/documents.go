package server

import (
	"errors"
	"mime"
	"net/http"
	"strconv"

	"github.com/kubusdev/kubus/builtins/documents"
	"github.com/kubusdev/kubus/store"
)

// documentRoutes serve the store's documents (scope documents): uploads, generated PDFs.
func (s *Server) documentRoutes() []*route {
	return []*route{
		{Method: "GET", Pattern: "/api/documents/{id}", Access: []string{"documents"}, Tag: "documents",
			Summary: "A document's content, with its type, Content-Disposition and ETag (its SHA-256); If-None-Match answers 304",
			Status:  []int{http.StatusOK, 304, 404, 401, 403}, handle: s.getDocument},
	}
}

func (s *Server) getDocument(c *call) {
	id := c.r.PathValue("id")
	etag := `"` + id + `"`
	tx := s.st.Begin()
	defer tx.Discard()
	d, err := documents.Describe(tx, id)
	if err == nil && notModified(c.r, etag) {
		writeNotModified(c.w, etag)
		return
	}
	if err == nil {
		d, err = documents.Get(tx, id)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.problem(newProblem("not-found", "there is no document %s", truncate(id, 80)))
		return
	case err != nil:
		c.problem(newProblem("internal", "reading document %s: %v", truncate(id, 80), err))
		return
	}
	h := c.w.Header()
	h.Set("Content-Type", d.ContentType)
	// An attachment, never rendered in the browser's origin: an uploaded HTML file cannot script the API.
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("ETag", etag)
	h.Set("Content-Length", strconv.FormatInt(int64(len(d.Content)), 10))
	c.w.WriteHeader(http.StatusOK)
	if c.r.Method != http.MethodHead {
		_, _ = c.w.Write(d.Content)
	}
}
