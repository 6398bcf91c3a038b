package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kubusdev/kubus/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestStart: each test gets a database of its own on the shared cluster, over TCP with a password.
func TestStart(t *testing.T) {
	var names []string
	for _, sub := range []string{"a", "b"} {
		t.Run(sub, func(t *testing.T) {
			dsn := pgtest.Start(t)
			conn, err := pgx.Connect(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			var db string
			if err := conn.QueryRow(context.Background(), "select current_database()").Scan(&db); err != nil {
				t.Fatal(err)
			}
			names = append(names, db)
		})
	}
	if len(names) != 2 || names[0] == names[1] {
		t.Errorf("databases: %v", names)
	}
}
