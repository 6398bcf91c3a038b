package consent

import (
	"slices"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/aisconsent"
	"github.com/kubusdev/kubus/builtins/datadebit"
	"github.com/kubusdev/kubus/builtins/ockto"
)

// Consent.check: one question — "may I use this?" — over the three consent models (contract
// section 5). Each call asks one source, chosen by the options:
//
//	{type, contextUri?}    source "consent": the user's document consents of that type (and
//	                       context). allowed when one is given. reason: the state of the most
//	                       usable one (given > stale > pending > revoked > rescinded; the newest
//	                       among equals), or "missing". Document consents do not expire, so `at`
//	                       does not change the answer.
//	{aisScope?, iban?}     source "aisConsent": the user's bank-data consents (record.userId), read
//	                       from Ockto (Ockto.consents with active, historical and open; once per
//	                       execution). allowed when one is active at `at` and grants the scope for
//	                       the account. reason: "valid", else, of the consents that grant the use,
//	                       the most usable state ("expired" > "notAuthorised" > "inactive"), else
//	                       "notGranted" when the user has consents but none grants it, else
//	                       "missing".
//	{dataDebitKey}         source "dataDebit": the data debit with that key (see datadebit.Check
//	                       for the reasons). Data debits are the store's subject's and carry no
//	                       user id, so userId is not matched.
//
// Asking two sources in one call is a RangeError: the answer names one source and one record, so
// a rule that needs both asks twice.

// Reasons of the document-consent source besides the states.
const reasonMissing = "missing"

// stateRank orders document-consent states from most to least usable.
var stateRank = map[string]int{Given: 0, Stale: 1, Pending: 2, Revoked: 3, Rescinded: 4}

// aisRank orders AIS states among consents that grant the use.
var aisRank = map[string]int{aisconsent.Valid: 0, aisconsent.Expired: 1, aisconsent.NotAuthorised: 2, aisconsent.Inactive: 3}

var checkOptions = []string{"type", "contextUri", "aisScope", "iban", "dataDebitKey", "at"}

var checkFn = builtins.Fn{
	Name: "check",
	Signature: "(userId: string, options: { type?: string; contextUri?: string; aisScope?: \"balances\" | \"transactions\" | \"details\"; " +
		"iban?: string; dataDebitKey?: string; at?: Date | string }): Consent.CheckResult",
	Doc: "May this user's personal data be used? Asks one source: a document consent (type, contextUri: allowed when given; reason the state or " +
		"\"missing\"), a bank-data consent from Ockto (aisScope and/or iban: allowed when valid at `at` for that use; reason valid, expired, " +
		"notAuthorised, inactive, notGranted or missing) or a data debit (dataDebitKey: allowed while active; reason active, notAccepted, " +
		"notStarted, canceled, expired or missing). Returns {allowed, reason, source, record}; `at` defaults to the execution clock.",
	Example: `Consent.check("u1", {type: "privacyPolicy"}) // {allowed: false, reason: "stale", source: "consent", record: {...}}`,
	Impl: func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		j := &js{h: h, fn: "Consent.check", errCtor: h.VM.Get("Error")}
		fetchAIS := ockto.ConsentFetcher(h)
		return func(call goja.FunctionCall) goja.Value {
			user := j.userID(h.String(call, 0, j.fn, "userId"), "userId")
			if builtins.IsMissing(call.Argument(1)) {
				h.TypeError(j.fn, "options is required: {type} for a document consent, {aisScope, iban} for bank data or {dataDebitKey}")
			}
			opts := j.object(call, 1, "options")
			for _, k := range opts.Keys() {
				if !slices.Contains(checkOptions, k) {
					h.TypeError(j.fn, "options.%s is not a check option (use %s)", k, strings.Join(checkOptions, ", "))
				}
			}
			typ := j.optString(opts, "type", "options.type")
			ctx := j.optString(opts, "contextUri", "options.contextUri")
			scope := j.optString(opts, "aisScope", "options.aisScope")
			iban := j.optString(opts, "iban", "options.iban")
			key := j.optString(opts, "dataDebitKey", "options.dataDebitKey")
			at := j.optDate(opts, "at", "options.at")
			if at.IsZero() {
				at = h.MustExec(j.fn).Now
			}
			var asked []string
			if typ != "" || ctx != "" {
				asked = append(asked, "a document consent (type, contextUri)")
			}
			if scope != "" || iban != "" {
				asked = append(asked, "a bank-data consent (aisScope, iban)")
			}
			if key != "" {
				asked = append(asked, "a data debit (dataDebitKey)")
			}
			switch {
			case len(asked) == 0:
				h.TypeError(j.fn, "options must name what to check: type (a document consent), aisScope and/or iban (bank data) or dataDebitKey")
			case len(asked) > 1:
				h.RangeError(j.fn, "options ask about %s: check one source per call", strings.Join(asked, " and "))
			}
			switch {
			case key != "":
				allowed, reason, rec := datadebit.Check(h, j.fn, key, at)
				return j.verdict(allowed, reason, "dataDebit", rec)
			case typ == "" && ctx == "":
				return j.checkAIS(user, scope, iban, at, fetchAIS)
			case typ == "":
				h.TypeError(j.fn, "options.type is required with options.contextUri")
			}
			return j.checkDocument(user, typ, ctx)
		}
	},
}

func (j *js) verdict(allowed bool, reason, source string, record goja.Value) goja.Value {
	o := j.h.VM.NewObject()
	_ = o.Set("allowed", allowed)
	_ = o.Set("reason", reason)
	_ = o.Set("source", source)
	_ = o.Set("record", record)
	return o
}

// checkDocument answers for the user's document consents of typ (and context).
func (j *js) checkDocument(user, typ, ctx string) goja.Value {
	e := j.env()
	known, err := e.typeNames()
	if err != nil {
		j.fail(err)
	}
	if !slices.ContainsFunc(known, func(t TypeName) bool { return t.Name == typ }) {
		j.fail(unknownType(typ, known))
	}
	filter := map[string]any{"userId": user, "type": typ}
	if ctx != "" {
		filter["contextUri"] = ctx
	}
	found, err := e.find(filter)
	if err != nil {
		j.fail(err)
	}
	var best *Consent
	for _, c := range found { // oldest first: a later one of equal rank is newer and wins
		if best == nil || stateRank[c.State] <= stateRank[best.State] {
			best = c
		}
	}
	if best == nil {
		return j.verdict(false, reasonMissing, "consent", goja.Null())
	}
	return j.verdict(best.State == Given, best.State, "consent", j.consent(best))
}

// checkAIS answers for the user's bank-data consents.
func (j *js) checkAIS(user, scope, iban string, at time.Time, fetch func(string) []*goja.Object) goja.Value {
	use, ok := aisconsent.ParseUse(scope, iban)
	if !ok {
		j.h.RangeError(j.fn, `options.aisScope must be "balances", "transactions" or "details" (or "accounts"), got %s`, quote(scope))
	}
	if iban != "" && strings.TrimSpace(iban) == "" {
		j.h.RangeError(j.fn, "options.iban is blank")
	}
	var (
		best      *goja.Object
		bestState string
		anyOwn    *goja.Object // the user's most usable consent, granting or not
		anyState  string
	)
	for _, c := range fetch(j.fn) {
		if owner, _ := builtins.StringOf(c.Get("userId")); owner != user {
			continue
		}
		grants, state := aisconsent.Assess(j.h, j.fn, c, use, at)
		if anyOwn == nil || aisRank[state] < aisRank[anyState] {
			anyOwn, anyState = c, state
		}
		if grants && (best == nil || aisRank[state] < aisRank[bestState]) {
			best, bestState = c, state
		}
	}
	switch {
	case best != nil:
		return j.verdict(bestState == aisconsent.Valid, bestState, "aisConsent", best)
	case anyOwn != nil:
		return j.verdict(false, aisconsent.NotGranted, "aisConsent", anyOwn)
	}
	return j.verdict(false, reasonMissing, "aisConsent", goja.Null())
}
