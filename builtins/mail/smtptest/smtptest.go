// Package smtptest runs a real SMTP server on loopback for tests (on emersion/go-smtp), the way
// net/http/httptest runs an HTTP one: it records every message it accepts and can be told to
// misbehave (require AUTH, speak STARTTLS or implicit TLS with a certificate made for the test,
// refuse recipients, fail transactions, drop the connection in the middle of DATA, or never answer).
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"net"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options say how the server behaves. The zero value accepts every message without AUTH or TLS.
type Options struct {
	// User and Pass, when User is set, make AUTH (PLAIN and LOGIN) required before MAIL FROM.
	// Over a plain connection AUTH is offered only when TLS is "" or "none".
	User, Pass string
	// TLS is "" or "none" (plain), "starttls" (STARTTLS offered; AUTH only after it) or "tls"
	// (implicit TLS from the first byte). The certificate is self-signed for 127.0.0.1 and
	// localhost; Server.RootCAs trusts it.
	TLS string
	// Reject lists recipients answered 550 5.1.1 at RCPT TO.
	Reject []string
	// FailFirst answers the first N transactions 451 (temporary) at the end of DATA.
	FailFirst int
	// DropFirst closes the connection in the middle of DATA for the first N transactions
	// (counted after FailFirst's).
	DropFirst int
	// Silent accepts connections and never answers, not even the greeting.
	Silent bool
	// MaxMessageBytes, when set, is advertised as SIZE and enforced (552).
	MaxMessageBytes int64
	// Mechanisms are the AUTH mechanisms offered (default PLAIN and LOGIN).
	Mechanisms []string
	// Listen is the address to listen on (default "127.0.0.1:0"; "127.0.0.2:0" is a loopback
	// address clients do not take for localhost).
	Listen string
}

// Message is one message the server accepted.
type Message struct {
	From string   // MAIL FROM
	To   []string // RCPT TO, accepted ones only
	Raw  []byte   // the DATA as received
	// Header is the parsed header of Raw (net/mail).
	Header mail.Header
	// Subject is the decoded Subject header.
	Subject string
	// TLS reports whether the message came over TLS (STARTTLS or implicit).
	TLS bool
	// User is who authenticated, "" when nobody did.
	User string
}

// Server is a running test server.
type Server struct {
	// Addr is host:port; Host and Port are its parts.
	Addr string
	Host string
	Port int
	// RootCAs trusts the server's certificate (nil when TLS is off).
	RootCAs *x509.CertPool

	opts Options
	srv  *smtp.Server
	ln   net.Listener

	mu           sync.Mutex
	msgs         []Message
	transactions int
	conns        int
	authFailures int
	silentConns  []net.Conn
	changed      chan struct{}
}

// Start starts a server on 127.0.0.1:0; t.Cleanup stops it.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	listen := opts.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{opts: opts, ln: ln, changed: make(chan struct{})}
	addr := ln.Addr().(*net.TCPAddr)
	s.Addr, s.Host, s.Port = addr.String(), addr.IP.String(), addr.Port
	if opts.Silent {
		go s.silent()
		t.Cleanup(func() {
			ln.Close()
			s.mu.Lock()
			for _, c := range s.silentConns {
				c.Close()
			}
			s.mu.Unlock()
		})
		return s
	}
	var tlsCfg *tls.Config
	if opts.TLS == "starttls" || opts.TLS == "tls" {
		cert, pool, err := selfSigned()
		if err != nil {
			t.Fatal(err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.RootCAs = pool
	}
	srv := smtp.NewServer(&backend{s: s})
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxRecipients = 0
	srv.MaxMessageBytes = opts.MaxMessageBytes
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.AllowInsecureAuth = opts.TLS == "" || opts.TLS == "none"
	srv.TLSConfig = tlsCfg
	s.srv = srv
	l := ln
	if opts.TLS == "tls" {
		l = tls.NewListener(ln, tlsCfg)
		srv.TLSConfig = nil // implicit TLS: no STARTTLS on top
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return s
}

// silent accepts connections and holds them without a word.
func (s *Server) silent() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns++
		s.silentConns = append(s.silentConns, c)
		s.mu.Unlock()
	}
}

// Messages are the messages accepted so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Transactions counts the DATA commands begun (accepted, failed or dropped).
func (s *Server) Transactions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transactions
}

// Connections counts the connections accepted.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// AuthFailures counts the AUTH attempts refused.
func (s *Server) AuthFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authFailures
}

// WaitMessages waits until at least n messages are accepted or timeout passes, and returns them.
func (s *Server) WaitMessages(n int, timeout time.Duration) []Message {
	end := time.After(timeout)
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			out := append([]Message(nil), s.msgs...)
			s.mu.Unlock()
			return out
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-end:
			return s.Messages()
		}
	}
}

type backend struct{ s *Server }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.s.mu.Lock()
	b.s.conns++
	b.s.mu.Unlock()
	return &session{s: b.s, c: c}, nil
}

type session struct {
	s    *Server
	c    *smtp.Conn
	user string
	from string
	to   []string
}

var errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}

func (se *session) AuthMechanisms() []string {
	if se.s.opts.User == "" {
		return nil
	}
	if m := se.s.opts.Mechanisms; m != nil {
		return m
	}
	return []string{sasl.Plain, sasl.Login}
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != se.s.opts.User || pass != se.s.opts.Pass {
			se.s.mu.Lock()
			se.s.authFailures++
			se.s.mu.Unlock()
			return smtp.ErrAuthFailed
		}
		se.user = user
		return nil
	}
	if m := se.s.opts.Mechanisms; m != nil && !slices.Contains(m, mech) {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// loginServer is the server side of AUTH LOGIN (go-sasl has only the client).
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if response != nil { // the user name as an initial response
			l.user = string(response)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user = string(response)
		l.step++
		return []byte("Password:"), false, nil
	case 2:
		l.step++
		return nil, true, l.check(l.user, string(response))
	}
	return nil, false, errors.New("unexpected response")
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.s.opts.User != "" && se.user == "" {
		return errAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	for _, r := range se.s.opts.Reject {
		if strings.EqualFold(r, to) {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
		}
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	s := se.s
	s.mu.Lock()
	s.transactions++
	n := s.transactions
	s.mu.Unlock()
	if n <= s.opts.FailFirst {
		_, _ = io.Copy(io.Discard, r)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	}
	if n <= s.opts.FailFirst+s.opts.DropFirst {
		_, _ = io.CopyN(io.Discard, r, 64)
		se.c.Conn().Close()
		return errors.New("dropped")
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg := Message{From: se.from, To: append([]string(nil), se.to...), Raw: raw, User: se.user}
	_, msg.TLS = se.c.TLSConnectionState()
	if m, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		msg.Header = m.Header
		dec := new(mime.WordDecoder)
		if subj, err := dec.DecodeHeader(m.Header.Get("Subject")); err == nil {
			msg.Subject = subj
		}
	}
	s.mu.Lock()
	s.msgs = append(s.msgs, msg)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	return nil
}

func (se *session) Reset()        { se.from, se.to = "", nil }
func (se *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1, ::1 and localhost and a pool that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
