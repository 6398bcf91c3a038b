package kubustest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/engine/kubustest"
)

func TestDocumentExpectations(t *testing.T) {
	dir := t.TempDir()
	src := `name: letter
rules:
  Letter: 'Documents.save({name: "letter.txt", contentType: "text/plain", text: "Dag Anna, je maandlast is € 1.467,05"}).size'
testcases:
  - name: the letter is saved
    expect:
      documents: [{name: letter.txt, contentType: text/plain, contains: "€ 1.467,05"}]
  - name: a letter it does not save fails
    expect:
      documents: [{name: offer.pdf, contains: x}, {name: letter.txt, contains: "Dag Bram"}]
`
	if err := os.WriteFile(filepath.Join(dir, "ruleset.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := engine.New().Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	res := kubustest.RunCases(context.Background(), rs, kubustest.Options{})
	if !res[0].Passed() {
		t.Errorf("saved: %+v", res[0].Mismatches)
	}
	var got []string
	for _, m := range res[1].Mismatches {
		got = append(got, m.Path+": "+m.Message)
	}
	if want := `documents[0]: no document named "offer.pdf" of type "" was saved|documents[1].contains: letter.txt does not contain "Dag Bram"`; strings.Join(got, "|") != want {
		t.Errorf("mismatches:\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
}
