package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kubusdev/kubus/rulesets"
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

// --init names the rule files with a `return` outside a function, which editors report (TS1108);
// the examples' rule files end with their value instead and get no note.
func TestTypesInitNotesTopLevelReturns(t *testing.T) {
	for _, name := range []string{"travel-insurance", "mortgage-affordability", "ockto-mortgage", "ockto-workflow", "credit-check", "mortgage-offer"} {
		dir := copyExample(t, name)
		if code, _, errOut := kubus(t, "", "types", "--init", dir); code != 0 || errOut != "" {
			t.Errorf("types --init %s: exit %d, stderr %q", name, code, errOut)
		}
	}

	dir := t.TempDir()
	write(t, filepath.Join(dir, "ruleset.yaml"), `name: returns
version: 1.0.0
inputs:
  Amount: {type: number, required: true}
functions:
  Double:
    params: {x: number}
    returns: number
    file: rules/double.js
rules:
  Size: {file: rules/size.js}
  Tripled: {file: rules/tripled.js}
  Inline: "if (Amount > 1) return 1;\nreturn 2;"
`)
	write(t, filepath.Join(dir, "rules", "double.js"), "return x * 2;\n")
	write(t, filepath.Join(dir, "rules", "size.js"), "// How big.\nif (Amount > 100) return \"big\";\n\"small\"\n")
	write(t, filepath.Join(dir, "rules", "tripled.js"), "const f = () => { return 3; };\nAmount * f()\n")
	code, out, errOut := kubus(t, "", "types", "--init", dir)
	if code != 0 || !strings.HasPrefix(out, "wrote ") {
		t.Fatalf("types --init: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if !strings.HasPrefix(errOut, "note: ") || !strings.Contains(errOut, "TS1108") || !strings.HasSuffix(errOut, ":\n  "+filepath.Join(dir, "rules", "size.js")+":2:19\n") {
		t.Errorf("types --init does not name the one rule file with a top-level return:\n%s", errOut)
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

// The generated jsconfig.json, exactly as `kubus types --init` writes it, type-checks rule files
// with tsc: the examples' own rule code passes, a misuse is reported, and the built-ins collide with
// no ECMAScript library.
func TestTypesCompileWithTypeScript(t *testing.T) {
	tsc := tscPath(t)

	// TypeScript refuses a `return` outside a function (TS1108, in editors too), and no compiler
	// option changes it, so the examples' rule files end with their value instead: as written, with
	// the generated jsconfig.json, they type-check without a single error.
	t.Run("examples as written", func(t *testing.T) {
		t.Parallel()
		for _, name := range []string{"travel-insurance", "mortgage-affordability", "ockto-mortgage", "ockto-workflow", "credit-check", "mortgage-offer"} {
			dir := copyExample(t, name)
			initTypesIn(t, dir)
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
			if ok, diags := tscProject(t, tsc, dir); !ok || len(diags) > 0 {
				t.Errorf("%s does not type-check:\n%s", name, strings.Join(diags, "\n"))
			}
		}
	})

	// Consent.check's record has the type of the source its options ask about.
	t.Run("Consent.check by source", func(t *testing.T) {
		t.Parallel()
		dir := copyExample(t, "ockto-mortgage")
		initTypesIn(t, dir)
		write(t, filepath.Join(dir, "rules", "checks.js"), `
const doc = Consent.check(ApplicantId, {type: "privacyPolicy"});
/** @type {Consent.ConsentRecord | null} */ const consent = doc.record;
/** @type {"consent"} */ const docSource = doc.source;
const ais = Consent.check(ApplicantId, {iban: "NL00BANK0123456789"});
/** @type {AisConsent.Consent | null} */ const aisRecord = ais.record;
const debit = Consent.check(ApplicantId, {dataDebitKey: "lender", at: "2025-01-01"});
/** @type {DataDebit.Record | null} */ const debitRecord = debit.record;
/** @type {Consent.CheckResult} */ const any = Consent.check(ApplicantId, Math.random() > 0.5 ? {type: "a"} : {dataDebitKey: "b"});
[consent, docSource, aisRecord, debitRecord, any]
`)
		if ok, diags := tscProject(t, tsc, dir); !ok {
			t.Fatalf("does not type-check:\n%s", strings.Join(diags, "\n"))
		}
		write(t, filepath.Join(dir, "rules", "checks.js"), `
Consent.check(ApplicantId, {tyep: "privacyPolicy"});
Consent.check(ApplicantId, {type: "privacyPolicy"}).record?.validUntil;
`)
		ok, diags := tscProject(t, tsc, dir)
		got := strings.Join(diags, "\n")
		if ok || !strings.Contains(got, "rules/checks.js(2,29): error TS2769:") || !strings.Contains(got, "rules/checks.js(3,61): error TS2339:") {
			t.Errorf("misuses of Consent.check not reported:\n%s", got)
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

	// An entity is a class, so also a type: named like a type of TypeScript's library, of the
	// built-ins' declarations or like one of TypeScript's own type words, it must still compile.
	t.Run("entities named like types", func(t *testing.T) {
		t.Parallel()
		names := typeNamesOfLibrary(t, tsc)
		_, builtins, _ := kubus(t, "", "types")
		for _, m := range tsTypeDeclaration.FindAllStringSubmatch(builtins, -1) {
			names = append(names, m[1])
		}
		names = append(names, "any", "unknown", "never", "object", "symbol", "bigint", "keyof", "readonly", "infer", "unique", "type", "namespace", "KubusTable", "Person")
		slices.Sort(names)
		names = slices.Compact(names)
		dir := entityNamesRuleset(t, names)
		for _, must := range []string{"Record", "Partial", "PropertyKey", "Iterable", "KubusTable", "CryptoBytes", "OcktoAisConsent", "Console", "unknown", "keyof"} {
			if !strings.Contains(read(t, filepath.Join(dir, "ruleset.yaml")), "\n  "+must+":\n") {
				t.Errorf("the loader refuses an entity named %s, or the library scan missed it", must)
			}
		}
		write(t, filepath.Join(dir, "rules", "use.js"), `
const r = new Record({ Name: "r" });
const pals = Partial.all().map(p => p.Pals?.[0]?.Name);
const bytes = CryptoBytes.get("1")?.Self?.Name ?? null;
const k = new keyof({ Self: null }).Self;
[r.Name, r instanceof Record, pals, bytes, k, unknown.count(), Bands.low.to, new Person({}).Pals]
`)
		initTypesIn(t, dir)
		if ok, diags := tscProject(t, tsc, dir); !ok {
			t.Errorf("entities named like types do not type-check:\n%s", strings.Join(diags, "\n"))
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

// tsTypeDeclaration finds the global types of a declaration file: the declarations starting a line.
var tsTypeDeclaration = regexp.MustCompile(`(?m)^(?:declare\s+)?(?:interface|type|class|enum|namespace)\s+([A-Za-z_$][\w$]*)`)

// typeNamesOfLibrary lists the global types declared by the ECMAScript library (up to esnext) of
// the TypeScript compiler tsc.
func typeNamesOfLibrary(t *testing.T, tsc string) []string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "empty.ts"), "export {};\n")
	write(t, filepath.Join(dir, "tsconfig.json"), `{"compilerOptions": {"lib": ["esnext"], "types": [], "noEmit": true}, "files": ["empty.ts"]}`)
	cmd := exec.Command(tsc, "-p", "tsconfig.json", "--listFiles")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tsc --listFiles: %v\n%s", err, out)
	}
	var names []string
	libs := 0
	for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f = strings.TrimSpace(f)
		if !strings.HasPrefix(filepath.Base(f), "lib.") || !strings.HasSuffix(f, ".d.ts") {
			continue
		}
		libs++
		for _, m := range tsTypeDeclaration.FindAllStringSubmatch(read(t, f), -1) {
			names = append(names, m[1])
		}
	}
	if libs == 0 || len(names) < 100 {
		t.Fatalf("tsc --listFiles named %d library files declaring %d types:\n%s", libs, len(names), out)
	}
	return names
}

// entityNamesRuleset writes a ruleset folder with a persisted entity of each name the loader
// accepts (the others are left out), each with a property of its own type and a list of Records,
// and a table.
func entityNamesRuleset(t *testing.T, names []string) string {
	t.Helper()
	dir := t.TempDir()
	for range 5 {
		var b strings.Builder
		b.WriteString("name: entity-names\nversion: 1.0.0\ntables:\n  Bands:\n    columns: [from, to]\n    rows: {low: [0, 10]}\nentities:\n")
		for _, n := range names {
			fmt.Fprintf(&b, "  %s:\n    persisted: true\n    properties: {Name: {type: string}, Self: {type: %s}, Pals: {type: array, of: Record}}\n", n, n)
		}
		b.WriteString("rules:\n  Use: {file: rules/use.js}\n")
		write(t, filepath.Join(dir, "ruleset.yaml"), b.String())
		write(t, filepath.Join(dir, "rules", "use.js"), "null\n")
		_, err := loadForTypes(dir)
		var le *rulesets.LoadError
		if err == nil {
			return dir
		} else if !errors.As(err, &le) {
			t.Fatal(err)
		}
		refused := map[string]bool{}
		for _, p := range le.Problems {
			if rest, ok := strings.CutPrefix(p.Field, "entities."); ok {
				refused[strings.Split(rest, ".")[0]] = true
			}
		}
		if len(refused) == 0 {
			t.Fatalf("the entity names ruleset does not load:\n%v", err)
		}
		names = slices.DeleteFunc(names, func(n string) bool { return refused[n] })
	}
	t.Fatal("the entity names ruleset still does not load")
	return ""
}
