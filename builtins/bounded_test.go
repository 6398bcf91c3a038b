package builtins_test

import (
	"testing"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

func TestBoundedString(t *testing.T) {
	vm := goja.New()
	for _, c := range []struct {
		expr        string
		max         int
		want        string
		ok, tooLong bool
	}{
		{`"abc"`, 3, "abc", true, false},
		{`"abcd"`, 3, "", true, true},           // refused on its length
		{`"€€"`, 4, "", true, true},             // 2 units, 6 bytes: refused after the copy
		{`"x".repeat(1e7)`, 10, "", true, true}, // never copied out
		{`42`, 10, "", false, false},
	} {
		v, err := vm.RunString(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		s, ok, tooLong := builtins.BoundedString(v, c.max)
		if ok != c.ok || tooLong != c.tooLong || (!tooLong && s != c.want) {
			t.Errorf("%s: %q %v %v", c.expr, s, ok, tooLong)
		}
	}
}
