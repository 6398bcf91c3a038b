package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/store/storetest"
)

func TestNeedsStore(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want bool
	}{
		{"nothing stateful", `name: plain
rules:
  A: 1 + 1
`, false},
		{"a persisted entity", `name: persists
entities:
  Person: {persisted: true, properties: {Name: string}}
rules:
  A: 1
`, true},
		{"an entity that is not persisted", `name: transient
entities:
  Person: {properties: {Name: string}}
rules:
  A: "new Person({Name: 'x'}).Name"
`, false},
		{"Consent in a rule", `name: consents
rules:
  A: 'Consent.check("u1", {type: "privacyPolicy"}).allowed'
`, true},
		{"DataDebit in a function", `name: debits
functions:
  Active:
    params: {key: string}
    body: return DataDebit.get(key)?.active ?? false
rules:
  A: 1
`, true},
		{"UserStore in an alert", `name: users
rules:
  A: 1
alerts:
  Nobody:
    level: info
    when: UserStore === undefined
    message: no user store
`, true},
		{"Ockto in a calculated property", `name: ockto
entities:
  Application:
    properties: {Id: string}
    calculated:
      Status: Ockto.getStatus(Id)
rules:
  A: 1
`, true},
		{"the names only as properties and text", `name: lookalike
constants:
  Labels: {Consent: yes, DataDebit: no}
rules:
  A: Labels.Consent
  B: '"Consent.check and DataDebit.get"'
  C: "({Ockto: 1}).Ockto"
`, false},
		{"a local named like a module", `name: local
rules:
  A: |
    const Consent = {check: () => true};
    return Consent.check();
`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs := load(t, engine.New(), tc.yaml, nil)
			if got := rs.NeedsStore(); got != tc.want {
				t.Errorf("NeedsStore() = %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("a library function that uses DataDebit", func(t *testing.T) {
		eng := engine.New()
		load(t, eng, `name: debit-lib
library: true
functions:
  DebitActive:
    params: {key: string}
    body: return DataDebit.get(key)?.active ?? false
`, nil)
		rs := load(t, eng, `name: uses-lib
uses: [debit-lib]
rules:
  A: DebitActive("dd")
`, nil)
		if !rs.NeedsStore() {
			t.Error("NeedsStore() = false for a ruleset whose library function uses DataDebit")
		}
	})
	t.Run("a store-backed ruleset runs on the store it is given", func(t *testing.T) {
		rs := load(t, engine.New(), `name: consents
inputs:
  User: {type: string, default: u1}
rules:
  Made: 'Consent.give(Consent.create({type: "privacyPolicy", userId: User, document: {uri: "https://example.com/privacy"}})._id).state'
  Check: 'Consent.check(User, {type: "privacyPolicy"}).reason'
`, nil)
		if _, err := rs.Execute(context.Background(), nil, engine.ExecOptions{Now: fixedNow}); err == nil || !strings.Contains(err.Error(), "no store is configured") {
			t.Errorf("without a store: %v, want the module's no-store error", err)
		}
		s := storetest.Open(t)
		res, err := rs.Execute(context.Background(), nil, engine.ExecOptions{Now: fixedNow, Store: s})
		if err != nil {
			t.Fatal(err)
		}
		if res.Output["Made"] != "given" || res.Output["Check"] != "given" {
			t.Errorf("output %v", res.Output)
		}
	})
}
