// mp.futures: Python's concurrent.futures.as_completed and wait, over executor
// futures, pool AsyncResults and plain promises.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as mp from "../mod.ts";
import { failTyped, slowDouble, slowTwice } from "./fixtures/pool_tasks.ts";

const after = (ms: number, v: unknown): Promise<unknown> => new Promise((r) => setTimeout(() => r(v), ms));

test("asCompleted gives executor results in the order they finish, errors in their place", async () => {
  await using ex = new mp.ProcessPoolExecutor({ maxWorkers: 2 });
  const slow = ex.submit(slowDouble, 1, 400);
  const fast = ex.submit(slowDouble, 2, 0);
  const bad = ex.submit(failTyped, "x");
  const got: unknown[] = [];
  for (const next of mp.futures.asCompleted([slow, fast, bad], 20_000)) {
    try {
      got.push(await next);
    } catch (e) {
      got.push((e as Error).name);
    }
  }
  assert.equal(got.length, 3);
  assert.equal(got[2], 2, `the slow task finishes last: ${JSON.stringify(got)}`);
  assert.deepEqual([...got.slice(0, 2)].sort(), [4, "TypeError"].sort());
});

test("asCompleted: what has not settled in time rejects with TimeoutError; repeats count once", async () => {
  const never = new Promise<number>(() => {});
  const quick = Promise.resolve(7);
  const outs = mp.futures.asCompleted([never, quick, quick], 50);
  assert.equal(outs.length, 2);
  assert.equal(await outs[0], 7);
  await assert.rejects(
    outs[1],
    (e: Error) => e instanceof mp.TimeoutError && /1 of the futures/.test(e.message),
  );
});

test("asCompleted works with pool AsyncResults", async () => {
  await using pool = new mp.Pool(2);
  const rs = [pool.applyAsync(slowDouble, [5, 300]), pool.applyAsync(slowDouble, [6, 0])];
  const order: number[] = [];
  for (const next of mp.futures.asCompleted(rs, 20_000)) order.push(await next);
  assert.deepEqual(order, [12, 10]);
});

test("wait: ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION and a timeout", async () => {
  const a = after(10, "a"), b = after(200, "b");
  const failing: Promise<unknown> = new Promise((_, reject) => setTimeout(() => reject(new Error("no")), 20));
  failing.catch(() => {});
  let r = await mp.futures.wait([a, b], { returnWhen: mp.futures.FIRST_COMPLETED, timeout: 5000 });
  assert.deepEqual([[...r.done], [...r.notDone]], [[a], [b]]);
  r = await mp.futures.wait([b, failing, after(1000, "c")], {
    returnWhen: mp.futures.FIRST_EXCEPTION,
    timeout: 5000,
  });
  assert.ok(r.done.has(failing));
  assert.equal(r.notDone.size, 2);
  r = await mp.futures.wait([a, b], { timeout: 5000 });
  assert.equal(r.done.size, 2);
  r = await mp.futures.wait([a, new Promise(() => {})], { timeout: 30 });
  assert.deepEqual([r.done.size, r.notDone.size], [1, 1]);
  assert.deepEqual(await mp.futures.wait([]), { done: new Set(), notDone: new Set() });
});

test("futures: bad input gets a clear TypeError", () => {
  assert.throws(() => mp.futures.asCompleted(42 as never), /futures must be an iterable of promises, got 42/);
  assert.throws(() => mp.futures.asCompleted([1 as never]), /every future must be a promise/);
  assert.rejects(
    mp.futures.wait([], { returnWhen: "SOON" as never }),
    /returnWhen must be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED, got SOON/,
  );
});

test("imap next(timeout) rejects with TimeoutError and keeps the pending result", async () => {
  await using pool = new mp.Pool(1);
  const slow: mp.IMapIterator<number> = pool.imap(slowTwice, [300, 0]);
  await assert.rejects(
    slow.next(20),
    (e: Error) => e instanceof mp.TimeoutError && /within 20 ms/.test(e.message),
  );
  assert.deepEqual(await slow.next(10_000), { value: 600, done: false });
  assert.deepEqual(await slow.next(10_000), { value: 0, done: false });
  assert.deepEqual(await slow.next(10_000), { value: undefined, done: true });
  await assert.rejects(slow.next("soon" as never), /timeout must be a number of milliseconds/);
});
