package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
)

// The studio API's tests: a real server over a real store, serving a copy of the travel-insurance
// example in the test's temp folder (which the tests edit), and a ruleset imported into the store.

// studioKeys are the keys of the studio tests.
var studioKeys = map[string][]string{
	"admin":  {"admin"},
	"exec":   {"execute:travel-insurance"},
	"other":  {"execute:people-register"},
	"reader": {"entities:travel-insurance:read"},
}

// copyTree copies a folder (regular files and folders).
func copyTree(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// studioServer serves a copy of travel-insurance (its folder in dir), the extra folders, and a
// stored ruleset "stored-one"; watch starts Watch.
type studioServer struct {
	*testServer
	dir string // the travel-insurance copy
}

func newStudioServer(t *testing.T, watch bool, extra []string, mod func(*Config)) *studioServer {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "travel-insurance")
	copyTree(t, "../examples/travel-insurance", dir)
	ts := newTestServer(t, append([]string{dir}, extra...), studioKeys, mod)
	ss := &studioServer{testServer: ts, dir: dir}
	stored := t.TempDir()
	writeFile(t, filepath.Join(stored, "ruleset.yaml"), "name: stored-one\nversion: 2.0.0\ninputs:\n  X: {type: number}\nrules:\n  Double: X * 2\ntestcases:\n  - name: doubles\n    input: {X: 2}\n    expect: {output: {Double: 4}}\n")
	lo, err := ts.srv.eng.LoadOptions()
	if err != nil {
		t.Fatal(err)
	}
	m, err := rulesets.Load(stored, lo)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := rulesets.ExportJSON(m)
	if err != nil {
		t.Fatal(err)
	}
	if status, _, data := ts.do("POST", "/api/rulesets", "admin", doc); status != 201 {
		t.Fatalf("importing stored-one: %d %s", status, data)
	}
	if watch {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		if err := ts.srv.Watch(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return ss
}

// get sends a request and decodes the JSON answer, failing the test unless the status is want.
func (ss *studioServer) get(t *testing.T, method, path, key string, body any, want int, header ...string) map[string]any {
	t.Helper()
	status, _, data := ss.do(method, path, key, body, header...)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, data)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s %s: not JSON: %s", method, path, data)
	}
	return m
}

// put writes a file of travel-insurance through the API.
func (ss *studioServer) put(t *testing.T, rel, content string, want int) map[string]any {
	t.Helper()
	return ss.get(t, "PUT", "/api/rulesets/travel-insurance/files/"+rel, "admin", content, want, "Content-Type", "text/plain; charset=utf-8")
}

func (ss *studioServer) read(t *testing.T, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(ss.dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// lineOf is the 1-based line of the first line of text that starts with prefix.
func lineOf(t *testing.T, text, prefix string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("no line starts with %q", prefix)
	return 0
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// TestStudioAPIRulesets: the list shows what the key may see, where each ruleset comes from, and a
// folder that does not load (Config.KeepFailing) with its problems; once fixed under Watch, it
// loads. Without KeepFailing such a folder stops the server, as before.
func TestStudioAPIRulesets(t *testing.T) {
	broken := filepath.Join(t.TempDir(), "broken-folder")
	writeFile(t, filepath.Join(broken, "ruleset.yaml"), "name: broken\nversion: 1.0.0\nrules:\n  Y: nope +\n")
	ss := newStudioServer(t, false, []string{broken}, func(c *Config) { c.KeepFailing = true })

	byName := func(key string) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, e := range list(ss.get(t, "GET", "/api/studio/rulesets", key, nil, 200)["rulesets"]) {
			out[obj(e)["name"].(string)] = obj(e)
		}
		return out
	}
	all := byName("admin")
	ti, st, br := all["travel-insurance"], all["stored-one"], all["broken"]
	if ti == nil || st == nil || br == nil {
		t.Fatalf("admin sees %v", all)
	}
	if ti["source"] != "folder" || ti["folder"] != ss.dir || ti["status"] != "loaded" || ti["latest"] != "1.0.0" || ti["editable"] != false ||
		ti["description"] != "Price a travel insurance policy" || ti["persists"] != false || ti["workflow"] != false || len(list(ti["problems"])) != 0 {
		t.Errorf("travel-insurance: %v", ti)
	}
	if st["source"] != "store" || st["folder"] != nil || st["latest"] != "2.0.0" || st["editable"] != false {
		t.Errorf("stored-one: %v", st)
	}
	if br["status"] != "failed" || br["source"] != "folder" || len(list(br["versions"])) != 0 || br["latest"] != "" {
		t.Errorf("broken: %v", br)
	}
	probs := list(br["problems"])
	if len(probs) == 0 || obj(probs[0])["file"] != "ruleset.yaml" || obj(probs[0])["line"].(float64) != 4 || obj(probs[0])["message"] == "" {
		t.Errorf("broken's problems: %v", probs)
	}
	if status, _, _ := ss.do("GET", "/readyz", "", nil); status != 503 {
		t.Errorf("readyz with a failing folder: %d", status)
	}
	// Its files can be read (to fix them); there is nothing to run.
	src := ss.get(t, "GET", "/api/rulesets/broken/source", "admin", nil, 200)
	if src["status"] != "failed" || len(list(src["files"])) != 1 || len(obj(src["rules"])) != 0 || src["version"] != nil {
		t.Errorf("broken's source: %v", src)
	}
	if status, _, data := ss.do("GET", "/api/rulesets/broken/testcases", "admin", nil); status != 503 || !strings.Contains(string(data), "ruleset.yaml") {
		t.Errorf("broken's testcases: %d %s", status, data)
	}
	if status, _, _ := ss.do("POST", "/api/rulesets/broken/execute", "admin", map[string]any{"input": map[string]any{}}); status != 403 && status != 404 {
		t.Errorf("executing broken: %d", status)
	}
	if c := ss.get(t, "GET", "/api/rulesets/broken/completions", "admin", nil, 200); len(list(c["completions"])) == 0 {
		t.Error("no built-in completions for a failing folder")
	}

	exec := byName("exec")
	if len(exec) != 1 || exec["travel-insurance"] == nil || exec["travel-insurance"]["folder"] != nil {
		t.Errorf("key exec sees %v", exec)
	}
	if r := byName("reader"); len(r) != 1 || r["travel-insurance"] == nil {
		t.Errorf("key reader sees %v", r)
	}
	if status, _, _ := ss.do("GET", "/api/studio/rulesets", "", nil); status != 401 {
		t.Errorf("no key: %d", status)
	}

	// The studio may edit once the server watches; the broken folder loads when fixed.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := ss.srv.Watch(ctx); err != nil {
		t.Fatal(err)
	}
	if e := byName("admin")["travel-insurance"]; e["editable"] != true {
		t.Errorf("not editable while watching: %v", e)
	}
	if e := byName("exec")["travel-insurance"]; e["editable"] != false {
		t.Errorf("editable without admin: %v", e)
	}
	writeFile(t, filepath.Join(broken, "ruleset.yaml"), "name: broken\nversion: 1.0.0\nrules:\n  Y: 1 + 1\n")
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if e := byName("admin")["broken"]; e["status"] == "loaded" && e["latest"] == "1.0.0" {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the fixed folder did not load: %v", byName("admin")["broken"])
		}
	}
	if status, _, _ := ss.do("GET", "/readyz", "", nil); status != 200 {
		t.Errorf("readyz once fixed: %d", status)
	}

	// Without KeepFailing, the folder stops the server.
	st2 := ss.st
	_, err := New(Config{Engine: engine.New(), Store: st2, Dirs: []string{t.TempDir() + "/nope"}})
	if err == nil {
		t.Error("a missing folder started a server")
	}
	writeFile(t, filepath.Join(broken, "ruleset.yaml"), "name: broken\nrules: [\n")
	var lf *LoadFailure
	if _, err := New(Config{Engine: engine.New(), Store: st2, Dirs: []string{broken}}); !errors.As(err, &lf) {
		t.Errorf("without KeepFailing: %v", err)
	}
}

// TestStudioAPISource: a folder ruleset's files and places; a stored ruleset's JSON form; no dot
// file, no symlink; scopes and names checked.
func TestStudioAPISource(t *testing.T) {
	ss := newStudioServer(t, false, nil, nil)
	outside := filepath.Join(t.TempDir(), "secret.txt")
	writeFile(t, outside, "secret")
	writeFile(t, filepath.Join(ss.dir, ".env"), "TOKEN=x")
	writeFile(t, filepath.Join(ss.dir, ".git", "config"), "x")
	writeFile(t, filepath.Join(ss.dir, "kubus.yaml"), "sql: {crm: {driver: postgres, dsn: 'postgres://u:pw@db/crm'}}")
	if err := os.Symlink(outside, filepath.Join(ss.dir, "rules", "link.js")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Dir(outside), filepath.Join(ss.dir, "linked")); err != nil {
		t.Fatal(err)
	}
	// The source is the ruleset's definition: admin only, as GET /api/rulesets/{name}'s definition.
	ss.get(t, "GET", "/api/rulesets/travel-insurance/source", "exec", nil, 403)
	src := ss.get(t, "GET", "/api/rulesets/travel-insurance/source", "admin", nil, 200)
	var paths []string
	files := map[string]map[string]any{}
	for _, f := range list(src["files"]) {
		paths = append(paths, obj(f)["path"].(string))
		files[obj(f)["path"].(string)] = obj(f)
	}
	if len(paths) == 0 || paths[0] != "ruleset.yaml" {
		t.Fatalf("files: %v", paths)
	}
	if files["kubus.yaml"] != nil {
		t.Error("the source lists kubus.yaml, the process's configuration")
	}
	for _, want := range []string{"rules/total-premium.js", "tables/age-bands.csv", "tests/pricing.yaml", "input.json"} {
		if files[want] == nil {
			t.Errorf("%s is not listed: %v", want, paths)
		}
	}
	for _, p := range paths {
		if strings.HasPrefix(p, ".") || strings.Contains(p, "link") {
			t.Errorf("listed %s", p)
		}
	}
	if strings.Contains(fmt.Sprint(src), "secret") || strings.Contains(fmt.Sprint(src), "TOKEN") {
		t.Error("the answer has a dot file's or a symlink target's content")
	}
	yml := ss.read(t, "ruleset.yaml")
	if files["ruleset.yaml"]["content"] != yml || files["ruleset.yaml"]["language"] != "yaml" || files["rules/total-premium.js"]["language"] != "javascript" ||
		files["tables/age-bands.csv"]["language"] != "csv" || files["input.json"]["language"] != "json" {
		t.Errorf("file contents or languages: %v", files["rules/total-premium.js"])
	}
	rules := obj(src["rules"])
	place := func(name string) (string, int, string) {
		p := obj(rules[name])
		line, _ := p["line"].(float64)
		file, _ := p["file"].(string)
		kind, _ := p["kind"].(string)
		return file, int(line), kind
	}
	for _, c := range []struct {
		name, file string
		line       int
		kind       string
	}{
		{"InsuranceCosts", "ruleset.yaml", lineOf(t, yml, "  InsuranceCosts:"), "rule"},
		{"TotalPremium", "rules/total-premium.js", 1, "rule"},
		{"TooYoung", "ruleset.yaml", lineOf(t, yml, "  TooYoung:"), "alert"},
		{"AgeSurcharge", "ruleset.yaml", lineOf(t, yml, "  AgeSurcharge:"), "function"},
		{"Person.Age", "ruleset.yaml", lineOf(t, yml, "      Age:"), "calculated"},
		{"StartDate", "ruleset.yaml", lineOf(t, yml, "  StartDate:"), "input"},
		{"AgeBands", "ruleset.yaml", lineOf(t, yml, "  AgeBands:"), "table"},
	} {
		if f, l, k := place(c.name); f != c.file || l != c.line || k != c.kind {
			t.Errorf("%s at %s:%d (%s), want %s:%d (%s)", c.name, f, l, k, c.file, c.line, c.kind)
		}
	}
	order := list(src["ruleOrder"])
	if len(order) == 0 || order[0] != "NumberOfDays" || slices.Contains(list(src["outputs"]), any("BasePremium")) || !slices.Contains(list(src["outputs"]), any("TotalPremium")) {
		t.Errorf("ruleOrder %v, outputs %v", order, src["outputs"])
	}
	if src["editable"] != false || src["status"] != "loaded" || src["source"] != "folder" || src["version"] != "1.0.0" {
		t.Errorf("source: editable %v status %v source %v", src["editable"], src["status"], src["source"])
	}

	stored := ss.get(t, "GET", "/api/rulesets/stored-one/source", "admin", nil, 200)
	sf := list(stored["files"])
	if len(sf) != 1 || obj(sf[0])["path"] != "ruleset.json" || !json.Valid([]byte(obj(sf[0])["content"].(string))) || stored["source"] != "store" {
		t.Fatalf("stored files: %v", sf)
	}
	doc := obj(sf[0])["content"].(string)
	if p := obj(obj(stored["rules"])["Double"]); p["file"] != "ruleset.json" || int(p["line"].(float64)) != lineOf(t, doc, `    "Double"`) {
		t.Errorf("stored places: %v (in %s)", stored["rules"], doc)
	}

	for _, c := range []struct {
		path, key string
		want      int
	}{
		{"/api/rulesets/travel-insurance/source", "other", 403},
		{"/api/rulesets/travel-insurance/source", "reader", 403},
		{"/api/rulesets/travel-insurance/source", "", 401},
		{"/api/rulesets/nope/source", "admin", 404},
		{"/api/rulesets/travel-insurance@1.0.0/source", "admin", 404},
		{"/api/rulesets/" + strings.Repeat("a", 300) + "/source", "admin", 404},
		{"/api/rulesets/%2e%2e/source", "admin", 404},
	} {
		if status, _, data := ss.do("GET", c.path, c.key, nil); status != c.want {
			t.Errorf("GET %s with %q: %d, want %d: %s", shorten(c.path, 80), c.key, status, c.want, data)
		}
	}
}

// TestStudioAPIPutFile: edits need admin, a folder ruleset and --watch; a path never leaves the
// folder; a file that breaks the ruleset answers its problems while the last good version is
// served, and fixing it loads again.
func TestStudioAPIPutFile(t *testing.T) {
	// Not watching: refused, nothing written.
	idle := newStudioServer(t, false, nil, nil)
	before := idle.read(t, "rules/total-premium.js")
	status, _, data := idle.do("PUT", "/api/rulesets/travel-insurance/files/rules/total-premium.js", "admin", "1", "Content-Type", "text/plain")
	if status != 409 || !strings.Contains(string(data), "--watch") {
		t.Errorf("not watching: %d %s", status, data)
	}
	if idle.read(t, "rules/total-premium.js") != before {
		t.Error("written while not watching")
	}

	ss := newStudioServer(t, true, nil, nil)
	parent := filepath.Dir(ss.dir)
	outside := filepath.Join(t.TempDir(), "outside")
	writeFile(t, filepath.Join(outside, "x.js"), "outside")
	if err := os.Symlink(filepath.Join(outside, "x.js"), filepath.Join(ss.dir, "rules", "link.js")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(ss.dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	refusals := []struct {
		name, ruleset, path, key, ctype string
		body                            string
		want                            int
	}{
		{"stored", "stored-one", "ruleset.json", "admin", "text/plain", "{}", 409},
		{"not admin", "travel-insurance", "rules/total-premium.js", "exec", "text/plain", "1", 403},
		{"unknown ruleset", "nope", "ruleset.yaml", "admin", "text/plain", "x", 404},
		// net/http's mux redirects a path with .. to its clean form, which is no file route.
		{"dot dot", "travel-insurance", "../evil.js", "admin", "text/plain", "x", 307},
		{"encoded dot dot", "travel-insurance", "%2e%2e/evil.js", "admin", "text/plain", "x", 400},
		{"encoded slash", "travel-insurance", "rules%2F..%2F..%2Fevil.js", "admin", "text/plain", "x", 400},
		{"inner dot dot", "travel-insurance", "rules/../../evil.js", "admin", "text/plain", "x", 307},
		{"absolute", "travel-insurance", "%2Fetc%2Fevil.js", "admin", "text/plain", "x", 400},
		{"backslash", "travel-insurance", `rules\..\..\evil.js`, "admin", "text/plain", "x", 400},
		{"dot file", "travel-insurance", ".env.js", "admin", "text/plain", "x", 400},
		{"dot folder", "travel-insurance", "rules/.hidden/x.js", "admin", "text/plain", "x", 400},
		{"symlinked file", "travel-insurance", "rules/link.js", "admin", "text/plain", "x", 400},
		{"symlinked folder", "travel-insurance", "linkdir/x.js", "admin", "text/plain", "x", 400},
		{"new file outside the allowed folders", "travel-insurance", "evil.js", "admin", "text/plain", "x", 404},
		{"new folder", "travel-insurance", "lib/x.js", "admin", "text/plain", "x", 404},
		{"new file too deep", "travel-insurance", "rules/sub/x.js", "admin", "text/plain", "x", 404},
		{"extension", "travel-insurance", "rules/x.sh", "admin", "text/plain", "x", 400},
		{"empty path", "travel-insurance", "", "admin", "text/plain", "x", 400},
		{"no content type", "travel-insurance", "rules/x.js", "admin", "", "x", 415},
		{"a form", "travel-insurance", "rules/x.js", "admin", "application/x-www-form-urlencoded", "x", 415},
		{"not UTF-8", "travel-insurance", "rules/x.js", "admin", "text/plain", "\xff\xfe", 400},
		{"too large", "travel-insurance", "rules/x.js", "admin", "text/plain", strings.Repeat("x", studioMaxFile+1), 413},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest("PUT", ss.http.URL+"/api/rulesets/"+c.ruleset+"/files/"+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			req.Header.Set("Authorization", "Bearer "+ss.keys[c.key])
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, c.want, data)
			}
			if c.want == 307 {
				// Followed, the redirect reaches no route that writes.
				if status, _, data := ss.do("PUT", "/api/rulesets/"+c.ruleset+"/files/"+c.path, c.key, c.body, "Content-Type", c.ctype); status != 404 && status != 405 {
					t.Errorf("followed: %d %s", status, data)
				}
			}
			if c.want == 409 && !strings.Contains(string(data), "read-only") {
				t.Errorf("the conflict does not say why: %s", data)
			}
		})
	}
	for _, dir := range []string{parent, outside, ss.dir, filepath.Join(ss.dir, "rules")} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.Contains(e.Name(), "evil") || strings.HasPrefix(e.Name(), ".kubus") || e.Name() == "x.js" && dir != outside {
				t.Errorf("%s was written in %s", e.Name(), dir)
			}
		}
	}
	if data, _ := os.ReadFile(filepath.Join(outside, "x.js")); string(data) != "outside" {
		t.Error("the symlink's target was written")
	}

	// A rule file edited: served at once.
	input := travelInput(t)
	total := func() any {
		_, _, data := ss.do("POST", "/api/rulesets/travel-insurance/execute", "exec", map[string]any{"input": input})
		var res map[string]any
		_ = json.Unmarshal(data, &res)
		return obj(res["output"])["TotalPremium"]
	}
	res := ss.put(t, "rules/total-premium.js", "// fixed for the test\n1234.5\n", 200)
	if res["status"] != "loaded" || res["created"] != false || res["version"] != "1.0.0" || len(list(res["problems"])) != 0 || res["path"] != "rules/total-premium.js" {
		t.Errorf("PUT: %v", res)
	}
	if got := total(); got != 1234.5 {
		t.Errorf("TotalPremium after the edit: %v", got)
	}
	if ss.read(t, "rules/total-premium.js") != "// fixed for the test\n1234.5\n" {
		t.Error("the file does not hold the body")
	}
	if res := ss.put(t, "tables/extra.csv", "a,b\nx,1\n", 200); res["created"] != true || res["status"] != "loaded" {
		t.Errorf("a new file: %v", res)
	}

	// A broken ruleset.yaml: failed with the problem's place; the last good version is served.
	good := ss.read(t, "ruleset.yaml")
	broken := strings.Replace(good, "    expression: DAYDIFF(StartDate, EndDate)", "    expression: DAYDIFF(StartDate, EndDate\n    bad: [", 1)
	res = ss.put(t, "ruleset.yaml", broken, 200)
	probs := list(res["problems"])
	if res["status"] != "failed" || len(probs) == 0 || obj(probs[0])["file"] != "ruleset.yaml" || obj(probs[0])["line"].(float64) < 1 || res["version"] != "1.0.0" {
		t.Fatalf("a broken ruleset.yaml: %v", res)
	}
	if got := total(); got != 1234.5 {
		t.Errorf("the last good version is not served: %v", got)
	}
	d := ss.get(t, "GET", "/api/rulesets/travel-insurance", "exec", nil, 200)
	if ps := list(d["problems"]); len(ps) == 0 || !strings.HasPrefix(ps[0].(string), "ruleset.yaml:") {
		t.Errorf("GET /api/rulesets/{name} problems: %v", d["problems"])
	}
	src := ss.get(t, "GET", "/api/rulesets/travel-insurance/source", "admin", nil, 200)
	if src["status"] != "failed" || src["editable"] != true || len(list(src["problems"])) == 0 {
		t.Errorf("source while failing: status %v editable %v", src["status"], src["editable"])
	}
	// A rule error that is not YAML: the place is the rule's.
	res = ss.put(t, "ruleset.yaml", strings.Replace(good, "expression: DAYDIFF(StartDate, EndDate)", "expression: DAYDIFF(StartDate, NoSuchName)", 1), 200)
	if probs := list(res["problems"]); res["status"] != "failed" || len(probs) == 0 || obj(probs[0])["line"].(float64) != float64(lineOf(t, good, "    expression: DAYDIFF")) ||
		!strings.Contains(obj(probs[0])["message"].(string), "NoSuchName") {
		t.Errorf("an unknown name: %v", res)
	}
	res = ss.put(t, "ruleset.yaml", good, 200)
	if res["status"] != "loaded" || len(list(res["problems"])) != 0 {
		t.Errorf("fixed: %v", res)
	}
	if d := ss.get(t, "GET", "/api/rulesets/travel-insurance", "exec", nil, 200); d["problems"] != nil {
		t.Errorf("problems once fixed: %v", d["problems"])
	}
	// A new version in the folder is what the studio serves and runs.
	res = ss.put(t, "ruleset.yaml", strings.Replace(good, "version: 1.0.0", "version: 1.1.0", 1), 200)
	if res["version"] != "1.1.0" || res["status"] != "loaded" {
		t.Errorf("a new version: %v", res)
	}
	if tc := ss.get(t, "GET", "/api/rulesets/travel-insurance/testcases", "exec", nil, 200); tc["version"] != "1.1.0" {
		t.Errorf("testcases of version %v", tc["version"])
	}
	// Renaming the folder's ruleset to one served from the store is refused before it loads.
	res = ss.put(t, "ruleset.yaml", strings.Replace(good, "name: travel-insurance", "name: stored-one", 1), 200)
	if res["status"] != "failed" || !strings.Contains(fmt.Sprint(res["problems"]), "already served") {
		t.Errorf("renamed onto a stored ruleset: %v", res)
	}
	if d := ss.get(t, "GET", "/api/rulesets/stored-one", "admin", nil, 200); d["latest"] != "2.0.0" {
		t.Errorf("stored-one after the refused rename: %v", d["latest"])
	}
}

// TestStudioAPITestcases: the list, running all or one (as kubus test prints them), a failing
// case's mismatches, and the scopes.
func TestStudioAPITestcases(t *testing.T) {
	ss := newStudioServer(t, true, nil, nil)
	m, err := rulesets.Load(ss.dir, mustLoadOptions(t, ss))
	if err != nil {
		t.Fatal(err)
	}
	tcs := ss.get(t, "GET", "/api/rulesets/travel-insurance/testcases", "exec", nil, 200)
	listed := list(tcs["testcases"])
	if len(listed) != len(m.Testcases) || len(listed) == 0 || tcs["editable"] != false {
		t.Fatalf("%d testcases listed, the ruleset has %d (editable %v)", len(listed), len(m.Testcases), tcs["editable"])
	}
	first := obj(listed[0])
	if first["name"] != m.Testcases[0].Name || first["file"] != m.Testcases[0].File || first["kind"] != "execute" || obj(first["input"])["StartDate"] == nil {
		t.Errorf("first testcase: %v", first)
	}
	withNow := 0
	for _, l := range listed {
		if obj(obj(l)["options"])["now"] != nil {
			withNow++
		}
	}
	if withNow == 0 {
		t.Error("no testcase lists its now")
	}
	if tc := ss.get(t, "GET", "/api/rulesets/travel-insurance/testcases", "admin", nil, 200); tc["editable"] != true {
		t.Error("not editable for admin while watching")
	}

	run := ss.get(t, "POST", "/api/rulesets/travel-insurance/testcases/run", "exec", map[string]any{}, 200)
	if run["passed"].(float64) != float64(len(m.Testcases)) || run["failed"].(float64) != 0 || len(list(run["results"])) != len(m.Testcases) {
		t.Fatalf("run all: %v", run)
	}
	r0 := obj(list(run["results"])[0])
	if r0["passed"] != true || !strings.HasPrefix(r0["text"].(string), "--- PASS: travel-insurance/"+m.Testcases[0].Name+" (") || r0["ms"] == nil || obj(r0["actual"])["output"] == nil {
		t.Errorf("a result: %v", r0)
	}
	one := ss.get(t, "POST", "/api/rulesets/travel-insurance/testcases/run", "exec", map[string]any{"name": m.Testcases[1].Name}, 200)
	if len(list(one["results"])) != 1 || obj(list(one["results"])[0])["name"] != m.Testcases[1].Name {
		t.Errorf("run one: %v", one)
	}

	// A wrong expectation: the mismatch, and the lines kubus test prints.
	pricing := ss.read(t, "tests/pricing.yaml")
	ss.put(t, "tests/pricing.yaml", strings.Replace(pricing, "InsuranceCosts: 1.05     # 7 days × 0.15", "InsuranceCosts: 2.05     # 7 days × 0.15", 1), 200)
	res := ss.get(t, "POST", "/api/rulesets/travel-insurance/testcases/run", "exec", map[string]any{"name": "young traveller pays the 18-30 surcharge"}, 200)
	r := obj(list(res["results"])[0])
	mm := list(r["mismatches"])
	if res["failed"].(float64) != 1 || r["passed"] != false || len(mm) != 1 || obj(mm[0])["path"] != "output.InsuranceCosts" ||
		obj(mm[0])["expected"] != 2.05 || obj(mm[0])["actual"] != 1.05 || obj(mm[0])["text"] != "output.InsuranceCosts: expected 2.05, got 1.05" {
		t.Errorf("a failing case: %v", r)
	}
	wantText := "--- FAIL: travel-insurance/young traveller pays the 18-30 surcharge ("
	if text := r["text"].(string); !strings.HasPrefix(text, wantText) || !strings.Contains(text, "\n    tests/pricing.yaml:2:3\n        output.InsuranceCosts: expected 2.05, got 1.05\n") {
		t.Errorf("text:\n%s", text)
	}

	for _, c := range []struct {
		method, path, key string
		body              any
		want              int
	}{
		{"GET", "/api/rulesets/travel-insurance/testcases", "other", nil, 403},
		{"GET", "/api/rulesets/travel-insurance/testcases", "reader", nil, 403},
		{"POST", "/api/rulesets/travel-insurance/testcases/run", "other", map[string]any{}, 403},
		{"POST", "/api/rulesets/travel-insurance/testcases/run", "exec", map[string]any{"name": "no such case"}, 404},
		{"POST", "/api/rulesets/travel-insurance/testcases/run", "exec", map[string]any{"bogus": 1}, 400},
		{"POST", "/api/rulesets/travel-insurance/testcases/run", "exec", "not json", 400},
		{"GET", "/api/rulesets/nope/testcases", "admin", nil, 404},
	} {
		if status, _, data := ss.do(c.method, c.path, c.key, c.body); status != c.want {
			t.Errorf("%s %s (%v) with %s: %d, want %d: %s", c.method, c.path, c.body, c.key, status, c.want, data)
		}
	}
	// A stored ruleset's testcases are listed and run too.
	if res := ss.get(t, "POST", "/api/rulesets/stored-one/testcases/run", "admin", map[string]any{}, 200); res["passed"].(float64) != 1 {
		t.Errorf("stored-one: %v", res)
	}
}

func mustLoadOptions(t *testing.T, ss *studioServer) *rulesets.LoadOptions {
	lo, err := ss.srv.eng.LoadOptions()
	if err != nil {
		t.Fatal(err)
	}
	return lo
}

// TestStudioAPISaveTestcase: an execution saved as a testcase keeps the file's comments, is listed
// and passes; a repeated name, a stored ruleset, a server that does not watch, a bad file are
// refused.
func TestStudioAPISaveTestcase(t *testing.T) {
	ss := newStudioServer(t, true, nil, nil)
	input := map[string]any{"StartDate": "2023-07-20", "EndDate": "2023-07-27", "DateOfBirth": "1990-01-01", "CustomerArea": "east", "NumberOfItems": 2}
	body := map[string]any{"name": "saved from the studio", "file": "tests/pricing.yaml", "input": input, "options": map[string]any{"now": "2023-07-01T09:00:00Z"}, "expect": "actual"}
	before := ss.read(t, "tests/pricing.yaml")
	created := ss.get(t, "POST", "/api/rulesets/travel-insurance/testcases", "admin", body, 201)
	if created["name"] != "saved from the studio" || created["file"] != "tests/pricing.yaml" || obj(created["options"])["now"] != "2023-07-01T09:00:00Z" ||
		obj(obj(created["expect"])["output"])["TotalPremium"] == nil || created["problems"] != nil {
		t.Errorf("created: %v", created)
	}
	after := ss.read(t, "tests/pricing.yaml")
	if !strings.HasPrefix(after, before) || !strings.Contains(after, "# Prices for ordinary trips") || !strings.Contains(after, "InsuranceCosts: 1.05     # 7 days × 0.15") {
		t.Errorf("the file's own text changed:\n%s", after)
	}
	if !strings.Contains(after[len(before):], "- name: saved from the studio\n  now: 2023-07-01T09:00:00Z\n  input:\n    CustomerArea: east\n") {
		t.Errorf("the new testcase:\n%s", after[len(before):])
	}
	found := false
	for _, tc := range list(ss.get(t, "GET", "/api/rulesets/travel-insurance/testcases", "exec", nil, 200)["testcases"]) {
		found = found || obj(tc)["name"] == "saved from the studio"
	}
	if !found {
		t.Error("the saved testcase is not listed")
	}
	run := ss.get(t, "POST", "/api/rulesets/travel-insurance/testcases/run", "exec", map[string]any{"name": "saved from the studio"}, 200)
	if run["passed"].(float64) != 1 {
		t.Errorf("the saved testcase does not pass: %v", run)
	}
	// An input error is a baseline too, in a new file.
	bad := ss.get(t, "POST", "/api/rulesets/travel-insurance/testcases", "admin", map[string]any{"name": "missing birth date", "input": map[string]any{"StartDate": "2023-07-20"}}, 201)
	if bad["file"] != "tests/studio.yaml" || obj(bad["expect"])["error"] == nil {
		t.Errorf("an input error: %v", bad)
	}
	if run := ss.get(t, "POST", "/api/rulesets/travel-insurance/testcases/run", "exec", map[string]any{}, 200); run["failed"].(float64) != 0 {
		t.Errorf("after saving: %v", run)
	}

	idle := newStudioServer(t, false, nil, nil)
	for _, c := range []struct {
		name string
		srv  *studioServer
		path string
		key  string
		body any
		want int
	}{
		{"duplicate", ss, "travel-insurance", "admin", body, 409},
		{"duplicate of another file's", ss, "travel-insurance", "admin", map[string]any{"name": "young traveller pays the 18-30 surcharge", "input": input}, 409},
		{"not admin", ss, "travel-insurance", "exec", map[string]any{"name": "x", "input": input}, 403},
		{"stored", ss, "stored-one", "admin", map[string]any{"name": "x", "input": map[string]any{"X": 1}}, 409},
		{"not watching", idle, "travel-insurance", "admin", map[string]any{"name": "x", "input": input}, 409},
		{"outside tests", ss, "travel-insurance", "admin", map[string]any{"name": "x", "file": "rules/x.yaml", "input": input}, 400},
		{"traversal", ss, "travel-insurance", "admin", map[string]any{"name": "x", "file": "tests/../../x.yaml", "input": input}, 400},
		{"not yaml", ss, "travel-insurance", "admin", map[string]any{"name": "x", "file": "tests/x.json", "input": input}, 400},
		{"no name", ss, "travel-insurance", "admin", map[string]any{"input": input}, 400},
		{"a name on two lines", ss, "travel-insurance", "admin", map[string]any{"name": "a\nb", "input": input}, 400},
		{"input not an object", ss, "travel-insurance", "admin", map[string]any{"name": "x", "input": []any{1}}, 400},
		{"other expect", ss, "travel-insurance", "admin", map[string]any{"name": "x", "input": input, "expect": "nothing"}, 400},
		{"bad now", ss, "travel-insurance", "admin", map[string]any{"name": "x", "input": input, "options": map[string]any{"now": "soon"}}, 400},
		{"bad culture", ss, "travel-insurance", "admin", map[string]any{"name": "x", "input": input, "options": map[string]any{"culture": "xx-nope"}}, 400},
		{"unknown option", ss, "travel-insurance", "admin", map[string]any{"name": "x", "input": input, "options": map[string]any{"explain": true}}, 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			if status, _, data := c.srv.do("POST", "/api/rulesets/"+c.path+"/testcases", c.key, c.body); status != c.want {
				t.Errorf("%d, want %d: %s", status, c.want, data)
			}
		})
	}
	if ss.read(t, "tests/pricing.yaml") != after {
		t.Error("a refused request changed the file")
	}
	if _, err := os.Stat(filepath.Join(idle.dir, "tests", "studio.yaml")); err == nil {
		t.Error("written while not watching")
	}
}

// TestStudioAPIAccept: accepting a failing testcase writes its actual result (keeping the file's
// comments) and answers it passing.
func TestStudioAPIAccept(t *testing.T) {
	ss := newStudioServer(t, true, nil, nil)
	name := "young traveller pays the 18-30 surcharge"
	pricing := ss.read(t, "tests/pricing.yaml")
	ss.put(t, "tests/pricing.yaml", strings.Replace(pricing, "InsuranceCosts: 1.05     # 7 days × 0.15", "InsuranceCosts: 2.05     # 7 days × 0.15", 1), 200)
	if run := ss.get(t, "POST", "/api/rulesets/travel-insurance/testcases/run", "exec", map[string]any{"name": name}, 200); run["failed"].(float64) != 1 {
		t.Fatalf("not failing first: %v", run)
	}
	res := ss.get(t, "POST", "/api/rulesets/travel-insurance/testcases/accept", "admin", map[string]any{"name": name}, 200)
	if res["passed"].(float64) != 1 || res["failed"].(float64) != 0 || res["updated"] != true || res["status"] != "loaded" || obj(list(res["results"])[0])["passed"] != true {
		t.Errorf("accept: %v", res)
	}
	after := ss.read(t, "tests/pricing.yaml")
	if !strings.Contains(after, "InsuranceCosts: 1.05 # 7 days × 0.15") || !strings.Contains(after, "# Prices for ordinary trips") {
		t.Errorf("the file after accept:\n%s", after)
	}
	if run := ss.get(t, "POST", "/api/rulesets/travel-insurance/testcases/run", "exec", map[string]any{}, 200); run["failed"].(float64) != 0 {
		t.Errorf("after accept: %v", run)
	}
	// Accepting a passing testcase writes nothing.
	if res := ss.get(t, "POST", "/api/rulesets/travel-insurance/testcases/accept", "admin", map[string]any{"name": name}, 200); res["updated"] != false {
		t.Errorf("a passing testcase: %v", res)
	}
	for _, c := range []struct {
		path, key string
		body      any
		want      int
	}{
		{"travel-insurance", "exec", map[string]any{"name": name}, 403},
		{"travel-insurance", "admin", map[string]any{"name": "no such case"}, 404},
		{"stored-one", "admin", map[string]any{"name": "doubles"}, 409},
	} {
		if status, _, data := ss.do("POST", "/api/rulesets/"+c.path+"/testcases/accept", c.key, c.body); status != c.want {
			t.Errorf("accept %v on %s with %s: %d, want %d: %s", c.body, c.path, c.key, status, c.want, data)
		}
	}
}

// TestStudioAPICompletions: the ruleset's names and the built-ins from the registry, and the
// ruleset's typings.
func TestStudioAPICompletions(t *testing.T) {
	ss := newStudioServer(t, false, nil, nil)
	res := ss.get(t, "GET", "/api/rulesets/travel-insurance/completions", "exec", nil, 200)
	have := map[string]map[string]any{}
	for _, c := range list(res["completions"]) {
		k := obj(c)["type"].(string) + " " + fmt.Sprint(obj(c)["parent"]) + " " + obj(c)["label"].(string)
		have[k] = obj(c)
	}
	for _, want := range []string{
		"input <nil> StartDate", "rule <nil> InsuranceCosts", "rule <nil> BasePremium", "constant <nil> BasePremiumPerDay",
		"table <nil> AgeBands", "function <nil> AgeSurcharge", "entity <nil> Person", "property Person Age", "property Person Name",
		"property AgeBands child", "method AgeBands lookup",
		"module <nil> Finance", "function Finance Finance.annuity", "function <nil> ROUND", "method Array.prototype where", "constant Date Date.MS_IN_DAY",
		"function console console.log",
	} {
		if have[want] == nil {
			t.Errorf("no completion %q", want)
		}
	}
	if d := have["function <nil> ROUND"]["detail"]; !strings.HasPrefix(fmt.Sprint(d), "(x: number") {
		t.Errorf("ROUND's detail: %v", d)
	}
	if typ := res["typings"].(string); !strings.Contains(typ, "declare function ROUND") || !strings.Contains(typ, "InsuranceCosts") {
		t.Errorf("typings: %.200s", typ)
	}
	if status, _, _ := ss.do("GET", "/api/rulesets/travel-insurance/completions", "other", nil); status != 403 {
		t.Errorf("other key: %d", status)
	}
	if status, _, _ := ss.do("GET", "/api/rulesets/stored-one/completions", "admin", nil); status != 200 {
		t.Errorf("stored: %d", status)
	}
}
