package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kubus runs the CLI in-process and returns its exit code, standard output and standard error.
func kubus(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut strings.Builder
	code := execute(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// rulesetDir writes a small ruleset with testcases into a temporary folder.
func rulesetDir(t *testing.T, tests string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "ruleset.yaml"), `name: discount
version: 2.1.0
inputs:
  Amount: {type: number, required: true}
  Member: {type: boolean, default: false}
rules:
  Discount:
    type: number
    expression: "Member ? ROUND(Amount * 0.15, 2) : 0"
  Total: ROUND(Amount - Discount, 2)
alerts:
  BigOrder:
    level: info
    when: Amount > 1000
    message: "Order of ${Amount}"
`)
	if tests != "" {
		write(t, filepath.Join(dir, "tests", "cases.yaml"), tests)
	}
	return dir
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRunPrintsResult(t *testing.T) {
	dir := rulesetDir(t, "")
	code, out, _ := kubus(t, `{"Amount": 1200, "Member": true}`, "run", dir, "--input", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	output := res["output"].(map[string]any)
	if output["Discount"] != 180.0 || output["Total"] != 1020.0 || res["version"] != "2.1.0" {
		t.Errorf("result = %s", out)
	}
	if alerts := res["alerts"].([]any); len(alerts) != 1 || alerts[0].(map[string]any)["message"] != "Order of 1200" {
		t.Errorf("alerts = %v", alerts)
	}
	if !strings.Contains(out, `"output": {`+"\n"+`    "Discount"`) {
		t.Errorf("output keys not in declared order:\n%s", out)
	}
}

func TestRunErrors(t *testing.T) {
	dir := rulesetDir(t, "")
	cases := []struct {
		name, stdin, want string
		args              []string
	}{
		{"invalid input lists problems with paths", `{"Member": "yes"}`, `"path": "Amount"`, nil},
		{"not JSON", `{"Amount": `, "input is not a JSON object", nil},
		{"bad --now", `{}`, "", []string{"--now", "yesterday"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := kubus(t, c.stdin, append([]string{"run", dir, "--input", "-"}, c.args...)...)
			if code == 0 {
				t.Fatalf("exit 0, want failure: %s", out)
			}
			if !strings.Contains(out+errOut, c.want) {
				t.Errorf("output lacks %q:\n%s\n%s", c.want, out, errOut)
			}
		})
	}
	code, out, _ := kubus(t, `{"Member": "yes"}`, "run", dir, "--input", "-")
	if code != 1 || !strings.Contains(out, `"message": "must be true or false, got \"yes\""`) {
		t.Errorf("exit %d, every problem expected:\n%s", code, out)
	}
}

func TestRunEvaluationErrorNamesRule(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "ruleset.yaml"), "name: broken\nrules:\n  Fine: 1\n  Bad:\n    file: rules/bad.js\n")
	write(t, filepath.Join(dir, "rules", "bad.js"), "const a = 1;\nundefinedFunction(a);\n")
	code, out, _ := kubus(t, `{}`, "run", dir, "--input", "-")
	if code == 0 {
		t.Fatal("want a load or evaluation error")
	}
	// The loader sees the unknown name; it must point at the file and line.
	code, _, errOut := kubus(t, `{}`, "run", dir, "--input", "-")
	if code != 1 || !strings.Contains(out+errOut, "rules/bad.js:2:") {
		t.Errorf("exit %d; want rules/bad.js:2 in:\n%s%s", code, out, errOut)
	}
}

const casesYAML = `# discount cases
- name: members get 15 percent
  input: {Amount: 100, Member: true}
  expect:
    output:
      Discount: 15   # the member discount
      Total: 85
    alerts: []
- name: wrong on purpose
  input: {Amount: 100}
  expect:
    output:
      Total: 99
- name: big order alert
  input: {Amount: 5000}
  expect:
    alerts: [BigOrder]
`

func TestTestCommand(t *testing.T) {
	dir := rulesetDir(t, casesYAML)
	code, out, _ := kubus(t, "", "test", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1 for a failing testcase", code)
	}
	for _, want := range []string{
		"--- PASS: discount/members get 15 percent (",
		"--- FAIL: discount/wrong on purpose (",
		"output.Total: expected 99, got 100",
		"tests/cases.yaml:9:",
		"2 passed, 1 failed\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, "2 passed, 1 failed\n") {
		t.Errorf("the closing line must be last:\n%s", out)
	}

	code, out, _ = kubus(t, "", "test", dir, "--run", "members|big")
	if code != 0 || !strings.HasSuffix(out, "2 passed, 0 failed\n") {
		t.Errorf("--run: exit %d\n%s", code, out)
	}

	code, out, _ = kubus(t, "", "test", dir, "--json")
	var report struct {
		Passed, Failed int
		Rulesets       []struct {
			Cases []struct {
				Name     string
				Passed   bool
				Failures []string
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || code != 1 {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, out)
	}
	if report.Passed != 2 || report.Failed != 1 || len(report.Rulesets[0].Cases) != 3 || report.Rulesets[0].Cases[1].Failures[0] != "output.Total: expected 99, got 100" {
		t.Errorf("--json report = %+v", report)
	}

	junit := filepath.Join(t.TempDir(), "junit.xml")
	kubus(t, "", "test", dir, "--junit", junit)
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(data, &suites); err != nil || suites.Tests != 3 || suites.Failures != 1 {
		t.Errorf("junit = %+v, %v\n%s", suites, err, data)
	}
}

func TestTestUpdateWritesBaselineKeepingComments(t *testing.T) {
	dir := rulesetDir(t, casesYAML)
	code, out, _ := kubus(t, "", "test", dir, "--update")
	if code != 0 || !strings.Contains(out, "updated 1 testcase(s)") {
		t.Fatalf("--update: exit %d\n%s", code, out)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "tests", "cases.yaml"))
	text := string(data)
	for _, want := range []string{"# discount cases", "# the member discount", "name: wrong on purpose", "Total: 100"} {
		if !strings.Contains(text, want) {
			t.Errorf("updated file lacks %q:\n%s", want, text)
		}
	}
	code, out, _ = kubus(t, "", "test", dir)
	if code != 0 || !strings.HasSuffix(out, "3 passed, 0 failed\n") {
		t.Errorf("after --update: exit %d\n%s", code, out)
	}
}

func TestTestLoadFailureCountsAndOthersStillRun(t *testing.T) {
	good := rulesetDir(t, casesYAML)
	bad := t.TempDir()
	write(t, filepath.Join(bad, "ruleset.yaml"), "name: bad\nrules:\n  A: B\n  B: A\n")
	code, out, _ := kubus(t, "", "test", bad, good, "--run", "members")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{"--- FAIL: " + bad + " (load)", "reference cycle", "--- PASS: discount/members get 15 percent", "1 passed, 1 failed\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestExamplesPass(t *testing.T) {
	code, out, _ := kubus(t, "", "test", "../examples")
	if code != 0 || !strings.Contains(out, " 0 failed\n") {
		t.Errorf("examples: exit %d\n%s", code, out)
	}
}

func TestExportWritesJSONThatLoadsBack(t *testing.T) {
	code, out, errOut := kubus(t, "", "export", "../examples/travel-insurance")
	if code != 0 {
		t.Fatalf("export: exit %d %s", code, errOut)
	}
	path := filepath.Join(t.TempDir(), "travel.json")
	write(t, path, out)
	code, out, _ = kubus(t, "", "test", path)
	if code != 0 || !strings.Contains(out, " 0 failed\n") {
		t.Errorf("testing the exported JSON: exit %d\n%s", code, out)
	}
	// And back to a folder, which tests the same.
	dir := filepath.Join(t.TempDir(), "travel")
	if code, _, errOut := kubus(t, "", "export", path, "--dir", dir); code != 0 {
		t.Fatalf("export --dir: exit %d %s", code, errOut)
	}
	code, out, _ = kubus(t, "", "test", dir)
	if code != 0 || !strings.HasSuffix(out, "13 passed, 0 failed\n") {
		t.Errorf("testing the folder written from JSON: exit %d\n%s", code, out)
	}
}

func TestLibraryRulesetsFromSiblingFolders(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "finance-common", "ruleset.yaml"), `name: finance-common
library: true
constants:
  VatRate: 0.21
functions:
  WithVat:
    params: {amount: number}
    body: return ROUND(amount * (1 + VatRate), 2)
`)
	write(t, filepath.Join(root, "invoice", "ruleset.yaml"), `name: invoice
uses: [finance-common]
inputs:
  Net: {type: number, required: true}
rules:
  Gross: WithVat(Net)
testcases:
  - name: adds VAT from the library
    input: {Net: 100}
    expect:
      output: {Gross: 121}
`)
	code, out, _ := kubus(t, "", "test", filepath.Join(root, "invoice"))
	if code != 0 || !strings.HasSuffix(out, "1 passed, 0 failed\n") {
		t.Errorf("exit %d\n%s", code, out)
	}
	// Names are checked against the library too: a misspelt library function is reported.
	write(t, filepath.Join(root, "typo", "ruleset.yaml"), "name: typo\nuses: [finance-common]\nrules:\n  Gross: WithVAT(1)\n")
	code, _, errOut := kubus(t, "{}", "run", filepath.Join(root, "typo"), "--input", "-")
	if code != 1 || !strings.Contains(errOut, "unknown name `WithVAT`") {
		t.Errorf("exit %d, want the unknown name reported:\n%s", code, errOut)
	}
	write(t, filepath.Join(root, "orphan", "ruleset.yaml"), "name: orphan\nuses: [missing-lib]\nrules:\n  A: 1\n")
	code, _, errOut = kubus(t, "{}", "run", filepath.Join(root, "orphan"), "--input", "-")
	if code != 1 || !strings.Contains(errOut, "uses missing-lib, but there is no folder") {
		t.Errorf("exit %d, want a missing-library error:\n%s", code, errOut)
	}
}

func TestEnvironmentsFromConfigFile(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "rs", "ruleset.yaml"), `name: envs
constants:
  Url: {env: FIN_DATA_URL}
rules:
  FromConstant: Url
  FromSystem: System.env("FIN_DATA_URL")
  Missing: System.env("KUBUS_TEST_SURELY_UNSET")
`)
	cfg := filepath.Join(dir, "kubus.yaml")
	write(t, cfg, "environment: test\nenvironments:\n  test: {FIN_DATA_URL: \"https://test.example\"}\n  production: {FIN_DATA_URL: \"https://prod.example\"}\n")
	// A value written in the file is the value, whatever the process environment says.
	t.Setenv("FIN_DATA_URL", "https://process.example")
	for env, want := range map[string]string{"": "https://test.example", "production": "https://prod.example"} {
		args := []string{"run", filepath.Join(dir, "rs"), "--input", "-", "--config", cfg}
		if env != "" {
			args = append(args, "--environment", env)
		}
		code, out, errOut := kubus(t, "{}", args...)
		if code != 0 || !strings.Contains(out, `"FromConstant": "`+want+`"`) || !strings.Contains(out, `"FromSystem": "`+want+`"`) || !strings.Contains(out, `"Missing": null`) {
			t.Errorf("environment %q: exit %d\n%s%s", env, code, out, errOut)
		}
	}
	code, _, errOut := kubus(t, "{}", "run", filepath.Join(dir, "rs"), "--input", "-", "--config", cfg, "--environment", "staging")
	if code == 0 || !strings.Contains(errOut, `environment "staging" is not in the config file (it has: production, test)`) {
		t.Errorf("an unknown environment: exit %d, %s", code, errOut)
	}
	_, help, _ := kubus(t, "", "run", "--help")
	for _, want := range []string{"environments:", "--environment", "modules:", "${FIN_API_KEY}", "KUBUS_"} {
		if !strings.Contains(help, want) {
			t.Errorf("run --help does not explain environments (%s):\n%s", want, help)
		}
	}
}

// Rule code reads only the declared variables: "${NAME}" takes one from the process environment,
// HOME, PATH and module secrets stay out, and the Ockto module still reads its settings from
// modules: and the process environment.
func TestRuleCodeSeesOnlyDeclaredVariables(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "rs", "ruleset.yaml"), `name: declared
constants:
  ApiKey: {env: FIN_API_KEY}
rules:
  Key: ApiKey
  Region: System.env("FIN_REGION")
  Unset: System.env("FIN_UNSET")
  Home: System.env("HOME")
  Path: System.env("PATH")
  Password: System.env("KUBUS_OCKTO_PASSWORD")
  Codes: System.env("KUBUS_OCKTO_CONSENT_CODES")
  Algemeen: Ockto.ConsentCodes.Algemeen
`)
	cfg := filepath.Join(dir, "kubus.yaml")
	write(t, cfg, `environments:
  test:
    FIN_API_KEY: "${FIN_API_KEY}"
    FIN_REGION: "${FIN_REGION:-eu}"
    FIN_UNSET: "${FIN_SURELY_UNSET_VARIABLE}"
modules:
  test:
    KUBUS_OCKTO_CONSENT_CODES: '{"Algemeen": "007"}'
    KUBUS_OCKTO_PASSWORD: "${OCKTO_PASSWORD}"
`)
	t.Setenv("HOME", "/home/someone")
	t.Setenv("PATH", os.Getenv("PATH"))
	t.Setenv("KUBUS_OCKTO_PASSWORD", "secret")
	t.Setenv("OCKTO_PASSWORD", "secret too")
	t.Setenv("FIN_API_KEY", "k-123")
	run := func() string {
		t.Helper()
		code, out, errOut := kubus(t, "{}", "run", filepath.Join(dir, "rs"), "--input", "-", "--config", cfg, "--store", filepath.Join(dir, "kubus.db"))
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		return out
	}
	out := run()
	for _, want := range []string{`"Key": "k-123"`, `"Region": "eu"`, `"Unset": null`, `"Home": null`, `"Path": null`,
		`"Password": null`, `"Codes": null`, `"Algemeen": "007"`} {
		if !strings.Contains(out, want) {
			t.Errorf("want %s in\n%s", want, out)
		}
	}
	// The process environment overrides a "${...}" default and a module setting of the file.
	t.Setenv("FIN_REGION", "us")
	t.Setenv("KUBUS_OCKTO_CONSENT_CODES", `{"Algemeen": "042"}`)
	out = run()
	if !strings.Contains(out, `"Region": "us"`) || !strings.Contains(out, `"Algemeen": "042"`) || !strings.Contains(out, `"Codes": null`) {
		t.Errorf("process overrides:\n%s", out)
	}
}

// A config file that would hand rule code a module setting, or that hopes for interpolation, is
// refused before anything runs, naming the field and saying why.
func TestConfigRefusesModuleSettingsForRuleCode(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "rs", "ruleset.yaml"), "name: refused\nrules:\n  A: 1\n")
	cases := []struct{ name, config, want string }{
		{"a KUBUS_ variable", "environments:\n  test: {KUBUS_OCKTO_PASSWORD: x}\n",
			"environments.test.KUBUS_OCKTO_PASSWORD: names starting KUBUS_ are settings of Kubus and its modules, which rule code cannot read; put it under modules.test"},
		{"another case", "environments:\n  prod: {kubus_ockto_password: x}\n",
			"environments.prod.kubus_ockto_password: names starting KUBUS_ are settings"},
		{"a KUBUS_ reference", "environments:\n  test: {PW: \"${KUBUS_OCKTO_PASSWORD}\"}\n",
			"environments.test.PW: ${KUBUS_OCKTO_PASSWORD} would hand rule code a setting of Kubus or a module (names starting KUBUS_), which it cannot read"},
		{"a KUBUS_ reference with a default", "environments:\n  test: {PW: \"${KUBUS_STORE:-x}\"}\n", "environments.test.PW: ${KUBUS_STORE} would hand rule code"},
		{"interpolation", "environments:\n  test: {URL: \"https://${HOST}/api\"}\n",
			`environments.test.URL: "https://${HOST}/api": only a whole value can read the process environment, written ${NAME} or ${NAME:-default}`},
		{"a rule variable among module settings", "modules:\n  test: {FIN_DATA_URL: x}\n",
			"modules.test.FIN_DATA_URL: module settings start with KUBUS_ (e.g. KUBUS_OCKTO_ENDPOINT); variables for rule code go under environments.test"},
		{"a malformed module reference", "modules:\n  test: {KUBUS_OCKTO_PASSWORD: \"${oops\"}\n", `modules.test.KUBUS_OCKTO_PASSWORD: "${oops": only a whole value`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "kubus.yaml")
			write(t, cfg, tc.config)
			for _, cmd := range []string{"run", "test"} {
				args := []string{cmd, filepath.Join(dir, "rs"), "--config", cfg}
				if cmd == "run" {
					args = append(args, "--input", "-")
				}
				code, out, errOut := kubus(t, "{}", args...)
				if code == 0 || !strings.Contains(errOut, cfg+": "+tc.want) {
					t.Errorf("%s: exit %d, want %q in\n%s%s", cmd, code, tc.want, out, errOut)
				}
			}
		})
	}
}

func TestRunsShareAStoreAndAFailedRunWritesNothing(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "rs", "ruleset.yaml"), `name: register
inputs:
  Name: {type: string, required: true}
  Fail: {type: boolean, default: false}
entities:
  Person:
    persisted: true
    properties:
      Name: {type: string, required: true}
rules:
  Saved: |
    new Person({Name}).save();
    if (Fail) throw new Error("failed after saving");
    Person.all().map(p => p.Name).sort()
`)
	db := filepath.Join(dir, "people.db")
	rs := filepath.Join(dir, "rs")
	if code, out, errOut := kubus(t, `{"Name": "Ann"}`, "run", rs, "--input", "-", "--store", db); code != 0 {
		t.Fatalf("first run: exit %d %s %s", code, out, errOut)
	}
	code, out, _ := kubus(t, `{"Name": "Bob"}`, "run", rs, "--input", "-", "--store", db)
	if code != 0 || !strings.Contains(out, `"Saved": [`+"\n"+`      "Ann",`+"\n"+`      "Bob"`) {
		t.Fatalf("the second run must see the first one's save: exit %d\n%s", code, out)
	}
	before, _ := os.ReadFile(db)
	code, out, _ = kubus(t, `{"Name": "Ghost", "Fail": true}`, "run", rs, "--input", "-", "--store", db)
	if code != 1 || !strings.Contains(out, "failed after saving") {
		t.Fatalf("failing run: exit %d\n%s", code, out)
	}
	if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
		t.Errorf("a failed run changed the store file")
	}
	t.Setenv("KUBUS_STORE", db)
	code, out, _ = kubus(t, `{"Name": "Cas"}`, "run", rs, "--input", "-")
	if code != 0 || strings.Contains(out, "Ghost") || !strings.Contains(out, `"Cas"`) {
		t.Errorf("after a failed run (store from $KUBUS_STORE): exit %d\n%s", code, out)
	}
}
