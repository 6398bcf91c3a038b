package rulesets

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestFixturesAndSharedStoreRoundTrip(t *testing.T) {
	rs, err := LoadDir("../examples/people-register", nil)
	if err != nil {
		t.Fatal(err)
	}
	summary := func(rs *Ruleset) []string {
		var out []string
		for _, tc := range rs.Testcases {
			s := tc.Name
			if tc.SharedStore {
				s += " [shared]"
			}
			for _, f := range tc.Fixtures {
				s += " " + f.Entity + ":" + f.Props.Values["Name"].(string)
			}
			out = append(out, s)
		}
		return out
	}
	want := summary(rs)
	if !strings.Contains(strings.Join(want, "\n"), "the first registration of the day [shared]") ||
		!strings.Contains(strings.Join(want, "\n"), "the adults, alphabetically Person:Cas Jansen Person:Ann de Boer") {
		t.Fatalf("loaded: %v", want)
	}
	data, err := ExportJSON(rs)
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := LoadJSON(data, "people.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(fromJSON); !reflect.DeepEqual(got, want) {
		t.Errorf("through JSON:\n%v\nwant\n%v", got, want)
	}
	dir := filepath.Join(t.TempDir(), "people")
	if err := WriteDir(fromJSON, dir); err != nil {
		t.Fatal(err)
	}
	back, err := LoadDir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(back); !reflect.DeepEqual(got, want) {
		t.Errorf("through a folder:\n%v\nwant\n%v", got, want)
	}
}

func TestFixtureProblems(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"ruleset.yaml": "name: x\nentities:\n  Person: {persisted: true, properties: {Name: string}}\n  Note: {properties: {Text: string}}\nrules:\n  A: 1\n",
		"tests/a.yaml": "store: sometimes\ntestcases:\n  - name: one\n    fixtures:\n      - Nobody: {Name: x}\n      - Note: {Text: y}\n      - {Person: {Name: a}, Note: {Text: b}}\n",
	})
	_, err := LoadDir(dir, nil)
	if err == nil {
		t.Fatal("want problems")
	}
	for _, want := range []string{"unknown store mode `sometimes`", "unknown entity `Nobody`", "entity `Note` is not persisted", "a fixture names one entity"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q:\n%v", want, err)
		}
	}
}
