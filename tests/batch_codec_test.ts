import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import { isPackedBatch, MIN_PACKED, packBatch, unpackBatch } from "../src/pool/_batch_codec.ts";
import { echo } from "./fixtures/pool_tasks.ts";

/** Eight or more items, so that the batch is worth packing. */
function batch(...items: unknown[]): unknown[] {
  const out = [...items];
  while (out.length < MIN_PACKED) out.push(out.length);
  return out;
}

const lone = "a\uD800b\uDC00c\uDBFF"; // lone high and low surrogates
const proto = JSON.parse('{"__proto__": 1, "x": 2}');
const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
const extra = Object.assign([1, 2], { name: "extra" });
const shared = { s: 1 };

/** Batches of each kind, and awkward ones; each must come back as structured clone gives it. */
const CASES: [string, unknown[]][] = [
  ["numbers with -0, NaN, infinities", batch(-0, NaN, Infinity, -Infinity, 1.5, 2 ** 53, Number.MIN_VALUE)],
  ["strings", batch("", "a", "héllo", "日本", "😀", lone, "\uDC00", "\uD800", "\u0000x")],
  ["surrogate halves meeting across items", batch("x\uD83D", "\uDE00y", "\uD83D", "\uDE00")],
  ["null only", Array(20).fill(null)],
  ["undefined only", Array(20).fill(undefined)],
  ["true only", Array(20).fill(true)],
  ["false only", Array(20).fill(false)],
  ["booleans, null, undefined", batch(true, false, null, undefined, null, true, undefined)],
  ["bigints", batch(0n, -1n, 2n ** 100n, -(2n ** 70n), 12345678901234567890n)],
  ["plain objects", Array.from({ length: 20 }, (_, i) => ({ id: i, name: `n${i}`, ok: i % 2 === 0 }))],
  ["small arrays", Array.from({ length: 20 }, (_, i) => [i, `x${i}`, null, [i, [i]]])],
  ["nested arrays", batch([[1, [2, [3, [4]]]], []], [[[]]])],
  ["a mix", batch(1, "s", null, undefined, true, 5n, { a: [1, { b: "c" }] }, [1, "2"], -0, lone)],
  ["objects with -0 inside", batch({ z: -0 }, [-0])],
  ["objects with NaN inside", batch({ z: NaN }, [Infinity])],
  ["undefined inside arrays and objects", batch([1, undefined, 3], { u: undefined, v: 1 })],
  ["sparse arrays", batch(sparse, [, ,])], // eslint-disable-line no-sparse-arrays
  ["arrays with named properties", batch(extra)],
  ["objects with a __proto__ key", batch(proto)],
  ["null-prototype objects", batch(Object.assign(Object.create(null), { a: 1 }))],
  ["Dates", batch(new Date(0), new Date(1e12))],
  ["Maps and Sets", batch(new Map([[1, { a: 2 }]]), new Set([1, "2"]))],
  ["typed arrays", batch(new Uint8Array([1, 2]), { b: new Float64Array([1.5]) })],
  ["an object reached twice", batch(shared, shared, [shared])],
  [
    "a cycle",
    (() => {
      const a: unknown[] = [1];
      a.push(a);
      return batch(a);
    })(),
  ],
  [
    "objects with symbol and non-enumerable keys",
    batch(
      Object.defineProperty({ [Symbol("s")]: 1, a: 1 }, "hidden", { value: 2, enumerable: false }),
    ),
  ],
  ["integer-like keys in objects", batch({ b: 1, 2: "two", 1: "one", a: 3 })],
  [
    "deep nesting",
    batch((() => {
      let v: unknown = "leaf";
      for (let i = 0; i < 100; i++) v = [v];
      return v;
    })()),
  ],
  [
    "class instances",
    batch(
      new (class Point {
        x = 1;
      })(),
      new Error("e"),
    ),
  ],
];

/** Deep equality that also tells -0 from 0, lone surrogates, holes, prototypes and shared references. */
function sameAsClone(got: unknown, want: unknown): void {
  assert.deepStrictEqual(got, want);
  const walk = (g: unknown, w: unknown, gs: Map<object, unknown>, path: string): void => {
    if (typeof w !== "object" || w === null) {
      assert.ok(Object.is(g, w), `${path}: ${String(g)} is not ${String(w)}`);
      return;
    }
    assert.ok(typeof g === "object" && g !== null, `${path}: not an object`);
    if (gs.has(w)) {
      assert.equal(gs.get(w), g, `${path}: a shared reference became a copy`);
      return;
    }
    gs.set(w, g);
    assert.equal(Object.getPrototypeOf(g), Object.getPrototypeOf(w), `${path}: prototype`);
    assert.deepEqual(
      Reflect.ownKeys(g as object).filter((k) => typeof k === "string"),
      Reflect.ownKeys(w as object).filter((k) => typeof k === "string"),
      `${path}: keys`,
    );
    if (w instanceof Map || w instanceof Set || ArrayBuffer.isView(w) || w instanceof Date) return;
    for (const k of Object.keys(w)) {
      walk((g as Record<string, unknown>)[k], (w as Record<string, unknown>)[k], gs, `${path}.${k}`);
    }
  };
  walk(got, want, new Map(), "items");
}

test("packed batches come back exactly as structured clone delivers them", () => {
  for (const [name, items] of CASES) {
    const want = structuredClone(items);
    const packed = packBatch(items);
    const got = packed === null ? want : unpackBatch(structuredClone(packed));
    assert.ok(packed === null || isPackedBatch(packed), name);
    try {
      sameAsClone(got, want);
    } catch (e) {
      throw new Error(`${name}: ${(e as Error).message}`);
    }
  }
});

test("the common shapes are packed; what JSON would change is left to structured clone", () => {
  const packs = (items: unknown[]) => packBatch(items) !== null;
  for (
    const name of [
      "strings",
      "null only",
      "bigints",
      "plain objects",
      "small arrays",
      "a mix",
      "nested arrays",
    ]
  ) {
    assert.ok(packs(CASES.find(([n]) => n === name)![1]), name);
  }
  // By columns, -0, NaN and undefined inside objects and arrays survive too.
  for (
    const name of ["objects with -0 inside", "objects with NaN inside", "undefined inside arrays and objects"]
  ) {
    assert.ok(packs(CASES.find(([n]) => n === name)![1]), name);
  }
  for (
    const name of [
      "sparse arrays",
      "arrays with named properties",
      "objects with a __proto__ key",
      "Dates",
      "Maps and Sets",
      "typed arrays",
      "an object reached twice",
      "a cycle",
      "class instances",
    ]
  ) {
    assert.ok(!packs(CASES.find(([n]) => n === name)![1]), name);
  }
  assert.equal(packBatch([1, 2, 3]), null, "a few items are not worth packing");
  assert.equal(packBatch(batch(() => 1)), null, "functions travel by reference, unpacked");
});

test("Pool.map, starmap and imap carry every kind there and back unchanged", async () => {
  await using pool = new mp.Pool(2);
  for (const [name, items] of CASES) {
    if (name === "class instances") continue; // a class instance arrives as a plain object or fails alike
    const want = structuredClone(items);
    for (const chunksize of [3, 50]) {
      const got = await pool.map(echo, items, chunksize);
      try {
        sameAsClone(got.map((x) => (x as unknown[])[0]), want);
      } catch (e) {
        throw new Error(`map ${name} (chunksize ${chunksize}): ${(e as Error).message}`);
      }
    }
    const star = await pool.starmap(echo, items.map((x) => [x, name]), 50);
    sameAsClone(star.map((x) => (x as unknown[])[0]), want);
    const lazy: unknown[] = [];
    for await (const x of pool.imap(echo, items, 10)) lazy.push((x as unknown[])[0]);
    sameAsClone(lazy, want);
  }
});

test("a map's results of each kind come back unchanged (results are packed too)", async () => {
  await using pool = new mp.Pool(2);
  const items = Array.from(
    { length: 5000 },
    (_, i) => [null, `s${i}`, { id: i }, [i], 10n ** BigInt(i % 30), i % 2 === 0, undefined][i % 7],
  );
  const got = await pool.map(echo, items);
  assert.deepStrictEqual(got.map((x) => (x as unknown[])[0]), items);
  assert.deepStrictEqual(await pool.apply(echo, items), items); // an array result of many items
  const nones = await pool.map(echo, Array(100_000).fill(null));
  assert.equal(nones.length, 100_000);
  assert.ok(nones.every((x) => Array.isArray(x) && x.length === 1 && x[0] === null));
});

test("objects of several shapes, and shapes that only look alike, come back exactly", () => {
  const cases: unknown[][] = [
    batch({ a: 1, b: "x" }, [1, 2], { a: 2, b: "y" }, [3, 4], { c: null }, [5], { a: 3, b: undefined }),
    batch({ a: 1, b: 2 }, { a: 1, c: 2 }, { a: 1 }, { a: 1, b: 2, c: 3 }, [1], [1, 2]),
    batch({ b: 1, a: 2 }, { a: 1, b: 2 }, { a: -0, b: NaN }, { a: 1n, b: "s" }),
    batch(1, "s", { x: 1 }, { x: { nested: true } }, [1, [2]], null),
    batch(...Array.from({ length: 12 }, (_, i) => ({ [`k${i}`]: i }))), // more shapes than packed by columns
    batch([1, , 3], [1, 2, 3]), // eslint-disable-line no-sparse-arrays
    batch({ a: 1 }, Object.assign(Object.create(null), { a: 2 }), { a: 3 }),
    batch({ 1: "a", b: 2 }, { 1: "c", b: 3 }, { "": 1, "\uD800": 2 }, { "": 3, "\uD800": 4 }),
  ];
  const shared = { a: 1 };
  cases.push(batch(shared, { a: 2 }, shared), batch([shared], { o: shared }, shared));
  for (const items of cases) {
    const want = structuredClone(items);
    const packed = packBatch(items);
    sameAsClone(packed === null ? want : unpackBatch(structuredClone(packed)), want);
  }
});
