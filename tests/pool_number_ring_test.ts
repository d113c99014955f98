// Map chunks of numbers travel through rings of shared memory that are reused from one
// chunk to the next (src/pool/_number_ring.ts), both ways. What a user sees must not
// change: every result exact and in its place, however many maps wrap the rings, while
// an iterator holds results back, when a worker dies, and beside chunks too large for a
// ring (which are cloned as before).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import {
  negate,
  negateMostly,
  negateOrDie,
  negateSlowAtQuarter,
  quarters,
} from "./fixtures/number_ring_tasks.ts";
import { within } from "./helpers.ts";

/** Numbers of every awkward kind, in a fixed order. */
function numbers(n: number, offset = 0): number[] {
  const special = [0, -0, NaN, Infinity, -Infinity, 1e308, 5e-324, 0.1, -(2 ** 53)];
  return Array.from(
    { length: n },
    (_, i) => (i % 10 === 9 ? special[(i + offset) % special.length] : (i + offset) * 0.5),
  );
}

function assertNegated(got: unknown[], items: number[], what: string): void {
  assert.equal(got.length, items.length, `${what}: length`);
  for (let i = 0; i < items.length; i++) {
    if (!Object.is(got[i], -items[i])) {
      assert.fail(`${what}: at ${i}, got ${String(got[i])}, want ${-items[i]}`);
    }
  }
}

test("Pool.map of numbers: exact results in place, map after map (the rings wrap many times)", async () => {
  await using pool = new mp.Pool(2);
  for (let round = 0; round < 8; round++) {
    const items = numbers(100_000, round);
    assertNegated(await within(pool.map(negate, items)), items, `round ${round}`);
  }
  // One chunk larger than half a ring travels by clone, beside chunks that fit.
  const big = numbers(400_000, 1);
  assertNegated(await within(pool.map(negate, big, 150_000)), big, "chunks of 150 000");
  const small = numbers(3_000, 2);
  assertNegated(await within(pool.map(negate, small, 300)), small, "chunks of 300");
});

test("Pool.imap of numbers: results an iterator holds stay right while later chunks come", async () => {
  await using pool = new mp.Pool(2);
  const items = numbers(600_000);
  const it = pool.imap(negate, items, 40_000);
  const first = await within(it.next());
  assert.equal(first.value, -0);
  // Let every chunk arrive (more than the rings hold) before reading on.
  await within(pool.map(negate, numbers(200_000, 3)));
  const got: unknown[] = [first.value];
  for await (const v of it) got.push(v);
  assertNegated(got, items, "imap");
  const unordered: number[] = [];
  for await (const v of pool.imapUnordered(negate, items, 40_000)) unordered.push(v as number);
  assert.equal(unordered.length, items.length);
  const sum = (a: number[]) => a.reduce((s, v) => (Number.isFinite(v) ? s + v : s), 0);
  assert.equal(sum(unordered), -sum(items));
});

test("Pool.applyAsync returning many numbers gives a plain array", async () => {
  await using pool = new mp.Pool(2);
  const got = await within(pool.applyAsync(quarters, [5_000]));
  assert.ok(Array.isArray(got));
  assert.deepEqual(got, Array.from({ length: 5_000 }, (_, i) => i / 4));
  const many = await within(
    Promise.all(Array.from({ length: 40 }, () => pool.applyAsync(quarters, [2_000]))),
  );
  for (const a of many) assert.deepEqual(a, Array.from({ length: 2_000 }, (_, i) => i / 4));
});

test("Pool.map of numbers: a worker that dies mid-map fails that map, and the next maps are exact", async () => {
  await using pool = new mp.Pool(2);
  const items = numbers(200_000);
  items[150_001] = -1;
  await assert.rejects(within(pool.map(negateOrDie, items, 10_000)), mp.BrokenProcessPool);
  for (let round = 0; round < 4; round++) {
    const again = numbers(200_000, round);
    assertNegated(await within(pool.map(negateOrDie, again)), again, `after the death, round ${round}`);
  }
});

test("Pool.map of numbers: a chunk whose results stop being numbers midway, or whose task throws", async () => {
  await using pool = new mp.Pool(2);
  const items = numbers(20_000);
  items[15] = 7.5; // a string comes back in the first chunk, after 15 numbers
  items[5_017] = 8.5; // a promise in another
  const got = await within(pool.map(negateMostly, items, 2_500));
  const want = items.map((x) => (x === 7.5 ? "seven and a half" : -x));
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) assert.ok(Object.is(got[i], want[i]), `at ${i}`);
  const failing = numbers(20_000);
  failing[12_345] = -2;
  await assert.rejects(within(pool.map(negateMostly, failing, 2_500)), RangeError);
  for (let round = 0; round < 4; round++) {
    const again = numbers(100_000, round);
    assertNegated(await within(pool.map(negate, again)), again, `after them, round ${round}`);
  }
});

test("Pool.map of numbers: chunks held by a stuck worker, and a map cancelled midway, leave the rings right", async () => {
  await using pool = new mp.Pool(2);
  const items = numbers(60_000);
  items[10] = 0.25; // its chunk blocks a worker for 1.5 s; the chunks sent ahead to it may be taken back
  const stuck = await within(pool.map(negateSlowAtQuarter, items, 1_000));
  assertNegated(stuck, items, "around a stuck worker");
  const controller = new AbortController();
  const cancelled = pool.map(negateSlowAtQuarter, items, { chunksize: 1_000, signal: controller.signal });
  setTimeout(() => controller.abort(new Error("enough")), 200);
  await assert.rejects(within(cancelled), /enough/);
  for (let round = 0; round < 4; round++) {
    const again = numbers(150_000, round);
    assertNegated(await within(pool.map(negate, again)), again, `afterwards, round ${round}`);
  }
});
