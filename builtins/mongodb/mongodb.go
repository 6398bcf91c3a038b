// Package mongodb is the MongoDB module of rule code (connectors.md): synchronous calls with the
// shapes of the MongoDB Node driver, on the official Go driver (go.mongodb.org/mongo-driver/v2).
// Rule code names a connection of the configuration, never a server; every call honours the
// execution's deadline and context, reads at most MaxDocs documents and MaxResultBytes bytes
// (more is an error, not a silent cut), counts against MaxCalls per execution, and dials through
// the outbound address check (package netguard). Server-side JavaScript ($where, $function,
// $accumulator) is refused, and so are $out and $merge: aggregate only reads. A failure throws an
// Error "MongoDB.find: docs.applications: …" with details {kind, connection, code}; a URI's
// credentials never reach rule code, an error, a call record or a log line.
//
// Values: see convert.go (JS → BSON and BSON → JS).
package mongodb

import (
	"context"
	"errors"
	"fmt"
	"net"
	nethttp "net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/netguard"
)

// Connection is one configured MongoDB connection (kubus.yaml's connections: mongodb:).
type Connection struct {
	// URI is a mongodb:// URI; it may hold credentials, so it is never printed.
	URI string
	// Database is the database the connection's calls use (empty: the URI's path).
	Database string
	// ReadOnly refuses every write call before it reaches the server.
	ReadOnly bool
	// MaxDocs bounds the documents of one call (0: Config.MaxDocs).
	MaxDocs int
	// Timeout bounds one call (0: Config.Timeout).
	Timeout time.Duration
}

// Config is the module's configuration.
type Config struct {
	// Connections by the name rule code uses.
	Connections map[string]Connection
	// Allow lists the non-public addresses and prefixes connections may reach (netguard.New).
	Allow []string
	// Timeout bounds a call (default 10 s); the execution's own deadline bounds it too.
	Timeout time.Duration
	// MaxDocs bounds the documents a call reads or writes (default 10,000).
	MaxDocs int
	// MaxCalls bounds the calls of one execution (default 100).
	MaxCalls int
	// MaxResultBytes bounds the BSON a call reads (default 10 MiB).
	MaxResultBytes int64
	// Resolver resolves host names (nil: the system's).
	Resolver *net.Resolver
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxDocs <= 0 {
		c.MaxDocs = 10_000
	}
	if c.MaxCalls <= 0 {
		c.MaxCalls = 100
	}
	if c.MaxResultBytes <= 0 {
		c.MaxResultBytes = 10 << 20
	}
	return c
}

// Module is the MongoDB module. One Module (and one driver client per connection, made on the
// connection's first call) serves every runtime of an engine; Close disconnects them.
type Module struct {
	cfg    Config
	policy *netguard.Policy
	conns  map[string]*connection

	mu       sync.Mutex
	closed   bool
	fixtures map[string]*client // by URI: testcases of the same fixture server share one
	order    []string           // fixture URIs, oldest first
	evicted  sync.WaitGroup
}

var _ builtins.Described = (*Module)(nil)

// connection is a validated Connection and its client, once made.
type connection struct {
	Connection
	name    string
	db      string
	secrets []string
	client  *client // guarded by Module.mu
}

// maxFixtureClients bounds the fixture servers a module keeps clients for.
const maxFixtureClients = 16

// testMonitor, set by the package's tests, watches every client's commands.
var testMonitor *event.CommandMonitor

// New validates the configuration; no connection is made until a call needs it. An error never
// quotes a URI (it may hold a password).
func New(cfg Config) (*Module, error) {
	cfg = cfg.withDefaults()
	policy, err := netguard.New(cfg.Allow)
	if err != nil {
		return nil, err
	}
	m := &Module{cfg: cfg, policy: policy, conns: map[string]*connection{}, fixtures: map[string]*client{}}
	for name, c := range cfg.Connections {
		if name == "" {
			return nil, errors.New("mongodb: a connection has an empty name")
		}
		if c.MaxDocs < 0 || c.Timeout < 0 {
			return nil, fmt.Errorf("mongodb: connection %q: maxDocs and timeout must not be negative", name)
		}
		db, secrets, err := parseURI(c.URI)
		if err != nil {
			return nil, fmt.Errorf("mongodb: connection %q: %w", name, err)
		}
		if c.Database != "" {
			db = c.Database
		}
		if err := validDatabase(db); err != nil {
			return nil, fmt.Errorf("mongodb: connection %q: %w", name, err)
		}
		m.conns[name] = &connection{Connection: c, name: name, db: db, secrets: secrets}
	}
	return m, nil
}

// Default is the module without connections: every call throws notConfigured (except in a
// testcase, whose fixtures answer).
var Default = sync.OnceValue(func() *Module {
	m, _ := New(Config{}) // the zero configuration is valid
	return m
})

// Close disconnects every client; calls after it throw.
func (m *Module) Close() error {
	m.mu.Lock()
	m.closed = true
	var clients []*client
	for _, c := range m.conns {
		if c.client != nil {
			clients = append(clients, c.client)
			c.client = nil
		}
	}
	for _, c := range m.fixtures {
		clients = append(clients, c)
	}
	m.fixtures, m.order = map[string]*client{}, nil
	m.mu.Unlock()
	m.evicted.Wait()
	var errs []error
	for _, c := range clients {
		errs = append(errs, c.disconnect())
	}
	return errors.Join(errs...)
}

// parseURI checks a mongodb:// URI without any network (mongodb+srv:// would resolve DNS here and
// hide the hosts from the address check, so it is refused), and returns its database and the
// pieces of it that must never be printed. Its errors quote nothing of the URI.
func parseURI(uri string) (db string, secrets []string, err error) {
	secrets = secretsOf(uri)
	if !strings.HasPrefix(uri, "mongodb://") {
		if strings.HasPrefix(uri, "mongodb+srv://") {
			return "", nil, errors.New("uri: mongodb+srv:// is not supported: list the hosts in a mongodb:// URI")
		}
		return "", nil, errors.New("uri must start with mongodb://")
	}
	cs, err := connstring.ParseAndValidate(uri)
	if err != nil {
		// connstring quotes the values it finds wrong: pieces of a secret, maybe.
		return "", nil, fmt.Errorf("uri does not parse: %s", quoted.ReplaceAllString(redact(err.Error(), secrets), `"…"`))
	}
	return cs.Database, secrets, nil
}

// quoted are the values connstring's errors quote: dropped, as they may be pieces of a secret.
var quoted = regexp.MustCompile(`"[^"]*"|'[^']*'`)

// secretsOf are the parts of a URI that must never be printed, longest first: the URI itself,
// its password and user information (raw and decoded), and the values of options that carry
// secrets (passwords, tokens, mechanism properties).
func secretsOf(uri string) []string {
	out := []string{uri}
	rest := uri
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	authority, query, _ := strings.Cut(rest, "?")
	if i := strings.IndexByte(authority, '/'); i >= 0 {
		authority = authority[:i]
	}
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		info := authority[:i]
		_, pass, _ := strings.Cut(info, ":")
		out = append(out, info, pass)
		for _, s := range []string{info, pass} {
			if d, err := url.PathUnescape(s); err == nil {
				out = append(out, d)
			}
		}
	}
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k = strings.ToLower(k); strings.Contains(k, "password") || strings.Contains(k, "token") ||
			strings.Contains(k, "secret") || strings.Contains(k, "properties") {
			out = append(out, v)
			if d, err := url.QueryUnescape(v); err == nil {
				out = append(out, d)
			}
		}
	}
	kept := out[:0]
	for _, s := range out {
		if s != "" {
			kept = append(kept, s)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return len(kept[i]) > len(kept[j]) })
	return kept
}

// redact removes every secret from a message.
func redact(msg string, secrets []string) string {
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "***")
	}
	return msg
}

func validDatabase(db string) error {
	switch {
	case db == "":
		return errors.New("no database: set database, or name one in the uri's path")
	case len(db) > 63 || strings.ContainsAny(db, "/\\. \"$\x00"):
		return errors.New("the database name is not valid (at most 63 characters, none of /\\. \"$)")
	}
	return nil
}

// client is one driver client and what the module tracks of it.
type client struct {
	c       *mongo.Client
	secrets []string

	mu       sync.Mutex
	refused  error // the last dial the address check refused (nil after a dial that passed)
	inflight map[*callToken]context.CancelCauseFunc
}

type callToken struct{}

// clientOptions are the driver's options for every client of the module.
func (m *Module) clientOptions(uri string, d options.ContextDialer, timeout time.Duration) *options.ClientOptions {
	o := options.Client().ApplyURI(uri).
		SetDialer(d).
		SetAppName("kubus").
		SetConnectTimeout(min(timeout, 10*time.Second)).
		SetMaxPoolSize(32).
		// AWS and OIDC authentication fetch credentials over HTTP: through the address check too.
		SetHTTPClient(&nethttp.Client{Transport: m.policy.Transport(m.cfg.Resolver), Timeout: 10 * time.Second})
	if testMonitor != nil {
		o.SetMonitor(testMonitor)
	}
	return o
}

// guardedDialer dials through the address check and tells the client when it refuses, so calls
// waiting for a server end at once as refused instead of as a timeout.
type guardedDialer struct {
	d *net.Dialer
	c *client
}

func (g guardedDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := g.d.DialContext(ctx, network, addr)
	var re *netguard.RefusedError
	switch {
	case errors.As(err, &re):
		g.c.refuse(re)
	case err == nil:
		g.c.mu.Lock()
		g.c.refused = nil
		g.c.mu.Unlock()
	}
	return conn, err
}

func (c *client) refuse(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refused = err
	for _, cancel := range c.inflight {
		cancel(err)
	}
}

// begin registers a call: it ends with the refusal if the address check refuses a dial meanwhile.
func (c *client) begin(ctx context.Context) (context.Context, func(), error) {
	ctx, cancel := context.WithCancelCause(ctx)
	tok := &callToken{}
	c.mu.Lock()
	if c.refused != nil {
		err := c.refused
		c.mu.Unlock()
		cancel(nil)
		return nil, nil, err
	}
	c.inflight[tok] = cancel
	c.mu.Unlock()
	return ctx, func() {
		c.mu.Lock()
		delete(c.inflight, tok)
		c.mu.Unlock()
		cancel(nil)
	}, nil
}

func (c *client) disconnect() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.c.Disconnect(ctx)
}

var errClosed = errors.New("the MongoDB module is closed")

// clientFor is the connection's client, made on first use.
func (m *Module) clientFor(c *connection, timeout time.Duration) (*client, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errClosed
	}
	if c.client != nil {
		return c.client, nil
	}
	cl := &client{secrets: c.secrets, inflight: map[*callToken]context.CancelCauseFunc{}}
	d := guardedDialer{d: m.policy.Dialer(10*time.Second, m.cfg.Resolver), c: cl}
	mc, err := mongo.Connect(m.clientOptions(c.URI, d, timeout))
	if err != nil {
		return nil, errors.New(redact(err.Error(), c.secrets))
	}
	cl.c = mc
	c.client = cl
	return cl, nil
}

// fixtureClient is the client of a testcase's fixture server: no address check (the runner
// started it on loopback), kept per URI so the testcases of one server share it.
func (m *Module) fixtureClient(uri string, timeout time.Duration) (*client, string, error) {
	db, secrets, err := parseURI(uri)
	if err == nil {
		err = validDatabase(db)
	}
	if err != nil {
		return nil, "", fmt.Errorf("the fixture's %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, "", errClosed
	}
	if cl := m.fixtures[uri]; cl != nil {
		return cl, db, nil
	}
	if len(m.order) >= maxFixtureClients {
		old := m.fixtures[m.order[0]]
		delete(m.fixtures, m.order[0])
		m.order = m.order[1:]
		m.evicted.Add(1)
		go func() { defer m.evicted.Done(); _ = old.disconnect() }()
	}
	cl := &client{secrets: secrets, inflight: map[*callToken]context.CancelCauseFunc{}}
	mc, err := mongo.Connect(m.clientOptions(uri, &net.Dialer{Timeout: 10 * time.Second}, timeout))
	if err != nil {
		return nil, "", errors.New(redact(err.Error(), secrets))
	}
	cl.c = mc
	m.fixtures[uri] = cl
	m.order = append(m.order, uri)
	return cl, db, nil
}

// Name is "MongoDB".
func (*Module) Name() string { return "MongoDB" }

// Install defines the MongoDB namespace.
func (m *Module) Install(h *builtins.Host) error {
	vm := h.VM
	st := &state{m: m, h: h, dateCtor: vm.Get("Date")}
	_, err := builtins.InstallNamespace(h, "MongoDB", m.fns(st), nil)
	return err
}

// state is one runtime's: the intrinsics captured at install (before a ruleset could shadow them)
// and the count of this execution's calls.
type state struct {
	m        *Module
	h        *builtins.Host
	dateCtor goja.Value
	calls    builtins.ExecMemo[*int]
}
