/**
 * `Condition` across processes. Waiters take numbered tickets while holding the lock;
 * `notify(n)` grants the next `n` tickets of waiters still waiting (skipping those that
 * timed out), so it wakes exactly `n` of them, whether they wait with `wait` or
 * `waitSync`, in whatever process.
 *
 * @module
 */
import { deadlineOf, remaining, type SharedInt32 } from "../internal/_atomics.ts";
import { adopt, adoptedState, registerShared, SHARE, type SharedHandle } from "../internal/_codec.ts";
import { ProcessError } from "../internal/errors.ts";
import {
  coreOf,
  guardOf,
  type LockCore,
  lockGuard,
  lockGuardSync,
  waitForLoop,
  waitForLoopSync,
} from "./_lock_core.ts";
import type { Lock } from "./lock.ts";
import { RLock } from "./rlock.ts";
import { runAsync, runSync, type Steps, wait } from "./_steps.ts";
import { checkTimeout } from "../internal/_timeouts.ts";
import { inspectable } from "../internal/_inspect.ts";

/** Next ticket to hand out. */
const ENQ = 0;
/** Tickets below this one have been woken; waiters sleep on this word. */
const GRANTED = 1;
/** Bitmap of cancelled (timed out) tickets, over a ring of `RING` tickets. */
const BITS = 2;
const RING = 1024;
const WORDS = BITS + RING / 32;

function isCancelled(a: SharedInt32, t: number): boolean {
  const r = t & (RING - 1);
  return (a[BITS + (r >> 5)] & (1 << (r & 31))) !== 0;
}

function setCancelled(a: SharedInt32, t: number, on: boolean): void {
  const r = t & (RING - 1);
  const w = BITS + (r >> 5);
  a[w] = on ? a[w] | (1 << (r & 31)) : a[w] & ~(1 << (r & 31));
}

/** Whether ticket `t` has been granted (tickets wrap around: compare differences). */
function granted(a: SharedInt32, t: number): boolean {
  return ((Atomics.load(a, GRANTED) - t) | 0) > 0;
}

/** Waits for ticket `t` to be granted; returns whether it was, before `deadline`. */
function* sleepSteps(a: SharedInt32, t: number, deadline: number): Steps<boolean> {
  for (;;) {
    const g = Atomics.load(a, GRANTED);
    if (((g - t) | 0) > 0) return true;
    const left = remaining(deadline);
    if (left <= 0) return false;
    yield wait(a, GRANTED, g, left);
  }
}

/**
 * A condition variable across processes (Python's `multiprocessing.Condition`): wait
 * for a state guarded by a lock to change, and notify the waiters when it does.
 * `wait` and `notify` must be called with the lock held. The lock is a new
 * {@linkcode RLock} unless one is given. Timeouts follow {@linkcode Lock}'s rule, and
 * the promise-returning methods never throw: a bad timeout, or waiting without the
 * lock, rejects the promise (the `*Sync` twins throw).
 *
 * @example Wait for a flag set by another process
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export async function producer(cond: mp.Condition, ready: mp.Value<"i">) {
 *   using _ = await cond.lock();
 *   ready.value = 1;
 *   cond.notifyAll();
 * }
 *
 * if (import.meta.main) {
 *   const cond = new mp.Condition();
 *   const ready = new mp.Value("i", 0);
 *   const p = new mp.Process({ target: producer, args: [cond, ready] });
 *   await p.start();
 *   {
 *     using _ = await cond.lock();
 *     await cond.waitFor(() => ready.value === 1, 5000);
 *   }
 *   await p.join();
 *   console.log(ready.value); // 1
 * }
 * ```
 */
export class Condition {
  #a: SharedInt32;
  #lock: Lock | RLock;
  #core: LockCore;
  #guard: Disposable = guardOf(this);

  /**
   * Creates a condition over `lock` (a Lock or RLock; default a new RLock).
   *
   * @param lock The lock to use; a new {@linkcode RLock} if omitted.
   * @throws {TypeError} If `lock` is not a `Lock` or `RLock` of this package.
   */
  constructor(lock?: Lock | RLock) {
    const adopted = adoptedState<{ a: SharedInt32; lock: Lock | RLock }>(new.target);
    if (adopted) {
      ({ a: this.#a, lock } = adopted);
    } else {
      this.#a = new Int32Array(new SharedArrayBuffer(WORDS * 4));
    }
    this.#lock = lock ?? new RLock();
    const core = coreOf(this.#lock);
    if (!core) {
      throw new TypeError(
        `Condition(lock): lock must be a Lock or an RLock of this package, got ${String(lock)}`,
      );
    }
    this.#core = core;
  }

  /**
   * Acquires the underlying lock (see `Lock.acquire`).
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns A promise that resolves to `true` once the lock is held, `false` on timeout.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  acquire(timeout?: number): Promise<boolean> {
    return this.#lock.acquire(timeout);
  }

  /**
   * Acquires the underlying lock, blocking (see `Lock.acquireSync`).
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns `true` once the lock is held, `false` on timeout.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  acquireSync(timeout?: number): boolean {
    return this.#lock.acquireSync(timeout);
  }

  /**
   * Releases the underlying lock.
   *
   * @throws {ProcessError} If the lock is not locked (for an `RLock`: not held by this process).
   */
  release(): void {
    this.#lock.release();
  }

  /**
   * Acquires the lock and resolves to a guard that releases it: `using _ = await cond.lock();`.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns A promise that resolves to a `Disposable` that releases the lock.
   * @throws {TimeoutError} If the lock is not acquired within `timeout` ms.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  lock(timeout?: number): Promise<Disposable> {
    return lockGuard(this, "Condition's lock", this.#guard, timeout);
  }

  /**
   * Acquires the lock (blocking) and returns a guard that releases it.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns A `Disposable` that releases the lock.
   * @throws {TimeoutError} If the lock is not acquired within `timeout` ms.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  lockSync(timeout?: number): Disposable {
    return lockGuardSync(this, "Condition's lock", this.#guard, timeout);
  }

  /**
   * The lock this condition uses.
   *
   * @returns The `Lock` or `RLock` given to the constructor, or the one it created.
   */
  getLock(): Lock | RLock {
    return this.#lock;
  }

  #enqueue(where: string): number {
    if (!this.#core.owned()) {
      throw new ProcessError(
        `Condition.${where}(): cannot ${where} on un-acquired lock: acquire the Condition's lock first`,
      );
    }
    const a = this.#a;
    const t = a[ENQ];
    if (((t - Atomics.load(a, GRANTED)) | 0) >= RING) {
      throw new ProcessError(
        `Condition.${where}(): more than ${RING} waiters wait on this condition at once: notify some before more wait`,
      );
    }
    a[ENQ] = t + 1;
    return t;
  }

  /** After waking up with the lock held again: a timed-out waiter gives its ticket up. */
  #settle(t: number, woken: boolean): boolean {
    if (woken || granted(this.#a, t)) return true;
    setCancelled(this.#a, t, true);
    return false;
  }

  /**
   * Releases the lock, waits until notified or `timeout` ms pass, and takes the lock
   * again. Resolves `true` if notified, `false` on timeout. Throws `ProcessError` if
   * this process does not hold the lock.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns A promise that resolves to `true` if notified, `false` on timeout.
   * @throws {ProcessError} If this process does not hold the lock, or more than 1024
   *   waiters are queued.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  async wait(timeout?: number): Promise<boolean> {
    const ms = checkTimeout(timeout, "Condition.wait()");
    const t = this.#enqueue("wait");
    const saved = this.#core.releaseSave();
    let woken = false;
    try {
      woken = await runAsync(sleepSteps(this.#a, t, deadlineOf(ms)));
    } finally {
      await this.#core.restore(saved);
    }
    return this.#settle(t, woken);
  }

  /**
   * Like {@linkcode Condition.wait}, blocking the thread.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns `true` if notified, `false` on timeout.
   * @throws {ProcessError} If this process does not hold the lock, or more than 1024
   *   waiters are queued.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  waitSync(timeout?: number): boolean {
    const ms = checkTimeout(timeout, "Condition.waitSync()");
    const t = this.#enqueue("wait");
    const saved = this.#core.releaseSave();
    let woken = false;
    try {
      woken = runSync(sleepSteps(this.#a, t, deadlineOf(ms)));
    } finally {
      this.#core.restoreSync(saved);
    }
    return this.#settle(t, woken);
  }

  /**
   * Waits until `predicate()` is true (checked with the lock held), at most `timeout`
   * ms in all. Resolves the predicate's last result.
   *
   * @param predicate Called with the lock held; waiting ends when it returns a truthy value.
   * @param timeout How long to wait in all, in milliseconds; `undefined`, `null` or
   *   `Infinity` waits as long as it takes, `0` or less only checks `predicate` once.
   * @returns A promise that resolves to the last value `predicate` returned (falsy on timeout).
   * @throws {ProcessError} If it has to wait and this process does not hold the lock.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  waitFor<T>(predicate: () => T, timeout?: number): Promise<T> {
    return waitForLoop(predicate, timeout, "Condition.waitFor()", (ms) => this.wait(ms));
  }

  /**
   * Like {@linkcode Condition.waitFor}, blocking the thread.
   *
   * @param predicate Called with the lock held; waiting ends when it returns a truthy value.
   * @param timeout How long to wait in all, in milliseconds; `undefined`, `null` or
   *   `Infinity` waits as long as it takes, `0` or less only checks `predicate` once.
   * @returns The last value `predicate` returned (falsy on timeout).
   * @throws {ProcessError} If it has to wait and this process does not hold the lock.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  waitForSync<T>(predicate: () => T, timeout?: number): T {
    return waitForLoopSync(predicate, timeout, "Condition.waitForSync()", (ms) => this.waitSync(ms));
  }

  /**
   * Wakes up to `n` waiting processes (default 1): exactly `n` when at least `n` wait.
   * The lock must be held. As in Python (both `multiprocessing` and `threading`), it
   * wakes waiters while fewer than `n` have been woken, so a fractional `n` counts up:
   * `notify(1.5)` wakes 2.
   *
   * @param n How many waiters to wake, a number >= 0 (`Infinity` wakes all; a fraction
   *   counts up).
   * @throws {TypeError} If `n` is not a number.
   * @throws {RangeError} If `n` is `NaN` or negative (Python would wake none: a negative
   *   count is most likely a bug here).
   * @throws {ProcessError} If this process does not hold the lock.
   */
  notify(n: number = 1): void {
    if (typeof n !== "number") {
      throw new TypeError(
        `Condition.notify(n): n must be a number >= 0, got ${
          typeof n === "string" ? `the string ${JSON.stringify(n)}` : String(n)
        }`,
      );
    }
    if (Number.isNaN(n) || n < 0) {
      throw new RangeError(`Condition.notify(n): n must be a number >= 0, got ${n}`);
    }
    if (!this.#core.owned()) {
      throw new ProcessError(
        "Condition.notify(): cannot notify on un-acquired lock: acquire the Condition's lock first",
      );
    }
    const a = this.#a;
    const end = a[ENQ];
    let g = a[GRANTED];
    let woken = 0;
    while (woken < n && g !== end) {
      if (isCancelled(a, g)) setCancelled(a, g, false);
      else woken++;
      g = (g + 1) | 0;
    }
    if (g === a[GRANTED]) return;
    Atomics.store(a, GRANTED, g);
    Atomics.notify(a, GRANTED);
  }

  /**
   * Wakes every waiting process. The lock must be held.
   *
   * @throws {ProcessError} If this process does not hold the lock.
   */
  notifyAll(): void {
    this.notify(Infinity);
  }

  /**
   * Describes the condition and its lock.
   *
   * @returns The description, e.g. `<Condition(<RLock(unlocked)>, waiters=0)>`.
   */
  toString(): string {
    const a = this.#a;
    return `<Condition(${this.#lock}, waiters=${(a[ENQ] - a[GRANTED]) | 0})>`;
  }

  /**
   * The handle this condition travels as (codec).
   * @ignore
   */
  [SHARE](): SharedHandle {
    return { type: "Condition", module: import.meta.url, state: { a: this.#a, lock: this.#lock } };
  }
}

registerShared("Condition", (state) => adopt(Condition, state, () => new Condition()));

inspectable(Condition);
