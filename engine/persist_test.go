package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/store"
	"github.com/kubusdev/kubus/store/storetest"
)

const peopleRuleset = `name: people
inputs:
  Action: {type: string, required: true}
  Name: {type: string}
  Born: {type: date}
entities:
  Person:
    persisted: true
    properties:
      Name: {type: string, required: true}
      Birthdate: {type: date}
      Visits: {type: number, default: 0}
    calculated:
      Age: "Birthdate ? AGE(Birthdate) : null"
rules:
  Result: |
    switch (Action) {
      case "add": {
        const p = new Person({Name, Birthdate: Born});
        const id = p.save();
        // The execution's own reads see its writes.
        return [id === p._id, Person.get(id).Name, Person.count(), p._createdAt instanceof Date];
      }
      case "add-then-fail": { new Person({Name}).save(); throw new Error("after saving"); }
      case "add-then-halt": { new Person({Name}).save(); System.halt("stop", {commit: false}); return 0; }
      case "add-then-halt-commit": { new Person({Name}).save(); System.halt("stop"); return 0; }
      case "add-then-loop": { new Person({Name}).save(); while (true) {} }
      case "list": return Person.find({}, {sort: "Name"}).map(p => p.Name + ":" + p.Age);
      case "adults": return Person.find({Birthdate: {$lte: "2006-05-17"}}, {sort: "-Birthdate", limit: 2}).map(p => p.Name);
      case "visit": { const p = Person.find({Name})[0]; p.Visits += 1; p.save(); return p.Visits; }
      case "delete": return Person.find({Name})[0].delete();
      case "count": return Person.count();
      case "bad": return new Person({Name: 42});
    }
`

func run(t *testing.T, rs *engine.Ruleset, s store.Store, input map[string]any) (*engine.Result, error) {
	t.Helper()
	return rs.Execute(context.Background(), input, engine.ExecOptions{Now: fixedNow, Store: s})
}

func TestPersistedEntities(t *testing.T) {
	s := storetest.Open(t)
	rs := load(t, engine.New(engine.WithLimits(engine.Limits{Timeout: 200 * time.Millisecond})), peopleRuleset, nil)
	must := func(input map[string]any) any {
		t.Helper()
		res, err := run(t, rs, s, input)
		if err != nil {
			t.Fatalf("%v: %v", input, err)
		}
		return res.Output["Result"]
	}
	got := must(map[string]any{"Action": "add", "Name": "Ann", "Born": "1990-01-01"}).([]any)
	if got[0] != true || got[1] != "Ann" || got[2] != 1.0 || got[3] != true {
		t.Errorf("add = %v", got)
	}
	must(map[string]any{"Action": "add", "Name": "Bob", "Born": "2010-06-01"})
	must(map[string]any{"Action": "add", "Name": "Cas", "Born": "1980-03-03"})
	if l := must(map[string]any{"Action": "list"}); strings.Join(toStrings(l), ",") != "Ann:34,Bob:13,Cas:44" {
		t.Errorf("list = %v", l)
	}
	if a := must(map[string]any{"Action": "adults"}); strings.Join(toStrings(a), ",") != "Ann,Cas" {
		t.Errorf("adults = %v", a)
	}

	// Nothing a failed or discarded execution wrote is committed.
	for _, action := range []string{"add-then-fail", "add-then-halt", "add-then-loop"} {
		res, err := run(t, rs, s, map[string]any{"Action": action, "Name": "Ghost"})
		if err == nil && (res.Halted == nil || res.Halted.Commit) {
			t.Errorf("%s: expected an error or a halt without commit", action)
		}
	}
	if _, err := run(t, rs, s, map[string]any{"Action": 42}); err == nil {
		t.Error("a wrong input must fail")
	}
	if n := must(map[string]any{"Action": "count"}); n != 3.0 {
		t.Errorf("after failed executions count = %v, want 3", n)
	}
	res, err := run(t, rs, s, map[string]any{"Action": "add-then-halt-commit", "Name": "Dee"})
	if err != nil || res.Halted == nil {
		t.Fatalf("halt with commit: %v %v", res, err)
	}
	if n := must(map[string]any{"Action": "count"}); n != 4.0 {
		t.Errorf("after a halt that commits count = %v, want 4", n)
	}
	if d := must(map[string]any{"Action": "delete", "Name": "Dee"}); d != true {
		t.Errorf("delete = %v", d)
	}
	if n := must(map[string]any{"Action": "count"}); n != 3.0 {
		t.Errorf("after delete count = %v", n)
	}
	_, err = run(t, rs, s, map[string]any{"Action": "bad"})
	var ee *engine.EvalError
	if !errors.As(err, &ee) || !strings.Contains(ee.Message, "new Person: Name: must be a string") {
		t.Errorf("new Person with a wrong type: %v", err)
	}
}

// Many goroutines read-modify-write one record: optimistic concurrency and retries lose no update.
func TestConcurrentExecutionsLoseNoUpdate(t *testing.T) {
	s := storetest.Open(t)
	rs := load(t, engine.New(), peopleRuleset, nil)
	if _, err := run(t, rs, s, map[string]any{"Action": "add", "Name": "Counter"}); err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := run(t, rs, s, map[string]any{"Action": "visit", "Name": "Counter"}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	res, err := run(t, rs, s, map[string]any{"Action": "visit", "Name": "Counter"})
	if err != nil || res.Output["Result"] != float64(workers*each+1) {
		t.Errorf("visits = %v (%v), want %d", res.Output["Result"], err, workers*each+1)
	}
}

// A record saved by an older ruleset version loads in a newer one: added properties take their
// default, removed ones are kept and saved again.
func TestEntitiesAcrossRulesetVersions(t *testing.T) {
	s := storetest.Open(t)
	v1 := load(t, engine.New(), `name: evolve
version: 1.0.0
entities:
  Client:
    persisted: true
    properties:
      Name: string
      Legacy: string
rules:
  Id: "new Client({Name: 'Ann', Legacy: 'keep me'}).save()"
`, nil)
	res, err := run(t, v1, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := res.Output["Id"].(string)
	v2 := load(t, engine.New(), `name: evolve
version: 2.0.0
inputs:
  Id: string
entities:
  Client:
    persisted: true
    properties:
      Name: string
      Tier: {type: string, default: basic}
rules:
  Loaded: |
    const c = Client.get(Id);
    c.Name = "Ann B";
    c.save();
    [c.Name, c.Tier, c.Legacy]
`, nil)
	res, err = run(t, v2, s, map[string]any{"Id": id})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(toStrings(res.Output["Loaded"]), ","); got != "Ann B,basic,keep me" {
		t.Errorf("loaded across versions: %v", got)
	}
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, len(list))
	for i, e := range list {
		out[i], _ = e.(string)
	}
	return out
}
