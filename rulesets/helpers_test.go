package rulesets

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testGlobals stands in for the engine's built-ins.
var testGlobals = setOf("ROUND", "AGE", "DAYDIFF", "TODAY", "NOW", "FORMAT", "Finance", "console")

// writeFiles creates a ruleset folder from file contents, relative paths as keys.
func writeFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// problemsOf returns the problems of a load error as printed lines; it fails the test for other errors.
func problemsOf(t testing.TB, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("want a *LoadError, got %T: %v", err, err)
	}
	return strings.Split(le.Error(), "\n")
}

// mustLoadYAML loads a ruleset.yaml text (plus optional other files) and fails on problems.
func mustLoadYAML(t testing.TB, yaml string, extra map[string]string) *Ruleset {
	t.Helper()
	files := map[string]string{"ruleset.yaml": yaml}
	for k, v := range extra {
		files[k] = v
	}
	rs, err := LoadDir(writeFiles(t, files), &LoadOptions{Globals: testGlobals})
	if err != nil {
		t.Fatalf("load failed:\n%v", err)
	}
	return rs
}

// normalized returns rs with everything positional cleared (positions, block indentation, the folder)
// and times in UTC, so rulesets read from different forms can be compared.
func normalized(rs *Ruleset) *Ruleset {
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		case reflect.Map:
			// Object values hold only JSON-shaped data: nothing positional.
		case reflect.Struct:
			switch v.Type() {
			case reflect.TypeFor[Pos]():
				v.Set(reflect.Zero(v.Type()))
				return
			case reflect.TypeFor[time.Time]():
				if v.CanSet() {
					v.Set(reflect.ValueOf(v.Interface().(time.Time).UTC()))
				}
				return
			}
			for i := 0; i < v.NumField(); i++ {
				f := v.Field(i)
				if !f.CanSet() {
					continue
				}
				if v.Type() == reflect.TypeFor[Code]() && v.Type().Field(i).Name == "Indent" {
					f.SetInt(0)
					continue
				}
				walk(f)
			}
		}
	}
	rs.Dir = ""
	walk(reflect.ValueOf(rs))
	return rs
}
