package rulesets

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var fullOpts = &LoadOptions{Globals: testGlobals, Libraries: map[string]*Ruleset{"finance-common": {Name: "finance-common", Library: true}}}

// TestRoundTrip: folder → JSON → ruleset is the same ruleset; folder → JSON → folder → JSON is stable.
func TestRoundTrip(t *testing.T) {
	orig := loadFull(t)
	j1, err := ExportJSON(orig)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(j1) {
		t.Fatalf("export is not valid JSON:\n%s", j1)
	}

	fromJSON, err := LoadJSON(j1, "full.json", fullOpts)
	if err != nil {
		t.Fatalf("loading the export:\n%v", err)
	}
	if fromJSON.Rules[0].Code.Pos.File != "full.json" {
		t.Errorf("positions of the JSON form name its source: %v", fromJSON.Rules[0].Code.Pos)
	}
	assertSameRuleset(t, "folder → JSON", loadFull(t), fromJSON)

	j2, err := ExportJSON(fromJSON)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(j1, j2) {
		t.Errorf("JSON → ruleset → JSON changed the document:\n%s", diffLines(string(j1), string(j2)))
	}

	dir := filepath.Join(t.TempDir(), "out")
	if err := WriteDir(fromJSON, dir); err != nil {
		t.Fatal(err)
	}
	fromDir, err := LoadDir(dir, fullOpts)
	if err != nil {
		t.Fatalf("loading the written folder:\n%v", err)
	}
	assertSameRuleset(t, "folder → JSON → folder", loadFull(t), fromDir)
	j3, err := ExportJSON(fromDir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(j1, j3) {
		t.Errorf("folder → JSON → folder → JSON changed the document:\n%s", diffLines(string(j1), string(j3)))
	}

	// Writing the written folder again gives the same files.
	dir2 := filepath.Join(t.TempDir(), "again")
	if err := WriteDir(fromDir, dir2); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ruleset.yaml", "rules/max-loan.js", "rules/area-factor.js", "rules/greeting.js", "tables/rates.csv", "tests/basic.yaml", "tests/errors.yaml"} {
		a, errA := os.ReadFile(filepath.Join(dir, f))
		b, errB := os.ReadFile(filepath.Join(dir2, f))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between writes (%v, %v)", f, errA, errB)
		}
	}
	// Code files are written exactly as read.
	for _, f := range []string{"rules/max-loan.js", "rules/area-factor.js"} {
		a, _ := os.ReadFile(filepath.Join("testdata/full", f))
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s: written %q, read %q", f, b, a)
		}
	}
}

func assertSameRuleset(t *testing.T, what string, want, got *Ruleset) {
	t.Helper()
	want, got = normalized(want), normalized(got)
	if reflect.DeepEqual(want, got) {
		return
	}
	wj, _ := json.MarshalIndent(plainRuleset(want), "", " ")
	gj, _ := json.MarshalIndent(plainRuleset(got), "", " ")
	t.Errorf("%s: rulesets differ:\n%s", what, diffLines(string(wj), string(gj)))
}

// plainRuleset dumps every field (MarshalJSON would hide differences in analysis fields).
type plainRS Ruleset

func plainRuleset(rs *Ruleset) *plainRS { return (*plainRS)(rs) }

func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := 0; i < max(len(al), len(bl)) && len(out) < 20; i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out = append(out, "- "+x, "+ "+y)
		}
	}
	return strings.Join(out, "\n")
}

func TestMarshalJSON(t *testing.T) {
	rs := loadFull(t)
	b, err := json.Marshal(struct {
		Ruleset *Ruleset `json:"ruleset"`
	}{rs})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Ruleset json.RawMessage `json:"ruleset"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	back, err := LoadJSON(doc.Ruleset, "embedded.json", fullOpts)
	if err != nil {
		t.Fatal(err)
	}
	assertSameRuleset(t, "embedded", loadFull(t), back)
	exp, _ := ExportJSON(rs)
	if !strings.HasPrefix(string(exp), "{\n  \"name\": \"travel-insurance\",\n  \"version\": \"1.0.0\",\n  \"description\"") {
		t.Errorf("keys not in declared order:\n%s", exp[:120])
	}
}

// TestWriteDirValues writes awkward text (as constants and as code) and reads it back unchanged.
func TestWriteDirValues(t *testing.T) {
	texts := []string{
		"", " ", "plain", "42", "4.5e3", "true", "null", "~", "yes", "2023-07-20", "2023-07-20T09:00:00Z",
		"a: b", "- item", "# not a comment", "'single'", "\"double\"", "trailing  ", "  leading", "tab\there",
		"line\nbreak", "ends with newline\n", "two newlines\n\n", "\nleading newline", "  indented\nblock",
		"line with trailing space \nnext", "unicode: € ü ñ 日本", "\u2028 separator", "---", "...", "{a: 1}", "[1, 2]",
		"@at", "`back`", "%percent", "*star", "&amp", "!bang", "|pipe", ">gt", "key: value\n  nested: x",
	}
	codes := []string{
		"1 + 2", "1 +\n  2", "1 +\n  2\n", "1\n\n\n", "  1", "\t1", "// c\n1", "'a: b'", "`x\ny`",
		"let a = 1;  \nreturn a", "\"#\" + 1", "-1", "[1, 2]", "({a: 1})", "null", "true", "1 // trailing comment",
	}
	rs := &Ruleset{Name: "awkward", Version: "1.0.0"}
	for i, s := range texts {
		rs.Constants = append(rs.Constants, &Constant{Name: "C" + itoa(i), Value: s})
	}
	for i, s := range codes {
		rs.Rules = append(rs.Rules, &Rule{Name: "R" + itoa(i), Output: true, OutputName: "R" + itoa(i), Code: Code{Source: s}})
	}
	rs.Rules = append(rs.Rules, &Rule{Name: "FromFile", Output: true, OutputName: "FromFile", Code: Code{Source: "1 +\n 2 \n", File: "rules/f.js"}})
	rs.Testcases = append(rs.Testcases, &Testcase{Name: "t", File: "tests/t.yaml", Input: objectOf("Date", "2023-07-20", "Text", "42", "Num", 42.0, "Neg", -0.5)})

	dir := t.TempDir()
	if err := WriteDir(rs, dir); err != nil {
		t.Fatal(err)
	}
	back, err := LoadDir(dir, nil)
	if err != nil {
		y, _ := os.ReadFile(filepath.Join(dir, "ruleset.yaml"))
		t.Fatalf("%v\n%s", err, y)
	}
	for i, s := range texts {
		if got := back.Constants[i].Value; got != s {
			t.Errorf("constant %q came back as %#v", s, got)
		}
	}
	for i, s := range codes {
		if got := back.Rules[i].Code.Source; got != s {
			t.Errorf("code %q came back as %q", s, got)
		}
	}
	if got := back.Rules[len(codes)].Code; got.Source != "1 +\n 2 \n" || got.File != "rules/f.js" {
		t.Errorf("file code: %+v", got)
	}
	in := back.Testcases[0].Input
	if !reflect.DeepEqual(in.Map(), map[string]any{"Date": "2023-07-20", "Text": "42", "Num": 42.0, "Neg": -0.5}) {
		t.Errorf("testcase input: %v", in.Map())
	}
}

func objectOf(kv ...any) *Object {
	o := NewObject()
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestWriteDirRefuses(t *testing.T) {
	rule := func(file, src string) *Rule {
		return &Rule{Name: "R", Output: true, OutputName: "R", Code: Code{Source: src, File: file}}
	}
	tests := []struct {
		name string
		rs   *Ruleset
		want string
	}{
		{"code outside the folder", &Ruleset{Name: "x", Rules: []*Rule{rule("../evil.js", "1")}}, "not a plain path"},
		{"absolute code path", &Ruleset{Name: "x", Rules: []*Rule{rule("/tmp/evil.js", "1")}}, "not a plain path"},
		{"code file not .js", &Ruleset{Name: "x", Rules: []*Rule{rule("ruleset.yaml", "1")}}, "does not end in .js"},
		{"two codes, one file", &Ruleset{Name: "x", Rules: []*Rule{rule("rules/a.js", "1"), rule("rules/a.js", "2")}}, "both write rules/a.js"},
		{"text that reads back as a number", &Ruleset{Name: "x", Tables: []*Table{{Name: "T", File: "tables/t.csv", Columns: []string{"a"}, Rows: []*Row{{Key: "k", Values: []any{"42"}}}}}}, "would read back as the number 42"},
		{"test file outside tests", &Ruleset{Name: "x", Testcases: []*Testcase{{Name: "t", File: "other/t.yaml"}}}, "not in the tests folder"},
		{"not a number", &Ruleset{Name: "x", Constants: []*Constant{{Name: "C", Value: mathInf()}}}, "cannot export the number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteDir(tt.rs, t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := ExportJSON(&Ruleset{Name: "x", Constants: []*Constant{{Name: "C", Value: mathInf()}}}); err == nil {
		t.Error("ExportJSON accepted an infinite number")
	}
}

func mathInf() float64 {
	var zero float64
	return 1 / zero
}

func TestLoadJSONEscapes(t *testing.T) {
	src := `{"name": "x", "constants": {"Url": "http:\/\/example.com\/a", "Smile": "\ud83d\ude00", "Lone": "\ud83d!", "E": "\u00e9\n\t\"\\"}}`
	rs, err := LoadJSON([]byte(src), "x.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(src), &want); err != nil {
		t.Fatal(err)
	}
	wantC := want["constants"].(map[string]any)
	for _, c := range rs.Constants {
		if c.Value != wantC[c.Name] {
			t.Errorf("%s: got %q, encoding/json reads %q", c.Name, c.Value, wantC[c.Name])
		}
	}
}
