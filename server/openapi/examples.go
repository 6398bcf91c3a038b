package openapi

import (
	"strconv"
	"time"

	"github.com/kubusdev/kubus/rulesets"
)

// exampleExecutionID stands in for the id the server gives each execution.
const exampleExecutionID = "00000000-0000-0000-0000-000000000000"

// examples are the request and response examples the ruleset's testcases make, keyed by testcase
// name. A testcase that expects an error, or a workflow's, makes none: an example shows a request that works (and
// validators check examples against the schemas).
func (b *builder) examples() (req, res map[string]any) {
	req, res = map[string]any{}, map[string]any{}
	seen := map[string]int{}
	for _, tc := range b.rs.Testcases {
		if tc.Expect.HasError && tc.Expect.Error != "" || len(tc.Steps) > 0 {
			continue // a workflow's testcases script instances, not executions
		}
		key := uniqueKey(tc.Name, seen)
		req[key] = example(tc.Name, requestNotes(tc), requestExample(tc))
		if tc.Expect.Output != nil {
			res[key] = example(tc.Name, "What the testcase expects: the outputs it checks (not necessarily every output) and the alerts it expects (their messages as templates, [] when it does not check them). durationMs and executionId are placeholders.", b.resultExample(tc))
		}
	}
	return req, res
}

func example(summary, desc string, value any) map[string]any {
	e := map[string]any{"summary": summary, "value": value}
	if desc != "" {
		e["description"] = desc
	}
	return e
}

// uniqueKey keeps testcase names as example names, numbering a repeated one.
func uniqueKey(name string, seen map[string]int) string {
	seen[name]++
	if n := seen[name]; n > 1 {
		return name + " (" + strconv.Itoa(n) + ")"
	}
	return name
}

// requestExample is the testcase's input, with its clock and culture as options: the expected
// output depends on them.
func requestExample(tc *rulesets.Testcase) map[string]any {
	in := tc.Input.Map()
	if in == nil {
		in = map[string]any{}
	}
	v := map[string]any{"input": in}
	opts := map[string]any{}
	if !tc.Now.IsZero() {
		opts["now"] = tc.Now.Format(time.RFC3339Nano)
	}
	if tc.Culture != "" {
		opts["culture"] = tc.Culture
	}
	if len(opts) > 0 {
		v["options"] = opts
	}
	return v
}

// requestNotes says what else the testcase's answer depends on.
func requestNotes(tc *rulesets.Testcase) string {
	var s string
	if !tc.Now.IsZero() {
		s = joinSentences(s, "options.now (the testcase's clock) needs a key with the scope clock.")
	}
	if len(tc.Fixtures)+len(tc.Consents)+len(tc.DataDebits) > 0 {
		s = joinSentences(s, "The testcase saves fixtures in the store before it runs.")
	}
	if tc.Ockto != "" {
		s = joinSentences(s, "The testcase runs against the Ockto simulator's scenario "+tc.Ockto+".")
	}
	return s
}

func (b *builder) resultExample(tc *rulesets.Testcase) map[string]any {
	return map[string]any{
		"ruleset":     b.rs.Name,
		"version":     b.rs.Version,
		"output":      tc.Expect.Output.Map(),
		"alerts":      b.alertsExample(tc),
		"durationMs":  0,
		"executionId": exampleExecutionID,
	}
}

// alertsExample are the alerts the testcase expects, with the declared level and message template;
// an alert raised from code has neither, so it shows as info without a message.
func (b *builder) alertsExample(tc *rulesets.Testcase) []any {
	out := []any{}
	if !tc.Expect.HasAlerts {
		return out
	}
	for _, name := range tc.Expect.Alerts {
		a := map[string]any{"name": name, "level": "info", "message": "", "rule": name}
		for _, d := range b.rs.Alerts {
			if d.Name == name {
				a["level"], a["message"] = d.Level, d.Message.Source
			}
		}
		out = append(out, a)
	}
	return out
}
