package sql_test

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
	kubussql "github.com/kubusdev/kubus/builtins/sql"
	"github.com/kubusdev/kubus/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// customers is the schema every driver's tests share; its SQL runs on PostgreSQL and SQLite alike.
const customers = `
create table customers (id integer primary key, name text not null, region text, born date, active boolean);
insert into customers values (1, 'Ann', 'north', '1980-05-17', true), (2, 'Bob', 'south', '1995-01-02', false), (3, 'Cas', 'north', '2001-11-30', true);
`

// env is a runtime with the module installed, pointed at an execution.
type env struct {
	t    *testing.T
	m    *kubussql.Module
	vm   *goja.Runtime
	exec *builtins.Exec
}

func newEnv(t *testing.T, cfg kubussql.Config) *env {
	t.Helper()
	m, err := kubussql.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	exec := &builtins.Exec{Context: context.Background(), Deadline: time.Now().Add(time.Hour), Serial: 1}
	vm, _ := builtinstest.NewVM(t, exec, m)
	return &env{t: t, m: m, vm: vm, exec: exec}
}

// json evaluates expr as a new execution and returns it as JSON, or "Name: message" if it throws.
func (e *env) json(expr string) string {
	e.t.Helper()
	e.exec.Serial++
	return fmt.Sprint(builtinstest.Eval(e.t, e.vm, "JSON.stringify("+expr+")"))
}

// fail evaluates expr, which must throw, and returns "Name: message {details}".
func (e *env) fail(expr string) string {
	e.t.Helper()
	e.exec.Serial++
	return fmt.Sprint(builtinstest.Eval(e.t, e.vm, `(() => { try { `+expr+`; return "no error" } catch (e) { return e.name + ": " + e.message + (e.details ? " " + JSON.stringify(e.details) : "") } })()`))
}

// sqliteFile makes a seeded SQLite file and its DSN.
func sqliteFile(t *testing.T, script string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	db, err := kubussql.Seed(path, script)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// check runs a table of expressions and their JSON, or the start of their error.
func check(t *testing.T, e *env, rows []struct{ expr, want string }) {
	t.Helper()
	for _, c := range rows {
		var got string
		if strings.HasPrefix(c.want, "!") {
			got = e.fail(c.expr)
			if !strings.HasPrefix(got, c.want[1:]) {
				t.Errorf("%s\n got  %s\n want %s…", c.expr, got, c.want[1:])
			}
			continue
		}
		if got = e.json(c.expr); got != c.want {
			t.Errorf("%s\n got  %s\n want %s", c.expr, got, c.want)
		}
	}
}

func TestSQLiteTypes(t *testing.T) {
	dsn := sqliteFile(t, `
create table types (i integer, big integer, f real, n decimal(10,2), t text, b boolean, d date, dt datetime, ts timestamp,
  tstz timestamptz, bad date, bl blob, j json, badj json, u uuid, ub uuid, nul text);
insert into types values (1, 9007199254740993, 2.25, 12.50, 'txt', 1, '1980-05-17', '2024-01-02 10:11:12', '2024-01-02T10:11:12Z',
  '2024-01-02 10:11:12+02:00', 'not a date', x'0102ff', '{"a":[1,2]}', '{oops', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  x'a0eebc999c0b4ef8bb6d6bb9bd380a11', null);`)
	e := newEnv(t, kubussql.Config{Connections: map[string]kubussql.Connection{"db": {Driver: "sqlite", DSN: dsn}}})
	check(t, e, []struct{ expr, want string }{
		{`SQL.queryOne("db", "select * from types")`, `{"i":1,"big":"9007199254740993","f":2.25,"n":12.5,"t":"txt","b":true,` +
			`"d":"1980-05-17T00:00:00.000Z","dt":"2024-01-02T10:11:12.000Z","ts":"2024-01-02T10:11:12.000Z","tstz":"2024-01-02T08:11:12.000Z",` +
			`"bad":"not a date","bl":"AQL/","j":{"a":[1,2]},"badj":"{oops","u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",` +
			`"ub":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","nul":null}`},
		{`(r => [r.d instanceof Date, typeof r.i, typeof r.b, Object.keys(r).slice(0, 4)])(SQL.queryOne("db", "select * from types"))`, `[true,"number","boolean",["i","big","f","n"]]`},
		// Expressions have no declared type: the value's own storage class decides.
		{`SQL.queryOne("db", "select 1 = 1 as yes, 1.5 * 2 as x, 'a' || 'b' as s, null as n")`, `{"yes":1,"x":3,"s":"ab","n":null}`},
		// A column named __proto__ is a property like any other.
		{`(r => [Object.keys(r), r.__proto__])(SQL.queryOne("db", 'select 1 as "__proto__"'))`, `[["__proto__"],1]`},
		{`SQL.query("db", "select * from types where 1 = 0")`, `[]`},
		{`SQL.queryOne("db", "select * from types where 1 = 0")`, `null`},
	})
}

func TestSQLiteBinding(t *testing.T) {
	e := newEnv(t, kubussql.Config{Connections: map[string]kubussql.Connection{"db": {Driver: "sqlite", DSN: sqliteFile(t, customers)}}})
	check(t, e, append(bindingCases(), []struct{ expr, want string }{
		// SQLite also takes ? and ?N; $N is what runs on both drivers.
		{`SQL.query("db", "select name from customers where region = ? and id > ? order by id", ["north", 1])`, `[{"name":"Cas"}]`},
		{`SQL.query("db", "select name from customers where id = ?2 or id = ?1 order by id", [1, 2])`, `[{"name":"Ann"},{"name":"Bob"}]`},
		{`SQL.execute("db", "insert into customers (id, name, region) values ($1, $2, $3)", [10, "Dee", null])`, `{"rowsAffected":1,"lastInsertId":10}`},
		{`SQL.execute("db", "update customers set region = $1 where id = $2", ["east", 10])`, `{"rowsAffected":1}`},
		{`SQL.execute("db", "create table later (x int)")`, `{"rowsAffected":0}`},
		{`SQL.execute("db", "delete from customers where id = $1", [10])`, `{"rowsAffected":1}`},
	}...))
}

// bindingCases hold on both drivers: placeholders, parameter types, an injection attempt bound as
// the literal it is, and the arguments refused before anything is sent.
func bindingCases() []struct{ expr, want string } {
	return []struct{ expr, want string }{
		{`SQL.query("db", "select id, name from customers where region = $1 and id > $2 order by id", ["north", 0])`, `[{"id":1,"name":"Ann"},{"id":3,"name":"Cas"}]`},
		{`SQL.query("db", "select name from customers where region = $1 or name = $1", ["Bob"])`, `[{"name":"Bob"}]`},
		{`SQL.query("db", "select name from customers where name = $1", ["Ann' or '1'='1"])`, `[]`},
		{`SQL.query("db", "select name from customers where name = $1", ["x'; drop table customers; --"])`, `[]`},
		{`SQL.queryOne("db", "select count(*) as n from customers")`, `{"n":3}`},
		{`SQL.query("db", "select name from customers where active = $1 order by id", [true])`, `[{"name":"Ann"},{"name":"Cas"}]`},
		{`SQL.query("db", "select name from customers where born < $1 order by id", [new Date("1990-01-01")])`, `[{"name":"Ann"}]`},
		{`SQL.query("db", "select name from customers where id = $1", [2n])`, `[{"name":"Bob"}]`},
		{`SQL.query("db", "select name from customers where name = 'Ann';")`, `[{"name":"Ann"}]`},
		{`SQL.query("db", "select name from customers where name = ';'")`, `[]`},
		{`SQL.query("db", "select name from customers where id = $1", [{}])`, `!TypeError: SQL.query: params[0] must be a number, string, boolean, null, Date or bigint, got an object`},
		{`SQL.query("db", "select name from customers where id = $1", [1, [2]])`, `!TypeError: SQL.query: params[1] must be a number, string, boolean, null, Date or bigint, got an array`},
		{`SQL.query("db", "select $1", [undefined])`, `!TypeError: SQL.query: params[0] is undefined (bind null for SQL NULL)`},
		{`SQL.query("db", "select $1", [new Date("x")])`, `!RangeError: SQL.query: params[0] is an invalid Date`},
		{`SQL.query("db", "select $1", [2n ** 70n])`, `!RangeError: SQL.query: params[0] is a bigint beyond 64 bits`},
		{`SQL.query("db", "select $1", "north")`, `!TypeError: SQL.query: params must be an array, got "north"`},
		{`SQL.query("db", "select 1", new Array(1001).fill(1))`, `!RangeError: SQL.query: params has 1001 values, more than 1000`},
		{`SQL.query("db", "select 1 " + " ".repeat(100 << 10))`, `!RangeError: SQL.query: sql is longer than 102400 bytes`},
		{`SQL.query("db")`, `!TypeError: SQL.query: sql is required`},
		{`SQL.query("db", "  -- nothing")`, `!TypeError: SQL.query: sql holds no statement`},
		{`SQL.query("db", "select 1; delete from customers")`, `!TypeError: SQL.query: sql holds more than one statement`},
		{`SQL.execute("db", "delete from customers where id = 1; delete from customers")`, `!TypeError: SQL.execute: sql holds more than one statement`},
		{`SQL.queryOne("db", "select count(*) as n from customers")`, `{"n":3}`}, // nothing was deleted
		{`SQL.query("db", "select nosuch from customers")`, `!Error: SQL.query: db: `},
	}
}

// TestSQLiteReadOnly: writes are refused before they reach the file, however they are dressed up;
// and no call may reach other files or outlive itself (ATTACH, VACUUM INTO, PRAGMA, BEGIN).
func TestSQLiteReadOnly(t *testing.T) {
	dsn := sqliteFile(t, customers+"create trigger audit after update on customers begin update customers set region = 'x'; end;")
	dir := t.TempDir()
	e := newEnv(t, kubussql.Config{Connections: map[string]kubussql.Connection{
		"ro": {Driver: "sqlite", DSN: dsn, ReadOnly: true},
		"rw": {Driver: "sqlite", DSN: dsn},
	}})
	_ = e.vm.Set("DIR", dir)
	check(t, e, []struct{ expr, want string }{
		{`SQL.execute("ro", "delete from customers")`, `!Error: SQL.execute: ro: the connection is readOnly: execute is refused (use query to read) {"kind":"readOnly","connection":"ro","code":null}`},
		{`SQL.query("ro", "delete from customers returning id")`, `!Error: SQL.query: ro: the connection is readOnly: the statement would write {"kind":"readOnly"`},
		{`SQL.query("ro", "insert into customers (id, name) values (9, 'x') returning id")`, `!Error: SQL.query: ro: the connection is readOnly`},
		{`SQL.query("ro", "update customers set name = 'x' returning id")`, `!Error: SQL.query: ro: the connection is readOnly`},
		{`SQL.query("ro", "select 1; drop table customers")`, `!TypeError: SQL.query: sql holds more than one statement`},
		{`SQL.query("ro", "PRAGMA query_only = 0")`, `!Error: SQL.query: ro: PRAGMA query_only is not allowed (only schema introspection such as table_info) {"kind":"refused"`},
		{`SQL.query("ro", "create table x (y int)")`, `!Error: SQL.query: ro: the connection is readOnly`},
		{`SQL.query("ro", "select name from pragma_table_info('customers') where cid < 2")`, `[{"name":"id"},{"name":"name"}]`},
		{`SQL.query("ro", "with recursive n(x) as (select 1 union all select x + 1 from n where x < 3) select x from n")`, `[{"x":1},{"x":2},{"x":3}]`},
		{`SQL.query("rw", "attach database '" + DIR + "/other.db' as o")`, `!Error: SQL.query: rw: ATTACH, DETACH and VACUUM are not allowed {"kind":"refused"`},
		{`SQL.execute("rw", "vacuum into '" + DIR + "/copy.db'")`, `!Error: SQL.execute: rw: ATTACH, DETACH and VACUUM are not allowed`},
		{`SQL.execute("rw", "begin")`, `!Error: SQL.execute: rw: transactions are not allowed`},
		{`SQL.execute("rw", "pragma writable_schema = 1")`, `!Error: SQL.execute: rw: PRAGMA writable_schema is not allowed`},
		{`SQL.query("rw", "select load_extension('x')")`, `!Error: SQL.query: rw: the function load_extension is not allowed`},
		{`SQL.queryOne("ro", "select count(*) as n from customers where region = 'north'")`, `{"n":2}`},
		// The read-write connection still writes (and its trigger runs), the read-only one did not.
		{`SQL.execute("rw", "update customers set name = 'Anne' where id = 1")`, `{"rowsAffected":1}`},
		{`SQL.queryOne("ro", "select count(*) as n, min(region) as r from customers")`, `{"n":3,"r":"x"}`},
	})
	for _, f := range []string{"other.db", "copy.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s was written", f)
		}
	}
}

// TestSQLiteLimits: rows, bytes, time and calls are bounded, each with an error naming its limit.
func TestSQLiteLimits(t *testing.T) {
	dsn := sqliteFile(t, customers)
	small := newEnv(t, kubussql.Config{MaxResultBytes: 1000, Connections: map[string]kubussql.Connection{"db": {Driver: "sqlite", DSN: dsn}}})
	check(t, small, []struct{ expr, want string }{
		{`SQL.query("db", "select $1 as a union all select $1", ["x".repeat(600)])`, `!Error: SQL.query: db: the result is larger than 1000 bytes (the sql maxResultBytes setting): select fewer rows or columns {"kind":"tooLarge"`},
		{`SQL.query("db", "select $1", ["x".repeat(1001)])`, `!RangeError: SQL.query: params are larger than 1000 bytes`},
		{`SQL.query("db", "select $1 as a", ["x".repeat(900)]).length`, `1`},
	})
	e := newEnv(t, kubussql.Config{Connections: map[string]kubussql.Connection{
		"db":   {Driver: "sqlite", DSN: dsn},
		"two":  {Driver: "sqlite", DSN: dsn, MaxRows: 2},
		"slow": {Driver: "sqlite", DSN: dsn, Timeout: 300 * time.Millisecond},
	}})
	const endless = `with recursive n(x) as (select 1 union all select x + 1 from n) select x from n`
	check(t, e, []struct{ expr, want string }{
		{`SQL.query("db", "` + endless + `")`, `!Error: SQL.query: db: the statement returns more than 10000 rows (the connection's maxRows): narrow it, or raise maxRows {"kind":"tooManyRows","connection":"db","code":null}`},
		{`SQL.queryOne("db", "` + endless + `").x`, `1`},
		{`SQL.query("two", "select id from customers")`, `!Error: SQL.query: two: the statement returns more than 2 rows`},
		{`SQL.query("two", "select id from customers where id < 3")`, `[{"id":1},{"id":2}]`},
		{`SQL.query("slow", "with recursive n(x) as (select 1 union all select x + 1 from n) select count(*) from n")`, `!Error: SQL.query: slow: no answer within 300ms (the connection's timeout) {"kind":"timeout"`},
	})

	// The execution's deadline bounds a call whose own timeout is longer; a canceled execution ends it.
	const count = `SQL.query("db", "with recursive n(x) as (select 1 union all select x + 1 from n) select count(*) from n")`
	e.exec.Deadline = time.Now().Add(300 * time.Millisecond)
	start := time.Now()
	if got := e.fail(count); !strings.Contains(got, "the execution's deadline passed") || time.Since(start) > 2*time.Second {
		t.Errorf("deadline: %s after %v", got, time.Since(start))
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.exec.Context, e.exec.Deadline = ctx, time.Now().Add(time.Hour)
	time.AfterFunc(200*time.Millisecond, cancel)
	start = time.Now()
	if got := e.fail(count); !strings.Contains(got, `the execution was canceled {"kind":"canceled"`) || time.Since(start) > 2*time.Second {
		t.Errorf("canceled: %s after %v", got, time.Since(start))
	}
	e.exec.Context = context.Background()
	if n := kubussql.InUse(e.m, "db"); n != 0 {
		t.Errorf("%d connections in use", n)
	}
}

func TestCallCap(t *testing.T) {
	e := newEnv(t, kubussql.Config{MaxCalls: 3, Connections: map[string]kubussql.Connection{"db": {Driver: "sqlite", DSN: sqliteFile(t, customers)}}})
	e.exec.Serial++
	three := `[1, 2, 3].map(i => SQL.queryOne("db", "select name from customers where id = $1", [i]).name)`
	if got := fmt.Sprint(builtinstest.Eval(t, e.vm, "JSON.stringify("+three+")")); got != `["Ann","Bob","Cas"]` {
		t.Errorf("three calls: %s", got)
	}
	if got := fmt.Sprint(builtinstest.Eval(t, e.vm, `SQL.query("db", "select 1")`)); got != "RangeError: SQL.query: more than 3 SQL calls in one execution (the sql maxCalls setting)" {
		t.Errorf("fourth call: %s", got)
	}
	if got := e.json(three); got != `["Ann","Bob","Cas"]` { // the next execution counts from zero
		t.Errorf("next execution: %s", got)
	}
}

// TestFixtures: under a testcase only its fixtures answer, and a connection's readOnly holds there too.
func TestFixtures(t *testing.T) {
	dir := t.TempDir()
	crm, err := kubussql.Seed(filepath.Join(dir, "crm.db"), customers)
	if err != nil {
		t.Fatal(err)
	}
	defer crm.Close()
	if _, err := kubussql.Seed(filepath.Join(dir, "crm.db"), customers); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("seeding over a file: %v", err)
	}
	if _, err := kubussql.Seed(filepath.Join(dir, "bad.db"), "create table"); err == nil {
		t.Error("a bad script seeded")
	}
	e := newEnv(t, kubussql.Config{Connections: map[string]kubussql.Connection{
		// Neither is reachable: a fixture answers for crm, nothing for billing.
		"crm":     {Driver: "postgres", DSN: "postgres://kubus:pw@192.0.2.1:5432/crm", ReadOnly: true},
		"billing": {Driver: "sqlite", DSN: filepath.Join(dir, "billing-real.db")},
	}})
	e.exec.Fixtures = map[string]any{"SQL": map[string]*stdsql.DB{"crm": crm, "scratch": crm}}
	check(t, e, []struct{ expr, want string }{
		{`SQL.query("crm", "select name from customers where region = $1 order by id", ["north"])`, `[{"name":"Ann"},{"name":"Cas"}]`},
		{`SQL.execute("crm", "delete from customers")`, `!Error: SQL.execute: crm: the connection is readOnly: execute is refused`},
		{`SQL.query("crm", "delete from customers returning id")`, `!Error: SQL.query: crm: the connection is readOnly: the statement would write`},
		{`SQL.query("billing", "select 1")`, `!Error: SQL.query: billing: no fixture of the testcase answers SQL connection 'billing' (add one under sql:) {"kind":"noFixture","connection":"billing","code":null}`},
		{`SQL.query("other", "select 1")`, `!Error: SQL.query: other: no fixture of the testcase answers SQL connection 'other'`},
		// A fixture without a configured connection is read-write.
		{`SQL.execute("scratch", "update customers set name = $1 where id = $2", ["Ann", 1])`, `{"rowsAffected":1}`},
	})
	e.exec.Fixtures = map[string]any{"Http": "elsewhere"} // a testcase with no sql: fixtures
	if got := e.fail(`SQL.query("crm", "select 1")`); !strings.Contains(got, `"kind":"noFixture"`) {
		t.Errorf("no SQL fixtures: %s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "billing-real.db")); err == nil {
		t.Error("the configured database was opened under a testcase")
	}
}

// TestCallRecords: every call is recorded with its connection, method and statement, never its parameters.
func TestCallRecords(t *testing.T) {
	e := newEnv(t, kubussql.Config{Connections: map[string]kubussql.Connection{"db": {Driver: "sqlite", DSN: sqliteFile(t, customers)}}})
	e.exec.LogLevel = builtins.LogInfo
	e.exec.Serial++
	builtinstest.Eval(t, e.vm, `SQL.query("db", "select name\n\t  from customers   where name <> $1", ["param-SECRET"])`)
	builtinstest.Eval(t, e.vm, `SQL.execute("db", "update customers set region = $1 where id = 1", ["param-SECRET"])`)
	builtinstest.Eval(t, e.vm, `SQL.queryOne("db", "select nosuch from customers where name = $1", ["param-SECRET"])`)
	builtinstest.Eval(t, e.vm, `SQL.query("nodb", "select 1")`)
	calls := e.exec.Calls()
	var got []string
	for _, c := range calls {
		rows := "-"
		if c.Rows != nil {
			rows = fmt.Sprint(*c.Rows)
		}
		got = append(got, fmt.Sprintf("%s %s %s %q rows=%s error=%s", c.Module, c.Target, c.Method, c.What, rows, c.Error))
	}
	want := []string{
		`SQL db query "select name from customers where name <> $1" rows=3 error=`,
		`SQL db execute "update customers set region = $1 where id = 1" rows=1 error=`,
		`SQL db queryOne "select nosuch from customers where name = $1" rows=- error=database`,
		`SQL nodb query "select 1" rows=- error=notConfigured`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if all := fmt.Sprintf("%+v %+v", calls, e.exec.Diagnostics()); strings.Contains(all, "SECRET") || !strings.Contains(all, "SQL query db select name") {
		t.Errorf("records or log lines: %s", all)
	}
}

func TestNew(t *testing.T) {
	for _, c := range []struct {
		conns map[string]kubussql.Connection
		want  string
	}{
		{map[string]kubussql.Connection{"crm": {Driver: "mysql", DSN: "x"}}, `driver "mysql": use postgres or sqlite`},
		{map[string]kubussql.Connection{"crm": {Driver: "postgres"}}, `connection "crm" has no dsn`},
		{map[string]kubussql.Connection{"a b": {Driver: "sqlite", DSN: "x.db"}}, `connection "a b": a name is`},
		{map[string]kubussql.Connection{"crm": {Driver: "sqlite", DSN: "x.db", MaxRows: -1}}, `may not be negative`},
		{map[string]kubussql.Connection{"crm": {Driver: "postgres", DSN: "postgres://ann:pw-SECRET@db.example.com:notaport/crm"}}, `connection "crm": the dsn does not parse`},
		{map[string]kubussql.Connection{"crm": {Driver: "postgres", DSN: "host=db password='pw-SECRET"}}, `connection "crm": the dsn does not parse`},
		{map[string]kubussql.Connection{"crm": {Driver: "sqlite", DSN: "file:x.db?a=%zz-SECRET"}}, `connection "crm": the dsn does not parse`},
	} {
		_, err := kubussql.New(kubussql.Config{Connections: c.conns})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%v: %v", c.conns, err)
		}
	}
	if _, err := kubussql.New(kubussql.Config{Allow: []string{"db.example.com"}}); err == nil {
		t.Error("a host name in allow")
	}
}

// TestDefault: without configuration every call names its connection as not configured.
func TestDefault(t *testing.T) {
	exec := &builtins.Exec{Context: context.Background(), Serial: 1}
	vm, _ := builtinstest.NewVM(t, exec, kubussql.Default())
	got := builtinstest.Eval(t, vm, `(() => { try { SQL.query("crm", "select 1") } catch (e) { return e.message + " " + JSON.stringify(e.details) } })()`)
	if got != `SQL.query: crm: no SQL connection 'crm' is configured (add it under connections: sql: in kubus.yaml) {"kind":"notConfigured","connection":"crm","code":null}` {
		t.Errorf("got %v", got)
	}
	vm2, _ := builtinstest.NewVM(t, nil, kubussql.Default())
	if got := builtinstest.Eval(t, vm2, `SQL.query("crm", "select 1")`); !strings.Contains(fmt.Sprint(got), "no execution is running") {
		t.Errorf("outside an execution: %v", got)
	}
}

// TestModuleDocumented: typings, reference and examples agree; the examples run against a fixture.
func TestModuleDocumented(t *testing.T) {
	crm, err := kubussql.Seed(filepath.Join(t.TempDir(), "crm.db"), customers)
	if err != nil {
		t.Fatal(err)
	}
	defer crm.Close()
	m := kubussql.Default()
	exec := &builtins.Exec{Context: context.Background(), Serial: 1, Fixtures: map[string]any{"SQL": map[string]*stdsql.DB{"crm": crm}}}
	vm, _ := builtinstest.NewVM(t, exec, m)
	var fns []builtins.Fn
	for _, e := range m.Reference() {
		fns = append(fns, builtins.Fn{Name: strings.TrimPrefix(e.Qualified, "SQL."), Signature: e.Signature, Doc: e.Doc, Example: e.Example})
	}
	builtinstest.CheckModule(t, vm, m, fns)
	if typings := m.Typings(); !strings.Contains(typings, "type SQLParam =") || !strings.Contains(typings, "interface SQLExecResult") || len(fns) != 3 {
		t.Errorf("typings:\n%s", typings)
	}
}

func TestSQLiteNumbers(t *testing.T) {
	e := newEnv(t, kubussql.Config{Connections: map[string]kubussql.Connection{"db": {Driver: "sqlite", DSN: sqliteFile(t, customers)}}})
	check(t, e, []struct{ expr, want string }{
		{`SQL.query("db", "select name from customers where id = $1", [2.5])`, `[]`},
		{`SQL.queryOne("db", "select $1 as a, $2 as b, $3 as d", [0.1, 2.5, 7])`, `{"a":0.1,"b":2.5,"d":7}`},
	})
}
