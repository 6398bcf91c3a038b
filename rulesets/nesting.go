package rulesets

import (
	"unicode"
	"unicode/utf8"
)

// DefaultMaxCodeNesting is LoadOptions.MaxCodeNesting when it is zero.
const DefaultMaxCodeNesting = 1000

// The goja parser, this package's scanner and goja's compiler all recurse once per level of nesting,
// a few KiB of Go stack each: "((((…))))" ×100k took 256 MB of stack, "a=>a=>…" ×100k 40 s, and a Go
// stack overflow kills the process. codeNesting finds the depth from the text alone, before anything
// parses it.
//
// The measure is deliberately coarse and errs high: brackets count one level each, and so does every
// operator, keyword like `if` or `new`, and `.` within one expression, since any of them may make the
// parser recurse (a=b=c, !!!x, a?b:c?d:e, if (a) if (b), x=>y=>z). A `,` or `;` ends an expression,
// as does a line break that ends a statement (an operand at the end of one line and a name, number
// or string at the start of the next). Real code stays far below the limit; text made to nest does
// not.

// nestKind is what opened a nesting level.
type nestKind uint8

const (
	nestParen nestKind = iota
	nestCond           // the ( after if, for, while, with: its ) does not end an operand
	nestBracket
	nestBrace
	nestSubst // ${ in a template literal: its } resumes the template text
)

type nestLevel struct {
	kind  nestKind
	chain int // operators and keywords counted at this level since the last , or ;
}

// operatorKeywords nest like operators; the other keywords (return, const, ...) start something new.
var operatorKeywords = setOf("if", "else", "for", "while", "do", "with", "new", "typeof", "void",
	"delete", "await", "yield", "in", "instanceof", "case", "switch", "try", "catch", "finally",
	"class", "extends", "function")

// statementKeywords are the other words that are reserved in all code; a `/` after them starts a
// regular expression (or is a syntax error).
var statementKeywords = setOf("break", "const", "continue", "debugger", "default", "enum", "export",
	"import", "return", "throw", "var")

// valueKeywords end an operand like a name does.
var valueKeywords = setOf("this", "super", "null", "true", "false")

// codeNesting returns the offset of the first place where src nests deeper than limit, or -1.
func codeNesting(src string, limit int) int {
	off, _ := codeNestingWhy(src, limit)
	return off
}

// codeNestingWhy is codeNesting also saying whether the code was refused for an ambiguous `/` (see
// nester.raw) rather than for its depth.
func codeNestingWhy(src string, limit int) (off int, ambiguous bool) {
	n := &nester{src: src, limit: limit, ambiguousAt: -1}
	off = n.run()
	return off, off >= 0 && n.ambiguousAt == off
}

type nester struct {
	src      string
	limit    int
	stack    []nestLevel
	chain    int  // the chain of the top level (or of the outside when the stack is empty)
	depth    int  // len(stack) plus every chain: the measure
	operand  bool // the last token ended an operand (so `/` divides, and a line break may end a statement)
	lineEnd  bool // a line break since the last token
	afterDot bool
	condNext bool // the next ( is an if/for/while/with condition
	// ambiguous: a `/` here may start a regular expression or divide, depending on what only a parser
	// knows (after `}`, which may end a block or an object; after of, await, yield, which may be names).
	ambiguous bool
	// cont: the last token was of, await or yield, which a line break does not end
	cont        bool
	ambiguousAt int // where code was refused for an ambiguous `/`; -1 when it was not
}

func (n *nester) count() bool {
	n.chain++
	n.depth++
	return n.depth <= n.limit
}

func (n *nester) reset() {
	n.depth -= n.chain
	n.chain = 0
}

func (n *nester) push(k nestKind) {
	n.stack = append(n.stack, nestLevel{kind: k, chain: n.chain}) // the bracket itself was counted
	n.chain = 0
}

// pop closes the top level; it reports the kind closed (ok false when nothing was open).
func (n *nester) pop() (nestKind, bool) {
	if len(n.stack) == 0 {
		return 0, false
	}
	top := n.stack[len(n.stack)-1]
	n.stack = n.stack[:len(n.stack)-1]
	n.depth -= n.chain
	n.chain = top.chain
	return top.kind, true
}

func (n *nester) run() int {
	s := n.src
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\n' || c == '\r' || c == 0xe2 && (hasPrefixAt(s, i, "\u2028") || hasPrefixAt(s, i, "\u2029")):
			n.lineEnd = true
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
			continue
		case c == ' ' || c == '\t' || c == '\v' || c == '\f':
			i++
			continue
		case c == '/' && i+1 < len(s) && (s[i+1] == '/' || s[i+1] == '*'):
			j := skipSpaceAndComments(s, i)
			if j == i { // an unterminated comment: the parser reports it
				return -1
			}
			for k := i; k < j; k++ {
				if s[k] == '\n' {
					n.lineEnd = true
				}
			}
			i = j
			continue
		}
		start := i
		// A line break ends the expression when the next token could only start a new statement.
		startsOperand := c == '"' || c == '\'' || isDigit(c) || isIdentStart(s, i)
		if n.lineEnd && n.operand && !n.cont && startsOperand && !n.isOperatorKeyword(s, i) {
			n.reset()
		}
		n.lineEnd = false
		n.cont = false
		afterDot := n.afterDot
		n.afterDot = false
		ambiguous := n.ambiguous
		n.ambiguous = false
		switch {
		case c == '/' && ambiguous:
			if i = n.raw(s, i); i < 0 {
				return -i - 1
			}
		case c == '"' || c == '\'':
			i = skipString(s, i)
			n.operand = true
		case c == '`':
			i = n.template(s, i+1)
			if i < 0 {
				return start
			}
			n.operand = true
		case isDigit(c) || c == '.' && i+1 < len(s) && isDigit(s[i+1]):
			i = skipNumber(s, i)
			n.operand = true
		case isIdentStart(s, i):
			j := skipIdent(s, i)
			word := s[i:j]
			i = j
			switch {
			case !afterDot && (word == "of" || word == "await" || word == "yield"):
				// Names in some code, operators before an operand in other: count, and let a `/`
				// after them be read both ways.
				n.operand, n.ambiguous = true, true
				if !n.count() {
					return start
				}
			case afterDot || valueKeywords[word] || !operatorKeywords[word] && !statementKeywords[word]:
				// A name: in sloppy code that includes let, static, public, arguments, ...
				n.operand = true
			case operatorKeywords[word]:
				n.operand = false
				n.condNext = word == "if" || word == "for" || word == "while" || word == "with"
				if !n.count() {
					return start
				}
			default: // return, const, var, ...
				n.operand = false
			}
			n.cont = !afterDot && (word == "of" || word == "await" || word == "yield")
			continue
		case c == '/' && !n.operand:
			i = skipRegExp(s, i)
			n.operand = true
		case c == '(' || c == '[' || c == '{':
			if !n.count() {
				return start
			}
			k := nestBrace
			switch {
			case c == '(' && n.condNext:
				k = nestCond
			case c == '(':
				k = nestParen
			case c == '[':
				k = nestBracket
			}
			n.push(k)
			n.operand = false
			i++
		case c == ')' || c == ']' || c == '}':
			k, ok := n.pop()
			i++
			if ok && k == nestSubst {
				// Back in the template text that this substitution interrupted.
				i = n.template(s, i)
				if i < 0 {
					return start
				}
			}
			n.operand = !ok || k != nestCond
			n.ambiguous = c == '}' && (!ok || k != nestSubst)
		case c == ',' || c == ';':
			n.reset()
			n.operand = false
			i++
		default: // an operator or other punctuation
			w := punctuatorLen(s, i)
			n.afterDot = w == 1 && c == '.' || w == 2 && hasPrefixAt(s, i, "?.")
			if !n.count() {
				return start
			}
			// A postfix ++ or -- (after an operand) leaves an operand: a `/` after it divides.
			postfix := n.operand && (hasPrefixAt(s, i, "++") || hasPrefixAt(s, i, "--"))
			n.operand = postfix
			i += w
		}
		n.condNext = false
	}
	return -1
}

// raw reads the rest of the line from an ambiguous `/` at i so that neither reading can hide nesting
// from the measure. Read as a regular expression, the text up to the next `/` would be skipped; read as
// a division, strings and comments in it would be; either way a parser that reads it the other way
// sees code there. So every opening bracket and operator on the line counts and nothing is skipped or
// closed (which only errs high). A string or regular expression ends with its line, so the parser is
// back in code at the line break; a template literal or a block comment might not end, so the code is
// refused (ambiguousAt) rather than guessed at. It returns the offset of the line break, or -(offset+1)
// of the place the code is refused at.
func (n *nester) raw(s string, i int) int {
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\\':
			i += 2 // an escape, or a line continuation: the line goes on
			continue
		case c == '\n' || c == '\r' || c == 0xe2 && (hasPrefixAt(s, i, "\u2028") || hasPrefixAt(s, i, "\u2029")):
			// What the line ended in is not known: let the next `/` be read both ways, and a line
			// break not end the expression.
			n.operand, n.ambiguous = false, true
			return i
		case c == '`' || c == '/' && i+1 < len(s) && s[i+1] == '*':
			n.ambiguousAt = i
			return -i - 1
		case c == ' ' || c == '\t' || c == '"' || c == '\'' || c == ')' || c == ']' || c == '}':
			i++
			continue
		case isIdentStart(s, i) || isDigit(c):
			i = max(skipIdent(s, i), i+1)
			continue
		case c == '(' || c == '[' || c == '{':
			if !n.count() {
				return -i - 1
			}
			n.push(nestParen)
		default:
			if !n.count() {
				return -i - 1
			}
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return len(s)
}

// template scans template text from i (after a backtick, or after the } of a substitution) up to its
// closing backtick, or into a ${ substitution, which it opens. It returns the offset after what it
// read, or -1 when the nesting goes past the limit.
func (n *nester) template(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == '\\':
			i += 2
		case s[i] == '`':
			return i + 1
		case s[i] == '$' && i+1 < len(s) && s[i+1] == '{':
			if !n.count() {
				return -1
			}
			n.push(nestSubst)
			n.operand = false
			return i + 2
		default:
			i++
		}
	}
	return len(s)
}

// continuing are the words that continue what stands before a line break rather than start a new
// statement: `a\nin b`, `}\nelse if (…)` (else-if chains nest), `try {}\ncatch`, `do {}\nwhile`.
var continuing = setOf("in", "instanceof", "else", "catch", "finally", "while", "extends")

// isOperatorKeyword reports whether the word at i is one of continuing.
func (n *nester) isOperatorKeyword(s string, i int) bool {
	return continuing[s[i:skipIdent(s, i)]]
}

// punctuators are the operators of more than one character, longest first: each counts once.
var punctuators = []string{">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=",
	"=>", "==", "!=", "<=", ">=", "&&", "||", "??", "**", "++", "--", "<<", ">>", "+=", "-=", "*=",
	"/=", "%=", "&=", "|=", "^=", "?."}

// punctuatorLen is the length of the operator or punctuation at i.
func punctuatorLen(s string, i int) int {
	for _, p := range punctuators {
		if hasPrefixAt(s, i, p) && !(p == "?." && i+2 < len(s) && isDigit(s[i+2])) {
			return len(p)
		}
	}
	_, w := utf8.DecodeRuneInString(s[i:])
	return w
}

func hasPrefixAt(s string, i int, p string) bool { return len(s)-i >= len(p) && s[i:i+len(p)] == p }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(s string, i int) bool {
	c := s[i]
	if c == '$' || c == '_' || c == '\\' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
		return true
	}
	if c < utf8.RuneSelf {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r) || unicode.Is(unicode.Nl, r)
}

func skipIdent(s string, i int) int {
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\\': // \u0065 escapes
			i += 2
		case c == '$' || c == '_' || isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			i++
		case c >= utf8.RuneSelf:
			r, w := utf8.DecodeRuneInString(s[i:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.In(r, unicode.Nl, unicode.Mn, unicode.Mc, unicode.Pc) && r != '\u200c' && r != '\u200d' {
				return i
			}
			i += w
		default:
			return i
		}
	}
	return min(i, len(s))
}

func skipNumber(s string, i int) int {
	for i < len(s) {
		c := s[i]
		switch {
		case isDigit(c) || c == '.' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			i++
		case (c == '+' || c == '-') && (s[i-1] == 'e' || s[i-1] == 'E') && !hexNumber(s, i):
			i++
		default:
			return i
		}
	}
	return i
}

// hexNumber reports whether the number that s[i] is inside is hexadecimal, where e is a digit.
func hexNumber(s string, i int) bool {
	j := i
	for j > 0 && (isDigit(s[j-1]) || s[j-1] >= 'a' && s[j-1] <= 'z' || s[j-1] >= 'A' && s[j-1] <= 'Z' || s[j-1] == '_' || s[j-1] == '.') {
		j--
	}
	return len(s)-j > 1 && s[j] == '0' && (s[j+1] == 'x' || s[j+1] == 'X')
}

// skipString returns the offset after the string literal at i; strings end at a line break.
func skipString(s string, i int) int {
	q := s[i]
	i++
	for i < len(s) {
		switch s[i] {
		case '\\':
			i += 2
			continue
		case q:
			return i + 1
		case '\n', '\r':
			return i
		}
		i++
	}
	return len(s)
}

// skipRegExp returns the offset after the regular expression literal at i, with its flags.
func skipRegExp(s string, i int) int {
	i++
	class := false
	for i < len(s) {
		switch s[i] {
		case '\\':
			i += 2
			continue
		case '[':
			class = true
		case ']':
			class = false
		case '/':
			if !class {
				return skipIdent(s, i+1)
			}
		case '\n', '\r':
			return i
		}
		i++
	}
	return len(s)
}
