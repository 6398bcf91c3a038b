package mail

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kubusdev/kubus/store"
)

// The outbox lives in the store: one record per message in OutboxKind (what List shows), and the
// built message in a record of its own with the same id (so that scanning for due messages reads
// no bodies; it is deleted once the message is sent).
var (
	OutboxKind = store.Kind{Ruleset: "_mail", Entity: "Outbox"}
	bodyKind   = store.Kind{Ruleset: "_mail", Entity: "OutboxBody"}
)

// The states of an outbox message.
const (
	StateQueued  = "queued"  // waiting for its next attempt (NextAttempt)
	StateSending = "sending" // claimed by an outbox until its lease ends
	StateSent    = "sent"
	StateFailed  = "failed" // for good: a permanent SMTP error, or out of attempts
)

// Message is one outbox message as `kubus mail list` and GET /api/mail/outbox show it. To holds
// every envelope recipient (to, cc and bcc).
type Message struct {
	ID          string    `json:"id"`
	Server      string    `json:"server"`
	From        string    `json:"from"`
	To          []string  `json:"to"`
	Subject     string    `json:"subject"`
	State       string    `json:"state"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"nextAttempt,omitzero"`
	CreatedAt   time.Time `json:"createdAt"`
	SentAt      time.Time `json:"sentAt,omitzero"`
	LastError   string    `json:"lastError,omitempty"`
	Size        int64     `json:"size"`
	// MessageID is the Message-ID header (with <>): derived from ID, the same on every attempt.
	MessageID string `json:"messageId"`
	// Rejected are the recipients the server refused when the others were accepted.
	Rejected []string `json:"rejected,omitempty"`
	// LeaseUntil is when a message in sending becomes due again if its outbox never reports back.
	LeaseUntil time.Time `json:"leaseUntil,omitzero"`
}

// timeFormat stores times in one fixed width, so that they also compare as strings.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(v any) time.Time {
	s, _ := v.(string)
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func strList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func messageOf(r *store.Record) Message {
	p := r.Props
	str := func(k string) string { s, _ := p[k].(string); return s }
	num := func(k string) float64 { f, _ := p[k].(float64); return f }
	return Message{
		ID: r.ID, Server: str("server"), From: str("from"), To: strList(p["to"]), Subject: str("subject"),
		State: str("state"), Attempts: int(num("attempts")), NextAttempt: parseTime(p["nextAttempt"]),
		CreatedAt: r.CreatedAt, SentAt: parseTime(p["sentAt"]), LastError: str("lastError"), Size: int64(num("size")),
		MessageID: str("messageId"), Rejected: strList(p["rejected"]), LeaseUntil: parseTime(p["leaseUntil"]),
	}
}

// putQueued buffers a queued message in tx (the execution's): it is due at once, after the commit.
func putQueued(tx store.Tx, id, server string, d *draft, rcpts []string, messageID string, raw []byte, now time.Time) error {
	to := make([]any, len(rcpts))
	for i, r := range rcpts {
		to[i] = r
	}
	_, err := tx.Put(OutboxKind, &store.Record{ID: id, Props: map[string]any{
		"server": server, "from": d.from.Address, "to": to, "subject": d.subject, "state": StateQueued,
		"attempts": 0, "nextAttempt": fmtTime(now), "size": len(raw), "messageId": "<" + messageID + ">",
	}}, now)
	if err != nil {
		return err
	}
	_, err = tx.Put(bodyKind, &store.Record{ID: id, Props: map[string]any{"raw": base64.StdEncoding.EncodeToString(raw)}}, now)
	return err
}

// List reads the outbox, newest first: every message when state is "", else those in that state;
// at most limit (0: all).
func List(tx store.Tx, state string, limit int) ([]Message, error) {
	switch state {
	case "", StateQueued, StateSending, StateSent, StateFailed:
	default:
		return nil, fmt.Errorf("mail: state %q: use queued, sending, sent or failed", state)
	}
	if limit < 0 {
		return nil, fmt.Errorf("mail: negative limit %d", limit)
	}
	q := store.Query{Sort: []string{"-_id"}, Limit: limit}
	if state != "" {
		q.Filter = map[string]any{"state": state}
	}
	recs, err := tx.Find(OutboxKind, q)
	if err != nil {
		return nil, err
	}
	out := make([]Message, len(recs))
	for i, r := range recs {
		out[i] = messageOf(r)
	}
	return out, nil
}

// OutboxOptions tune an Outbox; zero fields take the defaults.
type OutboxOptions struct {
	// Now is the clock due times are read against (default time.Now): tests advance their own.
	Now func() time.Time
	// Lease is how long a claimed message stays in sending before another outbox may take it
	// (default 5 minutes, and at least three times the server's timeout).
	Lease time.Duration
	// MaxAttempts bounds the attempts per message (default 8); then it has failed.
	MaxAttempts int
	// BaseDelay is the wait after the first failed attempt (default 1 s); it doubles with each
	// attempt, up to MaxDelay (default 1 hour), with up to half again of jitter.
	BaseDelay, MaxDelay time.Duration
	// Logf, when set, hears each delivery's outcome (ids, server names and error kinds, never
	// addresses or bodies).
	Logf func(format string, args ...any)
}

func (o OutboxOptions) withDefaults() OutboxOptions {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Lease <= 0 {
		o.Lease = 5 * time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = time.Second
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = time.Hour
	}
	return o
}

// Outbox delivers the queued messages of one store. Several outboxes (in one process or in
// several on one store) may run at once: each message is claimed in a transaction of its own, so
// only one of them sends it. Delivery is at least once: a process killed after the server
// accepted a message but before it was marked sent sends it again after its lease, with the same
// Message-ID, so receivers can tell.
type Outbox struct {
	m    *Module
	s    store.Store
	opts OutboxOptions
	wake chan struct{}

	mu       sync.Mutex
	running  int  // Run loops
	bgActive bool // a pass Poke started
	bgAgain  bool // poked again during it
}

// Outbox is the module's outbox for s (one per store), with Config.Outbox's options. A queued
// message pokes it after its execution commits.
func (m *Module) Outbox(s store.Store) *Outbox {
	m.mu.Lock()
	defer m.mu.Unlock()
	if o := m.outboxes[s]; o != nil {
		return o
	}
	o := m.NewOutbox(s, m.cfg.Outbox)
	m.outboxes[s] = o
	return o
}

// NewOutbox is an outbox of its own for s (a second deliverer, a test's with its clock); it
// delivers with the module's servers.
func (m *Module) NewOutbox(s store.Store, opts OutboxOptions) *Outbox {
	return &Outbox{m: m, s: s, opts: opts.withDefaults(), wake: make(chan struct{}, 1)}
}

func (m *Module) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

func (o *Outbox) logf(format string, args ...any) {
	if o.opts.Logf != nil {
		o.opts.Logf(format, args...)
	}
}

// DeliverDue makes one pass: it delivers every message that is due (queued with NextAttempt
// passed, or in sending with its lease run out). sent counts the messages delivered, failed
// those given up on for good in this pass; a retry scheduled counts in neither. err is a store
// error or ctx's end (which also ends a conversation under way; its message is due again).
func (o *Outbox) DeliverDue(ctx context.Context) (sent, failed int, err error) {
	sent, failed, _, err = o.pass(ctx, nil)
	return sent, failed, err
}

// Run delivers due messages until ctx ends: at once, then whenever Poke is called, when the next
// retry is due, and at least every minute (for messages another process queued).
func (o *Outbox) Run(ctx context.Context) {
	o.mu.Lock()
	o.running++
	o.mu.Unlock()
	defer func() {
		o.mu.Lock()
		o.running--
		o.mu.Unlock()
	}()
	for {
		_, _, next, err := o.pass(ctx, nil)
		if ctx.Err() != nil {
			return
		}
		wait := time.Minute
		if err != nil {
			o.logf("mail: outbox: %v", err)
			wait = 5 * time.Second
		}
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(o.opts.Now()), 0))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-o.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// Poke says a message was queued. A running Run delivers it; without one, a pass starts in the
// background (Module.Close waits for it).
func (o *Outbox) Poke() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.running > 0 {
		select {
		case o.wake <- struct{}{}:
		default:
		}
		return
	}
	if o.bgActive {
		o.bgAgain = true
		return
	}
	m := o.m
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.bg.Add(1)
	m.mu.Unlock()
	o.bgActive = true
	go func() {
		defer m.bg.Done()
		for {
			// The pass runs to its end even when Close comes meanwhile: a command that committed
			// a message delivers it (one attempt) before it exits.
			if _, _, _, err := o.pass(context.Background(), nil); err != nil {
				o.logf("mail: outbox: %v", err)
			}
			o.mu.Lock()
			if !o.bgAgain || m.isClosed() {
				o.bgActive = false
				o.mu.Unlock()
				return
			}
			o.bgAgain = false
			o.mu.Unlock()
		}
	}()
}

// pass delivers the due messages, earliest first; stop (when set) is asked between messages.
// next is the earliest time a message not yet due becomes due.
func (o *Outbox) pass(ctx context.Context, stop func() bool) (sent, failed int, next time.Time, err error) {
	tx := o.s.Begin()
	recs, err := tx.Find(OutboxKind, store.Query{Filter: map[string]any{"state": map[string]any{"$in": []any{StateQueued, StateSending}}}})
	tx.Discard()
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("mail: reading the outbox: %w", err)
	}
	now := o.opts.Now()
	later := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	type due struct {
		id string
		at time.Time
	}
	var todo []due
	for _, r := range recs {
		msg := messageOf(r)
		at := msg.NextAttempt
		if msg.State == StateSending {
			at = msg.LeaseUntil
		}
		if at.After(now) {
			later(at)
			continue
		}
		todo = append(todo, due{r.ID, at})
	}
	sort.SliceStable(todo, func(i, j int) bool { return todo[i].at.Before(todo[j].at) })
	for _, d := range todo {
		if ctx.Err() != nil {
			return sent, failed, next, ctx.Err()
		}
		if stop != nil && stop() {
			return sent, failed, next, nil
		}
		outcome, retry, err := o.deliverOne(ctx, d.id)
		if err != nil {
			return sent, failed, next, err
		}
		switch outcome {
		case StateSent:
			sent++
		case StateFailed:
			failed++
		case StateQueued:
			later(retry)
		}
	}
	return sent, failed, next, ctx.Err()
}

// deliverOne claims, sends and marks one message. outcome is the state it was left in ("" when
// another outbox had it); retry its next attempt when queued again.
func (o *Outbox) deliverOne(ctx context.Context, id string) (outcome string, retry time.Time, err error) {
	token := uuid.NewString()
	msg, srv, known, ok, err := o.claim(id, token)
	if err != nil || !ok {
		return outcome, retry, err
	}
	if msg.State == StateFailed { // out of attempts, marked by claim
		return StateFailed, retry, nil
	}
	var res *delivered
	var ce *callError
	raw, rerr := o.body(id)
	switch {
	case rerr != nil:
		ce = &callError{kind: "network", server: msg.Server, msg: "reading the message: " + rerr.Error()}
	case raw == nil:
		ce = &callError{kind: "rejected", server: msg.Server, code: 554, msg: "the message's body is missing from the outbox"}
	case !known:
		ce = &callError{kind: "notConfigured", server: msg.Server, msg: fmt.Sprintf("no mail connection '%s' is configured", msg.Server)}
	default:
		res, ce = o.m.deliver(ctx, srv, msg.Server, srv.Timeout, msg.From, msg.To, raw)
	}
	return o.finish(id, token, msg, res, ce)
}

// claim takes a due message for this outbox: state sending, one more attempt, a lease, in a
// transaction of its own. ok is false when the message is not due (any more) or another outbox
// took it first (the commit conflicts). A message out of attempts is marked failed instead.
func (o *Outbox) claim(id, token string) (msg Message, srv Server, known, ok bool, err error) {
	tx := o.s.Begin()
	defer tx.Discard()
	rec, err := tx.Get(OutboxKind, id)
	if errors.Is(err, store.ErrNotFound) {
		return msg, srv, false, false, nil
	} else if err != nil {
		return msg, srv, false, false, fmt.Errorf("mail: outbox %s: %w", id, err)
	}
	msg = messageOf(rec)
	now := o.opts.Now()
	switch {
	case msg.State == StateQueued && !msg.NextAttempt.After(now):
	case msg.State == StateSending && !msg.LeaseUntil.After(now):
	default:
		return msg, srv, false, false, nil
	}
	props := rec.Props
	if msg.Attempts >= o.opts.MaxAttempts {
		props["state"], msg.State = StateFailed, StateFailed
		props["lastError"] = fmt.Sprintf("gave up after %d attempts (the last one never reported back)", msg.Attempts)
		delete(props, "lease")
		delete(props, "leaseUntil")
	} else {
		srv, known = o.m.cfg.Servers[msg.Server]
		lease := max(o.opts.Lease, 3*srv.Timeout)
		msg.Attempts++
		msg.LeaseUntil = now.Add(lease)
		props["state"], props["attempts"], props["lease"], props["leaseUntil"] = StateSending, msg.Attempts, token, fmtTime(msg.LeaseUntil)
	}
	if _, err := tx.Put(OutboxKind, rec, now); err != nil {
		return msg, srv, false, false, fmt.Errorf("mail: outbox %s: %w", id, err)
	}
	switch err := tx.Commit(); {
	case errors.Is(err, store.ErrConflict):
		return msg, srv, false, false, nil // another outbox took it
	case err != nil:
		return msg, srv, false, false, fmt.Errorf("mail: outbox %s: %w", id, err)
	}
	if msg.State == StateFailed {
		o.logf("mail: outbox: message %s: failed for good: out of attempts", id)
	}
	return msg, srv, known, true, nil
}

// body reads a message's built bytes; nil when the record is missing.
func (o *Outbox) body(id string) ([]byte, error) {
	tx := o.s.Begin()
	defer tx.Discard()
	rec, err := tx.Get(bodyKind, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	s, _ := rec.Props["raw"].(string)
	return base64.StdEncoding.DecodeString(s)
}

// backoff is the wait after the attempt-th failed attempt: BaseDelay doubled per attempt, capped,
// plus up to half again of jitter.
func (o *Outbox) backoff(attempt int) time.Duration {
	d := o.opts.BaseDelay
	for i := 1; i < attempt && d < o.opts.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, o.opts.MaxDelay)
	return d + time.Duration(rand.Int64N(int64(d/2)+1))
}

// finish records the attempt's outcome, if the message is still this outbox's (its lease not
// taken over by another).
func (o *Outbox) finish(id, token string, msg Message, res *delivered, ce *callError) (outcome string, retry time.Time, err error) {
	for try := 0; ; try++ {
		tx := o.s.Begin()
		rec, err := tx.Get(OutboxKind, id)
		if err != nil {
			tx.Discard()
			if errors.Is(err, store.ErrNotFound) {
				return "", retry, nil
			}
			return "", retry, fmt.Errorf("mail: outbox %s: %w", id, err)
		}
		props := rec.Props
		if props["lease"] != token || props["state"] != StateSending {
			tx.Discard()
			o.logf("mail: outbox: message %s: the lease ran out before the attempt ended", id)
			return "", retry, nil
		}
		now := o.opts.Now()
		delete(props, "lease")
		delete(props, "leaseUntil")
		switch {
		case ce == nil:
			outcome = StateSent
			props["state"], props["sentAt"] = StateSent, fmtTime(now)
			delete(props, "lastError")
			if len(res.rejected) > 0 {
				rej := make([]any, len(res.rejected))
				for i, r := range res.rejected {
					rej[i] = r
				}
				props["rejected"] = rej
				props["lastError"] = fmt.Sprintf("the server refused %d of %d recipients: %s", len(res.rejected), len(msg.To), res.rejectedWhy)
			}
			if err := tx.Delete(bodyKind, id); err != nil && !errors.Is(err, store.ErrNotFound) {
				tx.Discard()
				return "", retry, fmt.Errorf("mail: outbox %s: %w", id, err)
			}
		case ce.kind == "canceled":
			// The outbox stopped, the message did not fail: due again, the attempt not counted.
			outcome = StateQueued
			retry = now
			props["state"], props["attempts"], props["nextAttempt"] = StateQueued, max(msg.Attempts-1, 0), fmtTime(now)
		case ce.permanent() || msg.Attempts >= o.opts.MaxAttempts:
			outcome = StateFailed
			props["state"], props["lastError"] = StateFailed, ce.kind+": "+ce.msg
		default:
			outcome = StateQueued
			retry = now.Add(o.backoff(msg.Attempts))
			props["state"], props["nextAttempt"], props["lastError"] = StateQueued, fmtTime(retry), ce.kind+": "+ce.msg
		}
		if _, err := tx.Put(OutboxKind, rec, now); err != nil {
			tx.Discard()
			return "", retry, fmt.Errorf("mail: outbox %s: %w", id, err)
		}
		switch err := tx.Commit(); {
		case err == nil:
			switch {
			case ce == nil:
				o.logf("mail: outbox: message %s via %s: sent (attempt %d)", id, msg.Server, msg.Attempts)
			case outcome == StateFailed:
				o.logf("mail: outbox: message %s via %s: failed for good (%s, attempt %d)", id, msg.Server, ce.kind, msg.Attempts)
			default:
				o.logf("mail: outbox: message %s via %s: %s, retry at %s (attempt %d)", id, msg.Server, ce.kind, retry.Format(time.RFC3339), msg.Attempts)
			}
			return outcome, retry, nil
		case errors.Is(err, store.ErrConflict) && try < 3:
			continue // read it again: whether it is still ours decides
		default:
			return "", retry, fmt.Errorf("mail: outbox %s: %w", id, err)
		}
	}
}
