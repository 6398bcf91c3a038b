package std

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/builtins.md from the registry")

const referencePath = "../../docs/builtins.md"

// docs/builtins.md is generated from the registry; this fails when it is stale.
func TestReferenceDoc(t *testing.T) {
	want := ReferenceMarkdown()
	if *update {
		if err := os.MkdirAll("../../docs", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(referencePath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatalf("%v (generate it: go test ./builtins/std -run TestReferenceDoc -update)", err)
	}
	if string(got) != want {
		t.Errorf("docs/builtins.md is stale: regenerate it with go test ./builtins/std -run TestReferenceDoc -update")
	}
}
