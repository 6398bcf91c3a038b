package openapi

import (
	"github.com/kubusdev/kubus/engine"
)

// The shared components: the same in every document, never prefixed. Their names hold no '.', and
// every ruleset's components have a "<ruleset>." prefix, so the two cannot clash.

func schemaRef(name string) map[string]any {
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

func str(desc string) map[string]any {
	return map[string]any{"type": "string", "description": desc}
}

func arrayOf(items map[string]any, desc string) map[string]any {
	return map[string]any{"type": "array", "items": items, "description": desc}
}

func object(desc string, props map[string]any, required ...string) map[string]any {
	s := map[string]any{"type": "object", "properties": props}
	if desc != "" {
		s["description"] = desc
	}
	if len(required) > 0 {
		req := make([]any, len(required))
		for i, r := range required {
			req[i] = r
		}
		s["required"] = req
	}
	return s
}

// closed forbids properties other than the listed ones: the engine writes exactly these, so a
// response with another one is a drift the tests should catch.
func closed(s map[string]any) map[string]any {
	s["additionalProperties"] = false
	return s
}

// executionSchemas are the components every execute route uses.
func executionSchemas() map[string]any {
	return map[string]any{
		"ExecuteOptions": executeOptions(),
		"Alert": closed(object("A raised alert: a declared one (rule is its own name) or one raised from code with System.createAlert (rule is the rule that raised it).", map[string]any{
			"name":    str("The alert's name."),
			"level":   map[string]any{"type": "string", "enum": []any{"error", "warning", "info"}},
			"message": str("The alert's message, its template filled in."),
			"rule":    str("The declared alert, or the rule that raised it from code."),
			"data":    map[string]any{"description": "The data System.createAlert attached (any JSON value)."},
		}, "name", "level", "message", "rule")),
		"Diagnostic": closed(object("A console line, kept when the execution's logLevel lets it through (the last 100).", map[string]any{
			"t":         map[string]any{"type": "integer", "description": "The execution clock, Unix milliseconds."},
			"type":      map[string]any{"type": "string", "enum": []any{"log", "info", "warn", "error"}},
			"arguments": arrayOf(map[string]any{}, "The console call's arguments as JSON (dates as ISO strings)."),
		}, "t", "type", "arguments")),
		"Explained": closed(object("One evaluated rule of an explain trace.", map[string]any{
			"rule":  str("The rule's name (also of rules that are not in the output)."),
			"value": map[string]any{"description": "The rule's value."},
			"reads": arrayOf(map[string]any{"type": "string"}, "The names the rule reads."),
			"us":    map[string]any{"type": "number", "minimum": 0, "description": "Time spent, in microseconds."},
		}, "rule", "value", "reads", "us")),
		"Halted": closed(object("System.halt ended the execution: the output holds the outputs computed before it.", map[string]any{
			"reason": str("The reason given to System.halt."),
			"commit": map[string]any{"type": "boolean", "description": "Whether the execution's writes were kept."},
		}, "reason", "commit")),
		"InputProblem": closed(object("One thing wrong with the input, at its JSON path.", map[string]any{
			"path":    str("The JSON path of the value (\"\" for the input as a whole), e.g. Traveller.Name or Items[2]."),
			"message": str("What is wrong."),
		}, "path", "message")),
		"EvalError": closed(object("An evaluation that failed: a rule threw, a result did not fit its type, or a limit stopped it.", map[string]any{
			"ruleset": str("The ruleset."),
			"rule":    str("The rule being evaluated, or \"alert NAME\" for an alert."),
			"kind":    str("\"error\" for an exception, else the limit that stopped it: timeout, memory, call stack depth, output size, output nodes, canceled; \"store\" for a store failure."),
			"message": str("What happened."),
			"at":      str("Where in the ruleset's own files: ruleset.yaml:42:7, rules/max-loan.js:3:12."),
			"stack":   arrayOf(map[string]any{"type": "string"}, "The ruleset's own frames, innermost first."),
		}, "kind", "message")),
		"Problem": problem(),
	}
}

// executeOptions are the options of an execute request. Unknown options are refused (400), hence
// additionalProperties false.
func executeOptions() map[string]any {
	return closed(object("How to execute. Every option may be left out.", map[string]any{
		"logLevel": map[string]any{"type": "string", "enum": []any{"none", "info", "warning", "error"}, "default": "none",
			"description": "Which console output lands in the result's diagnostics."},
		"culture": map[string]any{"type": "string", "examples": []any{"nl-NL", "en-US"},
			"description": "A BCP 47 tag that overrides the ruleset's culture for NUM, CUR and date names."},
		"explain": map[string]any{"type": "boolean", "default": false,
			"description": "Add each evaluated rule's value, the names it reads and its time to the result."},
		"tags": map[string]any{"type": "array", "maxItems": engine.MaxTags,
			"description": "Labels for the execution (the alert metrics are kept per set of tags).",
			"items": map[string]any{"type": "string", "minLength": 1, "maxLength": engine.MaxTagLength,
				// Exactly the characters unicode.IsControl refuses (category Cc), written so that an
				// ECMA-262 regex without the u flag reads it too.
				"pattern": `^[^\x00-\x1f\x7f-\x9f]+$`}},
		"metrics": map[string]any{"type": "boolean", "default": false,
			"description": "Save the alert counts of this execution (with a store)."},
		"now": map[string]any{"type": "string", "format": "date-time",
			"description": "The execution clock (TODAY(), new Date()). Needs a key with the scope clock; otherwise it is refused (400)."},
	}))
}

// problem is an RFC 9457 problem detail with the engine's shapes as extensions. Further extension
// members are allowed, as the RFC says.
func problem() map[string]any {
	return object("An error, as RFC 9457 problem details, with the engine's shapes as extensions.", map[string]any{
		"type":     map[string]any{"type": "string", "format": "uri-reference", "description": "Identifies the kind of problem."},
		"title":    str("A short summary of the kind of problem."),
		"status":   map[string]any{"type": "integer", "minimum": 100, "maximum": 599},
		"detail":   str("What went wrong in this request."),
		"instance": map[string]any{"type": "string", "format": "uri-reference"},
		"errors":   arrayOf(schemaRef("InputProblem"), "Every input problem, when the input does not fit (400)."),
		"error":    schemaRef("EvalError"),
	}, "title", "status")
}

// serverSchemas are the components only the whole-server document has: the generic execute shapes
// (for rulesets added after the document was made) and the error bodies of the routes that keep
// another API's shape.
func serverSchemas() map[string]any {
	return map[string]any{
		"ExecuteRequest": closed(object("An execute request for any ruleset: its ruleset's own document has the precise input schema.", map[string]any{
			"input":   map[string]any{"type": "object", "description": "The ruleset's inputs, by their JSON names."},
			"options": schemaRef("ExecuteOptions"),
		}, "input")),
		"Result": closed(object("The result of an execution of any ruleset.", resultProperties(
			map[string]any{"type": "string"}, map[string]any{"type": "string"},
			map[string]any{"type": "object", "description": "The output rules and echoed inputs, in declared order."}),
			resultRequired...)),
		"ConsentError": object("The Consents API's error body, kept on the /consents routes.", map[string]any{
			"_error": object("", map[string]any{
				"_id":         str("The error's id."),
				"message":     str("What went wrong."),
				"statusCode":  map[string]any{"type": "integer"},
				"type":        str("The kind of error."),
				"attributes":  map[string]any{"type": "object"},
				"remediation": str("What to do about it."),
				"occurredAt":  map[string]any{"type": "string", "format": "date-time"},
			}, "message", "statusCode"),
		}, "_error"),
		"HatError": object("The HAT API's error body, kept on the data-debit routes.", map[string]any{
			"error":   str("The kind of error."),
			"message": str("What went wrong."),
		}, "error"),
	}
}

// resultRequired are the members every result has; halted, diagnostics and explain are written
// only when there is something to say (engine.Result.MarshalJSON).
var resultRequired = []string{"ruleset", "version", "output", "alerts", "durationMs", "executionId"}

// resultProperties are the members of an execution result: engine.Result's JSON plus the server's
// executionId.
func resultProperties(name, version, out map[string]any) map[string]any {
	return map[string]any{
		"ruleset":     name,
		"version":     version,
		"output":      out,
		"alerts":      arrayOf(schemaRef("Alert"), "The raised alerts: declared ones in declared order, then those raised from code."),
		"halted":      schemaRef("Halted"),
		"diagnostics": map[string]any{"type": "array", "minItems": 1, "items": schemaRef("Diagnostic"), "description": "Console output, when the logLevel kept any."},
		"explain":     map[string]any{"type": "array", "minItems": 1, "items": schemaRef("Explained"), "description": "The evaluated rules, when explain was asked for."},
		"durationMs":  map[string]any{"type": "number", "minimum": 0, "description": "How long the rules ran, in milliseconds."},
		"executionId": str("Identifies this execution; also in the X-Kubus-Execution-Id header and the log."),
	}
}

// securitySchemes are the two ways to present a key that OpenAPI can express.
func securitySchemes() map[string]any {
	return map[string]any{
		"bearer": map[string]any{"type": "http", "scheme": "bearer",
			"description": "Authorization: Bearer kbs_… (the server also takes the key without \"Bearer \", Rulecube's style)."},
		"apiKeyHeader": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key",
			"description": "X-API-Key: kbs_…"},
	}
}
