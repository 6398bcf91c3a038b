package engine

import (
	"os"
	"testing"
)

func TestDumpGenerated(t *testing.T) {
	if os.Getenv("KUBUS_DUMP") == "" {
		t.Skip("set KUBUS_DUMP=1 to print the generated program of travel-insurance")
	}
	rs, err := New().Load(os.Getenv("KUBUS_DUMP"))
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rs.plain.c.source)
}
