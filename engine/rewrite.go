package engine

import (
	"fmt"
	"strings"

	"github.com/kubusdev/kubus/rulesets"
)

// edit is one rewritten rule reference in a snippet body: on body line `line`, the text from column
// newStart (1-based, in the rewritten body) up to newEnd replaced origLen characters that started at
// column origStart. Columns of errors on that line are mapped back through it.
type edit struct {
	line               int
	newStart, newEnd   int
	origStart, origLen int
}

// rewriteRuleRefs rewrites every read of a rule's bare name in body into a read of its memo, so that
// reading a rule costs a closure read instead of a dynamic global lookup and an accessor call.
// Assignments to a rule's name are left alone (they fail at run time, as they should), and so is a
// body the analysis cannot parse (the global accessors still serve it).
func rewriteRuleRefs(body string, rules map[string]int) (string, []edit) {
	if len(rules) == 0 {
		return body, nil
	}
	uses, err := rulesets.FreeUses(body)
	if err != nil {
		return body, nil
	}
	var b strings.Builder
	var edits []edit
	last := 0
	line, lineStart := 1, 0 // in the original body
	shift := 0              // characters added so far on the current line
	for _, u := range uses {
		i, isRule := rules[u.Name]
		if !isRule || u.Target {
			continue
		}
		for nl := strings.IndexByte(body[lineStart:u.Offset], '\n'); nl >= 0; nl = strings.IndexByte(body[lineStart:u.Offset], '\n') {
			lineStart += nl + 1
			line++
			shift = 0
		}
		repl := fmt.Sprintf("(__s%d === __gen ? __v%d : __e%d())", i, i, i)
		if u.Shorthand {
			repl = u.Name + ": " + repl
		}
		b.WriteString(body[last:u.Offset])
		b.WriteString(repl)
		last = u.Offset + len(u.Name)
		origCol := u.Offset - lineStart + 1
		edits = append(edits, edit{line: line, newStart: origCol + shift, newEnd: origCol + shift + len(repl), origStart: origCol, origLen: len(u.Name)})
		shift += len(repl) - len(u.Name)
	}
	if edits == nil {
		return body, nil
	}
	b.WriteString(body[last:])
	out := b.String()
	if _, err := rulesets.FreeUses(out); err != nil {
		return body, nil // never make valid code invalid
	}
	return out, edits
}

// originalColumn maps a column on a body line of the rewritten body back to the author's column.
func originalColumn(edits []edit, line, col int) int {
	shift := 0
	for _, e := range edits {
		if e.line != line {
			continue
		}
		switch {
		case col < e.newStart:
			return col - shift
		case col < e.newEnd:
			return e.origStart
		}
		shift += (e.newEnd - e.newStart) - e.origLen
	}
	return col - shift
}
