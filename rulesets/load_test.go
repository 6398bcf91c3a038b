package rulesets

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func loadFull(t testing.TB) *Ruleset {
	t.Helper()
	rs, err := LoadDir("testdata/full", &LoadOptions{
		Globals:   testGlobals,
		Libraries: map[string]*Ruleset{"finance-common": {Name: "finance-common", Library: true}},
	})
	if err != nil {
		t.Fatalf("loading testdata/full:\n%v", err)
	}
	return rs
}

func TestLoadFull(t *testing.T) {
	rs := loadFull(t)

	if rs.Name != "travel-insurance" || rs.Version != "1.0.0" || rs.Culture != "nl-NL" || rs.Timezone != "Europe/Amsterdam" ||
		rs.Library || !slices.Equal(rs.Uses, []string{"finance-common"}) || rs.Dir != "testdata/full" {
		t.Errorf("header: %+v", rs)
	}
	if rs.Location().String() != "Europe/Amsterdam" {
		t.Errorf("location %v", rs.Location())
	}

	var names []string
	for _, in := range rs.Inputs {
		names = append(names, in.Name)
	}
	if want := []string{"StartDate", "EndDate", "DateOfBirth", "NumberOfItems", "CustomerArea", "Travellers", "CustomerId", "Applicant", "Options", "Currency", "FirstTrip", "Departure"}; !slices.Equal(names, want) {
		t.Errorf("inputs in order: %v", names)
	}
	in := func(name string) *Input {
		for _, in := range rs.Inputs {
			if in.Name == name {
				return in
			}
		}
		t.Fatalf("no input %s", name)
		return nil
	}
	if a := in("CustomerArea"); a.Type.Name != TypeEnum || !slices.Equal(a.Type.Values, []string{"north", "east", "south", "west"}) || !a.Required || a.Pos != (Pos{"ruleset.yaml", 14, 3}) {
		t.Errorf("CustomerArea: %+v", a)
	}
	if a := in("Travellers"); a.Type.String() != "Person[]" || !a.Type.Of.IsEntity() {
		t.Errorf("Travellers: %v", a.Type)
	}
	if a := in("CustomerId"); a.From != "customer-id" || a.JSONName() != "customer-id" {
		t.Errorf("CustomerId: %+v", a)
	}
	if a := in("Applicant"); !a.Output || a.Type.Name != "Person" {
		t.Errorf("Applicant: %+v", a)
	}
	if a := in("Options"); !a.HasDefault || !reflect.DeepEqual(a.Default, []any{"luggage"}) || a.Type.String() != "enum[]" || a.Type.Of.Values[1] != "cancellation" {
		t.Errorf("Options: %+v", a)
	}
	if a := in("NumberOfItems"); !a.HasDefault || a.Default != 0.0 {
		t.Errorf("NumberOfItems: %+v", a)
	}
	if a := in("Currency"); a.Type.Name != TypeString {
		t.Errorf("Currency shorthand: %+v", a)
	}
	if a := in("Departure"); a.Default != "2024-01-01" {
		t.Errorf("Departure default stays text: %#v", a.Default)
	}
	if a := in("StartDate"); a.HasDefault || a.Default != nil {
		t.Errorf("StartDate: %+v", a)
	}

	person := rs.Entities[0]
	if person.Name != "Person" || !person.Persisted || len(person.Properties) != 4 || len(person.Calculated) != 3 {
		t.Fatalf("Person: %+v", person)
	}
	if p := person.Properties[3]; p.Name != "Country" || p.Default != "NL" || p.Label != "Country of residence" {
		t.Errorf("Country: %+v", p)
	}
	if c := person.Calculated[0]; c.Name != "Age" || c.Type != nil || c.Code.Source != "AGE(Birthdate)" || c.Code.Pos != (Pos{"ruleset.yaml", 37, 12}) || !slices.Equal(c.Code.Refs, []string{"AGE", "Birthdate"}) {
		t.Errorf("Age: %+v", c)
	}
	if c := person.Calculated[2]; c.Code.File != "rules/greeting.js" || c.Type.Name != TypeString || !slices.Equal(c.Code.Refs, []string{"Nickname", "Name"}) {
		t.Errorf("Greeting: %+v", c)
	}

	consts := map[string]*Constant{}
	for _, c := range rs.Constants {
		consts[c.Name] = c
	}
	if c := consts["ExtraCostPerDay18_30"]; c.Value != 0.15 {
		t.Errorf("number constant: %#v", c.Value)
	}
	if c := consts["Percentages"]; c.Value.(*Object).Keys[1] != "p2" || c.Value.(*Object).Values["p2"] != 0.2 {
		t.Errorf("object constant: %#v", c.Value)
	}
	if c := consts["FinDataURL"]; c.Env != "FIN_DATA_URL" || c.HasDefault || c.Value != nil {
		t.Errorf("env constant: %+v", c)
	}
	if c := consts["ApiTimeout"]; c.Env != "API_TIMEOUT" || !c.HasDefault || c.Default != 30.0 {
		t.Errorf("env constant with default: %+v", c)
	}
	if c := consts["Nested"]; !reflect.DeepEqual(Plain(c.Value), map[string]any{"a": []any{1.0, map[string]any{"b": "c"}}, "d": "2023-07-20"}) {
		t.Errorf("nested constant: %#v", Plain(c.Value))
	}
	if c := consts["Nothing"]; c.Value != nil || c.Env != "" {
		t.Errorf("null constant: %+v", c)
	}

	levels, rates := rs.Tables[0], rs.Tables[1]
	if !levels.IsRange() || levels.File != "" || len(levels.Rows) != 3 || levels.Rows[2].Key != "High" || levels.Rows[2].Values[1] != 999.0 || levels.Rows[2].Pos != (Pos{"ruleset.yaml", 67, 7}) {
		t.Errorf("Levels: %+v", levels)
	}
	if rates.File != "tables/rates.csv" || !slices.Equal(rates.Columns, []string{"base", "discount", "label"}) || rates.IsRange() {
		t.Errorf("Rates: %+v", rates)
	}
	if got := rates.Rows[1]; got.Key != "east" || !reflect.DeepEqual(got.Values, []any{11.0, nil, "Oost"}) || got.Pos != (Pos{"tables/rates.csv", 3, 1}) {
		t.Errorf("Rates east: %+v", got)
	}
	if got := rates.Rows[2].Values[2]; got != "Zuid, warm" {
		t.Errorf("quoted CSV cell: %#v", got)
	}
	if got := rates.Rows[3].Values[1]; got != true {
		t.Errorf("boolean CSV cell: %#v", got)
	}

	fn := rs.Functions[0]
	if fn.Name != "AgeSurcharge" || len(fn.Params) != 2 || fn.Params[1].Name != "numberOfDays" || fn.Returns.Name != TypeNumber {
		t.Errorf("AgeSurcharge: %+v", fn)
	}
	if fn.Code.Pos != (Pos{"ruleset.yaml", 75, 7}) || fn.Code.Indent != 6 || fn.Code.Expression {
		t.Errorf("AgeSurcharge code position: %+v", fn.Code)
	}
	if !slices.Equal(fn.Code.Refs, []string{"age", "numberOfDays", "ExtraCostPerDay18_30"}) {
		t.Errorf("AgeSurcharge refs: %v", fn.Code.Refs)
	}
	if f := rs.Functions[1]; f.Code.File != "rules/area-factor.js" || f.Code.Pos != (Pos{"rules/area-factor.js", 1, 1}) || f.Params[0].Type.Name != TypeEnum || f.Description == "" {
		t.Errorf("AreaFactor: %+v", f)
	}

	rules := map[string]*Rule{}
	var outputs []string
	for _, r := range rs.Rules {
		rules[r.Name] = r
		if r.Output {
			outputs = append(outputs, r.OutputName)
		}
	}
	if want := []string{"InsuranceCosts", "MaxLoan", "Level", "AreaPrice", "Band", "Tags"}; !slices.Equal(outputs, want) {
		t.Errorf("outputs %v, want %v", outputs, want)
	}
	if r := rules["NumberOfDays"]; r.Output || r.OutputName != "NumberOfDays" || r.Type.Name != TypeNumber || !r.Code.Expression {
		t.Errorf("NumberOfDays: %+v", r)
	}
	if r := rules["MaximumLoanAmount"]; r.Code.File != "rules/max-loan.js" || r.Code.Expression || !strings.HasSuffix(r.Code.Body, "return Math.round(max)\n") ||
		!slices.Equal(r.Code.Refs, []string{"AGE", "DateOfBirth", "InsuranceCosts", "Math"}) {
		t.Errorf("MaximumLoanAmount: %+v", r.Code)
	}
	if r := rules["Level"]; r.Type != nil || r.Code.Source != "Levels.lookup(InsuranceCosts * 10)" || r.Code.Body != "return (Levels.lookup(InsuranceCosts * 10)\n);" || r.Code.BodyShift != 8 {
		t.Errorf("Level shorthand: %+v", r.Code)
	}
	if r := rules["AreaPrice"]; r.Code.Pos != (Pos{"ruleset.yaml", 104, 7}) || r.Code.Indent != 6 || r.Description == "" {
		t.Errorf("AreaPrice: %+v", r.Code)
	}
	if r := rules["Band"]; r.Code.Pos != (Pos{"ruleset.yaml", 110, 18}) || r.Type.Name != TypeEnum || !slices.Equal(r.Type.Values, []string{"low", "high"}) {
		t.Errorf("Band: %+v %+v", r.Code, r.Type)
	}
	if r := rules["Tags"]; r.Type.String() != "string[]" {
		t.Errorf("Tags: %v", r.Type)
	}

	tooYoung, long := rs.Alerts[0], rs.Alerts[1]
	if tooYoung.Level != LevelError || tooYoung.Message.Pos != (Pos{"ruleset.yaml", 120, 15}) || tooYoung.Message.Body != "return `${TooYoungMessage} (age ${AGE(DateOfBirth)})`;" ||
		!slices.Equal(tooYoung.Message.Refs, []string{"TooYoungMessage", "AGE", "DateOfBirth"}) || tooYoung.Pos != (Pos{"ruleset.yaml", 117, 3}) {
		t.Errorf("TooYoung: %+v", tooYoung)
	}
	if long.Message.Body != "return `A trip of ${NumberOfDays} days is \\`long\\``;" || long.Level != LevelWarning {
		t.Errorf("LongTrip: %+v", long.Message)
	}

	if len(rs.Testcases) != 5 {
		t.Fatalf("%d testcases", len(rs.Testcases))
	}
	inline, young, tooYoungTC, missing, strict := rs.Testcases[0], rs.Testcases[1], rs.Testcases[2], rs.Testcases[3], rs.Testcases[4]
	if inline.File != "ruleset.yaml" || inline.Pos != (Pos{"ruleset.yaml", 127, 5}) || !inline.Expect.HasAlerts || len(inline.Expect.Alerts) != 0 || inline.Expect.Output != nil {
		t.Errorf("inline testcase: %+v", inline)
	}
	if young.File != "tests/basic.yaml" || young.Pos != (Pos{"tests/basic.yaml", 1, 3}) || !young.Now.Equal(time.Date(2023, 7, 20, 9, 0, 0, 0, time.UTC)) ||
		young.Culture != "nl-NL" || young.Tolerance != 0.000001 || !young.Expect.HasError || young.Expect.Error != "" {
		t.Errorf("young: %+v", young)
	}
	if v, _ := young.Input.Get("StartDate"); v != "2023-07-20" {
		t.Errorf("a date in a testcase input stays text: %#v", v)
	}
	if v, _ := young.Input.Get("customer-id"); v != "00123" {
		t.Errorf("quoted digits stay text: %#v", v)
	}
	if v, _ := young.Expect.Output.Get("MaxLoan"); v != 105.0 || young.Expect.Output.Keys[0] != "InsuranceCosts" {
		t.Errorf("young expect: %+v", young.Expect.Output)
	}
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	if !tooYoungTC.Now.Equal(time.Date(2023, 7, 20, 0, 0, 0, 0, ams)) || !slices.Equal(tooYoungTC.Expect.Alerts, []string{"TooYoung"}) || tooYoungTC.Expect.Strict {
		t.Errorf("too young: %+v", tooYoungTC)
	}
	if missing.File != "tests/errors.yaml" || missing.Expect.Error != "CustomerArea" || !missing.Expect.HasError || missing.Expect.HasAlerts {
		t.Errorf("missing: %+v", missing)
	}
	if !strict.Expect.Strict || strict.Expect.Output.Len() != 7 || !reflect.DeepEqual(strict.Expect.Output.Values["Tags"], []any{"low", "west"}) {
		t.Errorf("strict: %+v", strict.Expect)
	}
}

func TestLoadEntryPoints(t *testing.T) {
	full, err := filepath.Abs("testdata/full")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{full, filepath.Join(full, "ruleset.yaml")} {
		rs, err := Load(p, nil)
		if err != nil || rs.Name != "travel-insurance" || rs.Dir != full {
			t.Errorf("Load(%s): %v, %+v", p, err, rs)
		}
	}
	data, err := ExportJSON(loadFull(t))
	if err != nil {
		t.Fatal(err)
	}
	jsonPath := filepath.Join(t.TempDir(), "travel.json")
	if err := os.WriteFile(jsonPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := Load(jsonPath, &LoadOptions{Globals: testGlobals})
	if err != nil || rs.Name != "travel-insurance" || rs.Dir != "" || rs.Rules[0].Code.Pos.File != "travel.json" {
		t.Fatalf("Load(json): %v", err)
	}

	for _, p := range []string{filepath.Join(t.TempDir(), "nothing-here"), filepath.Join(full, "rules", "max-loan.js")} {
		_, err := Load(p, nil)
		if lines := problemsOf(t, err); len(lines) != 1 {
			t.Errorf("Load(%s): %v", p, lines)
		}
	}
}

// TestCodePositions checks where code starts in the author's file for every YAML scalar style, and that
// a syntax error on a later line of a block lands on the right line and column.
func TestCodePositions(t *testing.T) {
	tests := []struct {
		name   string
		yaml   string
		pos    Pos
		indent int
		errAt  string // a syntax error's place, when the code has one
	}{
		{"plain", "rules:\n  A: 1 + 2\n", Pos{"ruleset.yaml", 2, 6}, 0, ""},
		{"plain in mapping", "rules:\n  A:\n    expression: 1 + 2\n", Pos{"ruleset.yaml", 3, 17}, 0, ""},
		{"double quoted", "rules:\n  A: \"1 + 2\"\n", Pos{"ruleset.yaml", 2, 7}, 0, ""},
		{"single quoted", "rules:\n  A: '1 + 2'\n", Pos{"ruleset.yaml", 2, 7}, 0, ""},
		{"literal", "rules:\n  A: |\n    let a = 1;\n    a + 1\n", Pos{"ruleset.yaml", 3, 5}, 4, ""},
		{"literal strip", "rules:\n  A:\n    expression: |-\n        let a = 1;\n        a + 1\n", Pos{"ruleset.yaml", 4, 9}, 8, ""},
		{"literal with more-indented first line", "rules:\n  A: |2\n      let a = 1;\n    a + 1\n", Pos{"ruleset.yaml", 3, 5}, 4, ""},
		{"literal with comment after indicator", "rules:\n  A: | # sum\n    1 + 2\n", Pos{"ruleset.yaml", 3, 5}, 4, ""},
		{"literal with leading blank line", "rules:\n  A: |\n\n    1 + 2\n", Pos{"ruleset.yaml", 3, 5}, 4, ""},
		{"folded", "rules:\n  A: >\n    1 +\n    2\n", Pos{"ruleset.yaml", 3, 5}, 4, ""},
		{"error on line 1 of plain", "rules:\n  A: 1 + * 2\n", Pos{"ruleset.yaml", 2, 6}, 0, "ruleset.yaml:2:10"},
		{"error on line 1 of quoted", "rules:\n  A: \"1 + * 2\"\n", Pos{"ruleset.yaml", 2, 7}, 0, "ruleset.yaml:2:11"},
		{"error on line 3 of literal", "rules:\n  A: |\n    let a = 1;\n    let b = 2;\n    a + * b\n", Pos{"ruleset.yaml", 3, 5}, 4, "ruleset.yaml:5:9"},
		{"error at end of literal", "rules:\n  A: |\n    let a = 1;\n    a +\n", Pos{"ruleset.yaml", 3, 5}, 4, "ruleset.yaml:4:8"},
		{"error in more-indented literal", "rules:\n  A:\n    expression: |\n      if (x) {\n        y = ;\n      }\n", Pos{"ruleset.yaml", 4, 7}, 6, "ruleset.yaml:5:13"},
		{"error in alert message", "alerts:\n  A:\n    level: info\n    when: 'true'\n    message: \"x ${1 +} y\"\n", Pos{}, 0, "ruleset.yaml:5:22"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"ruleset.yaml": "name: x\n" + tt.yaml})
			rs, err := LoadDir(dir, nil)
			if tt.errAt != "" {
				lines := problemsOf(t, err)
				if len(lines) != 1 || !strings.HasPrefix(lines[0], shiftPos(tt.errAt)+": ") {
					t.Fatalf("want one problem at %s, got %q", shiftPos(tt.errAt), lines)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tt.pos
			want.Line++ // the name line
			c := rs.Rules[0].Code
			if c.Pos != want || c.Indent != tt.indent {
				t.Errorf("pos %v indent %d, want %v indent %d", c.Pos, c.Indent, want, tt.indent)
			}
		})
	}
}

// shiftPos moves an expected "file:line:col" down one line, for the `name:` line the test puts first.
func shiftPos(p string) string {
	parts := strings.Split(p, ":")
	line, _ := strconv.Atoi(parts[1])
	return fmt.Sprintf("%s:%d:%s", parts[0], line+1, parts[2])
}

func TestTestcaseDefaults(t *testing.T) {
	rs := mustLoadYAML(t, `name: x
rules:
  A: 1
alerts:
  Big:
    level: info
    when: A > 0
    message: big
testcases:
  - name: no expectations
  - name: empty output written
    expect: {output: {}, alerts: [], error: 'boom'}
`, map[string]string{"tests/a.yml": "- name: from a yml file\n  input: {A: 1}\n", "tests/.hidden.yaml": "not: a list", "tests/readme.txt": "ignored"})
	if len(rs.Testcases) != 3 {
		t.Fatalf("testcases: %d", len(rs.Testcases))
	}
	none, empty, yml := rs.Testcases[0], rs.Testcases[1], rs.Testcases[2]
	if none.Input != nil || none.Expect.Output != nil || none.Expect.HasAlerts || none.Expect.HasError || !none.Now.IsZero() {
		t.Errorf("no expectations: %+v", none)
	}
	if empty.Expect.Output == nil || empty.Expect.Output.Len() != 0 || !empty.Expect.HasAlerts || empty.Expect.Alerts == nil || empty.Expect.Error != "boom" {
		t.Errorf("empty: %+v", empty.Expect)
	}
	if yml.File != "tests/a.yml" {
		t.Errorf("yml: %+v", yml)
	}
}

func TestYAMLFeatures(t *testing.T) {
	rs := mustLoadYAML(t, `name: x
version: 2.1.0-beta.1+build.5
constants:
  Base: &base {p1: 0.1, p2: 0.2}
  Copy: *base
  Merged:
    <<: *base
    p2: 0.5
    p3: 0.7
inputs:
  A: &numtype {type: number, default: 1}
  B: *numtype
`, nil)
	if rs.Version != "2.1.0-beta.1+build.5" {
		t.Errorf("version %q", rs.Version)
	}
	if got := Plain(rs.Constants[1].Value); !reflect.DeepEqual(got, map[string]any{"p1": 0.1, "p2": 0.2}) {
		t.Errorf("alias: %v", got)
	}
	m := rs.Constants[2].Value.(*Object)
	if !slices.Equal(m.Keys, []string{"p1", "p2", "p3"}) || m.Values["p2"] != 0.5 {
		t.Errorf("merge: %v %v", m.Keys, m.Values)
	}
	if rs.Inputs[1].Type.Name != TypeNumber || rs.Inputs[1].Default != 1.0 {
		t.Errorf("aliased input: %+v", rs.Inputs[1])
	}
	if rs := mustLoadYAML(t, "name: x\n", nil); rs.Version != DefaultVersion {
		t.Errorf("default version %q", rs.Version)
	}
}

// TestHostileYAML makes sure self-referencing and exponential aliases end in problems, not hangs.
func TestHostileYAML(t *testing.T) {
	for name, src := range map[string]string{
		"self-referencing sequence": "name: x\nconstants:\n  A: &a [1, *a]\n",
		"self-merging mapping":      "name: x\nconstants:\n  A: &a {x: 1, <<: [*a, *a]}\n",
		"billion laughs": "name: x\nconstants:\n  a: &a [1,1,1,1,1,1,1,1,1,1]\n  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" +
			"  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n",
		"recursive type": "name: x\ninputs:\n  A: &t {type: array, of: *t}\n",
	} {
		t.Run(name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := LoadJSON([]byte(src), "x.yaml", nil)
				done <- err
			}()
			select {
			case err := <-done:
				if len(problemsOf(t, err)) == 0 {
					t.Fatal("want a problem")
				}
			case <-time.After(20 * time.Second):
				t.Fatal("load did not finish")
			}
		})
	}
}
