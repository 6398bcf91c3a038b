package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// kubusMetrics runs `kubus metrics ARGS...` in-process like kubus does, registering the command on
// the root when the root does not have it yet.
func kubusMetrics(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut strings.Builder
	root := newRoot(strings.NewReader(""), &out, &errOut)
	if c, _, err := root.Find([]string{"metrics"}); err != nil || c == root {
		root.AddCommand(newMetricsCmd())
	}
	root.SetArgs(append([]string{"metrics"}, args...))
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		return 0, out.String(), errOut.String()
	case errors.As(err, &ee):
		return ee.code, out.String(), errOut.String()
	}
	return 2, out.String(), errOut.String() + err.Error()
}

func TestMetricsPerTags(t *testing.T) {
	dir := rulesetDir(t, "")
	db := filepath.Join(t.TempDir(), "kubus.db")
	t.Setenv("KUBUS_STORE", "") // only --store counts

	runTagged := func(amount, tags string) {
		t.Helper()
		code, out, errOut := kubus(t, `{"Amount": `+amount+`}`, "run", dir, "--input", "-", "--store", db, "--metrics", "--tags", tags)
		if code != 0 {
			t.Fatalf("run --tags %s: exit %d\n%s%s", tags, code, out, errOut)
		}
	}
	metrics := func(args ...string) string {
		t.Helper()
		code, out, errOut := kubusMetrics(t, append([]string{"discount", "--store", db}, args...)...)
		if code != 0 {
			t.Fatalf("metrics %v: exit %d\n%s%s", args, code, out, errOut)
		}
		return out
	}

	// Before any run: no store file, no metrics, and no file left behind.
	if code, _, errOut := kubusMetrics(t, "discount", "--store", db); code != 1 || !strings.Contains(errOut, "no metrics for discount") {
		t.Errorf("no store: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("metrics created the store file")
	}

	runTagged("2000", "a,b") // BigOrder fires; replaced by the third run
	runTagged("1500", "a,c") // BigOrder fires
	runTagged("10", "a,b")   // BigOrder does not fire

	cases := []struct {
		tags []string
		want string
	}{
		{[]string{"--tags", "a,b"}, "BigOrder  0\n"},
		{[]string{"--tags", "a,c"}, "BigOrder  1\n"},
		{[]string{"--tags", "a"}, "BigOrder  1\n"},
		{nil, "BigOrder  1\n"},
	}
	for _, c := range cases {
		if got := metrics(c.tags...); got != c.want {
			t.Errorf("metrics %v = %q, want %q", c.tags, got, c.want)
		}
	}

	// An untagged run has its own record, which only the untagged query adds.
	runTagged("3000", "")
	if got := metrics(); got != "BigOrder  2\n" {
		t.Errorf("all = %q", got)
	}
	if got := metrics("--tags", "a"); got != "BigOrder  1\n" {
		t.Errorf("a = %q", got)
	}

	var js struct {
		Ruleset string         `json:"ruleset"`
		Tags    []string       `json:"tags"`
		Alerts  map[string]int `json:"alerts"`
	}
	out := metrics("--tags", "a", "--json")
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if js.Ruleset != "discount" || !reflect.DeepEqual(js.Tags, []string{"a"}) || !reflect.DeepEqual(js.Alerts, map[string]int{"BigOrder": 1}) {
		t.Errorf("--json = %s", out)
	}

	// Tags nothing was saved under, and a ruleset with no metrics: exit 1.
	for _, args := range [][]string{{"discount", "--tags", "b"}, {"discount", "--tags", "a,b,c"}, {"other"}} {
		code, out, errOut := kubusMetrics(t, append(args, "--store", db)...)
		if code != 1 || out != "" || !strings.Contains(errOut, "no metrics for "+args[0]) {
			t.Errorf("metrics %v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
}

func TestRunMetricsOptions(t *testing.T) {
	dir := rulesetDir(t, "")
	tmp := t.TempDir()

	// --metrics opens the store even for a ruleset that persists nothing: $KUBUS_STORE, else ./kubus.db.
	db := filepath.Join(tmp, "env.db")
	t.Setenv("KUBUS_STORE", db)
	if code, out, errOut := kubus(t, `{"Amount": 2000}`, "run", dir, "--input", "-", "--metrics"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := kubusMetrics(t, "discount"); code != 0 || out != "BigOrder  1\n" {
		t.Errorf("metrics from $KUBUS_STORE: exit %d %q %s", code, out, errOut)
	}

	// Without --metrics nothing is saved (and a stateless ruleset opens no store).
	other := filepath.Join(tmp, "other.db")
	t.Setenv("KUBUS_STORE", other)
	if code, out, errOut := kubus(t, `{"Amount": 2000}`, "run", dir, "--input", "-", "--tags", "a"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(other); err == nil {
		t.Error("run without --metrics created a store")
	}

	// Bad tags are an input error listing every problem, and save nothing.
	code, out, _ := kubus(t, `{"Amount": 2000}`, "run", dir, "--input", "-", "--store", db, "--metrics", "--tags", "a,,b,c,d,e")
	if code != 1 || !strings.Contains(out, `"errors"`) || !strings.Contains(out, "at most 5 tags") || !strings.Contains(out, "tags[1]: must not be empty") {
		t.Errorf("bad tags: exit %d\n%s", code, out)
	}
	if code, _, errOut := kubusMetrics(t, "discount", "--store", db, "--tags", "a"); code != 1 {
		t.Errorf("bad tags saved metrics: exit %d %s", code, errOut)
	}
	// ...also when querying.
	if code, _, errOut := kubusMetrics(t, "discount", "--store", db, "--tags", "a,,b"); code == 0 || !strings.Contains(errOut, "must not be empty") {
		t.Errorf("bad query tags: exit %d %s", code, errOut)
	}
}
