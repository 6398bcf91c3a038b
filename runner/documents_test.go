package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocumentsCommand: a document a ruleset saves is listed by `kubus documents list` and written
// out by `kubus documents get ID -o FILE`.
func TestDocumentsCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "kubus.db")
	write(t, filepath.Join(dir, "rs", "ruleset.yaml"), "name: letters\nrules:\n  Letter: 'Documents.save({name: \"hello.txt\", contentType: \"text/plain\", text: \"Dag Anna, € 1.467,05\"}).id'\n")
	write(t, filepath.Join(dir, "in.json"), "{}")
	code, out, errOut := kubus(t, "", "run", filepath.Join(dir, "rs"), "--input", filepath.Join(dir, "in.json"), "--store", db)
	if code != 0 {
		t.Fatalf("run: %d %s%s", code, out, errOut)
	}
	code, out, errOut = kubus(t, "", "documents", "list", "--store", db)
	if code != 0 || !strings.Contains(out, "hello.txt") || !strings.Contains(out, "text/plain") {
		t.Fatalf("list: %d %s%s", code, out, errOut)
	}
	id := strings.Fields(out)[0]
	file := filepath.Join(dir, "out.txt")
	if code, out, errOut = kubus(t, "", "documents", "get", id, "-o", file, "--store", db); code != 0 {
		t.Fatalf("get: %d %s%s", code, out, errOut)
	}
	if data, _ := os.ReadFile(file); string(data) != "Dag Anna, € 1.467,05" {
		t.Errorf("content %q", data)
	}
	if code, _, errOut = kubus(t, "", "documents", "get", strings.Repeat("0", 64), "-o", file, "--store", db); code != 1 || !strings.Contains(errOut, "there is no document") {
		t.Errorf("missing: %d %s", code, errOut)
	}
	if code, _, errOut = kubus(t, "", "documents", "get", id, "--store", db); code == 0 || !strings.Contains(errOut, "-o FILE") {
		t.Errorf("no -o: %d %s", code, errOut)
	}
}

// TestDocumentsMaxBytes: kubus.yaml's documents.maxBytes caps what rule code saves.
func TestDocumentsMaxBytes(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "rs", "ruleset.yaml"), "name: big\nrules:\n  Doc: 'Documents.save({name: \"a.txt\", contentType: \"text/plain\", text: \"x\".repeat(2000)}).size'\n")
	write(t, filepath.Join(dir, "in.json"), "{}")
	write(t, filepath.Join(dir, "small.yaml"), "documents: {maxBytes: 1000}\n")
	args := []string{"run", filepath.Join(dir, "rs"), "--input", filepath.Join(dir, "in.json"), "--store", filepath.Join(dir, "k.db")}
	if code, out, _ := kubus(t, "", append(args, "--config", filepath.Join(dir, "small.yaml"))...); code != 1 || !strings.Contains(out, "larger than 1000 bytes") {
		t.Errorf("capped: %d %s", code, out)
	}
	if code, out, errOut := kubus(t, "", args...); code != 0 || !strings.Contains(out, `"Doc": 2000`) {
		t.Errorf("default cap: %d %s%s", code, out, errOut)
	}
}
