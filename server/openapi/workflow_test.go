package openapi

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kubusdev/kubus/builtins/std"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/store/storetest"
	"github.com/kubusdev/kubus/workflow"
)

// TestWorkflowDocument: a workflow ruleset's document describes its start request, each task's
// answer and each upload, and the instances the routes answer. Real instances at each stage fit
// the instance schema, and the task schema accepts an answer exactly when the service does.
func TestWorkflowDocument(t *testing.T) {
	st := storetest.Open(t)
	eng := engine.New(engine.WithModules(std.Modules()...), engine.WithStore(st))
	rs, err := eng.Load("../testdata/intake")
	if err != nil {
		t.Fatal(err)
	}
	svc := workflow.New(eng, st, workflow.Options{})
	doc := Ruleset(rs.Model(), "")
	if err := oasValidator(t).Validate(jsonOf(t, doc)); err != nil {
		t.Fatalf("not a valid OpenAPI 3.1 document: %v", err)
	}
	paths := doc["paths"].(map[string]any)
	for _, p := range []string{startPath, instancePath + "/tasks/Review", instancePath + "/uploads/Payslip"} {
		if paths[p] == nil {
			t.Fatalf("no path %s in %v", p, keys(paths))
		}
	}
	if paths[instancePath+"/tasks/Decide"] != nil || paths[instancePath+"/uploads/Review"] != nil {
		t.Error("a path for a step that takes no answer or file")
	}
	up := jsonOf(t, paths[instancePath+"/uploads/Payslip"]).(map[string]any)["post"].(map[string]any)
	if d := up["description"].(string); !strings.Contains(d, "application/pdf") || !strings.Contains(d, "1024 bytes") {
		t.Errorf("the upload's description: %s", d)
	}

	instance := schemaAt(t, doc, pointerTo("components", "schemas", "intake.workflow.Instance"))
	fits := func(what string, inst *workflow.Instance) {
		t.Helper()
		if err := instance.Validate(jsonOf(t, inst)); err != nil {
			t.Errorf("%s: the instance does not fit its schema: %v", what, err)
		}
	}
	start := schemaAt(t, doc, requestPointer(startPath))
	if err := start.Validate(jsonOf(t, map[string]any{"input": map[string]any{}})); err == nil {
		t.Error("the start schema accepts an input without the required Applicant")
	}
	ctx := context.Background()
	inst, err := svc.Start(ctx, rs, map[string]any{"Applicant": "ann"})
	if err != nil {
		t.Fatal(err)
	}
	fits("waiting for the review", inst)

	task := schemaAt(t, doc, requestPointer(instancePath+"/tasks/Review"))
	for _, answer := range []map[string]any{
		{"Approved": "yes"},
		{},
		{"Approved": true, "Extra": 1},
		{"Approved": nil},
		{"Approved": true},
	} {
		schemaOK := task.Validate(jsonOf(t, map[string]any{"answer": answer})) == nil
		next, err := svc.Answer(ctx, inst.ID, "Review", answer)
		var ie *engine.InputError
		if err != nil && !errors.As(err, &ie) {
			t.Fatal(err)
		}
		if schemaOK != (err == nil) {
			t.Errorf("answer %v: the schema accepts = %v, the service: %v", answer, schemaOK, err)
		}
		if err == nil {
			inst = next
		}
	}
	fits("waiting for the payslip", inst)
	if inst, err = svc.Upload(ctx, inst.ID, "Payslip", workflow.File{Name: "p.pdf", ContentType: "application/pdf", Body: strings.NewReader("%PDF-1.4\n%%EOF\n")}); err != nil {
		t.Fatal(err)
	}
	fits("completed", inst)
	if inst.Status != workflow.StatusCompleted {
		t.Fatalf("status %s", inst.Status)
	}
	failed, err := svc.Start(ctx, rs, map[string]any{"Applicant": "flaky"})
	if err != nil {
		t.Fatal(err)
	}
	if failed, err = svc.Answer(ctx, failed.ID, "Review", map[string]any{"Approved": true}); err != nil {
		t.Fatal(err)
	}
	if failed, err = svc.Upload(ctx, failed.ID, "Payslip", workflow.File{Name: "p.pdf", ContentType: "application/pdf", Body: strings.NewReader("%PDF-1.4\n%%EOF\n")}); err != nil {
		t.Fatal(err)
	}
	if failed.Status != workflow.StatusFailed || failed.Error == nil {
		t.Fatalf("the flaky check: %+v", failed)
	}
	fits("failed", failed)
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
