package mail

import (
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/documents"
	"github.com/kubusdev/kubus/store"
)

// draft is a message as rule code asked for it, every field checked.
type draft struct {
	from                 *mail.Address
	to, cc, bcc, replyTo []*mail.Address
	subject              string
	text, html           *string
	atts                 []attachment
	// size is the raw size of the bodies and attachments so far.
	size int64
}

// attachment is one checked attachment; cid set makes it inline.
type attachment struct {
	filename, contentType, cid string
	content                    []byte
}

// recipients are the envelope's recipients (to, cc and bcc), each address once.
func (d *draft) recipients() []string {
	var out []string
	seen := map[string]bool{}
	for _, list := range [][]*mail.Address{d.to, d.cc, d.bcc} {
		for _, a := range list {
			k := strings.ToLower(a.Address)
			if !seen[k] {
				seen[k] = true
				out = append(out, a.Address)
			}
		}
	}
	return out
}

// parser reads one call's options. Every check happens before the value it guards is copied out
// of the runtime: a string's length is read before the string.
type parser struct {
	st    *state
	fn    string
	label string // the server, for tooLarge errors
	tx    store.Tx
	// budget is how many recipients are left to read (MaxRecipients for to, cc and bcc together).
	budget int
}

var optionKeys = []string{"from", "to", "cc", "bcc", "replyTo", "subject", "text", "html", "attachments"}

func (p *parser) typeError(format string, args ...any) {
	p.st.h.TypeError(p.fn, format, args...)
}

func (p *parser) rangeError(format string, args ...any) {
	p.st.h.RangeError(p.fn, format, args...)
}

// tooLarge throws the Error of a message over MaxMessageBytes.
func (p *parser) tooLarge() {
	max := p.st.m.cfg.MaxMessageBytes
	p.st.fail(p.fn, &callError{kind: "tooLarge", server: p.label,
		msg: fmt.Sprintf("the message would be larger than %d bytes (the connections' mail maxMessageBytes)", max)})
}

// grow adds n raw bytes to the message and refuses it once its encoded size (base64 is 4/3 of the
// raw bytes) would pass the limit.
func (p *parser) grow(d *draft, n int64) {
	d.size += n
	if d.size/3*4 > p.st.m.cfg.MaxMessageBytes {
		p.tooLarge()
	}
}

// keys refuses keys a function does not know (a typo would otherwise drop a field silently).
func (p *parser) keys(o *goja.Object, field string, known []string) {
	keys := o.Keys()
	if len(keys) > maxOptionKeys {
		p.typeError("%s has more than %d keys", field, maxOptionKeys)
	}
	for _, k := range keys {
		if !slices.Contains(known, k) {
			p.typeError("%s has an unknown key %q (known: %s)", field, builtins.Truncate(k, 40), strings.Join(known, ", "))
		}
	}
}

// str reads an optional string of at most max bytes; header strings may hold no line break or
// other control character.
func (p *parser) str(v goja.Value, field string, max int, header bool) (string, bool) {
	if builtins.IsMissing(v) || goja.IsNull(v) {
		return "", false
	}
	s, ok, tooLong := builtins.BoundedString(v, max)
	if !ok {
		p.typeError("%s must be a string, got %s", field, builtins.Describe(v))
	}
	if tooLong {
		p.rangeError("%s is longer than %d bytes", field, max)
	}
	if header {
		p.headerSafe(s, field)
	}
	return s, true
}

// headerSafe throws a TypeError naming the field for a CR, an LF or another control character:
// what would let a value end its header line and start another.
func (p *parser) headerSafe(s, field string) {
	if strings.ContainsAny(s, "\r\n") {
		p.typeError("%s contains a line break (CR or LF)", field)
	}
	for _, c := range s {
		if c < 0x20 && c != '\t' || c == 0x7f || c == 0x2028 || c == 0x2029 || c == 0x85 {
			p.typeError("%s contains a control character", field)
		}
	}
}

// body reads text or html: any size up to the message's.
func (p *parser) body(d *draft, v goja.Value, field string) *string {
	if builtins.IsMissing(v) || goja.IsNull(v) {
		return nil
	}
	js, ok := v.(goja.String)
	if !ok {
		p.typeError("%s must be a string, got %s", field, builtins.Describe(v))
	}
	if int64(js.Length()) > p.st.m.cfg.MaxMessageBytes {
		p.tooLarge()
	}
	s := js.String()
	p.grow(d, int64(len(s)))
	return &s
}

// options reads mailOptions; defFrom is the server's sender.
func (p *parser) options(o *goja.Object, defFrom string) *draft {
	p.keys(o, "mailOptions", optionKeys)
	d := &draft{}
	// Recipients first: the cheapest way for a hostile call to fail is before anything is built.
	d.to = p.addrs(o.Get("to"), "mailOptions.to", true)
	d.cc = p.addrs(o.Get("cc"), "mailOptions.cc", true)
	d.bcc = p.addrs(o.Get("bcc"), "mailOptions.bcc", true)
	if len(d.to)+len(d.cc)+len(d.bcc) == 0 {
		p.typeError("mailOptions needs a recipient (to, cc or bcc)")
	}
	d.replyTo = p.addrs(o.Get("replyTo"), "mailOptions.replyTo", false)
	if from := p.addrs(o.Get("from"), "mailOptions.from", false); len(from) > 1 {
		p.typeError("mailOptions.from must be one address, got %d", len(from))
	} else if len(from) == 1 {
		d.from = from[0]
	} else if defFrom != "" {
		d.from, _ = parseOne(defFrom) // checked by New
	}
	if d.from == nil {
		p.typeError("mailOptions.from is required (the server has no default sender)")
	}
	d.subject, _ = p.str(o.Get("subject"), "mailOptions.subject", maxSubjectBytes, true)
	d.text = p.body(d, o.Get("text"), "mailOptions.text")
	d.html = p.body(d, o.Get("html"), "mailOptions.html")
	if v := o.Get("attachments"); !builtins.IsMissing(v) && !goja.IsNull(v) {
		p.attachments(d, v)
	}
	return d
}

// addrs reads an address field: a string (one address or a comma-separated list), an
// {name, address} object, or an array of those. Recipient fields draw on the call's budget.
func (p *parser) addrs(v goja.Value, field string, recipients bool) []*mail.Address {
	if builtins.IsMissing(v) || goja.IsNull(v) {
		return nil
	}
	limit := maxReplyTo
	if recipients {
		limit = p.budget
	}
	tooMany := func() {
		if recipients {
			p.rangeError("more than %d recipients (to, cc and bcc together: the connections' mail maxRecipients)", p.st.m.cfg.MaxRecipients)
		}
		p.rangeError("%s has more than %d addresses", field, maxReplyTo)
	}
	var out []*mail.Address
	switch x := v.(type) {
	case goja.String:
		maxList := max(64<<10, limit*320)
		s, _ := p.str(x, field, maxList, true)
		if strings.TrimSpace(s) == "" {
			p.typeError("%s is empty", field)
		}
		list, err := mail.ParseAddressList(s)
		if err != nil {
			p.typeError("%s is not an RFC 5322 address list (%s): %q", field, addrProblem(err), builtins.Truncate(s, 100))
		}
		if len(list) > limit {
			tooMany()
		}
		for i, a := range list {
			if err := checkAddr(a); err != nil {
				p.typeError("%s: address %d: %v", field, i+1, err)
			}
		}
		out = list
	case *goja.Object:
		if x.ClassName() != "Array" {
			out = []*mail.Address{p.addrObject(x, field)}
			break
		}
		n := x.Get("length").ToInteger()
		if n > int64(limit) {
			tooMany()
		}
		for i := int64(0); i < n; i++ {
			f := field + "[" + strconv.FormatInt(i, 10) + "]"
			switch e := x.Get(strconv.FormatInt(i, 10)).(type) {
			case goja.String:
				s, _ := p.str(e, f, maxAddressBytes, true)
				a, err := parseOne(s)
				if err != nil {
					p.typeError("%s is not an RFC 5322 address (%s): %q", f, addrProblem(err), builtins.Truncate(s, 100))
				}
				out = append(out, a)
			case *goja.Object:
				out = append(out, p.addrObject(e, f))
			default:
				p.typeError("%s must be an address string or {name, address}, got %s", f, builtins.Describe(e))
			}
		}
	default:
		p.typeError("%s must be an address string, {name, address} or an array of them, got %s", field, builtins.Describe(v))
	}
	if recipients {
		p.budget -= len(out)
	}
	return out
}

// addrObject reads {name, address}.
func (p *parser) addrObject(o *goja.Object, field string) *mail.Address {
	p.keys(o, field, []string{"name", "address"})
	addr, ok := p.str(o.Get("address"), field+".address", maxAddressBytes, true)
	if !ok {
		p.typeError("%s.address is required", field)
	}
	name, _ := p.str(o.Get("name"), field+".name", maxAddressBytes, true)
	a, err := mail.ParseAddress(addr)
	if err == nil && a.Name != "" {
		err = errors.New("write the bare address, the name goes in name")
	}
	if err == nil {
		err = checkAddr(a)
	}
	if err != nil {
		p.typeError("%s.address is not an RFC 5322 address (%s): %q", field, addrProblem(err), builtins.Truncate(addr, 100))
	}
	a.Name = name
	return a
}

// addrProblem is net/mail's complaint without its "mail: " prefix.
func addrProblem(err error) string { return strings.TrimPrefix(err.Error(), "mail: ") }

var attachmentKeys = []string{"filename", "content", "encoding", "contentType", "cid", "documentId"}

// attachments reads the attachments array.
func (p *parser) attachments(d *draft, v goja.Value) {
	o, ok := v.(*goja.Object)
	if !ok || o.ClassName() != "Array" {
		p.typeError("mailOptions.attachments must be an array, got %s", builtins.Describe(v))
	}
	n := o.Get("length").ToInteger()
	if n > maxAttachments {
		p.rangeError("mailOptions.attachments has more than %d entries", maxAttachments)
	}
	for i := int64(0); i < n; i++ {
		field := fmt.Sprintf("mailOptions.attachments[%d]", i)
		ao, ok := o.Get(strconv.FormatInt(i, 10)).(*goja.Object)
		if !ok {
			p.typeError("%s must be an object", field)
		}
		p.keys(ao, field, attachmentKeys)
		d.atts = append(d.atts, p.attachment(d, ao, field))
	}
}

func (p *parser) attachment(d *draft, o *goja.Object, field string) attachment {
	var a attachment
	filename, hasName := p.str(o.Get("filename"), field+".filename", maxFilenameBytes, true)
	ct, hasCT := p.str(o.Get("contentType"), field+".contentType", maxContentTypeLen, true)
	cid, _ := p.str(o.Get("cid"), field+".cid", maxCIDBytes, true)
	if cid != "" {
		for _, c := range cid {
			if c <= ' ' || c > '~' || strings.ContainsRune(`<>"\()[],;:`, c) {
				p.typeError("%s.cid may hold printable ASCII without spaces, quotes, brackets or <>", field)
			}
		}
	}
	a.cid = cid
	if id, ok := p.str(o.Get("documentId"), field+".documentId", maxDocumentIDBytes, true); ok {
		if c := o.Get("content"); !builtins.IsMissing(c) {
			p.typeError("%s has both documentId and content", field)
		}
		if p.tx == nil {
			p.st.h.Error(p.fn, "%s.documentId needs a store (none is configured)", field)
		}
		doc, err := documents.Get(p.tx, id)
		if errors.Is(err, store.ErrNotFound) {
			p.st.h.Error(p.fn, "%s.documentId: no document %q", field, builtins.Truncate(id, 80))
		} else if err != nil {
			p.st.h.Error(p.fn, "%s.documentId: reading the document: %v", field, err)
		}
		p.grow(d, int64(len(doc.Content)))
		a.content = doc.Content
		if !hasName {
			filename, hasName = doc.Name, doc.Name != ""
			p.headerSafe(filename, field+".filename (the document's name)")
			if len(filename) > maxFilenameBytes {
				filename = builtins.Truncate(filename, maxFilenameBytes-3)
			}
		}
		if !hasCT && doc.ContentType != "" {
			ct, hasCT = doc.ContentType, true
			p.headerSafe(ct, field+".contentType (the document's type)")
		}
	} else {
		if !hasName {
			p.typeError("%s.filename is required", field)
		}
		a.content = p.content(d, o, field)
	}
	if filename == "" {
		filename = "attachment"
	}
	a.filename = filename
	if hasCT {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || !strings.Contains(mt, "/") {
			p.typeError("%s.contentType is not a media type such as application/pdf: %q", field, builtins.Truncate(ct, 80))
		}
		a.contentType = mime.FormatMediaType(mt, params)
		if a.contentType == "" {
			p.typeError("%s.contentType is not a media type such as application/pdf: %q", field, builtins.Truncate(ct, 80))
		}
	} else if t := mime.TypeByExtension(path.Ext(filename)); t != "" {
		a.contentType = t
	} else {
		a.contentType = "application/octet-stream"
	}
	return a
}

// content reads content in its encoding, bounded before it is copied or decoded.
func (p *parser) content(d *draft, o *goja.Object, field string) []byte {
	enc := "utf8"
	if e, ok := p.str(o.Get("encoding"), field+".encoding", 20, true); ok {
		enc = strings.ToLower(e)
	}
	v := o.Get("content")
	js, ok := v.(goja.String)
	if !ok {
		p.typeError("%s.content must be a string, got %s", field, builtins.Describe(v))
	}
	max := p.st.m.cfg.MaxMessageBytes
	switch enc {
	case "utf8", "utf-8":
		if int64(js.Length()) > max {
			p.tooLarge()
		}
		s := js.String()
		p.grow(d, int64(len(s)))
		return []byte(s)
	case "base64":
		if int64(js.Length())/4*3 > max {
			p.tooLarge()
		}
		s := js.String()
		s = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, s)
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			if b, err = base64.RawStdEncoding.DecodeString(s); err != nil {
				p.typeError("%s.content is not base64", field)
			}
		}
		p.grow(d, int64(len(b)))
		return b
	}
	p.typeError("%s.encoding must be \"base64\" or \"utf8\", got %q", field, builtins.Truncate(enc, 20))
	return nil
}
