package rulesets

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A workflow makes a ruleset interactive (workflows.md): it runs steps until it has to wait for time,
// a person's answer or an uploaded document, and its state persists between steps.

// The step types.
const (
	StepStart  = "start"
	StepAction = "action"
	StepSwitch = "switch"
	StepDelay  = "delay"
	StepWait   = "wait"
	StepUpload = "upload"
	StepFork   = "fork"
	StepJoin   = "join"
	StepEnd    = "end"
)

// StepTypes lists the step types in the contract's order.
var StepTypes = []string{StepStart, StepAction, StepSwitch, StepDelay, StepWait, StepUpload, StepFork, StepJoin, StepEnd}

// StateEntity is the name of the workflow's state entity: `state` in step code is an instance of it.
// A workflow ruleset cannot declare an entity of that name.
const StateEntity = "WorkflowState"

// Names that step code has in scope besides the ruleset's: `state` and `Workflow` everywhere in a
// workflow ruleset, `answer` in a wait step, `upload` in an upload step.
const (
	NameState    = "state"
	NameWorkflow = "Workflow"
	NameAnswer   = "answer"
	NameUpload   = "upload"
)

// workflowNames are reserved in a workflow ruleset's shared scope.
var workflowNames = []string{NameState, NameWorkflow, NameAnswer, NameUpload, StateEntity}

// Workflow is the `workflow:` section.
type Workflow struct {
	// State is the state entity (named StateEntity): its properties persist across steps.
	State *Entity
	// Steps in declared order; Start is the one of type start.
	Steps []*Step
	Pos   Pos
}

// Step returns the step of that name, or nil.
func (w *Workflow) Step(name string) *Step {
	for _, s := range w.Steps {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Start returns the start step (validation guarantees there is one).
func (w *Workflow) Start() *Step {
	for _, s := range w.Steps {
		if s.Type == StepStart {
			return s
		}
	}
	return nil
}

// Step is one step of a workflow.
type Step struct {
	Name        string
	Type        string
	Description string
	// Code is the step's expression (nil when it has none). In a delay with Until it is nil; Until
	// holds the date expression.
	Code *Code
	Next string
	// Cases of a switch, in written order: the expression's value (as text) → step.
	Cases   []Case
	Default string
	// Delay: For (a duration) or Until (an expression giving a date).
	For   *Duration
	Until *Code
	// Wait: the answer's declared fields, typed like inputs.
	Answer []*Input
	// Wait and upload: an optional timeout and the step it leads to.
	Timeout   *Duration
	OnTimeout string
	// Upload: accepted content types (none: any) and the size cap in bytes (0: the server's default).
	Accept   []string
	MaxBytes int64
	// Fork: the first step of each branch.
	Branches []string
	// End: the instance's status, completed (default) or failed.
	Status string
	Retry  *Retry
	Pos    Pos

	refs []stepRef // where each step name this step names is written, for the checks
}

// Case is one case of a switch.
type Case struct {
	Value string
	Step  string
	Pos   Pos
}

// Retry says how often a step whose code throws is run again, and how long to wait in between
// (doubling each time).
type Retry struct {
	Max     int
	Backoff *Duration
}

// Successors are the steps a step can lead to, in a fixed order (next, cases, default, onTimeout,
// branches), without repetition.
func (s *Step) Successors() []string {
	var out []string
	add := func(n string) {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	add(s.Next)
	for _, c := range s.Cases {
		add(c.Step)
	}
	add(s.Default)
	add(s.OnTimeout)
	for _, b := range s.Branches {
		add(b)
	}
	return out
}

// Waits reports whether the step waits for time, a person or a document.
func (s *Step) Waits() bool {
	return s.Type == StepDelay || s.Type == StepWait || s.Type == StepUpload
}

type stepRef struct {
	name, field string
	pos         Pos
}

// Default and fallback values of a workflow.
const (
	StatusCompleted = "completed"
	StatusFailed    = "failed"
)

var (
	workflowKeys = []string{"state", "steps"}
	stepKeys     = map[string][]string{
		StepStart:  {"type", "description", "expression", "file", "next", "retry"},
		StepAction: {"type", "description", "expression", "file", "next", "retry"},
		StepSwitch: {"type", "description", "expression", "file", "cases", "default", "retry"},
		StepDelay:  {"type", "description", "for", "until", "next"},
		StepWait:   {"type", "description", "answer", "timeout", "onTimeout", "expression", "file", "next", "retry"},
		StepUpload: {"type", "description", "accept", "maxBytes", "timeout", "onTimeout", "expression", "file", "next", "retry"},
		StepFork:   {"type", "description", "branches"},
		StepJoin:   {"type", "description", "next"},
		StepEnd:    {"type", "description", "status", "expression", "file"},
	}
	retryKeys = []string{"max", "backoff"}
)

// MaxRetries bounds `retry.max`.
const MaxRetries = 100

// decodeWorkflow reads the `workflow:` section.
func (l *loader) decodeWorkflow(d *decoder, k, n *yaml.Node) {
	w := &Workflow{Pos: d.pos(k)}
	l.rs.Workflow = w
	m := d.fields(n, "workflow", workflowKeys...)
	w.State = &Entity{Name: StateEntity, Pos: d.pos(k)}
	if x, ok := m["state"]; ok {
		w.State.Pos = d.pos(x.K)
		w.State.Properties = l.decodeProperties(d, x.V, "workflow.state")
	}
	x, ok := m["steps"]
	if !ok {
		d.problem(k, "workflow.steps", "add `steps:` with a start step, e.g. `Start: {type: start, next: Done}`", "a workflow needs steps")
		return
	}
	for _, e := range d.entries(x.V, "workflow.steps") {
		if s := l.decodeStep(d, e); s != nil {
			w.Steps = append(w.Steps, s)
		}
	}
}

// decodeStep reads one step.
func (l *loader) decodeStep(d *decoder, e entry) *Step {
	field := "workflow.steps." + e.Key
	s := &Step{Name: e.Key, Pos: d.pos(e.K)}
	if msg, hint := checkLocalName(s.Name); msg != "" {
		d.problem(e.K, field, hint, "%s", msg)
	}
	v := deref(e.V)
	if v == nil || v.Kind != yaml.MappingNode {
		d.problem(e.V, field, "write a mapping such as {type: action, expression: ..., next: Done}", "expected a mapping, got %s", kindName(e.V))
		return s
	}
	// The type decides which keys the step may have, so read it first.
	for _, te := range rawEntries(v) {
		if te.Key == "type" {
			s.Type = d.str(te.V, field+".type")
			if _, known := stepKeys[s.Type]; !known {
				d.problem(te.V, field+".type", didYouMean(s.Type, StepTypes, "use one of "+strings.Join(StepTypes, ", ")), "unknown step type `%s`", s.Type)
				s.Type = ""
				return s
			}
		}
	}
	if s.Type == "" {
		d.problem(e.K, field+".type", "add `type:` (one of "+strings.Join(StepTypes, ", ")+")", "a step needs a type")
		return s
	}
	if s.Type == StepEnd {
		for _, x := range rawEntries(v) {
			if x.Key == "next" {
				d.problem(x.K, field+".next", "remove `next`: the instance ends here", "an end step has no next")
			}
		}
	}
	m := d.fields(v, field, stepKeys[s.Type]...)
	if x, ok := m["description"]; ok {
		s.Description = d.str(x.V, field+".description")
	}
	scope := []string{NameState, NameWorkflow}
	switch s.Type {
	case StepWait:
		scope = append(scope, NameAnswer)
	case StepUpload:
		scope = append(scope, NameUpload)
	}
	if _, has := m["expression"]; has || m["file"].V != nil {
		s.Code = &Code{}
		l.code(d, m, e.K, "expression", field, CodeBody, scope, s.Code)
	} else if s.Type == StepSwitch {
		d.problem(e.K, field+".expression", "add `expression:`: its value picks the case", "a switch needs an expression")
	}
	ref := func(x entry, f string) string {
		name := d.str(x.V, f)
		if name == "" {
			d.problem(x.V, f, "name a step of this workflow", "the step name is empty")
			return ""
		}
		s.refs = append(s.refs, stepRef{name: name, field: f, pos: d.pos(x.V)})
		return name
	}
	if x, ok := m["next"]; ok {
		s.Next = ref(x, field+".next")
	} else if s.Type != StepSwitch && s.Type != StepFork && s.Type != StepEnd {
		d.problem(e.K, field+".next", "add `next: StepName`", "a %s step needs `next`", s.Type)
	}
	if x, ok := m["cases"]; ok {
		for _, ce := range d.entries(x.V, field+".cases") {
			cf := field + ".cases." + ce.Key
			s.Cases = append(s.Cases, Case{Value: ce.Key, Step: ref(entry{K: ce.K, V: ce.V}, cf), Pos: d.pos(ce.K)})
		}
		if len(s.Cases) == 0 {
			d.problem(x.V, field+".cases", "write `cases: {value: Step, ...}`", "a switch needs at least one case")
		}
	} else if s.Type == StepSwitch {
		d.problem(e.K, field+".cases", "add `cases: {value: Step, ...}`", "a switch needs cases")
	}
	if x, ok := m["default"]; ok {
		s.Default = ref(x, field+".default")
	}
	duration := func(x entry, f string) *Duration { return d.duration(x.V, f) }
	if s.Type == StepDelay {
		forE, hasFor := m["for"]
		untilE, hasUntil := m["until"]
		switch {
		case hasFor && hasUntil:
			d.problem(untilE.K, field+".until", "keep one of `for` and `until`", "a delay has `for` or `until`, not both")
		case hasFor:
			s.For = duration(forE, field+".for")
		case hasUntil:
			s.Until = &Code{}
			l.inlineCode(d, untilE.V, field+".until", CodeBody, scope, s.Until)
		default:
			d.problem(e.K, field+".for", "add `for: PT30S` (an ISO 8601 duration) or `until: <expression giving a date>`", "a delay needs `for` or `until`")
		}
	}
	if x, ok := m["answer"]; ok {
		s.Answer = l.decodeFields(d, x.V, field+".answer", nil)
	}
	if x, ok := m["timeout"]; ok {
		s.Timeout = duration(x, field+".timeout")
	}
	if x, ok := m["onTimeout"]; ok {
		s.OnTimeout = ref(x, field+".onTimeout")
		if _, has := m["timeout"]; !has {
			d.problem(x.K, field+".onTimeout", "add `timeout: P3D` (an ISO 8601 duration)", "`onTimeout` needs a `timeout`")
		}
	} else if x, has := m["timeout"]; has {
		d.problem(x.K, field+".timeout", "add `onTimeout: StepName`: the step the instance goes to when nothing arrives in time", "`timeout` needs an `onTimeout`")
	}
	if x, ok := m["accept"]; ok {
		for _, it := range d.list(x.V, field+".accept") {
			ct := strings.ToLower(strings.TrimSpace(d.str(it, field+".accept")))
			if !validMediaRange(ct) {
				d.problem(it, field+".accept", "write a media type such as application/pdf or image/*", "`%s` is not a media type", ct)
				continue
			}
			s.Accept = append(s.Accept, ct)
		}
	}
	if x, ok := m["maxBytes"]; ok {
		if f, ok := d.number(x.V, field+".maxBytes"); ok {
			if f < 1 || f != float64(int64(f)) || f > 1<<40 {
				d.problem(x.V, field+".maxBytes", "write a whole number of bytes, e.g. 10485760 for 10 MiB", "maxBytes must be a positive whole number")
			} else {
				s.MaxBytes = int64(f)
			}
		}
	}
	if x, ok := m["branches"]; ok {
		for i, it := range d.list(x.V, field+".branches") {
			s.Branches = append(s.Branches, ref(entry{V: it}, fmt.Sprintf("%s.branches[%d]", field, i)))
		}
		if len(s.Branches) < 2 {
			d.problem(x.V, field+".branches", "list two or more steps that run side by side", "a fork needs at least two branches")
		}
	} else if s.Type == StepFork {
		d.problem(e.K, field+".branches", "add `branches: [StepA, StepB]`", "a fork needs branches")
	}
	if s.Type == StepEnd {
		s.Status = StatusCompleted
		if x, ok := m["status"]; ok {
			s.Status = d.str(x.V, field+".status")
			if s.Status != StatusCompleted && s.Status != StatusFailed {
				d.problem(x.V, field+".status", "write completed or failed", "unknown end status `%s`", s.Status)
			}
		}
	}
	if x, ok := m["retry"]; ok {
		rm := d.fields(x.V, field+".retry", retryKeys...)
		s.Retry = &Retry{}
		if y, ok := rm["max"]; ok {
			if f, ok := d.number(y.V, field+".retry.max"); ok {
				if f < 1 || f > MaxRetries || f != float64(int(f)) {
					d.problem(y.V, field+".retry.max", fmt.Sprintf("write a whole number from 1 to %d", MaxRetries), "retry.max must be a whole number from 1 to %d", MaxRetries)
				} else {
					s.Retry.Max = int(f)
				}
			}
		} else {
			d.problem(x.K, field+".retry.max", "add `max: 3`", "retry needs `max`")
		}
		if y, ok := rm["backoff"]; ok {
			s.Retry.Backoff = duration(y, field+".retry.backoff")
		}
	}
	return s
}

// validMediaRange accepts type/subtype, type/* and */*, in lowercase.
func validMediaRange(s string) bool {
	t, sub, ok := strings.Cut(s, "/")
	token := func(x string) bool {
		if x == "" || len(x) > 127 {
			return false
		}
		for _, r := range x {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$&-^_.+", r)) {
				return false
			}
		}
		return true
	}
	return ok && (t == "*" && sub == "*" || token(t) && (sub == "*" || token(sub)))
}

// checkWorkflow runs the load-time checks of the contract on the step graph: exactly one start,
// every named step exists, every step is reachable, every fork's branches meet at one join, every
// cycle passes a step that waits, and an end has no next (the decoder refuses that key).
func (l *loader) checkWorkflow() {
	w := l.rs.Workflow
	if w == nil {
		return
	}
	for _, dcl := range l.decls {
		if slices.Contains(workflowNames, dcl.name) {
			l.probs.add(dcl.pos, dcl.field, "rename it: a workflow ruleset has `state`, `Workflow`, `answer` and `upload` in scope", "`%s` is a name of the workflow", dcl.name)
		}
	}
	if len(w.Steps) == 0 {
		return
	}
	byName := map[string]*Step{}
	var starts []*Step
	for _, s := range w.Steps {
		if s.Type == "" {
			return // a step without a (known) type was reported; the graph cannot be judged
		}
		byName[s.Name] = s
		if s.Type == StepStart {
			starts = append(starts, s)
		}
	}
	switch {
	case len(starts) == 0:
		l.probs.add(w.Pos, "workflow.steps", "add a step of `type: start`", "a workflow needs exactly one start step, it has none")
	case len(starts) > 1:
		for _, s := range starts[1:] {
			l.probs.add(s.Pos, "workflow.steps."+s.Name, "keep one start step", "a workflow has exactly one start step; %s is one too", starts[0].Name)
		}
	}
	names := make([]string, 0, len(w.Steps))
	for _, s := range w.Steps {
		names = append(names, s.Name)
	}
	broken := false
	for _, s := range w.Steps {
		for _, r := range s.refs {
			t := byName[r.name]
			switch {
			case t == nil:
				l.probs.add(r.pos, r.field, didYouMean(r.name, names, "name a step of this workflow: "+strings.Join(names, ", ")), "unknown step `%s`", r.name)
				broken = true
			case t.Type == StepStart:
				l.probs.add(r.pos, r.field, "the start step runs once, when the instance starts: lead to another step", "`%s` is the start step", r.name)
			}
		}
	}
	if broken || len(starts) != 1 {
		return // the graph checks below would only repeat these
	}
	// Reachable from the start.
	seen := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		for _, t := range byName[n].Successors() {
			visit(t)
		}
	}
	visit(starts[0].Name)
	for _, s := range w.Steps {
		if !seen[s.Name] {
			l.probs.add(s.Pos, "workflow.steps."+s.Name, "lead to it from another step, or remove it", "step %s is not reachable from %s", s.Name, starts[0].Name)
		}
	}
	l.checkForks(w, byName)
	l.checkSpins(w, byName)
}

// checkForks checks that every path from each of a fork's branches reaches one and the same join,
// without passing an end, another fork or a join of another fork, and that every join belongs to
// exactly one fork.
func (l *loader) checkForks(w *Workflow, byName map[string]*Step) {
	joinOf := map[string]string{} // join → its fork
	reported := map[string]bool{} // joins reached by a fork already reported
	for _, f := range w.Steps {
		if f.Type != StepFork {
			continue
		}
		field := "workflow.steps." + f.Name + ".branches"
		joins := map[string]bool{}
		bad := ""
		for _, b := range f.Branches {
			seen := map[string]bool{}
			var walk func(string)
			walk = func(n string) {
				if seen[n] || bad != "" {
					return
				}
				seen[n] = true
				s := byName[n]
				switch s.Type {
				case StepJoin:
					joins[n] = true
					return
				case StepEnd:
					bad = fmt.Sprintf("branch %s reaches end step %s before a join", b, n)
					return
				case StepFork:
					bad = fmt.Sprintf("branch %s reaches fork %s: forks do not nest", b, n)
					return
				}
				for _, t := range s.Successors() {
					walk(t)
				}
			}
			walk(b)
		}
		for j := range joins {
			reported[j] = bad != "" || len(joins) > 1
		}
		switch {
		case bad != "":
			l.probs.add(f.Pos, field, "lead every branch to one join step", "%s", bad)
		case len(joins) == 0:
			l.probs.add(f.Pos, field, "add a `type: join` step that every branch leads to", "the branches of fork %s never meet at a join", f.Name)
		case len(joins) > 1:
			l.probs.add(f.Pos, field, "lead every branch to the same join", "the branches of fork %s end at different joins: %s", f.Name, strings.Join(sortedKeys(joins), ", "))
		default:
			for j := range joins {
				if prev, ok := joinOf[j]; ok {
					l.probs.add(f.Pos, field, "give each fork a join of its own", "join %s already closes fork %s", j, prev)
				}
				joinOf[j] = f.Name
			}
		}
	}
	for _, s := range w.Steps {
		if s.Type == StepJoin {
			if _, ok := joinOf[s.Name]; !ok && !reported[s.Name] {
				l.probs.add(s.Pos, "workflow.steps."+s.Name, "lead the branches of a fork to it, or use an action", "join %s closes no fork", s.Name)
			}
		}
	}
}

// checkSpins refuses a cycle of steps none of which waits: the instance would run it forever
// without giving anything a chance to change.
func (l *loader) checkSpins(w *Workflow, byName map[string]*Step) {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var path []string
	reported := map[string]bool{}
	var dfs func(n string)
	dfs = func(n string) {
		color[n] = grey
		path = append(path, n)
		for _, t := range byName[n].Successors() {
			if byName[t].Waits() {
				continue
			}
			switch color[t] {
			case white:
				dfs(t)
			case grey:
				i := slices.Index(path, t)
				cycle := append(slices.Clone(path[i:]), t)
				if s := byName[t]; !reported[t] {
					reported[t] = true
					l.probs.add(s.Pos, "workflow.steps."+t, "put a delay, wait or upload step in the loop", "the steps %s loop without waiting: the instance would spin", strings.Join(cycle, " → "))
				}
			}
		}
		path = path[:len(path)-1]
		color[n] = black
	}
	for _, s := range w.Steps {
		if color[s.Name] == white && !s.Waits() {
			dfs(s.Name)
		}
	}
}

// workflowTree is the `workflow:` section for export.
func workflowTree(w *Workflow, mode exportMode) *Object {
	o := NewObject()
	if len(w.State.Properties) > 0 {
		o.Set("state", propertiesTree(w.State.Properties))
	}
	steps := NewObject()
	for _, s := range w.Steps {
		so := NewObject()
		so.Set("type", s.Type)
		setIf(so, "description", s.Description)
		switch s.Type {
		case StepDelay:
			if s.For != nil {
				so.Set("for", s.For.Text)
			}
			if s.Until != nil {
				so.Set("until", s.Until.Source)
			}
		case StepWait:
			if len(s.Answer) > 0 {
				so.Set("answer", fieldsTree(s.Answer))
			}
		case StepUpload:
			if len(s.Accept) > 0 {
				so.Set("accept", strings2any(s.Accept))
			}
			if s.MaxBytes > 0 {
				so.Set("maxBytes", float64(s.MaxBytes))
			}
		case StepFork:
			so.Set("branches", strings2any(s.Branches))
		case StepEnd:
			if s.Status != StatusCompleted {
				so.Set("status", s.Status)
			}
		}
		if s.Timeout != nil {
			so.Set("timeout", s.Timeout.Text)
			so.Set("onTimeout", s.OnTimeout)
		}
		if s.Code != nil {
			setCode(so, "expression", *s.Code, mode)
		}
		if len(s.Cases) > 0 {
			cases := NewObject()
			for _, c := range s.Cases {
				cases.Set(c.Value, c.Step)
			}
			so.Set("cases", cases)
		}
		setIf(so, "default", s.Default)
		setIf(so, "next", s.Next)
		if s.Retry != nil {
			r := NewObject()
			r.Set("max", float64(s.Retry.Max))
			if s.Retry.Backoff != nil {
				r.Set("backoff", s.Retry.Backoff.Text)
			}
			so.Set("retry", r)
		}
		steps.Set(s.Name, so)
	}
	o.Set("steps", steps)
	return o
}
