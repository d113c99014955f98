import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import {
  add,
  badInit,
  die,
  failTyped,
  init,
  initialValue,
  sleepSquare,
  square,
} from "./fixtures/pool_tasks.ts";
import { poolWorkers, within } from "./helpers.ts";

test("submit resolves with the result; errors keep their class; a dead worker is replaced", async () => {
  await using ex = new mp.ProcessPoolExecutor({ maxWorkers: 2 });
  assert.equal(await within(ex.submit(add, 2, 3)), 5);
  const e = await within(ex.submit(failTyped, 1).catch((x) => x));
  assert.ok(e instanceof TypeError);
  assert.ok(e.cause instanceof mp.RemoteError);
  await assert.rejects(within(ex.submit(die, 1)), mp.BrokenProcessPool);
  assert.equal(await within(ex.submit(square, 9)), 81);
});

test("map zips its iterables, yields in order, stops at the shortest", async () => {
  await using ex = new mp.ProcessPoolExecutor({ maxWorkers: 2 });
  const out: number[] = [];
  for await (const v of ex.map(add, [1, 2, 3, 4], [10, 20, 30])) out.push(v);
  assert.deepEqual(out, [11, 22, 33]);
  const squares: number[] = [];
  for await (const v of ex.map(sleepSquare, [3, 2, 1])) squares.push(v);
  assert.deepEqual(squares, [9, 4, 1]);
  assert.throws(() => ex.map(add), TypeError);
});

test("shutdown waits for queued tasks, or cancels them with cancelFutures", async () => {
  const ex = new mp.ProcessPoolExecutor({ maxWorkers: 1 });
  const all = [1, 2, 3].map((x) => ex.submit(sleepSquare, x));
  await within(ex.shutdown());
  assert.deepEqual(await Promise.all(all), [1, 4, 9]);
  assert.equal(poolWorkers().length, 0);
  assert.throws(() => ex.submit(square, 1), /cannot schedule new futures after shutdown/);

  const ex2 = new mp.ProcessPoolExecutor({ maxWorkers: 1 });
  await within(ex2.submit(square, 1)); // the worker is up
  const first = ex2.submit(sleepSquare, 5);
  await new Promise((r) => setTimeout(r, 10)); // sent to the worker: no longer cancellable
  const many = Array.from({ length: 50 }, (_, i) => ex2.submit(sleepSquare, i));
  await within(ex2.shutdown({ cancelFutures: true }));
  assert.equal(await first, 25);
  const settled = await Promise.allSettled(many);
  const cancelled = settled.filter((s) => s.status === "rejected");
  assert.equal(cancelled.length, 50);
  assert.match(String((cancelled[0] as PromiseRejectedResult).reason), /cancelled/);
});

test("initializer, maxWorkers checks, a broken initializer, await using", async () => {
  assert.throws(
    () => new mp.ProcessPoolExecutor({ maxWorkers: 0 }),
    /maxWorkers must be an integer of at least 1/,
  );
  assert.throws(() => new mp.ProcessPoolExecutor({ maxTasksPerChild: -1 }), RangeError);
  {
    await using ex = new mp.ProcessPoolExecutor({ maxWorkers: 1, initializer: init, initargs: ["set"] });
    assert.equal(await within(ex.submit(initialValue)), "set");
  }
  assert.equal(poolWorkers().length, 0);
  const broken = new mp.ProcessPoolExecutor({ maxWorkers: 1, initializer: badInit });
  await assert.rejects(within(broken.submit(square, 1)), mp.BrokenProcessPool);
  assert.throws(() => broken.submit(square, 1), mp.BrokenProcessPool);
  await within(broken.shutdown());
});
