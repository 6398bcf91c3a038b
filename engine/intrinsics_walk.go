package engine

// intrinsicWalkerSource lists every function reachable from goja's intrinsics, as paths such as
// "Array.prototype.indexOf" or "%TypedArray%.prototype.fill", for the registry test. The hidden
// intrinsics are named as the specification names them.
const intrinsicWalkerSource = `(function () {
const getProto = Object.getPrototypeOf, ownKeys = Reflect.ownKeys, getDesc = Object.getOwnPropertyDescriptor;
const gen = function* () {};
const roots = [
  ["%TypedArray%", getProto(Int8Array)],
  ["%ArrayIteratorPrototype%", getProto([][Symbol.iterator]())],
  ["%IteratorPrototype%", getProto(getProto([][Symbol.iterator]()))],
  ["%MapIteratorPrototype%", getProto(new Map()[Symbol.iterator]())],
  ["%SetIteratorPrototype%", getProto(new Set()[Symbol.iterator]())],
  ["%StringIteratorPrototype%", getProto(""[Symbol.iterator]())],
  ["%RegExpStringIteratorPrototype%", getProto(/x/[Symbol.matchAll](""))],
  ["%GeneratorFunction.prototype%", getProto(gen)],
  ["%GeneratorPrototype%", getProto(gen.prototype)],
  ["%AsyncFunction.prototype%", getProto(async function () {})],
];
for (const k of ownKeys(globalThis)) {
  if (typeof k === "string" && k !== "globalThis") roots.push([k, globalThis[k]]);
}
const seen = new Set(), out = new Set();
const name = (k) => typeof k === "symbol" ? "[" + String(k).slice(7, -1) + "]" : k;
function walk(path, o, depth) {
  if (o === null || (typeof o !== "object" && typeof o !== "function") || seen.has(o) || depth > 3) return;
  seen.add(o);
  if (typeof o === "function") out.add(path);
  for (const k of ownKeys(o)) {
    const d = getDesc(o, k);
    const p = path + "." + name(k);
    if ("value" in d) walk(p, d.value, depth + 1);
    else { if (d.get) { out.add(p + " (get)"); seen.add(d.get); } if (d.set) { out.add(p + " (set)"); seen.add(d.set); } }
  }
}
for (const [p, o] of roots) walk(p, o, 0);
return [...out].sort();
})()`
