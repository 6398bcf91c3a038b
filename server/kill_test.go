package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kubusdev/kubus/store"
)

// TestSIGKILLLosesNoAcknowledgedWrite runs the real binary, registers people through it from
// several clients, kills it with SIGKILL mid-load, and finds every registration it answered 200 for
// in the store; a restarted server serves them.
func TestSIGKILLLosesNoAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the kubus binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "kubus")
	build := exec.Command("go", "build", "-o", bin, "../runner")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building kubus: %v\n%s", err, out)
	}
	dbPath := filepath.Join(dir, "kubus.db")
	keyOut, err := exec.Command(bin, "keys", "create", "kill", "--scope", "execute:*", "--store", dbPath).Output()
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(keyOut))

	start := func() (*exec.Cmd, string) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cmd := exec.Command(bin, "serve", "../examples/people-register", "--store", dbPath, "--addr", addr)
		var logs bytes.Buffer
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return cmd, "http://" + addr
				}
			}
		}
		_ = cmd.Process.Kill()
		t.Fatalf("the server did not become ready: %s", logs.String())
		return nil, ""
	}
	register := func(url, name string) (bool, error) {
		body := fmt.Sprintf(`{"input": {"Action": "register", "Name": %q, "Birthdate": "1990-01-01"}}`, name)
		req, _ := http.NewRequest("POST", url+"/api/rulesets/people-register/execute", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		var res struct {
			Output map[string]any `json:"output"`
		}
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&res) != nil {
			return false, fmt.Errorf("status %d", resp.StatusCode)
		}
		return res.Output["Registered"] == true, nil
	}

	cmd, url := start()
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for c := 0; c < 6; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("client%d-person%d", c, i)
				ok, err := register(url, name)
				if err != nil {
					return // the server is gone
				}
				if ok {
					mu.Lock()
					acked = append(acked, name)
					mu.Unlock()
				}
			}
		}()
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 60 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(stop)
	wg.Wait()

	st, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := st.Begin().Find(store.Kind{Ruleset: "people-register", Entity: "Person"}, store.Query{})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, r := range recs {
		stored[fmt.Sprint(r.Props["Name"])] = true
	}
	mu.Lock()
	defer mu.Unlock()
	for _, name := range acked {
		if !stored[name] {
			t.Errorf("acknowledged registration %s is not in the store", name)
		}
	}
	t.Logf("%d acknowledged, %d stored", len(acked), len(recs))

	cmd, url = start()
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	if ok, err := register(url, acked[0]); err != nil || ok {
		t.Errorf("after the restart, %s is not known as registered: %v %v", acked[0], ok, err)
	}
	_ = os.Remove(bin)
}
