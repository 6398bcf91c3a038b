package sql_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	kubussql "github.com/kubusdev/kubus/builtins/sql"
	"github.com/kubusdev/kubus/internal/pgtest"
)

// pgDB is a database of the test's own on the test cluster, set up with script.
func pgDB(t *testing.T, script string) string {
	t.Helper()
	dsn := pgtest.Start(t)
	pgExec(t, dsn, script)
	return dsn
}

// pgExec runs a script (simple protocol: any number of statements) outside the module.
func pgExec(t *testing.T, dsn, script string) { pgExecTB(t, dsn, script) }

// pgExecTB is pgExec for benchmarks too.
func pgExecTB(t testing.TB, dsn, script string) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, script); err != nil {
		t.Fatal(err)
	}
}

// pgEnv is a runtime with connections "db" (read-write) and "ro" (readOnly) to dsn.
func pgEnv(t *testing.T, dsn string, cfg kubussql.Config) *env {
	t.Helper()
	cfg.Allow = []string{"127.0.0.1"}
	if cfg.Connections == nil {
		cfg.Connections = map[string]kubussql.Connection{}
	}
	cfg.Connections["db"] = kubussql.Connection{Driver: "postgres", DSN: dsn}
	cfg.Connections["ro"] = kubussql.Connection{Driver: "postgres", DSN: dsn, ReadOnly: true}
	return newEnv(t, cfg)
}

func TestPostgresTypes(t *testing.T) {
	dsn := pgDB(t, `
create table types (i2 smallint, i4 int, i8 bigint, big bigint, f4 real, f8 double precision, n numeric(10,2), tenth numeric,
  nbig numeric, t text, vc varchar(10), b boolean, d date, ts timestamp, tstz timestamptz, by bytea, j json, jb jsonb,
  u uuid, arr int[], iv interval, inf date, nul text);
insert into types values (1, 2, 3, 9007199254740993, 1.5, 2.25, 12.50, 0.1, 12345678901234567890.12, 'txt', 'vc', true,
  '1980-05-17', '2024-01-02 10:11:12', '2024-01-02 10:11:12+02', '\x0102ff', '{"a":[1,2]}', '{"b":null}',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{1,2}', '1 day', 'infinity', null);`)
	e := pgEnv(t, dsn, kubussql.Config{})
	check(t, e, []struct{ expr, want string }{
		{`SQL.queryOne("db", "select * from types")`, `{"i2":1,"i4":2,"i8":3,"big":"9007199254740993","f4":1.5,"f8":2.25,"n":12.5,"tenth":0.1,` +
			`"nbig":"12345678901234567890.12","t":"txt","vc":"vc","b":true,"d":"1980-05-17T00:00:00.000Z","ts":"2024-01-02T10:11:12.000Z",` +
			`"tstz":"2024-01-02T08:11:12.000Z","by":"AQL/","j":{"a":[1,2]},"jb":{"b":null},"u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",` +
			`"arr":"{1,2}","iv":"1 day","inf":"infinity","nul":null}`},
		{`(r => [r.d instanceof Date, r.tstz instanceof Date, typeof r.n, typeof r.b])(SQL.queryOne("db", "select * from types"))`, `[true,true,"number","boolean"]`},
		{`SQL.queryOne("db", "select 1 = 1 as yes, 1.5::float8 * 2 as x, 'a' || 'b' as s, null as n, 1 as z, 2 as a")`, `{"yes":true,"x":3,"s":"ab","n":null,"z":1,"a":2}`},
		{`(r => [Object.keys(r), r.__proto__])(SQL.queryOne("db", 'select 1 as "__proto__"'))`, `[["__proto__"],1]`},
	})
}

func TestPostgresBinding(t *testing.T) {
	e := pgEnv(t, pgDB(t, customers), kubussql.Config{})
	check(t, e, append(bindingCases(), []struct{ expr, want string }{
		{`SQL.query("db", "select $$;$$ as s, $1::int as n", [5])`, `[{"s":";","n":5}]`},
		{`SQL.execute("db", "insert into customers (id, name, region) values ($1, $2, $3)", [10, "Dee", null])`, `{"rowsAffected":1}`},
		{`SQL.query("db", "update customers set region = $1 where id = $2 returning id, region", ["east", 10])`, `[{"id":10,"region":"east"}]`},
		{`SQL.execute("db", "create table later (x int)")`, `{"rowsAffected":0}`},
		{`SQL.execute("db", "delete from customers where id = $1", [10])`, `{"rowsAffected":1}`},
		{`SQL.execute("db", "insert into nosuch values (1)")`, `!Error: SQL.execute: db: relation "nosuch" does not exist (SQLSTATE 42P01) {"kind":"database","connection":"db","code":"42P01"}`},
	}...))
}

// TestPostgresReadOnly: a readOnly connection's statements run in a READ ONLY transaction, so no
// form of write gets through: a writing CTE, a sequence, a function that writes, a second statement.
func TestPostgresReadOnly(t *testing.T) {
	e := pgEnv(t, pgDB(t, customers+`
create sequence s;
create function evil() returns int language plpgsql as $$ begin delete from customers; return 1; end $$;`), kubussql.Config{})
	check(t, e, []struct{ expr, want string }{
		{`SQL.execute("ro", "delete from customers")`, `!Error: SQL.execute: ro: the connection is readOnly: execute is refused (use query to read) {"kind":"readOnly","connection":"ro","code":null}`},
		{`SQL.query("ro", "with d as (delete from customers returning id) select * from d")`, `!Error: SQL.query: ro: cannot execute SELECT in a read-only transaction (SQLSTATE 25006) {"kind":"readOnly","connection":"ro","code":"25006"}`},
		{`SQL.query("ro", "select nextval('s')")`, `!Error: SQL.query: ro: cannot execute nextval() in a read-only transaction (SQLSTATE 25006)`},
		{`SQL.query("ro", "select evil()")`, `!Error: SQL.query: ro: cannot execute DELETE in a read-only transaction (SQLSTATE 25006)`},
		{`SQL.query("ro", "select 1; drop table customers")`, `!TypeError: SQL.query: sql holds more than one statement`},
		{`SQL.query("ro", "select 1 /* ; */; commit; drop table customers")`, `!TypeError: SQL.query: sql holds more than one statement`},
		{`SQL.query("ro", "insert into customers (id, name) values (9, 'x') returning id")`, `!Error: SQL.query: ro: cannot execute INSERT in a read-only transaction`},
		// Turning read-only off lasts only as long as the transaction it ran in.
		{`SQL.query("ro", "select set_config('default_transaction_read_only', 'off', false) as x")`, `[{"x":"off"}]`},
		{`SQL.query("ro", "set transaction read write")`, `[]`},
		{`SQL.query("ro", "with d as (delete from customers returning id) select * from d")`, `!Error: SQL.query: ro: cannot execute SELECT in a read-only transaction`},
		{`SQL.queryOne("ro", "select count(*) as n from customers")`, `{"n":3}`},
	})
}

// TestPostgresSession: what one call sets on its session does not reach the next call on the same
// pooled connection, and the server, not only the string check, refuses a second statement.
func TestPostgresSession(t *testing.T) {
	e := pgEnv(t, pgDB(t, customers), kubussql.Config{})
	check(t, e, []struct{ expr, want string }{
		{`SQL.query("db", "select set_config('search_path', 'nowhere', false) as x")`, `[{"x":"nowhere"}]`},
		{`SQL.queryOne("db", "show search_path")`, `{"search_path":"\"$user\", public"}`},
		{`SQL.execute("db", "begin")`, `{"rowsAffected":0}`},
		{`SQL.execute("db", "insert into customers (id, name) values (20, 'Left open')")`, `{"rowsAffected":1}`},
		{`SQL.queryOne("ro", "select count(*) as n from customers")`, `{"n":4}`},
	})
	// The extended protocol the module speaks refuses two statements even past the string check.
	ctx := context.Background()
	c, err := pgx.Connect(ctx, strings.Replace(pgtest.Start(t), "sslmode=disable", "sslmode=disable&default_query_exec_mode=cache_describe", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Query(ctx, "select 1; select 2"); err == nil || !strings.Contains(err.Error(), "multiple commands") {
		t.Errorf("two statements over the extended protocol: %v", err)
	}
}

// TestPostgresLimits: too many rows, too slow, canceled: each ends promptly, the query stops on the
// server and the connection goes back to the pool.
func TestPostgresLimits(t *testing.T) {
	e := pgEnv(t, pgDB(t, customers), kubussql.Config{MaxResultBytes: 100 << 10, Connections: map[string]kubussql.Connection{}})
	start := time.Now()
	if got := e.fail(`SQL.query("db", "select generate_series(1, 1000000) as n")`); !strings.Contains(got, `more than 10000 rows (the connection's maxRows)`) || !strings.Contains(got, `"kind":"tooManyRows"`) || time.Since(start) > 3*time.Second {
		t.Errorf("rows: %s after %v", got, time.Since(start))
	}
	if got := e.json(`SQL.queryOne("db", "select generate_series(1, 1000000) as n")`); got != `{"n":1}` {
		t.Errorf("queryOne of many: %s", got)
	}
	if got := e.fail(`SQL.query("db", "select repeat('x', 1000) from generate_series(1, 200)")`); !strings.Contains(got, `"kind":"tooLarge"`) {
		t.Errorf("bytes: %s", got)
	}
	if got := e.fail(`SQL.execute("db", "select generate_series(1, 1000000)")`); !strings.Contains(got, `"kind":"tooManyRows"`) {
		t.Errorf("execute's rows: %s", got)
	}
	e.pgIdle(t)

	for _, conn := range []string{"db", "ro"} {
		e.exec.Deadline = time.Now().Add(time.Second)
		start = time.Now()
		got := e.fail(`SQL.query("` + conn + `", "select pg_sleep(60)")`)
		if !strings.Contains(got, `the execution's deadline passed before the database answered {"kind":"timeout"`) || time.Since(start) > 1500*time.Millisecond {
			t.Errorf("%s deadline: %s after %v", conn, got, time.Since(start))
		}
		e.exec.Deadline = time.Now().Add(time.Hour)
		e.pgIdle(t)
	}

	ctx, cancel := context.WithCancel(context.Background())
	e.exec.Context = ctx
	time.AfterFunc(300*time.Millisecond, cancel)
	start = time.Now()
	if got := e.fail(`SQL.execute("db", "select pg_sleep(60)")`); !strings.Contains(got, `the execution was canceled {"kind":"canceled"`) || time.Since(start) > 1500*time.Millisecond {
		t.Errorf("canceled: %s after %v", got, time.Since(start))
	}
	e.exec.Context = context.Background()
	e.pgIdle(t)
}

func TestPostgresTimeout(t *testing.T) {
	dsn := pgDB(t, customers)
	e := pgEnv(t, dsn, kubussql.Config{Connections: map[string]kubussql.Connection{"slow": {Driver: "postgres", DSN: dsn, Timeout: 300 * time.Millisecond}}})
	start := time.Now()
	if got := e.fail(`SQL.query("slow", "select pg_sleep(60)")`); !strings.Contains(got, `no answer within 300ms (the connection's timeout) {"kind":"timeout"`) || time.Since(start) > time.Second {
		t.Errorf("timeout: %s after %v", got, time.Since(start))
	}
	if got := e.json(`SQL.queryOne("slow", "select count(*) as n from customers")`); got != `{"n":3}` {
		t.Errorf("after a timeout: %s", got)
	}
}

// pgIdle checks the pools hold no connection in use and the server runs no query of the test's.
func (e *env) pgIdle(t *testing.T) {
	t.Helper()
	for _, c := range []string{"db", "ro"} {
		if n := kubussql.InUse(e.m, c); n != 0 {
			t.Errorf("%s: %d connections in use", c, n)
		}
	}
	// The cancel request reaches the server a moment after the call has returned.
	deadline := time.Now().Add(2 * time.Second)
	for {
		got := e.json(`SQL.queryOne("db", "select count(*) as n from pg_stat_activity where state = 'active' and pid <> pg_backend_pid() and datname = current_database()")`)
		if got == `{"n":0}` {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("queries still running on the server: %s", got)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPostgresCredentials: a failing login shows neither the password nor the DSN anywhere rule
// code, explain or the log can see.
func TestPostgresCredentials(t *testing.T) {
	dsn := pgtest.Start(t)
	u, _ := url.Parse(dsn)
	real, _ := u.User.Password()
	u.User = url.UserPassword(u.User.Username(), "WRONG-pw-s3cret")
	bad := u.String()
	keyword := fmt.Sprintf("host=127.0.0.1 port=%s user=%s password=KW-pw-s3cret dbname=%s sslmode=disable", u.Port(), u.User.Username(), strings.TrimPrefix(u.Path, "/"))
	e := newEnv(t, kubussql.Config{Allow: []string{"127.0.0.1"}, Connections: map[string]kubussql.Connection{
		"url": {Driver: "postgres", DSN: bad},
		"kw":  {Driver: "postgres", DSN: keyword},
	}})
	e.exec.LogLevel = 1
	for _, conn := range []string{"url", "kw"} {
		got := e.fail(`SQL.query("` + conn + `", "select 1")`)
		if !strings.HasPrefix(got, "Error: SQL.query: "+conn+": cannot connect: password authentication failed for user") || !strings.Contains(got, `"code":"28P01"`) {
			t.Errorf("%s: %s", conn, got)
		}
		all := got + fmt.Sprintf("%+v %+v", e.exec.Calls(), e.exec.Diagnostics())
		for _, secret := range []string{"WRONG-pw-s3cret", "KW-pw-s3cret", real, bad, keyword} {
			if strings.Contains(all, secret) {
				t.Errorf("%s: %q shows in %s", conn, secret, all)
			}
		}
	}
}

// TestPostgresAddressCheck: the database host passes the outbound check like any other.
func TestPostgresAddressCheck(t *testing.T) {
	dsn := pgtest.Start(t)
	e := newEnv(t, kubussql.Config{Connections: map[string]kubussql.Connection{"db": {Driver: "postgres", DSN: dsn}}})
	got := e.fail(`SQL.query("db", "select 1")`)
	if !strings.HasPrefix(got, "Error: SQL.query: db: the address 127.0.0.1 is loopback: outbound connections may not reach it unless the environment's allow list names it") || !strings.Contains(got, `"kind":"refused"`) {
		t.Errorf("refused: %s", got)
	}
	e2 := newEnv(t, kubussql.Config{Allow: []string{"127.0.0.1"}, Connections: map[string]kubussql.Connection{"db": {Driver: "postgres", DSN: dsn}}})
	if got := e2.json(`SQL.queryOne("db", "select 1 as one")`); got != `{"one":1}` {
		t.Errorf("allowed: %s", got)
	}
	// A unix socket is no address the allow list can name.
	u, _ := url.Parse(dsn)
	pw, _ := u.User.Password()
	e3 := newEnv(t, kubussql.Config{Allow: []string{"127.0.0.1"}, Connections: map[string]kubussql.Connection{
		"sock": {Driver: "postgres", DSN: "host=/tmp user=kubus password=" + pw + " dbname=postgres"}}})
	if got := e3.fail(`SQL.query("sock", "select 1")`); !strings.Contains(got, `"kind":"refused"`) {
		t.Errorf("socket: %s", got)
	}
}

// TestPostgresNumbers: a fraction bound to an integer is refused, not truncated; floats keep their value.
func TestPostgresNumbers(t *testing.T) {
	e := pgEnv(t, pgDB(t, customers), kubussql.Config{})
	check(t, e, []struct{ expr, want string }{
		{`SQL.query("db", "select name from customers where id = $1", [2.5])`, `!Error: SQL.query: db: `},
		{`SQL.query("db", "select name from customers where id = $1", [1e300])`, `!Error: SQL.query: db: `},
		{`SQL.queryOne("db", "select $1::float8 as a, $2::numeric as b, $3::float8 as c, $4::int as d", [0.1, 2.5, -Infinity, 7])`, `{"a":0.1,"b":2.5,"c":null,"d":7}`},
		{`(r => [r.c === -Infinity, Number.isNaN(r.n)])(SQL.queryOne("db", "select $1::float8 as c, $2::float8 as n", [-Infinity, NaN]))`, `[true,true]`},
	})
}

// TestPostgresEchoingServer: a hostile database server that asks for the password in clear and
// answers it back in its error message gets no secret into rule code, details, call records or
// diagnostics.
func TestPostgresEchoingServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go echoPassword(c)
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	dsn := "postgres://kubus:Echo-pw-s3cret@127.0.0.1:" + port + "/crm?sslmode=disable"
	e := newEnv(t, kubussql.Config{Allow: []string{"127.0.0.1"}, Connections: map[string]kubussql.Connection{"crm": {Driver: "postgres", DSN: dsn}}})
	e.exec.LogLevel = 1
	got := e.fail(`SQL.query("crm", "select 1")`)
	if !strings.Contains(got, "you sent [redacted]") {
		t.Errorf("the server's message: %s", got)
	}
	all := got + fmt.Sprintf("%+v %+v", e.exec.Calls(), e.exec.Diagnostics())
	for _, secret := range []string{"Echo-pw-s3cret", dsn} {
		if strings.Contains(all, secret) {
			t.Errorf("%q shows in %s", secret, all)
		}
	}
}

// echoPassword speaks just enough of PostgreSQL's protocol: it asks for a cleartext password and
// fails the login with a message quoting it.
func echoPassword(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	var n int32
	if binary.Read(r, binary.BigEndian, &n) != nil || n < 8 || n > 10000 {
		return
	}
	if _, err := io.CopyN(io.Discard, r, int64(n-4)); err != nil { // the startup message
		return
	}
	_, _ = c.Write([]byte{'R', 0, 0, 0, 8, 0, 0, 0, 3}) // AuthenticationCleartextPassword
	if typ, err := r.ReadByte(); err != nil || typ != 'p' {
		return
	}
	if binary.Read(r, binary.BigEndian, &n) != nil || n < 5 || n > 10000 {
		return
	}
	pw := make([]byte, n-4)
	if _, err := io.ReadFull(r, pw); err != nil {
		return
	}
	body := "SFATAL\x00C28P01\x00Myou sent " + strings.TrimRight(string(pw), "\x00") + "\x00\x00"
	msg := append([]byte{'E'}, binary.BigEndian.AppendUint32(nil, uint32(len(body)+4))...)
	_, _ = c.Write(append(msg, body...))
}
