package engine

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/builtins"
)

// The guards of the goja intrinsics whose cost grows with `this` or an argument and that finish in
// one Go call, where neither the timeout nor the memory watchdog can stop them: the Array methods
// over sparse or array-like objects, typed arrays and buffers, String.raw, replace, concat and split,
// JSON.stringify, apply. Each reads the size once, checks it, and hands the intrinsic what it checked:
// an array-like (whose length getter could answer differently the second time) is copied first.
func init() {
	guarded := map[string]string{
		"Array.prototype.values": "MaxArrayLength", "Array.prototype.keys": "MaxArrayLength",
		"Array.prototype.entries": "MaxArrayLength",
		"Array.prototype.concat":  "MaxArrayLength",
		"ArrayBuffer":             "MaxBufferBytes", "Array.from": "MaxArrayLength",
		"Object.keys": "MaxArrayLength", "Object.values": "MaxArrayLength", "Object.entries": "MaxArrayLength",
		"Object.getOwnPropertyNames": "MaxArrayLength", "Object.getOwnPropertyDescriptors": "MaxArrayLength",
		"Object.assign": "MaxArrayLength", "Reflect.ownKeys": "MaxArrayLength",
		"RegExp.prototype.[Symbol.replace]": "MaxStringLength", "RegExp.prototype.[Symbol.split]": "MaxArrayLength",
		// guardsSource (limits.go)
		"Array": "MaxArrayLength", "String.prototype.repeat": "MaxStringLength", "String.prototype.padStart": "MaxStringLength",
		"String.prototype.padEnd": "MaxStringLength",
		"String.raw":              "MaxStringLength", "String.prototype.concat": "MaxStringLength",
		"String.prototype.replace": "MaxStringLength", "String.prototype.replaceAll": "MaxStringLength",
		"String.prototype.split": "MaxArrayLength", "String.prototype.[Symbol.iterator]": "MaxArrayLength",
		"JSON.stringify":           "MaxStringLength",
		"Function.prototype.apply": "MaxArguments", "Reflect.apply": "MaxArguments", "Reflect.construct": "MaxArguments",
		"Symbol.for": "MaxSymbols", "Symbol.keyFor": "MaxSymbols",
		"%TypedArray%.from": "MaxBufferBytes", "%TypedArray%.prototype.join": "MaxStringLength",
		"%TypedArray%.prototype.toLocaleString": "MaxStringLength", "%TypedArray%.prototype.toString": "MaxStringLength",
	}
	for _, m := range arrayMethodsByLength {
		guarded["Array.prototype."+m] = "MaxArrayLength"
	}
	for _, t := range typedArrayNames {
		guarded[t] = "MaxBufferBytes"
	}
	registerGuards(installIntrinsicGuards, guarded)
}

// arrayMethodsByLength are the Array.prototype methods that loop over `this` up to its length in Go
// (over every index of a sparse array, not just the present ones). The mutating ones refuse what is
// not a plain array; the others work on a checked copy of it.
var arrayMethodsByLength = []string{
	"copyWithin", "every", "fill", "filter", "find", "findIndex", "findLast", "findLastIndex", "flat",
	"flatMap", "forEach", "includes", "indexOf", "join", "lastIndexOf", "map", "reduce", "reduceRight",
	"reverse", "shift", "slice", "some", "sort", "splice", "toLocaleString", "toReversed", "toSorted",
	"toSpliced", "unshift", "with",
}

var typedArrayNames = []string{"Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
	"Int32Array", "Uint32Array", "Float32Array", "Float64Array"}

const intrinsicGuardsSource = `(function (L, isProxy, symbolFor, symbolKeyFor) {
"use strict";
const AP = Array.prototype, SP = String.prototype, apply = Reflect.apply, construct = Reflect.construct,
      defineProp = Object.defineProperty, isArray = Array.isArray, floor = Math.floor, min = Math.min;
const over = (what, n, max, limit) => new RangeError(what + " over " + n + " elements exceeds the limit of " + max + " (Limits." + limit + ")");
const overString = (what, n) => new RangeError(what + " would make a string of " + n + " characters, over the limit of " + L.maxString + " (Limits.MaxStringLength)");
function toLength(v) { const n = floor(Number(v)); return n > 0 ? min(n, 2 ** 53 - 1) : 0; }
function put(obj, name, fn) { defineProp(obj, name, { value: fn, writable: true, enumerable: false, configurable: true }); }
// named makes a function that keeps a built-in's name and length.
function named(name, length, fn) { defineProp(fn, "name", { value: name }); defineProp(fn, "length", { value: length }); return fn; }

// copyOf is a plain array with the elements of an array-like, its length read once and checked.
function copyOf(what, o, max, limit) {
  const obj = Object(o), n = toLength(obj.length);
  if (n > max) throw over(what, n, max, limit);
  const out = [];
  for (let i = 0; i < n; i++) if (i in obj) out[i] = obj[i];
  out.length = n;
  return out;
}
// plainArray is this for a plain array (its length is its own data property and is checked); an
// array-like or a Proxy is copied for the methods that only read, refused by the ones that write.
function plainArray(what, self, writes) {
  if (isArray(self) && !isProxy(self)) {
    if (self.length > L.maxArray) throw over(what, self.length, L.maxArray, "MaxArrayLength");
    return self;
  }
  if (self === null || self === undefined) return self; // the built-in throws its TypeError
  if (writes) throw new TypeError(what + " on a value that is not an array (an array-like object or a Proxy) is not available in rule code");
  return copyOf(what, self, L.maxArray, "MaxArrayLength");
}
// The wrappers pass the arguments on with orig.call (no array, no arguments object: this is the hot
// path of map and indexOf). The methods that tell a passed undefined from a missing argument
// (reduce's initial value, lastIndexOf's start, splice's count) or take any number pass them as given.
const byCount = new Set(["reduce", "reduceRight", "lastIndexOf", "splice", "toSpliced", "unshift"]);
function guardArray(name, writes) {
  const orig = AP[name], what = "Array.prototype." + name;
  if (typeof orig !== "function") return;
  put(AP, name, named(name, orig.length, byCount.has(name)
    ? function (...args) { return apply(orig, plainArray(what, this, writes), args); }
    : function (a, b, c) { return orig.call(plainArray(what, this, writes), a, b, c); }));
}
const writes = new Set(["copyWithin", "fill", "reverse", "shift", "sort", "splice", "unshift"]);
for (const m of L.arrayMethods) guardArray(m, writes.has(m));
// sort without a comparator compares in Go, n log n times in one call: past sortInGo elements it
// gets a JS comparator that does the same (strings for arrays, numbers for typed arrays), so the
// timeout can stop it.
const sortInGo = 1 << 14;
const byString = (x, y) => { const a = String(x), b = String(y); return a < b ? -1 : a > b ? 1 : 0; };
const byNumber = (a, b) => a < b ? -1 : a > b ? 1 : a === b ? (a === 0 && 1 / a < 1 / b ? -1 : a === 0 && 1 / a > 1 / b ? 1 : 0) : a !== a ? (b !== b ? 0 : 1) : -1;
for (const m of ["sort", "toSorted"]) {
  const guarded = AP[m];
  put(AP, m, named(m, 1, function (cmp) {
    return guarded.call(this, cmp === undefined && this != null && this.length > sortInGo ? byString : cmp);
  }));
}
// flat: the flattened size, counted before anything is made.
{
  const flat = AP.flat;
  put(AP, "flat", named("flat", 0, function (depth) {
    const self = plainArray("Array.prototype.flat", this, false);
    let d = depth === undefined ? 1 : Number(depth) || 0, n = 0;
    const count = (arr, d) => {
      for (let i = 0; i < arr.length; i++) {
        const e = arr[i];
        if (d > 0 && isArray(e)) {
          if (isProxy(e)) throw new TypeError("Array.prototype.flat over a Proxy is not available in rule code");
          if (d > 1) count(e, d - 1); else n += e.length;
        } else n++;
        if (n > L.maxArray) throw over("Array.prototype.flat", n, L.maxArray, "MaxArrayLength");
      }
    };
    count(self, d);
    return apply(flat, self, [d]);
  }));
}
// The iterators: spread and for-of over a sparse array would step through every index in Go.
for (const m of ["values", "keys", "entries"]) {
  const orig = AP[m], what = "Array.prototype." + m;
  const w = named(m, 0, function () {
    if (!(isArray(this) && !isProxy(this))) {
      const o = Object(this), n = toLength(o.length);
      if (n > L.maxArray) throw over(what, n, L.maxArray, "MaxArrayLength");
    } else if (this.length > L.maxArray) throw over(what, this.length, L.maxArray, "MaxArrayLength");
    return apply(orig, this, []);
  });
  put(AP, m, w);
  if (m === "values") put(AP, Symbol.iterator, w);
}
{
  const concat = AP.concat;
  put(AP, "concat", named("concat", 1, function (...items) {
    let n = 0;
    const parts = [plainArray("Array.prototype.concat", this, false)];
    for (const it of items) {
      if (it !== null && typeof it === "object" && (isArray(it) || it[Symbol.isConcatSpreadable])) {
        const p = isArray(it) && !isProxy(it) ? it : copyOf("Array.prototype.concat", it, L.maxArray, "MaxArrayLength");
        n += p.length; parts.push(p);
      } else { n++; parts.push(it); }
    }
    n += parts[0].length;
    if (n > L.maxArray) throw over("Array.prototype.concat", n, L.maxArray, "MaxArrayLength");
    return apply(concat, parts[0], parts.slice(1));
  }));
}

// Typed arrays and buffers: the bytes a constructor or from() would allocate, checked first.
const BufferCtor = ArrayBuffer;
function checkBytes(what, n) { if (n > L.maxBuffer) throw new RangeError(what + " would allocate " + n + " bytes, over the limit of " + L.maxBuffer + " (Limits.MaxBufferBytes)"); }
{
  const G = new Proxy(BufferCtor, {
    construct(target, args, newTarget) {
      checkBytes("new ArrayBuffer", toLength(args[0]));
      if (args.length > 1 && args[1] !== null && typeof args[1] === "object") checkBytes("new ArrayBuffer", toLength(args[1].maxByteLength));
      return construct(target, args, newTarget === G ? target : newTarget);
    },
  });
  // Reached as buffer.constructor too, and by the species lookups of slice.
  defineProp(BufferCtor.prototype, "constructor", { value: G, writable: true, enumerable: false, configurable: true });
  put(globalThis, "ArrayBuffer", G);
}
const TypedArray = Object.getPrototypeOf(Int8Array), TAP = TypedArray.prototype;
// typedSource is a typed array constructor's or from()'s source, checked: a count, a buffer or typed
// array (already allocated), a plain array, or else a plain array made of it here (stepping an
// iterator in JS, or copying an array-like), so the built-in never meets a length it could re-read.
function typedSource(what, src, size) {
  const max = floor(L.maxBuffer / size);
  if (src === null || typeof src !== "object") { checkBytes(what, toLength(src) * size); return src; }
  if (!isProxy(src) && (src instanceof BufferCtor || ArrayBuffer.isView(src))) return src;
  if (isArray(src) && !isProxy(src)) { checkBytes(what, src.length * size); return src; }
  const it = src[Symbol.iterator];
  if (it === undefined || it === null) return copyOf(what, src, max, "MaxBufferBytes");
  const out = [];
  for (const v of { [Symbol.iterator]: () => apply(it, src, []) }) {
    if (out.length >= max) throw over(what, out.length + 1, max, "MaxBufferBytes");
    out[out.length] = v;
  }
  return out;
}
for (const name of L.typedArrays) {
  const T = globalThis[name], size = T.BYTES_PER_ELEMENT;
  const G = new Proxy(T, {
    construct(target, args, newTarget) {
      const a = args.slice();
      if (a.length > 0) a[0] = typedSource("new " + name, a[0], size);
      return construct(target, a, newTarget === G ? target : newTarget);
    },
  });
  defineProp(T.prototype, "constructor", { value: G, writable: true, enumerable: false, configurable: true });
  put(globalThis, name, G);
}
{
  const from = TypedArray.from;
  put(TypedArray, "from", named("from", 1, function (src, fn, thisArg) {
    const size = (this && this.BYTES_PER_ELEMENT) || 8;
    return apply(from, this, [typedSource("TypedArray.from", src, size), fn, thisArg]);
  }));
  for (const m of ["sort", "toSorted"]) {
    const orig = TAP[m];
    put(TAP, m, named(m, 1, function (cmp) {
      return orig.call(this, cmp === undefined && this != null && this.length > sortInGo ? byNumber : cmp);
    }));
  }
  // join and its callers: the digits of every element and the separators, bounded up front.
  for (const m of ["join", "toLocaleString", "toString"]) {
    const orig = TAP[m];
    put(TAP, m, named(m, m === "join" ? 1 : 0, function (sep) {
      const n = toLength(this && this.length), s = m === "join" && sep !== undefined ? String(sep).length : 1;
      const est = n * 25 + Math.max(0, n - 1) * s; // at most 25 characters an element
      if (est > L.maxString) throw overString("TypedArray.prototype." + m, est);
      return apply(orig, this, arguments);
    }));
  }
}

// Strings.
{
  const raw = String.raw;
  put(String, "raw", named("raw", 1, function (strings, ...subs) {
    const cooked = Object(strings), pieces = copyOf("String.raw", cooked.raw, L.maxArray, "MaxArrayLength");
    let n = 0;
    for (let i = 0; i < pieces.length; i++) {
      n += String(pieces[i] === undefined ? "" : pieces[i]).length;
      if (i + 1 < pieces.length && i < subs.length) n += String(subs[i]).length;
      if (n > L.maxString) throw overString("String.raw", n);
    }
    return apply(raw, undefined, [{ raw: pieces }, ...subs]);
  }));
  const concat = SP.concat;
  put(SP, "concat", named("concat", 1, function (...parts) {
    const self = String(this);
    let n = self.length;
    for (let i = 0; i < parts.length; i++) { parts[i] = String(parts[i]); n += parts[i].length; }
    if (n > L.maxString) throw overString("String.prototype.concat", n);
    return apply(concat, self, parts);
  }));
  const split = SP.split;
  put(SP, "split", named("split", 2, function (sep, limit) {
    const self = this === null || this === undefined ? this : String(this);
    const lim = limit === undefined ? 2 ** 32 - 1 : toLength(limit);
    if (self != null && self.length >= L.maxArray && lim >= L.maxArray && !(typeof sep === "string" && sep.length > 0))
      throw over("String.prototype.split", self.length, L.maxArray, "MaxArrayLength");
    return split.call(self, sep, limit);
  }));
  // A string's iterator: spread ([...s], f(...s)) and Array.from step through it in one Go call,
  // a microsecond a character, so a 16 MiB string would run for seconds past the timeout.
  const stringIterator = SP[Symbol.iterator];
  put(SP, Symbol.iterator, named("[Symbol.iterator]", 0, function () {
    const self = this === null || this === undefined ? this : String(this);
    if (self != null && self.length > L.maxArray)
      throw over("String.prototype[Symbol.iterator]", self.length, L.maxArray, "MaxArrayLength");
    return stringIterator.call(self);
  }));
  // replace and replaceAll, and the RegExp method they call: a replacement pattern ($&, $1, the
  // prefix, the suffix) can make each match as long as the string, so the result's length is worked
  // out before it is built when it could be too long.
  const guardReplace = (obj, key, what, self) => {
    const orig = obj[key];
    put(obj, key, named(typeof key === "symbol" ? "[Symbol.replace]" : key, 2, function (a, b) {
      // For String.prototype methods the string is this and the pattern a; for the RegExp one, the
      // string is a and the regexp this.
      const str = self(this, a);
      if (str == null) return apply(orig, this, arguments);
      const replacement = b, call = (rep) => apply(orig, this, [a, rep]);
      if (typeof replacement === "function") {
        let n = str.length;
        return call(function (...args) {
          const r = String(apply(replacement, undefined, args));
          n += r.length;
          if (n > L.maxString) throw overString(what, n);
          return r;
        });
      }
      const rep = String(replacement);
      const dollars = rep.split("$").length - 1;
      // Each match adds at most the replacement plus, per $, the whole string.
      const bound = str.length + (str.length + 1) * (rep.length + dollars * str.length);
      if (bound > L.maxString) {
        const shape = substitution(rep);
        let n = str.length;
        call(function (match, ...rest) {
          const named = typeof rest[rest.length - 1] === "object" ? rest.pop() : undefined;
          const pos = rest[rest.length - 2];
          n += shape(match, pos, str.length, rest, named) - match.length;
          if (n > L.maxString) throw overString(what, n);
          return "";
        });
      }
      return call(rep);
    }));
  };
  const thisString = (self) => self === null || self === undefined ? self : String(self);
  guardReplace(SP, "replace", "String.prototype.replace", thisString);
  guardReplace(SP, "replaceAll", "String.prototype.replaceAll", thisString);
  guardReplace(RegExp.prototype, Symbol.replace, "RegExp.prototype[Symbol.replace]", (self, a) => String(a));
  const rsplit = RegExp.prototype[Symbol.split];
  put(RegExp.prototype, Symbol.split, named("[Symbol.split]", 2, function (str, limit) {
    const s = String(str), lim = limit === undefined ? 2 ** 32 - 1 : toLength(limit);
    if (s.length >= L.maxArray && lim >= L.maxArray) throw over("RegExp.prototype[Symbol.split]", s.length, L.maxArray, "MaxArrayLength");
    return apply(rsplit, this, [s, limit]);
  }));
}
// substitution reads a replacement pattern once and gives the length of its expansion
// (GetSubstitution) for one match: literal characters, plus so many times the match, the prefix,
// the suffix, and each group.
function substitution(rep) {
  let lit = 0, amp = 0, pre = 0, suf = 0;
  const groups = new Map(), names = new Map();
  for (let i = 0; i < rep.length; i++) {
    if (rep[i] !== "$" || i + 1 >= rep.length) { lit++; continue; }
    const c = rep[i + 1];
    if (c === "$") { lit++; i++; }
    else if (c === "&") { amp++; i++; }
    else if (c === "\x60") { pre++; i++; }
    else if (c === "'") { suf++; i++; }
    else if (c >= "0" && c <= "9") {
      const c2 = rep[i + 2], two = c2 >= "0" && c2 <= "9" ? rep.slice(i + 1, i + 3) : "";
      groups.set(rep.slice(i + 1, i + 2), (groups.get(rep.slice(i + 1, i + 2)) || 0) + 1);
      if (two !== "") groups.set(two, (groups.get(two) || 0) + 1); // either reading: an upper bound
      lit += 3; i += two !== "" ? 2 : 1;
    } else if (c === "<") {
      const end = rep.indexOf(">", i);
      if (end < 0) { lit++; continue; }
      const name = rep.slice(i + 2, end);
      names.set(name, (names.get(name) || 0) + 1);
      lit += end - i + 1; i = end;
    } else lit++;
  }
  return function (match, pos, strLen, captures, named) {
    let n = lit + amp * match.length + pre * pos + suf * Math.max(0, strLen - pos - match.length);
    for (const [k, times] of groups) { const g = captures[Number(k) - 1]; if (typeof g === "string") n += times * g.length; }
    if (named !== undefined) for (const [k, times] of names) { const g = named[k]; if (typeof g === "string") n += times * g.length; }
    return n;
  };
}

// JSON.stringify: without a replacer function the whole value is written in one Go call, so it is
// first copied here, in JS: toJSON and getters run once, a shared value is measured once, and the
// size of the text (a shared value once per parent) is known before the text is made.
{
  const stringify = JSON.stringify, toStr = Object.prototype.toString, keys = Object.keys;
  put(JSON, "stringify", named("stringify", 3, function (value, replacer, space) {
    if (typeof replacer === "function") return apply(stringify, JSON, arguments);
    const gap = typeof space === "number" ? min(10, toLength(space)) : typeof space === "string" ? min(10, space.length) : 0;
    const copies = new Map(), sizes = new Map(), busy = new Set();
    let deepest = 0;
    // copy returns the value as JSON.stringify will see it; size(v) is its text's length, nodes included.
    const copy = (v, key, depth) => {
      if (v !== null && typeof v === "object" && typeof v.toJSON === "function") v = v.toJSON(key);
      if (v === null || typeof v !== "object") return v;
      const tag = toStr.call(v);
      if (tag === "[object Number]" || tag === "[object String]" || tag === "[object Boolean]") return v.valueOf();
      if (copies.has(v)) return copies.get(v);
      if (busy.has(v)) throw new TypeError("JSON.stringify: the value is circular");
      if (isProxy(v)) throw new TypeError("JSON.stringify of a Proxy is not available in rule code");
      if (depth > deepest) deepest = depth;
      busy.add(v);
      let out, n = 2;
      if (isArray(v)) {
        if (v.length > L.maxArray) throw over("JSON.stringify", v.length, L.maxArray, "MaxArrayLength");
        out = [];
        for (let i = 0; i < v.length; i++) { out[i] = copy(v[i], String(i), depth + 1); n += size(out[i]) + 1; if (n > L.maxString) throw overString("JSON.stringify", n); }
      } else {
        out = {};
        for (const k of keys(v)) {
          const c = copy(v[k], k, depth + 1);
          if (c === undefined || typeof c === "function" || typeof c === "symbol") continue;
          out[k] = c; n += k.length + 4 + size(c);
          if (n > L.maxString) throw overString("JSON.stringify", n);
        }
      }
      busy.delete(v);
      copies.set(v, out); sizes.set(out, n);
      return out;
    };
    const size = (c) => typeof c === "string" ? c.length + 2 : c !== null && typeof c === "object" ? sizes.get(c) : 24;
    const c = copy(value, "", 0);
    const total = size(c) * (1 + gap * deepest);
    if (total > L.maxString) throw overString("JSON.stringify", total);
    return arguments.length > 1 ? apply(stringify, JSON, [c, replacer, space]) : stringify(c);
  }));
}

// JSON.parse builds the whole value in one Go call: its text is bounded like an input.
{
  const parse = JSON.parse;
  put(JSON, "parse", named("parse", 2, function (text, reviver) {
    const t = String(text);
    if (t.length > L.maxInput) throw new RangeError("JSON.parse of " + t.length + " characters exceeds the limit of " + L.maxInput + " (Limits.MaxInputBytes)");
    return parse(t, reviver);
  }));
}

// apply and construct make a Go slice of the arguments: at most Limits.MaxArguments.
function argList(what, args) {
  if (args === null || args === undefined) return args;
  if (isArray(args) && !isProxy(args)) {
    if (args.length > L.maxArgs) throw over(what, args.length, L.maxArgs, "MaxArguments");
    return args;
  }
  return copyOf(what, args, L.maxArgs, "MaxArguments");
}
{
  const fapply = Function.prototype.apply, rapply = Reflect.apply, rconstruct = Reflect.construct;
  put(Function.prototype, "apply", named("apply", 2, function (thisArg, args) {
    return apply(fapply, this, [thisArg, argList("Function.prototype.apply", args)]);
  }));
  put(Reflect, "apply", named("apply", 3, function (target, thisArg, args) {
    return rapply(target, thisArg, argList("Reflect.apply", args));
  }));
  put(Reflect, "construct", named("construct", 2, function (target, args, newTarget) {
    const a = argList("Reflect.construct", args);
    return arguments.length > 2 ? rconstruct(target, a, newTarget) : rconstruct(target, a);
  }));
}

// Array.from: an array-like is copied (its length read once); an iterable steps in JS.
{
  const from = Array.from;
  put(Array, "from", named("from", 1, function (items, fn, thisArg) {
    let src = items;
    if (items !== null && items !== undefined && !(isArray(items) && !isProxy(items))) {
      const it = Object(items)[Symbol.iterator];
      if (it === undefined || it === null) src = copyOf("Array.from", items, L.maxArray, "MaxArrayLength");
    } else if (isArray(items) && items.length > L.maxArray) throw over("Array.from", items.length, L.maxArray, "MaxArrayLength");
    return from.call(this, src, fn, thisArg);
  }));
}
// The key listers make one string an index of a typed array, in one Go call.
for (const [obj, name] of [[Object, "keys"], [Object, "values"], [Object, "entries"], [Object, "getOwnPropertyNames"],
    [Object, "getOwnPropertyDescriptors"], [Object, "assign"], [Reflect, "ownKeys"]]) {
  const orig = obj[name], what = (obj === Object ? "Object." : "Reflect.") + name;
  put(obj, name, named(name, orig.length, function (...args) {
    for (let i = name === "assign" ? 1 : 0; i < (name === "assign" ? args.length : 1); i++) {
      const o = args[i];
      if (ArrayBuffer.isView(o) && !isProxy(o) && o.length > L.maxArray) throw over(what, o.length, L.maxArray, "MaxArrayLength");
    }
    return apply(orig, obj, args);
  }));
}

// Symbol.for keeps its registry per execution (the runtime's own never shrinks).
put(Symbol, "for", named("for", 1, function (key) { return symbolFor(String(key)); }));
put(Symbol, "keyFor", named("keyFor", 1, function (sym) {
  if (typeof sym !== "symbol") throw new TypeError(String(sym) + " is not a symbol");
  return symbolKeyFor(sym);
}));

// BigInt: Kubus numbers are doubles, and one BigInt operation (3n ** BigInt(1e9)) runs unbounded
// in Go. The loader refuses BigInt literals; these are the other ways to make one.
for (const name of ["BigInt", "BigInt64Array", "BigUint64Array"]) delete globalThis[name];
for (const m of ["getBigInt64", "getBigUint64", "setBigInt64", "setBigUint64"]) delete DataView.prototype[m];
})`

var (
	intrinsicGuardsOnce sync.Once
	intrinsicGuardsProg *goja.Program
	proxyType           = reflect.TypeOf(goja.Proxy{})
)

// symbolRegistry is Symbol.for's registry for one execution.
type symbolRegistry struct {
	byKey map[string]*goja.Symbol
	keys  map[*goja.Symbol]string
}

func installIntrinsicGuards(h *builtins.Host, l Limits) error {
	intrinsicGuardsOnce.Do(func() {
		intrinsicGuardsProg = goja.MustCompile("kubus:intrinsic-guards", intrinsicGuardsSource, true)
	})
	vm := h.VM
	fn, err := vm.RunProgram(intrinsicGuardsProg)
	if err != nil {
		return err
	}
	install, _ := goja.AssertFunction(fn)
	limits := vm.NewObject()
	for k, v := range map[string]any{
		"maxString": l.MaxStringLength, "maxArray": l.MaxArrayLength, "maxBuffer": l.MaxBufferBytes,
		"maxArgs": l.MaxArguments, "maxInput": l.MaxInputBytes, "arrayMethods": arrayMethodsByLength, "typedArrays": typedArrayNames,
	} {
		_ = limits.Set(k, v)
	}
	isProxy := func(call goja.FunctionCall) goja.Value {
		o, ok := call.Argument(0).(*goja.Object)
		return vm.ToValue(ok && o.ExportType() == proxyType)
	}
	var memo builtins.ExecMemo[*symbolRegistry]
	registry := func() *symbolRegistry {
		e := h.Exec()
		if e == nil { // setting up the runtime: a registry that is not kept
			return &symbolRegistry{byKey: map[string]*goja.Symbol{}, keys: map[*goja.Symbol]string{}}
		}
		return memo.Get(e, func() *symbolRegistry {
			return &symbolRegistry{byKey: map[string]*goja.Symbol{}, keys: map[*goja.Symbol]string{}}
		})
	}
	symbolFor := h.Func("Symbol.for", func(call goja.FunctionCall) goja.Value {
		key := call.Argument(0).String()
		reg := registry()
		if s, ok := reg.byKey[key]; ok {
			return s
		}
		if len(reg.byKey) >= l.MaxSymbols {
			panic(rangeError(vm, fmt.Sprintf("Symbol.for: more than %d registered symbols in one execution (Limits.MaxSymbols)", l.MaxSymbols)))
		}
		s := goja.NewSymbol(key)
		reg.byKey[key], reg.keys[s] = s, key
		return s
	})
	symbolKeyFor := h.Func("Symbol.keyFor", func(call goja.FunctionCall) goja.Value {
		s, _ := call.Argument(0).(*goja.Symbol)
		if key, ok := registry().keys[s]; ok {
			return vm.ToValue(key)
		}
		return goja.Undefined()
	})
	_, err = install(goja.Undefined(), limits, vm.ToValue(isProxy), symbolFor, symbolKeyFor)
	return err
}
