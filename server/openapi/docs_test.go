package openapi

import (
	"encoding/json"
	"html"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/kubusdev/kubus/rulesets"
)

// TestDocsPage: the page lists every route and every ruleset's inputs and outputs, and is
// self-contained. KUBUS_DOCS_HTML=path writes the page there, to look at it.
func TestDocsPage(t *testing.T) {
	all := models(examples(t))
	tr := loadYAML(t, tricky).Model()
	doc := Server(append(all, tr), serverOps, "http://localhost:8080")
	page := DocsPage(doc)
	if p := os.Getenv("KUBUS_DOCS_HTML"); p != "" {
		if err := os.WriteFile(p, page, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw := string(page)
	text := html.UnescapeString(raw) // html/template writes + as &#43;

	var want []string
	for _, op := range serverOps {
		want = append(want, ">"+op.Path+"<")
	}
	for _, rs := range append(all, tr) {
		want = append(want, ">/api/rulesets/"+rs.Name+"/versions/"+rs.Version+"/execute<")
		for _, in := range rs.Inputs {
			want = append(want, "<code>"+in.JSONName()+"</code>")
		}
		for _, r := range rs.Rules {
			if r.Output {
				want = append(want, "<code>"+r.OutputName+"</code>")
			}
		}
	}
	want = append(want, "rule name CustomerId", "scope execute:travel-insurance", "Entity <code>Person</code>", "TooYoung")
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("the page lacks %q", w)
		}
	}

	refused := []struct{ what, pattern string }{
		{"a script", `(?i)<script`},
		{"an external resource", `(?i)(src|href)\s*=\s*"(https?:)?//`},
		{"a stylesheet link", `(?i)<link`},
		{"unescaped ruleset text", `Edge cases <b>`},
	}
	for _, r := range refused {
		if regexp.MustCompile(r.pattern).MatchString(raw) {
			t.Errorf("the page has %s", r.what)
		}
	}
	if !strings.Contains(raw, "Edge cases &lt;b&gt;not&lt;/b&gt;") {
		t.Error("the ruleset's description should be on the page, escaped")
	}
}

// TestDocsPageReadsDecodedDocuments: the server may keep the document as JSON; the page is the same.
func TestDocsPageReadsDecodedDocuments(t *testing.T) {
	doc := Ruleset(models(examples(t))[0], "")
	data, _ := json.Marshal(doc)
	var decoded map[string]any
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatal(err)
	}
	if string(DocsPage(doc)) != string(DocsPage(decoded)) {
		t.Fatal("the page differs for a decoded document")
	}
	if empty := string(DocsPage(map[string]any{})); !strings.Contains(empty, "</html>") {
		t.Fatal("an empty document should still give a page")
	}
}

// TestHelpers pins the small conversions the documents rely on.
func TestHelpers(t *testing.T) {
	cases := []struct{ name, got, want string }{
		{"mux exact path", templatePath("/api/rulesets/{$}"), "/api/rulesets/"},
		{"mux rest wildcard", templatePath("/files/{path...}"), "/files/{path}"},
		{"operation id", operationID("GET", "/api/rulesets/{name}/openapi.json"), "getRulesetsByNameOpenapiJson"},
		{"operation id of a data-debit route", operationID("POST", "/api/v2.6/data-debit/{key}/enable"), "postV26DataDebitByKeyEnable"},
		{"component-safe ASCII", componentSafe("Person_2"), "Person_2"},
		{"component-safe $ and é", componentSafe("$Café"), "-0024Caf-00E9"},
		{"version id", versionID("1.10.0-rc.1"), "1_10_0_rc_1"},
		{"older prefix with build metadata", componentPrefix(&rulesets.Ruleset{Name: "x", Version: "1.0.0+b.7"}, false), "x.1.0.0_b.7."},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
	rs := func(name, version string) *rulesets.Ruleset { return &rulesets.Ruleset{Name: name, Version: version} }
	got := versions([]*rulesets.Ruleset{rs("b", "1.2.0"), rs("a", "1.10.0"), rs("a", "1.9.0"), rs("a", "1.10.0"), rs("b", "1.2.0-rc.1")})
	var s []string
	for _, v := range got {
		s = append(s, v.rs.Name+"@"+v.rs.Version+map[bool]string{true: "*", false: ""}[v.latest])
	}
	if want := "a@1.10.0* a@1.9.0 b@1.2.0* b@1.2.0-rc.1"; strings.Join(s, " ") != want {
		t.Errorf("versions: %s, want %s", strings.Join(s, " "), want)
	}
}
