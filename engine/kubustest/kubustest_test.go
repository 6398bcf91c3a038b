package kubustest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubusdev/kubus/builtins/ockto"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/engine/kubustest"
	"github.com/kubusdev/kubus/rulesets"
)

// worldRuleset persists no entities; it talks to Ockto and reads consents and data debits.
const worldRuleset = `name: world
version: 1.0.0
inputs:
  UserId: {type: string, default: user-jp-de-vries}
  UseOckto: {type: boolean, default: false}
  Give: {type: boolean, default: false}
rules:
  Flow: |
    if (!UseOckto) return null;
    const s = Ockto.startSession("s-1", {consentCode: Ockto.ConsentCodes.Algemeen});
    const statuses = [];
    let st;
    do { st = Ockto.getStatus("s-1"); statuses.push(st); } while ((st === "created" || st === "scanned") && statuses.length < 6);
    const odm = st === "dataAvailable" ? Ockto.getResult("s-1") : null;
    return {qrCode: s.qrCode, statuses, employers: odm ? odm.income.employers.map(e => e.name) : null, odmCreatedAt: odm ? odm.createdAt : null};
  Bank: "UseOckto ? Consent.check(UserId, {aisScope: 'transactions'}).reason : null"
  Given: |
    if (!Give) return null;
    const c = Consent.create({type: "privacyPolicy", userId: UserId, document: {uri: "https://example.com/privacy"}});
    return Consent.give(c._id).state;
  Privacy: 'Consent.check(UserId, {type: "privacyPolicy"}).reason'
  PrivacyRecord: 'Consent.get("c-1")?.state ?? null'
  Debit: 'Consent.check(UserId, {dataDebitKey: "dd"}).reason'
  DebitActive: 'DataDebit.get("dd")?.active ?? null'
`

const scenarios = `quick:
  base: happy
  description: Data at the first poll, from the ruleset's own scenario file.
  statuses: [created, dataAvailable]
  result: {createdAt: "2025-01-01T00:00:00Z", income: {employers: [{name: Eigen Zaak B.V.}]}}
  consents: []
`

// dataDebit is a data debit fixture's fields (the item's first line is written by the testcase).
const dataDebit = `
      purpose: The lender reads the income
      start: "2025-03-01"
      period: 7776000
      cancelAtPeriodEnd: true
      termsUrl: https://bank.example/terms
      requestClientName: Bank
      requestClientUrl: https://bank.example
      requestClientLogoUrl: https://bank.example/logo.png
      bundle: {name: dossier, bundle: {income: {endpoints: [{endpoint: Dossier}]}}}`

const happyODM = `qrCode: "ockto-sim://session?testCaseId=happy&sessionId=s-1", statuses: [scanned, dataAvailable],
        employers: [Bakkerij Van Dijk B.V., Zorggroep Noord B.V.], odmCreatedAt: "2025-03-14T09:12:00Z"`

var worldTests = `- name: happy
  now: 2025-03-14T10:00:00Z
  ockto: happy
  input: {UseOckto: true}
  expect:
    output:
      Flow: {` + happyODM + `}
      Bank: valid
      Privacy: missing

- name: refused
  now: 2025-03-14T10:00:00Z
  ockto: refused
  input: {UseOckto: true}
  expect:
    output:
      Flow: {qrCode: "ockto-sim://session?testCaseId=refused&sessionId=s-1", statuses: [scanned, refused], employers: null, odmCreatedAt: null}
      Bank: missing

- name: no-scan
  now: 2025-03-14T10:00:00Z
  ockto: no-scan
  input: {UseOckto: true}
  expect:
    output:
      Flow: {qrCode: "ockto-sim://session?testCaseId=no-scan&sessionId=s-1", statuses: [created, created, expired], employers: null, odmCreatedAt: null}

- name: the ruleset's own scenario
  now: 2025-03-14T10:00:00Z
  ockto: quick
  input: {UseOckto: true}
  expect:
    output:
      Flow: {qrCode: "ockto-sim://session?testCaseId=quick&sessionId=s-1", statuses: [dataAvailable], employers: [Eigen Zaak B.V.], odmCreatedAt: "2025-01-01T00:00:00Z"}
      Bank: missing

- name: consents and data debits
  now: 2025-03-14T10:00:00Z
  consents:
    - {_id: c-1, type: privacyPolicy, userId: user-jp-de-vries, document: {uri: "https://example.com/privacy"}, state: given, givenAt: "2025-02-03"}
  dataDebits:
    - dataDebitKey: dd` + dataDebit + `
      accepted: true
  expect:
    output: {Privacy: given, PrivacyRecord: given, Debit: active, DebitActive: true}

- name: a data debit not accepted, a consent of someone else
  now: 2025-03-14T10:00:00Z
  consents:
    - {_id: c-1, type: privacyPolicy, userId: someone-else, document: {uri: "https://example.com/privacy"}, state: revoked}
  dataDebits:
    - dataDebitKey: dd` + dataDebit + `
  expect:
    output: {Privacy: missing, PrivacyRecord: revoked, Debit: notAccepted, DebitActive: false}

- name: the rule gives a consent itself
  input: {Give: true}
  expect:
    output: {Given: given, Privacy: given, PrivacyRecord: null}

- name: nothing saved before
  expect:
    output: {Flow: null, Privacy: missing, PrivacyRecord: null, Debit: missing, DebitActive: null}
`

// loadWorld loads the world ruleset with these testcase files (and the scenario file) from a new folder.
func loadWorld(t *testing.T, tests map[string]string) *engine.Ruleset {
	t.Helper()
	files := map[string]string{}
	for name, text := range tests {
		files["tests/"+name] = text
	}
	return loadWorldWith(t, files)
}

// loadWorldWith loads the world ruleset from a new folder with these files added or replaced.
func loadWorldWith(t *testing.T, extra map[string]string) *engine.Ruleset {
	t.Helper()
	files := map[string]string{"ruleset.yaml": worldRuleset, kubustest.ScenariosFile: scenarios}
	for name, text := range extra {
		files[name] = text
	}
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := engine.New().Load(dir)
	if err != nil {
		t.Fatalf("load:\n%v", err)
	}
	return rs
}

// byName runs every testcase and returns the results by testcase name.
func byName(t *testing.T, rs *engine.Ruleset, run *regexp.Regexp) map[string]kubustest.CaseResult {
	t.Helper()
	out := map[string]kubustest.CaseResult{}
	for _, c := range kubustest.RunCases(context.Background(), rs, kubustest.Options{Run: run}) {
		out[c.Case.Name] = c
	}
	return out
}

func describe(c kubustest.CaseResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "error %v", c.Err)
	if c.Result != nil {
		fmt.Fprintf(&b, "\noutput %v", c.Result.Output)
	}
	for _, m := range c.Mismatches {
		fmt.Fprintf(&b, "\n  %s", m)
	}
	return b.String()
}

func TestWorldTestcasesPass(t *testing.T) {
	rs := loadWorld(t, map[string]string{"world.yaml": worldTests})
	if !rs.NeedsStore() {
		t.Error("NeedsStore() = false for a ruleset that uses Consent, DataDebit and Ockto")
	}
	results := kubustest.RunCases(context.Background(), rs, kubustest.Options{})
	if len(results) != len(rs.Model().Testcases) || len(results) != 8 {
		t.Fatalf("%d results for %d testcases", len(results), len(rs.Model().Testcases))
	}
	for _, c := range results {
		if !c.Passed() {
			t.Errorf("%s: %s", c.FullName(), describe(c))
		}
		if c.Duration > 3*time.Second {
			t.Errorf("%s took %v", c.FullName(), c.Duration)
		}
	}
}

// TestWorldExpectationsCanFail: the same testcases with wrong expectations fail where they should,
// so passing above means the simulator and the fixtures really answered.
func TestWorldExpectationsCanFail(t *testing.T) {
	wrong := strings.NewReplacer(
		"statuses: [scanned, refused]", "statuses: [scanned, dataAvailable]",
		"Eigen Zaak B.V.", "Bakkerij Van Dijk B.V.",
		"{Privacy: given, PrivacyRecord: given, Debit: active, DebitActive: true}", "{Privacy: missing, PrivacyRecord: null, Debit: missing, DebitActive: null}",
		"{Flow: null, Privacy: missing, PrivacyRecord: null, Debit: missing, DebitActive: null}", "{Flow: null, Privacy: given}",
	).Replace(worldTests)
	results := byName(t, loadWorld(t, map[string]string{"world.yaml": wrong}), nil)
	want := map[string][]string{
		"refused":                         {"output.Flow.statuses[1]"},
		"the ruleset's own scenario":      {"output.Flow.employers[0]"},
		"consents and data debits":        {"output.Privacy", "output.PrivacyRecord", "output.Debit", "output.DebitActive"},
		"nothing saved before":            {"output.Privacy"},
		"happy":                           nil,
		"no-scan":                         nil,
		"the rule gives a consent itself": nil,
	}
	for name, paths := range want {
		c, ok := results[name]
		if !ok {
			t.Errorf("no result for %q", name)
			continue
		}
		var got []string
		for _, m := range c.Mismatches {
			got = append(got, m.Path)
		}
		if strings.Join(got, ",") != strings.Join(paths, ",") {
			t.Errorf("%s: mismatches at %v, want %v\n%s", name, got, paths, describe(c))
		}
	}
}

func TestOcktoScenarioProblems(t *testing.T) {
	tests := `- name: no such scenario
  ockto: nope
  input: {UseOckto: true}
  expect: {output: {Bank: valid}}
`
	c := byName(t, loadWorld(t, map[string]string{"a.yaml": tests}), nil)["no such scenario"]
	if c.Passed() || len(c.Mismatches) != 1 || c.Mismatches[0].Path != "ockto" {
		t.Fatalf("want one mismatch at ockto:\n%s", describe(c))
	}
	msg := c.Mismatches[0].Message
	for _, want := range []string{`"nope"`, "happy", "no-scan", "refused", "quick", kubustest.ScenariosFile} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if c.Err == nil || c.Result != nil {
		t.Errorf("err %v, result %v: want the error and no execution", c.Err, c.Result)
	}

	t.Run("a broken scenario file", func(t *testing.T) {
		rs := loadWorldWith(t, map[string]string{kubustest.ScenariosFile: "quick: {statusses: [created]}\n",
			"tests/a.yaml": "- name: happy\n  ockto: happy\n  expect: {output: {Flow: null}}\n"})
		c := byName(t, rs, nil)["happy"]
		if c.Passed() || c.Mismatches[0].Path != "ockto" || !strings.Contains(c.Mismatches[0].Message, kubustest.ScenariosFile) ||
			!strings.Contains(c.Mismatches[0].Message, "statusses") {
			t.Errorf("want a mismatch at ockto naming the file and the unknown field:\n%s", describe(c))
		}
	})
}

func TestBadFixtureFailsWithItsPosition(t *testing.T) {
	tests := `- name: a consent type that does not exist
  consents:
    - {type: privacyPolicy, userId: u1, document: {uri: "https://example.com/privacy"}}
    - type: privacyPolicyy
      userId: u1
      document: {uri: "https://example.com/privacy"}
  expect: {output: {Privacy: missing}}

- name: a data debit field that does not exist
  dataDebits:
    - dataDebitKey: dd` + dataDebit + `
      acepted: true
  expect: {output: {Debit: active}}

- name: a consent with a bad state
  consents:
    - {type: privacyPolicy, userId: u1, document: {uri: "https://example.com/privacy"}, state: done}
  expect: {output: {Privacy: missing}}

- name: a data debit with a bad spec
  dataDebits:
    - {dataDebitKey: dd, purpose: x}
  expect: {output: {Debit: missing}}
`
	results := byName(t, loadWorld(t, map[string]string{"bad.yaml": tests}), nil)
	cases := []struct {
		name, prefix string
		contains     []string
	}{
		{"a consent type that does not exist", "tests/bad.yaml:4:7: consents[1]: ", []string{"invalidConsentType", `"privacyPolicyy"`}},
		{"a data debit field that does not exist", "tests/bad.yaml:11:7: dataDebits[0]: acepted: ", nil},
		{"a consent with a bad state", "tests/bad.yaml:26:7: consents[0]: state: ", []string{`"done"`}},
		{"a data debit with a bad spec", "tests/bad.yaml:31:7: dataDebits[0]: ", []string{"DataDebit.create", "spec.start"}},
	}
	for _, tc := range cases {
		c := results[tc.name]
		if c.Passed() || len(c.Mismatches) != 1 || c.Mismatches[0].Path != "fixtures" {
			t.Errorf("%s: want one mismatch at fixtures:\n%s", tc.name, describe(c))
			continue
		}
		msg := filepath.ToSlash(c.Mismatches[0].Message)
		if !strings.HasPrefix(msg, tc.prefix) {
			t.Errorf("%s: message %q, want it to start with %q", tc.name, msg, tc.prefix)
		}
		for _, w := range tc.contains {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: message %q lacks %q", tc.name, msg, w)
			}
		}
		if c.Result != nil {
			t.Errorf("%s: it ran anyway", tc.name)
		}
	}
}

// TestFixturesOnASharedStore: in a `store: shared` file fixtures are saved into the one store, in
// order, so a later testcase sees an earlier one's.
func TestFixturesOnASharedStore(t *testing.T) {
	tests := `store: shared
testcases:
  - name: first
    consents:
      - {_id: c-1, type: privacyPolicy, userId: user-jp-de-vries, document: {uri: "https://example.com/privacy"}, state: given}
    expect: {output: {Privacy: given, PrivacyRecord: given}}
  - name: second
    expect: {output: {Privacy: given, PrivacyRecord: given}}
`
	for name, c := range byName(t, loadWorld(t, map[string]string{"shared.yaml": tests}), nil) {
		if !c.Passed() {
			t.Errorf("%s: %s", name, describe(c))
		}
	}
}

// TestDeveloperOcktoEnvironmentDoesNotLeak: KUBUS_OCKTO_* in the process environment (a developer
// pointed at a real Ockto) does not reach an `ockto:` testcase.
func TestDeveloperOcktoEnvironmentDoesNotLeak(t *testing.T) {
	var hits atomic.Int32
	real := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "the real Ockto", http.StatusTeapot)
	}))
	defer real.Close()
	t.Setenv(ockto.EnvEndpoint, real.URL)
	t.Setenv(ockto.EnvUsername, "developer")
	t.Setenv(ockto.EnvPassword, "developer-secret")
	t.Setenv(ockto.EnvProviderCode, "DEV")
	t.Setenv(ockto.EnvCert, filepath.Join(t.TempDir(), "no-such-cert.pem"))
	t.Setenv(ockto.EnvKey, filepath.Join(t.TempDir(), "no-such-key.pem"))
	t.Setenv(ockto.EnvTimeout, "1ms")
	t.Setenv(ockto.EnvRetries, "0")

	rs := loadWorld(t, map[string]string{"world.yaml": worldTests})
	results := byName(t, rs, regexp.MustCompile(`^world/happy$`))
	c, ok := results["happy"]
	if !ok || len(results) != 1 {
		t.Fatalf("results %v", results)
	}
	if !c.Passed() {
		t.Errorf("happy: %s", describe(c))
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the developer's Ockto got %d requests", n)
	}

	// Without `ockto:` Ockto is not configured at all: the developer's Ockto is not reached either.
	tests := "- name: no scenario\n  input: {UseOckto: true}\n  expect: {output: {Bank: valid}}\n"
	c = byName(t, loadWorld(t, map[string]string{"plain.yaml": tests}), nil)["no scenario"]
	if c.Passed() || c.Err == nil || !strings.Contains(c.Err.Error(), "Ockto is not configured") {
		t.Errorf("without ockto: want the execution to fail as Ockto is not configured:\n%s", describe(c))
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the developer's Ockto got %d requests", n)
	}
}

// TestJSONFormRunsTheSameTestcases: the JSON form carries the testcases' ockto, consents and
// dataDebits and the ruleset's scenarios, so its testcases pass without the folder.
func TestJSONFormRunsTheSameTestcases(t *testing.T) {
	data, err := rulesets.ExportJSON(loadWorld(t, map[string]string{"world.yaml": worldTests}).Model())
	if err != nil {
		t.Fatal(err)
	}
	rs, err := engine.New().LoadJSON(data, "world.json")
	if err != nil {
		t.Fatalf("load:\n%v", err)
	}
	if rs.Model().Dir != "" {
		t.Fatalf("Dir %q: the JSON form has no folder", rs.Model().Dir)
	}
	results := kubustest.RunCases(context.Background(), rs, kubustest.Options{})
	if len(results) != 8 {
		t.Fatalf("%d results", len(results))
	}
	for _, c := range results {
		if !c.Passed() {
			t.Errorf("%s: %s", c.FullName(), describe(c))
		}
	}
}
