package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// server is a real HTTP server on 127.0.0.1 that answers like the execute endpoint: 200 for the
// right key and body, 401 for a wrong key, 400 for a wrong body; and 500 for every failEvery'th
// request when failEvery > 0. It counts what it saw.
type server struct {
	*httptest.Server
	requests, non200, conns atomic.Int64
	failEvery               int64
}

const (
	testKey  = "k-123"
	testBody = `{"input": {"StartDate": "2023-07-20"}, "options": {}}`
)

func newServer(t *testing.T, failEvery int64) *server {
	s := &server{failEvery: failEvery}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.requests.Add(1)
		body, _ := io.ReadAll(r.Body)
		status := http.StatusOK
		switch {
		case r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json":
			status = http.StatusMethodNotAllowed
		case r.Header.Get("Authorization") != "Bearer "+testKey:
			status = http.StatusUnauthorized
		case string(body) != testBody:
			status = http.StatusBadRequest
		case s.failEvery > 0 && n%s.failEvery == 0:
			status = http.StatusInternalServerError
		}
		if status != http.StatusOK {
			s.non200.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"output": {"TotalPremium": 16.89}}`))
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func testConfig(url string) config {
	return config{URL: url, Key: testKey, Body: []byte(testBody), Duration: 300 * time.Millisecond, Timeout: 5 * time.Second}
}

// TestMeasure checks the counts against the server's: every request answered 200, none lost, and
// no more connections opened than asked for (keep-alive reuses them).
func TestMeasure(t *testing.T) {
	s := newServer(t, 0)
	cfg := testConfig(s.URL + "/api/rulesets/travel-insurance/execute")
	for _, n := range []int{1, 4} {
		before, connsBefore := s.requests.Load(), s.conns.Load()
		l, err := measure(context.Background(), cfg, n)
		if err != nil {
			t.Fatal(err)
		}
		if l.Errors != 0 || l.Requests == 0 {
			t.Fatalf("%d connections: %d requests, %d errors (%s)", n, l.Requests, l.Errors, l.FirstError)
		}
		if got := s.requests.Load() - before; got != int64(l.Requests) {
			t.Errorf("%d connections: counted %d requests, the server saw %d", n, l.Requests, got)
		}
		if got := s.conns.Load() - connsBefore; got < 1 || got > int64(n) {
			t.Errorf("%d connections: the server saw %d new connections", n, got)
		}
		if l.Elapsed < cfg.Duration || l.P50 <= 0 || l.P99 < l.P50 {
			t.Errorf("%d connections: elapsed %v, p50 %v, p99 %v", n, l.Elapsed, l.P50, l.P99)
		}
	}
}

// TestErrors checks that every answer but 200 is an error, and that a wrong key is one.
func TestErrors(t *testing.T) {
	s := newServer(t, 3)
	cfg := testConfig(s.URL)
	l, err := measure(context.Background(), cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	if l.Errors == 0 || int64(l.Errors) != s.non200.Load() {
		t.Errorf("counted %d errors, the server answered %d times with another status than 200", l.Errors, s.non200.Load())
	}
	if !strings.Contains(l.FirstError, "status 500") {
		t.Errorf("first error %q", l.FirstError)
	}

	cfg.Key = "wrong"
	l, err = measure(context.Background(), cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if l.Errors != l.Requests || !strings.Contains(l.FirstError, "status 401") {
		t.Errorf("wrong key: %d of %d requests failed, first %q", l.Errors, l.Requests, l.FirstError)
	}
}

// TestRunTable runs the command's whole path, flags to table.
func TestRunTable(t *testing.T) {
	s := newServer(t, 0)
	cfg, err := parseFlags([]string{"-url", s.URL, "-key", testKey, "-data", testBody, "-conns", "1, 2", "-duration", "200ms"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), cfg, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !slices.Contains(lines, "| connections | requests/s | p50 | p99 | errors |") {
		t.Fatalf("no table header:\n%s", out.String())
	}
	rows := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "| 1 |") || strings.HasPrefix(l, "| 2 |") {
			rows++
			if !strings.HasSuffix(l, "| 0 |") || !strings.Contains(l, " ms |") {
				t.Errorf("row %q", l)
			}
		}
	}
	if rows != 2 {
		t.Errorf("%d rows:\n%s", rows, out.String())
	}
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-url", "http://x"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Conns, []int{1, 8, 32}) || cfg.Duration != 10*time.Second {
		t.Errorf("defaults: %v %v", cfg.Conns, cfg.Duration)
	}
	for _, args := range [][]string{
		{},
		{"-url", "http://x", "-conns", "1,zero"},
		{"-url", "http://x", "-conns", "0"},
		{"-url", "http://x", "-duration", "0s"},
		{"-url", "http://x", "-data", "{}", "-body", "f.json"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	if p50, p99 := percentile(d, 50), percentile(d, 99); p50 != 50 || p99 != 99 {
		t.Errorf("p50 %v, p99 %v", p50, p99)
	}
	if p := percentile(d[:1], 99); p != 1 {
		t.Errorf("one value: %v", p)
	}
	if p := percentile(nil, 50); p != 0 {
		t.Errorf("none: %v", p)
	}
}
