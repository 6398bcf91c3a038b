package engine

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/rulesets"
)

// The generated program is one JS function, compiled once per ruleset version and run once per pooled
// runtime. Its closure holds the ruleset's scope:
//
//   - inputs are `var` bindings, reassigned at the start of every execution;
//   - constants, tables, functions and entity classes are `const` bindings to values hardened (deeply
//     frozen) when the runtime is set up, so no execution can change what the next one sees;
//   - each rule has a memo in closure variables (__sN state, __vN value) and an evaluator __eN that
//     runs it at most once per execution; references to rules in the author's code are rewritten to
//     `(__sN === __gen ? __vN : __eN())`, which keeps rules lazy at the cost of a closure read. Rules
//     are also accessor properties on the (frozen) global object, for dynamic access.
//
// The function returns `run`, the single Go→JS call made per execution. Every author snippet starts
// on a line of its own, so a position in the generated program maps back to the author's file through
// the snippet table.

// snippet records where one piece of author code stands in the generated program.
type snippet struct {
	line    int // generated line of the snippet's first body line
	lines   int // number of lines of the body
	code    *rulesets.Code
	kind    string // rule, function, calculated, alert, message
	name    string // Rule name, Function name, Entity.Property, Alert name
	library string // the library ruleset it came from, "" for the ruleset itself
	edits   []edit // rewrites of rule references, to map columns back
}

// ruleName is how errors and raised alerts name the snippet's owner: a rule by its name, an alert
// (its condition or message) as "alert NAME"; "" for functions and calculated properties, whose
// caller is the one to name.
func (sn *snippet) ruleName() string {
	switch sn.kind {
	case "rule":
		return sn.name
	case "alert", "message":
		return "alert " + sn.name
	case "step":
		return "step " + sn.name
	}
	return ""
}

// compiled is the generated program and what the engine needs to read its results.
type compiled struct {
	program  *goja.Program
	source   string
	snippets []snippet

	inputs    []*rulesets.Input
	rules     []*rulesets.Rule
	outRules  []int    // indexes into rules of the output rules, in declared order
	echoed    []int    // indexes into inputs of the inputs echoed into the output
	order     []string // output keys in declared order (echoed inputs, then output rules); shared
	alerts    []*rulesets.Alert
	constants []*rulesets.Constant
	tables    []*rulesets.Table
	entities  map[string]*rulesets.Entity
	reads     [][]string       // per rule: the ruleset names it references (explain)
	deep      bool             // the ruleset has rules deeper than one level (deep.go)
	steps     []*rulesets.Step // a workflow's steps, in the order step() numbers them
}

// programName is the source name goja gives the generated program; stack frames carry it.
const programName = "kubus:ruleset"

type gen struct {
	b         strings.Builder
	line      int // current line (1-based) of the next write
	snippets  []snippet
	ruleIndex map[string]int // rule name → index, for rewriting references
}

func (g *gen) w(s string) {
	g.b.WriteString(s)
	g.line += strings.Count(s, "\n")
}

func (g *gen) wf(format string, args ...any) { g.w(fmt.Sprintf(format, args...)) }

// body writes an author snippet as the body of the function whose header was just written (the header
// must end with a newline), then closes it with `closing`.
func (g *gen) body(c *rulesets.Code, kind, name, library, closing string) {
	g.bodyText(c.Body, c, kind, name, library)
	g.w(closing)
}

// bodyText writes code for an author snippet on lines of its own (c.Body, or c.Body prepared by
// inlineExpression), with references to rules rewritten, and records where it stands.
func (g *gen) bodyText(text string, c *rulesets.Code, kind, name, library string) {
	body, edits := rewriteRuleRefs(text, g.ruleIndex)
	g.snippets = append(g.snippets, snippet{line: g.line, lines: strings.Count(body, "\n") + 1, code: c, kind: kind, name: name, library: library, edits: edits})
	g.w(body)
	g.w("\n")
}

// inlineExpression turns the body of a single-expression snippet, "return (EXPR\n);", into the
// statement "__r =  (EXPR\n);", which assigns the value where it stands. The prefix keeps its length,
// so every column maps back to the author's text as before.
func inlineExpression(c *rulesets.Code) (string, bool) {
	const ret, assign = "return (", "__r =  ("
	if !c.Expression || !strings.HasPrefix(c.Body, ret) {
		return "", false
	}
	return assign + c.Body[len(ret):], true
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// compile generates and compiles the program for a validated ruleset. libs are the library rulesets
// named in `uses`, whose constants, tables and functions join the scope.
//
// With explain, every rule evaluation also records its value and time; that instrumentation costs
// on every rule, so it is compiled into a separate variant used only when an execution asks for it.
func compile(rs *rulesets.Ruleset, libs []*rulesets.Ruleset, globals map[string]bool, explain bool) (*compiled, error) {
	c := &compiled{inputs: rs.Inputs, rules: rs.Rules, alerts: rs.Alerts, entities: map[string]*rulesets.Entity{}}
	// A workflow's state is an instance of an entity class of its own (rulesets.StateEntity).
	entityList := rs.Entities
	if rs.Workflow != nil {
		entityList = append(slices.Clone(rs.Entities), rs.Workflow.State)
	}
	g := &gen{line: 1, ruleIndex: map[string]int{}}
	for i, r := range rs.Rules {
		g.ruleIndex[r.Name] = i
	}
	// __gen numbers executions; a rule's state is __gen when done in this one and __busy (-__gen,
	// precomputed: computing it in every evaluator would allocate a number) from the start of its
	// evaluation until it returns, so a rule that threw stays busy; anything else: not yet evaluated.
	// Glue state and inputs are `var`s: goja checks the temporal dead zone on every closure read of
	// a let or const, and neither needs one (author code cannot reach the glue, and inputs are
	// reassigned at the start of every run). What an execution must not change stays `const`.
	g.w("(function (__k) {\n\"use strict\";\nvar __gen = 0, __busy = 0;\n")
	// The glue's own built-ins, bound once (the global Array is the guard proxy: slow to read through).
	g.w("var __Date = globalThis.Date, __isArray = globalThis.Array.isArray;\n")

	// Names already in scope, to refuse a library that brings a name the ruleset also declares.
	declared := map[string]string{}
	declare := func(name, what string) error {
		if prev, ok := declared[name]; ok {
			return fmt.Errorf("%s %s clashes with %s of the same name", what, name, prev)
		}
		declared[name] = what
		return nil
	}

	type part struct {
		rs   *rulesets.Ruleset
		from string
	}
	parts := []part{}
	for _, l := range libs {
		parts = append(parts, part{l, l.Name})
	}
	parts = append(parts, part{rs, ""})

	// Built-ins the code references are bound as closure constants: a bare global name is a
	// dynamic lookup on goja's global object (hundreds of ns), a closure read is not. They are
	// frozen, so binding them changes nothing an execution could observe.
	var bound []string
	seen := map[string]bool{}
	for _, code := range allCode(rs, libs) {
		for _, ref := range code.Refs {
			if !seen[ref] && bindable(ref, globals) {
				seen[ref] = true
				bound = append(bound, ref)
			}
		}
	}
	for _, name := range bound {
		g.wf("const %s = globalThis.%s;\n", name, name)
	}

	// Inputs: bindings reassigned by run().
	if len(rs.Inputs) > 0 {
		names := make([]string, len(rs.Inputs))
		for i, in := range rs.Inputs {
			if err := declare(in.Name, "input"); err != nil {
				return nil, err
			}
			names[i] = in.Name + " = null"
		}
		g.wf("var %s;\n", strings.Join(names, ", "))
	}

	// A workflow step sees its state, the answer or upload it resumes with, and the Workflow
	// module; step() assigns them, run() never does (they stay null in a plain execution).
	if rs.Workflow != nil {
		g.wf("var %s = null, %s = null, %s = null, %s = null;\n", rulesets.NameState, rulesets.NameAnswer, rulesets.NameUpload, rulesets.NameWorkflow)
	}

	// Constants and tables come from Go (already converted); the closure only binds them.
	for _, p := range parts {
		for _, k := range p.rs.Constants {
			if err := declare(k.Name, "constant"); err != nil {
				return nil, libErr(p.from, err)
			}
			g.wf("const %s = __k.constants[%d];\n", k.Name, len(c.constants))
			c.constants = append(c.constants, k)
		}
		for _, t := range p.rs.Tables {
			if err := declare(t.Name, "table"); err != nil {
				return nil, libErr(p.from, err)
			}
			g.wf("const %s = __k.tables[%d];\n", t.Name, len(c.tables))
			c.tables = append(c.tables, t)
		}
	}

	// Entity classes: declared properties are copied from the constructor argument (with defaults);
	// calculated properties are getters evaluated in the scope of the instance's properties.
	var entityNames []string
	for _, e := range entityList {
		if err := declare(e.Name, "entity"); err != nil {
			return nil, err
		}
		c.entities[e.Name] = e
		entityNames = append(entityNames, e.Name)
		calc := make([]string, len(e.Calculated))
		for i, cp := range e.Calculated {
			calc[i] = jsString(cp.Name)
		}
		g.wf("const __calc_%s = new Set([%s]);\n", e.Name, strings.Join(calc, ", "))
		g.wf("const %s = (class %s {\nconstructor(p) {\nif (p !== undefined && p !== null) { const ks = Object.keys(p); for (let i = 0; i < ks.length; i++) { const k = ks[i]; if (!__calc_%s.has(k)) this[k] = p[k]; } }\n", e.Name, e.Name, e.Name)
		for i, p := range e.Properties {
			def := "null"
			if p.HasDefault {
				def = fmt.Sprintf("__k.defaults[%s][%d]", jsString(e.Name), i)
			}
			g.wf("if (this.%s === undefined) this.%s = %s;\n", p.Name, p.Name, def)
		}
		// new Person({...}) checks the declared properties against their types.
		g.wf("__k.check(%s, this);\n}\n", jsString(e.Name))
		if e.Persisted {
			n := jsString(e.Name)
			g.wf("save() { return __k.save(%s, this); }\n", n)
			g.wf("delete() { return __k.del(%s, this); }\n", n)
			g.wf("static get(id) { return __k.get(%s, id); }\n", n)
			g.wf("static find(filter, options) { return __k.find(%s, filter, options); }\n", n)
			g.wf("static all() { return __k.find(%s); }\n", n)
			g.wf("static count(filter) { return __k.count(%s, filter); }\n", n)
		}
		members := map[string]bool{}
		for _, p := range e.Properties {
			members[p.Name] = true
		}
		for _, cp := range e.Calculated {
			members[cp.Name] = true
		}
		for _, cp := range e.Calculated {
			var locals []string
			for _, r := range cp.Code.Refs {
				if members[r] && r != cp.Name {
					locals = append(locals, fmt.Sprintf("%s = this.%s", r, r))
				}
			}
			g.wf("get %s() {", cp.Name)
			if len(locals) > 0 {
				g.wf(" const %s;", strings.Join(locals, ", "))
			}
			g.w("\n")
			g.body(&cp.Code, "calculated", e.Name+"."+cp.Name, "", "}\n")
		}
		g.w("});\n")
	}

	// Functions: const bindings, so an execution cannot replace one for the next.
	var funcNames []string
	for _, p := range parts {
		for _, f := range p.rs.Functions {
			if err := declare(f.Name, "function"); err != nil {
				return nil, libErr(p.from, err)
			}
			funcNames = append(funcNames, f.Name)
			params := make([]string, len(f.Params))
			for i, pa := range f.Params {
				params[i] = pa.Name
			}
			g.wf("const %s = function %s(%s) {\n", f.Name, f.Name, strings.Join(params, ", "))
			g.body(&f.Code, "function", f.Name, p.from, "};\n")
		}
	}

	// Rules: memo state in closure variables, the author's code, and an evaluator each.
	inlines := make([]string, len(rs.Rules))
	isInline := make([]bool, len(rs.Rules))
	for i, r := range rs.Rules {
		inlines[i], isInline[i] = inlineExpression(&r.Code)
	}
	deep := planDeep(rs.Rules, rs.Functions, isInline)
	if deep != nil {
		// A failed rule's state in this execution (see deep.go); run() sets it.
		g.w("var __failed = 0.5;\n")
		c.deep = true
	}
	var hardened []string
	for i, r := range rs.Rules {
		if err := declare(r.Name, "rule"); err != nil {
			return nil, err
		}
		if r.Output {
			c.outRules = append(c.outRules, i)
		}
		g.wf("var __s%d = 0, __v%d;\n", i, i)
		t0, trace := "", ""
		if explain {
			t0 = "__t0 = __ex === null ? 0 : __hr(), "
			trace = fmt.Sprintf("\n  if (__ex !== null) __trace(%d, __r, __t0);", i)
		}
		check := ""
		if cond := typeCond(r.Type); cond != "" {
			check = fmt.Sprintf(" if (!(%s) && __r !== undefined && __r !== null) __badType(%d, %s, __r);", cond, i, jsString(r.Type.String()))
		}
		// A single-expression rule is evaluated inline in its evaluator (one JS call less); a
		// statement body needs a function of its own for its `return`s.
		inline, ok := inlines[i], isInline[i]
		if !ok {
			g.wf("function __rule_%s() {\n", r.Name)
			g.body(&r.Code, "rule", r.Name, "", "}\n")
			hardened = append(hardened, "__rule_"+r.Name)
		}
		if deep != nil {
			g.deepEvaluator(i, deep.frontier[i], t0)
		} else {
			g.wf(`function __e%d() {
  if (__s%d === __busy) __stillBusy(%d);
  __s%d = __busy;
  var %s__r, __t;
`, i, i, i, i, t0)
		}
		if ok {
			g.bodyText(inline, &r.Code, "rule", r.Name, "")
		} else {
			g.wf("__r = __rule_%s();\n", r.Name)
		}
		if deep != nil {
			check += fmt.Sprintf("\n  } catch (__x) { __s%d = __failed; __v%d = __x; __k.failed(%d, __x); throw __x; }", i, i, i)
		}
		g.wf(`%s
  __s%d = __gen;
  __v%d = __r;%s
  return __r;
}
Object.defineProperty(globalThis, %s, { get: function () { return __s%d === __gen ? __v%d : __e%d(); }, enumerable: true, configurable: false });
`, check, i, i, trace, jsString(r.Name), i, i, i)
		hardened = append(hardened, fmt.Sprintf("__e%d", i))
	}
	g.w("const __ruleNames = [")
	for i, r := range rs.Rules {
		if i > 0 {
			g.w(", ")
		}
		g.w(jsString(r.Name))
	}
	g.w("];\n")
	// __gen cycles through 1..255, so that it and __busy stay numbers goja and Go keep preallocated
	// (counting up allocated two numbers per execution); on the wrap, every memo state is reset.
	g.w("function __wrap() {\n  __gen = 0;\n")
	for i := range rs.Rules {
		g.wf("  __s%d = 0;\n", i)
	}
	g.w("}\n")

	// Alerts: the conditions are evaluated in declared order by one function (inline where they
	// are single expressions); a message is a function of its own, run only when its alert fires.
	g.w("function __alertsRun(__al) {\n  var __r;\n")
	for j, a := range rs.Alerts {
		if inline, ok := inlineExpression(&a.When); ok {
			g.bodyText(inline, &a.When, "alert", a.Name, "")
		} else {
			g.w("__r = (function () {\n")
			g.body(&a.When, "alert", a.Name, "", "})();\n")
		}
		g.wf("  if (__r) { __al[__nal] = %d; __al[__nal + 1] = (0, __message[%d])(); __nal += 2; }\n", j, j)
	}
	g.w("}\n")
	g.w("const __message = [\n")
	for _, a := range rs.Alerts {
		g.wf("function __message_%s() {\n", a.Name)
		g.body(&a.Message, "message", a.Name, "", "},\n")
	}
	g.w("];\n")

	stepJS := ""
	if w := rs.Workflow; w != nil {
		stepJS = g.workflowSteps(w, &hardened, c)
	}

	// Hand the closure's shared values to the host to harden.
	hardened = append(append(append(hardened, entityNames...), funcNames...), "__alertsRun", "__message", "__wrap")
	g.wf("__k.harden([%s]);\n", strings.Join(hardened, ", "))
	g.w("const __classes = {")
	for i, n := range entityNames {
		if i > 0 {
			g.w(", ")
		}
		g.wf("%s: %s", n, n)
	}
	g.w("};\n")
	// An entity leaves JS as a plain object of its declared and calculated properties, built with
	// static property names (much cheaper in goja than copying by dynamic keys).
	plainFns := make([]string, len(entityList))
	for k, e := range entityList {
		var fields []string
		for _, p := range e.Properties {
			fields = append(fields, fmt.Sprintf("%s: v.%s", p.Name, p.Name))
		}
		for _, cp := range e.Calculated {
			fields = append(fields, fmt.Sprintf("%s: v.%s", cp.Name, cp.Name))
		}
		g.wf("function __plain_%s(v) { return v instanceof %s ? {%s} : __plain(v); }\n", e.Name, e.Name, strings.Join(fields, ", "))
		plainFns[k] = "__plain_" + e.Name
	}
	g.wf("const __entities = [%s];\n", strings.Join(entityNames, ", "))
	g.wf("const __plainFns = [%s];\n", strings.Join(plainFns, ", "))

	// run(): inputs arrive as JS values (entity-typed ones already instances of their class); the
	// echoed inputs and the output rules are read in declared order.
	// Builders: a generated ruleset may have tens of thousands of output rules.
	var params, assign, outputs, partial strings.Builder
	// The outputs go to fixed indexes of the reused array: [echoed inputs..., output rules...,
	// alerts, explain].
	slot := 0
	emitFor := func(t *rulesets.Type) string {
		i := slot
		slot++
		if len(entityList) == 0 {
			return fmt.Sprintf("__o[%d] = __r;\n", i)
		}
		if t.IsEntity() {
			return fmt.Sprintf("__o[%d] = __r === null || __r === undefined ? null : __plain_%s(__r);\n", i, t.Name)
		}
		return fmt.Sprintf("__o[%d] = typeof __r === \"object\" && __r !== null ? __plain(__r) : __r;\n", i)
	}
	if rs.Workflow != nil {
		// What a step saw must not reach the next execution on this runtime (step() sets them again).
		fmt.Fprintf(&assign, "%s = null; %s = null; %s = null; %s = null;\n", rulesets.NameState, rulesets.NameAnswer, rulesets.NameUpload, rulesets.NameWorkflow)
	}
	for i, in := range rs.Inputs {
		fmt.Fprintf(&params, ", __a%d", i)
		if in.Type.Name == rulesets.TypeDate {
			fmt.Fprintf(&assign, "%s = __a%d === null ? null : new __Date(__a%d);\n", in.Name, i, i)
		} else {
			fmt.Fprintf(&assign, "%s = __a%d;\n", in.Name, i)
		}
		if in.Output {
			fmt.Fprintf(&outputs, "__r = %s; %s", in.Name, emitFor(&in.Type))
			c.echoed = append(c.echoed, i)
		}
	}
	// partial() is what a halted execution reports: the echoed inputs and the output rules that were
	// evaluated before the halt (done[i] says which; the host reads only those slots, so slots left
	// from an earlier execution do no harm and run() need not clear the array).
	for j := range c.echoed {
		fmt.Fprintf(&partial, "__d[%d] = true;\n", len(c.echoed)-1-j)
	}
	for _, i := range c.outRules {
		emit := emitFor(rs.Rules[i].Type)
		fmt.Fprintf(&outputs, "__r = __s%d === __gen ? __v%d : __e%d(); %s", i, i, i, emit)
		fmt.Fprintf(&partial, "if (__s%d === __gen) { __r = __v%d; %s    __d[%d] = true; }\n", i, i, emit, slot-1)
	}
	for _, i := range c.echoed {
		c.order = append(c.order, rs.Inputs[i].Name)
	}
	for _, i := range c.outRules {
		c.order = append(c.order, rs.Rules[i].OutputName)
	}
	// The output array holds the alert array at slot from the start (both are reused); a run
	// writes only what changes: the alert count, and the trace when explaining. The host reads
	// neither when there are no alerts or no trace.
	tail, alertsCall, explainInit := "", "", ""
	if len(rs.Alerts) > 0 {
		alertsCall = "__alertsRun(__al);"
		tail += fmt.Sprintf("__o[%d] = __nal;", slot+2)
	}
	if explain {
		explainInit = "__ex = __explain ? [] : null;"
		tail += fmt.Sprintf(" __o[%d] = __ex;", slot+1)
	}
	failed := ""
	if deep != nil {
		failed = " __failed = __gen + 0.5;"
	}
	g.w(strings.NewReplacer("/*PARAMS*/", params.String(), "/*ASSIGN*/", assign.String(), "/*OUTPUTS*/", outputs.String(), "/*TAIL*/", tail, "/*PARTIAL*/", partial.String(), "/*FAILED*/", failed, "/*ALERTS*/", alertsCall,
		"/*EXPLAIN*/", explainInit, "/*SLOT*/", strconv.Itoa(slot),
		"/*STEP*/", strings.NewReplacer("/*PARAMS*/", params.String(), "/*ASSIGN*/", assign.String(), "/*OUTPUTS*/", outputs.String(), "/*TAIL*/", tail, "/*FAILED*/", failed, "/*ALERTS*/", alertsCall).Replace(stepJS)).Replace(runtimeJS))
	g.w("\n})")

	src := g.b.String()
	prog, err := goja.Compile(programName, src, true)
	if err != nil {
		// The loader has parsed every snippet already, so this is a bug in the generator or an
		// interaction between snippets (e.g. a body that closes the function early).
		return nil, fmt.Errorf("compiling the generated program: %w", mapSyntaxError(err, g.snippets))
	}
	c.program, c.source, c.snippets = prog, src, g.snippets

	scopeNames := map[string]bool{}
	for _, in := range rs.Inputs {
		scopeNames[in.Name] = true
	}
	for _, k := range c.constants {
		scopeNames[k.Name] = true
	}
	for _, t := range c.tables {
		scopeNames[t.Name] = true
	}
	for _, r := range rs.Rules {
		scopeNames[r.Name] = true
	}
	c.reads = make([][]string, len(rs.Rules))
	for i, r := range rs.Rules {
		for _, ref := range r.Code.Refs {
			if scopeNames[ref] {
				c.reads[i] = append(c.reads[i], ref)
			}
		}
	}
	sort.SliceStable(c.snippets, func(i, j int) bool { return c.snippets[i].line < c.snippets[j].line })
	return c, nil
}

// standardGlobals are the JS globals worth binding locally; names that cannot be bound in strict
// mode (eval, arguments) or are not plain values (undefined, NaN, Infinity, globalThis) are left out.
var standardGlobals = map[string]bool{
	"Math": true, "JSON": true, "Date": true, "Array": true, "Object": true, "String": true, "Number": true,
	"Boolean": true, "Symbol": true, "Map": true, "Set": true, "WeakMap": true, "WeakSet": true, "RegExp": true,
	"Error": true, "TypeError": true, "RangeError": true, "ReferenceError": true, "SyntaxError": true,
	"Promise": true, "Reflect": true, "parseInt": true, "parseFloat": true, "isNaN": true, "isFinite": true,
	"encodeURIComponent": true, "decodeURIComponent": true, "encodeURI": true, "decodeURI": true,
}

func bindable(name string, globals map[string]bool) bool {
	return globals[name] || standardGlobals[name]
}

// allCode lists every piece of author code that ends up in the program.
func allCode(rs *rulesets.Ruleset, libs []*rulesets.Ruleset) []*rulesets.Code {
	var out []*rulesets.Code
	for _, p := range append(append([]*rulesets.Ruleset{}, libs...), rs) {
		for _, f := range p.Functions {
			out = append(out, &f.Code)
		}
	}
	for _, e := range rs.Entities {
		for _, cp := range e.Calculated {
			out = append(out, &cp.Code)
		}
	}
	for _, r := range rs.Rules {
		out = append(out, &r.Code)
	}
	for _, a := range rs.Alerts {
		out = append(out, &a.When, &a.Message)
	}
	if w := rs.Workflow; w != nil {
		for _, s := range w.Steps {
			if s.Code != nil {
				out = append(out, s.Code)
			}
			if s.Until != nil {
				out = append(out, s.Until)
			}
		}
	}
	return out
}

func libErr(lib string, err error) error {
	if lib == "" {
		return err
	}
	return fmt.Errorf("library %s: %w", lib, err)
}

// typeCond is the JS condition that __r fits the declared type ("" for any). null and undefined are
// tested after it (they fit every type: a rule may have no value), so the common case costs one
// check. It uses no global names: a global lookup costs more than the check.
func typeCond(t *rulesets.Type) string {
	if t == nil || t.Name == rulesets.TypeAny || t.Name == "" {
		return ""
	}
	switch t.Name {
	case rulesets.TypeNumber:
		return `typeof __r === "number" && __r - __r === 0` // finite: NaN and ±Infinity give NaN
	case rulesets.TypeBoolean:
		return `typeof __r === "boolean"`
	case rulesets.TypeString:
		return `typeof __r === "string"`
	case rulesets.TypeDate:
		return `__r instanceof __Date && (__t = __r.getTime()) === __t` // an invalid Date's time is NaN
	case rulesets.TypeEnum:
		alts := make([]string, len(t.Values))
		for j, v := range t.Values {
			alts[j] = "__r === " + jsString(v)
		}
		return strings.Join(alts, " || ")
	case rulesets.TypeArray:
		return `__isArray(__r)`
	}
	return `typeof __r === "object" && !__isArray(__r)` // an entity
}

// runtimeJS is the part of the program that is the same for every ruleset: memoised rule access and
// the run function. It sits at the end of the factory, so it sees the ruleset's bindings.
const runtimeJS = `
var __typeFail = -1; // the rule whose value failed its declared-type check, for the error report
var __ex = null;     // the explain trace, when asked for
var __hr = __k.hr, __maxNodes = __k.maxNodes;
// These throw from the glue; the engine reports them at the rule being evaluated.
// A rule read while it is still marked busy either reads itself (a cycle through dynamic access: static
// cycles are load errors) or threw earlier in this execution and rule code caught that error. Telling
// the two apart would cost a try/finally in every evaluation, so the message names both.
function __stillBusy(i) {
  throw new ReferenceError("rule " + __ruleNames[i] + " is read while it is still being evaluated: a reference cycle, or it failed earlier in this execution and the error was caught");
}
function __trace(i, v, t0) { const k = __ex.length; __ex[k] = i; __ex[k + 1] = v; __ex[k + 2] = __hr() - t0; }
function __badType(i, want, v) {
  __typeFail = i;
  let got = v instanceof Date ? "an invalid date" : Array.isArray(v) ? "an array" : typeof v;
  if (typeof v === "number") got = String(v);
  else if (typeof v === "string") got = "string " + JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  throw new TypeError("rule " + __ruleNames[i] + " must be " + (want === "array" ? "an array" : want === "any" ? "a value" : (/^[aeiou]/.test(want) ? "an " : "a ") + want) + ", got " + got);
}
// __plain turns entity instances (also in arrays) into plain objects that carry their calculated
// properties, so the host reads results without calling back into JS.
function __plain(v) {
  if (__entities.length === 0) return v;
  if (__isArray(v)) {
    if (v.length > __maxNodes) return v; // the host refuses it at once (Limits.MaxOutputNodes)
    let out = v;
    for (let i = 0; i < v.length; i++) {
      const e = v[i];
      if (typeof e !== "object" || e === null) continue;
      const p = __plain(e);
      if (p !== e) { if (out === v) out = v.slice(); out[i] = p; }
    }
    return out;
  }
  for (let e = 0; e < __entities.length; e++) {
    if (v instanceof __entities[e]) return __plainFns[e](v);
  }
  return v;
}
// The output and alert arrays are reused; __nal counts the alert entries of this execution, so
// neither array needs clearing (setting an array's length costs more than the whole bookkeeping).
var __out = [], __alerts = [], __nal = 0;
__out[/*SLOT*/] = __alerts;
return {
  classes: __classes,
  typeFail: function () { return __typeFail; },
  // After System.halt: [outputs (filled where done, the alert array in its slot), done flags, alert count, trace].
  partial: function () {
    var __o = __out, __d = [], __r;
    /*PARTIAL*/
    return [__o, __d, __nal, __ex];
  },
  /*STEP*/
  // Locals here are __-prefixed: ruleset names cannot be, so none is shadowed.
  run: function (__explain/*PARAMS*/) {
    if (__gen === 255) __wrap();
    __gen++;
    __busy = -__gen;/*FAILED*/
    __typeFail = -1;
    /*EXPLAIN*/
    /*ASSIGN*/
    // __o and __al are reused: only the host reads them, before the next run.
    var __o = __out, __al = __alerts, __r;
    __nal = 0;
    /*OUTPUTS*/
    /*ALERTS*/
    /*TAIL*/
    return __o;
  },
};`

// mapSyntaxError turns a goja compile error on the generated program into the author's position.
func mapSyntaxError(err error, snippets []snippet) error {
	var ce *goja.CompilerSyntaxError
	if e, ok := err.(*goja.CompilerSyntaxError); ok {
		ce = e
	}
	if ce == nil || ce.File == nil {
		return err
	}
	pos := ce.File.Position(ce.Offset)
	if sn := findSnippet(snippets, pos.Line); sn != nil {
		return fmt.Errorf("%s: %s", authorPos(sn, pos.Line, pos.Column), ce.Message)
	}
	return err
}

// findSnippet finds the snippet covering a generated line.
func findSnippet(snippets []snippet, line int) *snippet {
	i := sort.Search(len(snippets), func(i int) bool { return snippets[i].line > line }) - 1
	if i < 0 {
		return nil
	}
	sn := &snippets[i]
	if line >= sn.line+sn.lines {
		return nil
	}
	return sn
}

// authorPos is the author's file position of a generated line and column inside a snippet.
func authorPos(sn *snippet, line, col int) string {
	bodyLine := line - sn.line + 1
	p := sn.code.AtBody(bodyLine, originalColumn(sn.edits, bodyLine, col)).String()
	if sn.library != "" {
		p = sn.library + ":" + p
	}
	return p
}

var indexKeys = func() []string {
	k := make([]string, 256)
	for i := range k {
		k[i] = strconv.Itoa(i)
	}
	return k
}()

// indexKey is the property key of an array index, without allocating for small indexes.
func indexKey(i int) string {
	if i < len(indexKeys) {
		return indexKeys[i]
	}
	return strconv.Itoa(i)
}
