package server

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/kubusdev/kubus/builtins/mail"
)

// mailRoutes show the mail outbox (admin): what Mail.queue queued and how its delivery went.
func (s *Server) mailRoutes() []*route {
	return []*route{
		{Method: "GET", Pattern: "/api/mail/outbox", Access: []string{"admin"}, Tag: "mail",
			Summary: "The mail outbox, newest first: each message's state (queued, sending, sent, failed), attempts, recipients, subject and last error; ?state= and ?limit= (≤ 1000)",
			Status:  []int{http.StatusOK, 400, 401, 403}, handle: s.listOutbox},
	}
}

func (s *Server) listOutbox(c *call) {
	q := c.r.URL.Query()
	state := q.Get("state")
	if state != "" && !slices.Contains([]string{mail.StateQueued, mail.StateSending, mail.StateSent, mail.StateFailed}, state) {
		c.problem(newProblem("invalid-request", "state %q is not one of queued, sending, sent, failed", truncate(state, 40)))
		return
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			c.problem(newProblem("invalid-request", "limit must be a whole number from 1 to 1000, got %q", truncate(v, 40)))
			return
		}
		limit = n
	}
	tx := s.st.Begin()
	defer tx.Discard()
	msgs, err := mail.List(tx, state, limit)
	if err != nil {
		c.problem(newProblem("internal", "reading the outbox: %v", err))
		return
	}
	if msgs == nil {
		msgs = []mail.Message{}
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"items": msgs})
}
