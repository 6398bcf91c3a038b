package rulesets

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// tableTypings declares the helpers every constant table has; Typings refers to it.
const tableTypings = `/** A constant table: one property per row, plus lookups over the from/to columns. */
interface KubusTable<Row, Key extends string> {
  /** The key of the row whose [from, to] holds value (inclusive), or null. */
  lookup(value: number): Key | null;
  /** The row whose [from, to] holds value (inclusive), or null. */
  lookupRow(value: number): (Row & { readonly key: Key }) | null;
  /** Every row, in declared order. */
  readonly rows: ReadonlyArray<Row & { readonly key: Key }>;
  /** Every row key, in declared order. */
  readonly keys: ReadonlyArray<Key>;
}
`

// Typings declares a ruleset's names as its rule code sees them — inputs, constants, tables,
// functions, entities and rules — in TypeScript, for editors (`kubus types DIR`).
func Typings(rs *Ruleset) string {
	var b strings.Builder
	fmt.Fprintf(&b, "// Ruleset %s %s: the names its rule code sees.\n", rs.Name, rs.Version)
	if len(rs.Tables) > 0 {
		b.WriteString(tableTypings)
	}
	doc := func(lines ...string) {
		var parts []string
		for _, l := range lines {
			if l = strings.TrimSpace(l); l != "" {
				parts = append(parts, strings.ReplaceAll(l, "*/", "* /"))
			}
		}
		switch len(parts) {
		case 0:
		case 1:
			fmt.Fprintf(&b, "/** %s */\n", parts[0])
		default:
			fmt.Fprintf(&b, "/** %s: %s */\n", parts[0], strings.Join(parts[1:], " — "))
		}
	}
	for _, in := range rs.Inputs {
		t := tsType(&in.Type)
		if !in.Required && !in.HasDefault {
			t += " | null"
		}
		doc("Input", in.Label, in.Description)
		fmt.Fprintf(&b, "declare const %s: %s;\n", in.Name, t)
	}
	for _, k := range rs.Constants {
		doc("Constant")
		t := "string | null"
		switch {
		case k.Env != "" && k.HasDefault:
			t = "string | " + jsonType(k.Default)
		case k.Env == "":
			t = jsonType(k.Value)
		}
		fmt.Fprintf(&b, "declare const %s: %s;\n", k.Name, t)
	}
	for _, t := range rs.Tables {
		var cols, keys []string
		for j, c := range t.Columns {
			cols = append(cols, fmt.Sprintf("readonly %s: %s", tsKey(c), columnType(t, j)))
		}
		for _, r := range t.Rows {
			keys = append(keys, jsonString(r.Key))
		}
		row := "{ " + strings.Join(cols, "; ") + " }"
		key := "string"
		if len(keys) > 0 {
			key = strings.Join(keys, " | ")
		}
		doc("Table")
		fmt.Fprintf(&b, "declare const %s: KubusTable<%s, %s> & { readonly [K in %s]: %s & { readonly key: K } };\n", t.Name, row, key, key, row)
	}
	for _, f := range rs.Functions {
		params := make([]string, len(f.Params))
		for i, p := range f.Params {
			params[i] = p.Name + ": " + tsType(&p.Type)
		}
		doc("Function", f.Description)
		fmt.Fprintf(&b, "declare function %s(%s): %s;\n", f.Name, strings.Join(params, ", "), tsType(f.Returns))
	}
	for _, e := range rs.Entities {
		doc("Entity", e.Description)
		fmt.Fprintf(&b, "declare class %s {\n  constructor(properties?: Partial<%s>);\n", e.Name, e.Name)
		for _, p := range e.Properties {
			t := tsType(&p.Type)
			if !p.Required && !p.HasDefault {
				t += " | null"
			}
			fmt.Fprintf(&b, "  %s: %s;\n", p.Name, t)
		}
		for _, c := range e.Calculated {
			fmt.Fprintf(&b, "  /** Calculated. */\n  readonly %s: %s;\n", c.Name, tsType(c.Type))
		}
		if e.Persisted {
			n := e.Name
			b.WriteString("  /** Set when saved. */\n  readonly _id?: string;\n  readonly _createdAt?: Date;\n  readonly _updatedAt?: Date;\n")
			b.WriteString("  /** Saves it (committed when the execution succeeds); returns its id. */\n  save(): string;\n")
			b.WriteString("  /** Deletes it; false when it was not stored. */\n  delete(): boolean;\n")
			fmt.Fprintf(&b, "  /** The %s with this id, or null. */\n  static get(id: string): %s | null;\n", n, n)
			fmt.Fprintf(&b, "  /** The %ss matching the filter (equality, or $gt $gte $lt $lte $ne $in), sorted (\"-prop\" descending) and limited. */\n  static find(filter?: Record<string, any>, options?: { sort?: string | string[]; limit?: number }): %s[];\n", n, n)
			fmt.Fprintf(&b, "  /** Every stored %s. */\n  static all(): %s[];\n", n, n)
			b.WriteString("  /** How many match the filter. */\n  static count(filter?: Record<string, any>): number;\n")
		}
		b.WriteString("}\n")
	}
	for _, r := range rs.Rules {
		doc("Rule", r.Description)
		fmt.Fprintf(&b, "declare const %s: %s;\n", r.Name, tsType(r.Type))
	}
	return b.String()
}

// tsType is the TypeScript type of a declared type.
func tsType(t *Type) string {
	if t == nil {
		return "any"
	}
	switch t.Name {
	case "", TypeAny:
		return "any"
	case TypeNumber, TypeBoolean, TypeString:
		return t.Name
	case TypeDate:
		return "Date"
	case TypeEnum:
		vals := make([]string, len(t.Values))
		for i, v := range t.Values {
			vals[i] = jsonString(v)
		}
		return strings.Join(vals, " | ")
	case TypeArray:
		of := tsType(t.Of)
		if strings.Contains(of, "|") {
			of = "(" + of + ")"
		}
		return of + "[]"
	}
	return t.Name
}

// jsonType is the TypeScript type of a JSON-shaped constant value.
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		seen := map[string]bool{}
		var elems []string
		for _, e := range x {
			if t := jsonType(e); !seen[t] {
				seen[t] = true
				elems = append(elems, t)
			}
		}
		switch len(elems) {
		case 0:
			return "readonly any[]"
		case 1:
			return "readonly " + elems[0] + "[]"
		}
		sort.Strings(elems)
		return "readonly (" + strings.Join(elems, " | ") + ")[]"
	case *Object:
		fields := make([]string, len(x.Keys))
		for i, k := range x.Keys {
			fields[i] = fmt.Sprintf("readonly %s: %s", tsKey(k), jsonType(x.Values[k]))
		}
		return "{ " + strings.Join(fields, "; ") + " }"
	}
	return "any"
}

// columnType is the TypeScript type of a table column, from its values.
func columnType(t *Table, col int) string {
	seen := map[string]bool{}
	var types []string
	for _, r := range t.Rows {
		if jt := jsonType(r.Values[col]); !seen[jt] {
			seen[jt] = true
			types = append(types, jt)
		}
	}
	if len(types) == 0 {
		return "any"
	}
	sort.Strings(types)
	return strings.Join(types, " | ")
}

// tsKey writes a property name, quoted when it is not an identifier.
func tsKey(k string) string {
	if isIdentifier(k) {
		return k
	}
	return jsonString(k)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
