package rulesets

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Limits that keep a hostile document (alias bombs, self-referencing anchors) from exhausting the host.
const (
	maxDepth = 100
	// An honest document visits each of its nodes about once; only aliases make it visit more. Allow a
	// few repeats per byte of the document.
	valueNodesPerByte = 4
	minValueNodes     = 10_000
)

// decoder reads the yaml.Node tree of one file, reporting problems at the nodes' own positions.
type decoder struct {
	file   string
	lines  []string // the raw text, for the indentation of block scalars
	probs  *problems
	budget int // value nodes left to visit; aliases can multiply them
	limit  int // the budget at the start
	blown  bool
	// maxString is the longest string scalar allowed (LoadOptions.MaxStringBytes); 0 for no check.
	maxString int64
	// maxValues bounds the values of the document (LoadOptions.MaxYAMLValues), counted from the text
	// before yaml.v3 parses it; 0 for no check.
	maxValues int
}

func newDecoder(file string, src []byte, probs *problems) *decoder {
	lines := strings.Split(string(src), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	budget := minValueNodes + valueNodesPerByte*len(src)
	return &decoder{file: file, lines: lines, probs: probs, budget: budget, limit: budget}
}

// parse parses one YAML (or JSON) document, reporting a syntax error as a problem (ok is false then).
// An empty document is a nil node.
func (d *decoder) parse(src []byte) (n *yaml.Node, ok bool) {
	if d.maxValues > 0 {
		if off := yamlValuesPast(src, d.maxValues); off >= 0 {
			d.probs.add(offsetPos(d.file, string(src), off), "", "move large data into tables/*.csv files", "%s has more than %d values (LoadOptions.MaxYAMLValues)", d.file, d.maxValues)
			return nil, false
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		d.probs.addProblem(yamlProblem(d.file, src, err))
		return nil, false
	}
	if d.maxString > 0 && !d.checkScalars(&doc, d.maxString) {
		return nil, false
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		return doc.Content[0], true
	}
	return nil, true
}

func (d *decoder) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: d.file}
	}
	return Pos{File: d.file, Line: n.Line, Column: n.Column}
}

func (d *decoder) problem(n *yaml.Node, field, hint, format string, args ...any) {
	d.probs.add(d.pos(n), field, hint, format, args...)
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode {
		return n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func kindName(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!bool":
			return "a boolean"
		case "!!int", "!!float":
			return "a number"
		}
		v := n.Value
		if r := []rune(v); len(r) > 40 {
			v = string(r[:37]) + "..."
		}
		return fmt.Sprintf("the text %q", v)
	}
	return "nothing"
}

// entry is one key and value of a mapping.
type entry struct {
	Key  string
	K, V *yaml.Node
}

// entries returns a mapping's entries in written order, reporting duplicate keys, and applying YAML
// merge keys (<<: *base) the way YAML defines them: explicit keys win. null is an empty mapping.
func (d *decoder) entries(n *yaml.Node, field string) []entry {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.problem(n, field, "", "expected a mapping (key: value lines), got %s", kindName(n))
		return nil
	}
	return d.mapEntries(n, field, 0, true)
}

func (d *decoder) mapEntries(n *yaml.Node, field string, depth int, report bool) []entry {
	if depth > maxDepth {
		d.problem(n, field, "", "merge keys (<<) are nested too deeply")
		return nil
	}
	if !d.spend(n, field) {
		return nil
	}
	explicit := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			continue
		}
		key := keyText(k)
		if first, dup := explicit[key]; dup {
			if report {
				d.problem(k, joinField(field, key), "remove one of them", "duplicate key `%s` (first at line %d)", key, first.Line)
			}
			continue
		}
		explicit[key] = k
	}
	var out []entry
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			for _, m := range d.mergeSources(v, field) {
				for _, e := range d.mapEntries(m, field, depth+1, false) {
					if explicit[e.Key] == nil && !seen[e.Key] {
						seen[e.Key] = true
						out = append(out, e)
					}
				}
			}
			continue
		}
		key := keyText(k)
		if k.Kind != yaml.ScalarNode && report {
			d.problem(k, field, "write a plain name as the key", "a key must be a name, not %s", kindName(k))
		}
		if seen[key] || explicit[key] != k {
			continue
		}
		seen[key] = true
		out = append(out, entry{Key: key, K: k, V: v})
	}
	return out
}

func (d *decoder) mergeSources(v *yaml.Node, field string) []*yaml.Node {
	v = deref(v)
	switch {
	case v != nil && v.Kind == yaml.MappingNode:
		return []*yaml.Node{v}
	case v != nil && v.Kind == yaml.SequenceNode:
		var out []*yaml.Node
		for _, c := range v.Content {
			if c = deref(c); c != nil && c.Kind == yaml.MappingNode {
				out = append(out, c)
			} else {
				d.problem(c, field, "", "a merge key (<<) takes mappings")
			}
		}
		return out
	}
	d.problem(v, field, "", "a merge key (<<) takes a mapping or a list of mappings")
	return nil
}

func keyText(k *yaml.Node) string {
	k = deref(k)
	if k == nil {
		return ""
	}
	if k.Kind == yaml.ScalarNode {
		return k.Value
	}
	return fmt.Sprintf("<%s>", kindName(k))
}

// fields reads a mapping with a fixed set of keys, reporting the others with a did-you-mean hint.
func (d *decoder) fields(n *yaml.Node, field string, known ...string) map[string]entry {
	m := map[string]entry{}
	for _, e := range d.entries(n, field) {
		if !containsString(known, e.Key) {
			d.problem(e.K, joinField(field, e.Key), didYouMean(e.Key, known, "known keys: "+strings.Join(known, ", ")), "unknown key `%s`", e.Key)
			continue
		}
		m[e.Key] = e
	}
	return m
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func joinField(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

// str reads a text scalar. Numbers and booleans are taken as written (a description of 42 is "42").
func (d *decoder) str(n *yaml.Node, field string) string {
	n = deref(n)
	if isNull(n) {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		d.problem(n, field, "", "expected text, got %s", kindName(n))
		return ""
	}
	return n.Value
}

// boolean reads true or false.
func (d *decoder) boolean(n *yaml.Node, field string) bool {
	n = deref(n)
	if n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		switch strings.ToLower(n.Value) {
		case "true":
			return true
		case "false":
			return false
		}
	}
	d.problem(n, field, "write true or false", "expected true or false, got %s", kindName(n))
	return false
}

// number reads a finite number.
func (d *decoder) number(n *yaml.Node, field string) (float64, bool) {
	n = deref(n)
	if n != nil && n.Kind == yaml.ScalarNode {
		if t := n.ShortTag(); t == "!!int" || t == "!!float" {
			if f, ok := scalarNumber(n); ok {
				return f, true
			}
		}
	}
	d.problem(n, field, "", "expected a number, got %s", kindName(n))
	return 0, false
}

func scalarNumber(n *yaml.Node) (float64, bool) {
	var f float64
	if err := n.Decode(&f); err != nil {
		// yaml.v3 decodes integers beyond int64 only into unsigned or big types.
		f2, err2 := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err2 != nil {
			return 0, false
		}
		f = f2
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// list returns the items of a sequence. null is an empty list.
func (d *decoder) list(n *yaml.Node, field string) []*yaml.Node {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.problem(n, field, "write a list: [a, b] or lines starting with `- `", "expected a list, got %s", kindName(n))
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = deref(c)
	}
	return out
}

// value reads a JSON-shaped value: nil, bool, float64, string, []any or *Object. Date-like scalars
// (2023-07-20) stay text: a date is a string in JSON, and the engine converts it by the declared type.
func (d *decoder) value(n *yaml.Node, field string) (any, bool) {
	return d.val(n, field, 0)
}

func (d *decoder) val(n *yaml.Node, field string, depth int) (any, bool) {
	if depth > maxDepth {
		d.problem(n, field, "", "value nested more than %d levels deep", maxDepth)
		return nil, false
	}
	if !d.spend(n, field) {
		return nil, false
	}
	n = deref(n)
	if n == nil {
		return nil, true
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return d.scalar(n, field)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		ok := true
		for i, c := range n.Content {
			v, vok := d.val(c, fmt.Sprintf("%s[%d]", field, i), depth+1)
			ok = ok && vok
			out = append(out, v)
		}
		return out, ok
	case yaml.MappingNode:
		obj := NewObject()
		ok := true
		for _, e := range d.mapEntries(n, field, depth, true) {
			v, vok := d.val(e.V, joinField(field, e.Key), depth+1)
			ok = ok && vok
			obj.Set(e.Key, v)
		}
		return obj, ok
	}
	return nil, true
}

// spend counts one visited node against the document's budget; aliases let a small document name the
// same big subtree many times.
func (d *decoder) spend(n *yaml.Node, field string) bool {
	d.budget--
	if d.budget >= 0 {
		return true
	}
	if !d.blown {
		d.blown = true
		d.problem(n, field, "do not repeat large anchors through aliases", "aliases make the document expand to more than %d values (the limit is %d values per byte of the document, at least %d)", d.limit, valueNodesPerByte, minValueNodes)
	}
	return false
}

func (d *decoder) scalar(n *yaml.Node, field string) (any, bool) {
	switch n.ShortTag() {
	case "!!null":
		return nil, true
	case "!!bool":
		switch strings.ToLower(n.Value) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	case "!!int", "!!float":
		if f, ok := scalarNumber(n); ok {
			return f, true
		}
		d.problem(n, field, "JSON numbers are finite: write a plain decimal number", "`%s` is not a usable number", n.Value)
		return nil, false
	case "!!str", "!!timestamp":
		return n.Value, true
	}
	d.problem(n, field, "write plain JSON-like values: text, numbers, true/false, null, lists and mappings", "unsupported value with tag %s", n.ShortTag())
	return nil, false
}

// sortedKeys is the keys of a set, sorted; for stable hints.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
