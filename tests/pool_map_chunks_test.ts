// Pool.map's chunks packed straight from the caller's array, and chunks of one repeated
// value run without unpacking them: what a user sees stays exactly Python's map (each
// result at its place, -0, undefined, holes, a later change to the array unseen, errors).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import { identity } from "./fixtures/fast_path_tasks.ts";
import { noop } from "./fixtures/pool_tasks.ts";
import { countCalls, failLate, later, not, typeOf, zeroes } from "./fixtures/constant_map_tasks.ts";
import { within } from "./helpers.ts";

const N = 5_000;

test("Pool.map: a change to the array after map() is not seen by the map", async () => {
  await using pool = new mp.Pool(2);
  for (const make of [(i: number) => i * 0.5, (i: number) => `s${i}`, () => null, (i: number) => ({ i })]) {
    const items = Array.from({ length: N }, (_, i) => make(i));
    const want = structuredClone(items);
    const result = pool.map(identity, items, 100);
    items.fill(7);
    assert.deepEqual(await within(result), want);
  }
});

test("Pool.map: constant chunks give each call's own result, in order", async () => {
  await using pool = new mp.Pool(2);
  const nulls = new Array(N).fill(null);
  // Each worker counts its calls: within a chunk the results go up by one.
  const counts = await within(pool.map(countCalls, nulls, 1000));
  assert.equal(counts.length, N);
  for (let c = 0; c < N; c += 1000) {
    for (let i = c + 1; i < c + 1000; i++) assert.equal(counts[i], counts[i - 1] + 1);
  }
  const zs = await within(pool.map(zeroes, nulls, 1000));
  assert.ok(zs.every((z) => z === 0));
  assert.ok(zs.some((z) => Object.is(z, -0)) && zs.some((z) => Object.is(z, 0)), "both 0 and -0 kept");
  assert.deepEqual(await within(pool.map(typeOf, nulls)), new Array(N).fill("object"));
  assert.deepEqual(
    await within(pool.map(typeOf, new Array(N).fill(undefined))),
    new Array(N).fill("undefined"),
  );
  assert.deepEqual(await within(pool.map(not, new Array(N).fill(false))), new Array(N).fill(true));
  assert.deepEqual(await within(pool.map(later, new Array(N).fill(true))), new Array(N).fill(true));
  const undef = await within(pool.map(noop, nulls));
  assert.equal(undef.length, N);
  assert.ok(undef.every((v, i) => v === undefined && i in undef), "undefined at every place, no holes");
});

test("Pool.map: holes read as undefined, among numbers and alone", async () => {
  await using pool = new mp.Pool(2);
  const holey = new Array(N);
  const got = await within(pool.map(typeOf, holey, 500));
  assert.deepEqual(got, new Array(N).fill("undefined"));
  const nums = Array.from({ length: N }, (_, i) => i);
  delete nums[1234];
  const back = await within(pool.map(identity, nums, 500));
  assert.equal(back[1234], undefined);
  assert.ok(1234 in back);
  assert.equal(back[1235], 1235);
});

test("Pool.map: a constant chunk's task that throws rejects the map with its error", async () => {
  await using pool = new mp.Pool(2);
  await assert.rejects(within(pool.map(failLate, new Array(N).fill(null), 1000)), (e: unknown) => {
    assert.ok(e instanceof RangeError);
    assert.equal((e as Error).message, "failed on null");
    return true;
  });
  pool.close(); // the other chunks end by themselves
  await within(pool.join());
});

test("Pool.imap and imapUnordered over constant and string chunks keep their order", async () => {
  await using pool = new mp.Pool(2);
  const items = Array.from({ length: 2000 }, (_, i) => (i < 1000 ? null : `s${i}`));
  const ordered: unknown[] = [];
  for await (const v of pool.imap(identity, items, 100)) ordered.push(v);
  assert.deepEqual(ordered, items);
  const unordered: unknown[] = [];
  for await (const v of pool.imapUnordered(identity, items, 100)) unordered.push(v);
  assert.equal(unordered.length, items.length);
  assert.deepEqual(unordered.filter((v) => v === null).length, 1000);
  assert.deepEqual(new Set(unordered.filter((v) => v !== null)), new Set(items.slice(1000)));
});
