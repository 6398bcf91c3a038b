package engine_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/store"
	"github.com/kubusdev/kubus/store/storetest"
)

const alertsRuleset = `name: alerting
version: 1.2.0
inputs:
  X: {type: number, required: true}
  Raise: {type: number, default: 0}
  Fail: {type: boolean, default: false}
  Halt: {type: string, default: ""}
rules:
  Y: |
    for (let i = 0; i < Raise; i++) System.createAlert({name: "Manual", level: "info", message: "m" + i});
    if (Fail) throw new Error("failing on purpose");
    if (Halt === "discard") System.halt("stop", {commit: false});
    if (Halt === "commit") System.halt("stop");
    return X * 2;
alerts:
  Big:
    level: warning
    when: X > 10
    message: "big ${X}"
  Huge:
    level: error
    when: X > 100
    message: "huge ${X}"
`

func metricsRun(t *testing.T, rs *engine.Ruleset, s store.Store, input map[string]any, tags ...string) *engine.Result {
	t.Helper()
	res, err := rs.Execute(context.Background(), input, engine.ExecOptions{Now: fixedNow, Store: s, Metrics: true, Tags: tags})
	if err != nil {
		t.Fatalf("execute %v %v: %v", input, tags, err)
	}
	return res
}

// metricsRecord reads the stored metrics record of the tags (nil when there is none).
func metricsRecord(t *testing.T, s store.Store, ruleset string, tags ...string) *store.Record {
	t.Helper()
	tx := s.Begin()
	defer tx.Discard()
	rec, err := tx.Get(engine.MetricsKind(ruleset), engine.MetricsKey(tags))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func aggregate(t *testing.T, s store.Store, tags ...string) map[string]int {
	t.Helper()
	got, err := engine.AlertMetrics(s, "alerting", tags)
	if err != nil {
		t.Fatalf("AlertMetrics(%v): %v", tags, err)
	}
	return got
}

func TestMetricsRecordAndOverwrite(t *testing.T) {
	s := storetest.Open(t)
	rs := load(t, engine.New(), alertsRuleset, nil)

	res := metricsRun(t, rs, s, map[string]any{"X": 500, "Raise": 2}, "a", "b")
	if len(res.Alerts) != 4 {
		t.Fatalf("alerts = %v", res.Alerts)
	}
	rec := metricsRecord(t, s, "alerting", "a", "b")
	if rec == nil {
		t.Fatal("no metrics record for [a b]")
	}
	want := map[string]any{
		"tags":    []any{"a", "b"},
		"version": "1.2.0",
		"at":      "2024-05-17T10:30:00Z",
		"counts":  map[string]any{"Big": 1.0, "Huge": 1.0, "Manual": 2.0},
	}
	if !reflect.DeepEqual(rec.Props, want) {
		t.Errorf("record = %#v\nwant %#v", rec.Props, want)
	}
	if rec.ID != "-\x1fa\x1fb" || rec.Rev != 1 || !rec.UpdatedAt.Equal(fixedNow) {
		t.Errorf("id %q rev %d updated %v", rec.ID, rec.Rev, rec.UpdatedAt)
	}

	// The same tags again: the record is overwritten, zero counts for declared alerts that did not
	// fire; a raised alert that did not fire this time is gone.
	metricsRun(t, rs, s, map[string]any{"X": 20}, "a", "b")
	rec = metricsRecord(t, s, "alerting", "a", "b")
	if got := rec.Props["counts"]; !reflect.DeepEqual(got, map[string]any{"Big": 1.0, "Huge": 0.0}) || rec.Rev != 2 {
		t.Errorf("after overwrite: counts %v rev %d", got, rec.Rev)
	}

	// No tags: its own record, with tags [].
	metricsRun(t, rs, s, map[string]any{"X": 1})
	rec = metricsRecord(t, s, "alerting")
	if rec == nil || rec.ID != "-" || !reflect.DeepEqual(rec.Props["tags"], []any{}) ||
		!reflect.DeepEqual(rec.Props["counts"], map[string]any{"Big": 0.0, "Huge": 0.0}) {
		t.Errorf("untagged record = %+v", rec)
	}
}

func TestAlertMetricsAggregatesByTagPrefix(t *testing.T) {
	s := storetest.Open(t)
	rs := load(t, engine.New(), alertsRuleset, nil)
	if _, err := engine.AlertMetrics(s, "alerting", nil); !errors.Is(err, engine.ErrNoMetrics) {
		t.Fatalf("empty store: err = %v, want ErrNoMetrics", err)
	}

	metricsRun(t, rs, s, map[string]any{"X": 500, "Raise": 3}, "a", "b") // overwritten below
	metricsRun(t, rs, s, map[string]any{"X": 50, "Raise": 1}, "a", "c")
	metricsRun(t, rs, s, map[string]any{"X": 500}, "a", "b")
	metricsRun(t, rs, s, map[string]any{"X": 50}, "ab") // "ab" is not under "a"
	metricsRun(t, rs, s, map[string]any{"X": 500}, "b", "a")

	cases := []struct {
		tags []string
		want map[string]int
	}{
		{[]string{"a", "b"}, map[string]int{"Big": 1, "Huge": 1}},
		{[]string{"a", "c"}, map[string]int{"Big": 1, "Huge": 0, "Manual": 1}},
		{[]string{"a"}, map[string]int{"Big": 2, "Huge": 1, "Manual": 1}},
		{[]string{"ab"}, map[string]int{"Big": 1, "Huge": 0}},
		{[]string{"b"}, map[string]int{"Big": 1, "Huge": 1}},
		{nil, map[string]int{"Big": 4, "Huge": 2, "Manual": 1}},
	}
	for _, c := range cases {
		if got := aggregate(t, s, c.tags...); !maps.Equal(got, c.want) {
			t.Errorf("tags %q: %v, want %v", c.tags, got, c.want)
		}
	}
	for _, tags := range [][]string{{"c"}, {"a", "b", "c"}, {"a", "x"}} {
		if _, err := engine.AlertMetrics(s, "alerting", tags); !errors.Is(err, engine.ErrNoMetrics) {
			t.Errorf("tags %q: err = %v, want ErrNoMetrics", tags, err)
		}
	}
	if _, err := engine.AlertMetrics(s, "other", nil); !errors.Is(err, engine.ErrNoMetrics) {
		t.Errorf("another ruleset: err = %v, want ErrNoMetrics", err)
	}
	if _, err := engine.AlertMetrics(s, "alerting", []string{""}); err == nil || errors.Is(err, engine.ErrNoMetrics) {
		t.Errorf("an empty tag: err = %v, want a tag problem", err)
	}
}

func TestMetricsKeysAreDistinct(t *testing.T) {
	lists := [][]string{nil, {"-"}, {"a"}, {"a", "b"}, {"ab"}, {"a,b"}, {"-", "a"}, {"a", "b", "c", "d", "e"}}
	seen := map[string][]string{}
	for _, tags := range lists {
		k := engine.MetricsKey(tags)
		if k == "" {
			t.Errorf("%q: empty key", tags)
		}
		if prev, ok := seen[k]; ok {
			t.Errorf("%q and %q share the key %q", prev, tags, k)
		}
		seen[k] = tags
	}
	if engine.MetricsKey([]string{}) != engine.MetricsKey(nil) || engine.MetricsKey(nil) != "-" {
		t.Error("no tags must be \"-\"")
	}
	long := strings.Repeat("é", engine.MaxTagLength)
	var tags []string
	for range engine.MaxTags {
		tags = append(tags, long)
	}
	if k := engine.MetricsKey(tags); len(k) > 1286 {
		t.Errorf("longest key is %d bytes", len(k))
	}
}

func TestInvalidTagsFailBeforeAnythingRuns(t *testing.T) {
	s := storetest.Open(t)
	rs := load(t, engine.New(), alertsRuleset, nil)
	cases := map[string][]string{
		"too many":      {"1", "2", "3", "4", "5", "6"},
		"empty":         {"a", ""},
		"too long":      {strings.Repeat("x", engine.MaxTagLength+1)},
		"control":       {"a\x1fb"},
		"newline":       {"a\nb"},
		"invalid UTF-8": {"\xff"},
	}
	for name, tags := range cases {
		for _, metrics := range []bool{true, false} {
			res, err := rs.Execute(context.Background(), map[string]any{"X": 500}, engine.ExecOptions{Store: s, Metrics: metrics, Tags: tags})
			var ie *engine.InputError
			if !errors.As(err, &ie) || res != nil {
				t.Errorf("%s (metrics %v): %T %v, want *InputError", name, metrics, err, err)
				continue
			}
			if !strings.Contains(err.Error(), "tags") {
				t.Errorf("%s: %v does not name the tags", name, err)
			}
		}
	}
	// Every problem at once.
	_, err := rs.Execute(context.Background(), map[string]any{"X": 1}, engine.ExecOptions{Tags: []string{"", "a", "", "b", "c", "d"}})
	var ie *engine.InputError
	if !errors.As(err, &ie) || len(ie.Problems) != 3 {
		t.Errorf("want 3 problems, got %v", err)
	}
	// The longest allowed tag, in characters, not bytes.
	metricsRun(t, rs, s, map[string]any{"X": 1}, strings.Repeat("é", engine.MaxTagLength), "1", "2", "3", "4")
	if _, err := engine.AlertMetrics(s, "alerting", nil); err != nil {
		t.Errorf("only valid runs must have saved metrics: %v", err)
	}
	if got := aggregate(t, s); !maps.Equal(got, map[string]int{"Big": 0, "Huge": 0}) {
		t.Errorf("metrics = %v: a refused execution saved something", got)
	}
}

func TestMetricsOnlyForCommittedExecutions(t *testing.T) {
	s := storetest.Open(t)
	rs := load(t, engine.New(), alertsRuleset, nil)
	path := s.Path()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Metrics off, a failing execution and a halt without commit: nothing is saved; the file is
	// byte for byte as it was.
	if _, err := rs.Execute(context.Background(), map[string]any{"X": 500}, engine.ExecOptions{Store: s, Tags: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Execute(context.Background(), map[string]any{"X": 500, "Fail": true}, engine.ExecOptions{Store: s, Metrics: true, Tags: []string{"a"}}); err == nil {
		t.Fatal("want the rule's error")
	}
	res, err := rs.Execute(context.Background(), map[string]any{"X": 500, "Halt": "discard"}, engine.ExecOptions{Store: s, Metrics: true, Tags: []string{"a"}})
	if err != nil || res.Halted == nil {
		t.Fatalf("halt: %v %v", res, err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Error("the store file changed")
	}
	if _, err := engine.AlertMetrics(s, "alerting", nil); !errors.Is(err, engine.ErrNoMetrics) {
		t.Errorf("err = %v, want ErrNoMetrics", err)
	}

	// A halt with commit is a success: its alerts (those raised before the halt) are counted.
	res, err = rs.Execute(context.Background(), map[string]any{"X": 500, "Raise": 1, "Halt": "commit"}, engine.ExecOptions{Store: s, Metrics: true, Tags: []string{"a"}})
	if err != nil || res.Halted == nil {
		t.Fatalf("halt: %v %v", res, err)
	}
	if got := aggregate(t, s, "a"); got["Manual"] != 1 {
		t.Errorf("after a committed halt: %v", got)
	}

	// Without ExecOptions.Now the record's time is the execution clock, which is now.
	t0 := time.Now().Add(-time.Second)
	metricsRun2 := func() {
		if _, err := rs.Execute(context.Background(), map[string]any{"X": 1}, engine.ExecOptions{Store: s, Metrics: true, Tags: []string{"now"}}); err != nil {
			t.Fatal(err)
		}
	}
	metricsRun2()
	rec := metricsRecord(t, s, "alerting", "now")
	at, err := time.Parse(time.RFC3339Nano, rec.Props["at"].(string))
	if err != nil || at.Before(t0) || at.After(time.Now()) || !at.Equal(rec.UpdatedAt) {
		t.Errorf("at = %v (%v), updated %v", rec.Props["at"], err, rec.UpdatedAt)
	}
}

func TestMetricsWithoutStoreSaveNothingAndCostNothing(t *testing.T) {
	rs := load(t, engine.New(), alertsRuleset, nil)
	input := map[string]any{"X": 500}
	// No store anywhere: Metrics is a no-op.
	if _, err := rs.Execute(context.Background(), input, engine.ExecOptions{Now: fixedNow, Metrics: true, Tags: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	// Tags without Metrics add no allocation to an execution.
	allocs := func(opts engine.ExecOptions) float64 {
		return testing.AllocsPerRun(50, func() {
			if _, err := rs.Execute(context.Background(), input, opts); err != nil {
				t.Fatal(err)
			}
		})
	}
	plain := allocs(engine.ExecOptions{Now: fixedNow})
	tagged := allocs(engine.ExecOptions{Now: fixedNow, Tags: []string{"a", "b"}})
	if tagged > plain {
		t.Errorf("tags cost %v allocations per execution (%v → %v)", tagged-plain, plain, tagged)
	}
}
