package engine

import (
	"errors"
	"fmt"
	"runtime/metrics"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins"
)

// Limits bound what one execution may use. A zero field takes its default.
type Limits struct {
	// Timeout is the wall-clock time an execution may take, from when it has its runtime (default 1s).
	Timeout time.Duration
	// MaxCallStackDepth is the deepest JS call stack (default 4096).
	MaxCallStackDepth int
	// MaxInputBytes bounds the size of an input: the JSON text for the runner and the HTTP server, and
	// an estimate of the same for a decoded input given to Execute (default 4 MiB).
	MaxInputBytes int
	// MaxStringLength is the longest string a single built-in string operation may make
	// (repeat, padStart, padEnd, join), in characters (default 16 Mi).
	MaxStringLength int
	// MaxArrayLength is the longest array one built-in call may make or walk: new Array(n), Array.from,
	// every Array method over this, the array iterators (spread, for-of), flat, split (default 256 Ki).
	// goja spends up to a microsecond an element in such a call, where the timeout cannot stop it,
	// so the limit keeps one call to a few hundred milliseconds; arrays grown in JS may be longer.
	MaxArrayLength int
	// MaxMemory is how much the process heap may grow while an execution runs before it is stopped
	// (default 512 MiB). It is the backstop for runaway growth no other limit sees, such as string
	// doubling; concurrent executions share the heap, so it is a guard, not an account.
	MaxMemory uint64
	// MaxBufferBytes is the largest ArrayBuffer (and so TypedArray or DataView) rule code may make, in
	// bytes (default 16 MiB).
	MaxBufferBytes int
	// MaxArguments is the most arguments one call may receive through apply, Reflect.apply,
	// Reflect.construct or spread (default 65,536).
	MaxArguments int
	// MaxSymbols is how many registry symbols (Symbol.for) one execution may make (default 10,000);
	// the registry is per execution, so nothing accumulates in a pooled runtime.
	MaxSymbols int
	// MaxOutputBytes bounds the size of a result as JSON: output, alerts, diagnostics and explain
	// together (default 16 MiB). A value shared by several parents counts once per parent.
	MaxOutputBytes int
	// MaxOutputNodes bounds the number of values (objects, arrays, strings, numbers…) in a result,
	// counting a shared value once per parent (default 100,000).
	MaxOutputNodes int
	// MaxAlerts is the most alerts one execution may raise, declared and System.createAlert
	// together (default 1,000).
	MaxAlerts int
	// MaxStackFrames is how many author-code frames an error keeps, innermost first (default 16).
	MaxStackFrames int
}

// DefaultLimits are the limits used for zero fields.
var DefaultLimits = Limits{
	Timeout:           time.Second,
	MaxCallStackDepth: 4096,
	MaxInputBytes:     4 << 20,
	MaxStringLength:   16 << 20,
	MaxArrayLength:    1 << 18,
	MaxMemory:         512 << 20,
	MaxBufferBytes:    16 << 20,
	MaxArguments:      1 << 16,
	MaxSymbols:        10_000,
	MaxOutputBytes:    16 << 20,
	MaxOutputNodes:    100_000,
	MaxAlerts:         1_000,
	MaxStackFrames:    16,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.Timeout > 0 {
		d.Timeout = l.Timeout
	}
	if l.MaxCallStackDepth > 0 {
		d.MaxCallStackDepth = l.MaxCallStackDepth
	}
	if l.MaxInputBytes > 0 {
		d.MaxInputBytes = l.MaxInputBytes
	}
	if l.MaxStringLength > 0 {
		d.MaxStringLength = l.MaxStringLength
	}
	if l.MaxArrayLength > 0 {
		d.MaxArrayLength = l.MaxArrayLength
	}
	if l.MaxMemory > 0 {
		d.MaxMemory = l.MaxMemory
	}
	for _, f := range []struct{ from, to *int }{
		{&l.MaxBufferBytes, &d.MaxBufferBytes},
		{&l.MaxArguments, &d.MaxArguments}, {&l.MaxSymbols, &d.MaxSymbols},
		{&l.MaxOutputBytes, &d.MaxOutputBytes}, {&l.MaxOutputNodes, &d.MaxOutputNodes},
		{&l.MaxAlerts, &d.MaxAlerts}, {&l.MaxStackFrames, &d.MaxStackFrames},
	} {
		if *f.from > 0 {
			*f.to = *f.from
		}
	}
	return d
}

// LimitError is an execution stopped by one of the Limits.
type LimitError struct {
	Limit string // timeout, memory, call stack depth, canceled
	Value string // the limit's value, e.g. "1s"
}

func (e *LimitError) Error() string {
	switch e.Limit {
	case "canceled":
		return "execution canceled: " + e.Value
	case "timeout":
		return fmt.Sprintf("execution took longer than the %s timeout (Limits.Timeout)", e.Value)
	case "memory":
		return fmt.Sprintf("execution grew the heap by more than %s (Limits.MaxMemory)", e.Value)
	case "output nodes":
		return fmt.Sprintf("the result holds more than %s values (Limits.MaxOutputNodes); a value shared by several parents counts once per parent", e.Value)
	case "output size":
		return fmt.Sprintf("the result is larger than %s (Limits.MaxOutputBytes)", e.Value)
	case "call stack depth":
		return fmt.Sprintf("maximum call stack depth of %s exceeded (Limits.MaxCallStackDepth): runaway recursion?", e.Value)
	}
	return fmt.Sprintf("%s limit of %s exceeded", e.Limit, e.Value)
}

// guardsSource wraps the built-ins through which one call can allocate without bound. Each guard
// throws a RangeError naming the operation and the limit, which the rule may catch. Wrappers keep the
// exact argument count, because some built-ins (reduce) treat a passed undefined differently from none.
const guardsSource = `(function (maxString, maxArray, join) {
"use strict";
const AP = Array.prototype, SP = String.prototype, apply = Reflect.apply, construct = Reflect.construct;
function tooLong(what, n, max, limit) {
  throw new RangeError(what + " would make " + n + " elements, over the limit of " + max + " (Limits." + limit + ")");
}
function arrayLen(what, n) { if (n > maxArray) tooLong(what, n, maxArray, "MaxArrayLength"); }
function stringLen(what, n) {
  if (n > maxString) throw new RangeError(what + " would make a string of " + n + " characters, over the limit of " + maxString + " (Limits.MaxStringLength)");
}
// wrap passes the arguments on with orig.call: no arguments object on the hot path (padStart is).
function wrap(obj, name, check) {
  const orig = obj[name];
  const w = { [name](a, b) { check(this, a); return orig.call(this, a, b); } }[name];
  Object.defineProperty(obj, name, { value: w, writable: true, enumerable: false, configurable: true });
}
const len = (o) => (o === null || o === undefined ? 0 : Number(o.length) || 0);
wrap(SP, "repeat", (s, n) => stringLen("String.prototype.repeat", String(s).length * Math.max(0, Number(n) || 0)));
wrap(SP, "padStart", (s, n) => stringLen("String.prototype.padStart", Number(n) || 0));
wrap(SP, "padEnd", (s, n) => stringLen("String.prototype.padEnd", Number(n) || 0));
// The array methods that loop over this are guarded in guards_intrinsics.go.
Object.defineProperty(AP, "join", { value: { join(sep) { arrayLen("Array.prototype.join", len(this)); return join(this, sep); } }.join, writable: true, enumerable: false, configurable: true });
const ArrayCtor = Array;
function checkCtorArgs(args) { if (args.length === 1 && typeof args[0] === "number") arrayLen("new Array(" + args[0] + ")", args[0]); }
globalThis.Array = new Proxy(ArrayCtor, {
  construct(target, args, newTarget) { checkCtorArgs(args); return construct(target, args, newTarget); },
  apply(target, thisArg, args) { checkCtorArgs(args); return apply(target, thisArg, args); },
});
})`

var (
	guardsOnce sync.Once
	guardsProg *goja.Program
)

// installGuards wraps the allocating built-ins of a runtime before it is frozen.
func installGuards(h *builtins.Host, l Limits) error {
	guardsOnce.Do(func() { guardsProg = goja.MustCompile("kubus:guards", guardsSource, true) })
	vm := h.VM
	fn, err := vm.RunProgram(guardsProg)
	if err != nil {
		return err
	}
	install, _ := goja.AssertFunction(fn)
	join := h.Func("Array.prototype.join", func(call goja.FunctionCall) goja.Value {
		return boundedJoin(h, call.Argument(0), call.Argument(1), l.MaxStringLength)
	})
	if _, err = install(goja.Undefined(), vm.ToValue(l.MaxStringLength), vm.ToValue(l.MaxArrayLength), join); err != nil {
		return err
	}
	for _, g := range guardInstallers {
		if err := g(h, l); err != nil {
			return err
		}
	}
	return nil
}

// boundedJoin is Array.prototype.join that stops as soon as the result would pass the string limit,
// so that joining many references to one long string cannot exhaust memory inside a single Go call.
func boundedJoin(h *builtins.Host, this, sepArg goja.Value, max int) goja.Value {
	vm := h.VM
	obj := this.ToObject(vm)
	n := int(obj.Get("length").ToInteger())
	sep := ","
	if !goja.IsUndefined(sepArg) {
		sep = sepArg.String()
	}
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(sep)
		}
		v := obj.Get(indexKey(i))
		if v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) {
			b.WriteString(v.String())
		}
		if b.Len() > max {
			panic(rangeError(vm, fmt.Sprintf("Array.prototype.join would make a string of more than %d characters (Limits.MaxStringLength)", max)))
		}
	}
	return vm.ToValue(b.String())
}

func rangeError(vm *goja.Runtime, msg string) *goja.Object {
	obj, err := vm.New(vm.Get("RangeError"), vm.ToValue(msg))
	if err != nil {
		return vm.NewGoError(fmt.Errorf("%s", msg))
	}
	return obj
}

// watchdog stops executions that run past their deadline, whose context is done, or during which the
// heap grew past the memory limit. One goroutine serves all executions of an engine and runs only
// while some execution does; it replaces a timer per execution, which would cost more than the
// execution itself.
type watchdog struct {
	mu      sync.Mutex
	active  []*watch // each at its slot: adding and removing one costs no hashing
	running bool
	tick    time.Duration
	heap    uint64    // the heap at the last tick
	heapAt  time.Time // when it was read; zero before the first tick
}

// watch is one running execution as the watchdog sees it.
type watch struct {
	vm        *goja.Runtime
	deadline  time.Time
	done      <-chan struct{} // the context's Done channel, nil if it can't be canceled
	cause     func() error
	timeout   time.Duration
	heapLimit uint64
	baseline  uint64 // heap when the execution started (or at the first tick that saw it)
	grew      uint64 // the most the heap grew over baseline at any tick, for the pool's verdict
	// fired is the limit that stopped the execution, nil while none has. Once set, the watchdog
	// interrupts the runtime again on every tick: code that runs after the first interrupt (output
	// conversion, error formatting, the halt result) cannot outlive the limit either.
	fired *LimitError
	slot  int // 1 + the index in watchdog.active while watched, 0 when not
}

// reusable says whether a runtime may go back to the pool after a watched run that ended with err:
// not after a limit, nor when the heap grew by more than a quarter of maxMemory while it ran.
func reusable(err error, w *watch, maxMemory uint64) bool {
	if w.grew > maxMemory/4 {
		return false
	}
	if err == nil {
		return true
	}
	var le *LimitError // declared here, so that only a failed run pays for its escape
	return !errors.As(err, &le)
}

func newWatchdog() *watchdog {
	return &watchdog{tick: 5 * time.Millisecond}
}

// start watches w from now (the caller's clock reading: reading it again costs more than the
// bookkeeping here).
func (d *watchdog) start(w *watch, now time.Time) {
	d.mu.Lock()
	// The last tick's reading, when it is fresh, is the baseline (under load the ticker keeps it
	// fresh); after a quiet spell the first tick that sees the execution sets it. Reading the heap
	// here would cost a quarter of a small execution.
	if at := d.heapAt; !at.IsZero() && now.Sub(at) < 2*d.tick {
		w.baseline = d.heap
	}
	d.active = append(d.active, w)
	w.slot = len(d.active)
	if !d.running {
		d.running = true
		go d.loop()
	}
	d.mu.Unlock()
}

// stop unregisters w and says which limit stopped it (nil if none). After it returns the watchdog
// never interrupts w's runtime again, so the caller can clear the interrupt flag and reuse the runtime.
func (d *watchdog) stop(w *watch) *LimitError {
	d.mu.Lock()
	if w.slot > 0 {
		i, last := w.slot-1, len(d.active)-1
		d.active[i] = d.active[last]
		d.active[i].slot = i + 1
		d.active[last] = nil
		d.active = d.active[:last]
		w.slot = 0
	}
	fired := w.fired
	d.mu.Unlock()
	return fired
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

// readHeap is the bytes of heap objects, live or not yet swept.
func readHeap() uint64 {
	sample := []metrics.Sample{heapSample[0]}
	metrics.Read(sample)
	if sample[0].Value.Kind() == metrics.KindUint64 {
		return sample[0].Value.Uint64()
	}
	return 0
}

func (d *watchdog) loop() {
	t := time.NewTicker(d.tick)
	defer t.Stop()
	for now := range t.C {
		heap := readHeap()
		d.mu.Lock()
		d.heap, d.heapAt = heap, now
		if len(d.active) == 0 {
			d.running = false
			d.mu.Unlock()
			return
		}
		for _, w := range d.active {
			if w.baseline == 0 {
				w.baseline = heap
			}
			if heap > w.baseline {
				w.grew = max(w.grew, heap-w.baseline)
			}
			if w.fired == nil {
				switch {
				case now.After(w.deadline):
					w.fired = &LimitError{Limit: "timeout", Value: w.timeout.String()}
				case w.done != nil && isClosed(w.done):
					w.fired = &LimitError{Limit: "canceled", Value: w.cause().Error()}
				case w.grew > w.heapLimit:
					w.fired = &LimitError{Limit: "memory", Value: fmt.Sprintf("%d MiB", w.heapLimit>>20)}
				}
			}
			if w.fired != nil {
				w.vm.Interrupt(w.fired)
			}
		}
		d.mu.Unlock()
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
