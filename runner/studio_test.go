package main

import (
	"bufio"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestStudioCommand starts `kubus studio` as a user would, follows the printed one-time link, and
// uses the session it gives; a broken folder does not stop the studio, and a second use of the
// link is refused.
func TestStudioCommand(t *testing.T) {
	bin := kubusBinary(t)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "broken", "ruleset.yaml"), "name: broken\nversion: 1.0.0\ninputs:\n  A: {type: nonsense}\n")
	cmd := exec.Command(bin, "studio", "../examples/travel-insurance", filepath.Join(dir, "broken"), "--addr", "127.0.0.1:0", "--store", filepath.Join(dir, "kubus.db"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		re := regexp.MustCompile(`http://127\.0\.0\.1:\d+/studio/signin\?token=\S+`)
		for sc.Scan() {
			if m := re.FindString(sc.Text()); m != "" {
				found <- m
				break
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	var link string
	select {
	case link = <-found:
	case <-time.After(30 * time.Second):
		t.Fatalf("kubus studio printed no sign-in link; stderr: %s", stderr.String())
	}

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// A page whose name was rebound to 127.0.0.1 addresses the studio by that name: refused, and
	// the link stays unused.
	rebound, _ := http.NewRequest("GET", link, nil)
	rebound.Host = "rebound.example"
	if r, err := client.Do(rebound); err != nil {
		t.Fatal(err)
	} else {
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusMisdirectedRequest || !strings.Contains(string(body), "urn:kubus:problem:misdirected") {
			t.Fatalf("the sign-in link for Host rebound.example answered %d %s", r.StatusCode, body)
		}
	}
	resp, err := client.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) == 0 {
		t.Fatalf("the sign-in link answered %d with cookies %v", resp.StatusCode, resp.Cookies())
	}
	base := link[:strings.Index(link, "/studio/")]
	req, _ := http.NewRequest("GET", base+"/api/studio/rulesets", nil)
	req.AddCookie(resp.Cookies()[0])
	r2, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if r2.StatusCode != 200 || !strings.Contains(string(body), `"travel-insurance"`) || !strings.Contains(string(body), `"failed"`) {
		t.Fatalf("GET /api/studio/rulesets with the session: %d %s", r2.StatusCode, body)
	}
	for host, want := range map[string]int{"localhost": 200, "[::1]:80": 200, "evil.example:80": 421, "127.0.0.1.nip.io": 421} {
		req, _ := http.NewRequest("GET", base+"/api/studio/rulesets", nil)
		req.Host = host
		req.AddCookie(resp.Cookies()[0])
		r, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != want {
			t.Errorf("GET /api/studio/rulesets for Host %s: %d, want %d", host, r.StatusCode, want)
		}
	}
	again, err := client.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	again.Body.Close()
	if again.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a second use of the link answered %d", again.StatusCode)
	}
	if strings.Contains(stderr.String(), `"level":"INFO"`) {
		t.Errorf("kubus studio logs every request to the terminal: %s", stderr.String())
	}
}

func TestStudioListensOnLoopbackOnly(t *testing.T) {
	out, err := exec.Command(kubusBinary(t), "studio", "../examples/travel-insurance", "--addr", "0.0.0.0:0", "--store", filepath.Join(t.TempDir(), "kubus.db")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "loopback") {
		t.Fatalf("kubus studio on 0.0.0.0: %v %s", err, out)
	}
}
