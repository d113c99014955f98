import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import { condWaiter, pingPong } from "./fixtures/sync_targets.ts";
import { eventually, joinWithin } from "./helpers.ts";
import { start } from "./shared_helpers.ts";

const counts = () => new Int32Array(new SharedArrayBuffer(8));

test("Condition: wait and notify without the lock throw; wait times out with false", async () => {
  const cond = new mp.Condition();
  await assert.rejects(
    cond.wait(10),
    (e: Error) => e instanceof mp.ProcessError && /un-acquired lock/.test(e.message),
  );
  assert.throws(() => cond.waitSync(10), mp.ProcessError);
  assert.throws(() => cond.notify(), /cannot notify on un-acquired lock/);
  assert.throws(() => cond.notifyAll(), mp.ProcessError);
  assert.equal(cond.getLock() instanceof mp.RLock, true);
  {
    using _ = cond.lockSync();
    using _again = cond.lockSync(); // RLock: reentrant, and wait releases every level
    assert.equal(await cond.wait(20), false);
    assert.equal(cond.waitSync(20), false);
    assert.equal(cond.getLock().locked(), true, "the lock is held again after wait");
    cond.notify(); // nobody waits: fine
    assert.throws(() => cond.notify(-1), RangeError);
  }
  assert.equal(cond.getLock().locked(), false);
  const withLock = new mp.Condition(new mp.Lock());
  assert.equal(withLock.getLock() instanceof mp.Lock, true);
  {
    using _ = await withLock.lock();
    assert.equal(withLock.waitForSync(() => false, 10), false);
    assert.equal(await withLock.waitFor(() => 7, 10), 7);
  }
  assert.throws(() => new mp.Condition({} as never), /lock must be a Lock or an RLock/);
});

test("notify(n) wakes exactly n waiters across processes; notifyAll wakes the rest", async () => {
  const cond = new mp.Condition();
  const c = counts();
  const N = 5;
  const ps = Array.from({ length: N }, (_, i) => start(condWaiter, [cond, c, i % 2 === 0, 20_000]));
  // Every waiter counts itself under the lock just before wait() releases it.
  await eventually(
    () => {
      using _ = cond.lockSync();
      return c[0] === N;
    },
    20_000,
    "all waiters waiting",
  );
  {
    using _ = await cond.lock();
    cond.notify(2);
  }
  await eventually(() => c[1] === 2, 5000, "two woken");
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(c[1], 2, "exactly two woke up");
  {
    using _ = await cond.lock();
    cond.notify(1);
  }
  await eventually(() => c[1] === 3, 5000, "a third woken");
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(c[1], 3);
  {
    using _ = await cond.lock();
    cond.notifyAll();
  }
  for (const p of ps) await joinWithin(p);
  assert.equal(c[1], N);
});

test("a waiter that timed out does not swallow a notify meant for a live one", async () => {
  const cond = new mp.Condition();
  const c = counts();
  const quitter = start(condWaiter, [cond, c, true, 50]); // gives up after 50 ms
  await joinWithin(quitter);
  assert.equal(c[1], 0);
  const stayer = start(condWaiter, [cond, c, false, 20_000]);
  await eventually(
    () => {
      using _ = cond.lockSync();
      return c[0] === 2;
    },
    10_000,
    "second waiter waiting",
  );
  {
    using _ = cond.lockSync();
    cond.notify(1);
  }
  await joinWithin(stayer);
  assert.equal(c[1], 1);
});

test("no lost wake-ups: sync and async waiters in different processes hand off 300 times", async () => {
  for (const [aSync, bSync] of [[true, false], [false, true], [false, false]]) {
    const cond = new mp.Condition(new mp.Lock());
    const state = counts();
    const rounds = 150;
    const a = start(pingPong, [cond, state, 0, rounds, aSync]);
    const b = start(pingPong, [cond, state, 1, rounds, bSync]);
    await joinWithin(a, 30_000);
    await joinWithin(b, 30_000);
    assert.deepEqual([a.exitCode, b.exitCode], [0, 0]);
    assert.equal(state[1], 2 * rounds);
  }
});
