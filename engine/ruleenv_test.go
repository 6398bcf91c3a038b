package engine_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/std"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
)

// hostEnvModule lets a test read the host environment the way a module does (HOSTENV(name)).
type hostEnvModule struct{}

func (hostEnvModule) Name() string { return "hostenv" }
func (hostEnvModule) Typings() string {
	return "declare function HOSTENV(name: string): string | null;"
}
func (hostEnvModule) Install(h *builtins.Host) error {
	return h.SetGlobal("HOSTENV", h.Func("HOSTENV", func(call goja.FunctionCall) goja.Value {
		if v, ok := h.MustExec("HOSTENV").Getenv(h.String(call, 0, "HOSTENV", "name")); ok {
			return h.VM.ToValue(v)
		}
		return goja.Null()
	}))
}

// ExecOptions.Getenv overlays the host environment modules read; rule code's System.env and env:
// constants read the rule environment only, whatever either host environment holds.
func TestExecOptionsGetenv(t *testing.T) {
	base := map[string]string{"A": "engine-a", "B": "engine-b", "FIN_DATA_URL": "https://engine.example"}
	eng := engine.New(engine.WithPoolSize(1),
		engine.WithModules(append(std.Modules(), hostEnvModule{})...),
		engine.WithEnv(func(k string) (string, bool) { v, ok := base[k]; return v, ok }),
		engine.WithRuleEnv(map[string]string{"FIN_DATA_URL": "https://rules.example"}))
	rs := load(t, eng, `name: env
constants:
  FinDataURL: {env: FIN_DATA_URL}
rules:
  A: HOSTENV("A")
  B: HOSTENV("B")
  C: HOSTENV("C")
  D: HOSTENV("D")
  RuleA: System.env("A")
  RuleC: System.env("C")
  RuleUrl: System.env("FIN_DATA_URL")
  Url: FinDataURL
`, nil)
	over := map[string]string{"A": "exec-a", "C": "", "FIN_DATA_URL": "https://exec.example"}
	overlay := func(k string) (string, bool) { v, ok := over[k]; return v, ok }
	rules := map[string]any{"RuleA": nil, "RuleC": nil, "RuleUrl": "https://rules.example", "Url": "https://rules.example"}
	cases := []struct {
		name   string
		getenv func(string) (string, bool)
		want   map[string]any
	}{
		// What Getenv knows wins (an empty value too); the rest is the engine's.
		{"overlaid", overlay, map[string]any{"A": "exec-a", "B": "engine-b", "C": "", "D": nil}},
		// The same (pooled) runtime, in the next execution, reads the engine's environment again.
		{"the next execution without", nil, map[string]any{"A": "engine-a", "B": "engine-b", "C": nil, "D": nil}},
		{"knowing nothing", func(string) (string, bool) { return "", false }, map[string]any{"A": "engine-a", "B": "engine-b", "C": nil, "D": nil}},
		{"overlaid again", overlay, map[string]any{"A": "exec-a", "B": "engine-b", "C": "", "D": nil}},
	}
	for _, tc := range cases {
		res, err := rs.Execute(context.Background(), nil, engine.ExecOptions{Now: fixedNow, Getenv: tc.getenv})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		maps.Copy(tc.want, rules)
		for k, want := range tc.want {
			if got := res.Output[k]; got != want {
				t.Errorf("%s: %s = %#v, want %#v", tc.name, k, got, want)
			}
		}
	}
}

// Rule code reads only what WithRuleEnv declares: not the process environment (HOME, PATH, a
// module's secret), not the host environment, and never a KUBUS_ name even when declared.
func TestRuleCodeSeesOnlyDeclaredVariables(t *testing.T) {
	t.Setenv("HOME", "/home/someone")
	t.Setenv("PATH", "/usr/bin")
	t.Setenv("KUBUS_OCKTO_PASSWORD", "secret")
	t.Setenv("FIN_DATA_URL", "https://process.example")
	const yaml = `name: reads
constants:
  Url: {env: FIN_DATA_URL}
  WithDefault: {env: UNDECLARED, default: fallback}
rules:
  Home: System.env("HOME")
  Path: System.env("PATH")
  Password: System.env("KUBUS_OCKTO_PASSWORD")
  Lower: System.env("kubus_ockto_password")
  Declared: System.env("FIN_DATA_URL")
  Computed: System.env(["KUBUS", "OCKTO", "USERNAME"].join("_"))
  FromConstant: Url
  Defaulted: WithDefault
`
	declared := map[string]string{"FIN_DATA_URL": "https://declared.example", "KUBUS_OCKTO_USERNAME": "declared-user", "kubus_ockto_password": "x"}
	none := map[string]any{"Home": nil, "Path": nil, "Password": nil, "Lower": nil, "Computed": nil, "Defaulted": "fallback"}
	cases := []struct {
		name string
		opts []engine.Option
		want map[string]any
	}{
		{"no WithRuleEnv", nil, map[string]any{"Declared": nil, "FromConstant": nil}},
		{"declared", []engine.Option{engine.WithRuleEnv(declared)}, map[string]any{"Declared": "https://declared.example", "FromConstant": "https://declared.example"}},
		{"a host environment with everything", []engine.Option{engine.WithEnv(func(k string) (string, bool) { return "host-" + k, true })},
			map[string]any{"Declared": nil, "FromConstant": nil}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := exec(t, load(t, engine.New(tc.opts...), yaml, nil), nil)
			maps.Copy(tc.want, none)
			for k, want := range tc.want {
				if got := res.Output[k]; got != want {
					t.Errorf("%s = %#v, want %#v", k, got, want)
				}
			}
		})
	}
}

// WithRuleEnv copies its map: changing it afterwards changes nothing rule code reads.
func TestWithRuleEnvCopies(t *testing.T) {
	vars := map[string]string{"A": "before"}
	eng := engine.New(engine.WithRuleEnv(vars), engine.WithPoolSize(1))
	vars["A"], vars["B"] = "after", "added"
	res := exec(t, load(t, eng, "name: copies\nrules:\n  A: System.env('A')\n  B: System.env('B')\n", nil), nil)
	if res.Output["A"] != "before" || res.Output["B"] != nil {
		t.Errorf("output %v", res.Output)
	}
}

// An env: constant naming a module setting is a load error that says why.
func TestEnvConstantOfModuleSettingIsALoadError(t *testing.T) {
	for _, name := range []string{"KUBUS_OCKTO_PASSWORD", "KUBUS_STORE", "Kubus_Anything"} {
		_, err := engine.New().Load(writeRuleset(t, "name: leak\nconstants:\n  P: {env: "+name+"}\nrules:\n  A: P\n", nil))
		var le *rulesets.LoadError
		if !errors.As(err, &le) || !strings.Contains(err.Error(), "`"+name+"` is a setting of Kubus or a module (names starting KUBUS_), which rule code cannot read") {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err := engine.New().LoadJSON([]byte(`{"name": "leak", "constants": {"P": {"env": "KUBUS_OCKTO_PASSWORD"}}, "rules": {"A": "P"}}`), "leak.json")
	if err == nil || !strings.Contains(err.Error(), "`KUBUS_OCKTO_PASSWORD` is a setting of Kubus or a module") {
		t.Errorf("the JSON form: %v", err)
	}
}
