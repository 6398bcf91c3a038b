package openapi

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/kubusdev/kubus/rulesets"
)

// A workflow ruleset's document also describes its instances: the start request with the
// ruleset's input, and, under the literal path of each step that waits, the answer its task takes
// (the step's `answer` declaration, typed like inputs) or the file its upload takes. A client,
// and the studio's task form, needs nothing else to answer a task; the step's code stays out.

const (
	startPath    = "/api/workflows/{name}/instances"
	instancePath = "/api/workflows/instances/{id}"
)

// workflowStatuses are an instance's statuses (workflow.Status*).
var workflowStatuses = []any{"running", "waiting", "completed", "failed", "canceled"}

// addWorkflow adds the instance components and the start, task and upload operations.
func (b *builder) addWorkflow(tag string, nameParam map[string]any, ids opIDs) {
	w := b.rs.Workflow
	b.addSchema("workflow.StartRequest", closed(object("A start request for "+b.rs.Name+" "+b.rs.Version+".", map[string]any{
		"input": b.ref("Input"),
	}, "input")))
	b.addSchema("workflow.Instance", b.instanceSchema())
	instance := map[string]any{"application/json": map[string]any{"schema": b.ref("workflow.Instance")}}
	scope := "workflows:" + b.rs.Name
	desc := func(text string) string { return joinSentences(text, "Scope: `"+scope+"` or `workflows:*`.") }

	start := map[string]any{
		"operationId":   ids.take("start" + pascal(b.rs.Name)),
		"summary":       "Start an instance of " + b.rs.Name,
		"description":   desc("The instance runs until it waits; the answer is the instance then."),
		"tags":          []any{tag},
		"parameters":    []any{nameParam},
		"requestBody":   jsonBody(b.ref("workflow.StartRequest"), nil),
		"responses":     responses(startPath, []int{201, 400, 401, 403, 404, 409, 413, 415}, instance),
		"x-kubus-scope": scope,
	}
	addOperation(b.doc, "post", startPath, start)

	idParam := map[string]any{"name": "id", "in": "path", "required": true, "description": "The instance's id.",
		"schema": map[string]any{"type": "string"}}
	for _, s := range w.Steps {
		var op map[string]any
		var path string
		switch s.Type {
		case rulesets.StepWait:
			path = instancePath + "/tasks/" + url.PathEscape(s.Name)
			local := "workflow.task." + componentSafe(s.Name)
			// Unlike an input, an answer with an undeclared property is refused.
			b.addSchema(local, closed(b.fieldsSchema(s.Answer, "The answer to the task of step "+s.Name+".")))
			b.addSchema(local+".Request", closed(object("An answer to the task of step "+s.Name+".", map[string]any{
				"answer": b.ref(local),
			}, "answer")))
			op = map[string]any{
				"operationId": ids.take("answer" + pascal(b.rs.Name) + pascal(s.Name)),
				"summary":     "Answer the task of step " + s.Name,
				"description": desc(joinSentences(s.Description, "409 when the instance does not wait at "+s.Name+"; input problems are listed in errors, with paths under answer.")),
				"requestBody": jsonBody(b.ref(local+".Request"), nil),
				"responses":   responses(path, []int{200, 400, 401, 403, 404, 409, 413, 415}, instance),
			}
		case rulesets.StepUpload:
			path = instancePath + "/uploads/" + url.PathEscape(s.Name)
			file := map[string]any{"type": "string", "contentMediaType": "application/octet-stream", "description": "The file."}
			text := "The file goes in the multipart part `file`"
			if len(s.Accept) > 0 {
				file["description"] = "The file: " + strings.Join(s.Accept, ", ") + "."
				text += ", of type " + strings.Join(s.Accept, " or ")
			}
			if s.MaxBytes > 0 {
				text += ", at most " + strconv.FormatInt(s.MaxBytes, 10) + " bytes"
			}
			media := map[string]any{"schema": object("", map[string]any{"file": file}, "file")}
			if len(s.Accept) > 0 {
				media["encoding"] = map[string]any{"file": map[string]any{"contentType": strings.Join(s.Accept, ", ")}}
			}
			op = map[string]any{
				"x-kubus-accept": stringsAny(s.Accept),
				"summary":        "Upload the file of step " + s.Name,
				"description":    desc(joinSentences(s.Description, text+". 409 when the instance does not wait at "+s.Name+".")),
				"operationId":    ids.take("upload" + pascal(b.rs.Name) + pascal(s.Name)),
				"requestBody":    map[string]any{"required": true, "content": map[string]any{"multipart/form-data": media}},
				"responses":      responses(path, []int{200, 400, 401, 403, 404, 409, 413, 415}, instance),
			}
		default:
			continue
		}
		op["tags"] = []any{tag}
		op["parameters"] = []any{idParam}
		op["x-kubus-scope"] = scope
		// What a client builds its form from, beside the schema.
		op["x-kubus-step"] = s.Name
		if s.Description != "" {
			op["x-kubus-step-description"] = s.Description
		}
		if s.MaxBytes > 0 {
			op["x-kubus-max-bytes"] = s.MaxBytes
		}
		addOperation(b.doc, "post", path, op)
	}
}

// fieldsSchema is declared fields (inputs, an answer) as an object, by their JSON names.
func (b *builder) fieldsSchema(fields []*rulesets.Input, desc string) map[string]any {
	props := map[string]any{}
	var required []string
	for _, in := range fields {
		props[in.JSONName()] = b.valueSchema(&in.Type, input, in.Required, in.Label, in.Description, in.Default, in.HasDefault)
		if in.Required {
			required = append(required, in.JSONName())
		}
	}
	return object(desc, props, required...)
}

// instanceSchema is an instance as the workflow routes answer it (workflow.Instance).
func (b *builder) instanceSchema() map[string]any {
	var steps []any
	for _, s := range b.rs.Workflow.Steps {
		steps = append(steps, s.Name)
	}
	step := map[string]any{"type": "string", "enum": steps}
	date := map[string]any{"type": "string", "format": "date-time"}
	return closed(object("An instance of "+b.rs.Name+".", map[string]any{
		"id":       str("The instance's id."),
		"workflow": map[string]any{"type": "string", "const": b.rs.Name},
		"version":  str("The version it runs on, to its end."),
		"status":   map[string]any{"type": "string", "enum": workflowStatuses},
		"input":    map[string]any{"type": "object", "description": "The input it started with."},
		"state":    map[string]any{"type": "object", "description": "The state entity's properties."},
		"waiting": arrayOf(closed(object("", map[string]any{
			"step":  step,
			"kind":  map[string]any{"type": "string", "enum": []any{"delay", "task", "upload", "retry"}},
			"until": date,
		}, "step", "kind")), "What it waits for."),
		"step":   map[string]any{"type": "string", "enum": steps, "description": "The step it ended or failed at."},
		"result": map[string]any{"description": "The end step's result."},
		"alerts": arrayOf(closed(object("", map[string]any{
			"step":    step,
			"name":    str("The alert's name."),
			"level":   map[string]any{"type": "string", "enum": []any{"error", "warning", "info"}},
			"message": str("The alert's message."),
		}, "step", "name", "level", "message")), "Alerts its steps raised."),
		"error": closed(object("Why it failed.", map[string]any{
			"step":    step,
			"kind":    str("What failed (error, timeout, …)."),
			"message": str("The error."),
			"at":      str("The rule file and line."),
			"attempt": map[string]any{"type": "integer"},
		}, "step", "kind", "message")),
		"createdAt": date,
		"updatedAt": date,
	}, "id", "workflow", "version", "status", "input", "state", "waiting", "createdAt", "updatedAt"))
}
