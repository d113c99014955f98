// Unit tests of the manager's message codec (src/manager/_codec.ts) and of the
// framing of mp.connection (src/net/wire.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeMessage, decodeRequest, encodeMessage, encodeRequest } from "../../src/manager/_codec.ts";
import { DEFAULT_MAX_MESSAGE_SIZE, frame, FrameReader, FrameTooLarge } from "../../src/net/wire.ts";
import { ownPayload } from "../../src/internal/_serializer.ts";
import { ProcessError } from "../../src/internal/errors.ts";

const BINARY = 101, EXT_JSON = 100, JSON_TAG = 6, REQUEST = 102;

function roundTrip(message: unknown): { tag: number; back: unknown } {
  const p = ownPayload(encodeMessage(message, "the manager"));
  // As the server reads it: from shared memory.
  const shared = new Uint8Array(new SharedArrayBuffer(p.bytes.length));
  shared.set(p.bytes);
  return { tag: p.tag, back: decodeMessage(p.tag, shared) };
}

// -------------------------------------------------------------------------------- _codec

test("manager codec: numbers, short strings and arrays of them take the binary form, exactly", () => {
  const messages: unknown[] = [
    0,
    -0,
    NaN,
    Infinity,
    -Infinity,
    1.5e-300,
    "",
    "set",
    "é€𝄞",
    "a".repeat(33),
    "ü".repeat(40),
    true,
    false,
    null,
    undefined,
    [],
    [1, "key", [undefined, null, true], -0, NaN],
    [7, 0, 123456, 9, "set", ["key", 1], 0],
  ];
  for (const m of messages) {
    const { tag, back } = roundTrip(m);
    assert.equal(tag, BINARY, String(m));
    assert.deepEqual(back, m);
    if (typeof m === "number") assert.ok(Object.is(back, m), `${m} exactly`);
  }
  const [, , , negZero] = roundTrip([1, "key", [undefined], -0]).back as unknown[];
  assert.ok(Object.is(negZero, -0));
});

test("manager codec: JSON for plain objects, extended JSON for what JSON alone would change", () => {
  assert.equal(roundTrip({ a: 1, b: ["x", null] }).tag, JSON_TAG);
  const extended: unknown[] = [
    { u: undefined },
    { n: NaN, p: Infinity, m: -Infinity, z: -0 },
    { big: 2n ** 70n, neg: -5n },
    10n,
    [1n],
    new Map<unknown, unknown>([[1, "one"], ["k", { deep: [undefined] }], [{ obj: 1 }, new Set([1])]]),
    new Set(["a", 1, null, undefined]),
    new Date(1_700_000_000_123),
    { when: new Date(0), list: [new Map()] },
  ];
  for (const [i, m] of extended.entries()) {
    const { tag, back } = roundTrip(m);
    assert.equal(tag, EXT_JSON, `message ${i}`);
    assert.deepEqual(back, m);
  }
  const nullProto = roundTrip(Object.assign(Object.create(null), { a: undefined })).back as object;
  assert.deepEqual({ ...nullProto }, { a: undefined }, "a null-prototype object arrives plain, as cloned");
  const { back } = roundTrip({ n: NaN, z: -0, u: undefined }) as { back: Record<string, unknown> };
  assert.ok(Number.isNaN(back.n));
  assert.ok(Object.is(back.z, -0));
  assert.ok(Object.hasOwn(back, "u"), "an undefined property stays");
});

test("manager codec: __proto__ is plain data both ways", () => {
  const m = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}');
  const { back } = roundTrip(m) as { back: Record<string, unknown> };
  assert.ok(Object.hasOwn(back, "__proto__"));
  assert.equal(Object.getPrototypeOf(back), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(back, "__proto__")?.value, { polluted: true });
  // Also when the object must be rewritten (an undefined inside it).
  const m2 = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}');
  m2.__proto__.u = undefined; // sets the own "__proto__" property's object, not the prototype
  m2.y = undefined;
  const r2 = roundTrip(m2);
  assert.equal(r2.tag, EXT_JSON);
  const b2 = r2.back as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(b2), Object.prototype, "the prototype was not replaced");
  const own = Object.getOwnPropertyDescriptor(b2, "__proto__")?.value as Record<string, unknown>;
  assert.deepEqual(own, { polluted: true, u: undefined });
  assert.ok(Object.hasOwn(b2, "y"));
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test("manager codec: a user key that looks like a tag, or a class instance, goes through the structured form", () => {
  const lookalike = { "\u0000mp": "u" };
  const r = roundTrip(lookalike);
  assert.notEqual(r.tag, EXT_JSON, "never read back as a tag");
  assert.deepEqual(r.back, lookalike);
  const typed = { data: new Float64Array([1, 2]) };
  assert.deepEqual(roundTrip(typed).back, typed);
  const err = roundTrip(new RangeError("bad")).back as Error;
  assert.ok(err instanceof RangeError);
  assert.equal(err.message, "bad");
  const cyc: Record<string, unknown> = { a: 1 };
  cyc.self = cyc;
  const back = roundTrip(cyc).back as Record<string, unknown>;
  assert.equal(back.self, back);
  class MyMap extends Map<number, number> {}
  assert.ok(!(roundTrip(new MyMap([[1, 2]])).back instanceof MyMap), "as structured clone delivers it");
});

test("manager codec: deep nesting, lone surrogates and big strings", () => {
  let deep: unknown = [1];
  for (let i = 0; i < 20; i++) deep = [deep, "x"];
  assert.deepEqual(roundTrip(deep).back, deep);
  let deeper: unknown = { v: undefined };
  for (let i = 0; i < 100; i++) deeper = { d: deeper };
  assert.deepEqual(roundTrip(deeper).back, deeper);
  for (const s of ["a\uD800b", ["\uDC00"], { k: "\uD800" }]) assert.deepEqual(roundTrip(s).back, s);
  for (const s of ["x".repeat(100_000), ["ü".repeat(30_000), 1], { big: "z".repeat(70_000), u: undefined }]) {
    assert.deepEqual(roundTrip(s).back, s);
  }
});

/** A request encoded, then decoded from shared memory at an offset (as the server reads it). */
function requestRoundTrip(request: unknown[]): { tag: number; back: unknown[] } {
  const p = ownPayload(encodeRequest(request, "the manager"));
  const shared = new Uint8Array(new SharedArrayBuffer(p.bytes.length + 48));
  shared.set(p.bytes, 32);
  return { tag: p.tag, back: decodeRequest(p.tag, shared, 32, p.bytes.length) };
}

test("manager codec: requests take the compact form, and every value comes back exactly", () => {
  const proto = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}');
  const cases: [request: unknown[], compact: boolean][] = [
    [[1, 3, 7, 9, "set", ["key", 1], 0], true],
    [[-2147483648, -1, 2147483647, 0, "", [], 1], true],
    [[5, 0, 1, 2, "m".repeat(64), [0, -0, NaN, Infinity, -Infinity, 1.5e-300, 2 ** 53], 0], true],
    [[
      5,
      0,
      1,
      2,
      "push",
      ["é€𝄞", "", "a".repeat(40), true, false, null, undefined, [[undefined, [null]]]],
      0,
    ], true],
    [[5, 0, 1, 2, "set", ["a\uD800b", "\uDC00"], 0], false], // lone surrogates: not in the binary form
    [[5, 0, 1, 2, "set", [10n, 2n ** 70n], 0], false],
    [[5, 0, 1, 2, "set", ["k", { u: undefined, n: null, nested: { a: [1, { b: -0 }] } }], 0], false],
    [[5, 0, 1, 2, "set", ["k", proto], 0], false],
    [[5, 0, 1, 2, "set", ["k", new RangeError("bad")], 0], false],
    [[5, 0, 1, 2, "m".repeat(65), [], 0], false], // too long a method
    [[5, 0, 1, 2, "métho", [], 0], false], // not ASCII
    [[5, 0, 1, 2 ** 40, "get", [1], 0], false], // an id beyond int32
    [[0.5, 0, 1, 2, "get", [1], 0], false],
  ];
  for (const [i, [request, compact]] of cases.entries()) {
    const { tag, back } = requestRoundTrip(request);
    assert.equal(tag === REQUEST, compact, `request ${i}`);
    assert.deepEqual(back, request, `request ${i}`);
  }
  const numbers = requestRoundTrip([1, 0, 1, 2, "x", [-0, NaN], 0]).back[5] as number[];
  assert.ok(Object.is(numbers[0], -0));
  assert.ok(Number.isNaN(numbers[1]));
  const withUndefined = requestRoundTrip([1, 0, 1, 2, "x", [undefined, null], 0]).back[5] as unknown[];
  assert.equal(withUndefined.length, 2);
  assert.ok(withUndefined[0] === undefined && withUndefined[1] === null);
  const back = requestRoundTrip([5, 0, 1, 2, "set", ["k", proto], 0]).back[5] as unknown[];
  const value = back[1] as Record<string, unknown>;
  assert.ok(Object.hasOwn(value, "__proto__"), "__proto__ stays plain data");
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  const err =
    (requestRoundTrip([5, 0, 1, 2, "set", ["k", new RangeError("bad")], 0]).back[5] as unknown[])[1];
  assert.ok(err instanceof RangeError, "an error keeps its class");
  assert.equal((err as Error).message, "bad");
});

test("manager codec: the server hands out the same string for a method name it has read", () => {
  const names = Array.from({ length: 40 }, (_, i) => `method${i}`);
  for (let round = 0; round < 3; round++) {
    for (const name of names) assert.equal(requestRoundTrip([1, 0, 1, 2, name, [], 0]).back[4], name);
  }
  assert.equal(requestRoundTrip([1, 0, 1, 2, "ab", [], 0]).back[4], "ab");
  assert.equal(requestRoundTrip([1, 0, 1, 2, "ba", [], 0]).back[4], "ba", "same length, other bytes");
  assert.equal(
    requestRoundTrip([1, 0, 1, 2, "abc", [], 0]).back[4],
    "abc",
    "a longer name with the same start",
  );
});

test("manager codec: scratch bytes are valid until the next encoding", () => {
  const p = encodeMessage([1, "first"], "m");
  assert.equal(p.scratch, true);
  const owned = ownPayload(p);
  encodeMessage([2, "second"], "m");
  assert.deepEqual(decodeMessage(owned.tag, owned.bytes), [1, "first"]);
});

test("manager codec: what cannot be sent is refused naming it; corrupt bytes are an error", () => {
  function handler() {}
  assert.throws(
    () => encodeMessage([1, "call", [{ cb: handler }]], "the manager"),
    (e: Error) => e instanceof ProcessError && /^Cannot send .* to the manager/.test(e.message),
  );
  assert.throws(
    () => encodeMessage(Symbol("s"), "the manager"),
    /Symbol\(s\)\) to the manager/,
  );
  assert.throws(
    () => decodeMessage(BINARY, new Uint8Array([42])),
    /Corrupt manager message: unknown value kind 42/,
  );
});

test(
  "manager codec: an invalid Date stays invalid",
  () => {
    const back = roundTrip({ when: new Date(NaN) }).back as { when: Date };
    assert.ok(back.when instanceof Date);
    assert.ok(Number.isNaN(back.when.getTime()), `arrived as ${back.when.toISOString?.call(new Date(0))}`);
  },
);

// --------------------------------------------------------------------------------- wire

function collect(reader: FrameReader, chunks: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const c of chunks) reader.push(c, (f) => out.push(f));
  return out;
}

test("wire: a frame is a 4-byte big-endian length and the bytes", () => {
  assert.deepEqual([...frame(new Uint8Array([9, 8, 7]))], [0, 0, 0, 3, 9, 8, 7]);
  assert.deepEqual([...frame(new Uint8Array(0))], [0, 0, 0, 0]);
  assert.deepEqual(
    [...frame(new Uint8Array([1, 2, 3, 4, 5]), 1, 3)],
    [0, 0, 0, 3, 2, 3, 4],
    "offset and size",
  );
  assert.deepEqual([...frame(new Uint8Array([1, 2, 3]), 2)], [0, 0, 0, 1, 3]);
  const big = frame(new Uint8Array(0x01020304 & 0xffff));
  assert.deepEqual([...big.subarray(0, 4)], [0, 0, 0x03, 0x04]);
  assert.equal(DEFAULT_MAX_MESSAGE_SIZE, 128 * 1024 * 1024);
});

test("wire: the reader cuts a stream into frames however it is chunked", () => {
  const messages = [
    new Uint8Array([1]),
    new Uint8Array(0),
    new Uint8Array(300).fill(5),
    new Uint8Array([2, 3]),
  ];
  const stream = new Uint8Array(messages.reduce((n, m) => n + 4 + m.length, 0));
  let off = 0;
  for (const m of messages) {
    stream.set(frame(m), off);
    off += 4 + m.length;
  }
  for (const step of [1, 2, 3, 5, 7, 64, stream.length]) {
    const reader = new FrameReader(1024);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i += step) chunks.push(stream.subarray(i, i + step));
    assert.deepEqual(collect(reader, chunks), messages, `chunks of ${step}`);
    assert.equal(reader.midFrame, false);
  }
  const reader = new FrameReader(1024);
  collect(reader, [stream.subarray(0, 2)]);
  assert.equal(reader.midFrame, true, "half a header");
  collect(reader, [stream.subarray(2, 4)]);
  assert.equal(reader.midFrame, true, "a header, no body yet");
});

test("wire: the long form, -1 and an 8-byte big-endian length, is read", () => {
  const head = new Uint8Array(12);
  const view = new DataView(head.buffer);
  view.setInt32(0, -1);
  view.setBigUint64(4, 3n);
  const reader = new FrameReader(1024);
  const got = collect(reader, [
    head.subarray(0, 6),
    head.subarray(6),
    new Uint8Array([4, 5, 6]),
    frame(new Uint8Array([7])),
  ]);
  assert.deepEqual(got, [new Uint8Array([4, 5, 6]), new Uint8Array([7])], "back to the short form after it");
});

test("wire: an oversize length is refused before anything is allocated for it", () => {
  const long = (n: bigint) => {
    const h = new Uint8Array(12);
    const v = new DataView(h.buffer);
    v.setInt32(0, -1);
    v.setBigUint64(4, n);
    return h;
  };
  const cases: [Uint8Array, RegExp][] = [
    [
      new Uint8Array([0, 0, 4, 1]),
      /announced a message of 1025 bytes, more than the maxMessageSize of 1024 bytes; raise maxMessageSize/,
    ],
    [new Uint8Array([0x7f, 0xff, 0xff, 0xff]), /announced a message of 2147483647 bytes/],
    [long(2n ** 40n), /announced a message of 1099511627776 bytes/],
    [long(2n ** 64n - 1n), /announced a message of Infinity bytes/],
    [new Uint8Array([0xff, 0xff, 0xff, 0xfb]), /^bad message length: the peer announced -5 bytes$/],
  ];
  for (const [header, message] of cases) {
    const reader = new FrameReader(1024);
    assert.throws(
      () => reader.push(header, () => assert.fail("no frame")),
      (e: Error) => e instanceof FrameTooLarge && e instanceof ProcessError && message.test(e.message),
      String(message),
    );
  }
  const exact = new FrameReader(3);
  assert.deepEqual(
    collect(exact, [frame(new Uint8Array([1, 2, 3]))]),
    [new Uint8Array([1, 2, 3])],
    "the limit itself passes",
  );
});

test("wire: limitNext bounds the handshake's frames, then the usual limit applies", () => {
  const reader = new FrameReader(1024);
  reader.limitNext(2, 4);
  assert.deepEqual(collect(reader, [frame(new Uint8Array(4)), frame(new Uint8Array(1))]).length, 2);
  assert.deepEqual(collect(reader, [frame(new Uint8Array(500))]).length, 1, "the handshake is over");
  const strict = new FrameReader(1024);
  strict.limitNext(1, 4);
  assert.throws(
    () => strict.push(frame(new Uint8Array(5)), () => {}),
    (e: Error) =>
      e instanceof FrameTooLarge &&
      /5 bytes, more than the 4 bytes a handshake message may have/.test(e.message),
  );
});
