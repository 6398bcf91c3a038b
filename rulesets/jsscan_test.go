package rulesets

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
)

func TestRefs(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"identifier", "Age", []string{"Age"}},
		{"binary in order of first use", "b + a * b + c", []string{"b", "a", "c"}},
		{"call and member", "ROUND(AgeSurcharge(AGE(DateOfBirth), NumberOfDays), 2)", []string{"ROUND", "AgeSurcharge", "AGE", "DateOfBirth", "NumberOfDays"}},
		{"property after dot is not a ref", "Finance.annuity(Rate, Months).toFixed(2)", []string{"Finance", "Rate", "Months"}},
		{"bracket member is a ref", "Levels[Key].from", []string{"Levels", "Key"}},
		{"optional chaining", "Applicant?.Address?.[Field] ?? Default", []string{"Applicant", "Field", "Default"}},
		{"optional call", "Fn?.(x)", []string{"Fn", "x"}},
		{"conditional", "Age < 35 ? Low : High", []string{"Age", "Low", "High"}},
		{"object literal keys are not refs", "({a: X, 'b': Y, [K]: Z, m() { return W }})", []string{"X", "Y", "K", "Z", "W"}},
		{"object shorthand is a ref", "({X, Y: 1})", []string{"X"}},
		{"getter and setter", "({get a() { return G }, set a(v) { S = v }})", []string{"G", "S"}},
		{"spread", "[...Items, ...Other.list]", []string{"Items", "Other"}},
		{"object spread", "({...Base, extra: E})", []string{"Base", "E"}},
		{"spread in call", "Math.max(...Values)", []string{"Math", "Values"}},
		{"template literal", "`Dear ${Name}, you owe ${FORMAT(Amount)}`", []string{"Name", "FORMAT", "Amount"}},
		{"tagged template", "tag`x ${Y}`", []string{"tag", "Y"}},
		{"arrow param shadows", "Items.map(x => x * Factor)", []string{"Items", "Factor"}},
		{"arrow param shadows only inside", "Items.map(Age => Age * 2).length + Age", []string{"Items", "Age"}},
		{"arrow destructuring params", "Items.map(({a, b: [c, d = D]}, ...rest) => a + c + d + rest.length + E)", []string{"Items", "D", "E"}},
		{"arrow default param sees outer", "((a = Def) => a)()", []string{"Def"}},
		{"arrow block body", "Items.filter(i => { const t = i.v; return t > Min })", []string{"Items", "Min"}},
		{"function expression name is local", "(function fact(n) { return n <= 1 ? 1 : n * fact(n - 1) })(N)", []string{"N"}},
		{"arguments is declared", "(function() { return arguments.length })()", nil},
		{"class expression", "new (class Foo extends Base { static s = Init; #p = 1; m() { return Foo + this.#p + Other } get g() { return G } [Key]() {} static { Blk } })()", []string{"Base", "Init", "Other", "G", "Key", "Blk"}},
		{"private in", "(class { #x; has(o) { return #x in o } })", nil},
		{"new.target and this", "(function() { return new.target || this.v })", nil},
		{"typeof and delete", "typeof Foo === 'undefined' || delete Obj.prop", []string{"Foo", "Obj"}},
		{"assignment to outer", "(Counter += 1, Other = 2)", []string{"Counter", "Other"}},
		{"array destructuring assignment", "([A, B] = [B, A])", []string{"A", "B"}},
		{"object destructuring assignment", "({a: X, Y, ...Z} = Src)", []string{"X", "Y", "Z", "Src"}},
		{"regexp", "/ab+c/i.test(Text)", []string{"Text"}},
		{"sequence", "(a, b, c)", []string{"a", "b", "c"}},
		{"new", "new Date(Start)", []string{"Date", "Start"}},
		{"globals are refs too", "undefined === NaN || Infinity", []string{"undefined", "NaN", "Infinity"}},
		{"unicode names", "Prijs€ + Größe", nil}, // € is not an identifier char: syntax error handled elsewhere
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, serr := analyzeSource(tt.src, CodeBody)
			if tt.name == "unicode names" {
				if serr == nil {
					t.Fatalf("want a syntax error for %q", tt.src)
				}
				return
			}
			if serr != nil {
				t.Fatalf("syntax error: %+v", serr)
			}
			if got := refNames(a.refs); !slices.Equal(got, tt.want) {
				t.Errorf("refs of %q\n got %q\nwant %q", tt.src, got, tt.want)
			}
		})
	}
}

func TestRefsStatements(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"var and let are declared", "var a = X; let b = a + Y; const c = b; c", []string{"X", "Y"}},
		{"var hoisting: use before declaration", "x = 1; var x; x + Z", []string{"Z"}},
		{"function declaration hoisting", "const v = helper(A); function helper(p) { return p * B } v", []string{"A", "B"}},
		{"block scoping", "{ let inner = 1 } inner + Q", []string{"inner", "Q"}},
		{"block function visible function-wide", "{ function f() { return 1 } } f()", nil},
		{"for-of with const", "let s = 0; for (const item of Items) s += item.v * Rate; s", []string{"Items", "Rate"}},
		{"for-of with destructuring", "for (const [k, v] of Object.entries(Map1)) { out[k] = v } ", []string{"Object", "Map1", "out"}},
		{"for-in with var", "for (var k in Obj) total += k; total", []string{"Obj", "total"}},
		{"for-of assigning outer", "for (Cur of List) {}", []string{"Cur", "List"}},
		{"for loop let", "for (let i = 0; i < N; i++) Acc.push(i); Acc", []string{"N", "Acc"}},
		{"for loop let does not leak", "for (let i = 0; i < 3; i++) {} i", []string{"i"}},
		{"catch param", "try { risky(X) } catch (e) { log(e) } finally { done(F) }", []string{"risky", "X", "log", "done", "F"}},
		{"catch destructuring", "try {} catch ({message}) { return message + M }", []string{"M"}},
		{"labels are not refs", "outer: for (const a of A) { for (const b of B) { if (b) continue outer; break outer } }", []string{"A", "B"}},
		{"switch", "switch (Kind) { case One: let z = Two; return z; default: return Three }", []string{"Kind", "One", "Two", "Three"}},
		{"class declaration", "class Helper extends Base { run() { return Helper.x + Q } } new Helper()", []string{"Base", "Q"}},
		{"nested function shadowing", "function outer(Age) { function inner() { return Age } return inner() } outer(1) + Age", []string{"Age"}},
		{"shadowing a ruleset name locally", "const NumberOfDays = 3; NumberOfDays * Rate", []string{"Rate"}},
		{"while and do", "let i = 0; while (i < Max) i++; do { i-- } while (i > Min); i", []string{"Max", "Min"}},
		{"if else", "if (A) { return B } else if (C) { return D } else return E", []string{"A", "B", "C", "D", "E"}},
		{"throw", "if (!Valid) throw new Error(Msg)", []string{"Valid", "Error", "Msg"}},
		{"destructuring declaration with defaults", "const {a = DefA, b: {c} = DefB, ...rest} = Src; a + c + rest", []string{"DefA", "DefB", "Src"}},
		{"array destructuring declaration", "const [x, , y = Y, ...z] = Arr; x + y + z", []string{"Y", "Arr"}},
		{"computed key in pattern", "const {[KeyName]: val} = Obj; val", []string{"KeyName", "Obj"}},
		{"with", "with (Obj) { return x }", []string{"Obj", "x"}},
		{"generator and yield", "function* g() { yield Val; yield* Other } [...g()]", []string{"Val", "Other"}},
		{"async and await", "async function f() { return await Pending } f()", []string{"Pending"}},
		{"function params and defaults", "function f(a, b = Bdef, {c}, [d], ...e) { return a + b + c + d + e + G } f()", []string{"Bdef", "G"}},
		{"arrow in body", "const f = (x) => x + K; f(1)", []string{"K"}},
		{"comments and strings", "// Unused\nconst s = 'Name'; /* Other */ s", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, serr := analyzeSource(tt.src, CodeBody)
			if serr != nil {
				t.Fatalf("syntax error: %+v", serr)
			}
			if a.expression {
				t.Fatalf("%q parsed as an expression", tt.src)
			}
			if got := refNames(a.refs); !slices.Equal(got, tt.want) {
				t.Errorf("refs of %q\n got %q\nwant %q", tt.src, got, tt.want)
			}
		})
	}
}

func refNames(refs []jsRef) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.name)
	}
	return out
}

func TestRefOffsets(t *testing.T) {
	tests := []struct {
		src  string
		kind CodeKind
		want map[string]int
	}{
		{"a + Bee", CodeBody, map[string]int{"a": 0, "Bee": 4}},
		{"let x = 1;\nx + Yy", CodeBody, map[string]int{"Yy": 15}},
		{"age ${Age} `q` ${F(`${Inner}`)}", CodeTemplate, map[string]int{"Age": 6, "F": 17, "Inner": 22}},
	}
	for _, tt := range tests {
		a, serr := analyzeSource(tt.src, tt.kind)
		if serr != nil {
			t.Fatalf("%q: %+v", tt.src, serr)
		}
		got := map[string]int{}
		for _, r := range a.refs {
			got[r.name] = r.off
			if !strings.HasPrefix(tt.src[r.off:], r.name) {
				t.Errorf("%q: offset %d of %s does not point at it", tt.src, r.off, r.name)
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: offsets %v, want %v", tt.src, got, tt.want)
		}
	}
}

func TestBody(t *testing.T) {
	tests := []struct {
		name       string
		src        string
		expression bool
		body       string
		shift      int
	}{
		{"expression", "Age < 35 ? 1.5 : 0", true, "return (Age < 35 ? 1.5 : 0\n);", 8},
		{"expression with line comment", "a + b // sum", true, "return (a + b // sum\n);", 8},
		{"multi-line expression", "a\n  + b", true, "return (a\n  + b\n);", 8},
		{"object literal is an expression", "{a: 1}", true, "return ({a: 1}\n);", 8},
		{"expression statement with semicolon", "x + 1;", false, "return x + 1;", 7},
		{"statements with return", "if (a) return 1;\nreturn 2;", false, "if (a) return 1;\nreturn 2;", 0},
		{"last expression returned", "const a = 1;\na + 2", false, "const a = 1;\nreturn a + 2", 0},
		{"last expression on first line", "var x = 2; x * 3", false, "var x = 2; return x * 3", 0},
		{"parenthesized last expression", "let a = 1\n(a, 2)", false, "let a = 1\n(a, 2)", 0}, // a call: 1(a, 2)
		{"parenthesized after semicolon", "let a = 1;\n((a), 2)", false, "let a = 1;\nreturn ((a), 2)", 0},
		{"comment before last expression", "let a = 1;\n// the answer\n/* really */ a", false, "let a = 1;\n// the answer\n/* really */ return a", 0},
		{"trailing empty statements", "let a = 1; a;;", false, "let a = 1; return a;;", 0},
		{"last statement not an expression", "let a = 1; if (a) { a }", false, "let a = 1; if (a) { a }", 0},
		{"only a declaration", "const x = 1", false, "const x = 1", 0},
		{"only comments", "// nothing", false, "// nothing", 0},
		{"leading blank lines", "\n\nlet v = 1\nv", false, "\n\nlet v = 1\nreturn v", 0},
		{"leading spaces", "  foo();", false, "  return foo();", 0},
		{"postfix last", "let i = 0;\ni++", false, "let i = 0;\nreturn i++", 0},
		{"after a function declaration", "function f() { return 1 }\nf()", false, "function f() { return 1 }\nreturn f()", 0},
		{"after a block", "{ let a = 1 }\n(2)", false, "{ let a = 1 }\nreturn (2)", 0},
		{"after regexp", "let r = /x/g\nr.source", false, "let r = /x/g\nreturn r.source", 0},
		{"after escaped identifier", "let \\u0061b = 1;\n(ab)", false, "let \\u0061b = 1;\nreturn (ab)", 0},
		{"tagged template last", "let t = String.raw\nt`x`", false, "let t = String.raw\nreturn t`x`", 0},
		{"async arrow last", "const v = 1;\nasync () => v", false, "const v = 1;\nreturn async () => v", 0},
		{"parenthesized async function last", "const v = 1;\n(async function() { return v })", false, "const v = 1;\nreturn (async function() { return v })", 0},
		{"let as an identifier before the last", "let\n0", false, "let\n;return 0", 0},
		{"at the start after a let identifier", "let\n0;", false, "let\n;return 0;", 0},
		{"after a statement ending in a block comment", "let a = 1 /* one */;\n/* two */ a", false, "let a = 1 /* one */;\n/* two */ return a", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Code{Source: tt.src, Pos: Pos{File: "ruleset.yaml", Line: 1, Column: 1}}
			if probs := Analyze(&c, CodeBody, "rules.X"); len(probs) > 0 {
				t.Fatalf("problems: %v", probs)
			}
			if c.Expression != tt.expression || c.Body != tt.body || c.BodyShift != tt.shift {
				t.Errorf("got expression=%v body=%q shift=%d\nwant expression=%v body=%q shift=%d", c.Expression, c.Body, c.BodyShift, tt.expression, tt.body, tt.shift)
			}
			if strings.Count(c.Body, "\n") != strings.Count(c.Source, "\n")+strings.Count(c.Body[:0], "\n") && !c.Expression {
				t.Errorf("body changed the line structure: %q", c.Body)
			}
		})
	}
}

// TestBodyRuns runs Body in goja, proving that the rewritten code computes what the author meant.
func TestBodyRuns(t *testing.T) {
	tests := []struct {
		src  string
		kind CodeKind
		want any
	}{
		{"1 + 2", CodeBody, int64(3)},
		{"const a = 20;\na + 1", CodeBody, int64(21)},
		{"let a = 1;\n((a), 2)", CodeBody, int64(2)},
		{"let a = 1; if (a) { a }", CodeBody, nil},
		{"return 7", CodeBody, int64(7)},
		{"[1, 2, 3].map(x => x * 2).join('-')", CodeBody, "2-4-6"},
		{"function sq(x) { return x * x }\nsq(4)", CodeBody, int64(16)},
		{"const tag = (s) => s[0] + '!';\ntag`hi`", CodeBody, "hi!"},
		{"let n = 2\n++n", CodeBody, int64(3)},
		{"a `quoted` ${1 + 1} and ${`nested ${'x'}`}", CodeTemplate, "a `quoted` 2 and nested x"},
		{"already \\`escaped\\` ${'ok'}", CodeTemplate, "already `escaped` ok"},
		{"cost: ${ {a: 5}.a }", CodeTemplate, "cost: 5"},
	}
	for _, tt := range tests {
		c := Code{Source: tt.src}
		if probs := Analyze(&c, tt.kind, "x"); len(probs) > 0 {
			t.Fatalf("%q: %v", tt.src, probs)
		}
		vm := goja.New()
		v, err := vm.RunString("(function(){" + c.Body + "\n})()")
		if err != nil {
			t.Fatalf("%q: body %q: %v", tt.src, c.Body, err)
		}
		if got := v.Export(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: body %q gave %#v, want %#v", tt.src, c.Body, got, tt.want)
		}
	}
}

func TestSyntaxErrorPositions(t *testing.T) {
	tests := []struct {
		name string
		code Code
		kind CodeKind
		want string // position
		msg  string // substring of the message
	}{
		{"plain scalar first line", Code{Source: "a + + ", Pos: Pos{File: "ruleset.yaml", Line: 10, Column: 17}}, CodeBody, "ruleset.yaml:10:22", "Unexpected end of input"},
		{"unexpected token", Code{Source: "a b", Pos: Pos{File: "ruleset.yaml", Line: 4, Column: 5}}, CodeBody, "ruleset.yaml:4:7", "Unexpected identifier"},
		{"block scalar later line", Code{Source: "let a = 1;\nlet b = ;\nreturn b", Pos: Pos{File: "ruleset.yaml", Line: 21, Column: 7}, Indent: 6}, CodeBody, "ruleset.yaml:22:15", "Unexpected token ;"},
		{"file", Code{Source: "const x = 1;\n\nreturn x +* 2;\n", File: "rules/x.js", Pos: Pos{File: "rules/x.js", Line: 1, Column: 1}}, CodeBody, "rules/x.js:3:11", "Unexpected token *"},
		{"stray brace escaping the wrapper", Code{Source: "1 }); evil(); (function(){ 2", Pos: Pos{File: "ruleset.yaml", Line: 3, Column: 5}}, CodeBody, "ruleset.yaml:3:7", "never opened"},
		{"template", Code{Source: "age ${AGE(x}", Pos: Pos{File: "ruleset.yaml", Line: 8, Column: 15}}, CodeTemplate, "ruleset.yaml:8:26", "syntax error"},
		{"template after escaped backtick", Code{Source: "`a` ${1 +}", Pos: Pos{File: "f", Line: 1, Column: 1}}, CodeTemplate, "f:1:10", "Unexpected token"},
		{"empty", Code{Source: "  ", Pos: Pos{File: "ruleset.yaml", Line: 2, Column: 9}}, CodeBody, "ruleset.yaml:2:9", "empty"},
		{"non-ascii before the error counts characters", Code{Source: "'€€' +", Pos: Pos{File: "f", Line: 1, Column: 1}}, CodeBody, "f:1:7", "Unexpected end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.code
			probs := Analyze(&c, tt.kind, "rules.X.expression")
			if len(probs) != 1 {
				t.Fatalf("want 1 problem, got %v", probs)
			}
			p := probs[0]
			if p.Pos.String() != tt.want || !strings.Contains(p.Message, tt.msg) || p.Field != "rules.X.expression" {
				t.Errorf("got %s, want at %s containing %q", p, tt.want, tt.msg)
			}
			if c.Body != "" || c.Refs != nil {
				t.Errorf("analysis fields set on error: %+v", c)
			}
		})
	}
}

// TestReflectiveWalk checks the fallback for node types the scanner does not know: walking known nodes
// through it finds the same names as the typed walk.
func TestReflectiveWalk(t *testing.T) {
	for _, src := range []string{
		"a + b.c * d[e]",
		"f(g, ...h)",
		"i ? j : k",
		"({l, m: n})",
	} {
		prog, err := parseJS("(" + src + "\n)")
		if err != nil {
			t.Fatal(err)
		}
		e := prog.Body[0].(*ast.ExpressionStatement).Expression
		typed, _ := freeNames(func(s *scanner) { s.expr(e) })
		reflective, _ := freeNames(func(s *scanner) { s.reflectWalk(reflect.ValueOf(e).Elem(), 0) })
		if !slices.Equal(refNames(typed), refNames(reflective)) {
			t.Errorf("%q: typed %v, reflective %v", src, refNames(typed), refNames(reflective))
		}
	}
}

func TestEscapeTemplate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a `b`", "a \\`b\\`"},
		{"a \\`b", "a \\`b"},
		{"${`x`}", "${`x`}"},
		{"${ {a: '}'}.a } `", "${ {a: '}'}.a } \\`"},
		{"${ f(`${`deep`}`) } `", "${ f(`${`deep`}`) } \\`"},
		{"${ // } comment\n 1 } `", "${ // } comment\n 1 } \\`"},
		{"$`{", "$\\`{"},
		{"trailing \\", "trailing \\"},
		{"${ unclosed `", "${ unclosed `"},
	}
	for _, tt := range tests {
		if got, _ := escapeTemplate(tt.in); got != tt.want {
			t.Errorf("escapeTemplate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
