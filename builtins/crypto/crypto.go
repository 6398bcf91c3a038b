// Package crypto is the "Crypto" module: hashes, HMACs, random UUIDs and bytes, base64 and a
// constant-time comparison. See /shared/design/builtins.md for the contract.
//
// Strings and bytes: a JS string argument stands for its UTF-8 encoding (a lone surrogate, which
// UTF-8 cannot encode, becomes U+FFFD, as with TextEncoder). Where binary data is needed (an RFC
// test key, a key from a key vault), a Bytes argument may instead be an object {hex: "0b0b…"} or
// {base64: "…"} holding exactly one of the two. Binary results are returned as strings in an
// encoding: "hex" (lowercase, the default) or "base64" (standard alphabet, padded).
package crypto

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

const namespace = "Crypto"

// Module installs the Crypto namespace; its typings declare the CryptoBytes type the signatures use.
var Module = builtins.Namespace{
	Global: namespace,
	Doc:    "Hashes, HMACs, random values and base64 (module \"Crypto\"). Strings are hashed as UTF-8; pass binary data as {hex} or {base64}.",
	Preamble: "/** A string (its UTF-8 bytes) or binary data given as {hex: \"…\"} or {base64: \"…\"}. */\n" +
		"type CryptoBytes = string | { hex: string } | { base64: string };\n",
	Fns: functions,
}

// MaxRandomBytes bounds Crypto.randomBytes.
const MaxRandomBytes = 1 << 20

const (
	algs      = `"sha256" | "sha384" | "sha512" | "sha1" | "md5"`
	encodings = `"hex" | "base64"`
)

var functions = []builtins.Fn{
	{
		Name:      "hash",
		Signature: "(alg: " + algs + ", data: CryptoBytes, encoding?: " + encodings + "): string",
		Doc:       `Digest of data (a string is hashed as UTF-8; binary data as {hex} or {base64}) with alg (sha256, sha384, sha512, sha1 or md5; sha1 and md5 only for compatibility), in encoding "hex" (default) or "base64".`,
		Example:   `Crypto.hash("sha256", "abc") // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"`,
		Impl:      hashFn,
	},
	{
		Name:      "hmac",
		Signature: "(alg: " + algs + ", key: CryptoBytes, data: CryptoBytes, encoding?: " + encodings + "): string",
		Doc:       `HMAC of data under key with hash alg, in encoding "hex" (default) or "base64"; key and data strings are UTF-8, binary keys are given as {hex: "…"} or {base64: "…"}.`,
		Example:   `Crypto.hmac("sha256", "Jefe", "what do ya want for nothing?") // "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"`,
		Impl:      hmacFn,
	},
	{
		Name:      "randomUUID",
		Signature: "(): string",
		Doc:       "A random version 4 UUID from a cryptographically secure source, lowercase (36 characters).",
		Example:   `Crypto.randomUUID() // e.g. "3b241101-e2bb-4255-8caf-4136c566a962"`,
		Impl:      randomUUID,
	},
	{
		Name:      "randomBytes",
		Signature: "(n: number, encoding?: " + encodings + "): string",
		Doc:       `n (0 to 1048576) cryptographically secure random bytes, in encoding "hex" (default, 2n characters) or "base64".`,
		Example:   `Crypto.randomBytes(4) // e.g. "9f86d081"`,
		Impl:      randomBytes,
	},
	{
		Name:      "base64Encode",
		Signature: "(text: string): string",
		Doc:       "The standard, padded base64 of text's UTF-8 bytes.",
		Example:   `Crypto.base64Encode("héllo") // "aMOpbGxv"`,
		Impl:      base64Encode,
	},
	{
		Name:      "base64Decode",
		Signature: "(b64: string): string",
		Doc:       "The UTF-8 text whose standard base64 is b64 (padding optional, line breaks ignored); a RangeError for invalid base64 or bytes that are not UTF-8 text.",
		Example:   `Crypto.base64Decode("aMOpbGxv") // "héllo"`,
		Impl:      base64Decode,
	},
	{
		Name:      "timingSafeEqual",
		Signature: "(a: CryptoBytes, b: CryptoBytes): boolean",
		Doc:       "Whether a and b hold the same bytes, compared in time independent of where they differ (for MACs and tokens); false for different lengths (the length is not secret).",
		Example:   `Crypto.timingSafeEqual("token", "token") // true`,
		Impl:      timingSafeEqual,
	},
}

// hasher reads a hash algorithm name (case-insensitive).
func hasher(h *builtins.Host, call goja.FunctionCall, i int, fn string) func() hash.Hash {
	name := h.String(call, i, fn, "alg")
	switch strings.ToLower(name) {
	case "sha256":
		return sha256.New
	case "sha384":
		return sha512.New384
	case "sha512":
		return sha512.New
	case "sha1":
		return sha1.New
	case "md5":
		return md5.New
	}
	h.RangeError(fn, "alg must be sha256, sha384, sha512, sha1 or md5, got %s", builtins.Describe(call.Argument(i)))
	return nil
}

// encoder reads an optional output encoding, "hex" by default.
func encoder(h *builtins.Host, call goja.FunctionCall, i int, fn string) func([]byte) string {
	switch enc := h.OptString(call, i, fn, "encoding", "hex"); enc {
	case "hex":
		return hex.EncodeToString
	case "base64":
		return base64.StdEncoding.EncodeToString
	}
	h.RangeError(fn, `encoding must be "hex" or "base64", got %s`, builtins.Describe(call.Argument(i)))
	return nil
}

// Bytes reads a Bytes argument: a string (its UTF-8 bytes) or an object {hex: "…"} or
// {base64: "…"} with exactly one of the two properties.
func Bytes(h *builtins.Host, call goja.FunctionCall, i int, fn, arg string) []byte {
	v := call.Argument(i)
	if s, ok := builtins.StringOf(v); ok {
		return []byte(s)
	}
	const want = `a string, {hex: string} or {base64: string}`
	o, ok := v.(*goja.Object)
	if !ok || o.ClassName() != "Object" {
		if i >= len(call.Arguments) {
			h.TypeError(fn, "%s is required (%s)", arg, want)
		}
		h.TypeError(fn, "%s must be %s, got %s", arg, want, builtins.Describe(v))
	}
	hx, b64 := o.Get("hex"), o.Get("base64")
	switch {
	case !builtins.IsMissing(hx) && !builtins.IsMissing(b64):
		h.TypeError(fn, "%s must have either hex or base64, not both", arg)
	case !builtins.IsMissing(hx):
		s, ok := builtins.StringOf(hx)
		if !ok {
			h.TypeError(fn, "%s.hex must be a string, got %s", arg, builtins.Describe(hx))
		}
		b, err := hex.DecodeString(s)
		if err != nil {
			h.RangeError(fn, "%s.hex is not valid hex (%v)", arg, err)
		}
		return b
	case !builtins.IsMissing(b64):
		s, ok := builtins.StringOf(b64)
		if !ok {
			h.TypeError(fn, "%s.base64 must be a string, got %s", arg, builtins.Describe(b64))
		}
		b, err := DecodeBase64(s)
		if err != nil {
			h.RangeError(fn, "%s.base64 is not valid base64 (%v)", arg, err)
		}
		return b
	}
	h.TypeError(fn, "%s must be %s, got an object with neither", arg, want)
	return nil
}

// DecodeBase64 decodes standard base64 (RFC 4648 §4), padded or not; line breaks are ignored.
func DecodeBase64(s string) ([]byte, error) {
	s = strings.NewReplacer("\r", "", "\n", "").Replace(s)
	if strings.HasSuffix(s, "=") || len(s)%4 == 0 {
		return base64.StdEncoding.Strict().DecodeString(s)
	}
	return base64.RawStdEncoding.Strict().DecodeString(s)
}

func hashFn(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = namespace + ".hash"
	return func(call goja.FunctionCall) goja.Value {
		newHash := hasher(h, call, 0, fn)
		data := Bytes(h, call, 1, fn, "data")
		enc := encoder(h, call, 2, fn)
		d := newHash()
		d.Write(data)
		return h.VM.ToValue(enc(d.Sum(nil)))
	}
}

func hmacFn(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = namespace + ".hmac"
	return func(call goja.FunctionCall) goja.Value {
		newHash := hasher(h, call, 0, fn)
		key := Bytes(h, call, 1, fn, "key")
		data := Bytes(h, call, 2, fn, "data")
		enc := encoder(h, call, 3, fn)
		m := hmac.New(newHash, key)
		m.Write(data)
		return h.VM.ToValue(enc(m.Sum(nil)))
	}
}

func randomUUID(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	return func(goja.FunctionCall) goja.Value {
		var u [16]byte
		_, _ = rand.Read(u[:])  // never fails (crypto/rand crashes the program rather than return an error)
		u[6] = u[6]&0x0f | 0x40 // version 4
		u[8] = u[8]&0x3f | 0x80 // variant 10 (RFC 9562)
		return h.VM.ToValue(fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16]))
	}
}

func randomBytes(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = namespace + ".randomBytes"
	return func(call goja.FunctionCall) goja.Value {
		n := h.IntIn(call, 0, fn, "n", 0, MaxRandomBytes)
		enc := encoder(h, call, 1, fn)
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return h.VM.ToValue(enc(b))
	}
}

func base64Encode(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = namespace + ".base64Encode"
	return func(call goja.FunctionCall) goja.Value {
		return h.VM.ToValue(base64.StdEncoding.EncodeToString([]byte(h.String(call, 0, fn, "text"))))
	}
}

func base64Decode(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = namespace + ".base64Decode"
	return func(call goja.FunctionCall) goja.Value {
		b, err := DecodeBase64(h.String(call, 0, fn, "b64"))
		if err != nil {
			h.RangeError(fn, "b64 is not valid base64 (%v)", err)
		}
		if !utf8.Valid(b) {
			h.RangeError(fn, "the decoded bytes are not UTF-8 text (for binary data use {base64: …} where a Bytes argument is accepted)")
		}
		return h.VM.ToValue(string(b))
	}
}

func timingSafeEqual(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = namespace + ".timingSafeEqual"
	return func(call goja.FunctionCall) goja.Value {
		a := Bytes(h, call, 0, fn, "a")
		b := Bytes(h, call, 1, fn, "b")
		return h.VM.ToValue(subtle.ConstantTimeCompare(a, b) == 1)
	}
}
