package rulesets

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzLoadJSON: whatever the document, loading never panics, every failure is a *LoadError whose
// problems point into the document, and whatever loads exports and loads back to the same ruleset.
func FuzzLoadJSON(f *testing.F) {
	full, err := LoadDir("testdata/full", nil)
	if err != nil {
		f.Fatal(err)
	}
	seed, err := ExportJSON(full)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"name": "x", "rules": {"A": "1 +"}}`))
	f.Add([]byte(`{"name": "x", "tables": {"T": {"columns": ["from", "to"], "rows": {"a": [1, 0]}}}}`))
	f.Add([]byte(`{"name": "x", "testcases": [{"name": "t", "now": "2023-07-20", "expect": {"error": null}}]}`))
	f.Add([]byte("name: x\nconstants:\n  A: &a [1, *a]\n"))
	if y, err := os.ReadFile(filepath.Join("testdata", "full", "ruleset.yaml")); err == nil {
		f.Add(y)
	}
	opts := &LoadOptions{Globals: testGlobals}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := LoadJSON(data, "f.json", opts)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) || len(le.Problems) == 0 {
				t.Fatalf("want a *LoadError with problems, got %T: %v", err, err)
			}
			for _, p := range le.Problems {
				if p.Pos.File != "f.json" || p.Pos.Line < 1 || p.Message == "" {
					t.Fatalf("problem without a place in the document: %+v", p)
				}
			}
			return
		}
		out, err := ExportJSON(rs)
		if err != nil {
			t.Fatalf("a loaded ruleset does not export: %v", err)
		}
		back, err := LoadJSON(out, "f.json", opts)
		if err != nil {
			t.Fatalf("the export does not load:\n%v\n%s", err, out)
		}
		assertSameRuleset(t, "JSON → ruleset → JSON → ruleset", rs, back)
	})
}

// FuzzAnalyze: whatever the code, analysis never panics; a failure is one positioned problem, and a
// success is a Body that parses as one function body (the code cannot break out of it) with
// distinct Refs.
func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{
		"Age < 35 ? 1.5 : 0", "const a = 1;\na + 2", "if (x) return 1;\nreturn 2", "1 }); evil(); (function(){ 2",
		"${TooYoungMessage} (age ${AGE(DateOfBirth)})", "a `b` ${`c ${d}`}", "x => { return y }", "(a, b)",
		"let a = 1\n(a, 2)", "/* c */ (x)", "class A extends B { #p = C; static { D } }", "for (const [k, v] of E) F(k)",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	for _, file := range []string{"max-loan.js", "area-factor.js", "greeting.js"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "full", "rules", file)); err == nil {
			f.Add(string(b), false)
		}
	}
	f.Fuzz(func(t *testing.T, src string, template bool) {
		kind := CodeBody
		if template {
			kind = CodeTemplate
		}
		c := Code{Source: src, Pos: Pos{File: "ruleset.yaml", Line: 3, Column: 7}, Indent: 4}
		start := time.Now()
		probs := Analyze(&c, kind, "rules.X")
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("analysis took %v", d)
		}
		if len(probs) > 0 {
			if len(probs) != 1 || probs[0].Pos.File != "ruleset.yaml" || probs[0].Pos.Line < 3 || probs[0].Pos.Column < 1 || probs[0].Field != "rules.X" {
				t.Fatalf("bad problem: %+v", probs)
			}
			if c.Body != "" || c.Refs != nil {
				t.Fatalf("analysis fields set on failure: %+v", c)
			}
			if !template && strings.HasPrefix(probs[0].Message, "cannot ") {
				// Only real syntax errors may fail a body; finding its final expression must not.
				if prog, err := parseJS(bodyPrefix + src + bodySuffix); err == nil && wrappedFunction(prog, bodyPrefix+src+bodySuffix) != nil {
					t.Fatalf("valid body %q rejected: %v", src, probs[0])
				}
			}
			return
		}
		w := bodyPrefix + c.Body + bodySuffix
		prog, err := parseJS(w)
		if err != nil {
			t.Fatalf("body of %q does not parse: %v\n%s", src, err, c.Body)
		}
		if wrappedFunction(prog, w) == nil {
			t.Fatalf("body of %q escapes its function:\n%s", src, c.Body)
		}
		seen := map[string]bool{}
		for _, r := range c.Refs {
			if r == "" || seen[r] {
				t.Fatalf("bad refs %q", c.Refs)
			}
			seen[r] = true
		}
	})
}
