package rulesets

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// exampleWorkflow is the contract's Ockto example, with the built-ins it calls stood in by testGlobals
// (the diagram tests draw it too).
var exampleWorkflow = func() string {
	data, err := os.ReadFile("testdata/workflow/ruleset.yaml")
	if err != nil {
		panic(err)
	}
	return string(data)
}()

func TestWorkflowLoads(t *testing.T) {
	rs := mustLoadYAML(t, exampleWorkflow, nil)
	w := rs.Workflow
	if w == nil {
		t.Fatal("no workflow")
	}
	if got := len(w.Steps); got != 12 {
		t.Fatalf("steps: %d", got)
	}
	if w.Start().Name != "Start" {
		t.Errorf("start: %s", w.Start().Name)
	}
	poll := w.Step("Poll")
	if poll.Type != StepSwitch || len(poll.Cases) != 3 || poll.Default != "Later" || poll.Cases[0].Value != "dataAvailable" {
		t.Errorf("poll: %+v", poll)
	}
	later := w.Step("Later")
	if later.For == nil || later.For.Clock != 30*time.Second {
		t.Errorf("later: %+v", later.For)
	}
	review := w.Step("Review")
	if len(review.Answer) != 2 || !review.Answer[0].Required || review.Timeout.Days != 3 || review.OnTimeout != "Expired" {
		t.Errorf("review: %+v", review)
	}
	up := w.Step("Payslip")
	if up.MaxBytes != 10485760 || strings.Join(up.Accept, ",") != "application/pdf,image/jpeg" {
		t.Errorf("upload: %+v", up)
	}
	if f := w.Step("Fetch"); f.Retry == nil || f.Retry.Max != 3 || f.Retry.Backoff.Clock != 10*time.Second {
		t.Errorf("retry: %+v", f.Retry)
	}
	if e := w.Step("Expired"); e.Status != StatusFailed {
		t.Errorf("expired status %q", e.Status)
	}
	if d := w.Step("Done"); d.Status != StatusCompleted {
		t.Errorf("done status %q", d.Status)
	}
	if p := w.State.Properties; len(p) != 5 || p[1].Name != "Polls" || !p[1].HasDefault || p[0].Type.Name != "OcktoSession" {
		t.Errorf("state: %+v", p)
	}
}

// TestWorkflowExportRoundTrip writes the JSON form and the folder form and loads both back.
func TestWorkflowExportRoundTrip(t *testing.T) {
	rs := mustLoadYAML(t, exampleWorkflow, nil)
	data, err := ExportJSON(rs)
	if err != nil {
		t.Fatal(err)
	}
	back, err := LoadJSON(data, "export.json", &LoadOptions{Globals: testGlobals})
	if err != nil {
		t.Fatalf("reloading the JSON form: %v\n%s", err, data)
	}
	a, _ := json.Marshal(workflowTree(rs.Workflow, modeJSON))
	b, _ := json.Marshal(workflowTree(back.Workflow, modeJSON))
	if string(a) != string(b) {
		t.Errorf("JSON round trip differs:\n%s\n%s", a, b)
	}
	dir := t.TempDir()
	if err := WriteDir(back, dir); err != nil {
		t.Fatal(err)
	}
	again, err := LoadDir(dir, &LoadOptions{Globals: testGlobals})
	if err != nil {
		t.Fatalf("reloading the folder form: %v", err)
	}
	c, _ := json.Marshal(workflowTree(again.Workflow, modeJSON))
	if string(a) != string(c) {
		t.Errorf("folder round trip differs:\n%s\n%s", a, c)
	}
}

func TestWorkflowProblems(t *testing.T) {
	head := "name: w\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"no start", "workflow:\n  steps:\n    Done: {type: end}\n",
			[]string{"ruleset.yaml:2:1: workflow.steps: a workflow needs exactly one start step, it has none"}},
		{"two starts", "workflow:\n  steps:\n    A: {type: start, next: Done}\n    B: {type: start, next: Done}\n    Done: {type: end}\n",
			[]string{"ruleset.yaml:5:5: workflow.steps.B: a workflow has exactly one start step; A is one too"}},
		{"unknown next", "workflow:\n  steps:\n    A: {type: start, next: Dne}\n    Done: {type: end}\n",
			[]string{"ruleset.yaml:4:28: workflow.steps.A.next: unknown step `Dne` (did you mean `Done`?)"}},
		{"unreachable", "workflow:\n  steps:\n    A: {type: start, next: Done}\n    B: {type: action, expression: '1', next: Done}\n    Done: {type: end}\n",
			[]string{"ruleset.yaml:5:5: workflow.steps.B: step B is not reachable from A"}},
		{"spin", "workflow:\n  steps:\n    A: {type: start, next: B}\n    B: {type: action, expression: '1', next: C}\n    C: {type: switch, expression: '1', cases: {'1': B}, default: Done}\n    Done: {type: end}\n",
			[]string{"ruleset.yaml:5:5: workflow.steps.B: the steps B → C → B loop without waiting: the instance would spin"}},
		{"loop through a delay is fine", "workflow:\n  steps:\n    A: {type: start, next: B}\n    B: {type: switch, expression: '1', cases: {'1': L}, default: Done}\n    L: {type: delay, for: PT1M, next: B}\n    Done: {type: end}\n",
			nil},
		{"end with next", "workflow:\n  steps:\n    A: {type: start, next: Done}\n    Done: {type: end, next: A}\n",
			[]string{"ruleset.yaml:5:23: workflow.steps.Done.next: an end step has no next", "ruleset.yaml:5:23: workflow.steps.Done.next: unknown key `next`"}},
		{"branches meet at different joins", "workflow:\n  steps:\n    A: {type: start, next: F}\n    F: {type: fork, branches: [X, Y]}\n    X: {type: action, expression: '1', next: J1}\n    Y: {type: action, expression: '1', next: J2}\n    J1: {type: join, next: Done}\n    J2: {type: join, next: Done}\n    Done: {type: end}\n",
			[]string{"ruleset.yaml:5:5: workflow.steps.F.branches: the branches of fork F end at different joins: J1, J2"}},
		{"branch reaches an end", "workflow:\n  steps:\n    A: {type: start, next: F}\n    F: {type: fork, branches: [X, Done]}\n    X: {type: action, expression: '1', next: J}\n    J: {type: join, next: Done}\n    Done: {type: end}\n",
			[]string{"ruleset.yaml:5:5: workflow.steps.F.branches: branch Done reaches end step Done before a join"}},
		{"bad duration", "workflow:\n  steps:\n    A: {type: start, next: L}\n    L: {type: delay, for: 30s, next: Done}\n    Done: {type: end}\n",
			[]string{"ruleset.yaml:5:27: workflow.steps.L.for: `30s` is not an ISO 8601 duration: it starts with P, e.g. PT30S or P3D"}},
		{"unknown type", "workflow:\n  steps:\n    A: {type: strat, next: Done}\n    Done: {type: end}\n",
			[]string{"ruleset.yaml:4:15: workflow.steps.A.type: unknown step type `strat` (did you mean `start`?)"}},
		{"timeout without onTimeout", "workflow:\n  steps:\n    A: {type: start, next: W}\n    W: {type: wait, timeout: P1D, next: Done}\n    Done: {type: end}\n",
			[]string{"ruleset.yaml:5:21: workflow.steps.W.timeout: `timeout` needs an `onTimeout`"}},
		{"answer is not in scope of an action", "workflow:\n  steps:\n    A: {type: start, expression: 'answer.x', next: Done}\n    Done: {type: end}\n",
			[]string{"ruleset.yaml:4:35: workflow.steps.A.expression: unknown name `answer`"}},
		{"a rule named state", "rules:\n  state: 1\nworkflow:\n  steps:\n    A: {type: start, next: Done}\n    Done: {type: end}\n",
			[]string{"ruleset.yaml:3:3: rules.state: `state` is a name of the workflow"}},
		{"state property of an unknown type", "workflow:\n  state: {X: Persn}\n  steps:\n    A: {type: start, next: Done}\n    Done: {type: end}\n",
			[]string{"ruleset.yaml:3:14: workflow.state.X.type: unknown type `Persn`"}},
		{"bad accept", "workflow:\n  steps:\n    A: {type: start, next: U}\n    U: {type: upload, accept: [pdf], next: Done}\n    Done: {type: end}\n",
			[]string{"ruleset.yaml:5:32: workflow.steps.U.accept: `pdf` is not a media type"}},
		{"fork with one branch", "workflow:\n  steps:\n    A: {type: start, next: F}\n    F: {type: fork, branches: [X]}\n    X: {type: action, expression: '1', next: J}\n    J: {type: join, next: Done}\n    Done: {type: end}\n",
			[]string{"ruleset.yaml:5:31: workflow.steps.F.branches: a fork needs at least two branches"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadDir(writeFiles(t, map[string]string{"ruleset.yaml": head + tt.yaml}), &LoadOptions{Globals: testGlobals})
			got := problemsOf(t, err)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("problem %d:\n got  %s\n want %s", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	utc := time.UTC
	base := time.Date(2026, 1, 31, 9, 0, 0, 0, utc)
	ok := []struct {
		in   string
		want time.Time
	}{
		{"PT30S", base.Add(30 * time.Second)},
		{"PT1.5S", base.Add(1500 * time.Millisecond)},
		{"P3D", base.AddDate(0, 0, 3)},
		{"P1W", base.AddDate(0, 0, 7)},
		{"P1M", base.AddDate(0, 1, 0)},
		{"P1Y2M3DT4H5M6S", base.AddDate(1, 2, 3).Add(4*time.Hour + 5*time.Minute + 6*time.Second)},
	}
	for _, c := range ok {
		d, err := ParseDuration(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if got := d.AddTo(base, utc); !got.Equal(c.want) {
			t.Errorf("%s: %v, want %v", c.in, got, c.want)
		}
	}
	// P1D across the Dutch DST change is the same wall-clock time the next day (23 hours).
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	d, _ := ParseDuration("P1D")
	start := time.Date(2026, 3, 28, 12, 0, 0, 0, ams)
	if got := d.AddTo(start, ams); got.Sub(start) != 23*time.Hour {
		t.Errorf("P1D over DST: %v", got.Sub(start))
	}
	for _, bad := range []string{"", "P", "PT", "30S", "P1H", "PT1D", "P1.5D", "PT0S", "P0D", "P1D1D", "PT1S1M", "P200Y", "P1DT", "P-1D", "PTS"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestHTTPFixturesRoundTrip(t *testing.T) {
	rs := mustLoadYAML(t, `name: f
rules:
  A: 1
testcases:
  - name: t
    http:
      - {url: "https://a.example/x/*", json: {v: [1, 2]}, headers: {X-A: b}, delay: PT0.5S}
      - {method: post, url: "https://b.example/", status: 201, body: done}
    expect: {output: {A: 1}}
`, nil)
	fx := rs.Testcases[0].HTTP
	if len(fx) != 2 || fx[0].Method != "GET" || !fx[0].Matches("GET", "https://a.example/x/1?q=2") || fx[0].Matches("POST", "https://a.example/x/1") ||
		fx[1].Method != "POST" || fx[1].Status != 201 || !fx[1].Matches("POST", "https://b.example/") || fx[1].Matches("POST", "https://b.example/x") {
		t.Fatalf("fixtures: %+v %+v", fx[0], fx[1])
	}
	data, err := ExportJSON(rs)
	if err != nil {
		t.Fatal(err)
	}
	back, err := LoadJSON(data, "f.json", &LoadOptions{Globals: testGlobals})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(slices.Clone(rs.Testcases[0].HTTP), back.Testcases[0].HTTP...) {
		f.Pos = Pos{}
	}
	b1, _ := json.Marshal(rs.Testcases[0].HTTP)
	b2, _ := json.Marshal(back.Testcases[0].HTTP)
	if string(b1) != string(b2) {
		t.Errorf("round trip:\n%s\n%s", b1, b2)
	}
	if _, err := LoadDir(writeFiles(t, map[string]string{"ruleset.yaml": "name: f\nrules:\n  A: 1\ntestcases:\n  - name: t\n    http: [{url: /x, status: 700, json: 1, body: b}]\n"}), nil); err == nil ||
		!strings.Contains(err.Error(), "a fixture needs the url") || !strings.Contains(err.Error(), "not an HTTP status") || !strings.Contains(err.Error(), "json or body, not both") {
		t.Errorf("bad fixtures: %v", err)
	}
}

func TestDataFixtures(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"ruleset.yaml": `name: f
rules:
  A: 1
testcases:
  - name: t
    sql:
      crm: {file: fixtures/crm.sql}
      ledger: {script: "create table t (a int); insert into t values (1);"}
    mongodb:
      docs:
        loans: [{_id: {$oid: 650000000000000000000001}, Amount: 1000, Open: true}, {Amount: 5}]
        empty: []
    expect: {output: {A: 1}}
`,
		"fixtures/crm.sql": "create table customers (id int);\n",
	})
	rs, err := LoadDir(dir, &LoadOptions{Globals: testGlobals})
	if err != nil {
		t.Fatal(err)
	}
	tc := rs.Testcases[0]
	if len(tc.SQL) != 2 || tc.SQL[0].Connection != "crm" || tc.SQL[0].File != "fixtures/crm.sql" || tc.SQL[0].Script != "create table customers (id int);\n" ||
		tc.SQL[1].Connection != "ledger" || tc.SQL[1].File != "" {
		t.Fatalf("sql: %+v %+v", tc.SQL[0], tc.SQL[1])
	}
	if m := tc.MongoDB; len(m) != 1 || m[0].Connection != "docs" || len(m[0].Collections) != 2 || len(m[0].Collections[0].Documents) != 2 || m[0].Collections[1].Name != "empty" {
		t.Fatalf("mongodb: %+v", m)
	}
	strip := func(tc *Testcase) string {
		for _, f := range tc.SQL {
			f.Pos = Pos{}
		}
		for _, f := range tc.MongoDB {
			f.Pos = Pos{}
		}
		b, _ := json.Marshal([]any{tc.SQL, Plain(tc.MongoDB[0].Collections[0].Documents)})
		return string(b)
	}
	want := strip(tc)
	// The JSON form carries the script next to the file; the folder form writes the file again.
	data, err := ExportJSON(rs)
	if err != nil {
		t.Fatal(err)
	}
	back, err := LoadJSON(data, "f.json", &LoadOptions{Globals: testGlobals})
	if err != nil {
		t.Fatal(err)
	}
	if got := strip(back.Testcases[0]); got != want {
		t.Errorf("JSON round trip:\n%s\n%s", got, want)
	}
	out := t.TempDir()
	if err := WriteDir(back, out); err != nil {
		t.Fatal(err)
	}
	again, err := LoadDir(out, &LoadOptions{Globals: testGlobals})
	if err != nil {
		t.Fatal(err)
	}
	if got := strip(again.Testcases[0]); got != want {
		t.Errorf("folder round trip:\n%s\n%s", got, want)
	}
	_, err = LoadDir(writeFiles(t, map[string]string{"ruleset.yaml": "name: f\nrules:\n  A: 1\ntestcases:\n  - name: t\n    sql: {crm: {file: ../crm.sql}, b: {}, c: {file: missing.sql}}\n    mongodb: {docs: {loans: [1]}}\n"}), nil)
	for _, want := range []string{"not a plain path", "a SQL fixture needs a script", "cannot read missing.sql", "a document is an object", "testcases.t.mongodb.docs.loans[0]"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad fixtures: want %q in %v", want, err)
		}
	}
}

func TestMailAndDocumentExpectations(t *testing.T) {
	rs := mustLoadYAML(t, `name: f
rules:
  A: 1
testcases:
  - name: t
    mail: capture
    expect:
      mails: [{to: anna@example.nl, subject: Your offer, contains: "€ 1.467,05", attachments: [offer.pdf]}]
      documents: [{name: offer.pdf, contentType: application/pdf, contains: Hypotheekofferte}]
`, nil)
	tc := rs.Testcases[0]
	if !tc.MailCapture || !tc.Expect.HasMails || len(tc.Expect.Mails) != 1 || tc.Expect.Mails[0].Attachments[0] != "offer.pdf" || tc.Expect.Documents[0].Contains != "Hypotheekofferte" {
		t.Fatalf("%+v", tc.Expect)
	}
	ok := Actual{Output: map[string]any{"A": 1.0},
		Mails:     []ActualMail{{To: []string{"Anna@example.nl"}, Subject: "Your offer", Text: "Maandlast € 1.467,05", Attachments: []string{"offer.pdf"}}},
		Documents: []ActualDocument{{Name: "offer.pdf", ContentType: "application/pdf", Text: "Hypotheekofferte\nDag Anna"}}}
	if m := tc.Compare(ok); len(m) != 0 {
		t.Errorf("ok: %+v", m)
	}
	bad := Actual{Output: map[string]any{"A": 1.0},
		Mails:     []ActualMail{{To: []string{"bram@example.nl"}, Subject: "Offer", Text: "x"}},
		Documents: []ActualDocument{{Name: "offer.pdf", ContentType: "application/pdf", Text: "nothing"}}}
	var paths []string
	for _, m := range tc.Compare(bad) {
		paths = append(paths, m.Path)
	}
	if got := strings.Join(paths, " "); got != "mails[0].to mails[0].subject mails[0].contains mails[0].attachments documents[0].contains" {
		t.Errorf("mismatches: %s", got)
	}
	if m := tc.Compare(Actual{Output: map[string]any{"A": 1.0}}); len(m) != 2 || m[0].Message != "expected 1 messages, got 0" {
		t.Errorf("none: %+v", m)
	}
	data, err := ExportJSON(rs)
	if err != nil {
		t.Fatal(err)
	}
	back, err := LoadJSON(data, "f.json", &LoadOptions{Globals: testGlobals})
	if err != nil || !back.Testcases[0].MailCapture || len(back.Testcases[0].Expect.Mails) != 1 || len(back.Testcases[0].Expect.Documents) != 1 {
		t.Errorf("round trip: %v", err)
	}
	if _, err := LoadDir(writeFiles(t, map[string]string{"ruleset.yaml": "name: f\nrules:\n  A: 1\ntestcases:\n  - name: t\n    mail: send\n"}), nil); err == nil || !strings.Contains(err.Error(), "is not a mail mode") {
		t.Errorf("mail: send: %v", err)
	}
}
