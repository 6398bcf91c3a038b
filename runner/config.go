package main

import (
	"errors"

	"fmt"
	"github.com/kubusdev/kubus/engine"
	"github.com/spf13/cobra"
	"io/fs"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// envHelp is the part of `kubus run --help` and `kubus test --help` that says where System.env and
// `env:` constants get their values.
const envHelp = `
Environment variables (System.env(NAME) and constants written {env: NAME}) come from the chosen
environment (--environment, else $KUBUS_ENVIRONMENT, else the config file's "environment", else
"test") in the config file (--config, else $KUBUS_CONFIG, else ./kubus.yaml when it exists):

  environment: test
  environments:
    test:        {FIN_DATA_URL: "https://fin-test.example"}
    acceptance:  {FIN_DATA_URL: "https://fin-acc.example"}
    production:  {FIN_DATA_URL: "https://fin.example"}

A variable set in the process environment overrides the file's value. An unset variable is null.`

// config is kubus.yaml: named environments of variables.
type config struct {
	Environment  string                       `yaml:"environment"`
	Environments map[string]map[string]string `yaml:"environments"`
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
	var c config
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// getenv resolves variables for the named environment (or the default one): the process
// environment first, then the file.
func (c *config) getenv(name string) (func(string) (string, bool), error) {
	if name == "" {
		name = os.Getenv("KUBUS_ENVIRONMENT")
	}
	if name == "" {
		name = c.Environment
	}
	if name == "" {
		name = "test"
	}
	vars, ok := c.Environments[name]
	if !ok && len(c.Environments) > 0 {
		known := make([]string, 0, len(c.Environments))
		for k := range c.Environments {
			known = append(known, k)
		}
		sort.Strings(known)
		return nil, fmt.Errorf("environment %q is not in the config file (it has: %s)", name, strings.Join(known, ", "))
	}
	return func(k string) (string, bool) {
		if v, ok := os.LookupEnv(k); ok {
			return v, true
		}
		v, ok := vars[k]
		return v, ok
	}, nil
}

// envFlags are --config and --environment, shared by the commands that execute rulesets.
type envFlags struct{ config, environment string }

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
	getenv, err := c.getenv(f.environment)
	if err != nil {
		return nil, err
	}
	return engine.New(engine.WithEnv(getenv)), nil
}
