// Package workflow runs durable workflows (workflows.md): instances of a workflow ruleset that run
// steps until they wait for time, a person's answer or an uploaded document, and resume when it
// arrives.
//
// Everything lives in the store. An instance record holds the instance's tokens: where its line of
// execution (or each fork branch) stands. A token that can run is "ready"; one that waits for a
// timer, an answer or an upload is "waiting". Each ready token and each timer has a timer record,
// keyed by its due time, so that the due ones are read by seeking (an index by due time) and a
// process that restarts after a crash finds all its work there. Running a step is one
// transaction: the step's own writes (through the engine), the instance's new state and tokens,
// the history events and the timer records commit together or not at all, and firing a timer
// deletes its record in that transaction, so a timer fires exactly once however many processes
// race for it (the losers get store.ErrConflict and find it gone).
package workflow

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/kubusdev/kubus/store"
)

// Instance statuses.
const (
	StatusRunning   = "running"
	StatusWaiting   = "waiting"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
	StatusCanceled  = "canceled"
)

// Waiting kinds.
const (
	WaitDelay  = "delay"
	WaitTask   = "task"
	WaitUpload = "upload"
	WaitRetry  = "retry" // a failed step waiting for its next try
)

// History events.
const (
	EventStarted   = "started"
	EventEntered   = "entered"
	EventCompleted = "completed"
	EventAnswered  = "answered"
	EventUploaded  = "uploaded"
	EventTimer     = "timer"
	EventRetried   = "retried"
	EventFailed    = "failed"
	EventCanceled  = "canceled"
	EventEnded     = "ended"
)

// The store kinds of workflows.
var (
	InstanceKind = store.Kind{Ruleset: "_workflows", Entity: "Instance"}
	EventKind    = store.Kind{Ruleset: "_workflows", Entity: "Event"}
	TimerKind    = store.Kind{Ruleset: "_workflows", Entity: "Timer"}
)

// Instance is one run of a workflow.
type Instance struct {
	ID        string         `json:"id"`
	Workflow  string         `json:"workflow"`
	Version   string         `json:"version"`
	Status    string         `json:"status"`
	Input     map[string]any `json:"input"`
	State     map[string]any `json:"state"`
	Waiting   []Waiting      `json:"waiting"`
	Step      string         `json:"step,omitempty"` // the step it ended or failed at
	Result    any            `json:"result,omitempty"`
	Alerts    []Alert        `json:"alerts,omitempty"`
	Error     *StepError     `json:"error,omitempty"`
	CreatedAt time.Time      `json:"createdAt"`
	UpdatedAt time.Time      `json:"updatedAt"`
	// Rev is the record's revision (the HTTP ETag).
	Rev uint64 `json:"-"`

	// Run is the run's bookkeeping: kept in the record, not part of the contract's shape.
	Run RunState `json:"-"`
}

// RunState is where an instance's lines of execution stand.
type RunState struct {
	Tokens   []*Token       `json:"tokens,omitempty"`
	Joins    map[string]int `json:"joins,omitempty"` // fork activation → branches arrived at its join
	Seq      int            `json:"seq"`             // history events written so far
	TokenSeq int            `json:"tokenSeq"`        // tokens made so far
}

// stored is an Instance as its record keeps it: the contract's shape and the run's bookkeeping.
type stored struct {
	*Instance
	Run *RunState `json:"run"`
}

// Waiting is one thing an instance waits for.
type Waiting struct {
	Step  string     `json:"step"`
	Kind  string     `json:"kind"`
	Until *time.Time `json:"until,omitempty"`
}

// Alert is an alert a step raised (or, at the end step, one of the ruleset's declared alerts).
type Alert struct {
	Step    string `json:"step"`
	Name    string `json:"name"`
	Level   string `json:"level"`
	Message string `json:"message"`
}

// StepError is why an instance failed at a step.
type StepError struct {
	Step    string `json:"step"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
	At      string `json:"at,omitempty"`
	Attempt int    `json:"attempt,omitempty"`
}

// Token is where one line of execution stands.
type Token struct {
	ID    string `json:"id"`
	Step  string `json:"step"`
	State string `json:"state"`          // ready, waiting or failed
	Kind  string `json:"kind,omitempty"` // when waiting: delay, task, upload, retry
	// Until is a waiting token's timer: when its delay ends, its retry is due, or its task or
	// upload times out.
	Until   *time.Time `json:"until,omitempty"`
	RunID   string     `json:"runId"`             // Workflow.stepRunId: the same for every try of this visit
	Attempt int        `json:"attempt,omitempty"` // failed tries of this visit
	Group   string     `json:"group,omitempty"`   // the fork activation of a branch token
	Timer   string     `json:"timer,omitempty"`   // the id of its timer record
	Hops    int        `json:"hops,omitempty"`    // steps entered since it last waited for something
	// Payload is the answer or upload a wait or upload step resumes with, kept while the step
	// runs (and after it failed, so that a retry resumes with it).
	Payload map[string]any `json:"payload,omitempty"`
}

const (
	tokenReady   = "ready"
	tokenWaiting = "waiting"
	tokenFailed  = "failed"
)

// Event is one entry of an instance's history.
type Event struct {
	Seq    int            `json:"seq"`
	At     time.Time      `json:"at"`
	Step   string         `json:"step,omitempty"`
	Event  string         `json:"event"`
	Detail map[string]any `json:"detail,omitempty"`
}

// timer is a timer record: a ready token (kind run) or a waiting token's timer, due at Due.
type timer struct {
	ID       string    `json:"-"`
	Instance string    `json:"instance"`
	Token    string    `json:"token"`
	Kind     string    `json:"kind"` // run, delay, timeout, retry
	Step     string    `json:"step"`
	Due      time.Time `json:"due"`
}

const (
	timerRun     = "run"
	timerDelay   = "delay"
	timerTimeout = "timeout"
	timerRetry   = "retry"
)

// dueLayout makes due times sort as text: fixed width, UTC, nanoseconds.
const dueLayout = "20060102T150405.000000000Z"

// timerID is the id of a timer record: its due time first, so that id order is due order.
func timerID(due time.Time, instance, token, kind string) string {
	return due.UTC().Format(dueLayout) + "/" + instance + "/" + token + "/" + kind
}

// dueBefore is the IDTo bound that selects the timers due at or before t.
func dueBefore(t time.Time) string {
	return t.UTC().Format(dueLayout) + "0" // "/" < "0": every id of that instant sorts before
}

func eventID(instance string, seq int) string { return fmt.Sprintf("%s/%010d", instance, seq) }

// props and fromProps carry a value through a record's JSON-shaped props.
func props(v any) (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	return m, json.Unmarshal(data, &m)
}

func fromProps(p map[string]any, v any) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// An instance record keeps the instance as one JSON text under "doc" (decoding the record's props
// and then the instance from them would take three passes over the JSON; this takes two), and
// beside it the properties lists filter on.
const docProp = "doc"

// instanceProps are the props of an instance's record.
func instanceProps(inst *Instance) (map[string]any, error) {
	data, err := json.Marshal(stored{inst, &inst.Run})
	if err != nil {
		return nil, err
	}
	return map[string]any{docProp: string(data), "workflow": inst.Workflow, "status": inst.Status}, nil
}

// InstanceOf decodes an instance record (InstanceKind), bookkeeping included.
func InstanceOf(rec *store.Record) (*Instance, error) {
	doc, ok := rec.Props[docProp].(string)
	if !ok {
		return nil, fmt.Errorf("workflow: instance %s: the record has no %s", rec.ID, docProp)
	}
	inst := &Instance{}
	if err := json.Unmarshal([]byte(doc), &stored{inst, &inst.Run}); err != nil {
		return nil, fmt.Errorf("workflow: instance %s: %w", rec.ID, err)
	}
	inst.Rev = rec.Rev
	return inst, nil
}

// loadInstance reads an instance in tx.
func loadInstance(tx store.Tx, id string) (*Instance, error) {
	rec, err := tx.Get(InstanceKind, id)
	if err != nil {
		return nil, err
	}
	return InstanceOf(rec)
}

// token finds a token by id.
func (inst *Instance) token(id string) *Token {
	for _, t := range inst.Run.Tokens {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// removeToken drops a token from the instance.
func (inst *Instance) removeToken(id string) {
	out := inst.Run.Tokens[:0]
	for _, t := range inst.Run.Tokens {
		if t.ID != id {
			out = append(out, t)
		}
	}
	inst.Run.Tokens = out
}

// settle derives the contract's status and waiting list from the tokens.
func (inst *Instance) settle() {
	inst.Waiting = []Waiting{}
	if inst.Terminal() {
		return
	}
	ready, failed := false, false
	for _, t := range inst.Run.Tokens {
		switch t.State {
		case tokenReady:
			ready = true
		case tokenFailed:
			failed = true
		case tokenWaiting:
			inst.Waiting = append(inst.Waiting, Waiting{Step: t.Step, Kind: t.Kind, Until: t.Until})
		}
	}
	switch {
	case failed:
		inst.Status = StatusFailed
	case ready:
		inst.Status = StatusRunning
	default:
		inst.Status = StatusWaiting
	}
}

// Terminal reports whether the instance has ended (completed, failed at an end step, or canceled).
// A failed instance with a failed token is an incident: it can be retried.
func (inst *Instance) Terminal() bool {
	switch inst.Status {
	case StatusCompleted, StatusCanceled:
		return true
	case StatusFailed:
		return len(inst.Run.Tokens) == 0
	}
	return false
}
