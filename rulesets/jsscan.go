package rulesets

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/parser"
)

// CodeKind says how Analyze reads a piece of code.
type CodeKind int

const (
	// CodeBody is one JS expression or a function body with statements: rules, functions, calculated
	// properties and alert conditions.
	CodeBody CodeKind = iota
	// CodeTemplate is the inside of a JS template literal, without the backticks: alert messages.
	CodeTemplate
)

// The wrappers put around a snippet to parse it. Offsets found in the wrapped text are mapped back by
// subtracting the prefix, so errors land on the author's own line and column.
const (
	exprPrefix = "("
	exprSuffix = "\n)"
	bodyPrefix = "(function(){"
	bodySuffix = "\n})"
	tmplPrefix = "(`"
	tmplSuffix = "`)"
	returnKw   = "return "
)

// Analyze fills the analysis fields of c (Expression, Body, BodyShift, Refs) from c.Source, so the engine
// compiles every kind of snippet the same way and knows which names it reads. A syntax error comes back
// as a Problem at its place in the author's files (through c.At), naming field.
func Analyze(c *Code, kind CodeKind, field string) []Problem {
	_, probs := analyzeCode(c, kind, field)
	return probs
}

// atOffset is the place in the author's files of a byte offset in c.Source. Columns count characters,
// as YAML positions and editors do.
func (c *Code) atOffset(off int) Pos {
	src := c.Source
	off = min(max(off, 0), len(src))
	line := 1 + strings.Count(src[:off], "\n")
	start := strings.LastIndexByte(src[:off], '\n') + 1
	return c.At(line, 1+utf8.RuneCountInString(src[start:off]))
}

// jsRef is one free name used by a snippet, at the byte offset of its first use in the snippet's source.
type jsRef struct {
	name string
	off  int
}

type analysis struct {
	expression bool
	body       string
	shift      int
	refs       []jsRef // first uses, in source order
}

type syntaxErr struct {
	off  int // byte offset in the source
	msg  string
	hint string
}

// analyzeSource parses src as the given kind of snippet and finds its free names, with the default
// nesting limit.
func analyzeSource(src string, kind CodeKind) (analysis, *syntaxErr) {
	return analyzeSourceNested(src, kind, DefaultMaxCodeNesting)
}

// analyzeSourceNested is analyzeSource refusing code that nests deeper than maxNesting (see
// codeNesting) before it is parsed.
func analyzeSourceNested(src string, kind CodeKind, maxNesting int) (analysis, *syntaxErr) {
	if !utf8.ValidString(src) {
		return analysis{}, &syntaxErr{off: firstInvalidUTF8(src), msg: "the code is not valid UTF-8", hint: "save the file as UTF-8"}
	}
	if kind == CodeTemplate {
		return analyzeTemplate(src, maxNesting)
	}
	if off, amb := codeNestingWhy(src, maxNesting); off >= 0 {
		return analysis{}, nestingErr(off, amb, src, maxNesting)
	}
	if strings.TrimSpace(src) == "" {
		return analysis{}, &syntaxErr{msg: "the code is empty", hint: "write a JavaScript expression, or statements that return a value"}
	}

	// One expression? Parsing it in parentheses rejects statements, and what parsed is exactly what the
	// Body will run, so nothing can slip past the check.
	w := exprPrefix + src + exprSuffix
	if prog, err := parseJS(w); err == nil && len(prog.Body) == 1 {
		if es, ok := prog.Body[0].(*ast.ExpressionStatement); ok {
			refs, refused := freeNames(func(s *scanner) { s.expr(es.Expression) })
			if len(refused) > 0 {
				return analysis{}, refusedErr(refused[0], len(exprPrefix))
			}
			return analysis{
				expression: true,
				body:       returnKw + exprPrefix + src + exprSuffix + ";",
				shift:      len(returnKw) + len(exprPrefix),
				refs:       shiftRefs(refs, len(exprPrefix)),
			}, nil
		}
	}

	// A function body.
	w = bodyPrefix + src + bodySuffix
	prog, err := parseJS(w)
	if err != nil {
		off, msg := errorOffset(w, err)
		off -= len(bodyPrefix)
		if off >= len(src) {
			// The parser tripped over the wrapper's closing "}": the snippet itself ended too early.
			// Point at its last character rather than past its final newline.
			msg = "Unexpected end of input"
			off = len(strings.TrimRight(src, " \t\r\n"))
		}
		return analysis{}, &syntaxErr{off: clampOff(off, src), msg: "syntax error: " + msg, hint: "fix the JavaScript at this place"}
	}
	fl := wrappedFunction(prog, w)
	if fl == nil {
		// The snippet closed the wrapper function itself ("}); x(); (function(){"): it would escape the
		// scope the engine runs it in.
		return analysis{}, &syntaxErr{off: strayBrace(prog, w) - len(bodyPrefix), msg: "syntax error: this `}` closes a block that was never opened", hint: "remove it, or add the matching `{`"}
	}
	refs, refused := freeNames(func(s *scanner) { s.functionBody(fl) })
	if len(refused) > 0 {
		return analysis{}, refusedErr(refused[0], len(bodyPrefix))
	}
	a := analysis{body: src, refs: shiftRefs(refs, len(bodyPrefix))}

	// A body without `return` yields the value of its last expression statement.
	list := fl.Body.List
	for len(list) > 0 {
		if _, ok := list[len(list)-1].(*ast.EmptyStatement); !ok {
			break
		}
		list = list[:len(list)-1]
	}
	if len(list) == 0 {
		return a, nil
	}
	last, ok := list[len(list)-1].(*ast.ExpressionStatement)
	if !ok {
		return a, nil
	}
	// Put `return` where the last statement starts: at the first token after the previous statement.
	// Node end positions are not always exact, so the place found by starting from the expression
	// (stepping back over parentheses the parser dropped) is the fallback; a re-parse decides.
	lo := len(bodyPrefix)
	if len(list) > 1 {
		lo = int(list[len(list)-2].Idx1()) - 1
	}
	// A ";" before it ends a previous statement the parser would otherwise continue into the return
	// ("let\nreturn x" reads as a broken declaration).
	exprAt := int(last.Expression.Idx0()) - 1
	statements := countStatements(fl.Body.List)
	for _, kw := range []string{returnKw, ";" + returnKw} {
		for _, at := range []int{skipSeparators(w, lo), statementStart(w, lo, exprAt)} {
			at -= len(bodyPrefix)
			if at < 0 || at > len(src) {
				continue
			}
			body := src[:at] + kw + src[at:]
			if endsWithReturn(body, statements) {
				a.body = body
				if at == 0 {
					a.shift = len(kw)
				}
				return a, nil
			}
		}
	}
	return analysis{}, &syntaxErr{off: exprAt - len(bodyPrefix), msg: "cannot find where the final expression statement starts", hint: "put `return` before it"}
}

// analyzeTemplate reads src as the inside of a template literal. Backticks the author did not escape
// are escaped, since the author never wrote the enclosing ones.
func analyzeTemplate(src string, maxNesting int) (analysis, *syntaxErr) {
	esc, inserted := escapeTemplate(src)
	toSrc := func(wOff int) int {
		off := wOff - len(tmplPrefix)
		n := 0
		for _, i := range inserted {
			if i+n < off {
				n++
			}
		}
		return off - n
	}
	w := tmplPrefix + esc + tmplSuffix
	if off, amb := codeNestingWhy(w, maxNesting+1); off >= 0 { // +1: the wrapper's parenthesis
		return analysis{}, nestingErr(clampOff(toSrc(off), src), amb, src, maxNesting)
	}
	prog, err := parseJS(w)
	if err != nil {
		off, msg := errorOffset(w, err)
		if off-len(tmplPrefix) >= len(esc) {
			msg = "Unexpected end of input"
			off = len(tmplPrefix) + len(esc)
		}
		return analysis{}, &syntaxErr{off: clampOff(toSrc(off), src), msg: "syntax error in message template: " + msg, hint: "a message is a JS template literal: text with ${expression} parts"}
	}
	var tl *ast.TemplateLiteral
	if len(prog.Body) == 1 {
		if es, ok := prog.Body[0].(*ast.ExpressionStatement); ok {
			if t, ok := es.Expression.(*ast.TemplateLiteral); ok && t.Tag == nil && int(t.OpenQuote)-1 == 1 && int(t.CloseQuote)-1 == len(w)-2 {
				tl = t
			}
		}
	}
	if tl == nil {
		return analysis{}, &syntaxErr{msg: "the message is not one template literal", hint: "escape backticks inside ${...} as \\`"}
	}
	refs, refused := freeNames(func(s *scanner) {
		for _, e := range tl.Expressions {
			s.expr(e)
		}
	})
	if len(refused) > 0 {
		r := refused[0]
		r.off = toSrc(r.off)
		return analysis{}, refusedErr(r, 0)
	}
	for i := range refs {
		refs[i].off = toSrc(refs[i].off)
	}
	return analysis{body: returnKw + "`" + esc + "`;", shift: len(returnKw) + 1, refs: refs}, nil
}

func nestingErr(off int, ambiguous bool, src string, limit int) *syntaxErr {
	if ambiguous {
		return &syntaxErr{off: clampOff(off, src), msg: "cannot tell whether the `/` before this on the line starts a regular expression or divides", hint: "put the regular expression or the division in parentheses, or start a new line"}
	}
	return &syntaxErr{off: clampOff(off, src), msg: fmt.Sprintf("the code nests more than %d levels deep (brackets, operators and statements within one expression; limit LoadOptions.MaxCodeNesting)", limit), hint: "split it into smaller functions or rules"}
}

// parseJS parses a whole program. The parser is not expected to panic, but a ruleset must never take the
// host down, so a panic becomes a syntax error.
func parseJS(src string) (prog *ast.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			prog, err = nil, fmt.Errorf("cannot parse: %v", r)
		}
	}()
	return parser.ParseFile(nil, "", src, 0, parser.WithDisableSourceMaps)
}

// errorOffset is the byte offset in src and the message of the first error of a parse.
func errorOffset(src string, err error) (int, string) {
	var e *parser.Error
	switch v := err.(type) {
	case parser.ErrorList:
		if len(v) > 0 {
			e = v[0]
		}
	case *parser.Error:
		e = v
	}
	if e == nil {
		return 0, err.Error()
	}
	line, col := e.Position.Line, e.Position.Column
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(src[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
	}
	return min(off+max(col-1, 0), len(src)), e.Message
}

func clampOff(off int, src string) int { return min(max(off, 0), len(src)) }

func firstInvalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n <= 1 {
				return i
			}
		}
	}
	return 0
}

func shiftRefs(refs []jsRef, by int) []jsRef {
	for i := range refs {
		refs[i].off -= by
	}
	return refs
}

// wrappedFunction returns the wrapper function when the program is exactly it: the snippet's braces
// balance, so its statements stay inside the function.
func wrappedFunction(prog *ast.Program, w string) *ast.FunctionLiteral {
	if len(prog.Body) != 1 {
		return nil
	}
	es, ok := prog.Body[0].(*ast.ExpressionStatement)
	if !ok {
		return nil
	}
	fl, ok := es.Expression.(*ast.FunctionLiteral)
	if !ok || fl.Body == nil {
		return nil
	}
	if int(fl.Body.LeftBrace)-1 != len(bodyPrefix)-1 || int(fl.Body.RightBrace)-1 != len(w)-2 {
		return nil
	}
	return fl
}

// strayBrace is where the wrapper function's body ended early: at the brace that closed it.
func strayBrace(prog *ast.Program, w string) int {
	if len(prog.Body) > 0 {
		if es, ok := prog.Body[0].(*ast.ExpressionStatement); ok {
			if fl, ok := es.Expression.(*ast.FunctionLiteral); ok && fl.Body != nil {
				return int(fl.Body.RightBrace) - 1
			}
		}
	}
	return len(bodyPrefix)
}

// statementStart finds where the expression statement whose expression starts at exprAt begins: the
// parser drops the parentheses around an expression, so "(a, b)" starts before a. lo is the end of the
// previous statement. It returns -1 when no place fits.
func statementStart(w string, lo, exprAt int) int {
	lo = min(max(lo, 0), exprAt)
	for p := lo; p <= exprAt; p++ {
		if onlyParensAndSpace(w[p:exprAt]) {
			// Skip leading blanks and comments: `return` must stand on the line of the expression.
			for p < exprAt {
				if q := skipSpaceAndComments(w, p); q > p {
					p = q
					continue
				}
				break
			}
			return p
		}
	}
	return -1
}

// onlyParensAndSpace reports whether s holds nothing but "(", white space and comments.
func onlyParensAndSpace(s string) bool {
	i := 0
	for i < len(s) {
		if s[i] == '(' {
			i++
			continue
		}
		j := skipSpaceAndComments(s, i)
		if j == i {
			return false
		}
		i = j
	}
	return true
}

// skipSpaceAndComments returns the offset after the white space or comment at i (i itself when none);
// an unterminated comment does not count.
func skipSpaceAndComments(s string, i int) int {
	switch {
	case i >= len(s):
		return i
	case s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\v' || s[i] == '\f':
		return i + 1
	case strings.HasPrefix(s[i:], "//"):
		if j := strings.IndexAny(s[i:], "\n\r"); j >= 0 {
			return i + j
		}
		return len(s)
	case strings.HasPrefix(s[i:], "/*"):
		if j := strings.Index(s[i+2:], "*/"); j >= 0 {
			return i + 2 + j + 2
		}
		return i
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	switch r {
	case '\u00a0', '\ufeff', '\u2028', '\u2029', '\u1680', '\u202f', '\u205f', '\u3000':
		return i + n
	}
	if r >= '\u2000' && r <= '\u200a' {
		return i + n
	}
	return i
}

// endsWithReturn checks a rewritten body: it must still be one function body with the same n
// statements (empty ones aside), the last of them the inserted return.
func endsWithReturn(body string, n int) bool {
	w := bodyPrefix + body + bodySuffix
	prog, err := parseJS(w)
	if err != nil {
		return false
	}
	fl := wrappedFunction(prog, w)
	if fl == nil || countStatements(fl.Body.List) != n {
		return false
	}
	list := fl.Body.List
	for len(list) > 0 {
		if _, ok := list[len(list)-1].(*ast.EmptyStatement); !ok {
			break
		}
		list = list[:len(list)-1]
	}
	if len(list) == 0 {
		return false
	}
	_, ok := list[len(list)-1].(*ast.ReturnStatement)
	return ok
}

// countStatements counts the statements that are not empty (a lone ";").
func countStatements(list []ast.Statement) int {
	n := 0
	for _, st := range list {
		if _, empty := st.(*ast.EmptyStatement); !empty {
			n++
		}
	}
	return n
}

// skipSeparators returns the offset of the first token at or after i: past white space, comments and
// the semicolons that end the previous statement.
func skipSeparators(s string, i int) int {
	i = min(max(i, 0), len(s))
	for i < len(s) {
		if s[i] == ';' {
			i++
			continue
		}
		j := skipSpaceAndComments(s, i)
		if j == i {
			break
		}
		i = j
	}
	return i
}

// escapeTemplate escapes the backticks of template text that the author did not escape, leaving those of
// templates nested inside ${...} alone. inserted holds the source offsets of the escaped backticks.
func escapeTemplate(src string) (string, []int) {
	var b strings.Builder
	var inserted []int
	i := 0
	for i < len(src) {
		switch c := src[i]; {
		case c == '\\':
			j := min(i+2, len(src))
			b.WriteString(src[i:j])
			i = j
		case c == '`':
			inserted = append(inserted, i)
			b.WriteString("\\`")
			i++
		case c == '$' && i+1 < len(src) && src[i+1] == '{':
			j := skipSubstitution(src, i+2, 0)
			b.WriteString(src[i:j])
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), inserted
}

// maxTemplateNesting bounds the recursion of the template scanner on hostile input.
const maxTemplateNesting = 64

// skipSubstitution returns the offset after the `}` that closes a ${ substitution whose expression starts
// at i, stepping over strings, comments and nested templates.
func skipSubstitution(src string, i, depth int) int {
	if depth > maxTemplateNesting {
		return len(src)
	}
	braces := 1
	for i < len(src) {
		switch src[i] {
		case '{':
			braces++
		case '}':
			braces--
			if braces == 0 {
				return i + 1
			}
		case '"', '\'':
			q := src[i]
			i++
			for i < len(src) && src[i] != q && src[i] != '\n' {
				if src[i] == '\\' {
					i++
				}
				i++
			}
		case '`':
			i = skipTemplate(src, i+1, depth+1)
			continue
		case '/':
			if j := skipSpaceAndComments(src, i); j > i {
				i = j
				continue
			}
		}
		i++
	}
	return len(src)
}

// skipTemplate returns the offset after the backtick that closes a template whose text starts at i.
func skipTemplate(src string, i, depth int) int {
	for i < len(src) {
		switch {
		case src[i] == '\\':
			i += 2
		case src[i] == '`':
			return i + 1
		case src[i] == '$' && i+1 < len(src) && src[i+1] == '{':
			i = skipSubstitution(src, i+2, depth)
		default:
			i++
		}
	}
	return len(src)
}
