package consent

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/store"
)

var (
	fixtureKeys    = []string{"_id", "type", "userId", "document", "contextUri", "secondaryContextUri", "state", "givenAt", "requestRevokedAt", "requestRescindedAt", "createdAt"}
	fixtureDocKeys = []string{"uri", "contentType", "revisionId", "revisedAt"}
)

// Fixture saves in tx one consent that a testcase lists under `consents:`, as if Consent.create had
// made it and the API had brought it to its state. props has the record's own shape: type, userId,
// document {uri, contentType?, revisionId?, revisedAt?}, contextUri?, secondaryContextUri?, state
// (default pending), givenAt, requestRevokedAt and requestRescindedAt (each defaults to createdAt
// when the state implies it), createdAt (default now). Times are RFC 3339 or YYYY-MM-DD strings in
// loc. It checks what create checks (a known type name, well-formed URIs, one consent per user,
// type, document and context); a problem is an error naming the field. The audit trail gets a
// "create" event and, for another state, a "fixture" event.
func Fixture(tx store.Tx, props map[string]any, now time.Time, loc *time.Location) (string, error) {
	r := fixtureReader{loc: loc}
	r.keys(props, "", fixtureKeys)
	doc, isMap := props["document"].(map[string]any)
	if !isMap {
		if props["document"] == nil {
			r.failf("document", "is required: {uri, contentType?, revisionId?, revisedAt?}")
		} else {
			r.failf("document", "must be a mapping {uri, contentType?, revisionId?, revisedAt?}, got %v", props["document"])
		}
	}
	r.keys(doc, "document.", fixtureDocKeys)
	s := CreateSpec{Type: r.str(props, "type", true), UserID: r.str(props, "userId", true),
		ContextURI: r.str(props, "contextUri", false), SecondaryContextURI: r.str(props, "secondaryContextUri", false),
		Document: Document{URI: r.str(doc, "document.uri", true), ContentType: r.str(doc, "document.contentType", false),
			RevisionID: r.str(doc, "document.revisionId", false), RevisedAt: r.time(doc, "document.revisedAt")}}
	state := r.str(props, "state", false)
	if state == "" {
		state = Pending
	}
	if !slices.Contains(States, state) {
		r.failf("state", "must be one of %s, got %q", strings.Join(States, ", "), state)
	}
	created := r.time(props, "createdAt")
	if created.IsZero() {
		created = now
	}
	stamps := map[string]time.Time{}
	for _, k := range []string{"givenAt", "requestRevokedAt", "requestRescindedAt"} {
		stamps[k] = r.time(props, k)
	}
	s.id = r.str(props, "_id", false)
	if r.err != nil {
		return "", r.err
	}
	switch {
	case s.UserID == "" || len(s.UserID) > MaxUserIDLength:
		return "", fmt.Errorf("userId: must be 1 to %d characters", MaxUserIDLength)
	case len(s.id) > maxIDLength:
		return "", fmt.Errorf("_id: longer than %d characters", maxIDLength)
	}

	e := newEnv(tx, created)
	c, isNew, err := e.create(s)
	if err != nil {
		return "", err
	}
	if !isNew {
		return "", fmt.Errorf("a consent of user %s, type %s and document %s (context %q) is listed twice", s.UserID, s.Type, s.Document.URI, s.ContextURI)
	}
	if state == Pending {
		for _, k := range []string{"givenAt", "requestRevokedAt", "requestRescindedAt"} {
			if !stamps[k].IsZero() {
				return "", fmt.Errorf("%s: a pending consent has none (it was never given, revoked or rescinded)", k)
			}
		}
		return c.ID, nil
	}
	// The times the state implies default to the creation time.
	implied := map[string][]string{Given: {"givenAt"}, Stale: {"givenAt"}, Revoked: {"givenAt", "requestRevokedAt"}, Rescinded: {"requestRescindedAt"}}
	for _, k := range implied[state] {
		if stamps[k].IsZero() {
			stamps[k] = e.now
		}
	}
	c.State = state
	c.GivenAt = stamps["givenAt"].UTC().Truncate(time.Millisecond)
	c.RequestRevokedAt = stamps["requestRevokedAt"].UTC().Truncate(time.Millisecond)
	c.RequestRescindedAt = stamps["requestRescindedAt"].UTC().Truncate(time.Millisecond)
	if err := e.save(c, "fixture", Pending, nil); err != nil {
		return "", err
	}
	return c.ID, nil
}

// fixtureReader reads a fixture's fields, keeping the first problem.
type fixtureReader struct {
	loc *time.Location
	err error
}

func (r *fixtureReader) failf(field, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...))
	}
}

func (r *fixtureReader) keys(m map[string]any, prefix string, known []string) {
	for _, k := range slices.Sorted(maps.Keys(m)) { // sorted: the same key is named on every run
		if !slices.Contains(known, k) {
			r.failf(prefix+k, "is not a field of a consent (use %s)", strings.Join(known, ", "))
		}
	}
}

func (r *fixtureReader) str(m map[string]any, field string, required bool) string {
	key := field[strings.LastIndex(field, ".")+1:]
	v, ok := m[key]
	if !ok || v == nil {
		if required {
			r.failf(field, "is required")
		}
		return ""
	}
	s, isString := v.(string)
	if !isString {
		r.failf(field, "must be a string, got %v", v)
	}
	return s
}

func (r *fixtureReader) time(m map[string]any, field string) time.Time {
	s := r.str(m, field, false)
	if s == "" {
		return time.Time{}
	}
	t, ok := builtins.ParseDate(s, r.loc)
	if !ok {
		r.failf(field, "must be an RFC 3339 time or YYYY-MM-DD, got %q", s)
	}
	return t.UTC()
}
