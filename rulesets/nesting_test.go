package rulesets

import (
	"strings"
	"testing"
	"time"
)

func TestCodeNesting(t *testing.T) {
	const n = 200_000 // far past the limit: each case must stop at it, fast
	r := strings.Repeat
	deep := []struct{ name, src string }{
		{"parentheses", r("(", n) + "1" + r(")", n)},
		{"arrays", r("[", n) + r("]", n)},
		{"objects", r("({a:", n) + "1" + r("})", n)},
		{"not", r("!", n) + "1"},
		{"unary minus", r("- ", n) + "1"},
		{"assignment chain", r("a=", n) + "1"},
		{"assignment chain over lines", r("a\n=", n) + "1"},
		{"conditional chain", r("a?b:", n) + "1"},
		{"arrows", r("a=>", n) + "1"},
		{"exponent chain", r("a**", n) + "1"},
		{"if chain", r("if(a)\n", n) + "1"},
		{"else if chain", "if (a) {}" + r(" else if (a) {}", n)},
		{"else if chain over lines", "if (a) {\n}" + r("\nelse if (a) {\n}", n)},
		{"nested functions", r("function f(){", n) + r("}", n)},
		{"template substitutions", r("`${", n) + r("}`", n)},
		{"long sum", r("1+", n) + "1"},
		{"member chain", "a" + r(".b", n)},
		{"call chain", "a" + r("()", n)},
		{"new chain", r("new ", n) + "A"},
		{"typeof chain", r("typeof ", n) + "a"},
		{"nesting hidden after a property named return", "a.return/" + r("(", n) + "1" + r(")", n) + "/2"},
		{"nesting after a closing brace", "x = {} / " + r("(", n) + "1" + r(")", n)},
		// Text that reads as a string, a comment or a regular expression one way and as code the other.
		{"a string after a block hides nothing", `if (a) {} /"/.test(s); ` + r("(", n) + "1" + r(")", n) + ` //"`},
		{"a regexp after an object hides nothing", "x = {} / " + r("(", n) + "1" + r(")", n) + " / 2"},
		{"a comment in a regexp after a block", `if (a) {} /[/*]/; ` + r("(", n) + "1" + r(")", n) + " /*/"},
		{"a template in a regexp after a block", "if (a) {} /`/; " + r("(", n) + "1" + r(")", n) + " /`/"},
		{"a line continuation in a string after a block", "if (a) {} /\"\\\n" + r("(", n) + "1" + r(")", n) + `"/`},
		{"a regexp after a postfix increment", "a++/" + r("(", n) + "1" + r(")", n) + "/1"},
		{"a regexp after await as a name", "await/" + r("(", n) + "1" + r(")", n) + "/1"},
		{"a regexp after of as a name", "of/" + r("(", n) + "1" + r(")", n) + "/1"},
		{"a regexp after arguments", "arguments/" + r("(", n) + "1" + r(")", n) + "/1"},
		{"a regexp after public as a name", "public/" + r("(", n) + "1" + r(")", n) + "/1"},
		{"await chains across lines", r("a = a = a = a = a = a = a = a = await\n'x' ? b : c = ", n/10) + "1"},
		{"a regexp after let as a name", "let/" + r("(", n) + "1" + r(")", n) + "/1"},
	}
	for _, tt := range deep {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, serr := analyzeSource(tt.src, CodeBody)
			refused := serr != nil && (strings.Contains(serr.msg, "nests more than 1000 levels deep") && strings.Contains(serr.msg, "LoadOptions.MaxCodeNesting") ||
				strings.HasPrefix(serr.msg, "cannot tell whether the `/`"))
			if !refused {
				t.Fatalf("want the nesting limit, got %+v", serr)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
	t.Run("message template", func(t *testing.T) {
		_, serr := analyzeSource("x ${"+r("(", n)+"1"+r(")", n)+"}", CodeTemplate)
		if serr == nil || !strings.Contains(serr.msg, "nests more than") || serr.off != 4+DefaultMaxCodeNesting-1 {
			t.Fatalf("want the nesting limit at %d, got %+v", 4+DefaultMaxCodeNesting-1, serr)
		}
	})

	// Code as people write it stays far below the limit, however long.
	fine := []struct {
		name  string
		src   string
		below int
	}{
		{"statements without semicolons", r("a = b + c * d\n", 5000) + "a", 10},
		{"statements with semicolons", r("a = b ? c : d;", 5000) + "a", 10},
		{"a long array", "[" + r("[1, 2, {a: 3}],\n", 20000) + "]", 10},
		{"a long object", "({" + r("k: f(a.b, c[d]),\n", 20000) + "})", 10},
		{"sequential ifs", r("if (a) { b = 1 } else if (c) { b = 2 }\n", 2000) + "b", 20},
		{"sequential ifs without braces", r("if (a) b = 1\n", 2000) + "b", 20},
		{"functions", r("function f(x) { return x.map(y => y * 2).filter(z => z > 1) }\n", 2000) + "f", 20},
		{"strings and regexps hide brackets", r(`a = "((((" + '[[[[' + /\(\(\(/.source + `+"`"+`((((${"(("}`+"`"+`;`, 2000) + "a", 10},
		{"comments hide brackets", r("// ((((\n/* [[[[ */ a = 1;\n", 2000) + "a", 10},
		{"regexp after a keyword", r("if (a) return /((((/.test(b)\n", 2000) + "1", 10},
		{"division after an object", r("a = {b: 1}.b / 2 + {c: [1]}.c[0] / (3)\n", 2000) + "a", 10},
		// After `}` a `/` may divide or start a regular expression: such a line counts every bracket and
		// operator after it for good, so a few of them stay far below the limit.
		{"a regexp after a block", r("if (a) { b = 1 } /x(y)/.test(c) && d('e')\n", 50) + "1", DefaultMaxCodeNesting},
		{"postfix increments divide", r("i++ / 2 + j-- / (3);\n", 2000) + "i", 10},
		{"numbers with exponents", r("a = 1e+5 + 0x1e + 2.5e-3 + 1_000;\n", 2000) + "a", 10},
	}
	for _, tt := range fine {
		t.Run(tt.name, func(t *testing.T) {
			if off := codeNesting(tt.src, tt.below); off >= 0 {
				t.Fatalf("nests %d levels or more at offset %d: %q", tt.below, off, tt.src[max(off-40, 0):min(off+40, len(tt.src))])
			}
			if _, serr := analyzeSource(tt.src, CodeBody); serr != nil {
				t.Fatalf("want no problem, got %+v", serr)
			}
		})
	}
}
