package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/kubusdev/kubus/rulesets"
	"github.com/kubusdev/kubus/server/openapi"
)

// The OpenAPI documents and the /docs page are generated from the route table and the served
// rulesets on each request: they are small, and always what the server serves now.

// ops is the route table as the OpenAPI generator reads it.
func (s *Server) ops() []openapi.Op {
	out := make([]openapi.Op, 0, len(s.routes))
	for _, r := range s.routes {
		if r.hidden {
			continue
		}
		op := openapi.Op{Method: r.Method, Path: r.Pattern, Summary: r.Summary, Tags: []string{r.Tag}, Responses: r.Status}
		if r.Body {
			op.Body = "json"
		}
		if !slices.Contains(r.Access, accessOpen) && !slices.Contains(r.Access, accessKey) && !slices.Contains(r.Access, accessSession) {
			op.Scope = strings.Join(r.Access, " or ")
		}
		out = append(out, op)
	}
	return out
}

// baseURL is the server's URL as the client reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// serverOpenAPI is GET /api/openapi.json: every route, and the rulesets the key may see.
func (s *Server) serverOpenAPI(c *call) {
	var models []*rulesets.Ruleset
	for _, rs := range s.eng.Rulesets() {
		if c.visible(rs.Name()) && !rs.Model().Library {
			models = append(models, rs.Model())
		}
	}
	writeDoc(c, openapi.Server(models, s.ops(), baseURL(c.r)))
}

// rulesetOpenAPI is GET /api/rulesets/{name}/openapi.json, of the latest version.
func (s *Server) rulesetOpenAPI(c *call) {
	rs := c.findRuleset()
	if rs == nil {
		return
	}
	if rs.Model().Library {
		c.problem(newProblem("not-found", "ruleset %s is a library: it has no execute route to describe", rs.Name()))
		return
	}
	if rs.Model().Workflow == nil && !c.may("admin") && !c.may("execute:"+rs.Name()) {
		// workflows:NAME reads the document of a workflow only.
		c.problem(newProblem("forbidden", "ruleset %s is not a workflow: its document needs execute:%s", rs.Name(), rs.Name()))
		return
	}
	writeDoc(c, openapi.Ruleset(rs.Model(), baseURL(c.r)))
}

func writeDoc(c *call, doc map[string]any) {
	body, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		c.problem(newProblem("internal", "the OpenAPI document could not be encoded: %v", err))
		return
	}
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(body)
}

// docsPage is GET /docs: the routes, readable, without the rulesets' definitions (the page is open;
// a ruleset's inputs and outputs are behind its key in /api/rulesets/{name}/openapi.json).
func (s *Server) docsPage(c *call) {
	page := openapi.DocsPage(openapi.Server(nil, s.ops(), baseURL(c.r)))
	c.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	c.w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(page)
}
