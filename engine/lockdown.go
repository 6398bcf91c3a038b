package engine

import (
	"sync"

	"github.com/dop251/goja"
)

// Isolation between executions that share a pooled runtime comes from freezing, not from fresh
// runtimes (a fresh runtime costs milliseconds; an execution should cost microseconds). After the
// builtins and the ruleset's scope are installed, every object reachable from the global object and
// the well-known intrinsics that are not (iterator and generator prototypes, %TypedArray%) is
// frozen, as is every value in the ruleset's closure. Rule code runs in strict mode, so an attempt to
// change Math, Array.prototype or a global throws a TypeError instead of leaking into the next
// execution; what an execution creates is garbage once it returns.
//
// Freezing Object.prototype and Error.prototype would make ordinary code such as `this.name = ...` in
// an Error subclass fail (the "override mistake"), so those few properties become accessors whose
// setter defines an own property on the instance, as SES lockdown does.
const lockdownSource = `(function () {
"use strict";
const getProto = Object.getPrototypeOf, freeze = Object.freeze, getDesc = Object.getOwnPropertyDescriptor,
      defineProp = Object.defineProperty, ownKeys = Reflect.ownKeys;
let seen = new WeakSet(); // dropped after lockdown: the GC would trace it on every cycle
function harden(roots) {
  const stack = roots.slice();
  while (stack.length > 0) {
    const o = stack.pop();
    if (o === null || (typeof o !== "object" && typeof o !== "function") || seen.has(o)) continue;
    seen.add(o);
    try { freeze(o); } catch (e) { /* a typed array with elements cannot be frozen; its contents are data */ }
    stack.push(getProto(o));
    const keys = ownKeys(o);
    for (let i = 0; i < keys.length; i++) {
      const d = getDesc(o, keys[i]);
      if (d === undefined) continue;
      if ("value" in d) stack.push(d.value);
      else { if (d.get) stack.push(d.get); if (d.set) stack.push(d.set); }
    }
  }
}
function enableOverride(proto, names) {
  for (const name of names) {
    const d = getDesc(proto, name);
    if (d === undefined || !("value" in d) || !d.writable) continue;
    const value = d.value;
    defineProp(proto, name, {
      get: function () { return value; },
      set: function (v) {
        if (this === proto) throw new TypeError("Cannot assign to read only property '" + name + "' of a built-in prototype");
        defineProp(this, name, { value: v, writable: true, enumerable: true, configurable: true });
      },
      enumerable: d.enumerable, configurable: false,
    });
  }
}
// prepare must run before anything is hardened: hardening any function freezes Object.prototype
// through its prototype chain.
function prepare() {
  closeEval();
  enableOverride(Object.prototype, ["constructor", "toString", "valueOf", "toLocaleString"]);
  for (const E of [Error, TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError]) {
    enableOverride(E.prototype, ["name", "message", "constructor", "toString"]);
  }
}
// closeEval removes every way to compile a string into code: the global eval (a direct eval would
// run in the ruleset's closure and reach the glue) and the Function constructors, reachable as
// Function, f.constructor and the prototypes of generators and async functions. Each constructor
// becomes one that throws, keeping its prototype so instanceof still works.
function closeEval() {
  delete globalThis.eval;
  const kinds = [function () {}, function* () {}, async function () {}];
  for (const f of kinds) {
    const proto = getProto(f), original = proto.constructor;
    const closed = function Function() {
      throw new EvalError("compiling code from a string (eval, Function) is not available in rule code");
    };
    defineProp(closed, "prototype", { value: proto, writable: false, enumerable: false, configurable: false });
    defineProp(proto, "constructor", { value: closed, writable: false, enumerable: false, configurable: false });
    if (original === globalThis.Function) {
      defineProp(globalThis, "Function", { value: closed, writable: false, enumerable: false, configurable: false });
    }
  }
}
function lockdown() {
  const arrayIter = getProto([][Symbol.iterator]());
  const gen = function* () {};
  harden([
    globalThis,
    getProto(Int8Array),
    arrayIter, getProto(arrayIter),
    getProto(new Map()[Symbol.iterator]()), getProto(new Set()[Symbol.iterator]()),
    getProto(""[Symbol.iterator]()), getProto(/x/[Symbol.matchAll]("")),
    getProto(gen), getProto(gen()), getProto(async function () {}),
  ]);
  seen = null;
}
prepare();
return { harden: harden, lockdown: lockdown };
})()`

var (
	lockdownOnce sync.Once
	lockdownProg *goja.Program
)

// lockdownProgram is compiled once for the process and shared by every runtime.
func lockdownProgram() *goja.Program {
	lockdownOnce.Do(func() {
		lockdownProg = goja.MustCompile("kubus:lockdown", lockdownSource, true)
	})
	return lockdownProg
}
