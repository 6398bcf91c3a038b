// Package sql is the SQL module of rule code (connectors.md): synchronous queries against the
// PostgreSQL and SQLite connections the environment configures. Rule code names a connection,
// never a server or a credential; parameters are always bound; one statement per call. Every
// call honours the execution's deadline and context (the query is cancelled on the server),
// reads at most MaxRows rows and MaxResultBytes bytes, counts against MaxCalls per execution and
// returns its connection to the pool on every path. PostgreSQL is dialled through the outbound
// address check (package netguard).
//
// Placeholders are $1, $2, … on both drivers (modernc's SQLite binds $N to the N-th parameter
// too, and also takes ? and ?N), so a ruleset's SQL runs on PostgreSQL and on its SQLite fixtures
// alike.
//
// Column values become JS values by type:
//
//	integers, floats            numbers (an integer beyond ±2^53 as its decimal string)
//	numeric, decimal            a number when the float64 prints as the same decimal, else the
//	                            string (so also any text over 64 characters)
//	boolean                     booleans (SQLite: a BOOLEAN or BOOL column's 0 and 1)
//	date, timestamp(tz)         Date (SQLite: DATE, DATETIME, TIMESTAMP, TIMESTAMPTZ columns whose
//	                            text parses as a date; other text stays a string)
//	json, jsonb                 the parsed value (SQLite: a JSON or JSONB column's valid JSON text)
//	bytea, blob                 base64 strings (SQLite: a 16-byte blob in a UUID column as a UUID)
//	uuid, text, and the rest    strings (PostgreSQL's text form: arrays, intervals, times, …)
//	null                        null
//
// A readOnly connection refuses execute outright and runs query and queryOne in the database's
// own read-only mode: a PostgreSQL transaction begun READ ONLY and always rolled back, or on
// SQLite PRAGMA query_only with an authorizer that allows reading only. On SQLite rule code may
// never ATTACH, DETACH, VACUUM, begin or end a transaction, or run a PRAGMA other than the schema
// introspection ones (table_info, index_list, …): those reach files or outlive the call.
// PostgreSQL sessions are reset (DISCARD ALL) before a pooled connection serves another call.
//
// Writes are not rolled back with a failed execution: a statement run by execute is committed when
// the call returns.
package sql

import (
	"context"
	stdsql "database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/netguard"
)

// Connection is one configured database: kubus.yaml's `connections: <env>: sql: <name>:`.
type Connection struct {
	// Driver is "postgres" (pgx) or "sqlite" (modernc.org/sqlite).
	Driver string
	// DSN is the driver's connection string. It may hold credentials: it is never printed.
	DSN string
	// ReadOnly refuses writes before they reach the server.
	ReadOnly bool
	// MaxRows bounds the rows of one call (0: Config.MaxRows).
	MaxRows int
	// Timeout bounds one call (0: Config.Timeout).
	Timeout time.Duration
}

// Config is the module's configuration.
type Config struct {
	Connections map[string]Connection
	// Allow lists the non-public addresses database hosts may have (netguard.New).
	Allow []string
	// Timeout bounds a call (default 10 s); the execution's own deadline bounds it too.
	Timeout time.Duration
	// MaxRows bounds the rows of a call (default 10,000): more is an error, not a truncation.
	MaxRows int
	// MaxCalls bounds the calls of one execution (default 100).
	MaxCalls int
	// MaxResultBytes bounds the values a call reads (default 10 MiB), and its parameters.
	MaxResultBytes int64
	// Resolver resolves database host names (nil: the system's).
	Resolver *net.Resolver
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxRows <= 0 {
		c.MaxRows = 10_000
	}
	if c.MaxCalls <= 0 {
		c.MaxCalls = 100
	}
	if c.MaxResultBytes <= 0 {
		c.MaxResultBytes = 10 << 20
	}
	return c
}

const (
	// maxStatement bounds a statement's text.
	maxStatement = 100 << 10
	// maxParams bounds a call's parameters.
	maxParams = 1000
	// maxOpen bounds each pool's connections.
	maxOpen = 10
)

// Module is the SQL module. One Module (one pool per connection, opened on first use) serves every
// runtime of an engine; Close closes the pools.
type Module struct {
	cfg    Config
	policy *netguard.Policy
	conns  map[string]*conn

	mu     sync.Mutex
	closed bool
}

var _ builtins.Described = (*Module)(nil)

// conn is one configured connection and its pool.
type conn struct {
	name    string
	c       Connection
	pg      *pgx.ConnConfig // postgres: the parsed DSN, dialling through the policy
	secrets []string        // texts no message may show: the DSN, the password
	db      *stdsql.DB      // opened on first use, under Module.mu
}

var namePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,63}$`)

// New makes the module. Connection names, drivers, limits and DSNs are checked here (a DSN that
// does not parse is an error that does not quote it); no connection is opened yet.
func New(cfg Config) (*Module, error) {
	cfg = cfg.withDefaults()
	policy, err := netguard.New(cfg.Allow)
	if err != nil {
		return nil, err
	}
	m := &Module{cfg: cfg, policy: policy, conns: map[string]*conn{}}
	for name, c := range cfg.Connections {
		if !namePattern.MatchString(name) {
			return nil, fmt.Errorf("sql: connection %q: a name is a letter or _ followed by up to 63 letters, digits, _ or -", name)
		}
		if c.MaxRows < 0 || c.Timeout < 0 {
			return nil, fmt.Errorf("sql: connection %q: maxRows and timeout may not be negative", name)
		}
		if c.MaxRows == 0 {
			c.MaxRows = cfg.MaxRows
		}
		if c.Timeout == 0 {
			c.Timeout = cfg.Timeout
		}
		if strings.TrimSpace(c.DSN) == "" {
			return nil, fmt.Errorf("sql: connection %q has no dsn", name)
		}
		cn := &conn{name: name, c: c, secrets: []string{c.DSN}}
		switch c.Driver {
		case "postgres":
			pc, err := pgx.ParseConfig(c.DSN)
			if err != nil {
				// pgx's message quotes the DSN (its password redacted only as far as it can tell).
				return nil, fmt.Errorf("sql: connection %q: the dsn does not parse as a PostgreSQL connection string or URL (it is not shown: it may hold a password)", name)
			}
			cn.pg = m.pgConfig(pc, c.Timeout)
			if pc.Password != "" {
				cn.secrets = append(cn.secrets, pc.Password, url.QueryEscape(pc.Password), url.PathEscape(pc.Password))
			}
		case "sqlite":
			if _, err := sqlite.NewConnector(c.DSN); err != nil {
				return nil, fmt.Errorf("sql: connection %q: the dsn does not parse as a SQLite file name or URI (it is not shown)", name)
			}
		default:
			return nil, fmt.Errorf("sql: connection %q: driver %q: use postgres or sqlite", name, c.Driver)
		}
		m.conns[name] = cn
	}
	return m, nil
}

// pgConfig makes a parsed DSN dial through the policy and stay on the extended protocol.
func (m *Module) pgConfig(pc *pgx.ConnConfig, timeout time.Duration) *pgx.ConnConfig {
	pc.DialFunc = m.policy.Dialer(timeout, m.cfg.Resolver).DialContext
	if m.cfg.Resolver != nil {
		pc.LookupFunc = m.cfg.Resolver.LookupHost
	}
	// The simple protocol runs every statement of a string; the extended one refuses a second.
	// Describing without named prepared statements keeps DISCARD ALL (the session reset) safe.
	pc.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
	if pc.DescriptionCacheCapacity <= 0 {
		pc.DescriptionCacheCapacity = 512
	}
	// A cancelled call asks the server to stop the query (pgx's default only drops the
	// connection, and the server runs on); the connection is dropped if it does not answer soon.
	pc.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 500 * time.Millisecond}
	}
	if _, ok := pc.RuntimeParams["application_name"]; !ok {
		pc.RuntimeParams["application_name"] = "kubus"
	}
	return pc
}

// Default is the module without connections: every call throws, naming the connection as not
// configured (a testcase's fixtures still answer).
var Default = sync.OnceValue(func() *Module {
	m, _ := New(Config{}) // the zero configuration is valid
	return m
})

// Close closes the pools; calls after it fail.
func (m *Module) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	var errs []error
	for _, c := range m.conns {
		if c.db != nil {
			errs = append(errs, c.db.Close())
			c.db = nil
		}
	}
	return errors.Join(errs...)
}

// pool is the connection's pool, opened on first use.
func (m *Module) pool(c *conn) (*stdsql.DB, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errors.New("the SQL module is closed (the engine was closed)")
	}
	if c.db != nil {
		return c.db, nil
	}
	switch c.c.Driver {
	case "postgres":
		c.db = stdlib.OpenDB(*c.pg, stdlib.OptionResetSession(func(ctx context.Context, pc *pgx.Conn) error {
			// What a call set on its session (set_config, SET ROLE, LISTEN, advisory locks, temp
			// tables) must not reach the next one.
			if _, err := pc.PgConn().Exec(ctx, "DISCARD ALL").ReadAll(); err != nil {
				return driver.ErrBadConn
			}
			return nil
		}))
	default:
		db, err := openSQLite(c.c.DSN)
		if err != nil {
			return nil, errors.New("the dsn does not parse as a SQLite file name or URI")
		}
		c.db = db
	}
	c.db.SetMaxOpenConns(maxOpen)
	c.db.SetMaxIdleConns(2)
	c.db.SetConnMaxIdleTime(5 * time.Minute)
	return c.db, nil
}

func openSQLite(dsn string) (*stdsql.DB, error) {
	cn, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return stdsql.OpenDB(cn), nil
}

// Seed makes a throwaway SQLite database file at path (which must not exist yet) and runs the
// script in it (any number of statements): a testcase's `sql:` fixture. The caller closes it.
func Seed(path, script string) (*stdsql.DB, error) {
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("sql: seed %s: the file exists already (a fixture database is made afresh)", path)
	}
	if strings.HasPrefix(path, "file:") || strings.Contains(path, "?") {
		return nil, fmt.Errorf("sql: seed %s: give a plain file path", path)
	}
	db, err := openSQLite(path)
	if err != nil {
		return nil, fmt.Errorf("sql: seed %s: %w", path, err)
	}
	if _, err := db.Exec(script); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sql: seed %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxOpen)
	return db, nil
}

// Name is "SQL".
func (*Module) Name() string { return "SQL" }

// fns are the module's functions, bound to one runtime's state (nil for the typings and reference).
func (m *Module) fns(st *state) []builtins.Fn {
	return []builtins.Fn{
		{
			Name:      "query",
			Signature: "(connection: string, sql: string, params?: SQLParam[]): Record<string, any>[]",
			Doc:       "Runs one statement and returns its rows as objects (properties in column order); parameters bind to $1, $2, …; more rows than the connection's maxRows is an error.",
			Example:   `SQL.query("crm", "select id, name from customers where region = $1 order by id", ["north"]) // [{"id":1,"name":"Ann"},{"id":3,"name":"Cas"}]`,
			Impl:      st.impl("query"),
		},
		{
			Name:      "queryOne",
			Signature: "(connection: string, sql: string, params?: SQLParam[]): Record<string, any> | null",
			Doc:       "Runs one statement and returns its first row, or null when there is none.",
			Example:   `SQL.queryOne("crm", "select name, born from customers where id = $1", [1]) // {"name":"Ann","born":"1980-05-17T00:00:00.000Z"}`,
			Impl:      st.impl("queryOne"),
		},
		{
			Name:      "execute",
			Signature: "(connection: string, sql: string, params?: SQLParam[]): SQLExecResult",
			Doc:       "Runs one writing statement (insert, update, delete, DDL) and returns the rows it changed; refused on a readOnly connection; not rolled back if the execution fails.",
			Example:   `SQL.execute("crm", "update customers set name = $1 where id = $2", ["Ann", 1]) // {"rowsAffected":1}`,
			Impl:      st.impl("execute"),
		},
	}
}

const typingsPreamble = `/** A value bound to a placeholder ($1, $2, …). */
type SQLParam = number | string | boolean | null | Date | bigint;
/** What SQL.execute answers. */
interface SQLExecResult {
  rowsAffected: number;
  /** SQLite, after an insert: the new row's rowid. */
  lastInsertId?: number;
}
`

// Typings declares the SQL namespace.
func (m *Module) Typings() string {
	return typingsPreamble + builtins.NamespaceTypings("SQL",
		"Queries against the databases the environment configures (connections: sql:), by connection name; one statement per call, parameters bound, within the execution's deadline.", m.fns(nil), nil)
}

// Reference lists SQL's functions.
func (m *Module) Reference() []builtins.Entry { return builtins.ReferenceOf("SQL", m.fns(nil), nil) }

// Install defines the SQL namespace.
func (m *Module) Install(h *builtins.Host) error {
	vm := h.VM
	parse, _ := goja.AssertFunction(vm.Get("JSON").ToObject(vm).Get("parse"))
	st := &state{m: m, h: h, parse: parse}
	_, err := builtins.InstallNamespace(h, "SQL", m.fns(st), nil)
	return err
}

// state is one runtime's: the intrinsics captured at install and this execution's call count.
type state struct {
	m     *Module
	h     *builtins.Host
	parse goja.Callable
	calls builtins.ExecMemo[*int]
}

func (st *state) impl(method string) func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	fn := "SQL." + method
	return func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			name := h.String(call, 0, fn, "connection")
			sqlText := h.String(call, 1, fn, "sql")
			if len(sqlText) > maxStatement {
				h.RangeError(fn, "sql is longer than %d bytes", maxStatement)
			}
			args := st.params(fn, call.Argument(2))
			e := h.MustExec(fn)
			calls := st.calls.Get(e, func() *int { return new(int) })
			if *calls++; *calls > st.m.cfg.MaxCalls {
				h.RangeError(fn, "more than %d SQL calls in one execution (the sql maxCalls setting)", st.m.cfg.MaxCalls)
			}
			return st.do(fn, method, e, name, sqlText, args)
		}
	}
}

// params reads the parameter array; anything but the types a driver binds is a TypeError.
func (st *state) params(fn string, v goja.Value) []any {
	h := st.h
	if builtins.IsMissing(v) {
		return nil
	}
	o, ok := v.(*goja.Object)
	if !ok || o.ClassName() != "Array" {
		h.TypeError(fn, "params must be an array, got %s", builtins.Describe(v))
	}
	n := o.Get("length").ToInteger()
	if n > maxParams {
		h.RangeError(fn, "params has %d values, more than %d", n, maxParams)
	}
	out := make([]any, n)
	var size int64
	for i := range out {
		p := o.Get(strconv.Itoa(i))
		switch {
		case p == nil || goja.IsUndefined(p):
			h.TypeError(fn, "params[%d] is undefined (bind null for SQL NULL)", i)
		case goja.IsNull(p):
			out[i] = nil
		default:
			if f, ok := builtins.NumberOf(p); ok {
				if f == float64(int64(f)) && f >= -builtins.MaxSafeInteger && f <= builtins.MaxSafeInteger {
					out[i] = int64(f)
				} else {
					out[i] = f
				}
				continue
			}
			if s, ok := builtins.StringOf(p); ok {
				if size += int64(len(s)); size > st.m.cfg.MaxResultBytes {
					h.RangeError(fn, "params are larger than %d bytes (the sql maxResultBytes setting)", st.m.cfg.MaxResultBytes)
				}
				out[i] = s
				continue
			}
			if b, ok := builtins.BoolOf(p); ok {
				out[i] = b
				continue
			}
			if t, isDate, valid := builtins.DateOf(p); isDate {
				if !valid {
					h.RangeError(fn, "params[%d] is an invalid Date", i)
				}
				out[i] = t
				continue
			}
			if _, isObj := p.(*goja.Object); !isObj {
				if b, ok := p.Export().(*big.Int); ok {
					if !b.IsInt64() {
						h.RangeError(fn, "params[%d] is a bigint beyond 64 bits", i)
					}
					out[i] = b.Int64()
					continue
				}
			}
			h.TypeError(fn, "params[%d] must be a number, string, boolean, null, Date or bigint, got %s", i, builtins.Describe(p))
		}
	}
	return out
}

// target is what a call runs against: a configured connection's pool or a testcase's fixture.
type target struct {
	db       *stdsql.DB
	postgres bool
	readOnly bool
	maxRows  int
	timeout  time.Duration
	secrets  []string
}

// callError is a failed call as rule code sees it.
type callError struct {
	kind, msg, code string
}

func (e *callError) Error() string { return e.msg }

// resolve finds the call's target. Under a testcase (Exec.Fixtures set) only a fixture answers.
func (st *state) resolve(e *builtins.Exec, name string) (*target, *callError) {
	m := st.m
	c := m.conns[name]
	t := &target{maxRows: m.cfg.MaxRows, timeout: m.cfg.Timeout}
	if c != nil {
		t.readOnly, t.maxRows, t.timeout, t.secrets = c.c.ReadOnly, c.c.MaxRows, c.c.Timeout, c.secrets
	}
	if e.Fixtures != nil {
		dbs, _ := e.Fixtures["SQL"].(map[string]*stdsql.DB)
		if t.db = dbs[name]; t.db == nil {
			if e.Unanswered != nil {
				e.Unanswered(fmt.Sprintf("SQL connection %s (add it under sql:)", builtins.Truncate(name, 100)))
			}
			return nil, &callError{kind: "noFixture", msg: fmt.Sprintf("no fixture of the testcase answers SQL connection '%s' (add one under sql:)", name)}
		}
		return t, nil
	}
	if c == nil {
		return nil, &callError{kind: "notConfigured", msg: fmt.Sprintf("no SQL connection '%s' is configured (add it under connections: sql: in kubus.yaml)", name)}
	}
	db, err := m.pool(c)
	if err != nil {
		return nil, &callError{kind: "notConfigured", msg: err.Error()}
	}
	t.db, t.postgres = db, c.c.Driver == "postgres"
	return t, nil
}

// result is what a call read: its columns and rows, or what execute changed.
type result struct {
	cols         []column
	rows         [][]any
	rowsAffected int64
	lastInsertID *int64
}

type column struct {
	name, typ string // typ: the database's type name in upper case, without (…)
}

// do runs the call and builds its value.
func (st *state) do(fn, method string, e *builtins.Exec, name, sqlText string, args []any) goja.Value {
	start := time.Now()
	call := builtins.Call{Module: "SQL", Target: name, Method: method, What: summary(sqlText)}
	fail := func(ce *callError, secrets []string) {
		call.Error = ce.kind
		call.Ms = float64(time.Since(start).Microseconds()) / 1000
		e.RecordCall(call)
		ce.msg = scrub(ce.msg, secrets)
		st.fail(fn, name, ce)
	}
	t, ce := st.resolve(e, name)
	if ce != nil {
		fail(ce, nil)
	}
	stmt := scan(sqlText, t.postgres)
	switch {
	case stmt.empty:
		st.h.TypeError(fn, "sql holds no statement")
	case stmt.more:
		st.h.TypeError(fn, "sql holds more than one statement: one statement per call (a ';' may end it, nothing may follow)")
	}
	if method == "execute" && t.readOnly {
		fail(&callError{kind: "readOnly", msg: "the connection is readOnly: execute is refused (use query to read)"}, nil)
	}
	for i, a := range args {
		switch a := a.(type) {
		case time.Time:
			if !t.postgres {
				args[i] = a.UTC().Format("2006-01-02T15:04:05.000Z") // as JS's toISOString
			}
		case float64:
			// pgx truncates a float bound to an integer parameter (2.5 would find id 2): as its
			// text, the server parses it for the parameter's type, and refuses 2.5 for an integer.
			if t.postgres {
				args[i] = floatText(a)
			}
		}
	}

	parent := e.Context
	if parent == nil {
		parent = context.Background()
	}
	deadline := time.Now().Add(t.timeout)
	byExec := !e.Deadline.IsZero() && e.Deadline.Before(deadline)
	if byExec {
		deadline = e.Deadline
	}
	ctx, cancel := context.WithDeadline(parent, deadline)
	defer cancel()

	var res *result
	var err error
	if t.postgres {
		res, err = st.runPostgres(ctx, cancel, t, method, sqlText, args)
	} else {
		res, err = st.runSQLite(ctx, cancel, t, method, stmt.keyword, sqlText, args)
	}
	if err != nil {
		fail(classify(ctx, parent, err, t, byExec), t.secrets)
	}
	n := len(res.rows)
	if method == "execute" {
		n = int(res.rowsAffected)
	}
	call.Rows = &n
	call.Ms = float64(time.Since(start).Microseconds()) / 1000
	e.RecordCall(call)
	return st.value(method, res)
}

// floatText is a number as PostgreSQL reads it.
func floatText(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'g', -1, 64) // NaN as NaN
}

// limits are a call's bounds on what it reads.
type limits struct {
	rows  int
	bytes int64
}

func (st *state) limits(t *target) limits {
	return limits{rows: t.maxRows, bytes: st.m.cfg.MaxResultBytes}
}

// runPostgres runs the call on PostgreSQL: a read-only connection's query in a READ ONLY
// transaction that is always rolled back; execute through pgx itself (database/sql's Exec would
// take the simple protocol when there are no parameters).
func (st *state) runPostgres(ctx context.Context, cancel context.CancelFunc, t *target, method, sqlText string, args []any) (*result, error) {
	lim := st.limits(t)
	if method == "execute" {
		c, err := t.db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		res := &result{}
		err = c.Raw(func(dc any) error {
			pc, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("unexpected driver connection %T", dc)
			}
			rows, err := pc.Conn().Query(ctx, sqlText, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			// Rows a statement returns (RETURNING) are not read, but are bounded like a query's.
			for n := 0; rows.Next(); n++ {
				if n >= lim.rows {
					cancel()
					return tooManyRows(lim.rows)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			res.rowsAffected = rows.CommandTag().RowsAffected()
			return nil
		})
		return res, err
	}
	if !t.readOnly {
		rows, err := t.db.QueryContext(ctx, sqlText, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		return read(rows, cancel, lim, method == "queryOne")
	}
	// The transaction is begun and ended on the call's own connection rather than with BeginTx,
	// whose rollback after a cancellation runs in the background: the connection is back in the
	// pool when the call returns.
	c, err := t.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "begin transaction read only"); err != nil {
		return nil, err
	}
	defer func() {
		rctx, rcancel := context.WithTimeout(context.Background(), time.Second)
		defer rcancel()
		_, _ = c.ExecContext(rctx, "rollback") // if it fails, the pool drops the connection (a transaction is open)
	}()
	rows, err := c.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return read(rows, cancel, lim, method == "queryOne")
}

// runSQLite runs the call on SQLite, on one connection set up for it: query_only as the
// connection's readOnly says, no attached databases, and an authorizer for the call's policy
// (removed again before the connection goes back to the pool).
func (st *state) runSQLite(ctx context.Context, cancel context.CancelFunc, t *target, method, keyword, sqlText string, args []any) (*result, error) {
	c, err := t.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	setAuth := func(fn sqlite.AuthorizerFn) error {
		return c.Raw(func(dc any) error {
			ar, ok := dc.(sqlite.AuthorizerRegisterer)
			if !ok {
				return fmt.Errorf("unexpected driver connection %T", dc)
			}
			return ar.RegisterAuthorizer(fn)
		})
	}
	if err := setAuth(nil); err != nil {
		return nil, err
	}
	queryOnly := 0
	if t.readOnly {
		queryOnly = 1
	}
	if _, err := c.ExecContext(ctx, fmt.Sprintf("PRAGMA query_only = %d; PRAGMA busy_timeout = 5000", queryOnly)); err != nil {
		return nil, err
	}
	// ATTACH (and VACUUM INTO, which attaches) would reach any file; the authorizer refuses it
	// too, this holds even if it were lifted.
	if _, err := sqlite.Limit(c, sqliteLimitAttached, 0); err != nil {
		return nil, err
	}
	pol := &policy{readOnly: t.readOnly}
	if err := setAuth(pol.authorize); err != nil {
		return nil, err
	}
	defer func() {
		_ = setAuth(nil)
		if t.readOnly {
			_, _ = c.ExecContext(context.Background(), "PRAGMA query_only = 0")
		}
	}()

	res, err := func() (*result, error) {
		if method == "execute" {
			r, err := c.ExecContext(ctx, sqlText, args...)
			if err != nil {
				return nil, err
			}
			res := &result{}
			// sqlite3_changes and last_insert_rowid keep the last write's values: they belong to
			// this statement only when it writes.
			switch keyword {
			case "insert", "replace", "update", "delete", "with":
				res.rowsAffected, _ = r.RowsAffected()
			}
			if (keyword == "insert" || keyword == "replace") && res.rowsAffected > 0 {
				if id, err := r.LastInsertId(); err == nil {
					res.lastInsertID = &id
				}
			}
			return res, nil
		}
		rows, err := c.QueryContext(ctx, sqlText, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		return read(rows, cancel, st.limits(t), method == "queryOne")
	}()
	if err != nil && pol.denied != "" {
		kind := "refused"
		if pol.deniedWrite {
			kind = "readOnly"
		}
		return nil, &callError{kind: kind, msg: pol.denied}
	}
	return res, err
}

const sqliteLimitAttached = 7 // SQLITE_LIMIT_ATTACHED

// policy is a SQLite call's authorizer: what rule code may never do, and on a readOnly connection
// anything but reading. denied keeps the first refusal for the error message.
type policy struct {
	readOnly    bool
	denied      string
	deniedWrite bool
}

// introspection are the PRAGMAs that only describe the schema (also as pragma_… functions).
var introspection = map[string]bool{
	"table_info": true, "table_xinfo": true, "table_list": true, "index_list": true, "index_info": true,
	"index_xinfo": true, "foreign_key_list": true, "collation_list": true, "function_list": true,
	"pragma_list": true, "module_list": true, "database_list": true,
}

func (p *policy) authorize(action sqlite.AuthorizerActionCode, arg1, arg2, _, _ string) sqlite.AuthorizerReturnCode {
	deny := func(msg string, write bool) sqlite.AuthorizerReturnCode {
		if p.denied == "" {
			p.denied, p.deniedWrite = msg, write
		}
		return sqlite.AuthorizerDeny
	}
	switch action {
	case sqlite.AuthSelect, sqlite.AuthRead, sqlite.AuthRecursive:
		return sqlite.AuthorizerOK
	case sqlite.AuthFunction:
		switch strings.ToLower(arg2) {
		case "load_extension", "fts3_tokenizer":
			return deny(fmt.Sprintf("the function %s is not allowed", arg2), false)
		}
		return sqlite.AuthorizerOK
	case sqlite.AuthPragma:
		if introspection[strings.ToLower(arg1)] {
			return sqlite.AuthorizerOK
		}
		return deny(fmt.Sprintf("PRAGMA %s is not allowed (only schema introspection such as table_info)", arg1), false)
	case sqlite.AuthAttach, sqlite.AuthDetach:
		return deny("ATTACH, DETACH and VACUUM are not allowed", false)
	case sqlite.AuthTransaction, sqlite.AuthSavepoint:
		return deny("transactions are not allowed: each call is one statement, committed on its own", false)
	}
	if p.readOnly {
		return deny("the connection is readOnly: the statement would write", true)
	}
	return sqlite.AuthorizerOK
}

func tooManyRows(n int) error {
	return &callError{kind: "tooManyRows", msg: fmt.Sprintf("the statement returns more than %d rows (the connection's maxRows): narrow it, or raise maxRows", n)}
}

// read reads at most lim.rows rows and lim.bytes bytes of values; one more row, or a byte more,
// cancels the query and is an error. first stops after the first row.
func read(rows *stdsql.Rows, cancel context.CancelFunc, lim limits, first bool) (*result, error) {
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	res := &result{cols: make([]column, len(cts))}
	for i, ct := range cts {
		typ := strings.ToUpper(ct.DatabaseTypeName())
		if j := strings.IndexByte(typ, '('); j >= 0 {
			typ = typ[:j]
		}
		res.cols[i] = column{name: ct.Name(), typ: strings.TrimSpace(typ)}
	}
	var size int64
	for rows.Next() {
		if len(res.rows) >= lim.rows {
			cancel()
			return nil, tooManyRows(lim.rows)
		}
		vals := make([]any, len(cts))
		ptrs := make([]any, len(cts))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for _, v := range vals {
			switch v := v.(type) {
			case string:
				size += int64(len(v))
			case []byte:
				size += int64(len(v))
			default:
				size += 8
			}
		}
		if size > lim.bytes {
			cancel()
			return nil, &callError{kind: "tooLarge", msg: fmt.Sprintf("the result is larger than %d bytes (the sql maxResultBytes setting): select fewer rows or columns", lim.bytes)}
		}
		res.rows = append(res.rows, vals)
		if first {
			// The rest is not wanted. Cancelling costs a round trip on PostgreSQL, so a short
			// rest is read to its end, and only a long one cancelled.
			for n := 0; rows.Next(); n++ {
				if n >= lim.rows {
					cancel()
					return res, nil
				}
			}
			break
		}
	}
	return res, rows.Err()
}

// classify turns a driver's error into what rule code sees.
func classify(ctx, parent context.Context, err error, t *target, byExec bool) *callError {
	var ce *callError
	var re *netguard.RefusedError
	var pgErr *pgconn.PgError
	var liteErr *sqlite.Error
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.As(err, &re):
		return &callError{kind: "refused", msg: re.Error()}
	case parent.Err() != nil:
		return &callError{kind: "canceled", msg: "the execution was canceled"}
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		if byExec {
			return &callError{kind: "timeout", msg: "the execution's deadline passed before the database answered"}
		}
		return &callError{kind: "timeout", msg: fmt.Sprintf("no answer within %s (the connection's timeout)", t.timeout)}
	case errors.As(err, &pgErr):
		kind := "database"
		if pgErr.Code == "25006" { // read_only_sql_transaction
			kind = "readOnly"
		}
		msg := pgErr.Message + " (SQLSTATE " + pgErr.Code + ")"
		if errors.As(err, new(*pgconn.ConnectError)) {
			msg = "cannot connect: " + msg
		}
		return &callError{kind: kind, msg: msg, code: pgErr.Code}
	case errors.As(err, &liteErr):
		kind := "database"
		if liteErr.Code()&0xff == 8 { // SQLITE_READONLY
			kind = "readOnly"
		}
		return &callError{kind: kind, msg: liteErr.Error(), code: strconv.Itoa(liteErr.Code())}
	case errors.As(err, new(*pgconn.ConnectError)):
		return &callError{kind: "database", msg: "cannot connect: " + rootCause(err)}
	}
	return &callError{kind: "database", msg: err.Error()}
}

// rootCause is the innermost message of a connection failure, without pgx's prefix (which names
// the user and database) and its list of the addresses tried.
func rootCause(err error) string {
	var de *net.DNSError
	if errors.As(err, &de) {
		return "lookup " + de.Name + ": " + de.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		if oe.Addr != nil {
			return oe.Op + " " + oe.Addr.String() + ": " + oe.Err.Error()
		}
		return oe.Op + ": " + oe.Err.Error()
	}
	for {
		if j, ok := err.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 0 {
			err = j.Unwrap()[0]
			continue
		}
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// scrub takes every secret out of a message, whatever a driver put in it.
func scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		if len(s) >= 3 {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	return msg
}

// fail throws the call's Error, with details {kind, connection, code}.
func (st *state) fail(fn, name string, ce *callError) {
	var code any
	if ce.code != "" {
		code = ce.code
	}
	st.h.ErrorWithDetails(fmt.Sprintf("%s: %s: %s", fn, name, ce.msg),
		builtins.Detail{Key: "kind", Value: ce.kind}, builtins.Detail{Key: "connection", Value: name}, builtins.Detail{Key: "code", Value: code})
}
