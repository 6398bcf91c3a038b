package compression

import (
	"encoding/base64"
	"testing"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins/builtinstest"
)

// FuzzCompressionArgs calls every Compression function with arbitrary JS values, and the
// decompressors with arbitrary bytes (bare, or behind a gzip or zlib header). Whatever the input,
// the call returns a value or throws a TypeError or RangeError naming the function: never a Go
// panic.
func FuzzCompressionArgs(f *testing.F) {
	f.Add(uint8(0), uint8(3), 0.0, "hello", uint8(0), 0.0, "", uint8(1))
	f.Add(uint8(1), uint8(24), 0.0, "\xcb\x48\xcd\xc9\xc9\x07\x00\x86\xa6\x10\x36\x05\x00\x00\x00", uint8(0), 0.0, "", uint8(1))
	f.Add(uint8(3), uint8(25), 0.0, "\xcb\x48\xcd\xc9\xc9\x07\x00\x06\x2c\x02\x15", uint8(0), 0.0, "", uint8(1))
	f.Add(uint8(3), uint8(26), 0.0, "\x78\x9c\xcb\x48", uint8(0), 0.0, "", uint8(1))
	for k := range 27 {
		f.Add(uint8(k), uint8(k), float64(k)-3.5, "H4sI", uint8(26-k), 0.25, "eJ", uint8(k%3))
	}
	f.Fuzz(func(t *testing.T, fnIdx, k1 uint8, n1 float64, s1 string, k2 uint8, n2 float64, s2 string, argc uint8) {
		vm := newVM(t)
		name := functions[int(fnIdx)%len(functions)].Name
		arg := func(k uint8, n float64, s string) goja.Value {
			switch k % 27 {
			case 24: // s behind a gzip header (no flags, mtime 0)
				return vm.ToValue(base64.StdEncoding.EncodeToString(append([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"), s...)))
			case 25: // s behind a zlib header
				return vm.ToValue(base64.StdEncoding.EncodeToString(append([]byte("\x78\x9c"), s...)))
			case 26: // s as bytes
				return vm.ToValue(base64.StdEncoding.EncodeToString([]byte(s)))
			}
			return builtinstest.FuzzValue(t, vm, k, n, s)
		}
		args := []goja.Value{arg(k1, n1, s1), arg(k2, n2, s2)}[:argc%3]
		call := builtinstest.Func(t, vm, namespace+"."+name)
		res, err := call(goja.Undefined(), args...)
		builtinstest.CheckThrow(t, namespace+"."+name, res, err)
	})
}
