package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/kubusdev/kubus/store"
)

// The key routes (scope admin): while a server runs it holds the store, so keys are managed here.

func (s *Server) listKeys(c *call) {
	keys := s.keys.list()
	out := make([]keyView, len(keys))
	for i, k := range keys {
		out[i] = viewKey(k)
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"keys": out})
}

type createKeyRequest struct {
	Name    string   `json:"name"`
	Scopes  []string `json:"scopes"`
	Expires string   `json:"expires"`
}

func (s *Server) createKey(c *call) {
	var req createKeyRequest
	if p := decodeJSON(c.r, &req); p != nil {
		c.problem(p)
		return
	}
	var expires time.Time
	if req.Expires != "" {
		var err error
		if expires, err = ParseExpiry(req.Expires); err != nil {
			c.problem(newProblem("invalid-request", "expires: %v", err))
			return
		}
	}
	k, secret, err := NewKey(req.Name, req.Scopes, expires, s.cfg.Now())
	if err != nil {
		c.problem(newProblem("invalid-request", "%v", err))
		return
	}
	if err := s.st.PutKey(k); err != nil {
		c.problem(newProblem("internal", "storing the key: %v", err))
		return
	}
	if err := s.keys.reload(); err != nil {
		c.problem(newProblem("internal", "reading the keys: %v", err))
		return
	}
	v := viewKey(k)
	v.Key = secret
	c.w.Header().Set("Location", "/api/keys/"+k.ID)
	c.w.Header().Set("Cache-Control", "no-store")
	writeJSON(c.w, http.StatusCreated, v)
}

func (s *Server) revokeKey(c *call) {
	id := c.r.PathValue("id")
	k, err := s.st.UpdateKey(id, func(k *store.APIKey) {
		if k.Revoked.IsZero() {
			k.Revoked = s.cfg.Now().UTC()
		}
	})
	if errors.Is(err, store.ErrNotFound) {
		c.problem(newProblem("not-found", "no key %s", id))
		return
	}
	if err != nil {
		c.problem(newProblem("internal", "revoking the key: %v", err))
		return
	}
	if err := s.keys.reload(); err != nil {
		c.problem(newProblem("internal", "reading the keys: %v", err))
		return
	}
	writeJSON(c.w, http.StatusOK, viewKey(k))
}

// ParseExpiry reads an expiry: RFC 3339, or a date (the key expires at the start of that day, UTC).
func ParseExpiry(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, errors.New("use YYYY-MM-DD or RFC 3339")
	}
	return t, nil
}
