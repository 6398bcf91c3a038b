package main

import (
	"os"
	"os/exec"
	"path/filepath"
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

// The declarations must be valid TypeScript that type-checks rule code: with the TypeScript compiler
// at hand (KUBUS_TSC, which CI sets; or tsc on the PATH), the generated file and a sample of rule
// code using it compile, and a misuse is refused.
func TestTypesCompileWithTypeScript(t *testing.T) {
	tsc := os.Getenv("KUBUS_TSC")
	if tsc == "" {
		var err error
		if tsc, err = exec.LookPath("tsc"); err != nil {
			t.Skip("no TypeScript compiler: set KUBUS_TSC (CI installs one)")
		}
	}
	_, decls, _ := kubus(t, "", "types", "../examples/travel-insurance")
	dir := t.TempDir()
	write(t, filepath.Join(dir, "kubus.d.ts"), decls)
	check := func(name, js string) (bool, string) {
		write(t, filepath.Join(dir, name), "// @ts-check\n"+js)
		out, err := exec.Command(tsc, "--noEmit", "--allowJs", "--checkJs", "--strict", "--lib", "es2020",
			filepath.Join(dir, "kubus.d.ts"), filepath.Join(dir, name)).CombinedOutput()
		return err == nil, string(out)
	}
	ok, out := check("good.js", `
const premium = ROUND(NumberOfDays * BasePremiumPerDay * AreaFactors[CustomerArea], 2);
const band = AgeBands.lookupRow(AgeAtDeparture);
const surcharge = band === null ? 0 : band.surchargePerDay * NumberOfDays;
const young = AgeBands.young.from <= AGE(DateOfBirth, StartDate);
const p = new Person({ Name: "Ann" });
System.createAlert({ name: "X", level: "info", message: String(premium + surcharge) + p.Name + young });
console.log(DAYDIFF(StartDate, EndDate), TODAY().getTime());
`)
	if !ok {
		t.Fatalf("rule code using the declarations does not type-check:\n%s", out)
	}
	if ok, _ := check("bad.js", `const x = ROUND("three", 2); const y = AgeBands.medium;`); ok {
		t.Errorf("misuse type-checked: the declarations are too loose")
	}
}
