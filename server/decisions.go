package server

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/kubusdev/kubus/engine"
)

// decisionLog writes one JSON line per execution. Inputs the ruleset marks `pii: true` are written
// as "<redacted>"; so is an echoed pii input in the output.
type decisionLog struct {
	mu sync.Mutex
	w  io.Writer
}

type decision struct {
	ExecutionID string         `json:"executionId"`
	Time        time.Time      `json:"time"`
	Ruleset     string         `json:"ruleset"`
	Version     string         `json:"version"`
	KeyID       string         `json:"keyId,omitempty"`
	Input       map[string]any `json:"input"`
	Output      map[string]any `json:"output,omitempty"`
	Alerts      []string       `json:"alerts,omitempty"`
	DurationMs  float64        `json:"durationMs"`
	Outcome     string         `json:"outcome"`
}

const redacted = "<redacted>"

func (d *decisionLog) write(c *call, rs *engine.Ruleset, input map[string]any, res *engine.Result, outcome string, took time.Duration) {
	m := rs.Model()
	in := make(map[string]any, len(input))
	for k, v := range input {
		in[k] = v
	}
	var out map[string]any
	if res != nil {
		out = make(map[string]any, len(res.Output))
		for k, v := range res.Output {
			out[k] = v
		}
	}
	for _, decl := range m.Inputs {
		if !decl.PII {
			continue
		}
		if _, ok := in[decl.JSONName()]; ok {
			in[decl.JSONName()] = redacted
		}
		if _, ok := out[decl.Name]; ok && decl.Output {
			out[decl.Name] = redacted
		}
	}
	e := decision{ExecutionID: c.executionID, Time: time.Now().UTC(), Ruleset: rs.Name(), Version: rs.Version(), Input: in, Output: out,
		DurationMs: float64(took.Microseconds()) / 1000, Outcome: outcome}
	if c.key != nil {
		e.KeyID = c.key.ID
	}
	if res != nil {
		for _, a := range res.Alerts {
			e.Alerts = append(e.Alerts, a.Name)
		}
	}
	line, err := json.Marshal(e)
	if err != nil {
		line, _ = json.Marshal(map[string]any{"executionId": c.executionID, "ruleset": rs.Name(), "outcome": outcome, "error": "the decision could not be encoded: " + err.Error()})
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	_, _ = d.w.Write(append(line, '\n'))
}
