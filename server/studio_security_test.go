package server

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// One key that signs in over and over must not push the other keys' sessions out.
func TestStudioSessionsOfOneKeyAreBounded(t *testing.T) {
	var tick atomic.Int64
	clock := func() time.Time { return testNow.Add(time.Duration(tick.Add(1)) * time.Millisecond) }
	ss := newStudioServer(t, false, nil, func(c *Config) { c.Now = clock })
	s := ss.srv
	keyOf := func(string) *http.Request { return httptest.NewRequest("POST", "/studio/session", nil) }
	admin, _ := s.keys.check(ss.keys["admin"], clock())
	reader, _ := s.keys.check(ss.keys["reader"], clock())
	if admin == nil || reader == nil {
		t.Fatal("no test keys")
	}
	w := httptest.NewRecorder()
	s.newSession(w, keyOf("admin"), admin, false)
	adminCookie := w.Result().Cookies()[0].Value
	for i := 0; i < maxSessions+10; i++ {
		s.newSession(httptest.NewRecorder(), keyOf("reader"), reader, false)
	}
	req := httptest.NewRequest("GET", "/api/keys", nil)
	req.AddCookie(&http.Cookie{Name: studioCookie, Value: adminCookie})
	if k, _, why := s.sessionKey(req); k == nil || k.ID != admin.ID {
		t.Fatalf("the admin's session was pushed out by another key's sign-ins (%s)", why)
	}
	st := s.studioState()
	st.mu.Lock()
	n := len(st.sessions)
	st.mu.Unlock()
	if n > maxSessionsPerKey+1 {
		t.Fatalf("%d sessions for two keys", n)
	}
}

// Signing in again ends the session the browser presented.
func TestStudioSignInEndsThePreviousSession(t *testing.T) {
	ss := newStudioServer(t, false, nil, nil)
	status, h, _ := ss.do("POST", "/studio/session", "", map[string]string{"key": ss.keys["admin"]})
	if status != 200 {
		t.Fatal(status)
	}
	old := strings.SplitN(strings.TrimPrefix(h.Get("Set-Cookie"), studioCookie+"="), ";", 2)[0]
	status, h, _ = ss.do("POST", "/studio/session", "", map[string]string{"key": ss.keys["exec"]}, "Cookie", studioCookie+"="+old)
	if status != 200 || !strings.Contains(h.Get("Set-Cookie"), studioCookie+"=") {
		t.Fatal(status)
	}
	if status, _, _ := ss.do("GET", "/studio/session", "", nil, "Cookie", studioCookie+"="+old); status != 401 {
		t.Fatalf("the session before the new sign-in still works: %d", status)
	}
}

// Every answer under /studio/ — errors, 405s, redirects — carries the studio's CSP.
func TestStudioErrorAnswersHaveTheCSP(t *testing.T) {
	ss := newStudioServer(t, false, nil, nil)
	link, err := ss.srv.LocalSignIn("t", []string{"admin"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ method, path string }{
		{"POST", "/studio/index.html"},
		{"PUT", "/studio/session"},
		{"GET", "/studio/session"},
		{"GET", "/studio/signin?token=nope"},
		{"GET", link},
		{"GET", "/studio/x.md"},
	} {
		req, _ := http.NewRequest(c.method, ss.http.URL+c.path, nil)
		client := *ss.http.Client()
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if csp := resp.Header.Get("Content-Security-Policy"); csp != studioCSP || resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s %s (%d): CSP %q", c.method, c.path, resp.StatusCode, csp)
		}
	}
}

// kubus.yaml is the process's configuration in any case: on a case-insensitive file system
// KUBUS.YAML is that file.
func TestStudioPathRefusesTheConfigInAnyCase(t *testing.T) {
	for _, p := range []string{"kubus.yaml", "KUBUS.YAML", "Kubus.yaml", "kubus.YML"} {
		if _, prob := studioPath(p); prob == nil {
			t.Errorf("%s is accepted", p)
		}
	}
	if _, prob := studioPath("rules/kubus.yaml"); prob != nil {
		t.Errorf("rules/kubus.yaml: %v", prob.Detail)
	}
}

// A file replaced by a symlink between its check and its read is not read through the link.
func TestStudioReadRefusesAFileSwappedForASymlink(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "kubus.yaml"), "connections: {db: {password: secret}}\n")
	writeFile(t, filepath.Join(dir, "tests", "a.yaml"), "testcases: []\n")
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	checked, err := root.Lstat("tests/a.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The swap: after the check, before the read.
	if err := os.Remove(filepath.Join(dir, "tests", "a.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../kubus.yaml", filepath.Join(dir, "tests", "a.yaml")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	data, err := readBounded(root, "tests/a.yaml", studioMaxFile, checked)
	if !errors.Is(err, errReplaced) || strings.Contains(string(data), "secret") {
		t.Fatalf("read %q, %v", data, err)
	}
	if data, err := readBounded(root, "kubus.yaml", studioMaxFile, checked); err == nil {
		t.Fatalf("another file than the one checked was read: %q", data)
	}
}

// A session ends after sessionIdle without a request, and a stored key's session sessionLife
// after its sign-in however busy it is; `kubus studio`'s own key's session lasts while it is used.
func TestStudioSessionsEnd(t *testing.T) {
	var mu sync.Mutex
	now := testNow.Add(2 * time.Hour)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	ss := newStudioServer(t, false, nil, func(c *Config) { c.Now = clock })
	signIn := func() string {
		t.Helper()
		status, h, _ := ss.do("POST", "/studio/session", "", map[string]string{"key": ss.keys["admin"]})
		if status != 200 {
			t.Fatal(status)
		}
		return studioCookie + "=" + strings.SplitN(strings.TrimPrefix(h.Get("Set-Cookie"), studioCookie+"="), ";", 2)[0]
	}
	local := func() string {
		t.Helper()
		link, err := ss.srv.LocalSignIn("t", []string{"admin"})
		if err != nil {
			t.Fatal(err)
		}
		client := *ss.http.Client()
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := client.Get(ss.http.URL + link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return studioCookie + "=" + resp.Cookies()[0].Value
	}
	works := func(cookie string) bool {
		status, _, _ := ss.do("GET", "/studio/session", "", nil, "Cookie", cookie)
		return status == 200
	}

	idle := signIn()
	advance(sessionIdle + time.Minute)
	if works(idle) {
		t.Error("a session idle for longer than sessionIdle still works")
	}

	busy, mine := signIn(), local()
	for elapsed := time.Duration(0); elapsed < sessionLife; elapsed += time.Hour {
		if !works(busy) || !works(mine) {
			t.Fatalf("a session in use ended after %s", elapsed)
		}
		advance(time.Hour)
	}
	advance(time.Minute)
	if works(busy) {
		t.Error("a stored key's session still works after sessionLife")
	}
	if !works(mine) {
		t.Error("kubus studio's session ended while in use")
	}
}
