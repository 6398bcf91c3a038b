package engine

import (
	"fmt"
	"time"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/rulesets"
)

// vmState is one pooled runtime, set up for one ruleset version.
type vmState struct {
	c        *compiled // the program this runtime runs
	vm       *goja.Runtime
	host     *builtins.Host
	run      goja.Callable
	step     goja.Callable // a workflow step (steps.go)
	typeFail goja.Callable // the rule whose value failed its declared type; read after an error
	partial  goja.Callable // what was computed before System.halt
	conv     *converter
	start    time.Time // start of the running execution, for explain timings

	// Reused by each execution on this runtime (see Execute); resetting exec also drops its
	// diagnostics, so a returned Result never shares them.
	exec  builtins.Exec
	args  []goja.Value
	watch watch
	// failed: in a deep ruleset, the rule the last failure started from (deep.go)
	failed failedRule
	// stack is goja's value stack field and stackBuf the array handed back to it (vmstack.go)
	stack    *[]goja.Value
	stackBuf []goja.Value
}

// newState builds a runtime: builtins, guards, the ruleset's scope, then lockdown.
func (v *variant) newState() (st *vmState, err error) {
	r := v.r
	defer func() {
		// Setting up runs only trusted code (ours and the ruleset's constants), but a panic here
		// must still not take the host down.
		if p := recover(); p != nil {
			err = fmt.Errorf("setting up a runtime: %v", p)
		}
	}()
	e := r.eng
	vm := goja.New()
	vm.SetMaxCallStackSize(e.limits.MaxCallStackDepth)
	h := builtins.NewHost(vm)
	for _, m := range e.modules {
		if err := m.Install(h); err != nil {
			return nil, fmt.Errorf("installing module %s: %w", m.Name(), err)
		}
	}
	if err := installGuards(h, e.limits); err != nil {
		return nil, fmt.Errorf("installing guards: %w", err)
	}
	ld, err := vm.RunProgram(lockdownProgram())
	if err != nil {
		return nil, err
	}
	ldObj := ld.ToObject(vm)
	harden, _ := goja.AssertFunction(ldObj.Get("harden"))
	lockdown, _ := goja.AssertFunction(ldObj.Get("lockdown"))

	st = &vmState{vm: vm, host: h, c: v.c, stack: stackOf(vm), stackBuf: make([]goja.Value, 0, valueStackSize)}
	st.conv = &converter{vm: vm, host: h, loc: r.model.Location(), entities: v.c.entities, classes: map[string]*goja.Object{},
		maxNodes: r.eng.limits.MaxOutputNodes, maxBytes: r.eng.limits.MaxOutputBytes}

	k := vm.NewObject()
	consts := make([]any, len(v.c.constants))
	for i, c := range v.c.constants {
		v, err := st.conv.constant(c, e.ruleEnv)
		if err != nil {
			return nil, fmt.Errorf("constant %s: %w", c.Name, err)
		}
		consts[i] = v
	}
	tables := make([]any, len(v.c.tables))
	for i, t := range v.c.tables {
		tables[i] = st.conv.table(t)
	}
	defaults := vm.NewObject()
	for name, ent := range v.c.entities {
		vals := make([]any, len(ent.Properties))
		for i, p := range ent.Properties {
			if p.HasDefault {
				vals[i] = st.conv.jsonValue(p.Default)
			}
		}
		_ = defaults.Set(name, vm.NewArray(vals...))
	}
	_ = k.Set("constants", vm.NewArray(consts...))
	_ = k.Set("tables", vm.NewArray(tables...))
	_ = k.Set("defaults", defaults)
	_ = k.Set("harden", func(call goja.FunctionCall) goja.Value {
		if _, err := harden(goja.Undefined(), call.Argument(0)); err != nil {
			panic(err)
		}
		return goja.Undefined()
	})
	_ = k.Set("maxNodes", e.limits.MaxOutputNodes)
	_ = k.Set("failed", st.failed.note)
	_ = k.Set("hr", func(goja.FunctionCall) goja.Value {
		return vm.ToValue(float64(time.Since(st.start).Nanoseconds()) / 1e3)
	})
	st.installEntityHost(k, r.model.Name)
	// The host object too: rule code cannot name it, but nothing the glue holds stays writable.
	_, err = harden(goja.Undefined(), vm.NewArray(k))
	if err != nil {
		return nil, fmt.Errorf("hardening constants: %w", err)
	}

	factory, err := vm.RunProgram(v.c.program)
	if err != nil {
		return nil, fmt.Errorf("running the ruleset program: %w", err)
	}
	fn, ok := goja.AssertFunction(factory)
	if !ok {
		return nil, fmt.Errorf("the ruleset program did not produce a function")
	}
	res, err := fn(goja.Undefined(), k)
	if err != nil {
		return nil, fmt.Errorf("setting up the ruleset scope: %w", err)
	}
	obj := res.ToObject(vm)
	st.typeFail, _ = goja.AssertFunction(obj.Get("typeFail"))
	st.partial, _ = goja.AssertFunction(obj.Get("partial"))
	st.run, _ = goja.AssertFunction(obj.Get("run"))
	st.step, _ = goja.AssertFunction(obj.Get("step")) // nil unless the ruleset is a workflow
	classes := obj.Get("classes").ToObject(vm)
	st.conv.protos = map[string]*goja.Object{}
	for name := range v.c.entities {
		cls := classes.Get(name).ToObject(vm)
		st.conv.classes[name] = cls
		st.conv.protos[name] = cls.Get("prototype").ToObject(vm)
	}
	if _, err := lockdown(goja.Undefined()); err != nil {
		return nil, fmt.Errorf("locking down the runtime: %w", err)
	}
	return st, nil
}

// table makes the JS object of a constant table: one property per row (an object of its columns),
// plus non-enumerable helpers lookup(value) → key, lookupRow(value) → row, rows and keys.
func (c *converter) table(t *rulesets.Table) goja.Value {
	vm := c.vm
	obj := vm.NewObject()
	rows := make([]any, len(t.Rows))
	keys := make([]any, len(t.Rows))
	rowObjs := make([]*goja.Object, len(t.Rows))
	for i, row := range t.Rows {
		ro := vm.NewObject()
		_ = ro.DefineDataProperty("key", vm.ToValue(row.Key), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
		for j, col := range t.Columns {
			_ = ro.Set(col, c.jsonValue(row.Values[j]))
		}
		_ = obj.Set(row.Key, ro)
		rows[i], keys[i], rowObjs[i] = ro, row.Key, ro
	}
	from, to := t.Column("from"), t.Column("to")
	find := func(fn string, call goja.FunctionCall) int {
		if from < 0 || to < 0 {
			c.host.TypeError(t.Name+"."+fn, "table %s has no `from` and `to` columns to look a value up in", t.Name)
		}
		arg := call.Argument(0)
		if goja.IsUndefined(arg) || goja.IsNull(arg) {
			return -1
		}
		v := arg.ToFloat()
		if v != v {
			c.host.TypeError(t.Name+"."+fn, "value must be a number, got %s", arg.String())
		}
		for i, row := range t.Rows {
			lo, hasLo := row.Values[from].(float64)
			hi, hasHi := row.Values[to].(float64)
			if (!hasLo || v >= lo) && (!hasHi || v <= hi) {
				return i
			}
		}
		return -1
	}
	lookup := c.host.Func(t.Name+".lookup", func(call goja.FunctionCall) goja.Value {
		if i := find("lookup", call); i >= 0 {
			return vm.ToValue(t.Rows[i].Key)
		}
		return goja.Null()
	})
	lookupRow := c.host.Func(t.Name+".lookupRow", func(call goja.FunctionCall) goja.Value {
		if i := find("lookupRow", call); i >= 0 {
			return rowObjs[i]
		}
		return goja.Null()
	})
	_ = obj.DefineDataProperty("lookup", lookup, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	_ = obj.DefineDataProperty("lookupRow", lookupRow, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	_ = obj.DefineDataProperty("rows", vm.NewArray(rows...), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	_ = obj.DefineDataProperty("keys", vm.NewArray(keys...), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	return obj
}

// constant converts a constant's value, resolving `env:` constants through getenv.
func (c *converter) constant(k *rulesets.Constant, getenv func(string) (string, bool)) (goja.Value, error) {
	if k.Env == "" {
		return c.jsonValue(k.Value), nil
	}
	if v, ok := getenv(k.Env); ok {
		return c.vm.ToValue(v), nil
	}
	if k.HasDefault {
		return c.jsonValue(k.Default), nil
	}
	return goja.Null(), nil
}
