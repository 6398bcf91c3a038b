package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestKeysCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "kubus.db")
	code, out, errOut := kubus(t, "", "keys", "create", "app", "--scope", "execute:travel-insurance,clock", "--expires", "2030-01-01", "--store", db)
	key := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(key, "kbs_") || !strings.Contains(errOut, "shown this once") {
		t.Fatalf("create: %d %q %q", code, out, errOut)
	}
	for _, bad := range [][]string{{"--scope", "root"}, {"--scope", "admin", "--expires", "2001-01-01"}, {"--scope", "admin", "--expires", "soon"}} {
		if code, _, errOut := kubus(t, "", append([]string{"keys", "create", "x", "--store", db}, bad...)...); code == 0 {
			t.Errorf("%v: accepted (%s)", bad, errOut)
		}
	}
	code, out, _ = kubus(t, "", "keys", "list", "--store", db)
	if code != 0 || !strings.Contains(out, "app") || !strings.Contains(out, "execute:travel-insurance,clock") || !strings.Contains(out, "2030-01-01") || strings.Contains(out, key) {
		t.Fatalf("list: %d %s", code, out)
	}
	code, out, _ = kubus(t, "", "keys", "list", "--json", "--store", db)
	var keys []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &keys) != nil || len(keys) != 1 || strings.Contains(out, key) || strings.Contains(out, `"hash"`) {
		t.Fatalf("list --json: %d %s", code, out)
	}
	id := keys[0]["id"].(string)
	if code, out, _ := kubus(t, "", "keys", "revoke", id, "--store", db); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %d %s", code, out)
	}
	if _, out, _ := kubus(t, "", "keys", "list", "--store", db); !strings.Contains(out, "revoked") {
		t.Errorf("list after revoke: %s", out)
	}
	if code, _, errOut := kubus(t, "", "keys", "revoke", "key_nothing", "--store", db); code == 0 || !strings.Contains(errOut, "no key key_nothing") {
		t.Errorf("revoke unknown: %d %s", code, errOut)
	}
}

// TestKeysThroughARunningServer: while the server holds the store, keys go through its routes.
func TestKeysThroughARunningServer(t *testing.T) {
	db := filepath.Join(t.TempDir(), "kubus.db")
	_, out, _ := kubus(t, "", "keys", "create", "root", "--scope", "admin", "--store", db)
	admin := strings.TrimSpace(out)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	done := make(chan int)
	go func() {
		code, _, _ := kubus(t, "", "serve", "../examples/travel-insurance", "--store", db, "--addr", addr)
		done <- code
	}()
	url := "http://" + addr
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
	}
	t.Setenv("KUBUS_KEY", admin)
	code, out, errOut := kubus(t, "", "keys", "create", "app", "--scope", "execute:*", "--server", url)
	if code != 0 || !strings.Contains(out, `"key": "kbs_`) {
		t.Fatalf("create via server: %d %s %s", code, out, errOut)
	}
	if code, out, _ := kubus(t, "", "keys", "list", "--server", url); code != 0 || !strings.Contains(out, "app") {
		t.Errorf("list via server: %d %s", code, out)
	}
	// The CLI without --server cannot open the store the server holds.
	if code, _, errOut := kubus(t, "", "keys", "list", "--store", db); code == 0 || !strings.Contains(errOut, "in use") {
		t.Errorf("list while the server runs: %d %s", code, errOut)
	}
	// SIGTERM stops the server (serve listens for it) and closes the store.
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d after SIGTERM", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	if code, out, _ := kubus(t, "", "keys", "list", "--store", db); code != 0 || !strings.Contains(out, "app") {
		t.Errorf("list after the server stopped: %d %s", code, out)
	}
}

func TestServeFlags(t *testing.T) {
	for in, want := range map[string]int64{"1MiB": 1 << 20, "512KiB": 512 << 10, "1048576": 1 << 20, "2MB": 2e6, "1GiB": 1 << 30} {
		var b byteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("%s: %d %v, want %d", in, b, err, want)
		}
	}
	for _, bad := range []string{"", "0", "-1MiB", "1.5MiB", "lots", "MiB", "1 MiB"} {
		var b byteSize
		if err := b.Set(bad); err == nil {
			t.Errorf("%q accepted as %d", bad, b)
		}
	}
	// A folder that does not load: its problems, file and line, and exit 1 before listening.
	dir := t.TempDir()
	write(t, filepath.Join(dir, "ruleset.yaml"), "name: broken\nrules:\n  A: B + 1\n")
	code, _, errOut := kubus(t, "", "serve", dir, "--store", filepath.Join(t.TempDir(), "kubus.db"), "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "ruleset.yaml:3:") || !strings.Contains(errOut, "unknown name") {
		t.Errorf("serve of a broken folder: %d %s", code, errOut)
	}
}
