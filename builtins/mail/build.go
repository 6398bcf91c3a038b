package mail

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// build writes the draft as RFC 5322 bytes (CRLF line ends, MIME, UTF-8 quoted-printable bodies,
// base64 attachments) with the given Message-ID (without <>) and Date.
func build(d *draft, messageID string, date time.Time) ([]byte, error) {
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	m.FromMailAddress(d.from)
	if len(d.to) > 0 {
		m.ToMailAddress(d.to...)
	}
	if len(d.cc) > 0 {
		m.CcMailAddress(d.cc...)
	}
	// Bcc stays out of the header: its recipients are in the envelope only.
	if len(d.replyTo) > 0 {
		m.ReplyToMailAddress(d.replyTo...)
	}
	m.Subject(d.subject)
	m.SetMessageIDWithValue(messageID)
	m.SetDateWithValue(date)
	switch {
	case d.text != nil && d.html != nil:
		m.SetBodyString(gomail.TypeTextPlain, *d.text)
		m.AddAlternativeString(gomail.TypeTextHTML, *d.html)
	case d.html != nil:
		m.SetBodyString(gomail.TypeTextHTML, *d.html)
	case d.text != nil:
		m.SetBodyString(gomail.TypeTextPlain, *d.text)
	default:
		m.SetBodyString(gomail.TypeTextPlain, "")
	}
	for _, a := range d.atts {
		opts := []gomail.FileOption{gomail.WithFileContentType(gomail.ContentType(a.contentType))}
		var err error
		if a.cid != "" {
			opts = append(opts, gomail.WithFileContentID("<"+a.cid+">"))
			err = m.EmbedReader(a.filename, bytes.NewReader(a.content), opts...)
		} else {
			err = m.AttachReader(a.filename, bytes.NewReader(a.content), opts...)
		}
		if err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("building the message: %w", err)
	}
	return buf.Bytes(), nil
}

// messageDomain is the right side of a Message-ID: the sender's domain, or "kubus.invalid" when it
// is not a plain host name.
func messageDomain(from string) string {
	at := strings.LastIndexByte(from, '@')
	dom := strings.ToLower(from[at+1:])
	if dom == "" || checkHost(dom) != nil || strings.ContainsAny(dom, "[]") {
		return "kubus.invalid"
	}
	return dom
}
