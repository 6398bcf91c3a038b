// Package aisconsent is the "AisConsent" module: pure helpers over bank-data (PSD2 AIS) consent
// records in the provider's own shape (what Ockto.consents returns), so that rules can ask "may I
// use this account's transactions?" without knowing the record's details.
//
// The fields read are consentStatus, validUntil, consentedServices and options.access; everything
// else in the record is ignored. A field that is absent (undefined or null) counts as "not
// granted"; a field that is present with the wrong type (a number for consentStatus, a string for
// consentedServices, ...) throws a TypeError naming the function and the field, and an unreadable
// validUntil string throws a RangeError, because a malformed record must not silently read as a
// valid consent.
//
// # Time
//
// validUntil is inclusive, and read in the execution's time zone:
//
//   - a date-only string "2024-12-31" means valid through that whole day in the execution's zone:
//     the consent is still valid at 23:59:59.999 and no longer at 00:00 of the next day;
//   - a timestamp (an RFC 3339 string, a zone-less "2024-12-31T12:00" in the execution's zone, or
//     a Date) is the last instant that is still valid: valid at validUntil, not 1 ms later.
//
// daysLeft counts calendar days in the execution's zone from the date of `at` to the last valid
// day (the date of validUntil): 0 on the last day, 1 the day before, negative after it. It does not
// look at consentStatus.
package aisconsent

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// MaxList is the longest consentedServices or options.access list read; it also bounds the work
// of reading an array whose length a rule could set to billions.
const MaxList = 10_000

// Module installs the AisConsent namespace.
type Module struct{}

var _ builtins.Described = Module{}

// Name is "AisConsent".
func (Module) Name() string { return "AisConsent" }

const consentType = "AisConsent.Consent"

var fns = []builtins.Fn{
	{
		Name:      "isActive",
		Signature: "(consent: " + consentType + ", at?: Date | string): boolean",
		Doc: `Whether the bank-data consent is usable at "at" (default: the execution clock): consentStatus is "VALID" (any case) ` +
			`and validUntil has not passed. validUntil is inclusive: a date-only "2024-12-31" is valid through that whole day in the ` +
			`execution's time zone, a timestamp up to and including that instant. A missing validUntil is not active.`,
		Example: `AisConsent.isActive({consentStatus: "VALID", validUntil: "2030-12-31"}) // true`,
		Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			const fn = "AisConsent.isActive"
			return func(call goja.FunctionCall) goja.Value {
				c := readConsent(h, call, fn)
				at := readAt(h, call, 1, fn)
				return h.VM.ToValue(isActive(h, fn, c, at))
			}
		},
	},
	{
		Name:      "canAccess",
		Signature: `(consent: ` + consentType + `, scope: "balances" | "transactions" | "details" | "accounts", iban: string, at?: Date | string): boolean`,
		Doc: `Whether the consent is active (see isActive) and grants the scope for this account: the scope (case-insensitive; ` +
			`balances → BALANCES, transactions → TRANSACTIONS, details or accounts → DETAILS) is among consentedServices and ` +
			`options.access lists the IBAN under it (IBANs compared without spaces, case-insensitive).`,
		Example: `AisConsent.canAccess(consent, "transactions", "NL91 ABNA 0417 1643 00") // true`,
		Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			const fn = "AisConsent.canAccess"
			return func(call goja.FunctionCall) goja.Value {
				c := readConsent(h, call, fn)
				sc := readScope(h, call, 1, fn)
				iban := normalizeIBAN(h.String(call, 2, fn, "iban"))
				if iban == "" {
					h.RangeError(fn, "iban is empty")
				}
				at := readAt(h, call, 3, fn)
				// Read every field before answering, so a malformed record throws whatever the order.
				active := isActive(h, fn, c, at)
				granted := hasService(h, fn, c, sc.service) && accessLists(h, fn, c, sc, iban)
				return h.VM.ToValue(active && granted)
			}
		},
	},
	{
		Name:      "daysLeft",
		Signature: "(consent: " + consentType + ", at?: Date | string): number | null",
		Doc: `Calendar days in the execution's time zone from the date of "at" (default: the execution clock) to the last ` +
			`valid day (the date of validUntil): 0 on the last day, negative after it; null when validUntil is missing. ` +
			`Does not look at consentStatus.`,
		Example: `AisConsent.daysLeft({validUntil: "2024-06-30"}, "2024-06-15") // 15`,
		Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			const fn = "AisConsent.daysLeft"
			return func(call goja.FunctionCall) goja.Value {
				c := readConsent(h, call, fn)
				at := readAt(h, call, 1, fn)
				vu, ok := readValidUntil(h, fn, c)
				if !ok {
					return goja.Null()
				}
				return h.VM.ToValue(daysLeft(vu, at, h.Location()))
			}
		},
	},
}

// Install defines the AisConsent namespace.
func (Module) Install(h *builtins.Host) error {
	_, err := builtins.InstallNamespace(h, "AisConsent", fns, nil)
	return err
}

// typesDecl declares the consent record's shape (the fields the helpers read, and the rest of
// the provider's record loosely).
const typesDecl = `declare namespace AisConsent {
  /** A bank-data (PSD2 AIS) consent as the provider shapes it (Ockto.consents). */
  interface Consent {
    consentId?: string;
    consentedServices?: ("BALANCES" | "TRANSACTIONS" | "DETAILS")[];
    /** "YYYY-MM-DD" (valid through that day) or an RFC 3339 timestamp (valid up to and including it). */
    validUntil?: string | Date | null;
    consentStatus?: string;
    options?: { access?: { [scope: string]: { currency?: string; iban?: string }[] }; transactions?: object };
    [field: string]: unknown;
  }
}
`

// Typings declares the AisConsent namespace.
func (Module) Typings() string {
	return typesDecl + builtins.NamespaceTypings("AisConsent",
		"Helpers over bank-data (PSD2 AIS) consent records: is a consent active, may it be used for an account, how long is it valid.", fns, nil)
}

// Reference lists AisConsent's functions.
func (Module) Reference() []builtins.Entry { return builtins.ReferenceOf("AisConsent", fns, nil) }

// readConsent reads the consent argument: a plain object (not an array, a function or a Date).
func readConsent(h *builtins.Host, call goja.FunctionCall, fn string) *goja.Object {
	v := call.Argument(0)
	o, ok := v.(*goja.Object)
	if ok {
		if _, isFn := goja.AssertFunction(o); isFn {
			ok = false
		} else {
			switch o.ClassName() {
			case "Array", "Date", "String", "Number", "Boolean":
				ok = false
			}
		}
	}
	if !ok {
		if len(call.Arguments) == 0 {
			h.TypeError(fn, "consent is required (an AIS consent object)")
		}
		h.TypeError(fn, "consent must be an AIS consent object, got %s", builtins.Describe(v))
	}
	return o
}

// readAt reads the optional `at` argument; without one it is the execution clock.
func readAt(h *builtins.Host, call goja.FunctionCall, i int, fn string) time.Time {
	if builtins.IsMissing(call.Argument(i)) {
		return h.MustExec(fn).Now
	}
	return h.Date(call, i, fn, "at")
}

// validUntil is a consent's expiry: the last valid day (dateOnly) or the last valid instant.
type validUntil struct {
	dateOnly bool
	y        int
	m        time.Month
	d        int
	instant  time.Time
}

// readValidUntil reads consent.validUntil; ok is false when it is missing (undefined or null).
func readValidUntil(h *builtins.Host, fn string, c *goja.Object) (vu validUntil, ok bool) {
	v := c.Get("validUntil")
	if builtins.IsMissing(v) || goja.IsNull(v) {
		return validUntil{}, false
	}
	if t, isDate, valid := builtins.DateOf(v); isDate {
		if !valid {
			h.RangeError(fn, "consent.validUntil is an invalid Date")
		}
		return validUntil{instant: t}, true
	}
	s, isString := builtins.StringOf(v)
	if !isString {
		h.TypeError(fn, `consent.validUntil must be a "YYYY-MM-DD" or RFC 3339 string or a Date, got %s`, builtins.Describe(v))
	}
	s = strings.TrimSpace(s)
	if len(s) == len(time.DateOnly) {
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			return validUntil{dateOnly: true, y: t.Year(), m: t.Month(), d: t.Day()}, true
		}
	} else if t, ok := builtins.ParseDate(s, h.Location()); ok {
		return validUntil{instant: t}, true
	}
	h.RangeError(fn, `consent.validUntil must be a "YYYY-MM-DD" or RFC 3339 date, got %s`, builtins.Describe(v))
	return validUntil{}, false
}

// inTime reports whether at is on or before the consent's last valid moment.
func (vu validUntil) inTime(at time.Time, loc *time.Location) bool {
	if vu.dateOnly {
		// Valid through the whole day: until midnight that starts the next day, exclusive.
		return at.Before(time.Date(vu.y, vu.m, vu.d+1, 0, 0, 0, 0, loc))
	}
	return !at.After(vu.instant)
}

// lastDay is the day number (days since 1970-01-01) of the last valid day in loc.
func (vu validUntil) lastDay(loc *time.Location) int64 {
	if vu.dateOnly {
		return dayNumber(vu.y, vu.m, vu.d)
	}
	y, m, d := vu.instant.In(loc).Date()
	return dayNumber(y, m, d)
}

// dayNumber counts civil days since 1970-01-01 (negative before), without time.Duration's
// ±292-year limit.
func dayNumber(y int, m time.Month, d int) int64 {
	secs := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()
	return int64(math.Floor(float64(secs) / 86400))
}

// daysLeft is the calendar-day distance from at's date to the last valid day, in loc.
func daysLeft(vu validUntil, at time.Time, loc *time.Location) int64 {
	y, m, d := at.In(loc).Date()
	return vu.lastDay(loc) - dayNumber(y, m, d)
}

// isActive is consentStatus VALID and validUntil not passed at `at`.
func isActive(h *builtins.Host, fn string, c *goja.Object, at time.Time) bool {
	status := c.Get("consentStatus")
	valid := false
	if !builtins.IsMissing(status) && !goja.IsNull(status) {
		s, ok := builtins.StringOf(status)
		if !ok {
			h.TypeError(fn, "consent.consentStatus must be a string, got %s", builtins.Describe(status))
		}
		valid = strings.EqualFold(strings.TrimSpace(s), "VALID")
	}
	vu, ok := readValidUntil(h, fn, c)
	return valid && ok && vu.inTime(at, h.Location())
}

// scope is one kind of access: its consentedServices name and its options.access keys.
type scope struct {
	name    string
	service string
	keys    []string
}

var scopes = map[string]scope{
	"balances":     {"balances", "BALANCES", []string{"balances"}},
	"transactions": {"transactions", "TRANSACTIONS", []string{"transactions"}},
	"details":      {"details", "DETAILS", []string{"accounts", "details"}},
	"accounts":     {"details", "DETAILS", []string{"accounts", "details"}},
}

func readScope(h *builtins.Host, call goja.FunctionCall, i int, fn string) scope {
	s := h.String(call, i, fn, "scope")
	sc, ok := scopes[strings.ToLower(strings.TrimSpace(s))]
	if !ok {
		h.RangeError(fn, `scope must be "balances", "transactions" or "details" (or "accounts"), got %s`, builtins.Describe(call.Argument(i)))
	}
	return sc
}

// normalizeIBAN drops all white space and upper-cases.
func normalizeIBAN(s string) string {
	return strings.ToUpper(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s))
}

// readList reads an array field (name for messages); ok is false when it is missing.
func readList(h *builtins.Host, fn, name string, v goja.Value) (items []goja.Value, ok bool) {
	if builtins.IsMissing(v) || goja.IsNull(v) {
		return nil, false
	}
	o, isObj := v.(*goja.Object)
	if !isObj || o.ClassName() != "Array" {
		h.TypeError(fn, "%s must be an array, got %s", name, builtins.Describe(v))
	}
	n, isNum := builtins.NumberOf(o.Get("length"))
	if !isNum || n < 0 {
		h.TypeError(fn, "%s must be an array, got %s", name, builtins.Describe(v))
	}
	if n > MaxList {
		h.RangeError(fn, "%s has more than %d elements", name, MaxList)
	}
	items = make([]goja.Value, 0, int(n))
	for i := range int(n) {
		items = append(items, o.Get(fmt.Sprint(i)))
	}
	return items, true
}

// hasService reports whether consent.consentedServices holds service (case-insensitive).
func hasService(h *builtins.Host, fn string, c *goja.Object, service string) bool {
	items, ok := readList(h, fn, "consent.consentedServices", c.Get("consentedServices"))
	found := false
	for i, el := range items {
		s, isString := builtins.StringOf(el)
		if !isString {
			h.TypeError(fn, "consent.consentedServices[%d] must be a string, got %s", i, builtins.Describe(el))
		}
		if strings.EqualFold(strings.TrimSpace(s), service) {
			found = true
		}
	}
	return ok && found
}

// accessLists reports whether consent.options.access lists iban under the scope's key.
func accessLists(h *builtins.Host, fn string, c *goja.Object, sc scope, iban string) bool {
	opts := c.Get("options")
	if builtins.IsMissing(opts) || goja.IsNull(opts) {
		return false
	}
	o, ok := opts.(*goja.Object)
	if !ok {
		h.TypeError(fn, "consent.options must be an object, got %s", builtins.Describe(opts))
	}
	acc := o.Get("access")
	if builtins.IsMissing(acc) || goja.IsNull(acc) {
		return false
	}
	a, ok := acc.(*goja.Object)
	if !ok {
		h.TypeError(fn, "consent.options.access must be an object, got %s", builtins.Describe(acc))
	}
	found := false
	for _, key := range a.Keys() {
		match := false
		for _, k := range sc.keys {
			if strings.EqualFold(key, k) {
				match = true
			}
		}
		if !match {
			continue
		}
		name := "consent.options.access." + key
		items, _ := readList(h, fn, name, a.Get(key))
		for i, el := range items {
			e, isObj := el.(*goja.Object)
			if !isObj {
				h.TypeError(fn, "%s[%d] must be an object like {iban, currency}, got %s", name, i, builtins.Describe(el))
			}
			v := e.Get("iban")
			if builtins.IsMissing(v) || goja.IsNull(v) {
				continue // an account named otherwise (maskedPan, bban): not this IBAN
			}
			s, isString := builtins.StringOf(v)
			if !isString {
				h.TypeError(fn, "%s[%d].iban must be a string, got %s", name, i, builtins.Describe(v))
			}
			if normalizeIBAN(s) == iban {
				found = true
			}
		}
	}
	return found
}

// Reasons Assess gives, from most to least usable.
const (
	Valid         = "valid"         // active, and grants the use asked
	NotGranted    = "notGranted"    // active, but not for this scope or account
	Expired       = "expired"       // validUntil has passed, or consentStatus EXPIRED
	NotAuthorised = "notAuthorised" // consentStatus RECEIVED: initiated, the user has not authorised it yet
	Inactive      = "inactive"      // any other consentStatus (revoked by the user, rejected, terminated)
)

// Use is what a consent is asked for: a scope ("" = any) and an account ("" = any).
type Use struct {
	scope *scope
	iban  string
}

// ParseUse reads a scope name (as canAccess takes it; "" for any) and an IBAN ("" for any); ok is
// false for an unknown scope.
func ParseUse(scopeName, iban string) (u Use, ok bool) {
	if scopeName != "" {
		sc, found := scopes[strings.ToLower(strings.TrimSpace(scopeName))]
		if !found {
			return Use{}, false
		}
		u.scope = &sc
	}
	u.iban = normalizeIBAN(iban)
	return u, true
}

// Assess says what consent c allows for u at `at`: whether it grants the use (consentedServices
// holds the scope, and options.access lists the IBAN under it, or under any scope when u has no
// scope), and its state, one of Valid, Expired, NotAuthorised, Inactive — Valid meaning active as
// isActive has it. A malformed record throws a TypeError or RangeError naming fn, as the module's
// functions do.
func Assess(h *builtins.Host, fn string, c *goja.Object, u Use, at time.Time) (grants bool, state string) {
	grants = true
	if u.scope != nil {
		grants = hasService(h, fn, c, u.scope.service)
	}
	if u.iban != "" {
		listed := false
		if u.scope != nil {
			listed = accessLists(h, fn, c, *u.scope, u.iban)
		} else {
			for _, sc := range []scope{scopes["balances"], scopes["transactions"], scopes["details"]} {
				listed = accessLists(h, fn, c, sc, u.iban) || listed
			}
		}
		grants = grants && listed
	}
	if isActive(h, fn, c, at) {
		return grants, Valid
	}
	status := ""
	if v := c.Get("consentStatus"); !builtins.IsMissing(v) && !goja.IsNull(v) {
		status, _ = builtins.StringOf(v) // isActive has checked its type
	}
	vu, hasEnd := readValidUntil(h, fn, c)
	switch s := strings.ToUpper(strings.TrimSpace(status)); {
	case s == "EXPIRED", s == "VALID" && hasEnd && !vu.inTime(at, h.Location()):
		return grants, Expired
	case s == "RECEIVED":
		return grants, NotAuthorised
	}
	return grants, Inactive
}
