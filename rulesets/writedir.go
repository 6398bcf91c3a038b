package rulesets

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// WriteDir writes the folder form of rs into dir: ruleset.yaml, rules/*.js for code that has a File,
// tables/*.csv for tables that have one, and tests/*.yaml for testcases by their File. Other files in dir
// are left alone. Loading the folder again gives the same ruleset (comments are not kept).
func WriteDir(rs *Ruleset, dir string) error {
	if rs == nil {
		return fmt.Errorf("rulesets: no ruleset to write")
	}
	files := map[string][]byte{}
	add := func(p string, data []byte, what string) error {
		if msg, _ := checkPath(p, path.Ext(p)); msg != "" || path.Ext(p) == "" {
			return fmt.Errorf("rulesets: cannot write %s to %q: not a plain path inside the ruleset folder", what, p)
		}
		if prev, ok := files[p]; ok && !bytes.Equal(prev, data) {
			return fmt.Errorf("rulesets: %s and another part of the ruleset both write %s, with different content", what, p)
		}
		files[p] = data
		return nil
	}

	main, err := encodeYAML(exportTree(rs, modeDir))
	if err != nil {
		return err
	}
	files[RulesetFile] = main

	codeFile := func(c Code, what string) error {
		if c.File == "" {
			return nil
		}
		if !strings.HasSuffix(c.File, ".js") {
			return fmt.Errorf("rulesets: %s: code file %q does not end in .js", what, c.File)
		}
		return add(c.File, []byte(c.Source), what)
	}
	for _, en := range rs.Entities {
		for _, c := range en.Calculated {
			if err := codeFile(c.Code, "entities."+en.Name+".calculated."+c.Name); err != nil {
				return err
			}
		}
	}
	for _, f := range rs.Functions {
		if err := codeFile(f.Code, "functions."+f.Name); err != nil {
			return err
		}
	}
	for _, r := range rs.Rules {
		if err := codeFile(r.Code, "rules."+r.Name); err != nil {
			return err
		}
	}
	for _, tc := range rs.Testcases {
		for _, f := range tc.SQL {
			if f.File == "" {
				continue
			}
			if err := add(f.File, []byte(f.Script), "the SQL fixture of testcase "+tc.Name); err != nil {
				return err
			}
		}
		for _, ts := range tc.Steps {
			if ts.UploadFile == "" {
				continue
			}
			if err := add(ts.UploadFile, ts.UploadContent, "the upload of testcase "+tc.Name); err != nil {
				return err
			}
		}
	}
	if w := rs.Workflow; w != nil {
		for _, st := range w.Steps {
			if st.Code == nil {
				continue
			}
			if err := codeFile(*st.Code, "workflow.steps."+st.Name); err != nil {
				return err
			}
		}
	}
	for _, t := range rs.Tables {
		if t.File == "" {
			continue
		}
		if !strings.HasSuffix(t.File, ".csv") {
			return fmt.Errorf("rulesets: tables.%s: file %q does not end in .csv", t.Name, t.File)
		}
		data, err := encodeCSV(t)
		if err != nil {
			return err
		}
		if err := add(t.File, data, "tables."+t.Name); err != nil {
			return err
		}
	}

	if rs.OcktoScenarios != nil {
		data, err := encodeYAML(rs.OcktoScenarios)
		if err != nil {
			return err
		}
		files[ScenariosFile] = data
	}

	var testFiles []string
	byFile := map[string][]any{}
	shared := map[string]bool{}
	for _, tc := range rs.Testcases {
		if isInlineTestcase(tc) {
			continue
		}
		if !strings.HasPrefix(tc.File, testsDir+"/") || !isTestFileName(path.Base(tc.File)) {
			return fmt.Errorf("rulesets: testcase %q: file %q is not in the tests folder", tc.Name, tc.File)
		}
		if _, ok := byFile[tc.File]; !ok {
			testFiles = append(testFiles, tc.File)
		}
		byFile[tc.File] = append(byFile[tc.File], testcaseTree(rs, tc, modeDir))
		shared[tc.File] = shared[tc.File] || tc.SharedStore
	}
	for _, f := range testFiles {
		var doc any = byFile[f]
		if shared[f] {
			o := NewObject()
			o.Set("store", "shared")
			o.Set("testcases", byFile[f])
			doc = o
		}
		data, err := encodeYAML(doc)
		if err != nil {
			return err
		}
		if err := add(f, data, "testcases"); err != nil {
			return err
		}
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("rulesets: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("rulesets: %w", err)
	}
	defer root.Close()
	names := make([]string, 0, len(files))
	for p := range files {
		names = append(names, p)
	}
	slices.Sort(names)
	for _, p := range names {
		if d := path.Dir(p); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("rulesets: %w", err)
			}
		}
		if err := root.WriteFile(p, files[p], 0o644); err != nil {
			return fmt.Errorf("rulesets: %w", err)
		}
	}
	return nil
}

// encodeCSV writes a table as CSV: a header (the key column is called "key"), then one line per row.
// A cell that would read back as something else (the text "42", text with edge spaces) cannot be written.
func encodeCSV(t *Table) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(append([]string{"key"}, t.Columns...))
	for _, r := range t.Rows {
		rec := []string{r.Key}
		for i, v := range r.Values {
			s, err := csvCell(v)
			if err == nil && !sameValue(csvValue(s), v) {
				err = fmt.Errorf("would read back as %s", describe(csvValue(s)))
			}
			if err != nil {
				col := ""
				if i < len(t.Columns) {
					col = t.Columns[i]
				}
				return nil, fmt.Errorf("rulesets: table %s, row %s, column %s: %s cannot be written to %s: %v", t.Name, r.Key, col, describe(v), t.File, err)
			}
			rec = append(rec, s)
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

func csvCell(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case bool:
		if v {
			return "true", nil
		}
		return "false", nil
	case float64:
		return formatNumber(v)
	case string:
		return v, nil
	}
	return "", fmt.Errorf("a CSV cell holds text, a number, true/false or nothing")
}

func sameValue(a, b any) bool {
	switch a := a.(type) {
	case float64:
		bf, ok := b.(float64)
		return ok && a == bf
	}
	return a == b
}

// encodeYAML writes an ordered tree as YAML.
func encodeYAML(v any) ([]byte, error) {
	n, err := yamlNode(v)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, fmt.Errorf("rulesets: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("rulesets: %w", err)
	}
	return b.Bytes(), nil
}

// yamlNode turns an ordered value into a yaml.Node, choosing tags so it reads back as the same value:
// text that YAML would take for a number or boolean is quoted, date-like text stays plain (the loader
// keeps it as text anyway), and multi-line text becomes a literal block.
func yamlNode(v any) (*yaml.Node, error) {
	switch v := v.(type) {
	case *Object:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		width := 0
		flow := true
		for _, k := range v.Keys {
			c, err := yamlNode(v.Values[k])
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, c)
			if c.Kind != yaml.ScalarNode || strings.Contains(c.Value, "\n") {
				flow = false
			}
			width += len(k) + len(c.Value) + 4
		}
		if len(v.Keys) == 0 || (flow && width <= 64) {
			n.Style = yaml.FlowStyle
		}
		return n, nil
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		flow := true
		for _, e := range v {
			c, err := yamlNode(e)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, c)
			if c.Kind != yaml.ScalarNode || strings.Contains(c.Value, "\n") {
				flow = false
			}
		}
		if flow {
			n.Style = yaml.FlowStyle
		}
		return n, nil
	case string:
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
		switch {
		case strings.Contains(v, "\n"):
			n.Style = yaml.LiteralStyle
		case looksLikeTimestamp(v):
			n.Tag = "!!timestamp"
		}
		return n, nil
	case float64:
		s, err := formatNumber(v)
		if err != nil {
			return nil, err
		}
		tag := "!!float"
		if !strings.ContainsAny(s, ".eE") {
			tag = "!!int"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: s}, nil
	case bool:
		s := "false"
		if v {
			s = "true"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: s}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, fmt.Errorf("rulesets: cannot write a value of type %T", v)
}

// looksLikeTimestamp reports whether YAML reads the plain text s as a timestamp.
func looksLikeTimestamp(s string) bool {
	if len(s) < 8 || s[0] < '0' || s[0] > '9' {
		return false
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err != nil || len(n.Content) != 1 {
		return false
	}
	c := n.Content[0]
	return c.Kind == yaml.ScalarNode && c.ShortTag() == "!!timestamp" && c.Value == s
}
