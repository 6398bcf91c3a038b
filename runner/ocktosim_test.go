package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubusdev/kubus/builtins/ockto"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestOcktoSimCommand(t *testing.T) {
	file := filepath.Join(t.TempDir(), "scenarios.yaml")
	if err := os.WriteFile(file, []byte("quick:\n  base: happy\n  description: Data at the first poll.\n  statuses: [created, dataAvailable]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut lockedBuffer
	cmd := newOcktoSimCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"--addr", "127.0.0.1:0", "--scenarios", file})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()

	var url string
	re := regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`)
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		url = re.FindString(out.String())
	}
	if url == "" {
		cancel()
		t.Fatalf("no address printed: %q %q", out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "quick         Data at the first poll.") || !strings.Contains(out.String(), "no-scan") {
		t.Errorf("scenario list: %s", out.String())
	}

	c, err := ockto.NewClient(ockto.Config{Endpoint: url, Username: "sim", Password: "sim", ProviderCode: "SIM", Timeout: 2 * time.Second, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartSession(ctx, ockto.StartRequest{SessionID: "cli-1", TestCaseID: "quick", ConsentCode: "001"}); err != nil {
		t.Fatal(err)
	}
	if s, err := c.GetStatus(ctx, "cli-1"); err != nil || s != "dataAvailable" {
		t.Fatalf("status %q, %v", s, err)
	}
	if _, err := c.GetResult(ctx, "cli-1"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "GET /sessions/cli-1/status") || strings.Contains(errOut.String(), "sim:sim") {
		t.Errorf("request log: %s", errOut.String())
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the simulator did not stop")
	}

	// A bad scenarios file is a clear error.
	bad := newOcktoSimCmd()
	bad.SetOut(&out)
	bad.SetErr(&errOut)
	bad.SetArgs([]string{"--addr", "127.0.0.1:0", "--scenarios", filepath.Join(t.TempDir(), "missing.yaml")})
	if err := bad.Execute(); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("missing file: %v", err)
	}
}
