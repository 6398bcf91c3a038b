// Package encryption is the deprecated "Encryption" module, kept so that rulesets written for the
// reference product keep working: Encryption.encrypt and Encryption.decrypt with AES-256-GCM.
// See /shared/design/builtins.md for the contract.
//
// The key argument is either
//   - a raw key: a string of 44 characters that is the standard, padded base64 of exactly 32 bytes
//     (e.g. from Crypto.randomBytes(32, "base64")), used as the AES-256 key as it is; or
//   - any other non-empty string: a passphrase, from which a key is derived per ciphertext with
//     scrypt (N = 32768, r = 8, p = 1, a random 16-byte salt). This costs about 50–100 ms and
//     32 MiB of memory per call, on purpose; prefer raw keys for bulk work.
//
// Ciphertext format: the standard, padded base64 of
//
//	raw key:    0x01 || nonce (12 bytes) || AES-256-GCM ciphertext and tag (16 bytes)
//	passphrase: 0x02 || salt (16 bytes) || nonce (12 bytes) || AES-256-GCM ciphertext and tag
//
// The header before the nonce (the version byte, and the salt) is authenticated as additional
// data, so neither can be changed without decrypt noticing. The plaintext is the text's UTF-8 bytes.
package encryption

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"
	"golang.org/x/crypto/scrypt"

	"github.com/kubusdev/kubus/builtins"
)

const namespace = "Encryption"

// Module installs the Encryption namespace.
var Module = module{builtins.Namespace{Global: namespace, Fns: functions}}

// module is a namespace whose typings mark every member @deprecated.
type module struct{ builtins.Namespace }

// Typings declares the Encryption namespace, every member marked @deprecated so that editors
// strike it through.
func (module) Typings() string {
	var b strings.Builder
	b.WriteString("/**\n * AES-256-GCM encryption of text (module \"Encryption\"), kept for compatibility.\n" +
		" * @deprecated Kept for compatibility with existing rulesets; new rulesets should not store secrets they must decrypt.\n */\n")
	b.WriteString("declare namespace " + namespace + " {\n")
	for _, f := range functions {
		fmt.Fprintf(&b, "  /**\n   * %s\n   * @deprecated Kept for compatibility.\n   */\n  function %s%s;\n", f.Doc, f.Name, f.Signature)
	}
	b.WriteString("}\n")
	return b.String()
}

// Ciphertext versions (the first byte).
const (
	versionKey        = 1 // a raw 32-byte key
	versionPassphrase = 2 // a key derived from a passphrase with scrypt
)

const (
	keySize   = 32
	saltSize  = 16
	nonceSize = 12
	tagSize   = 16
)

// scrypt parameters of versionPassphrase. They are part of the format: changing them needs a new
// version. (A variable only so that the fuzz test can make derivation cheap.)
var scryptN = 1 << 15

const (
	scryptR = 8
	scryptP = 1
)

var functions = []builtins.Fn{
	{
		Name:      "encrypt",
		Signature: "(plaintext: string, key: string): string",
		Doc:       "Deprecated: encrypts plaintext with AES-256-GCM and returns base64 ciphertext (a fresh random nonce, and salt for a passphrase, each call); key is a base64 32-byte key (44 characters) or else a passphrase (key derived with scrypt N=32768, r=8, p=1, slow on purpose).",
		Example:   `Encryption.decrypt(Encryption.encrypt("secret", "my passphrase"), "my passphrase") // "secret"`,
		Impl:      encrypt,
	},
	{
		Name:      "decrypt",
		Signature: "(ciphertext: string, key: string): string",
		Doc:       "Deprecated: decrypts what Encryption.encrypt returned under the same key (base64 32-byte key or passphrase); a wrong key or a changed ciphertext throws an Error \"authentication failed\", malformed input a RangeError.",
		Example:   `Encryption.decrypt("AY/2qnl31/SYnvwkFOKMMZW4Tv+B8KR/Wke73oIXjDU2TRM=", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=") // "secret"`,
		Impl:      decrypt,
	},
}

// key is a key argument: a raw key, or a passphrase to derive one from.
type key struct {
	raw        []byte // 32 bytes, or nil for a passphrase
	passphrase string
}

// readKey reads the key argument (index 1).
func readKey(h *builtins.Host, call goja.FunctionCall, fn string) key {
	s := h.String(call, 1, fn, "key")
	if len(s) == base64.StdEncoding.EncodedLen(keySize) {
		if b, err := base64.StdEncoding.Strict().DecodeString(s); err == nil && len(b) == keySize {
			return key{raw: b}
		}
	}
	if s == "" {
		h.RangeError(fn, "key is empty: pass a base64 32-byte key or a passphrase")
	}
	return key{passphrase: s}
}

// derive is the AES key for a passphrase and salt.
func derive(h *builtins.Host, fn, passphrase string, salt []byte) []byte {
	k, err := scrypt.Key([]byte(passphrase), salt, scryptN, scryptR, scryptP, keySize)
	if err != nil { // only for invalid parameters, which are constants
		h.Error(fn, "key derivation failed: %v", err)
	}
	return k
}

func gcm(k []byte) cipher.AEAD {
	block, err := aes.NewCipher(k)
	if err != nil {
		panic(err) // k is always 32 bytes
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

func encrypt(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = namespace + ".encrypt"
	return func(call goja.FunctionCall) goja.Value {
		plaintext := h.String(call, 0, fn, "plaintext")
		k := readKey(h, call, fn)
		var header []byte
		aesKey := k.raw
		if aesKey != nil {
			header = []byte{versionKey}
		} else {
			header = make([]byte, 1+saltSize)
			header[0] = versionPassphrase
			_, _ = rand.Read(header[1:])
			aesKey = derive(h, fn, k.passphrase, header[1:])
		}
		out := make([]byte, len(header)+nonceSize, len(header)+nonceSize+len(plaintext)+tagSize)
		copy(out, header)
		nonce := out[len(header):]
		_, _ = rand.Read(nonce)
		out = gcm(aesKey).Seal(out, nonce, []byte(plaintext), header)
		return h.VM.ToValue(base64.StdEncoding.EncodeToString(out))
	}
}

func decrypt(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = namespace + ".decrypt"
	return func(call goja.FunctionCall) goja.Value {
		s := h.String(call, 0, fn, "ciphertext")
		k := readKey(h, call, fn)
		data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil {
			h.RangeError(fn, "ciphertext is not valid base64 (%v)", err)
		}
		if len(data) == 0 {
			h.RangeError(fn, "ciphertext is empty")
		}
		var headerLen int
		switch data[0] {
		case versionKey:
			headerLen = 1
		case versionPassphrase:
			headerLen = 1 + saltSize
		default:
			h.RangeError(fn, "ciphertext has unknown format version %d (not made by Encryption.encrypt)", data[0])
		}
		if len(data) < headerLen+nonceSize+tagSize {
			h.RangeError(fn, "ciphertext is too short (%d bytes) to be one made by Encryption.encrypt", len(data))
		}
		header, nonce, sealed := data[:headerLen], data[headerLen:headerLen+nonceSize], data[headerLen+nonceSize:]
		aesKey := k.raw
		switch {
		case data[0] == versionKey && k.raw == nil:
			h.Error(fn, "authentication failed: the ciphertext was encrypted with a 32-byte key, but key is a passphrase")
		case data[0] == versionPassphrase && k.raw != nil:
			h.Error(fn, "authentication failed: the ciphertext was encrypted with a passphrase, but key is a 32-byte base64 key")
		case data[0] == versionPassphrase:
			aesKey = derive(h, fn, k.passphrase, header[1:])
		}
		plaintext, err := gcm(aesKey).Open(nil, nonce, sealed, header)
		if err != nil {
			h.Error(fn, "authentication failed: wrong key, or the ciphertext was changed or damaged")
		}
		if !utf8.Valid(plaintext) {
			h.RangeError(fn, "the decrypted data is not UTF-8 text")
		}
		return h.VM.ToValue(string(plaintext))
	}
}
