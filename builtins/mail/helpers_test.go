package mail_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
	kmail "github.com/kubusdev/kubus/builtins/mail"
	"github.com/kubusdev/kubus/builtins/mail/smtptest"
	"github.com/kubusdev/kubus/store"
)

var serial atomic.Uint64

// newExec is an execution with a 10 s deadline.
func newExec() *builtins.Exec {
	return &builtins.Exec{Serial: serial.Add(1), Context: context.Background(), Deadline: time.Now().Add(10 * time.Second), Now: time.Now(), LogLevel: builtins.LogInfo}
}

func newModule(t *testing.T, cfg kmail.Config) *kmail.Module {
	t.Helper()
	m, err := kmail.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// serverFor is a configured server for a test server.
func serverFor(s *smtptest.Server, tls string) kmail.Server {
	return kmail.Server{Host: s.Host, Port: s.Port, TLS: tls, From: "Kubus <noreply@kubus.test>", RootCAs: s.RootCAs, Timeout: 5 * time.Second}
}

// moduleFor is a module whose "default" server is s (TLS none), loopback allowed.
func moduleFor(t *testing.T, s *smtptest.Server) *kmail.Module {
	return newModule(t, kmail.Config{Allow: []string{"127.0.0.1"}, Servers: map[string]kmail.Server{"default": serverFor(s, "none")}})
}

func vmFor(t *testing.T, m *kmail.Module, e *builtins.Exec) *goja.Runtime {
	t.Helper()
	vm, _ := builtinstest.NewVM(t, e, m)
	return vm
}

// eval runs expr and gives JSON.stringify of its value, or "Name: message" when it throws.
func eval(t *testing.T, vm *goja.Runtime, expr string) string {
	t.Helper()
	return fmt.Sprint(builtinstest.Eval(t, vm, "JSON.stringify("+expr+")"))
}

// thrown runs expr and gives what it threw: "Name: message" and JSON of its details.
func thrown(t *testing.T, vm *goja.Runtime, expr string) (string, string) {
	t.Helper()
	v, err := vm.RunString(`(() => { try { ` + expr + `; return ["", ""] } catch (e) { return [e.name + ": " + e.message, JSON.stringify(e.details)] } })()`)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	out := v.Export().([]any)
	return out[0].(string), fmt.Sprint(out[1])
}

func openStore(t *testing.T) *store.Bolt {
	t.Helper()
	b, err := store.Open(filepath.Join(t.TempDir(), "kubus.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// part is one leaf of a MIME message, its body decoded.
type part struct {
	header textproto.MIMEHeader
	body   []byte
}

func (p part) mediaType() string {
	mt, _, _ := mime.ParseMediaType(p.header.Get("Content-Type"))
	return mt
}

// leaves walks a message's MIME tree; types lists the media types met on the way (multiparts too).
func leaves(t *testing.T, raw []byte) (msg *mail.Message, parts []part, types []string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(h textproto.MIMEHeader, body io.Reader)
	walk = func(h textproto.MIMEHeader, body io.Reader) {
		mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
		if err != nil {
			mt = "text/plain"
		}
		types = append(types, mt)
		if strings.HasPrefix(mt, "multipart/") {
			r := multipart.NewReader(body, params["boundary"])
			for {
				p, err := r.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p.Header, p)
			}
		}
		var b []byte
		switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
		case "base64":
			b, err = io.ReadAll(base64.NewDecoder(base64.StdEncoding, body))
		case "quoted-printable":
			b, err = io.ReadAll(quotedprintable.NewReader(body))
		default:
			b, err = io.ReadAll(body)
		}
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, part{header: h, body: b})
	}
	walk(textproto.MIMEHeader(msg.Header), msg.Body)
	return msg, parts, types
}
