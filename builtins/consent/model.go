package consent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/kubusdev/kubus/builtins/audit"
	"github.com/kubusdev/kubus/store"
)

// Where the module keeps its records. "_consents" cannot clash with a ruleset name
// ([a-z0-9][a-z0-9-]*).
var (
	// Kind holds the consents.
	Kind = store.Kind{Ruleset: "_consents", Entity: "Consent"}
	// TypeNamesKind holds the managed list of consent type names: one record, id TypeNamesID.
	TypeNamesKind = store.Kind{Ruleset: "_consents", Entity: "TypeNames"}
	// keyKind holds one record per (userId, type, document.uri, contextUri) that create has
	// created a consent for: create reads and writes it, so two executions creating the same
	// consent at the same time conflict at commit and the second, run again, finds the first's.
	keyKind = store.Kind{Ruleset: "_consents", Entity: "Key"}
)

// TypeNamesID is the id of the type-names record.
const TypeNamesID = "typeNames"

// The states of a consent.
const (
	Pending   = "pending"
	Given     = "given"
	Stale     = "stale"
	Rescinded = "rescinded"
	Revoked   = "revoked"
)

// States are the states of a consent, in the contract's order.
var States = []string{Pending, Given, Stale, Rescinded, Revoked}

// Transitions are the contract's state changes: action → the states it may start from, and the
// state it leads to. A transition not in this table is invalidConsentState (409).
var Transitions = map[string]struct {
	From []string
	To   string
}{
	"give":    {From: []string{Pending, Stale, Revoked}, To: Given},
	"revoke":  {From: []string{Given}, To: Revoked},
	"rescind": {From: []string{Pending, Given, Stale, Revoked}, To: Rescinded},
	"revise":  {From: []string{Given}, To: Stale},
}

// MaxURILength is the longest document or context URI accepted.
const MaxURILength = 2048

// maxIDLength bounds a consent id: longer ones cannot exist (ids are UUIDs) and are not looked up.
const maxIDLength = 200

// timeLayout is how times are stored: RFC 3339 in UTC with exactly three fraction digits (what a
// JS Date holds), so that they sort chronologically as strings.
const timeLayout = "2006-01-02T15:04:05.000Z"

// Error is a refusal with one of the contract's error types.
type Error struct {
	Type        string // consentRefNotFound, invalidConsentState, ...
	Status      int    // the HTTP status the same refusal has over HTTP
	Message     string
	Remediation string
	Attributes  map[string]any // JSON-shaped facts (the consent id, its state, ...)
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// The contract's error types.
const (
	ErrConsentRefNotFound      = "consentRefNotFound"
	ErrConsentTypeNameInUse    = "consentTypeNameInUse"
	ErrInvalidConsentState     = "invalidConsentState"
	ErrInvalidConsentType      = "invalidConsentType"
	ErrInvalidContextURI       = "invalidContextUri"
	ErrInvalidDocumentRevision = "invalidDocumentRevision"
	ErrInvalidDocumentURI      = "invalidDocumentUri"
	ErrPreconditionFailed      = "preconditionFailed"
)

func notFound(id string) *Error {
	return &Error{Type: ErrConsentRefNotFound, Status: 404,
		Message:     fmt.Sprintf("there is no consent with id %s", quote(id)),
		Remediation: "Check the consent id: Consent.list and Consent.needed return the ids of a user's consents.",
		Attributes:  map[string]any{"id": id}}
}

func badState(c *Consent, action string) *Error {
	tr := Transitions[action]
	return &Error{Type: ErrInvalidConsentState, Status: 409,
		Message: fmt.Sprintf("consent %s is %s: %s only applies to a %s consent", c.ID, c.State, action,
			strings.Join(tr.From, ", ")),
		Remediation: fmt.Sprintf("Read the consent first (Consent.get) and %s it only when it is %s.", action,
			strings.Join(tr.From, ", ")),
		Attributes: map[string]any{"id": c.ID, "state": c.State, "action": action}}
}

func badURI(typ, what, uri, problem string) *Error {
	return &Error{Type: typ, Status: 400,
		Message:     fmt.Sprintf("%s %s is not a valid URI: %s", what, quote(uri), problem),
		Remediation: fmt.Sprintf("Pass an absolute URI with a scheme (https://…, urn:…) of at most %d characters.", MaxURILength),
		Attributes:  map[string]any{what: uri}}
}

func unknownType(name string, known []TypeName) *Error {
	names := make([]string, len(known))
	for i, t := range known {
		names[i] = t.Name
	}
	return &Error{Type: ErrInvalidConsentType, Status: 400,
		Message:     fmt.Sprintf("%s is not a consent type name (known: %s)", quote(name), strings.Join(names, ", ")),
		Remediation: "Use one of Consent.typeNames(), or add the type with Consent.setTypeNames.",
		Attributes:  map[string]any{"type": name}}
}

// quote quotes a string for a message, shortened.
func quote(s string) string {
	const max = 60
	if r := []rune(s); len(r) > max {
		return fmt.Sprintf("%q…", string(r[:max]))
	}
	return fmt.Sprintf("%q", s)
}

// checkURI accepts an absolute URI with a scheme, at most MaxURILength bytes, that net/url
// parses, without white space or control characters, and with something after the scheme.
func checkURI(typ, what, uri string) *Error {
	switch {
	case uri == "":
		return badURI(typ, what, uri, "it is empty")
	case len(uri) > MaxURILength:
		return badURI(typ, what, uri, fmt.Sprintf("it is longer than %d characters", MaxURILength))
	case !utf8.ValidString(uri):
		return badURI(typ, what, uri, "it is not valid UTF-8")
	case strings.IndexFunc(uri, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return badURI(typ, what, uri, "it contains white space or control characters")
	}
	u, err := url.Parse(uri)
	if err != nil {
		msg := err.Error()
		if ue, ok := err.(*url.Error); ok {
			msg = ue.Err.Error()
		}
		return badURI(typ, what, uri, msg)
	}
	if u.Scheme == "" {
		return badURI(typ, what, uri, "it has no scheme (like https:)")
	}
	if u.Host == "" && u.Opaque == "" && u.Path == "" {
		return badURI(typ, what, uri, "it has nothing after the scheme")
	}
	return nil
}

// Document is the document a consent is for.
type Document struct {
	URI         string
	ContentType string    // "" when unknown
	RevisionID  string    // "" when unknown
	RevisedAt   time.Time // zero when unknown
}

// Consent is one stored consent.
type Consent struct {
	ID                  string
	Document            Document
	Type                string
	UserID              string
	ContextURI          string // "" when none
	SecondaryContextURI string // "" when none
	State               string
	GivenAt             time.Time // zero when never
	RequestRevokedAt    time.Time
	RequestRescindedAt  time.Time
	CreatedAt           time.Time
	ETag                string
	// Version counts the changes; the ETag is derived from it and the content, so it changes on
	// every change even when the content returns to an earlier value.
	Version int

	props map[string]any // as read: Put stores exactly what it is given, so unknown props are kept
}

// fromRecord reads a stored consent defensively: a prop of the wrong type reads as absent, so a
// record written by something else never makes the module panic.
func fromRecord(rec *store.Record) *Consent {
	p := rec.Props
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	tm := func(m map[string]any, k string) time.Time {
		s, _ := m[k].(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}
		}
		return t.UTC()
	}
	doc, _ := p["document"].(map[string]any)
	c := &Consent{
		ID: rec.ID,
		Document: Document{URI: str(doc, "uri"), ContentType: str(doc, "contentType"),
			RevisionID: str(doc, "revisionId"), RevisedAt: tm(doc, "revisedAt")},
		Type: str(p, "type"), UserID: str(p, "userId"), ContextURI: str(p, "contextUri"),
		SecondaryContextURI: str(p, "secondaryContextUri"), State: str(p, "state"),
		GivenAt: tm(p, "givenAt"), RequestRevokedAt: tm(p, "requestRevokedAt"),
		RequestRescindedAt: tm(p, "requestRescindedAt"), CreatedAt: tm(p, "createdAt"),
		ETag: str(p, "etag"), props: p,
	}
	if v, ok := p["version"].(float64); ok {
		c.Version = int(v)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = rec.CreatedAt.UTC()
	}
	if c.ETag == "" {
		c.ETag = c.etag()
	}
	return c
}

func fmtTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Millisecond).Format(timeLayout)
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// toProps is the record's props: the props it was read with (unknown ones kept), updated.
func (c *Consent) toProps() map[string]any {
	p := make(map[string]any, len(c.props)+14)
	for k, v := range c.props {
		p[k] = v
	}
	p["document"] = map[string]any{"uri": c.Document.URI, "contentType": orNil(c.Document.ContentType),
		"revisionId": orNil(c.Document.RevisionID), "revisedAt": fmtTime(c.Document.RevisedAt)}
	p["type"] = c.Type
	p["userId"] = c.UserID
	p["contextUri"] = orNil(c.ContextURI)
	p["secondaryContextUri"] = orNil(c.SecondaryContextURI)
	p["state"] = c.State
	p["givenAt"] = fmtTime(c.GivenAt)
	p["requestRevokedAt"] = fmtTime(c.RequestRevokedAt)
	p["requestRescindedAt"] = fmtTime(c.RequestRescindedAt)
	p["createdAt"] = fmtTime(c.CreatedAt)
	p["etag"] = c.ETag
	p["version"] = c.Version
	return p
}

// etag is the strong ETag of the consent: the quoted hex of a SHA-256 over its id, version and
// content.
func (c *Consent) etag() string {
	b, _ := json.Marshal([]any{c.ID, c.Version, c.Document.URI, c.Document.ContentType, c.Document.RevisionID,
		fmtTime(c.Document.RevisedAt), c.Type, c.UserID, c.ContextURI, c.SecondaryContextURI, c.State,
		fmtTime(c.GivenAt), fmtTime(c.RequestRevokedAt), fmtTime(c.RequestRescindedAt), fmtTime(c.CreatedAt)})
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// etagMatches is If-Match's strong comparison: "*" matches any consent, a list of tags separated
// by commas matches when one of them is the consent's; a weak tag (W/"…") never matches.
func etagMatches(ifMatch, etag string) bool {
	for tag := range strings.SplitSeq(ifMatch, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}

// env is one operation's view of the execution: its store transaction and clock.
type env struct {
	tx  store.Tx
	now time.Time
}

func newEnv(tx store.Tx, now time.Time) *env {
	return &env{tx: tx, now: now.UTC().Truncate(time.Millisecond)}
}

// load reads one consent; consentRefNotFound when there is none.
func (e *env) load(id string) (*Consent, error) {
	if id == "" || len(id) > maxIDLength {
		return nil, notFound(id)
	}
	rec, err := e.tx.Get(Kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, err
	}
	return fromRecord(rec), nil
}

// find reads the consents matching a store filter, oldest first (ties in creation order).
func (e *env) find(filter map[string]any) ([]*Consent, error) {
	recs, err := e.tx.Find(Kind, store.Query{Filter: filter, Sort: []string{"createdAt"}})
	if err != nil {
		return nil, err
	}
	out := make([]*Consent, len(recs))
	for i, r := range recs {
		out[i] = fromRecord(r)
	}
	return out, nil
}

// save stores a changed consent with a new version and ETag, and appends its audit event.
func (e *env) save(c *Consent, action, from string, details map[string]any) error {
	c.Version++
	c.ETag = c.etag()
	if _, err := e.tx.Put(Kind, &store.Record{ID: c.ID, Props: c.toProps()}, e.now); err != nil {
		return err
	}
	return audit.Append(e.tx, audit.Event{At: e.now, Actor: c.UserID, Subject: "consent", ID: c.ID,
		Action: action, From: from, To: c.State, Details: details})
}

// transition moves c along the table's action, or refuses with invalidConsentState.
func (e *env) transition(c *Consent, action string, details map[string]any) error {
	tr := Transitions[action]
	if !slices.Contains(tr.From, c.State) {
		return badState(c, action)
	}
	from := c.State
	c.State = tr.To
	switch tr.To {
	case Given:
		c.GivenAt = e.now
	case Revoked:
		c.RequestRevokedAt = e.now
	case Rescinded:
		c.RequestRescindedAt = e.now
	}
	return e.save(c, action, from, details)
}

// TypeName is one managed consent type.
type TypeName struct {
	Name        string `json:"name"`
	Label       string `json:"label"`
	Description string `json:"description"`
}

// DefaultTypeNames are the type names of a store that never set its own.
var DefaultTypeNames = []TypeName{
	{"productTermsAndConditions", "Product terms and conditions", "The terms and conditions of a specific product."},
	{"termsAndConditions", "Terms and conditions", "The general terms and conditions."},
	{"privacyPolicy", "Privacy policy", "How personal data is collected, used and kept."},
	{"electronicConsent", "Electronic consent", "Consent to receive documents and sign electronically."},
}

// typeNames reads the managed list (the defaults when none was set).
func (e *env) typeNames() ([]TypeName, error) {
	rec, err := e.tx.Get(TypeNamesKind, TypeNamesID)
	if errors.Is(err, store.ErrNotFound) {
		return slices.Clone(DefaultTypeNames), nil
	}
	if err != nil {
		return nil, err
	}
	list, _ := rec.Props["names"].([]any)
	out := make([]TypeName, 0, len(list))
	for _, v := range list {
		m, _ := v.(map[string]any)
		name, _ := m["name"].(string)
		if name == "" {
			continue
		}
		label, _ := m["label"].(string)
		desc, _ := m["description"].(string)
		out = append(out, TypeName{Name: name, Label: label, Description: desc})
	}
	return out, nil
}

// MaxTypeNames bounds the managed list.
const MaxTypeNames = 200

// checkTypeName accepts a name of letters, digits, "_" and "-", starting with a letter, of at most
// 100 characters.
func checkTypeName(name string) *Error {
	ok := name != "" && len(name) <= 100
	for i, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '_' || r == '-')) {
			ok = false
			break
		}
	}
	if ok {
		return nil
	}
	return &Error{Type: ErrInvalidConsentType, Status: 400,
		Message:     fmt.Sprintf("%s is not a valid consent type name", quote(name)),
		Remediation: "A type name starts with a letter and holds only letters, digits, _ and - (at most 100 characters).",
		Attributes:  map[string]any{"type": name}}
}

// setTypeNames replaces the managed list. A name that is dropped while consents of that type
// exist (in any state) is consentTypeNameInUse, and nothing changes.
func (e *env) setTypeNames(names []TypeName) ([]TypeName, error) {
	if len(names) > MaxTypeNames {
		return nil, &Error{Type: ErrInvalidConsentType, Status: 400,
			Message:     fmt.Sprintf("at most %d consent type names can be managed, got %d", MaxTypeNames, len(names)),
			Remediation: "Keep the list of type names short."}
	}
	seen := map[string]bool{}
	for i := range names {
		if err := checkTypeName(names[i].Name); err != nil {
			return nil, err
		}
		if seen[names[i].Name] {
			return nil, &Error{Type: ErrInvalidConsentType, Status: 400,
				Message:     fmt.Sprintf("consent type name %s is listed twice", quote(names[i].Name)),
				Remediation: "List each type name once.", Attributes: map[string]any{"type": names[i].Name}}
		}
		seen[names[i].Name] = true
		if names[i].Label == "" {
			names[i].Label = names[i].Name
		}
	}
	current, err := e.typeNames()
	if err != nil {
		return nil, err
	}
	var removed, added []any
	had := map[string]bool{}
	for _, t := range current {
		had[t.Name] = true
		if seen[t.Name] {
			continue
		}
		n, err := e.tx.Count(Kind, map[string]any{"type": t.Name})
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, &Error{Type: ErrConsentTypeNameInUse, Status: 409,
				Message: fmt.Sprintf("consent type name %s is in use by %d consent(s) and cannot be removed", quote(t.Name), n),
				Remediation: "Keep the type name while consents of that type exist (rescinded and revoked ones included); " +
					"change its label or description instead.",
				Attributes: map[string]any{"type": t.Name, "consents": n}}
		}
		removed = append(removed, t.Name)
	}
	list := make([]any, len(names))
	for i, t := range names {
		list[i] = map[string]any{"name": t.Name, "label": t.Label, "description": t.Description}
		if !had[t.Name] {
			added = append(added, t.Name)
		}
	}
	if _, err := e.tx.Put(TypeNamesKind, &store.Record{ID: TypeNamesID, Props: map[string]any{"names": list}}, e.now); err != nil {
		return nil, err
	}
	err = audit.Append(e.tx, audit.Event{At: e.now, Subject: "consentTypeNames", ID: TypeNamesID, Action: "set",
		Details: map[string]any{"added": orEmpty(added), "removed": orEmpty(removed)}})
	return names, err
}

func orEmpty(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

// CreateSpec is what create needs.
type CreateSpec struct {
	id                                            string // the consent's _id; "" for a new one (fixtures choose theirs)
	Type, UserID, ContextURI, SecondaryContextURI string
	Document                                      Document
}

// keyID is the id of the key record of (user, type, document uri, context).
func keyID(user, typ, uri, ctx string) string {
	b, _ := json.Marshal([]string{user, typ, uri, ctx})
	sum := sha256.Sum256(b)
	return "key-" + hex.EncodeToString(sum[:16])
}

// create makes a pending consent, or returns the one already there for the same user, type,
// document uri and context (created false). A rescinded consent is final, so it does not count:
// asking again after a rescind makes a new consent.
func (e *env) create(s CreateSpec) (*Consent, bool, error) {
	known, err := e.typeNames()
	if err != nil {
		return nil, false, err
	}
	if !slices.ContainsFunc(known, func(t TypeName) bool { return t.Name == s.Type }) {
		return nil, false, unknownType(s.Type, known)
	}
	if err := checkURI(ErrInvalidDocumentURI, "document.uri", s.Document.URI); err != nil {
		return nil, false, err
	}
	if s.ContextURI != "" {
		if err := checkURI(ErrInvalidContextURI, "contextUri", s.ContextURI); err != nil {
			return nil, false, err
		}
	}
	if s.SecondaryContextURI != "" {
		if err := checkURI(ErrInvalidContextURI, "secondaryContextUri", s.SecondaryContextURI); err != nil {
			return nil, false, err
		}
	}
	key := keyID(s.UserID, s.Type, s.Document.URI, s.ContextURI)
	if _, err := e.tx.Get(keyKind, key); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, false, err
	}
	existing, err := e.find(map[string]any{"userId": s.UserID, "type": s.Type, "contextUri": orNil(s.ContextURI)})
	if err != nil {
		return nil, false, err
	}
	for _, c := range existing {
		if c.Document.URI == s.Document.URI && c.State != Rescinded {
			return c, false, nil
		}
	}
	id := s.id
	if id == "" {
		u, err := uuid.NewV7()
		if err != nil {
			return nil, false, err
		}
		id = u.String()
	} else if _, err := e.tx.Get(Kind, id); err == nil {
		return nil, false, fmt.Errorf("_id: a consent %s already exists", id)
	}
	s.Document.RevisedAt = s.Document.RevisedAt.UTC().Truncate(time.Millisecond)
	c := &Consent{ID: id, Document: s.Document, Type: s.Type, UserID: s.UserID, ContextURI: s.ContextURI,
		SecondaryContextURI: s.SecondaryContextURI, State: Pending, CreatedAt: e.now}
	if err := e.save(c, "create", "", nil); err != nil {
		return nil, false, err
	}
	if _, err := e.tx.Put(keyKind, &store.Record{ID: key, Props: map[string]any{"consentId": c.ID}}, e.now); err != nil {
		return nil, false, err
	}
	return c, true, nil
}

// give gives a consent; with matching, also the user's other pending and stale consents of the
// same type and document uri. It returns the consent named by id.
func (e *env) give(id string, matching bool) (*Consent, error) {
	c, err := e.load(id)
	if err != nil {
		return nil, err
	}
	if err := e.transition(c, "give", map[string]any{"scope": scopeName(matching)}); err != nil {
		return nil, err
	}
	if !matching {
		return c, nil
	}
	others, err := e.find(map[string]any{"userId": c.UserID, "type": c.Type, "state": map[string]any{"$in": []any{Pending, Stale}}})
	if err != nil {
		return nil, err
	}
	for _, o := range others {
		if o.ID == c.ID || o.Document.URI != c.Document.URI {
			continue
		}
		if err := e.transition(o, "give", map[string]any{"scope": "matching", "with": c.ID}); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func scopeName(matching bool) string {
	if matching {
		return "matching"
	}
	return "instance"
}

// revoke revokes a given consent. A non-empty ifMatch must match its ETag (preconditionFailed).
func (e *env) revoke(id, ifMatch string, hasIfMatch bool) (*Consent, error) {
	c, err := e.load(id)
	if err != nil {
		return nil, err
	}
	if hasIfMatch && !etagMatches(ifMatch, c.ETag) {
		return nil, &Error{Type: ErrPreconditionFailed, Status: 412,
			Message:     fmt.Sprintf("consent %s has changed: its etag is %s, not %s", c.ID, c.ETag, quote(ifMatch)),
			Remediation: "Read the consent again (Consent.get), check that revoking it still applies, and pass its current etag.",
			Attributes:  map[string]any{"id": c.ID, "etag": c.ETag, "ifMatch": ifMatch}}
	}
	if err := e.transition(c, "revoke", nil); err != nil {
		return nil, err
	}
	return c, nil
}

// RescindSpec selects the consents to rescind.
type RescindSpec struct {
	Type, UserID, ContextURI, SecondaryContextURI, DocumentURI string
	All                                                        bool
}

// rescind rescinds the oldest matching consent that is not rescinded yet, or all of them.
// Nothing matching is consentRefNotFound; only rescinded ones matching is invalidConsentState.
func (e *env) rescind(s RescindSpec) ([]*Consent, error) {
	filter := map[string]any{"type": s.Type}
	for k, v := range map[string]string{"userId": s.UserID, "contextUri": s.ContextURI, "secondaryContextUri": s.SecondaryContextURI} {
		if v != "" {
			filter[k] = v
		}
	}
	found, err := e.find(filter)
	if err != nil {
		return nil, err
	}
	var candidates []*Consent
	for _, c := range found {
		if s.DocumentURI == "" || c.Document.URI == s.DocumentURI {
			candidates = append(candidates, c)
		}
	}
	if len(candidates) == 0 {
		attrs := map[string]any{"type": s.Type}
		for k, v := range filter {
			attrs[k] = v
		}
		if s.DocumentURI != "" {
			attrs["document"] = s.DocumentURI
		}
		return nil, &Error{Type: ErrConsentRefNotFound, Status: 404,
			Message:     fmt.Sprintf("no consent of type %s matches", quote(s.Type)) + describeCriteria(s),
			Remediation: "Check the criteria: Consent.list with the same values shows the consents they select.",
			Attributes:  attrs}
	}
	var out []*Consent
	for _, c := range candidates {
		if c.State == Rescinded {
			continue
		}
		if err := e.transition(c, "rescind", nil); err != nil {
			return nil, err
		}
		out = append(out, c)
		if !s.All {
			break
		}
	}
	if len(out) == 0 {
		return nil, badState(candidates[0], "rescind")
	}
	return out, nil
}

func describeCriteria(s RescindSpec) string {
	var parts []string
	for _, kv := range [][2]string{{"user", s.UserID}, {"context", s.ContextURI}, {"secondaryContext", s.SecondaryContextURI}, {"document", s.DocumentURI}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+quote(kv[1]))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// ReviseSpec announces a new revision of a document.
type ReviseSpec struct {
	URI, RevisionID, Type, ContextURI, NewURI string
	RevisedAt                                 time.Time // zero: the execution clock
}

// matching are the consents of a document uri, narrowed by type and context when given.
func (e *env) matching(uri, typ, ctx string) ([]*Consent, error) {
	filter := map[string]any{}
	if typ != "" {
		filter["type"] = typ
	}
	if ctx != "" {
		filter["contextUri"] = ctx
	}
	found, err := e.find(filter)
	if err != nil {
		return nil, err
	}
	out := found[:0]
	for _, c := range found {
		if c.Document.URI == uri {
			out = append(out, c)
		}
	}
	return out, nil
}

// reviseDocument records a new revision of a document. Every matching consent that is not
// rescinded and holds an older revision (revisedAt before the new one, or unknown) takes the new
// revision; given ones become stale. With newUri, every matching consent moves to it as well.
// A matching consent holding a newer revision than the new one is invalidDocumentRevision, and
// nothing changes. It returns the changed consents.
func (e *env) reviseDocument(s ReviseSpec) ([]*Consent, error) {
	if err := checkURI(ErrInvalidDocumentURI, "uri", s.URI); err != nil {
		return nil, err
	}
	if s.NewURI != "" {
		if err := checkURI(ErrInvalidDocumentURI, "newUri", s.NewURI); err != nil {
			return nil, err
		}
	}
	if s.ContextURI != "" {
		if err := checkURI(ErrInvalidContextURI, "contextUri", s.ContextURI); err != nil {
			return nil, err
		}
	}
	at := s.RevisedAt
	if at.IsZero() {
		at = e.now
	}
	at = at.UTC().Truncate(time.Millisecond)
	found, err := e.matching(s.URI, s.Type, s.ContextURI)
	if err != nil {
		return nil, err
	}
	for _, c := range found {
		if c.Document.RevisedAt.After(at) {
			return nil, &Error{Type: ErrInvalidDocumentRevision, Status: 400,
				Message: fmt.Sprintf("revisedAt %s is before the revision of %s that consent %s holds (%s)",
					at.Format(timeLayout), quote(s.URI), c.ID, c.Document.RevisedAt.Format(timeLayout)),
				Remediation: "Pass the revision date of the new revision: it cannot be older than the current one.",
				Attributes: map[string]any{"uri": s.URI, "revisedAt": at.Format(timeLayout),
					"storedRevisedAt": c.Document.RevisedAt.Format(timeLayout), "id": c.ID}}
		}
	}
	var out []*Consent
	for _, c := range found {
		older := c.State != Rescinded && (c.Document.RevisedAt.IsZero() || c.Document.RevisedAt.Before(at))
		move := s.NewURI != "" && s.NewURI != c.Document.URI
		if !older && !move {
			continue
		}
		from := c.State
		details := map[string]any{"uri": s.URI}
		if older {
			details["revisionId"], details["revisedAt"] = orNil(s.RevisionID), at.Format(timeLayout)
			c.Document.RevisionID, c.Document.RevisedAt = s.RevisionID, at
			if c.State == Given {
				c.State = Transitions["revise"].To
			}
		}
		if move {
			details["newUri"] = s.NewURI
			c.Document.URI = s.NewURI
		}
		if err := e.save(c, "revise", from, details); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// MoveSpec moves a document.
type MoveSpec struct {
	Type, ContextURI, URI, NewURI string
}

// moveDocument points every matching consent (any state) at newUri; states are unchanged.
func (e *env) moveDocument(s MoveSpec) ([]*Consent, error) {
	if err := checkURI(ErrInvalidDocumentURI, "uri", s.URI); err != nil {
		return nil, err
	}
	if err := checkURI(ErrInvalidDocumentURI, "newUri", s.NewURI); err != nil {
		return nil, err
	}
	if s.ContextURI != "" {
		if err := checkURI(ErrInvalidContextURI, "contextUri", s.ContextURI); err != nil {
			return nil, err
		}
	}
	if s.NewURI == s.URI {
		return nil, nil
	}
	found, err := e.matching(s.URI, s.Type, s.ContextURI)
	if err != nil {
		return nil, err
	}
	for _, c := range found {
		c.Document.URI = s.NewURI
		if err := e.save(c, "move", c.State, map[string]any{"uri": s.URI, "newUri": s.NewURI}); err != nil {
			return nil, err
		}
	}
	return found, nil
}

// needed are the user's pending and stale consents, oldest first; consolidate keeps the first
// one per (type, document uri).
func (e *env) needed(userID string, consolidate bool) ([]*Consent, error) {
	found, err := e.find(map[string]any{"userId": userID, "state": map[string]any{"$in": []any{Pending, Stale}}})
	if err != nil || !consolidate {
		return found, err
	}
	seen := map[[2]string]bool{}
	out := found[:0]
	for _, c := range found {
		k := [2]string{c.Type, c.Document.URI}
		if !seen[k] {
			seen[k] = true
			out = append(out, c)
		}
	}
	return out, nil
}
