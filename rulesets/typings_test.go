package rulesets

import (
	"slices"
	"strings"
	"testing"
)

// An entity whose name is already a type (TypeScript's Record, Kubus's CryptoBytes, TypeScript's
// `unknown`) gets its type under a name no ruleset can declare; every other entity stays a class.
// (The TypeScript test in runner compiles such declarations with tsc.)
func TestTypingsRenameEntityTypesThatCollide(t *testing.T) {
	rs := mustLoadYAML(t, `name: names
version: 1.0.0
entities:
  Record:
    persisted: true
    properties:
      Owner: {type: Person}
  CryptoBytes:
    properties:
      Records: {type: array, of: Record}
  unknown:
    properties:
      Size: {type: number, required: true}
  Person:
    properties:
      Favourite: {type: Record}
      Things: {type: array, of: CryptoBytes}
rules:
  First: {type: Record, expression: "Record.all()[0]"}
`, nil)
	got := TypingsAfter(rs, "// built-ins\ntype CryptoBytes = string | { hex: string };\ninterface Console {\n  log(): void;\n}\n")
	for _, want := range []string{
		"interface __Entity_Record {\n  Owner: Person | null;\n",
		"declare const Record: {\n  new (properties?: Partial<__Entity_Record>): __Entity_Record;\n  readonly prototype: __Entity_Record;\n",
		"  get(id: string): __Entity_Record | null;\n",
		"  find(filter?: Record<string, any>, options?: { sort?: string | string[]; limit?: number }): __Entity_Record[];\n",
		"interface __Entity_CryptoBytes {\n  Records: __Entity_Record[] | null;\n}\n",
		"declare const CryptoBytes: {\n  new (properties?: Partial<__Entity_CryptoBytes>): __Entity_CryptoBytes;\n  readonly prototype: __Entity_CryptoBytes;\n};\n",
		"interface __Entity_unknown {\n  Size: number;\n}\n",
		"declare class Person {\n  constructor(properties?: Partial<Person>);\n  Favourite: __Entity_Record | null;\n  Things: __Entity_CryptoBytes[] | null;\n}\n",
		"declare const First: __Entity_Record;\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("typings lack %q:\n%s", want, got)
		}
	}
	for _, bad := range []string{"declare class Record", "declare class CryptoBytes", "declare class unknown", "interface Record", "static "} {
		if strings.Contains(got, bad) { // (no class here is persisted under its own name, so none has statics)
			t.Errorf("typings have %q:\n%s", bad, got)
		}
	}
	// Without the built-ins before them, CryptoBytes is nobody's type.
	if alone := Typings(rs); !strings.Contains(alone, "declare class CryptoBytes {") {
		t.Errorf("Typings renamed CryptoBytes without a preceding declaration of it:\n%s", alone)
	}
}

// A persisted entity that keeps its name keeps its static methods.
func TestTypingsPersistedClass(t *testing.T) {
	rs := mustLoadYAML(t, "name: p\nversion: 1.0.0\nentities:\n  Person:\n    persisted: true\n    properties:\n      Name: {type: string}\n", nil)
	got := Typings(rs)
	for _, want := range []string{
		"declare class Person {\n  constructor(properties?: Partial<Person>);\n  Name: string | null;\n  /** Set when saved. */\n  readonly _id?: string;\n",
		"  /** The Person with this id, or null. */\n  static get(id: string): Person | null;\n",
		"  static all(): Person[];\n  /** How many match the filter. */\n  static count(filter?: Record<string, any>): number;\n}\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("typings lack %q:\n%s", want, got)
		}
	}
}

func TestTopLevelReturns(t *testing.T) {
	rs := mustLoadYAML(t, `name: r
version: 1.0.0
inputs:
  X: {type: number, required: true}
functions:
  Twice:
    params: {x: number}
    returns: number
    file: rules/twice.js
rules:
  Nested: {file: rules/nested.js}
  Deep: {file: rules/deep.js}
  Plain: {file: rules/plain.js}
  Early: {file: rules/early.js}
  Again: {file: rules/early.js}
  Inline: "if (X > 1) return 1;\nreturn 2;"
`, map[string]string{
		"rules/twice.js":  "return x * 2;\n",
		"rules/nested.js": "const f = () => { return 1; };\nfunction g() { return 2; }\nclass C { m() { return 3; } }\nf() + g() + new C().m()\n",
		"rules/deep.js":   "// deep\nswitch (X) {\n  case 1:\n    try { X; } finally { if (X) { for (;;) { return 3; } } }\n}\n4\n",
		"rules/plain.js":  "X + 1\n",
		"rules/early.js":  "if (X > 1) return \"big\";\n\"small\"\n",
	})
	var got []string
	for _, p := range TopLevelReturns(rs) {
		got = append(got, p.String())
	}
	if want := []string{"rules/deep.js:4:46", "rules/early.js:1:12"}; !slices.Equal(got, want) {
		t.Errorf("TopLevelReturns = %q, want %q", got, want)
	}
}
