package statistics

import (
	"testing"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/builtinstest"
)

// FuzzStatisticsArgs calls every Statistics function with arbitrary JS values. Whatever the input,
// the call returns a value or throws a TypeError or RangeError naming the function: never a Go
// panic.
func FuzzStatisticsArgs(f *testing.F) {
	f.Add(uint8(0), uint8(9), 1.5, "abc", uint8(2), 0.5, "", uint8(2))
	f.Add(uint8(13), uint8(9), 3.0, "xyz", uint8(19), 0.0, "2021,2022,2023,2024", uint8(2))
	f.Add(uint8(14), uint8(9), -2.0, "xy", uint8(19), 0.0, "2021-01,2021-12,2024", uint8(2))
	f.Add(uint8(15), uint8(20), 1.0, "", uint8(20), -1.0, "", uint8(2))
	f.Add(uint8(11), uint8(9), 1e308, "aaaa", uint8(2), 4.0, "", uint8(2))
	f.Add(uint8(3), uint8(17), 4e9, "", uint8(2), 0.0, "", uint8(1))
	f.Add(uint8(16), uint8(2), 1e308, "", uint8(2), 1e308, "", uint8(2))
	for k := range 24 {
		f.Add(uint8(k), uint8(k), float64(k)-3.5, "x,1", uint8(23-k), 0.25, "2024-05", uint8(k%3))
	}
	f.Fuzz(func(t *testing.T, fnIdx, k1 uint8, n1 float64, s1 string, k2 uint8, n2 float64, s2 string, argc uint8) {
		vm, _ := newVM(t, &builtins.Exec{Now: clock})
		fn := namespace + "." + functions[int(fnIdx)%len(functions)].Name
		args := []goja.Value{builtinstest.FuzzValue(t, vm, k1, n1, s1), builtinstest.FuzzValue(t, vm, k2, n2, s2)}[:argc%3]
		call := builtinstest.Func(t, vm, fn)
		res, err := call(goja.Undefined(), args...)
		builtinstest.CheckThrow(t, fn, res, err)
	})
}
