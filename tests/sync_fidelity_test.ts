// Fidelity of the locks and shared memory to Python's multiprocessing: promise-returning
// methods reject (never throw), one timeout rule for every class, Condition.notify(n)
// with a fractional n, and lists over a closed block.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import { condWaiter, holdForever } from "./fixtures/sync_targets.ts";
import { pulseWaiter } from "./fixtures/sync_fidelity_targets.ts";
import { eventually, joinWithin } from "./helpers.ts";
import { start } from "./shared_helpers.ts";

/** Calls `f` (which must not throw) and checks that its promise rejects with `expected`. */
async function rejectsNotThrows(
  what: string,
  f: () => Promise<unknown>,
  expected: RegExp | (new (...a: never[]) => Error),
): Promise<void> {
  let p: Promise<unknown> | undefined;
  assert.doesNotThrow(() => void (p = f()), `${what} threw synchronously`);
  assert.ok(p instanceof Promise, `${what} returned a promise`);
  await assert.rejects(p!, expected as never, `${what} rejects`);
}

/** Resolves whether `p` settled within `ms`. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([p.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

const BAD_TIMEOUTS: unknown[] = [NaN, "10", {}];

test("promise-returning methods reject bad timeouts and misuse instead of throwing", async () => {
  const lock = new mp.Lock();
  const rlock = new mp.RLock();
  const sem = new mp.Semaphore(1);
  const bsem = new mp.BoundedSemaphore(1);
  const cond = new mp.Condition();
  const event = new mp.Event();
  const barrier = new mp.Barrier(2);
  for (const bad of BAD_TIMEOUTS) {
    const t = bad as number;
    await rejectsNotThrows(`Lock.acquire(${String(bad)})`, () => lock.acquire(t), TypeError);
    await rejectsNotThrows("Lock.lock()", () => lock.lock(t), TypeError);
    await rejectsNotThrows("RLock.acquire()", () => rlock.acquire(t), TypeError);
    await rejectsNotThrows("RLock.lock()", () => rlock.lock(t), TypeError);
    await rejectsNotThrows("Semaphore.acquire()", () => sem.acquire(t), TypeError);
    await rejectsNotThrows("Semaphore.lock()", () => sem.lock(t), TypeError);
    await rejectsNotThrows(
      "BoundedSemaphore.acquire()",
      () => bsem.acquire(t),
      /BoundedSemaphore\.acquire\(\)/,
    );
    await rejectsNotThrows("Condition.acquire()", () => cond.acquire(t), TypeError);
    await rejectsNotThrows("Condition.lock()", () => cond.lock(t), TypeError);
    await rejectsNotThrows("Condition.wait()", () => cond.wait(t), TypeError);
    await rejectsNotThrows("Condition.waitFor()", () => cond.waitFor(() => false, t), TypeError);
    await rejectsNotThrows("Event.wait()", () => event.wait(t), /Event\.wait\(\): timeout must be/);
    await rejectsNotThrows("Barrier.wait()", () => barrier.wait(t), /Barrier\.wait\(\): timeout must be/);
    // The blocking twins throw.
    assert.throws(() => lock.acquireSync(t), TypeError);
    assert.throws(() => rlock.acquireSync(t), TypeError);
    assert.throws(() => sem.acquireSync(t), TypeError);
    assert.throws(() => cond.waitSync(t), TypeError);
    assert.throws(() => event.waitSync(t), TypeError);
    assert.throws(() => barrier.waitSync(t), TypeError);
  }
  // A set event still checks its timeout, as every other call does.
  event.set();
  await rejectsNotThrows("Event.wait() once set", () => event.wait(NaN), TypeError);
  assert.equal(await event.wait(), true);
  // Nothing was taken by the rejected calls.
  assert.equal(lock.locked(), false);
  assert.equal(rlock.locked(), false);
  assert.equal(sem.getValue(), 1);
  assert.equal(barrier.nWaiting, 0);
  assert.equal(barrier.broken, false);

  // Misuse rejects too.
  await rejectsNotThrows("Condition.wait() without the lock", () => cond.wait(10), mp.ProcessError);
  await rejectsNotThrows(
    "Condition.waitFor() without the lock",
    () => cond.waitFor(() => false, 10),
    mp.ProcessError,
  );
  barrier.abort();
  await rejectsNotThrows("Barrier.wait() on a broken barrier", () => barrier.wait(10), mp.BrokenBarrierError);
  const raw = new mp.Value("i", 0, { lock: false });
  await rejectsNotThrows("Value.acquire() without a lock", () => raw.acquire(), /has no lock/);
  await rejectsNotThrows("Value.lock() without a lock", () => raw.lock(), /has no lock/);
  assert.throws(() => raw.acquireSync(), /has no lock/);
  const smm = new mp.SharedMemoryManager();
  smm.shutdownSync();
  await rejectsNotThrows("SharedMemoryManager.start() after shutdown", () => smm.start(), /was shut down/);
});

test("null and Infinity wait as long as it takes, for every class (Python's timeout=None)", async () => {
  for (const forever of [null, Infinity]) {
    const t = forever as unknown as number;
    const lock = new mp.Lock();
    lock.acquireSync();
    const gotLock = lock.acquire(t);
    assert.equal(await settlesWithin(gotLock, 150), false, `Lock.acquire(${forever}) waits`);
    lock.release();
    assert.equal(await gotLock, true);
    lock.release();

    const sem = new mp.Semaphore(0);
    const gotPermit = sem.acquire(t);
    assert.equal(await settlesWithin(gotPermit, 150), false, `Semaphore.acquire(${forever}) waits`);
    sem.release();
    assert.equal(await gotPermit, true);

    const event = new mp.Event();
    const set = event.wait(t);
    assert.equal(await settlesWithin(set, 150), false, `Event.wait(${forever}) waits`);
    event.set();
    assert.equal(await set, true);

    const cond = new mp.Condition();
    await cond.acquire();
    const notified = cond.wait(t);
    assert.equal(await settlesWithin(notified, 150), false, `Condition.wait(${forever}) waits`);
    await cond.acquire();
    cond.notify();
    cond.release();
    assert.equal(await notified, true);
    cond.release();

    const barrier = new mp.Barrier(2, { timeout: 50 });
    const first = barrier.wait(t); // null uses the barrier's default (as Python's None); Infinity overrides it
    if (forever === null) {
      await assert.rejects(first, mp.BrokenBarrierError);
    } else {
      assert.equal(await settlesWithin(first, 150), false, "Barrier.wait(Infinity) waits");
      const second = await barrier.wait(t);
      assert.deepEqual([await first, second].sort(), [0, 1]);
    }
  }
});

test("an RLock held by another process: acquire(null) waits until that process ends", async () => {
  const rlock = new mp.RLock();
  const held = new mp.Event();
  const p = start(holdForever, [rlock, held]);
  try {
    assert.equal(await held.wait(20_000), true, "the child holds the lock");
    const got = rlock.acquire(null as unknown as number);
    assert.equal(await settlesWithin(got, 200), false, "acquire(null) waits");
    await p.terminate();
    await joinWithin(p);
    assert.equal(await settlesWithin(got, 10_000), true, "taken over once the holder ended");
    assert.equal(await got, true);
    rlock.release();
  } finally {
    if (p.isAlive()) await p.terminate();
  }
});

test("0, negative and -Infinity timeouts do not wait, for every class (Python's multiprocessing clamps to 0)", async () => {
  for (const now of [0, -1, -5, -Infinity]) {
    const t0 = performance.now();
    const lock = new mp.Lock();
    lock.acquireSync();
    assert.equal(await lock.acquire(now), false, `Lock.acquire(${now})`);
    assert.equal(lock.acquireSync(now), false, `Lock.acquireSync(${now})`);
    await assert.rejects(lock.lock(now), mp.TimeoutError);

    const sem = new mp.Semaphore(0);
    assert.equal(await sem.acquire(now), false);
    assert.equal(sem.acquireSync(now), false);

    const event = new mp.Event();
    assert.equal(await event.wait(now), false, `Event.wait(${now}) returns at once`);
    assert.equal(event.waitSync(now), false);

    const cond = new mp.Condition();
    {
      using _ = await cond.lock();
      assert.equal(await cond.wait(now), false);
      assert.equal(cond.waitSync(now), false);
      assert.equal(await cond.waitFor(() => 0, now), 0);
      assert.equal(cond.waitForSync(() => "", now), "");
    }

    const barrier = new mp.Barrier(2);
    await assert.rejects(barrier.wait(now), mp.BrokenBarrierError, "a party that cannot wait breaks it");
    assert.equal(barrier.broken, true);
    assert.ok(performance.now() - t0 < 2000, `timeout ${now} did not wait`);
  }
  // The last party of a barrier never waits, so it passes with any timeout.
  const one = new mp.Barrier(1);
  assert.equal(await one.wait(-1), 0);
  // A held RLock is taken again at once, whatever the timeout.
  const rlock = new mp.RLock();
  rlock.acquireSync();
  assert.equal(await rlock.acquire(-1), true);
  rlock.release();
  rlock.release();
});

test("Condition.notify(1.5) wakes 2 waiters, as Python does; negative and NaN n are errors", async () => {
  const cond = new mp.Condition();
  const counts = new Int32Array(new SharedArrayBuffer(8));
  const N = 3;
  const ps = Array.from({ length: N }, (_, i) => start(condWaiter, [cond, counts, i % 2 === 0, 20_000]));
  try {
    await eventually(
      () => {
        using _ = cond.lockSync();
        return counts[0] === N;
      },
      20_000,
      "all waiters waiting",
    );
    {
      using _ = await cond.lock();
      cond.notify(1.5);
      assert.throws(() => cond.notify(-1), /Condition\.notify\(n\): n must be a number >= 0, got -1/);
      assert.throws(() => cond.notify(NaN), /got NaN/);
      assert.throws(
        () => cond.notify("2" as never),
        (e: Error) => e instanceof TypeError && /the string "2"/.test(e.message),
      );
    }
    await eventually(() => counts[1] === 2, 10_000, "two woken");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(counts[1], 2, "exactly two woke up");
    {
      using _ = await cond.lock();
      cond.notify(0.25); // at least one: Python's `while woken < n`
    }
    await eventually(() => counts[1] === 3, 10_000, "the last one woken");
    for (const p of ps) await joinWithin(p, 20_000);
  } finally {
    for (const p of ps) if (p.isAlive()) await p.terminate();
  }
});

test("a ShareableList over a closed block throws instead of touching freed memory", () => {
  const sl = new mp.ShareableList([1.5, "howdy", 7n, true, null]);
  const name = sl.shm.name;
  const other = new mp.ShareableList(null, { name });
  sl.shm.close();
  const closed = /ShareableList\.\w+\(\): the list's SharedMemory ".*" is closed: attach to the list again/;
  assert.throws(() => sl.get(0), (e: Error) => e instanceof mp.ProcessError && closed.test(e.message));
  assert.throws(() => sl[0], mp.ProcessError);
  assert.throws(() => sl.set(0, 2), closed);
  assert.throws(() => (sl[2] = 1n), mp.ProcessError);
  assert.throws(() => [...sl], /is closed/);
  assert.throws(() => sl.count(1.5), closed);
  assert.throws(() => sl.index(1.5), closed);
  assert.throws(() => sl.format, /ShareableList\.format: .* is closed/);
  assert.equal(sl.length, 5, "the length still answers, as Python's len()");
  assert.equal(String(sl), `ShareableList(<closed>, name=${JSON.stringify(name)})`);
  assert.equal(String(sl.shm), `SharedMemory(${JSON.stringify(name)}, size=${sl.shm.size}, closed)`);
  // Another handle of the same block still works.
  assert.deepEqual([...other], [1.5, "howdy", 7n, true, null]);
  other.shm.close();
  other.shm.unlink(); // unlink after close, as Python's usual close(); unlink()
  // The freed space goes to a new block: the old list must not read or write it.
  const reuse = new mp.SharedMemory({ create: true, size: sl.shm.size });
  try {
    reuse.buf.fill(0xff);
    assert.throws(() => sl.get(0), mp.ProcessError);
    assert.throws(() => sl.set(0, 0), mp.ProcessError);
    assert.equal(reuse.buf.every((b) => b === 0xff), true, "the new block was not written");
  } finally {
    reuse.close();
    reuse.unlink();
  }
});

test("SharedMemory after unlink keeps working until closed; after close buf throws", () => {
  const shm = new mp.SharedMemory({ create: true, size: 8 });
  shm.buf[0] = 42;
  shm.unlink();
  assert.equal(shm.buf[0], 42, "unlink removes the name only (as POSIX shm_unlink)");
  assert.throws(
    () => new mp.SharedMemory({ name: shm.name }),
    (e: Error & { code?: string }) => e.code === "ENOENT",
  );
  assert.throws(() => shm.unlink(), (e: Error & { code?: string }) => e.code === "ENOENT");
  shm.close();
  shm.close(); // a second close does nothing, as in Python
  assert.throws(() => shm.buf, /is closed/);
  assert.equal(shm.size, 8, "size and name still answer");
  assert.equal(typeof shm.name, "string");
});

test("attaching a ShareableList to a block that holds none throws a TypeError naming it", () => {
  for (const [size, fill] of [[2, 0], [64, 0xff], [64, 0x7f]]) {
    const shm = new mp.SharedMemory({ create: true, size });
    shm.buf.fill(fill);
    try {
      assert.throws(
        () => new mp.ShareableList(null, { name: shm.name }),
        (e: Error) =>
          e instanceof TypeError &&
          e.message.includes(
            `ShareableList(): the SharedMemory block "${shm.name}" does not hold a ShareableList`,
          ),
      );
    } finally {
      shm.close();
      shm.unlink();
    }
  }
});

test("Event: set() then clear() at once still wakes every waiter with true, in any process", async () => {
  const event = new mp.Event();
  // In this process.
  const waiting = [event.wait(20_000), event.wait(20_000)];
  await new Promise((r) => setTimeout(r, 20));
  event.set();
  event.clear();
  assert.equal(await settlesWithin(Promise.all(waiting), 5000), true, "the waiters woke");
  assert.deepEqual(await Promise.all(waiting), [true, true]);
  assert.equal(event.isSet(), false);
  // Across processes, blocking and async waiters.
  const out = new Int32Array(new SharedArrayBuffer(12));
  const ps = [true, false].map((useSync, slot) => start(pulseWaiter, [event, out, slot, useSync, 20_000]));
  try {
    await eventually(() => Atomics.load(out, 0) === 2, 20_000, "both children about to wait");
    await new Promise((r) => setTimeout(r, 300)); // into their waits
    event.set();
    event.clear();
    await eventually(() => out[1] !== 0 && out[2] !== 0, 10_000, "both children woken");
    assert.deepEqual([out[1], out[2]], [1, 1], "both saw true");
    for (const p of ps) await joinWithin(p, 20_000);
  } finally {
    for (const p of ps) if (p.isAlive()) await p.terminate();
  }
  // A wait that begins after the pulse does not see it.
  assert.equal(await event.wait(30), false);
});
