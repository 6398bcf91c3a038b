package openapi

import (
	"fmt"
	"strings"

	"github.com/kubusdev/kubus/rulesets"
)

// direction says which side of an execution a schema describes. The two differ on purpose:
//
//   - an input schema may be stricter than the engine (a client that fits it is always accepted),
//     but must never accept what the engine refuses;
//   - an output schema must accept everything the engine can write (a client that decodes with it
//     never fails on a real result), and may be looser than what a ruleset usually produces.
type direction int

const (
	input direction = iota
	output
)

// outputDatePattern is what the engine writes for a date result: YYYY-MM-DD when it has no time of
// day in the ruleset's zone, else RFC 3339 (with milliseconds when it has them). A pattern rather
// than `format` because neither `date` nor `date-time` alone fits both forms, and a generated client
// that maps `format: date` to a date type would fail to decode the RFC 3339 ones.
const outputDatePattern = `^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$`

// typeSchema is the JSON Schema of a value of declared type t (nil: any). It does not allow null:
// whether a place may hold null is the caller's to say (see nullable).
func (b *builder) typeSchema(t *rulesets.Type, d direction) map[string]any {
	if t == nil {
		return map[string]any{}
	}
	switch t.Name {
	case "", rulesets.TypeAny:
		return map[string]any{}
	case rulesets.TypeNumber:
		return map[string]any{"type": "number"}
	case rulesets.TypeBoolean:
		return map[string]any{"type": "boolean"}
	case rulesets.TypeString:
		return map[string]any{"type": "string"}
	case rulesets.TypeDate:
		return dateSchema(d)
	case rulesets.TypeEnum:
		values := make([]any, len(t.Values))
		for i, v := range t.Values {
			values[i] = v
		}
		return map[string]any{"type": "string", "enum": values}
	case rulesets.TypeArray:
		items := b.typeSchema(t.Of, d)
		if d == output {
			// The engine checks only that a rule's value is an array, not its elements, and an
			// element may be null on either side.
			items = nullable(items)
		}
		return map[string]any{"type": "array", "items": items}
	}
	return b.entityRef(t.Name, d)
}

// dateSchema is a date input or output.
//
// An input date is `format: date` alone, although the engine also accepts an RFC 3339 date-time:
// generators map `format: date` to a date type (LocalDate, openapi_types.Date, …) and send
// YYYY-MM-DD, which is the canonical form; an anyOf of date and date-time would make them generate
// a union wrapper for every date. The schema is thereby stricter than the engine, which is safe for
// inputs; the description says that date-times are accepted too.
func dateSchema(d direction) map[string]any {
	if d == input {
		return map[string]any{"type": "string", "format": "date",
			"description": "A date, YYYY-MM-DD (an RFC 3339 date-time is accepted too), in the ruleset's time zone."}
	}
	return map[string]any{"type": "string", "pattern": outputDatePattern,
		"description": "A date: YYYY-MM-DD, or RFC 3339 when it has a time of day in the ruleset's time zone."}
}

// nullable lets a schema also hold null: by adding "null" to its type (and to its enum), or, for a
// $ref or a schema without a single type, as an anyOf with null, the form OpenAPI 3.1 generators
// recognise as a nullable reference. The empty schema already allows null.
func nullable(s map[string]any) map[string]any {
	if len(s) == 0 {
		return s
	}
	if typ, ok := s["type"].(string); ok {
		out := copyMap(s)
		out["type"] = []any{typ, "null"}
		if enum, ok := s["enum"].([]any); ok {
			out["enum"] = append(append([]any{}, enum...), nil)
		}
		return out
	}
	return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
}

// valueSchema is the schema of one declared place (an input, a property, an output), with its
// title, description and default. A required input never holds null (the engine reports null as
// missing); any other place may.
func (b *builder) valueSchema(t *rulesets.Type, d direction, required bool, title, desc string, def any, hasDef bool) map[string]any {
	s := b.typeSchema(t, d)
	if !required {
		s = nullable(s)
	}
	// Annotations beside a $ref are allowed since 3.1 (JSON Schema 2020-12): they describe this
	// place, the referenced component describes the entity.
	if title != "" {
		s["title"] = title
	}
	if desc != "" {
		if prev, ok := s["description"].(string); ok && prev != "" {
			desc += " " + prev
		}
		s["description"] = desc
	}
	if hasDef {
		s["default"] = rulesets.Plain(def)
	}
	return s
}

// entityRef refers to an entity's component: its input shape (declared properties, required ones
// listed) or its output shape (every property may be null, plus the calculated ones).
func (b *builder) entityRef(name string, d direction) map[string]any {
	return b.ref(b.entityComponent(name, d))
}

// entityComponent names an entity's component (without the ruleset prefix, see builder.name):
// entity.Person and entity.Person.Output. The "entity." keeps an entity named Input or Output
// apart from the ruleset's own components of that name.
func (b *builder) entityComponent(name string, d direction) string {
	local := "entity." + componentSafe(name)
	if d == output {
		return local + ".Output"
	}
	return local
}

// entitySchema is the component of an entity in one direction.
func (b *builder) entitySchema(e *rulesets.Entity, d direction) map[string]any {
	props := map[string]any{}
	var required []any
	for _, p := range e.Properties {
		req := p.Required && d == input
		props[p.Name] = b.valueSchema(&p.Type, d, req, p.Label, p.Description, p.Default, p.HasDefault && d == input)
		if req {
			required = append(required, p.Name)
		}
	}
	var calc []string
	for _, c := range e.Calculated {
		calc = append(calc, c.Name)
		if d == output {
			props[c.Name] = b.valueSchema(c.Type, d, false, "", "Calculated.", nil, false)
		}
	}
	desc := e.Description
	switch {
	case d == input && len(calc) > 0:
		desc = joinSentences(desc, fmt.Sprintf("The calculated properties (%s) are computed, not read. Undeclared properties are kept for rule code.", strings.Join(calc, ", ")))
	case d == input:
		desc = joinSentences(desc, "Undeclared properties are kept for rule code.")
	default:
		desc = joinSentences(desc, "As the engine writes it: the declared and the calculated properties, and any other properties the instance has.")
	}
	s := map[string]any{"type": "object", "title": e.Name, "properties": props, "description": desc}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// componentSafe makes a name fit the pattern OpenAPI sets for component names, ^[a-zA-Z0-9.\-_]+$.
// An entity name is a JavaScript identifier, which may hold $ and non-ASCII letters: each such
// character becomes -XXXX (its code point in hex). An identifier never holds '-', so the mapping
// cannot make two entity names collide.
func componentSafe(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "-%04X", r)
		}
	}
	return b.String()
}

func joinSentences(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case strings.HasSuffix(a, "."):
		return a + " " + b
	}
	return a + ". " + b
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+2)
	for k, v := range m {
		out[k] = v
	}
	return out
}
