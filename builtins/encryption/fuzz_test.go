package encryption

import (
	"encoding/base64"
	"testing"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins/builtinstest"
)

// FuzzEncryptionArgs calls encrypt and decrypt with arbitrary JS values, and decrypt with
// arbitrary bytes behind each version byte. Whatever the input, the call returns a value, throws a
// TypeError or RangeError naming the function, or (decrypt) an Error "authentication failed":
// never a Go panic. Key derivation is made cheap here (scryptN = 16): the fuzz target is the
// argument handling, not scrypt.
func FuzzEncryptionArgs(f *testing.F) {
	defer func(n int) { scryptN = n }(scryptN)
	scryptN = 16
	const key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	f.Add(uint8(0), uint8(3), 0.0, "secret", uint8(3), 0.0, key, uint8(2))
	f.Add(uint8(1), uint8(3), 0.0, "AY/2qnl31/SYnvwkFOKMMZW4Tv+B8KR/Wke73oIXjDU2TRM=", uint8(3), 0.0, key, uint8(2))
	f.Add(uint8(1), uint8(24), 0.0, "\x01abcdefghijklmnopqrstuvwxyz0123456789", uint8(3), 0.0, key, uint8(2))
	f.Add(uint8(1), uint8(24), 0.0, "\x02abcdefghijklmnopqrstuvwxyz0123456789abcdefgh", uint8(3), 0.0, "pass", uint8(2))
	for k := range 25 {
		f.Add(uint8(k), uint8(k), float64(k)-3.5, "x", uint8(24-k), 0.25, "pass", uint8(k%3))
	}
	f.Fuzz(func(t *testing.T, fnIdx, k1 uint8, n1 float64, s1 string, k2 uint8, n2 float64, s2 string, argc uint8) {
		vm := newVM(t)
		name := functions[int(fnIdx)%len(functions)].Name
		arg := func(k uint8, n float64, s string) goja.Value {
			if k%25 == 24 { // s as bytes, in base64
				return vm.ToValue(base64.StdEncoding.EncodeToString([]byte(s)))
			}
			return builtinstest.FuzzValue(t, vm, k, n, s)
		}
		args := []goja.Value{arg(k1, n1, s1), arg(k2, n2, s2)}[:argc%3]
		call := builtinstest.Func(t, vm, namespace+"."+name)
		res, err := call(goja.Undefined(), args...)
		allowed := []string{}
		if name == "decrypt" {
			allowed = append(allowed, "Error") // authentication failed
		}
		builtinstest.CheckThrow(t, namespace+"."+name, res, err, allowed...)
	})
}
