import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import {
  enterWhenFree,
  holdAndCrash,
  holdAndReturn,
  holdForever,
  incrementRacy,
  incrementUnderLock,
  tryRelease,
} from "./fixtures/sync_targets.ts";
import { readReport, reportBuffer } from "./fixtures/report.ts";
import { joinWithin } from "./helpers.ts";
import { start } from "./shared_helpers.ts";

const counter = (n = 2) => new Int32Array(new SharedArrayBuffer(4 * n));

test("Lock: acquire/release, locked(), timeouts, release of an unlocked lock throws", async () => {
  const lock = new mp.Lock();
  assert.equal(lock.locked(), false);
  assert.equal(lock.acquireSync(), true);
  assert.equal(lock.locked(), true);
  assert.equal(lock.acquireSync(0), false, "not reentrant");
  assert.equal(await lock.acquire(-1), false);
  const t0 = performance.now();
  assert.equal(await lock.acquire(60), false);
  assert.ok(performance.now() - t0 >= 55, "waited for the timeout");
  assert.equal(lock.acquireSync(30), false);
  lock.release();
  assert.throws(
    () => lock.release(),
    (e: Error) => e instanceof mp.ProcessError && /un-acquired Lock/.test(e.message),
  );
  assert.throws(() => lock.acquireSync("1" as never), /timeout must be a number of milliseconds/);
  assert.equal(String(lock), "<Lock(unlocked)>");
});

test("Lock: using lockSync() / await lock(), TimeoutError when it cannot be had", async () => {
  const lock = new mp.Lock();
  {
    using _ = lock.lockSync();
    assert.equal(lock.locked(), true);
    await assert.rejects(lock.lock(20), mp.TimeoutError);
    assert.throws(
      () => lock.lockSync(0),
      (e: Error) => e instanceof mp.TimeoutError && /within 0 ms/.test(e.message),
    );
  }
  assert.equal(lock.locked(), false);
  {
    using _ = await lock.lock();
    assert.equal(lock.locked(), true);
  }
  assert.equal(lock.locked(), false);
});

test("Lock: an async waiter is woken by a release from the same process", async () => {
  const lock = new mp.Lock();
  lock.acquireSync();
  const waiting = lock.acquire(5000);
  setTimeout(() => lock.release(), 20);
  assert.equal(await waiting, true);
  lock.release();
});

test("RLock: reentrant for its owner; a non-owner's release throws, in another process too", async () => {
  const r = new mp.RLock();
  assert.equal(r.acquireSync(), true);
  assert.equal(await r.acquire(0), true);
  assert.match(String(r), /count=2/);
  r.release();
  assert.equal(r.locked(), true);
  const buf = reportBuffer();
  const p = start(tryRelease, [r, buf]);
  await joinWithin(p);
  const report = readReport(buf) as { ok: boolean; name: string; message: string };
  assert.equal(report.ok, false);
  assert.equal(report.name, "ProcessError");
  assert.match(
    report.message,
    /cannot release un-acquired RLock: it is held by process \d+, and only its owner/,
  );
  r.release();
  assert.equal(r.locked(), false);
  assert.throws(() => r.release(), /un-acquired RLock: it is not locked/);
});

test("Lock: any process may release it (Python's semantics)", async () => {
  const lock = new mp.Lock();
  lock.acquireSync();
  const buf = reportBuffer();
  await joinWithin(start(tryRelease, [lock, buf]));
  assert.deepEqual(readReport(buf), { ok: true });
  assert.equal(lock.locked(), false);
});

test("N processes x M increments under a Lock give exactly N*M (sync and async waiters mixed)", async () => {
  for (const lock of [new mp.Lock(), new mp.RLock()]) {
    const c = counter();
    const M = 3000;
    const ps = [false, true, false].map((useAsync) => start(incrementUnderLock, [lock, c, M, useAsync]));
    await incrementUnderLock(lock, c, M, true); // the parent takes part, asynchronously
    for (const p of ps) await joinWithin(p, 30_000);
    assert.deepEqual(ps.map((p) => p.exitCode), [0, 0, 0]);
    assert.equal(c[0], 4 * M, lock.constructor.name);
  }
});

test("without the lock the race is real: updates are lost", async () => {
  const c = counter();
  const N = 2, M = 200_000;
  const go = new mp.Barrier(N);
  const ps = Array.from({ length: N }, () => start(incrementRacy, [c, M, go]));
  for (const p of ps) await joinWithin(p, 30_000);
  if (c[0] === N * M) {
    console.log("the race was not observed this time (one core?): assertion skipped");
  } else {
    assert.ok(c[0] < N * M, `lost updates: ${c[0]} < ${N * M}`);
  }
});

test("robust: a Lock held by a terminated process is taken over by the next acquirer", async () => {
  for (const lock of [new mp.Lock(), new mp.RLock()]) {
    const held = new mp.Event();
    const p = start(holdForever, [lock, held]);
    assert.equal(await held.wait(10_000), true);
    assert.equal(lock.locked(), true);
    assert.equal(lock.acquireSync(0), false);
    const waiting = lock.acquire(5000); // waits while the holder lives
    p.terminate();
    assert.equal(await waiting, true, `${lock.constructor.name} recovered from a terminated holder`);
    assert.equal(lock.locked(), true);
    lock.release();
    assert.equal(lock.locked(), false);
  }
});

test("robust: a lock kept by a process that returned or crashed is recovered", async () => {
  for (const lock of [new mp.Lock(), new mp.RLock()]) {
    const p = start(holdAndReturn, [lock]);
    await joinWithin(p);
    assert.equal(p.exitCode, 0);
    assert.equal(lock.locked(), false, "the holder ended: the lock counts as free");
    assert.equal(lock.acquireSync(1000), true);
    lock.release(); // a single release frees the RLock taken over at depth 2
    assert.equal(lock.locked(), false);
  }
  const lock = new mp.Lock();
  const p = start(holdAndCrash, [lock]);
  await joinWithin(p);
  assert.equal(p.exitCode, 1);
  assert.equal(await lock.acquire(1000), true);
  lock.release();
});

test("a process terminated while it waits for a Lock never enters the critical section", async () => {
  const lock = new mp.Lock();
  const c = counter();
  const waiting = new mp.Event();
  lock.acquireSync();
  const p = await start(enterWhenFree, [lock, c, waiting]);
  assert.equal(await waiting.wait(10_000), true);
  await new Promise((r) => setTimeout(r, 50)); // let it block in acquireSync
  p.terminate();
  lock.release(); // wakes the waiter: Deno runs a terminated Worker on until its event loop
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(Atomics.load(c, 0), 0);
  assert.equal(p.exitCode, -15);
  assert.equal(lock.acquireSync(1000), true, "the lock is free for others");
  lock.release();
});
