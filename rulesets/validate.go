package rulesets

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// finish runs the checks that need the whole ruleset: names, defaults, code, references, testcases.
func (l *loader) finish() {
	l.checkNames()
	l.checkOutputs()
	l.checkDefaults()
	l.analyzeAll()
	if l.mainOK {
		l.checkUnknownNames()
		l.checkCycles()
		l.checkWorkflow()
	}
	l.checkTestcases()
}

var kindArticle = map[string]string{"input": "an input", "entity": "an entity", "constant": "a constant", "table": "a table", "function": "a function", "rule": "a rule"}

// checkNames checks the names in the shared scope: each a usable identifier, and each declared once.
// The later declaration (in the file) gets the problem.
func (l *loader) checkNames() {
	decls := slices.Clone(l.decls)
	slices.SortStableFunc(decls, func(a, b decl) int {
		return cmp.Or(cmp.Compare(a.pos.Line, b.pos.Line), cmp.Compare(a.pos.Column, b.pos.Column))
	})
	first := map[string]decl{}
	for _, d := range decls {
		if msg, hint := checkBindingName(d.name, l.opts.Globals); msg != "" {
			l.probs.add(d.pos, d.field, hint, "%s", msg)
			continue
		}
		if prev, dup := first[d.name]; dup {
			l.probs.add(d.pos, d.field, "inputs, constants, tables, functions, rules and entities share one scope: rename one",
				"`%s` is already declared as %s at %s", d.name, kindArticle[prev.kind], prev.pos)
			continue
		}
		first[d.name] = d
	}
}

// checkOutputs checks that no two rules or echoed inputs write the same output key.
func (l *loader) checkOutputs() {
	outs := slices.Clone(l.outputs)
	slices.SortStableFunc(outs, func(a, b outputKey) int {
		return cmp.Or(cmp.Compare(a.pos.Line, b.pos.Line), cmp.Compare(a.pos.Column, b.pos.Column))
	})
	first := map[string]outputKey{}
	for _, o := range outs {
		if o.key == "" {
			continue
		}
		if prev, dup := first[o.key]; dup {
			l.probs.add(o.pos, o.field, "rename one with `output: OtherName`", "output key `%s` is also written by %s", o.key, strings.TrimSuffix(prev.field, ".output"))
			continue
		}
		first[o.key] = o
	}
}

// checkDefaults checks every default against its declared type, now that every entity is known.
func (l *loader) checkDefaults() {
	for _, p := range l.defaults {
		if reason := l.fits(p.v, &p.t, 0); reason != "" {
			p.d.problem(p.n, p.field, "give a default of the declared type, or change the type", "the default does not fit type %s: %s", p.t.String(), reason)
		}
	}
}

// fits says why v does not fit t, or "" when it does. null fits every type: it is what an absent optional
// value is anyway.
func (l *loader) fits(v any, t *Type, depth int) string {
	if v == nil || t == nil || depth > maxDepth {
		return ""
	}
	switch t.Name {
	case "", TypeAny:
		return ""
	case TypeNumber:
		if _, ok := v.(float64); !ok {
			return "expected a number, got " + describe(v)
		}
	case TypeBoolean:
		if _, ok := v.(bool); !ok {
			return "expected true or false, got " + describe(v)
		}
	case TypeString:
		if _, ok := v.(string); !ok {
			return "expected text, got " + describe(v)
		}
	case TypeDate:
		s, ok := v.(string)
		if !ok {
			return "expected a date, got " + describe(v)
		}
		if !isDate(s) {
			return fmt.Sprintf("`%s` is not a date (YYYY-MM-DD or RFC 3339)", s)
		}
	case TypeEnum:
		s, ok := v.(string)
		if !ok || !slices.Contains(t.Values, s) {
			return fmt.Sprintf("expected one of %s, got %s", strings.Join(t.Values, ", "), describe(v))
		}
	case TypeArray:
		arr, ok := v.([]any)
		if !ok {
			return "expected a list, got " + describe(v)
		}
		for i, e := range arr {
			if r := l.fits(e, t.Of, depth+1); r != "" {
				return fmt.Sprintf("item %d: %s", i, r)
			}
		}
	default:
		en := l.entities[t.Name]
		if en == nil {
			return "" // the unknown type is reported where it is named
		}
		obj, ok := v.(*Object)
		if !ok {
			return fmt.Sprintf("expected a %s (a mapping), got %s", t.Name, describe(v))
		}
		for _, k := range obj.Keys {
			p := en.property(k)
			if p == nil {
				return fmt.Sprintf("`%s` is not a property of %s", k, en.Name)
			}
			if r := l.fits(obj.Values[k], &p.Type, depth+1); r != "" {
				return k + ": " + r
			}
		}
		for _, p := range en.Properties {
			if _, ok := obj.Values[p.Name]; p.Required && !ok {
				return fmt.Sprintf("the required property `%s` is missing", p.Name)
			}
		}
	}
	return ""
}

func (en *Entity) property(name string) *Property {
	for _, p := range en.Properties {
		if p.Name == name {
			return p
		}
	}
	return nil
}

func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprint(v)
	case float64:
		return fmt.Sprintf("the number %v", v)
	case string:
		return fmt.Sprintf("the text %q", v)
	case []any:
		return "a list"
	case *Object:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}

// isDate reports whether s is a date as inputs accept it: YYYY-MM-DD or RFC 3339.
func isDate(s string) bool {
	if _, err := time.Parse(time.DateOnly, s); err == nil {
		return true
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// analyzeAll analyzes every piece of code, reporting syntax errors.
func (l *loader) analyzeAll() {
	if l.declsBlown || l.snippetsBlown {
		return // refused already: do not parse thousands of snippets to say more
	}
	for _, ci := range l.codes {
		if n := int64(len(ci.code.Source)); n > l.lim.codeBytes {
			l.probs.add(ci.code.At(1, 1), ci.field, "split it into functions", "the code is %d bytes, longer than the limit of %d bytes (LoadOptions.MaxCodeBytes)", n, l.lim.codeBytes)
			continue
		}
		refs, probs := analyzeCodeNested(ci.code, ci.kind, ci.field, l.lim.codeNesting)
		for _, p := range probs {
			l.probs.addProblem(p)
		}
		ci.refs, ci.ok = refs, len(probs) == 0
	}
}

// analyzeCode is Analyze, also returning where each free name is first used.
func analyzeCode(c *Code, kind CodeKind, field string) ([]jsRef, []Problem) {
	return analyzeCodeNested(c, kind, field, DefaultMaxCodeNesting)
}

// analyzeCodeNested is analyzeCode with a nesting limit (LoadOptions.MaxCodeNesting).
func analyzeCodeNested(c *Code, kind CodeKind, field string, maxNesting int) ([]jsRef, []Problem) {
	a, serr := analyzeSourceNested(c.Source, kind, maxNesting)
	c.Expression, c.Body, c.BodyShift, c.Refs = false, "", 0, nil
	if serr != nil {
		return nil, []Problem{{Pos: c.atOffset(serr.off), Field: field, Message: serr.msg, Hint: serr.hint}}
	}
	c.Expression, c.Body, c.BodyShift = a.expression, a.body, a.shift
	for _, r := range a.refs {
		c.Refs = append(c.Refs, r.name)
	}
	return a.refs, nil
}

// checkUnknownNames reports names used in code that nothing declares. It needs to know the engine's
// built-ins, and the names of every library the ruleset uses.
func (l *loader) checkUnknownNames() {
	if l.opts.Globals == nil {
		return
	}
	known := map[string]bool{}
	for _, d := range l.decls {
		known[d.name] = true
	}
	if l.rs.Workflow != nil {
		// Every piece of code of a workflow ruleset may read the state and the Workflow module.
		known[NameState], known[NameWorkflow] = true, true
	}
	for _, name := range l.rs.Uses {
		lib := l.opts.Libraries[name]
		if lib == nil {
			return // its names cannot be known
		}
		for _, f := range lib.Functions {
			known[f.Name] = true
		}
		for _, c := range lib.Constants {
			known[c.Name] = true
		}
		for _, t := range lib.Tables {
			known[t.Name] = true
		}
	}
	var candidates []string
	for n := range known {
		candidates = append(candidates, n)
	}
	for n := range l.opts.Globals {
		candidates = append(candidates, n)
	}
	slices.Sort(candidates)
	for _, ci := range l.codes {
		if !ci.ok {
			continue
		}
		for _, r := range ci.refs {
			if known[r.name] || l.opts.Globals[r.name] || (jsGlobals[r.name] && !jsAbsent[r.name]) || slices.Contains(ci.scope, r.name) {
				continue
			}
			cands := append(slices.Clone(candidates), ci.scope...)
			hint := didYouMean(r.name, cands, "declare it as an input, constant, table, function or rule, or fix the spelling")
			if jsAbsent[r.name] {
				hint = "the JavaScript engine (goja) does not provide it"
			}
			l.probs.add(ci.code.atOffset(r.off), ci.field, hint, "unknown name `%s`", r.name)
		}
	}
}

// checkCycles reports rules that depend on their own value, directly or through other rules and
// functions, and calculated properties that do so within their entity. Functions calling each other
// are plain recursion and fine; a cycle is a problem once it passes through a rule.
func (l *loader) checkCycles() {
	rules := map[string]*Rule{}
	var order []string
	for _, r := range l.rs.Rules {
		rules[r.Name] = r
		order = append(order, r.Name)
	}
	edges := map[string][]string{}
	fns := map[string]bool{}
	for _, f := range l.rs.Functions {
		fns[f.Name] = true
	}
	deps := func(refs []string, shadow func(string) bool) []string {
		var out []string
		for _, n := range refs {
			if (rules[n] != nil || fns[n]) && !shadow(n) {
				out = append(out, n)
			}
		}
		return out
	}
	for _, r := range l.rs.Rules {
		edges[r.Name] = deps(r.Code.Refs, func(string) bool { return false })
	}
	for _, f := range l.rs.Functions {
		if rules[f.Name] != nil {
			continue // a name clash, reported already
		}
		edges[f.Name] = deps(f.Code.Refs, func(n string) bool {
			return slices.ContainsFunc(f.Params, func(p *Param) bool { return p.Name == n })
		})
		order = append(order, f.Name)
	}
	for _, cyc := range findCycles(order, edges, func(n string) bool { return rules[n] != nil }) {
		r := rules[cyc[0]]
		l.probs.add(r.Pos, "rules."+r.Name, "a rule cannot depend on its own value: break the cycle", "reference cycle: %s", strings.Join(cyc, " → "))
	}

	for _, en := range l.rs.Entities {
		calc := map[string]*Calculated{}
		var names []string
		for _, c := range en.Calculated {
			calc[c.Name] = c
			names = append(names, c.Name)
		}
		edges := map[string][]string{}
		for _, c := range en.Calculated {
			for _, n := range c.Code.Refs {
				if calc[n] != nil {
					edges[c.Name] = append(edges[c.Name], n)
				}
			}
		}
		for _, cyc := range findCycles(names, edges, func(string) bool { return true }) {
			c := calc[cyc[0]]
			l.probs.add(c.Pos, "entities."+en.Name+".calculated."+c.Name, "a calculated property cannot depend on its own value: break the cycle", "reference cycle: %s", strings.Join(cyc, " → "))
		}
	}
}

// findCycles finds, for each strongly connected group of nodes that contains a root and a cycle, one
// shortest cycle starting and ending at its first root in order. order lists every node.
func findCycles(order []string, edges map[string][]string, isRoot func(string) bool) [][]string {
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	comp := map[string]int{}
	ncomp := 0
	next := 0
	var strong func(v string)
	strong = func(v string) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range edges[v] {
			if _, seen := index[w]; !seen {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp[w] = ncomp
				if w == v {
					break
				}
			}
			ncomp++
		}
	}
	for _, v := range order {
		if _, seen := index[v]; !seen {
			strong(v)
		}
	}

	var out [][]string
	done := map[int]bool{}
	for _, v := range order {
		c := comp[v]
		if done[c] || !isRoot(v) {
			continue
		}
		// Shortest path from v back to v within its component.
		prev := map[string]string{}
		queue := []string{v}
		found := false
		for len(queue) > 0 && !found {
			u := queue[0]
			queue = queue[1:]
			for _, w := range edges[u] {
				if comp[w] != c {
					continue
				}
				if w == v {
					prev[v] = u
					found = true
					break
				}
				if _, seen := prev[w]; !seen {
					prev[w] = u
					queue = append(queue, w)
				}
			}
		}
		if !found {
			continue
		}
		done[c] = true
		path := []string{v}
		for u := prev[v]; u != v; u = prev[u] {
			path = append(path, u)
		}
		slices.Reverse(path[1:])
		out = append(out, append(path, v))
	}
	return out
}

// checkTestcases checks testcase names, and that expectations name real outputs and alerts.
func (l *loader) checkTestcases() {
	first := map[string]*Testcase{}
	for _, info := range l.tcs {
		tc := info.tc
		if tc.Name == "" {
			continue
		}
		if prev := first[tc.Name]; prev != nil {
			l.probs.add(tc.Pos, info.field+".name", "give each testcase its own name", "duplicate testcase name (first at %s)", prev.Pos)
			continue
		}
		first[tc.Name] = tc
	}
	if !l.mainOK {
		return
	}
	outputs := map[string]bool{}
	var outList []string
	for _, r := range l.rs.Rules {
		if r.Output {
			outputs[r.OutputName] = true
			outList = append(outList, r.OutputName)
		}
	}
	for _, in := range l.rs.Inputs {
		if in.Output {
			outputs[in.Name] = true
			outList = append(outList, in.Name)
		}
	}
	alerts := map[string]bool{}
	var alertList []string
	for _, a := range l.rs.Alerts {
		alerts[a.Name] = true
		alertList = append(alertList, a.Name)
	}
	for _, info := range l.tcs {
		l.checkTestSteps(info)
		for _, e := range info.outKeys {
			if outputs[e.Key] {
				continue
			}
			hint := didYouMean(e.Key, outList, "")
			if hint == "" {
				if r := l.rule(e.Key); r != nil && !r.Output {
					hint = "rule " + e.Key + " has output: false; it is not in the output"
				} else if r != nil {
					hint = "rule " + e.Key + " is in the output as " + r.OutputName
				} else if len(outList) > 0 {
					hint = "the outputs are: " + strings.Join(outList, ", ")
				} else {
					hint = "this ruleset has no outputs"
				}
			}
			info.d.problem(e.K, info.field+".expect.output", hint, "`%s` is not an output of this ruleset", e.Key)
		}
		for _, a := range info.alerts {
			if alerts[a.Value] {
				continue
			}
			hint := "declare it under alerts"
			if len(alertList) > 0 {
				hint = didYouMean(a.Value, alertList, "the alerts are: "+strings.Join(alertList, ", "))
			}
			info.d.problem(a, info.field+".expect.alerts", hint, "`%s` is not an alert of this ruleset", a.Value)
		}
	}
}

func (l *loader) rule(name string) *Rule {
	for _, r := range l.rs.Rules {
		if r.Name == name {
			return r
		}
	}
	return nil
}
