package engine

import (
	"fmt"
	"testing"
	"github.com/dop251/goja"
)

func TestListIntrinsics(t *testing.T) {
	vm := goja.New()
	v, err := vm.RunString(intrinsicWalkerSource)
	if err != nil { t.Fatal(err) }
	for _, p := range v.Export().([]any) { fmt.Println(p) }
}
