package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/builtins/audit"
	"github.com/kubusdev/kubus/store"
)

func TestAuditListsEventsOldestFirst(t *testing.T) {
	db := filepath.Join(t.TempDir(), "kubus.db")
	s, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	tx := s.Begin()
	for i, e := range []audit.Event{
		{At: day, Actor: "u-ann", Subject: "consent", ID: "c1", Action: "create", To: "pending"},
		{At: day.Add(time.Hour), Actor: "u-ann", Subject: "consent", ID: "c1", Action: "give", From: "pending", To: "given"},
		{At: day.Add(48 * time.Hour), Actor: "u-bob", Subject: "dataDebit", ID: "d1", Action: "enable", From: "pending", To: "accepted"},
	} {
		if err := audit.Append(tx, e); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Close()

	code, out, _ := kubus(t, "", "audit", "--store", db)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.Contains(lines[0], "create") || !strings.Contains(lines[1], "pending → given") || !strings.Contains(lines[2], "u-bob") {
		t.Errorf("audit: exit %d\n%s", code, out)
	}
	_, out, _ = kubus(t, "", "audit", "--store", db, "--user", "u-ann")
	if n := len(strings.Split(strings.TrimSpace(out), "\n")); n != 2 || strings.Contains(out, "u-bob") {
		t.Errorf("--user u-ann: %s", out)
	}
	_, out, _ = kubus(t, "", "audit", "--store", db, "--since", "2025-03-02")
	if n := len(strings.Split(strings.TrimSpace(out), "\n")); n != 1 || !strings.Contains(out, "dataDebit") {
		t.Errorf("--since: %s", out)
	}
	code, _, errOut := kubus(t, "", "audit", "--store", filepath.Join(t.TempDir(), "none.db"))
	if code != 1 || !strings.Contains(errOut, "there is no store") {
		t.Errorf("missing store: exit %d %s", code, errOut)
	}
}
