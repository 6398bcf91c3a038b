package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// TestConnectionsAllowList: the config file's connections decide what Http may reach; without
// them, only public addresses.
func TestConnectionsAllowList(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"score": 712}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "rs", "ruleset.yaml"), "name: score\ninputs:\n  Url: {type: string, required: true}\nrules:\n  Score: Http.get(Url).json.score\n")
	write(t, filepath.Join(dir, "in.json"), `{"Url": "`+srv.URL+`/score"}`)
	write(t, filepath.Join(dir, "allow.yaml"), "connections:\n  test:\n    allow: [\"${KUBUS_TEST_ALLOW}\"]\n    http: {timeout: 2s}\n")
	write(t, filepath.Join(dir, "none.yaml"), "environments:\n  test: {}\n")
	write(t, filepath.Join(dir, "bad.yaml"), "connections:\n  test:\n    allow: [localhost]\n")
	run := func(config string) (int, string, string) {
		return kubus(t, "", "run", filepath.Join(dir, "rs"), "--input", filepath.Join(dir, "in.json"), "--config", filepath.Join(dir, config))
	}
	t.Setenv("KUBUS_TEST_ALLOW", "127.0.0.1")
	if code, out, errOut := run("allow.yaml"); code != 0 || !strings.Contains(out, `"Score": 712`) {
		t.Errorf("allowed: exit %d\n%s%s", code, out, errOut)
	}
	// --explain lists the call: host, method, path, status; never the query or a header.
	code, out, errOut := kubus(t, "", "run", filepath.Join(dir, "rs"), "--input", filepath.Join(dir, "in.json"), "--config", filepath.Join(dir, "allow.yaml"), "--explain")
	host := strings.TrimPrefix(srv.URL, "http://")
	if want := `"calls": [
    {
      "module": "Http",
      "target": "` + host + `",
      "method": "GET",
      "what": "/score",
      "status": 200,`; code != 0 || !strings.Contains(out, want) {
		t.Errorf("explain: exit %d, want %s in\n%s%s", code, want, out, errOut)
	}
	if code, out, _ := run("none.yaml"); code != 1 || !strings.Contains(out, "is loopback") {
		t.Errorf("not allowed: exit %d\n%s", code, out)
	}
	if code, _, errOut := run("bad.yaml"); code == 0 || !strings.Contains(errOut, "not a host name") {
		t.Errorf("a host name in allow: exit %d\n%s", code, errOut)
	}
}
