package crypto

import (
	"regexp"
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
	if !strings.Contains(Module.Typings(), "type CryptoBytes = string | { hex: string } | { base64: string };") {
		t.Error("typings lack CryptoBytes")
	}
}

// Digests of "abc": SHA-256, SHA-384 and SHA-512 from the FIPS 180-2 examples (NIST, "Secure Hash
// Standard", Appendices B.1, D.1, C.1), SHA-1 from RFC 3174 §7.3 (TEST1), MD5 from RFC 1321 §A.5.
func TestHash(t *testing.T) {
	vm := newVM(t)
	runCases(t, vm, []jsCase{
		{`Crypto.hash("sha256", "abc")`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{`Crypto.hash("sha384", "abc")`, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
		{`Crypto.hash("sha512", "abc")`, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
		{`Crypto.hash("sha1", "abc")`, "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{`Crypto.hash("md5", "abc")`, "900150983cd24fb0d6963f7d28e17f72"},
		{`Crypto.hash("md5", "")`, "d41d8cd98f00b204e9800998ecf8427e"}, // RFC 1321 §A.5
		{`Crypto.hash("SHA256", "abc")`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{`Crypto.hash("sha256", "abc", "hex")`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{`Crypto.hash("sha256", "abc", undefined)`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{`Crypto.hash("sha256", "abc", "base64")`, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="},
		{`Crypto.hash("sha256", {hex: "616263"})`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{`Crypto.hash("sha256", {hex: "616263"})`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{`Crypto.hash("sha256", {base64: "YWJj"})`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		// strings are UTF-8: "é" is c3 a9; a lone surrogate is U+FFFD (ef bf bd), like TextEncoder
		{`Crypto.hash("sha256", "é") === Crypto.hash("sha256", {hex: "c3a9"})`, true},
		{`Crypto.hash("sha256", "\uD800") === Crypto.hash("sha256", {hex: "efbfbd"})`, true},
		{`Crypto.hash("sha256", "😀") === Crypto.hash("sha256", {hex: "f09f9880"})`, true},
	})
}

// HMAC vectors: RFC 4231 ("Identifier and Test Vectors for HMAC-SHA-224, HMAC-SHA-256,
// HMAC-SHA-384, and HMAC-SHA-512"), test cases 1–4, 6 and 7 (case 5 tests truncated output).
// Binary keys and data are passed as {hex}.
func TestHMACRFC4231(t *testing.T) {
	vm := newVM(t)
	aa131 := `{hex: "` + strings.Repeat("aa", 131) + `"}`
	cases := []struct {
		key, data              string
		sha256, sha384, sha512 string
	}{
		{ // 1
			`{hex: "` + strings.Repeat("0b", 20) + `"}`, `"Hi There"`,
			"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
			"afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
			"87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
		},
		{ // 2: a text key
			`"Jefe"`, `"what do ya want for nothing?"`,
			"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
			"af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
			"164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
		},
		{ // 3
			`{hex: "` + strings.Repeat("aa", 20) + `"}`, `{hex: "` + strings.Repeat("dd", 50) + `"}`,
			"773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
			"88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27",
			"fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
		},
		{ // 4
			`{hex: "0102030405060708090a0b0c0d0e0f10111213141516171819"}`, `{hex: "` + strings.Repeat("cd", 50) + `"}`,
			"82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
			"3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb",
			"b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
		},
		{ // 6: a key longer than the block size
			aa131, `"Test Using Larger Than Block-Size Key - Hash Key First"`,
			"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
			"4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
			"80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
		},
		{ // 7: key and data longer than the block size
			aa131, `"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."`,
			"9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
			"6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110c46523e",
			"e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
		},
	}
	var js []jsCase
	for _, c := range cases {
		js = append(js,
			jsCase{`Crypto.hmac("sha256", ` + c.key + `, ` + c.data + `)`, c.sha256},
			jsCase{`Crypto.hmac("sha384", ` + c.key + `, ` + c.data + `)`, c.sha384},
			jsCase{`Crypto.hmac("sha512", ` + c.key + `, ` + c.data + `, "hex")`, c.sha512},
		)
	}
	// the same key as base64, and base64 output
	js = append(js,
		jsCase{`Crypto.hmac("sha256", {base64: "CwsLCwsLCwsLCwsLCwsLCwsLCws="}, "Hi There")`, cases[0].sha256},
		jsCase{`Crypto.hmac("sha256", {base64: "CwsLCwsLCwsLCwsLCwsLCwsLCws"}, "Hi There")`, cases[0].sha256}, // unpadded
		jsCase{`Crypto.hmac("sha256", "Jefe", "what do ya want for nothing?", "base64")`, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="},
		jsCase{`Crypto.hmac("sha256", {hex: "4a656665"}, "what do ya want for nothing?")`, cases[1].sha256},
		// RFC 2202 test case 2 for HMAC-MD5 and HMAC-SHA-1
		jsCase{`Crypto.hmac("md5", "Jefe", "what do ya want for nothing?")`, "750c783e6ab0b503eaa86e310a5db738"},
		jsCase{`Crypto.hmac("sha1", "Jefe", "what do ya want for nothing?")`, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
	)
	runCases(t, vm, js)
}

func TestRandom(t *testing.T) {
	vm := newVM(t)
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[any]bool{}
	for range 100 {
		u := builtinstest.Eval(t, vm, "Crypto.randomUUID()")
		s, _ := u.(string)
		if !uuid.MatchString(s) {
			t.Fatalf("randomUUID() = %v", u)
		}
		if seen[u] {
			t.Fatalf("randomUUID() repeated %v", u)
		}
		seen[u] = true
	}
	runCases(t, vm, []jsCase{
		{"Crypto.randomBytes(0)", ""},
		{"Crypto.randomBytes(16).length", 32},
		{"/^[0-9a-f]{32}$/.test(Crypto.randomBytes(16))", true},
		{"Crypto.randomBytes(16, 'base64').length", 24},
		{"Crypto.randomBytes(1048576).length", 2097152},
		{"Crypto.randomBytes(32) !== Crypto.randomBytes(32)", true},
	})
}

func TestBase64(t *testing.T) {
	vm := newVM(t)
	runCases(t, vm, []jsCase{
		// RFC 4648 §10 test vectors
		{`Crypto.base64Encode("")`, ""},
		{`Crypto.base64Encode("f")`, "Zg=="},
		{`Crypto.base64Encode("fo")`, "Zm8="},
		{`Crypto.base64Encode("foo")`, "Zm9v"},
		{`Crypto.base64Encode("foob")`, "Zm9vYg=="},
		{`Crypto.base64Encode("fooba")`, "Zm9vYmE="},
		{`Crypto.base64Encode("foobar")`, "Zm9vYmFy"},
		{`Crypto.base64Decode("Zm9vYmFy")`, "foobar"},
		{`Crypto.base64Decode("Zm9vYg==")`, "foob"},
		{`Crypto.base64Decode("Zm9vYg")`, "foob"},
		{`Crypto.base64Decode("Zm9v\r\nYmFy")`, "foobar"},
		{`Crypto.base64Decode("")`, ""},
		{`Crypto.base64Encode("héllo 😀")`, "aMOpbGxvIPCfmIA="},
		{`Crypto.base64Decode(Crypto.base64Encode("héllo 😀"))`, "héllo 😀"},
	})
}

func TestTimingSafeEqual(t *testing.T) {
	vm := newVM(t)
	runCases(t, vm, []jsCase{
		{`Crypto.timingSafeEqual("abc", "abc")`, true},
		{`Crypto.timingSafeEqual("abc", "abd")`, false},
		{`Crypto.timingSafeEqual("abc", "abcd")`, false},
		{`Crypto.timingSafeEqual("", "")`, true},
		{`Crypto.timingSafeEqual("abc", {hex: "616263"})`, true},
		{`Crypto.timingSafeEqual({base64: "YWJj"}, {hex: "616263"})`, true},
		{`Crypto.timingSafeEqual(Crypto.hmac("sha256", "k", "m"), Crypto.hmac("sha256", "k", "m"))`, true},
	})
}

func TestWrongArguments(t *testing.T) {
	vm := newVM(t)
	runCases(t, vm, []jsCase{
		{`Crypto.hash()`, "TypeError: Crypto.hash: alg is required (a string)"},
		{`Crypto.hash("sha3", "x")`, `RangeError: Crypto.hash: alg must be sha256, sha384, sha512, sha1 or md5, got "sha3"`},
		{`Crypto.hash("sha256")`, "TypeError: Crypto.hash: data is required (a string, {hex: string} or {base64: string})"},
		{`Crypto.hash("sha256", 42)`, "TypeError: Crypto.hash: data must be a string, {hex: string} or {base64: string}, got 42"},
		{`Crypto.hash("sha256", null)`, "TypeError: Crypto.hash: data must be a string, {hex: string} or {base64: string}, got null"},
		{`Crypto.hash("sha256", ["a"])`, "TypeError: Crypto.hash: data must be a string, {hex: string} or {base64: string}, got an array"},
		{`Crypto.hash("sha256", {})`, "TypeError: Crypto.hash: data must be a string, {hex: string} or {base64: string}, got an object with neither"},
		{`Crypto.hash("sha256", {hex: "ab", base64: "YQ=="})`, "TypeError: Crypto.hash: data must have either hex or base64, not both"},
		{`Crypto.hash("sha256", {hex: 12})`, "TypeError: Crypto.hash: data.hex must be a string, got 12"},
		{`Crypto.hash("sha256", {hex: "abc"})`, "RangeError: Crypto.hash: data.hex is not valid hex (encoding/hex: odd length hex string)"},
		{`Crypto.hash("sha256", {hex: "zz"})`, "RangeError: Crypto.hash: data.hex is not valid hex (encoding/hex: invalid byte: U+007A 'z')"},
		{`Crypto.hash("sha256", {base64: "!!!!"})`, "RangeError: Crypto.hash: data.base64 is not valid base64 (illegal base64 data at input byte 0)"},
		{`Crypto.hash("sha256", {base64: null})`, "TypeError: Crypto.hash: data.base64 must be a string, got null"},
		{`Crypto.hash("sha256", "x", "utf8")`, `RangeError: Crypto.hash: encoding must be "hex" or "base64", got "utf8"`},
		{`Crypto.hash("sha256", "x", 1)`, "TypeError: Crypto.hash: encoding must be a string, got 1"},
		{`Crypto.hmac("sha256")`, "TypeError: Crypto.hmac: key is required (a string, {hex: string} or {base64: string})"},
		{`Crypto.hmac("sha256", "k")`, "TypeError: Crypto.hmac: data is required (a string, {hex: string} or {base64: string})"},
		{`Crypto.hmac("md4", "k", "d")`, `RangeError: Crypto.hmac: alg must be sha256, sha384, sha512, sha1 or md5, got "md4"`},
		{`Crypto.hmac("sha256", "k", "d", "binary")`, `RangeError: Crypto.hmac: encoding must be "hex" or "base64", got "binary"`},
		{`Crypto.randomBytes()`, "TypeError: Crypto.randomBytes: n is required (an integer)"},
		{`Crypto.randomBytes("8")`, `TypeError: Crypto.randomBytes: n must be an integer, got "8"`},
		{`Crypto.randomBytes(-1)`, "RangeError: Crypto.randomBytes: n must be an integer between 0 and 1048576, got -1"},
		{`Crypto.randomBytes(1048577)`, "RangeError: Crypto.randomBytes: n must be an integer between 0 and 1048576, got 1048577"},
		{`Crypto.randomBytes(1.5)`, "RangeError: Crypto.randomBytes: n must be an integer between 0 and 1048576, got 1.5"},
		{`Crypto.randomBytes(4, "latin1")`, `RangeError: Crypto.randomBytes: encoding must be "hex" or "base64", got "latin1"`},
		{`Crypto.base64Encode()`, "TypeError: Crypto.base64Encode: text is required (a string)"},
		{`Crypto.base64Encode({hex: "00"})`, "TypeError: Crypto.base64Encode: text must be a string, got an object"},
		{`Crypto.base64Decode(5)`, "TypeError: Crypto.base64Decode: b64 must be a string, got 5"},
		{`Crypto.base64Decode("Zm9v!")`, "RangeError: Crypto.base64Decode: b64 is not valid base64 (illegal base64 data at input byte 4)"},
		{`Crypto.base64Decode("Zg=")`, "RangeError: Crypto.base64Decode: b64 is not valid base64 (illegal base64 data at input byte 3)"},
		{`Crypto.base64Decode("Zh==")`, "RangeError: Crypto.base64Decode: b64 is not valid base64 (illegal base64 data at input byte 2)"},
		{`Crypto.base64Decode("/w==")`, "RangeError: Crypto.base64Decode: the decoded bytes are not UTF-8 text (for binary data use {base64: …} where a Bytes argument is accepted)"},
		{`Crypto.timingSafeEqual("a")`, "TypeError: Crypto.timingSafeEqual: b is required (a string, {hex: string} or {base64: string})"},
		{`Crypto.timingSafeEqual(1, "a")`, "TypeError: Crypto.timingSafeEqual: a must be a string, {hex: string} or {base64: string}, got 1"},
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
