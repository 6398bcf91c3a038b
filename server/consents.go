package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/kubusdev/kubus/builtins/consent"
	"github.com/kubusdev/kubus/store"
)

// The Consents API (consent-and-ockto.md §2), HAL-style under /consents/: every operation is the
// Consent module's (package consent), run in a store transaction of its own and committed, so the
// checks, the state changes and the audit events are exactly those of rule code. Errors keep the
// Consents API's body {"_error": {...}}. A consent's ETag is its etag; If-Match is checked in the
// same transaction as the change, so it cannot be overtaken between the check and the commit.
//
// The user: a query parameter ?user= (or userId=) where an operation selects by user (list,
// needed, create, rescind), else the record's own userId; given on an operation on one consent,
// it must be that consent's user (another user's consent answers 404, as an unknown one).

const halJSON = "application/hal+json"

// consent list bounds
const (
	defaultConsentPage = 100
	maxConsentPage     = 1000
	maxConsentStart    = 1_000_000
)

// ---- errors ----

// consentErrorBody is the Consents API's error body.
type consentErrorBody struct {
	Error consentError `json:"_error"`
}

type consentError struct {
	ID          string         `json:"_id"`
	Message     string         `json:"message"`
	StatusCode  int            `json:"statusCode"`
	Type        string         `json:"type"`
	Attributes  map[string]any `json:"attributes"`
	Remediation string         `json:"remediation"`
	OccurredAt  string         `json:"occurredAt"`
}

// consentFail answers err in the Consents API's shape.
func (s *Server) consentFail(c *call, err error) {
	e := consentError{ID: uuid.NewString(), OccurredAt: s.cfg.Now().UTC().Format("2006-01-02T15:04:05.000Z"), Attributes: map[string]any{}}
	var ce *consent.Error
	var pe *problemError
	switch {
	case errors.As(err, &ce):
		e.Type, e.StatusCode, e.Message, e.Remediation = ce.Type, ce.Status, ce.Message, ce.Remediation
		if ce.Attributes != nil {
			e.Attributes = ce.Attributes
		}
	case errors.As(err, &pe):
		e.StatusCode, e.Message = pe.p.Status, pe.p.Detail
		e.Type = map[int]string{400: "badRequest", 413: "requestTooLarge", 415: "unsupportedMediaType"}[pe.p.Status]
		if e.Type == "" {
			e.Type = "badRequest"
		}
		e.Remediation = "Fix the request as the message says."
	case errors.Is(err, store.ErrConflict):
		e.Type, e.StatusCode = "conflict", http.StatusConflict
		e.Message = fmt.Sprintf("the consents kept changing under this request (%d attempts)", maxWriteAttempts)
		e.Remediation = "Read the consent again and retry."
	default:
		if msg, ok := consent.ArgumentProblem(err); ok {
			e.Type, e.StatusCode, e.Message = "badRequest", http.StatusBadRequest, msg
			e.Remediation = "Fix the parameter as the message says."
			break
		}
		s.log.Error("consents", "route", c.route.Pattern, "error", err.Error(), "error_id", e.ID)
		e.Type, e.StatusCode = "internalError", http.StatusInternalServerError
		e.Message = "the server failed on this request (error id " + e.ID + ")"
		e.Remediation = "Try again later; the error id identifies the failure in the server's log."
	}
	writeJSONStatus(c.w, e.StatusCode, "application/json", consentErrorBody{e})
}

// problemError carries a request problem (malformed body, bad parameter) into consentFail.
type problemError struct{ p *Problem }

func (e *problemError) Error() string { return e.p.errorString() }

func badConsentRequest(format string, args ...any) error {
	return &problemError{newProblem("invalid-request", format, args...)}
}

func preconditionFailed(id, etag, ifMatch string) error {
	return &consent.Error{Type: consent.ErrPreconditionFailed, Status: http.StatusPreconditionFailed,
		Message:     fmt.Sprintf("consent %s has changed: its etag is %s, not %s", id, etag, truncate(ifMatch, 100)),
		Remediation: "Read the consent again (GET /consents/consents/{id}), check that the change still applies, and send its current ETag in If-Match.",
		Attributes:  map[string]any{"id": id, "etag": etag, "ifMatch": truncate(ifMatch, 100)}}
}

// ---- representation ----

const consentTime = "2006-01-02T15:04:05.000Z"

type halLink struct {
	Href string `json:"href"`
}

type consentDocView struct {
	URI         string  `json:"uri"`
	ContentType *string `json:"contentType"`
	RevisionID  *string `json:"revisionId"`
	RevisedAt   *string `json:"revisedAt"`
}

// consentView is a consent as the API shows it: the record of the contract, times as RFC 3339 in
// UTC with milliseconds (null when not set), and its HAL links.
type consentView struct {
	ID                  string             `json:"_id"`
	Document            consentDocView     `json:"document"`
	Type                string             `json:"type"`
	UserID              string             `json:"userId"`
	ContextURI          *string            `json:"contextUri"`
	SecondaryContextURI *string            `json:"secondaryContextUri"`
	State               string             `json:"state"`
	GivenAt             *string            `json:"givenAt"`
	RequestRevokedAt    *string            `json:"requestRevokedAt"`
	RequestRescindedAt  *string            `json:"requestRescindedAt"`
	CreatedAt           *string            `json:"createdAt"`
	ETag                string             `json:"etag"`
	Links               map[string]halLink `json:"_links"`
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(consentTime)
	return &s
}

func consentHref(id string) string { return "/consents/consents/" + url.PathEscape(id) }

func viewConsent(c *consent.Consent) consentView {
	self := consentHref(c.ID)
	q := "?consent=" + url.QueryEscape(c.ID)
	return consentView{
		ID: c.ID,
		Document: consentDocView{URI: c.Document.URI, ContentType: optStr(c.Document.ContentType),
			RevisionID: optStr(c.Document.RevisionID), RevisedAt: optTime(c.Document.RevisedAt)},
		Type: c.Type, UserID: c.UserID, ContextURI: optStr(c.ContextURI), SecondaryContextURI: optStr(c.SecondaryContextURI),
		State: c.State, GivenAt: optTime(c.GivenAt), RequestRevokedAt: optTime(c.RequestRevokedAt),
		RequestRescindedAt: optTime(c.RequestRescindedAt), CreatedAt: optTime(c.CreatedAt), ETag: c.ETag,
		Links: map[string]halLink{"self": {self}, "give": {"/consents/givenConsents" + q}, "revoke": {"/consents/revokedConsents" + q}},
	}
}

// writeConsentList answers a HAL collection of consents.
func writeConsentList(c *call, status int, list []*consent.Consent, links map[string]halLink, extra map[string]any) {
	views := make([]consentView, len(list))
	for i, k := range list {
		views[i] = viewConsent(k)
	}
	if links == nil {
		links = map[string]halLink{}
	}
	if _, ok := links["self"]; !ok {
		links["self"] = halLink{c.r.URL.RequestURI()}
	}
	body := map[string]any{"_links": links, "_embedded": map[string]any{"consents": views}, "count": len(views)}
	for k, v := range extra {
		body[k] = v
	}
	writeJSONStatus(c.w, status, halJSON, body)
}

func writeConsent(c *call, status int, k *consent.Consent) {
	c.w.Header().Set("ETag", k.ETag)
	writeJSONStatus(c.w, status, halJSON, viewConsent(k))
}

// ---- parameters ----

// queryUser is the ?user= (or ?userId=) parameter; an error when both differ or it is too long.
func queryUser(r *http.Request) (string, error) {
	q := r.URL.Query()
	u, uid := q.Get("user"), q.Get("userId")
	if u != "" && uid != "" && u != uid {
		return "", badConsentRequest("user and userId name different users")
	}
	if u == "" {
		u = uid
	}
	if len(u) > consent.MaxUserIDLength {
		return "", badConsentRequest("user is longer than %d characters", consent.MaxUserIDLength)
	}
	return u, nil
}

// optionalBody decodes a JSON object body into v when there is one (an empty body is none).
func optionalBody(r *http.Request, v any) error {
	if r.ContentLength == 0 || (r.ContentLength < 0 && r.Header.Get("Content-Type") == "") {
		return nil
	}
	if p := decodeJSON(r, v); p != nil {
		return &problemError{p}
	}
	return nil
}

func requiredBody(r *http.Request, v any) error {
	if p := decodeJSON(r, v); p != nil {
		return &problemError{p}
	}
	return nil
}

// parseConsentTime reads an optional time field: RFC 3339 or YYYY-MM-DD (midnight UTC).
func parseConsentTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := parseTimeParam(s)
	if err != nil {
		return time.Time{}, badConsentRequest("%s: %v", field, err)
	}
	return t.UTC(), nil
}

// ownedBy refuses a consent of another user than ?user= with the error of an unknown id: a key
// scoped to consents may know one user's consent ids without learning another's.
func ownedBy(k *consent.Consent, user string) error {
	if user != "" && k.UserID != user {
		return &consent.Error{Type: consent.ErrConsentRefNotFound, Status: http.StatusNotFound,
			Message:     fmt.Sprintf("there is no consent with id %q of user %q", truncate(k.ID, 60), truncate(user, 60)),
			Remediation: "Check the consent id and the user: GET /consents/consents?user= lists a user's consents.",
			Attributes:  map[string]any{"id": k.ID}}
	}
	return nil
}

// ---- handlers ----

// listConsents is GET /consents/consents and the state views (givenConsents, ...).
func (s *Server) listConsents(state string) func(*call) {
	return func(c *call) {
		spec, start, limit, err := readListSpec(c.r, state)
		if err != nil {
			s.consentFail(c, err)
			return
		}
		tx := s.st.Begin()
		list, err := consent.List(tx, s.cfg.Now(), spec)
		tx.Discard()
		if err != nil {
			s.consentFail(c, err)
			return
		}
		links := map[string]halLink{}
		if len(list) > limit {
			list = list[:limit]
			nq := c.r.URL.Query()
			nq.Set("start", strconv.Itoa(start+limit))
			links["next"] = halLink{c.r.URL.Path + "?" + nq.Encode()}
		}
		writeConsentList(c, http.StatusOK, list, links, map[string]any{"start": start, "limit": limit})
	}
}

// readListSpec reads a list's query parameters; the spec asks for one more than limit, to tell
// whether a next page exists.
func readListSpec(r *http.Request, state string) (spec consent.ListSpec, start, limit int, err error) {
	q := r.URL.Query()
	user, err := queryUser(r)
	if err != nil {
		return spec, 0, 0, err
	}
	var p *Problem
	if limit, p = queryInt(r, "limit", defaultConsentPage, 1, maxConsentPage); p != nil {
		return spec, 0, 0, &problemError{p}
	}
	if start, p = queryInt(r, "start", 0, 0, maxConsentStart); p != nil {
		return spec, 0, 0, &problemError{p}
	}
	if len(q.Get("q")) > consent.MaxFilterLength {
		return spec, 0, 0, badConsentRequest("q is longer than %d characters", consent.MaxFilterLength)
	}
	spec = consent.ListSpec{
		Types: consent.Alternatives(q.Get("type")), States: consent.Alternatives(q.Get("state")),
		UserIDs: consent.Alternatives(user), ContextURIs: consent.Alternatives(q.Get("contextUri")),
		SecondaryContextURIs: consent.Alternatives(q.Get("secondaryContextUri")),
		Filter:               q.Get("filter"), Q: q.Get("q"), SortBy: q.Get("sortBy"), Start: start, Limit: limit + 1,
	}
	if state != "" {
		if st := q.Get("state"); st != "" && st != state {
			return spec, 0, 0, badConsentRequest("%s lists the %s consents: leave out state", r.URL.Path, state)
		}
		spec.States = []string{state}
	}
	return spec, start, limit, nil
}

type createConsentRequest struct {
	Type                string `json:"type"`
	UserID              string `json:"userId"`
	ContextURI          string `json:"contextUri"`
	SecondaryContextURI string `json:"secondaryContextUri"`
	Document            *struct {
		URI         string `json:"uri"`
		ContentType string `json:"contentType"`
		RevisionID  string `json:"revisionId"`
		RevisedAt   string `json:"revisedAt"`
	} `json:"document"`
}

func (s *Server) createConsent(c *call) {
	var req createConsentRequest
	if err := requiredBody(c.r, &req); err != nil {
		s.consentFail(c, err)
		return
	}
	user, err := queryUser(c.r)
	if err != nil {
		s.consentFail(c, err)
		return
	}
	switch {
	case req.UserID == "":
		req.UserID = user
	case user != "" && user != req.UserID:
		s.consentFail(c, badConsentRequest("?user=%s and the body's userId name different users", truncate(user, 60)))
		return
	}
	if req.UserID == "" || len(req.UserID) > consent.MaxUserIDLength {
		s.consentFail(c, badConsentRequest("userId (or ?user=) is required: a user id of at most %d characters", consent.MaxUserIDLength))
		return
	}
	if req.Document == nil {
		s.consentFail(c, badConsentRequest("document is required: {uri, contentType?, revisionId?, revisedAt?}"))
		return
	}
	revised, err := parseConsentTime("document.revisedAt", req.Document.RevisedAt)
	if err != nil {
		s.consentFail(c, err)
		return
	}
	spec := consent.CreateSpec{Type: req.Type, UserID: req.UserID, ContextURI: req.ContextURI, SecondaryContextURI: req.SecondaryContextURI,
		Document: consent.Document{URI: req.Document.URI, ContentType: req.Document.ContentType, RevisionID: req.Document.RevisionID, RevisedAt: revised}}
	inm, noneMatch := header(c.r, "If-None-Match")
	var (
		k       *consent.Consent
		created bool
	)
	err = s.inTx(func(tx store.Tx) error {
		var err error
		k, created, err = consent.Create(tx, s.cfg.Now(), spec)
		if err == nil && !created && noneMatch && matchWeak(inm, k.ETag) {
			return &consent.Error{Type: consent.ErrPreconditionFailed, Status: http.StatusPreconditionFailed,
				Message:     fmt.Sprintf("user %s already has consent %s of type %s for this document", truncate(k.UserID, 60), k.ID, k.Type),
				Remediation: "Leave out If-None-Match: * to get the existing consent, or use it: GET " + consentHref(k.ID) + ".",
				Attributes:  map[string]any{"id": k.ID, "etag": k.ETag}}
		}
		return err
	})
	if err != nil {
		s.consentFail(c, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		c.w.Header().Set("Location", consentHref(k.ID))
	}
	writeConsent(c, status, k)
}

func (s *Server) getConsent(c *call) {
	user, err := queryUser(c.r)
	if err != nil {
		s.consentFail(c, err)
		return
	}
	tx := s.st.Begin()
	k, err := consent.Get(tx, c.r.PathValue("id"))
	tx.Discard()
	if err == nil {
		err = ownedBy(k, user)
	}
	if err != nil {
		s.consentFail(c, err)
		return
	}
	if notModified(c.r, k.ETag) {
		writeNotModified(c.w, k.ETag)
		return
	}
	writeConsent(c, http.StatusOK, k)
}

// consentRef is the body of give and revoke: the consent (also ?consent=) and give's scope.
type consentRef struct {
	Consent string `json:"consent"`
	ID      string `json:"_id"`
	Scope   string `json:"scope"`
}

// readConsentRef reads which consent an operation is about: ?consent= or the body's consent (or _id).
func readConsentRef(r *http.Request) (consentRef, error) {
	var ref consentRef
	if err := optionalBody(r, &ref); err != nil {
		return ref, err
	}
	if ref.Consent == "" {
		ref.Consent = ref.ID
	}
	if qc := r.URL.Query().Get("consent"); qc != "" {
		if ref.Consent != "" && ref.Consent != qc {
			return ref, badConsentRequest("?consent= and the body name different consents")
		}
		ref.Consent = qc
	}
	if ref.Consent == "" {
		return ref, badConsentRequest("which consent? send ?consent=ID (or {\"consent\": ID} in the body)")
	}
	return ref, nil
}

func (s *Server) giveConsent(c *call) {
	ref, err := readConsentRef(c.r)
	if err != nil {
		s.consentFail(c, err)
		return
	}
	matching := true
	switch ref.Scope {
	case "", "matching":
	case "instance":
		matching = false
	default:
		s.consentFail(c, badConsentRequest(`scope must be "matching" or "instance", got %q`, truncate(ref.Scope, 40)))
		return
	}
	user, err := queryUser(c.r)
	if err != nil {
		s.consentFail(c, err)
		return
	}
	ifMatch, hasIfMatch := header(c.r, "If-Match")
	var k *consent.Consent
	err = s.inTx(func(tx store.Tx) error {
		cur, err := consent.Get(tx, ref.Consent)
		if err != nil {
			return err
		}
		if err := ownedBy(cur, user); err != nil {
			return err
		}
		if hasIfMatch && !matchStrong(ifMatch, cur.ETag) {
			return preconditionFailed(cur.ID, cur.ETag, ifMatch)
		}
		k, err = consent.Give(tx, s.cfg.Now(), ref.Consent, matching)
		return err
	})
	if err != nil {
		s.consentFail(c, err)
		return
	}
	writeConsent(c, http.StatusOK, k)
}

func (s *Server) revokeConsent(c *call) {
	ref, err := readConsentRef(c.r)
	if err != nil {
		s.consentFail(c, err)
		return
	}
	if ref.Scope != "" {
		s.consentFail(c, badConsentRequest("revoke takes no scope"))
		return
	}
	user, err := queryUser(c.r)
	if err != nil {
		s.consentFail(c, err)
		return
	}
	ifMatch, hasIfMatch := header(c.r, "If-Match")
	var k *consent.Consent
	err = s.inTx(func(tx store.Tx) error {
		cur, err := consent.Get(tx, ref.Consent)
		if err != nil {
			return err
		}
		if err := ownedBy(cur, user); err != nil {
			return err
		}
		k, err = consent.Revoke(tx, s.cfg.Now(), ref.Consent, ifMatch, hasIfMatch)
		return err
	})
	if err != nil {
		s.consentFail(c, err)
		return
	}
	writeConsent(c, http.StatusOK, k)
}

type rescindRequest struct {
	Type             string          `json:"type"`
	User             string          `json:"user"`
	Context          string          `json:"context"`
	SecondaryContext string          `json:"secondaryContext"`
	Document         json.RawMessage `json:"document"`
	All              bool            `json:"all"`
}

func (s *Server) rescindConsents(c *call) {
	var req rescindRequest
	if err := requiredBody(c.r, &req); err != nil {
		s.consentFail(c, err)
		return
	}
	user, err := queryUser(c.r)
	if err != nil {
		s.consentFail(c, err)
		return
	}
	switch {
	case req.User == "":
		req.User = user
	case user != "" && user != req.User:
		s.consentFail(c, badConsentRequest("?user= and the body's user name different users"))
		return
	}
	if req.Type == "" {
		s.consentFail(c, badConsentRequest("type is required (the consent type to rescind)"))
		return
	}
	spec := consent.RescindSpec{Type: req.Type, UserID: req.User, ContextURI: req.Context, SecondaryContextURI: req.SecondaryContext, All: req.All}
	if len(req.Document) > 0 && string(req.Document) != "null" {
		var uri string
		var doc struct {
			URI string `json:"uri"`
		}
		switch {
		case json.Unmarshal(req.Document, &uri) == nil:
			spec.DocumentURI = uri
		case json.Unmarshal(req.Document, &doc) == nil && doc.URI != "":
			spec.DocumentURI = doc.URI
		default:
			s.consentFail(c, badConsentRequest("document must be the document's uri or {uri}"))
			return
		}
	}
	var list []*consent.Consent
	err = s.inTx(func(tx store.Tx) error {
		var err error
		list, err = consent.Rescind(tx, s.cfg.Now(), spec)
		return err
	})
	if err != nil {
		s.consentFail(c, err)
		return
	}
	writeConsentList(c, http.StatusOK, list, nil, nil)
}

type reviseRequest struct {
	URI        string `json:"uri"`
	RevisionID string `json:"revisionId"`
	RevisedAt  string `json:"revisedAt"`
	Type       string `json:"type"`
	ContextURI string `json:"contextUri"`
	NewURI     string `json:"newUri"`
}

func (s *Server) reviseDocument(c *call) {
	var req reviseRequest
	if err := requiredBody(c.r, &req); err != nil {
		s.consentFail(c, err)
		return
	}
	at, err := parseConsentTime("revisedAt", req.RevisedAt)
	if err != nil {
		s.consentFail(c, err)
		return
	}
	spec := consent.ReviseSpec{URI: req.URI, RevisionID: req.RevisionID, RevisedAt: at, Type: req.Type, ContextURI: req.ContextURI, NewURI: req.NewURI}
	var list []*consent.Consent
	err = s.inTx(func(tx store.Tx) error {
		var err error
		list, err = consent.ReviseDocument(tx, s.cfg.Now(), spec)
		return err
	})
	if err != nil {
		s.consentFail(c, err)
		return
	}
	writeConsentList(c, http.StatusOK, list, nil, nil)
}

type moveRequest struct {
	Type       string `json:"type"`
	ContextURI string `json:"contextUri"`
	URI        string `json:"uri"`
	NewURI     string `json:"newUri"`
}

func (s *Server) moveDocument(c *call) {
	var req moveRequest
	if err := requiredBody(c.r, &req); err != nil {
		s.consentFail(c, err)
		return
	}
	spec := consent.MoveSpec{Type: req.Type, ContextURI: req.ContextURI, URI: req.URI, NewURI: req.NewURI}
	var list []*consent.Consent
	err := s.inTx(func(tx store.Tx) error {
		var err error
		list, err = consent.MoveDocument(tx, s.cfg.Now(), spec)
		return err
	})
	if err != nil {
		s.consentFail(c, err)
		return
	}
	writeConsentList(c, http.StatusOK, list, nil, nil)
}

func (s *Server) neededConsents(c *call) {
	user, err := queryUser(c.r)
	if err != nil {
		s.consentFail(c, err)
		return
	}
	if user == "" {
		s.consentFail(c, badConsentRequest("?user= is required: whose consents are needed?"))
		return
	}
	consolidate := false
	switch v := c.r.URL.Query().Get("consolidate"); v {
	case "", "false":
	case "true":
		consolidate = true
	default:
		s.consentFail(c, badConsentRequest("consolidate must be true or false, got %q", truncate(v, 20)))
		return
	}
	tx := s.st.Begin()
	list, err := consent.Needed(tx, s.cfg.Now(), user, consolidate)
	tx.Discard()
	if err != nil {
		s.consentFail(c, err)
		return
	}
	writeConsentList(c, http.StatusOK, list, nil, nil)
}

// typeNamesETag is the strong ETag of the type-name list.
func typeNamesETag(names []consent.TypeName) string {
	b, _ := json.Marshal(names)
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

func writeTypeNames(c *call, names []consent.TypeName) {
	etag := typeNamesETag(names)
	c.w.Header().Set("ETag", etag)
	if names == nil {
		names = []consent.TypeName{}
	}
	writeJSONStatus(c.w, http.StatusOK, halJSON, map[string]any{
		"_links":    map[string]halLink{"self": {"/consents/consentTypeNames"}},
		"_embedded": map[string]any{"consentTypeNames": names},
		"count":     len(names),
	})
}

func (s *Server) getTypeNames(c *call) {
	tx := s.st.Begin()
	names, err := consent.TypeNames(tx)
	tx.Discard()
	if err != nil {
		s.consentFail(c, err)
		return
	}
	if notModified(c.r, typeNamesETag(names)) {
		writeNotModified(c.w, typeNamesETag(names))
		return
	}
	writeTypeNames(c, names)
}

// putTypeNames replaces the list: the body is an array of names or {name, label, description},
// or an object holding it as consentTypeNames (or _embedded.consentTypeNames, what GET answers).
func (s *Server) putTypeNames(c *call) {
	var raw json.RawMessage
	if err := requiredBody(c.r, &raw); err != nil {
		s.consentFail(c, err)
		return
	}
	names, err := readTypeNames(raw)
	if err != nil {
		s.consentFail(c, err)
		return
	}
	ifMatch, hasIfMatch := header(c.r, "If-Match")
	var out []consent.TypeName
	err = s.inTx(func(tx store.Tx) error {
		cur, err := consent.TypeNames(tx)
		if err != nil {
			return err
		}
		if etag := typeNamesETag(cur); hasIfMatch && !matchStrong(ifMatch, etag) {
			return &consent.Error{Type: consent.ErrPreconditionFailed, Status: http.StatusPreconditionFailed,
				Message:     fmt.Sprintf("the consent type names have changed: their ETag is %s, not %s", etag, truncate(ifMatch, 100)),
				Remediation: "Read them again (GET /consents/consentTypeNames) and send the current ETag in If-Match.",
				Attributes:  map[string]any{"etag": etag}}
		}
		out, err = consent.SetTypeNames(tx, s.cfg.Now(), names)
		return err
	})
	if err != nil {
		s.consentFail(c, err)
		return
	}
	writeTypeNames(c, out)
}

func readTypeNames(raw json.RawMessage) ([]consent.TypeName, error) {
	var wrapped struct {
		Names    json.RawMessage `json:"consentTypeNames"`
		Embedded struct {
			Names json.RawMessage `json:"consentTypeNames"`
		} `json:"_embedded"`
	}
	list := raw
	if t := strings.TrimSpace(string(raw)); strings.HasPrefix(t, "{") {
		if err := json.Unmarshal(raw, &wrapped); err != nil {
			return nil, badConsentRequest("the body must be an array of type names, or {\"consentTypeNames\": [...]}")
		}
		list = wrapped.Names
		if len(list) == 0 {
			list = wrapped.Embedded.Names
		}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(list, &items); err != nil || items == nil {
		return nil, badConsentRequest("the body must be an array of type names, or {\"consentTypeNames\": [...]}")
	}
	if len(items) > consent.MaxTypeNames {
		return nil, badConsentRequest("at most %d consent type names", consent.MaxTypeNames)
	}
	out := make([]consent.TypeName, 0, len(items))
	for i, it := range items {
		var name string
		if json.Unmarshal(it, &name) == nil {
			out = append(out, consent.TypeName{Name: name})
			continue
		}
		var tn consent.TypeName
		if err := json.Unmarshal(it, &tn); err != nil || tn.Name == "" {
			return nil, badConsentRequest("consentTypeNames[%d] must be a name or {name, label, description}", i)
		}
		out = append(out, tn)
	}
	return out, nil
}
