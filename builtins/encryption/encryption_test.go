package encryption

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
)

var clock = time.Date(2024, 6, 14, 22, 30, 0, 0, time.UTC)

// newVM installs the module on a fresh runtime and points it at an execution.
func newVM(t testing.TB) *goja.Runtime {
	t.Helper()
	vm, _ := builtinstest.NewVM(t, &builtins.Exec{Now: clock}, Module)
	return vm
}

func TestModule(t *testing.T) {
	builtinstest.CheckModule(t, newVM(t), Module, functions)
	typings := Module.Typings()
	for _, f := range functions {
		if !strings.HasPrefix(f.Doc, "Deprecated:") {
			t.Errorf("%s: Doc does not start with Deprecated:", f.Name)
		}
		if !strings.Contains(typings, "   * @deprecated Kept for compatibility.\n   */\n  function "+f.Name+"(") {
			t.Errorf("%s: typings lack @deprecated", f.Name)
		}
	}
	if !strings.Contains(typings, " * @deprecated") || !strings.Contains(typings, "declare namespace Encryption {") {
		t.Errorf("namespace typings: %s", typings)
	}
}

// rawKey is the bytes 00 01 … 1f, in base64.
const rawKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

const passphrase = "correct horse battery staple"

// Fixed vectors, made by Encryption.encrypt and checked independently with Python's
// cryptography.hazmat AESGCM (OpenSSL) and hashlib.scrypt: nonce = bytes 1..13 (raw key) or
// 17..29 (passphrase), AAD = the bytes before the nonce.
const (
	vectorKey        = "AV6WKji48Bg+brlGSoijpzkuaiMCBTZbEb2/HvmEZ/p/Vv3aoF2oVOqQYVxy5rY6r7iVfL60gZ5JXrBZz1vLNw=="
	vectorPassphrase = "AoEz7Xmg6z59+c4RCqrwVyeQqHy0TFdpGZZfDu54oaRGZKd6yMYFG552y66hp5c6xOR7U4HcjFdtP+2kAIsQwZ5REAn7H8d25Cn3UVr/oCc="
	vectorText       = "Kubus test vector — ünïcode ✓"
)

func TestVectors(t *testing.T) {
	vm := newVM(t)
	runCases(t, vm, []jsCase{
		{`Encryption.decrypt("` + vectorKey + `", "` + rawKey + `")`, vectorText},
		{`Encryption.decrypt("` + vectorPassphrase + `", "` + passphrase + `")`, vectorText},
		{`Encryption.decrypt("AY/2qnl31/SYnvwkFOKMMZW4Tv+B8KR/Wke73oIXjDU2TRM=", "` + rawKey + `")`, "secret"},
		// surrounding whitespace (a pasted value) is ignored
		{`Encryption.decrypt(" ` + vectorKey + `\n", "` + rawKey + `")`, vectorText},
	})
}

func TestRoundTrip(t *testing.T) {
	vm := newVM(t)
	bytesOf := func(b64 string) []int {
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]int, len(b))
		for i, c := range b {
			out[i] = int(c)
		}
		return out
	}
	for name, v := range map[string]any{"bytesOf": bytesOf, "rawKey": rawKey, "pass": passphrase, "text": vectorText, "long": strings.Repeat("x", 100000)} {
		if err := vm.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	runCases(t, vm, []jsCase{
		{"Encryption.decrypt(Encryption.encrypt(text, rawKey), rawKey) === text", true},
		{"Encryption.decrypt(Encryption.encrypt(text, pass), pass) === text", true},
		{"Encryption.decrypt(Encryption.encrypt('', rawKey), rawKey)", ""},
		{"Encryption.decrypt(Encryption.encrypt(long, rawKey), rawKey) === long", true},
		{"Encryption.decrypt(Encryption.encrypt('x', 'p'), 'p')", "x"},
		// a fresh nonce (and salt) every call
		{"Encryption.encrypt(text, rawKey) !== Encryption.encrypt(text, rawKey)", true},
		{"Encryption.encrypt(text, pass) !== Encryption.encrypt(text, pass)", true},
		// the layout: version byte, [salt,] nonce, ciphertext, 16-byte tag
		{"bytesOf(Encryption.encrypt('abc', rawKey)).length", 1 + 12 + 3 + 16},
		{"bytesOf(Encryption.encrypt('abc', pass)).length", 1 + 16 + 12 + 3 + 16},
		{"bytesOf(Encryption.encrypt('abc', rawKey))[0]", 1},
		{"bytesOf(Encryption.encrypt('abc', pass))[0]", 2},
		// 44 characters that are not base64 of 32 bytes are a passphrase
		{"bytesOf(Encryption.encrypt('abc', 'x'.repeat(43) + '!'))[0]", 2},
		{"Encryption.decrypt(Encryption.encrypt('abc', 'x'.repeat(43) + '!'), 'x'.repeat(43) + '!')", "abc"},
	})
}

// tamper flips one bit of byte i of a base64 ciphertext.
func tamper(t *testing.T, b64 string, i int) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	if i < 0 {
		i += len(b)
	}
	b[i] ^= 0x01
	return base64.StdEncoding.EncodeToString(b)
}

func TestRefused(t *testing.T) {
	vm := newVM(t)
	const authFailed = "Error: Encryption.decrypt: authentication failed: wrong key, or the ciphertext was changed or damaged"
	otherKey := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	cases := []jsCase{
		// wrong key
		{`Encryption.decrypt("` + vectorKey + `", "` + otherKey + `")`, authFailed},
		{`Encryption.decrypt("` + vectorPassphrase + `", "Correct horse battery staple")`, authFailed},
		// a key of the other kind
		{`Encryption.decrypt("` + vectorKey + `", "` + passphrase + `")`, "Error: Encryption.decrypt: authentication failed: the ciphertext was encrypted with a 32-byte key, but key is a passphrase"},
		{`Encryption.decrypt("` + vectorPassphrase + `", "` + rawKey + `")`, "Error: Encryption.decrypt: authentication failed: the ciphertext was encrypted with a passphrase, but key is a 32-byte base64 key"},
	}
	// tampering anywhere: nonce, ciphertext, tag; salt (passphrase)
	for _, i := range []int{1, 12, 13, 20, -1, -16} {
		cases = append(cases, jsCase{`Encryption.decrypt("` + tamper(t, vectorKey, i) + `", "` + rawKey + `")`, authFailed})
	}
	for _, i := range []int{1, 16, 17, 29, -1} {
		cases = append(cases, jsCase{`Encryption.decrypt("` + tamper(t, vectorPassphrase, i) + `", "` + passphrase + `")`, authFailed})
	}
	// a truncated ciphertext
	raw, _ := base64.StdEncoding.DecodeString(vectorKey)
	cases = append(cases, jsCase{`Encryption.decrypt("` + base64.StdEncoding.EncodeToString(raw[:len(raw)-1]) + `", "` + rawKey + `")`, authFailed})
	runCases(t, vm, cases)
}

func TestWrongArguments(t *testing.T) {
	vm := newVM(t)
	runCases(t, vm, []jsCase{
		{"Encryption.encrypt()", "TypeError: Encryption.encrypt: plaintext is required (a string)"},
		{"Encryption.encrypt(42, 'k')", "TypeError: Encryption.encrypt: plaintext must be a string, got 42"},
		{"Encryption.encrypt({a: 1}, 'k')", "TypeError: Encryption.encrypt: plaintext must be a string, got an object"},
		{"Encryption.encrypt('x')", "TypeError: Encryption.encrypt: key is required (a string)"},
		{"Encryption.encrypt('x', null)", "TypeError: Encryption.encrypt: key must be a string, got null"},
		{"Encryption.encrypt('x', '')", "RangeError: Encryption.encrypt: key is empty: pass a base64 32-byte key or a passphrase"},
		{"Encryption.decrypt()", "TypeError: Encryption.decrypt: ciphertext is required (a string)"},
		{"Encryption.decrypt('AQ==')", "TypeError: Encryption.decrypt: key is required (a string)"},
		{"Encryption.decrypt('AQ==', '')", "RangeError: Encryption.decrypt: key is empty: pass a base64 32-byte key or a passphrase"},
		{"Encryption.decrypt('not base64!', 'k')", "RangeError: Encryption.decrypt: ciphertext is not valid base64 (illegal base64 data at input byte 3)"},
		{"Encryption.decrypt('', 'k')", "RangeError: Encryption.decrypt: ciphertext is empty"},
		{"Encryption.decrypt('AQ==', 'k')", "RangeError: Encryption.decrypt: ciphertext is too short (1 bytes) to be one made by Encryption.encrypt"},
		{"Encryption.decrypt('Ag==', 'k')", "RangeError: Encryption.decrypt: ciphertext is too short (1 bytes) to be one made by Encryption.encrypt"},
		{"Encryption.decrypt('BwAAAA==', 'k')", "RangeError: Encryption.decrypt: ciphertext has unknown format version 7 (not made by Encryption.encrypt)"},
	})
}

type jsCase struct {
	expr string
	want any
}

func runCases(t *testing.T, vm *goja.Runtime, cases []jsCase) {
	t.Helper()
	for _, c := range cases {
		builtinstest.Check(t, vm, c.expr, c.want)
	}
}
