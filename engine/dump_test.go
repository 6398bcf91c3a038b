package engine

import (
	"os"
	"testing"
)

func TestDumpGenerated(t *testing.T) {
	if os.Getenv("KUBUS_DUMP") == "" {
		t.Skip("set KUBUS_DUMP=1 to print the generated program of travel-insurance (or KUBUS_DUMP=dir for another ruleset)")
	}
	dir := "../examples/travel-insurance"
	if d := os.Getenv("KUBUS_DUMP"); d != "1" {
		dir = d // KUBUS_DUMP=path/to/ruleset dumps that one
	}
	rs, err := New().Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rs.plain.c.source)
}
