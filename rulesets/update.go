package rulesets

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Baseline is what --update writes into one testcase: the execution's output (keys in declared
// order), alert names and error.
type Baseline struct {
	Output map[string]any
	Keys   []string // output keys in declared order
	Alerts []string
	Err    error
}

// UpdateTestFile rewrites the testcases of one file (tests/x.yaml, or ruleset.yaml for inline
// testcases) with the actual results, keyed by testcase name. It edits the YAML node tree, so names,
// `now`, other fields, key order and comments stay as written:
//   - a failing execution sets `expect.error` to its message;
//   - a successful one sets `error: null` if an error was expected, updates the values of the
//     listed output keys (every key, in declared order, when the case lists none or is strict), and
//     sets `alerts` when the case lists alerts or raised any.
func UpdateTestFile(path string, results map[string]Baseline) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := UpdateTestcases(data, results)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if out == nil {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, out, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Clean(path))
}

// UpdateTestcases is UpdateTestFile on a file's content: the content with the results written in
// (nil when the file holds no document, so there is nothing to update).
func UpdateTestcases(data []byte, results map[string]Baseline) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	seq := testcaseList(doc.Content[0])
	if seq == nil {
		return nil, fmt.Errorf("no list of testcases to update")
	}
	for _, item := range seq.Content {
		if item.Kind != yaml.MappingNode {
			continue
		}
		nameNode := mapValue(item, "name")
		if nameNode == nil {
			continue
		}
		b, ok := results[nameNode.Value]
		if !ok {
			continue
		}
		expect := mapValue(item, "expect")
		if expect == nil || expect.Kind != yaml.MappingNode {
			expect = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			setMapValue(item, "expect", expect)
		}
		applyBaseline(expect, b)
	}
	return encodeNode(&doc)
}

// testcaseList is the list of testcases of a test file's root node: the root itself, or its
// `testcases:` (ruleset.yaml, or a `store: shared` file); nil when there is none.
func testcaseList(root *yaml.Node) *yaml.Node {
	seq := root
	if root.Kind == yaml.MappingNode {
		seq = mapValue(root, "testcases")
	}
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	return seq
}

func encodeNode(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// NewTestcase is a testcase to add to a test file (AppendTestcase).
type NewTestcase struct {
	Name string
	// Now is the execution clock as written (RFC 3339 or a date), "" for the default.
	Now     string
	Culture string
	// Input is the input as a JSON object; its keys keep their order in the file.
	Input []byte
}

// AppendTestcase adds a testcase to a test file's content (empty for a new file) with the baseline
// as its expectation, as `kubus test --update` writes it: the whole output in declared order, the
// alerts when any were raised, or the error. A list of testcases gets the new one appended to its
// text, so everything already written — comments, blank lines, quoting — stays byte for byte; a
// file of the `store: shared` form is rewritten through its YAML node tree, which keeps comments.
// It refuses a name the file already has.
func AppendTestcase(data []byte, tc NewTestcase, b Baseline) ([]byte, error) {
	if strings.TrimSpace(tc.Name) == "" {
		return nil, fmt.Errorf("a testcase needs a name")
	}
	item, err := testcaseNode(tc, b)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("the file is not valid YAML: %w", err)
	}
	before := 0
	if len(doc.Content) > 0 {
		seq := testcaseList(doc.Content[0])
		if seq == nil {
			return nil, fmt.Errorf("the file is not a list of testcases")
		}
		for _, it := range seq.Content {
			if n := mapValue(it, "name"); n != nil && n.Value == tc.Name {
				return nil, fmt.Errorf("the file already has a testcase named %q", tc.Name)
			}
		}
		before = len(seq.Content)
		if doc.Content[0].Kind == yaml.MappingNode || seq.Style&yaml.FlowStyle != 0 {
			seq.Content = append(seq.Content, item)
			return encodeNode(&doc)
		}
	}
	// Append the item as text, then check that the file reads as the same list plus the new one
	// (a list indented, or ended with `...`, does not take the text: rewrite the node tree then).
	entry, err := encodeNode(&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{item}})
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Write(data)
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		out.WriteByte('\n')
	}
	if before > 0 {
		out.WriteByte('\n')
	}
	out.Write(entry)
	var check yaml.Node
	if err := yaml.Unmarshal(out.Bytes(), &check); err == nil && len(check.Content) > 0 {
		if seq := testcaseList(check.Content[0]); seq != nil && len(seq.Content) == before+1 {
			if n := mapValue(seq.Content[before], "name"); n != nil && n.Value == tc.Name {
				return out.Bytes(), nil
			}
		}
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("the file's content does not take a testcase list")
	}
	seq := testcaseList(doc.Content[0])
	seq.Content = append(seq.Content, item)
	return encodeNode(&doc)
}

// testcaseNode is a new testcase as a YAML mapping: name, now, culture, input, expect.
func testcaseNode(tc NewTestcase, b Baseline) (*yaml.Node, error) {
	item := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	setMapValue(item, "name", scalar(tc.Name))
	if tc.Now != "" {
		// Plain, as authors write it (a !!str would be quoted).
		setMapValue(item, "now", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!timestamp", Value: tc.Now})
	}
	if tc.Culture != "" {
		setMapValue(item, "culture", scalar(tc.Culture))
	}
	input := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if len(bytes.TrimSpace(tc.Input)) > 0 {
		var doc yaml.Node
		if err := yaml.Unmarshal(tc.Input, &doc); err != nil {
			return nil, fmt.Errorf("input: %w", err)
		}
		if len(doc.Content) > 0 {
			if doc.Content[0].Kind != yaml.MappingNode {
				return nil, fmt.Errorf("input: expected an object")
			}
			input = doc.Content[0]
			blockStyle(input, 0)
		}
	}
	setMapValue(item, "input", input)
	expect := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	applyBaseline(expect, b)
	setMapValue(item, "expect", expect)
	return item, nil
}

// blockStyle turns JSON's flow style into YAML's block style (empty collections stay {} and []);
// scalars get the plain style where it reads back the same (the encoder quotes the others).
func blockStyle(n *yaml.Node, depth int) {
	if depth > maxDepth {
		return
	}
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		if len(n.Content) > 0 {
			n.Style = 0
		}
		for _, c := range n.Content {
			blockStyle(c, depth+1)
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "\n") {
			n.Style = 0
		}
	}
}

func applyBaseline(expect *yaml.Node, b Baseline) {
	if b.Err != nil {
		setMapValue(expect, "error", scalar(b.Err.Error()))
		return
	}
	if errNode := mapValue(expect, "error"); errNode != nil && errNode.Tag != "!!null" {
		setMapValue(expect, "error", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"})
	}
	strict := false
	if s := mapValue(expect, "strict"); s != nil && s.Value == "true" {
		strict = true
	}
	out := mapValue(expect, "output")
	if out == nil || out.Kind != yaml.MappingNode || strict || len(out.Content) == 0 {
		full := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, k := range b.Keys {
			setMapValue(full, k, valueNode(b.Output[k]))
		}
		if out != nil && out.Kind == yaml.MappingNode {
			// Keep the comments attached to keys that stay.
			for i := 0; i+1 < len(full.Content); i += 2 {
				if old := keyNode(out, full.Content[i].Value); old != nil {
					full.Content[i].HeadComment, full.Content[i].LineComment = old.HeadComment, old.LineComment
				}
			}
			full.Style = out.Style
		}
		setMapValue(expect, "output", full)
	} else {
		for i := 0; i+1 < len(out.Content); i += 2 {
			k := out.Content[i].Value
			if v, ok := b.Output[k]; ok {
				n := valueNode(v)
				n.LineComment = out.Content[i+1].LineComment
				out.Content[i+1] = n
			}
		}
	}
	if mapValue(expect, "alerts") != nil || len(b.Alerts) > 0 {
		list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for _, a := range b.Alerts {
			list.Content = append(list.Content, scalar(a))
		}
		setMapValue(expect, "alerts", list)
	}
}

func keyNode(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i]
		}
	}
	return nil
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// setMapValue replaces a key's value (keeping its place and comments) or appends the key.
func setMapValue(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			old := m.Content[i+1]
			v.LineComment = old.LineComment
			if old.Kind == v.Kind && v.Style == 0 {
				v.Style = old.Style
			}
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, scalar(key), v)
}

func scalar(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

// valueNode encodes a JSON-shaped value; maps keep sorted keys (nested output has no declared order).
func valueNode(v any) *yaml.Node {
	switch x := v.(type) {
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case float64:
		tag := "!!float"
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			tag = "!!int" // else yaml writes `!!float 100`
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: strconv.FormatFloat(x, 'f', -1, 64)}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(x)}
	case string:
		return scalar(x)
	}
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return scalar(fmt.Sprint(v))
	}
	return &n
}
