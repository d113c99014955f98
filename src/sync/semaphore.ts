/**
 * `Semaphore` and `BoundedSemaphore` across processes, robust: the permits a process
 * holds when it ends are given back (up to the initial value).
 *
 * @module
 */
import { deadlineOf, LIVENESS_POLL_MS, remaining, type SharedInt32 } from "../internal/_atomics.ts";
import { ownPid, pidAlive } from "../process/_liveness.ts";
import { adopt, adoptedState, registerShared, SHARE, type SharedHandle } from "../internal/_codec.ts";
import { ProcessError } from "../internal/errors.ts";
import { guardOf, lockGuard, lockGuardSync } from "./_lock_core.ts";
import { enter, leave, MONITOR_WORDS, signal, waitIn } from "./_monitor.ts";
import { runAsync, runSync, type Steps } from "./_steps.ts";
import { checkTimeout } from "../internal/_timeouts.ts";
import { inspectable } from "../internal/_inspect.ts";

const VALUE = MONITOR_WORDS;
const INITIAL = VALUE + 1;
const BOUND = VALUE + 2;
/** Holder records: pairs (pid, permits held) of up to `HOLDERS` processes. */
const HOLDERS_AT = VALUE + 3;
const HOLDERS = 32;
const WORDS = HOLDERS_AT + 2 * HOLDERS;

function checkValue(value: unknown, cls: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw new RangeError(`${cls}(value): the initial value must be an integer >= 0, got ${String(value)}`);
  }
  return value;
}

/** Notes that `pid` holds one more permit. */
function record(a: SharedInt32, pid: number): void {
  let free = -1;
  for (let s = HOLDERS_AT; s < WORDS; s += 2) {
    if (a[s] === pid) {
      a[s + 1]++;
      return;
    }
    if (free < 0 && a[s + 1] === 0) free = s;
  }
  if (free >= 0) {
    a[free] = pid;
    a[free + 1] = 1;
  }
}

/** Notes a release by `pid`: its own permit, else one held by another process. */
function unrecord(a: SharedInt32, pid: number): void {
  let other = -1;
  for (let s = HOLDERS_AT; s < WORDS; s += 2) {
    if (a[s + 1] === 0) continue;
    if (a[s] === pid) {
      a[s + 1]--;
      return;
    }
    if (other < 0) other = s;
  }
  if (other >= 0) a[other + 1]--;
}

/** Gives back the permits of processes that ended; returns how many. */
function recover(a: SharedInt32): number {
  let got = 0;
  for (let s = HOLDERS_AT; s < WORDS; s += 2) {
    if (a[s + 1] === 0 || pidAlive(a[s])) continue;
    const room = Math.max(0, a[INITIAL] - a[VALUE]);
    const back = Math.min(a[s + 1], room);
    a[s + 1] = 0;
    a[s] = 0;
    a[VALUE] += back;
    got += back;
  }
  return got;
}

function* acquireSteps(a: SharedInt32, timeout: number | undefined): Steps<boolean> {
  const deadline = deadlineOf(timeout);
  const pid = ownPid();
  yield* enter(a, 0);
  try {
    for (;;) {
      if (a[VALUE] > 0 || recover(a) > 0) {
        a[VALUE]--;
        record(a, pid);
        return true;
      }
      if (remaining(deadline) <= 0) return false;
      yield* waitIn(a, 0, deadline, LIVENESS_POLL_MS);
    }
  } finally {
    leave(a, 0);
  }
}

/**
 * A semaphore across processes (Python's `multiprocessing.Semaphore`): a counter of
 * permits; `acquire` takes one (waiting while there is none), `release` gives one
 * back and may be called by any process.
 *
 * Robust: permits held by a process that ends are given back, up to the initial
 * value (so a `Semaphore(0)` used as a signal never gains permits that way).
 *
 * Timeouts follow {@linkcode Lock}'s rule (`undefined`, `null` or `Infinity`: as long as
 * it takes; `0` or less: do not wait), and the promise-returning methods never throw: a
 * bad argument rejects the promise.
 *
 * @example At most two at a time
 * ```ts
 * import { Semaphore } from "@mp/multiprocessing";
 * const sem = new Semaphore(2);
 * sem.acquireSync();
 * sem.acquireSync();
 * console.log(await sem.acquire(10)); // false: no permit left
 * sem.release();
 * console.log(sem.getValue()); // 1
 * ```
 */
export class Semaphore {
  #a: SharedInt32;
  #guard: Disposable = guardOf(this);

  /**
   * Creates a semaphore with `value` permits (default 1).
   *
   * @param value The initial number of permits, an integer from 0 to 2³¹ − 1.
   * @throws {RangeError} If `value` is not such an integer.
   */
  constructor(value: number = 1) {
    const adopted = adoptedState<SharedInt32>(new.target);
    if (adopted) {
      this.#a = adopted;
      return;
    }
    const cls = new.target === BoundedSemaphore ? "BoundedSemaphore" : "Semaphore";
    this.#a = new Int32Array(new SharedArrayBuffer(WORDS * 4));
    this.#a[VALUE] = this.#a[INITIAL] = checkValue(value, cls);
    if (new.target === BoundedSemaphore) this.#a[BOUND] = 1;
  }

  /**
   * Takes a permit, waiting at most `timeout` ms for one. Resolves `true` once taken,
   * `false` on timeout.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns A promise that resolves to `true` once a permit is taken, `false` on timeout.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  acquire(timeout?: number): Promise<boolean> {
    let ms: number | undefined;
    try {
      ms = checkTimeout(timeout, `${this.#kind}.acquire()`);
    } catch (e) {
      return Promise.reject(e);
    }
    return runAsync(acquireSteps(this.#a, ms));
  }

  /**
   * Like {@linkcode Semaphore.acquire}, blocking the thread.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns `true` once a permit is taken, `false` on timeout.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  acquireSync(timeout?: number): boolean {
    return runSync(acquireSteps(this.#a, checkTimeout(timeout, `${this.#kind}.acquireSync()`)));
  }

  /**
   * Gives a permit back, waking one waiter. A `BoundedSemaphore` throws
   * `ProcessError` when that would exceed its initial value.
   *
   * @throws {ProcessError} On a `BoundedSemaphore` whose value is already its initial value.
   */
  release(): void {
    const a = this.#a;
    runSync(enter(a, 0));
    try {
      if (a[BOUND] && a[VALUE] >= a[INITIAL]) {
        throw new ProcessError(
          `BoundedSemaphore.release(): released too many times (its value is already ${a[VALUE]}, its ` +
            "initial value): release only the permits that were acquired",
        );
      }
      a[VALUE]++;
      unrecord(a, ownPid());
      signal(a, 0, 1);
    } finally {
      leave(a, 0);
    }
  }

  /**
   * The number of free permits.
   *
   * @returns The number of free permits.
   */
  getValue(): number {
    return Atomics.load(this.#a, VALUE);
  }

  /**
   * Takes a permit and resolves to a guard that gives it back: `using _ = await sem.lock();`.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns A promise that resolves to a `Disposable` that releases the permit.
   * @throws {TimeoutError} If no permit is taken within `timeout` ms.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  lock(timeout?: number): Promise<Disposable> {
    return lockGuard(this, this.#kind, this.#guard, timeout);
  }

  /**
   * Takes a permit (blocking) and returns a guard that gives it back: `using _ = sem.lockSync();`.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns A `Disposable` that releases the permit.
   * @throws {TimeoutError} If no permit is taken within `timeout` ms.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  lockSync(timeout?: number): Disposable {
    return lockGuardSync(this, this.#kind, this.#guard, timeout);
  }

  get #kind(): string {
    return this.#a[BOUND] ? "BoundedSemaphore" : "Semaphore";
  }

  /**
   * Describes the semaphore: `<Semaphore(value=2)>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<${this.#kind}(value=${this.getValue()})>`;
  }

  /**
   * The handle this semaphore travels as (codec).
   * @ignore
   */
  [SHARE](): SharedHandle {
    return { type: this.#kind, module: import.meta.url, state: this.#a };
  }
}

/**
 * A semaphore whose `release` throws `ProcessError` when it would raise the value above
 * the initial one (Python's `multiprocessing.BoundedSemaphore`).
 *
 * @example Over-release is an error
 * ```ts
 * import { BoundedSemaphore } from "@mp/multiprocessing";
 * const sem = new BoundedSemaphore(1);
 * try {
 *   sem.release();
 * } catch (e) {
 *   console.log((e as Error).message); // BoundedSemaphore released too many times: ...
 * }
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  /**
   * Creates a bounded semaphore with `value` permits (default 1).
   *
   * @param value The initial (and maximum) number of permits, an integer from 0 to 2³¹ − 1.
   * @throws {RangeError} If `value` is not such an integer.
   */
  constructor(value: number = 1) {
    super(value);
  }
}

registerShared("Semaphore", (state) => adopt(Semaphore, state, () => new Semaphore()));
registerShared("BoundedSemaphore", (state) => adopt(BoundedSemaphore, state, () => new BoundedSemaphore()));

inspectable(Semaphore);
