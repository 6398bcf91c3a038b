package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The hostile corpus (testdata/hostile) and the fuzz test run each ruleset through `kubus run` in a
// child process under a memory ulimit and a wall-clock bound, so that a fatal crash (Go's "out of
// memory" cannot be recovered) or a hang fails the test instead of killing the test binary.

const (
	childMemoryKiB = 4 << 20 // ulimit -v: 4 GiB of address space
	childWallClock = 30 * time.Second
)

var (
	childOnce sync.Once
	childBin  string
	childErr  error
)

// kubusBinary builds the CLI once per test process, without -race (the race detector's shadow
// memory does not fit under the ulimit).
func kubusBinary(t testing.TB) string {
	t.Helper()
	childOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kubus-hostile")
		if err != nil {
			childErr = err
			return
		}
		childBin = filepath.Join(dir, "kubus")
		out, err := exec.Command("go", "build", "-o", childBin, ".").CombinedOutput()
		if err != nil {
			childErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if childErr != nil {
		t.Fatal(childErr)
	}
	return childBin
}

// childResult is how a bounded `kubus run` ended.
type childResult struct {
	code    int // exit code; -1 when killed
	output  string
	elapsed time.Duration
	hung    bool
}

// runBounded runs `kubus run` on a ruleset file in its own folder, with an empty input.
func runBounded(t testing.TB, rulesetYAML string) childResult {
	t.Helper()
	bin := kubusBinary(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ruleset.yaml"), []byte(rulesetYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "input.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), childWallClock)
	defer cancel()
	args := []string{"run", dir}
	if strings.Contains(rulesetYAML, "\nworkflow:") {
		args = []string{"workflow", "start", dir} // a workflow's steps run as an instance's
	}
	args = append(args, "--input", filepath.Join(dir, "input.json"), "--store", filepath.Join(dir, "kubus.db"))
	cmd := exec.CommandContext(ctx, "bash", append([]string{"-c", fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, childMemoryKiB), bin}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "KUBUS_OCKTO_PASSWORD=secret-from-the-host", "GOTRACEBACK=single")
	// The connector cases reach their servers through the corpus's config: an SQLite file of
	// their own, a MongoDB address that never answers, and an HTTP server that streams forever.
	if strings.Contains(rulesetYAML, "# connections") {
		srv := hostileServers(t)
		config, err := filepath.Abs("testdata/hostile-connections.yaml")
		if err != nil {
			t.Fatal(err)
		}
		cmd.Args = append(cmd.Args, "--config", config)
		cmd.Env = append(cmd.Env, "HOSTILE_SQLITE=file:"+filepath.Join(dir, "hostile.db"), "HOSTILE_SILENT=mongodb://"+srv.silent,
			"HOSTILE_SILENT_PG=postgres://kubus:pw@"+srv.silent+"/x?sslmode=disable",
			"HOSTILE_WEB=http://"+srv.web)
	}
	start := time.Now()
	out, err := cmd.CombinedOutput()
	res := childResult{output: string(out), elapsed: time.Since(start), hung: ctx.Err() != nil}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("running kubus: %v", err)
	}
	return res
}

// servers are the outside world of the connector cases.
type servers struct{ silent, web string }

var (
	serversOnce sync.Once
	theServers  servers
)

// hostileServers starts, once per test process, a TCP server that accepts and never answers and an
// HTTP server whose /huge streams without end and whose /slow sends a byte every half second.
func hostileServers(t testing.TB) servers {
	serversOnce.Do(func() {
		silent, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			var held []net.Conn // kept open, never read: the client waits for an answer
			for {
				c, err := silent.Accept()
				if err != nil {
					return
				}
				held = append(held, c)
			}
		}()
		web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			chunk := bytes.Repeat([]byte("x"), 1<<20)
			for i := 0; r.Context().Err() == nil; i++ {
				if r.URL.Path == "/slow" {
					chunk = chunk[:1]
					time.Sleep(500 * time.Millisecond)
				}
				if _, err := w.Write(chunk); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		}))
		theServers = servers{silent: silent.Addr().String(), web: strings.TrimPrefix(web.URL, "http://")}
	})
	return theServers
}

// survived fails the test when the child hung, was killed or crashed (Go's fatal errors exit 2, as
// do usage errors, which the harness never makes).
func survived(t testing.TB, name string, r childResult) bool {
	t.Helper()
	switch {
	case r.hung:
		t.Errorf("%s: still running after %v\n%s", name, childWallClock, tail(r.output))
	case r.code != 0 && r.code != 1:
		t.Errorf("%s: exit code %d after %v\n%s", name, r.code, r.elapsed, tail(r.output))
	default:
		return true
	}
	return false
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// Each corpus file starts with "# want: TEXT": the output must contain TEXT (an error naming the
// limit), or "# want: no-error:VALUE": the run succeeds and prints VALUE.
func TestHostileCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/hostile/*.yaml")
	if err != nil || len(files) < 25 {
		t.Fatalf("corpus: %d files, %v", len(files), err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(src), "\n")
			want, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatalf("%s does not start with # want:", f)
			}
			r := runBounded(t, string(src))
			if !survived(t, name, r) {
				return
			}
			// The timeout is 1s: a generous bound for slow (-race) machines, far below a hang.
			if r.elapsed > 10*time.Second {
				t.Errorf("took %v", r.elapsed)
			}
			if value, ok := strings.CutPrefix(want, "no-error:"); ok {
				compact := strings.Join(strings.Fields(r.output), "")
				if r.code != 0 || !strings.Contains(compact, value) {
					t.Errorf("want success printing %s, got exit %d:\n%s", value, r.code, tail(r.output))
				}
				return
			}
			if r.code != 1 || !strings.Contains(r.output, want) {
				t.Errorf("want an error mentioning %q, got exit %d:\n%s", want, r.code, tail(r.output))
			}
		})
	}
}

// hostileBlocks are the dangerous building blocks the fuzz test composes into rule code: each is
// a statement that may leave a value in v.
var hostileBlocks = []string{
	"v = []; v.length = 2**32 - 1;",
	"v = []; v[2**32 - 2] = 1;",
	"v = new Uint8Array(1 << 20);",
	"v = new Float64Array(1 << 16);",
	"v = 'x'.repeat(1 << 20);",
	"v = 'ab'.repeat(1 << 16);",
	"v = {get x() { return v; }};",
	"v = new Proxy(v === null || typeof v !== 'object' ? {} : v, {get: (t, k) => k === 'length' ? 2**32 - 1 : t[k]});",
	"v = new Proxy({}, {ownKeys: () => Array.from({length: 1000}, (_, i) => 'k' + i)});",
	"v = /^(a+)+(?!x)$/;",
	"v = {a: v, b: v};",
	"v = [v, v, v, v];",
	"v = Array(1000).fill(v);",
	"v = Symbol.for(String(v).slice(0, 100));",
	"v = {toJSON() { return [v, v]; }};",
	"v = {toString() { return String(v).repeat(2); }};",
	"v = Object.create(null);",
}

// hostileOps apply an operation to v.
var hostileOps = []string{
	"v = v.indexOf(1);", "v = v.slice();", "v = v.map(x => x);", "v = v.join(String(v));", "v = v.flat(3);",
	"v = v.concat(v, v);", "v = v.sort();", "v = [...v];", "v = Array.from(v);", "v = JSON.stringify(v);",
	"v = JSON.stringify(v, null, 8);", "v = String(v);", "v = String(v).replace(/./g, '$&$&');",
	"v = String(v).replaceAll('x', '$`');", "v = String.raw({raw: v});", "v = Math.max.apply(null, v);",
	"v = Reflect.apply(Math.min, null, v);", "v = Object.keys(v);", "v = Uint8Array.from(v);",
	"v = new Float64Array(v);", "v = v.test('a'.repeat(30) + 'b');", "v = String(v).split('');",
	"v = String(v).padStart(2**30);", "v = v.toString();", "v = [v].flat(Infinity);",
	"throw v;", "v = Object.entries(v);", "v = v.reverse();", "v = {v};",
}

func composeHostile(data []byte) string {
	var b strings.Builder
	b.WriteString("name: fuzz\nrules:\n  A: |\n    let v = null;\n")
	for i, c := range data {
		if i >= 12 {
			break
		}
		var stmt string
		if c&1 == 0 {
			stmt = hostileBlocks[int(c>>1)%len(hostileBlocks)]
		} else {
			stmt = hostileOps[int(c>>1)%len(hostileOps)]
		}
		fmt.Fprintf(&b, "    try { %s } catch (e) { v = e; }\n", stmt)
	}
	b.WriteString("    return v;\n")
	return b.String()
}

// FuzzHostileRules composes the building blocks into rule code and runs each in a bounded child:
// whatever the composition, kubus ends with a result or an error, within bounds, and survives.
func FuzzHostileRules(f *testing.F) {
	for _, seed := range [][]byte{
		{0, 1}, {0, 3}, {2, 5}, {4, 37}, {8, 19}, {20, 21, 21, 21, 19}, {12, 25}, {10, 41}, {18, 1, 29},
		{14, 7, 9, 11}, {32, 11}, {16, 51},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		src := composeHostile(data)
		r := runBounded(t, src)
		if !survived(t, "fuzz", r) {
			t.Logf("rule code:\n%s", src)
			return
		}
		if r.elapsed > 15*time.Second {
			t.Errorf("took %v:\n%s", r.elapsed, src)
		}
	})
}
