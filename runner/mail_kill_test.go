package main

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
	"syscall"
	"testing"
	"time"

	"github.com/kubusdev/kubus/builtins/mail/smtptest"
)

// TestMailOutboxSurvivesKill: the outbox's promise, with the real binary and a real SMTP server.
// An execution that queues a mail and then fails sends nothing. One that commits sends exactly
// once, even when the SMTP server fails the first two attempts and kubus serve is SIGKILLed
// between the commit and the delivery: the restarted server's outbox resumes. A `kubus run` that
// commits delivers before it exits.
func TestMailOutboxSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the kubus binary")
	}
	bin := kubusBinary(t)
	smtp := smtptest.Start(t, smtptest.Options{FailFirst: 2})
	host, port, _ := net.SplitHostPort(smtp.Addr)
	dir := t.TempDir()
	db := filepath.Join(dir, "kubus.db")
	write(t, filepath.Join(dir, "rs", "ruleset.yaml"), `name: offer-mail
inputs:
  Fail: {type: boolean, default: false}
rules:
  Queued: |
    const q = Mail.queue("default", {from: "kubus@bank.example", to: "anna@example.nl", subject: "Je offerte", text: "Maandlast € 1.467,05"});
    if (Fail) throw new Error("failed after queueing");
    return q.id;
`)
	config := filepath.Join(dir, "kubus.yaml")
	write(t, config, fmt.Sprintf("connections:\n  test:\n    allow: [127.0.0.1]\n    mail:\n      default: {host: %s, port: %s, tls: none, timeout: 2s}\n", host, port))
	write(t, filepath.Join(dir, "fail.json"), `{"Fail": true}`)
	write(t, filepath.Join(dir, "ok.json"), `{}`)
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	outbox := func() []map[string]any {
		out, err := run("mail", "list", "--json", "--store", db)
		if err != nil {
			t.Fatalf("mail list: %v\n%s", err, out)
		}
		var msgs []map[string]any
		if err := json.Unmarshal([]byte(out), &msgs); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return msgs
	}

	// 1. A failed execution queues nothing, so nothing is ever sent.
	if out, err := run("run", "rs", "--input", "fail.json", "--store", db, "--config", config); err == nil || !strings.Contains(out, "failed after queueing") {
		t.Fatalf("the failing run: %v\n%s", err, out)
	}
	if msgs := outbox(); len(msgs) != 0 || smtp.Transactions() != 0 {
		t.Fatalf("after a failed execution: outbox %v, %d transactions", msgs, smtp.Transactions())
	}

	// 2. kubus serve commits an execution that queues; its first delivery fails (451); it is killed.
	keyOut, err := exec.Command(bin, "keys", "create", "ci", "--scope", "execute:*", "--scope", "admin", "--store", db).Output()
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(keyOut))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	serve := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "rs", "--store", db, "--config", config, "--addr", addr)
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return cmd
				}
			}
			if i > 300 {
				t.Fatal("kubus serve did not get ready")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	srv := serve()
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/rulesets/offer-mail/execute", bytes.NewReader([]byte(`{"input": {}}`)))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("execute: %v %v", resp, err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for smtp.Transactions() < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// Kill once the failed attempt is recorded (queued again, its retry a second away), so the kill
	// lands between the commit and the delivery, not inside an attempt (whose lease would hold it).
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/mail/outbox", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			var body struct{ Items []map[string]any }
			_ = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if len(body.Items) == 1 && body.Items[0]["state"] == "queued" && body.Items[0]["attempts"] == 1.0 {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = srv.Process.Signal(syscall.SIGKILL)
	_ = srv.Wait()
	if n := smtp.Transactions(); n != 1 || len(smtp.Messages()) != 0 {
		t.Fatalf("before the kill: %d transactions, %d messages", n, len(smtp.Messages()))
	}
	if msgs := outbox(); len(msgs) != 1 || msgs[0]["state"] == "sent" {
		t.Fatalf("after the kill the message waits: %v", msgs)
	}

	// 3. The restarted server's outbox delivers it: the second attempt fails too, the third lands.
	srv = serve()
	got := smtp.WaitMessages(1, 20*time.Second)
	time.Sleep(2 * time.Second) // no second copy follows
	_ = srv.Process.Signal(syscall.SIGTERM)
	_ = srv.Wait()
	if len(got) != 1 || len(smtp.Messages()) != 1 || smtp.Transactions() != 3 {
		t.Fatalf("after the restart: %d messages, %d transactions", len(smtp.Messages()), smtp.Transactions())
	}
	if msgs := outbox(); len(msgs) != 1 || msgs[0]["state"] != "sent" || msgs[0]["attempts"] != 3.0 {
		t.Fatalf("the outbox: %v", msgs)
	}

	// 4. kubus run delivers what it committed before it exits.
	if out, err := run("run", "rs", "--input", "ok.json", "--store", db, "--config", config); err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	if n := len(smtp.Messages()); n != 2 {
		t.Errorf("after kubus run: %d messages, want 2", n)
	}
	if !strings.Contains(string(smtp.Messages()[0].Raw), "Je offerte") {
		t.Errorf("message: %s", smtp.Messages()[0].Raw)
	}
	_ = os.Remove(db)
}
