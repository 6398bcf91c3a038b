package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/kubusdev/kubus/store"
)

// The entity routes: a persisted entity's records, read and written from outside an execution.
// Properties are checked as `new Person({...})` checks them (engine.CheckEntity), records are shown
// with their calculated properties (engine.EntityViews, rule code under the execution limits), and
// every write is a store transaction that reads the record first, so that it conflicts at commit
// with a concurrent execution's (or request's) write instead of overwriting it: a conflict runs the
// read-modify-write again (an If-Match that no longer holds then answers 412), and 409 only after
// maxWriteAttempts.

// Bounds of a list request.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
	maxFilterBytes  = 4096
	maxFilterDepth  = 4 // {"Age": {"$in": [1, 2]}} is 3
	maxFilterNodes  = 1000
	maxFilterFields = 32
	maxSortKeys     = 5
	maxFieldName    = 200
)

// entityTarget is the path's ruleset and persisted entity.
type entityTarget struct {
	rs   *engine.Ruleset
	ent  *rulesets.Entity
	kind store.Kind
}

// entityTarget resolves {name} and {Entity}; it answers 404 itself.
func (c *call) entityTarget() *entityTarget {
	rs := c.findRuleset()
	if rs == nil {
		return nil
	}
	name := c.r.PathValue("Entity")
	for _, e := range rs.Model().Entities {
		if e.Name != name {
			continue
		}
		if !e.Persisted {
			c.problem(newProblem("not-found", "entity %s of ruleset %s is not persisted: it has no records (set persisted: true)", name, rs.Name()))
			return nil
		}
		return &entityTarget{rs: rs, ent: e, kind: store.Kind{Ruleset: rs.Name(), Entity: e.Name}}
	}
	c.problem(newProblem("not-found", "ruleset %s has no entity %s", rs.Name(), truncate(name, 100)))
	return nil
}

func (t *entityTarget) location(id string) string {
	return "/api/rulesets/" + url.PathEscape(t.rs.Name()) + "/entities/" + url.PathEscape(t.ent.Name) + "/" + url.PathEscape(id)
}

// recordETag is the strong ETag of a record revision.
func recordETag(rev uint64) string { return `"` + strconv.FormatUint(rev, 10) + `"` }

// calculated reports whether name is one of the entity's calculated properties.
func isCalculated(ent *rulesets.Entity, name string) bool {
	return slices.ContainsFunc(ent.Calculated, func(cp *rulesets.Calculated) bool { return cp.Name == name })
}

// ---- list ----

func (s *Server) listEntities(c *call) {
	t := c.entityTarget()
	if t == nil {
		return
	}
	q := c.r.URL.Query()
	filter, p := parseEntityFilter(q.Get("filter"), t.ent)
	if p != nil {
		c.problem(p)
		return
	}
	sortKeys, p := parseEntitySort(q["sort"], t.ent)
	if p != nil {
		c.problem(p)
		return
	}
	limit, p := queryInt(c.r, "limit", defaultPageSize, 1, maxPageSize)
	if p != nil {
		c.problem(p)
		return
	}
	query := store.Query{Filter: filter, Sort: sortKeys}
	if err := store.CheckQuery(query); err != nil {
		c.problem(newProblem("invalid-request", "%s", strings.TrimPrefix(err.Error(), "store: ")))
		return
	}
	order, err := store.Order(sortKeys)
	if err != nil {
		c.problem(newProblem("invalid-request", "%s", strings.TrimPrefix(err.Error(), "store: ")))
		return
	}
	fp := queryFingerprint("entities", t.kind.Ruleset, t.kind.Entity, filter, sortKeys)
	var after *store.Record
	if cur := q.Get("cursor"); cur != "" {
		if after, p = decodeCursor(cur, fp, sortKeys); p != nil {
			c.problem(p)
			return
		}
	}
	tx := s.st.Begin()
	recs, err := tx.Find(t.kind, query)
	tx.Discard()
	if err != nil {
		s.log.Error("listing entities", "ruleset", t.kind.Ruleset, "entity", t.kind.Entity, "error", err.Error())
		c.problem(newProblem("internal", "reading the records failed"))
		return
	}
	page, more := pageAfter(recs, order, after, limit)
	views, ok := s.viewRecords(c, t, page)
	if !ok {
		return
	}
	var next any
	if more {
		next = encodeCursor(fp, page[len(page)-1], sortKeys)
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"items": views, "next": next})
}

// parseEntityFilter reads the filter parameter: a JSON object as Person.find takes it, bounded.
func parseEntityFilter(raw string, ent *rulesets.Entity) (map[string]any, *Problem) {
	if raw == "" {
		return nil, nil
	}
	if len(raw) > maxFilterBytes {
		return nil, newProblem("invalid-request", "filter is longer than %d bytes", maxFilterBytes)
	}
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, newProblem("invalid-request", "filter is not JSON: %s (offset %d)", syn.Error(), syn.Offset)
		}
		return nil, newProblem("invalid-request", "filter is not JSON: %v", err)
	}
	f, ok := v.(map[string]any)
	if !ok {
		return nil, newProblem("invalid-request", `filter must be a JSON object such as {"Age": {"$gte": 18}}`)
	}
	if len(f) > maxFilterFields {
		return nil, newProblem("invalid-request", "filter has more than %d properties", maxFilterFields)
	}
	nodes := 0
	var walk func(v any, depth int) bool
	walk = func(v any, depth int) bool {
		nodes++
		if depth > maxFilterDepth || nodes > maxFilterNodes {
			return false
		}
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				if !walk(e, depth+1) {
					return false
				}
			}
		case []any:
			for _, e := range x {
				if !walk(e, depth+1) {
					return false
				}
			}
		}
		return true
	}
	if !walk(f, 1) {
		return nil, newProblem("invalid-request", "filter is nested more than %d levels deep or has more than %d values", maxFilterDepth, maxFilterNodes)
	}
	for k := range f {
		switch {
		case len(k) > maxFieldName:
			return nil, newProblem("invalid-request", "filter: a property name is longer than %d characters", maxFieldName)
		case isCalculated(ent, k):
			return nil, newProblem("invalid-request", "filter: %s is a calculated property of %s: it is not stored, so it cannot be filtered on", k, ent.Name)
		}
	}
	return f, nil
}

// parseEntitySort reads sort parameters: property names, "-Name" for descending, separated by
// commas or repeated.
func parseEntitySort(params []string, ent *rulesets.Entity) ([]string, *Problem) {
	var keys []string
	for _, p := range params {
		if len(p) > 1024 {
			return nil, newProblem("invalid-request", "sort is longer than 1024 characters")
		}
		for k := range strings.SplitSeq(p, ",") {
			k = strings.TrimSpace(k)
			name := strings.TrimPrefix(strings.TrimPrefix(k, "+"), "-")
			if strings.HasPrefix(k, "+") {
				k = name // "+" reads as a space in a query string unless escaped; accept it anyway
			}
			switch {
			case name == "":
				return nil, newProblem("invalid-request", "sort: an empty property name (write sort=-Birthdate,Name)")
			case len(name) > maxFieldName:
				return nil, newProblem("invalid-request", "sort: a property name is longer than %d characters", maxFieldName)
			case isCalculated(ent, name):
				return nil, newProblem("invalid-request", "sort: %s is a calculated property of %s: it is not stored, so it cannot be sorted on", name, ent.Name)
			}
			keys = append(keys, k)
		}
	}
	if len(keys) > maxSortKeys {
		return nil, newProblem("invalid-request", "sort: at most %d keys", maxSortKeys)
	}
	return keys, nil
}

// ---- one record ----

func (s *Server) getEntity(c *call) {
	t := c.entityTarget()
	if t == nil {
		return
	}
	id := c.r.PathValue("id")
	tx := s.st.Begin()
	rec, err := tx.Get(t.kind, id)
	tx.Discard()
	if errors.Is(err, store.ErrNotFound) {
		c.problem(newProblem("not-found", "%s has no record %s", t.ent.Name, truncate(id, 100)))
		return
	}
	if err != nil {
		s.log.Error("reading an entity", "ruleset", t.kind.Ruleset, "entity", t.kind.Entity, "error", err.Error())
		c.problem(newProblem("internal", "reading the record failed"))
		return
	}
	etag := recordETag(rec.Rev)
	if notModified(c.r, etag) {
		writeNotModified(c.w, etag)
		return
	}
	views, ok := s.viewRecords(c, t, []*store.Record{rec})
	if !ok {
		return
	}
	c.w.Header().Set("ETag", etag)
	writeJSON(c.w, http.StatusOK, views[0])
}

func (s *Server) createEntity(c *call) {
	t := c.entityTarget()
	if t == nil {
		return
	}
	body, p := decodeObject(c.r)
	if p != nil {
		c.problem(p)
		return
	}
	if _, ok := body["_id"]; ok {
		c.problem(newProblem("invalid-request", "_id: the store gives a new record its id; to replace a record, PUT %s", t.location("{id}")))
		return
	}
	props, ok := s.checkProps(c, t, body)
	if !ok {
		return
	}
	var view entityJSON
	err := s.inTx(func(tx store.Tx) error {
		saved, err := tx.Put(t.kind, &store.Record{Props: props}, s.cfg.Now())
		if err != nil {
			return err
		}
		saved.Rev = 1
		view, err = s.viewOne(c, t, saved)
		return err
	})
	if s.writeFailed(c, t, err) {
		return
	}
	c.w.Header().Set("Location", t.location(view.id))
	c.w.Header().Set("ETag", recordETag(1))
	writeJSON(c.w, http.StatusCreated, view)
}

func (s *Server) putEntity(c *call) {
	t := c.entityTarget()
	if t == nil {
		return
	}
	id := c.r.PathValue("id")
	body, p := decodeObject(c.r)
	if p != nil {
		c.problem(p)
		return
	}
	if given, ok := body["_id"]; ok && given != id {
		c.problem(newProblem("invalid-request", "_id %v is not the path's id %s", truncate(fmt.Sprint(given), 100), truncate(id, 100)))
		return
	}
	props, ok := s.checkProps(c, t, body)
	if !ok {
		return
	}
	s.rewrite(c, t, id, func(*store.Record) (map[string]any, bool) { return props, true })
}

func (s *Server) patchEntity(c *call) {
	t := c.entityTarget()
	if t == nil {
		return
	}
	id := c.r.PathValue("id")
	if p := checkMergePatchType(c.r); p != nil {
		c.problem(p)
		return
	}
	patch, p := decodeObject(c.r)
	if p != nil {
		c.problem(p)
		return
	}
	if given, ok := patch["_id"]; ok && given != id {
		c.problem(newProblem("invalid-request", "_id %v is not the path's id %s", truncate(fmt.Sprint(given), 100), truncate(id, 100)))
		return
	}
	s.rewrite(c, t, id, func(cur *store.Record) (map[string]any, bool) {
		merged, _ := mergePatch(cur.Props, patch).(map[string]any)
		return s.checkProps(c, t, merged)
	})
}

// rewrite is PUT's and PATCH's read-modify-write: read the record, check the preconditions, make
// the new properties from what is stored (change answers the problem itself when it returns
// false), save, show; all in one transaction, run again on a conflict.
func (s *Server) rewrite(c *call, t *entityTarget, id string, change func(cur *store.Record) (map[string]any, bool)) {
	var (
		view   entityJSON
		newRev uint64
	)
	err := s.inTx(func(tx store.Tx) error {
		cur, err := tx.Get(t.kind, id)
		if err != nil {
			return err
		}
		if why := writePrecondition(c.r, recordETag(cur.Rev)); why != "" {
			c.problem(newProblem("precondition-failed", "%s", why))
			return errAnswered
		}
		props, ok := change(cur)
		if !ok {
			return errAnswered
		}
		saved, err := tx.Put(t.kind, &store.Record{ID: id, Props: props}, s.cfg.Now())
		if err != nil {
			return err
		}
		newRev = cur.Rev + 1
		saved.Rev = newRev
		view, err = s.viewOne(c, t, saved)
		return err
	})
	if s.writeFailed(c, t, err) {
		return
	}
	c.w.Header().Set("ETag", recordETag(newRev))
	writeJSON(c.w, http.StatusOK, view)
}

func (s *Server) deleteEntity(c *call) {
	t := c.entityTarget()
	if t == nil {
		return
	}
	id := c.r.PathValue("id")
	err := s.inTx(func(tx store.Tx) error {
		cur, err := tx.Get(t.kind, id)
		if err != nil {
			return err
		}
		if why := writePrecondition(c.r, recordETag(cur.Rev)); why != "" {
			c.problem(newProblem("precondition-failed", "%s", why))
			return errAnswered
		}
		return tx.Delete(t.kind, id)
	})
	if s.writeFailed(c, t, err) {
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

// errAnswered stops a write whose refusal the handler already answered (a precondition, a
// property problem, a calculated property that failed): nothing is committed.
var errAnswered = errors.New("server: answered")

// writeFailed answers a write's error; false when there was none.
func (s *Server) writeFailed(c *call, t *entityTarget, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, errAnswered):
	case errors.Is(err, store.ErrNotFound):
		c.problem(newProblem("not-found", "%s has no record %s", t.ent.Name, truncate(c.r.PathValue("id"), 100)))
	case errors.Is(err, store.ErrConflict):
		c.problem(newProblem("conflict", "the record kept changing under this request (%d attempts): read it again and retry", maxWriteAttempts))
	default:
		s.log.Error("writing an entity", "ruleset", t.kind.Ruleset, "entity", t.kind.Entity, "error", err.Error())
		c.problem(newProblem("internal", "writing the record failed"))
	}
	return true
}

// checkProps checks a body's properties as new Entity({...}) does; it answers 400 itself.
func (s *Server) checkProps(c *call, t *entityTarget, body map[string]any) (map[string]any, bool) {
	props, err := t.rs.CheckEntity(c.ctx(), t.ent.Name, body)
	if err == nil {
		return props, true
	}
	var ie *engine.InputError
	if errors.As(err, &ie) {
		p := newProblem("invalid-input", "%d problem(s) with the properties of %s", len(ie.Problems), t.ent.Name)
		p.Title = "The properties do not fit the entity"
		p.Errors = ie.Problems
		c.problem(p)
		return nil, false
	}
	s.answerEvalError(c, err)
	return nil, false
}

// viewOne shows a record about to be committed; a calculated property that fails answers 422 (and
// errAnswered keeps the write from being committed).
func (s *Server) viewOne(c *call, t *entityTarget, rec *store.Record) (entityJSON, error) {
	views, ok := s.viewRecords(c, t, []*store.Record{rec})
	if !ok {
		return entityJSON{}, errAnswered
	}
	return views[0], nil
}

// viewRecords shows records with their calculated properties; it answers a failure itself.
func (s *Server) viewRecords(c *call, t *entityTarget, recs []*store.Record) ([]entityJSON, bool) {
	views, err := t.rs.EntityViews(c.ctx(), t.ent.Name, recs, engine.EntityOptions{Now: s.cfg.Now(), Store: s.st})
	if err != nil {
		s.answerEvalError(c, err)
		return nil, false
	}
	out := make([]entityJSON, len(views))
	for i, v := range views {
		out[i] = orderEntity(t.ent, v)
	}
	return out, true
}

// answerEvalError answers an error of the engine's entity API.
func (s *Server) answerEvalError(c *call, err error) {
	var ee *engine.EvalError
	if errors.As(err, &ee) {
		c.problem(evalProblem(ee))
		return
	}
	s.log.Error("entity API", "ruleset", c.ruleset, "error", err.Error())
	c.problem(newProblem("internal", "the request failed"))
}

// decodeObject reads a JSON object body (numbers as float64, as an execution's input).
func decodeObject(r *http.Request) (map[string]any, *Problem) {
	var body map[string]any
	if p := decodeJSON(r, &body); p != nil {
		return nil, p
	}
	if body == nil {
		return nil, newProblem("malformed-request", "the body is null; send a JSON object")
	}
	return body, nil
}

// checkMergePatchType accepts application/merge-patch+json and application/json; JSON Patch
// (RFC 6902) is another format and is refused.
func checkMergePatchType(r *http.Request) *Problem {
	if p := checkJSONContentType(r); p != nil {
		return p
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/merge-patch+json" && mt != "application/json" {
		return newProblem("unsupported-media", "PATCH takes a JSON merge patch (RFC 7396) as application/merge-patch+json or application/json, not %s", mt)
	}
	return nil
}

// mergePatch applies an RFC 7396 merge patch to target.
func mergePatch(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	out := make(map[string]any, len(tm)+len(pm))
	if ok {
		for k, v := range tm {
			out[k] = v
		}
	}
	for k, v := range pm {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = mergePatch(out[k], v)
	}
	return out
}

// entityJSON is a record as the API shows it, its keys in a readable order: _id, the declared
// properties, the calculated ones (both as declared), undeclared ones (sorted), _createdAt,
// _updatedAt.
type entityJSON struct {
	id   string
	keys []string
	m    map[string]any
}

func orderEntity(ent *rulesets.Entity, m map[string]any) entityJSON {
	keys := make([]string, 0, len(m))
	seen := make(map[string]bool, len(m))
	add := func(k string) {
		if _, ok := m[k]; ok && !seen[k] {
			keys = append(keys, k)
			seen[k] = true
		}
	}
	add("_id")
	for _, p := range ent.Properties {
		add(p.Name)
	}
	for _, cp := range ent.Calculated {
		add(cp.Name)
	}
	var rest []string
	for k := range m {
		if !seen[k] && k != "_createdAt" && k != "_updatedAt" {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		add(k)
	}
	add("_createdAt")
	add("_updatedAt")
	id, _ := m["_id"].(string)
	return entityJSON{id: id, keys: keys, m: m}
}

func (e entityJSON) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, k := range e.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := enc.Encode(k); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // Encode's newline
		b.WriteByte(':')
		if err := enc.Encode(e.m[k]); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
