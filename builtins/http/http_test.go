package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
	kubushttp "github.com/kubusdev/kubus/builtins/http"
)

// echo answers what it received, as JSON.
func echo(w nethttp.ResponseWriter, r *nethttp.Request) {
	body, _ := io.ReadAll(r.Body)
	user, pass, _ := r.BasicAuth()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Add("X-Multi", "a")
	w.Header().Add("X-Multi", "b")
	_ = json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery,
		"type": r.Header.Get("Content-Type"), "body": string(body), "auth": r.Header.Get("Authorization"), "user": user, "pass": pass, "h": r.Header.Get("X-Test")})
}

func vmWith(t *testing.T, cfg kubushttp.Config, exec *builtins.Exec) *goja.Runtime {
	t.Helper()
	m, err := kubushttp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if exec == nil {
		exec = &builtins.Exec{Context: context.Background(), Deadline: time.Now().Add(10 * time.Second)}
	}
	vm, _ := builtinstest.NewVM(t, exec, m)
	return vm
}

func TestCalls(t *testing.T) {
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.URL.Path == "/missing" {
			w.WriteHeader(404)
			_, _ = w.Write([]byte("no such thing"))
			return
		}
		echo(w, r)
	}))
	defer srv.Close()
	vm := vmWith(t, kubushttp.Config{Allow: []string{"127.0.0.1"}}, nil)
	_ = vm.Set("U", srv.URL)
	for _, c := range []struct{ expr, want string }{
		{`Http.get(U + "/a", {query: {x: 1, y: "two words"}, headers: {"X-Test": "yes"}}).json`, `{"auth":"","body":"","h":"yes","method":"GET","pass":"","path":"/a","query":"x=1&y=two+words","type":"","user":""}`},
		{`[Http.get(U).status, Http.get(U).ok, Http.get(U).headers["x-multi"], typeof Http.get(U).body]`, `[200,true,"a, b","string"]`},
		{`[Http.get(U + "/missing").status, Http.get(U + "/missing").ok, Http.get(U + "/missing").body, Http.get(U + "/missing").json]`, `[404,false,"no such thing",null]`},
		{`(r => [r.method, r.type, r.body])(Http.post(U, {id: 42}).json)`, `["POST","application/json","{\"id\":42}"]`},
		{`(r => [r.method, r.type, r.body])(Http.put(U, "plain").json)`, `["PUT","text/plain; charset=utf-8","plain"]`},
		{`Http.patch(U, [1, 2]).json.body`, `"[1,2]"`},
		{`Http.delete(U).json.method`, `"DELETE"`},
		{`(r => [r.status, r.body])(Http.request({method: "head", url: U}))`, `[200,""]`},
		{`Http.request({method: "POST", url: U, json: "text as JSON"}).json.body`, `"\"text as JSON\""`},
		{`(r => [r.user, r.pass])(Http.get(U, {auth: {user: "ann", pass: "s3cret"}}).json)`, `["ann","s3cret"]`},
		{`Http.get(U, {auth: {bearer: "tok"}}).json.auth`, `"Bearer tok"`},
	} {
		if got := builtinstest.Eval(t, vm, "JSON.stringify("+c.expr+")"); got != c.want {
			t.Errorf("%s\n got  %v\n want %s", c.expr, got, c.want)
		}
	}
	for _, c := range []struct{ expr, want string }{
		{`Http.get("ftp://example.com/")`, "TypeError: Http.get: url must be an absolute http or https URL"},
		{`Http.get("/relative")`, "TypeError: Http.get: url must be an absolute http or https URL"},
		{`Http.get("http://ann:pw@example.com/")`, "TypeError: Http.get: the url carries credentials"},
		{`Http.get(U, {headers: {"X-A": "1\r\nX-Injected: 1"}})`, "TypeError: Http.get: options.headers.X-A contains a line break"},
		{`Http.get(U, {headers: {"X-Big": "x".repeat(10000)}})`, "RangeError: Http.get: options.headers.X-Big is longer than 8192 bytes"},
		{`Http.get(U, {retries: 9})`, "RangeError: Http.get: options.retries must be a whole number from 0 to 5"},
		{`Http.get(U, {timeout: -1})`, "TypeError: Http.get: options.timeout must be a positive number"},
		{`Http.request({method: "GET /x HTTP/1.1", url: U})`, "TypeError: Http.request: request.method must be an HTTP method"},
		{`Http.get()`, "TypeError: Http.get: url is required"},
	} {
		if got := fmt.Sprint(builtinstest.Eval(t, vm, c.expr)); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s\n got  %v\n want %s…", c.expr, got, c.want)
		}
	}
}

func TestModuleDocumented(t *testing.T) {
	m, _ := kubushttp.New(kubushttp.Config{})
	vm := vmWith(t, kubushttp.Config{}, nil)
	var fns []builtins.Fn
	for _, e := range m.Reference() {
		name := strings.TrimPrefix(e.Qualified, "Http.")
		fns = append(fns, builtins.Fn{Name: name, Signature: e.Signature, Doc: e.Doc, Example: e.Example})
	}
	typings := m.Typings()
	for _, f := range fns {
		if !strings.Contains(typings, "  "+f.Name+f.Signature+";") || f.Doc == "" || !strings.Contains(f.Example, " // ") {
			t.Errorf("%s is not declared and documented", f.Name)
		}
		if got := builtinstest.Eval(t, vm, "typeof Http."+f.Name); got != "function" {
			t.Errorf("Http.%s is %v", f.Name, got)
		}
	}
	if len(fns) != 6 || !strings.Contains(typings, "declare const Http: HttpModule;") {
		t.Errorf("%d functions; typings:\n%s", len(fns), typings)
	}
}

// TestAddressCheck: the default configuration reaches public addresses only.
func TestAddressCheck(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) { hits.Add(1) }))
	defer srv.Close()
	vm := vmWith(t, kubushttp.Config{}, nil)
	_ = vm.Set("U", srv.URL)
	for _, c := range []struct{ expr, want string }{
		{`Http.get(U)`, "is loopback"},
		{`Http.get("http://169.254.169.254/latest/meta-data/")`, "is the cloud metadata service"},
		{`Http.get("http://[::ffff:127.0.0.1]:1/")`, "is loopback"},
		{`Http.get("http://10.0.0.1/")`, "is private"},
	} {
		got := fmt.Sprint(builtinstest.Eval(t, vm, c.expr))
		if !strings.HasPrefix(got, "Error: Http.get: GET ") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %s", c.expr, got)
		}
	}
	if got := builtinstest.Eval(t, vm, `(() => { try { Http.get(U) } catch (e) { return e.details.kind + " " + e.details.method } })()`); got != "refused GET" {
		t.Errorf("details: %v", got)
	}
	if hits.Load() != 0 {
		t.Errorf("the server was reached %d times", hits.Load())
	}
}

func TestRedirects(t *testing.T) {
	target := httptest.NewServer(nethttp.HandlerFunc(echo))
	defer target.Close()
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		switch r.URL.Path {
		case "/ok":
			nethttp.Redirect(w, r, target.URL+"/landed", nethttp.StatusFound)
		case "/metadata":
			nethttp.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", nethttp.StatusFound)
		default:
			nethttp.Redirect(w, r, r.URL.Path, nethttp.StatusFound) // forever
		}
	}))
	defer srv.Close()
	vm := vmWith(t, kubushttp.Config{Allow: []string{"127.0.0.1"}}, nil)
	_ = vm.Set("U", srv.URL)
	if got := builtinstest.Eval(t, vm, `Http.get(U + "/ok").json.path`); got != "/landed" {
		t.Errorf("redirect: %v", got)
	}
	if got := fmt.Sprint(builtinstest.Eval(t, vm, `Http.get(U + "/metadata")`)); !strings.Contains(got, "the cloud metadata service") {
		t.Errorf("redirect to metadata: %s", got)
	}
	if got := fmt.Sprint(builtinstest.Eval(t, vm, `Http.get(U + "/loop")`)); !strings.Contains(got, "redirect") {
		t.Errorf("redirect loop: %s", got)
	}
}

// TestHostileServers: a huge response, a server that never answers, a slow-loris body; each ends
// as a clear error within its bound.
func TestHostileServers(t *testing.T) {
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		switch r.URL.Path {
		case "/huge":
			chunk := strings.Repeat("x", 64<<10)
			for i := 0; i < 1<<14 && r.Context().Err() == nil; i++ { // 1 GiB if read whole
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
		case "/silent":
			<-r.Context().Done()
		case "/drip":
			w.WriteHeader(200)
			for r.Context().Err() == nil {
				_, _ = w.Write([]byte("x"))
				w.(nethttp.Flusher).Flush()
				time.Sleep(50 * time.Millisecond)
			}
		}
	}))
	defer srv.Close()
	exec := &builtins.Exec{Context: context.Background(), Deadline: time.Now().Add(time.Hour)}
	vm := vmWith(t, kubushttp.Config{Allow: []string{"127.0.0.1"}, MaxResponseBytes: 1 << 20, Timeout: 2 * time.Second}, exec)
	_ = vm.Set("U", srv.URL)
	for _, c := range []struct {
		expr, want string
		within     time.Duration
	}{
		{`Http.get(U + "/huge")`, "the response is more than 1048576 bytes", 5 * time.Second},
		{`Http.get(U + "/silent", {timeout: 200})`, "no answer in time", time.Second},
		{`Http.get(U + "/drip", {timeout: 300})`, "no answer in time", time.Second},
	} {
		start := time.Now()
		got := fmt.Sprint(builtinstest.Eval(t, vm, c.expr))
		if !strings.Contains(got, c.want) || time.Since(start) > c.within {
			t.Errorf("%s: %s after %v", c.expr, got, time.Since(start))
		}
	}
	// The execution's deadline bounds a call whose own timeout is longer.
	exec.Deadline = time.Now().Add(300 * time.Millisecond)
	start := time.Now()
	if got := fmt.Sprint(builtinstest.Eval(t, vm, `Http.get(U + "/silent", {timeout: 60000})`)); !strings.Contains(got, "no answer in time") || time.Since(start) > 2*time.Second {
		t.Errorf("deadline: %s after %v", got, time.Since(start))
	}
	// A canceled execution ends its call.
	ctx, cancel := context.WithCancel(context.Background())
	exec.Context, exec.Deadline = ctx, time.Now().Add(time.Hour)
	time.AfterFunc(200*time.Millisecond, cancel)
	if got := fmt.Sprint(builtinstest.Eval(t, vm, `Http.get(U + "/silent")`)); !strings.Contains(got, "the execution ended") {
		t.Errorf("canceled: %s", got)
	}
}

func TestRetriesAndCallCap(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.URL.Path == "/flaky" && n.Add(1)%3 != 0 {
			w.WriteHeader(503)
			return
		}
		w.WriteHeader(200)
	}))
	defer srv.Close()
	exec := &builtins.Exec{Context: context.Background(), Deadline: time.Now().Add(time.Hour), Serial: 1}
	vm := vmWith(t, kubushttp.Config{Allow: []string{"127.0.0.1"}, MaxCalls: 4}, exec)
	_ = vm.Set("U", srv.URL)
	if got := builtinstest.Eval(t, vm, `Http.get(U + "/flaky", {retries: 2}).status`); got != int64(200) || n.Load() != 3 {
		t.Errorf("get with retries: %v after %d tries", got, n.Load())
	}
	n.Store(0)
	if got := builtinstest.Eval(t, vm, `Http.post(U + "/flaky", {}, {retries: 2}).status`); got != int64(503) || n.Load() != 1 {
		t.Errorf("post is not retried: %v after %d tries", got, n.Load())
	}
	builtinstest.Eval(t, vm, `Http.get(U)`)
	builtinstest.Eval(t, vm, `Http.get(U)`)
	if got := fmt.Sprint(builtinstest.Eval(t, vm, `Http.get(U)`)); !strings.Contains(got, "more than 4 HTTP calls in one execution") {
		t.Errorf("cap: %s", got)
	}
	exec.Serial = 2 // the next execution counts from zero
	if got := builtinstest.Eval(t, vm, `Http.get(U).status`); got != int64(200) {
		t.Errorf("next execution: %v", got)
	}
}

// TestSecretsStayOut: neither the password of options.auth nor a token in the query reaches an error.
func TestSecretsStayOut(t *testing.T) {
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		hj, _ := w.(nethttp.Hijacker)
		c, _, _ := hj.Hijack()
		c.Close() // drop the connection: a network error
	}))
	defer srv.Close()
	vm := vmWith(t, kubushttp.Config{Allow: []string{"127.0.0.1"}}, nil)
	_ = vm.Set("U", srv.URL)
	got := fmt.Sprint(builtinstest.Eval(t, vm, `(() => { try { Http.get(U + "/x?token=tok-SECRET", {auth: {user: "ann", pass: "pw-SECRET"}}) } catch (e) { return e.message + JSON.stringify(e.details) } })()`))
	if strings.Contains(got, "SECRET") || !strings.Contains(got, "Http.get: GET 127.0.0.1") {
		t.Errorf("error text: %s", got)
	}
}
