package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The tests here need a second process: bbolt's lock is a file lock, and a crash is a process
// dying. The test binary re-executes itself with KUBUS_STORE_HELPER set; TestHelperProcess then
// plays the child and never returns normally.

const helperEnv = "KUBUS_STORE_HELPER"

func helper(t *testing.T, role, path string) (*exec.Cmd, io.WriteCloser, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+role, EnvVar+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, stdin, bufio.NewScanner(stdout)
}

// TestHelperProcess is the child of TestOpenLockedByAnotherProcess and TestCrashLosesNothing.
func TestHelperProcess(t *testing.T) {
	role := os.Getenv(helperEnv)
	if role == "" {
		t.Skip("only run as a child process")
	}
	b, err := Open(PathFromEnv(""), Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	switch role {
	case "hold":
		// Hold the store open until the parent closes stdin (or kills us).
		fmt.Println("open")
		io.Copy(io.Discard, os.Stdin)
		b.Close()
		os.Exit(0)
	case "crash":
		// Save a stream of entities, one per Tx, and report each one only once Commit returned.
		k := Kind{"crash", "Item"}
		for i := 0; ; i++ {
			tx := b.Begin()
			r, err := tx.Put(k, &Record{Props: map[string]any{"i": i, "pad": strings.Repeat("x", 200)}}, time.Now())
			if err != nil {
				fmt.Println("error", err)
				os.Exit(2)
			}
			if err := tx.Commit(); err != nil {
				fmt.Println("error", err)
				os.Exit(2)
			}
			fmt.Println("committed", r.ID)
		}
	}
	os.Exit(3)
}

func TestOpenLockedByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubus.db")
	cmd, stdin, out := helper(t, "hold", path)
	if !out.Scan() || out.Text() != "open" {
		t.Fatalf("child did not open the store: %q %v", out.Text(), out.Err())
	}

	start := time.Now()
	b, err := Open(path, Options{})
	elapsed := time.Since(start)
	if err == nil {
		b.Close()
		t.Fatal("opened a store held by another process")
	}
	if !errors.Is(err, ErrLocked) {
		t.Errorf("error does not wrap ErrLocked: %v", err)
	}
	want := "store " + path + " is in use by another process (bbolt file lock): close it or use --store to pick another file"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q\nwant it to say %q", err, want)
	}
	if elapsed > 1500*time.Millisecond {
		t.Errorf("Open took %v to give up, want about 1s", elapsed)
	}
	t.Logf("Open gave up after %v: %v", elapsed, err)

	// A shorter timeout is honoured.
	start = time.Now()
	if _, err := Open(path, Options{LockTimeout: 200 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Fatalf("short timeout: %v", err)
	}
	if e := time.Since(start); e > 700*time.Millisecond {
		t.Errorf("LockTimeout 200ms took %v", e)
	}

	// Once the other process is gone the store opens.
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	b, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("after the child closed: %v", err)
	}
	b.Close()
}

// TestCrashLosesNothing kills a child with SIGKILL while it commits, then checks that every save
// it reported as committed is in the file, and that the file is consistent.
func TestCrashLosesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubus.db")
	cmd, _, out := helper(t, "crash", path)

	lines := make(chan string)
	go func() {
		defer close(lines)
		for out.Scan() {
			lines <- out.Text()
		}
	}()
	var reported []string
	deadline := time.After(2 * time.Second)
read:
	for len(reported) < 200 {
		select {
		case l, ok := <-lines:
			if !ok {
				break read
			}
			id, found := strings.CutPrefix(l, "committed ")
			if !found {
				t.Fatalf("child says %q", l)
			}
			reported = append(reported, id)
		case <-deadline:
			break read
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred code, no Close
		t.Fatal(err)
	}
	// Lines the child printed before it died were reported too.
	for l := range lines {
		if id, ok := strings.CutPrefix(l, "committed "); ok {
			reported = append(reported, id)
		}
	}
	cmd.Wait()
	if len(reported) == 0 {
		t.Fatal("the child committed nothing")
	}

	b, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer b.Close()
	err = b.db.View(func(btx *bolt.Tx) error {
		for err := range btx.Check() {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatalf("file inconsistent after SIGKILL: %v", err)
	}
	tx := b.Begin()
	defer tx.Discard()
	k := Kind{"crash", "Item"}
	for i, id := range reported {
		r, err := tx.Get(k, id)
		if err != nil {
			t.Fatalf("save %d (%s), reported committed, is lost: %v", i, id, err)
		}
		if r.Props["i"] != float64(i) {
			t.Fatalf("save %d has i=%v", i, r.Props["i"])
		}
	}
	n, _ := tx.Count(k, nil)
	if n < len(reported) || n > len(reported)+1 {
		t.Fatalf("%d records for %d reported commits (at most one unreported)", n, len(reported))
	}
	t.Logf("child killed after %d reported commits; %d records in the file", len(reported), n)
}
