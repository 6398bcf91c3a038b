package crypto

import (
	"testing"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins/builtinstest"
)

// FuzzCryptoArgs calls every Crypto function with arbitrary JS values (arguments past the second
// are a valid encoding or a valid Bytes value). Whatever the input, the call returns a value or
// throws a TypeError or RangeError naming the function: never a Go panic.
func FuzzCryptoArgs(f *testing.F) {
	f.Add(uint8(0), uint8(3), 0.0, "sha256", uint8(3), 0.0, "abc", uint8(3))
	f.Add(uint8(1), uint8(3), 0.0, "sha512", uint8(22), 0.0, "", uint8(4))
	f.Add(uint8(3), uint8(2), 16.0, "", uint8(3), 0.0, "base64", uint8(2))
	f.Add(uint8(5), uint8(3), 0.0, "Zm9v\nYg", uint8(0), 0.0, "", uint8(1))
	f.Add(uint8(5), uint8(3), 0.0, "/w==", uint8(0), 0.0, "", uint8(1))
	f.Add(uint8(6), uint8(22), 0.0, "", uint8(3), 0.0, "\v\v", uint8(2))
	for k := range 24 {
		f.Add(uint8(k), uint8(k), float64(k)-3.5, "md5", uint8(23-k), 0.25, "hex", uint8(k%5))
	}
	f.Fuzz(func(t *testing.T, fnIdx, k1 uint8, n1 float64, s1 string, k2 uint8, n2 float64, s2 string, argc uint8) {
		vm := newVM(t)
		name := functions[int(fnIdx)%len(functions)].Name
		args := []goja.Value{builtinstest.FuzzValue(t, vm, k1, n1, s1), builtinstest.FuzzValue(t, vm, k2, n2, s2), vm.ToValue("base64"), vm.ToValue("hex")}
		if fnIdx%2 == 0 {
			obj := vm.NewObject()
			_ = obj.Set("base64", s2)
			args[2] = obj
		}
		args = args[:argc%5]
		call := builtinstest.Func(t, vm, namespace+"."+name)
		res, err := call(goja.Undefined(), args...)
		builtinstest.CheckThrow(t, namespace+"."+name, res, err)
	})
}
