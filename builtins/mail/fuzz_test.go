package mail_test

import (
	"testing"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins/builtinstest"
	kmail "github.com/kubusdev/kubus/builtins/mail"
)

// FuzzMailArgs calls Mail.send and Mail.queue (against a capture: no network) with arbitrary JS
// values as the server, the options and the fields of the options. Whatever the input, the call
// returns a value or throws a TypeError, a RangeError or an Error naming the function: never a
// Go panic.
func FuzzMailArgs(f *testing.F) {
	f.Add(uint8(0), uint8(3), 0.0, "default", uint8(3), 1.0, "ann@example.com", uint8(2))
	f.Add(uint8(1), uint8(3), 0.0, "default", uint8(19), 0.0, "a@b.nl,c@d.nl", uint8(5))
	for k := range 24 {
		f.Add(uint8(k), uint8(k), float64(k)-3.5, "x@y.nl", uint8(23-k), 0.25, "Ann <ann@example.com>", uint8(k))
	}
	m, err := kmail.New(kmail.Config{Servers: map[string]kmail.Server{"default": {Host: "smtp.example.com", From: "noreply@example.com"}}})
	if err != nil {
		f.Fatal(err)
	}
	fields := []string{"to", "cc", "bcc", "from", "replyTo", "subject", "text", "html", "attachments"}
	f.Fuzz(func(t *testing.T, fnIdx, k1 uint8, n1 float64, s1 string, k2 uint8, n2 float64, s2 string, shape uint8) {
		e := newExec()
		e.Fixtures = map[string]any{"Mail": kmail.NewCapture()}
		vm := vmFor(t, m, e)
		name := []string{"Mail.send", "Mail.queue"}[fnIdx%2]
		server := builtinstest.FuzzValue(t, vm, k1, n1, s1)
		if shape%4 == 0 {
			server = vm.ToValue("default")
		}
		v := builtinstest.FuzzValue(t, vm, k2, n2, s2)
		var opts goja.Value
		switch shape % 3 {
		case 0:
			opts = v
		case 1: // v as one field of otherwise valid options
			o := vm.NewObject()
			_ = o.Set("to", "ann@example.com")
			_ = o.Set(fields[int(shape/3)%len(fields)], v)
			opts = o
		default: // v as an attachment's field
			a := vm.NewObject()
			_ = a.Set("filename", "a.txt")
			_ = a.Set([]string{"content", "encoding", "contentType", "cid", "documentId", "filename"}[int(shape/3)%6], v)
			o := vm.NewObject()
			_ = o.Set("to", "ann@example.com")
			_ = o.Set("attachments", vm.NewArray(a))
			opts = o
		}
		res, err := builtinstest.Func(t, vm, name)(goja.Undefined(), server, opts)
		builtinstest.CheckThrow(t, name, res, err, "Error")
	})
}
