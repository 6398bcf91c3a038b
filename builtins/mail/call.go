package mail

import (
	"context"
	"fmt"
	"time"

	"github.com/dop251/goja"
	"github.com/google/uuid"

	"github.com/kubusdev/kubus/builtins"
)

// target is the server a call names.
type target struct {
	name  string // the configured name; "" for an inline server
	label string // what messages and call records show: the name, or the inline host
	srv   Server
	known bool // a configured server (or an inline one)
}

// target reads the server argument: a configured name, or (for send) an inline server.
func (st *state) target(fn string, v goja.Value, queue bool) *target {
	h := st.h
	if name, ok := v.(goja.String); ok {
		if name.Length() > maxNameBytes {
			h.RangeError(fn, "server is longer than %d bytes", maxNameBytes)
		}
		s := name.String()
		if s == "" {
			h.TypeError(fn, "server must name a mail connection, got \"\"")
		}
		p := &parser{st: st, fn: fn}
		p.headerSafe(s, "server")
		srv, known := st.m.cfg.Servers[s]
		return &target{name: s, label: s, srv: srv, known: known}
	}
	o, ok := v.(*goja.Object)
	if !ok || o.ClassName() == "Array" {
		h.TypeError(fn, "server must be a connection name or {host, port, secure, auth}, got %s", builtins.Describe(v))
	}
	if queue {
		h.TypeError(fn, "server must name a configured mail connection: an inline server would keep its password in the outbox (add it under connections: mail: in kubus.yaml)")
	}
	p := &parser{st: st, fn: fn}
	p.keys(o, "server", []string{"host", "port", "secure", "auth", "from"})
	host, ok := p.str(o.Get("host"), "server.host", 253, true)
	if !ok {
		h.TypeError(fn, "server.host is required")
	}
	if err := checkHost(host); err != nil {
		h.TypeError(fn, "server.%v", err)
	}
	srv := Server{Host: host}
	switch sec := o.Get("secure"); {
	case builtins.IsMissing(sec) || goja.IsNull(sec):
	default:
		if b, ok := builtins.BoolOf(sec); ok {
			srv.TLS = map[bool]string{true: "tls", false: "starttls"}[b]
			break
		}
		s, _ := p.str(sec, "server.secure", 20, true)
		switch s {
		case "none", "starttls", "tls":
			srv.TLS = s
		default:
			h.TypeError(fn, "server.secure must be \"none\", \"starttls\" or \"tls\", got %s", builtins.Describe(sec))
		}
	}
	if pv := o.Get("port"); !builtins.IsMissing(pv) && !goja.IsNull(pv) {
		n, ok := builtins.NumberOf(pv)
		if !ok || n != float64(int(n)) || n < 1 || n > 65535 {
			h.RangeError(fn, "server.port must be a whole number from 1 to 65535, got %s", builtins.Describe(pv))
		}
		srv.Port = int(n)
	}
	if av := o.Get("auth"); !builtins.IsMissing(av) && !goja.IsNull(av) {
		ao, ok := av.(*goja.Object)
		if !ok {
			h.TypeError(fn, "server.auth must be {user, pass}, got %s", builtins.Describe(av))
		}
		p.keys(ao, "server.auth", []string{"user", "pass"})
		srv.User, _ = p.str(ao.Get("user"), "server.auth.user", 998, true)
		srv.Pass, _ = p.str(ao.Get("pass"), "server.auth.pass", 998, true)
		if srv.User == "" {
			h.TypeError(fn, "server.auth.user is required")
		}
	}
	if fv := o.Get("from"); !builtins.IsMissing(fv) && !goja.IsNull(fv) {
		if from := p.addrs(fv, "server.from", false); len(from) == 1 {
			srv.From = from[0].String()
		} else {
			h.TypeError(fn, "server.from must be one address")
		}
	}
	if srv.TLS == "" && srv.Port == 465 {
		srv.TLS = "tls" // the submission port with implicit TLS
	}
	srv = srv.withDefaults()
	return &target{label: host, srv: srv, known: true}
}

// call is Mail.send (queue false) and Mail.queue.
func (st *state) call(call goja.FunctionCall, queue bool) goja.Value {
	fn, method := "Mail.send", "send"
	if queue {
		fn, method = "Mail.queue", "queue"
	}
	h, m := st.h, st.m
	e := h.MustExec(fn)
	calls := st.calls.Get(e, func() *int { return new(int) })
	if *calls++; *calls > m.cfg.MaxCalls {
		h.RangeError(fn, "more than %d Mail calls in one execution (the connections' mail maxCalls)", m.cfg.MaxCalls)
	}
	if builtins.IsMissing(call.Argument(0)) {
		h.TypeError(fn, "server is required")
	}
	tgt := st.target(fn, call.Argument(0), queue)
	record := builtins.Call{Module: "Mail", Target: builtins.Truncate(tgt.label, 100), Method: method}
	start := time.Now()
	finish := func(status int, kind string) {
		record.Status, record.Error = status, kind
		record.Ms = float64(time.Since(start).Microseconds()) / 1000
		e.RecordCall(record)
	}
	var capture *Capture
	if e.Fixtures != nil {
		c, ok := e.Fixtures["Mail"].(*Capture)
		if !ok || c == nil {
			if e.Unanswered != nil {
				e.Unanswered(fmt.Sprintf("Mail.%s %s (add mail: capture to the testcase)", method, builtins.Truncate(tgt.label, 100)))
			}
			finish(0, "noFixture")
			st.fail(fn, &callError{kind: "noFixture", server: tgt.label, msg: "no fixture of the testcase answers mail (add mail: capture to the testcase)"})
		}
		capture = c
	} else if !tgt.known {
		finish(0, "notConfigured")
		st.fail(fn, &callError{kind: "notConfigured", server: tgt.label,
			msg: fmt.Sprintf("no mail connection '%s' is configured (add it under connections: mail: in kubus.yaml)", builtins.Truncate(tgt.name, 100))})
	}
	if queue && capture == nil && e.Tx == nil {
		h.Error(fn, "the outbox needs a store, and none is configured")
	}
	opts := h.Object(call, 1, fn, "options")
	p := &parser{st: st, fn: fn, label: tgt.label, tx: e.Tx, budget: m.cfg.MaxRecipients}
	d := p.options(opts, tgt.srv.From)
	rcpts := d.recipients()
	record.What = fmt.Sprintf("%d recipients", len(rcpts))
	if len(rcpts) == 1 {
		record.What = "1 recipient"
	}

	var id, messageID string
	if queue {
		u, err := uuid.NewV7()
		if err != nil {
			h.Error(fn, "a new id: %v", err)
		}
		id = u.String()
		messageID = id + "@" + messageDomain(d.from.Address)
	} else {
		messageID = uuid.NewString() + "@" + messageDomain(d.from.Address)
	}
	raw, err := build(d, messageID, time.Now())
	if err != nil {
		h.Error(fn, "%v", err)
	}
	if int64(len(raw)) > m.cfg.MaxMessageBytes {
		finish(0, "tooLarge")
		p.tooLarge()
	}
	if capture != nil {
		c := captured(d, tgt.label, "<"+messageID+">", raw, queue)
		if queue {
			e.AfterCommit(func() { capture.add(c) })
			finish(0, "")
			return st.queued(id, messageID)
		}
		capture.add(c)
		finish(250, "")
		return st.result(d, rcpts, &delivered{accepted: rcpts, code: 250, response: "250 captured (mail: capture)"}, len(raw), messageID)
	}
	if queue {
		if err := putQueued(e.Tx, id, tgt.name, d, rcpts, messageID, raw, time.Now()); err != nil {
			h.Error(fn, "writing the outbox: %v", err)
		}
		if s := e.Store; s != nil {
			e.AfterCommit(func() { m.Outbox(s).Poke() })
		}
		finish(0, "")
		return st.queued(id, messageID)
	}

	parent := e.Context
	if parent == nil {
		parent = context.Background()
	}
	timeout := tgt.srv.Timeout
	if !e.Deadline.IsZero() {
		timeout = min(timeout, time.Until(e.Deadline))
	}
	res, ce := m.deliver(parent, tgt.srv, tgt.label, timeout, d.from.Address, rcpts, raw)
	if ce != nil {
		finish(ce.code, ce.kind)
		st.fail(fn, ce)
	}
	finish(res.code, "")
	return st.result(d, rcpts, res, len(raw), messageID)
}

// fail throws the call's Error, with details {kind, server, code}.
func (st *state) fail(fn string, ce *callError) {
	server := builtins.Truncate(ce.server, 100)
	var code any
	if ce.code != 0 {
		code = ce.code
	}
	st.h.ErrorWithDetails(fmt.Sprintf("%s: %s: %s", fn, server, ce.msg),
		builtins.Detail{Key: "kind", Value: ce.kind}, builtins.Detail{Key: "server", Value: server}, builtins.Detail{Key: "code", Value: code})
}

// result is Mail.send's answer, nodemailer's shape.
func (st *state) result(d *draft, rcpts []string, r *delivered, size int, messageID string) goja.Value {
	vm := st.h.VM
	strs := func(ss []string) goja.Value {
		vals := make([]any, len(ss))
		for i, s := range ss {
			vals[i] = s
		}
		return vm.NewArray(vals...)
	}
	o := vm.NewObject()
	_ = o.Set("accepted", strs(r.accepted))
	_ = o.Set("rejected", strs(r.rejected))
	_ = o.Set("envelopeTime", float64(r.envelope.Microseconds())/1000)
	_ = o.Set("messageTime", float64(r.message.Microseconds())/1000)
	_ = o.Set("messageSize", size)
	_ = o.Set("response", r.response)
	env := vm.NewObject()
	_ = env.Set("from", d.from.Address)
	_ = env.Set("to", strs(rcpts))
	_ = o.Set("envelope", env)
	_ = o.Set("messageId", "<"+messageID+">")
	return o
}

// queued is Mail.queue's answer.
func (st *state) queued(id, messageID string) goja.Value {
	o := st.h.VM.NewObject()
	_ = o.Set("id", id)
	_ = o.Set("messageId", "<"+messageID+">")
	return o
}
