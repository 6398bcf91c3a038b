package rulesets

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The testcase keys that bring in the outside world: ockto (a simulator scenario), consents and
// dataDebits (records saved before the testcase runs), and the ruleset's Ockto scenarios.

const worldRulesetYAML = "name: world\nrules:\n  A: 1\n"

const worldTests = `- name: everything
  ockto: happy
  consents:
    - type: privacyPolicy
      userId: u1
      document: {uri: "https://example.com/privacy", revisedAt: 2024-01-01}
      state: given
    - {type: termsAndConditions, userId: u1, document: {uri: "https://example.com/terms"}}
  dataDebits:
    - dataDebitKey: dd-1
      period: 2592000
      start: 2025-01-01
      accepted: true
      bundle: {name: b, bundle: {g: {endpoints: [{endpoint: Person}]}}}
  expect: {output: {A: 1}}

- name: nothing of it
  expect: {output: {A: 1}}
`

const worldScenarios = `quick:
  base: happy
  statuses: [created, dataAvailable]
  consents: []
`

// worldSummary is what a ruleset says about the outside world, in a comparable form.
func worldSummary(t *testing.T, rs *Ruleset) []string {
	t.Helper()
	var out []string
	for _, tc := range rs.Testcases {
		s := tc.Name + " ockto=" + tc.Ockto
		for _, list := range []struct {
			name string
			recs []*RecordFixture
		}{{"consents", tc.Consents}, {"dataDebits", tc.DataDebits}} {
			for _, r := range list.recs {
				b, err := json.Marshal(r.Props.Map())
				if err != nil {
					t.Fatal(err)
				}
				s += " " + list.name + ":" + string(b)
			}
		}
		out = append(out, s)
	}
	if rs.OcktoScenarios != nil {
		b, err := json.Marshal(rs.OcktoScenarios.Map())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, "scenarios "+string(b))
	}
	return out
}

func TestWorldKeysLoad(t *testing.T) {
	rs := mustLoadYAML(t, worldRulesetYAML, map[string]string{"tests/world.yaml": worldTests, ScenariosFile: worldScenarios})
	if len(rs.Testcases) != 2 {
		t.Fatalf("%d testcases", len(rs.Testcases))
	}
	tc := rs.Testcases[0]
	if tc.Ockto != "happy" || len(tc.Consents) != 2 || len(tc.DataDebits) != 1 {
		t.Fatalf("ockto %q, %d consents, %d data debits", tc.Ockto, len(tc.Consents), len(tc.DataDebits))
	}
	// Each record is where its item starts, and holds JSON-shaped values: dates stay text,
	// numbers are float64, mappings nest.
	for _, c := range []struct {
		rec  *RecordFixture
		pos  string
		json string
	}{
		{tc.Consents[0], "tests/world.yaml:4:7",
			`{"document":{"revisedAt":"2024-01-01","uri":"https://example.com/privacy"},"state":"given","type":"privacyPolicy","userId":"u1"}`},
		{tc.Consents[1], "tests/world.yaml:8:7",
			`{"document":{"uri":"https://example.com/terms"},"type":"termsAndConditions","userId":"u1"}`},
		{tc.DataDebits[0], "tests/world.yaml:10:7",
			`{"accepted":true,"bundle":{"bundle":{"g":{"endpoints":[{"endpoint":"Person"}]}},"name":"b"},"dataDebitKey":"dd-1","period":2592000,"start":"2025-01-01"}`},
	} {
		if got := filepath.ToSlash(c.rec.Pos.String()); got != c.pos {
			t.Errorf("position %s, want %s", got, c.pos)
		}
		b, err := json.Marshal(c.rec.Props.Map())
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.json {
			t.Errorf("props %s\nwant  %s", b, c.json)
		}
	}
	if keys := tc.Consents[0].Props.Keys; strings.Join(keys, ",") != "type,userId,document,state" {
		t.Errorf("keys in written order: %v", keys)
	}
	if period, _ := tc.DataDebits[0].Props.Values["period"].(float64); period != 2592000 {
		t.Errorf("period %#v, want float64", tc.DataDebits[0].Props.Values["period"])
	}
	if other := rs.Testcases[1]; other.Ockto != "" || other.Consents != nil || other.DataDebits != nil {
		t.Errorf("a testcase without the keys: %+v", other)
	}
	if rs.OcktoScenarios == nil || rs.OcktoScenarios.Values["quick"] == nil {
		t.Errorf("scenarios %v", rs.OcktoScenarios)
	}

	t.Run("inline testcases too", func(t *testing.T) {
		rs := mustLoadYAML(t, worldRulesetYAML+"testcases:\n  - name: inline\n    ockto: no-scan\n    consents:\n      - {type: x, userId: u1, document: {uri: urn:x}}\n    expect: {output: {A: 1}}\n", nil)
		tc := rs.Testcases[0]
		if tc.Ockto != "no-scan" || len(tc.Consents) != 1 || filepath.ToSlash(tc.Consents[0].Pos.String()) != "ruleset.yaml:8:9" {
			t.Errorf("ockto %q, consents %v", tc.Ockto, tc.Consents)
		}
	})
	t.Run("an empty list", func(t *testing.T) {
		rs := mustLoadYAML(t, worldRulesetYAML, map[string]string{"tests/a.yaml": "- name: a\n  consents: []\n  dataDebits:\n  expect: {output: {A: 1}}\n"})
		if tc := rs.Testcases[0]; len(tc.Consents) != 0 || len(tc.DataDebits) != 0 {
			t.Errorf("consents %v, data debits %v", tc.Consents, tc.DataDebits)
		}
	})
	t.Run("the scenario name is trimmed", func(t *testing.T) {
		rs := mustLoadYAML(t, worldRulesetYAML, map[string]string{"tests/a.yaml": "- name: a\n  ockto: ' refused '\n  expect: {output: {A: 1}}\n"})
		if got := rs.Testcases[0].Ockto; got != "refused" {
			t.Errorf("ockto %q", got)
		}
	})
}

func TestWorldKeyProblems(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  []string // every problem, as a prefix of its printed line
	}{
		{"an empty ockto", map[string]string{"tests/a.yaml": "- name: a\n  ockto:\n  expect: {output: {A: 1}}\n"},
			[]string{"tests/a.yaml:2:9: testcases.a.ockto: the Ockto scenario is empty"}},
		{"a blank ockto", map[string]string{"tests/a.yaml": "- name: a\n  ockto: '  '\n  expect: {output: {A: 1}}\n"},
			[]string{"tests/a.yaml:2:10: testcases.a.ockto: the Ockto scenario is empty"}},
		{"a list as ockto", map[string]string{"tests/a.yaml": "- name: a\n  ockto: [happy]\n  expect: {output: {A: 1}}\n"},
			[]string{"tests/a.yaml:2:10: testcases.a.ockto: expected text, got a list", "tests/a.yaml:2:10: testcases.a.ockto: the Ockto scenario is empty"}},
		{"consents not a list", map[string]string{"tests/a.yaml": "- name: a\n  consents: {type: privacyPolicy}\n  expect: {output: {A: 1}}\n"},
			[]string{"tests/a.yaml:2:13: testcases.a.consents: expected a list, got a mapping"}},
		{"dataDebits not a list", map[string]string{"tests/a.yaml": "- name: a\n  dataDebits: dd-1\n  expect: {output: {A: 1}}\n"},
			[]string{"tests/a.yaml:2:15: testcases.a.dataDebits: expected a list"}},
		{"a consent that is not a mapping", map[string]string{"tests/a.yaml": "- name: a\n  consents:\n    - {type: privacyPolicy, userId: u1, document: {uri: urn:x}}\n    - privacyPolicy\n  expect: {output: {A: 1}}\n"},
			[]string{"tests/a.yaml:4:7: testcases.a.consents[1]: expected a mapping, got the text \"privacyPolicy\" (write one record per item: - {type: privacyPolicy"}},
		{"a data debit that is a list", map[string]string{"tests/a.yaml": "- name: a\n  dataDebits:\n    - [dd-1]\n  expect: {output: {A: 1}}\n"},
			[]string{"tests/a.yaml:3:7: testcases.a.dataDebits[0]: expected a mapping, got a list (write one record per item: - {dataDebitKey: dd-1"}},
		{"a value that is not JSON-like", map[string]string{"tests/a.yaml": "- name: a\n  consents:\n    - {type: privacyPolicy, userId: !!binary aGk=}\n  expect: {output: {A: 1}}\n"},
			[]string{"tests/a.yaml:3:37: testcases.a.consents[0].userId: unsupported value with tag !!binary"}},
		{"a misspelt key", map[string]string{"tests/a.yaml": "- name: a\n  consent: []\n  expect: {output: {A: 1}}\n"},
			[]string{"tests/a.yaml:2:3: testcases.a.consent: unknown key `consent` (did you mean `consents`?)"}},
		{"scenarios written twice", map[string]string{ScenariosFile: worldScenarios, "ruleset.yaml": worldRulesetYAML + "ocktoScenarios: {quick: {base: happy}}\n"},
			[]string{ScenariosFile + ":1:1: the Ockto scenarios are written twice"}},
		{"a scenarios file that is not YAML", map[string]string{ScenariosFile: "quick: [\n"},
			[]string{ScenariosFile + ":2: invalid YAML"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"ruleset.yaml": worldRulesetYAML}
			for k, v := range tc.files {
				files[k] = v
			}
			_, err := LoadDir(writeFiles(t, files), &LoadOptions{Globals: testGlobals})
			got := problemsOf(t, err)
			if len(got) != len(tc.want) {
				t.Fatalf("problems:\n%s\nwant %d:\n%s", strings.Join(got, "\n"), len(tc.want), strings.Join(tc.want, "\n"))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(filepath.ToSlash(got[i]), w) {
					t.Errorf("problem %d:\n got %s\nwant %s…", i, got[i], w)
				}
			}
		})
	}
}

func TestWorldKeysRoundTrip(t *testing.T) {
	orig := mustLoadYAML(t, worldRulesetYAML, map[string]string{"tests/world.yaml": worldTests, ScenariosFile: worldScenarios})
	want := worldSummary(t, orig)
	if len(want) != 3 || !strings.Contains(want[0], "ockto=happy consents:") || !strings.Contains(want[0], "dataDebits:") {
		t.Fatalf("summary %v", want)
	}

	data, err := ExportJSON(orig)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	first := doc["testcases"].([]any)[0].(map[string]any)
	if first["ockto"] != "happy" || len(first["consents"].([]any)) != 2 || len(first["dataDebits"].([]any)) != 1 {
		t.Errorf("exported testcase %v", first)
	}
	if second := doc["testcases"].([]any)[1].(map[string]any); second["ockto"] != nil || second["consents"] != nil || second["dataDebits"] != nil {
		t.Errorf("a testcase without the keys exported them: %v", second)
	}
	fromJSON, err := LoadJSON(data, "world.json", &LoadOptions{Globals: testGlobals})
	if err != nil {
		t.Fatalf("loading the export:\n%v", err)
	}
	if got := worldSummary(t, fromJSON); !reflect.DeepEqual(got, want) {
		t.Errorf("through JSON:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p := fromJSON.Testcases[0].Consents[1].Pos; p.File != "world.json" || p.Line == 0 {
		t.Errorf("a record read from JSON is at %v", p)
	}

	dir := filepath.Join(t.TempDir(), "world")
	if err := WriteDir(fromJSON, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ScenariosFile)); err != nil {
		t.Errorf("the written folder has no %s: %v", ScenariosFile, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, RulesetFile)); err != nil || strings.Contains(string(b), "ocktoScenarios") {
		t.Errorf("the written ruleset.yaml holds the scenarios too (err %v):\n%s", err, b)
	}
	back, err := LoadDir(dir, &LoadOptions{Globals: testGlobals})
	if err != nil {
		t.Fatalf("loading the written folder:\n%v", err)
	}
	if got := worldSummary(t, back); !reflect.DeepEqual(got, want) {
		t.Errorf("through a folder:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Dates in the records stay dates written as text: through YAML they must not turn into
	// timestamps of another shape.
	if v := back.Testcases[0].DataDebits[0].Props.Values["start"]; v != "2025-01-01" {
		t.Errorf("start %#v after the folder round trip", v)
	}
	again, err := ExportJSON(back)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Errorf("folder → JSON → folder → JSON changed the document:\n%s", diffLines(string(data), string(again)))
	}
}
