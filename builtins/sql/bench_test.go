package sql_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
	kubussql "github.com/kubusdev/kubus/builtins/sql"
	"github.com/kubusdev/kubus/internal/pgtest"
)

// BenchmarkQueryOne is one SQL.queryOne from rule code, as an execution makes it: the call, the
// pool, the query by primary key and the row as a JS object.
func BenchmarkQueryOne(b *testing.B) {
	for _, c := range []struct {
		driver   string
		readOnly bool
	}{{"sqlite", false}, {"sqlite", true}, {"postgres", false}, {"postgres", true}} {
		driver, readOnly := c.driver, c.readOnly
		name := driver
		if readOnly {
			name += "/readOnly"
		}
		b.Run(name, func(b *testing.B) {
			var dsn string
			if driver == "sqlite" {
				path := filepath.Join(b.TempDir(), "crm.db")
				db, err := kubussql.Seed(path, customers)
				if err != nil {
					b.Fatal(err)
				}
				db.Close()
				dsn = path
			} else {
				dsn = pgtest.Start(b)
				pgExecTB(b, dsn, customers)
			}
			m, err := kubussql.New(kubussql.Config{Allow: []string{"127.0.0.1"}, Connections: map[string]kubussql.Connection{"crm": {Driver: driver, DSN: dsn, ReadOnly: readOnly}}})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			exec := &builtins.Exec{Context: context.Background(), Deadline: time.Now().Add(time.Hour)}
			vm, _ := builtinstest.NewVM(b, exec, m)
			fn, err := vm.RunString(`(id) => SQL.queryOne("crm", "select id, name, region, born from customers where id = $1", [id]).name`)
			if err != nil {
				b.Fatal(err)
			}
			call, _ := goja.AssertFunction(fn)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				exec.Serial = uint64(i) // a new execution each time: the calls cap counts per execution
				if _, err := call(goja.Undefined(), vm.ToValue(i%3+1)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
