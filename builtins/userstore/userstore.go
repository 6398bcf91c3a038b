// Package userstore is the "UserStore" module: inviting users and looking them up by email, in the
// running execution's store transaction (builtins.Exec.Tx), so that an invite is kept only when the
// execution succeeds and an execution sees the users it invited itself.
//
// A user is a store record of Kind (ruleset "_system", entity "User"): real ruleset names match
// [a-z0-9][a-z0-9-]*, so "_system" cannot clash with a ruleset's own entities. Its props:
//
//	email                 string, lower-cased (the unique key)
//	roles                 []string
//	accessExpirationDate  string (RFC 3339, UTC, milliseconds) or null
//	invitedAt             string (RFC 3339, UTC, milliseconds): the execution clock at the invite
//
// The times are written in one fixed format so that store queries on them compare chronologically.
//
// # Errors
//
// A wrong argument type (a number for the email, roles that is not an array of strings, ...) throws a
// TypeError naming the function: that is a bug in the rule. A value of the right type that cannot be
// accepted (an invalid or already invited email, an empty role, an unreadable or past expiration
// date) is the normal outcome of inviting someone from data, so invite returns
// {success: false, errorMessage} for it instead of throwing. Without a store, or when the store
// fails, the functions throw an Error.
//
// # One user per email, also under concurrency
//
// A user's record id is derived from the normalized email (recordID), and invite looks the email up
// with a Get of that id. The store remembers that the Tx read the record as absent, so when two
// executions invite the same new email at the same time, the second to commit conflicts; the engine
// runs it again, and then it finds the first one's user and answers success: false.
package userstore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/store"
)

// Kind is where users are stored.
var Kind = store.Kind{Ruleset: "_system", Entity: "User"}

// Limits on invite's arguments.
const (
	// MaxEmailLength is the longest email address accepted, in bytes (RFC 5321's forward-path limit
	// of 256 minus the angle brackets).
	MaxEmailLength = 254
	// MaxRoles is how many roles one user may be given. It also bounds the work of reading the roles
	// array, whose length a rule could set to billions.
	MaxRoles = 100
)

// timeLayout is how times are stored: RFC 3339 in UTC with exactly three fraction digits (what a
// JS Date can hold, and the form of Date.prototype.toISOString), so they sort chronologically.
const timeLayout = "2006-01-02T15:04:05.000Z"

// noStore is the message for an execution without a store; it matches the entity functions'.
const noStore = "no store is configured (engine.WithStore, or --store with the kubus command)"

// Module installs the UserStore namespace.
type Module struct{}

var _ builtins.Described = Module{}

// Name is "UserStore".
func (Module) Name() string { return "UserStore" }

// StoreGlobals: UserStore keeps its records in the execution's store.
func (Module) StoreGlobals() []string { return []string{"UserStore"} }

var fns = []builtins.Fn{
	{
		Name:      "invite",
		Signature: "(email: string, options?: { accessExpirationDate?: Date | string | null; roles?: string[] }): { userId: string | null; success: boolean; errorMessage?: string }",
		Doc: "Invites a user: stores them with their roles and optional access expiration date, kept when the execution succeeds. " +
			"An invalid or already invited email (case-insensitive), an empty role or an expiration date in the past gives " +
			"success: false and an errorMessage instead of throwing; userId is the new user's id on success, else null.",
		Example: `UserStore.invite("ann@example.com", {roles: ["advisor"], accessExpirationDate: "2030-12-31"}) // {userId: "0190…", success: true}`,
		Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			const fn = "UserStore.invite"
			return func(call goja.FunctionCall) goja.Value {
				in := readInvite(h, call, fn)
				tx := storeTx(h, fn)
				userID, problem, err := invite(tx, h.Exec(), in)
				if err != nil {
					storeFailed(h, fn, err)
				}
				res := h.VM.NewObject()
				if problem != "" {
					_ = res.Set("userId", goja.Null())
					_ = res.Set("success", false)
					_ = res.Set("errorMessage", problem)
					return res
				}
				_ = res.Set("userId", userID)
				_ = res.Set("success", true)
				return res
			}
		},
	},
	{
		Name:      "getByEmail",
		Signature: "(email: string): { userId: string; email: string; roles: string[]; accessExpirationDate: Date | null; invitedAt: Date } | null",
		Doc:       "The user invited with this email (case-insensitive; including users invited earlier in this execution), or null when there is none.",
		Example:   `UserStore.getByEmail("Ann@Example.com")?.roles // ["advisor"]`,
		Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			const fn = "UserStore.getByEmail"
			return func(call goja.FunctionCall) goja.Value {
				email := normalizeEmail(h.String(call, 0, fn, "email"))
				tx := storeTx(h, fn)
				if email == "" || len(email) > MaxEmailLength {
					return goja.Null() // never stored: invite refuses it
				}
				rec, err := findByEmail(tx, email)
				if err != nil {
					storeFailed(h, fn, err)
				}
				if rec == nil {
					return goja.Null()
				}
				return userObject(h, rec)
			}
		},
	},
}

// Install defines the UserStore namespace.
func (Module) Install(h *builtins.Host) error {
	_, err := builtins.InstallNamespace(h, "UserStore", fns, nil)
	return err
}

// Typings declares the UserStore namespace.
func (Module) Typings() string {
	return builtins.NamespaceTypings("UserStore", "Users of the application: invite them and look them up by email (needs a store).", fns, nil)
}

// Reference lists UserStore's functions.
func (Module) Reference() []builtins.Entry { return builtins.ReferenceOf("UserStore", fns, nil) }

// storeTx is the running execution's Tx; it throws an Error naming fn outside an execution or
// without a store.
func storeTx(h *builtins.Host, fn string) store.Tx {
	e := h.MustExec(fn)
	if e.Tx == nil {
		h.Error(fn, "%s", noStore)
	}
	return e.Tx
}

// storeFailed throws a store failure as a JS error that still wraps the Go error (GoError), so the
// engine can tell what went wrong with errors.Is.
func storeFailed(h *builtins.Host, fn string, err error) {
	panic(h.VM.NewGoError(fmt.Errorf("%s: %w", fn, err)))
}

// inviteArgs are invite's arguments once their types are checked. Their values are checked by
// invite: a bad value is a result (success: false), not a throw.
type inviteArgs struct {
	email   string // as given
	roles   []string
	expires goja.Value // undefined, null, a Date or a string
}

// readInvite checks the types of invite's arguments, throwing a TypeError naming fn.
func readInvite(h *builtins.Host, call goja.FunctionCall, fn string) inviteArgs {
	in := inviteArgs{email: h.String(call, 0, fn, "email"), roles: []string{}, expires: goja.Undefined()}
	if builtins.IsMissing(call.Argument(1)) {
		return in
	}
	opts := h.Object(call, 1, fn, "options")
	if v := opts.Get("roles"); !builtins.IsMissing(v) {
		in.roles = readRoles(h, fn, v)
	}
	if v := opts.Get("accessExpirationDate"); !builtins.IsMissing(v) && !goja.IsNull(v) {
		if _, isDate, _ := builtins.DateOf(v); !isDate {
			if _, isString := builtins.StringOf(v); !isString {
				h.TypeError(fn, `options.accessExpirationDate must be a Date, a "YYYY-MM-DD" or RFC 3339 string, or null, got %s`, builtins.Describe(v))
			}
		}
		in.expires = v
	}
	return in
}

// readRoles reads the roles array: its elements must be strings (TypeError otherwise). Empty
// strings and too many roles are left for invite to refuse; the length is capped here already, so
// a huge sparse array is not walked.
func readRoles(h *builtins.Host, fn string, v goja.Value) []string {
	const want = "an array of strings"
	o, ok := v.(*goja.Object)
	if !ok || o.ClassName() != "Array" {
		h.TypeError(fn, "options.roles must be %s, got %s", want, builtins.Describe(v))
	}
	n, ok := builtins.NumberOf(o.Get("length"))
	if !ok || n < 0 {
		h.TypeError(fn, "options.roles must be %s, got %s", want, builtins.Describe(v))
	}
	if n > MaxRoles {
		// One more than the limit tells invite the array is too long without reading it all.
		n = MaxRoles + 1
	}
	roles := make([]string, 0, int(n))
	for i := range int(n) {
		el := o.Get(fmt.Sprint(i))
		s, ok := builtins.StringOf(el)
		if !ok {
			h.TypeError(fn, "options.roles[%d] must be a string, got %s", i, builtins.Describe(el))
		}
		roles = append(roles, s)
	}
	return roles
}

// invite validates the arguments' values and stores the new user in tx. It returns the new id, or
// the reason the user cannot be invited (problem), or a store error.
func invite(tx store.Tx, e *builtins.Exec, in inviteArgs) (userID, problem string, err error) {
	email, problem := validateEmail(in.email)
	if problem != "" {
		return "", problem, nil
	}
	roles, problem := validateRoles(in.roles)
	if problem != "" {
		return "", problem, nil
	}
	var expires any // nil: no expiration
	if !builtins.IsMissing(in.expires) && !goja.IsNull(in.expires) {
		t, problem := validateExpiration(in.expires, e)
		if problem != "" {
			return "", problem, nil
		}
		expires = t.Format(timeLayout)
	}

	// Uniqueness: the lookup reads the email's own record id, so a concurrent invite of the same
	// email conflicts at commit (see the package documentation).
	existing, err := findByEmail(tx, email)
	if err != nil {
		return "", "", err
	}
	if existing != nil {
		return "", fmt.Sprintf("a user with email %q has already been invited", email), nil
	}

	rolesAny := make([]any, len(roles))
	for i, r := range roles {
		rolesAny[i] = r
	}
	rec, err := tx.Put(Kind, &store.Record{ID: recordID(email), Props: map[string]any{
		"email":                email,
		"roles":                rolesAny,
		"accessExpirationDate": expires,
		"invitedAt":            e.Now.UTC().Truncate(time.Millisecond).Format(timeLayout),
	}}, e.Now)
	if err != nil {
		return "", "", err
	}
	return rec.ID, "", nil
}

// normalizeEmail is the form an email is stored and looked up in: without surrounding white space,
// lower-cased.
func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// validateEmail accepts a plain address (no display name, no angle brackets, no comments, no
// quoted local part) that net/mail can parse, of at most MaxEmailLength bytes once white space
// around it is trimmed. It returns the normalized address or the reason it is refused.
func validateEmail(raw string) (email, problem string) {
	s := strings.TrimSpace(raw)
	quoted := quote(raw)
	switch {
	case s == "":
		return "", "the email address is empty"
	case len(s) > MaxEmailLength:
		return "", fmt.Sprintf("the email address %s is longer than %d characters", quoted, MaxEmailLength)
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Sprintf("%s is not a valid email address (%s)", quoted, strings.TrimPrefix(err.Error(), "mail: "))
	}
	if addr.Name != "" || addr.Address != s {
		return "", fmt.Sprintf("%s is not a plain email address: pass only the address, like %s", quoted, quote(addr.Address))
	}
	return strings.ToLower(s), ""
}

// validateRoles refuses empty roles and more than MaxRoles; it drops duplicates, keeping the
// first occurrence's place.
func validateRoles(roles []string) ([]string, string) {
	if len(roles) > MaxRoles {
		return nil, fmt.Sprintf("a user can have at most %d roles", MaxRoles)
	}
	out := make([]string, 0, len(roles))
	seen := make(map[string]bool, len(roles))
	for i, r := range roles {
		if strings.TrimSpace(r) == "" {
			return nil, fmt.Sprintf("roles[%d] is empty: a role must be a non-empty string", i)
		}
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out, ""
}

// validateExpiration reads an expiration date (a Date or a date string, like builtins.Host.Date:
// date-only and zone-less strings are in the execution's zone) and refuses an invalid one or one
// before the execution clock. Both are compared at millisecond precision, a JS Date's.
func validateExpiration(v goja.Value, e *builtins.Exec) (time.Time, string) {
	var t time.Time
	if d, isDate, valid := builtins.DateOf(v); isDate {
		if !valid {
			return time.Time{}, "accessExpirationDate is an invalid Date"
		}
		t = d
	} else {
		s, _ := builtins.StringOf(v) // readInvite checked the type
		var ok bool
		if t, ok = builtins.ParseDate(s, e.Loc()); !ok {
			return time.Time{}, fmt.Sprintf(`accessExpirationDate must be a "YYYY-MM-DD" or RFC 3339 date, got %s`, quote(s))
		}
	}
	t = t.UTC().Truncate(time.Millisecond)
	if now := e.Now.UTC().Truncate(time.Millisecond); t.Before(now) {
		return time.Time{}, fmt.Sprintf("accessExpirationDate %s is in the past (the execution clock is %s)", t.Format(timeLayout), now.Format(timeLayout))
	}
	return t, ""
}

// quote quotes a string for a message, shortened like builtins.Describe does.
func quote(s string) string {
	const max = 60
	if r := []rune(s); len(r) > max {
		return fmt.Sprintf("%q…", string(r[:max]))
	}
	return fmt.Sprintf("%q", s)
}

// recordID is the store id of the user with this (normalized) email: deriving it from the email
// makes the store's conflict check enforce one user per email.
func recordID(email string) string {
	sum := sha256.Sum256([]byte(email))
	return "user-" + hex.EncodeToString(sum[:16])
}

// findByEmail is the user with this (normalized) email, nil when there is none.
func findByEmail(tx store.Tx, email string) (*store.Record, error) {
	rec, err := tx.Get(Kind, recordID(email))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return rec, err
}

// errBadRecord marks a stored user whose props do not have the expected shape.
var errBadRecord = errors.New("malformed user record")

// userObject is getByEmail's result for a stored user. It reads the props defensively: a record
// written by something else (or an older version) must not make the builtin panic. A missing or
// unreadable invitedAt falls back to the record's creation time.
func userObject(h *builtins.Host, rec *store.Record) goja.Value {
	vm := h.VM
	o := vm.NewObject()
	_ = o.Set("userId", rec.ID)
	email, _ := rec.Props["email"].(string)
	_ = o.Set("email", email)
	roles := []any{}
	if list, ok := rec.Props["roles"].([]any); ok {
		for _, r := range list {
			if s, ok := r.(string); ok {
				roles = append(roles, s)
			}
		}
	}
	_ = o.Set("roles", vm.NewArray(roles...))
	if t, err := storedTime(rec.Props["accessExpirationDate"]); err == nil {
		_ = o.Set("accessExpirationDate", h.NewDate(t))
	} else {
		_ = o.Set("accessExpirationDate", goja.Null())
	}
	invited, err := storedTime(rec.Props["invitedAt"])
	if err != nil {
		invited = rec.CreatedAt
	}
	_ = o.Set("invitedAt", h.NewDate(invited))
	return o
}

// storedTime reads a time prop (an RFC 3339 string).
func storedTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, errBadRecord
	}
	return time.Parse(time.RFC3339Nano, s)
}
