package rulesets

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// typeOf reads `type` and its `values`/`of` siblings from a mapping. written is false when no type was given.
func (l *loader) typeOf(d *decoder, m map[string]entry, field string) (t Type, written bool) {
	var tn, vn, on *yaml.Node
	if e, ok := m["type"]; ok {
		tn = e.V
	}
	if e, ok := m["values"]; ok {
		vn = e.V
	}
	if e, ok := m["of"]; ok {
		on = e.V
	}
	return l.typeFrom(d, tn, vn, on, field, 0), tn != nil
}

// typeSpec reads a type written as a name (`number`) or as a mapping ({type: enum, values: [...]}).
func (l *loader) typeSpec(d *decoder, n *yaml.Node, field string, depth int) Type {
	n = deref(n)
	if n != nil && n.Kind == yaml.MappingNode {
		m := d.fields(n, field, typeKeys...)
		var tn, vn, on *yaml.Node
		if e, ok := m["type"]; ok {
			tn = e.V
		} else {
			d.problem(n, field, "write e.g. {type: enum, values: [a, b]}", "the type has no `type`")
		}
		if e, ok := m["values"]; ok {
			vn = e.V
		}
		if e, ok := m["of"]; ok {
			on = e.V
		}
		return l.typeFrom(d, tn, vn, on, field, depth)
	}
	return l.typeFrom(d, n, nil, nil, strings.TrimSuffix(field, ".type"), depth)
}

func (l *loader) typeFrom(d *decoder, tn, vn, on *yaml.Node, field string, depth int) Type {
	t := Type{Name: TypeAny}
	typeField := joinField(field, "type")
	if tn != nil {
		tn = deref(tn)
		if tn == nil || tn.Kind != yaml.ScalarNode || isNull(tn) {
			d.problem(tn, typeField, "write a type name: "+strings.Join(builtinTypes, ", ")+" or an entity name", "expected a type name, got %s", kindName(tn))
		} else {
			t.Name = tn.Value
			if !containsString(builtinTypes, t.Name) && !l.entitySet[t.Name] {
				cands := append(append([]string{}, builtinTypes...), sortedKeys(l.entitySet)...)
				d.problem(tn, typeField, didYouMean(t.Name, cands, "use "+strings.Join(builtinTypes, ", ")+", or the name of an entity"), "unknown type `%s`", t.Name)
			}
		}
	}
	if vn != nil {
		if t.Name != TypeEnum {
			d.problem(vn, joinField(field, "values"), "add `type: enum`, or remove `values`", "`values` only applies to type enum")
		} else {
			t.Values = l.enumValues(d, vn, joinField(field, "values"))
		}
	} else if t.Name == TypeEnum {
		d.problem(tn, typeField, "add `values: [a, b, c]`", "type enum needs `values`")
	}
	if on != nil {
		if t.Name != TypeArray {
			d.problem(on, joinField(field, "of"), "add `type: array`, or remove `of`", "`of` only applies to type array")
		} else if depth >= 16 {
			d.problem(on, joinField(field, "of"), "", "array types are nested too deeply")
		} else {
			of := l.typeSpec(d, on, joinField(field, "of"), depth+1)
			t.Of = &of
		}
	}
	return t
}

func (l *loader) enumValues(d *decoder, n *yaml.Node, field string) []string {
	items := d.list(n, field)
	if len(items) == 0 && (isNull(n) || deref(n).Kind == yaml.SequenceNode) {
		d.problem(n, field, "list the allowed values, e.g. [north, east, south, west]", "an enum needs at least one value")
	}
	seen := map[string]bool{}
	var out []string
	for _, it := range items {
		if it == nil || it.Kind != yaml.ScalarNode || (it.ShortTag() != "!!str" && it.ShortTag() != "!!timestamp") {
			d.problem(it, field, "quote it to make it text", "enum values are text, got %s", kindName(it))
			continue
		}
		v := it.Value
		switch {
		case v == "":
			d.problem(it, field, "remove it", "an enum value cannot be empty")
		case seen[v]:
			d.problem(it, field, "remove the repetition", "`%s` is listed twice", v)
		default:
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// typePtr is nil for `any`, the way the model spells "no declared type".
func typePtr(t Type, written bool) *Type {
	if !written || (t.Name == TypeAny && t.Values == nil && t.Of == nil) {
		return nil
	}
	return &t
}
