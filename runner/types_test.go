package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestTypesDeclaresBuiltinsAndRulesetNames(t *testing.T) {
	code, out, errOut := kubus(t, "", "types", "../examples/travel-insurance")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"declare function ROUND(x: number, decimals?: number): number;",
		"declare namespace System {",
		"declare const StartDate: Date;",
		"declare const CustomerArea: \"north\" | \"east\" | \"south\" | \"west\";",
		"declare const CustomerId: string | null;",
		"declare function AgeSurcharge(age: number, numberOfDays: number): number;",
		"declare class Person {",
		"declare const TotalPremium: number;",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("typings lack %q", want)
		}
	}
}

// copyExample copies an example ruleset folder into a temporary one.
func copyExample(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "examples", name))); err != nil {
		t.Fatal(err)
	}
	return dir
}

// initTypesIn runs `kubus types --init dir` and fails the test unless it succeeds.
func initTypesIn(t *testing.T, dir string) string {
	t.Helper()
	code, out, errOut := kubus(t, "", "types", "--init", dir)
	if code != 0 {
		t.Fatalf("types --init %s: exit %d: %s", dir, code, errOut)
	}
	return out
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type jsconfigFile struct {
	CompilerOptions map[string]any `json:"compilerOptions"`
	Include         []string       `json:"include"`
	Exclude         []string       `json:"exclude"`
}

func readJSConfig(t *testing.T, dir string) jsconfigFile {
	t.Helper()
	var c jsconfigFile
	if err := json.Unmarshal([]byte(read(t, filepath.Join(dir, "jsconfig.json"))), &c); err != nil {
		t.Fatalf("jsconfig.json is not JSON: %v", err)
	}
	return c
}

func TestTypesInitWritesDeclarationsAndJSConfig(t *testing.T) {
	dir := copyExample(t, "travel-insurance")
	dts, cfg := filepath.Join(dir, "kubus.d.ts"), filepath.Join(dir, "jsconfig.json")
	out := initTypesIn(t, dir)
	if want := "wrote " + dts + "\nwrote " + cfg + "\n"; out != want {
		t.Errorf("types --init printed %q, want %q", out, want)
	}
	_, decls, _ := kubus(t, "", "types", dir)
	if got := read(t, dts); got != decls {
		t.Errorf("kubus.d.ts is not what `kubus types DIR` prints")
	}

	c := readJSConfig(t, dir)
	opts := c.CompilerOptions
	for _, l := range opts["lib"].([]any) {
		if strings.HasPrefix(strings.ToLower(l.(string)), "dom") || strings.HasPrefix(strings.ToLower(l.(string)), "webworker") {
			t.Errorf("lib has %q: its Crypto (and more) collides with Kubus's", l)
		}
	}
	if !slices.Equal(c.Include, []string{"kubus.d.ts", "rules/**/*.js"}) || c.Exclude != nil {
		t.Errorf("include %q, exclude %q", c.Include, c.Exclude)
	}
	for key, want := range map[string]any{
		"checkJs": true, "noEmit": true, "target": "es2023", "moduleDetection": "force",
		"skipLibCheck": false, // else tsc and editors hide a kubus.d.ts that conflicts with the lib
	} {
		if opts[key] != want {
			t.Errorf("compilerOptions.%s = %v, want %v", key, opts[key], want)
		}
	}
	if l, ok := opts["lib"].([]any); !ok || len(l) != 1 || l[0] != "es2023" {
		t.Errorf("compilerOptions.lib = %v, want [es2023]", opts["lib"])
	}
	if ty, ok := opts["types"].([]any); !ok || len(ty) != 0 {
		t.Errorf("compilerOptions.types = %v, want [] (no @types packages)", opts["types"])
	}

	// Again: nothing to do.
	if out := initTypesIn(t, dir); out != "unchanged "+dts+"\nunchanged "+cfg+"\n" {
		t.Errorf("second types --init printed %q", out)
	}

	// kubus.d.ts is generated: a stale one is regenerated. A jsconfig.json the user changed is theirs:
	// refused, naming the file, and then nothing at all is written.
	write(t, dts, "// Kubus built-in library. Generated: do not edit.\ndeclare const Stale: number;\n")
	mine := `{"compilerOptions": {"checkJs": true}}` + "\n"
	write(t, cfg, mine)
	code, out, errOut := kubus(t, "", "types", "--init", dir)
	if code != 1 || out != "" || !strings.Contains(errOut, cfg+" exists") || !strings.Contains(errOut, "--force") {
		t.Errorf("over a user's jsconfig.json: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if read(t, cfg) != mine || !strings.Contains(read(t, dts), "declare const Stale") {
		t.Errorf("a refused types --init wrote files")
	}
	code, out, errOut = kubus(t, "", "types", "--init", "--force", dir)
	if code != 0 || out != "regenerated "+dts+"\nreplaced "+cfg+"\n" {
		t.Errorf("types --init --force: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if read(t, dts) != decls || readJSConfig(t, dir).Include == nil {
		t.Errorf("types --init --force did not write the generated files")
	}

	// A kubus.d.ts that kubus did not write is not replaced without --force either.
	write(t, dts, "declare const Mine: number;\n")
	if code, _, errOut := kubus(t, "", "types", "--init", dir); code != 1 || !strings.Contains(errOut, dts+" exists") {
		t.Errorf("over a hand-written kubus.d.ts: exit %d, stderr %q", code, errOut)
	}

	// DIR defaults to the current directory.
	other := copyExample(t, "mortgage-affordability")
	t.Chdir(other)
	if code, out, errOut := kubus(t, "", "types", "--init"); code != 0 || out != "wrote kubus.d.ts\nwrote jsconfig.json\n" {
		t.Errorf("types --init in the current directory: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestTypesInitRefusals(t *testing.T) {
	broken := t.TempDir()
	write(t, filepath.Join(broken, "ruleset.yaml"), "name: broken\nversion: 1.0.0\nrules:\n  A: NoSuchName + 1\n")
	code, _, errOut := kubus(t, "", "types", "--init", broken)
	if code != 1 || !strings.Contains(errOut, "NoSuchName") {
		t.Errorf("a ruleset that does not load: exit %d, stderr %q", code, errOut)
	}
	if entries, _ := os.ReadDir(broken); len(entries) != 1 {
		t.Errorf("types --init wrote files for a ruleset that does not load")
	}
	if code, _, errOut := kubus(t, "", "types", "--init", filepath.Join(broken, "ruleset.yaml")); code == 0 || !strings.Contains(errOut, "not a ruleset folder") {
		t.Errorf("types --init FILE: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := kubus(t, "", "types", "--force", broken); code == 0 || !strings.Contains(errOut, "--init") {
		t.Errorf("types --force without --init: exit %d, stderr %q", code, errOut)
	}
}

// filesRuleset is a ruleset whose code lives in files: a rule outside rules/, a function body and a
// calculated property in rules/ (which see their parameters and properties only when kubus runs them).
func filesRuleset(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "ruleset.yaml"), `name: files
version: 1.0.0
inputs:
  Amount: {type: number, required: true}
entities:
  Person:
    properties:
      Birthdate: {type: date}
    calculated:
      Age: {type: number, file: rules/age.js}
functions:
  Double:
    params: {x: number}
    returns: number
    file: rules/double.js
rules:
  Doubled:
    type: number
    file: lib/doubled.js
  Tripled:
    type: number
    file: rules/tripled.js
`)
	write(t, filepath.Join(dir, "rules", "age.js"), "Birthdate === null ? 0 : AGE(Birthdate)\n")
	write(t, filepath.Join(dir, "rules", "double.js"), "x * 2\n")
	write(t, filepath.Join(dir, "lib", "doubled.js"), "Double(Amount)\n")
	write(t, filepath.Join(dir, "rules", "tripled.js"), "ROUND(Amount * 3, 2)\n")
	return dir
}

func TestTypesInitIncludesEveryRuleFile(t *testing.T) {
	dir := filesRuleset(t)
	initTypesIn(t, dir)
	c := readJSConfig(t, dir)
	if want := []string{"kubus.d.ts", "rules/**/*.js", "lib/doubled.js"}; !slices.Equal(c.Include, want) {
		t.Errorf("include = %q, want %q", c.Include, want)
	}
	if want := []string{"rules/age.js", "rules/double.js"}; !slices.Equal(c.Exclude, want) {
		t.Errorf("exclude = %q, want %q", c.Exclude, want)
	}
}

// tscPath is the TypeScript compiler (KUBUS_TSC, which CI sets; or tsc on the PATH); the test is
// skipped without one.
func tscPath(t *testing.T) string {
	t.Helper()
	if tsc := os.Getenv("KUBUS_TSC"); tsc != "" {
		return tsc
	}
	tsc, err := exec.LookPath("tsc")
	if err != nil {
		t.Skip("no TypeScript compiler: set KUBUS_TSC (CI installs one)")
	}
	return tsc
}

var tscDiagnostic = regexp.MustCompile(`^(\S.*)\((\d+),(\d+)\): error (TS\d+): (.*)$`)

// tscProject runs tsc -p on dir's jsconfig.json and returns whether it passed and its diagnostics'
// first lines, as "file(line,col): error TSnnnn: message".
func tscProject(t *testing.T, tsc, dir string) (bool, []string) {
	t.Helper()
	cmd := exec.Command(tsc, "-p", "jsconfig.json", "--pretty", "false")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	var diags []string
	for _, l := range strings.Split(string(out), "\n") {
		if tscDiagnostic.MatchString(l) {
			diags = append(diags, l)
		}
	}
	if err != nil && len(diags) == 0 {
		t.Fatalf("tsc -p %s: %v\n%s", dir, err, out)
	}
	return err == nil, diags
}

// wrapRuleFiles rewrites every rules/*.js of dir as kubus runs it: as the body of a function. Lines
// keep their numbers.
func wrapRuleFiles(t *testing.T, dir string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "rules", "*.js"))
	for _, f := range files {
		write(t, f, "(function () { "+read(t, f)+"\n});\n")
	}
}

// The generated jsconfig.json, exactly as `kubus types --init` writes it, type-checks rule files
// with tsc: the examples' own rule code passes, a misuse is reported, and the built-ins collide with
// no ECMAScript library.
func TestTypesCompileWithTypeScript(t *testing.T) {
	tsc := tscPath(t)

	// TypeScript refuses a `return` outside a function (TS1108, in editors too) and does not check
	// what that return returns; no compiler option changes it. Kubus runs a rule file as a function
	// body, so that error is the only one the examples' rule files may show as they are written.
	t.Run("examples as written", func(t *testing.T) {
		t.Parallel()
		for _, name := range []string{"travel-insurance", "mortgage-affordability", "ockto-mortgage"} {
			dir := copyExample(t, name)
			initTypesIn(t, dir)
			_, diags := tscProject(t, tsc, dir)
			for _, d := range diags {
				if !strings.Contains(d, "error TS1108:") {
					t.Errorf("%s: %s", name, d)
				}
			}
		}
	})

	// With each rule file as the function body kubus makes of it, everything in it is checked, and
	// passes. (ockto-mortgage is not here: its rules read check.record.validUntil, which the
	// declarations give as a union of three consent record types without it.)
	t.Run("examples as kubus runs them", func(t *testing.T) {
		t.Parallel()
		for _, name := range []string{"travel-insurance", "mortgage-affordability"} {
			dir := copyExample(t, name)
			initTypesIn(t, dir)
			wrapRuleFiles(t, dir)
			if name == "travel-insurance" {
				write(t, filepath.Join(dir, "rules", "sample.js"), `
const premium = ROUND(NumberOfDays * BasePremiumPerDay * AreaFactors[CustomerArea], 2);
const band = AgeBands.lookupRow(AgeAtDeparture);
const surcharge = band === null ? 0 : band.surchargePerDay * NumberOfDays;
const young = AgeBands.young.from <= AGE(DateOfBirth, StartDate);
const p = new Person({ Name: "Ann" });
System.createAlert({ name: "X", level: "info", message: String(premium + surcharge) + p.Name + young });
console.log(DAYDIFF(StartDate, EndDate), TODAY().addDays(1).toISODate(), [1, 2].sum(), CustomerId?.length);
const last = [3, 1, 2].toSorted().findLast(x => x > 1); // ES2023, which goja has
`)
			}
			if ok, diags := tscProject(t, tsc, dir); !ok {
				t.Errorf("%s does not type-check:\n%s", name, strings.Join(diags, "\n"))
			}
		}
	})

	t.Run("a misuse in a rule file is reported", func(t *testing.T) {
		t.Parallel()
		dir := copyExample(t, "travel-insurance")
		initTypesIn(t, dir)
		f := filepath.Join(dir, "rules", "total-premium.js")
		write(t, f, "const x = ROUND(\"three\", 2);\nconst y = AgeBands.medium;\nconst z = CustomerId.length;\n"+read(t, f))
		ok, diags := tscProject(t, tsc, dir)
		if ok {
			t.Fatalf("misuse type-checked: the declarations or the jsconfig.json are too loose")
		}
		got := strings.Join(diags, "\n")
		for _, want := range []string{
			"rules/total-premium.js(1,17): error TS2345:",  // a string for a number
			"rules/total-premium.js(2,20): error TS2339:",  // no such table row
			"rules/total-premium.js(3,11): error TS18047:", // an optional input may be null
		} {
			if !strings.Contains(got, want) {
				t.Errorf("tsc did not report %q:\n%s", want, got)
			}
		}
	})

	t.Run("function and calculated files are left out", func(t *testing.T) {
		t.Parallel()
		dir := filesRuleset(t)
		initTypesIn(t, dir)
		if ok, diags := tscProject(t, tsc, dir); !ok {
			t.Errorf("does not type-check:\n%s", strings.Join(diags, "\n"))
		}
	})

	// Not only DOM: the built-ins' declarations must not clash with any ECMAScript edition's library.
	t.Run("built-ins and ES libraries", func(t *testing.T) {
		t.Parallel()
		_, decls, _ := kubus(t, "", "types")
		dir := t.TempDir()
		write(t, filepath.Join(dir, "kubus.d.ts"), decls)
		for _, lib := range []string{"es5", "es2023", "esnext"} {
			out, err := exec.Command(tsc, "--noEmit", "--strict", "--pretty", "false", "--lib", lib, filepath.Join(dir, "kubus.d.ts")).CombinedOutput()
			if err != nil {
				t.Errorf("kubus.d.ts with lib %s:\n%s", lib, out)
			}
		}
	})
}

// The README shows the jsconfig.json that --init writes for a ruleset with its code in rules/.
func TestTypesJSConfigInREADME(t *testing.T) {
	dir := copyExample(t, "travel-insurance")
	initTypesIn(t, dir)
	var shown strings.Builder
	shown.WriteString("  ```json\n")
	for _, l := range strings.SplitAfter(read(t, filepath.Join(dir, "jsconfig.json")), "\n") {
		if l != "" {
			shown.WriteString("  " + l)
		}
	}
	shown.WriteString("  ```\n")
	if !strings.Contains(read(t, "../README.md"), shown.String()) {
		t.Errorf("README.md does not show the generated jsconfig.json:\n%s", shown.String())
	}
}
