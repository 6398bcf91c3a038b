// Package consent is the "Consent" module: users' consents to documents (terms and conditions,
// privacy policies, ...), kept in the running execution's store transaction (builtins.Exec.Tx), so
// that a change is kept only when the execution succeeds. It implements section 2 of the contract
// (the design contract consent-and-ockto.md, "Document consents") for rules; the HTTP (HAL) mapping is not
// part of this package. Consent.check (check.go) answers "may I use this?" over document consents,
// bank-data (AIS) consents from Ockto and data debits: contract section 5.
//
// # Records
//
// A consent is a store record of Kind (ruleset "_consents", entity "Consent"). JS sees it as
//
//	{_id, document: {uri, contentType, revisionId, revisedAt}, type, userId, contextUri,
//	 secondaryContextUri, state, givenAt, requestRevokedAt, requestRescindedAt, createdAt, etag}
//
// with times as Dates (null when not set) and absent strings as null. The props hold the same
// fields (times as RFC 3339 strings in UTC with milliseconds, so that they sort chronologically)
// plus "version", the number of changes. States: pending, given, stale, rescinded, revoked; the
// state changes are in Transitions.
//
// The etag is a strong ETag: the quoted hex of (the first 16 bytes of) a SHA-256 over the id, the
// version and every field, e.g. "\"3f2a…\"". The version makes it change on every change, also when
// a change brings the content back to an earlier value. revoke's ifMatch compares it strongly, as
// If-Match does: "*" matches any consent, a comma-separated list matches when one tag does, and a
// weak tag (W/"…") never matches.
//
// # Decisions the contract leaves open
//
//   - create of a consent that is already there (same userId, type, document.uri and contextUri,
//     not rescinded: a rescind is final, so asking again makes a new consent) returns the existing
//     one unchanged. create's result carries created: true for a new consent and created: false for
//     an existing one (HTTP 201 and 200); the other functions' results have no created property.
//     Concurrent creates of the same consent conflict at commit (a key record per (userId, type,
//     document.uri, contextUri) is read and written), so the engine runs the second again and it
//     finds the first's.
//   - give returns the consent named by id; with scope "matching" the user's other pending and
//     stale consents of the same type and document.uri are given too (each with its own audit event).
//   - revoke checks, in HTTP's order: the consent exists (404), ifMatch (412), its state (409).
//   - rescind selects consents by type (required), user (userId), context (contextUri),
//     secondaryContext (secondaryContextUri) and document (its uri, a string or {uri}); nothing
//     selected is consentRefNotFound, only rescinded ones selected is invalidConsentState.
//   - reviseDocument's revisedAt defaults to the execution clock. A consent holds an older revision
//     when its document.revisedAt is unknown or before the new one; those that are not rescinded
//     take the new revision (revisionId, revisedAt), and given ones become stale. Any consent of the
//     document holding a newer revision makes the call invalidDocumentRevision and changes nothing.
//     newUri moves every consent of the document as moveDocument does. It returns the changed ones.
//   - moveDocument changes every consent of the uri (any state) and returns them.
//   - get of an unknown id is null; give, revoke name an id that must exist (consentRefNotFound).
//   - list: type, state, userId, contextUri and secondaryContextUri take "a|b" alternatives; q is
//     free text (every word, case-insensitively, in type, document.uri, contextUri or
//     secondaryContextUri); filter is the small language of parseFilter:
//     "eq(state,'given') and contains(document.uri,'terms')" (eq, ne, contains, search; values
//     single-quoted, a quote inside doubled, or null). sortBy "type,-givenAt" (consents without the field
//     last, in both directions; default oldest first); start (default 0) and limit (default all)
//     page the result.
//   - Type names are one record of TypeNamesKind; until setTypeNames is called they are
//     DefaultTypeNames. A type name is in use while any consent of that type exists, in any state.
//
// # Errors
//
// A wrong argument type throws a TypeError naming the function ("Consent.give: id must be a
// string, got 1"); a value of the right type that cannot be read (an unknown scope, a filter with a
// syntax error) a RangeError. The contract's refusals throw an Error whose name and type are the
// contract's error type, with statusCode (the HTTP status), message, remediation and attributes:
//
//	try { Consent.revoke(id, {ifMatch: etag}) } catch (e) { if (e.type === "preconditionFailed") … }
//
// Every check is made before anything is written, so a refused call changes nothing. Without a
// store, or when the store fails, the functions throw an Error naming the function.
//
// # Audit
//
// Every change of a consent appends an audit.Event in the same transaction: Actor the consent's
// userId, Subject "consent", Action create, give, revoke, rescind, revise or move, From and To the
// states. setTypeNames appends one with Subject "consentTypeNames" and Actor "system".
//
// # Known limits
//
// Queries scan every consent (the store has no secondary indexes yet). The store detects lost
// updates, not phantoms: a setTypeNames that removes a type while another execution creates a
// consent of it at the same moment can both commit.
package consent

import (
	"errors"
	"fmt"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// noStore is the message for an execution without a store; it matches the other modules'.
const noStore = "no store is configured (engine.WithStore, or --store with the kubus command)"

// MaxUserIDLength bounds a user id.
const MaxUserIDLength = 1024

// Module installs the Consent namespace.
type Module struct{}

var _ builtins.Described = Module{}

// Name is "Consent".
func (Module) Name() string { return "Consent" }

// StoreGlobals: Consent keeps its records in the execution's store.
func (Module) StoreGlobals() []string { return []string{"Consent"} }

// Install defines the Consent namespace.
func (Module) Install(h *builtins.Host) error {
	_, err := builtins.InstallNamespace(h, "Consent", fns, nil)
	return err
}

// Typings declares the Consent namespace and the shapes it returns.
func (Module) Typings() string {
	return builtins.NamespaceTypings("Consent", "Users' consents to documents (terms, privacy policy, ...), kept in the store (needs a store).", fns, nil) +
		typesTypings
}

// Reference lists Consent's functions.
func (Module) Reference() []builtins.Entry { return builtins.ReferenceOf("Consent", fns, nil) }

const typesTypings = `declare namespace Consent {
  type State = "pending" | "given" | "stale" | "rescinded" | "revoked";
  interface ConsentDocument { uri: string; contentType: string | null; revisionId: string | null; revisedAt: Date | null }
  interface ConsentRecord {
    _id: string; document: ConsentDocument; type: string; userId: string; contextUri: string | null;
    secondaryContextUri: string | null; state: State; givenAt: Date | null; requestRevokedAt: Date | null;
    requestRescindedAt: Date | null; createdAt: Date; etag: string;
  }
  interface TypeName { name: string; label: string; description: string }
  /** What Consent.check answers: may the data be used, why (not), which source answered and the record it read (null when none). */
  interface CheckResult {
    allowed: boolean;
    reason: "given" | "stale" | "pending" | "revoked" | "rescinded" |
      "valid" | "expired" | "notAuthorised" | "inactive" | "notGranted" |
      "active" | "notAccepted" | "notStarted" | "canceled" | "missing";
    source: "consent" | "aisConsent" | "dataDebit";
    record: ConsentRecord | AisConsent.Consent | DataDebit.Record | null;
  }
  /** Consent.check's answer about a document consent ({type, contextUri?}): the most usable one of the user's, or null. */
  interface DocumentCheckResult extends CheckResult {
    reason: State | "missing";
    source: "consent";
    record: ConsentRecord | null;
  }
  /** Consent.check's answer about a bank-data consent ({aisScope?, iban?}): the user's consent that grants the use (else their most usable one), or null. */
  interface AisCheckResult extends CheckResult {
    reason: "valid" | "expired" | "notAuthorised" | "inactive" | "notGranted" | "missing";
    source: "aisConsent";
    record: AisConsent.Consent | null;
  }
  /** Consent.check's answer about a data debit ({dataDebitKey}): the data debit with that key, or null. */
  interface DataDebitCheckResult extends CheckResult {
    reason: "active" | "notAccepted" | "notStarted" | "canceled" | "expired" | "missing";
    source: "dataDebit";
    record: DataDebit.Record | null;
  }
  // Consent.check by the source its options ask, so that record has that source's type. TypeScript
  // tries these before the general signature declared above (a later declaration of a namespace puts
  // its overloads first); that one stays for options that are not an object literal of one kind.
  function check(userId: string, options: { type: string; contextUri?: string; at?: Date | string }): DocumentCheckResult;
  function check(userId: string, options: { aisScope: "balances" | "transactions" | "details"; iban?: string; at?: Date | string } |
    { aisScope?: "balances" | "transactions" | "details"; iban: string; at?: Date | string }): AisCheckResult;
  function check(userId: string, options: { dataDebitKey: string; at?: Date | string }): DataDebitCheckResult;
  /** What the functions throw for the contract's refusals (name === type). */
  interface ConsentError extends Error {
    type: "consentRefNotFound" | "consentTypeNameInUse" | "invalidConsentState" | "invalidConsentType" |
      "invalidContextUri" | "invalidDocumentRevision" | "invalidDocumentUri" | "preconditionFailed";
    statusCode: number; remediation: string; attributes: { [key: string]: unknown };
  }
}
`

var fns = []builtins.Fn{
	{
		Name: "create",
		Signature: "(spec: { type: string; userId: string; document: { uri: string; contentType?: string; revisionId?: string; revisedAt?: Date | string }; " +
			"contextUri?: string; secondaryContextUri?: string }): Consent.ConsentRecord & { created: boolean }",
		Doc: "Asks a user's consent to a document: a new pending consent (created: true), or the one already there for the same user, type, " +
			"document.uri and contextUri (created: false). Throws invalidConsentType, invalidDocumentUri or invalidContextUri.",
		Example: `Consent.create({type: "privacyPolicy", userId: "u1", document: {uri: "https://example.com/privacy"}}).state // "pending"`,
		Impl: impl("create", func(j *js, call goja.FunctionCall) goja.Value {
			spec := j.object(call, 0, "spec")
			s := CreateSpec{Type: j.reqString(spec, "type", "spec.type"), UserID: j.userID(j.reqString(spec, "userId", "spec.userId"), "spec.userId"),
				ContextURI: j.optString(spec, "contextUri", "spec.contextUri"), SecondaryContextURI: j.optString(spec, "secondaryContextUri", "spec.secondaryContextUri")}
			doc := j.reqObject(spec, "document", "spec.document")
			s.Document = Document{URI: j.reqString(doc, "uri", "spec.document.uri"), ContentType: j.optString(doc, "contentType", "spec.document.contentType"),
				RevisionID: j.optString(doc, "revisionId", "spec.document.revisionId"), RevisedAt: j.optDate(doc, "revisedAt", "spec.document.revisedAt")}
			c, created, err := j.env().create(s)
			if err != nil {
				j.fail(err)
			}
			o := j.consent(c)
			_ = o.Set("created", created)
			return o
		}),
	},
	{
		Name:      "give",
		Signature: `(id: string, options?: { scope?: "matching" | "instance" }): Consent.ConsentRecord`,
		Doc: "Gives a pending, stale or revoked consent (givenAt = now) and returns it; scope \"matching\" (the default) also gives the user's " +
			"pending and stale consents of the same type and document.uri, \"instance\" only this one. Throws consentRefNotFound, invalidConsentState.",
		Example: `Consent.give(id).state // "given"`,
		Impl: impl("give", func(j *js, call goja.FunctionCall) goja.Value {
			id := j.h.String(call, 0, j.fn, "id")
			matching := true
			if opts := j.optObject(call, 1, "options"); opts != nil {
				switch scope := j.optString(opts, "scope", "options.scope"); scope {
				case "", "matching":
				case "instance":
					matching = false
				default:
					j.h.RangeError(j.fn, `options.scope must be "matching" or "instance", got %s`, quote(scope))
				}
			}
			c, err := j.env().give(id, matching)
			if err != nil {
				j.fail(err)
			}
			return j.consent(c)
		}),
	},
	{
		Name:      "revoke",
		Signature: "(id: string, options?: { ifMatch?: string }): Consent.ConsentRecord",
		Doc: "Revokes a given consent (requestRevokedAt = now) and returns it. With ifMatch, the consent's etag must match it. " +
			"Throws consentRefNotFound, preconditionFailed, invalidConsentState.",
		Example: `Consent.revoke(c._id, {ifMatch: c.etag}).state // "revoked"`,
		Impl: impl("revoke", func(j *js, call goja.FunctionCall) goja.Value {
			id := j.h.String(call, 0, j.fn, "id")
			var ifMatch string
			var has bool
			if opts := j.optObject(call, 1, "options"); opts != nil {
				ifMatch = j.optString(opts, "ifMatch", "options.ifMatch")
				has = !builtins.IsMissing(opts.Get("ifMatch")) && !goja.IsNull(opts.Get("ifMatch"))
			}
			c, err := j.env().revoke(id, ifMatch, has)
			if err != nil {
				j.fail(err)
			}
			return j.consent(c)
		}),
	},
	{
		Name: "rescind",
		Signature: "(criteria: { type: string; user?: string; context?: string; secondaryContext?: string; document?: string | { uri: string }; " +
			"all?: boolean }): Consent.ConsentRecord[]",
		Doc: "Rescinds the oldest matching consent that is not rescinded yet (all of them with all: true) and returns the rescinded ones. " +
			"Throws consentRefNotFound when nothing matches, invalidConsentState when only rescinded ones do.",
		Example: `Consent.rescind({type: "privacyPolicy", user: "u1", all: true}).length // 2`,
		Impl: impl("rescind", func(j *js, call goja.FunctionCall) goja.Value {
			o := j.object(call, 0, "criteria")
			s := RescindSpec{Type: j.reqString(o, "type", "criteria.type"), UserID: j.optString(o, "user", "criteria.user"),
				ContextURI: j.optString(o, "context", "criteria.context"), SecondaryContextURI: j.optString(o, "secondaryContext", "criteria.secondaryContext"),
				All: j.optBool(o, "all", "criteria.all")}
			if v := o.Get("document"); !builtins.IsMissing(v) && !goja.IsNull(v) {
				if d, ok := v.(*goja.Object); ok && d.ClassName() == "Object" {
					s.DocumentURI = j.reqString(d, "uri", "criteria.document.uri")
				} else if str, ok := builtins.StringOf(v); ok {
					s.DocumentURI = str
				} else {
					j.h.TypeError(j.fn, "criteria.document must be a string (the document's uri) or {uri}, got %s", builtins.Describe(v))
				}
			}
			list, err := j.env().rescind(s)
			if err != nil {
				j.fail(err)
			}
			return j.consents(list)
		}),
	},
	{
		Name:      "reviseDocument",
		Signature: "(spec: { uri: string; revisionId?: string; revisedAt?: Date | string; type?: string; contextUri?: string; newUri?: string }): Consent.ConsentRecord[]",
		Doc: "Records a new revision of a document (revisedAt defaults to now): its consents with an older revision take the new one and given " +
			"ones become stale; newUri also moves them. Returns the changed consents. Throws invalidDocumentRevision for a revision older than a stored one.",
		Example: `Consent.reviseDocument({uri: "https://example.com/terms", revisionId: "v2", revisedAt: "2024-07-01"}).length // 3`,
		Impl: impl("reviseDocument", func(j *js, call goja.FunctionCall) goja.Value {
			o := j.object(call, 0, "spec")
			s := ReviseSpec{URI: j.reqString(o, "uri", "spec.uri"), RevisionID: j.optString(o, "revisionId", "spec.revisionId"),
				RevisedAt: j.optDate(o, "revisedAt", "spec.revisedAt"), Type: j.optString(o, "type", "spec.type"),
				ContextURI: j.optString(o, "contextUri", "spec.contextUri"), NewURI: j.optString(o, "newUri", "spec.newUri")}
			list, err := j.env().reviseDocument(s)
			if err != nil {
				j.fail(err)
			}
			return j.consents(list)
		}),
	},
	{
		Name:      "moveDocument",
		Signature: "(spec: { uri: string; newUri: string; type?: string; contextUri?: string }): Consent.ConsentRecord[]",
		Doc:       "Points the consents of a document (of that type and context when given, in any state) at its new uri; states are unchanged. Returns them.",
		Example:   `Consent.moveDocument({uri: "https://example.com/terms", newUri: "https://example.com/legal/terms"}).length // 3`,
		Impl: impl("moveDocument", func(j *js, call goja.FunctionCall) goja.Value {
			o := j.object(call, 0, "spec")
			s := MoveSpec{URI: j.reqString(o, "uri", "spec.uri"), NewURI: j.reqString(o, "newUri", "spec.newUri"),
				Type: j.optString(o, "type", "spec.type"), ContextURI: j.optString(o, "contextUri", "spec.contextUri")}
			list, err := j.env().moveDocument(s)
			if err != nil {
				j.fail(err)
			}
			return j.consents(list)
		}),
	},
	{
		Name:      "needed",
		Signature: "(userId: string, options?: { consolidate?: boolean }): Consent.ConsentRecord[]",
		Doc:       "The user's pending and stale consents, oldest first; consolidate: true keeps one per (type, document.uri).",
		Example:   `Consent.needed("u1", {consolidate: true}).map(c => c.type) // ["privacyPolicy"]`,
		Impl: impl("needed", func(j *js, call goja.FunctionCall) goja.Value {
			user := j.h.String(call, 0, j.fn, "userId")
			var consolidate bool
			if opts := j.optObject(call, 1, "options"); opts != nil {
				consolidate = j.optBool(opts, "consolidate", "options.consolidate")
			}
			list, err := j.env().needed(user, consolidate)
			if err != nil {
				j.fail(err)
			}
			return j.consents(list)
		}),
	},
	{
		Name: "list",
		Signature: "(query?: { type?: string; state?: string; userId?: string; contextUri?: string; secondaryContextUri?: string; " +
			"filter?: string; q?: string; sortBy?: string; start?: number; limit?: number }): Consent.ConsentRecord[]",
		Doc: "Consents matching every criterion given: type, state, userId, contextUri and secondaryContextUri take \"a|b\" alternatives; " +
			"filter: eq/ne/contains/search calls joined by and, e.g. \"contains(document.uri,'terms')\"; q: free text; " +
			"sortBy \"type,-givenAt\" (default oldest first); start and limit page the result.",
		Example: `Consent.list({userId: "u1", state: "pending|stale", sortBy: "-createdAt", limit: 10}).length // 2`,
		Impl: impl("list", func(j *js, call goja.FunctionCall) goja.Value {
			s := ListSpec{Limit: -1}
			if o := j.optObject(call, 0, "query"); o != nil {
				s.Types = Alternatives(j.optString(o, "type", "query.type"))
				s.States = Alternatives(j.optString(o, "state", "query.state"))
				s.UserIDs = Alternatives(j.optString(o, "userId", "query.userId"))
				s.ContextURIs = Alternatives(j.optString(o, "contextUri", "query.contextUri"))
				s.SecondaryContextURIs = Alternatives(j.optString(o, "secondaryContextUri", "query.secondaryContextUri"))
				s.Filter = j.optString(o, "filter", "query.filter")
				s.Q = j.optString(o, "q", "query.q")
				s.SortBy = j.optString(o, "sortBy", "query.sortBy")
				s.Start = j.optInt(o, "start", "query.start", 0)
				s.Limit = j.optInt(o, "limit", "query.limit", -1)
			}
			list, err := j.env().list(s)
			if err != nil {
				j.fail(err)
			}
			return j.consents(list)
		}),
	},
	{
		Name:      "get",
		Signature: "(id: string): Consent.ConsentRecord | null",
		Doc:       "The consent with this id (including changes made earlier in this execution), or null when there is none.",
		Example:   `Consent.get(id)?.state // "given"`,
		Impl: impl("get", func(j *js, call goja.FunctionCall) goja.Value {
			id := j.h.String(call, 0, j.fn, "id")
			c, err := j.env().load(id)
			var nf *Error
			if errors.As(err, &nf) && nf.Type == ErrConsentRefNotFound {
				return goja.Null()
			}
			if err != nil {
				j.fail(err)
			}
			return j.consent(c)
		}),
	},
	{
		Name:      "typeNames",
		Signature: "(): Consent.TypeName[]",
		Doc:       "The managed consent type names, each {name, label, description} (by default productTermsAndConditions, termsAndConditions, privacyPolicy, electronicConsent).",
		Example:   `Consent.typeNames().map(t => t.name).includes("privacyPolicy") // true`,
		Impl: impl("typeNames", func(j *js, call goja.FunctionCall) goja.Value {
			list, err := j.env().typeNames()
			if err != nil {
				j.fail(err)
			}
			return j.typeNames(list)
		}),
	},
	{
		Name:      "setTypeNames",
		Signature: "(names: Array<string | { name: string; label?: string; description?: string }>): Consent.TypeName[]",
		Doc: "Replaces the managed consent type names (a label defaults to the name) and returns them. Removing a name that consents still " +
			"use throws consentTypeNameInUse; a malformed or repeated name invalidConsentType.",
		Example: `Consent.setTypeNames([...Consent.typeNames(), {name: "marketing", label: "Marketing"}]).length // 5`,
		Impl: impl("setTypeNames", func(j *js, call goja.FunctionCall) goja.Value {
			names := j.readTypeNames(call)
			list, err := j.env().setTypeNames(names)
			if err != nil {
				j.fail(err)
			}
			return j.typeNames(list)
		}),
	},
	checkFn,
}

// js is one function of one runtime: its name for messages and the intrinsic Error constructor,
// captured at install time (a ruleset may shadow the global Error later).
type js struct {
	h       *builtins.Host
	fn      string
	errCtor goja.Value
}

func impl(name string, body func(j *js, call goja.FunctionCall) goja.Value) func(*builtins.Host) func(goja.FunctionCall) goja.Value {
	return func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		j := &js{h: h, fn: "Consent." + name, errCtor: h.VM.Get("Error")}
		return func(call goja.FunctionCall) goja.Value { return body(j, call) }
	}
}

// env is the running execution's store transaction and clock; it throws an Error naming the
// function outside an execution or without a store.
func (j *js) env() *env {
	e := j.h.MustExec(j.fn)
	if e.Tx == nil {
		j.h.Error(j.fn, "%s", noStore)
	}
	return newEnv(e.Tx, e.Now)
}

// fail throws err: a contract refusal as an Error carrying its type, an argError as a RangeError,
// anything else (a store failure) as a GoError that still wraps the Go error.
func (j *js) fail(err error) {
	var ce *Error
	if errors.As(err, &ce) {
		vm := j.h.VM
		obj, nerr := vm.New(j.errCtor, vm.ToValue(j.fn+": "+ce.Message))
		if nerr != nil {
			panic(vm.NewGoError(nerr))
		}
		attrs := ce.Attributes
		if attrs == nil {
			attrs = map[string]any{}
		}
		// Own enumerable properties, so that JSON.stringify(e) shows the error body.
		_ = obj.Set("name", ce.Type)
		_ = obj.Set("type", ce.Type)
		_ = obj.Set("statusCode", ce.Status)
		_ = obj.Set("remediation", ce.Remediation)
		_ = obj.Set("attributes", attrs)
		panic(obj)
	}
	var ae *argError
	if errors.As(err, &ae) {
		j.h.RangeError(j.fn, "%s", ae.msg)
	}
	panic(j.h.VM.NewGoError(fmt.Errorf("%s: %w", j.fn, err)))
}

// object reads a required object argument.
func (j *js) object(call goja.FunctionCall, i int, arg string) *goja.Object {
	return j.h.Object(call, i, j.fn, arg)
}

// optObject reads an optional object argument: nil when missing (undefined).
func (j *js) optObject(call goja.FunctionCall, i int, arg string) *goja.Object {
	if builtins.IsMissing(call.Argument(i)) {
		return nil
	}
	return j.h.Object(call, i, j.fn, arg)
}

// absent reports whether a property counts as not given: undefined or null.
func absent(v goja.Value) bool { return builtins.IsMissing(v) || goja.IsNull(v) }

func (j *js) optString(o *goja.Object, key, path string) string {
	v := o.Get(key)
	if absent(v) {
		return ""
	}
	s, ok := builtins.StringOf(v)
	if !ok {
		j.h.TypeError(j.fn, "%s must be a string, got %s", path, builtins.Describe(v))
	}
	return s
}

func (j *js) reqString(o *goja.Object, key, path string) string {
	v := o.Get(key)
	if absent(v) {
		j.h.TypeError(j.fn, "%s is required (a string)", path)
	}
	return j.optString(o, key, path)
}

func (j *js) reqObject(o *goja.Object, key, path string) *goja.Object {
	v := o.Get(key)
	obj, ok := v.(*goja.Object)
	if !ok {
		if absent(v) {
			j.h.TypeError(j.fn, "%s is required (an object)", path)
		}
		j.h.TypeError(j.fn, "%s must be an object, got %s", path, builtins.Describe(v))
	}
	return obj
}

func (j *js) optBool(o *goja.Object, key, path string) bool {
	v := o.Get(key)
	if absent(v) {
		return false
	}
	b, ok := builtins.BoolOf(v)
	if !ok {
		j.h.TypeError(j.fn, "%s must be a boolean, got %s", path, builtins.Describe(v))
	}
	return b
}

// optInt reads a non-negative integer property.
func (j *js) optInt(o *goja.Object, key, path string, def int) int {
	v := o.Get(key)
	if absent(v) {
		return def
	}
	f, ok := builtins.NumberOf(v)
	if !ok {
		j.h.TypeError(j.fn, "%s must be an integer, got %s", path, builtins.Describe(v))
	}
	if f != float64(int64(f)) || f < 0 || f > builtins.MaxSafeInteger {
		j.h.RangeError(j.fn, "%s must be an integer of at least 0, got %s", path, builtins.Describe(v))
	}
	return int(f)
}

// optDate reads a Date or a date string (date-only and zone-less strings in the execution's zone);
// the zero time when absent.
func (j *js) optDate(o *goja.Object, key, path string) time.Time {
	v := o.Get(key)
	if absent(v) {
		return time.Time{}
	}
	if t, isDate, valid := builtins.DateOf(v); isDate {
		if !valid {
			j.h.RangeError(j.fn, "%s is an invalid Date", path)
		}
		return t
	}
	s, ok := builtins.StringOf(v)
	if !ok {
		j.h.TypeError(j.fn, `%s must be a Date or a "YYYY-MM-DD" or RFC 3339 string, got %s`, path, builtins.Describe(v))
	}
	t, ok := builtins.ParseDate(s, j.h.Location())
	if !ok {
		j.h.RangeError(j.fn, `%s must be a Date or a "YYYY-MM-DD" or RFC 3339 date string, got %s`, path, builtins.Describe(v))
	}
	return t.UTC()
}

// userID checks a user id's value: not empty, not too long.
func (j *js) userID(s, path string) string {
	if s == "" || len(s) > MaxUserIDLength {
		j.h.RangeError(j.fn, "%s must be a non-empty string of at most %d characters", path, MaxUserIDLength)
	}
	return s
}

// readTypeNames reads setTypeNames' array: strings or {name, label?, description?}. Its length
// is capped at MaxTypeNames + 1 before reading, so a huge sparse array is not walked; the model
// refuses the extra one.
func (j *js) readTypeNames(call goja.FunctionCall) []TypeName {
	const want = "an array of names or {name, label, description} objects"
	o, ok := call.Argument(0).(*goja.Object)
	if !ok || o.ClassName() != "Array" {
		if len(call.Arguments) == 0 {
			j.h.TypeError(j.fn, "names is required (%s)", want)
		}
		j.h.TypeError(j.fn, "names must be %s, got %s", want, builtins.Describe(call.Argument(0)))
	}
	n, ok := builtins.NumberOf(o.Get("length"))
	if !ok || n < 0 {
		j.h.TypeError(j.fn, "names must be %s", want)
	}
	if n > MaxTypeNames {
		n = MaxTypeNames + 1
	}
	out := make([]TypeName, 0, int(n))
	for i := range int(n) {
		el := o.Get(fmt.Sprint(i))
		path := fmt.Sprintf("names[%d]", i)
		if s, ok := builtins.StringOf(el); ok {
			out = append(out, TypeName{Name: s})
			continue
		}
		eo, ok := el.(*goja.Object)
		if !ok || eo.ClassName() == "Array" {
			j.h.TypeError(j.fn, "%s must be a string or {name, label, description}, got %s", path, builtins.Describe(el))
		}
		out = append(out, TypeName{Name: j.reqString(eo, "name", path+".name"), Label: j.optString(eo, "label", path+".label"),
			Description: j.optString(eo, "description", path+".description")})
	}
	return out
}

// date is a JS Date for t, null for the zero time.
func (j *js) date(t time.Time) goja.Value {
	if t.IsZero() {
		return goja.Null()
	}
	return j.h.NewDate(t)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// consent is the JS object of a consent.
func (j *js) consent(c *Consent) *goja.Object {
	vm := j.h.VM
	doc := vm.NewObject()
	_ = doc.Set("uri", c.Document.URI)
	_ = doc.Set("contentType", nullable(c.Document.ContentType))
	_ = doc.Set("revisionId", nullable(c.Document.RevisionID))
	_ = doc.Set("revisedAt", j.date(c.Document.RevisedAt))
	o := vm.NewObject()
	_ = o.Set("_id", c.ID)
	_ = o.Set("document", doc)
	_ = o.Set("type", c.Type)
	_ = o.Set("userId", c.UserID)
	_ = o.Set("contextUri", nullable(c.ContextURI))
	_ = o.Set("secondaryContextUri", nullable(c.SecondaryContextURI))
	_ = o.Set("state", c.State)
	_ = o.Set("givenAt", j.date(c.GivenAt))
	_ = o.Set("requestRevokedAt", j.date(c.RequestRevokedAt))
	_ = o.Set("requestRescindedAt", j.date(c.RequestRescindedAt))
	_ = o.Set("createdAt", j.date(c.CreatedAt))
	_ = o.Set("etag", c.ETag)
	return o
}

func (j *js) consents(list []*Consent) goja.Value {
	vals := make([]any, len(list))
	for i, c := range list {
		vals[i] = j.consent(c)
	}
	return j.h.VM.NewArray(vals...)
}

func (j *js) typeNames(list []TypeName) goja.Value {
	vals := make([]any, len(list))
	for i, t := range list {
		o := j.h.VM.NewObject()
		_ = o.Set("name", t.Name)
		_ = o.Set("label", t.Label)
		_ = o.Set("description", t.Description)
		vals[i] = o
	}
	return j.h.VM.NewArray(vals...)
}
