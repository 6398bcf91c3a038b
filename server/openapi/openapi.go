// Package openapi describes the Kubus server as OpenAPI 3.1 documents (server.md, "Describing
// rulesets"): one per ruleset version (GET /api/rulesets/{name}/openapi.json) and one for the
// whole server (GET /api/openapi.json), and renders them as a readable HTML page (GET /docs).
//
// A document is a map[string]any of maps, slices and JSON scalars, so encoding/json writes it
// deterministically (it sorts map keys). A ruleset's execute request schema is its inputs as JSON
// Schema and its response schema the engine's result JSON (engine.Result.MarshalJSON) with the
// ruleset's outputs by their declared types, plus the server's executionId.
package openapi

import (
	"cmp"
	"slices"

	"github.com/kubusdev/kubus/rulesets"
	"golang.org/x/mod/semver"
)

// APIVersion is the version of the HTTP contract the whole-server document describes (info.version),
// not of any ruleset.
const APIVersion = "1.0.0"

// newDocument is a document with its info, server, security and the execution components.
// Every route needs a key unless it says otherwise (security: [] on the open routes).
func newDocument(title, version, desc, serverURL string) map[string]any {
	info := map[string]any{"title": title, "version": version}
	if desc != "" {
		info["description"] = desc
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info":    info,
		"paths":   map[string]any{},
		"components": map[string]any{
			"schemas":         executionSchemas(),
			"securitySchemes": securitySchemes(),
		},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"apiKeyHeader": []any{}}},
	}
	if serverURL != "" {
		doc["servers"] = []any{map[string]any{"url": serverURL}}
	}
	return doc
}

// Server is the OpenAPI 3.1 document of the whole server: every route of its table (ops), with
// generic shapes, and for every ruleset version in all its own execute paths with the precise
// schemas Ruleset gives it. The latest version of each ruleset has /api/rulesets/<name>/execute
// and its components under "<name>."; every version has /api/rulesets/<name>/versions/<v>/execute,
// an older one with its components under "<name>.<v>.".
func Server(all []*rulesets.Ruleset, ops []Op, serverURL string) map[string]any {
	doc := newDocument("Kubus", APIVersion, "The rulesets, entities and personal-data records of one Kubus store, over HTTP.", serverURL)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for k, v := range serverSchemas() {
		schemas[k] = v
	}
	ids := opIDs{}
	var tags []any
	seenTag := map[string]bool{}
	addTag := func(t map[string]any) {
		if name := t["name"].(string); !seenTag[name] {
			seenTag[name] = true
			tags = append(tags, t)
		}
	}
	codes := defaultExecuteResponses
	for _, op := range ops {
		path := templatePath(op.Path)
		if !addOperation(doc, op.Method, path, genericOperation(op, path, ids)) {
			continue
		}
		for _, t := range op.Tags {
			addTag(map[string]any{"name": t})
		}
		if path == executePath && len(op.Responses) > 0 {
			codes = op.Responses // the server's own list, for the ruleset-specific routes too
		}
	}
	for _, v := range versions(all) {
		b := &builder{rs: v.rs, prefix: componentPrefix(v.rs, v.latest), doc: doc}
		b.addComponents()
		tag := tagName(v.rs, v.latest)
		base := "/api/rulesets/" + v.rs.Name
		id := "execute" + pascal(v.rs.Name)
		if v.latest {
			addOperation(doc, "post", base+"/execute", b.execute(ids.take(id), tag, nil, codes))
		}
		addOperation(doc, "post", base+"/versions/"+v.rs.Version+"/execute",
			b.execute(ids.take(id+"Version"+versionID(v.rs.Version)), tag, nil, codes))
		addTag(b.tag(tag))
	}
	if len(tags) > 0 {
		doc["tags"] = tags
	}
	return doc
}

// versionID is a version as part of an operationId: 1.2.0-rc.1 → 1_2_0_rc_1 (not "120rc1":
// 1.10.0 and 11.0.0 must not read the same).
func versionID(v string) string {
	b := []byte(v)
	for i, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b[i] = '_'
		}
	}
	return string(b)
}

type version struct {
	rs     *rulesets.Ruleset
	latest bool
}

// versions orders the rulesets by name, newest version first, and marks each name's highest
// version (by semver, as the engine picks it). A repeated name and version counts once.
func versions(all []*rulesets.Ruleset) []version {
	list := slices.Clone(all)
	slices.SortStableFunc(list, func(a, b *rulesets.Ruleset) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), semver.Compare("v"+b.Version, "v"+a.Version))
	})
	var out []version
	for i, rs := range list {
		if i > 0 && list[i-1].Name == rs.Name && list[i-1].Version == rs.Version {
			continue
		}
		out = append(out, version{rs: rs, latest: i == 0 || list[i-1].Name != rs.Name})
	}
	return out
}
