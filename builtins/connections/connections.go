// Package connections turns an environment's `connections:` (connectors.md) into the configured
// Http, SQL, MongoDB and Mail modules. kubus run, test and serve read kubus.yaml into a Config; a Go host
// fills one itself. Either way Open checks it the same way and makes the modules, so a DSN or
// password is read from the process environment and handed to the modules only: never to rule code.
package connections

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kubusdev/kubus/builtins"
	kubushttp "github.com/kubusdev/kubus/builtins/http"
	"github.com/kubusdev/kubus/builtins/mail"
	"github.com/kubusdev/kubus/builtins/mongodb"
	kubussql "github.com/kubusdev/kubus/builtins/sql"
)

// Config is one environment's connections, as kubus.yaml writes them. A string value written
// "${NAME}" or "${NAME:-default}" (the whole value) is read from the process environment.
type Config struct {
	// Allow lists the non-public addresses and prefixes the connectors may reach.
	Allow   []string           `yaml:"allow" json:"allow,omitempty"`
	HTTP    HTTP               `yaml:"http" json:"http,omitempty"`
	SQL     map[string]SQL     `yaml:"sql" json:"sql,omitempty"`
	MongoDB map[string]MongoDB `yaml:"mongodb" json:"mongodb,omitempty"`
	Mail    map[string]Mail    `yaml:"mail" json:"mail,omitempty"`
}

// Mail is one named SMTP server: Mail.send('default', …) and Mail.queue name it.
type Mail struct {
	Host    string `yaml:"host" json:"host"`
	Port    int    `yaml:"port" json:"port,omitempty"`
	User    string `yaml:"user" json:"user,omitempty"`
	Pass    string `yaml:"pass" json:"pass,omitempty"`
	TLS     string `yaml:"tls" json:"tls,omitempty"` // none | starttls (default) | tls
	From    string `yaml:"from" json:"from,omitempty"`
	Timeout string `yaml:"timeout" json:"timeout,omitempty"`
}

// HTTP are the Http module's settings.
type HTTP struct {
	Timeout          string `yaml:"timeout" json:"timeout,omitempty"` // e.g. 5s
	MaxResponseBytes int64  `yaml:"maxResponseBytes" json:"maxResponseBytes,omitempty"`
	MaxCalls         int    `yaml:"maxCalls" json:"maxCalls,omitempty"`
}

// SQL is one named SQL connection.
type SQL struct {
	Driver   string `yaml:"driver" json:"driver"` // postgres or sqlite
	DSN      string `yaml:"dsn" json:"dsn"`
	ReadOnly bool   `yaml:"readOnly" json:"readOnly,omitempty"`
	MaxRows  int    `yaml:"maxRows" json:"maxRows,omitempty"`
	Timeout  string `yaml:"timeout" json:"timeout,omitempty"`
}

// MongoDB is one named MongoDB connection.
type MongoDB struct {
	URI      string `yaml:"uri" json:"uri"`
	Database string `yaml:"database" json:"database"`
	ReadOnly bool   `yaml:"readOnly" json:"readOnly,omitempty"`
	MaxDocs  int    `yaml:"maxDocs" json:"maxDocs,omitempty"`
	Timeout  string `yaml:"timeout" json:"timeout,omitempty"`
}

// Set is the modules of one environment's connections.
type Set struct {
	HTTP    *kubushttp.Module
	SQL     *kubussql.Module
	MongoDB *mongodb.Module
	Mail    *mail.Module
	shared  bool // the defaults, which every engine without connections shares: Close leaves them
}

// Default is the set without configuration: Http to public addresses only, no SQL or MongoDB
// connections.
func Default() *Set {
	return &Set{HTTP: kubushttp.Default(), SQL: kubussql.Default(), MongoDB: mongodb.Default(), Mail: mail.Default(), shared: true}
}

// Modules are the set's modules, to give std.WithConnections.
func (s *Set) Modules() []builtins.Module {
	return []builtins.Module{s.HTTP, s.SQL, s.MongoDB, s.Mail}
}

// Close closes the database pools, and waits for the mail deliveries under way.
func (s *Set) Close() error {
	if s == nil || s.shared {
		return nil
	}
	return errors.Join(s.Mail.Close(), s.SQL.Close(), s.MongoDB.Close())
}

// Open checks c and makes its modules. field names c in errors ("connections.test"); lookup reads
// "${NAME}" references (nil: the process environment). Every error names the field at fault and
// never quotes a DSN or URI, which may hold a password.
func Open(c Config, field string, lookup func(string) (string, bool)) (*Set, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	r := resolver{lookup: lookup}
	var allow []string
	for i, a := range c.Allow {
		if v := r.str(fmt.Sprintf("%s.allow[%d]", field, i), a); v != "" {
			allow = append(allow, v)
		}
	}
	hc := kubushttp.Config{Allow: allow, MaxResponseBytes: c.HTTP.MaxResponseBytes, MaxCalls: c.HTTP.MaxCalls,
		Timeout: r.duration(field+".http.timeout", c.HTTP.Timeout)}
	sc := kubussql.Config{Allow: allow, Connections: map[string]kubussql.Connection{}}
	for _, name := range slices.Sorted(maps.Keys(c.SQL)) {
		s, f := c.SQL[name], field+".sql."+name
		conn := kubussql.Connection{Driver: r.str(f+".driver", s.Driver), DSN: r.secret(f+".dsn", s.DSN), ReadOnly: s.ReadOnly,
			MaxRows: s.MaxRows, Timeout: r.duration(f+".timeout", s.Timeout)}
		if conn.Driver != "postgres" && conn.Driver != "sqlite" {
			r.fail(f+".driver", fmt.Errorf("write postgres or sqlite, got %q", conn.Driver))
		}
		if conn.DSN == "" {
			r.fail(f+".dsn", errors.New("a connection needs a dsn (write \"${NAME}\" to read it from the process environment)"))
		}
		sc.Connections[name] = conn
	}
	mc := mongodb.Config{Allow: allow, Connections: map[string]mongodb.Connection{}}
	for _, name := range slices.Sorted(maps.Keys(c.MongoDB)) {
		m, f := c.MongoDB[name], field+".mongodb."+name
		conn := mongodb.Connection{URI: r.secret(f+".uri", m.URI), Database: r.str(f+".database", m.Database), ReadOnly: m.ReadOnly,
			MaxDocs: m.MaxDocs, Timeout: r.duration(f+".timeout", m.Timeout)}
		if conn.URI == "" {
			r.fail(f+".uri", errors.New("a connection needs a uri such as mongodb://db.internal:27017 (or \"${NAME}\")"))
		}
		if conn.Database == "" {
			r.fail(f+".database", errors.New("a connection names its database"))
		}
		mc.Connections[name] = conn
	}
	ml := mail.Config{Allow: allow, Servers: map[string]mail.Server{}}
	for _, name := range slices.Sorted(maps.Keys(c.Mail)) {
		m, f := c.Mail[name], field+".mail."+name
		srv := mail.Server{Host: r.str(f+".host", m.Host), Port: m.Port, User: r.str(f+".user", m.User), Pass: r.secret(f+".pass", m.Pass),
			TLS: r.str(f+".tls", m.TLS), From: r.str(f+".from", m.From), Timeout: r.duration(f+".timeout", m.Timeout)}
		if srv.Host == "" {
			r.fail(f+".host", errors.New("a mail server needs a host"))
		}
		ml.Servers[name] = srv
	}
	if r.err != nil {
		return nil, r.err
	}
	set := &Set{}
	var err error
	if set.HTTP, err = kubushttp.New(hc); err != nil {
		return nil, fmt.Errorf("%s.allow: %w", field, err)
	}
	if set.SQL, err = kubussql.New(sc); err != nil {
		return nil, fmt.Errorf("%s.sql: %w", field, err)
	}
	if set.MongoDB, err = mongodb.New(mc); err != nil {
		_ = set.SQL.Close()
		return nil, fmt.Errorf("%s.mongodb: %w", field, err)
	}
	if set.Mail, err = mail.New(ml); err != nil {
		_ = set.SQL.Close()
		_ = set.MongoDB.Close()
		return nil, fmt.Errorf("%s.mail: %w", field, err)
	}
	return set, nil
}

// resolver reads the values of a Config, keeping the first error.
type resolver struct {
	lookup func(string) (string, bool)
	err    error
}

func (r *resolver) fail(field string, err error) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: %w", field, err)
	}
}

// str is v as written, or the environment's value of a "${NAME}" (unset: "").
func (r *resolver) str(field, v string) string {
	got, err := Resolve(v, r.lookup)
	if err != nil {
		r.fail(field, err)
	}
	return got
}

// secret is str for a value that may hold a password: an error about it never quotes it.
func (r *resolver) secret(field, v string) string {
	got, err := Resolve(v, r.lookup)
	if err != nil {
		r.fail(field, errors.New(`only a whole value can read the process environment, written "${NAME}" or "${NAME:-default}"`))
	}
	return got
}

func (r *resolver) duration(field, v string) time.Duration {
	s := r.str(field, v)
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		r.fail(field, fmt.Errorf("%q is not a duration such as 5s or 500ms", s))
	}
	return d
}

// refRE is a whole value that reads the process environment: ${NAME} or ${NAME:-default}.
var refRE = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)(:-(?s:(.*)))?\}$`)

// Ref splits a "${NAME}" or "${NAME:-default}" value (name "" for a value used as written). A "${"
// anywhere else is an error rather than a literal: it is almost always a hoped-for interpolation.
func Ref(v string) (name string, def *string, err error) {
	if !strings.Contains(v, "${") {
		return "", nil, nil
	}
	m := refRE.FindStringSubmatch(v)
	if m == nil {
		return "", nil, fmt.Errorf("%q: only a whole value can read the process environment, written ${NAME} or ${NAME:-default}", v)
	}
	if m[2] != "" {
		def = &m[3]
	}
	return m[1], def, nil
}

// Resolve is v as written, or lookup's value for a "${NAME}" ("" and ok false when unset without a
// default).
func Resolve(v string, lookup func(string) (string, bool)) (string, error) {
	name, def, err := Ref(v)
	if err != nil || name == "" {
		return v, err
	}
	got, _ := lookup(name)
	if def != nil && got == "" {
		return *def, nil
	}
	return got, nil
}
