// Unit tests of src/internal/: the codec, the serializer, errors on the wire,
// functions by reference, built-ins and the package's own URLs.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  cloneError,
  decode,
  decodeLoaded,
  describe,
  encode,
  findUncloneable,
  registerShared,
  SHARE,
  type SharedHandle,
} from "../../src/internal/_codec.ts";
import { deserialize, jsonExact, ownPayload, serialize, Tag } from "../../src/internal/_serializer.ts";
import { errorFromData, errorToData, ExitSignal } from "../../src/internal/_error_wire.ts";
import { builtinAt, dataToFunction, functionToData } from "../../src/internal/_function_ref.ts";
import { builtinPath } from "../../src/internal/_builtins.ts";
import { MODULE_EXT, PACKAGE_SRC, packageModule } from "../../src/internal/_package_url.ts";
import { EOFError, ProcessError, RemoteError, TimeoutError } from "../../src/internal/errors.ts";
import { FixtureError, halve, triple } from "./fixtures/codec_targets.ts";

/** A shared object of the tests' own, travelling as a handle holding its buffer. */
class Cell {
  constructor(readonly buf: SharedArrayBuffer, readonly inner?: Cell) {}
  [SHARE](): SharedHandle {
    return { type: "UnitCell", module: import.meta.url, state: { buf: this.buf, inner: this.inner } };
  }
}
registerShared("UnitCell", (s) => {
  const { buf, inner } = s as { buf: SharedArrayBuffer; inner?: Cell };
  return new Cell(buf, inner);
});

// ---------------------------------------------------------------------------------- _codec

test("codec: a shared object inside a value travels as a handle and is rebuilt over the same memory", async () => {
  const buf = new SharedArrayBuffer(8);
  const cell = new Cell(buf);
  const value = { a: [1, cell], m: new Map([["k", cell]]), s: new Set([cell]), n: 5 };
  const wire = structuredClone(encode(value));
  const back = await decode(wire) as typeof value;
  const got = back.a[1] as Cell;
  assert.ok(got instanceof Cell);
  assert.equal(back.m.get("k"), got, "one object stays one object");
  assert.ok(back.s.has(got));
  assert.equal(back.n, 5);
  new Int32Array(got.buf)[0] = 42;
  assert.equal(new Int32Array(buf)[0], 42, "the rebuilt object shares the buffer");
});

test("codec: handles nested inside handles' state are rebuilt too", () => {
  const outer = new Cell(new SharedArrayBuffer(4), new Cell(new SharedArrayBuffer(4)));
  const back = decodeLoaded(structuredClone(encode(outer))) as Cell;
  assert.ok(back instanceof Cell && back.inner instanceof Cell);
});

test("codec: encode copies only the paths that hold a shared object, and leaves the input as is", () => {
  const plain = { x: [1, 2], y: { z: "s" } };
  assert.equal(encode(plain), plain, "nothing to replace: the same object");
  const cell = new Cell(new SharedArrayBuffer(4));
  const input = { keep: plain, arr: [0, cell] };
  const out = encode(input) as typeof input;
  assert.notEqual(out, input);
  assert.equal(out.keep, plain, "an untouched branch is shared");
  assert.equal(input.arr[1], cell, "the input is not modified");
  assert.notEqual(out.arr[1], cell);
  for (const v of [1, "s", null, undefined, true, 10n]) assert.equal(encode(v), v);
  const bytes = new Uint8Array(3);
  assert.equal(encode(bytes), bytes);
});

test("codec: cycles survive encode/clone/decode", () => {
  const arr: unknown[] = [1];
  arr.push(arr);
  const a2 = decodeLoaded(structuredClone(encode(arr))) as unknown[];
  assert.equal(a2[1], a2);
  const cell = new Cell(new SharedArrayBuffer(4));
  const back = decodeLoaded(structuredClone(encode({ cells: [cell, cell] }))) as { cells: Cell[] };
  assert.ok(back.cells[0] instanceof Cell);
  assert.equal(back.cells[0], back.cells[1], "one shared object stays one");
});

test(
  "codec: a cycle back to an object that encode copied keeps pointing at the copy",
  () => {
    const cyclic: Record<string, unknown> = { name: "root" };
    cyclic.self = cyclic;
    cyclic.cells = [new Cell(new SharedArrayBuffer(4))];
    const out = encode(cyclic) as Record<string, unknown>;
    assert.equal(out.self, out, "the encoded copy's back-reference is the copy, not the input");
    const back = decodeLoaded(structuredClone(out)) as Record<string, unknown>;
    assert.equal(back.self, back);
    assert.ok(((back.self as Record<string, unknown>).cells as unknown[])[0] instanceof Cell);
  },
);

test("codec: Map keys and Set members that are shared objects are rebuilt", () => {
  const cell = new Cell(new SharedArrayBuffer(4));
  const back = decodeLoaded(structuredClone(encode(new Map([[cell, "v"]])))) as Map<unknown, string>;
  const [k] = back.keys();
  assert.ok(k instanceof Cell);
  assert.equal(back.get(k), "v");
});

test("codec: an unregistered type names itself and its module", () => {
  const wire = { __mp_shared__: { type: "NoSuchType", module: "file:///nowhere.ts", state: null } };
  assert.throws(
    () => decodeLoaded(wire),
    (e: Error) => e instanceof ProcessError && /NoSuchType/.test(e.message) && /nowhere\.ts/.test(e.message),
  );
});

test("codec: exported functions and built-ins travel by reference inside values", async () => {
  const value = { f: triple, g: halve, b: Math.sqrt, s: String, list: [JSON.stringify] };
  const wire = structuredClone(encode(value));
  const back = await decode(wire) as typeof value;
  assert.equal(back.f, triple);
  assert.equal(back.g, halve);
  assert.equal(back.b, Math.sqrt);
  assert.equal(back.s, String);
  assert.equal(back.list[0], JSON.stringify);
  assert.equal(decodeLoaded(structuredClone(encode(triple))), triple);
});

test("codec: a lambda stays a function, so that sending it fails naming it", () => {
  const lambda = (x: number) => x + 1;
  const out = encode({ cb: lambda }) as { cb: unknown };
  assert.equal(out.cb, lambda);
  assert.throws(() => structuredClone(out));
});

test("codec: findUncloneable gives the path of the part that does not clone", () => {
  assert.equal(findUncloneable({ a: 1, b: [1, 2] }, "args"), null);
  assert.equal(findUncloneable([1, { cb: () => 0 }], "args"), "args[1].cb");
  assert.equal(findUncloneable({ deep: { list: [0, 0, Symbol("x")] } }, "v"), "v.deep.list[2]");
  assert.equal(findUncloneable(() => 0, "target"), "target");
  // Inside a Map or Set, the path stops at the container.
  assert.equal(findUncloneable({ m: new Map([["k", () => 0]]) }, "x"), "x.m");
});

test("codec: describe names functions, symbols, objects and primitives", () => {
  assert.equal(describe(function named() {}), "function named");
  assert.equal(describe(() => 0), "function (anonymous)");
  assert.equal(describe(Symbol("s")), "Symbol(s)");
  assert.equal(describe(new Map()), "Map");
  assert.equal(describe(Object.create(null)), "object");
  assert.equal(describe(1), "number");
  assert.equal(describe(undefined), "undefined");
});

test("codec: cloneError names the argument, the path and the culprit, keeping the cause", () => {
  const cause = new Error("DataCloneError");
  function handler() {}
  const e = cloneError({ "argument 0": 1, "argument 1": { cb: handler } }, "the child", cause);
  assert.ok(e instanceof ProcessError);
  assert.match(e.message, /^Cannot send argument 1\.cb \(function handler\) to the child: /);
  assert.match(e.message, /by reference only/);
  assert.equal(e.cause, cause);
  const sym = cloneError({ item: [0, Symbol("q")] }, "the queue", cause);
  assert.match(
    sym.message,
    /^Cannot send item\[1\] \(Symbol\(q\)\) to the queue: only structured-cloneable/,
  );
  const none = cloneError({ item: 1 }, "the queue", "odd");
  assert.equal(none.message, "Cannot send data to the queue: odd");
});

test("codec: cloneError does not blame an exported function, which travels by reference", () => {
  function lambda() {}
  const e = cloneError({ args: [triple, lambda] }, "the pool", new Error("x"));
  assert.match(e.message, /^Cannot send args\[1\] \(function lambda\)/);
});

// ----------------------------------------------------------------------------- _serializer

function roundTrip(item: unknown): unknown {
  const p = serialize(item, "the test");
  return deserialize(p.tag, ownPayload(p).bytes);
}

test("serializer: primitives take their tags and round trip exactly", () => {
  assert.equal(serialize(undefined, "t").tag, Tag.Undefined);
  assert.equal(serialize(null, "t").tag, Tag.Null);
  assert.equal(serialize(true, "t").tag, Tag.True);
  assert.equal(serialize(false, "t").tag, Tag.False);
  assert.equal(serialize(1.5, "t").tag, Tag.Number);
  assert.equal(serialize("abc", "t").tag, Tag.String);
  assert.equal(serialize({ a: 1 }, "t").tag, Tag.Json);
  assert.equal(serialize(new Uint8Array([1]), "t").tag, Tag.Bytes);
  assert.equal(serialize(new Date(0), "t").tag, Tag.ExtJson, "beyond JSON: extended JSON");
  assert.equal(
    serialize(new (class Point {})(), "t").tag,
    Tag.Structured,
    "class instances: structured clone",
  );
  for (const v of [undefined, null, true, false, 0, 1.5, -1e308, 2 ** 53 + 2, Infinity, -Infinity]) {
    assert.ok(Object.is(roundTrip(v), v), String(v));
  }
  assert.ok(Object.is(roundTrip(-0), -0), "-0 stays -0");
  assert.ok(Number.isNaN(roundTrip(NaN)));
});

test("serializer: strings: empty, unicode, lone surrogates, and strings larger than the scratch buffer", () => {
  for (
    const s of ["", "é€𝄞 日本", "\u0000nul", "a".repeat(21_845), "ü".repeat(30_000), "x".repeat(1 << 20)]
  ) {
    assert.equal(roundTrip(s), s);
  }
  const lone = "a\uD800b\uDFFF";
  const p = serialize(lone, "t");
  assert.equal(p.tag, Tag.Structured, "a lone surrogate does not go through UTF-8");
  assert.equal(roundTrip(lone), lone);
});

test("serializer: values as structured clone delivers them", () => {
  const sparse = [1, , 3]; // deliberately sparse
  const backSparse = roundTrip(sparse) as unknown[];
  assert.equal(backSparse.length, 3);
  assert.equal(1 in backSparse, false, "the hole stays a hole");
  const proto = JSON.parse('{"__proto__": {"polluted": 1}, "x": 2}');
  const backProto = roundTrip(proto) as Record<string, unknown>;
  assert.ok(Object.hasOwn(backProto, "__proto__"), "__proto__ stays an own key");
  assert.equal(Object.getPrototypeOf(backProto), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(backProto, "__proto__")?.value, { polluted: 1 });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const date = new Date(1_700_000_000_123);
  assert.equal((roundTrip(date) as Date).getTime(), date.getTime());
  const nested = { a: undefined, b: [undefined, null], c: { d: NaN, e: -0 }, f: 10n };
  const backNested = roundTrip(nested) as typeof nested;
  assert.ok(Object.hasOwn(backNested, "a"), "an undefined property stays");
  assert.deepEqual(backNested, nested);
  const map = new Map<unknown, unknown>([[1, "one"], ["k", { v: [1] }]]);
  assert.deepEqual(roundTrip(map), map);
  assert.deepEqual(roundTrip(new Set([1, "a", null])), new Set([1, "a", null]));
  const re = roundTrip(/a+b/gi) as RegExp;
  assert.equal(re.source, "a+b");
  assert.equal(re.flags, "gi");
  const nullProto = Object.assign(Object.create(null), { a: 1 });
  assert.deepEqual({ ...(roundTrip(nullProto) as object) }, { a: 1 });
  const deep: Record<string, unknown> = {};
  let at = deep;
  for (let i = 0; i < 40; i++) at = (at.n = {}) as Record<string, unknown>;
  assert.deepEqual(roundTrip(deep), deep);
  const cyc: Record<string, unknown> = {};
  cyc.me = cyc;
  const backCyc = roundTrip(cyc) as Record<string, unknown>;
  assert.equal(backCyc.me, backCyc);
  const err = roundTrip(new RangeError("bad")) as Error;
  assert.ok(err instanceof RangeError);
  assert.equal(err.message, "bad");
});

test("serializer: jsonExact accepts only what JSON carries exactly", () => {
  assert.equal(jsonExact({ a: [1, "s", true, null, { b: 2 }] }, 0), true);
  for (const v of [undefined, NaN, Infinity, -0, 1n, new Date(0), [undefined], { a: undefined }, new Map()]) {
    assert.equal(jsonExact(v, 0), false, String(v));
  }
  class Point {
    x = 1;
  }
  assert.equal(jsonExact(new Point(), 0), false, "a class instance is not plain");
  assert.equal(jsonExact(Object.assign(Object.create(null), { a: 1 }), 0), true);
});

test("serializer: bytes: a Uint8Array arrives as a copy; a view of shared memory is refused", () => {
  const src = new Uint8Array([1, 2, 3]);
  const p = serialize(src, "t");
  src[0] = 9;
  assert.deepEqual([...p.bytes], [1, 2, 3], "copied at serialize time");
  const shared = new Uint8Array(new SharedArrayBuffer(4));
  const fromShared = deserialize(Tag.Bytes, shared) as Uint8Array;
  assert.ok(fromShared.buffer instanceof ArrayBuffer, "a view of shared memory is copied out");
  assert.throws(
    () => serialize(shared, "the queue"),
    (e: Error) =>
      e instanceof ProcessError &&
      /^Cannot send item \(Uint8Array over a SharedArrayBuffer\) to the queue/.test(e.message),
  );
  assert.throws(
    () => serialize({ list: [new SharedArrayBuffer(1)] }, "the pipe"),
    /Cannot send item\.list\[0\] \(SharedArrayBuffer\) to the pipe/,
  );
  assert.throws(
    () => serialize(new Map([["key", new Cell(new SharedArrayBuffer(1))]]), "the queue"),
    /Cannot send item\.get\(key\) \(Cell\) to the queue: shared objects of this package/,
  );
});

test("serializer: scratch payloads are reused by the next serialize; ownPayload copies them", () => {
  const a = serialize("first", "t");
  assert.equal(a.scratch, true);
  const owned = ownPayload(a);
  assert.notEqual(owned.bytes.buffer, a.bytes.buffer);
  serialize("SECOND", "t");
  assert.equal(deserialize(owned.tag, owned.bytes), "first");
  assert.notEqual(deserialize(a.tag, a.bytes), "first", "the scratch view was overwritten");
  const n = serialize(7, "t");
  const ownedN = ownPayload(n);
  serialize(8, "t");
  assert.equal(deserialize(ownedN.tag, ownedN.bytes), 7);
  const bytes = serialize(new Uint8Array([1]), "t");
  assert.equal(ownPayload(bytes), bytes, "a payload with its own bytes is returned as is");
});

test("serializer: functions by reference (Encoded), lambdas refused naming the path", () => {
  const p = serialize({ f: triple, b: Math.max }, "t");
  assert.equal(p.tag, Tag.Encoded);
  const back = deserialize(p.tag, p.bytes) as { f: unknown; b: unknown };
  assert.equal(back.f, triple);
  assert.equal(back.b, Math.max);
  function notExported() {}
  assert.throws(
    () => serialize([1, { job: notExported }], "the queue"),
    (e: Error) =>
      e instanceof ProcessError && /^Cannot send item\[1\]\.job \(function notExported\) to the queue/
        .test(e.message),
  );
  assert.throws(
    () => serialize(Symbol("s"), "the queue"),
    /Cannot send item \(Symbol\(s\)\) to the queue/,
  );
});

test("serializer: an unknown tag is a corrupt item", () => {
  assert.throws(
    () => deserialize(99, new Uint8Array(0)),
    (e: Error) => e instanceof ProcessError && /unknown tag 99/.test(e.message),
  );
});

// ----------------------------------------------------------------------------- _error_wire

function travel(e: unknown): Error {
  return errorFromData(decodeLoaded(structuredClone(encode(errorToData(e)))) as never);
}

test("error wire: built-in and package classes keep class, name, message and a RemoteError cause", () => {
  for (const e of [new TypeError("t"), new RangeError("r"), new TimeoutError("late"), new EOFError("eof")]) {
    const back = travel(e);
    assert.equal(back.constructor, e.constructor);
    assert.equal(back.name, e.name);
    assert.equal(back.message, e.message);
    assert.ok(back.cause instanceof RemoteError);
    assert.match((back.cause as Error).message, new RegExp(`^${e.name}: ${e.message}`));
  }
});

test("error wire: own cloneable props travel; uncloneable ones and the cause stay behind", () => {
  const e = Object.assign(new Error("with props"), { code: "E_X", info: { n: 1 }, fn: () => 0 });
  (e as Error).cause = new Error("inner");
  const data = errorToData(e);
  assert.deepEqual(data.props, { code: "E_X", info: { n: 1 } });
  const back = travel(e) as Error & { code?: string; info?: unknown };
  assert.equal(back.code, "E_X");
  assert.deepEqual(back.info, { n: 1 });
  assert.ok(back.cause instanceof RemoteError, "the cause is the remote stack");
});

test("error wire: an exported error class travels by reference; an unexported one keeps its name", () => {
  const back = travel(new FixtureError("custom", 7)) as FixtureError;
  assert.ok(back instanceof FixtureError, "same class");
  assert.equal(back.name, "FixtureError");
  assert.equal(back.message, "custom");
  assert.equal(back.extra, 7, "own props travel");
  class Hidden extends Error {
    override name = "Hidden";
  }
  const hidden = travel(new Hidden("h"));
  assert.equal(hidden.constructor, Error);
  assert.equal(hidden.name, "Hidden");
  assert.equal(hidden.message, "h");
});

test("error wire: thrown non-errors become Errors with their text", () => {
  assert.deepEqual(errorToData("plain"), { name: "Error", message: "plain", stack: "Uncaught plain" });
  assert.equal(errorToData(42).message, "42");
  assert.equal(errorToData(Object.create(null)).message, "[object Object]");
  const back = errorFromData(errorToData(undefined));
  assert.ok(back instanceof Error);
  assert.equal(back.message, "undefined");
});

test("error wire: ExitSignal carries its code", () => {
  const s = new ExitSignal(3);
  assert.equal(s.code, 3);
  assert.equal(s.name, "ExitSignal");
  assert.equal(s.message, "process exit with code 3");
});

// ---------------------------------------------------------------------- _function_ref / _builtins

test("builtins: well-known built-ins by path, both ways", () => {
  const cases: [unknown, string][] = [
    [Math.sqrt, "Math.sqrt"],
    [JSON.stringify, "JSON.stringify"],
    [String, "String"],
    [parseInt, "parseInt"],
    [Array.prototype.join, "Array.prototype.join"],
    [Object.keys, "Object.keys"],
  ];
  for (const [fn, path] of cases) {
    assert.equal(builtinPath(fn), path);
    assert.equal(builtinAt(path), fn);
    assert.deepEqual(functionToData(fn as () => unknown), {
      builtin: path,
      name: (fn as () => unknown).name,
    });
    assert.equal(dataToFunction({ builtin: path, name: "" }), fn);
  }
  assert.equal(builtinPath(() => 0), undefined);
  assert.equal(builtinPath(triple), undefined);
  assert.throws(
    () => builtinAt("Math.noSuchThing"),
    (e: Error) => e instanceof ProcessError && /built-in function Math\.noSuchThing/.test(e.message),
  );
});

test("function ref: an export is found by name with a source check, and found again", () => {
  const data = functionToData(triple);
  assert.ok(data && "module" in data);
  assert.equal(data.name, "triple");
  assert.match(data.module, /fixtures\/codec_targets\.ts$/);
  assert.equal(data.check, Function.prototype.toString.call(triple));
  assert.equal(dataToFunction(data), triple);
  assert.equal(functionToData(() => 0), null, "a lambda has no reference");
});

test("function ref: an export that is a different function, or a module that cannot load, is refused", () => {
  const data = functionToData(triple)!;
  assert.ok("module" in data);
  const wrongCheck = { module: data.module, name: "default", check: "function other() {}" };
  assert.throws(
    () => dataToFunction(wrongCheck),
    (e: Error) =>
      e instanceof ProcessError && /"default" \(an export of .*codec_targets\.ts\)/.test(e.message),
  );
  const missing = { module: new URL("./fixtures/no_such_module.ts", import.meta.url).href, name: "f" };
  assert.throws(() => dataToFunction(missing), /The function "f" \(an export of .*no_such_module\.ts\)/);
  const moved = { module: missing.module, name: "triple", more: [{ module: data.module, name: "triple" }] };
  assert.equal(dataToFunction(moved), triple, "the next candidate is tried");
});

// --------------------------------------------------------------------------- _package_url

test("package url: the package's modules in the form it was loaded in", () => {
  assert.equal(MODULE_EXT, ".ts");
  assert.ok(PACKAGE_SRC.endsWith("/src/"));
  assert.equal(PACKAGE_SRC, new URL("../../src/", import.meta.url).href);
  assert.equal(
    packageModule("process/_bootstrap").href,
    new URL("../../src/process/_bootstrap.ts", import.meta.url).href,
  );
  assert.equal(packageModule("../mod").href, new URL("../../mod.ts", import.meta.url).href);
});
