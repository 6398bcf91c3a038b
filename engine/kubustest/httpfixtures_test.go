package kubustest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/engine/kubustest"
)

const scoreRuleset = `name: score
inputs:
  Id: {type: number, required: true}
rules:
  Score: |
    const r = Http.get("https://scores.example.com/v1/score/" + Id, {headers: {"X-Client": "kubus"}});
    return r.ok ? r.json.score : -r.status;
  Posted: 'Http.post("https://crm.example.com/notes", {id: Id}).status'
testcases:
  - name: a known customer
    input: {Id: 42}
    http:
      - {url: "https://scores.example.com/v1/score/42", json: {score: 712}}
      - {method: post, url: "https://crm.example.com/*", status: 201}
    expect: {output: {Score: 712, Posted: 201}}
  - name: an unknown customer is a 404 answer, not an error
    input: {Id: 7}
    http:
      - {url: "https://scores.example.com/v1/score/*", status: 404, body: no such customer}
      - {method: POST, url: "https://crm.example.com/notes", status: 201, delay: PT0.05S}
    expect: {output: {Score: -404, Posted: 201}}
  - name: a call no fixture answers fails the testcase, naming it
    input: {Id: 42}
    http:
      - {url: "https://scores.example.com/v1/score/42", json: {score: 712}}
    expect: {output: {Score: 712}}
  - name: without fixtures nothing leaves the machine
    input: {Id: 1}
    expect: {output: {Score: 1}}
`

func TestHTTPFixtures(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ruleset.yaml"), []byte(scoreRuleset), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := engine.New().Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	res := kubustest.RunCases(context.Background(), rs, kubustest.Options{})
	if len(res) != 4 {
		t.Fatalf("%d results", len(res))
	}
	for _, i := range []int{0, 1} {
		if !res[i].Passed() {
			t.Errorf("%s: %v", res[i].Case.Name, res[i].Mismatches)
		}
	}
	for i, want := range map[int]string{
		2: "http: no fixture answers POST https://crm.example.com/notes (add one under http:)",
		3: "http: no fixture answers GET https://scores.example.com/v1/score/1",
	} {
		var all []string
		for _, m := range res[i].Mismatches {
			all = append(all, m.String())
		}
		if got := strings.Join(all, "\n"); res[i].Passed() || !strings.Contains(got, want) {
			t.Errorf("%s:\n%s\nwant %s", res[i].Case.Name, got, want)
		}
	}
}
