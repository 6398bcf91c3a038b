package mail_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/documents"
	kmail "github.com/kubusdev/kubus/builtins/mail"
	"github.com/kubusdev/kubus/builtins/mail/smtptest"
	"github.com/kubusdev/kubus/store"
)

// clock is a test's clock for outboxes.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// queueIn runs an execution on s that queues a message with options js; the caller commits or
// discards e.Tx.
func queueIn(t *testing.T, m *kmail.Module, s store.Store, js string) (string, *builtins.Exec) {
	t.Helper()
	e := newExec()
	e.Tx, e.Store = s.Begin(), s
	vm := vmFor(t, m, e)
	got := eval(t, vm, `Mail.queue("default", `+js+`).id`)
	var id string
	if err := json.Unmarshal([]byte(got), &id); err != nil {
		t.Fatalf("queue: %s", got)
	}
	return id, e
}

func commit(t *testing.T, e *builtins.Exec) {
	t.Helper()
	if err := e.Tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func list(t *testing.T, s store.Store, state string) []kmail.Message {
	t.Helper()
	tx := s.Begin()
	defer tx.Discard()
	msgs, err := kmail.List(tx, state, 0)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func deliver(t *testing.T, o *kmail.Outbox) (int, int) {
	t.Helper()
	sent, failed, err := o.DeliverDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return sent, failed
}

const offer = `{to: "ann@example.com", bcc: "audit@kubus.test", subject: "Your offer", text: "Dear Ann"}`

func TestQueueDiscardedSendsNothing(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := openStore(t)
	m := moduleFor(t, srv)
	_, e := queueIn(t, m, s, offer)
	e.Tx.Discard()
	// The engine drops AfterCommit's functions with a discarded Tx; run them anyway: nothing is due.
	for _, fn := range e.TakeAfterCommit() {
		fn()
	}
	m.Close()
	if sent, failed := deliver(t, m.NewOutbox(s, kmail.OutboxOptions{})); sent+failed != 0 {
		t.Errorf("sent %d failed %d", sent, failed)
	}
	if len(srv.Messages()) != 0 || srv.Connections() != 0 || len(list(t, s, "")) != 0 {
		t.Errorf("messages %d, connections %d, outbox %v", len(srv.Messages()), srv.Connections(), list(t, s, ""))
	}
}

func TestQueueCommittedDeliveredOnce(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := openStore(t)
	m := moduleFor(t, srv)
	id, e := queueIn(t, m, s, offer)
	if calls := e.Calls(); len(calls) != 1 || calls[0].Method != "queue" || calls[0].What != "2 recipients" {
		t.Errorf("calls %+v", calls)
	}
	// Before the commit nobody sees it.
	if got := list(t, s, ""); len(got) != 0 {
		t.Errorf("outbox before commit: %+v", got)
	}
	commit(t, e)
	q := list(t, s, kmail.StateQueued)
	if len(q) != 1 || q[0].ID != id || q[0].Server != "default" || q[0].From != "noreply@kubus.test" || strings.Join(q[0].To, ",") != "ann@example.com,audit@kubus.test" ||
		q[0].Subject != "Your offer" || q[0].Attempts != 0 || q[0].Size == 0 || q[0].MessageID != "<"+id+"@kubus.test>" || q[0].CreatedAt.IsZero() {
		t.Errorf("queued %+v", q)
	}
	o := m.NewOutbox(s, kmail.OutboxOptions{})
	if sent, failed := deliver(t, o); sent != 1 || failed != 0 {
		t.Errorf("sent %d failed %d", sent, failed)
	}
	if sent, _ := deliver(t, o); sent != 0 {
		t.Errorf("sent again: %d", sent)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].Header.Get("Message-Id") != "<"+id+"@kubus.test>" || strings.Join(msgs[0].To, ",") != "ann@example.com,audit@kubus.test" || strings.Contains(string(msgs[0].Raw), "audit@") {
		t.Fatalf("messages %+v", msgs)
	}
	sent := list(t, s, kmail.StateSent)
	if len(sent) != 1 || sent[0].SentAt.IsZero() || sent[0].Attempts != 1 || sent[0].LastError != "" || !sent[0].LeaseUntil.IsZero() {
		t.Errorf("sent %+v", sent)
	}
	b, _ := json.Marshal(sent[0])
	if !strings.Contains(string(b), `"state":"sent"`) || strings.Contains(string(b), "nextAttempt\":\"0001") {
		t.Errorf("JSON %s", b)
	}
}

// TestQueueAfterCommitPokes: the engine runs AfterCommit's functions after the commit; the
// module's outbox then delivers in the background, and Close waits for it.
func TestQueueAfterCommitPokes(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := openStore(t)
	m := moduleFor(t, srv)
	_, e := queueIn(t, m, s, offer)
	commit(t, e)
	fns := e.TakeAfterCommit()
	if len(fns) != 1 {
		t.Fatalf("%d after-commit functions", len(fns))
	}
	fns[0]()
	// A second deliverer racing the background pass: still one delivery.
	deliver(t, m.NewOutbox(s, kmail.OutboxOptions{}))
	m.Close()
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d deliveries", n)
	}
	if got := list(t, s, kmail.StateSent); len(got) != 1 {
		t.Errorf("sent %+v", got)
	}
	if m.Outbox(s) != m.Outbox(s) {
		t.Error("one outbox per store")
	}
}

func TestRun(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{FailFirst: 1})
	s := openStore(t)
	m := newModule(t, kmail.Config{Allow: []string{"127.0.0.1"}, Servers: map[string]kmail.Server{"default": serverFor(srv, "none")},
		Outbox: kmail.OutboxOptions{BaseDelay: 50 * time.Millisecond}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Outbox(s).Run(ctx); close(done) }()
	time.Sleep(50 * time.Millisecond)
	_, e := queueIn(t, m, s, offer)
	commit(t, e)
	for _, fn := range e.TakeAfterCommit() {
		fn()
	}
	// The first attempt fails (451); Run wakes for the retry by itself.
	if msgs := srv.WaitMessages(1, 5*time.Second); len(msgs) != 1 {
		t.Errorf("%d delivered", len(msgs))
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not end with its context")
	}
	if srv.Transactions() != 2 {
		t.Errorf("%d transactions", srv.Transactions())
	}
}

func TestRetryThenDelivered(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{FailFirst: 2})
	s := openStore(t)
	m := moduleFor(t, srv)
	_, e := queueIn(t, m, s, offer)
	commit(t, e)
	clk := newClock()
	o := m.NewOutbox(s, kmail.OutboxOptions{Now: clk.Now})
	if sent, failed := deliver(t, o); sent != 0 || failed != 0 {
		t.Errorf("first: sent %d failed %d", sent, failed)
	}
	q := list(t, s, kmail.StateQueued)
	if len(q) != 1 || q[0].Attempts != 1 || !strings.Contains(q[0].LastError, "rejected: the server refused the message: 451") {
		t.Fatalf("after the first attempt %+v", q)
	}
	if wait := q[0].NextAttempt.Sub(clk.Now()); wait < time.Second || wait > 1500*time.Millisecond {
		t.Errorf("first backoff %v", wait)
	}
	if sent, _ := deliver(t, o); sent != 0 || srv.Transactions() != 1 {
		t.Errorf("not due yet, yet tried: %d transactions", srv.Transactions())
	}
	clk.Advance(1500 * time.Millisecond)
	deliver(t, o)
	q = list(t, s, kmail.StateQueued)
	if len(q) != 1 || q[0].Attempts != 2 {
		t.Fatalf("after the second attempt %+v", q)
	}
	if wait := q[0].NextAttempt.Sub(clk.Now()); wait < 2*time.Second || wait > 3*time.Second {
		t.Errorf("second backoff %v", wait)
	}
	clk.Advance(3 * time.Second)
	if sent, _ := deliver(t, o); sent != 1 {
		t.Errorf("third: sent %d", sent)
	}
	clk.Advance(time.Hour)
	deliver(t, o)
	if len(srv.Messages()) != 1 || srv.Transactions() != 3 {
		t.Errorf("%d delivered in %d transactions", len(srv.Messages()), srv.Transactions())
	}
	if got := list(t, s, kmail.StateSent); len(got) != 1 || got[0].Attempts != 3 {
		t.Errorf("sent %+v", got)
	}
}

func TestOutOfAttempts(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{FailFirst: 100})
	s := openStore(t)
	m := moduleFor(t, srv)
	_, e := queueIn(t, m, s, offer)
	commit(t, e)
	clk := newClock()
	o := m.NewOutbox(s, kmail.OutboxOptions{Now: clk.Now, MaxAttempts: 3})
	var failed int
	for i := 0; i < 10; i++ {
		_, f := deliver(t, o)
		failed += f
		clk.Advance(time.Hour)
	}
	got := list(t, s, "")
	if failed != 1 || srv.Transactions() != 3 || len(got) != 1 || got[0].State != kmail.StateFailed || got[0].Attempts != 3 || !strings.Contains(got[0].LastError, "451") {
		t.Errorf("failed %d, %d transactions, %+v", failed, srv.Transactions(), got)
	}
}

func TestPermanentFailure(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Reject: []string{"ann@example.com", "audit@kubus.test"}})
	s := openStore(t)
	m := moduleFor(t, srv)
	_, e := queueIn(t, m, s, offer)
	commit(t, e)
	o := m.NewOutbox(s, kmail.OutboxOptions{})
	if sent, failed := deliver(t, o); sent != 0 || failed != 1 {
		t.Errorf("sent %d failed %d", sent, failed)
	}
	got := list(t, s, kmail.StateFailed)
	if len(got) != 1 || got[0].Attempts != 1 || got[0].LastError != "rejected: the server refused every recipient: 550 5.1.1 No such user here" {
		t.Errorf("failed %+v", got)
	}
	if sent, failed := deliver(t, o); sent+failed != 0 {
		t.Error("a failed message was tried again")
	}
}

func TestPartialRejection(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Reject: []string{"audit@kubus.test"}})
	s := openStore(t)
	m := moduleFor(t, srv)
	_, e := queueIn(t, m, s, offer)
	commit(t, e)
	if sent, _ := deliver(t, m.NewOutbox(s, kmail.OutboxOptions{})); sent != 1 {
		t.Fatalf("sent %d", sent)
	}
	got := list(t, s, kmail.StateSent)
	if len(got) != 1 || strings.Join(got[0].Rejected, ",") != "audit@kubus.test" || !strings.Contains(got[0].LastError, "refused 1 of 2 recipients: 550") {
		t.Errorf("sent %+v", got)
	}
}

// TestLeaseAfterCrash: a process that claimed a message and died leaves it in sending; once the
// lease has passed another outbox delivers it.
func TestLeaseAfterCrash(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := openStore(t)
	m := moduleFor(t, srv)
	id, e := queueIn(t, m, s, offer)
	commit(t, e)
	clk := newClock()
	crashed := m.NewOutbox(s, kmail.OutboxOptions{Now: clk.Now})
	if ok, err := crashed.Claim(id); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if got := list(t, s, kmail.StateSending); len(got) != 1 || got[0].Attempts != 1 || got[0].LeaseUntil.Sub(clk.Now()) != 5*time.Minute {
		t.Fatalf("sending %+v", got)
	}
	fresh := m.NewOutbox(s, kmail.OutboxOptions{Now: clk.Now})
	if sent, _ := deliver(t, fresh); sent != 0 || srv.Connections() != 0 {
		t.Error("delivered within the lease")
	}
	clk.Advance(5*time.Minute + time.Second)
	if sent, _ := deliver(t, fresh); sent != 1 {
		t.Errorf("after the lease: sent %d", sent)
	}
	if got := list(t, s, kmail.StateSent); len(got) != 1 || got[0].Attempts != 2 || len(srv.Messages()) != 1 {
		t.Errorf("sent %+v, %d messages", got, len(srv.Messages()))
	}
}

// TestCommittedThenKilled: what the kill test at the CLI level relies on: a process that
// committed and never ran its outbox leaves a due message a fresh module and outbox deliver.
func TestCommittedThenKilled(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	dir := t.TempDir()
	path := dir + "/kubus.db"
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := moduleFor(t, srv)
	_, e := queueIn(t, m, s, offer)
	commit(t, e)
	s.Close() // the process dies: AfterCommit never ran
	s2, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	m2 := moduleFor(t, srv)
	if sent, _ := deliver(t, m2.Outbox(s2)); sent != 1 || len(srv.Messages()) != 1 {
		t.Errorf("sent %d, %d messages", sent, len(srv.Messages()))
	}
}

func TestTwoOutboxesDeliverOnce(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := openStore(t)
	m := moduleFor(t, srv)
	const n = 8
	for i := 0; i < n; i++ {
		_, e := queueIn(t, m, s, fmt.Sprintf(`{to: "u%d@example.com", subject: "m%d"}`, i, i))
		commit(t, e)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for i := 0; i < 3; i++ {
		o := m.NewOutbox(s, kmail.OutboxOptions{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent, _, err := o.DeliverDue(context.Background())
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += sent
			mu.Unlock()
		}()
	}
	wg.Wait()
	subjects := map[string]int{}
	for _, msg := range srv.Messages() {
		subjects[msg.Subject]++
	}
	if total != n || len(srv.Messages()) != n || len(subjects) != n {
		t.Errorf("sent %d, %d messages, subjects %v", total, len(srv.Messages()), subjects)
	}
}

func TestQueueRules(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := openStore(t)
	m := moduleFor(t, srv)
	e := newExec()
	e.Tx, e.Store = s.Begin(), s
	defer e.Tx.Discard()
	vm := vmFor(t, m, e)
	if got, _ := thrown(t, vm, `Mail.queue({host: "smtp.example.com", auth: {user: "u", pass: "p"}}, {from: "a@b.nl", to: "a@b.nl"})`); !strings.HasPrefix(got, "TypeError: Mail.queue: server must name a configured mail connection: an inline server would keep its password in the outbox") {
		t.Errorf("inline: %s", got)
	}
	if got, details := thrown(t, vm, `Mail.queue("other", {to: "a@b.nl"})`); got != "Error: Mail.queue: other: no mail connection 'other' is configured (add it under connections: mail: in kubus.yaml)" || !strings.Contains(details, "notConfigured") {
		t.Errorf("unknown: %s %s", got, details)
	}
	e2 := newExec()
	if got, _ := thrown(t, vmFor(t, m, e2), `Mail.queue("default", {to: "a@b.nl"})`); got != "Error: Mail.queue: the outbox needs a store, and none is configured" {
		t.Errorf("no store: %s", got)
	}
	// Attachments by documentId are read from the execution's Tx when queued, its own writes included.
	doc, err := documents.Save(e.Tx, "terms.pdf", "application/pdf", []byte("%PDF terms"), 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_ = vm.Set("DOC", doc.ID)
	if got := eval(t, vm, `typeof Mail.queue("default", {to: "a@b.nl", subject: "with doc", attachments: [{documentId: DOC}]}).id`); got != `"string"` {
		t.Fatalf("queue with document: %s", got)
	}
	commit(t, e)
	if sent, _ := deliver(t, m.NewOutbox(s, kmail.OutboxOptions{})); sent != 1 {
		t.Fatalf("sent %d", sent)
	}
	_, parts, _ := leaves(t, srv.Messages()[0].Raw)
	found := false
	for _, p := range parts {
		found = found || string(p.body) == "%PDF terms" && p.mediaType() == "application/pdf"
	}
	if !found {
		t.Error("the document is not attached")
	}
}

func TestListStates(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Reject: []string{"bad@example.com"}})
	s := openStore(t)
	m := moduleFor(t, srv)
	for _, to := range []string{"a@example.com", "bad@example.com", "c@example.com"} {
		_, e := queueIn(t, m, s, `{to: "`+to+`"}`)
		commit(t, e)
	}
	deliver(t, m.NewOutbox(s, kmail.OutboxOptions{}))
	_, e := queueIn(t, m, s, `{to: "later@example.com"}`)
	commit(t, e)
	all := list(t, s, "")
	if len(all) != 4 || all[0].To[0] != "later@example.com" || all[3].To[0] != "a@example.com" {
		t.Errorf("all, newest first: %+v", all)
	}
	for state, n := range map[string]int{kmail.StateSent: 2, kmail.StateFailed: 1, kmail.StateQueued: 1, kmail.StateSending: 0} {
		if got := list(t, s, state); len(got) != n {
			t.Errorf("%s: %d, want %d", state, len(got), n)
		}
	}
	tx := s.Begin()
	defer tx.Discard()
	if got, err := kmail.List(tx, "", 2); err != nil || len(got) != 2 {
		t.Errorf("limit: %d %v", len(got), err)
	}
	if _, err := kmail.List(tx, "bogus", 0); err == nil {
		t.Error("bogus state")
	}
}

// TestOutboxDeliveryLimits: a silent server ends an attempt within the server's timeout, and a
// stopped outbox leaves the message due again without counting the attempt.
func TestOutboxDeliveryLimits(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Silent: true})
	s := openStore(t)
	cfg := serverFor(srv, "none")
	cfg.Timeout = 200 * time.Millisecond
	m := newModule(t, kmail.Config{Allow: []string{"127.0.0.1"}, Servers: map[string]kmail.Server{"default": cfg}})
	_, e := queueIn(t, m, s, offer)
	commit(t, e)
	start := time.Now()
	deliver(t, m.NewOutbox(s, kmail.OutboxOptions{}))
	q := list(t, s, kmail.StateQueued)
	if time.Since(start) > 2*time.Second || len(q) != 1 || q[0].LastError != "timeout: no answer in time" || q[0].Attempts != 1 {
		t.Errorf("after %v: %+v", time.Since(start), q)
	}
	cfg.Timeout = time.Minute
	m2 := newModule(t, kmail.Config{Allow: []string{"127.0.0.1"}, Servers: map[string]kmail.Server{"default": cfg}})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	clk := newClock()
	clk.Advance(time.Hour)
	start = time.Now()
	if _, _, err := m2.NewOutbox(s, kmail.OutboxOptions{Now: clk.Now}).DeliverDue(ctx); err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("canceled pass: %v after %v", err, time.Since(start))
	}
	q = list(t, s, kmail.StateQueued)
	if len(q) != 1 || q[0].Attempts != 1 {
		t.Errorf("after a canceled attempt %+v", q)
	}
}
