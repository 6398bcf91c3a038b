package rulesets

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a ruleset, at the place in the author's own files where it can be fixed.
type Problem struct {
	Pos Pos
	// Field is the dotted path of what is wrong, e.g. "rules.InsuranceCosts.expression"; "" for the file itself.
	Field   string
	Message string
	// Hint says what to do about it; "" when the message says it all.
	Hint string
}

// String is the problem as one line: "ruleset.yaml:42:7: rules.X.expression: message (hint)", the form
// editors and CI logs turn into links.
func (p Problem) String() string {
	var b strings.Builder
	if s := p.Pos.String(); s != "" {
		b.WriteString(s)
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.Hint != "" {
		b.WriteString(" (")
		b.WriteString(p.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// LoadError carries every problem found while loading a ruleset, so an author fixes them in one pass
// instead of one run per mistake. Problems are sorted by file, line and column.
type LoadError struct {
	Problems []Problem
}

// Error lists the problems one per line, in Problem.String form.
func (e *LoadError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects problems while loading; nothing stops at the first one.
type problems struct {
	list []Problem
}

func (ps *problems) add(pos Pos, field, hint, format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	ps.list = append(ps.list, Problem{Pos: pos, Field: field, Message: msg, Hint: hint})
}

func (ps *problems) addProblem(p Problem) { ps.list = append(ps.list, p) }

// err sorts the problems and returns them as a *LoadError, or nil when there are none.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	list := slices.Clone(ps.list)
	slices.SortStableFunc(list, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
		)
	})
	// The same problem can be found along two paths (a name checked as input and as output key);
	// say it once.
	list = slices.CompactFunc(list, func(a, b Problem) bool { return a == b })
	return &LoadError{Problems: list}
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
var yamlAnchorRE = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)

// yamlProblem turns a yaml.v3 syntax error ("yaml: line 3: did not find expected key") into a Problem
// at that line. yaml.v3 leaves the line out for errors on the first line, and for a few errors it has
// no position for at all; those get line 1, or the first use of the anchor for an unknown anchor.
func yamlProblem(file string, src []byte, err error) Problem {
	msg := err.Error()
	pos := Pos{File: file, Line: 1}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			pos.Line = n
			if isYAMLParserError(m[2]) {
				pos.Line++ // yaml.v3 adds 1 to scanner error lines only: parser errors come 0-based
			}
		}
		msg = m[2]
	} else {
		if m := yamlAnchorRE.FindStringSubmatch(msg); m != nil {
			if i := strings.Index(string(src), "*"+m[1]); i >= 0 {
				pos = offsetPos(file, string(src), i)
			}
		}
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	return Problem{Pos: pos, Message: "invalid YAML: " + msg, Hint: "fix the syntax at this line; quote values that contain `: ` or start with a special character"}
}

// isYAMLParserError tells libyaml's parser errors (whose marks yaml.v3 reports 0-based) from its
// scanner errors (reported 1-based), by the parser's fixed messages.
func isYAMLParserError(msg string) bool {
	for _, p := range []string{"did not find expected", "found duplicate %", "found incompatible YAML document", "found undefined tag handle"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// offsetPos is the line and (character) column of a byte offset in src.
func offsetPos(file, src string, off int) Pos {
	off = min(max(off, 0), len(src))
	line := 1 + strings.Count(src[:off], "\n")
	start := strings.LastIndexByte(src[:off], '\n') + 1
	return Pos{File: file, Line: line, Column: 1 + len([]rune(src[start:off]))}
}
