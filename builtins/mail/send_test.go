package mail_test

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
	"github.com/kubusdev/kubus/builtins/documents"
	kmail "github.com/kubusdev/kubus/builtins/mail"
	"github.com/kubusdev/kubus/builtins/mail/smtptest"
)

func TestSendEveryField(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	e := newExec()
	vm := vmFor(t, moduleFor(t, srv), e)
	got := eval(t, vm, `(() => {
		const r = Mail.send("default", {
			from: {name: "Offers Team", address: "offers@kubus.test"},
			to: "ann@example.com, Bob Smith <bob@example.org>",
			cc: ["carol@example.com", {name: "Dave", address: "dave@example.com"}],
			bcc: "secret@example.com",
			replyTo: "desk@kubus.test",
			subject: "Uw offerte: € 250.000",
			text: "Dear Ann,\nplain text.",
			html: "<p>Dear Ann, <img src=\"cid:logo@kubus\"></p>",
			attachments: [
				{filename: "offer.txt", content: "Hello, wörld"},
				{filename: "data.bin", content: "AAECAwQ=", encoding: "base64", contentType: "application/octet-stream"},
				{filename: "logo.png", content: "iVBORw0KGgo=", encoding: "base64", contentType: "image/png", cid: "logo@kubus"},
			],
		})
		return [r.accepted, r.rejected, r.response, r.envelope, typeof r.envelopeTime, typeof r.messageTime, r.messageSize > 0, /^<.+@kubus\.test>$/.test(r.messageId), r.messageId]
	})()`)
	var res []any
	if err := json.Unmarshal([]byte(got), &res); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	want := `[["ann@example.com","bob@example.org","carol@example.com","dave@example.com","secret@example.com"],[],"250 2.0.0 OK: queued",{"from":"offers@kubus.test","to":["ann@example.com","bob@example.org","carol@example.com","dave@example.com","secret@example.com"]},"number","number",true,true]`
	if b, _ := json.Marshal(res[:8]); string(b) != want {
		t.Errorf("result\n got  %s\n want %s", b, want)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if m.From != "offers@kubus.test" || !slices.Equal(m.To, []string{"ann@example.com", "bob@example.org", "carol@example.com", "dave@example.com", "secret@example.com"}) {
		t.Errorf("envelope %s → %v", m.From, m.To)
	}
	if m.Subject != "Uw offerte: € 250.000" {
		t.Errorf("subject %q", m.Subject)
	}
	dec := new(mime.WordDecoder)
	from, _ := dec.DecodeHeader(m.Header.Get("From"))
	if from != `"Offers Team" <offers@kubus.test>` || m.Header.Get("Reply-To") != "<desk@kubus.test>" {
		t.Errorf("From %q, Reply-To %q", from, m.Header.Get("Reply-To"))
	}
	if to := m.Header.Get("To"); !strings.Contains(to, "<ann@example.com>") || !strings.Contains(to, "<bob@example.org>") {
		t.Errorf("To %q", to)
	}
	if cc := m.Header.Get("Cc"); !strings.Contains(cc, "<carol@example.com>") || !strings.Contains(cc, `"Dave" <dave@example.com>`) {
		t.Errorf("Cc %q", cc)
	}
	if m.Header.Get("Bcc") != "" || strings.Contains(string(m.Raw), "secret@example.com") {
		t.Errorf("the bcc address is in the message:\n%s", m.Raw)
	}
	if id := m.Header.Get("Message-Id"); id != res[8] {
		t.Errorf("Message-ID %q, result %v", id, res[8])
	}
	_, parts, types := leaves(t, m.Raw)
	if !slices.Contains(types, "multipart/mixed") || !slices.Contains(types, "multipart/alternative") {
		t.Errorf("MIME types %v", types)
	}
	bodies := map[string]string{}
	for _, p := range parts {
		key := p.mediaType()
		if _, params, _ := mime.ParseMediaType(p.header.Get("Content-Disposition")); params["filename"] != "" {
			key = params["filename"]
		}
		bodies[key] = string(p.body)
	}
	for k, v := range map[string]string{
		"text/plain": "Dear Ann,\r\nplain text.", "text/html": `<p>Dear Ann, <img src="cid:logo@kubus"></p>`,
		"offer.txt": "Hello, wörld", "data.bin": "\x00\x01\x02\x03\x04", "logo.png": "\x89PNG\r\n\x1a\n",
	} {
		if got := strings.ReplaceAll(bodies[k], "\r\n", "\n"); got != strings.ReplaceAll(v, "\r\n", "\n") {
			t.Errorf("%s: %q, want %q (parts %v)", k, bodies[k], v, types)
		}
	}
	for _, p := range parts {
		if strings.Contains(p.header.Get("Content-Disposition"), "logo.png") {
			if p.header.Get("Content-Id") != "<logo@kubus>" || !strings.HasPrefix(p.header.Get("Content-Disposition"), "inline") {
				t.Errorf("inline image: %v", p.header)
			}
		}
	}
	calls := e.Calls()
	if len(calls) != 1 || calls[0].Module != "Mail" || calls[0].Target != "default" || calls[0].Method != "send" || calls[0].Status != 250 || calls[0].What != "5 recipients" {
		t.Errorf("calls %+v", calls)
	}
	// The server's default sender, and a text-only message.
	if got := eval(t, vm, `Mail.send("default", {to: ["ann@example.com"], subject: "x", text: "only text"}).envelope.from`); got != `"noreply@kubus.test"` {
		t.Errorf("default from: %s", got)
	}
	m = srv.Messages()[1]
	if ct := m.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("text-only Content-Type %q", ct)
	}
}

func TestDocumentAttachment(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := openStore(t)
	tx := s.Begin()
	doc, err := documents.Save(tx, "offer.pdf", "application/pdf", []byte("%PDF-1.4 fake"), 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	e := newExec()
	e.Tx, e.Store = s.Begin(), s
	defer e.Tx.Discard()
	vm := vmFor(t, moduleFor(t, srv), e)
	_ = vm.Set("DOC", doc.ID)
	if got := eval(t, vm, `Mail.send("default", {to: "ann@example.com", subject: "Offer", text: "attached", attachments: [{documentId: DOC}, {documentId: DOC, filename: "renamed.pdf"}]}).accepted.length`); got != "1" {
		t.Fatalf("send: %s", got)
	}
	_, parts, _ := leaves(t, srv.Messages()[0].Raw)
	var names []string
	for _, p := range parts {
		if _, params, _ := mime.ParseMediaType(p.header.Get("Content-Disposition")); params["filename"] != "" {
			names = append(names, params["filename"])
			if string(p.body) != "%PDF-1.4 fake" || p.mediaType() != "application/pdf" {
				t.Errorf("%s: %q %s", params["filename"], p.body, p.mediaType())
			}
		}
	}
	if !slices.Equal(names, []string{"offer.pdf", "renamed.pdf"}) {
		t.Errorf("attachments %v", names)
	}
	if got, _ := thrown(t, vm, `Mail.send("default", {to: "a@b.nl", attachments: [{documentId: "nope"}]})`); !strings.Contains(got, `Error: Mail.send: mailOptions.attachments[0].documentId: no document "nope"`) {
		t.Errorf("missing document: %s", got)
	}
}

func TestTLSAndAuth(t *testing.T) {
	for _, mode := range []string{"starttls", "tls"} {
		t.Run(mode, func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.Options{TLS: mode, User: "kubus", Pass: "s3cret"})
			cfg := serverFor(srv, mode)
			cfg.User, cfg.Pass = "kubus", "s3cret"
			m := newModule(t, kmail.Config{Allow: []string{"127.0.0.1"}, Servers: map[string]kmail.Server{"default": cfg}})
			vm := vmFor(t, m, newExec())
			if got := eval(t, vm, `Mail.send("default", {to: "ann@example.com", subject: "tls", text: "x"}).accepted`); got != `["ann@example.com"]` {
				t.Fatalf("send: %s", got)
			}
			msg := srv.Messages()[0]
			if !msg.TLS || msg.User != "kubus" {
				t.Errorf("TLS %v, user %q", msg.TLS, msg.User)
			}
		})
	}
	t.Run("untrusted certificate", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{TLS: "starttls"})
		cfg := serverFor(srv, "starttls")
		cfg.RootCAs = nil
		m := newModule(t, kmail.Config{Allow: []string{"127.0.0.1"}, Servers: map[string]kmail.Server{"default": cfg}})
		got, details := thrown(t, vmFor(t, m, newExec()), `Mail.send("default", {to: "ann@example.com", text: "x"})`)
		if !strings.Contains(got, "certificate") || !strings.Contains(details, `"kind":"network"`) || len(srv.Messages()) != 0 {
			t.Errorf("%s %s", got, details)
		}
	})
	t.Run("no STARTTLS offered", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{})
		m := newModule(t, kmail.Config{Allow: []string{"127.0.0.1"}, Servers: map[string]kmail.Server{"default": serverFor(srv, "starttls")}})
		got, _ := thrown(t, vmFor(t, m, newExec()), `Mail.send("default", {to: "ann@example.com", text: "x"})`)
		if !strings.Contains(got, "does not offer STARTTLS") || len(srv.Messages()) != 0 {
			t.Errorf("%s", got)
		}
	})
	t.Run("inline server", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{TLS: "starttls", User: "kubus", Pass: "s3cret"})
		m := newModule(t, kmail.Config{Allow: []string{"127.0.0.1"}})
		vm := vmFor(t, m, newExec())
		_ = vm.Set("PORT", srv.Port)
		// Inline servers verify against the system's roots: the self-signed test certificate fails,
		// after STARTTLS and before AUTH, so the password never leaves.
		got, details := thrown(t, vm, `Mail.send({host: "127.0.0.1", port: PORT, secure: "starttls", auth: {user: "kubus", pass: "s3cret"}}, {from: "a@b.nl", to: "ann@example.com", text: "x"})`)
		if !strings.HasPrefix(got, "Error: Mail.send: 127.0.0.1: TLS: the server's certificate is not trusted") || !strings.Contains(details, `"server":"127.0.0.1"`) {
			t.Errorf("%s %s", got, details)
		}
		plain := smtptest.Start(t, smtptest.Options{User: "kubus", Pass: "s3cret"})
		_ = vm.Set("PORT", plain.Port)
		if got := eval(t, vm, `Mail.send({host: "127.0.0.1", port: PORT, secure: "none", auth: {user: "kubus", pass: "s3cret"}}, {from: "a@b.nl", to: "ann@example.com", text: "x"}).accepted`); got != `["ann@example.com"]` {
			t.Errorf("inline plain: %s", got)
		}
	})
}

func TestAuthFailureKeepsThePassword(t *testing.T) {
	const pass = "pw-SECRET-7731"
	for _, mode := range []string{"none", "starttls"} {
		t.Run(mode, func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.Options{TLS: mode, User: "kubus", Pass: "right"})
			cfg := serverFor(srv, mode)
			cfg.User, cfg.Pass = "kubus", pass
			m := newModule(t, kmail.Config{Allow: []string{"127.0.0.1"}, Servers: map[string]kmail.Server{"default": cfg}})
			e := newExec()
			vm := vmFor(t, m, e)
			got, details := thrown(t, vm, `Mail.send("default", {to: "ann@example.com", text: "x"})`)
			if !strings.HasPrefix(got, "Error: Mail.send: default: authentication failed: 535") || details != `{"kind":"auth","server":"default","code":535}` {
				t.Errorf("%s %s", got, details)
			}
			if srv.AuthFailures() != 1 || len(srv.Messages()) != 0 {
				t.Errorf("auth failures %d, messages %d", srv.AuthFailures(), len(srv.Messages()))
			}
			everything := got + details + fmt.Sprintf("%+v %+v", e.Calls(), e.Diagnostics())
			if strings.Contains(everything, "SECRET") || strings.Contains(everything, "7731") {
				t.Errorf("the password shows: %s", everything)
			}
			if calls := e.Calls(); len(calls) != 1 || calls[0].Error != "auth" || calls[0].Status != 535 {
				t.Errorf("calls %+v", calls)
			}
		})
	}
	// Printing a configuration shows no password.
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(f, kmail.Config{Servers: map[string]kmail.Server{"x": {Host: "h", Pass: pass}}}); strings.Contains(out, "SECRET") || !strings.Contains(out, "***") {
			t.Errorf("%s: %s", f, out)
		}
	}
	// New names a bad server without its password.
	_, err := kmail.New(kmail.Config{Servers: map[string]kmail.Server{"x": {Host: "smtp.example.com", TLS: "bogus", Pass: pass}}})
	if err == nil || strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), "mail: server x: tls \"bogus\"") {
		t.Errorf("New: %v", err)
	}
}

// TestNoPasswordInTheClear: over TLS none a password goes only to localhost; 127.0.0.2 is
// loopback but not "localhost", so the client refuses before AUTH.
func TestNoPasswordInTheClear(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Listen: "127.0.0.2:0", User: "kubus", Pass: "s3cret"})
	cfg := serverFor(srv, "none")
	cfg.User, cfg.Pass = "kubus", "s3cret"
	m := newModule(t, kmail.Config{Allow: []string{"127.0.0.0/8"}, Servers: map[string]kmail.Server{"default": cfg}})
	got, details := thrown(t, vmFor(t, m, newExec()), `Mail.send("default", {to: "ann@example.com", text: "x"})`)
	if got != "Error: Mail.send: default: refusing to send the password over a connection without TLS (use tls or starttls)" || !strings.Contains(details, `"kind":"auth"`) {
		t.Errorf("%s %s", got, details)
	}
	if srv.AuthFailures() != 0 || len(srv.Messages()) != 0 {
		t.Errorf("the server heard an AUTH")
	}
}

func TestAuthLogin(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: "starttls", User: "kubus", Pass: "s3cret", Mechanisms: []string{"LOGIN"}})
	cfg := serverFor(srv, "starttls")
	cfg.User, cfg.Pass = "kubus", "s3cret"
	m := newModule(t, kmail.Config{Allow: []string{"127.0.0.1"}, Servers: map[string]kmail.Server{"default": cfg}})
	if got := eval(t, vmFor(t, m, newExec()), `Mail.send("default", {to: "ann@example.com", text: "x"}).accepted.length`); got != "1" || srv.Messages()[0].User != "kubus" {
		t.Errorf("LOGIN: %s", got)
	}
}

func TestServerSizeLimit(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{MaxMessageBytes: 2000})
	got, details := thrown(t, vmFor(t, moduleFor(t, srv), newExec()), `Mail.send("default", {to: "ann@example.com", text: "x".repeat(5000)})`)
	if !strings.HasPrefix(got, "Error: Mail.send: default: the message is ") || !strings.Contains(got, "the server takes at most 2000") || !strings.Contains(details, `"kind":"tooLarge"`) || srv.Transactions() != 0 {
		t.Errorf("%s %s (%d transactions)", got, details, srv.Transactions())
	}
}

func TestRejectedRecipients(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Reject: []string{"nobody@example.com", "ghost@example.com"}})
	vm := vmFor(t, moduleFor(t, srv), newExec())
	if got := eval(t, vm, `(r => [r.accepted, r.rejected])(Mail.send("default", {to: ["ann@example.com", "nobody@example.com"], text: "x"}))`); got != `[["ann@example.com"],["nobody@example.com"]]` {
		t.Errorf("partial: %s", got)
	}
	if ms := srv.Messages(); len(ms) != 1 || !slices.Equal(ms[0].To, []string{"ann@example.com"}) {
		t.Errorf("messages %+v", ms)
	}
	got, details := thrown(t, vm, `Mail.send("default", {to: ["nobody@example.com"], cc: "ghost@example.com", text: "x"})`)
	if got != "Error: Mail.send: default: the server refused every recipient: 550 5.1.1 No such user here" || details != `{"kind":"rejected","server":"default","code":550}` {
		t.Errorf("all rejected: %s %s", got, details)
	}
	if len(srv.Messages()) != 1 {
		t.Errorf("a message was sent to nobody")
	}
}

func TestHostileServers(t *testing.T) {
	t.Run("dropped mid-DATA", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{DropFirst: 1})
		vm := vmFor(t, moduleFor(t, srv), newExec())
		got, details := thrown(t, vm, `Mail.send("default", {to: "ann@example.com", text: "x".repeat(100000)})`)
		if !strings.HasPrefix(got, "Error: Mail.send: default: ") || !strings.Contains(details, `"kind":"network"`) || srv.Transactions() != 1 || len(srv.Messages()) != 0 {
			t.Errorf("%s %s", got, details)
		}
	})
	t.Run("451", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{FailFirst: 1})
		vm := vmFor(t, moduleFor(t, srv), newExec())
		got, details := thrown(t, vm, `Mail.send("default", {to: "ann@example.com", text: "x"})`)
		if got != "Error: Mail.send: default: the server refused the message: 451 4.3.0 Try again later" || details != `{"kind":"rejected","server":"default","code":451}` {
			t.Errorf("%s %s", got, details)
		}
	})
	t.Run("silent: the execution's deadline", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{Silent: true})
		e := newExec()
		e.Deadline = time.Now().Add(300 * time.Millisecond)
		vm := vmFor(t, moduleFor(t, srv), e)
		start := time.Now()
		got, details := thrown(t, vm, `Mail.send("default", {to: "ann@example.com", text: "x"})`)
		if got != "Error: Mail.send: default: no answer in time" || details != `{"kind":"timeout","server":"default","code":null}` || time.Since(start) > 2*time.Second {
			t.Errorf("%s %s after %v", got, details, time.Since(start))
		}
		if srv.Connections() != 1 {
			t.Errorf("connections %d", srv.Connections())
		}
	})
	t.Run("silent: the server's timeout", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{Silent: true})
		cfg := serverFor(srv, "none")
		cfg.Timeout = 200 * time.Millisecond
		m := newModule(t, kmail.Config{Allow: []string{"127.0.0.1"}, Servers: map[string]kmail.Server{"default": cfg}})
		e := newExec()
		e.Deadline = time.Now().Add(time.Hour)
		start := time.Now()
		got, _ := thrown(t, vmFor(t, m, e), `Mail.send("default", {to: "ann@example.com", text: "x"})`)
		if got != "Error: Mail.send: default: no answer in time" || time.Since(start) > 2*time.Second {
			t.Errorf("%s after %v", got, time.Since(start))
		}
	})
	t.Run("silent: canceled", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{Silent: true})
		ctx, cancel := context.WithCancel(context.Background())
		e := newExec()
		e.Context = ctx
		time.AfterFunc(200*time.Millisecond, cancel)
		start := time.Now()
		got, details := thrown(t, vmFor(t, moduleFor(t, srv), e), `Mail.send("default", {to: "ann@example.com", text: "x"})`)
		if got != "Error: Mail.send: default: the execution ended" || !strings.Contains(details, `"kind":"canceled"`) || time.Since(start) > 2*time.Second {
			t.Errorf("%s %s after %v", got, details, time.Since(start))
		}
	})
}

func TestAddressCheck(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	m := newModule(t, kmail.Config{Servers: map[string]kmail.Server{"default": serverFor(srv, "none")}}) // no allow list
	vm := vmFor(t, m, newExec())
	got, details := thrown(t, vm, `Mail.send("default", {to: "ann@example.com", text: "x"})`)
	if !strings.HasPrefix(got, "Error: Mail.send: default: the address 127.0.0.1 is loopback") || !strings.Contains(details, `"kind":"refused"`) {
		t.Errorf("%s %s", got, details)
	}
	for _, host := range []string{"169.254.169.254", "10.0.0.1", "::1"} {
		got, _ := thrown(t, vm, `Mail.send({host: "`+host+`", port: 25, secure: "none"}, {from: "a@b.nl", to: "ann@example.com", text: "x"})`)
		if !strings.Contains(got, "outbound connections may not reach it") {
			t.Errorf("%s: %s", host, got)
		}
	}
	if srv.Connections() != 0 {
		t.Errorf("the server was reached %d times", srv.Connections())
	}
	for _, host := range []string{"unix:///var/run/x", "a b", "host:25", ""} {
		got, _ := thrown(t, vm, `Mail.send({host: "`+host+`"}, {from: "a@b.nl", to: "ann@example.com"})`)
		if !strings.HasPrefix(got, "TypeError: Mail.send: server.host") {
			t.Errorf("host %q: %s", host, got)
		}
	}
}

// TestHeaderInjection: a CR or LF in any header field is a TypeError naming it, before anything
// is sent.
func TestHeaderInjection(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	e := newExec()
	e.Tx = openStore(t).Begin()
	vm := vmFor(t, moduleFor(t, srv), e)
	base := `{to: "ann@example.com", text: "x"}`
	for _, c := range []struct{ opts, field string }{
		{`{from: "a@b.nl\r\nBcc: victim@x.nl", to: "ann@example.com"}`, "mailOptions.from"},
		{`{from: {name: "A\nB", address: "a@b.nl"}, to: "ann@example.com"}`, "mailOptions.from.name"},
		{`{from: {address: "a@b.nl\n"}, to: "ann@example.com"}`, "mailOptions.from.address"},
		{`{to: "ann@example.com\nBcc: victim@x.nl"}`, "mailOptions.to"},
		{`{to: ["ok@example.com", "ann@example.com\r"]}`, "mailOptions.to[1]"},
		{`{to: "ann@example.com", cc: "c@x.nl\n"}`, "mailOptions.cc"},
		{`{to: "ann@example.com", bcc: ["b@x.nl\r\n"]}`, "mailOptions.bcc[0]"},
		{`{to: "ann@example.com", replyTo: "r@x.nl\nX: y"}`, "mailOptions.replyTo"},
		{`{to: "ann@example.com", subject: "Hi\r\nBcc: victim@x.nl"}`, "mailOptions.subject"},
		{`{to: "ann@example.com", subject: "Hi\nthere"}`, "mailOptions.subject"},
		{`{to: "ann@example.com", subject: "Hi\rthere"}`, "mailOptions.subject"},
		{`{to: "ann@example.com", attachments: [{filename: "a.txt\r\nContent-Type: text/html", content: "x"}]}`, "mailOptions.attachments[0].filename"},
		{`{to: "ann@example.com", attachments: [{filename: "a.txt", content: "x", contentType: "text/plain\r\nX-Evil: 1"}]}`, "mailOptions.attachments[0].contentType"},
		{`{to: "ann@example.com", attachments: [{filename: "a.png", content: "x", cid: "logo\n@x"}]}`, "mailOptions.attachments[0].cid"},
		{`{to: "ann@example.com", attachments: [{documentId: "abc\r\n"}]}`, "mailOptions.attachments[0].documentId"},
	} {
		got, _ := thrown(t, vm, `Mail.send("default", `+c.opts+`)`)
		want := "TypeError: Mail.send: " + c.field + " contains a line break (CR or LF)"
		if got != want {
			t.Errorf("%s\n got  %s\n want %s", c.opts, got, want)
		}
	}
	if got, _ := thrown(t, vm, `Mail.send("default\n", `+base+`)`); got != "TypeError: Mail.send: server contains a line break (CR or LF)" {
		t.Errorf("server name: %s", got)
	}
	if got, _ := thrown(t, vm, `Mail.send({host: "127.0.0.1\r\n"}, `+base+`)`); got != "TypeError: Mail.send: server.host contains a line break (CR or LF)" {
		t.Errorf("inline host: %s", got)
	}
	if got, _ := thrown(t, vm, `Mail.send("default", {to: "ann@example.com", subject: "a\u0000b"})`); got != "TypeError: Mail.send: mailOptions.subject contains a control character" {
		t.Errorf("NUL: %s", got)
	}
	if got, _ := thrown(t, vm, `Mail.queue("default", {to: "ann@example.com", subject: "Hi\r\nBcc: x@y.nl"})`); got != "TypeError: Mail.queue: mailOptions.subject contains a line break (CR or LF)" {
		t.Errorf("queue: %s", got)
	}
	if srv.Connections() != 0 {
		t.Errorf("the server was reached %d times", srv.Connections())
	}
}

func TestInvalidOptions(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	vm := vmFor(t, moduleFor(t, srv), newExec())
	for _, c := range []struct{ expr, want string }{
		{`Mail.send("default", {to: "not an address"})`, "TypeError: Mail.send: mailOptions.to is not an RFC 5322 address list"},
		{`Mail.send("default", {to: "ann@"})`, "TypeError: Mail.send: mailOptions.to is not an RFC 5322 address list"},
		{`Mail.send("default", {to: "@example.com"})`, "TypeError: Mail.send: mailOptions.to is not an RFC 5322 address list"},
		{`Mail.send("default", {to: "ann"})`, "TypeError: Mail.send: mailOptions.to is not an RFC 5322 address list"},
		{`Mail.send("default", {to: ["ok@example.com", "a b@example.com"]})`, "TypeError: Mail.send: mailOptions.to[1] is not an RFC 5322 address"},
		{`Mail.send("default", {to: [42]})`, "TypeError: Mail.send: mailOptions.to[0] must be an address string or {name, address}, got 42"},
		{`Mail.send("default", {to: {address: "Ann <ann@example.com>"}})`, "TypeError: Mail.send: mailOptions.to.address is not an RFC 5322 address (write the bare address"},
		{`Mail.send("default", {to: "ann@example.com", from: "x"})`, "TypeError: Mail.send: mailOptions.from is not an RFC 5322 address list"},
		{`Mail.send("default", {to: "ann@example.com", from: "a@b.nl, c@d.nl"})`, "TypeError: Mail.send: mailOptions.from must be one address, got 2"},
		{`Mail.send("default", {subject: "no one"})`, "TypeError: Mail.send: mailOptions needs a recipient (to, cc or bcc)"},
		{`Mail.send("default", {to: ""})`, "TypeError: Mail.send: mailOptions.to is empty"},
		{`Mail.send("default", {to: "ann@example.com", subjet: "typo"})`, `TypeError: Mail.send: mailOptions has an unknown key "subjet"`},
		{`Mail.send("default", {to: "ann@example.com", subject: 42})`, "TypeError: Mail.send: mailOptions.subject must be a string, got 42"},
		{`Mail.send("default", {to: "ann@example.com", attachments: {}})`, "TypeError: Mail.send: mailOptions.attachments must be an array"},
		{`Mail.send("default", {to: "ann@example.com", attachments: [{content: "x"}]})`, "TypeError: Mail.send: mailOptions.attachments[0].filename is required"},
		{`Mail.send("default", {to: "ann@example.com", attachments: [{filename: "a", content: "x", encoding: "hex"}]})`, `TypeError: Mail.send: mailOptions.attachments[0].encoding must be "base64" or "utf8", got "hex"`},
		{`Mail.send("default", {to: "ann@example.com", attachments: [{filename: "a", content: "!!!", encoding: "base64"}]})`, "TypeError: Mail.send: mailOptions.attachments[0].content is not base64"},
		{`Mail.send("default", {to: "ann@example.com", attachments: [{filename: "a", content: "x", contentType: "not a type"}]})`, "TypeError: Mail.send: mailOptions.attachments[0].contentType is not a media type"},
		{`Mail.send("default", {to: "ann@example.com", attachments: [{filename: "a", content: "x", cid: "a b"}]})`, "TypeError: Mail.send: mailOptions.attachments[0].cid may hold printable ASCII"},
		{`Mail.send("nope", {to: "ann@example.com"})`, "Error: Mail.send: nope: no mail connection 'nope' is configured"},
		{`Mail.send(42, {to: "ann@example.com"})`, "TypeError: Mail.send: server must be a connection name or {host, port, secure, auth}, got 42"},
		{`Mail.send()`, "TypeError: Mail.send: server is required"},
		{`Mail.send("default")`, "TypeError: Mail.send: options is required"},
		{`Mail.send({host: "smtp.example.com", port: 70000}, {to: "a@b.nl"})`, "RangeError: Mail.send: server.port must be a whole number from 1 to 65535"},
		{`Mail.send({host: "smtp.example.com", secure: "maybe"}, {to: "a@b.nl"})`, `TypeError: Mail.send: server.secure must be "none", "starttls" or "tls"`},
		{`Mail.send({host: "smtp.example.com", password: "x"}, {to: "a@b.nl"})`, `TypeError: Mail.send: server has an unknown key "password"`},
		{`Mail.send({host: "smtp.example.com"}, {to: "a@b.nl"})`, "TypeError: Mail.send: mailOptions.from is required (the server has no default sender)"},
	} {
		if got := fmt.Sprint(builtinstest.Eval(t, vm, c.expr)); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s\n got  %s\n want %s…", c.expr, got, c.want)
		}
	}
	if srv.Connections() != 0 {
		t.Errorf("the server was reached %d times", srv.Connections())
	}
}

func TestLimits(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	m := newModule(t, kmail.Config{Allow: []string{"127.0.0.1"}, Servers: map[string]kmail.Server{"default": serverFor(srv, "none")}, MaxMessageBytes: 1 << 20, MaxCalls: 30})
	e := newExec()
	vm := vmFor(t, m, e)
	for _, c := range []struct{ expr, want string }{
		{`Mail.send("default", {to: Array.from({length: 10000}, (_, i) => "u" + i + "@example.com")})`, "RangeError: Mail.send: more than 100 recipients (to, cc and bcc together"},
		{`Mail.send("default", {to: Array.from({length: 10000}, (_, i) => "u" + i + "@example.com").join(", ")})`, "RangeError: Mail.send: mailOptions.to is longer than 65536 bytes"},
		{`Mail.send("default", {to: Array.from({length: 101}, (_, i) => "u" + i + "@example.com").join(",")})`, "RangeError: Mail.send: more than 100 recipients"},
		{`Mail.send("default", {to: Array.from({length: 60}, (_, i) => "u" + i + "@example.com"), cc: Array.from({length: 41}, (_, i) => "c" + i + "@example.com")})`, "RangeError: Mail.send: more than 100 recipients"},
		{`Mail.send("default", {to: "a@b.nl", bcc: (() => { const a = []; a.length = 4e9; return a })()})`, "RangeError: Mail.send: more than 100 recipients"},
		{`Mail.send("default", {to: "a@b.nl", subject: "x".repeat(999)})`, "RangeError: Mail.send: mailOptions.subject is longer than 998 bytes"},
		{`Mail.send("default", {to: "a@b.nl", attachments: Array.from({length: 51}, () => ({filename: "a", content: "x"}))})`, "RangeError: Mail.send: mailOptions.attachments has more than 50 entries"},
		{`Mail.send("default", {to: "a@b.nl", attachments: [{filename: "big.bin", content: "x".repeat(2 << 20)}]})`, "Error: Mail.send: default: the message would be larger than 1048576 bytes (the connections' mail maxMessageBytes)"},
		{`Mail.send("default", {to: "a@b.nl", attachments: [{filename: "big.bin", content: "QUFB".repeat(1 << 19), encoding: "base64"}]})`, "Error: Mail.send: default: the message would be larger than 1048576 bytes"},
		{`Mail.send("default", {to: "a@b.nl", attachments: Array.from({length: 10}, () => ({filename: "a.bin", content: "x".repeat(100000)}))})`, "Error: Mail.send: default: the message would be larger than 1048576 bytes"},
		{`Mail.send("default", {to: "a@b.nl", text: "x".repeat(600000), html: "y".repeat(600000)})`, "Error: Mail.send: default: the message would be larger than"},
		{`Mail.send("default", {to: "a@b.nl", replyTo: Array.from({length: 11}, (_, i) => "r" + i + "@example.com")})`, "RangeError: Mail.send: mailOptions.replyTo has more than 10 addresses"},
	} {
		start := time.Now()
		if got := fmt.Sprint(builtinstest.Eval(t, vm, c.expr)); !strings.HasPrefix(got, c.want) {
			t.Errorf("%.80s\n got  %s\n want %s…", c.expr, got, c.want)
		}
		if time.Since(start) > 3*time.Second {
			t.Errorf("%.80s took %v", c.expr, time.Since(start))
		}
	}
	if got, details := thrown(t, vm, `Mail.send("default", {to: "a@b.nl", attachments: [{filename: "big.bin", content: "x".repeat(2 << 20)}]})`); !strings.Contains(details, `"kind":"tooLarge"`) {
		t.Errorf("details: %s %s", got, details)
	}
	if srv.Connections() != 0 {
		t.Errorf("the server was reached %d times", srv.Connections())
	}
	// Exactly 100 recipients go.
	if got := eval(t, vm, `Mail.send("default", {to: Array.from({length: 100}, (_, i) => "u" + i + "@example.com")}).accepted.length`); got != "100" {
		t.Errorf("100 recipients: %s", got)
	}
	// The calls cap counts every call of the execution, failed ones too.
	for i := 0; i < 20; i++ {
		builtinstest.Eval(t, vm, `Mail.send("default", {to: "a@b.nl"})`)
	}
	if got := fmt.Sprint(builtinstest.Eval(t, vm, `Mail.send("default", {to: "a@b.nl"})`)); !strings.HasPrefix(got, "RangeError: Mail.send: more than 30 Mail calls in one execution") {
		t.Errorf("cap: %s", got)
	}
	e.Serial = serial.Add(1) // the next execution counts from zero
	if got := eval(t, vm, `Mail.send("default", {to: "a@b.nl"}).accepted.length`); got != "1" {
		t.Errorf("next execution: %s", got)
	}
}

func TestFixtures(t *testing.T) {
	m := newModule(t, kmail.Config{Servers: map[string]kmail.Server{"default": {Host: "smtp.example.com", From: "noreply@kubus.test"}}})
	capture := kmail.NewCapture()
	e := newExec()
	e.Fixtures = map[string]any{"Mail": capture}
	vm := vmFor(t, m, e)
	got := eval(t, vm, `(r => [r.accepted, r.rejected, r.response])(Mail.send("default", {to: "ann@example.com", cc: ["c@x.nl"], bcc: "b@x.nl", subject: "Offer", text: "t", html: "<b>h</b>", attachments: [{filename: "a.txt", content: "hello"}]}))`)
	if got != `[["ann@example.com","c@x.nl","b@x.nl"],[],"250 captured (mail: capture)"]` {
		t.Errorf("send: %s", got)
	}
	if got := eval(t, vm, `typeof Mail.queue("default", {to: "q@example.com", subject: "Queued"}).id`); got != `"string"` {
		t.Errorf("queue: %s", got)
	}
	// Inline servers are captured too (no connection is made: the host is not even allowed).
	if got := eval(t, vm, `Mail.send({host: "10.0.0.1"}, {from: "a@b.nl", to: "x@example.com"}).accepted`); got != `["x@example.com"]` {
		t.Errorf("inline: %s", got)
	}
	msgs := capture.Messages()
	if len(msgs) != 2 {
		t.Fatalf("before commit: %d captured", len(msgs))
	}
	c := msgs[0]
	if c.From != "noreply@kubus.test" || !slices.Equal(c.To, []string{"ann@example.com"}) || !slices.Equal(c.Cc, []string{"c@x.nl"}) || !slices.Equal(c.Bcc, []string{"b@x.nl"}) ||
		c.Subject != "Offer" || c.Text != "t" || c.HTML != "<b>h</b>" || c.Queued || len(c.Attachments) != 1 || c.Attachments[0].Size != 5 || string(c.Attachments[0].Content) != "hello" || c.Attachments[0].ContentType != "text/plain; charset=utf-8" {
		t.Errorf("captured %+v", c)
	}
	for _, fn := range e.TakeAfterCommit() { // the engine, after the commit
		fn()
	}
	msgs = capture.Messages()
	if len(msgs) != 3 || !msgs[2].Queued || msgs[2].Subject != "Queued" {
		t.Errorf("after commit: %+v", msgs)
	}

	// A testcase without mail: capture: every call fails, and the runner hears of it.
	var unanswered []string
	e2 := newExec()
	e2.Fixtures = map[string]any{"SQL": nil}
	e2.Unanswered = func(call string) { unanswered = append(unanswered, call) }
	vm2 := vmFor(t, m, e2)
	got, details := thrown(t, vm2, `Mail.send("default", {to: "ann@example.com"})`)
	if got != "Error: Mail.send: default: no fixture of the testcase answers mail (add mail: capture to the testcase)" || details != `{"kind":"noFixture","server":"default","code":null}` {
		t.Errorf("no fixture: %s %s", got, details)
	}
	thrown(t, vm2, `Mail.queue("default", {to: "ann@example.com"})`)
	if !slices.Equal(unanswered, []string{"Mail.send default (add mail: capture to the testcase)", "Mail.queue default (add mail: capture to the testcase)"}) {
		t.Errorf("unanswered %q", unanswered)
	}
}

func TestModuleDocumented(t *testing.T) {
	m := newModule(t, kmail.Config{Servers: map[string]kmail.Server{"default": {Host: "smtp.example.com", From: "noreply@example.com"}}})
	e := newExec()
	e.Fixtures = map[string]any{"Mail": kmail.NewCapture()}
	vm := vmFor(t, m, e)
	var fns []builtins.Fn
	for _, r := range m.Reference() {
		fns = append(fns, builtins.Fn{Name: strings.TrimPrefix(r.Qualified, "Mail."), Signature: r.Signature, Doc: r.Doc, Example: r.Example})
	}
	builtinstest.CheckModule(t, vm, m, fns)
	if len(fns) != 2 || !slices.Equal(m.StoreGlobals(), []string{"Mail"}) || m.Name() != "Mail" {
		t.Errorf("%d functions, store globals %v", len(fns), m.StoreGlobals())
	}
	for _, s := range []string{"interface MailOptions", "interface MailResult", "interface MailServer", "declare namespace Mail"} {
		if !strings.Contains(m.Typings(), s) {
			t.Errorf("typings lack %s", s)
		}
	}
	if kmail.Default() == nil || kmail.Default() != kmail.Default() {
		t.Error("Default")
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  kmail.Config
		want string
	}{
		{kmail.Config{Allow: []string{"mail.example.com"}}, "netguard"},
		{kmail.Config{Servers: map[string]kmail.Server{"a": {}}}, "mail: server a: host is empty"},
		{kmail.Config{Servers: map[string]kmail.Server{"a": {Host: "unix:///x"}}}, "mail: server a: host"},
		{kmail.Config{Servers: map[string]kmail.Server{"a": {Host: "x.nl", From: "nope"}}}, `mail: server a: from "nope"`},
		{kmail.Config{Servers: map[string]kmail.Server{"a": {Host: "x.nl", Port: -1}}}, "mail: server a: port -1"},
		{kmail.Config{Servers: map[string]kmail.Server{"a\n": {Host: "x.nl"}}}, "mail: server"},
	} {
		if _, err := kmail.New(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %s", c.cfg, err, c.want)
		}
	}
}
