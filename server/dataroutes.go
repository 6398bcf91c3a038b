package server

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubusdev/kubus/store"
)

// dataRoutes are the routes of persisted entities and personal data (entities, consents, data
// debits, alert aggregation, audit).
func (s *Server) dataRoutes() []*route {
	ok := http.StatusOK
	with := func(codes ...int) []int { return append(codes, 401, 403) }
	read := []string{"entities:{name}:read"}
	write := []string{"entities:{name}"}
	const ents = "/api/rulesets/{name}/entities/{Entity}"
	const one = ents + "/{id}"
	cons := []string{"consents"}
	dd := []string{"datadebits"}
	const ddBase = "/api/v2.6/data-debit"
	admin := []string{"admin"}
	return []*route{
		{Method: "GET", Pattern: ents, Access: read, Tag: "entities", Summary: "List an entity's records: filter (JSON), sort, limit (≤ 1000) and an opaque cursor; {items, next}", Status: with(ok, 400, 404, 422), handle: s.listEntities},
		{Method: "POST", Pattern: ents, Access: write, Tag: "entities", Summary: "Create a record, its properties checked as new Entity({...}) checks them (201, Location, ETag)", Body: true, Status: with(201, 400, 404, 413, 415, 422), handle: s.createEntity},
		{Method: "GET", Pattern: one, Access: read, Tag: "entities", Summary: "One record with its calculated properties (ETag; If-None-Match answers 304)", Status: with(ok, 304, 404, 422), handle: s.getEntity},
		{Method: "PUT", Pattern: one, Access: write, Tag: "entities", Summary: "Replace a record's properties (If-Match optional: a mismatch is 412)", Body: true, Status: with(ok, 400, 404, 409, 412, 413, 415, 422), handle: s.putEntity},
		{Method: "PATCH", Pattern: one, Access: write, Tag: "entities", Summary: "Change a record with a JSON merge patch (RFC 7396; If-Match honoured)", Body: true, Status: with(ok, 400, 404, 409, 412, 413, 415, 422), handle: s.patchEntity},
		{Method: "DELETE", Pattern: one, Access: write, Tag: "entities", Summary: "Delete a record (If-Match honoured)", Status: with(204, 404, 409, 412), handle: s.deleteEntity},

		{Method: "GET", Pattern: "/consents/consents", Access: cons, Tag: "consents", Summary: "List consents (type, state, user, contextUri, secondaryContextUri, filter, q, sortBy, start, limit)", Status: with(ok, 400), handle: s.listConsents("")},
		{Method: "POST", Pattern: "/consents/consents", Access: cons, Tag: "consents", Summary: "Ask a user's consent: 201 a new pending consent, 200 the one already there (If-None-Match: * refuses that, 412)", Body: true, Status: with(201, ok, 400, 409, 412, 413, 415), handle: s.createConsent},
		{Method: "GET", Pattern: "/consents/consents/{id}", Access: cons, Tag: "consents", Summary: "One consent (ETag; If-None-Match answers 304)", Status: with(ok, 304, 404), handle: s.getConsent},
		{Method: "GET", Pattern: "/consents/givenConsents", Access: cons, Tag: "consents", Summary: "The given consents (the list's query parameters)", Status: with(ok, 400), handle: s.listConsents("given")},
		{Method: "POST", Pattern: "/consents/givenConsents", Access: cons, Tag: "consents", Summary: "Give a consent (?consent=ID; scope matching or instance; If-Match honoured)", Body: true, Status: with(ok, 400, 404, 409, 412, 413, 415), handle: s.giveConsent},
		{Method: "GET", Pattern: "/consents/revokedConsents", Access: cons, Tag: "consents", Summary: "The revoked consents (the list's query parameters)", Status: with(ok, 400), handle: s.listConsents("revoked")},
		{Method: "POST", Pattern: "/consents/revokedConsents", Access: cons, Tag: "consents", Summary: "Revoke a given consent (?consent=ID; If-Match honoured)", Body: true, Status: with(ok, 400, 404, 409, 412, 413, 415), handle: s.revokeConsent},
		{Method: "GET", Pattern: "/consents/rescindedConsents", Access: cons, Tag: "consents", Summary: "The rescinded consents (the list's query parameters)", Status: with(ok, 400), handle: s.listConsents("rescinded")},
		{Method: "POST", Pattern: "/consents/rescindedConsents", Access: cons, Tag: "consents", Summary: "Rescind the oldest matching consent, or all with all: true", Body: true, Status: with(ok, 400, 404, 409, 413, 415), handle: s.rescindConsents},
		{Method: "POST", Pattern: "/consents/revisedDocuments", Access: cons, Tag: "consents", Summary: "Announce a document's new revision: given consents to an older one become stale", Body: true, Status: with(ok, 400, 409, 413, 415), handle: s.reviseDocument},
		{Method: "POST", Pattern: "/consents/movedDocuments", Access: cons, Tag: "consents", Summary: "Point a document's consents at its new uri", Body: true, Status: with(ok, 400, 409, 413, 415), handle: s.moveDocument},
		{Method: "GET", Pattern: "/consents/neededConsents", Access: cons, Tag: "consents", Summary: "A user's pending and stale consents (?user=, consolidate)", Status: with(ok, 400), handle: s.neededConsents},
		{Method: "GET", Pattern: "/consents/consentTypeNames", Access: cons, Tag: "consents", Summary: "The managed consent type names (ETag)", Status: with(ok, 304), handle: s.getTypeNames},
		{Method: "PUT", Pattern: "/consents/consentTypeNames", Access: cons, Tag: "consents", Summary: "Replace the consent type names (If-Match honoured; removing one in use is 409)", Body: true, Status: with(ok, 400, 409, 412, 413, 415), handle: s.putTypeNames},

		{Method: "GET", Pattern: ddBase, Access: dd, Tag: "data debits", Summary: "Every data debit, oldest first", Status: with(ok), handle: s.listDataDebits},
		{Method: "POST", Pattern: ddBase + "/{key}", Access: dd, Tag: "data debits", Summary: "Create a data debit (its first permissions not accepted yet)", Body: true, Status: with(201, 400, 409, 413, 415), handle: s.createDataDebit},
		{Method: "PUT", Pattern: ddBase + "/{key}", Access: dd, Tag: "data debits", Summary: "Propose new terms: a permissions version that enable accepts", Body: true, Status: with(ok, 400, 404, 409, 413, 415), handle: s.updateDataDebit},
		{Method: "GET", Pattern: ddBase + "/{key}", Access: dd, Tag: "data debits", Summary: "One data debit, active and end as of now", Status: with(ok, 400, 404), handle: s.getDataDebit},
		{Method: "GET", Pattern: ddBase + "/{key}/enable", Access: dd, Tag: "data debits", Summary: "Accept the newest permissions version", Status: with(ok, 400, 404, 409), handle: s.enableDataDebit},
		{Method: "POST", Pattern: ddBase + "/{key}/enable", Access: dd, Tag: "data debits", Summary: "Accept the newest permissions version", Status: with(ok, 400, 404, 409), handle: s.enableDataDebit},
		{Method: "GET", Pattern: ddBase + "/{key}/disable", Access: dd, Tag: "data debits", Summary: "Cancel a data debit, now or ?atPeriodEnd=true", Status: with(ok, 400, 404, 409), handle: s.disableDataDebit},
		{Method: "POST", Pattern: ddBase + "/{key}/disable", Access: dd, Tag: "data debits", Summary: "Cancel a data debit, now or ?atPeriodEnd=true", Status: with(ok, 400, 404, 409), handle: s.disableDataDebit},
		{Method: "GET", Pattern: ddBase + "/{key}/values", Access: dd, Tag: "data debits", Summary: "The data of the active permissions' bundle (403 while not active; ?ruleset= for unqualified endpoints)", Status: with(ok, 400, 403, 404), handle: s.dataDebitValues},

		{Method: "POST", Pattern: "/api/alert/aggregate", Access: admin, Tag: "alerts", Summary: "Add up the alert counts executions with options.metrics saved: {ruleSetId, tags} → {ruleSetId, tags, alerts}", Body: true, Status: with(ok, 400, 404, 413, 415), handle: s.aggregateAlerts},
		{Method: "GET", Pattern: "/api/audit", Access: admin, Tag: "audit", Summary: "The audit trail of consents, data debits and Ockto sessions, oldest first (?user=, since, subjectId, limit, cursor)", Status: with(ok, 400), handle: s.listAudit},
	}
}

// ---- store transactions ----

// maxWriteAttempts is how often a read-modify-write through the API runs again when its commit
// conflicts with another writer's (an execution, another request): each attempt reads the newer
// state, and one that then finds an If-Match no longer holding answers 412 instead.
const maxWriteAttempts = 8

// errWriteConflict is a write that conflicted on every attempt (409).
var errWriteConflict = fmt.Errorf("server: the record kept changing under the request: %w", store.ErrConflict)

// inTx runs fn in a store transaction and commits it, again on a conflict (up to maxWriteAttempts
// times); an error from fn discards the transaction and is returned as it is.
func (s *Server) inTx(fn func(tx store.Tx) error) error {
	for attempt := 0; attempt < maxWriteAttempts; attempt++ {
		if attempt > 0 {
			// A random pause that grows with the attempt, so that writers contending for one
			// record spread out instead of colliding again in lockstep.
			time.Sleep(time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 5))))
		}
		tx := s.st.Begin()
		if err := fn(tx); err != nil {
			tx.Discard()
			return err
		}
		err := tx.Commit()
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		return err
	}
	return errWriteConflict
}

// ---- conditional requests (RFC 9110 §13) ----

// entityTags splits an If-Match / If-None-Match value into its tags ("*" is one).
func entityTags(h string) []string {
	var out []string
	for tag := range strings.SplitSeq(h, ",") {
		if tag = strings.TrimSpace(tag); tag != "" {
			out = append(out, tag)
		}
	}
	return out
}

// matchStrong is If-Match's comparison: "*" matches any existing resource, a weak tag never matches.
func matchStrong(header, etag string) bool {
	for _, t := range entityTags(header) {
		if t == "*" || (t == etag && !strings.HasPrefix(t, "W/")) {
			return true
		}
	}
	return false
}

// matchWeak is If-None-Match's comparison: tags are equal with or without W/.
func matchWeak(header, etag string) bool {
	etag = strings.TrimPrefix(etag, "W/")
	for _, t := range entityTags(header) {
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// header reads a request header and whether it was sent at all.
func header(r *http.Request, name string) (string, bool) {
	v, ok := r.Header[http.CanonicalHeaderKey(name)]
	if !ok || len(v) == 0 {
		return "", false
	}
	return strings.Join(v, ", "), true
}

// writePrecondition says why a write's preconditions fail for a resource that exists with etag:
// "" when they hold.
func writePrecondition(r *http.Request, etag string) string {
	if im, ok := header(r, "If-Match"); ok && !matchStrong(im, etag) {
		return fmt.Sprintf("the record's ETag is %s, not %s: read it again", etag, truncate(im, 100))
	}
	if inm, ok := header(r, "If-None-Match"); ok && matchWeak(inm, etag) {
		return fmt.Sprintf("If-None-Match %s matches the record's ETag %s", truncate(inm, 100), etag)
	}
	return ""
}

// notModified reports whether a GET's If-None-Match matches etag (answer 304).
func notModified(r *http.Request, etag string) bool {
	inm, ok := header(r, "If-None-Match")
	return ok && matchWeak(inm, etag)
}

// writeNotModified answers 304 with the current ETag and no body.
func writeNotModified(w http.ResponseWriter, etag string) {
	w.Header().Set("ETag", etag)
	w.WriteHeader(http.StatusNotModified)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// ---- cursors ----

// maxCursorLength bounds a cursor as the client sends it back.
const maxCursorLength = 16 << 10

// cursorPos is where a page ended: the last record's sort values and id, and a fingerprint of the
// query it belongs to. The next page starts after that position in the query's order, whatever
// happened to that record meanwhile, so records that did not change are neither repeated nor
// skipped.
type cursorPos struct {
	Query  string `json:"q"`
	ID     string `json:"i"`
	Values []any  `json:"v,omitempty"`
}

// queryFingerprint names a query (its kind, filter and sort) in a cursor.
func queryFingerprint(parts ...any) string {
	b, _ := json.Marshal(parts)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// encodeCursor is the cursor after rec in the order of sortKeys.
func encodeCursor(fingerprint string, rec *store.Record, sortKeys []string) string {
	c := cursorPos{Query: fingerprint, ID: rec.ID}
	for _, k := range sortKeys {
		field := strings.TrimPrefix(k, "-")
		var v any
		switch field {
		case "_id":
		case "_createdAt":
			v = rec.CreatedAt.UTC().Format(time.RFC3339Nano)
		case "_updatedAt":
			v = rec.UpdatedAt.UTC().Format(time.RFC3339Nano)
		default:
			switch x := rec.Props[field].(type) {
			case map[string]any, []any:
				v = map[string]any{} // objects and arrays order as equals: their content does not matter
			default:
				v = x
			}
		}
		c.Values = append(c.Values, v)
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor back as a record that compares, in the order of sortKeys, as the
// record it was taken from.
func decodeCursor(s, fingerprint string, sortKeys []string) (*store.Record, *Problem) {
	bad := func(why string) (*store.Record, *Problem) {
		return nil, newProblem("invalid-request", "cursor: %s; use the next value of the previous page as it is", why)
	}
	if len(s) > maxCursorLength {
		return bad(fmt.Sprintf("longer than %d characters", maxCursorLength))
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return bad("not a cursor this server made")
	}
	var c cursorPos
	if err := json.Unmarshal(raw, &c); err != nil || c.ID == "" {
		return bad("not a cursor this server made")
	}
	if c.Query != fingerprint {
		return bad("it belongs to another query (filter, sort or collection): keep them the same while paging")
	}
	if len(c.Values) != len(sortKeys) {
		return bad("not a cursor of this sort")
	}
	rec := &store.Record{ID: c.ID, Props: map[string]any{}}
	for i, k := range sortKeys {
		field := strings.TrimPrefix(k, "-")
		switch field {
		case "_id":
		case "_createdAt", "_updatedAt":
			str, _ := c.Values[i].(string)
			t, err := time.Parse(time.RFC3339Nano, str)
			if err != nil {
				return bad("not a cursor of this sort")
			}
			if field == "_createdAt" {
				rec.CreatedAt = t.UTC()
			} else {
				rec.UpdatedAt = t.UTC()
			}
		default:
			if c.Values[i] != nil {
				rec.Props[field] = c.Values[i]
			}
		}
	}
	return rec, nil
}

// pageAfter is the page of at most limit records of recs (sorted by cmp) that follow after (nil:
// from the start), and whether more follow it.
func pageAfter(recs []*store.Record, cmp func(a, b *store.Record) int, after *store.Record, limit int) ([]*store.Record, bool) {
	i := 0
	if after != nil {
		i = sort.Search(len(recs), func(j int) bool { return cmp(after, recs[j]) < 0 })
	}
	end := min(i+limit, len(recs))
	return recs[i:end], end < len(recs)
}

// queryInt reads an integer query parameter in [lo, hi]; def when absent.
func queryInt(r *http.Request, name string, def, lo, hi int) (int, *Problem) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, newProblem("invalid-request", "%s must be a whole number from %d to %d, got %q", name, lo, hi, truncate(v, 40))
	}
	return n, nil
}

// parseTimeParam reads a time query parameter: RFC 3339 or YYYY-MM-DD (midnight UTC).
func parseTimeParam(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, errors.New("use RFC 3339 (2026-01-01T00:00:00Z) or YYYY-MM-DD")
}
