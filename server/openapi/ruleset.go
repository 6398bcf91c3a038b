package openapi

import (
	"strings"

	"github.com/kubusdev/kubus/rulesets"
)

// builder writes one ruleset version's components into a document. Every component it makes is
// named prefix + a local name ("travel-insurance." + "Input"), in the ruleset's own document as in
// the whole-server one, so that the two agree and rulesets never clash.
type builder struct {
	rs     *rulesets.Ruleset
	prefix string
	doc    map[string]any
}

func (b *builder) name(local string) string { return b.prefix + local }

func (b *builder) ref(local string) map[string]any { return schemaRef(b.name(local)) }

// addSchema adds a component. Names are made so that they never clash (see componentPrefix and
// entityComponent); a clash would silently replace a schema, so it is a bug worth a panic.
func (b *builder) addSchema(local string, s map[string]any) {
	schemas := b.doc["components"].(map[string]any)["schemas"].(map[string]any)
	name := b.name(local)
	if _, dup := schemas[name]; dup {
		panic("openapi: component " + name + " made twice")
	}
	schemas[name] = s
}

// componentPrefix is "<name>." for a ruleset's latest version and "<name>.<version>." for an older
// one the server also serves. A version starts with a digit and a component's local name with a
// letter, so the two cannot be confused; '+' (semver build metadata) is not allowed in component
// names, and '_' is not allowed in a version, hence the replacement.
func componentPrefix(rs *rulesets.Ruleset, latest bool) string {
	if latest {
		return rs.Name + "."
	}
	return rs.Name + "." + strings.ReplaceAll(rs.Version, "+", "_") + "."
}

// tagName groups a ruleset version's routes (and, in the docs page, its inputs and outputs).
func tagName(rs *rulesets.Ruleset, latest bool) string {
	if latest {
		return "Ruleset " + rs.Name
	}
	return "Ruleset " + rs.Name + " " + rs.Version
}

// Ruleset is the OpenAPI 3.1 document of one ruleset version: its two execute routes, the request
// schema its inputs make and the response schema its outputs make, with examples from its
// testcases. Both routes answer this version: on the unversioned one only while it is the latest.
func Ruleset(rs *rulesets.Ruleset, serverURL string) map[string]any {
	doc := newDocument("Kubus ruleset "+rs.Name, rs.Version, rs.Description, serverURL)
	b := &builder{rs: rs, prefix: componentPrefix(rs, true), doc: doc}
	b.addComponents()
	nameParam := map[string]any{"name": "name", "in": "path", "required": true,
		"schema": map[string]any{"type": "string", "enum": []any{rs.Name}}}
	versionParam := map[string]any{"name": "version", "in": "path", "required": true,
		"schema": map[string]any{"type": "string", "enum": []any{rs.Version}}}
	tag := tagName(rs, true)
	ids := opIDs{}
	addOperation(doc, "post", executePath, b.execute(ids.take("execute"+pascal(rs.Name)), tag, []any{nameParam}, nil))
	addOperation(doc, "post", executeVersionPath, b.execute(ids.take("execute"+pascal(rs.Name)+"Version"), tag, []any{nameParam, versionParam}, nil))
	if rs.Workflow != nil {
		b.addWorkflow(tag, nameParam, ids)
	}
	doc["tags"] = []any{b.tag(tag)}
	return doc
}

// addComponents adds the ruleset's schemas: the request, the input, the result, the output and
// both shapes of each entity.
func (b *builder) addComponents() {
	b.addSchema("ExecuteRequest", closed(object("An execute request for "+b.rs.Name+" "+b.rs.Version+".", map[string]any{
		"input":   b.ref("Input"),
		"options": schemaRef("ExecuteOptions"),
	}, "input")))
	b.addSchema("Input", b.inputSchema())
	b.addSchema("Result", b.resultSchema())
	b.addSchema("Output", b.outputSchema())
	for _, e := range b.rs.Entities {
		b.addSchema(b.entityComponent(e.Name, input), b.entitySchema(e, input))
		b.addSchema(b.entityComponent(e.Name, output), b.entitySchema(e, output))
	}
}

// inputSchema is the ruleset's inputs as an object, by their JSON names (`from`). Undeclared
// properties are allowed: the engine ignores them.
func (b *builder) inputSchema() map[string]any {
	return b.fieldsSchema(b.rs.Inputs, "The inputs of "+b.rs.Name+" "+b.rs.Version+". A missing or null input that is not required takes its default (or null); undeclared properties are ignored.")
}

// outputSchema is the output object: the echoed inputs (under their names, not their JSON names)
// and the output rules (under their output names), each of which may be null. None is required:
// a halted execution reports only the outputs computed before the halt.
func (b *builder) outputSchema() map[string]any {
	props := map[string]any{}
	for _, in := range b.rs.Inputs {
		if in.Output {
			props[in.Name] = b.valueSchema(&in.Type, output, false, in.Label, joinSentences(in.Description, "The input, echoed."), nil, false)
		}
	}
	for _, r := range b.rs.Rules {
		if r.Output {
			props[r.OutputName] = b.valueSchema(r.Type, output, false, "", r.Description, nil, false)
		}
	}
	return closed(object("The output of "+b.rs.Name+" "+b.rs.Version+", in declared order.", props))
}

func (b *builder) resultSchema() map[string]any {
	props := resultProperties(
		map[string]any{"type": "string", "const": b.rs.Name},
		map[string]any{"type": "string", "const": b.rs.Version},
		b.ref("Output"))
	return closed(object("The result of an execution of "+b.rs.Name+" "+b.rs.Version+".", props, resultRequired...))
}

// execute is an execute operation of this ruleset version.
func (b *builder) execute(id, tag string, params []any, codes []int) map[string]any {
	if codes == nil {
		codes = defaultExecuteResponses
	}
	reqExamples, resExamples := b.examples()
	success := map[string]any{"application/json": withExamples(map[string]any{"schema": b.ref("Result")}, resExamples)}
	res := responses(executePath, codes, success)
	if ok, _ := res["200"].(map[string]any); ok != nil {
		ok["description"] = "The result. System.halt is a 200 too, with halted."
		ok["headers"] = map[string]any{"X-Kubus-Execution-Id": header("The execution's id, as in the body.")}
	}
	scope := "execute:" + b.rs.Name
	o := map[string]any{
		"operationId":   id,
		"summary":       "Execute " + b.rs.Name + " " + b.rs.Version,
		"description":   joinSentences(b.rs.Description, "Scope: `"+scope+"` or `execute:*`."),
		"tags":          []any{tag},
		"parameters":    params,
		"requestBody":   jsonBody(b.ref("ExecuteRequest"), reqExamples),
		"responses":     res,
		"x-kubus-scope": scope,
	}
	if len(params) == 0 {
		delete(o, "parameters")
	}
	return o
}

func withExamples(media map[string]any, examples map[string]any) map[string]any {
	if len(examples) > 0 {
		media["examples"] = examples
	}
	return media
}

// tag is the ruleset version's tag. Its x-kubus-ruleset extension lists the inputs, outputs,
// alerts and entities in declared order (a JSON Schema's properties have no order), in Kubus's own
// terms, for the docs page and for readers who want the ruleset at a glance.
func (b *builder) tag(name string) map[string]any {
	t := map[string]any{"name": name, "x-kubus-ruleset": b.summary()}
	if b.rs.Description != "" {
		t["description"] = b.rs.Description
	}
	return t
}

func (b *builder) summary() map[string]any {
	rs := b.rs
	var ins, outs, alerts, ents []any
	for _, in := range rs.Inputs {
		m := map[string]any{"name": in.Name, "json": in.JSONName(), "type": in.Type.String(), "required": in.Required}
		putNonEmpty(m, "label", in.Label, "description", in.Description, "values", strings.Join(in.Type.Values, ", "))
		if in.HasDefault {
			m["default"] = rulesets.Plain(in.Default)
		}
		ins = append(ins, m)
		if in.Output {
			m := map[string]any{"name": in.Name, "type": in.Type.String(), "description": joinSentences(in.Label, "The input, echoed.")}
			putNonEmpty(m, "values", strings.Join(in.Type.Values, ", "))
			outs = append(outs, m)
		}
	}
	for _, r := range rs.Rules {
		if r.Output {
			m := map[string]any{"name": r.OutputName, "type": r.Type.String(), "rule": r.Name}
			putNonEmpty(m, "description", r.Description)
			if r.Type != nil {
				putNonEmpty(m, "values", strings.Join(r.Type.Values, ", "))
			}
			outs = append(outs, m)
		}
	}
	for _, a := range rs.Alerts {
		alerts = append(alerts, map[string]any{"name": a.Name, "level": a.Level, "message": a.Message.Source})
	}
	for _, e := range rs.Entities {
		ents = append(ents, entitySummary(e))
	}
	m := map[string]any{"name": rs.Name, "version": rs.Version, "library": rs.Library, "persists": rs.Persists(),
		"inputs": orEmpty(ins), "outputs": orEmpty(outs), "alerts": orEmpty(alerts), "entities": orEmpty(ents)}
	putNonEmpty(m, "description", rs.Description)
	return m
}

func entitySummary(e *rulesets.Entity) map[string]any {
	var props []any
	for _, p := range e.Properties {
		m := map[string]any{"name": p.Name, "type": p.Type.String(), "required": p.Required}
		putNonEmpty(m, "label", p.Label)
		props = append(props, m)
	}
	for _, c := range e.Calculated {
		props = append(props, map[string]any{"name": c.Name, "type": c.Type.String(), "calculated": true})
	}
	return map[string]any{"name": e.Name, "persisted": e.Persisted, "properties": orEmpty(props)}
}

// putNonEmpty sets each key/value pair whose value is not "".
func putNonEmpty(m map[string]any, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			m[kv[i]] = kv[i+1]
		}
	}
}

func orEmpty(s []any) []any {
	if s == nil {
		return []any{}
	}
	return s
}
