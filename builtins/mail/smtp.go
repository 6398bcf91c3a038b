package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/kubusdev/kubus/builtins/netguard"
)

// delivered is what one SMTP conversation achieved.
type delivered struct {
	accepted, rejected []string
	// rejectedWhy is the server's answer to the first refused recipient.
	rejectedWhy string
	code        int
	response    string
	envelope    time.Duration
	message     time.Duration
}

// callError is a failed call (or delivery) as rule code and the outbox see it. msg never holds a
// password.
type callError struct {
	kind, server, msg string
	code              int
}

func (e *callError) Error() string { return e.msg }

// permanent reports whether trying again cannot help: the server answered 5xx.
func (e *callError) permanent() bool { return e.code >= 500 && e.code < 600 }

// secretsOf are the texts of a server's credentials no message may show: the password, and the
// forms AUTH PLAIN and LOGIN send it in.
func secretsOf(s Server) []string {
	if s.Pass == "" {
		return nil
	}
	return []string{
		base64.StdEncoding.EncodeToString([]byte("\x00" + s.User + "\x00" + s.Pass)),
		base64.StdEncoding.EncodeToString([]byte(s.Pass)),
		s.Pass,
	}
}

func scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "***")
		}
	}
	return msg
}

// guardedConn bounds every deadline go-mail sets by the conversation's, and ends the conversation
// when its context does (a blocked read returns at once).
type guardedConn struct {
	net.Conn
	deadline time.Time
	ctx      context.Context
}

func (g *guardedConn) clamp(t time.Time) time.Time {
	if t.IsZero() || t.After(g.deadline) {
		return g.deadline
	}
	return t
}

func (g *guardedConn) set(f func(time.Time) error, t time.Time) error {
	err := f(g.clamp(t))
	if g.ctx.Err() != nil {
		_ = f(time.Unix(1, 0))
	}
	return err
}

func (g *guardedConn) SetDeadline(t time.Time) error      { return g.set(g.Conn.SetDeadline, t) }
func (g *guardedConn) SetReadDeadline(t time.Time) error  { return g.set(g.Conn.SetReadDeadline, t) }
func (g *guardedConn) SetWriteDeadline(t time.Time) error { return g.set(g.Conn.SetWriteDeadline, t) }

// authPreference is the order AUTH mechanisms are tried in, among those the server offers.
var authPreference = []gomail.SMTPAuthType{gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
	gomail.SMTPAuthPlain, gomail.SMTPAuthLogin, gomail.SMTPAuthCramMD5}

var errNoAnswer = errors.New("no answer in time")

// deliver runs one SMTP conversation: connect (through the address check), TLS, AUTH, MAIL FROM,
// a RCPT TO per recipient (a refused one is noted, the others go on), DATA with raw. parent is the
// caller's context (its end is "canceled"); timeout bounds the whole conversation.
func (m *Module) deliver(parent context.Context, srv Server, label string, timeout time.Duration, from string, rcpts []string, raw []byte) (*delivered, *callError) {
	secrets := secretsOf(srv)
	fail := func(kind string, code int, format string, args ...any) *callError {
		return &callError{kind: kind, server: label, code: code, msg: scrub(fmt.Sprintf(format, args...), secrets)}
	}
	if timeout <= 0 {
		return nil, fail("timeout", 0, "no answer in time (the execution's deadline has passed)")
	}
	deadline := time.Now().Add(timeout)
	if d, ok := parent.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	ctx, cancel := context.WithDeadline(parent, deadline)
	defer cancel()

	tlsCfg := &tls.Config{ServerName: srv.Host, RootCAs: srv.RootCAs, MinVersion: tls.VersionTLS12}
	dialer := m.policy.Dialer(timeout, m.cfg.Resolver)
	var (
		mu   sync.Mutex
		conn net.Conn
	)
	addr := net.JoinHostPort(srv.Host, strconv.Itoa(srv.Port)) // go-mail's own leaves IPv6 unbracketed
	dial := func(dctx context.Context, _, _ string) (net.Conn, error) {
		c, err := dialer.DialContext(dctx, "tcp", addr) // never "unix": checkHost refuses unix:// hosts
		if err != nil {
			return nil, err
		}
		g := &guardedConn{Conn: c, deadline: deadline, ctx: ctx}
		_ = g.SetDeadline(deadline)
		mu.Lock()
		conn = g
		mu.Unlock()
		if srv.TLS == "tls" {
			tc := tls.Client(g, tlsCfg)
			if err := tc.HandshakeContext(dctx); err != nil {
				c.Close()
				return nil, err
			}
			return tc, nil
		}
		return g, nil
	}
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if conn != nil {
			_ = conn.SetDeadline(time.Unix(1, 0))
		}
	})
	defer stop()

	policy := gomail.TLSMandatory
	switch srv.TLS {
	case "none":
		policy = gomail.NoTLS
	case "tls":
		policy = gomail.TLSOpportunistic // the connection is TLS already: no STARTTLS on top
	}
	opts := []gomail.Option{
		gomail.WithPort(srv.Port), gomail.WithTimeout(max(time.Until(deadline), time.Millisecond)), gomail.WithDialContextFunc(dial),
		gomail.WithTLSConfig(tlsCfg), gomail.WithTLSPolicy(policy), gomail.WithoutNoop(),
	}
	if srv.User != "" {
		opts = append(opts, gomail.WithOpportunisticSMTPAuth(authPreference...), gomail.WithUsername(srv.User), gomail.WithPassword(srv.Pass))
	}
	gc, err := gomail.NewClient(srv.Host, opts...)
	if err != nil {
		return nil, fail("notConfigured", 0, "%v", err)
	}
	classify := func(err error, step string) *callError {
		return m.classify(parent, ctx, err, step, label, secrets)
	}
	sc, err := gc.DialToSMTPClientWithContext(ctx)
	if err != nil {
		mu.Lock()
		if conn != nil {
			conn.Close() // go-mail leaves it open when TLS or AUTH fails
		}
		mu.Unlock()
		return nil, classify(err, "connect")
	}
	defer sc.Close()
	if ok, size := sc.Extension("SIZE"); ok && size != "" {
		if n, err := strconv.ParseInt(size, 10, 64); err == nil && n > 0 && int64(len(raw)) > n {
			_ = sc.Quit()
			return nil, fail("tooLarge", 0, "the message is %d bytes, the server takes at most %d", len(raw), n)
		}
	}
	out := &delivered{}
	start := time.Now()
	if err := sc.Mail("<" + from + ">"); err != nil {
		return nil, classify(err, "sender")
	}
	var firstCode int
	for _, r := range rcpts {
		err := sc.Rcpt("<" + r + ">")
		var te *textproto.Error
		switch {
		case err == nil:
			out.accepted = append(out.accepted, r)
		case errors.As(err, &te):
			out.rejected = append(out.rejected, r)
			if firstCode == 0 {
				firstCode, out.rejectedWhy = te.Code, scrub(answer(te.Code, te.Msg), secrets)
			}
		default:
			return nil, classify(err, "recipient")
		}
	}
	if len(out.accepted) == 0 {
		_ = sc.Reset()
		_ = sc.Quit()
		ce := fail("rejected", firstCode, "the server refused every recipient: %s", out.rejectedWhy)
		return out, ce
	}
	out.envelope = time.Since(start)
	start = time.Now()
	w, err := sc.Data()
	if err != nil {
		return nil, classify(err, "data")
	}
	if _, err := w.Write(raw); err != nil {
		return nil, classify(err, "data")
	}
	if err := w.Close(); err != nil {
		return nil, classify(err, "message")
	}
	out.code, out.response = 250, "250"
	if dc, ok := w.(*smtp.DataCloser); ok {
		out.response = scrub(answer(250, dc.ServerResponse()), secrets)
	}
	out.message = time.Since(start)
	_ = sc.Quit()
	return out, nil
}

// answer is an SMTP reply as one line: "550 5.1.1 No such user", bounded.
func answer(code int, msg string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	if msg == "" {
		return strconv.Itoa(code)
	}
	return strconv.Itoa(code) + " " + msg
}

// classify turns a failure of step (connect, sender, recipient, data, message) into its kind and
// words, without what may hold a secret.
func (m *Module) classify(parent, ctx context.Context, err error, step, label string, secrets []string) *callError {
	ce := &callError{server: label}
	var te *textproto.Error
	var re *netguard.RefusedError
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ve *tls.CertificateVerificationError
	var ne net.Error
	msg := err.Error()
	switch {
	case errors.As(err, &re):
		ce.kind, ce.msg = "refused", re.Error()
	case parent.Err() != nil:
		ce.kind, ce.msg = "canceled", "the execution ended"
	case errors.As(err, &te):
		ce.code = te.Code
		reply := answer(te.Code, te.Msg)
		switch {
		case strings.Contains(msg, "SMTP AUTH failed"):
			ce.kind, ce.msg = "auth", "authentication failed: "+reply
		case te.Code == 552 || te.Code == 534 && step == "message":
			ce.kind, ce.msg = "tooLarge", "the server refused the message as too large: "+reply
		case step == "sender":
			ce.kind, ce.msg = "rejected", "the server refused the sender: "+reply
		case step == "message" || step == "data":
			ce.kind, ce.msg = "rejected", "the server refused the message: "+reply
		default:
			ce.kind, ce.msg = "rejected", "the server refused the connection: "+reply
		}
	case errors.Is(err, smtp.ErrUnencrypted):
		ce.kind, ce.msg = "auth", "refusing to send the password over a connection without TLS (use tls or starttls)"
	case strings.Contains(msg, "SMTP AUTH") || strings.Contains(msg, "AUTH type") || strings.Contains(msg, "auth mechanism") ||
		errors.Is(err, gomail.ErrNoSupportedAuthDiscovered):
		ce.kind, ce.msg = "auth", "the server offers no AUTH mechanism kubus speaks"
	case strings.Contains(msg, "does not support STARTTLS"):
		ce.kind, ce.msg = "network", "the server does not offer STARTTLS (set tls: none to send without it)"
	case errors.As(err, &ue), errors.As(err, &he), errors.As(err, &ve):
		ce.kind, ce.msg = "network", "TLS: the server's certificate is not trusted: "+rootCause(err)
	case ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		ce.kind, ce.msg = "timeout", errNoAnswer.Error()
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		ce.kind, ce.msg = "network", "the server closed the connection ("+step+")"
	default:
		ce.kind, ce.msg = "network", rootCause(err)
	}
	ce.msg = scrub(ce.msg, secrets)
	return ce
}

// rootCause is the innermost message of a network error.
func rootCause(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Op + ": " + oe.Err.Error()
	}
	var ve *tls.CertificateVerificationError
	if errors.As(err, &ve) && ve.Err != nil {
		return ve.Err.Error()
	}
	return err.Error()
}
