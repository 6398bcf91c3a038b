// Command smtpsink is an SMTP server for trying Kubus's mail on one machine: it accepts every
// message on a loopback address (no TLS, no login), prints who it is from and to, its subject and
// its attachments, and saves it whole as a .eml file.
//
//	go run ./tools/smtpsink -listen 127.0.0.1:2525 -dir /tmp/mail
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:2525", "address to listen on (keep it on loopback)")
	dir := flag.String("dir", "", "folder for the received messages as .eml files (default: a new temporary folder)")
	flag.Parse()
	if *dir == "" {
		d, err := os.MkdirTemp("", "smtpsink")
		if err != nil {
			log.Fatal(err)
		}
		*dir = d
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	srv := smtp.NewServer(&backend{dir: *dir})
	srv.Addr = *listen
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.MaxMessageBytes = 50 << 20
	srv.AllowInsecureAuth = true
	fmt.Printf("smtpsink: listening on %s, saving messages in %s\n", *listen, *dir)
	log.Fatal(srv.ListenAndServe())
}

type backend struct {
	dir string
	n   atomic.Int64
}

func (b *backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{b: b}, nil }

type session struct {
	b    *backend
	from string
	to   []string
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error   { s.to = append(s.to, to); return nil }
func (s *session) Reset()                                      { s.from, s.to = "", nil }
func (s *session) Logout() error                               { return nil }

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	n := s.b.n.Add(1)
	file := filepath.Join(s.b.dir, fmt.Sprintf("%03d.eml", n))
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		return err
	}
	subject, attachments := describe(raw)
	fmt.Printf("\n#%d from %s to %s\n  subject: %s\n", n, s.from, strings.Join(s.to, ", "), subject)
	for _, a := range attachments {
		fmt.Printf("  attachment: %s\n", a)
	}
	fmt.Printf("  saved as %s\n", file)
	return nil
}

// describe reads the subject and the attachments' names and sizes.
func describe(raw []byte) (subject string, attachments []string) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "(unreadable: " + err.Error() + ")", nil
	}
	dec := new(mime.WordDecoder)
	if subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		subject = msg.Header.Get("Subject")
	}
	var walk func(ct string, body io.Reader)
	walk = func(ct string, body io.Reader) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || !strings.HasPrefix(mt, "multipart/") {
			return
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				return
			}
			if name := p.FileName(); name != "" {
				data, _ := io.ReadAll(p)
				attachments = append(attachments, fmt.Sprintf("%s (%s, %d bytes encoded)", name, p.Header.Get("Content-Type"), len(data)))
				continue
			}
			walk(p.Header.Get("Content-Type"), p)
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Body)
	return subject, attachments
}
