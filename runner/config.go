package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/kubusdev/kubus/builtins/connections"
	"github.com/kubusdev/kubus/builtins/documents"
	"github.com/kubusdev/kubus/builtins/mail"
	"github.com/kubusdev/kubus/builtins/pdf"
	"github.com/kubusdev/kubus/builtins/std"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/rulesets"
)

// envHelp is the part of `kubus run --help` and `kubus test --help` that says where System.env and
// `env:` constants get their values, and where module settings go.
const envHelp = `
Environment variables (System.env(NAME) and constants written {env: NAME}) are exactly those the
chosen environment (--environment, else $KUBUS_ENVIRONMENT, else the config file's "environment",
else "test") declares in the config file (--config, else $KUBUS_CONFIG, else ./kubus.yaml when it
exists). Rule code sees nothing else of the process environment: any other name is null.

  environment: test
  environments:
    test:
      FIN_DATA_URL: "https://fin-test.example"
      FIN_API_KEY: "${FIN_API_KEY}"                       # from the process environment; unset: null
      FIN_REGION: "${FIN_REGION:-eu}"                     # "eu" when unset or empty
    production: {FIN_DATA_URL: "https://fin.example", FIN_API_KEY: "${PROD_FIN_API_KEY}"}
  modules:                                                # settings of Kubus's modules, per environment
    test: {KUBUS_OCKTO_ENDPOINT: "http://127.0.0.1:8089", KUBUS_OCKTO_PASSWORD: "${OCKTO_PASSWORD}"}
  documents: {maxBytes: 10485760}                         # the cap of a file rule code saves (Documents, PDF)
  connections:                                            # outside services, per environment
    test: {allow: [127.0.0.1, 10.1.0.0/16], http: {timeout: 5s}}   # Http may reach these besides public addresses

A value written "${NAME}" (the whole value) takes NAME from the process environment, and is null
when NAME is unset; "${NAME:-default}" gives default when NAME is unset or empty. Any other value is
used as written (a "${" inside a longer value is an error: there is no interpolation). Names starting KUBUS_ are settings of Kubus and its modules (KUBUS_OCKTO_*): rule
code can never read them, so they go under modules:, never under environments: or in "${...}" there.
A module setting set in the process environment overrides the file's.`

// config is kubus.yaml: named environments of variables for rule code, and of module settings.
type config struct {
	Environment  string                        `yaml:"environment"`
	Environments map[string]map[string]string  `yaml:"environments"`
	Modules      map[string]map[string]string  `yaml:"modules"`
	Connections  map[string]connections.Config `yaml:"connections"`
	// Documents caps the files rule code saves (Documents.save, PDF.create): maxBytes.
	Documents struct {
		MaxBytes int64 `yaml:"maxBytes"`
	} `yaml:"documents"`
	path string
}

// connectionSet is the chosen environment's connectors (connectors.md): the default set when the
// file has none for it.
func (c *config) connectionSet(env string) (*connections.Set, error) {
	conn, ok := c.Connections[env]
	if !ok {
		return connections.Default(), nil
	}
	return connections.Open(conn, "connections."+env, nil)
}

// loadConfig reads the config file: the given path (which must exist), else $KUBUS_CONFIG, else
// ./kubus.yaml when it exists, else an empty config.
func loadConfig(path string) (*config, error) {
	explicit := path != ""
	if path == "" {
		path = os.Getenv("KUBUS_CONFIG")
		explicit = path != ""
	}
	if path == "" {
		path = "kubus.yaml"
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return &config{}, nil
	}
	if err != nil {
		return nil, err
	}
	c := config{path: path}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// check refuses, in every environment, what would let rule code read a module setting and a
// "${...}" that is not a whole value.
func (c *config) check() error {
	for _, env := range sortedKeys(c.Environments) {
		for _, k := range sortedKeys(c.Environments[env]) {
			field := "environments." + env + "." + k
			if rulesets.IsModuleSetting(k) {
				return fmt.Errorf("%s: names starting %s are settings of Kubus and its modules, which rule code cannot read; put it under modules.%s",
					field, rulesets.ModuleSettingPrefix, env)
			}
			ref, _, err := parseRef(c.Environments[env][k])
			if err != nil {
				return fmt.Errorf("%s: %w", field, err)
			}
			if rulesets.IsModuleSetting(ref) {
				return fmt.Errorf("%s: ${%s} would hand rule code a setting of Kubus or a module (names starting %s), which it cannot read",
					field, ref, rulesets.ModuleSettingPrefix)
			}
		}
	}
	for _, env := range sortedKeys(c.Modules) {
		for _, k := range sortedKeys(c.Modules[env]) {
			field := "modules." + env + "." + k
			if !rulesets.IsModuleSetting(k) {
				return fmt.Errorf("%s: module settings start with %s (e.g. KUBUS_OCKTO_ENDPOINT); variables for rule code go under environments.%s",
					field, rulesets.ModuleSettingPrefix, env)
			}
			if _, _, err := parseRef(c.Modules[env][k]); err != nil {
				return fmt.Errorf("%s: %w", field, err)
			}
		}
	}
	return nil
}

// parseRef splits a "${NAME}" or "${NAME:-default}" value ("" for a value used as written).
func parseRef(v string) (name string, def *string, err error) { return connections.Ref(v) }

// resolve gives a declared value: as written, or from the process environment for a "${...}"
// (unset without a default: not there at all).
func resolve(v string) (string, bool) {
	name, def, _ := parseRef(v) // check has refused malformed ones
	if name == "" {
		return v, true
	}
	got, ok := os.LookupEnv(name)
	if def != nil && got == "" {
		return *def, true
	}
	return got, ok
}

// environments are the chosen environment's variables for rule code and its host environment (the
// process environment first, then the file's module settings).
func (c *config) environments(name string) (vars map[string]string, host func(string) (string, bool), err error) {
	name = c.envName(name)
	_, inVars := c.Environments[name]
	_, inModules := c.Modules[name]
	_, inConns := c.Connections[name]
	if !inVars && !inModules && !inConns && len(c.Environments)+len(c.Modules)+len(c.Connections) > 0 {
		known := map[string]bool{}
		for k := range c.Environments {
			known[k] = true
		}
		for k := range c.Modules {
			known[k] = true
		}
		for k := range c.Connections {
			known[k] = true
		}
		return nil, nil, fmt.Errorf("environment %q is not in the config file (it has: %s)", name, strings.Join(sortedKeys(known), ", "))
	}
	vars = map[string]string{}
	for k, v := range c.Environments[name] {
		if v, ok := resolve(v); ok {
			vars[k] = v
		}
	}
	settings := map[string]string{}
	for k, v := range c.Modules[name] {
		if v, ok := resolve(v); ok {
			settings[k] = v
		}
	}
	return vars, func(k string) (string, bool) {
		if v, ok := os.LookupEnv(k); ok {
			return v, true
		}
		v, ok := settings[k]
		return v, ok
	}, nil
}

// envName is the chosen environment: the flag, else $KUBUS_ENVIRONMENT, else the file's, else test.
func (c *config) envName(name string) string {
	if name == "" {
		name = os.Getenv("KUBUS_ENVIRONMENT")
	}
	if name == "" {
		name = c.Environment
	}
	if name == "" {
		name = "test"
	}
	return name
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// envFlags are --config and --environment, shared by the commands that execute rulesets.
type envFlags struct {
	config, environment string
	set                 *connections.Set // the connectors engine made, for closeConnections
}

func (f *envFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.config, "config", "", "config file with named environments (default $KUBUS_CONFIG, else ./kubus.yaml)")
	cmd.Flags().StringVar(&f.environment, "environment", "", "environment whose variables System.env sees (default $KUBUS_ENVIRONMENT, else the config's, else test)")
}

// engine makes an engine whose environment variables come from the chosen environment.
func (f *envFlags) engine() (*engine.Engine, error) {
	c, err := loadConfig(f.config)
	if err != nil {
		return nil, err
	}
	vars, host, err := c.environments(f.environment)
	if err != nil {
		return nil, err
	}
	set, err := c.connectionSet(c.envName(f.environment))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.path, err)
	}
	f.set = set
	configured := set.Modules()
	if n := c.Documents.MaxBytes; n != 0 {
		if n < 0 {
			return nil, fmt.Errorf("%s: documents.maxBytes: %d is not a size in bytes", c.path, n)
		}
		configured = append(configured, documents.Module{MaxBytes: n}, pdf.Module{Limits: pdf.Limits{MaxBytes: n}})
	}
	return engine.New(engine.WithRuleEnv(vars), engine.WithEnv(host), engine.WithModules(std.WithConnections(configured...)...)), nil
}

// closeConnections closes the pools of the connectors engine made and waits for the mail
// deliveries under way (a message queued by a committed execution is sent before the command
// exits; one that fails stays queued in the outbox for kubus serve or kubus mail deliver).
func (f *envFlags) closeConnections() {
	_ = f.set.Close()
}

// mailModule is the Mail module of the chosen environment.
func (f *envFlags) mailModule() *mail.Module {
	if f.set == nil {
		return mail.Default()
	}
	return f.set.Mail
}
