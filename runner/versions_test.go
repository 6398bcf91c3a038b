package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// kubusV is kubus with `import` and `versions` on the root even while main.go does not add them yet
// (a command the root already has is not added twice).
func kubusV(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut strings.Builder
	root := newRoot(strings.NewReader(stdin), &out, &errOut)
	have := map[string]bool{}
	for _, c := range root.Commands() {
		have[c.Name()] = true
	}
	for _, c := range []func() *cobra.Command{newImportCmd, newVersionsCmd} {
		if cmd := c(); !have[cmd.Name()] {
			root.AddCommand(cmd)
		}
	}
	root.SetArgs(args)
	err := root.Execute()
	var ee exitError
	code := 0
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.code
	default:
		errOut.WriteString("kubus: " + err.Error() + "\n")
		code = 2
	}
	return code, out.String(), errOut.String()
}

// travelCopy copies examples/travel-insurance into a temporary folder with its version set to
// version and, when extra is not empty, its description changed too.
func travelCopy(t *testing.T, version, description string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "travel-insurance")
	if err := os.CopyFS(dir, os.DirFS("../examples/travel-insurance")); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "ruleset.yaml")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "version: 1.0.0", "version: "+version, 1)
	if description != "" {
		s = strings.Replace(s, "description: Price a travel insurance policy", "description: "+description, 1)
	}
	if s == string(data) && (version != "1.0.0" || description != "") {
		t.Fatal("travelCopy changed nothing: ruleset.yaml no longer looks as expected")
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func resultVersion(t *testing.T, out string) string {
	t.Helper()
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	v, _ := res["version"].(string)
	return v
}

func TestRulesetVersions(t *testing.T) {
	db := filepath.Join(t.TempDir(), "kubus.db")
	input := "../examples/travel-insurance/input.json"

	code, out, errOut := kubusV(t, "", "import", "../examples/travel-insurance", "--store", db)
	if code != 0 || out != "stored travel-insurance 1.0.0\n" {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	// Idempotent: the same content again, from the folder or from its JSON form.
	code, out, errOut = kubusV(t, "", "import", "../examples/travel-insurance", "--store", db)
	if code != 0 || out != "travel-insurance 1.0.0 is already stored (unchanged)\n" {
		t.Errorf("re-import: exit %d\n%s%s", code, out, errOut)
	}
	exported := filepath.Join(t.TempDir(), "travel-insurance.json")
	if code, _, errOut := kubus(t, "", "export", "../examples/travel-insurance", "-o", exported); code != 0 {
		t.Fatalf("export folder: exit %d\n%s", code, errOut)
	}
	code, out, errOut = kubusV(t, "", "import", exported, "--store", db)
	if code != 0 || out != "travel-insurance 1.0.0 is already stored (unchanged)\n" {
		t.Errorf("re-import of the JSON form: exit %d\n%s%s", code, out, errOut)
	}

	// Other content under a stored version is refused.
	code, out, errOut = kubusV(t, "", "import", travelCopy(t, "1.0.0", "Price a policy (changed)"), "--store", db)
	want := "ruleset travel-insurance 1.0.0 is already stored with other content: a stored version never changes; give the new content a new version\n"
	if code != 1 || out != "" || errOut != want {
		t.Errorf("changed import: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}

	// A broken ruleset is refused with its problems and stores nothing.
	broken := travelCopy(t, "3.0.0", "")
	write(t, filepath.Join(broken, "rules", "broken.js"), "this is not JavaScript (")
	brokenYAML, _ := os.ReadFile(filepath.Join(broken, "ruleset.yaml"))
	write(t, filepath.Join(broken, "ruleset.yaml"), strings.Replace(string(brokenYAML), "rules:\n", "rules:\n  Broken: {file: rules/broken.js}\n", 1))
	if code, out, errOut := kubusV(t, "", "import", broken, "--store", db); code != 1 || !strings.Contains(errOut, "problem(s)") {
		t.Errorf("broken import: exit %d\n%s%s", code, out, errOut)
	}

	code, out, errOut = kubusV(t, "", "import", travelCopy(t, "1.1.0", ""), "--store", db)
	if code != 0 || out != "stored travel-insurance 1.1.0\n" {
		t.Fatalf("import 1.1.0: exit %d\n%s%s", code, out, errOut)
	}

	code, out, errOut = kubusV(t, "", "versions", "travel-insurance", "--store", db)
	if code != 0 {
		t.Fatalf("versions: exit %d\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	line := regexp.MustCompile(`^(\S+) +(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) +(\d+) bytes(  latest)?$`)
	if len(lines) != 2 {
		t.Fatalf("versions:\n%s", out)
	}
	for i, wantV := range []string{"1.0.0", "1.1.0"} {
		m := line.FindStringSubmatch(lines[i])
		if m == nil || m[1] != wantV || (m[4] != "") != (i == 1) {
			t.Errorf("versions line %d = %q", i, lines[i])
		}
	}

	// run: the latest by default, a given version with @.
	code, out, errOut = kubusV(t, "", "run", "travel-insurance", "--input", input, "--store", db)
	if code != 0 || resultVersion(t, out) != "1.1.0" {
		t.Errorf("run latest: exit %d, version %q\n%s", code, resultVersion(t, out), errOut)
	}
	code, out, errOut = kubusV(t, "", "run", "travel-insurance@1.0.0", "--input", input, "--store", db)
	if code != 0 || resultVersion(t, out) != "1.0.0" {
		t.Errorf("run 1.0.0: exit %d\n%s%s", code, out, errOut)
	}
	// $KUBUS_STORE names the store when --store does not.
	t.Setenv("KUBUS_STORE", db)
	if code, out, errOut := kubusV(t, "", "run", "travel-insurance@1.0.0", "--input", input); code != 0 || resultVersion(t, out) != "1.0.0" {
		t.Errorf("run with $KUBUS_STORE: exit %d\n%s%s", code, out, errOut)
	}
	t.Setenv("KUBUS_STORE", "")

	// test: the stored JSON form carries the testcases.
	code, out, errOut = kubusV(t, "", "test", "travel-insurance@1.0.0", "--store", db)
	if code != 0 || !strings.Contains(out, "--- PASS: travel-insurance/") || !strings.HasSuffix(out, " passed, 0 failed\n") {
		t.Errorf("test 1.0.0: exit %d\n%s%s", code, out, errOut)
	}
	if strings.HasPrefix(out, "0 passed") {
		t.Errorf("test 1.0.0 ran no testcases:\n%s", out)
	}

	// export: the stored bytes, the same as exporting the folder, and runnable by `kubus test`.
	code, out, errOut = kubusV(t, "", "export", "travel-insurance@1.0.0", "--store", db)
	if code != 0 {
		t.Fatalf("export 1.0.0: exit %d\n%s", code, errOut)
	}
	if folder, _ := os.ReadFile(exported); out != string(folder) {
		t.Errorf("export of the stored version differs from the folder's export")
	}
	again := filepath.Join(t.TempDir(), "again.json")
	write(t, again, out)
	if code, out, errOut := kubus(t, "", "test", again); code != 0 || !strings.HasSuffix(out, " passed, 0 failed\n") {
		t.Errorf("test of the exported version: exit %d\n%s%s", code, out, errOut)
	}
	outDir := filepath.Join(t.TempDir(), "folder")
	if code, _, errOut := kubusV(t, "", "export", "travel-insurance", "--store", db, "--dir", outDir); code != 0 {
		t.Errorf("export --dir: exit %d\n%s", code, errOut)
	} else if data, _ := os.ReadFile(filepath.Join(outDir, "ruleset.yaml")); !strings.Contains(string(data), "version: 1.1.0") {
		t.Errorf("export --dir of the latest wrote:\n%s", data)
	}
}

func TestRulesetVersionsErrors(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "kubus.db")
	input := "../examples/travel-insurance/input.json"

	// No store yet: a lookup says so and creates none.
	for _, args := range [][]string{
		{"run", "travel-insurance", "--input", input, "--store", db},
		{"versions", "travel-insurance", "--store", db},
		{"export", "travel-insurance", "--store", db},
	} {
		code, out, errOut := kubusV(t, "", args...)
		if code != 1 || !strings.Contains(errOut, "there is no store "+db) {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	code, out, _ := kubusV(t, "", "test", "travel-insurance", "--store", db)
	if code != 1 || !strings.Contains(out, "there is no store "+db) {
		t.Errorf("test without a store: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("a lookup created the store file (%v)", err)
	}

	if code, out, errOut := kubusV(t, "", "import", "../examples/travel-insurance", "--store", db); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "travel-insurance@2.0.0", "--input", input, "--store", db}, "ruleset travel-insurance has no version 2.0.0 in store"},
		{[]string{"run", "mortgage", "--input", input, "--store", db}, "no file or folder mortgage, and no ruleset mortgage in store"},
		{[]string{"export", "travel-insurance@2.0.0", "--store", db}, "has no version 2.0.0"},
		{[]string{"versions", "mortgage", "--store", db}, "no versions of ruleset mortgage in store"},
		// A mistyped path stays a path: it is not looked up in the store.
		{[]string{"run", "../examples/travel-insuranse", "--input", input, "--store", db}, "cannot read ../examples/travel-insuranse"},
	} {
		code, out, errOut := kubusV(t, "", c.args...)
		if code != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, want 1 and %q\n%s%s", c.args, code, c.want, out, errOut)
		}
	}
	code, out, _ = kubusV(t, "", "test", "travel-insurance@2.0.0", "--store", db)
	if code != 1 || !strings.Contains(out, "--- FAIL: travel-insurance@2.0.0 (load)") || !strings.Contains(out, "has no version 2.0.0") {
		t.Errorf("test of a missing version: exit %d\n%s", code, out)
	}
	if code, _, errOut := kubus(t, "", "test", "../examples/no-such-folder"); code != 2 || !strings.Contains(errOut, "no such file") {
		t.Errorf("test of a missing path: exit %d\n%s", code, errOut)
	}
}
