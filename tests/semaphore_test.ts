import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import { boundedWork, holdForever, takePermits } from "./fixtures/sync_targets.ts";
import { joinWithin } from "./helpers.ts";
import { start } from "./shared_helpers.ts";

test("Semaphore: counts permits, times out, release wakes a waiter, getValue()", async () => {
  const sem = new mp.Semaphore(2);
  assert.equal(sem.getValue(), 2);
  assert.equal(sem.acquireSync(), true);
  assert.equal(await sem.acquire(), true);
  assert.equal(sem.getValue(), 0);
  assert.equal(sem.acquireSync(0), false);
  assert.equal(await sem.acquire(30), false);
  const waiting = sem.acquire(5000);
  sem.release();
  assert.equal(await waiting, true);
  sem.release();
  sem.release();
  sem.release(); // a plain Semaphore may go above its initial value
  assert.equal(sem.getValue(), 3);
  assert.equal(String(sem), "<Semaphore(value=3)>");
  assert.equal(new mp.Semaphore().getValue(), 1);
  assert.equal(new mp.Semaphore(0).acquireSync(0), false);
  assert.throws(() => new mp.Semaphore(-1), /initial value must be an integer >= 0, got -1/);
  assert.throws(() => new mp.Semaphore(1.5), RangeError);
});

test("BoundedSemaphore: over-release throws", () => {
  const sem = new mp.BoundedSemaphore(2);
  assert.equal(sem instanceof mp.Semaphore, true);
  assert.throws(
    () => sem.release(),
    (e: Error) => e instanceof mp.ProcessError && /released too many times/.test(e.message),
  );
  sem.acquireSync();
  sem.release();
  assert.throws(() => sem.release(), mp.ProcessError);
  assert.equal(sem.getValue(), 2);
  {
    using _ = sem.lockSync();
    assert.equal(sem.getValue(), 1);
  }
  assert.equal(sem.getValue(), 2);
  assert.equal(String(sem), "<BoundedSemaphore(value=2)>");
});

test("Semaphore(2) across processes: never more than 2 inside at once", async () => {
  const sem = new mp.BoundedSemaphore(2);
  const c = new Int32Array(new SharedArrayBuffer(8));
  const ps = [0, 1, 2].map(() => start(boundedWork, [sem, c, 300]));
  await boundedWork(sem, c, 300);
  for (const p of ps) await joinWithin(p, 30_000);
  assert.deepEqual(ps.map((p) => p.exitCode), [0, 0, 0]);
  assert.equal(c[0], 0);
  assert.ok(c[1] >= 1 && c[1] <= 2, `at most 2 inside, saw ${c[1]}`);
  assert.equal(sem.getValue(), 2);
});

test("robust: permits held by a process that ends come back (terminated or returned)", async () => {
  const sem = new mp.Semaphore(3);
  const held = new mp.Event();
  const p = start(holdForever, [sem, held]);
  assert.equal(await held.wait(10_000), true);
  const q = start(takePermits, [sem, 2, new mp.Event()]);
  await joinWithin(q); // returned holding 2 permits
  assert.equal(sem.getValue(), 0);
  const waiting = sem.acquire(5000);
  p.terminate();
  assert.equal(await waiting, true, "a waiter gets a recovered permit");
  assert.equal(sem.acquireSync(1000), true);
  assert.equal(sem.acquireSync(1000), true);
  assert.equal(sem.acquireSync(0), false, "exactly the 3 permits came back");
  for (let i = 0; i < 3; i++) sem.release();
  assert.equal(sem.getValue(), 3);
});

test("robust recovery stops at the initial value: a Semaphore(0) used as a signal gains nothing", async () => {
  const sem = new mp.Semaphore(0);
  sem.release();
  sem.release();
  const p = start(takePermits, [sem, 2, new mp.Event()]); // consumes both signals and ends
  await joinWithin(p);
  assert.equal(p.exitCode, 0);
  assert.equal(sem.acquireSync(100), false);
  assert.equal(sem.getValue(), 0);
});
