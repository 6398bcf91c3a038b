package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/rulesets"
	"github.com/kubusdev/kubus/store"
)

// The entity API: persisted entities read and written from outside an execution (the HTTP server's
// entity routes), checked and shown exactly as rule code checks and sees them. Both calls borrow
// one of the ruleset's pooled runtimes for a moment: checking converts with the ruleset's own
// converter (its time zone, its entity classes), and showing evaluates calculated properties,
// which are rule code and so run under the execution limits (timeout, memory, stack).

// ErrNoEntity is an entity name the ruleset does not declare.
var ErrNoEntity = errors.New("no such entity")

// EntityOptions are the settings of an entity API call.
type EntityOptions struct {
	// Now is the clock calculated properties see (TODAY(), NOW()); zero means time.Now().
	Now time.Time
	// Store is what calculated properties that read the store (Person.count(), Consent.check) read,
	// in a transaction that is discarded afterwards: they cannot write. Nil: the engine's store;
	// without either, such a property fails as it does in an execution without a store.
	Store store.Store
}

// CheckEntity checks props as `new Entity(props)` checks them — each declared property against its
// type, the required ones present, defaults filled in for absent ones — and returns what save()
// stores: JSON-shaped values, declared properties in the form the ruleset writes them (a date as
// the ruleset's YYYY-MM-DD or RFC 3339 text, as an entity input saved by a rule is), undeclared
// properties kept as given, calculated and bookkeeping (_id, _createdAt, _updatedAt) properties
// left out. Every problem is reported at once, as an *InputError whose paths are property names
// ("Birthdate", "Address.Street", "Tags[2]"). An unknown entity is ErrNoEntity.
func (r *Ruleset) CheckEntity(ctx context.Context, entity string, props map[string]any) (map[string]any, error) {
	ent := r.entityNamed(entity)
	if ent == nil {
		return nil, fmt.Errorf("ruleset %s: %w %q", r.model.Name, ErrNoEntity, entity)
	}
	var out map[string]any
	err := r.withEntityRuntime(ctx, EntityOptions{}, nil, func(st *vmState) error {
		c := st.conv
		c.problems = c.problems[:0]
		c.size = 0
		defer func() { c.problems = c.problems[:0] }()
		if props == nil {
			props = map[string]any{}
		}
		v := c.entity("", "", ent.Name, props)
		if c.size > r.eng.limits.MaxInputBytes {
			c.problem("", "the entity is larger than the %d-byte limit (Limits.MaxInputBytes)", r.eng.limits.MaxInputBytes)
		}
		if len(c.problems) > 0 {
			return &InputError{Problems: append([]InputProblem(nil), c.problems...)}
		}
		obj, ok := v.(*goja.Object)
		if !ok {
			return &InputError{Problems: []InputProblem{{Message: "must be an object (" + ent.Name + ")"}}}
		}
		saved, problems := c.entityProps(ent, obj)
		if len(problems) > 0 {
			ie := &InputError{}
			for _, p := range problems {
				ie.Problems = append(ie.Problems, InputProblem{Message: p})
			}
			return ie
		}
		out = saved
		return nil
	})
	return out, err
}

// EntityViews shows stored records as rule code sees them, as JSON-shaped maps: declared
// properties in their types (dates as the ruleset writes them), undeclared ones as stored, every
// calculated property evaluated, and the bookkeeping properties _id, _createdAt and _updatedAt
// (RFC 3339 in UTC, with nanoseconds). A calculated property that throws, or the limits stopping
// them, is an *EvalError, as in an execution. An unknown entity is ErrNoEntity.
func (r *Ruleset) EntityViews(ctx context.Context, entity string, recs []*store.Record, opts EntityOptions) ([]map[string]any, error) {
	ent := r.entityNamed(entity)
	if ent == nil {
		return nil, fmt.Errorf("ruleset %s: %w %q", r.model.Name, ErrNoEntity, entity)
	}
	out := make([]map[string]any, 0, len(recs))
	if len(recs) == 0 {
		return out, nil
	}
	s := opts.Store
	if s == nil {
		s = r.eng.store
	}
	var tx store.Tx
	if s != nil {
		tx = s.Begin()
		defer tx.Discard()
	}
	typ := &rulesets.Type{Name: ent.Name}
	err := r.withEntityRuntime(ctx, opts, tx, func(st *vmState) error {
		c := st.conv
		for _, rec := range recs {
			c.resetBudget()
			v, err := c.output(c.instance(ent, rec), typ, 0)
			if err != nil {
				return r.outputError(err, "", "", ent.Name+" "+rec.ID)
			}
			m, _ := v.(map[string]any)
			if m == nil {
				m = map[string]any{}
			}
			m[propID] = rec.ID
			m[propCreatedAt] = bookkeepingTime(rec.CreatedAt)
			m[propUpdatedAt] = bookkeepingTime(rec.UpdatedAt)
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func bookkeepingTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// entityNamed is the ruleset's entity of that name, nil when it has none.
func (r *Ruleset) entityNamed(name string) *rulesets.Entity {
	for _, e := range r.model.Entities {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// withEntityRuntime runs fn on a pooled runtime of the plain program, set up as an execution is:
// the clock, the ruleset's zone and culture, tx as the store, the watchdog over the limits. A JS
// exception (a calculated property that throws) or a limit becomes an *EvalError; the runtime
// goes back to the pool only when nothing left it in doubt, as after an execution.
func (r *Ruleset) withEntityRuntime(ctx context.Context, opts EntityOptions, tx store.Tx, fn func(st *vmState) error) (err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return &EvalError{Ruleset: r.model.Name, Kind: "canceled", Message: err.Error(), err: err}
	}
	v := r.plain
	st, err := v.get(ctx)
	if err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			return &EvalError{Ruleset: r.model.Name, Kind: le.Limit, Message: le.Error(), err: le}
		}
		return err
	}
	start := time.Now()
	reuse := false
	w := &st.watch
	defer func() {
		if p := recover(); p != nil {
			err = &EvalError{Ruleset: r.model.Name, Kind: "error", Message: fmt.Sprintf("internal error: %v", p)}
			reuse = false
			r.eng.watchdog.stop(w)
		}
		st.host.SetExec(nil)
		st.vm.ClearInterrupt()
		if reuse {
			v.put(st)
		} else {
			v.discard()
		}
	}()
	now := opts.Now
	if now.IsZero() {
		now = start
	}
	exec := &st.exec
	*exec = builtins.Exec{
		Serial:        execSerial.Add(1),
		Context:       ctx,
		Now:           now,
		Location:      st.conv.loc,
		Culture:       r.model.Culture,
		Ruleset:       builtins.RulesetInfo{Name: r.model.Name, Version: r.model.Version},
		Getenv:        r.eng.getenv,
		RuleEnv:       r.eng.ruleEnv,
		Tx:            tx,
		MaxAlerts:     r.eng.limits.MaxAlerts,
		MaxAlertBytes: r.eng.limits.MaxOutputBytes,
	}
	st.host.SetExec(exec)
	st.start = start
	st.failed = failedRule{}

	lim := &r.eng.limits
	*w = watch{vm: st.vm, deadline: start.Add(lim.Timeout), timeout: lim.Timeout, heapLimit: lim.MaxMemory}
	exec.Deadline = w.deadline
	if done := ctx.Done(); done != nil {
		w.done, w.cause = done, func() error { return context.Cause(ctx) }
	}
	r.eng.watchdog.start(w, start)
	err = r.runJS(st, fn)
	if ee := r.limitVerdict(ctx, w, r.eng.watchdog.stop(w), err, time.Now()); ee != nil {
		return ee
	}
	reuse = reusable(err, w, lim.MaxMemory)
	return err
}

// runJS calls fn, turning what JS raises while it runs (an exception from a getter, an interrupt, a
// stack overflow) into an *EvalError; Try unwinds the runtime's stacks, so it stays usable.
func (r *Ruleset) runJS(st *vmState, fn func(st *vmState) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			jsErr, ok := p.(error)
			if !ok || !isJSError(jsErr) {
				panic(p)
			}
			err = r.evalError(st, jsErr)
		}
	}()
	if exc := st.vm.Try(func() { err = fn(st) }); exc != nil {
		return r.evalError(st, exc)
	}
	return err
}
