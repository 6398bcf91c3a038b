package ockto

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Names of the configuration variables. They are read through builtins.Exec.Getenv, the host
// environment: the process environment, then the chosen environment's modules: in kubus.yaml. Rule
// code cannot read them (System.env never answers a KUBUS_ name).
const (
	EnvEndpoint     = "KUBUS_OCKTO_ENDPOINT"      // base URL, e.g. https://staging.ockto.example/api
	EnvUsername     = "KUBUS_OCKTO_USERNAME"      // credentials for the token request
	EnvPassword     = "KUBUS_OCKTO_PASSWORD"      // secret: never logged, never in an error
	EnvProviderCode = "KUBUS_OCKTO_PROVIDER_CODE" // the provider (partner) code Ockto issued
	EnvCert         = "KUBUS_OCKTO_CERT"          // client certificate file (PEM) for mutual TLS
	EnvKey          = "KUBUS_OCKTO_KEY"           // its private key file (PEM)
	EnvTimeout      = "KUBUS_OCKTO_TIMEOUT"       // per HTTP attempt: a Go duration ("10s") or seconds ("10")
	EnvRetries      = "KUBUS_OCKTO_RETRIES"       // retries of reads after the first attempt, 0..10
	EnvConsentCodes = "KUBUS_OCKTO_CONSENT_CODES" // JSON object name → code, e.g. {"Algemeen":"001"}
)

// Defaults of the optional settings.
const (
	DefaultTimeout = 10 * time.Second
	DefaultRetries = 2
	MaxRetries     = 10
)

// DefaultConsentCodes is Ockto.ConsentCodes when KUBUS_OCKTO_CONSENT_CODES is not set.
func DefaultConsentCodes() map[string]string { return map[string]string{"Algemeen": "001"} }

// ErrNotConfigured is returned (wrapped) when no endpoint is configured.
var ErrNotConfigured = errors.New("Ockto is not configured (set " + EnvEndpoint + ", " + EnvUsername + ", " +
	EnvPassword + " and " + EnvProviderCode + " under modules: in kubus.yaml or in the process environment)")

// Config is how to reach Ockto. Its String, GoString and LogValue never show the password.
type Config struct {
	Endpoint     string // base URL without a trailing slash; "" means not configured
	Username     string
	Password     string
	ProviderCode string
	CertFile     string // client certificate for mutual TLS ("" for none)
	KeyFile      string
	Timeout      time.Duration     // per HTTP attempt
	Retries      int               // retries of reads (never of startSession once it may have reached Ockto)
	ConsentCodes map[string]string // Ockto.ConsentCodes
}

// Configured reports whether an endpoint is set.
func (c Config) Configured() bool { return c.Endpoint != "" }

// LoadConfig reads the configuration through getenv (nil: nothing is set). Unset optional settings
// take their defaults. A malformed value is an error naming its variable; a missing endpoint is not
// an error (Configured reports it), so that Ockto.ConsentCodes works without Ockto configured.
func LoadConfig(getenv func(string) (string, bool)) (Config, error) {
	get := func(name string) string {
		if getenv == nil {
			return ""
		}
		v, _ := getenv(name)
		return strings.TrimSpace(v)
	}
	c := Config{
		Endpoint:     strings.TrimRight(get(EnvEndpoint), "/"),
		Username:     get(EnvUsername),
		ProviderCode: get(EnvProviderCode),
		CertFile:     get(EnvCert),
		KeyFile:      get(EnvKey),
		Timeout:      DefaultTimeout,
		Retries:      DefaultRetries,
		ConsentCodes: DefaultConsentCodes(),
	}
	if getenv != nil {
		c.Password, _ = getenv(EnvPassword) // a password may have meaningful spaces
	}
	if s := get(EnvTimeout); s != "" {
		d, err := parseTimeout(s)
		if err != nil {
			return c, fmt.Errorf("%s: %w", EnvTimeout, err)
		}
		c.Timeout = d
	}
	if s := get(EnvRetries); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > MaxRetries {
			return c, fmt.Errorf("%s must be a whole number from 0 to %d, got %q", EnvRetries, MaxRetries, s)
		}
		c.Retries = n
	}
	if s := get(EnvConsentCodes); s != "" {
		codes, err := parseConsentCodes(s)
		if err != nil {
			return c, fmt.Errorf("%s: %w", EnvConsentCodes, err)
		}
		c.ConsentCodes = codes
	}
	return c, c.check()
}

// check validates a configuration that names an endpoint.
func (c Config) check() error {
	if !c.Configured() {
		return nil
	}
	u, err := url.Parse(c.Endpoint)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("%s must be an http(s) URL such as https://ockto.example/api, got %q", EnvEndpoint, redactURL(c.Endpoint))
	case u.User != nil:
		return fmt.Errorf("%s must not contain credentials: set %s and %s instead", EnvEndpoint, EnvUsername, EnvPassword)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%s must not have a query or fragment, got %q", EnvEndpoint, redactURL(c.Endpoint))
	}
	var missing []string
	if c.Username == "" {
		missing = append(missing, EnvUsername)
	}
	if c.Password == "" {
		missing = append(missing, EnvPassword)
	}
	if c.ProviderCode == "" {
		missing = append(missing, EnvProviderCode)
	}
	if len(missing) > 0 {
		return fmt.Errorf("Ockto is not fully configured: %s is set but %s is not", EnvEndpoint, strings.Join(missing, ", "))
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return fmt.Errorf("mutual TLS needs both %s and %s", EnvCert, EnvKey)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("%s must be positive", EnvTimeout)
	}
	return nil
}

func parseTimeout(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return 0, fmt.Errorf(`must be a duration such as "10s" or "500ms", or a number of seconds, got %q`, s)
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d <= 0 || d > 10*time.Minute {
		return 0, fmt.Errorf("must be between 1ms and 10m, got %q", s)
	}
	return d, nil
}

func parseConsentCodes(s string) (map[string]string, error) {
	var codes map[string]string
	if err := json.Unmarshal([]byte(s), &codes); err != nil {
		return nil, fmt.Errorf(`must be a JSON object of names to codes such as {"Algemeen":"001"}: %v`, err)
	}
	if len(codes) == 0 {
		return nil, errors.New("must name at least one consent code")
	}
	for name, code := range codes {
		if strings.TrimSpace(name) == "" || strings.TrimSpace(code) == "" {
			return nil, fmt.Errorf("names and codes must be non-empty strings, got %q: %q", name, code)
		}
	}
	return codes, nil
}

// ConsentCodeNames are the names of the consent codes, sorted.
func (c Config) ConsentCodeNames() []string {
	names := make([]string, 0, len(c.ConsentCodes))
	for n := range c.ConsentCodes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// hash identifies the configuration (secrets included, but only as a digest) for the client cache.
func (c Config) hash() string {
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// String shows the configuration without its password.
func (c Config) String() string {
	pw := ""
	if c.Password != "" {
		pw = "[redacted]"
	}
	return fmt.Sprintf("ockto.Config{Endpoint: %q, Username: %q, Password: %q, ProviderCode: %q, CertFile: %q, KeyFile: %q, Timeout: %s, Retries: %d, ConsentCodes: %v}",
		redactURL(c.Endpoint), c.Username, pw, c.ProviderCode, c.CertFile, c.KeyFile, c.Timeout, c.Retries, c.ConsentCodes)
}

// GoString is String (so %#v does not print the password either).
func (c Config) GoString() string { return c.String() }

// LogValue keeps the password out of slog output.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// redactURL hides a password in a URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if err != nil && strings.Contains(s, "@") {
			return "[unparsable URL]"
		}
		return s
	}
	return u.Redacted()
}
