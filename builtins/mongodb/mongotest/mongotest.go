// Package mongotest starts a real server speaking MongoDB's wire protocol for tests: FerretDB v1
// with its SQLite backend, built from tools/ferretdb (a module of its own, so FerretDB stays out of
// the kubus binary). One server serves a whole test binary; each test takes its own database
// (Database). Like net/http/httptest, it is for tests only.
//
// When the tool cannot be built (no Go toolchain, no module cache and no network) the test is
// skipped, unless KUBUS_REQUIRE_FERRETDB=1 (CI sets it): then it fails.
package mongotest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

var (
	mu     sync.Mutex
	server *proc
	failed error // why the server could not start; kept so every test reports it without retrying
	dbSeq  atomic.Int64
)

// proc is the running server.
type proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	uri   string // mongodb://127.0.0.1:port/
	done  chan struct{}
}

// Start returns the URI of the shared FerretDB server ("mongodb://127.0.0.1:port/"), starting it
// on first use. The server lives until Stop, or until the test binary exits (it watches its stdin,
// a pipe from this process, and removes its state directory as it stops).
func Start(t testing.TB) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if server == nil && failed == nil {
		server, failed = start()
	}
	if failed != nil {
		if os.Getenv("KUBUS_REQUIRE_FERRETDB") == "1" {
			t.Fatalf("FerretDB: %v", failed)
		}
		t.Skipf("FerretDB is not available (set KUBUS_REQUIRE_FERRETDB=1 to fail instead): %v", failed)
	}
	return server.uri
}

// Database is a database name of this test's own on the shared server (FerretDB's names are
// [a-zA-Z0-9_-]{1,63}).
func Database(t testing.TB) string {
	name := regexp.MustCompile(`[^a-zA-Z0-9_-]+`).ReplaceAllString(t.Name(), "_")
	suffix := fmt.Sprintf("_%d", dbSeq.Add(1))
	if len(name) > 63-len(suffix) {
		name = name[:63-len(suffix)]
	}
	return name + suffix
}

// URI is Start's URI with db as the database in its path.
func URI(t testing.TB, db string) string {
	return Start(t) + db
}

// Main runs the tests and then stops the server: call it from TestMain so the server is gone
// before the test binary exits.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the server (if it runs) and waits for it to exit.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if server == nil {
		return
	}
	_ = server.stdin.Close() // the tool exits on EOF
	select {
	case <-server.done:
	case <-time.After(10 * time.Second):
		_ = server.cmd.Process.Kill()
		<-server.done
	}
	server = nil
}

// start builds the tool and runs it on a free port.
func start() (*proc, error) {
	bin, err := build()
	if err != nil {
		return nil, err
	}
	state, err := os.MkdirTemp("", "kubus-ferretdb-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-state", state, "-stdin", "-rm-state")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr := &tail{max: 8 << 10}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(state)
		return nil, err
	}
	p := &proc{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	fail := func(err error) (*proc, error) {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		<-p.done
		_ = os.RemoveAll(state)
		return nil, fmt.Errorf("%w; its stderr: %s", err, stderr.String())
	}

	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		addr <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case a := <-addr:
		if a == "" {
			return fail(fmt.Errorf("ferretdb-kubus exited before listening"))
		}
		p.uri = "mongodb://" + a + "/"
	case <-time.After(60 * time.Second):
		return fail(fmt.Errorf("ferretdb-kubus did not listen within 60 s"))
	}
	if err := ping(p.uri); err != nil {
		return fail(fmt.Errorf("ferretdb-kubus does not answer a ping: %w", err))
	}
	return p, nil
}

func ping(uri string) error {
	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	defer func() { _ = c.Disconnect(ctx) }()
	return c.Ping(ctx, nil)
}

// build compiles tools/ferretdb into the user's cache (once per test binary, and only when its
// sources changed since) and returns the binary's path.
func build() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the mongotest source")
	}
	src := filepath.Join(filepath.Dir(file), "..", "..", "..", "tools", "ferretdb")
	if _, err := os.Stat(filepath.Join(src, "go.mod")); err != nil {
		return "", fmt.Errorf("tools/ferretdb not found: %w", err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		if goBin = filepath.Join(runtime.GOROOT(), "bin", "go"); !exists(goBin) {
			return "", fmt.Errorf("no go toolchain to build tools/ferretdb")
		}
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "kubus")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "ferretdb-kubus")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if upToDate(bin, src) {
		return bin, nil
	}
	// Build to a name of this process's own, then rename: test binaries running side by side
	// never see (or run) a half-written file.
	tmp := fmt.Sprintf("%s.%d.tmp", bin, os.Getpid())
	cmd := exec.Command(goBin, "build", "-mod=readonly", "-buildvcs=false", "-o", tmp, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("building tools/ferretdb: %v: %s", err, strings.TrimSpace(out.String()))
	}
	if err := os.Rename(tmp, bin); err != nil {
		_ = os.Remove(tmp)
		return "", err
	}
	return bin, nil
}

// upToDate reports whether bin was built after the tool's sources last changed (its go.sum pins
// everything else), so a test run does not relink a 40 MB binary for nothing.
func upToDate(bin, src string) bool {
	b, err := os.Stat(bin)
	if err != nil {
		return false
	}
	for _, f := range []string{"main.go", "go.mod", "go.sum"} {
		s, err := os.Stat(filepath.Join(src, f))
		if err != nil || !s.ModTime().Before(b.ModTime()) {
			return false
		}
	}
	return true
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
