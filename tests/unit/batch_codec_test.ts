// Unit tests of src/pool/_batch_codec.ts on one thread: every packed form round-trips
// (through a structured clone, as between threads) exactly as structured clone alone
// would deliver the items; what cannot be packed exactly is refused (null).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  constantBatch,
  constantOf,
  isPackedBatch,
  MIN_PACKED,
  packBatch,
  packRange,
  unpackBatch,
  unpackInto,
} from "../../src/pool/_batch_codec.ts";

/** Packs, clones the packed form, unpacks; `null` when the batch was not packed. */
function roundTrip(items: unknown[]): unknown[] | null {
  const packed = packBatch(items);
  if (packed === null) return null;
  assert.ok(isPackedBatch(packed));
  return unpackBatch(structuredClone(packed));
}

/** Deep equality with key order, -0/NaN (Object.is) and prototypes checked at every level. */
function assertExact(got: unknown, want: unknown, path = "items"): void {
  if (typeof want !== "object" || want === null) {
    assert.ok(Object.is(got, want), `${path}: ${String(got)} is not ${String(want)}`);
    return;
  }
  assert.ok(typeof got === "object" && got !== null, `${path}: not an object`);
  assert.equal(Object.getPrototypeOf(got), Object.getPrototypeOf(want), `${path}: prototype`);
  assert.deepEqual(Reflect.ownKeys(got), Reflect.ownKeys(want), `${path}: keys (in order)`);
  for (const k of Object.keys(want)) {
    assertExact((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], `${path}.${k}`);
  }
}

function assertSameAsClone(items: unknown[], mustPack: boolean, what: string): void {
  const got = roundTrip(items);
  if (mustPack) assert.ok(got !== null, `${what}: packed`);
  assertExact(got ?? structuredClone(items), structuredClone(items), what);
}

test("batch codec: constant batches of each value, also past V8's fast-array length", () => {
  for (const v of [null, undefined, true, false]) {
    for (const n of [MIN_PACKED, 1000, 150_000]) {
      const got = roundTrip(new Array(n).fill(v));
      assert.ok(got !== null);
      assert.equal(got.length, n);
      assert.ok(got.every((x) => Object.is(x, v)), `${n} x ${v}`);
      assert.ok(0 in got && n - 1 in got, "no holes");
    }
  }
});

test("batch codec: strings packed by appending come back one by one, lone surrogates included", () => {
  const strings = Array.from(
    { length: 20_000 },
    (_, i) =>
      i % 7 === 0
        ? ""
        : i % 11 === 0
        ? "😀".repeat(i % 5)
        : i % 13 === 0
        ? "\uD800"
        : `item-${i}-${"x".repeat(i % 40)}`,
  );
  assertSameAsClone(strings, true, "strings");
  const long = Array.from({ length: MIN_PACKED }, (_, i) => String(i).repeat(100_000));
  assertSameAsClone(long, true, "long strings");
  // Strings and bigints share one text in the tagged form: their order must hold.
  const mixed = Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? BigInt(i) * 10n ** 30n : `s${i}`));
  assertSameAsClone(mixed, true, "strings and bigints interleaved");
});

test("batch codec: numbers exact, -0 and NaN included, alone and in object columns", () => {
  const nums = [0, -0, NaN, Infinity, -Infinity, 2 ** 53 + 2, 5e-324, -1.5];
  assertSameAsClone(nums, true, "numbers");
  const objs = nums.map((x, i) => ({ id: i, x }));
  assertSameAsClone(objs, true, "objects with -0 and NaN");
});

test("batch codec: objects of one shape only when the keys match in order, else exact anyway", () => {
  const same = Array.from({ length: 50 }, (_, i) => ({ id: i, name: `n${i}` }));
  assertSameAsClone(same, true, "one shape");
  // A key order differing, an extra key, a missing key, each in the middle of a shape.
  const swapped = [...same.slice(0, 20), { name: "s", id: -1 }, ...same.slice(20)];
  assertSameAsClone(swapped, false, "keys in another order");
  const extra = [...same.slice(0, 20), { id: -1, name: "e", more: true }, ...same.slice(20)];
  assertSameAsClone(extra, false, "an extra key");
  const missing = [...same.slice(0, 20), { id: -1 }, ...same.slice(20)];
  assertSameAsClone(missing, false, "a missing key");
  // A getter is read as structured clone reads it (its value travels).
  const getter = Array.from({ length: MIN_PACKED }, (_, i) => ({
    get id() {
      return i;
    },
    name: "g",
  }));
  assertSameAsClone(getter, false, "enumerable getters");
  // Null-prototype objects stay null-prototype; class instances are refused.
  const bare = Array.from({ length: MIN_PACKED }, (_, i) => Object.assign(Object.create(null), { id: i }));
  assertSameAsClone(bare, false, "null-prototype objects");
  class Point {
    constructor(readonly x: number) {}
  }
  assert.equal(packBatch(Array.from({ length: MIN_PACKED }, (_, i) => new Point(i))), null);
});

test("batch codec: arrays by length, holes and named properties left to structured clone", () => {
  const arrays = Array.from({ length: 40 }, (_, i) => [i, `x${i}`, i % 2 === 0]);
  assertSameAsClone(arrays, true, "small arrays");
  const holed = [...arrays.slice(0, 10), [1, , 3], ...arrays.slice(10)]; // eslint-disable-line no-sparse-arrays
  assertSameAsClone(holed, false, "an array with a hole");
  const named = [...arrays.slice(0, 10), Object.assign([1, "a", true], { tag: 1 }), ...arrays.slice(10)];
  assertSameAsClone(named, false, "an array with a named property");
});

test("batch codec: a mix of every kind keeps each item's place and type", () => {
  const kinds: ((i: number) => unknown)[] = [
    (i) => i,
    (i) => `s${i}`,
    () => null,
    () => undefined,
    (i) => i % 3 === 0,
    (i) => BigInt(i),
    (i) => ({ id: i, name: `n${i}` }),
    (i) => [i, i + 1],
    (i) => ({ other: [i] }),
    () => -0,
  ];
  const mix = Array.from({ length: 5000 }, (_, i) => kinds[i % kinds.length](i));
  assertSameAsClone(mix, true, "a mix");
  const shared = { id: 1, name: "shared" };
  const twice = [...mix.slice(0, 20), shared, shared];
  const got = roundTrip(twice);
  if (got !== null) assert.equal(got[20], got[21], "an object reached twice stays one object");
});

test("batch codec: packRange packs a range straight from the array, or refuses (null)", () => {
  const nums = Array.from({ length: 100 }, (_, i) => (i === 5 ? -0 : i === 6 ? NaN : i * 0.5));
  const f = packRange(nums, 3, 50);
  assert.ok(f instanceof Float64Array);
  assertExact(Array.from(f), nums.slice(3, 50), "numbers");
  const strs = Array.from({ length: 100 }, (_, i) => `s${i}\ud800`);
  const s = packRange(strs, 10, 90);
  assert.ok(s !== null && !(s instanceof Float64Array));
  assertExact(unpackBatch(structuredClone(s)), strs.slice(10, 90), "strings");
  for (const v of [null, undefined, true, false]) {
    const c = packRange(new Array(100).fill(v), 0, 100);
    assert.ok(c !== null && !(c instanceof Float64Array));
    assert.deepEqual(constantOf(c), { value: v });
    assertExact(unpackBatch(structuredClone(c)), new Array(100).fill(v), String(v));
  }
  assert.equal(packRange(new Array(100), 0, 100) !== null, true, "holes read as undefined");
  assert.equal(packRange(nums, 0, MIN_PACKED - 1), null, "too few");
  assert.equal(packRange([...nums.slice(0, 20), "x"], 0, 21), null, "numbers then a string");
  assert.equal(packRange([...strs.slice(0, 20), 1], 0, 21), null, "strings then a number");
  assert.equal(packRange([...new Array(20).fill(null), undefined], 0, 21), null, "null then undefined");
  assert.equal(
    packRange(Array.from({ length: 20 }, (_, i) => ({ i })), 0, 20),
    null,
    "objects: left to packBatch",
  );
});

test("batch codec: unpackInto writes a batch at its place; constantBatch only for constants", () => {
  const out = new Array(40).fill("x");
  unpackInto(constantBatch(10, null)!, out, 5);
  unpackInto(packBatch(Array.from({ length: 10 }, (_, i) => i === 0 ? -0 : i))!, out, 15);
  unpackInto(packBatch(Array.from({ length: 10 }, (_, i) => ({ i })))!, out, 25);
  assertExact(out.slice(0, 5), new Array(5).fill("x"), "before");
  assertExact(out.slice(5, 15), new Array(10).fill(null), "constant");
  assertExact(out.slice(15, 25), [-0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "numbers");
  assertExact(out.slice(25, 35), Array.from({ length: 10 }, (_, i) => ({ i })), "objects");
  assertExact(out.slice(35), new Array(5).fill("x"), "after");
  assert.equal(constantBatch(10, 0), null);
  assert.equal(constantBatch(10, "a"), null);
  assert.deepEqual(constantOf(packBatch(Array.from({ length: 10 }, (_, i) => i))!), null);
});

test("batch codec: an object reached twice among rising or falling ids stays one object", () => {
  for (const ids of [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]) {
    const objs = ids.map((id) => ({ id, name: `n${id}` }));
    const arrs = ids.map((id) => [id, `n${id}`]);
    for (const items of [objs, arrs] as object[][]) {
      assertSameAsClone(items, true, "distinct");
      const twice = [...items, items[3]];
      const got = roundTrip(twice);
      if (got !== null) assert.equal(got[3], got[10], "an object reached twice stays one object");
      const adjacent = [...items.slice(0, 4), items[3], ...items.slice(4)];
      const got2 = roundTrip(adjacent);
      if (got2 !== null) assert.equal(got2[3], got2[4], "an object reached twice in a row stays one object");
    }
  }
});

test("batch codec: typed columns (numbers, strings) give way to the general path when an item differs", () => {
  const n = 40;
  const objs = (f: (i: number) => unknown) => Array.from({ length: n }, (_, i) => ({ id: i, name: f(i) }));
  assertSameAsClone(
    objs((i) => `n${i}\uD800${i % 3 === 0 ? "" : "😀"}`),
    true,
    "a string column, lone surrogates",
  );
  assertSameAsClone(objs((i) => (i % 5 === 0 ? "" : "x".repeat(i))), true, "empty strings in a column");
  assertSameAsClone(objs((i) => (i === 20 ? 20 : `n${i}`)), true, "a number in a string column");
  assertSameAsClone(objs((i) => (i === 39 ? null : `n${i}`)), true, "null last in a string column");
  assertSameAsClone(objs((i) => (i === 1 ? undefined : -i)), true, "undefined in a number column, -0 first");
  assertSameAsClone(objs((i) => (i % 2 === 0 ? NaN : i)), true, "NaN in a number column");
  const arrays = Array.from({ length: n }, (_, i) => [i, `x${i}`]);
  assertSameAsClone([...arrays, [1, undefined]], true, "undefined in an array's string column");
  // A hole and a named property: as many own keys as items, but not the same array.
  const holed = Object.assign([1, , 3], { tag: 2 }); // eslint-disable-line no-sparse-arrays
  const triples = Array.from({ length: n }, (_, i) => [i, i + 1, i + 2]);
  assertSameAsClone([...triples, holed], false, "a hole and a named property");
  assertSameAsClone(
    [...triples.slice(0, 5), [1, , 3], ...triples.slice(5)],
    false,
    "a hole in a number column",
  ); // eslint-disable-line no-sparse-arrays
});

test("batch codec: prototypes and keys the typed reader cannot prove are left to the general reader", () => {
  const n = 20;
  // A prototype other than Object.prototype whose constructor is Object: structured clone
  // makes a plain object of the own enumerable properties, and so does packing.
  const derived = Array.from(
    { length: n },
    (_, i) => Object.assign(Object.create({}), { id: i, name: `n${i}` }),
  );
  assertSameAsClone(derived, false, "objects of a prototype made by Object.create({})");
  const inherited = Array.from(
    { length: n },
    (_, i) => Object.assign(Object.create({ extra: 1 }), { id: i }),
  );
  assertSameAsClone(inherited, false, "objects with an inherited enumerable property");
  const ctorKey = Array.from({ length: n }, (_, i) => ({ constructor: i, name: `n${i}` }));
  assertSameAsClone(ctorKey, true, "objects with a constructor key");
  const bare = Array.from(
    { length: n },
    (_, i) => Object.assign(Object.create(null), { id: i, name: `n${i}` }),
  );
  assertSameAsClone(bare, false, "null-prototype objects with typed columns");
  class Point {
    constructor(readonly id: number, readonly name: string) {}
  }
  assert.equal(
    packBatch(Array.from({ length: n }, (_, i) => new Point(i, `n${i}`))),
    null,
    "class instances",
  );
  const mixed = Array.from(
    { length: n },
    (_, i) => (i === 10 ? new Point(i, "p") : { id: i, name: `n${i}` }),
  );
  assert.equal(packBatch(mixed), null, "a class instance among plain objects");
});
