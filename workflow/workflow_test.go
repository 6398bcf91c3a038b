package workflow_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubusdev/kubus/builtins/documents"
	"github.com/kubusdev/kubus/builtins/std"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/store"
	"github.com/kubusdev/kubus/store/storetest"
	"github.com/kubusdev/kubus/workflow"
)

// clock is a test clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const loanFlow = `name: loan-flow
version: 1.0.0
inputs:
  Amount: {type: number, required: true}
entities:
  Note: {persisted: true, properties: {text: string}}
workflow:
  state:
    Polls: {type: number, default: 0}
    Approved: boolean
    Checks: {type: number, default: 0}
    Fails: {type: number, default: 0}
  steps:
    Start: {type: start, expression: "new Note({text: 'started ' + Amount}).save()", next: Poll}
    Poll:
      type: switch
      expression: "(state.Polls += 1, state.Polls >= 3 ? 'ready' : 'later')"
      cases: {ready: Review, later: Later}
    Later: {type: delay, for: PT30S, next: Poll}
    Review:
      type: wait
      answer: {Approved: {type: boolean, required: true}}
      timeout: P3D
      onTimeout: Expired
      expression: "state.Approved = answer.Approved"
      next: Decide
    Decide: {type: switch, expression: "state.Approved", cases: {"true": Checks, "false": Refused}}
    Checks: {type: fork, branches: [Credit, Fraud]}
    Credit: {type: action, expression: "state.Checks += 1; new Note({text: 'credit'}).save()", next: Checked}
    Fraud: {type: action, expression: "state.Checks += 10", next: Checked}
    Checked: {type: join, next: Flaky}
    Flaky:
      type: action
      expression: "if (Amount > 1000 && Date.now() < Date.parse('2026-01-05T09:01:25Z')) { state.Fails += 1; throw new Error('flaky ' + state.Fails) }"
      retry: {max: 3, backoff: PT10S}
      next: Done
    Done: {type: end, expression: "({approved: state.Approved, checks: state.Checks})"}
    Refused: {type: end, status: failed, expression: "({reason: 'refused'})"}
    Expired: {type: end, status: failed, expression: "({reason: 'expired'})"}
`

type fixture struct {
	t   testing.TB
	clk *clock
	st  store.Store
	eng *engine.Engine
	rs  *engine.Ruleset
	svc *workflow.Service
	ctx context.Context
}

func newFixture(t testing.TB, yaml string) *fixture {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ruleset.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t)
	eng := engine.New(engine.WithModules(std.Modules()...), engine.WithStore(st))
	rs, err := eng.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	return &fixture{t: t, clk: clk, st: st, eng: eng, rs: rs, ctx: context.Background(),
		svc: workflow.New(eng, st, workflow.Options{Now: clk.Now})}
}

// after advances the clock and fires what came due.
func (f *fixture) after(d time.Duration) {
	f.t.Helper()
	f.clk.Add(d)
	if _, err := f.svc.Tick(f.ctx); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) get(id string) *workflow.Instance {
	f.t.Helper()
	inst, err := f.svc.Get(id)
	if err != nil {
		f.t.Fatal(err)
	}
	return inst
}

func waitingAt(inst *workflow.Instance) []string {
	var out []string
	for _, w := range inst.Waiting {
		out = append(out, w.Step)
	}
	return out
}

func (f *fixture) count(entity string) int {
	f.t.Helper()
	tx := f.st.Begin()
	defer tx.Discard()
	n, err := tx.Count(store.Kind{Ruleset: "loan-flow", Entity: entity}, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) history(id string) []string {
	f.t.Helper()
	evs, err := f.svc.History(id)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for i, e := range evs {
		if e.Seq != i+1 {
			f.t.Fatalf("history out of order at %d: seq %d", i, e.Seq)
		}
		if e.Event == workflow.EventEntered {
			out = append(out, e.Step)
		}
	}
	return out
}

func TestHappyPath(t *testing.T) {
	f := newFixture(t, loanFlow)
	inst, err := f.svc.Start(f.ctx, f.rs, map[string]any{"Amount": 2000.0})
	if err != nil {
		t.Fatal(err)
	}
	if inst.Status != workflow.StatusWaiting || !reflect.DeepEqual(waitingAt(inst), []string{"Later"}) || inst.State["Polls"] != 1.0 {
		t.Fatalf("after start: %s %v %v", inst.Status, waitingAt(inst), inst.State)
	}
	if f.count("Note") != 1 {
		t.Errorf("start's note: %d", f.count("Note"))
	}
	f.after(29 * time.Second)
	if got := f.get(inst.ID).State["Polls"]; got != 1.0 {
		t.Errorf("fired early: polls %v", got)
	}
	f.after(time.Second)
	if got := f.get(inst.ID); got.State["Polls"] != 2.0 || !reflect.DeepEqual(waitingAt(got), []string{"Later"}) {
		t.Errorf("second poll: %v %v", got.State, waitingAt(got))
	}
	f.after(30 * time.Second)
	got := f.get(inst.ID)
	if !reflect.DeepEqual(waitingAt(got), []string{"Review"}) || got.Waiting[0].Kind != workflow.WaitTask {
		t.Fatalf("review: %+v", got.Waiting)
	}
	// A wrong answer and an answer for a step it does not wait at change nothing.
	_, err = f.svc.Answer(f.ctx, inst.ID, "Review", map[string]any{"Approved": "yes"})
	var ie *engine.InputError
	if !errors.As(err, &ie) || ie.Problems[0].Path != "answer.Approved" {
		t.Errorf("bad answer: %v", err)
	}
	_, err = f.svc.Answer(f.ctx, inst.ID, "Decide", map[string]any{})
	var se *workflow.StateError
	if !errors.As(err, &se) {
		t.Errorf("answer at a switch: %v", err)
	}
	if _, err := f.svc.Answer(f.ctx, "nope", "Review", nil); !errors.Is(err, workflow.ErrNotFound) {
		t.Errorf("unknown instance: %v", err)
	}
	if again := f.get(inst.ID); again.Rev != got.Rev {
		t.Errorf("refused answers changed the instance: rev %d → %d", got.Rev, again.Rev)
	}
	inst, err = f.svc.Answer(f.ctx, inst.ID, "Review", map[string]any{"Approved": true})
	if err != nil {
		t.Fatal(err)
	}
	// The fork ran both branches and joined; Flaky failed once and waits for its retry.
	if inst.State["Checks"] != 11.0 || inst.Status != workflow.StatusWaiting || inst.Waiting[0].Kind != workflow.WaitRetry {
		t.Fatalf("after the answer: %s %v %+v", inst.Status, inst.State, inst.Waiting)
	}
	if f.count("Note") != 2 {
		t.Errorf("notes after the fork: %d", f.count("Note"))
	}
	f.after(10 * time.Second) // second try fails, backoff doubles
	if got := f.get(inst.ID); got.Waiting[0].Kind != workflow.WaitRetry || !got.Waiting[0].Until.Equal(f.clk.Now().Add(20*time.Second)) {
		t.Fatalf("second try: %+v", got.Waiting)
	}
	f.after(20 * time.Second)
	inst = f.get(inst.ID)
	if inst.Status != workflow.StatusCompleted || inst.Step != "Done" {
		t.Fatalf("end: %s %s %+v", inst.Status, inst.Step, inst.Error)
	}
	if m, _ := inst.Result.(map[string]any); m["approved"] != true || m["checks"] != 11.0 {
		t.Errorf("result: %v", inst.Result)
	}
	want := []string{"Start", "Poll", "Later", "Poll", "Later", "Poll", "Review", "Decide", "Checks", "Credit", "Fraud", "Checked", "Checked", "Flaky", "Done"}
	if got := f.history(inst.ID); !reflect.DeepEqual(got, want) {
		t.Errorf("history:\n got  %v\n want %v", got, want)
	}
	// Failed tries commit nothing of their own: the state counts one failure per try only
	// because the failure is not committed — Fails stays at what the successful try saw.
	if inst.State["Fails"] != 0.0 {
		t.Errorf("a failed try's state leaked: %v", inst.State["Fails"])
	}
	if _, err := f.svc.Cancel(f.ctx, inst.ID, ""); !errors.As(err, &se) {
		t.Errorf("cancel after the end: %v", err)
	}
	// Nothing is left to fire.
	if _, ok, _ := f.svc.NextDue(); ok {
		t.Error("timers left after the end")
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	f := newFixture(t, loanFlow)
	inst, err := f.svc.Start(f.ctx, f.rs, map[string]any{"Amount": 5.0})
	if err != nil {
		t.Fatal(err)
	}
	f.after(30 * time.Second)
	f.after(30 * time.Second)
	f.after(72 * time.Hour)
	inst = f.get(inst.ID)
	if inst.Status != workflow.StatusFailed || inst.Step != "Expired" || !inst.Terminal() {
		t.Fatalf("timeout: %s %s", inst.Status, inst.Step)
	}
	if _, err := f.svc.Answer(f.ctx, inst.ID, "Review", map[string]any{"Approved": true}); err == nil {
		t.Error("answer after the timeout")
	}

	inst2, _ := f.svc.Start(f.ctx, f.rs, map[string]any{"Amount": 5.0})
	inst2, err = f.svc.Cancel(f.ctx, inst2.ID, "test")
	if err != nil || inst2.Status != workflow.StatusCanceled {
		t.Fatalf("cancel: %v %v", inst2, err)
	}
	f.after(time.Hour)
	if got := f.get(inst2.ID); got.Status != workflow.StatusCanceled || got.State["Polls"] != 1.0 {
		t.Errorf("ran after cancel: %+v", got)
	}
}

func TestIncidentAndRetry(t *testing.T) {
	yaml := strings.Replace(loanFlow, "retry: {max: 3, backoff: PT10S}", "retry: {max: 1, backoff: PT10S}", 1)
	f := newFixture(t, yaml)
	inst, _ := f.svc.Start(f.ctx, f.rs, map[string]any{"Amount": 2000.0})
	f.after(30 * time.Second)
	f.after(30 * time.Second)
	inst, _ = f.svc.Answer(f.ctx, inst.ID, "Review", map[string]any{"Approved": true})
	f.after(10 * time.Second)
	inst = f.get(inst.ID)
	if inst.Status != workflow.StatusFailed || inst.Error == nil || inst.Error.Step != "Flaky" || inst.Terminal() {
		t.Fatalf("incident: %s %+v", inst.Status, inst.Error)
	}
	if !strings.Contains(inst.Error.Message, "flaky 1") || !strings.HasPrefix(inst.Error.At, "ruleset.yaml:") {
		t.Errorf("error: %+v", inst.Error)
	}
	// Retried by hand: the step still fails (its state is not committed), until the input changes
	// nothing — so count that the retry ran and failed again.
	inst, err := f.svc.Retry(f.ctx, inst.ID)
	if err != nil {
		t.Fatal(err)
	}
	if inst.Waiting == nil || len(inst.Waiting) != 1 || inst.Waiting[0].Kind != workflow.WaitRetry {
		t.Errorf("after retry: %s %+v", inst.Status, inst.Waiting)
	}
}

func TestStartRefusesBadInput(t *testing.T) {
	f := newFixture(t, loanFlow)
	_, err := f.svc.Start(f.ctx, f.rs, map[string]any{"Amount": "lots"})
	var ie *engine.InputError
	if !errors.As(err, &ie) || ie.Problems[0].Path != "Amount" {
		t.Fatalf("bad input: %v", err)
	}
	list, _, err := f.svc.List(workflow.ListOptions{})
	if err != nil || len(list) != 0 {
		t.Errorf("an instance was created: %d %v", len(list), err)
	}
	if f.count("Note") != 0 {
		t.Error("the start step's write was committed")
	}
}

// TestRacingAnswers answers one task from many goroutines at once: exactly one wins.
func TestRacingAnswers(t *testing.T) {
	f := newFixture(t, loanFlow)
	inst, _ := f.svc.Start(f.ctx, f.rs, map[string]any{"Amount": 5.0})
	f.after(30 * time.Second)
	f.after(30 * time.Second)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.Answer(f.ctx, inst.ID, "Review", map[string]any{"Approved": i%2 == 0})
			mu.Lock()
			defer mu.Unlock()
			var se *workflow.StateError
			switch {
			case err == nil:
				ok++
			case errors.As(err, &se):
				refused++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || refused != 7 {
		t.Errorf("%d answers won, %d refused", ok, refused)
	}
	evs, _ := f.svc.History(inst.ID)
	n := 0
	for _, e := range evs {
		if e.Event == workflow.EventAnswered {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d answered events", n)
	}
}

const uploadFlow = `name: up-flow
workflow:
  state: {Doc: string, Size: number}
  steps:
    Start: {type: start, next: Payslip}
    Payslip:
      type: upload
      accept: [application/pdf, image/*]
      maxBytes: 64
      timeout: P1D
      onTimeout: Late
      expression: "state.Doc = upload.id; state.Size = upload.size"
      next: Done
    Done: {type: end, expression: "state.Doc"}
    Late: {type: end, status: failed}
`

func TestUpload(t *testing.T) {
	f := newFixture(t, uploadFlow)
	inst, err := f.svc.Start(f.ctx, f.rs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if inst.Waiting[0].Kind != workflow.WaitUpload || inst.Waiting[0].Until == nil {
		t.Fatalf("waiting: %+v", inst.Waiting)
	}
	pdf := "%PDF-1.4 a tiny payslip"
	refused := []struct {
		name string
		file workflow.File
		want error
	}{
		{"wrong type", workflow.File{Name: "a.txt", ContentType: "text/plain", Body: strings.NewReader("hi")}, workflow.ErrContentType},
		{"not a pdf", workflow.File{Name: "a.pdf", ContentType: "application/pdf", Body: strings.NewReader("MZ\x90\x00")}, workflow.ErrContentType},
		{"too large", workflow.File{Name: "a.pdf", ContentType: "application/pdf", Body: strings.NewReader("%PDF-" + strings.Repeat("x", 64))}, workflow.ErrTooLarge},
	}
	for _, r := range refused {
		if _, err := f.svc.Upload(f.ctx, inst.ID, "Payslip", r.file); !errors.Is(err, r.want) {
			t.Errorf("%s: %v", r.name, err)
		}
	}
	if got := f.get(inst.ID); got.Rev != inst.Rev {
		t.Errorf("a refused upload changed the instance")
	}
	inst, err = f.svc.Upload(f.ctx, inst.ID, "Payslip", workflow.File{Name: "payslip.pdf", ContentType: "application/pdf; charset=binary", Body: strings.NewReader(pdf)})
	if err != nil {
		t.Fatal(err)
	}
	if inst.Status != workflow.StatusCompleted || inst.State["Size"] != float64(len(pdf)) {
		t.Fatalf("after upload: %s %v", inst.Status, inst.State)
	}
	tx := f.st.Begin()
	defer tx.Discard()
	doc, err := documents.Get(tx, inst.Result.(string))
	if err != nil || string(doc.Content) != pdf || doc.Name != "payslip.pdf" || doc.ContentType != "application/pdf" {
		t.Errorf("document: %+v %v", doc, err)
	}
	// Uploading again: it is not waiting any more.
	_, err = f.svc.Upload(f.ctx, inst.ID, "Payslip", workflow.File{Name: "b.pdf", ContentType: "application/pdf", Body: strings.NewReader(pdf)})
	var se *workflow.StateError
	if !errors.As(err, &se) {
		t.Errorf("second upload: %v", err)
	}
}

// TestAnswerRacesTimeout answers a task at the moment its timeout fires, many times over: each
// instance takes exactly one of the two transitions.
func TestAnswerRacesTimeout(t *testing.T) {
	f := newFixture(t, loanFlow)
	var ids []string
	for range 12 {
		inst, err := f.svc.Start(f.ctx, f.rs, map[string]any{"Amount": 5.0})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, inst.ID)
	}
	f.after(30 * time.Second)
	f.after(30 * time.Second)
	f.clk.Add(72 * time.Hour) // every Review timeout is due now
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := f.svc.Tick(f.ctx); err != nil {
			t.Error(err)
		}
	}()
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.Answer(f.ctx, id, "Review", map[string]any{"Approved": false})
			var se *workflow.StateError
			if err != nil && !errors.As(err, &se) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	answered, timedOut := 0, 0
	for _, id := range ids {
		evs, _ := f.svc.History(id)
		a, to := 0, 0
		for _, e := range evs {
			switch {
			case e.Event == workflow.EventAnswered:
				a++
			case e.Event == workflow.EventTimer && e.Step == "Review":
				to++
			}
		}
		inst := f.get(id)
		switch {
		case a == 1 && to == 0 && inst.Step == "Refused":
			answered++
		case a == 0 && to == 1 && inst.Step == "Expired":
			timedOut++
		default:
			t.Errorf("%s: %d answers, %d timeouts, ended at %s", id, a, to, inst.Step)
		}
	}
	t.Logf("%d answered first, %d timed out first", answered, timedOut)
	if _, ok, _ := f.svc.NextDue(); ok {
		t.Error("timers left")
	}
}

// TestSpinThroughAPastDelay: a loop whose delay's `until` has always passed passes the loader's
// check (the cycle has a delay) but never waits; the instance stops with an incident instead of
// spinning, and every Tick ends.
func TestSpinThroughAPastDelay(t *testing.T) {
	f := newFixture(t, `name: spin
workflow:
  state: {N: {type: number, default: 0}}
  steps:
    Start: {type: start, next: Loop}
    Loop: {type: delay, until: "new Date(0)", next: Again}
    Again: {type: switch, expression: "(state.N += 1, state.N > 5000 ? 'far' : 'loop')", cases: {far: Far}, default: Loop}
    Far: {type: delay, until: "new Date(8.64e15)", next: Done}
    Done: {type: end}
`)
	inst, err := f.svc.Start(f.ctx, f.rs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 200 { // the scheduler's Run loop, on a clock that does not move
		if n, err := f.svc.Tick(f.ctx); err != nil || n == 0 {
			break
		}
	}
	inst = f.get(inst.ID)
	if inst.Status != workflow.StatusFailed || inst.Error == nil || !strings.Contains(inst.Error.Message, "without waiting") {
		t.Fatalf("spin: %s %+v", inst.Status, inst.Error)
	}
	if n := inst.State["N"].(float64); n < 400 || n > workflow.MaxStepsWithoutWait {
		t.Errorf("it ran %v loops", n)
	}
}

func TestDelayTooFarAway(t *testing.T) {
	f := newFixture(t, `name: far
workflow:
  steps:
    Start: {type: start, next: Far}
    Far: {type: delay, until: "new Date(8.64e15)", next: Done}
    Done: {type: end}
`)
	inst, err := f.svc.Start(f.ctx, f.rs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if inst.Status != workflow.StatusFailed || inst.Error == nil || !strings.Contains(inst.Error.Message, "more than 100 years away") {
		t.Fatalf("far: %s %+v", inst.Status, inst.Error)
	}
}

// TestFailedStepIsRecordedOnce: a step that fails while the scheduler ticks (kubus serve runs both
// the request's steps and the scheduler) is one failure, not one per process that fired its timer.
func TestFailedStepIsRecordedOnce(t *testing.T) {
	f := newFixture(t, `name: boom
version: 1.0.0
workflow:
  steps:
    Start: {type: start, next: Boom}
    Boom: {type: action, expression: "throw new Error('boom')", next: Done}
    Done: {type: end}
`)
	ctx, stop := context.WithCancel(f.ctx)
	defer stop()
	ticking := make(chan struct{})
	go func() {
		defer close(ticking)
		for ctx.Err() == nil {
			_, _ = f.svc.Tick(ctx)
		}
	}()
	for range 30 {
		inst, err := f.svc.Start(f.ctx, f.rs, map[string]any{})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // let a tick that raced the start finish
		events, err := f.svc.History(inst.ID)
		if err != nil {
			t.Fatal(err)
		}
		failed := 0
		for _, ev := range events {
			if ev.Event == workflow.EventFailed {
				failed++
			}
		}
		if failed != 1 {
			t.Fatalf("instance %s: %d failed events, want 1: %+v", inst.ID, failed, events)
		}
	}
	stop()
	<-ticking
}
