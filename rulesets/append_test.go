package rulesets

import (
	"errors"
	"strings"
	"testing"
)

// TestAppendTestcase: a new testcase goes after the file's own text (its comments and blank lines
// unchanged), with the input's keys in the order given and the baseline as its expectation; a
// `store: shared` file keeps its comments through the node tree; a repeated name is refused.
func TestAppendTestcase(t *testing.T) {
	base := Baseline{Output: map[string]any{"B": 2.5, "C": "x"}, Keys: []string{"B", "C"}, Alerts: []string{"Big"}}
	tc := NewTestcase{Name: "saved", Now: "2024-01-02T03:04:05Z", Input: []byte(`{"Z": "2024-01-01", "A": 1, "L": [1, 2], "O": {}}`)}
	cases := []struct {
		name, file string
		want       []string // substrings of the result, in order
	}{
		{"a new file", "", []string{"- name: saved\n  now: 2024-01-02T03:04:05Z\n  input:\n    Z: \"2024-01-01\"\n    A: 1\n    L:\n      - 1\n      - 2\n    O: {}\n  expect:\n    output:\n      B: 2.5\n      C: x\n    alerts: [Big]\n"}},
		{"a list", "# head comment\n- name: first   # why\n  input: {A: 1}\n\n# tail comment\n", []string{"# head comment\n- name: first   # why\n  input: {A: 1}\n\n# tail comment\n\n- name: saved\n"}},
		{"no final newline", "- name: first\n  input: {A: 1}", []string{"- name: first\n  input: {A: 1}\n\n- name: saved\n"}},
		{"only a comment", "# nothing yet\n", []string{"# nothing yet\n- name: saved\n"}},
		{"a shared file", "store: shared  # one store\ntestcases:\n  # the first\n  - name: first\n    input: {A: 1}\n", []string{"# one store", "# the first", "- name: first", "- name: saved"}},
		{"an indented list", "  - name: first\n    input: {A: 1}\n", []string{"- name: first", "- name: saved"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := AppendTestcase([]byte(c.file), tc, base)
			if err != nil {
				t.Fatal(err)
			}
			rest := string(out)
			for _, w := range c.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("missing %q in:\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
			dir := writeFiles(t, map[string]string{
				"ruleset.yaml": "name: x\ninputs:\n  A: {type: number}\n  Z: {type: date}\n  L: {type: array}\n  O: {type: any}\nrules:\n  B: 2.5\n  C: \"'x'\"\nalerts:\n  Big: {level: info, when: 'true', message: big}\n",
				"tests/t.yaml": string(out),
			})
			rs, err := Load(dir, &LoadOptions{Globals: testGlobals})
			if err != nil {
				t.Fatalf("the result does not load: %v\n%s", err, out)
			}
			last := rs.Testcases[len(rs.Testcases)-1]
			if last.Name != "saved" || strings.Join(last.Input.Keys, ",") != "Z,A,L,O" || last.Now.IsZero() || !last.Expect.HasAlerts {
				t.Errorf("the new testcase reads back as %+v", last)
			}
		})
	}
	if _, err := AppendTestcase([]byte("- name: saved\n"), tc, base); err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("a repeated name: %v", err)
	}
	if _, err := AppendTestcase([]byte("name: x\n"), tc, base); err == nil {
		t.Error("a mapping without testcases took a testcase")
	}
	out, err := AppendTestcase(nil, NewTestcase{Name: "fails", Input: []byte(`{}`)}, Baseline{Err: errors.New("DateOfBirth: required")})
	if err != nil || !strings.Contains(string(out), "expect:\n    error: 'DateOfBirth: required'") {
		t.Errorf("an error baseline: %v\n%s", err, out)
	}
}
