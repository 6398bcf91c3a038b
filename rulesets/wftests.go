package rulesets

import (
	"encoding/base64"
	"fmt"
	"mime"
	"path"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A workflow testcase is a script of events, each with expectations (workflows.md, Testcases):
// the clock is the testcase's `now` and moves only with `after:`.

// TestStep is one event of a workflow testcase's script: nothing (check the instance as it is),
// the clock moving on (After), an answer or an upload; then the expectations.
type TestStep struct {
	After *Duration
	// AnswerStep names the wait step Answer answers.
	AnswerStep string
	Answer     *Object
	// Upload* describe the file given to the upload step UploadStep: read from UploadFile (relative
	// to the ruleset folder) at load time, or carried by the JSON form.
	UploadStep, UploadFile, UploadName, UploadType string
	UploadContent                                  []byte
	Expect                                         StepExpect
	Pos                                            Pos
}

// StepExpect is what a workflow testcase checks after an event. Only what was written is compared.
type StepExpect struct {
	Status     string
	Step       string
	Waiting    []string
	HasWaiting bool
	State      *Object // the listed keys
	Result     any
	HasResult  bool
	Alerts     []string
	HasAlerts  bool
	Error      string
	HasError   bool // with Error == "": no error
	History    []string
	HasHistory bool
}

var (
	testStepKeys   = []string{"after", "answer", "upload", "expect"}
	stepExpectKeys = []string{"status", "step", "waiting", "state", "result", "alerts", "error", "history"}
	uploadKeys     = []string{"file", "name", "type", "base64"}
	statusNames    = []string{"running", "waiting", "completed", "failed", "canceled"}
)

// maxTestSteps bounds a workflow testcase's script.
const maxTestSteps = 1000

// testSteps reads a testcase's `steps:`.
func (l *loader) testSteps(d *decoder, n *yaml.Node, field string, tc *Testcase) {
	items := d.list(n, field)
	if len(items) > maxTestSteps {
		d.problem(n, field, "split the testcase", "a testcase has at most %d steps", maxTestSteps)
		return
	}
	for i, it := range items {
		sf := fmt.Sprintf("%s[%d]", field, i)
		ts := &TestStep{Pos: d.pos(it)}
		m := d.fields(it, sf, testStepKeys...)
		events := 0
		if x, ok := m["after"]; ok {
			events++
			ts.After = d.duration(x.V, sf+".after")
		}
		if x, ok := m["answer"]; ok {
			events++
			entries := d.entries(x.V, sf+".answer")
			if len(entries) != 1 {
				d.problem(x.V, sf+".answer", "write `answer: {StepName: {field: value}}`", "an answer names one step")
			} else {
				ts.AnswerStep = entries[0].Key
				ts.Answer = l.objectValue(d, entries[0].V, sf+".answer."+ts.AnswerStep)
				if ts.Answer == nil {
					ts.Answer = NewObject()
				}
			}
		}
		if x, ok := m["upload"]; ok {
			events++
			l.testUpload(d, x.V, sf+".upload", ts)
		}
		if events > 1 {
			d.problem(it, sf, "give each event a step of its own", "a step has one of after, answer and upload")
		}
		if x, ok := m["expect"]; ok {
			l.stepExpect(d, x.V, sf+".expect", &ts.Expect)
		}
		tc.Steps = append(tc.Steps, ts)
	}
	if len(items) == 0 {
		d.problem(n, field, "list events: `- expect: {status: waiting}`, `- after: PT30S`, `- answer: {Step: {...}}`", "the steps are empty")
	}
}

// testUpload reads `upload: {Step: {file: fixtures/payslip.pdf}}`.
func (l *loader) testUpload(d *decoder, n *yaml.Node, field string, ts *TestStep) {
	entries := d.entries(n, field)
	if len(entries) != 1 {
		d.problem(n, field, "write `upload: {StepName: {file: fixtures/payslip.pdf}}`", "an upload names one step")
		return
	}
	ts.UploadStep = entries[0].Key
	uf := field + "." + ts.UploadStep
	m := d.fields(entries[0].V, uf, uploadKeys...)
	if x, ok := m["name"]; ok {
		ts.UploadName = d.str(x.V, uf+".name")
	}
	if x, ok := m["type"]; ok {
		ts.UploadType = d.str(x.V, uf+".type")
	}
	x, hasFile := m["file"]
	b64, hasB64 := m["base64"]
	switch {
	case hasB64:
		data, err := base64.StdEncoding.DecodeString(d.str(b64.V, uf+".base64"))
		if err != nil {
			d.problem(b64.V, uf+".base64", "write the file's content in standard base64", "not base64: %v", err)
		}
		ts.UploadContent = data
		if hasFile {
			ts.UploadFile = d.str(x.V, uf+".file")
		}
	case hasFile && l.jsonForm:
		d.problem(x.K, uf+".file", "add `base64` with the file's content", "the JSON form carries the file itself, next to `file`")
	case hasFile:
		p := d.str(x.V, uf+".file")
		if msg, hint := checkPath(p, path.Ext(p)); msg != "" || path.Ext(p) == "" {
			if msg == "" {
				msg, hint = "`"+p+"` has no extension", "name the file with its type's extension, e.g. payslip.pdf"
			}
			d.problem(x.V, uf+".file", hint, "%s", msg)
			return
		}
		data, err := l.readRootFile(p)
		if err != nil {
			d.problem(x.V, uf+".file", "create the file, or fix the path (relative to the ruleset folder)", "cannot read %s: %s", p, errText(err))
			return
		}
		ts.UploadFile, ts.UploadContent = p, data
	default:
		d.problem(entries[0].K, uf+".file", "add `file: fixtures/<name>` (relative to the ruleset folder)", "an upload needs a file")
	}
	if ts.UploadName == "" && ts.UploadFile != "" {
		ts.UploadName = path.Base(ts.UploadFile)
	}
	if ts.UploadType == "" {
		ts.UploadType = mime.TypeByExtension(path.Ext(ts.UploadName))
	}
}

// stepExpect reads a step's `expect:`.
func (l *loader) stepExpect(d *decoder, n *yaml.Node, field string, e *StepExpect) {
	m := d.fields(n, field, stepExpectKeys...)
	names := func(key string) ([]string, bool) {
		x, ok := m[key]
		if !ok {
			return nil, false
		}
		out := []string{}
		for _, it := range d.list(x.V, field+"."+key) {
			out = append(out, d.str(it, field+"."+key))
		}
		return out, true
	}
	if x, ok := m["status"]; ok {
		e.Status = d.str(x.V, field+".status")
		if !slices.Contains(statusNames, e.Status) {
			d.problem(x.V, field+".status", didYouMean(e.Status, statusNames, "use "+strings.Join(statusNames, ", ")), "unknown status `%s`", e.Status)
		}
	}
	if x, ok := m["step"]; ok {
		e.Step = d.str(x.V, field+".step")
	}
	e.Waiting, e.HasWaiting = names("waiting")
	e.Alerts, e.HasAlerts = names("alerts")
	e.History, e.HasHistory = names("history")
	if x, ok := m["state"]; ok {
		e.State = l.objectValue(d, x.V, field+".state")
		if e.State == nil {
			e.State = NewObject()
		}
	}
	if x, ok := m["result"]; ok {
		e.Result, _ = d.value(x.V, field+".result")
		e.HasResult = true
	}
	if x, ok := m["error"]; ok {
		e.HasError = true
		if v := deref(x.V); !isNull(v) {
			e.Error = d.str(x.V, field+".error")
		}
	}
}

// checkTestSteps checks a workflow testcase's step names against the workflow, once it is known.
func (l *loader) checkTestSteps(info *tcInfo) {
	tc, w := info.tc, l.rs.Workflow
	if len(tc.Steps) == 0 {
		if w != nil {
			l.probs.add(tc.Pos, info.field+".steps", "script the events: `steps: [{expect: {status: waiting, waiting: [Review]}}, {answer: {Review: {...}}}, ...]`", "a testcase of a workflow needs steps")
		}
		return
	}
	if e := tc.Expect; e.Output != nil || e.HasAlerts || e.HasError || e.Strict {
		l.probs.add(tc.Pos, info.field+".expect", "move the expectations into the steps: `- expect: {...}` after the event they follow", "a workflow testcase's expectations go with its steps")
	}
	if w == nil {
		l.probs.add(tc.Pos, info.field+".steps", "steps script a workflow: add a `workflow:` section, or use input and expect", "the ruleset has no workflow")
		return
	}
	var stepNames []string
	for _, s := range w.Steps {
		stepNames = append(stepNames, s.Name)
	}
	check := func(pos Pos, field, name, want string) {
		s := w.Step(name)
		switch {
		case s == nil:
			l.probs.add(pos, field, didYouMean(name, stepNames, "name a step of the workflow"), "unknown step `%s`", name)
		case want != "" && s.Type != want:
			l.probs.add(pos, field, "", "step %s is a %s step, not a %s step", name, s.Type, want)
		}
	}
	for i, ts := range tc.Steps {
		sf := fmt.Sprintf("%s.steps[%d]", info.field, i)
		if ts.AnswerStep != "" {
			check(ts.Pos, sf+".answer", ts.AnswerStep, StepWait)
		}
		if ts.UploadStep != "" {
			check(ts.Pos, sf+".upload", ts.UploadStep, StepUpload)
		}
		e := ts.Expect
		if e.Step != "" {
			check(ts.Pos, sf+".expect.step", e.Step, "")
		}
		for _, n := range append(slices.Clone(e.Waiting), e.History...) {
			check(ts.Pos, sf+".expect", n, "")
		}
	}
}

// WorkflowActual is a workflow instance as a testcase step compares it.
type WorkflowActual struct {
	Status  string
	Step    string
	Waiting []string
	State   map[string]any
	Result  any
	Alerts  []string
	Err     error // the event's refusal, or the instance's error
	History []string
}

// CompareStep checks an instance after a testcase step against the step's expectations.
func (tc *Testcase) CompareStep(i int, a WorkflowActual) []Mismatch {
	e := tc.Steps[i].Expect
	tol := tc.Tolerance
	if tol == 0 {
		tol = DefaultTolerance
	}
	p := fmt.Sprintf("steps[%d].", i)
	var out []Mismatch
	switch {
	case a.Err != nil && e.HasError && e.Error != "":
		if !strings.Contains(a.Err.Error(), e.Error) {
			out = append(out, Mismatch{Path: p + "error", Message: fmt.Sprintf("expected an error containing %q, got %q", e.Error, a.Err.Error())})
		}
	case a.Err != nil:
		out = append(out, Mismatch{Path: p + "error", Message: "unexpected error: " + a.Err.Error()})
	case e.HasError && e.Error != "":
		out = append(out, Mismatch{Path: p + "error", Message: fmt.Sprintf("expected an error containing %q, got none", e.Error)})
	}
	if e.Status != "" && e.Status != a.Status {
		out = append(out, Mismatch{Path: p + "status", Expected: e.Status, Actual: a.Status})
	}
	if e.Step != "" && e.Step != a.Step {
		out = append(out, Mismatch{Path: p + "step", Expected: e.Step, Actual: a.Step})
	}
	sameSet := func(key string, want, got []string) {
		w, g := slices.Clone(want), slices.Clone(got)
		sort.Strings(w)
		sort.Strings(g)
		if !slices.Equal(w, g) {
			out = append(out, Mismatch{Path: p + key, Expected: toAny(want), Actual: toAny(got)})
		}
	}
	if e.HasWaiting {
		sameSet("waiting", e.Waiting, a.Waiting)
	}
	if e.HasAlerts {
		sameSet("alerts", e.Alerts, a.Alerts)
	}
	if e.HasHistory && !slices.Equal(e.History, a.History) {
		out = append(out, Mismatch{Path: p + "history", Expected: toAny(e.History), Actual: toAny(a.History)})
	}
	if e.State != nil {
		for _, k := range e.State.Keys {
			got, ok := a.State[k]
			if !ok {
				out = append(out, Mismatch{Path: p + "state." + k, Expected: e.State.Values[k], Message: fmt.Sprintf("expected %s, but the state has no %s", show(e.State.Values[k]), k)})
				continue
			}
			out = compareValue(out, p+"state."+k, e.State.Values[k], got, tol, false)
		}
	}
	if e.HasResult {
		out = compareValue(out, p+"result", e.Result, a.Result, tol, false)
	}
	return out
}

// testStepsTree is a testcase's `steps:` for export.
func testStepsTree(steps []*TestStep, mode exportMode) []any {
	out := make([]any, len(steps))
	for i, ts := range steps {
		o := NewObject()
		switch {
		case ts.After != nil:
			o.Set("after", ts.After.Text)
		case ts.AnswerStep != "":
			a := NewObject()
			a.Set(ts.AnswerStep, ts.Answer)
			o.Set("answer", a)
		case ts.UploadStep != "":
			u := NewObject()
			setIf(u, "file", ts.UploadFile)
			if ts.UploadName != "" && ts.UploadName != path.Base(ts.UploadFile) {
				u.Set("name", ts.UploadName)
			}
			setIf(u, "type", ts.UploadType)
			if mode == modeJSON || ts.UploadFile == "" {
				u.Set("base64", base64.StdEncoding.EncodeToString(ts.UploadContent))
			}
			up := NewObject()
			up.Set(ts.UploadStep, u)
			o.Set("upload", up)
		}
		e := NewObject()
		x := ts.Expect
		setIf(e, "status", x.Status)
		setIf(e, "step", x.Step)
		if x.HasWaiting {
			e.Set("waiting", strings2any(x.Waiting))
		}
		if x.State != nil {
			e.Set("state", x.State)
		}
		if x.HasResult {
			e.Set("result", x.Result)
		}
		if x.HasAlerts {
			e.Set("alerts", strings2any(x.Alerts))
		}
		if x.HasError {
			if x.Error == "" {
				e.Set("error", nil)
			} else {
				e.Set("error", x.Error)
			}
		}
		if x.HasHistory {
			e.Set("history", strings2any(x.History))
		}
		if e.Len() > 0 {
			o.Set("expect", e)
		}
		out[i] = o
	}
	return out
}
