// Package mail is the Mail module of rule code (connectors.md): Mail.send delivers a message over
// SMTP at once (nodemailer's shapes), Mail.queue writes it to an outbox in the execution's
// transaction so that it is delivered only after the execution commits, and retried with backoff
// until it is sent or has failed for good.
//
// Rule code is hostile: every field is bounded before anything is allocated for it (recipients,
// subject, bodies, attachments, the built message, calls per execution), a CR or LF in any header
// field is a TypeError naming the field (header injection is impossible), every address is
// parsed as RFC 5322 (net/mail) before anything is sent, every SMTP dial passes the outbound
// address check (package netguard) and every conversation ends with the execution's deadline and
// context. A configured server's password never reaches rule code, an error, a call record or a
// log. Messages are built with github.com/wneessen/go-mail, whose client also speaks STARTTLS,
// implicit TLS and AUTH.
//
// Mail.send's effect is not rolled back when the execution fails afterwards: use Mail.queue for
// mail that must follow a committed decision.
package mail

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/netguard"
	"github.com/kubusdev/kubus/store"
)

// Server is one named mail server: kubus.yaml's connections: mail: entries.
type Server struct {
	Host string
	// Port defaults by TLS: 465 for "tls", 587 for "starttls", 25 for "none".
	Port int
	// User and Pass authenticate (AUTH PLAIN, LOGIN, CRAM-MD5 or SCRAM, as the server offers)
	// when User is set. Pass may be a secret: it is never printed. Over TLS "none" a password is
	// sent only to a loopback host (localhost, 127.0.0.1, ::1).
	User, Pass string
	// TLS is "none", "starttls" (required: a server without it fails) or "tls" (implicit TLS);
	// "" is "starttls".
	TLS string
	// Timeout bounds one SMTP conversation (default 10 s); the execution's deadline bounds it too.
	Timeout time.Duration
	// From is the sender when a message names none (optional).
	From string
	// RootCAs verifies the server's certificate (nil: the system's roots). Certificates are
	// always verified; tests pass the pool of their own certificate.
	RootCAs *x509.CertPool
}

// Config is the module's configuration: kubus.yaml's `connections:` (allow, mail) for the chosen
// environment, or a Go host's own.
type Config struct {
	// Servers are the named servers: Mail.send('default', …).
	Servers map[string]Server
	// Allow lists the non-public addresses and prefixes mail servers may be at (netguard.New).
	Allow []string
	// MaxRecipients bounds to, cc and bcc together (default 100).
	MaxRecipients int
	// MaxMessageBytes bounds a built message (default 10 MiB).
	MaxMessageBytes int64
	// MaxCalls bounds the Mail calls (send and queue) of one execution (default 100).
	MaxCalls int
	// Resolver resolves host names (nil: the system's).
	Resolver *net.Resolver
	// Outbox sets the defaults of the outboxes Module.Outbox makes.
	Outbox OutboxOptions
}

// Defaults and fixed bounds.
const (
	defaultTimeout     = 10 * time.Second
	maxAttachments     = 50
	maxSubjectBytes    = 998 // RFC 5322's line limit
	maxAddressBytes    = 998
	maxNameBytes       = 200 // a server's name
	maxFilenameBytes   = 255
	maxContentTypeLen  = 200
	maxCIDBytes        = 200
	maxReplyTo         = 10
	maxDocumentIDBytes = 128
	maxOptionKeys      = 50
)

func (c Config) withDefaults() Config {
	if c.MaxRecipients <= 0 {
		c.MaxRecipients = 100
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = 10 << 20
	}
	if c.MaxCalls <= 0 {
		c.MaxCalls = 100
	}
	return c
}

func (s Server) withDefaults() Server {
	if s.TLS == "" {
		s.TLS = "starttls"
	}
	if s.Port == 0 {
		switch s.TLS {
		case "tls":
			s.Port = 465
		case "starttls":
			s.Port = 587
		default:
			s.Port = 25
		}
	}
	if s.Timeout <= 0 {
		s.Timeout = defaultTimeout
	}
	return s
}

// String shows the server without its password (fmt's %v and %+v use it).
func (s Server) String() string {
	pass := ""
	if s.Pass != "" {
		pass = "***"
	}
	return fmt.Sprintf("{Host:%s Port:%d User:%s Pass:%s TLS:%s Timeout:%s From:%s}", s.Host, s.Port, s.User, pass, s.TLS, s.Timeout, s.From)
}

// GoString is String for %#v.
func (s Server) GoString() string { return "mail.Server" + s.String() }

// check refuses a server that cannot be used, without printing its password.
func (s Server) check() error {
	if err := checkHost(s.Host); err != nil {
		return err
	}
	if s.Port < 1 || s.Port > 65535 {
		return fmt.Errorf("port %d is not a TCP port", s.Port)
	}
	switch s.TLS {
	case "none", "starttls", "tls":
	default:
		return fmt.Errorf("tls %q: use none, starttls or tls", s.TLS)
	}
	if strings.ContainsAny(s.User, "\r\n\x00") || strings.ContainsAny(s.Pass, "\r\n\x00") {
		return fmt.Errorf("the user or password contains a line break or NUL")
	}
	if s.From != "" {
		if _, err := parseOne(s.From); err != nil {
			return fmt.Errorf("from %q: %v", s.From, err)
		}
	}
	return nil
}

// checkHost accepts a DNS name or an IP address, nothing else (no port, no unix:// path).
func checkHost(h string) error {
	if h == "" {
		return fmt.Errorf("host is empty")
	}
	if len(h) > 253 {
		return fmt.Errorf("host is longer than 253 bytes")
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return nil
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("host %q is not a host name or IP address", builtins.Truncate(h, 100))
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("host %q is not a host name or IP address", builtins.Truncate(h, 100))
			}
		}
	}
	return nil
}

// Module is the Mail module. One Module serves every runtime of an engine, and keeps one outbox
// per store.
type Module struct {
	cfg    Config
	policy *netguard.Policy

	mu       sync.Mutex
	outboxes map[store.Store]*Outbox
	closed   bool
	bg       sync.WaitGroup
}

var (
	_ builtins.Described   = (*Module)(nil)
	_ builtins.StoreBacked = (*Module)(nil)
)

// New makes the module; a server or allow list that does not parse is an error (naming the server,
// never its password).
func New(cfg Config) (*Module, error) {
	cfg = cfg.withDefaults()
	policy, err := netguard.New(cfg.Allow)
	if err != nil {
		return nil, err
	}
	servers := make(map[string]Server, len(cfg.Servers))
	for name, s := range cfg.Servers {
		if name == "" || len(name) > maxNameBytes || strings.ContainsAny(name, "\r\n") {
			return nil, fmt.Errorf("mail: server %q: a name is 1 to %d bytes without line breaks", builtins.Truncate(name, 100), maxNameBytes)
		}
		s = s.withDefaults()
		if err := s.check(); err != nil {
			return nil, fmt.Errorf("mail: server %s: %v", name, err)
		}
		servers[name] = s
	}
	cfg.Servers = servers
	return &Module{cfg: cfg, policy: policy, outboxes: map[store.Store]*Outbox{}}, nil
}

// Default is the module without servers: Mail.send reaches public inline servers only, and
// Mail.queue has no server to name. Every engine without its own configuration shares it.
var Default = sync.OnceValue(func() *Module {
	m, _ := New(Config{}) // the zero configuration is valid
	return m
})

// Close stops starting delivery passes and waits for those under way, each of which tries every
// due message once (bounded by its server's timeout). Messages still queued stay due in their
// stores: a later Outbox delivers them.
func (m *Module) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.bg.Wait()
	return nil
}

// Name is "Mail".
func (*Module) Name() string { return "Mail" }

// StoreGlobals: Mail.queue writes to the outbox in the execution's store.
func (*Module) StoreGlobals() []string { return []string{"Mail"} }

const preamble = `/** A mail address: "ann@example.com", "Ann <ann@example.com>" or {name, address}. */
type MailAddress = string | { name?: string; address: string };
/** A server given inline to Mail.send (Mail.queue takes a named server only). secure: false is "starttls", true is "tls". */
interface MailServer { host: string; port?: number; secure?: "none" | "starttls" | "tls" | boolean; auth?: { user: string; pass: string }; from?: MailAddress }
/** An attachment: content (utf8 or base64) with a filename, or a stored document by id. cid makes it inline (img src="cid:…"). */
interface MailAttachment { filename?: string; content?: string; encoding?: "base64" | "utf8"; contentType?: string; cid?: string; documentId?: string }
/** What Mail.send and Mail.queue take. to, cc and bcc are a comma-separated string or an array. */
interface MailOptions {
  from?: MailAddress; to?: MailAddress | MailAddress[]; cc?: MailAddress | MailAddress[]; bcc?: MailAddress | MailAddress[];
  replyTo?: MailAddress | MailAddress[]; subject?: string; text?: string; html?: string; attachments?: MailAttachment[];
}
/** What Mail.send answers (nodemailer's shape); times in milliseconds. */
interface MailResult {
  accepted: string[]; rejected: string[]; envelopeTime: number; messageTime: number; messageSize: number;
  /** The server's last answer, e.g. "250 2.0.0 OK: queued". */
  response: string; envelope: { from: string; to: string[] }; messageId: string;
}
`

// fns are the module's functions, bound to one runtime's state (nil for the typings and reference).
func (m *Module) fns(st *state) []builtins.Fn {
	impl := func(queue bool) func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		if st == nil {
			return nil
		}
		return func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
			return func(call goja.FunctionCall) goja.Value { return st.call(call, queue) }
		}
	}
	out := []builtins.Fn{
		{
			Name:      "queue",
			Signature: "(server: string, options: MailOptions): { id: string; messageId: string }",
			Doc:       "Writes the message to the outbox in the execution's transaction: it is delivered only after the execution commits (a failed one sends nothing), retried with backoff; the server must be named (a configured connection), never inline.",
			Example:   `Mail.queue("default", {to: "ann@example.com", subject: "Your offer", text: "Dear Ann, ..."}).id // e.g. "0190f3a2-…"`,
			Impl:      impl(true),
		},
		{
			Name:      "send",
			Signature: "(server: string | MailServer, options: MailOptions): MailResult",
			Doc:       "Sends a message at once over SMTP, within the execution's deadline; not undone if the execution fails later (use Mail.queue for that). Throws an Error naming the server, with details {kind, server, code}, when nothing was delivered.",
			Example:   `Mail.send("default", {to: "ann@example.com", subject: "Your offer", text: "Dear Ann, ..."}).accepted // ["ann@example.com"]`,
			Impl:      impl(false),
		},
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Typings declares the Mail namespace and its types.
func (m *Module) Typings() string {
	return preamble + builtins.NamespaceTypings("Mail",
		"Mail over SMTP: send delivers at once, queue after the execution commits. Servers are named connections (kubus.yaml) or, for send, given inline.", m.fns(nil), nil)
}

// Reference lists Mail's functions.
func (m *Module) Reference() []builtins.Entry { return builtins.ReferenceOf("Mail", m.fns(nil), nil) }

// Install defines the Mail namespace.
func (m *Module) Install(h *builtins.Host) error {
	st := &state{m: m, h: h}
	_, err := builtins.InstallNamespace(h, "Mail", m.fns(st), nil)
	return err
}

// parseOne parses a single RFC 5322 address.
func parseOne(s string) (*mail.Address, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, err
	}
	return a, checkAddr(a)
}

// checkAddr is what net/mail lets through but SMTP should not carry.
func checkAddr(a *mail.Address) error {
	if len(a.Address) > 254 {
		return fmt.Errorf("the address is longer than 254 bytes")
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 || at == len(a.Address)-1 {
		return fmt.Errorf("the address has no domain")
	}
	if strings.ContainsAny(a.Address, "\r\n\x00<>") || strings.ContainsAny(a.Name, "\r\n\x00") {
		return fmt.Errorf("the address contains a line break")
	}
	return nil
}

// state is one runtime's: the intrinsic Error captured at install and this execution's count of
// calls.
type state struct {
	m     *Module
	h     *builtins.Host
	calls builtins.ExecMemo[*int]
}
