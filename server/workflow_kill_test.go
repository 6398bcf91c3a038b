package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kubusdev/kubus/store"
	"github.com/kubusdev/kubus/workflow"
)

// killFlowSteps are the steps of testdata/kill-flow that save an Effect.
var killFlowSteps = []string{"Start", "Act", "Ask", "A", "B", "Done"}

// TestWorkflowKillRunsEveryStepOnce runs the real binary with the kill-flow workflow (every step
// saves one Effect; a delay, a wait and a fork on the way), starts 200 instances and answers their
// tasks from several clients while the server is killed with SIGKILL at random moments and
// restarted on the same store. Afterwards every instance the store holds must complete on its own
// (the restarted schedulers fire what was due), every acknowledged start must be among them, and
// the store must show each step's Effect exactly once per instance, a gapless history with one
// timer, one answer and one end, and no timer records left: a step's writes commit with its
// transition or not at all, whatever moment the process dies at.
func TestWorkflowKillRunsEveryStepOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the kubus binary")
	}
	const (
		instances = 200
		starters  = 8
		answerers = 4
		minKills  = 4
		maxKills  = 12
	)
	dir := t.TempDir()
	bin := filepath.Join(dir, "kubus")
	if out, err := exec.Command("go", "build", "-o", bin, "../runner").CombinedOutput(); err != nil {
		t.Fatalf("building kubus: %v\n%s", err, out)
	}
	dbPath := filepath.Join(dir, "kubus.db")
	keyOut, err := exec.Command(bin, "keys", "create", "kill-flow", "--scope", "workflows:kill-flow", "--store", dbPath).Output()
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(keyOut))

	logs := &syncBuffer{}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		// Every line goes to a file that outlives the test; the log shows all but the routine
		// request lines (status below 500).
		all := logs.String()
		f, err := os.CreateTemp("", "workflow-kill-*.log")
		if err == nil {
			_, _ = f.WriteString(all)
			f.Close()
			t.Logf("the servers' whole logs: %s", f.Name())
		}
		var kept []string
		omitted := 0
		for line := range strings.Lines(all) {
			var l struct {
				Msg    string `json:"msg"`
				Status int    `json:"status"`
			}
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "request" && l.Status < 500 {
				omitted++
				continue
			}
			kept = append(kept, strings.TrimSuffix(line, "\n"))
		}
		t.Logf("logs of the servers (%d request lines below 500 left out):\n%s", omitted, strings.Join(kept, "\n"))
	})

	// The server: started on a fresh port each time; clients read the current base URL.
	var (
		cmd        *exec.Cmd
		exited     chan struct{}
		generation int
		base       atomic.Pointer[string]
	)
	start := func() {
		generation++
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		fmt.Fprintf(logs, "=== server %d on %s\n", generation, addr)
		c := exec.Command(bin, "serve", "testdata/kill-flow", "--store", dbPath, "--addr", addr)
		c.Stdout, c.Stderr = logs, logs
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		cmd, exited = c, done
		for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			select {
			case <-done:
				t.Fatalf("server %d exited before it was ready", generation)
			default:
			}
			if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					u := "http://" + addr
					base.Store(&u)
					return
				}
			}
		}
		_ = c.Process.Kill()
		<-done
		t.Fatalf("server %d did not become ready", generation)
	}
	kill := func() {
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-exited
		fmt.Fprintf(logs, "=== server %d killed\n", generation)
	}
	stopServer := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Error("the server did not stop on SIGTERM")
		}
	}

	client := &http.Client{Timeout: 10 * time.Second}
	// quit ends the clients' retrying when the test ends early (a server that does not come back);
	// the cleanup waits for them and then kills a server still running, before the logs print.
	quit := make(chan struct{})
	var startWG, answerWG sync.WaitGroup
	t.Cleanup(func() {
		close(quit)
		startWG.Wait()
		answerWG.Wait()
		if cmd != nil {
			select {
			case <-exited:
			default:
				_ = cmd.Process.Kill()
				<-exited
			}
		}
	})
	var connErrors, conflicts, unexpected atomic.Int64
	// do sends a request to the current server until one gets an answer: a connection error means
	// the server is down (or was killed mid-request), so it tries again once one is back.
	do := func(method, path string, body any) (int, []byte) {
		var data []byte
		if body != nil {
			data, _ = json.Marshal(body)
		}
		for {
			select {
			case <-quit:
				return 0, nil
			default:
			}
			req, _ := http.NewRequest(method, *base.Load()+path, bytes.NewReader(data))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-API-Key", key)
			resp, err := client.Do(req)
			if err != nil {
				connErrors.Add(1)
				time.Sleep(time.Duration(20+rand.IntN(30)) * time.Millisecond)
				continue
			}
			out, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil { // killed while it answered
				connErrors.Add(1)
				time.Sleep(time.Duration(20+rand.IntN(30)) * time.Millisecond)
				continue
			}
			return resp.StatusCode, out
		}
	}
	type page struct {
		Items []struct {
			ID      string `json:"id"`
			Status  string `json:"status"`
			Step    string `json:"step"`
			Error   any    `json:"error"`
			Waiting []struct {
				Step string `json:"step"`
			} `json:"waiting"`
		} `json:"items"`
		Next *string `json:"next"`
	}
	// list pages through the instances with a status ("" for all).
	list := func(status string) (items []string, byStatus map[string][]string, failures []string, err error) {
		byStatus = map[string][]string{}
		cursor := ""
		for {
			q := url.Values{"limit": {"1000"}}
			if status != "" {
				q.Set("status", status)
			}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			code, body := do("GET", "/api/workflows/kill-flow/instances?"+q.Encode(), nil)
			if code != 200 {
				return nil, nil, nil, fmt.Errorf("listing: %d %s", code, body)
			}
			var p page
			if err := json.Unmarshal(body, &p); err != nil {
				return nil, nil, nil, fmt.Errorf("listing: %v: %s", err, body)
			}
			for _, it := range p.Items {
				byStatus[it.Status] = append(byStatus[it.Status], it.ID)
				if it.Status == workflow.StatusFailed {
					failures = append(failures, fmt.Sprintf("%s at %s: %v", it.ID, it.Step, it.Error))
				}
				if slices.ContainsFunc(it.Waiting, func(w struct {
					Step string `json:"step"`
				}) bool {
					return w.Step == "Ask"
				}) {
					items = append(items, it.ID)
				}
			}
			if p.Next == nil || *p.Next == "" {
				return items, byStatus, failures, nil
			}
			cursor = *p.Next
		}
	}
	answer := func(id string) {
		code, body := do("POST", "/api/workflows/instances/"+id+"/tasks/Ask", map[string]any{"answer": map[string]any{"Ok": true}})
		switch code {
		case 0: // the test ends
		case 200:
		case 409: // it no longer waits there: an earlier attempt committed (before a kill), or another client's
			conflicts.Add(1)
		default:
			unexpected.Add(1)
			t.Errorf("answering %s: %d %s", id, code, body)
		}
	}

	start()
	began := time.Now()
	var (
		mu     sync.Mutex
		acked  []string
		failed []string
	)
	// Starters: 200 instances in all, a little apart so that the kills fall among them.
	var next atomic.Int64
	for range starters {
		startWG.Add(1)
		go func() {
			defer startWG.Done()
			for next.Add(1) <= instances {
				code, body := do("POST", "/api/workflows/kill-flow/instances", map[string]any{"input": map[string]any{}})
				if code == 0 { // the test ends
					return
				}
				if code != 201 {
					mu.Lock()
					failed = append(failed, fmt.Sprintf("start: %d %s", code, body))
					mu.Unlock()
					continue
				}
				var inst struct {
					ID string `json:"id"`
				}
				if err := json.Unmarshal(body, &inst); err != nil || inst.ID == "" {
					mu.Lock()
					failed = append(failed, fmt.Sprintf("start: not an instance: %s", body))
					mu.Unlock()
					continue
				}
				mu.Lock()
				acked = append(acked, inst.ID)
				mu.Unlock()
				time.Sleep(time.Duration(rand.IntN(250)) * time.Millisecond)
			}
		}()
	}
	// Answerers: every instance that waits at Ask, acknowledged or not, gets its answer.
	stopAnswering := make(chan struct{})
	for a := range answerers {
		answerWG.Add(1)
		go func() {
			defer answerWG.Done()
			for {
				select {
				case <-stopAnswering:
					return
				case <-quit:
					return
				default:
				}
				ids, _, _, err := list(workflow.StatusWaiting)
				select {
				case <-quit:
					return
				default:
				}
				if err != nil {
					t.Error(err)
					return
				}
				// Each answerer starts at its own place, so that they mostly answer different ones.
				for i := range ids {
					answer(ids[(i+a*len(ids)/answerers)%len(ids)])
				}
				time.Sleep(time.Duration(50+rand.IntN(50)) * time.Millisecond)
			}
		}()
	}
	startsDone := make(chan struct{})
	go func() { startWG.Wait(); close(startsDone) }()

	// The killer: SIGKILL at random moments, at least minKills times, and on while the load runs
	// or instances are still on their way (the scheduler firing delays and running branches), up to
	// maxKills times.
	settled := func() bool {
		select {
		case <-startsDone:
		default:
			return false
		}
		_, bs, _, err := list("")
		return err == nil && len(bs) == 1 && len(bs[workflow.StatusCompleted]) > 0
	}
	kills := 0
	for kills < maxKills {
		time.Sleep(time.Duration(100+rand.IntN(601)) * time.Millisecond)
		if kills >= minKills && settled() {
			break
		}
		kill()
		kills++
		start()
	}
	<-startsDone
	loadTime := time.Since(began)

	// Every instance in the store must complete now, with the server up and nobody killing it.
	var byStatus map[string][]string
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, bs, failures, err := list("")
		if err != nil {
			t.Fatal(err)
		}
		byStatus = bs
		if len(failures) > 0 {
			close(stopAnswering)
			answerWG.Wait()
			stopServer()
			t.Fatalf("%d instance(s) failed, e.g. %s", len(failures), failures[0])
		}
		total := 0
		for _, ids := range bs {
			total += len(ids)
		}
		if total > 0 && len(bs[workflow.StatusCompleted]) == total {
			break
		}
		if time.Now().After(deadline) {
			close(stopAnswering)
			answerWG.Wait()
			stopServer()
			counts := map[string]int{}
			var open []string
			for s, ids := range bs {
				counts[s] = len(ids)
				if s != workflow.StatusCompleted {
					open = append(open, ids...)
				}
			}
			t.Fatalf("after 60 s not every instance completed: %v (e.g. %v)", counts, open[:min(len(open), 5)])
		}
		time.Sleep(100 * time.Millisecond)
	}
	settleTime := time.Since(began) - loadTime
	close(stopAnswering)
	answerWG.Wait()
	stopServer()
	mu.Lock()
	defer mu.Unlock()
	for _, f := range failed {
		t.Error(f)
	}

	// The store, read directly.
	st, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tx := st.Begin()
	defer tx.Discard()
	recs, err := tx.Find(workflow.InstanceKind, store.Query{Filter: map[string]any{"workflow": "kill-flow"}})
	if err != nil {
		t.Fatal(err)
	}
	insts := map[string]*workflow.Instance{}
	raw := map[string]map[string]any{}
	for _, r := range recs {
		raw[r.ID] = r.Props
		inst, err := workflow.InstanceOf(r)
		if err != nil {
			t.Fatalf("instance %s: %v", r.ID, err)
		}
		insts[r.ID] = inst
	}
	if len(insts) != len(byStatus[workflow.StatusCompleted]) {
		t.Errorf("the store holds %d instances, the server listed %d completed", len(insts), len(byStatus[workflow.StatusCompleted]))
	}
	for _, id := range acked {
		inst := insts[id]
		switch {
		case inst == nil:
			t.Errorf("acknowledged instance %s is not in the store", id)
		case inst.Status != workflow.StatusCompleted || !reflect.DeepEqual(inst.Result, map[string]any{"ok": true}):
			t.Errorf("acknowledged instance %s is %s with result %v: %v", id, inst.Status, inst.Result, raw[id])
		}
	}
	for id, inst := range insts {
		if inst.Status != workflow.StatusCompleted || !reflect.DeepEqual(inst.Result, map[string]any{"ok": true}) || len(inst.Run.Tokens) != 0 {
			t.Errorf("instance %s is %s with result %v and %d token(s)", id, inst.Status, inst.Result, len(inst.Run.Tokens))
		}
	}

	// Effects: each step's exactly once per instance, none of an instance the store does not hold.
	effects, err := tx.Find(store.Kind{Ruleset: "kill-flow", Entity: "Effect"}, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]map[string]int{}
	for _, e := range effects {
		id, _ := e.Props["instance"].(string)
		step, _ := e.Props["step"].(string)
		if insts[id] == nil {
			t.Errorf("effect %s of step %s belongs to no instance in the store (%q)", e.ID, step, id)
			continue
		}
		if counts[id] == nil {
			counts[id] = map[string]int{}
		}
		counts[id][step]++
	}
	if want := len(insts) * len(killFlowSteps); len(effects) != want {
		t.Errorf("%d effects for %d instances, want %d", len(effects), len(insts), want)
	}
	for id := range insts {
		for _, step := range killFlowSteps {
			if n := counts[id][step]; n != 1 {
				t.Errorf("instance %s: step %s saved its Effect %d times", id, step, n)
			}
		}
		for step, n := range counts[id] {
			if !slices.Contains(killFlowSteps, step) {
				t.Errorf("instance %s: %d Effect(s) of step %q, which saves none", id, n, step)
			}
		}
	}

	// Histories: seq 1..n without gaps, one timer (the delay fired once), one answer, one end.
	events := 0
	for id, inst := range insts {
		evs, err := tx.Find(workflow.EventKind, store.Query{IDFrom: id + "/", IDTo: id + "0"})
		if err != nil {
			t.Fatal(err)
		}
		events += len(evs)
		kinds := map[string]int{}
		for i, r := range evs {
			data, _ := json.Marshal(r.Props)
			var e workflow.Event
			if err := json.Unmarshal(data, &e); err != nil {
				t.Fatalf("event %s: %v", r.ID, err)
			}
			seq, err := strconv.Atoi(strings.TrimPrefix(r.ID, id+"/"))
			if err != nil || seq != i+1 || e.Seq != i+1 {
				t.Errorf("instance %s: event %d is %s (seq %d): a gap or a bad id", id, i+1, r.ID, e.Seq)
				break
			}
			kinds[e.Event]++
		}
		if len(evs) != inst.Run.Seq {
			t.Errorf("instance %s: %d events, its seq is %d", id, len(evs), inst.Run.Seq)
		}
		for _, k := range []string{workflow.EventStarted, workflow.EventTimer, workflow.EventAnswered, workflow.EventEnded} {
			if kinds[k] != 1 {
				t.Errorf("instance %s: %d %s events, want 1 (%v)", id, kinds[k], k, kinds)
			}
		}
	}
	timers, err := tx.Find(workflow.TimerKind, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range timers {
		t.Errorf("timer record left: %s %v", r.ID, r.Props)
	}
	if ns := connErrors.Load(); ns == 0 {
		t.Error("no request met a dead server: the kills missed the load")
	}
	if !t.Failed() {
		t.Logf("%d kills; %d instances acknowledged, %d in the store (all completed), %d effects, %d events; "+
			"%d connection errors retried, %d answers refused with 409, %d unexpected answers; load %s, settling %s",
			kills, len(acked), len(insts), len(effects), events, connErrors.Load(), conflicts.Load(), unexpected.Load(),
			loadTime.Round(time.Millisecond), settleTime.Round(time.Millisecond))
	}
}
