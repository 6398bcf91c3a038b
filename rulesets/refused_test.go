package rulesets

import (
	"strings"
	"testing"
)

func TestRefusedNames(t *testing.T) {
	const evalMsg, bigMsg = "eval is not available in rule code", "BigInt is not available in rule code (Kubus numbers are doubles)"
	tests := []struct {
		name string
		kind CodeKind
		src  string
		want string // "" when the code is fine
		off  int    // byte offset of the refused name in src
	}{
		{"direct eval", CodeBody, `eval("1 + 1")`, evalMsg, 0},
		{"eval as a value", CodeBody, `const f = [eval][0]; f("1")`, evalMsg, 11},
		{"eval in a statement body", CodeBody, "let x = 1;\nreturn eval('x')", evalMsg, 18},
		{"eval declared", CodeBody, "var eval = 1; eval", evalMsg, 4},
		{"eval as a parameter", CodeBody, "(eval => eval)(1)", evalMsg, 1},
		{"eval as a function name", CodeBody, "function eval() {} return 1", evalMsg, 9},
		{"eval shorthand property", CodeBody, "({eval})", evalMsg, 2},
		{"eval destructured", CodeBody, "const {eval} = Obj; 1", evalMsg, 7},
		{"eval with a unicode escape", CodeBody, `\u0065val("1")`, evalMsg, 0},
		{"eval in a message", CodeTemplate, "total ${eval('1')}", evalMsg, 8},
		{"eval in a nested template", CodeTemplate, "a ${`b ${eval}`}", evalMsg, 9},
		{"eval as a property name is fine", CodeBody, "({eval: 1}).eval + Obj.eval", "", 0},
		{"eval in a string is fine", CodeBody, `"eval" + 'eval(1)' + /eval/.source`, "", 0},
		{"eval in a comment is fine", CodeBody, "// eval\n1 /* eval */", "", 0},
		{"evaluate is fine", CodeBody, "evaluate + Evaluation", "", 0},
		{"eval method name is fine", CodeBody, "({eval() { return 1 }}).eval()", "", 0},
		{"bigint literal", CodeBody, "2n ** 8000000000n", bigMsg, 0},
		{"hex bigint literal", CodeBody, "1 + 0x1fn", bigMsg, 4},
		{"bigint literal in a message", CodeTemplate, "x ${1n}", bigMsg, 4},
		{"BigInt call", CodeBody, "BigInt(3) ** BigInt(2)", bigMsg, 0},
		{"BigInt64Array", CodeBody, "new BigInt64Array(2)", bigMsg, 4},
		{"BigUint64Array", CodeBody, "new BigUint64Array(2)", bigMsg, 4},
		{"BigInt declared", CodeBody, "let BigInt = 2; BigInt", bigMsg, 4},
		{"BigInt as a property is fine", CodeBody, "Obj.BigInt + ({BigInt: 1}).BigInt", "", 0},
		{"plain numbers are fine", CodeBody, "1e3 + 0x1f + 0b1 + 1_000 + .5", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, serr := analyzeSource(tt.src, tt.kind)
			switch {
			case tt.want == "" && serr != nil:
				t.Fatalf("want no problem, got %+v", serr)
			case tt.want == "":
			case serr == nil:
				t.Fatalf("want %q", tt.want)
			case serr.msg != tt.want || serr.off != tt.off:
				t.Fatalf("got %q at %d, want %q at %d", serr.msg, serr.off, tt.want, tt.off)
			}
		})
	}
}

// TestRefusedNamesAtLoad checks that each kind of rule code reports a refused name at its place in
// the author's files.
func TestRefusedNamesAtLoad(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"ruleset.yaml": "name: x\n" +
			"entities:\n  P:\n    properties: {A: number}\n    calculated:\n      B: eval('A')\n" +
			"functions:\n  F:\n    body: return 1n\n" +
			"rules:\n  R: BigInt(1)\n  S: {file: rules/s.js}\n" +
			"alerts:\n  W: {level: info, when: eval, message: 'x ${BigInt}'}\n",
		"rules/s.js": "const a = 1;\nreturn eval('a')\n",
	})
	_, err := LoadDir(dir, &LoadOptions{Globals: testGlobals})
	got := strings.Join(problemsOf(t, err), "\n")
	for _, want := range []string{
		"ruleset.yaml:6:10: entities.P.calculated.B: eval is not available in rule code",
		"ruleset.yaml:9:18: functions.F.body: BigInt is not available in rule code (Kubus numbers are doubles) (drop the n suffix",
		"ruleset.yaml:11:6: rules.R: BigInt is not available in rule code",
		"ruleset.yaml:14:26: alerts.W.when: eval is not available in rule code",
		"ruleset.yaml:14:46: alerts.W.message: BigInt is not available in rule code",
		"rules/s.js:2:8: rules.S.file: eval is not available in rule code",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
}

// TestRefusedDeclaredNames refuses eval and BigInt as the names a ruleset declares: a parameter or
// property of that name would reach the generated code as a binding.
func TestRefusedDeclaredNames(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"ruleset.yaml": "name: x\n" +
			"inputs: {BigInt: number}\n" +
			"entities:\n  P:\n    properties: {eval: number}\n" +
			"functions:\n  F:\n    params: {BigUint64Array: number}\n    body: return 1\n",
	})
	_, err := LoadDir(dir, nil)
	got := strings.Join(problemsOf(t, err), "\n")
	for _, want := range []string{
		"ruleset.yaml:2:10: inputs.BigInt: BigInt is not available in rule code (Kubus numbers are doubles) (choose another name)",
		"ruleset.yaml:5:18: entities.P.properties.eval: eval is not available in rule code (choose another name)",
		"ruleset.yaml:8:14: functions.F.params.BigUint64Array: BigInt is not available in rule code",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
}
