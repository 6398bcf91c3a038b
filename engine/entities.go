package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/kubusdev/kubus/store"
)

// Persisted entities: the generated classes call these host functions, which work in the running
// execution's store Tx (builtins.Exec.Tx), so that an execution's saves are visible to its own
// reads and committed only when it succeeds.

// bookkeeping properties every saved instance carries.
const (
	propID        = "_id"
	propCreatedAt = "_createdAt"
	propUpdatedAt = "_updatedAt"
)

// installEntityHost defines the entity host functions on the program's host object k.
func (st *vmState) installEntityHost(k *goja.Object, rulesetName string) {
	c := st.conv
	kind := func(entity string) store.Kind { return store.Kind{Ruleset: rulesetName, Entity: entity} }
	tx := func(fn string) store.Tx {
		e := st.host.MustExec(fn)
		if e.Tx == nil {
			panic(st.vm.NewGoError(fmt.Errorf("%s: no store is configured (engine.WithStore, or --store with the kubus command)", fn)))
		}
		return e.Tx
	}
	entityArg := func(call goja.FunctionCall) *rulesets.Entity {
		return c.entities[call.Argument(0).String()]
	}
	storeErr := func(fn string, err error) {
		panic(st.vm.NewGoError(fmt.Errorf("%s: %w", fn, err)))
	}

	// check(entity, instance) validates the declared properties; the constructor calls it.
	_ = k.Set("check", st.host.Func("entity.check", func(call goja.FunctionCall) goja.Value {
		ent := entityArg(call)
		if _, problems := c.entityProps(ent, call.Argument(1).ToObject(st.vm)); len(problems) > 0 {
			st.host.TypeError("new "+ent.Name, "%s", strings.Join(problems, "; "))
		}
		return goja.Undefined()
	}))

	_ = k.Set("save", st.host.Func("entity.save", func(call goja.FunctionCall) goja.Value {
		ent := entityArg(call)
		fn := ent.Name + ".prototype.save"
		obj := call.Argument(1).ToObject(st.vm)
		props, problems := c.entityProps(ent, obj)
		if len(problems) > 0 {
			st.host.TypeError(fn, "%s", strings.Join(problems, "; "))
		}
		rec := &store.Record{Props: props}
		if id := obj.Get(propID); id != nil && !goja.IsUndefined(id) && !goja.IsNull(id) {
			rec.ID = id.String()
		}
		saved, err := tx(fn).Put(kind(ent.Name), rec, st.host.Exec().Now)
		if err != nil {
			storeErr(fn, err)
		}
		c.setBookkeeping(obj, saved)
		return st.vm.ToValue(saved.ID)
	}))

	_ = k.Set("del", st.host.Func("entity.delete", func(call goja.FunctionCall) goja.Value {
		ent := entityArg(call)
		fn := ent.Name + ".prototype.delete"
		id := call.Argument(1).ToObject(st.vm).Get(propID)
		if id == nil || goja.IsUndefined(id) || goja.IsNull(id) {
			st.host.TypeError(fn, "this %s has not been saved (it has no _id)", ent.Name)
		}
		err := tx(fn).Delete(kind(ent.Name), id.String())
		if errors.Is(err, store.ErrNotFound) {
			return st.vm.ToValue(false)
		}
		if err != nil {
			storeErr(fn, err)
		}
		return st.vm.ToValue(true)
	}))

	_ = k.Set("get", st.host.Func("entity.get", func(call goja.FunctionCall) goja.Value {
		ent := entityArg(call)
		fn := ent.Name + ".get"
		id := st.host.String(call, 1, fn, "id")
		rec, err := tx(fn).Get(kind(ent.Name), id)
		if errors.Is(err, store.ErrNotFound) {
			return goja.Null()
		}
		if err != nil {
			storeErr(fn, err)
		}
		return c.instance(ent, rec)
	}))

	_ = k.Set("find", st.host.Func("entity.find", func(call goja.FunctionCall) goja.Value {
		ent := entityArg(call)
		fn := ent.Name + ".find"
		q := store.Query{}
		if f := call.Argument(1); !goja.IsUndefined(f) && !goja.IsNull(f) {
			m, ok := c.plainMap(f)
			if !ok {
				st.host.TypeError(fn, "filter must be an object, got %s", f.String())
			}
			q.Filter = m
		}
		if o := call.Argument(2); !goja.IsUndefined(o) && !goja.IsNull(o) {
			opts, ok := c.plainMap(o)
			if !ok {
				st.host.TypeError(fn, "options must be an object ({sort, limit}), got %s", o.String())
			}
			switch s := opts["sort"].(type) {
			case nil:
			case string:
				q.Sort = []string{s}
			case []any:
				for _, e := range s {
					name, ok := e.(string)
					if !ok {
						st.host.TypeError(fn, "options.sort must be a property name or a list of them")
					}
					q.Sort = append(q.Sort, name)
				}
			default:
				st.host.TypeError(fn, "options.sort must be a property name or a list of them")
			}
			if l, ok := opts["limit"]; ok && l != nil {
				n, ok := l.(float64)
				if !ok || n < 0 || n != float64(int(n)) {
					st.host.RangeError(fn, "options.limit must be a whole number ≥ 0")
				}
				q.Limit = int(n)
			}
		}
		recs, err := tx(fn).Find(kind(ent.Name), q)
		if err != nil {
			storeErr(fn, err)
		}
		out := make([]any, len(recs))
		for i, rec := range recs {
			out[i] = c.instance(ent, rec)
		}
		return st.vm.NewArray(out...)
	}))

	_ = k.Set("count", st.host.Func("entity.count", func(call goja.FunctionCall) goja.Value {
		ent := entityArg(call)
		fn := ent.Name + ".count"
		var filter map[string]any
		if f := call.Argument(1); !goja.IsUndefined(f) && !goja.IsNull(f) {
			m, ok := c.plainMap(f)
			if !ok {
				st.host.TypeError(fn, "filter must be an object, got %s", f.String())
			}
			filter = m
		}
		n, err := tx(fn).Count(kind(ent.Name), filter)
		if err != nil {
			storeErr(fn, err)
		}
		return st.vm.ToValue(n)
	}))
}

// plainMap converts a JS object to a JSON-shaped Go map (Dates become date strings).
func (c *converter) plainMap(v goja.Value) (map[string]any, bool) {
	if _, ok := v.(*goja.Object); !ok {
		return nil, false
	}
	out, err := c.outputAlone(v)
	m, ok := out.(map[string]any)
	return m, ok && err == nil
}

// entityProps reads an instance's properties as JSON-shaped values and checks the declared ones
// against their types. Undeclared properties are kept (a newer ruleset version may know them);
// calculated and bookkeeping properties are not stored.
func (c *converter) entityProps(ent *rulesets.Entity, obj *goja.Object) (map[string]any, []string) {
	props := map[string]any{}
	nodes, bytes := c.nodesLeft, c.bytesLeft
	defer func() { c.nodesLeft, c.bytesLeft = nodes, bytes }()
	c.resetBudget() // one record's budget: its properties together
	for _, key := range obj.Keys() {
		switch key {
		case propID, propCreatedAt, propUpdatedAt:
			continue
		}
		v, err := c.output(obj.Get(key), nil, 0)
		if err != nil {
			return nil, []string{key + ": " + err.Error()}
		}
		props[key] = v
	}
	var problems []string
	saved := c.problems
	c.problems = nil
	for _, p := range ent.Properties {
		raw, present := props[p.Name]
		c.field("", p.Name, &p.Type, raw, present, p.Required, nil, false)
	}
	for _, p := range c.problems {
		problems = append(problems, p.Path+": "+p.Message)
	}
	c.problems = saved
	return props, problems
}

// instance makes an entity instance from a stored record: declared properties in their types
// (dates as Dates), undeclared ones as stored, and the bookkeeping properties.
func (c *converter) instance(ent *rulesets.Entity, rec *store.Record) goja.Value {
	var obj *goja.Object
	if proto := c.protos[ent.Name]; proto != nil {
		obj = c.vm.CreateObject(proto)
	} else {
		obj = c.vm.NewObject()
	}
	saved := c.problems
	for _, p := range ent.Properties {
		raw, present := rec.Props[p.Name]
		_ = obj.Set(p.Name, c.field("", p.Name, &p.Type, raw, present, false, p.Default, p.HasDefault))
	}
	c.problems = saved // a record saved by another version may not fit: it loads as it is
	for k, v := range rec.Props {
		if !ent.Declares(k) {
			_ = obj.Set(k, c.jsonValue(v))
		}
	}
	c.setBookkeeping(obj, rec)
	return obj
}

func (c *converter) setBookkeeping(obj *goja.Object, rec *store.Record) {
	_ = obj.Set(propID, rec.ID)
	_ = obj.Set(propCreatedAt, c.dateOrNull(rec.CreatedAt))
	_ = obj.Set(propUpdatedAt, c.dateOrNull(rec.UpdatedAt))
}

func (c *converter) dateOrNull(t time.Time) goja.Value {
	if t.IsZero() {
		return goja.Null()
	}
	return c.host.NewDate(t)
}
