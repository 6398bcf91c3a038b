package consent

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/builtins/datadebit"
	"github.com/kubusdev/kubus/builtins/ockto"
	"github.com/kubusdev/kubus/builtins/ockto/ocktosim"
	"github.com/kubusdev/kubus/store/storetest"
)

// checkVM is a runtime with Consent and DataDebit, pointed at a real store and, when sim is not
// nil, at an Ockto simulator over real HTTP.
func checkVM(t *testing.T, sim *ocktosim.Server) *vmEnv {
	t.Helper()
	v := newVM(t, storetest.Begin(t))
	if err := (datadebit.Module{}).Install(v.h); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	if sim != nil {
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		env = map[string]string{ockto.EnvEndpoint: srv.URL, ockto.EnvUsername: "kubus", ockto.EnvPassword: "secret",
			ockto.EnvProviderCode: "KUBUS", ockto.EnvTimeout: "2s"}
	}
	v.exec.Serial = 1
	v.exec.Getenv = func(k string) (string, bool) { s, ok := env[k]; return s, ok }
	return v
}

// verdict is check's answer without the record, "reason/source/allowed".
func (v *vmEnv) verdict(expr string) string {
	v.t.Helper()
	return v.run(`(() => { const r = ` + expr + `; return r.reason + "/" + r.source + "/" + r.allowed })()`).String()
}

func TestCheckDocumentConsents(t *testing.T) {
	cases := []struct {
		name  string
		setup string // JS run first
		check string // the options
		want  string
	}{
		{"none at all", ``, `{type: "privacyPolicy"}`, "missing/consent/false"},
		{"given", `inState("u1", "given")`, `{type: "privacyPolicy"}`, "given/consent/true"},
		{"pending", `inState("u1", "pending")`, `{type: "privacyPolicy"}`, "pending/consent/false"},
		{"stale after a revision", `inState("u1", "stale")`, `{type: "privacyPolicy"}`, "stale/consent/false"},
		{"revoked", `inState("u1", "revoked")`, `{type: "privacyPolicy"}`, "revoked/consent/false"},
		{"rescinded", `inState("u1", "rescinded")`, `{type: "privacyPolicy"}`, "rescinded/consent/false"},
		{"another user's given consent does not count", `inState("u2", "given")`, `{type: "privacyPolicy"}`, "missing/consent/false"},
		{"another type does not count", `inState("u1", "given", {type: "termsAndConditions", document: {uri: TC}})`,
			`{type: "privacyPolicy"}`, "missing/consent/false"},
		{"given wins over a newer pending one", `inState("u1", "given", {contextUri: "urn:loan:1"}); inState("u1", "pending", {contextUri: "urn:loan:2"})`,
			`{type: "privacyPolicy"}`, "given/consent/true"},
		{"stale wins over pending", `inState("u1", "pending", {contextUri: "urn:loan:2"}); inState("u1", "stale", {contextUri: "urn:loan:1"})`,
			`{type: "privacyPolicy"}`, "stale/consent/false"},
		{"contextUri narrows", `inState("u1", "given", {contextUri: "urn:loan:1"}); inState("u1", "pending", {contextUri: "urn:loan:2"})`,
			`{type: "privacyPolicy", contextUri: "urn:loan:2"}`, "pending/consent/false"},
		{"contextUri with no consent", `inState("u1", "given", {contextUri: "urn:loan:1"})`,
			`{type: "privacyPolicy", contextUri: "urn:loan:9"}`, "missing/consent/false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := checkVM(t, nil)
			v.run(tc.setup)
			if got := v.verdict(`Consent.check("u1", ` + tc.check + `)`); got != tc.want {
				t.Errorf("check = %s, want %s", got, tc.want)
			}
		})
	}

	t.Run("the record is the consent that decided", func(t *testing.T) {
		v := checkVM(t, nil)
		v.run(`var c = inState("u1", "given")`)
		got := v.obj(`Consent.check("u1", {type: "privacyPolicy"}).record`)
		want := v.obj(`Consent.get(c._id)`)
		if got["_id"] != want["_id"] || got["etag"] != want["etag"] || got["state"] != "given" {
			t.Errorf("record %v, want %v", got, want)
		}
		if rec := v.json(`Consent.check("u1", {type: "termsAndConditions"}).record`); rec != "null" {
			t.Errorf("record without a consent = %s, want null", rec)
		}
	})
	t.Run("a consent revoked later in the execution reads as revoked", func(t *testing.T) {
		v := checkVM(t, nil)
		v.run(`var c = inState("u1", "given"); Consent.revoke(c._id)`)
		if got := v.verdict(`Consent.check("u1", {type: "privacyPolicy"})`); got != "revoked/consent/false" {
			t.Errorf("check = %s", got)
		}
	})
	t.Run("an unknown type is invalidConsentType, not missing", func(t *testing.T) {
		v := checkVM(t, nil)
		v.wantError(`Consent.check("u1", {type: "privacyPolicyy"})`, ErrInvalidConsentType, 400)
	})
}

func TestCheckDataDebits(t *testing.T) {
	day := 86400
	spec := `{purpose: "Mortgage advice", start: "2024-07-01T00:00:00Z", period: 30 * ` + itoa(day) + `, termsUrl: "https://bank.example/terms",
		cancelAtPeriodEnd: true, requestClientName: "Bank", requestClientUrl: "https://bank.example", requestClientLogoUrl: "https://bank.example/logo.png",
		bundle: {name: "income", bundle: {income: {endpoints: [{endpoint: "Person"}]}}}}`
	cases := []struct {
		name, setup, at, want string
	}{
		{"no such key", ``, `"2024-07-02"`, "missing/dataDebit/false"},
		{"not accepted", `DataDebit.create("dd", ` + spec + `)`, `"2024-07-02"`, "notAccepted/dataDebit/false"},
		{"accepted, not started", `DataDebit.create("dd", ` + spec + `); DataDebit.enable("dd")`, `"2024-06-30T23:59:59.999Z"`, "notStarted/dataDebit/false"},
		{"active at its start", `DataDebit.create("dd", ` + spec + `); DataDebit.enable("dd")`, `"2024-07-01T00:00:00Z"`, "active/dataDebit/true"},
		{"active 1 ms before its end", `DataDebit.create("dd", ` + spec + `); DataDebit.enable("dd")`, `"2024-07-30T23:59:59.999Z"`, "active/dataDebit/true"},
		{"ended at its period end", `DataDebit.create("dd", ` + spec + `); DataDebit.enable("dd")`, `"2024-07-31T00:00:00Z"`, "expired/dataDebit/false"},
		{"canceled", `DataDebit.create("dd", ` + spec + `); DataDebit.enable("dd"); DataDebit.disable("dd")`, `"2024-06-15"`, "canceled/dataDebit/false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := checkVM(t, nil)
			v.run(tc.setup)
			if got := v.verdict(`Consent.check("u1", {dataDebitKey: "dd", at: ` + tc.at + `})`); got != tc.want {
				t.Errorf("check = %s, want %s", got, tc.want)
			}
		})
	}
	t.Run("the record is computed at `at`", func(t *testing.T) {
		v := checkVM(t, nil)
		v.run(`DataDebit.create("dd", ` + spec + `); DataDebit.enable("dd")`)
		rec := v.obj(`Consent.check("u1", {dataDebitKey: "dd", at: "2024-07-10"}).record`)
		if rec["active"] != true || rec["dataDebitKey"] != "dd" {
			t.Errorf("record %v, want the active data debit", rec)
		}
	})
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestCheckBankData(t *testing.T) {
	// The simulator's happy consents for user-jp-de-vries, dated from its clock (clock's day):
	// cns-0001 VALID until +150 days (all services, NL91ABNA0417164300), cns-0002 RECEIVED
	// (transactions), cns-0000 EXPIRED.
	const user, iban = "user-jp-de-vries", "NL91 ABNA 0417 1643 00"
	sim, err := ocktosim.New(nil, ocktosim.Options{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	later := clock.AddDate(0, 0, 151).Format(time.DateOnly)
	cases := []struct {
		name, user, options, want, record string
	}{
		{"valid for transactions on the account", user, `{aisScope: "transactions", iban: "` + iban + `"}`, "valid/aisConsent/true", "cns-0001"},
		{"scope alone", user, `{aisScope: "balances"}`, "valid/aisConsent/true", "cns-0001"},
		{"account alone", user, `{iban: "nl91abna0417164300"}`, "valid/aisConsent/true", "cns-0001"},
		{"another account", user, `{aisScope: "transactions", iban: "NL02RABO0123456789"}`, "notGranted/aisConsent/false", "cns-0001"},
		{"expired after validUntil", user, `{aisScope: "transactions", iban: "` + iban + `", at: "` + later + `"}`, "expired/aisConsent/false", "cns-0001"},
		{"another user has none", "user-someone-else", `{aisScope: "transactions"}`, "missing/aisConsent/false", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := checkVM(t, sim)
			if got := v.verdict(`Consent.check("` + tc.user + `", ` + tc.options + `)`); got != tc.want {
				t.Errorf("check = %s, want %s", got, tc.want)
			}
			rec := v.json(`Consent.check("` + tc.user + `", ` + tc.options + `).record?.consentId ?? null`)
			if want := `"` + tc.record + `"`; tc.record == "" && rec != "null" || tc.record != "" && rec != want {
				t.Errorf("record %s, want %q", rec, tc.record)
			}
		})
	}

	t.Run("one call to Ockto per execution", func(t *testing.T) {
		before := sim.Requests(ocktosim.KindConsents)
		v := checkVM(t, sim)
		v.run(`Consent.check("` + user + `", {aisScope: "transactions"}); Consent.check("` + user + `", {aisScope: "balances"})`)
		if n := sim.Requests(ocktosim.KindConsents) - before; n != 1 {
			t.Errorf("%d consent requests, want 1", n)
		}
		v.exec.Serial++ // the next execution asks again
		v.run(`Consent.check("` + user + `", {aisScope: "transactions"})`)
		if n := sim.Requests(ocktosim.KindConsents) - before; n != 2 {
			t.Errorf("%d consent requests after a second execution, want 2", n)
		}
	})
	t.Run("only an open consent grants the use: notAuthorised", func(t *testing.T) {
		s := scenarioSim(t, `[
			{"consentId": "a", "userId": "u1", "consentStatus": "RECEIVED", "validUntil": "2030-01-01", "consentedServices": ["TRANSACTIONS"],
			 "options": {"access": {"transactions": [{"iban": "NL91ABNA0417164300"}]}}},
			{"consentId": "b", "userId": "u1", "consentStatus": "VALID", "validUntil": "2030-01-01", "consentedServices": ["BALANCES"],
			 "options": {"access": {"balances": [{"iban": "NL91ABNA0417164300"}]}}},
			{"consentId": "c", "userId": "u1", "consentStatus": "REVOKED_BY_PSU", "validUntil": "2030-01-01", "consentedServices": ["DETAILS"],
			 "options": {"access": {"accounts": [{"iban": "NL91ABNA0417164300"}]}}}]`)
		v := checkVM(t, s)
		for opts, want := range map[string]string{
			`{aisScope: "transactions"}`:                         "notAuthorised/aisConsent/false",
			`{aisScope: "balances", iban: "NL91ABNA0417164300"}`: "valid/aisConsent/true",
			`{aisScope: "details"}`:                              "inactive/aisConsent/false",
			`{iban: "NL02RABO0123456789"}`:                       "notGranted/aisConsent/false",
		} {
			if got := v.verdict(`Consent.check("u1", ` + opts + `)`); got != want {
				t.Errorf("check %s = %s, want %s", opts, got, want)
			}
		}
	})
	t.Run("without Ockto configured it says so", func(t *testing.T) {
		v := checkVM(t, nil)
		got := v.json(`Consent.check("u1", {aisScope: "transactions"})`)
		if !strings.Contains(got, "Consent.check") || !strings.Contains(got, "not configured") {
			t.Errorf("got %s, want an error naming Consent.check and saying Ockto is not configured", got)
		}
	})
}

// scenarioSim is a simulator whose consents are the given JSON array.
func scenarioSim(t *testing.T, consents string) *ocktosim.Server {
	t.Helper()
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(consents), &list); err != nil {
		t.Fatal(err)
	}
	sim, err := ocktosim.New(map[string]ocktosim.Scenario{"custom": {Base: "happy", Consents: list}},
		ocktosim.Options{Now: func() time.Time { return clock }, ConsentsScenario: "custom"})
	if err != nil {
		t.Fatal(err)
	}
	return sim
}

func TestCheckArguments(t *testing.T) {
	v := checkVM(t, nil)
	for expr, want := range map[string]string{
		`Consent.check()`:                                                 "TypeError: Consent.check: userId",
		`Consent.check("")`:                                               "RangeError: Consent.check: userId",
		`Consent.check("u1")`:                                             "TypeError: Consent.check: options is required",
		`Consent.check("u1", {})`:                                         "TypeError: Consent.check: options must name what to check",
		`Consent.check("u1", {typ: "privacyPolicy"})`:                     "TypeError: Consent.check: options.typ is not a check option",
		`Consent.check("u1", {type: 1})`:                                  "TypeError: Consent.check: options.type must be a string",
		`Consent.check("u1", {contextUri: "urn:x"})`:                      "TypeError: Consent.check: options.type is required with options.contextUri",
		`Consent.check("u1", {type: "privacyPolicy", dataDebitKey: "d"})`: "RangeError: Consent.check: options ask about a document consent (type, contextUri) and a data debit",
		`Consent.check("u1", {aisScope: "loans"})`:                        `RangeError: Consent.check: options.aisScope must be`,
		`Consent.check("u1", {iban: "  "})`:                               "RangeError: Consent.check: options.iban is blank",
		`Consent.check("u1", {dataDebitKey: "d", at: "someday"})`:         "RangeError: Consent.check: options.at must be",
	} {
		if got := v.json(expr); !strings.HasPrefix(got, want) {
			t.Errorf("%s = %s, want %s…", expr, got, want)
		}
	}
}
