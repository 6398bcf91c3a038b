package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// studioCookieOf signs in with a key through POST /studio/session and answers the cookie and the
// CSRF token.
func studioSignIn(t *testing.T, d *dataServer, key string) (cookie, csrf string) {
	t.Helper()
	r := d.do("POST", "/studio/session", "", map[string]string{"key": d.keys[key]}).want(t, 200)
	var sess struct {
		Key  struct{ ID, Name string }
		CSRF string
	}
	if err := json.Unmarshal(r.Body, &sess); err != nil {
		t.Fatal(err)
	}
	if sess.Key.Name != key || len(sess.CSRF) < 40 {
		t.Fatalf("session answer %s", r.Body)
	}
	set := r.Header.Get("Set-Cookie")
	for _, want := range []string{"kubus_studio=", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(set, want) {
			t.Fatalf("Set-Cookie %q lacks %s", set, want)
		}
	}
	return strings.SplitN(strings.TrimPrefix(set, "kubus_studio="), ";", 2)[0], sess.CSRF
}

func TestStudioSessionCookieAndCSRF(t *testing.T) {
	d := newDataTestServer(t, []string{"../examples/people-register"}, nil)
	cookie, csrf := studioSignIn(t, d, "people")
	ck := "kubus_studio=" + cookie
	person := map[string]any{"Name": "Ada", "Birthdate": "1990-01-01"}

	// A read with the cookie works with the key's scopes, and only those.
	d.do("GET", "/api/rulesets", "", nil, "Cookie", ck).want(t, 200)
	d.do("GET", "/api/keys", "", nil, "Cookie", ck).want(t, 403)
	d.do("GET", "/studio/session", "", nil, "Cookie", ck).want(t, 200)

	// A change needs the token: missing and wrong are refused and write nothing.
	for _, hdr := range [][]string{{"Cookie", ck}, {"Cookie", ck, "X-Kubus-CSRF", "wrong"}, {"Cookie", ck, "X-Kubus-CSRF", csrf + "x"}} {
		p := d.do("POST", "/api/rulesets/people-register/entities/Person", "", person, hdr...).want(t, 403).problem(t)
		if p.Type != "urn:kubus:problem:csrf" {
			t.Fatalf("problem %+v", p)
		}
	}
	if items := d.do("GET", "/api/rulesets/people-register/entities/Person", "people", nil).want(t, 200).obj(t)["items"].([]any); len(items) != 0 {
		t.Fatalf("a refused change wrote %v", items)
	}
	d.do("POST", "/api/rulesets/people-register/entities/Person", "", person, "Cookie", ck, "X-Kubus-CSRF", csrf).want(t, 201)

	// A key header wins over the cookie and needs no token (API clients are not browsers).
	d.do("POST", "/api/rulesets/people-register/entities/Person", "people", person, "Cookie", ck).want(t, 201)

	// A wrong key does not sign in; a made-up cookie is not a session.
	d.do("POST", "/studio/session", "", map[string]string{"key": "kbs_nope"}).want(t, 401)
	d.do("POST", "/studio/session", "", "key=x", "Content-Type", "application/x-www-form-urlencoded").want(t, 415)
	d.do("GET", "/api/rulesets", "", nil, "Cookie", "kubus_studio=forged").want(t, 401)

	// Revoking the key ends its sessions.
	id := d.do("GET", "/studio/session", "", nil, "Cookie", ck).want(t, 200).obj(t)["key"].(map[string]any)["id"].(string)
	d.do("DELETE", "/api/keys/"+id, "admin", nil).want(t, 200)
	d.do("GET", "/api/rulesets", "", nil, "Cookie", ck).want(t, 401)
	d.do("GET", "/studio/session", "", nil, "Cookie", ck).want(t, 401)
}

func TestStudioSignOut(t *testing.T) {
	d := newDataTestServer(t, []string{"../examples/people-register"}, nil)
	cookie, csrf := studioSignIn(t, d, "any")
	ck := "kubus_studio=" + cookie
	d.do("DELETE", "/studio/session", "", nil, "Cookie", ck).want(t, 403)
	r := d.do("DELETE", "/studio/session", "", nil, "Cookie", ck, "X-Kubus-CSRF", csrf).want(t, 204)
	if !strings.Contains(r.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("sign-out does not clear the cookie: %q", r.Header.Get("Set-Cookie"))
	}
	d.do("GET", "/api/rulesets", "", nil, "Cookie", ck).want(t, 401)
}

func TestStudioOneTimeSignIn(t *testing.T) {
	d := newDataTestServer(t, []string{"../examples/people-register"}, nil)
	link, err := d.srv.LocalSignIn("kubus studio", []string{"admin", "execute:*", "entities:*"})
	if err != nil {
		t.Fatal(err)
	}
	noRedirect := *d.client
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	get := func(path string) *http.Response {
		resp, err := noRedirect.Get(d.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := get(link)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/studio/" {
		t.Fatalf("sign-in link: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == "kubus_studio" && c.HttpOnly && c.SameSite == http.SameSiteStrictMode {
			cookie = c.Value
		}
	}
	if cookie == "" {
		t.Fatalf("no session cookie: %v", resp.Header["Set-Cookie"])
	}
	d.do("GET", "/api/keys", "", nil, "Cookie", "kubus_studio="+cookie).want(t, 200)
	// The link works once.
	if again := get(link); again.StatusCode != 401 {
		t.Fatalf("a used link answered %d", again.StatusCode)
	}
	if bad := get("/studio/signin?token=" + url.QueryEscape("x")); bad.StatusCode != 401 {
		t.Fatalf("a made-up token answered %d", bad.StatusCode)
	}
}

func TestStudioPagesHaveAStrictCSP(t *testing.T) {
	d := newDataTestServer(t, []string{"../examples/people-register"}, nil)
	for _, c := range []struct {
		path, ctype string
		status      int
	}{
		{"/studio/", "text/html", 200},
		{"/studio/rulesets/anything", "text/html", 200},
		{"/studio/index.html", "text/html", 200},
		{"/studio/nope.js", "", 404},
		{"/studio/../go.mod", "", 404},
		{"/studio/CONTRACT.md", "", 404},
	} {
		r := d.do("GET", c.path, "", nil)
		if r.Status != c.status {
			t.Errorf("%s: %d, want %d", c.path, r.Status, c.status)
			continue
		}
		if c.status != 200 {
			continue
		}
		csp := r.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %s", c.path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q allows unsafe code", c.path, csp)
		}
		if !strings.HasPrefix(r.Header.Get("Content-Type"), c.ctype) || r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", c.path, r.Header)
		}
		etag := r.Header.Get("ETag")
		d.do("GET", c.path, "", nil, "If-None-Match", etag).want(t, 304)
	}
	if r := d.do("GET", "/studio", "", nil); r.Status != 200 { // the client follows the redirect
		t.Errorf("/studio: %d", r.Status)
	}
}
