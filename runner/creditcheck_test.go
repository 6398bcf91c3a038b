package main

import (
	"context"
	stdsql "database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kubusdev/kubus/builtins/mongodb/mongotest"
	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/engine/kubustest"
	"github.com/kubusdev/kubus/internal/pgtest"
)

// The PostgreSQL cluster of the credit-check test stops with the tests; the FerretDB server stops
// when this process's end closes its stdin.
func TestMain(m *testing.M) { pgtest.Main(m) }

// TestCreditCheckAgainstRealServers: the credit-check example decides the same with its
// testcase's fixtures (SQLite, the fixture MongoDB server, fixture HTTP) as with `kubus run`
// against a real PostgreSQL loaded with the same crm.sql, a real FerretDB holding the same loan
// book and an HTTP server serving the bureau's files, configured by the example's kubus.yaml.
func TestCreditCheckAgainstRealServers(t *testing.T) {
	const dir = "../examples/credit-check"
	dsn := pgtest.Start(t)
	db, err := stdsql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	script, err := os.ReadFile(dir + "/fixtures/crm.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(string(script)); err != nil {
		t.Fatalf("crm.sql on PostgreSQL: %v", err)
	}

	mdb := mongotest.Database(t)
	uri := mongotest.URI(t, mdb)
	loans, err := os.ReadFile(dir + "/fixtures/loans.json")
	if err != nil {
		t.Fatal(err)
	}
	var docs struct {
		D []bson.D `bson:"d"`
	}
	if err := bson.UnmarshalExtJSON([]byte(`{"d":`+string(loans)+`}`), false, &docs); err != nil {
		t.Fatal(err)
	}
	cl, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Disconnect(context.Background())
	if _, err := cl.Database(mdb).Collection("loans").InsertMany(context.Background(), docs.D); err != nil {
		t.Fatal(err)
	}

	bureau := httptest.NewServer(http.FileServer(http.Dir(dir + "/bureau")))
	defer bureau.Close()
	t.Setenv("CRM_DSN", dsn)
	t.Setenv("LOANBOOK_URI", uri)
	t.Setenv("LOANBOOK_DB", mdb)
	t.Setenv("CREDIT_BUREAU_URL", bureau.URL)

	code, out, errOut := kubus(t, "", "run", dir, "--input", dir+"/input.json", "--config", dir+"/kubus.yaml", "--now", "2026-06-01T10:00:00Z")
	if code != 0 {
		t.Fatalf("kubus run: exit %d\n%s%s", code, out, errOut)
	}
	var real engine.Result
	if err := json.Unmarshal([]byte(out), &real); err != nil {
		t.Fatal(err)
	}

	rs, err := engine.New().Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	res := kubustest.RunCases(context.Background(), rs, kubustest.Options{})
	if !res[0].Passed() || !strings.Contains(res[0].Case.Name, "approved") {
		t.Fatalf("the first testcase: %+v", res[0])
	}
	want, _ := json.Marshal(res[0].Result.Output)
	got, _ := json.Marshal(real.Output)
	if string(got) != string(want) {
		t.Errorf("real servers decide\n%s\nfixtures decide\n%s", got, want)
	}
	if !strings.Contains(string(got), `"Decision":"approve"`) {
		t.Errorf("decision: %s", got)
	}
}
