package rulesets

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

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
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	seq := root
	if root.Kind == yaml.MappingNode {
		seq = mapValue(root, "testcases")
	}
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return fmt.Errorf("%s: no list of testcases to update", path)
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
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Clean(path))
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
