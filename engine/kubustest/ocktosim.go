package kubustest

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/kubusdev/kubus/builtins/ockto"
	"github.com/kubusdev/kubus/builtins/ockto/ocktosim"
	"github.com/kubusdev/kubus/rulesets"
)

// Credentials of the simulator a testcase talks to; it lives for one testcase on 127.0.0.1.
const (
	simUser     = "kubus-test"
	simPassword = "kubus-test-secret"
	simProvider = "KUBUS-TEST"
)

// ocktoSim is the Ockto simulator of one testcase.
type ocktoSim struct {
	srv *httptest.Server
	env map[string]string
}

func (s *ocktoSim) Close() { s.srv.Close() }

// getenv answers the Ockto settings (an empty value reads as unset), so a testcase never reaches a
// real Ockto configured in the developer's environment.
func (s *ocktoSim) getenv(name string) (string, bool) {
	if v, ok := s.env[name]; ok {
		return v, true
	}
	return "", false
}

// noOckto is the environment of a testcase without `ockto:`: Ockto is not configured, whatever the
// developer's environment says.
func noOckto(name string) (string, bool) {
	if name == ockto.EnvEndpoint {
		return "", true
	}
	return "", false
}

// serveOcktoSim serves the simulator for a testcase with `ockto: <scenario>`: sessions started
// without a testCaseId follow that scenario, the AIS consents are that scenario's, and its clock is
// the testcase's clock, so the simulated dates are the same on every run.
func serveOcktoSim(rs *rulesets.Ruleset, tc *rulesets.Testcase, now func() time.Time) (*ocktoSim, error) {
	var scenarios map[string]ocktosim.Scenario
	if rs.OcktoScenarios != nil {
		b, err := json.Marshal(rs.OcktoScenarios.Map())
		if err != nil {
			return nil, err
		}
		if scenarios, err = ocktosim.ParseScenarios(b, rulesets.ScenariosFile); err != nil {
			return nil, err
		}
	}
	sim, err := ocktosim.New(scenarios, ocktosim.Options{Username: simUser, Password: simPassword, ProviderCode: simProvider,
		Now: now, Scenario: tc.Ockto, SlowDelay: 3 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("%w (a testcase names a built-in scenario or one of %s in the ruleset folder)", err, rulesets.ScenariosFile)
	}
	srv := httptest.NewServer(sim)
	return &ocktoSim{srv: srv, env: map[string]string{
		ockto.EnvEndpoint: srv.URL, ockto.EnvUsername: simUser, ockto.EnvPassword: simPassword, ockto.EnvProviderCode: simProvider,
		ockto.EnvCert: "", ockto.EnvKey: "", ockto.EnvTimeout: "2s", ockto.EnvRetries: "2",
	}}, nil
}

// ScenariosFile is the file in a ruleset folder with the Ockto scenarios its testcases may name
// besides the built-in ones (happy, no-scan, refused, flaky, ...).
const ScenariosFile = rulesets.ScenariosFile
