package mail

import (
	"net/mail"
	"sync"
)

// Capture is a testcase's `mail: capture` fixture: put in Exec.Fixtures["Mail"], it receives
// every message of the execution instead of a server. Mail.send captures at once; Mail.queue
// writes nothing to the outbox and captures its message only when the execution's writes commit
// (through Exec.AfterCommit), so a failed execution captures no queued mail. It is safe for
// concurrent use. The zero value is ready.
type Capture struct {
	mu   sync.Mutex
	msgs []Captured
}

// Captured is one captured message. Addresses are bare (ann@example.com), without names.
type Captured struct {
	Server           string // the server named (or the inline host)
	From             string
	To, Cc, Bcc      []string
	ReplyTo          []string
	Subject          string
	Text, HTML       string
	Attachments      []CapturedAttachment
	Queued           bool   // by Mail.queue (and committed)
	MessageID        string // with <>
	Raw              []byte // the message as it would have been sent
	HasText, HasHTML bool   // whether text and html were given (an empty one counts)
}

// CapturedAttachment is one attachment of a captured message.
type CapturedAttachment struct {
	Filename, ContentType, CID string
	Size                       int
	Content                    []byte
}

// NewCapture is an empty capture.
func NewCapture() *Capture { return &Capture{} }

// Messages are the captured messages, in order (a copy).
func (c *Capture) Messages() []Captured {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Captured(nil), c.msgs...)
}

// Reset forgets the captured messages.
func (c *Capture) Reset() {
	c.mu.Lock()
	c.msgs = nil
	c.mu.Unlock()
}

func (c *Capture) add(m Captured) {
	c.mu.Lock()
	c.msgs = append(c.msgs, m)
	c.mu.Unlock()
}

func captured(d *draft, server, messageID string, raw []byte, queued bool) Captured {
	bare := func(list []*mail.Address) []string {
		out := make([]string, len(list))
		for i, a := range list {
			out[i] = a.Address
		}
		return out
	}
	c := Captured{Server: server, From: d.from.Address, To: bare(d.to), Cc: bare(d.cc), Bcc: bare(d.bcc),
		ReplyTo: bare(d.replyTo), Subject: d.subject, Queued: queued, MessageID: messageID, Raw: raw}
	if d.text != nil {
		c.Text, c.HasText = *d.text, true
	}
	if d.html != nil {
		c.HTML, c.HasHTML = *d.html, true
	}
	for _, a := range d.atts {
		c.Attachments = append(c.Attachments, CapturedAttachment{Filename: a.filename, ContentType: a.contentType,
			CID: a.cid, Size: len(a.content), Content: a.content})
	}
	return c
}
