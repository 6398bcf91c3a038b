package engine

import (
	"reflect"
	"unsafe"

	"github.com/dop251/goja"
)

// goja drops its value stack (vm.stack = nil, in Runtime.leave) whenever a call from Go returns,
// so every execution grew a new one from nothing: two or three allocations and copies, a fifth of
// a small execution and half of its bytes (the garbage collector's share on top). goja has no
// option for it, so each pooled runtime hands goja the same backing array again before its one
// Go→JS call: goja appends within its capacity and only allocates when an execution needs more.
//
// The field is found by name once per runtime, with reflect, and checked to be a []goja.Value; if
// a goja upgrade renames or retypes it, stackOf returns nil and executions run as before
// (TestValueStackReused fails, so the upgrade notices).
//
// The array keeps the previous execution's values past the stack pointer until they are
// overwritten, as goja's own stack does within a call; rule code cannot read them, and the rule
// memos keep the same values alive anyway until the next execution.

// valueStackSize is the capacity handed to goja, in values (16 bytes each): a ruleset like
// travel-insurance needs about 60, a 10,000-rule chain needs far more and grows its own.
const valueStackSize = 256

// stackOf is the address of vm's value stack, nil if goja's layout is not the expected one.
func stackOf(vm *goja.Runtime) *[]goja.Value {
	rt := reflect.ValueOf(vm).Elem()
	inner := rt.FieldByName("vm")
	if !inner.IsValid() || inner.Kind() != reflect.Pointer || inner.IsNil() || inner.Type().Elem().Kind() != reflect.Struct {
		return nil
	}
	stack := reflect.NewAt(inner.Type().Elem(), inner.UnsafePointer()).Elem().FieldByName("stack")
	if !stack.IsValid() || stack.Kind() != reflect.Slice || stack.Type().Elem() != reflect.TypeFor[goja.Value]() {
		return nil
	}
	return (*[]goja.Value)(unsafe.Pointer(stack.UnsafeAddr()))
}

// reuseStack gives goja st's stack array back if goja dropped it (it does after every call from Go).
func (st *vmState) reuseStack() {
	if st.stack != nil && *st.stack == nil {
		*st.stack = st.stackBuf[:0]
	}
}
