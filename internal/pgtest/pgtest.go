// Package pgtest runs a real PostgreSQL for tests: one throwaway cluster per test binary (initdb in a
// temporary folder, a free 127.0.0.1 port, unix sockets in that folder), started on first use and
// stopped and removed when the tests end, and a database of its own for each test.
//
// A package using it runs its tests through Main:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// and each test asks for a database with Start. When the PostgreSQL binaries are missing (Debian's
// postgresql package puts them under /usr/lib/postgresql/*/bin), Start skips the test, unless the
// environment sets KUBUS_REQUIRE_POSTGRES=1 (CI does): then it fails.
//
// initdb refuses to run as root, so under euid 0 the server runs as the `postgres` system user. The
// server gets a parent-death signal, so it stops with the test binary even when that crashes or
// times out.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// User is the cluster's superuser; tests connect as it, with the password in the DSN.
const User = "kubus"

var (
	mainRan atomic.Bool

	once    sync.Once
	shared  *cluster
	initErr error  // the cluster could not start
	skipMsg string // no PostgreSQL here: tests skip (or fail when required)

	dbSeq atomic.Int64
)

// Main runs the package's tests and then stops the cluster, if one was started, whatever the tests did.
func Main(m *testing.M) {
	mainRan.Store(true)
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the cluster and removes its folder; Main calls it. Later Starts fail.
func Stop() {
	once.Do(func() { initErr = errors.New("pgtest: stopped") })
	if shared != nil {
		shared.stop()
		shared = nil
	}
}

// Start creates a database for the test in the shared cluster and returns its DSN
// (postgres://kubus:<password>@127.0.0.1:<port>/<db>?sslmode=disable). The database is dropped
// when the test ends.
func Start(t testing.TB) string {
	t.Helper()
	if !mainRan.Load() {
		t.Fatal("pgtest: run the package's tests through pgtest.Main (func TestMain(m *testing.M) { pgtest.Main(m) }), so the cluster is stopped after them")
	}
	once.Do(func() { shared, skipMsg, initErr = start() })
	switch {
	case skipMsg != "" && os.Getenv("KUBUS_REQUIRE_POSTGRES") == "1":
		t.Fatalf("pgtest: %s (KUBUS_REQUIRE_POSTGRES=1)", skipMsg)
	case skipMsg != "":
		t.Skipf("pgtest: %s", skipMsg)
	case initErr != nil:
		t.Fatal(initErr)
	}
	name := fmt.Sprintf("t%d_%s", dbSeq.Add(1), sanitize(t.Name()))
	c := shared
	if err := c.admin("create database " + pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		if err := c.admin("drop database if exists " + pgx.Identifier{name}.Sanitize() + " with (force)"); err != nil {
			t.Errorf("pgtest: drop database: %v", err)
		}
	})
	return c.dsn(name)
}

// sanitize makes a short database name part of a test name.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 40 {
			break
		}
	}
	return b.String()
}

type cluster struct {
	dir      string
	port     int
	password string
	proc     *os.Process
	exited   chan struct{} // closed when the server process has ended
}

func (c *cluster) dsn(db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(User, c.password), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)), Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// admin runs one statement on the postgres database.
func (c *cluster) admin(stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.dsn("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, stmt)
	return err
}

// binDir finds the newest PostgreSQL's binaries.
func binDir() (string, bool) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, true
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), true
	}
	return "", false
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// start initialises and starts a cluster. skip says why there can be none on this machine.
func start() (c *cluster, skip string, err error) {
	bin, ok := binDir()
	if !ok {
		return nil, "no PostgreSQL binaries (install the postgresql package: initdb, postgres under /usr/lib/postgresql/*/bin)", nil
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, "running as root and there is no postgres user to run the server as", nil
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	sweep()
	dir, err := os.MkdirTemp("", "kubus-pgtest-")
	if err != nil {
		return nil, "", err
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, "", err
		}
	}
	pw := make([]byte, 12)
	_, _ = rand.Read(pw)
	c = &cluster{dir: dir, password: hex.EncodeToString(pw)}
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(c.password+"\n"), 0o600); err != nil {
		return nil, "", err
	}
	if cred != nil {
		_ = os.Chown(pwfile, int(cred.Uid), int(cred.Gid))
	}
	data := filepath.Join(dir, "data")
	// Passwords over TCP, so a test can try a wrong one; trust on the socket, which nothing uses.
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", User, "--pwfile", pwfile,
		"--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, "", fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	_ = os.Remove(pwfile)

	// A port that was free a moment ago; retry if another process takes it first.
	for attempt := 0; ; attempt++ {
		c.port, err = freePort()
		if err != nil {
			return nil, "", err
		}
		if err = c.run(bin, data, cred); err == nil || attempt == 2 {
			break
		}
	}
	if err != nil {
		return nil, "", err
	}
	return c, "", nil
}

// sweep removes the folders of clusters whose test binary crashed: the server stopped with it (its
// parent-death signal), the folder stayed. A folder younger than two minutes may be another binary's
// cluster still starting, so it is left alone.
func sweep() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "kubus-pgtest-*"))
	for _, d := range dirs {
		fi, err := os.Stat(d)
		if err != nil || time.Since(fi.ModTime()) < 2*time.Minute {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid")); err == nil {
			pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
			if pid > 0 && syscall.Kill(pid, 0) == nil {
				continue // still running
			}
		}
		_ = os.RemoveAll(d)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// run starts the server and waits until it accepts connections.
func (c *cluster) run(bin, data string, cred *syscall.Credential) error {
	logPath := filepath.Join(c.dir, "server.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	if cred != nil {
		_ = logf.Chown(int(cred.Uid), int(cred.Gid))
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(c.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+c.dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=60", "-c", "shared_buffers=32MB", "-c", "logging_collector=off")
	cmd.Dir = c.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// SIGINT is PostgreSQL's fast shutdown. Pdeathsig is tied to the thread that forks, so the
	// start happens on a locked thread that lives as long as the server.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGINT, Setpgid: true}
	started := make(chan error, 1)
	c.exited = make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine, after the server
		if err := cmd.Start(); err != nil {
			started <- err
			close(c.exited)
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(c.exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	c.proc = cmd.Process
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-c.exited:
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("pgtest: postgres exited while starting:\n%s", tail(string(out)))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, c.dsn("postgres"))
		cancel()
		if err == nil {
			_ = conn.Close(context.Background())
			return nil
		}
		if time.Now().After(deadline) {
			c.stop()
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("pgtest: postgres did not accept connections in 30 s: %v\n%s", err, tail(string(out)))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}

// stop shuts the server down (fast, then immediate, then killed) and removes the folder.
func (c *cluster) stop() {
	if c.proc != nil {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGKILL} {
			_ = c.proc.Signal(sig)
			select {
			case <-c.exited:
			case <-time.After(10 * time.Second):
				continue
			}
			break
		}
		// The server's children share its process group: make sure none outlives it.
		_ = syscall.Kill(-c.proc.Pid, syscall.SIGKILL)
	}
	_ = os.RemoveAll(c.dir)
}
