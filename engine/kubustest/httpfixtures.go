package kubustest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	kubushttp "github.com/kubusdev/kubus/builtins/http"
	"github.com/kubusdev/kubus/rulesets"
)

// A testcase's `http:` fixtures are served by a real server on 127.0.0.1 for that testcase alone.
// The execution's Http calls go to it through a transport that keeps the URL the rule asked for
// (in a header), so a fixture matches on what the rule wrote, and no call leaves the machine.

const originalURLHeader = "X-Kubus-Fixture-Url"

// httpFixtures is a testcase's fixture server and what it could not answer.
type httpFixtures struct {
	fixtures []*rulesets.HTTPFixture
	once     sync.Once
	srv      *httptest.Server
	mu       sync.Mutex
	missing  []string // "METHOD URL" of each call no fixture answered
}

// httpFixturesOf is a testcase's fixtures; the server starts at the first call (most testcases
// make none). A testcase without fixtures still gets one: its calls fail, naming what they asked.
func httpFixturesOf(fixtures []*rulesets.HTTPFixture) *httpFixtures {
	return &httpFixtures{fixtures: fixtures}
}

func (hf *httpFixtures) start() {
	fixtures := hf.fixtures
	hf.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orig := r.Header.Get(originalURLHeader)
		for _, f := range fixtures {
			if !f.Matches(r.Method, orig) {
				continue
			}
			if f.Delay != nil {
				d := f.Delay.AddTo(time.Now(), time.UTC).Sub(time.Now())
				select {
				case <-time.After(d):
				case <-r.Context().Done():
					return
				}
			}
			for k, v := range f.Headers {
				w.Header().Set(k, v)
			}
			body := []byte(f.Body)
			if f.HasJSON {
				body, _ = json.Marshal(rulesets.Plain(f.JSON))
				if w.Header().Get("Content-Type") == "" {
					w.Header().Set("Content-Type", "application/json")
				}
			}
			w.WriteHeader(f.Status)
			_, _ = w.Write(body)
			return
		}
		hf.mu.Lock()
		hf.missing = append(hf.missing, r.Method+" "+orig)
		hf.mu.Unlock()
		w.Header().Set("X-Kubus-No-Fixture", "1")
		w.WriteHeader(http.StatusNotImplemented)
	}))
}

func (hf *httpFixtures) Close() {
	hf.once.Do(func() {}) // a call that starts now finds the server never started
	if hf.srv != nil {
		hf.srv.Close()
	}
}

// unanswered lists the calls no fixture answered.
func (hf *httpFixtures) unanswered() []string {
	hf.mu.Lock()
	defer hf.mu.Unlock()
	return append([]string(nil), hf.missing...)
}

// RoundTrip sends a call to the fixture server, the URL the rule asked for in a header; a call no
// fixture answers is an error naming it, so the rule cannot take it for a real answer.
func (hf *httpFixtures) RoundTrip(req *http.Request) (*http.Response, error) {
	hf.once.Do(hf.start)
	if hf.srv == nil {
		return nil, &kubushttp.NoFixture{Method: req.Method, URL: req.URL.String()}
	}
	target, _ := url.Parse(hf.srv.URL)
	out := req.Clone(req.Context())
	out.Header.Set(originalURLHeader, req.URL.String())
	out.URL.Scheme, out.URL.Host = target.Scheme, target.Host
	out.Host = target.Host
	resp, err := hf.srv.Client().Transport.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	if resp.Header.Get("X-Kubus-No-Fixture") != "" {
		resp.Body.Close()
		return nil, &kubushttp.NoFixture{Method: req.Method, URL: req.URL.String()}
	}
	return resp, nil
}
