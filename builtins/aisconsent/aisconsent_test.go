package aisconsent

import (
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
)

var amsterdam = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(err)
	}
	return loc
}()

// clock is 2024-06-15 12:00 in Amsterdam.
var clock = time.Date(2024, 6, 15, 10, 0, 0, 0, time.UTC)

// newVM installs the module on a fresh runtime pointed at an execution at now in Amsterdam, and
// defines `consent`, a realistic provider record valid through 2024-12-31.
func newVM(t testing.TB, now time.Time) *goja.Runtime {
	t.Helper()
	vm, _ := builtinstest.NewVM(t, &builtins.Exec{Now: now, Location: amsterdam}, Module{})
	if _, err := vm.RunString(`var consent = {
		consentId: "c-1", providerConsentId: "p-1", consentedServices: ["BALANCES", "TRANSACTIONS"],
		validUntil: "2024-12-31", consentStatus: "VALID", created: "2024-01-02T10:00:00Z", userId: "u-1",
		options: {
			transactions: {dateFrom: "2023-01-01", dateTo: "2024-01-01", dateFormat: "yyyy-MM-dd"},
			access: {
				balances: [{currency: "EUR", iban: "NL91ABNA0417164300"}],
				transactions: [{currency: "EUR", iban: "NL91ABNA0417164300"}, {currency: "EUR", iban: "nl02 rabo 0123 4567 89"}, {currency: "EUR", maskedPan: "1234"}]
			}
		},
		region: "NL", type: "AIS"
	}; function withFields(o) { return Object.assign({}, consent, o) }`); err != nil {
		t.Fatal(err)
	}
	return vm
}

func TestIsActiveBoundaries(t *testing.T) {
	vm := newVM(t, clock)
	cases := []struct {
		expr string
		want any
	}{
		{`AisConsent.isActive(consent)`, true},
		{`AisConsent.isActive(withFields({consentStatus: "valid"}))`, true},
		{`AisConsent.isActive(withFields({consentStatus: "EXPIRED"}))`, false},
		{`AisConsent.isActive(withFields({consentStatus: "RECEIVED"}))`, false},
		{`AisConsent.isActive(withFields({consentStatus: null}))`, false},
		{`AisConsent.isActive(withFields({validUntil: undefined}))`, false},
		{`AisConsent.isActive(withFields({validUntil: null}))`, false},

		// Date-only: valid through the whole day in the execution's zone (Amsterdam, CET in winter).
		{`AisConsent.isActive(consent, "2024-12-31")`, true},
		{`AisConsent.isActive(consent, new Date("2024-12-31T22:59:59.999Z"))`, true},  // 23:59:59.999 CET
		{`AisConsent.isActive(consent, new Date("2024-12-31T23:00:00.000Z"))`, false}, // midnight CET
		{`AisConsent.isActive(consent, "2025-01-01")`, false},
		{`AisConsent.isActive(consent, "2024-12-31T23:59:59.999")`, true},
		// Summer time: the last day ends at 22:00 UTC.
		{`AisConsent.isActive(withFields({validUntil: "2024-06-15"}), new Date("2024-06-15T21:59:59.999Z"))`, true},
		{`AisConsent.isActive(withFields({validUntil: "2024-06-15"}), new Date("2024-06-15T22:00:00.000Z"))`, false},
		{`AisConsent.isActive(withFields({validUntil: "2024-06-15"}))`, true},
		{`AisConsent.isActive(withFields({validUntil: "2024-06-14"}))`, false},

		// A timestamp is the last valid instant (inclusive).
		{`AisConsent.isActive(withFields({validUntil: "2024-06-15T10:00:00Z"}))`, true},
		{`AisConsent.isActive(withFields({validUntil: "2024-06-15T09:59:59.999Z"}))`, false},
		{`AisConsent.isActive(withFields({validUntil: "2024-06-15T10:00:00.001Z"}))`, true},
		{`AisConsent.isActive(withFields({validUntil: new Date("2024-06-15T10:00:00Z")}))`, true},
		{`AisConsent.isActive(withFields({validUntil: new Date("2024-06-15T09:59:59.999Z")}))`, false},
		{`AisConsent.isActive(withFields({validUntil: "2024-06-15T12:00:00"}))`, true},      // zone-less: Amsterdam
		{`AisConsent.isActive(withFields({validUntil: "2024-06-15T11:59:59.999"}))`, false}, // = 09:59:59.999Z
		{`AisConsent.isActive(withFields({validUntil: " 2024-06-15 "}))`, true},
		{`AisConsent.isActive(withFields({validUntil: "9999-12-31"}))`, true},

		// Errors.
		{`AisConsent.isActive()`, "TypeError: AisConsent.isActive: consent is required (an AIS consent object)"},
		{`AisConsent.isActive(null)`, "TypeError: AisConsent.isActive: consent must be an AIS consent object, got null"},
		{`AisConsent.isActive("c-1")`, `TypeError: AisConsent.isActive: consent must be an AIS consent object, got "c-1"`},
		{`AisConsent.isActive([consent])`, "TypeError: AisConsent.isActive: consent must be an AIS consent object, got an array"},
		{`AisConsent.isActive(withFields({consentStatus: 1}))`, "TypeError: AisConsent.isActive: consent.consentStatus must be a string, got 1"},
		{`AisConsent.isActive(withFields({validUntil: 1735686000000}))`, `TypeError: AisConsent.isActive: consent.validUntil must be a "YYYY-MM-DD" or RFC 3339 string or a Date, got 1735686000000`},
		{`AisConsent.isActive(withFields({validUntil: "31-12-2024"}))`, `RangeError: AisConsent.isActive: consent.validUntil must be a "YYYY-MM-DD" or RFC 3339 date, got "31-12-2024"`},
		{`AisConsent.isActive(withFields({validUntil: "2024-02-30"}))`, `RangeError: AisConsent.isActive: consent.validUntil must be a "YYYY-MM-DD" or RFC 3339 date, got "2024-02-30"`},
		{`AisConsent.isActive(withFields({validUntil: new Date(NaN)}))`, "RangeError: AisConsent.isActive: consent.validUntil is an invalid Date"},
		{`AisConsent.isActive(consent, 5)`, `TypeError: AisConsent.isActive: at must be a Date or a "YYYY-MM-DD" string, got 5`},
		{`AisConsent.isActive(consent, "soon")`, `RangeError: AisConsent.isActive: at must be a Date or a "YYYY-MM-DD" or RFC 3339 date string, got "soon"`},
	}
	for _, c := range cases {
		if got := builtinstest.Eval(t, vm, c.expr); got != c.want {
			t.Errorf("%s = %#v, want %#v", c.expr, got, c.want)
		}
	}
}

func TestCanAccess(t *testing.T) {
	vm := newVM(t, clock)
	cases := []struct {
		expr string
		want any
	}{
		{`AisConsent.canAccess(consent, "transactions", "NL91ABNA0417164300")`, true},
		{`AisConsent.canAccess(consent, "Transactions", "nl91 abna 0417 1643 00")`, true},
		{`AisConsent.canAccess(consent, " TRANSACTIONS ", "NL91ABNA0417164300")`, true},
		{`AisConsent.canAccess(consent, "transactions", "NL02RABO0123456789")`, true}, // stored with spaces, lower case
		{`AisConsent.canAccess(consent, "balances", "NL91ABNA0417164300")`, true},
		{`AisConsent.canAccess(consent, "balances", "NL02RABO0123456789")`, false}, // not listed under balances
		{`AisConsent.canAccess(consent, "transactions", "NL00INGB0000000000")`, false},
		{`AisConsent.canAccess(consent, "details", "NL91ABNA0417164300")`, false}, // DETAILS not consented
		// Listed under access but not among consentedServices: not granted.
		{`AisConsent.canAccess(withFields({consentedServices: ["BALANCES"]}), "transactions", "NL91ABNA0417164300")`, false},
		{`AisConsent.canAccess(withFields({consentedServices: ["balances", "transactions"]}), "transactions", "NL91ABNA0417164300")`, true},
		// DETAILS maps to access.accounts (Berlin Group) or access.details.
		{`AisConsent.canAccess(withFields({consentedServices: ["DETAILS"], options: {access: {accounts: [{iban: "NL91ABNA0417164300"}]}}}), "details", "NL91ABNA0417164300")`, true},
		{`AisConsent.canAccess(withFields({consentedServices: ["DETAILS"], options: {access: {Details: [{iban: "NL91ABNA0417164300"}]}}}), "accounts", "NL91ABNA0417164300")`, true},
		{`AisConsent.canAccess(withFields({options: {access: {TRANSACTIONS: [{iban: "NL91ABNA0417164300"}]}}}), "transactions", "NL91ABNA0417164300")`, true},
		// Not active: no access, however granted.
		{`AisConsent.canAccess(withFields({consentStatus: "REVOKED"}), "transactions", "NL91ABNA0417164300")`, false},
		{`AisConsent.canAccess(withFields({validUntil: "2024-06-14"}), "transactions", "NL91ABNA0417164300")`, false},
		{`AisConsent.canAccess(consent, "transactions", "NL91ABNA0417164300", "2025-01-01")`, false},
		{`AisConsent.canAccess(consent, "transactions", "NL91ABNA0417164300", "2024-12-31T23:59")`, true},
		// Missing parts are "not granted".
		{`AisConsent.canAccess(withFields({options: undefined}), "transactions", "NL91ABNA0417164300")`, false},
		{`AisConsent.canAccess(withFields({options: {}}), "transactions", "NL91ABNA0417164300")`, false},
		{`AisConsent.canAccess(withFields({options: {access: {transactions: null}}}), "transactions", "NL91ABNA0417164300")`, false},
		{`AisConsent.canAccess(withFields({consentedServices: null}), "transactions", "NL91ABNA0417164300")`, false},

		// Errors.
		{`AisConsent.canAccess(consent, "payments", "NL91ABNA0417164300")`, `RangeError: AisConsent.canAccess: scope must be "balances", "transactions" or "details" (or "accounts"), got "payments"`},
		{`AisConsent.canAccess(consent, 1, "NL91ABNA0417164300")`, "TypeError: AisConsent.canAccess: scope must be a string, got 1"},
		{`AisConsent.canAccess(consent, "transactions")`, "TypeError: AisConsent.canAccess: iban is required (a string)"},
		{`AisConsent.canAccess(consent, "transactions", "  ")`, "RangeError: AisConsent.canAccess: iban is empty"},
		{`AisConsent.canAccess(withFields({consentedServices: "TRANSACTIONS"}), "transactions", "X")`, `TypeError: AisConsent.canAccess: consent.consentedServices must be an array, got "TRANSACTIONS"`},
		{`AisConsent.canAccess(withFields({consentedServices: [1]}), "transactions", "X")`, "TypeError: AisConsent.canAccess: consent.consentedServices[0] must be a string, got 1"},
		{`AisConsent.canAccess(withFields({options: 1}), "transactions", "X")`, "TypeError: AisConsent.canAccess: consent.options must be an object, got 1"},
		{`AisConsent.canAccess(withFields({options: {access: "all"}}), "transactions", "X")`, `TypeError: AisConsent.canAccess: consent.options.access must be an object, got "all"`},
		{`AisConsent.canAccess(withFields({options: {access: {transactions: {iban: "X"}}}}), "transactions", "X")`, "TypeError: AisConsent.canAccess: consent.options.access.transactions must be an array, got an object"},
		{`AisConsent.canAccess(withFields({options: {access: {transactions: ["X"]}}}), "transactions", "X")`, `TypeError: AisConsent.canAccess: consent.options.access.transactions[0] must be an object like {iban, currency}, got "X"`},
		{`AisConsent.canAccess(withFields({options: {access: {transactions: [{iban: 7}]}}}), "transactions", "X")`, "TypeError: AisConsent.canAccess: consent.options.access.transactions[0].iban must be a string, got 7"},
		{`(() => { const a = []; a.length = 4294967295; return AisConsent.canAccess(withFields({consentedServices: a}), "transactions", "X") })()`, "RangeError: AisConsent.canAccess: consent.consentedServices has more than 10000 elements"},
		// A malformed record throws even when the answer would be false for another reason.
		{`AisConsent.canAccess(withFields({consentStatus: "REVOKED", consentedServices: 3}), "transactions", "X")`, "TypeError: AisConsent.canAccess: consent.consentedServices must be an array, got 3"},
	}
	for _, c := range cases {
		if got := builtinstest.Eval(t, vm, c.expr); got != c.want {
			t.Errorf("%s = %#v, want %#v", c.expr, got, c.want)
		}
	}
}

func TestDaysLeft(t *testing.T) {
	vm := newVM(t, clock) // 2024-06-15 12:00 in Amsterdam
	cases := []struct {
		expr string
		want any
	}{
		{`AisConsent.daysLeft(withFields({validUntil: "2024-06-15"}))`, int64(0)},
		{`AisConsent.daysLeft(withFields({validUntil: "2024-06-16"}))`, int64(1)},
		{`AisConsent.daysLeft(withFields({validUntil: "2024-06-14"}))`, int64(-1)},
		{`AisConsent.daysLeft(consent)`, int64(199)},
		{`AisConsent.daysLeft(consent, "2024-12-31")`, int64(0)},
		{`AisConsent.daysLeft(consent, new Date("2024-12-31T22:59:59.999Z"))`, int64(0)}, // last ms of the day in CET
		{`AisConsent.daysLeft(consent, new Date("2024-12-31T23:00:00Z"))`, int64(-1)},    // next day in CET
		{`AisConsent.daysLeft(consent, "2024-12-30T23:59")`, int64(1)},
		{`AisConsent.daysLeft(consent, "2025-01-31")`, int64(-31)},
		// Across the DST change (2024-10-27 has 25 hours): still whole calendar days.
		{`AisConsent.daysLeft(withFields({validUntil: "2024-10-28"}), "2024-10-26")`, int64(2)},
		// A timestamp counts by its date in the execution's zone: 23:30 UTC is the next day in Amsterdam.
		{`AisConsent.daysLeft(withFields({validUntil: "2024-06-20T23:30:00Z"}))`, int64(6)},
		{`AisConsent.daysLeft(withFields({validUntil: "2024-06-15T10:00:00Z"}))`, int64(0)},
		{`AisConsent.daysLeft(withFields({validUntil: "9999-12-31"}), "1970-01-01")`, int64(2932896)},
		{`AisConsent.daysLeft(withFields({validUntil: "1900-01-01"}), "2000-01-01")`, int64(-36524)},
		// Status does not matter; a missing validUntil is null.
		{`AisConsent.daysLeft(withFields({consentStatus: "EXPIRED", validUntil: "2024-06-16"}))`, int64(1)},
		{`AisConsent.daysLeft(withFields({validUntil: null}))`, nil},
		{`AisConsent.daysLeft(1)`, "TypeError: AisConsent.daysLeft: consent must be an AIS consent object, got 1"},
	}
	for _, c := range cases {
		if got := builtinstest.Eval(t, vm, c.expr); got != c.want {
			t.Errorf("%s = %#v, want %#v", c.expr, got, c.want)
		}
	}
}

// The execution's zone decides what "the whole day" is.
func TestZoneDecidesTheDay(t *testing.T) {
	vm := goja.New()
	h := builtins.NewHost(vm)
	if err := (Module{}).Install(h); err != nil {
		t.Fatal(err)
	}
	// 2024-06-15 23:30 UTC: still the 15th in UTC, already the 16th in Amsterdam.
	now := time.Date(2024, 6, 15, 23, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		loc    *time.Location
		active bool
		days   int64
	}{{time.UTC, true, 0}, {amsterdam, false, -1}} {
		h.SetExec(&builtins.Exec{Now: now, Location: c.loc})
		if got := builtinstest.Eval(t, vm, `AisConsent.isActive({consentStatus: "VALID", validUntil: "2024-06-15"})`); got != c.active {
			t.Errorf("%s: isActive = %v, want %v", c.loc, got, c.active)
		}
		if got := builtinstest.Eval(t, vm, `AisConsent.daysLeft({validUntil: "2024-06-15"})`); got != c.days {
			t.Errorf("%s: daysLeft = %v, want %v", c.loc, got, c.days)
		}
	}
}

func TestOutsideAnExecution(t *testing.T) {
	vm := goja.New()
	h := builtins.NewHost(vm)
	if err := (Module{}).Install(h); err != nil {
		t.Fatal(err)
	}
	// With an explicit `at` the helpers need no execution; without one they say why they fail.
	if got := builtinstest.Eval(t, vm, `AisConsent.isActive({consentStatus: "VALID", validUntil: "2024-06-15"}, "2024-06-15")`); got != true {
		t.Errorf("isActive with at = %v", got)
	}
	got := builtinstest.Eval(t, vm, `AisConsent.isActive({consentStatus: "VALID", validUntil: "2024-06-15"})`)
	if s, _ := got.(string); !strings.HasPrefix(s, "Error: AisConsent.isActive: no execution is running") {
		t.Errorf("isActive outside an execution = %v", got)
	}
}

func TestDescribed(t *testing.T) {
	m := Module{}
	ref := m.Reference()
	if len(ref) != 3 {
		t.Fatalf("Reference() = %d entries", len(ref))
	}
	typings := m.Typings()
	for _, e := range ref {
		if e.Doc == "" || e.Example == "" || !strings.Contains(typings, "function "+strings.TrimPrefix(e.Qualified, "AisConsent.")+"(") {
			t.Errorf("%s: doc %q, example %q, or not declared", e.Qualified, e.Doc, e.Example)
		}
	}
	// The examples run and give what they say.
	vm := newVM(t, clock)
	for expr, want := range map[string]any{
		`AisConsent.isActive({consentStatus: "VALID", validUntil: "2030-12-31"})`: true,
		`AisConsent.canAccess(consent, "transactions", "NL91 ABNA 0417 1643 00")`: true,
		`AisConsent.daysLeft({validUntil: "2024-06-30"}, "2024-06-15")`:           int64(15),
	} {
		if got := builtinstest.Eval(t, vm, expr); got != want {
			t.Errorf("%s = %#v, want %#v", expr, got, want)
		}
	}
}
