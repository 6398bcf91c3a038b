package rulesets

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/dop251/goja/ast"
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

// tsTakenTypes are the global type names that an entity's `declare class` would collide with (a
// duplicate identifier, an interface merged into, or a name TypeScript reserves): every name with a
// type meaning in TypeScript's ECMAScript library up to esnext (generated with the compiler API from
// TypeScript 5.9; the TypeScript test checks it against the library of the tsc it runs), the
// primitive type names a class may not take, the type operators that cannot stand as a type name,
// and the interface these declarations add themselves.
var tsTakenTypes = setOf(strings.Fields(`
	AggregateError AggregateErrorConstructor Array ArrayBuffer ArrayBufferConstructor ArrayBufferLike
	ArrayBufferTypes ArrayBufferView ArrayConstructor ArrayIterator ArrayLike AsyncDisposable
	AsyncDisposableStack AsyncDisposableStackConstructor AsyncGenerator AsyncGeneratorFunction
	AsyncGeneratorFunctionConstructor AsyncIterable AsyncIterableIterator AsyncIterator
	AsyncIteratorObject Atomics Awaited BigInt BigInt64Array BigInt64ArrayConstructor
	BigIntConstructor BigIntToLocaleStringOptions BigUint64Array BigUint64ArrayConstructor Boolean
	BooleanConstructor BuiltinIteratorReturn CallableFunction Capitalize ClassAccessorDecoratorContext
	ClassAccessorDecoratorResult ClassAccessorDecoratorTarget ClassDecorator ClassDecoratorContext
	ClassFieldDecoratorContext ClassGetterDecoratorContext ClassMemberDecoratorContext
	ClassMethodDecoratorContext ClassSetterDecoratorContext ConcatArray ConstructorParameters DataView
	DataViewConstructor Date DateConstructor DecoratorContext DecoratorMetadata
	DecoratorMetadataObject Disposable DisposableStack DisposableStackConstructor Error
	ErrorConstructor ErrorOptions EvalError EvalErrorConstructor Exclude Extract FinalizationRegistry
	FinalizationRegistryConstructor FlatArray Float16Array Float16ArrayConstructor Float32Array
	Float32ArrayConstructor Float64Array Float64ArrayConstructor Function FunctionConstructor
	Generator GeneratorFunction GeneratorFunctionConstructor IArguments ImportAssertions
	ImportAttributes ImportCallOptions ImportMeta InstanceType Int16Array Int16ArrayConstructor
	Int32Array Int32ArrayConstructor Int8Array Int8ArrayConstructor Intl Iterable IterableIterator
	Iterator IteratorConstructor IteratorObject IteratorResult IteratorReturnResult
	IteratorYieldResult JSON Lowercase Map MapConstructor MapIterator Math MethodDecorator
	NewableFunction NoInfer NonNullable Number NumberConstructor Object ObjectConstructor Omit
	OmitThisParameter ParameterDecorator Parameters Partial Pick Promise PromiseConstructor
	PromiseConstructorLike PromiseFulfilledResult PromiseLike PromiseRejectedResult
	PromiseSettledResult PromiseWithResolvers PropertyDecorator PropertyDescriptor
	PropertyDescriptorMap PropertyKey ProxyConstructor ProxyHandler RangeError RangeErrorConstructor
	Readonly ReadonlyArray ReadonlyMap ReadonlySet ReadonlySetLike Record ReferenceError
	ReferenceErrorConstructor Reflect RegExp RegExpConstructor RegExpExecArray RegExpIndicesArray
	RegExpMatchArray RegExpStringIterator Required ReturnType Set SetConstructor SetIterator
	SharedArrayBuffer SharedArrayBufferConstructor String StringConstructor StringIterator
	SuppressedError SuppressedErrorConstructor Symbol SymbolConstructor SyntaxError
	SyntaxErrorConstructor TemplateStringsArray ThisParameterType ThisType TypeError
	TypeErrorConstructor TypedPropertyDescriptor URIError URIErrorConstructor Uint16Array
	Uint16ArrayConstructor Uint32Array Uint32ArrayConstructor Uint8Array Uint8ArrayConstructor
	Uint8ClampedArray Uint8ClampedArrayConstructor Uncapitalize Uppercase WeakKey WeakKeyTypes WeakMap
	WeakMapConstructor WeakRef WeakRefConstructor WeakSet WeakSetConstructor globalThis
	bigint never object symbol unknown
	infer keyof readonly unique
	KubusTable
`)...)

// tsTopLevelType finds the global types declared in a TypeScript declaration file: declarations
// that start a line.
var tsTopLevelType = regexp.MustCompile(`(?m)^(?:declare\s+)?(?:interface|type|class|enum|namespace|module)\s+([\p{L}\p{Nl}$_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}$_]*)`)

// Typings declares a ruleset's names as its rule code sees them — inputs, constants, tables,
// functions, entities and rules — in TypeScript, for editors (`kubus types DIR`).
func Typings(rs *Ruleset) string { return TypingsAfter(rs, "") }

// TypingsAfter is Typings for a declaration file in which these declarations follow preceding
// (kubus.d.ts puts the built-ins' first). An entity is a class: a value, which the loader keeps
// apart from every other global, and a type, which may collide with a type of TypeScript's library
// (Record, Partial, Iterable, ...) or of preceding (CryptoBytes, OcktoAisConsent, ...). Such an
// entity's type is declared under a name no ruleset can declare (__Entity_Record) and its value as a
// constant of a constructor type, so that every entity name the loader accepts compiles.
func TypingsAfter(rs *Ruleset, preceding string) string {
	taken := map[string]bool{}
	for _, m := range tsTopLevelType.FindAllStringSubmatch(preceding, -1) {
		taken[m[1]] = true
	}
	entities := rs.Entities
	if rs.Workflow != nil {
		entities = append(slices.Clone(rs.Entities), rs.Workflow.State)
	}
	types := map[string]string{} // an entity's name → the name of its type, where they differ
	for _, e := range entities {
		if tsTakenTypes[e.Name] || taken[e.Name] {
			n := "__Entity_" + e.Name
			for taken[n] {
				n += "_"
			}
			types[e.Name] = n
		}
	}
	tsType := func(t *Type) string { return tsTypeOf(t, types) }

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
	for _, e := range entities {
		n := e.Name
		typ := n
		if t, ok := types[n]; ok {
			typ = t
		}
		var members, statics []string
		for _, p := range e.Properties {
			t := tsType(&p.Type)
			if !p.Required && !p.HasDefault {
				t += " | null"
			}
			members = append(members, fmt.Sprintf("%s: %s;", p.Name, t))
		}
		for _, c := range e.Calculated {
			members = append(members, "/** Calculated. */", fmt.Sprintf("readonly %s: %s;", c.Name, tsType(c.Type)))
		}
		if e.Persisted {
			members = append(members,
				"/** Set when saved. */", "readonly _id?: string;", "readonly _createdAt?: Date;", "readonly _updatedAt?: Date;",
				"/** Saves it (committed when the execution succeeds); returns its id. */", "save(): string;",
				"/** Deletes it; false when it was not stored. */", "delete(): boolean;")
			statics = append(statics,
				fmt.Sprintf("/** The %s with this id, or null. */", n), fmt.Sprintf("get(id: string): %s | null;", typ),
				fmt.Sprintf("/** The %ss matching the filter (equality, or $gt $gte $lt $lte $ne $in), sorted (\"-prop\" descending) and limited. */", n),
				fmt.Sprintf("find(filter?: Record<string, any>, options?: { sort?: string | string[]; limit?: number }): %s[];", typ),
				fmt.Sprintf("/** Every stored %s. */", n), fmt.Sprintf("all(): %s[];", typ),
				"/** How many match the filter. */", "count(filter?: Record<string, any>): number;")
		}
		lines := func(list []string, static string) {
			for _, l := range list {
				if strings.HasPrefix(l, "/**") {
					fmt.Fprintf(&b, "  %s\n", l)
				} else {
					fmt.Fprintf(&b, "  %s%s\n", static, l)
				}
			}
		}
		if typ == n {
			doc("Entity", e.Description)
			fmt.Fprintf(&b, "declare class %s {\n  constructor(properties?: Partial<%s>);\n", n, n)
			lines(members, "")
			lines(statics, "static ")
			b.WriteString("}\n")
			continue
		}
		// The type under its own name, the class as a constant.
		doc("Entity "+n+" (its type: TypeScript or Kubus already has a type named "+n+")", e.Description)
		fmt.Fprintf(&b, "interface %s {\n", typ)
		lines(members, "")
		b.WriteString("}\n")
		doc("Entity", e.Description)
		fmt.Fprintf(&b, "declare const %s: {\n  new (properties?: Partial<%s>): %s;\n  readonly prototype: %s;\n", n, typ, typ, typ)
		lines(statics, "")
		b.WriteString("};\n")
	}
	for _, r := range rs.Rules {
		doc("Rule", r.Description)
		fmt.Fprintf(&b, "declare const %s: %s;\n", r.Name, tsType(r.Type))
	}
	if w := rs.Workflow; w != nil {
		state := StateEntity
		if t, ok := types[state]; ok {
			state = t
		}
		doc("The workflow's state: what a step writes here persists to the next step")
		fmt.Fprintf(&b, "declare let %s: %s;\n", NameState, state)
		doc("The running workflow instance and step (in rule code outside a step: null)")
		fmt.Fprintf(&b, "declare const %s: {\n  readonly instanceId: string;\n  readonly name: string;\n  readonly version: string;\n  readonly step: string;\n  /** The same for every try of this visit of the step: make provider calls idempotent with it. */\n  readonly stepRunId: string;\n  readonly startedAt: Date;\n};\n", NameWorkflow)
		var answers []string
		for _, s := range w.Steps {
			if s.Type != StepWait {
				continue
			}
			if len(s.Answer) == 0 {
				answers = append(answers, "Record<string, any>")
				continue
			}
			var fields []string
			for _, f := range s.Answer {
				t := tsType(&f.Type)
				if !f.Required && !f.HasDefault {
					t += " | null"
				}
				fields = append(fields, fmt.Sprintf("%s: %s", f.Name, t))
			}
			answers = append(answers, "{ "+strings.Join(fields, "; ")+" }")
		}
		doc("In a wait step: the answer it resumes with (null elsewhere)")
		fmt.Fprintf(&b, "declare const %s: %s;\n", NameAnswer, strings.Join(append(slices.Compact(answers), "null"), " | "))
		doc("In an upload step: the uploaded document (null elsewhere)")
		fmt.Fprintf(&b, "declare const %s: { readonly id: string; readonly name: string; readonly contentType: string; readonly size: number; readonly sha256: string } | null;\n", NameUpload)
	}
	return b.String()
}

// tsTypeOf is the TypeScript type of a declared type; types renames the entities whose type has
// another name.
func tsTypeOf(t *Type, types map[string]string) string {
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
		of := tsTypeOf(t.Of, types)
		if strings.Contains(of, "|") {
			of = "(" + of + ")"
		}
		return of + "[]"
	}
	if n, ok := types[t.Name]; ok {
		return n
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

// TopLevelReturns lists the rule files of rs that have a `return` outside any function of theirs, at
// the first such return each, in rule order. Kubus runs a rule file as a function body, so the return
// is valid; but TypeScript, checking the file as a script, reports it (TS1108: "A 'return' statement
// can only be used within a function body") and does not check what it returns. A rule file that
// ends with its value instead (a body without return yields its last expression statement) suits
// both.
func TopLevelReturns(rs *Ruleset) []Pos {
	var out []Pos
	seen := map[string]bool{}
	for _, r := range rs.Rules {
		c := &r.Code
		if c.File == "" || c.Expression || seen[c.File] {
			continue
		}
		seen[c.File] = true
		if off := topLevelReturn(c.Source); off >= 0 {
			out = append(out, c.atOffset(off))
		}
	}
	return out
}

// topLevelReturn is the byte offset in src, a function body, of its first return that is not inside
// a nested function, or -1 (also when src does not parse as a body).
func topLevelReturn(src string) int {
	w := bodyPrefix + src + bodySuffix
	prog, err := parseJS(w)
	if err != nil {
		return -1
	}
	fl := wrappedFunction(prog, w)
	if fl == nil {
		return -1
	}
	// Statements only: a return can stand nowhere else, and whatever holds statements inside an
	// expression (a function, an arrow function's body, a class's static block) is a function of
	// its own, or refuses return.
	var find func(st ast.Statement) int
	list := func(sts []ast.Statement) int {
		for _, st := range sts {
			if off := find(st); off >= 0 {
				return off
			}
		}
		return -1
	}
	find = func(st ast.Statement) int {
		switch st := st.(type) {
		case *ast.ReturnStatement:
			return int(st.Return) - 1 - len(bodyPrefix)
		case *ast.BlockStatement:
			if st != nil {
				return list(st.List)
			}
		case *ast.IfStatement:
			if off := find(st.Consequent); off >= 0 {
				return off
			}
			if st.Alternate != nil {
				return find(st.Alternate)
			}
		case *ast.ForStatement:
			return find(st.Body)
		case *ast.ForInStatement:
			return find(st.Body)
		case *ast.ForOfStatement:
			return find(st.Body)
		case *ast.WhileStatement:
			return find(st.Body)
		case *ast.DoWhileStatement:
			return find(st.Body)
		case *ast.LabelledStatement:
			return find(st.Statement)
		case *ast.WithStatement:
			return find(st.Body)
		case *ast.SwitchStatement:
			for _, cs := range st.Body {
				if off := list(cs.Consequent); off >= 0 {
					return off
				}
			}
		case *ast.TryStatement:
			if off := find(st.Body); off >= 0 {
				return off
			}
			if st.Catch != nil {
				if off := find(st.Catch.Body); off >= 0 {
					return off
				}
			}
			if st.Finally != nil {
				return find(st.Finally)
			}
		}
		return -1
	}
	return list(fl.Body.List)
}
